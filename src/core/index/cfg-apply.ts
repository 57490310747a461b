/**
 * Applies a crate's cfg context to extracted items: `#[cfg_attr(pred, attrs..)]` becomes its
 * attributes when `pred` holds (tokio's `CachePadded` is `repr(align(128))` on x86_64 only
 * through one), and whatever a build-script cfg decides is made visibly uncertain: a field under
 * an undecidable `#[cfg]` gets an unknown type (its struct becomes a lower bound, with the
 * reason), a `repr` under an undecidable `cfg_attr` makes the item's size unknown.
 */
import type { Attribute, Field, Item, TypeExpr, Variant } from '../model';
import { evalCfgIn, type CfgContext, type CfgValue } from './cfg';
import { reprOf, splitTopLevel } from './syntax';

/** The combined value of an item's `#[cfg]` attributes. */
export function cfgOf(attrs: readonly Attribute[], ctx: CfgContext): CfgValue {
  let v: CfgValue = 'yes';
  for (const a of attrs) {
    if (a.name !== 'cfg') continue;
    const r = evalCfgIn(a.args, ctx);
    if (r === 'no') return 'no';
    if (r === 'maybe') v = 'maybe';
  }
  return v;
}

interface Expanded {
  attrs: Attribute[];
  /** The predicate text of an undecidable `cfg_attr` that would add a `repr` or `cfg`. */
  uncertain?: string;
}

function expandCfgAttr(attrs: Attribute[], ctx: CfgContext, depth = 0): Expanded | undefined {
  if (!attrs.some(a => a.name === 'cfg_attr') || depth > 8) return undefined;
  const out: Attribute[] = [];
  let uncertain: string | undefined;
  for (const a of attrs) {
    if (a.name !== 'cfg_attr') {
      out.push(a);
      continue;
    }
    const [pred, ...inner] = splitTopLevel(a.args);
    if (!pred) continue;
    const v = evalCfgIn(pred, ctx);
    if (v === 'no') continue;
    const parsed = inner.map(t => {
      const m = /^([\w:]+)\s*([\s\S]*)$/.exec(t.trim());
      let args = (m?.[2] ?? '').trim();
      if (args.startsWith('(') && args.endsWith(')')) args = args.slice(1, -1).trim();
      else if (args.startsWith('=')) args = args.slice(1).trim();
      return { name: m?.[1] ?? t, args, inner: a.inner, span: a.span } satisfies Attribute;
    });
    if (v === 'maybe') {
      if (parsed.some(p => p.name === 'repr' || p.name === 'cfg' || p.name === 'cfg_attr'))
        uncertain ??= pred;
      continue;
    }
    const nested = expandCfgAttr(parsed, ctx, depth + 1);
    out.push(...(nested?.attrs ?? parsed));
    uncertain ??= nested?.uncertain;
  }
  return { attrs: out, uncertain };
}

function unknownType(text: string): TypeExpr {
  return { kind: 'unknown', text };
}

function fieldsIn(fields: Field[], ctx: CfgContext): Field[] {
  if (!fields.some(f => f.attrs.length > 0)) return fields;
  return fields.map(f => {
    const ex = expandCfgAttr(f.attrs, ctx);
    const attrs = ex?.attrs ?? f.attrs;
    const v = cfgOf(attrs, ctx);
    if (v !== 'maybe') return ex ? { ...f, attrs } : f;
    const pred = attrs.find(a => a.name === 'cfg')?.args ?? '';
    // Kept as present with an unknown type: the struct is then at least its other fields.
    return {
      ...f,
      attrs: attrs.filter(a => a.name !== 'cfg'),
      type: unknownType(
        `field \`${f.name}: ${f.type.text}\` under cfg(${pred}), set by a build script`,
      ),
    };
  });
}

function variantsIn(vs: Variant[], ctx: CfgContext): Variant[] {
  return vs.map(v => {
    const fields = fieldsIn(v.fields, ctx);
    const c = cfgOf(v.attrs, ctx);
    if (c !== 'maybe') return fields === v.fields ? v : { ...v, fields };
    const pred = v.attrs.find(a => a.name === 'cfg')?.args ?? '';
    const f: Field = {
      name: '0',
      type: unknownType(`variant \`${v.name}\` under cfg(${pred}), set by a build script`),
      span: v.span,
      attrs: [],
    };
    return { ...v, attrs: v.attrs.filter(a => a.name !== 'cfg'), fields: [...fields, f] };
  });
}

/**
 * Expands cfg_attr and marks undecidable parts, in place: items are fresh from extraction, and
 * some carry lazy getters (fn signatures) that a copy would lose.
 */
export function applyCfg(items: Item[], ctx: CfgContext): Item[] {
  for (const it of items) {
    const ex = expandCfgAttr(it.attrs, ctx);
    if (ex) it.attrs = ex.attrs;
    if (it.kind === 'struct' || it.kind === 'union' || it.kind === 'enum') {
      const adt = it as Item & {
        repr: ReturnType<typeof reprOf>;
        fields?: Field[];
        variants?: Variant[];
      };
      if (ex) adt.repr = reprOf(ex.attrs);
      if (adt.fields) adt.fields = fieldsIn(adt.fields, ctx);
      if (adt.variants) adt.variants = variantsIn(adt.variants, ctx);
      if (ex?.uncertain && adt.fields) {
        // The representation itself is undecided: no field arithmetic can be trusted.
        adt.fields = [
          ...adt.fields,
          {
            name: '0',
            type: unknownType(`repr under cfg_attr(${ex.uncertain}), set by a build script`),
            span: it.span,
            attrs: [],
          },
        ];
      }
    }
  }
  return items;
}
