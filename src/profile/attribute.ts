/**
 * Charges every sample to the innermost frame that is workspace code (its srcline, else its
 * function through the index) and classifies it as allocation, free, copy or other by the
 * outermost allocator/copy frame between the leaf and that user frame.
 */
import * as path from 'node:path';
import { allocatorOf, type AllocatorName, type FrameKind } from './classify';
import type { EventProfile, FrameInfo, ProfileData, StackRecord } from './model';
import { PathResolver, type WorkspaceContext } from './paths';

export interface SampleCounts {
  total: number;
  alloc: number;
  copy: number;
  free: number;
  /** Hash-table growth (hashbrown `reserve_rehash`...) outside its allocator calls: not allocation. */
  rehash: number;
}

export interface UserSite {
  /** Workspace-relative path (posix separators). */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /**
   * `line` when perf had a srcline for the frame; `function` when only the symbol was mapped (the
   * fn's line: no srcline, or one inside std/a dependency inlined into the fn); `item` for
   * derive-generated code, charged to the type that carries the derive.
   */
  readonly precision: 'line' | 'function' | 'item';
}

export interface HotLine extends UserSite {
  /** The demangled function the line belongs to (innermost user frame). */
  function: string;
  readonly samples: SampleCounts;
  /** stack key -> samples of that stack charged here */
  readonly stacks: Map<StackRecord, number>;
}

export interface Attribution {
  readonly event: string;
  readonly totals: SampleCounts;
  /** Samples with a workspace frame. */
  attributed: number;
  /** Hot lines keyed `file:line`. */
  readonly lines: Map<string, HotLine>;
  /** Per stack: the index of its user frame (-1: none) and its kind. */
  readonly stackInfo: Map<StackRecord, { user: number; kind: FrameKind }>;
  readonly allocators: Map<AllocatorName, number>;
  readonly resolver: PathResolver;
  /** The workspace site of a frame id, or null (computed on demand, cached). */
  readonly site: (id: number) => UserSite | null;
}

export function emptyCounts(): SampleCounts {
  return { total: 0, alloc: 0, copy: 0, free: 0, rehash: 0 };
}

function bump(c: SampleCounts, kind: FrameKind, n: number): void {
  c.total += n;
  if (kind === 'alloc') c.alloc += n;
  else if (kind === 'copy') c.copy += n;
  else if (kind === 'free') c.free += n;
  else if (kind === 'rehash') c.rehash += n;
}

/**
 * The workspace site of a frame, or null. Srcline first; when there is none, or it points into
 * std/core/alloc or a dependency inlined into the frame's function (`perf script --no-inline`, or
 * `-g` stacks, print the innermost inlined location for the whole frame), the frame's function
 * through the index; derive-generated code (`<app::Rec as serde::de::Deserialize>::deserialize::
 * __Visitor`) goes to the type carrying the derive.
 */
function siteOf(f: FrameInfo, resolver: PathResolver, ws: WorkspaceContext): UserSite | null {
  if (f.kernel) return null;
  if (f.file !== undefined && f.line !== undefined) {
    const rel = resolver.resolve(f.file, f.name);
    if (rel) return { file: rel, line: f.line, precision: 'line' };
  }
  if (f.kind !== 'other' || !f.name.includes('::')) return null;
  const loc = ws.locate?.(f.name);
  if (loc) {
    const rel = relInRoot(resolver.root, loc.file);
    return rel ? { file: rel, line: loc.line, precision: 'function' } : null;
  }
  // Derive code with a srcline in a dependency (serde's visitor internals) is the dependency's
  // work: the sample goes on to the caller, as addr2line's inline chain would have it.
  const self = f.file === undefined ? derivedSelfType(f.name) : undefined;
  const item = self !== undefined ? ws.locateType?.(self) : undefined;
  if (item) {
    const rel = relInRoot(resolver.root, item.file);
    return rel ? { file: rel, line: item.line, precision: 'item' } : null;
  }
  return null;
}

function relInRoot(root: string, file: string): string | undefined {
  const rel = path.relative(root, file).split(path.sep).join('/');
  return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel;
}

/**
 * The self type of the innermost `<Type as Trait>` of a symbol whose trait impl is not in the
 * sources (a derive or macro wrote it): `<<app::Rec as serde::de::Deserialize>::deserialize::
 * __Visitor as serde::de::Visitor>::visit_map` -> `app::Rec`. Generic arguments are dropped.
 */
export function derivedSelfType(name: string): string | undefined {
  // rustc's own form for derive impls: `batch::_::<impl serde::de::Deserialize for batch::Event>::...`
  const impl = name.indexOf('<impl ');
  if (impl >= 0) {
    let depth = 0;
    let forAt = -1;
    for (let k = impl; k < name.length && k < impl + 4096; k++) {
      const c = name.charCodeAt(k);
      if (c === 60) depth++;
      else if (c === 62 && name.charCodeAt(k - 1) !== 45) {
        if (--depth === 0) {
          if (forAt < 0) return undefined;
          const self = name.slice(forAt + 5, k);
          const g = self.indexOf('<');
          const bare = g > 0 ? self.slice(0, g) : self;
          return bare.includes('::') && !bare.startsWith('&') ? bare : undefined;
        }
      } else if (depth === 1 && c === 32 && name.startsWith(' for ', k)) forAt = k;
    }
    return undefined;
  }
  let i = 0;
  while (name.charCodeAt(i) === 60 /* < */) i++;
  if (i === 0) return undefined;
  let depth = 0;
  let end = -1;
  for (let k = i; k < name.length && k < i + 4096; k++) {
    const c = name.charCodeAt(k);
    if (c === 60) depth++;
    else if (c === 62 && name.charCodeAt(k - 1) !== 45) depth--;
    else if (depth === 0 && c === 32 && name.startsWith(' as ', k)) {
      end = k;
      break;
    }
    if (depth < 0) return undefined;
  }
  if (end < 0) return undefined;
  let self = name.slice(i, end);
  const g = self.indexOf('<');
  if (g > 0) self = self.slice(0, g);
  return self.includes('::') && !self.startsWith('&') && !self.startsWith('[') ? self : undefined;
}

export function attribute(data: ProfileData, ev: EventProfile, ws: WorkspaceContext): Attribution {
  const resolver = new PathResolver(ws);
  const sites: (UserSite | null | undefined)[] = new Array(data.frames.length);
  const site = (id: number): UserSite | null => {
    let s = sites[id];
    if (s === undefined) {
      s = siteOf(data.frames[id], resolver, ws);
      sites[id] = s;
    }
    return s;
  };
  const totals = emptyCounts();
  const lines = new Map<string, HotLine>();
  const stackInfo = new Map<StackRecord, { user: number; kind: FrameKind }>();
  const allocators = new Map<AllocatorName, number>();
  let attributed = 0;
  for (const rec of ev.stacks.values()) {
    const fr = rec.frames;
    let user = -1;
    for (let i = 0; i < fr.length; i++) {
      if (site(fr[i])) {
        user = i;
        break;
      }
    }
    // outermost allocator/copy frame below the user frame (realloc's memcpy is allocator work).
    // Physical frames only: allocator code inlined into a caller (`RawVec::grow_one`'s capacity
    // check in serde's visit_seq) runs as the caller, as addr2line's physical function says;
    // the call it makes into the allocator is a frame of its own.
    let kind: FrameKind = 'other';
    const end = user < 0 ? fr.length : user;
    for (let i = 0; i < end; i++) {
      if (rec.inlinedIntoNext[i] === 1) continue;
      const f = data.frames[fr[i]];
      if (f.kind === 'rehash') {
        // hash-table growth bounds the search: its malloc/memcpy children keep their kind,
        // its own work (hashing, moving entries) is `rehash`
        if (kind === 'other') kind = 'rehash';
        break;
      }
      if (f.kind !== 'other') {
        kind = f.kind;
        if (f.kind === 'alloc' || f.kind === 'free') {
          const a = allocatorOf(f.raw, f.dso) ?? allocatorOf(f.name, f.dso);
          if (a && a !== 'unknown') allocators.set(a, (allocators.get(a) ?? 0) + rec.count);
        }
      }
    }
    stackInfo.set(rec, { user, kind });
    bump(totals, kind, rec.count);
    if (user < 0) continue;
    attributed += rec.count;
    const s = site(fr[user])!;
    const key = `${s.file}:${s.line}`;
    let hl = lines.get(key);
    if (!hl) {
      hl = {
        ...s,
        function: data.frames[fr[user]].name,
        samples: emptyCounts(),
        stacks: new Map(),
      };
      lines.set(key, hl);
    }
    bump(hl.samples, kind, rec.count);
    hl.stacks.set(rec, (hl.stacks.get(rec) ?? 0) + rec.count);
  }
  return { event: ev.name, totals, attributed, lines, stackInfo, allocators, resolver, site };
}

/** Allocation + free + copy samples: what the hot-line ranking sorts by. */
export function memoryCost(c: SampleCounts): number {
  return c.alloc + c.free + c.copy;
}

export function rankLines(a: Attribution): HotLine[] {
  return [...a.lines.values()].sort(
    (x, y) =>
      memoryCost(y.samples) - memoryCost(x.samples) ||
      y.samples.total - x.samples.total ||
      (x.file < y.file ? -1 : x.file > y.file ? 1 : x.line - y.line),
  );
}
