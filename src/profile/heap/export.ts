/**
 * Byte-weighted exports of a heap profile: speedscope JSON (three views: bytes allocated, bytes
 * live at the peak, bytes live at exit) and FlameGraph folded stacks weighted by bytes.
 */
import type { HeapAttribution } from './attribute';
import type { HeapProfile } from './model';
import { CUT_FRAME, type HeapCallTree } from './tree';

const CUT_NAME = '[stacks cut: call tree node limit]';
const WEIGHT = { bytes: 0, peakBytes: 1, endBytes: 2 } as const;

/** A warning when the call tree had to cut stacks (never on real recordings so far). */
export function cutWarning(t: HeapCallTree): string | undefined {
  return t.cutStacks > 0
    ? `flamegraph: ${t.cutStacks.toLocaleString('en-US')} stacks (${t.cutBytes.toLocaleString('en-US')} bytes) were cut where the call tree reached its node limit; their bytes are under "${CUT_NAME}" nodes`
    : undefined;
}

export interface HeapSpeedscopeFrame {
  name: string;
  file?: string;
  line?: number;
}

export interface HeapSpeedscopeProfile {
  type: 'sampled';
  name: string;
  unit: 'bytes';
  startValue: number;
  endValue: number;
  samples: number[][];
  weights: number[];
}

export interface HeapSpeedscopeFile {
  $schema: 'https://www.speedscope.app/file-format-schema.json';
  shared: { frames: HeapSpeedscopeFrame[] };
  profiles: HeapSpeedscopeProfile[];
  name: string;
  activeProfileIndex: number;
  exporter: string;
}

export const HEAP_VIEWS = [
  { key: 'bytes', name: 'Bytes allocated (total)' },
  { key: 'peakBytes', name: 'Bytes live at the peak' },
  { key: 'endBytes', name: 'Bytes live at exit' },
] as const;

export function heapToSpeedscope(
  heap: HeapProfile,
  a: HeapAttribution,
  title: string,
  opts: { absolute?: (rel: string) => string } = {},
): HeapSpeedscopeFile {
  const frames: HeapSpeedscopeFrame[] = [];
  const mapped = new Array<number>(heap.frames.length);
  const index = new Map<string, number>();
  let cutFrame = -1;
  const frameOf = (id: number): number => {
    if (id === CUT_FRAME) {
      if (cutFrame < 0) cutFrame = frames.push({ name: CUT_NAME }) - 1;
      return cutFrame;
    }
    let m = mapped[id];
    if (m !== undefined) return m;
    const f = heap.frames[id];
    const site = a.site(id);
    const file = site
      ? opts.absolute
        ? opts.absolute(site.file)
        : site.file
      : (f.file ?? f.object);
    const line = site ? site.line : f.file ? f.line : undefined;
    const key = `${f.name}\u0000${file ?? ''}\u0000${line ?? ''}`;
    let k = index.get(key);
    if (k === undefined) {
      k = frames.length;
      frames.push({ name: f.name, ...(file ? { file } : {}), ...(line ? { line } : {}) });
      index.set(key, k);
    }
    mapped[id] = k;
    return k;
  };
  const profiles: HeapSpeedscopeProfile[] = [];
  for (const v of HEAP_VIEWS) {
    if (v.key !== 'bytes' && !heap.measures.has(v.key)) continue;
    const p: HeapSpeedscopeProfile = {
      type: 'sampled',
      name: v.name,
      unit: 'bytes',
      startValue: 0,
      endValue: 0,
      samples: [],
      weights: [],
    };
    const t = a.tree;
    const k = WEIGHT[v.key];
    for (let n = 0; n < t.size; n++) {
      const w = t.weight[3 * n + k];
      if (w <= 0) continue;
      p.samples.push(t.path(n).map(frameOf));
      p.weights.push(w);
      p.endValue += w;
    }
    profiles.push(p);
  }
  return {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    shared: { frames },
    profiles,
    name: title,
    activeProfileIndex: 0,
    exporter: 'alloc-lens',
  };
}

/** FlameGraph folded stacks (`root;...;leaf bytes`), one line per distinct stack with bytes > 0. */
export function heapToFolded(
  heap: HeapProfile,
  a: HeapAttribution,
  weight: 'bytes' | 'peakBytes' | 'endBytes' = 'bytes',
): string[] {
  const merged = new Map<string, number>();
  const clean = (n: string) => n.replace(/;/g, ':').replace(/\s+\d+$/, '');
  const t = a.tree;
  const k = WEIGHT[weight];
  for (let n = 0; n < t.size; n++) {
    const w = t.weight[3 * n + k];
    if (w <= 0) continue;
    const key = t
      .path(n)
      .map(id => (id === CUT_FRAME ? CUT_NAME : clean(heap.frames[id].name)))
      .join(';');
    merged.set(key, (merged.get(key) ?? 0) + w);
  }
  return [...merged].map(([k, w]) => `${k} ${w}`);
}
