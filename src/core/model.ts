/**
 * The syntax-level model of a Rust workspace that the index produces and the layout engine and
 * rules consume. Everything here is plain data: no tree-sitter nodes, no `vscode` types.
 *
 * Coordinates: `line` and `column` are 1-based (as rustc prints them), columns in UTF-16 code
 * units; `startOffset`/`endOffset` are offsets into the file text as a JS string (UTF-16 code
 * units, what `text.slice()` takes and what the node tree-sitter binding reports).
 */

/** A source position of an item or a piece of syntax. */
export interface Span {
  /** Absolute path of the file. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column (in UTF-16 code units of the line, which is what editors use). */
  column: number;
  /** 1-based line of the end of the syntax node. */
  endLine: number;
  /** 1-based column of the end (exclusive). */
  endColumn: number;
  /** Offset of the start in the file text (UTF-16 code units, a JS string index). */
  startOffset: number;
  /** Offset of the end (exclusive). */
  endOffset: number;
}

/** A generic argument in a path: a type, or a const expression (`N`, `4`, `{ 2 * 8 }`). */
export type GenericArg =
  | { kind: 'type'; type: TypeExpr }
  | { kind: 'const'; text: string }
  | { kind: 'lifetime'; name: string }
  /** Associated-type binding such as `Output = u32` in `Future<Output = u32>`. */
  | { kind: 'binding'; name: string; type: TypeExpr };

/** One segment of a path type: `HashMap<K, V>` has name `HashMap` and two type args. */
export interface PathSegment {
  name: string;
  args: GenericArg[];
}

/**
 * A type as written in the source, before resolution. `text` is the exact source text
 * (whitespace-normalised), used in messages.
 */
export type TypeExpr =
  /** `a::b::C<T>`, `Self`, `T`, `u8`, `<T as Trait>::Assoc` (qualified: `qself` set). */
  | { kind: 'path'; segments: PathSegment[]; global: boolean; qself?: TypeExpr; text: string }
  | { kind: 'ref'; mutable: boolean; inner: TypeExpr; text: string }
  | { kind: 'ptr'; mutable: boolean; inner: TypeExpr; text: string }
  /** `[T; N]`; `len` is the source text of the length expression. */
  | { kind: 'array'; elem: TypeExpr; len: string; text: string }
  | { kind: 'slice'; elem: TypeExpr; text: string }
  /** `()` is a tuple with no elements. */
  | { kind: 'tuple'; elems: TypeExpr[]; text: string }
  | { kind: 'never'; text: string }
  /** `fn(u8) -> u8`, `extern "C" fn()`, `unsafe fn()`. */
  | { kind: 'fnptr'; text: string }
  /** `dyn Trait + Send`: unsized. `traits` are the bound paths' texts. */
  | { kind: 'dyn'; traits: TypeExpr[]; text: string }
  /** `impl Trait`: opaque; size unknown from syntax. */
  | { kind: 'impl'; traits: TypeExpr[]; text: string }
  /** `_`, macros in type position, anything unrecognised; `error`: rustc rejects it (too deep). */
  | { kind: 'unknown'; text: string; error?: string };

/** A parsed `#[...]` or `#![...]` attribute. */
export interface Attribute {
  /** The attribute path, e.g. `repr`, `derive`, `async_trait`, `allow`, `path`, `cfg`. */
  name: string;
  /** The raw text inside the outer parentheses/brackets after the name, e.g. `C, u8` for `repr(C, u8)`. */
  args: string;
  /** `#![...]` inner attribute. */
  inner: boolean;
  span: Span;
}

/** A generic parameter of an item: `T`, `T: ?Sized`, `const N: usize`, `'a`. */
export interface GenericParam {
  kind: 'type' | 'const' | 'lifetime';
  name: string;
  /** For type params: the param may be unsized (`?Sized` bound in the list or a where clause). */
  maybeUnsized?: boolean;
  /** Default (`T = u8`, `const N: usize = 4`) as written. */
  defaultType?: TypeExpr;
  defaultConst?: string;
  /** Trait bounds as written, e.g. `["Clone", "Send"]`. */
  bounds: string[];
}

/** Parsed `#[repr(...)]` options of a struct, enum or union. */
export interface Repr {
  c: boolean;
  transparent: boolean;
  /** `repr(u8)`, `repr(i32)`, `repr(usize)`...: the integer type name. */
  int?: string;
  /** `repr(packed)` is packed(1). */
  packed?: number;
  /** `repr(align(N))`. */
  align?: number;
}

export interface Field {
  /** Field name, or its index (`"0"`, `"1"`) for tuple fields. */
  name: string;
  type: TypeExpr;
  span: Span;
  attrs: Attribute[];
}

export type FieldShape = 'named' | 'tuple' | 'unit';

export interface Variant {
  name: string;
  shape: FieldShape;
  fields: Field[];
  /** Explicit discriminant expression text (`= 1000`), if any. */
  discriminant?: string;
  span: Span;
  attrs: Attribute[];
}

export type ItemKind =
  | 'struct'
  | 'enum'
  | 'union'
  | 'type'
  | 'trait'
  | 'impl'
  | 'fn'
  | 'const'
  | 'static'
  | 'mod'
  | 'macro';

interface ItemBase {
  kind: ItemKind;
  /** Name (for impls: the self type's text, e.g. `Foo<T>` or `Trait for Foo`). */
  name: string;
  /** Canonical path, `crate_name::module::Name` (the crate segment is the crate's name). */
  path: string;
  /** Module path of the enclosing module, e.g. `crate_name::module`. */
  module: string;
  span: Span;
  /** Span of the item's name identifier. */
  nameSpan: Span;
  attrs: Attribute[];
  generics: GenericParam[];
  /** Visibility text (`pub`, `pub(crate)`) or `''` for private. */
  visibility: string;
  /**
   * Set when the item was found inside a macro invocation body (e.g. `cfg_rt! { ... }`,
   * `pin_project! { ... }`): the macro's name.
   */
  viaMacro?: string;
  /** Doc comment text (`///` lines), if any. */
  docs?: string;
}

export interface StructItem extends ItemBase {
  kind: 'struct';
  shape: FieldShape;
  fields: Field[];
  repr: Repr;
}

export interface UnionItem extends ItemBase {
  kind: 'union';
  fields: Field[];
  repr: Repr;
}

export interface EnumItem extends ItemBase {
  kind: 'enum';
  variants: Variant[];
  repr: Repr;
}

export interface TypeAliasItem extends ItemBase {
  kind: 'type';
  /** Undefined for associated types without a value in traits. */
  target?: TypeExpr;
}

export interface FnParam {
  /** Pattern text (`x`, `mut x`, `(a, b)`), or `self`, `&self`, `&mut self`, `mut self`. */
  pattern: string;
  /** Undefined for `self` shorthand forms. */
  type?: TypeExpr;
  isSelf: boolean;
  span: Span;
}

/**
 * A fn. The index may give an object whose signature fields (generics, visibility, params,
 * returnType, is*) are getters parsed on first use: read them or `JSON.stringify` it, but do not
 * copy it with `{ ...fn }`, which skips getters on the prototype.
 */
export interface FnItem extends ItemBase {
  kind: 'fn';
  params: FnParam[];
  /** Return type; undefined means `()`. */
  returnType?: TypeExpr;
  isAsync: boolean;
  isConst: boolean;
  isUnsafe: boolean;
  /** Whether the fn has a body (trait method declarations without default do not). */
  hasBody: boolean;
  /** Span of the signature (from `fn` keyword or first modifier to end of return type / where clause). */
  signatureSpan: Span;
  /** The enclosing impl or trait, if this is a method. */
  owner?: { kind: 'impl' | 'trait'; path: string; selfType?: TypeExpr; traitName?: string };
}

export interface ConstItem extends ItemBase {
  kind: 'const' | 'static';
  type?: TypeExpr;
  /** Initializer expression text (for `const N: usize = 4;`). */
  value?: string;
}

export interface TraitItem extends ItemBase {
  kind: 'trait';
  /** Paths of the methods declared in the trait (`crate::m::Trait::method`). */
  methods: string[];
  /** Associated type names. */
  assocTypes: string[];
  /** Associated types declared `?Sized` (`type Text: ?Sized;`); the others are Sized. */
  unsizedAssoc?: string[];
}

export interface ImplItem extends ItemBase {
  kind: 'impl';
  selfType: TypeExpr;
  /** Trait path as written, if a trait impl. */
  trait?: TypeExpr;
  negative: boolean;
  /** Paths of methods defined in the impl. */
  methods: string[];
  /** Associated types defined in the impl: name -> type (those without a `#[cfg]`). */
  assocTypes: Record<string, TypeExpr>;
  /** Associated types under `#[cfg]`/`#[cfg_attr]` (alternatives: the active one applies). */
  cfgAssocTypes?: { name: string; type: TypeExpr; attrs: Attribute[] }[];
  /**
   * Associated consts with a value (`const MAX: usize = 15;`): name -> initializer text. Consts
   * behind a `#[cfg]` are left out (the value the compiler uses is not known).
   */
  assocConsts?: Record<string, string>;
}

export interface ModItem extends ItemBase {
  kind: 'mod';
  /** `mod a;` (file module) vs `mod a { }`. */
  inline: boolean;
  /** Resolved file for `mod a;` (undefined if not found). */
  file?: string;
}

export interface MacroItem extends ItemBase {
  kind: 'macro';
}

export type Item =
  | StructItem
  | EnumItem
  | UnionItem
  | TypeAliasItem
  | FnItem
  | ConstItem
  | TraitItem
  | ImplItem
  | ModItem
  | MacroItem;

/** Items whose layout can be computed: the things `alloc-lens layout` reports. */
export type TypeDefItem = StructItem | EnumItem | UnionItem | TypeAliasItem;

export function isTypeDef(item: Item): item is TypeDefItem {
  return (
    item.kind === 'struct' || item.kind === 'enum' || item.kind === 'union' || item.kind === 'type'
  );
}

/** A `use` declaration, flattened: one entry per imported name. */
export interface UseEntry {
  /** The full path being imported, e.g. `std::collections::HashMap` or `crate::a::B` or `super::x`. */
  path: string[];
  /** The local name (`as` rename or last segment). For globs: `*`. */
  alias: string;
  glob: boolean;
  /** `pub use`. */
  visibility: string;
  span: Span;
  /** `#[cfg(..)]` predicates the import is compiled under (also from a `cfg_if!` branch). */
  cfg?: string[];
}

/** A warning produced while indexing (non-UTF-8 file, missing module file, ...). */
export interface IndexWarning {
  file: string;
  line?: number;
  message: string;
}
