/**
 * `large-error`: a function returning `Result<T, E>` whose `E` is at least
 * `large-error-threshold` bytes (clippy `result_large_err`). Every return moves the whole
 * `Result`, whose size is at least that of `E`, even on the happy path.
 */
import type { FnItem, Item } from '../model';
import { fmt, isAllowed, rangeOf, wanted, type RuleContext } from './context';
import { errPartOf } from './result-type';
import type { Finding, RelatedInfo } from './types';
import { boxVariantFix } from '../fixes/box-variant';
import { boxErrorFix } from '../fixes/box-error';
import type { EnumItem } from '../model';

export function largeError(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const threshold = ctx.settings.largeErrorThreshold;
  // Impl/trait blocks per file, to find the one enclosing a method (for its #[allow]s).
  const owners = new Map<string, Item[]>();
  for (const it of ctx.index.items) if (it.kind === 'impl' || it.kind === 'trait') owners.set(it.span.file, [...(owners.get(it.span.file) ?? []), it]);
  for (const item of ctx.index.items) {
    if (item.kind !== 'fn' || !wanted(ctx, item.span.file)) continue;
    const fn = item as FnItem;
    // Like clippy, trait impl methods are reported at the trait declaration, not at each impl.
    if (fn.owner?.kind === 'impl' && fn.owner.traitName) continue;
    if (!fn.returnType) continue;
    const part = errPartOf(ctx, fn.returnType, fn.module, fn);
    if (!part || part.err.uninhabited) continue;
    const errEnum = part.errItem?.kind === 'enum' ? (part.errItem as EnumItem) : undefined;
    const errLayout = part.errItem ? ctx.engine.layoutOfItem(part.errItem) : undefined;
    // For a local enum, clippy compares its largest variant (sum of field sizes).
    const measured = errEnum && errLayout?.variants?.length ? errLayout.variants.reduce((m, v) => Math.max(m, v.fieldsSize), -Infinity) : part.err.size;
    if (measured < threshold || part.err.error) continue;
    if (part.errItem && ctx.settings.largeErrorIgnored.includes(part.errItem.path)) continue;
    const owner = fn.owner ? owners.get(fn.span.file)?.find(o => o.span.startOffset <= fn.span.startOffset && o.span.endOffset >= fn.span.endOffset) : undefined;
    if (isAllowed(ctx, fn, 'large-error', owner)) continue;
    const atLeast = part.err.status === 'exact' ? '' : 'at least ';
    const errName = part.errExpr.text;
    const largest = part.err.largest ?? errLayout?.largest;
    const msg =
      `the \`Err\` type \`${errName}\` is ${atLeast}${fmt(part.err.size)} bytes, so every \`${part.resultText}\` returned by \`${fn.name}\` is ${atLeast}${fmt(part.result.size)} bytes and is copied on every return` +
      (largest ? `; largest contributor: ${largest}` : '') +
      ` (threshold ${fmt(threshold)}): box the large part or return \`Result<_, Box<${errName}>>\``;
    const related: RelatedInfo[] = [];
    if (part.errItem) related.push({ range: rangeOf(part.errItem.nameSpan), message: `\`${part.errItem.name}\` is defined here (${fmt(errLayout?.size ?? part.err.size)} bytes)` });
    const fixes = [];
    if (errEnum) {
      const f = boxVariantFix(ctx, errEnum, threshold - 1, true);
      if (f) fixes.push(f);
    }
    const be = boxErrorFix(ctx, fn, part);
    if (be) fixes.push(be);
    if (fixes.length > 0) fixes[0].preferred = true;
    out.push({
      code: 'large-error',
      severity: 'warning',
      message: msg,
      range: rangeOf(fn.nameSpan),
      related,
      fixes,
      data: { errSize: part.err.size, resultSize: part.result.size, threshold, exact: part.err.status === 'exact', errType: errName, fn: fn.name },
    });
  }
  return out;
}
