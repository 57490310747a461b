/**
 * The engine's working value: a layout plus what is known about it, and helpers to combine them.
 */
import type { Abi } from './abi';
import type { FieldLayout, LayoutStatus, TypeLayout, VariantLayout } from './types';

export interface Lay extends Abi {
  status: LayoutStatus;
  /** The type as written after generic substitution (`Wrapper<u16>`). */
  text: string;
  /** Canonical identity for memoisation (`crate::a::W<u16>`). */
  key: string;
  unknownParts?: string[];
  /** Largest contributor path (`E::V.0: [u8; 100]`). */
  largest?: string;
  error?: string;
  fields?: FieldLayout[];
  variants?: VariantLayout[];
  tag?: { offset: number; size: number };
  padding?: number;
  /** Size and align come from rustc (exact mode). */
  confirmed?: boolean;
}

/** A generic argument evaluated lazily: pointers only need to know whether it is sized. */
export interface LazyArg {
  text: string;
  key: string;
  lay(): Lay;
  /** true: dynamically sized; false: sized; undefined: cannot tell (`T: ?Sized` unbound). */
  unsized(): boolean | undefined;
  /**
   * The pointer metadata of an unsized type: `dyn` (a vtable pointer, never null, so a raw
   * pointer to it has a niche) or `len` (slices, `str`); undefined when unknown or sized.
   */
  tail?(): 'dyn' | 'len' | undefined;
  /** For const generic arguments: the value, evaluated where the argument was written. */
  constValue?: () => bigint | undefined;
  /**
   * `<arg as Trait>::Assoc` (trait by its resolved path), from the argument's impl of the trait,
   * evaluated where the argument was written; undefined when that cannot be told.
   */
  project?(traitPath: string, assoc: string): Lay | undefined;
}

export function fixed(
  text: string,
  size: number,
  align: number,
  niche?: Abi['niche'],
  extra: Partial<Lay> = {},
): Lay {
  return { text, key: text, size, align, niche, uninhabited: false, status: 'exact', ...extra };
}

export function unknownLay(text: string, why: string = text): Lay {
  return {
    text,
    key: `?${text}`,
    size: 0,
    align: 1,
    uninhabited: false,
    status: 'unknown',
    unknownParts: [why],
  };
}

export function errorLay(text: string, error: string): Lay {
  return { text, key: `!${text}`, size: 0, align: 1, uninhabited: false, status: 'unknown', error };
}

/** Status of a composite from its parts: any unknown or partial part makes it a lower bound. */
export function combineStatus(parts: Lay[]): {
  status: LayoutStatus;
  unknownParts?: string[];
  error?: string;
} {
  let status: LayoutStatus = 'exact';
  const unknown: string[] = [];
  let error: string | undefined;
  for (const p of parts) {
    if (p.status !== 'exact') status = 'lower-bound';
    if (p.unknownParts) for (const u of p.unknownParts) if (!unknown.includes(u)) unknown.push(u);
    if (p.error && !error) error = p.error;
  }
  return { status, unknownParts: unknown.length ? unknown : undefined, error };
}

/** Drop the niche (UnsafeCell, MaybeUninit hide their contents' invalid values). */
export function noNiche(l: Lay): Lay {
  return { ...l, niche: undefined };
}

export function toTypeLayout(l: Lay): TypeLayout {
  return {
    size: l.size,
    align: l.align,
    niche: l.niche,
    uninhabited: l.uninhabited,
    unsized: l.unsized,
    status: l.error ? 'unknown' : l.status,
    fields: l.fields,
    variants: l.variants,
    tag: l.tag,
    padding: l.padding,
    largest: l.largest,
    unknownParts: l.unknownParts,
    error: l.error,
    confirmed: l.confirmed,
  };
}
