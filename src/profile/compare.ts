/**
 * Before/after comparison of two profile reports: how a user proves a fix worked.
 *
 * Two recordings never have the same length, so raw sample counts do not compare. Every quantity
 * is therefore compared as a share of ALL samples of its own profile ("this line's memcpy was
 * 36.0 % of the run, now 0.5 %"), with the raw counts kept next to it. A line's share of the
 * copy samples alone would not move when a fix removes most copies everywhere.
 */
import type { SampleCounts } from './attribute';
import { pct, type HotLineJson, type ProfileReportJson } from './report';

export type Kind = 'total' | 'alloc' | 'copy' | 'free';
const KINDS: readonly Kind[] = ['copy', 'alloc', 'free', 'total'];

export interface KindDelta {
  /** Share of all samples of the profile, 0..1. */
  readonly before: number;
  readonly after: number;
  /** after - before, in share points (0..1 scale). */
  readonly delta: number;
}

export interface LineDelta {
  readonly file: string;
  readonly line: number;
  readonly function: string;
  /** Raw counts; zero where the line is absent from that profile. */
  readonly samplesBefore: SampleCounts;
  readonly samplesAfter: SampleCounts;
  readonly shares: Record<Kind, KindDelta>;
  /** `gone` (only in the baseline), `new` (only in the current profile), `both`. */
  readonly presence: 'gone' | 'new' | 'both';
}

export interface ProfileCompareJson {
  readonly schema: 'alloc-lens/profile-compare@1';
  readonly baseline: { input: string; event: string; samples: number };
  readonly current: { input: string; event: string; samples: number };
  readonly shares: Record<Kind | 'allocator', KindDelta>;
  /** Lines ranked by the size of their largest alloc/copy/free change, then total change. */
  readonly lines: LineDelta[];
  readonly warnings: string[];
}

const ZERO: SampleCounts = { total: 0, alloc: 0, copy: 0, free: 0, rehash: 0 };
const share = (n: number, total: number) => (total > 0 ? n / total : 0);
const kd = (before: number, after: number): KindDelta => ({ before, after, delta: after - before });

/** The largest absolute change of the allocator/copy kinds; total only breaks ties. */
function weight(l: LineDelta): number {
  return Math.max(...(['copy', 'alloc', 'free'] as const).map(k => Math.abs(l.shares[k].delta)));
}

/**
 * Compare two reports. Pass reports built with every hot line (`top: 0`): a line cut from one
 * report's top-N would look like it vanished.
 */
export function compareReports(
  base: ProfileReportJson,
  cur: ProfileReportJson,
): ProfileCompareJson {
  const warnings: string[] = [];
  if (base.event.split(':')[0] !== cur.event.split(':')[0]) {
    warnings.push(
      `the profiles measure different events (${base.event} vs ${cur.event}): shares are compared anyway`,
    );
  }
  const bt = base.samples.total;
  const ct = cur.samples.total;
  const key = (l: HotLineJson) => `${l.file}:${l.line}`;
  const before = new Map(base.hotLines.map(l => [key(l), l]));
  const after = new Map(cur.hotLines.map(l => [key(l), l]));
  const keys = new Set([...before.keys(), ...after.keys()]);
  const lines: LineDelta[] = [];
  for (const k of keys) {
    const b = before.get(k);
    const a = after.get(k);
    const sb = b?.samples ?? ZERO;
    const sa = a?.samples ?? ZERO;
    const shares = {} as Record<Kind, KindDelta>;
    for (const kind of KINDS) shares[kind] = kd(share(sb[kind], bt), share(sa[kind], ct));
    const ref = (a ?? b)!;
    lines.push({
      file: ref.file,
      line: ref.line,
      function: ref.function,
      samplesBefore: { ...sb },
      samplesAfter: { ...sa },
      shares,
      presence: b && a ? 'both' : b ? 'gone' : 'new',
    });
  }
  lines.sort(
    (x, y) =>
      weight(y) - weight(x) ||
      Math.abs(y.shares.total.delta) - Math.abs(x.shares.total.delta) ||
      x.file.localeCompare(y.file) ||
      x.line - y.line,
  );
  const s = (r: ProfileReportJson, k: Kind) => share(r.samples[k], r.samples.total);
  return {
    schema: 'alloc-lens/profile-compare@1',
    baseline: { input: base.input, event: base.event, samples: bt },
    current: { input: cur.input, event: cur.event, samples: ct },
    shares: {
      copy: kd(s(base, 'copy'), s(cur, 'copy')),
      alloc: kd(s(base, 'alloc'), s(cur, 'alloc')),
      free: kd(s(base, 'free'), s(cur, 'free')),
      total: kd(1, 1),
      allocator: kd(base.shares.allocator, cur.shares.allocator),
    },
    lines,
    warnings: [
      ...warnings,
      ...base.warnings.map(w => `baseline: ${w}`),
      ...cur.warnings.map(w => `current: ${w}`),
    ],
  };
}

const LABEL: Record<Kind, string> = {
  copy: 'memcpy',
  alloc: 'malloc',
  free: 'free',
  total: 'samples',
};

/** Signed share points: `−35.5 pp`. */
export function pp(d: number): string {
  const v = Math.abs(d * 100);
  if (v < 0.05) return '±0 pp';
  return `${d < 0 ? '−' : '+'}${v.toFixed(1)} pp`;
}

/**
 * `memcpy 36.0% → 0.5% (1,638 → 12 samples)` for each kind that changed on the line, largest
 * change first. Used by the CLI, the gutter notes and the view.
 */
export function lineDeltaNote(l: LineDelta, max = 2): string {
  const kinds = (['copy', 'alloc', 'free'] as const)
    .filter(k => l.samplesBefore[k] > 0 || l.samplesAfter[k] > 0)
    .sort((a, b) => Math.abs(l.shares[b].delta) - Math.abs(l.shares[a].delta))
    .slice(0, max);
  const show = kinds.length > 0 ? kinds : (['total'] as const);
  const n = (x: number) => x.toLocaleString('en-US');
  return show
    .map(
      k =>
        `${LABEL[k]} ${pct(l.shares[k].before)} → ${pct(l.shares[k].after)} (${n(l.samplesBefore[k])} → ${n(l.samplesAfter[k])} samples)`,
    )
    .join(' · ');
}

export function renderCompareText(c: ProfileCompareJson, top = 10): string {
  const out: string[] = [];
  const n = (x: number) => x.toLocaleString('en-US');
  out.push(
    `baseline: ${c.baseline.input} (${n(c.baseline.samples)} samples of ${c.baseline.event})`,
  );
  out.push(`current:  ${c.current.input} (${n(c.current.samples)} samples of ${c.current.event})`);
  out.push('shares of all samples:');
  for (const k of ['copy', 'alloc', 'free'] as const) {
    const d = c.shares[k];
    out.push(
      `  ${LABEL[k].padEnd(7)} ${pct(d.before).padStart(6)} → ${pct(d.after).padStart(6)}  ${pp(d.delta)}`,
    );
  }
  const moved = c.lines.filter(
    l => weight(l) >= 0.0005 || Math.abs(l.shares.total.delta) >= 0.0005,
  );
  out.push('');
  if (moved.length === 0) out.push('no workspace line changed by 0.05 share points or more');
  else out.push('lines that changed most (share of all samples):');
  for (const [i, l] of moved.slice(0, top > 0 ? top : undefined).entries()) {
    const tag = l.presence === 'gone' ? ' [gone]' : l.presence === 'new' ? ' [new]' : '';
    out.push(`${String(i + 1).padStart(3)}. ${l.file}:${l.line}${tag}  ${lineDeltaNote(l)}`);
    out.push(`     in ${l.function}`);
  }
  for (const w of c.warnings) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}
