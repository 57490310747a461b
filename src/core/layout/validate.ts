/**
 * What rustc rejects before it computes a layout, in rustc's words: invalid `repr(align)` /
 * `repr(packed)` values, array lengths that are negative or do not fit a usize, discriminants out
 * of range or overflowing, const-eval errors. The engine turns each into a per-type `error`, so
 * such a type is never reported `exact` (measured: `[u8; -1]` was "exact, -1 B" before).
 */
import type { EnumItem, Repr, TypeDefItem, TypeExpr } from '../model';

/** rustc's `MAX_ALIGN`-derived limit for `repr(align)`: 2^29 bytes. */
const MAX_REPR_ALIGN = 2 ** 29;
const USIZE_LIMIT = 1n << 64n;

const INT_RANGE: Record<string, [bigint, bigint]> = {};
for (const bits of [8, 16, 32, 64, 128]) {
  INT_RANGE[`u${bits}`] = [0n, (1n << BigInt(bits)) - 1n];
  INT_RANGE[`i${bits}`] = [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n];
}
INT_RANGE.usize = INT_RANGE.u64;
INT_RANGE.isize = INT_RANGE.i64;

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** E0589: `repr(align(N))` / `repr(packed(N))` must be powers of two, align at most 2^29. */
export function reprError(repr: Repr): string | undefined {
  if (repr.align !== undefined) {
    if (!isPowerOfTwo(repr.align)) return 'invalid `repr(align)` attribute: not a power of two';
    if (repr.align > MAX_REPR_ALIGN) return 'invalid `repr(align)` attribute: larger than 2^29';
  }
  if (repr.packed !== undefined) {
    if (!isPowerOfTwo(repr.packed)) return 'invalid `repr(packed)` attribute: not a power of two';
    if (repr.packed > MAX_REPR_ALIGN) return 'invalid `repr(packed)` attribute: larger than 2^29';
  }
  return undefined;
}

/** An array length must be a usize: E0600 for a negative literal, overflow otherwise. */
export function arrayLengthError(len: string, n: bigint): string | undefined {
  if (n < 0n) {
    return /^\s*-/.test(len)
      ? 'cannot apply unary operator `-` to type `usize`'
      : `attempt to compute \`${len}\`, which would overflow (array lengths are usize)`;
  }
  if (n >= USIZE_LIMIT)
    return `attempt to compute \`${len}\`, which would overflow (array lengths are usize)`;
  return undefined;
}

/**
 * Discriminants of an enum (only its compiled variants): each within the repr integer (isize by
 * default), an implicit one not past the maximum (E0370), no value twice (E0081). `evalDiscr`
 * returns the value, an `error` in rustc's words, or neither when it cannot evaluate.
 */
export function discriminantError(
  e: EnumItem,
  evalDiscr: (text: string) => { value?: bigint; error?: string },
): string | undefined {
  const int = e.repr.int ?? 'isize';
  const [min, max] = INT_RANGE[int];
  const seen = new Map<bigint, string>();
  let prev: bigint | undefined;
  let known = true;
  for (const v of e.variants) {
    let d: bigint | undefined;
    if (v.discriminant !== undefined) {
      const r = evalDiscr(v.discriminant);
      if (r.error) return r.error;
      d = r.value;
      if (d !== undefined && (d < min || d > max)) {
        return d < 0n && min === 0n
          ? `cannot apply unary operator \`-\` to type \`${int}\``
          : `literal out of range for \`${int}\``;
      }
      known = d !== undefined;
    } else if (known) {
      d = prev === undefined ? 0n : prev + 1n;
      if (d > max) return 'enum discriminant overflowed';
    }
    if (d !== undefined && known) {
      const other = seen.get(d);
      if (other !== undefined)
        return `discriminant value \`${d}\` assigned more than once (${other} and ${v.name})`;
      seen.set(d, v.name);
    }
    prev = d;
  }
  return undefined;
}

/** The first reason rustc rejects this item's definition itself (not its fields), if any. */
export function itemError(
  item: TypeDefItem,
  evalDiscr: (text: string) => { value?: bigint; error?: string },
): string | undefined {
  if (item.kind === 'type') return undefined;
  const repr = reprError(item.repr);
  if (repr) return repr;
  return item.kind === 'enum' ? discriminantError(item as EnumItem, evalDiscr) : undefined;
}

/** Every path type inside `t` (generic arguments, pointees, elements included). */
export function pathsIn(
  t: TypeExpr,
  out: Extract<TypeExpr, { kind: 'path' }>[] = [],
): Extract<TypeExpr, { kind: 'path' }>[] {
  switch (t.kind) {
    case 'path':
      out.push(t);
      if (t.qself) pathsIn(t.qself, out);
      for (const s of t.segments)
        for (const a of s.args) if (a.kind === 'type' || a.kind === 'binding') pathsIn(a.type, out);
      break;
    case 'ref':
    case 'ptr':
      pathsIn(t.inner, out);
      break;
    case 'array':
    case 'slice':
      pathsIn(t.elem, out);
      break;
    case 'tuple':
      for (const e of t.elems) pathsIn(e, out);
      break;
    case 'dyn':
    case 'impl':
      for (const e of t.traits) pathsIn(e, out);
      break;
  }
  return out;
}

/**
 * E0391: a type alias whose expansion reaches itself, through any nesting (`type A = Vec<B>;
 * type B = Option<A>;` is rejected although a Vec would be a pointer). `resolveAlias` returns the
 * alias item a path names in a module, if it names one.
 */
export function aliasCycleError(
  alias: TypeDefItem,
  resolveAlias: (module: string, p: Extract<TypeExpr, { kind: 'path' }>) => TypeDefItem | undefined,
): string | undefined {
  const visited = new Set<string>();
  const stack: TypeDefItem[] = [alias];
  while (stack.length) {
    const a = stack.pop()!;
    if (a.kind !== 'type' || !a.target) continue;
    for (const p of pathsIn(a.target)) {
      const next = resolveAlias(a.module, p);
      if (!next) continue;
      if (next.path === alias.path)
        return `cycle detected when expanding type alias \`${alias.name}\``;
      if (!visited.has(next.path)) {
        visited.add(next.path);
        stack.push(next);
      }
    }
  }
  return undefined;
}
