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
  /** Where a type defined inside a fn body (`coop::with_budget::ResetGuard`) is declared; no `item`. */
  location?: { file: string; line: number };
}

/** What {@link mapExactToIndex} uses of the workspace index to find types local to fn bodies. */
export interface FnLocalLookup {
  fileNames(): string[];
  moduleOf(file: string): string | undefined;
  fileText(file: string): string | undefined;
}

/** Result of {@link mapExactToIndex}. */
export interface ExactMap {
  /** The crate's own types (not std, not a dependency), mapped or not. */
  own: ExactMapping[];
  /** Own types that found their definition (an index item, or a declaration inside a fn body). */
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
      if (depth === 0 && i > 0 && name[i - 1] !== ':' && name.endsWith('>'))
        return { base: name.slice(0, i), args: name.slice(i + 1, -1) };
      depth++;
    } else if (c === '>') depth--;
  }
  return { base: name };
}

/**
 * Whether a printed name belongs to the compiled crate: not std, not one of `externCrates`, and
 * (when `localSegments` is given) its first path segment is a top-level module or type of the crate.
 */
export function isOwnTypeName(
  name: string,
  crateName: string,
  externCrates: readonly string[],
  localSegments?: ReadonlySet<string>,
): boolean {
  if (
    name.startsWith('<') ||
    name.startsWith('{') ||
    name.startsWith('(') ||
    name.startsWith('[') ||
    name.startsWith('&')
  )
    return false;
  const { base } = splitGenerics(name);
  const first = base.split('::')[0];
  if (
    [
      'std',
      'core',
      'alloc',
      'proc_macro',
      'unwind',
      'hashbrown',
      'std_detect',
      'compiler_builtins',
    ].includes(first)
  )
    return false;
  if (first === crateName) return true;
  if (externCrates.includes(first)) return false;
  // `a::B` where `a` is neither a module nor a type of this crate: a transitive dependency.
  if (localSegments && base.includes('::') && !localSegments.has(first)) return false;
  return true;
}

/** Maps the own types of `result` to `typeDefs` (the workspace index's `typeDefs()`). */
export function mapExactToIndex(
  result: ExactResult,
  typeDefs: readonly TypeDefItem[],
  index?: FnLocalLookup,
): ExactMap {
  const byPath = new Map<string, TypeDefItem>();
  for (const d of typeDefs) if (d.kind !== 'type' && !byPath.has(d.path)) byPath.set(d.path, d);
  for (const d of typeDefs) if (!byPath.has(d.path)) byPath.set(d.path, d);
  const prefix = result.crateName + '::';
  const local = new Set<string>();
  for (const d of typeDefs)
    if (d.path.startsWith(prefix)) local.add(d.path.slice(prefix.length).split('::')[0]);
  const own: ExactMapping[] = [];
  for (const t of result.types) {
    if (!isOwnTypeName(t.name, result.crateName, result.externCrates ?? [], local)) continue;
    const { base, args } = splitGenerics(t.name);
    // rustc prints local types relative to the crate root, so `bytes::Bytes` in crate `bytes` is
    // `bytes::bytes::Bytes`; the already-qualified reading is the fallback.
    let p = `${result.crateName}::${base}`;
    if (!byPath.has(p) && base.startsWith(prefix) && byPath.has(base)) p = base;
    const m: ExactMapping = { exact: t, path: p };
    if (args !== undefined) m.args = args;
    const item = byPath.get(p);
    if (item) m.item = item;
    else if (index) {
      const loc = locateFnLocal(p, result.crateName, index);
      if (loc) m.location = loc;
    }
    own.push(m);
  }
  const found = (m: ExactMapping) => !!(m.item || m.location);
  const mapped = own.filter(found);
  return {
    own,
    mapped,
    unmapped: own.filter(m => !found(m)),
    ratio: own.length ? mapped.length / own.length : 1,
  };
}

/**
 * Instantiations rustc printed for one definition, for the hover (`Wrapper<u16> = 4 B`): the
 * printed text without the module path, with size and alignment, smallest first.
 */
export function instantiationsOf(
  map: ExactMap,
  item: TypeDefItem,
): { text: string; size: number; align: number }[] {
  return map.mapped
    .filter(m => m.item === item && m.args !== undefined)
    .map(m => ({ text: `${item.name}<${m.args}>`, size: m.exact.size, align: m.exact.align }))
    .sort((a, b) => a.size - b.size || a.text.localeCompare(b.text));
}

/** `a::B<T>::f::{closure#0}::X` -> `['a', 'B', 'f', 'X']` (generic args and closure segments dropped). */
function plainSegments(p: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '<') depth++;
    else if (c === '>') depth--;
    else if (depth === 0 && c === ':' && p[i + 1] === ':') {
      out.push(cur);
      cur = '';
      i++;
    } else if (depth === 0) cur += c;
  }
  out.push(cur);
  return out.filter(s => s && !s.startsWith('{'));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Finds a type declared inside a fn body: the longest module prefix with a file, then the enclosing
 * names in order (`LocalSet`, `fn with`) and the `struct|enum|union X` after them.
 */
export function locateFnLocal(
  fullPath: string,
  crateName: string,
  index: FnLocalLookup,
): { file: string; line: number } | undefined {
  const segs = plainSegments(fullPath);
  if (segs[0] !== crateName || segs.length < 3) return undefined;
  const name = segs[segs.length - 1];
  const modules = new Map<string, string>();
  for (const f of index.fileNames()) {
    const m = index.moduleOf(f);
    if (m && !modules.has(m)) modules.set(m, f);
  }
  for (let k = segs.length - 2; k >= 1; k--) {
    const file = modules.get(segs.slice(0, k).join('::'));
    if (!file) continue;
    const text = index.fileText(file);
    if (text === undefined) return undefined;
    let pos = 0;
    const inner = segs.slice(k, -1).filter(s => s !== '_');
    for (let i = 0; i < inner.length; i++) {
      const re = new RegExp(
        i === inner.length - 1
          ? `\\bfn\\s+${escapeRe(inner[i])}\\b`
          : `\\b${escapeRe(inner[i])}\\b`,
        'g',
      );
      re.lastIndex = pos;
      const hit = re.exec(text);
      if (!hit) return undefined;
      pos = hit.index + hit[0].length;
    }
    const re = new RegExp(`\\b(struct|enum|union)\\s+${escapeRe(name)}\\b`, 'g');
    re.lastIndex = pos;
    const hit = re.exec(text);
    if (!hit) return undefined;
    return { file, line: text.slice(0, hit.index).split('\n').length };
  }
  return undefined;
}
