/**
 * The contract between the workspace index (which knows items, modules and `use` declarations)
 * and the consumers that need to turn a written type into a definition (layout engine, rules).
 */
import type { Attribute, ImplItem, Item, TypeDefItem, TypeExpr } from './model';

/** What a path type such as `Vec<u8>`, `crate::a::B` or `io::Error` refers to. */
export type Resolution =
  /** A struct, enum, union or type alias of the workspace. */
  | { kind: 'item'; item: TypeDefItem; via?: string }
  /**
   * A standard-library type, by canonical path: `core::`/`alloc::` prefixes and re-export
   * paths are normalised to the `std::` path documented in std docs, e.g.
   * `std::collections::HashMap`, `std::vec::Vec`, `std::sync::atomic::AtomicU64`,
   * `std::num::NonZeroU32`, `std::io::Error`, `std::io::Result` (an alias).
   */
  | { kind: 'std'; path: string }
  /** A primitive: `u8`..`u128`, `i8`..`i128`, `usize`, `isize`, `f32`, `f64`, `bool`, `char`, `str`. */
  | { kind: 'primitive'; name: string }
  /** A trait of the workspace or std (seen in `dyn`/`impl` or a bare trait path). */
  | { kind: 'trait'; path: string }
  /** Resolves to a path in another crate that is not in the workspace (`tokio::sync::Mutex`). */
  | { kind: 'external'; path: string }
  /** Nothing found. */
  | { kind: 'unresolved'; path: string };

export interface TypeResolver {
  /**
   * Resolve a path type written in module `module` (e.g. `mycrate::a::b`). The engine handles
   * generic parameters and `Self` itself before asking; `expr.kind` is always `'path'`.
   */
  resolveType(module: string, expr: Extract<TypeExpr, { kind: 'path' }>): Resolution;
  /**
   * Evaluate a const expression (array length, const generic argument) written in `module`:
   * integer literals with suffixes and `_`, paths to `const` items, `usize::MAX`-style constants,
   * `+ - * / << >> %` and parentheses. Returns undefined if it cannot.
   */
  evalConst(module: string, text: string, env?: ReadonlyMap<string, bigint>): bigint | undefined;
  /**
   * evalConst that also says when rustc rejects the expression (`error`, in rustc's words:
   * division by zero, overflow, a const cycle). Optional: without it errors read as unknown.
   */
  evalConstChecked?(
    module: string,
    text: string,
    env?: ReadonlyMap<string, bigint>,
  ): { value?: bigint; error?: string };
  /**
   * Parse a type written as text (`u64` in `size_of::<u64>()`). Optional: the engine then leaves
   * such array lengths unknown. The index provides it, so layout/ needs no import of index/.
   */
  parseType?(text: string): TypeExpr | undefined;
  /**
   * The type a type-position macro call (`Token![::]`, kept as an `unknown` type with its text)
   * written in `module` expands to, through the crate's `macro_rules!`; undefined when it cannot
   * be expanded. Optional: without it such types stay unknown.
   */
  expandTypeMacro?(module: string, text: string): TypeExpr | undefined;
  /**
   * Whether something with these attributes is compiled in a default build for the layout
   * target (its `#[cfg(...)]` predicates hold). Optional: without it everything counts.
   */
  isActive?(module: string, attrs: readonly Attribute[]): boolean;
  /**
   * Trait impls with associated types whose self type is `item` (in the item's crate, modules
   * read so far), for projections like `<Map<String, Value> as IntoIterator>::IntoIter`.
   */
  traitImplsOf?(item: TypeDefItem): ImplItem[];
  /** The item (any kind: trait, fn, const) a path names from `module`, if any. */
  resolveItem?(module: string, segments: string[]): Item | undefined;
  /**
   * The first definition of `item`'s path when `item` is another one of the same shape (spans,
   * docs and its own cfg aside): its layout is that one's. Optional: without it each is laid out.
   */
  identicalTo?(item: TypeDefItem): TypeDefItem | undefined;
}
