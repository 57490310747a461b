/**
 * Struct, tuple, union and enum layouts from their fields' layouts, with the per-field and
 * per-variant details the reports show.
 */
import type { EnumItem, Field, Repr, TypeExpr, UnionItem } from '../model';
import { enumLayout, univariant, unionLayout } from './abi';
import { combineStatus, type Lay } from './lay';
import type { FieldLayout, VariantLayout } from './types';

/** The parts of a struct the layout needs (a tuple type is passed in the same shape). */
export interface StructLike {
  name?: string;
  fields: Pick<Field, 'name' | 'type'>[];
  repr: Repr;
  /** A tuple type: the last element stays last (rustc `StructKind::MaybeUnsized`). */
  isTuple?: boolean;
  /** The declared last field is not known to be Sized. */
  maybeUnsizedTail?: boolean;
}

function fieldLayouts(
  fields: Pick<Field, 'name'>[],
  lays: Lay[],
  offsets: number[],
): FieldLayout[] {
  return fields.map((f, i) => ({
    name: f.name,
    type: lays[i].text,
    offset: offsets[i],
    size: lays[i].size,
    align: lays[i].align,
    status: lays[i].status,
  }));
}

function largestOf(owner: string, fields: Pick<Field, 'name'>[], lays: Lay[]): string | undefined {
  let best = -1;
  for (let i = 0; i < lays.length; i++) if (best < 0 || lays[i].size > lays[best].size) best = i;
  if (best < 0 || lays[best].size === 0) return undefined;
  const l = lays[best];
  const head = `${owner}.${fields[best].name}`;
  return l.largest ? `${head} > ${l.largest}` : `${head}: ${l.text}`;
}

export function layoutStruct(s: StructLike, evalField: (t: TypeExpr) => Lay, text: string): Lay {
  const lays = s.fields.map(f => evalField(f.type));
  const n = lays.length;
  const kind =
    (s.isTuple && n > 0) || s.maybeUnsizedTail
      ? { kind: 'maybe-unsized' as const }
      : { kind: 'always' as const };
  const st = univariant(
    lays,
    { inhibitReorder: s.repr.c, pack: s.repr.packed, align: s.repr.align },
    kind,
  );
  const sum = lays.reduce((a, l) => a + l.size, 0);
  return {
    text,
    key: text,
    size: st.size,
    align: st.align,
    niche: st.niche,
    uninhabited: st.uninhabited,
    unsized: st.unsized,
    ...combineStatus(lays),
    fields: fieldLayouts(s.fields, lays, st.offsets),
    padding: st.unsized ? undefined : st.size - sum,
    largest: s.isTuple ? undefined : largestOf(s.name ?? text, s.fields, lays),
  };
}

export function layoutUnion(u: UnionItem, evalField: (t: TypeExpr) => Lay, text: string): Lay {
  const lays = u.fields.map(f => evalField(f.type));
  const l = unionLayout(lays, { inhibitReorder: true, pack: u.repr.packed, align: u.repr.align });
  return {
    text,
    key: text,
    ...l,
    ...combineStatus(lays),
    fields: fieldLayouts(
      u.fields,
      lays,
      lays.map(() => 0),
    ),
    largest: largestOf(u.name, u.fields, lays),
  };
}

export function layoutEnum(
  e: EnumItem,
  evalField: (t: TypeExpr) => Lay,
  text: string,
  evalDiscr: (text: string) => bigint | undefined,
): Lay {
  const lays = e.variants.map(v => v.fields.map(f => evalField(f.type)));
  const discriminants: bigint[] = [];
  const unknownDiscr: string[] = [];
  let next = 0n;
  for (const v of e.variants) {
    if (v.discriminant !== undefined) {
      const d = evalDiscr(v.discriminant);
      if (d === undefined)
        unknownDiscr.push(`${e.name}::${v.name} = ${v.discriminant} (discriminant)`);
      else next = d;
    }
    discriminants.push(next);
    next += 1n;
  }
  const explicit = e.variants.some(v => v.discriminant !== undefined);
  const l = enumLayout(
    lays,
    discriminants,
    { c: e.repr.c, int: e.repr.int, pack: e.repr.packed, align: e.repr.align },
    explicit,
  );
  const status = combineStatus(lays.flat());
  const variants: VariantLayout[] = e.variants.map((v, i) => {
    const vl = lays[i];
    const vs = combineStatus(vl);
    return {
      name: v.name,
      size: l.variants[i].size,
      fieldsSize: vl.reduce((a, f) => a + f.size, 0),
      fields: fieldLayouts(v.fields, vl, l.variants[i].offsets),
      discriminant:
        l.encoding === 'tagged' || e.repr.c || e.repr.int || explicit
          ? discriminants[i]
          : undefined,
      uninhabited: l.variants[i].uninhabited || vl.some(f => f.uninhabited),
      status: vs.status,
    };
  });
  let big = -1;
  for (let i = 0; i < variants.length; i++)
    if (big < 0 || variants[i].fieldsSize > variants[big].fieldsSize) big = i;
  const largest =
    big >= 0
      ? largestOf(`${e.name}::${variants[big].name}`, e.variants[big].fields, lays[big])
      : undefined;
  const parts = unknownDiscr.length
    ? {
        status: 'lower-bound' as const,
        unknownParts: [...(status.unknownParts ?? []), ...unknownDiscr],
      }
    : status;
  return {
    text,
    key: text,
    size: l.size,
    align: l.align,
    niche: l.niche,
    uninhabited: l.uninhabited,
    ...status,
    ...parts,
    variants,
    tag: l.tag,
    largest,
  };
}
