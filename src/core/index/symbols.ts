/**
 * Maps demangled Rust symbols from a profile (`<ddsplit::Fast as ddsplit::Splitter>::split`,
 * `ddsplit::main::{{closure}}`, `ddsplit::proto::Query::new`) to the fn definitions of the index.
 */
import type { FnItem, Item } from '../model';

export interface SymbolLocation {
  file: string;
  /** 1-based line of the fn's name. */
  line: number;
  /** The matched fn's path in the index. */
  path: string;
}

/** Split at `::` that are not inside `<...>`, `(...)` or `[...]`. */
export function splitPath(sym: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < sym.length; i++) {
    const c = sym[i];
    if (c === '<' || c === '(' || c === '[') depth++;
    else if ((c === '>' && sym[i - 1] !== '-') || c === ')' || c === ']') depth--;
    if (depth === 0 && c === ':' && sym[i + 1] === ':') {
      out.push(cur);
      cur = '';
      i++;
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out.filter(s => s.length > 0);
}

function stripGenerics(seg: string): string {
  // `Wrapper<T>` -> `Wrapper`; keep `<A as B>` impl brackets for the caller to handle.
  if (seg.startsWith('<')) return seg;
  const i = seg.indexOf('<');
  return i > 0 ? seg.slice(0, i) : seg;
}

/**
 * Candidate index paths for a symbol, most specific first. Closures, `{{constant}}`, shims and
 * generic arguments are dropped; `<T as Trait>::m` yields `T::m` (the impl) then `Trait::m`
 * (a provided trait method).
 */
export function candidatePaths(symbol: string): string[] {
  let sym = symbol.trim().replace(/\s*\(inlined\)$/, '');
  sym = sym.replace(/::h[0-9a-f]{16}$/, '').replace(/\+0x[0-9a-f]+$/, '');
  const segs = splitPath(sym).filter(
    s =>
      !/^\{\{.*\}\}$/.test(s) &&
      !/^\{(closure|shim|async|constant).*\}$/.test(s) &&
      s !== '{{closure}}',
  );
  if (segs.length === 0) return [];
  const out: string[] = [];
  const first = segs[0];
  const m = /^<(.+?)(?: as (.+))?>$/.exec(first);
  if (m) {
    const selfPath = splitPath(m[1])
      .map(stripGenerics)
      .filter(s => !s.startsWith('&') && !s.startsWith('['));
    const traitPath = m[2] ? splitPath(m[2]).map(stripGenerics) : [];
    const rest = segs.slice(1).map(stripGenerics);
    if (selfPath.length > 0) out.push([...selfPath, ...rest].join('::'));
    if (traitPath.length > 0) out.push([...traitPath, ...rest].join('::'));
  } else {
    out.push(segs.map(stripGenerics).join('::'));
  }
  // Nested fns and closures inside fns are not indexed: fall back to enclosing paths.
  const more: string[] = [];
  for (const p of out) {
    const parts = p.split('::');
    for (let n = parts.length - 1; n >= 2; n--) more.push(parts.slice(0, n).join('::'));
  }
  return [...new Set([...out, ...more])];
}

/** Builds a locator over the fns of an index snapshot. */
export function createSymbolLocator(items: Item[]): (symbol: string) => SymbolLocation | undefined {
  const fns = new Map<string, FnItem>();
  for (const it of items) if (it.kind === 'fn' && !fns.has(it.path)) fns.set(it.path, it as FnItem);
  const cache = new Map<string, SymbolLocation | undefined>();
  return (symbol: string) => {
    if (cache.has(symbol)) return cache.get(symbol);
    let found: SymbolLocation | undefined;
    for (const p of candidatePaths(symbol)) {
      const f = fns.get(p);
      if (f && f.hasBody) {
        found = { file: f.span.file, line: f.nameSpan.line, path: f.path };
        break;
      }
    }
    cache.set(symbol, found);
    return found;
  };
}
