/**
 * Heap profiles (DHAT, heaptrack, pprof) in the language server: import with the server's index,
 * byte notes for the hot lines (`54.5 MB in 52 blocks · 99 % of peak`), the hover with the top
 * allocation stacks, heap diagnostics (churn, growth, peak holders, leaks) and the byte-weighted
 * flamegraph (Total / At peak / At exit). Static findings are confirmed by bytes (blocks for
 * `async-trait-box`). The analysis itself is src/profile/heap; this file only shapes it for editors.
 */
import * as path from 'node:path';
import { lineReader } from '../profile/analyze';
import type { Confirmation } from '../profile/confirm';
import { analyzeHeap, type HeapAnalysis } from '../profile/heap/analyze';
import { rankHeapLines, type HeapLine } from '../profile/heap/attribute';
import { confirmWithHeap } from '../profile/heap/confirm';
import { HEAP_DIAGNOSTIC_DOCS } from '../profile/heap/diagnose';
import { HEAP_VIEWS } from '../profile/heap/export';
import { fmtBytes, fmtCount, fmtPct, fmtTime } from '../profile/heap/format';
import { heapLineNote, lineJson } from '../profile/heap/report';
import type { ImportProgress } from '../profile/types';
import { escapeMarkdown, markdownCodeBlock } from '../core/secure/escape';
import type { Finding } from '../core/rules/types';
import type { FolderState } from './analysis';
import type { ProfileFinding } from './findings-store';
import { fileUri } from './convert';
import { HEAT_LEVELS, type ComparisonView, type HotLineNote, type ImportSummary } from './protocol';
import {
  heapDeltaNote,
  movedLines,
  signedBytes,
  signedCount,
  type HeapCompareJson,
} from '../profile/heap/compare';

export interface LoadedHeap {
  readonly file: string;
  readonly folder: FolderState;
  readonly result: HeapAnalysis;
}

/** Compare Profiles on a heap profile: the baseline file and the per-line comparison. */
export interface HeapBaseline {
  readonly file: string;
  readonly compare: HeapCompareJson;
}

/** Lines worth marking: at least 0.1 % of the allocated bytes, or anything live at exit. */
function marked(l: LoadedHeap): HeapLine[] {
  const total = l.result.attribution.totals.bytes;
  return rankHeapLines(l.result.attribution).filter(
    h => h.counts.bytes >= total * 0.001 || h.counts.endBytes > 0,
  );
}

export async function importHeap(
  file: string,
  folder: FolderState,
  opts: { signal?: AbortSignal; onProgress?: (p: ImportProgress) => void },
): Promise<{ loaded: LoadedHeap; summary: ImportSummary }> {
  const result = await analyzeHeap(file, {
    root: folder.root,
    index: folder.index,
    remaps: folder.editor.remaps,
    top: 0,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  const loaded = { file, folder, result };
  const r = result.report;
  const top = r.hotLines[0];
  const message = top
    ? `Alloc Lens: ${fmtBytes(r.totals.bytes)} allocated in ${fmtCount(r.totals.blocks)} blocks. Top: ${top.file}:${top.line} (${heapLineNote(top.heap)}).`
    : `Alloc Lens: ${fmtBytes(r.totals.bytes)} allocated, none from ${folder.root}. ${r.warnings[r.warnings.length - 1] ?? ''}`;
  const summary: ImportSummary = {
    file,
    format: r.format,
    samples: r.totals.blocks,
    event: 'heap',
    copyShare: 0,
    allocatorShare: 1,
    hottest: top && { file: top.file, line: top.line, note: heapLineNote(top.heap) },
    warnings: r.warnings,
    message,
  };
  return { loaded, summary };
}

export function heapSummary(l: LoadedHeap): string {
  const t = l.result.report.totals;
  return `${fmtBytes(t.bytes)} in ${fmtCount(t.blocks)} blocks (${l.file})`;
}

export function heapHotLines(l: LoadedHeap, base?: HeapBaseline): HotLineNote[] {
  const lines = marked(l);
  const max = Math.max(1, ...lines.map(h => h.counts.bytes));
  const resolver = l.result.attribution.resolver;
  const out = lines.map(h => ({
    uri: fileUri(resolver.absolute(h.file)),
    line: h.line - 1,
    note: heapLineNote(lineJson(l.result.heap, l.result.attribution, h, 0).heap),
    level: Math.min(HEAT_LEVELS - 1, Math.floor(Math.sqrt(h.counts.bytes / max) * HEAT_LEVELS)),
  }));
  if (!base) return out;
  // Compared: every line whose bytes or blocks moved carries its delta; lines only the baseline
  // had are added at the coolest level (they allocate nothing now).
  const byKey = new Map(out.map(n => [`${n.uri}:${n.line}`, n]));
  for (const d of movedLines(base.compare)) {
    const uri = fileUri(resolver.absolute(d.file));
    const note = `Δ ${heapDeltaNote(d)}`;
    const cur = byKey.get(`${uri}:${d.line - 1}`);
    if (cur) cur.note = note;
    else {
      const n = { uri, line: d.line - 1, note, level: 0 };
      out.push(n);
      byKey.set(`${uri}:${n.line}`, n);
    }
  }
  return out;
}

/** The "Compared with" view of a heap comparison: totals and the lines that changed most. */
export function heapComparison(l: LoadedHeap, b: HeapBaseline): ComparisonView {
  const c = b.compare;
  const bt = c.baseline.totals;
  const ct = c.current.totals;
  const totals = [
    `bytes ${fmtBytes(bt.bytes)} → ${fmtBytes(ct.bytes)} (${signedBytes(c.delta.bytes)})`,
    `blocks ${fmtCount(bt.blocks)} → ${fmtCount(ct.blocks)} (${signedCount(c.delta.blocks)})`,
  ];
  if (c.delta.peakBytes !== null)
    totals.push(
      `peak ${fmtBytes(bt.peakBytes!)} → ${fmtBytes(ct.peakBytes!)} (${signedBytes(c.delta.peakBytes)})`,
    );
  if (c.delta.endBytes !== null)
    totals.push(
      `live at exit ${fmtBytes(bt.endBytes!)} → ${fmtBytes(ct.endBytes!)} (${signedBytes(c.delta.endBytes)})`,
    );
  const moved = movedLines(c);
  const resolver = l.result.attribution.resolver;
  const tools = c.warnings.find(w => w.startsWith('the profiles come from different tools'));
  return {
    baseline: b.file,
    current: l.file,
    measure: 'bytes',
    totals,
    lines: moved.slice(0, 50).map(d => ({
      label: `${d.file}:${d.line}`,
      note: heapDeltaNote(d),
      uri: fileUri(resolver.absolute(d.file)),
      line: d.line - 1,
      presence: d.presence,
    })),
    message: `Alloc Lens: ${path.basename(b.file)} → ${path.basename(l.file)}: ${totals[0]}, ${totals[1]}.${moved[0] ? ` Largest change: ${moved[0].file}:${moved[0].line} (${heapDeltaNote(moved[0])}).` : ' No workspace line allocates differently.'}${tools ? ` Note: ${tools}.` : ''}`,
  };
}

/** Heap diagnostics as findings of the view-model (findings-store.ts renders them as diagnostics). */
export function heapFindings(l: LoadedHeap): ProfileFinding[] {
  return l.result.report.diagnostics.map(d => {
    const abs = l.result.attribution.resolver.absolute(d.file);
    return {
      file: abs,
      code: d.code,
      severity: d.severity,
      message: `${d.message}. ${d.advice[0].toUpperCase()}${d.advice.slice(1)}.`,
      line: d.line - 1,
      endCharacter: l.folder.index.fileText(abs)?.split('\n')[d.line - 1]?.length ?? 0,
      href: HEAP_DIAGNOSTIC_DOCS,
    };
  });
}

/** Markdown for a hover on a hot line: bytes, blocks, peak, exit, lifetime and top stacks. */
export function heapHover(l: LoadedHeap, file: string, line0: number): string | undefined {
  const rel = path.relative(l.folder.root, file).split(path.sep).join('/');
  const h = l.result.attribution.lines.get(`${rel}:${line0 + 1}`);
  if (!h) return undefined;
  const j = lineJson(l.result.heap, l.result.attribution, h, 3);
  const x = j.heap;
  const parts = [
    `${fmtBytes(x.bytes)} in ${fmtCount(x.blocks)} blocks (avg ${fmtBytes(x.avgSize)}; ${fmtPct(j.share)} of all bytes)`,
  ];
  if (x.peakBytes !== null)
    parts.push(`${fmtBytes(x.peakBytes)} at the peak (${fmtPct(x.peakShare ?? 0)})`);
  if (x.endBytes !== null)
    parts.push(`${fmtBytes(x.endBytes)} live at ${l.result.heap.liveIsExit ? 'exit' : 'the dump'}`);
  if (x.avgLifetime !== null)
    parts.push(`avg lifetime ${fmtTime(x.avgLifetime, l.result.report.timeUnit)}`);
  const via = j.via.length
    ? `, via ${j.via.map(v => `${v.crate} ${fmtBytes(v.bytes)}`).join(', ')}`
    : '';
  // Symbols and paths come from the profile: escaped, or inside a code block.
  // The allocator and std internals below the workspace frame collapse to one line.
  const show = (st: (typeof j.stacks)[number]) => {
    const u = Math.max(0, st.userFrame);
    const from = Math.max(0, u - 2);
    const head = from > 0 ? [`  ... ${from} frames inside ${st.via ?? 'the allocator'}`] : [];
    return [
      ...head,
      ...st.frames.slice(from, u + 3).map((f, i) => `${from + i === u ? '> ' : '  '}${f}`),
    ].join('\n');
  };
  const stacks = j.stacks.map(
    st => `${fmtBytes(st.bytes)} in ${fmtCount(st.blocks)} blocks\n${show(st)}`,
  );
  return [
    `**Alloc Lens heap profile** · ${escapeMarkdown(rel)}:${h.line}`,
    '',
    escapeMarkdown(parts.join(' · ')),
    '',
    escapeMarkdown(`in ${h.function}${via}`),
    '',
    'Top allocation stacks (leaf first):',
    markdownCodeBlock(stacks.join('\n\n')),
  ].join('\n');
}

export function heapConfirmations(l: LoadedHeap, findings: readonly Finding[]): Confirmation[] {
  return confirmWithHeap(
    findings,
    l.result.attribution,
    l.folder.root,
    lineReader(l.folder.root, l.folder.index),
    { minShare: l.folder.editor.confirmMinShare },
  );
}

export function heapFlamegraph(l: LoadedHeap) {
  const ss = l.result.speedscope(true);
  const views = HEAP_VIEWS.filter(v => ss.profiles.some(p => p.name === v.name)).map(v => ({
    label: v.key === 'bytes' ? 'Total' : v.key === 'peakBytes' ? 'At peak' : 'At exit',
    title: v.name,
  }));
  return {
    title: `Heap flamegraph: ${path.basename(l.file)}`,
    speedscope: ss as object,
    views,
    hotLines: rankHeapLines(l.result.attribution)
      .slice(0, 100)
      .map(h => {
        const j = lineJson(l.result.heap, l.result.attribution, h, 0);
        return {
          file: l.result.attribution.resolver.absolute(h.file),
          line: h.line,
          label: `${h.file}:${h.line}  ${heapLineNote(j.heap)}`,
          detail: `${h.function} · ${fmtBytes(h.counts.bytes)}`,
        };
      }),
  };
}
