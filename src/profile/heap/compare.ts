/**
 * Before/after comparison of two heap reports (DHAT, heaptrack, pprof): how a user proves that a
 * fix allocates less. Unlike CPU samples, heap quantities are absolute (bytes, blocks), so a
 * deterministic program's two runs compare directly: per line, bytes and blocks before and after
 * and their difference; plus the share of all allocated bytes, for runs of different lengths.
 * Schema `alloc-lens/heap-compare@1`.
 */
import { fmtBytes, fmtCount, fmtPct } from './format';
import type { HeapLineJson, HeapReportJson } from './report';

export interface HeapAmounts {
  bytes: number;
  blocks: number;
  /** null when the format has no peak / exit data. */
  peakBytes: number | null;
  endBytes: number | null;
}

export interface HeapLineDelta {
  readonly file: string;
  readonly line: number;
  readonly function: string;
  /** Zero where the line is absent from that profile. */
  readonly before: HeapAmounts;
  readonly after: HeapAmounts;
  /** after − before. */
  readonly delta: { bytes: number; blocks: number };
  /** The line's share of all bytes allocated in each profile (0..1). */
  readonly share: { before: number; after: number };
  /** `gone` (only in the baseline), `new` (only in the current profile), `both`. */
  readonly presence: 'gone' | 'new' | 'both';
}

export interface HeapCompareJson {
  readonly schema: 'alloc-lens/heap-compare@1';
  readonly baseline: { input: string; format: string; totals: HeapReportJson['totals'] };
  readonly current: { input: string; format: string; totals: HeapReportJson['totals'] };
  /** after − before of the totals (null where either profile lacks the measure). */
  readonly delta: {
    bytes: number;
    blocks: number;
    peakBytes: number | null;
    endBytes: number | null;
  };
  /** Lines ranked by |Δbytes|, then |Δblocks|. */
  readonly lines: HeapLineDelta[];
  readonly warnings: string[];
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
const NONE: HeapAmounts = { bytes: 0, blocks: 0, peakBytes: 0, endBytes: 0 };

function amounts(l: HeapLineJson | undefined, r: HeapReportJson): HeapAmounts {
  if (!l)
    return {
      ...NONE,
      peakBytes: r.totals.peakBytes === null ? null : 0,
      endBytes: r.totals.endBytes === null ? null : 0,
    };
  return {
    bytes: l.heap.bytes,
    blocks: l.heap.blocks,
    peakBytes: l.heap.peakBytes,
    endBytes: l.heap.endBytes,
  };
}

const sub = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

/**
 * Compare two heap reports. Pass reports built with every hot line (`top: 0`): a line cut from
 * one report's top-N would look like it vanished.
 */
export function compareHeapReports(base: HeapReportJson, cur: HeapReportJson): HeapCompareJson {
  const warnings: string[] = [];
  const fmt = (f: string) => f.replace(/\+gzip$/, '');
  if (fmt(base.format) !== fmt(cur.format)) {
    warnings.push(
      `the profiles come from different tools (${base.format} vs ${cur.format}): they count allocations differently, so compare shares rather than raw bytes`,
    );
  }
  const key = (l: HeapLineJson) => `${l.file}:${l.line}`;
  const before = new Map(base.hotLines.map(l => [key(l), l]));
  const after = new Map(cur.hotLines.map(l => [key(l), l]));
  const lines: HeapLineDelta[] = [];
  for (const k of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(k);
    const a = after.get(k);
    const ab = amounts(b, base);
    const aa = amounts(a, cur);
    const ref = (a ?? b)!;
    lines.push({
      file: ref.file,
      line: ref.line,
      function: ref.function,
      before: ab,
      after: aa,
      delta: { bytes: aa.bytes - ab.bytes, blocks: aa.blocks - ab.blocks },
      share: {
        before: ratio(ab.bytes, base.totals.bytes),
        after: ratio(aa.bytes, cur.totals.bytes),
      },
      presence: b && a ? 'both' : b ? 'gone' : 'new',
    });
  }
  lines.sort(
    (x, y) =>
      Math.abs(y.delta.bytes) - Math.abs(x.delta.bytes) ||
      Math.abs(y.delta.blocks) - Math.abs(x.delta.blocks) ||
      x.file.localeCompare(y.file) ||
      x.line - y.line,
  );
  const bt = base.totals;
  const ct = cur.totals;
  return {
    schema: 'alloc-lens/heap-compare@1',
    baseline: { input: base.input, format: base.format, totals: bt },
    current: { input: cur.input, format: cur.format, totals: ct },
    delta: {
      bytes: ct.bytes - bt.bytes,
      blocks: ct.blocks - bt.blocks,
      peakBytes: sub(ct.peakBytes, bt.peakBytes),
      endBytes: sub(ct.endBytes, bt.endBytes),
    },
    lines,
    warnings: [
      ...warnings,
      ...base.warnings.map(w => `baseline: ${w}`),
      ...cur.warnings.map(w => `current: ${w}`),
    ],
  };
}

/** `−9.24 MB`, `+2.88 MB`, `±0 B`. */
export function signedBytes(d: number): string {
  if (d === 0) return '±0 B';
  return `${d < 0 ? '−' : '+'}${fmtBytes(Math.abs(d))}`;
}

/** `−48`, `+2`, `±0`. */
export function signedCount(d: number): string {
  if (d === 0) return '±0';
  return `${d < 0 ? '−' : '+'}${fmtCount(Math.abs(d))}`;
}

/** The lines whose bytes or blocks changed, largest change first. */
export function movedLines(c: HeapCompareJson): HeapLineDelta[] {
  return c.lines.filter(l => l.delta.bytes !== 0 || l.delta.blocks !== 0);
}

/** `9.24 MB → 0 B (−9.24 MB) · 48 → 0 blocks (−48)`: the editor note and the CLI line. */
export function heapDeltaNote(l: HeapLineDelta): string {
  return (
    `${fmtBytes(l.before.bytes)} → ${fmtBytes(l.after.bytes)} (${signedBytes(l.delta.bytes)}) · ` +
    `${fmtCount(l.before.blocks)} → ${fmtCount(l.after.blocks)} blocks (${signedCount(l.delta.blocks)})`
  );
}

export function renderHeapCompareText(c: HeapCompareJson, top = 10): string {
  const out: string[] = [];
  const head = (what: string, r: HeapCompareJson['baseline']) =>
    `${what} ${r.input} (${r.format}): ${fmtBytes(r.totals.bytes)} in ${fmtCount(r.totals.blocks)} blocks` +
    (r.totals.peakBytes !== null ? `, peak ${fmtBytes(r.totals.peakBytes)}` : '') +
    (r.totals.endBytes !== null ? `, ${fmtBytes(r.totals.endBytes)} live at exit` : '');
  out.push(head('baseline:', c.baseline));
  out.push(head('current: ', c.current));
  const pctChange = (a: number, b: number) =>
    a > 0 ? ` (${b >= a ? '+' : '−'}${fmtPct(Math.abs(b - a) / a)})` : '';
  out.push('totals:');
  out.push(
    `  bytes   ${fmtBytes(c.baseline.totals.bytes)} → ${fmtBytes(c.current.totals.bytes)}  ${signedBytes(c.delta.bytes)}${pctChange(c.baseline.totals.bytes, c.current.totals.bytes)}`,
  );
  out.push(
    `  blocks  ${fmtCount(c.baseline.totals.blocks)} → ${fmtCount(c.current.totals.blocks)}  ${signedCount(c.delta.blocks)}${pctChange(c.baseline.totals.blocks, c.current.totals.blocks)}`,
  );
  if (c.delta.peakBytes !== null)
    out.push(
      `  peak    ${fmtBytes(c.baseline.totals.peakBytes!)} → ${fmtBytes(c.current.totals.peakBytes!)}  ${signedBytes(c.delta.peakBytes)}`,
    );
  if (c.delta.endBytes !== null)
    out.push(
      `  at exit ${fmtBytes(c.baseline.totals.endBytes!)} → ${fmtBytes(c.current.totals.endBytes!)}  ${signedBytes(c.delta.endBytes)}`,
    );
  const moved = movedLines(c);
  out.push('');
  if (moved.length === 0)
    out.push('no workspace line allocates a different number of bytes or blocks');
  else out.push('lines that changed most (bytes, then blocks):');
  for (const [i, l] of moved.slice(0, top > 0 ? top : undefined).entries()) {
    const tag = l.presence === 'gone' ? ' [gone]' : l.presence === 'new' ? ' [new]' : '';
    out.push(`${String(i + 1).padStart(3)}. ${l.file}:${l.line}${tag}  ${heapDeltaNote(l)}`);
    out.push(`     in ${l.function}`);
  }
  for (const w of c.warnings) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}
