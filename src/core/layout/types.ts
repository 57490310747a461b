/**
 * Results of the layout engine. Sizes, offsets and alignments are in bytes for
 * x86_64-unknown-linux-gnu with rustc 1.95's rules.
 */

/** The largest niche of a layout: a scalar at `offset` of `bytes` width with `available` invalid values. */
export interface Niche {
  offset: number;
  bytes: number;
  available: bigint;
}

/**
 * - `exact`: every part is known; must equal rustc's `size_of`/`align_of`.
 * - `lower-bound`: some part (an external crate's type, an unresolved generic, `impl Trait`) is
 *   unknown and counted as size 0 the way clippy does: the true size is at least `size`.
 * - `unknown`: nothing useful can be said (`size` is 0 then and must not be shown as a number).
 */
export type LayoutStatus = 'exact' | 'lower-bound' | 'unknown';

export interface FieldLayout {
  /** Field name or tuple index. */
  name: string;
  /** The field's type as written (after generic substitution, e.g. `[u8; 50000]`). */
  type: string;
  /** Offset from the start of the struct / variant. */
  offset: number;
  size: number;
  align: number;
  status: LayoutStatus;
}

export interface VariantLayout {
  name: string;
  /** Size of the variant's own struct layout, including the tag if it is prefixed (what rustc prints). */
  size: number;
  /** Sum of the sizes of the variant's fields (what clippy compares for `large_enum_variant`). */
  fieldsSize: number;
  fields: FieldLayout[];
  /** Discriminant value, if the variant has one. */
  discriminant?: bigint;
  /** The variant is uninhabited (can never be constructed). */
  uninhabited: boolean;
  status: LayoutStatus;
}

export interface TypeLayout {
  size: number;
  align: number;
  /** Largest niche, if any. */
  niche?: Niche;
  uninhabited: boolean;
  /** The type is dynamically sized (`str`, `[T]`, `dyn Trait`, or a struct with such a tail). */
  unsized?: boolean;
  status: LayoutStatus;
  /** Struct/union/tuple fields in declaration order, with their offsets. */
  fields?: FieldLayout[];
  /** Enum variants in declaration order. */
  variants?: VariantLayout[];
  /** Enum tag, if the enum uses a tagged (not niche-filling) layout. */
  tag?: { offset: number; size: number };
  /** Total padding bytes (inter-field and tail) of a struct; for enums: padding in the largest variant. */
  padding?: number;
  /**
   * Path to the largest contributor, e.g. `DistriErr::Corrupt.0: [u8; 50000]` or
   * `Query.payload: [u8; 4096]`. Undefined for primitives.
   */
  largest?: string;
  /** Why the status is not exact: the parts that were unknown (`tokio::sync::Mutex<u8>`, `T`). */
  unknownParts?: string[];
  /** Size and align were confirmed by rustc (exact mode) rather than estimated. */
  confirmed?: boolean;
  /** A hard error: infinite size (recursive without indirection), overflow, cycle... */
  error?: string;
}
