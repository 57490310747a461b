/**
 * Maps source paths from a profile (absolute from another machine or container, crate-relative,
 * basename-only) to files of the workspace.
 */
import * as path from 'node:path';

export interface PathRemap {
  /** Prefix as recorded in the profile (`/build/app`). */
  readonly from: string;
  /** Replacement on this machine, absolute or relative to the workspace root (`.`). */
  readonly to: string;
}

export interface WorkspaceContext {
  /** Absolute workspace root. */
  readonly root: string;
  /** Absolute paths of the workspace's Rust files (the index's files). */
  readonly files: readonly string[];
  /** Maps a demangled symbol to its fn definition in the workspace. */
  readonly locate?: (symbol: string) => { file: string; line: number; path: string } | undefined;
  /** Maps a type path (`app::Record`) to its struct/enum/union definition (derive-generated code). */
  readonly locateType?: (path: string) => { file: string; line: number } | undefined;
  readonly remaps?: readonly PathRemap[];
}

/** Paths that are library code wherever they are: std sources, cargo registries, rustup. */
const LIBRARY =
  /^\/rustc\/[0-9a-f]+\/|\/\.cargo\/registry\/|\/cargo\/registry\/|\/\.rustup\/toolchains\/|\/lib\/rustlib\/src\/|\/\.cargo\/git\/checkouts\//;

export function parseRemap(spec: string): PathRemap {
  const i = spec.indexOf('=');
  if (i <= 0)
    throw new Error(`a path remap is FROM=TO (e.g. /build/app=.), got ${JSON.stringify(spec)}`);
  return { from: spec.slice(0, i), to: spec.slice(i + 1) };
}

export class PathResolver {
  private readonly rel = new Map<string, string>(); // workspace-relative (posix) -> absolute
  private readonly byBase = new Map<string, string[]>();
  private readonly cache = new Map<string, string | null>();
  readonly root: string;

  constructor(private readonly ws: WorkspaceContext) {
    this.root = path.resolve(ws.root);
    for (const f of ws.files) {
      const r = path.relative(this.root, f).split(path.sep).join('/');
      if (r.startsWith('..') || path.isAbsolute(r) || /(^|\/)target\//.test(r)) continue;
      this.rel.set(r, path.resolve(f));
      const b = r.slice(r.lastIndexOf('/') + 1);
      const list = this.byBase.get(b);
      if (list) list.push(r);
      else this.byBase.set(b, [r]);
    }
  }

  /** Workspace-relative path, or undefined when the file is not workspace code. */
  resolve(file: string, symbol?: string): string | undefined {
    const key = symbol === undefined ? file : `${file}\u0000${symbol}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const r = this.compute(file, symbol) ?? null;
    this.cache.set(key, r);
    return r ?? undefined;
  }

  absolute(rel: string): string {
    return this.rel.get(rel) ?? path.join(this.root, rel);
  }

  private compute(file: string, symbol: string | undefined): string | undefined {
    let f = file.replace(/\\/g, '/');
    for (const m of this.ws.remaps ?? []) {
      const from = m.from.replace(/\\/g, '/').replace(/\/$/, '');
      if (f === from || f.startsWith(`${from}/`)) {
        const to = path.resolve(this.root, m.to).split(path.sep).join('/');
        f = to + f.slice(from.length);
        break;
      }
    }
    if (f.startsWith('/')) {
      const rootPosix = this.root.split(path.sep).join('/');
      if (f.startsWith(`${rootPosix}/`)) {
        const r = f.slice(rootPosix.length + 1);
        return this.rel.has(r) ? r : undefined;
      }
      if (LIBRARY.test(f)) return undefined;
      return this.bySuffix(f, symbol);
    }
    const norm = path.posix.normalize(f).replace(/^(\.\/)+/, '');
    if (norm.startsWith('../')) return this.bySuffix(`/${norm.replace(/^(\.\.\/)+/, '')}`, symbol);
    if (this.rel.has(norm)) return norm;
    if (!norm.includes('/')) return this.byBasename(norm, symbol);
    return this.bySuffix(`/${norm}`, symbol);
  }

  /** The workspace file whose relative path is the longest suffix of `abs` (at least `dir/file`). */
  private bySuffix(abs: string, symbol?: string): string | undefined {
    const base = abs.slice(abs.lastIndexOf('/') + 1);
    const cands = this.byBase.get(base);
    if (!cands) return undefined;
    let best: string | undefined;
    for (const r of cands) {
      if (
        (abs.endsWith(`/${r}`) || abs === r) &&
        r.includes('/') &&
        (!best || r.length > best.length)
      )
        best = r;
    }
    if (best) return best;
    // Crate-relative tails (`src/main.rs` of a crate at `crates/x/`): match `<crate dir>/src/...`.
    const parts = abs.split('/');
    for (let k = parts.length - 1; k >= 1; k--) {
      const tail = parts.slice(k).join('/');
      const hits = cands.filter(r => r === tail || r.endsWith(`/${tail}`));
      if (hits.length === 1 && tail.includes('/')) return hits[0];
      if (hits.length === 0) break;
      // Several crates have this tail (`src/main.rs`): the one the symbol's fn is defined in.
      if (tail.includes('/') && symbol && this.ws.locate) {
        const loc = this.ws.locate(symbol);
        const r = loc ? path.relative(this.root, loc.file).split(path.sep).join('/') : undefined;
        if (r && hits.includes(r)) return r;
      }
    }
    return undefined;
  }

  /** `main.rs` -> the workspace file with that name; several: the one the symbol's fn lives in. */
  private byBasename(base: string, symbol: string | undefined): string | undefined {
    const cands = this.byBase.get(base);
    if (!cands || cands.length === 0) return undefined;
    if (cands.length === 1) return cands[0];
    if (symbol && this.ws.locate) {
      const loc = this.ws.locate(symbol);
      if (loc) {
        const r = path.relative(this.root, loc.file).split(path.sep).join('/');
        if (cands.includes(r)) return r;
      }
    }
    return undefined;
  }
}
