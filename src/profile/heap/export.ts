/**
 * Byte-weighted exports of a heap profile: speedscope JSON (three views: bytes allocated, bytes
 * live at the peak, bytes live at exit) and FlameGraph folded stacks weighted by bytes.
 */
import type { HeapAttribution } from './attribute';
import type { HeapProfile } from './model';

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

export function heapToSpeedscope(heap: HeapProfile, a: HeapAttribution, title: string, opts: { absolute?: (rel: string) => string } = {}): HeapSpeedscopeFile {
  const frames: HeapSpeedscopeFrame[] = [];
  const mapped = new Array<number>(heap.frames.length);
  const index = new Map<string, number>();
  const frameOf = (id: number): number => {
    let m = mapped[id];
    if (m !== undefined) return m;
    const f = heap.frames[id];
    const site = a.site(id);
    const file = site ? (opts.absolute ? opts.absolute(site.file) : site.file) : f.file ?? f.object;
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
    const p: HeapSpeedscopeProfile = { type: 'sampled', name: v.name, unit: 'bytes', startValue: 0, endValue: 0, samples: [], weights: [] };
    for (const s of heap.sites) {
      const w = s[v.key];
      if (w <= 0) continue;
      const stack: number[] = [];
      const fr = s.frames;
      for (let i = fr.length - 1; i >= 0; i--) stack.push(frameOf(fr[i]));
      p.samples.push(stack);
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

/** FlameGraph folded stacks (`root;...;leaf bytes`), one line per site with bytes > 0. */
export function heapToFolded(heap: HeapProfile, weight: 'bytes' | 'peakBytes' | 'endBytes' = 'bytes'): string[] {
  const merged = new Map<string, number>();
  const clean = (n: string) => n.replace(/;/g, ':').replace(/\s+\d+$/, '');
  for (const s of heap.sites) {
    const w = s[weight];
    if (w <= 0) continue;
    const names: string[] = [];
    const fr = s.frames;
    for (let i = fr.length - 1; i >= 0; i--) names.push(clean(heap.frames[fr[i]].name));
    const key = names.join(';');
    merged.set(key, (merged.get(key) ?? 0) + w);
  }
  return [...merged].map(([k, w]) => `${k} ${w}`);
}
