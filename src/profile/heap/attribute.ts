/**
 * Heap attribution: every allocation site is charged to its innermost workspace frame (the rest
 * of the stack is kept). An allocation made inside a dependency is charged to the workspace line
 * that called into it, with the dependency named (`via`). Sites without a workspace frame are
 * charged to the innermost named crate (std, rayon-core, ...) or count as unknown.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PathResolver, type WorkspaceContext } from '../paths';
import { HeapCallTree } from './tree';
import {
  addHeapCounts,
  emptyHeapCounts,
  type HeapCounts,
  type HeapProfile,
  type HeapSite,
} from './model';

/** Allocation stacks kept per hot line (the largest by bytes): what reports and hovers show. */
export const KEPT_STACKS = 10;

/** One allocation stack of a hot line, copied out of its site. */
export interface HeapStack {
  readonly bytes: number;
  readonly blocks: number;
  /** Frame ids, leaf first. */
  readonly frames: readonly number[];
  /** Index in `frames` of the workspace frame the site is charged to. */
  readonly user: number;
  /** The crate the workspace line called into, when named. */
  readonly dependency?: string;
}

export interface HeapLine {
  readonly file: string;
  readonly line: number;
  readonly function: string;
  readonly counts: HeapCounts;
  /** The KEPT_STACKS largest stacks by bytes, largest first (ties: the earlier site first). */
  readonly stacks: HeapStack[];
  /** Bytes and blocks live at exit that the line allocates itself (directly or through std). */
  ownEndBytes: number;
  ownEndBlocks: number;
  /** Bytes per crate the line called into. */
  readonly via: Map<string, number>;
  /** Bytes and blocks from growing containers (reallocation). */
  growthBytes: number;
  growthBlocks: number;
}

export interface HeapAttribution {
  readonly lines: Map<string, HeapLine>;
  readonly totals: HeapCounts;
  /** Counts of sites without a workspace frame, per crate charged. */
  readonly dependencies: Map<string, HeapCounts>;
  readonly unknown: HeapCounts;
  /** Bytes of sites with at least one frame that has a source file (DHAT's "program source"). */
  readonly sourceBytes: number;
  /** Of those, the bytes of sites charged to a named dependency. */
  readonly dependencySourceBytes: number;
  /** The stacks merged into a call tree weighted by bytes (total, at peak, at exit), for exports. */
  readonly tree: HeapCallTree;
  readonly resolver: PathResolver;
  /** Workspace-relative path + line of a frame when it is workspace code. */
  site(frameId: number): { file: string; line: number } | undefined;
}

const STD = new Set([
  'std',
  'alloc',
  'core',
  'hashbrown',
  'std_detect',
  'panic_unwind',
  'compiler_builtins',
]);
const REGISTRY = /\/registry\/(?:[^/]+\/)*?([A-Za-z0-9_-]+?)-\d+\.\d+\.\d+[^/]*\//;
const LIBRARY = /(?:^|\/)library\/([a-z_]+)\/src\//;
const GROWTH =
  /(?:^|[^\w])(?:grow_amortized|grow_one|finish_grow|do_reserve_and_handle|reserve_for_push|realloc)(?:$|[^\w])/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The profilers' malloc interposers: never the owner of an allocation. */
const PRELOAD = /^(?:vgpreload_|libheaptrack)/;

/** The crate a frame belongs to, from its source path or its qualified name; std-family -> std. */
export function crateOf(name: string, file?: string): string | undefined {
  if (file) {
    const r = REGISTRY.exec(file);
    if (r) return r[1];
    const l = LIBRARY.exec(file);
    if (l) return STD.has(l[1]) ? 'std' : l[1];
  }
  let n = name;
  while (n.startsWith('<')) n = n.slice(1);
  const sep = n.indexOf('::');
  if (sep <= 0) return undefined;
  const head = n.slice(0, sep);
  if (!IDENT.test(head)) return undefined;
  return STD.has(head) ? 'std' : head;
}

/** Package names of the workspace's crates (`my-app` -> `my_app`, as it appears in symbols). */
export function workspaceCrates(root: string, files: readonly string[]): Set<string> {
  const dirs = new Set<string>();
  const seen = new Set<string>();
  for (const f of files) {
    for (let d = path.dirname(f); d.startsWith(root) && !seen.has(d); d = path.dirname(d)) {
      seen.add(d);
      if (fs.existsSync(path.join(d, 'Cargo.toml'))) dirs.add(d);
      if (d === root) break;
    }
  }
  dirs.add(root);
  const out = new Set<string>();
  for (const d of dirs) {
    let text = '';
    try {
      text = fs.readFileSync(path.join(d, 'Cargo.toml'), 'utf8');
    } catch {
      continue;
    }
    let inPackage = false;
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (t.startsWith('[')) inPackage = t === '[package]';
      else if (inPackage && t.startsWith('name')) {
        const m = /^name\s*=\s*"([^"]+)"/.exec(t);
        if (m) out.add(m[1].replace(/-/g, '_'));
      }
    }
  }
  return out;
}

/** The fn name a frame names, without generics and path: `a::b::<T>::c<u8>` -> `c`. */
function fnName(name: string): string {
  let depth = 0;
  let out = '';
  for (const ch of name) {
    if (ch === '<') depth++;
    else if (ch === '>') depth = Math.max(0, depth - 1);
    else if (depth === 0) out += ch;
  }
  const segs = out.split('::');
  return segs[segs.length - 1].trim();
}

/**
 * Attributes every site in one pass over them (a DHAT profile streams them from its file), keeping
 * per line, per dependency and per call-tree node aggregates only: memory is bounded by lines,
 * frames and KEPT_STACKS per line, not by the number of sites.
 */
export async function attributeHeap(
  heap: HeapProfile,
  ws: WorkspaceContext,
  opts: { signal?: AbortSignal } = {},
): Promise<HeapAttribution> {
  const resolver = new PathResolver(ws);
  const crates = workspaceCrates(path.resolve(ws.root), ws.files);
  const texts = new Map<string, string[] | null>();
  const linesOf = (rel: string): string[] | null => {
    let t = texts.get(rel);
    if (t === undefined) {
      try {
        t = fs.readFileSync(resolver.absolute(rel), 'utf8').split('\n');
      } catch {
        t = null;
      }
      texts.set(rel, t);
    }
    return t;
  };
  /**
   * Workspace file of a frame, guarded: a frame named after another crate is never workspace code,
   * and a basename-only path (`mod.rs`, as valgrind prints precompiled std) must point at a line
   * that exists and a fn the file defines (or a closure, or a derive/macro line).
   */
  const frameSite: ({ file: string; line: number } | null | undefined)[] = new Array(
    heap.frames.length,
  );
  const site = (id: number): { file: string; line: number } | undefined => {
    const known = frameSite[id];
    if (known !== undefined) return known ?? undefined;
    const f = heap.frames[id];
    let out: { file: string; line: number } | null = null;
    if (f.file && f.line) {
      const crate = crateOf(f.name, f.file);
      if (crate === undefined || crates.has(crate)) {
        const rel = resolver.resolve(f.file, f.name);
        if (rel) {
          let ok = true;
          if (!f.file.includes('/')) {
            const text = linesOf(rel);
            const fn = fnName(f.name);
            const lineText = text?.[f.line - 1] ?? '';
            ok =
              !!text &&
              f.line <= text.length &&
              (/^\{.*\}$/.test(fn) ||
                fn === 'UnknownInlinedFun' ||
                /#\[derive|!\s*[([{]/.test(lineText) ||
                (IDENT.test(fn) && text.some(l => l.includes(`fn ${fn}`))));
          }
          if (ok) out = { file: rel, line: f.line };
        }
      }
    }
    frameSite[id] = out;
    return out ?? undefined;
  };
  // Per-frame facts, computed once per frame, not once per site (430k sites x 20 frames).
  const growthOf = new Int8Array(heap.frames.length).fill(-1);
  const isGrowth = (id: number) => {
    if (growthOf[id] < 0) growthOf[id] = GROWTH.test(heap.frames[id].name) ? 1 : 0;
    return growthOf[id] === 1;
  };
  const crateCache: (string | null | undefined)[] = new Array(heap.frames.length);
  const foreignCrate = (id: number): string | undefined => {
    let c = crateCache[id];
    if (c === undefined) {
      const f = heap.frames[id];
      const k = crateOf(f.name, f.file);
      c = k && !crates.has(k) ? k : null;
      crateCache[id] = c;
    }
    return c ?? undefined;
  };
  const lines = new Map<string, HeapLine>();
  const dependencies = new Map<string, HeapCounts>();
  const unknown = emptyHeapCounts();
  const totals = emptyHeapCounts();
  const tree = new HeapCallTree();
  let sourceBytes = 0;
  let dependencySourceBytes = 0;
  await heap.forEachSite((s: HeapSite) => {
    // Read once: a site's frames may be a view made on each access.
    const fr = s.frames;
    addHeapCounts(totals, s);
    tree.add(fr, s.bytes, s.peakBytes, s.endBytes);
    let user = -1;
    let hasSource = false;
    for (let i = 0; i < fr.length; i++) {
      const f = heap.frames[fr[i]];
      if (f.file) hasSource = true;
      if (user < 0 && site(fr[i])) {
        user = i;
        if (hasSource) break;
      }
    }
    if (!hasSource)
      for (let i = 0; i < fr.length && !hasSource; i++)
        if (heap.frames[fr[i]].file) hasSource = true;
    if (hasSource) sourceBytes += s.bytes;
    let growth = false;
    for (let i = 0; i < (user < 0 ? fr.length : user) && !growth; i++) growth = isGrowth(fr[i]);
    if (user >= 0) {
      const at = site(fr[user])!;
      const key = `${at.file}:${at.line}`;
      let dep: string | undefined;
      for (let i = user - 1; i >= 0 && !dep; i--) dep = foreignCrate(fr[i]);
      let hl = lines.get(key);
      if (!hl) {
        hl = {
          file: at.file,
          line: at.line,
          function: heap.frames[fr[user]].name,
          counts: emptyHeapCounts(),
          stacks: [],
          ownEndBytes: 0,
          ownEndBlocks: 0,
          via: new Map(),
          growthBytes: 0,
          growthBlocks: 0,
        };
        lines.set(key, hl);
      }
      addHeapCounts(hl.counts, s);
      keepStack(hl.stacks, s, fr, user, dep);
      if (dep) hl.via.set(dep, (hl.via.get(dep) ?? 0) + s.bytes);
      if (growth) {
        hl.growthBytes += s.bytes;
        hl.growthBlocks += s.blocks;
      }
      // What the line itself leaves live at exit (directly or through std); a dependency's global
      // state (rayon's thread pool, a lazy static) is that crate's business.
      if (dep === undefined || dep === 'std') {
        hl.ownEndBytes += s.endBytes;
        hl.ownEndBlocks += s.endBlocks;
      }
      return;
    }
    let dep: string | undefined;
    for (let i = 0; i < fr.length && !dep; i++) dep = foreignCrate(fr[i]);
    // No Rust crate on the stack (a C/C++ library's own allocation, e.g. libstdc++'s emergency
    // pool at startup): the innermost shared library, the profilers' own preloads excepted.
    for (let i = 0; i < fr.length && !dep; i++) {
      const o = heap.frames[fr[i]].object;
      const base = o ? o.slice(o.lastIndexOf('/') + 1) : '';
      if (/\.so(?:\.|$)/.test(base) && !PRELOAD.test(base)) dep = base;
    }
    if (dep) {
      let d = dependencies.get(dep);
      if (!d) dependencies.set(dep, (d = emptyHeapCounts()));
      addHeapCounts(d, s);
      if (hasSource) dependencySourceBytes += s.bytes;
    } else addHeapCounts(unknown, s);
  }, opts.signal);
  return {
    lines,
    totals,
    dependencies,
    unknown,
    sourceBytes,
    dependencySourceBytes,
    tree,
    resolver,
    site,
  };
}

/** Keeps the KEPT_STACKS largest stacks, largest first; an equal one goes after those kept. */
function keepStack(
  kept: HeapStack[],
  s: HeapSite,
  fr: HeapSite['frames'],
  user: number,
  dependency: string | undefined,
): void {
  if (kept.length === KEPT_STACKS && s.bytes <= kept[KEPT_STACKS - 1].bytes) return;
  let at = kept.length;
  while (at > 0 && kept[at - 1].bytes < s.bytes) at--;
  kept.splice(at, 0, {
    bytes: s.bytes,
    blocks: s.blocks,
    frames: Array.from(fr),
    user,
    ...(dependency ? { dependency } : {}),
  });
  if (kept.length > KEPT_STACKS) kept.pop();
}

/** Hot lines ranked by bytes (then blocks). */
export function rankHeapLines(a: HeapAttribution): HeapLine[] {
  return [...a.lines.values()].sort(
    (x, y) =>
      y.counts.bytes - x.counts.bytes ||
      y.counts.blocks - x.counts.blocks ||
      x.file.localeCompare(y.file) ||
      x.line - y.line,
  );
}
