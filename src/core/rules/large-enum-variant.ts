/**
 * `large-enum-variant`: the largest variant's fields exceed the second largest's by more than
 * `enum-variant-size-threshold` bytes (clippy `large_enum_variant`, which compares sums of field
 * sizes). Every value of the enum, whichever variant it holds, occupies the largest size.
 */
import type { EnumItem } from '../model';
import { fmt, isAllowed, rangeOf, wanted, type RuleContext } from './context';
import type { Finding } from './types';
import { boxVariantFix, isCopy } from '../fixes/box-variant';

export function largeEnumVariant(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const threshold = ctx.settings.enumVariantSizeThreshold;
  for (const item of ctx.index.items) {
    if (item.kind !== 'enum' || !wanted(ctx, item.span.file)) continue;
    const e = item as EnumItem;
    if (e.variants.length < 2) continue;
    const l = ctx.engine.layoutOfItem(e);
    if (!l.variants || l.error) continue;
    const sorted = l.variants.map((v, i) => ({ ...v, i })).sort((a, b) => b.fieldsSize - a.fieldsSize);
    if (sorted.length < 2) continue;
    const [big, second] = sorted;
    // Layout variants are the compiled ones (inactive #[cfg] variants are left out): match by name.
    const decl = (name: string) => e.variants.find(v => v.name === name)!;
    const diff = big.fieldsSize - second.fieldsSize;
    if (diff <= threshold) continue;
    if (isAllowed(ctx, e, 'large-enum-variant')) continue;
    const atLeast = l.status === 'exact' ? '' : 'at least ';
    const sizes = sorted.slice(0, 4).map(v => `${v.name} ${fmt(v.fieldsSize)}`).join(', ') + (sorted.length > 4 ? ', ...' : '');
    const copy = isCopy(ctx, e);
    const msg =
      `large size difference between variants of \`${e.name}\`: \`${big.name}\` holds ${atLeast}${fmt(big.fieldsSize)} bytes, ${fmt(diff)} more than \`${second.name}\` (threshold ${fmt(threshold)}); ` +
      `every \`${e.name}\` is ${atLeast}${fmt(l.size)} bytes (variant field bytes: ${sizes})` +
      (copy ? '; boxing a variant would require the type to no longer be `Copy`' : `; box the payload of \`${big.name}\``);
    const fix = copy ? undefined : boxVariantFix(ctx, e, second.fieldsSize + threshold);
    out.push({
      code: 'large-enum-variant',
      severity: 'warning',
      message: msg,
      range: rangeOf(e.nameSpan),
      related: [
        { range: rangeOf(decl(big.name).span), message: `the largest variant \`${big.name}\` holds ${atLeast}${fmt(big.fieldsSize)} bytes` },
        { range: rangeOf(decl(second.name).span), message: `the second largest variant \`${second.name}\` holds ${fmt(second.fieldsSize)} bytes` },
      ],
      fixes: fix ? [fix] : [],
      data: { enumSize: l.size, largest: big.fieldsSize, second: second.fieldsSize, threshold, exact: l.status === 'exact', type: e.name },
    });
  }
  return out;
}
