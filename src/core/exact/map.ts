/**
 * Maps the types rustc printed in exact mode back to their definitions in the workspace index.
 *
 * rustc prints the crate's own types relative to the crate root (`proto::Query`, `Wrapper<u16>`,
 * `store::Store`) and other crates' types with their crate name (`tokio::sync::Notify`,
 * `std::vec::Vec<u8>`). A printed name maps to the index item whose path is
 * `<crate>::<printed path without generic arguments>`.
 */
import { TypeDefItem } from '../model';
import type { ExactType } from './print-type-sizes';
import type { ExactResult } from './run';

/** One printed type and the definition it maps to (if any). */
export interface ExactMapping {
  exact: ExactType;
  /** Printed path without generic arguments, crate-qualified: `ddsplit::proto::Envelope`. */
  path: string;
  /** Generic arguments text when the printed name is an instantiation (`u16` for `Envelope<u16>`). */
  args?: string;
  /** The definition, when found. */
  item?: TypeDefItem;
}

/** Result of {@link mapExactToIndex}. */
export interface ExactMap {
  /** The crate's own types (not std, not a dependency), mapped or not. */
  own: ExactMapping[];
  /** Own types that found their definition. */
  mapped: ExactMapping[];
  /** Own types without a definition in the index (e.g. types local to a fn body). */
  unmapped: ExactMapping[];
  /** Share of own types mapped, 0..1 (1 when there are none). */
  ratio: number;
}

/** Splits `a::B<C<D>, E>` into `a::B` and `C<D>, E` at the first top-level `<`. */
export function splitGenerics(name: string): { base: string; args?: string } {
  let depth = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '<') {
      if (depth === 0 && i > 0 && name[i - 1] !== ':' && name.endsWith('>')) return { base: name.slice(0, i), args: name.slice(i + 1, -1) };
      depth++;
    } else if (c === '>') depth--;
  }
  return { base: name };
}

/**
 * Whether a printed name belongs to the compiled crate: not std, not one of `externCrates`, and
 * (when `localSegments` is given) its first path segment is a top-level module or type of the crate.
 */
export function isOwnTypeName(name: string, crateName: string, externCrates: readonly string[], localSegments?: ReadonlySet<string>): boolean {
  if (name.startsWith('<') || name.startsWith('{') || name.startsWith('(') || name.startsWith('[') || name.startsWith('&')) return false;
  const { base } = splitGenerics(name);
  const first = base.split('::')[0];
  if (['std', 'core', 'alloc', 'proc_macro', 'unwind', 'hashbrown', 'std_detect', 'compiler_builtins'].includes(first)) return false;
  if (first === crateName) return true;
  if (externCrates.includes(first)) return false;
  // `a::B` where `a` is neither a module nor a type of this crate: a transitive dependency.
  if (localSegments && base.includes('::') && !localSegments.has(first)) return false;
  return true;
}

/** Maps the own types of `result` to `typeDefs` (the workspace index's `typeDefs()`). */
export function mapExactToIndex(result: ExactResult, typeDefs: readonly TypeDefItem[]): ExactMap {
  const byPath = new Map<string, TypeDefItem>();
  for (const d of typeDefs) if (d.kind !== 'type' && !byPath.has(d.path)) byPath.set(d.path, d);
  for (const d of typeDefs) if (!byPath.has(d.path)) byPath.set(d.path, d);
  const prefix = result.crateName + '::';
  const local = new Set<string>();
  for (const d of typeDefs) if (d.path.startsWith(prefix)) local.add(d.path.slice(prefix.length).split('::')[0]);
  const own: ExactMapping[] = [];
  for (const t of result.types) {
    if (!isOwnTypeName(t.name, result.crateName, result.externCrates ?? [], local)) continue;
    const { base, args } = splitGenerics(t.name);
    const p = base.startsWith(result.crateName + '::') ? base : `${result.crateName}::${base}`;
    const m: ExactMapping = { exact: t, path: p };
    if (args !== undefined) m.args = args;
    const item = byPath.get(p);
    if (item) m.item = item;
    own.push(m);
  }
  const mapped = own.filter(m => m.item);
  return { own, mapped, unmapped: own.filter(m => !m.item), ratio: own.length ? mapped.length / own.length : 1 };
}
