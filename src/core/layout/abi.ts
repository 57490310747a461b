/**
 * rustc's layout algorithm for x86_64 (rustc 1.95), on already-computed field layouts:
 * struct/tuple field reordering with niche bias, enums (niche-filling vs tagged, tag widening),
 * unions and arrays. Follows `rustc_abi::layout` (`univariant`, `layout_of_enum`,
 * `calculate_niche_filling_layout`, tagged layout) as summarised in
 * shared/notes/research-static.md section 4.
 */
import type { Niche } from './types';

/** A computed layout as the algorithm needs it. */
export interface Abi {
  size: number;
  align: number;
  niche?: Niche;
  uninhabited: boolean;
  unsized?: boolean;
}

/** rustc refuses objects of 2^61 bytes or more on 64-bit targets (`obj_size_bound`). */
export const OBJ_SIZE_BOUND = 2 ** 61;

export class LayoutOverflow extends Error {
  constructor() {
    super('values of this type are too big for the target architecture');
  }
}

export function alignUp(n: number, a: number): number {
  const r = n % a;
  return r === 0 ? n : n + (a - r);
}

function tz(n: number): number {
  let z = 0;
  while (n > 1 && n % 2 === 0) {
    n /= 2;
    z++;
  }
  return n === 0 ? 0 : z;
}

const avail = (a: Abi): bigint => a.niche?.available ?? 0n;
const is1Zst = (a: Abi): boolean => a.size === 0 && a.align === 1;

export type StructKind =
  | { kind: 'always' }
  | { kind: 'maybe-unsized' }
  | { kind: 'prefixed'; size: number; align: number };

export interface ReprOpts {
  /** repr(C) or repr(int): no field reordering. */
  inhibitReorder: boolean;
  pack?: number;
  align?: number;
}

export interface Univariant extends Abi {
  /** Offset of each field, in declaration order. */
  offsets: number[];
  /** Field indices in memory order. */
  memoryOrder: number[];
}

function univariantBiased(
  fields: Abi[],
  repr: ReprOpts,
  kind: StructKind,
  bias: 'start' | 'end',
): Univariant {
  const n = fields.length;
  const order = fields.map((_, i) => i);
  const pack = repr.pack;
  if (!repr.inhibitReorder && n > 1) {
    const end = kind.kind === 'maybe-unsized' ? n - 1 : n;
    const sortable = order.slice(0, end);
    const excl = fields.slice(0, end);
    // A loop, not Math.max(...spread): a 250,000-field tuple overflowed the stack (fuzzing).
    let maxFieldAlign = 1;
    for (const f of excl) if (f.align > maxFieldAlign) maxFieldAlign = f.align;
    let largestNiche = 0n;
    for (const f of excl) if (avail(f) > largestNiche) largestNiche = avail(f);
    const group = (f: Abi): number => {
      if (pack !== undefined) return Math.min(f.align, pack);
      const sizeAsAlign = tz(Math.max(f.align, f.size));
      if (largestNiche > 0n) {
        if (bias === 'start') return Math.min(tz(maxFieldAlign), sizeAsAlign);
        return avail(f) === largestNiche ? tz(f.align) : sizeAsAlign;
      }
      return sizeAsAlign;
    };
    const keyed = sortable.map((i, pos) => {
      const f = fields[i];
      const g = group(f);
      const ns = avail(f);
      if (kind.kind === 'prefixed') return { i, pos, k: [g, ns, 0n] as [number, bigint, bigint] };
      const nicheKey = bias === 'start' ? -ns : ns;
      let innerKey = 0n;
      if (f.niche)
        innerKey =
          bias === 'start'
            ? BigInt(f.niche.offset)
            : -BigInt(f.size - f.niche.offset - f.niche.bytes);
      return { i, pos, k: [-g, nicheKey, innerKey] as [number, bigint, bigint] };
    });
    keyed.sort((a, b) => {
      if (a.k[0] !== b.k[0]) return a.k[0] - b.k[0];
      if (a.k[1] !== b.k[1]) return a.k[1] < b.k[1] ? -1 : 1;
      if (a.k[2] !== b.k[2]) return a.k[2] < b.k[2] ? -1 : 1;
      return a.pos - b.pos;
    });
    for (let j = 0; j < keyed.length; j++) order[j] = keyed[j].i;
  }
  let align = 1;
  let offset = 0;
  if (kind.kind === 'prefixed') {
    const pa = pack !== undefined ? Math.min(kind.align, pack) : kind.align;
    align = Math.max(align, pa);
    offset = alignUp(kind.size, pa);
  }
  const offsets = new Array<number>(n).fill(0);
  let niche: Niche | undefined;
  let best = 0n;
  let uninhabited = false;
  let unsized = false;
  for (const i of order) {
    const f = fields[i];
    const fa = pack !== undefined ? Math.min(f.align, pack) : f.align;
    offset = alignUp(offset, fa);
    align = Math.max(align, fa);
    offsets[i] = offset;
    if (f.uninhabited) uninhabited = true;
    if (f.unsized) unsized = true;
    if (f.niche) {
      const a = f.niche.available;
      if (bias === 'start' ? a > best : a >= best) {
        best = a;
        niche = { offset: f.niche.offset + offset, bytes: f.niche.bytes, available: a };
      }
    }
    offset += f.size;
    if (offset >= OBJ_SIZE_BOUND) throw new LayoutOverflow();
  }
  if (repr.align !== undefined) align = Math.max(align, repr.align);
  const size = alignUp(offset, align);
  if (size >= OBJ_SIZE_BOUND) throw new LayoutOverflow();
  return {
    size,
    align,
    niche,
    uninhabited,
    unsized: unsized || undefined,
    offsets,
    memoryOrder: order,
  };
}

/** rustc's `univariant`: the Start-biased layout, or the End-biased one when it moves the niche to an edge. */
export function univariant(fields: Abi[], repr: ReprOpts, kind: StructKind): Univariant {
  const l = univariantBiased(fields, repr, kind, 'start');
  if (kind.kind !== 'maybe-unsized' && l.niche && fields.length > 1) {
    const head = l.niche.offset;
    const tail = l.size - head - l.niche.bytes;
    if (head !== 0 && tail > 0) {
      const alt = univariantBiased(fields, repr, kind, 'end');
      if (alt.niche) {
        const altHead = alt.niche.offset;
        if (altHead > head && altHead > tail) return alt;
      }
    }
  }
  return l;
}

export function unionLayout(fields: Abi[], repr: ReprOpts): Abi {
  let align = 1;
  let size = 0;
  for (const f of fields) {
    align = Math.max(align, f.align);
    size = Math.max(size, f.size);
  }
  if (repr.pack !== undefined) align = Math.min(align, repr.pack);
  if (repr.align !== undefined) align = Math.max(align, repr.align);
  return { size: alignUp(size, align), align, uninhabited: false };
}

export function arrayLayout(elem: Abi, count: bigint): Abi {
  const total = BigInt(elem.size) * count;
  if (total >= BigInt(OBJ_SIZE_BOUND)) throw new LayoutOverflow();
  return {
    size: Number(total),
    align: elem.align,
    niche: count > 0n ? elem.niche : undefined,
    uninhabited: count > 0n && elem.uninhabited,
  };
}

export interface EnumRepr {
  c: boolean;
  /** repr(u8) etc.: integer name. */
  int?: string;
  pack?: number;
  align?: number;
}

export interface EnumVariantOut {
  size: number;
  /** Field offsets (declaration order) within the enum. */
  offsets: number[];
  uninhabited: boolean;
}

export interface EnumLayout extends Abi {
  variants: EnumVariantOut[];
  tag?: { offset: number; size: number };
  /** `niche` when the enum stores its discriminant in a field's invalid values. */
  encoding: 'single' | 'niche' | 'tagged' | 'empty';
}

const INT_SIZE: Record<string, [number, boolean]> = {
  u8: [1, false],
  u16: [2, false],
  u32: [4, false],
  u64: [8, false],
  u128: [16, false],
  usize: [8, false],
  i8: [1, true],
  i16: [2, true],
  i32: [4, true],
  i64: [8, true],
  i128: [16, true],
  isize: [8, true],
};

function fitUnsigned(v: bigint): number {
  if (v <= 0xffn) return 1;
  if (v <= 0xffffn) return 2;
  if (v <= 0xffffffffn) return 4;
  if (v <= 0xffffffffffffffffn) return 8;
  return 16;
}

function fitSigned(v: bigint): number {
  for (const b of [1, 2, 4, 8]) {
    const lim = 1n << BigInt(b * 8 - 1);
    if (v >= -lim && v < lim) return b;
  }
  return 16;
}

function wrapSigned(v: bigint, bits: number): bigint {
  const m = 1n << BigInt(bits);
  let x = ((v % m) + m) % m;
  if (x >= m >> 1n) x -= m;
  return x;
}

function intForAlign(align: number): number | undefined {
  return [1, 2, 4, 8, 16].includes(align) ? align : undefined;
}

/**
 * Lay out an enum from its variants' field layouts and discriminants (already evaluated, in the
 * discriminant type's value space). `explicitDiscr` disables niche filling, as in rustc.
 */
export function enumLayout(
  variants: Abi[][],
  discriminants: bigint[],
  repr: EnumRepr,
  explicitDiscr: boolean,
): EnumLayout {
  const inhibit = repr.c || repr.int !== undefined;
  const reprOpts: ReprOpts = { inhibitReorder: inhibit, pack: repr.pack, align: repr.align };
  const absent = (v: Abi[]) => v.some(f => f.uninhabited) && v.every(is1Zst);
  const present = variants.map((v, i) => (!repr.c && absent(v) ? -1 : i)).filter(i => i >= 0);
  if (present.length === 0) {
    return {
      size: 0,
      align: 1,
      uninhabited: true,
      variants: variants.map(v => ({ size: 0, offsets: v.map(() => 0), uninhabited: true })),
      encoding: 'empty',
    };
  }
  if (present.length === 1 && !inhibit) {
    const only = present[0];
    const st = univariant(variants[only], reprOpts, { kind: 'always' });
    return {
      size: st.size,
      align: st.align,
      niche: st.niche,
      uninhabited: st.uninhabited,
      variants: variants.map((v, i) =>
        i === only
          ? { size: st.size, offsets: st.offsets, uninhabited: st.uninhabited }
          : { size: 0, offsets: v.map(() => 0), uninhabited: true },
      ),
      encoding: 'single',
    };
  }
  const tagged = taggedLayout(variants, discriminants, repr, reprOpts);
  const niche = inhibit || explicitDiscr ? undefined : nicheLayout(variants, reprOpts, absent);
  if (!niche) return tagged;
  const ts = tagged.niche?.available ?? 0n;
  const ns = niche.niche?.available ?? 0n;
  if (tagged.size > niche.size || (tagged.size === niche.size && ts < ns)) return niche;
  return tagged;
}

function nicheLayout(
  variants: Abi[][],
  repr: ReprOpts,
  absent: (v: Abi[]) => boolean,
): EnumLayout | undefined {
  if (variants.length < 2) return undefined;
  let align = 1;
  const lays = variants.map(v => {
    const st = univariant(v, repr, { kind: 'always' });
    align = Math.max(align, st.align);
    return st;
  });
  let largest = 0;
  for (let i = 0; i < lays.length; i++) if (lays[i].size >= lays[largest].size) largest = i;
  const needs = variants.map((v, i) => i !== largest && !absent(v));
  const first = needs.indexOf(true);
  const last = needs.lastIndexOf(true);
  if (first < 0) return undefined;
  const count = BigInt(last - first + 1);
  const nn = lays[largest].niche;
  if (!nn || nn.available < count) return undefined;
  if (repr.align !== undefined) align = Math.max(align, repr.align);
  const size = alignUp(lays[largest].size, align);
  const out: EnumVariantOut[] = [];
  for (let i = 0; i < lays.length; i++) {
    const l = lays[i];
    if (i === largest || l.size <= nn.offset) {
      out.push({ size: l.size, offsets: l.offsets, uninhabited: l.uninhabited });
      continue;
    }
    const thisOffset = alignUp(nn.offset + nn.bytes, l.align);
    if (thisOffset + l.size > size) return undefined;
    out.push({
      size: l.size,
      offsets: l.offsets.map(o => o + thisOffset),
      uninhabited: l.uninhabited,
    });
  }
  const uninhabited = lays.every((l, i) => l.uninhabited || absent(variants[i]));
  return {
    size,
    align,
    niche: { ...nn, available: nn.available - count },
    uninhabited,
    variants: out,
    encoding: 'niche',
  };
}

function taggedLayout(
  variants: Abi[][],
  discriminants: bigint[],
  repr: EnumRepr,
  reprOpts: ReprOpts,
): EnumLayout {
  const [discrBytes, discrSigned] = repr.int ? INT_SIZE[repr.int] : [8, true];
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (let i = 0; i < variants.length; i++) {
    if (!repr.c && variants[i].some(f => f.uninhabited)) continue;
    let v = discriminants[i];
    if (discrSigned) v = wrapSigned(v, discrBytes * 8);
    if (min === undefined || v < min) min = v;
    if (max === undefined || v > max) max = v;
  }
  if (min === undefined || max === undefined) min = max = 0n;
  let minIty: number;
  let signed: boolean;
  if (repr.int) {
    [minIty, signed] = INT_SIZE[repr.int];
  } else {
    const atLeast = repr.c ? 4 : 1;
    const u = min < 0n ? 16 : fitUnsigned(max > min ? max : min);
    const s = Math.max(fitSigned(min), fitSigned(max));
    [minIty, signed] = min >= 0n ? [Math.max(u, atLeast), false] : [Math.max(s, atLeast), true];
  }
  let prefixAlign = minIty;
  if (repr.c)
    for (const v of variants) for (const f of v) prefixAlign = Math.max(prefixAlign, f.align);
  let size = 0;
  let align = 1;
  let startAlign = 256;
  const lays = variants.map(v => {
    const st = univariant(v, reprOpts, { kind: 'prefixed', size: minIty, align: prefixAlign });
    for (const fi of [...st.memoryOrder].sort((a, b) => st.offsets[a] - st.offsets[b])) {
      if (!is1Zst(v[fi])) {
        startAlign = Math.min(startAlign, v[fi].align);
        break;
      }
    }
    size = Math.max(size, st.size);
    align = Math.max(align, st.align);
    return st;
  });
  if (repr.align !== undefined) align = Math.max(align, repr.align);
  size = alignUp(size, align);
  if (size >= OBJ_SIZE_BOUND) throw new LayoutOverflow();
  let ity = repr.c || repr.int ? minIty : (intForAlign(startAlign) ?? minIty);
  if (ity <= minIty) ity = minIty;
  const range = max - min + 1n;
  const available = (1n << BigInt(ity * 8)) - range;
  void signed;
  const uninhabited = variants.every(v => v.some(f => f.uninhabited));
  return {
    size,
    align,
    niche: available > 0n ? { offset: 0, bytes: ity, available } : undefined,
    uninhabited,
    variants: lays.map(l => ({ size: l.size, offsets: l.offsets, uninhabited: l.uninhabited })),
    tag: { offset: 0, size: ity },
    encoding: 'tagged',
  };
}
