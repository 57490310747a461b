/**
 * Editor side of heap profiles (DHAT, heaptrack, pprof): byte heat in the gutter, end-of-line
 * notes in bytes (`1.65 GB in 1,562 blocks · 38 % of peak`), a hover with the top allocation
 * stacks, heap diagnostics (churn, growth, peak holders, leaks), static findings confirmed and
 * ranked by bytes, and the byte-weighted flamegraph (total, at peak, at exit). The analysis is
 * src/profile/heap (no vscode there); ProfileSession hands heap files to this class.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { analyzeHeap, type HeapAnalysis } from '../profile/heap/analyze';
import { rankHeapLines, type HeapLine } from '../profile/heap/attribute';
import { confirmWithHeap } from '../profile/heap/confirm';
import { HEAP_DIAGNOSTIC_DOCS } from '../profile/heap/diagnose';
import { HEAP_VIEWS } from '../profile/heap/export';
import { fmtBytes, fmtCount, fmtPct, fmtTime } from '../profile/heap/format';
import { heapLineNote, lineJson } from '../profile/heap/report';
import { lineReader } from '../profile/analyze';
import type { Finding } from '../core/rules/types';
import type { Analysis, FolderState } from './analysis';
import type { ProfileEvidence } from './convert';
import { FlamegraphPanel } from './flamegraph-panel';
import { readProfileSettings } from './config';
import { log } from './log';

export interface LoadedHeap {
  readonly file: string;
  readonly folder: FolderState;
  readonly result: HeapAnalysis;
}

const LEVELS = 5;

function bar(level: number): vscode.Uri {
  const alpha = (0.25 + (0.75 * level) / (LEVELS - 1)).toFixed(2);
  const width = 3 + level;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect x="${16 - width - 1}" y="0" width="${width}" height="16" fill="rgb(40,130,230)" fill-opacity="${alpha}"/></svg>`;
  return vscode.Uri.parse(`data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`);
}

/** Lines worth marking: at least 0.1 % of the allocated bytes, or anything live at exit. */
function marked(l: LoadedHeap): HeapLine[] {
  const total = l.result.attribution.totals.bytes;
  return rankHeapLines(l.result.attribution).filter(h => h.counts.bytes >= total * 0.001 || h.counts.endBytes > 0);
}

export class HeapView implements vscode.Disposable {
  private loaded: LoadedHeap | undefined;
  private readonly levels = Array.from({ length: LEVELS }, (_, i) =>
    vscode.window.createTextEditorDecorationType({
      gutterIconPath: bar(i),
      gutterIconSize: 'contain',
      overviewRulerColor: `rgba(40,130,230,${(0.3 + (0.7 * i) / (LEVELS - 1)).toFixed(2)})`,
      overviewRulerLane: vscode.OverviewRulerLane.Right,
      isWholeLine: true,
    }),
  );
  private readonly note = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em', fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('alloc-lens-heap');

  constructor(
    private readonly analysis: Analysis,
    private readonly extensionUri: vscode.Uri,
  ) {}

  get current(): LoadedHeap | undefined {
    return this.loaded;
  }

  dispose(): void {
    for (const t of this.levels) t.dispose();
    this.note.dispose();
    this.diagnostics.dispose();
  }

  /** Imports a heap profile with progress and cancel; throws what analyzeHeap throws. */
  async import(file: string, folder: FolderState): Promise<LoadedHeap | undefined> {
    const settings = readProfileSettings(vscode.Uri.file(folder.root));
    const started = Date.now();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Alloc Lens: importing ${path.basename(file)}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return analyzeHeap(file, {
          root: folder.root,
          index: folder.index,
          remaps: settings.remaps,
          top: 0,
          signal: abort.signal,
          onProgress: p => progress.report({ message: `${(p.bytesRead / 1e6).toFixed(0)} MB` }),
        });
      },
    );
    this.loaded = { file, folder, result };
    const r = result.report;
    log().info(`imported heap profile ${file} (${r.format}) in ${Date.now() - started} ms: ${r.totals.bytes} bytes in ${r.totals.blocks} blocks, ${r.hotLines.length} hot lines, workspace ${fmtPct(r.shares.workspace)}`);
    for (const w of r.warnings) log().warn(`${path.basename(file)}: ${w}`);
    this.apply();
    const top = r.hotLines[0];
    const msg = top
      ? `Alloc Lens: ${fmtBytes(r.totals.bytes)} allocated in ${fmtCount(r.totals.blocks)} blocks. Top: ${top.file}:${top.line} (${heapLineNote(top.heap)}).`
      : `Alloc Lens: ${fmtBytes(r.totals.bytes)} allocated, none from ${folder.root}. ${r.warnings[r.warnings.length - 1] ?? ''}`;
    void vscode.window.showInformationMessage(msg, 'Open Flamegraph').then(c => {
      if (c === 'Open Flamegraph') this.openFlamegraph();
    });
    return this.loaded;
  }

  private apply(): void {
    const l = this.loaded;
    if (!l) return;
    this.show();
    this.publishDiagnostics();
    const text = lineReader(l.folder.root, l.folder.index);
    const settings = readProfileSettings(vscode.Uri.file(l.folder.root));
    this.analysis.setConfirmer((root, findings) => {
      const out = new Map<Finding, ProfileEvidence>();
      if (!this.loaded || root !== this.loaded.folder.root) return out;
      for (const c of confirmWithHeap(findings, this.loaded.result.attribution, root, text, { minShare: settings.confirmMinShare })) out.set(c.finding, c);
      return out;
    });
  }

  private publishDiagnostics(): void {
    this.diagnostics.clear();
    const l = this.loaded;
    if (!l) return;
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const d of l.result.report.diagnostics) {
      const abs = l.result.attribution.resolver.absolute(d.file);
      const diag = new vscode.Diagnostic(new vscode.Range(d.line - 1, 0, d.line - 1, Number.MAX_SAFE_INTEGER), `${d.message}. ${d.advice[0].toUpperCase()}${d.advice.slice(1)}.`, d.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information);
      diag.source = 'alloc-lens';
      diag.code = { value: d.code, target: vscode.Uri.parse(HEAP_DIAGNOSTIC_DOCS) };
      byFile.set(abs, [...(byFile.get(abs) ?? []), diag]);
    }
    for (const [f, ds] of byFile) this.diagnostics.set(vscode.Uri.file(f), ds);
  }

  /** Gutter heat and end-of-line notes on the visible editors. */
  show(): void {
    const l = this.loaded;
    if (!l) return;
    const lines = marked(l);
    const max = Math.max(1, ...lines.map(h => h.counts.bytes));
    const byFile = new Map<string, HeapLine[]>();
    for (const h of lines) {
      const abs = l.result.attribution.resolver.absolute(h.file);
      byFile.set(abs, [...(byFile.get(abs) ?? []), h]);
    }
    for (const ed of vscode.window.visibleTextEditors) {
      const hs = byFile.get(ed.document.uri.fsPath) ?? [];
      const perLevel: vscode.DecorationOptions[][] = this.levels.map(() => []);
      const notes: vscode.DecorationOptions[] = [];
      for (const h of hs) {
        if (h.line > ed.document.lineCount) continue;
        const line = ed.document.lineAt(h.line - 1);
        const level = Math.min(LEVELS - 1, Math.floor(Math.sqrt(h.counts.bytes / max) * LEVELS));
        perLevel[level].push({ range: line.range });
        const j = lineJson(l.result.heap, l.result.attribution, h, 0);
        notes.push({ range: new vscode.Range(line.range.end, line.range.end), renderOptions: { after: { contentText: heapLineNote(j.heap) } } });
      }
      this.levels.forEach((t, i) => ed.setDecorations(t, perLevel[i]));
      ed.setDecorations(this.note, notes);
    }
  }

  clear(): void {
    this.loaded = undefined;
    for (const ed of vscode.window.visibleTextEditors) {
      for (const t of this.levels) ed.setDecorations(t, []);
      ed.setDecorations(this.note, []);
    }
    this.diagnostics.clear();
  }

  /** Hover on a hot line: bytes, blocks, peak, exit, lifetime, and the top allocation stacks. */
  hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const l = this.loaded;
    if (!l) return undefined;
    const rel = path.relative(l.folder.root, doc.uri.fsPath).split(path.sep).join('/');
    const h = l.result.attribution.lines.get(`${rel}:${pos.line + 1}`);
    if (!h) return undefined;
    const j = lineJson(l.result.heap, l.result.attribution, h, 3);
    const x = j.heap;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**Alloc Lens heap profile** · ${rel}:${h.line}\n\n`);
    const parts = [`${fmtBytes(x.bytes)} in ${fmtCount(x.blocks)} blocks (avg ${fmtBytes(x.avgSize)}; ${fmtPct(j.share)} of all bytes)`];
    if (x.peakBytes !== null) parts.push(`${fmtBytes(x.peakBytes)} at the peak (${fmtPct(x.peakShare ?? 0)})`);
    if (x.endBytes !== null) parts.push(`${fmtBytes(x.endBytes)} live at ${l.result.heap.liveIsExit ? 'exit' : 'the dump'}`);
    if (x.avgLifetime !== null) parts.push(`avg lifetime ${fmtTime(x.avgLifetime, l.result.report.timeUnit)}`);
    md.appendText(parts.join(' · '));
    md.appendMarkdown('\n\n');
    md.appendText(`in ${h.function}${j.via.length ? `, via ${j.via.map(v => `${v.crate} ${fmtBytes(v.bytes)}`).join(', ')}` : ''}`);
    md.appendMarkdown('\n\nTop allocation stacks (leaf first):\n');
    // The allocator and std internals below the workspace frame collapse to one line.
    const show = (st: (typeof j.stacks)[number]) => {
      const u = Math.max(0, st.userFrame);
      const from = Math.max(0, u - 2);
      const head = from > 0 ? [`  ... ${from} frames inside ${st.via ?? 'the allocator'}`] : [];
      return [...head, ...st.frames.slice(from, u + 3).map((f, i) => `${from + i === u ? '> ' : '  '}${f}`)].join('\n');
    };
    md.appendCodeblock(j.stacks.map(st => `${fmtBytes(st.bytes)} in ${fmtCount(st.blocks)} blocks\n${show(st)}`).join('\n\n'), 'text');
    md.isTrusted = false;
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }

  openFlamegraph(): boolean {
    const l = this.loaded;
    if (!l) return false;
    const ss = l.result.speedscope(true);
    const views = HEAP_VIEWS.filter(v => ss.profiles.some(p => p.name === v.name)).map(v => ({
      label: v.key === 'bytes' ? 'Total' : v.key === 'peakBytes' ? 'At peak' : 'At exit',
      title: v.name,
    }));
    FlamegraphPanel.show(this.extensionUri, {
      title: `Heap flamegraph: ${path.basename(l.file)}`,
      speedscope: ss,
      views,
      hotLines: rankHeapLines(l.result.attribution).slice(0, 100).map(h => {
        const j = lineJson(l.result.heap, l.result.attribution, h, 0);
        return { file: l.result.attribution.resolver.absolute(h.file), line: h.line, label: `${h.file}:${h.line}  ${heapLineNote(j.heap)}`, detail: `${h.function} · ${fmtBytes(h.counts.bytes)}` };
      }),
    });
    return true;
  }
}
