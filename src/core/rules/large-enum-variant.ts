/**
 * `large-enum-variant`: the largest variant's fields exceed the second largest's by more than
 * `enum-variant-size-threshold` bytes (clippy `large_enum_variant`, which compares sums of field
 * sizes). Every value of the enum, whichever variant it holds, occupies the largest size.
 */
import type { EnumItem } from '../model';
import {
  fmt,
  fromForeignMacro,
  isAllowed,
  rangeOf,
  wanted,
  wantedItems,
  type RuleContext,
  type RuleModule,
} from './context';
import type { Finding } from './types';
import { boxVariantFix, isCopy } from '../fixes/box-variant';
import { holdingOf } from './held';

type LargeEnumFinding = Extract<Finding, { code: 'large-enum-variant' }>;

export function largeEnumVariant(ctx: RuleContext): LargeEnumFinding[] {
  const out: LargeEnumFinding[] = [];
  const threshold = ctx.settings.enumVariantSizeThreshold;
  for (const item of wantedItems(ctx)) {
    if (item.kind !== 'enum' || !wanted(ctx, item.span.file)) continue;
    const e = item as EnumItem;
    if (e.variants.length < 2) continue;
    // Clippy skips enums expanded from another crate's macro (`pin_project!`): not the user's code.
    if (fromForeignMacro(ctx, e)) continue;
    const l = ctx.engine.layoutOfItem(e);
    if (!l.variants || l.error) continue;
    const sorted = l.variants
      .map((v, i) => ({ ...v, i }))
      .sort((a, b) => b.fieldsSize - a.fieldsSize);
    if (sorted.length < 2) continue;
    const [big, second] = sorted;
    // The verdict holds only when every other variant's size is exact: a lower bound on the
    // second largest could hide a smaller difference. (The largest may be a lower bound: its
    // true size is larger still.)
    // The enum's own unbound type parameters count as 0 bytes, as in clippy (which measures the
    // generic definition): `enum E<T> { A(T), B([u8; 512]) }` is reported.
    const params = new Set(e.generics.filter(g => g.kind === 'type').map(g => g.name));
    const onlyParams =
      (l.unknownParts ?? []).every(u => params.has(u.replace(/ \(generic parameter\)$/, ''))) &&
      !!l.unknownParts?.length;
    if (!onlyParams && sorted.slice(1).some(v => v.status !== 'exact')) continue;
    // Layout variants are the compiled ones (inactive #[cfg] variants are left out): match by name.
    const decl = (name: string) => e.variants.find(v => v.name === name)!;
    const diff = big.fieldsSize - second.fieldsSize;
    if (diff <= threshold) continue;
    if (isAllowed(ctx, e, 'large-enum-variant')) continue;
    const atLeast = big.status === 'exact' ? '' : 'at least ';
    const sizes =
      sorted
        .slice(0, 4)
        .map(v => `${v.name} ${fmt(v.fieldsSize)}`)
        .join(', ') + (sorted.length > 4 ? ', ...' : '');
    const copy = isCopy(ctx, e);
    const fix = copy ? undefined : boxVariantFix(ctx, e, second.fieldsSize + threshold);
    // Clippy reports every such enum; whether boxing pays depends on how many values are alive
    // at once and on which variant is common. A warning needs the crate to show one of the two:
    // values held in bulk, or the enum as a `Result`'s error (the rare path every `Ok` pays for).
    // Otherwise (a parser's result, a future's state: one value at a time, the large variant
    // usually the normal one) it is an `info` that says so.
    const h = holdingOf(ctx, e);
    const held = h.bulk ? 'bulk' : h.error ? 'error' : 'one';
    const how =
      held === 'bulk'
        ? `many \`${e.name}\` values are alive at once: ${h.bulk!.via.length ? `through ${h.bulk!.via.map(v => `\`${v}\``).join(' in ')}, ` : ''}\`${h.bulk!.what}\` holds many`
        : held === 'error'
          ? `\`${e.name}\` is the error of \`${h.error!.what}\`: every result pays for its largest variant, though errors are the rare path`
          : `no declaration of the crate holds many \`${e.name}\` values at once${h.field ? ` (it is held in \`${h.field.what}\`)` : ''}: if \`${big.name}\` is the common variant, boxing it adds an allocation per value and saves little; box it when many values are alive at once or \`${big.name}\` is rare`;
    const evidence = held === 'bulk' ? h.bulk! : held === 'error' ? h.error! : undefined;
    out.push({
      code: 'large-enum-variant',
      severity: held === 'one' ? 'info' : 'warning',
      message: `large size difference between variants: \`${e.name}::${big.name}\` holds ${atLeast}${fmt(diff)} bytes more than the next largest`,
      notes: [
        `every \`${e.name}\` is ${l.status === 'exact' ? '' : 'at least '}${fmt(l.size)} bytes, whichever variant it holds (field bytes per variant: ${sizes})`,
        how,
        copy
          ? 'boxing a variant would make the type no longer `Copy`'
          : `box the payload of \`${big.name}\` (threshold ${fmt(threshold)} bytes)`,
      ],
      range: rangeOf(e.nameSpan),
      related: [
        {
          range: rangeOf(decl(big.name).span),
          message: `the largest variant \`${big.name}\` holds ${atLeast}${fmt(big.fieldsSize)} bytes`,
        },
        {
          range: rangeOf(decl(second.name).span),
          message: `the second largest variant \`${second.name}\` holds ${fmt(second.fieldsSize)} bytes`,
        },
        ...(evidence
          ? [
              {
                range: rangeOf(evidence.span),
                message:
                  held === 'bulk'
                    ? `holds many \`${e.name}\` values`
                    : `\`${e.name}\` is the error type here`,
              },
            ]
          : []),
      ],
      fixes: fix ? [fix] : [],
      data: {
        enumSize: l.size,
        largest: big.fieldsSize,
        second: second.fieldsSize,
        threshold,
        exact: l.status === 'exact',
        type: e.name,
        held,
      },
    });
  }
  return out;
}

export const largeEnumVariantRule: RuleModule<'large-enum-variant'> = {
  code: 'large-enum-variant',
  summary:
    'One enum variant is much larger than the others: every value occupies the largest size.',
  clippyLint: 'clippy::large_enum_variant',
  clippyGroup: 'clippy::perf',
  settings: {
    editor: ['allocLens.enumVariantSizeThreshold'],
    clippyToml: ['enum-variant-size-threshold'],
  },
  profile: {
    measure: 'copy',
    // Hot where the type is named, and where large-error fns returning it are called.
    evidence: (f, h) => {
      const name = f.data.type;
      const re = new RegExp(`\\b${name}\\b`);
      const fns = h.findings.flatMap(g =>
        g.code === 'large-error' && re.test(g.data.errType) ? [g.data.fn] : [],
      );
      return [h.mentions(name), ...(fns.length ? [h.calls(fns), h.inFn(fns)] : [])];
    },
  },
  check: largeEnumVariant,
};
