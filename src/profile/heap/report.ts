/**
 * The heap report: totals, attribution shares (workspace lines / named dependencies / unknown),
 * hot lines ranked by bytes with `heap: { bytes, blocks, peakBytes, endBytes, avgLifetime }`,
 * their top allocation stacks, and the heap diagnostics. JSON schema: README "Heap profiles".
 */
import { rankHeapLines, type HeapAttribution, type HeapLine } from './attribute';
import type { HeapDiagnostic } from './diagnose';
import { fmtBytes, fmtCount, fmtPct, fmtTime } from './format';
import type { HeapMeasure, HeapProfile } from './model';

export interface HeapStackJson {
  bytes: number;
  blocks: number;
  /** Leaf first: `name (file:line)`. */
  frames: string[];
  /** Index in `frames` of the workspace frame the site is charged to. */
  userFrame: number;
  /** The crate the workspace line called into, when named. */
  via?: string;
}

export interface HeapLineJson {
  file: string;
  line: number;
  function: string;
  heap: {
    bytes: number;
    blocks: number;
    /** bytes / blocks */
    avgSize: number;
    /** Bytes live at the global peak (null when the format has no peak). */
    peakBytes: number | null;
    /** peakBytes / the global peak (0..1). */
    peakShare: number | null;
    /** Bytes live at exit (pprof: when the profile was written). */
    endBytes: number | null;
    /** Average block lifetime in `timeUnit` (null when the format has no lifetimes). */
    avgLifetime: number | null;
    reads?: number;
    writes?: number;
  };
  /** Share of all allocated bytes (0..1). */
  share: number;
  via: { crate: string; bytes: number }[];
  stacks: HeapStackJson[];
}

export interface HeapReportJson {
  schema: 'alloc-lens/heap-profile@1';
  input: string;
  format: string;
  measure: 'bytes';
  measures: HeapMeasure[];
  timeUnit: string;
  /** What `endBytes` means: live at program exit (DHAT, heaptrack) or when the profile was written (pprof). */
  endBytesAt: 'exit' | 'profile-written';
  command?: string;
  totals: {
    bytes: number;
    blocks: number;
    peakBytes: number | null;
    endBytes: number | null;
    sites: number;
  };
  /** Shares of allocated bytes (0..1): workspace lines, named dependencies, unknown. */
  shares: { workspace: number; dependencies: number; unknown: number };
  /** The same shares over bytes whose stacks have source locations. */
  sourceShares: { workspace: number; dependencies: number; unknown: number };
  /** Bytes allocated by sites without a workspace frame, per crate charged. */
  dependencies: { crate: string; bytes: number; blocks: number }[];
  hotLines: HeapLineJson[];
  diagnostics: HeapDiagnostic[];
  warnings: string[];
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

function frameLabel(heap: HeapProfile, id: number): string {
  const f = heap.frames[id];
  return f.file
    ? `${f.name} (${f.file}:${f.line ?? 0})`
    : f.object
      ? `${f.name} (in ${f.object})`
      : f.name;
}

/** `stacks`: how many of the line's largest stacks to show (at most KEPT_STACKS are kept). */
export function lineJson(
  heap: HeapProfile,
  a: HeapAttribution,
  l: HeapLine,
  stacks = 3,
): HeapLineJson {
  const c = l.counts;
  const has = (m: HeapMeasure) => heap.measures.has(m);
  return {
    file: l.file,
    line: l.line,
    function: l.function,
    heap: {
      bytes: c.bytes,
      blocks: c.blocks,
      avgSize: ratio(c.bytes, c.blocks),
      peakBytes: has('peakBytes') ? c.peakBytes : null,
      peakShare: has('peakBytes') ? ratio(c.peakBytes, heap.peakTotal) : null,
      endBytes: has('endBytes') ? c.endBytes : null,
      avgLifetime: has('lifetime') ? ratio(c.lifetime, c.blocks) : null,
      ...(has('access') ? { reads: c.reads, writes: c.writes } : {}),
    },
    share: ratio(c.bytes, a.totals.bytes),
    via: [...l.via].sort((x, y) => y[1] - x[1]).map(([crate, bytes]) => ({ crate, bytes })),
    stacks: l.stacks.slice(0, stacks).map(s => ({
      bytes: s.bytes,
      blocks: s.blocks,
      frames: s.frames.map(id => frameLabel(heap, id)),
      userFrame: s.user,
      ...(s.dependency ? { via: s.dependency } : {}),
    })),
  };
}

export function buildHeapReport(
  heap: HeapProfile,
  a: HeapAttribution,
  diagnostics: HeapDiagnostic[],
  opts: { input: string; format: string; top: number; stacks?: number; warnings?: string[] },
): HeapReportJson {
  const t = a.totals;
  let ws = 0;
  for (const l of a.lines.values()) ws += l.counts.bytes;
  const wsSource = ws; // a workspace frame has a source file by definition
  let deps = 0;
  for (const d of a.dependencies.values()) deps += d.bytes;
  const depsSource = a.dependencySourceBytes;
  const ranked = rankHeapLines(a);
  return {
    schema: 'alloc-lens/heap-profile@1',
    input: opts.input,
    format: opts.format,
    measure: 'bytes',
    measures: [...heap.measures],
    timeUnit: heap.timeUnit,
    endBytesAt: heap.liveIsExit ? 'exit' : 'profile-written',
    ...(heap.command ? { command: heap.command } : {}),
    totals: {
      bytes: t.bytes,
      blocks: t.blocks,
      peakBytes: heap.measures.has('peakBytes') ? heap.peakTotal : null,
      endBytes: heap.measures.has('endBytes') ? t.endBytes : null,
      sites: heap.siteCount,
    },
    shares: {
      workspace: ratio(ws, t.bytes),
      dependencies: ratio(deps, t.bytes),
      unknown: ratio(t.bytes - ws - deps, t.bytes),
    },
    sourceShares: {
      workspace: ratio(wsSource, a.sourceBytes),
      dependencies: ratio(depsSource, a.sourceBytes),
      unknown: ratio(a.sourceBytes - wsSource - depsSource, a.sourceBytes),
    },
    dependencies: [...a.dependencies]
      .sort((x, y) => y[1].bytes - x[1].bytes)
      .map(([crate, c]) => ({ crate, bytes: c.bytes, blocks: c.blocks })),
    hotLines: (opts.top > 0 ? ranked.slice(0, opts.top) : ranked).map(l =>
      lineJson(heap, a, l, opts.stacks ?? 3),
    ),
    diagnostics,
    warnings: [...heap.warnings, ...(opts.warnings ?? [])],
  };
}

/** `1.65 GB in 1,562 blocks · 38 % of peak` (the editor's end-of-line note). */
export function heapLineNote(h: HeapLineJson['heap']): string {
  const parts = [`${fmtBytes(h.bytes)} in ${fmtCount(h.blocks)} blocks`];
  if (h.peakShare !== null && h.peakBytes) parts.push(`${fmtPct(h.peakShare)} of peak`);
  if (h.endBytes) parts.push(`${fmtBytes(h.endBytes)} live at exit`);
  return parts.join(' · ');
}

export function renderHeapText(r: HeapReportJson): string {
  const out: string[] = [];
  const t = r.totals;
  out.push(
    `heap profile ${r.input} (${r.format}): ${fmtBytes(t.bytes)} allocated in ${fmtCount(t.blocks)} blocks at ${fmtCount(t.sites)} sites` +
      (t.peakBytes !== null ? `; peak ${fmtBytes(t.peakBytes)}` : '') +
      (t.endBytes !== null
        ? `; live at ${r.endBytesAt === 'exit' ? 'exit' : 'the dump'} ${fmtBytes(t.endBytes)}`
        : ''),
  );
  const deps = r.dependencies
    .slice(0, 4)
    .map(d => `${d.crate} ${fmtPct(d.bytes / (t.bytes || 1))}`)
    .join(', ');
  out.push(
    `bytes charged to: workspace lines ${fmtPct(r.shares.workspace)}, named dependencies ${fmtPct(r.shares.dependencies)}${deps ? ` (${deps})` : ''}, unknown ${fmtPct(r.shares.unknown)}`,
  );
  out.push('');
  if (r.hotLines.length === 0) out.push('no allocation has a frame in the workspace');
  else {
    out.push('hot lines by bytes:');
    const rows = r.hotLines.map(l => {
      const h = l.heap;
      return [
        `${l.file}:${l.line}`,
        fmtBytes(h.bytes),
        `${fmtCount(h.blocks)} blocks`,
        `avg ${fmtBytes(h.avgSize)}`,
        h.peakBytes !== null
          ? `peak ${fmtBytes(h.peakBytes)} (${fmtPct(h.peakShare ?? 0)})`
          : 'peak ?',
        h.endBytes !== null
          ? `${r.endBytesAt === 'exit' ? 'exit' : 'live'} ${fmtBytes(h.endBytes)}`
          : 'exit ?',
        h.avgLifetime !== null ? `life ${fmtTime(h.avgLifetime, r.timeUnit)}` : '',
        `${l.function}${l.via.length ? ` via ${l.via[0].crate}` : ''}`,
      ];
    });
    const w = rows[0].map((_, i) => Math.max(...rows.map(row => row[i].length)));
    for (const row of rows)
      out.push(
        `  ${row
          .map((c, i) => (i === 0 || i === row.length - 1 ? c.padEnd(w[i]) : c.padStart(w[i])))
          .join('  ')
          .trimEnd()}`,
      );
  }
  if (r.diagnostics.length > 0) {
    out.push('', 'heap diagnostics (by bytes):');
    for (const d of r.diagnostics)
      out.push(`  ${d.file}:${d.line} ${d.severity}[${d.code}] ${d.message}; ${d.advice}`);
  }
  for (const w of r.warnings) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}
