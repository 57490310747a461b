/**
 * rustc's coroutine layout (`rustc_abi::layout::coroutine`, rustc 1.95) on estimated parts:
 *
 * - the prefix is a struct of the upvars, the tag and the *promoted* saved locals (a local saved
 *   in more than one suspend variant, or one whose storage overlaps a local of another variant);
 * - every suspend variant is laid out after the prefix (`StructKind::Prefixed`) holding only
 *   its own locals, so variants overlap;
 * - size = the largest of them, rounded up to the overall alignment.
 *
 * Checked against `-Zprint-type-sizes`: `async fn top(a: [u8; 64])` holding a `Vec` and awaiting
 * a 1,096-byte future is 1,256 bytes both ways.
 */
import { alignUp, univariant, type Abi } from '../layout/abi';

export interface SavedPart {
  /** Key identifying the saved local (the same local in several variants has one key). */
  key: string;
  size: number;
  align: number;
  /** Storage interval, for conflict detection between variants. */
  from: number;
  to: number;
}

export interface CoroutineShape {
  upvars: { size: number; align: number }[];
  /** One entry per suspension point: the locals saved there (the awaitee included). */
  variants: SavedPart[][];
}

export interface CoroutineLayout {
  size: number;
  align: number;
  /** Size of the prefix (upvars, tag, promoted locals). */
  prefix: number;
  /** Keys of the promoted locals. */
  promoted: Set<string>;
  /** Size of each suspend variant, from offset 0 (prefix included). */
  variantSizes: number[];
}

const abi = (size: number, align: number): Abi => ({ size, align, uninhabited: false });

export function layoutCoroutine(shape: CoroutineShape): CoroutineLayout {
  const where = new Map<string, number>();
  const promoted = new Set<string>();
  const parts = new Map<string, SavedPart>();
  shape.variants.forEach((vs, i) => {
    for (const p of vs) {
      parts.set(p.key, p);
      const prev = where.get(p.key);
      if (prev === undefined) where.set(p.key, i);
      else if (prev !== i) promoted.add(p.key);
    }
  });
  // Eligible locals of different variants whose storage overlaps cannot share bytes: rustc
  // promotes the one with more conflicts.
  const eligible = [...parts.values()].filter(p => !promoted.has(p.key));
  const conflicts = new Map<string, string[]>();
  for (const a of eligible) {
    for (const b of eligible) {
      if (a.key === b.key || where.get(a.key) === where.get(b.key)) continue;
      if (a.from < b.to && b.from < a.to)
        (conflicts.get(a.key) ?? conflicts.set(a.key, []).get(a.key)!).push(b.key);
    }
  }
  for (const a of eligible) {
    for (const bk of conflicts.get(a.key) ?? []) {
      if (promoted.has(a.key) || promoted.has(bk)) continue;
      const ca = conflicts.get(a.key)?.length ?? 0;
      const cb = conflicts.get(bk)?.length ?? 0;
      promoted.add(ca > cb ? a.key : bk);
    }
  }
  const nVariants = 3 + shape.variants.length;
  const tag: Abi = {
    size: 1,
    align: 1,
    uninhabited: false,
    niche: { offset: 0, bytes: 1, available: BigInt(256 - nVariants) },
  };
  const prefixFields = [
    ...shape.upvars.map(u => abi(u.size, u.align)),
    tag,
    ...[...promoted].map(k => abi(parts.get(k)!.size, parts.get(k)!.align)),
  ];
  const laid = univariant(prefixFields, { inhibitReorder: false }, { kind: 'always' });
  // Variants start right after the last prefix byte, not at the aligned prefix size:
  // `async fn leaf(x: u64)` awaiting a 1-byte future is 24 bytes (awaitee at offset 9).
  const end = prefixFields.reduce((m, f, i) => Math.max(m, laid.offsets[i] + f.size), 0);
  const prefix = { size: end, align: laid.align };
  let size = prefix.size;
  let align = prefix.align;
  const variantSizes: number[] = [];
  for (const vs of shape.variants) {
    // rustc's `Prefixed` ordering: smallest alignment first, to fill the bytes after the prefix.
    const own = vs.filter(p => !promoted.has(p.key)).sort((a, b) => a.align - b.align);
    let off = prefix.size;
    let va = prefix.align;
    for (const p of own) {
      off = alignUp(off, p.align) + p.size;
      va = Math.max(va, p.align);
    }
    const vsize = alignUp(off, va);
    variantSizes.push(vsize);
    size = Math.max(size, vsize);
    align = Math.max(align, va);
  }
  return { size: alignUp(size, align), align, prefix: prefix.size, promoted, variantSizes };
}

/**
 * The size the coroutine would have with the saved part `key` (a held local or an awaitee)
 * replaced by a `size`/`align` one: a `Box` of it is 8/8. Used for "before → after" of fixes.
 */
export function relayout(
  shape: CoroutineShape,
  key: string,
  size: number,
  align: number,
): CoroutineLayout {
  return layoutCoroutine({
    upvars: shape.upvars,
    variants: shape.variants.map(vs => vs.map(p => (p.key === key ? { ...p, size, align } : p))),
  });
}
