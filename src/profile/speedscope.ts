/**
 * speedscope file-format export (https://www.speedscope.app/file-format-schema.json): three sampled
 * profiles (all samples, allocator samples, copy samples). Frames are one per (function, file) so
 * a function is one box; `file`/`line` point at the workspace source when the frame is user code.
 */
import type { Attribution } from './attribute';
import type { ProfileData } from './model';

export interface SpeedscopeFrame {
  name: string;
  file?: string;
  line?: number;
}

export interface SpeedscopeProfile {
  type: 'sampled';
  name: string;
  unit: 'none';
  startValue: number;
  endValue: number;
  samples: number[][];
  weights: number[];
}

export interface SpeedscopeFile {
  $schema: 'https://www.speedscope.app/file-format-schema.json';
  shared: { frames: SpeedscopeFrame[] };
  profiles: SpeedscopeProfile[];
  name: string;
  activeProfileIndex: number;
  exporter: string;
}

export const VIEW_NAMES = [
  'All samples',
  'Allocator samples (malloc/free)',
  'Copy samples (memcpy/memmove)',
] as const;

export function toSpeedscope(
  data: ProfileData,
  a: Attribution,
  title: string,
  opts: { absolute?: (rel: string) => string } = {},
): SpeedscopeFile {
  const frames: SpeedscopeFrame[] = [];
  const index = new Map<string, number>();
  const mapped = new Array<number>(data.frames.length);
  const intern = (key: string, make: () => SpeedscopeFrame): number => {
    let i = index.get(key);
    if (i === undefined) {
      i = frames.length;
      frames.push(make());
      index.set(key, i);
    }
    return i;
  };
  const frameOf = (id: number): number => {
    let m = mapped[id];
    if (m !== undefined) return m;
    const f = data.frames[id];
    const site = a.site(id);
    if (site) {
      const file = opts.absolute ? opts.absolute(site.file) : site.file;
      m = intern(`${f.name}\u0000${file}`, () => ({ name: f.name, file, line: site.line }));
    } else {
      const file = f.file ?? f.dso;
      m = intern(`${f.name}\u0000${file ?? ''}`, () =>
        file
          ? { name: f.name, file, ...(f.file && f.line ? { line: f.line } : {}) }
          : { name: f.name },
      );
    }
    mapped[id] = m;
    return m;
  };
  const profiles: SpeedscopeProfile[] = VIEW_NAMES.map(name => ({
    type: 'sampled',
    name,
    unit: 'none',
    startValue: 0,
    endValue: 0,
    samples: [],
    weights: [],
  }));
  const ev = data.events.get(a.event)!;
  for (const rec of ev.stacks.values()) {
    const info = a.stackInfo.get(rec);
    const root = intern(`\u0001comm\u0000${rec.comm}`, () => ({ name: rec.comm || '[process]' }));
    const stack = [root];
    for (let i = rec.frames.length - 1; i >= 0; i--) stack.push(frameOf(rec.frames[i]));
    const targets = [profiles[0]];
    if (info && (info.kind === 'alloc' || info.kind === 'free')) targets.push(profiles[1]);
    if (info && info.kind === 'copy') targets.push(profiles[2]);
    for (const p of targets) {
      p.samples.push(stack);
      p.weights.push(rec.count);
      p.endValue += rec.count;
    }
  }
  return {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    shared: { frames },
    profiles: profiles.map(p => ({ ...p, name: `${p.name} · ${a.event} · ${p.endValue} samples` })),
    name: title,
    activeProfileIndex: 0,
    exporter: 'alloc-lens',
  };
}
