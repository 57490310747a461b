/**
 * Profiles in the language server: import (with the server's index, so samples map to the same
 * definitions the findings use), hot-line notes for any editor (hint diagnostics and the
 * `allocLens/profileHotLines` notification), the hover of a hot line, findings ranked by measured
 * cost and the flamegraph payload. Profile text reaches editors only as data or escaped markdown.
 */
import * as path from 'node:path';
import { hotLinesByView } from '../profile/hot-views';
import { profileHoverMarkdown } from '../profile/hover-markdown';
import { analyzeProfile, lineReader, type ProfileAnalysis } from '../profile/analyze';
import { confirmFindings, type Confirmation } from '../profile/confirm';
import { memoryCost, type HotLine } from '../profile/attribute';
import { lineNote, lineShare, pct, topStacks } from '../profile/report';
import type { ImportProgress } from '../profile/types';
import type { Finding } from '../core/rules/types';
import type { FolderState, ProfileEvidence, WorkspaceAnalysis } from './analysis';
import { fileUri } from './convert';
import { heapConfirmations, heapDiagnostics, heapFlamegraph, heapHotLines, heapHover, heapSummary, importHeap, type LoadedHeap } from './heap';
import { detectImporter } from '../profile/import';
import type { Diagnostic } from 'vscode-languageserver';
import { HEAT_LEVELS, type HotLineNote, type ImportSummary } from './protocol';

export interface LoadedProfile {
  readonly file: string;
  readonly folder: FolderState;
  readonly result: ProfileAnalysis;
}

export class ProfileState {
  current: LoadedProfile | undefined;
  /** A loaded heap profile (one profile at a time: CPU or heap). */
  heap: LoadedHeap | undefined;

  constructor(private readonly analysis: WorkspaceAnalysis) {}

  async import(file: string, folder: FolderState, opts: { signal?: AbortSignal; onProgress?: (p: ImportProgress) => void; trusted?: boolean }): Promise<ImportSummary> {
    if ((await detectImporter(file)).importer.kind === 'heap') {
      const { loaded, summary } = await importHeap(file, folder, opts);
      this.current = undefined;
      this.heap = loaded;
      this.analysis.setConfirmer((root, findings) => {
        const out = new Map<Finding, ProfileEvidence>();
        if (!this.heap || root !== this.heap.folder.root) return out;
        for (const c of heapConfirmations(this.heap, findings)) out.set(c.finding, c);
        return out;
      });
      return summary;
    }
    const result = await analyzeProfile(file, {
      root: folder.root,
      index: folder.index,
      remaps: folder.editor.remaps,
      top: 0,
      // addr2line on the workspace's binaries: not in an untrusted workspace (nothing is executed)
      expand: opts.trusted !== false,
      signal: opts.signal,
      onProgress: opts.onProgress,
    });
    this.current = { file, folder, result };
    this.heap = undefined;
    const text = lineReader(folder.root, folder.index);
    this.analysis.setConfirmer((root, findings) => {
      const out = new Map<Finding, ProfileEvidence>();
      const cur = this.current;
      if (!cur || root !== cur.folder.root) return out;
      for (const c of confirmFindings(findings, cur.result.attribution, root, text, { minShare: cur.folder.editor.confirmMinShare })) out.set(c.finding, c);
      return out;
    });
    const r = result.report;
    const top = r.hotLines[0];
    const samples = r.samples.total.toLocaleString('en-US');
    const message = top
      ? `Alloc Lens: ${samples} samples; memcpy ${pct(r.shares.copy)}, allocator ${pct(r.shares.allocator)}. Hottest: ${top.file}:${top.line} (${lineNote(top)}).`
      : `Alloc Lens: ${samples} samples, none in ${folder.root}. ${r.warnings[r.warnings.length - 1] ?? ''}`;
    return {
      file,
      format: r.format,
      samples: r.samples.total,
      event: r.event,
      copyShare: r.shares.copy,
      allocatorShare: r.shares.allocator,
      hottest: top && { file: top.file, line: top.line, note: lineNote(top) },
      warnings: r.warnings,
      message,
    };
  }

  clear(): void {
    this.current = undefined;
    this.heap = undefined;
    this.analysis.setConfirmer(undefined);
  }

  /** Heap diagnostics (churn, growth, peak holders, leaks) by absolute file; empty for CPU. */
  diagnostics(source: string): Map<string, Diagnostic[]> {
    return this.heap ? heapDiagnostics(this.heap, source) : new Map();
  }

  summary(): string | undefined {
    if (this.heap) return heapSummary(this.heap);
    const c = this.current;
    if (!c) return undefined;
    const r = c.result.report;
    return `${r.samples.total.toLocaleString('en-US')} samples of ${r.event}: memcpy ${(r.shares.copy * 100).toFixed(1)}%, allocator ${(r.shares.allocator * 100).toFixed(1)}% (${c.file})`;
  }

  /** Hot lines worth marking: any allocator/copy sample, or at least 0.5% of all samples. */
  hotLines(): HotLineNote[] {
    if (this.heap) return heapHotLines(this.heap);
    const c = this.current;
    if (!c) return [];
    const a = c.result.attribution;
    const lines = [...a.lines.values()].filter(h => memoryCost(h.samples) > 0 || h.samples.total >= a.totals.total * 0.005);
    const weight = (h: HotLine) => memoryCost(h.samples) || h.samples.total * 0.01;
    const max = Math.max(1, ...lines.map(weight));
    return lines.map(h => ({
      uri: fileUri(a.resolver.absolute(h.file)),
      line: h.line - 1,
      note: `${lineNote({ samples: h.samples, share: lineShare(h.samples, a.totals) })}${h.precision === 'function' ? ' (fn)' : ''}`,
      level: Math.min(HEAT_LEVELS - 1, Math.floor(Math.sqrt(weight(h) / max) * HEAT_LEVELS)),
    }));
  }

  /** Markdown for a hover on a hot line (counts and top stacks), or undefined. */
  hover(file: string, line0: number): string | undefined {
    if (this.heap) return heapHover(this.heap, file, line0);
    const c = this.current;
    if (!c) return undefined;
    const rel = path.relative(c.folder.root, file).split(path.sep).join('/');
    const a = c.result.attribution;
    const h = a.lines.get(`${rel}:${line0 + 1}`);
    if (!h) return undefined;
    const s = h.samples;
    const share = lineShare(s, a.totals);
    const n = (x: number) => x.toLocaleString('en-US');
    // Profile text (symbols, frames, paths) is escaped by the one tested helper
    // (core/secure/escape.ts): it cannot become links, images or HTML in any editor's hover.
    return profileHoverMarkdown({
      rel,
      line: h.line,
      functionLevel: h.precision === 'function',
      countsLine: `${n(s.total)} samples (${pct(share.total)} of all): memcpy ${n(s.copy)} (${pct(share.copy)} of memcpy) · malloc ${n(s.alloc)} (${pct(share.alloc)}) · free ${n(s.free)} (${pct(share.free)})`,
      fn: h.function,
      stacks: topStacks(c.result.data, a, h, 3, 3),
    });
  }

  confirmations(): Confirmation[] {
    if (this.heap) {
      const h = this.heap;
      return heapConfirmations(h, this.analysis.allFindings().filter(f => f.range.file.startsWith(h.folder.root + path.sep)));
    }
    const c = this.current;
    if (!c) return [];
    const mine = this.analysis.allFindings().filter(f => f.range.file.startsWith(c.folder.root + path.sep));
    return confirmFindings(mine, c.result.attribution, c.folder.root, lineReader(c.folder.root, c.folder.index), { minShare: c.folder.editor.confirmMinShare });
  }

  /** Findings ranked by measured cost, as rows an editor can list. */
  ranked(): { label: string; description: string; detail: string; uri: string; line: number; character: number; confirmed: boolean }[] {
    const c = this.current ?? this.heap;
    if (!c) return [];
    return this.confirmations().map(x => ({
      label: `${x.finding.code}  ${path.relative(c.folder.root, x.finding.range.file)}:${x.finding.range.line}`,
      description: x.confirmed
        ? `${pct(x.share)} of ${x.measure === 'copy' ? 'memcpy' : x.measure === 'allocator' ? 'allocator' : 'allocator + memcpy'} samples`
        : x.samples > 0
          ? `${pct(x.share)} (below threshold)`
          : 'no samples',
      detail: x.finding.message,
      uri: fileUri(x.finding.range.file),
      line: x.finding.range.line - 1,
      character: x.finding.range.column - 1,
      confirmed: x.confirmed,
    }));
  }

  /**
   * What the flamegraph panel shows: speedscope JSON and, per view (All / Allocator / Copy), the
   * top 100 hot lines ranked by that view's samples (the list follows the view).
   */
  flamegraph(): { title: string; speedscope: object; hotLines: PanelHotLine[]; hotLinesByView?: PanelHotLine[][]; views?: { label: string; title: string }[] } | undefined {
    if (this.heap) return heapFlamegraph(this.heap);
    const c = this.current;
    if (!c) return undefined;
    const a = c.result.attribution;
    const byView = hotLinesByView(a.lines.values(), a.totals).map(list =>
      list.map(h => ({ file: a.resolver.absolute(h.file), line: h.line, label: `${h.file}:${h.line}  ${h.note}`, detail: h.function })),
    );
    return { title: `Flamegraph: ${path.basename(c.file)}`, speedscope: c.result.speedscope(true), hotLines: byView[0], hotLinesByView: byView };
  }
}

/** A hot line in the flamegraph panel's list (extension/webview-protocol.ts HotLineItem). */
interface PanelHotLine {
  file: string;
  line: number;
  label: string;
  detail?: string;
}
