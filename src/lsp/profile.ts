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
import { fmtBytes } from '../profile/heap/format';
import { ProfileInputError } from '../profile/source';
import {
  heapComparison,
  heapConfirmations,
  heapFindings,
  heapFlamegraph,
  heapHotLines,
  heapHover,
  heapSummary,
  importHeap,
  type HeapBaseline,
  type LoadedHeap,
} from './heap';
import { detectImporter } from '../profile/import';
import { analyzeHeap } from '../profile/heap/analyze';
import { compareHeapReports } from '../profile/heap/compare';
import {
  HEAT_LEVELS,
  type ComparisonView,
  type FindingsTree,
  type HotLineNote,
  type ImportSummary,
} from './protocol';
import { compareReports, lineDeltaNote, pp, type ProfileCompareJson } from '../profile/compare';
import { findingsTree, pctOf, type LineCounts, type ProfileLines } from './causes';
import type { FindingsStore, ProfileFinding } from './findings-store';
import type { FnItem } from '../core/model';

export interface LoadedProfile {
  readonly file: string;
  readonly folder: FolderState;
  readonly result: ProfileAnalysis;
}

export class ProfileState {
  current: LoadedProfile | undefined;
  /** A loaded heap profile (one profile at a time: CPU or heap). */
  heap: LoadedHeap | undefined;
  /** The baseline the current CPU profile is compared with (Compare Profiles). */
  baseline: { file: string; result: ProfileAnalysis; compare: ProfileCompareJson } | undefined;
  /** The baseline the loaded heap profile is compared with (per-line bytes/blocks deltas). */
  heapBaseline: HeapBaseline | undefined;

  constructor(private readonly analysis: WorkspaceAnalysis) {}

  async import(
    file: string,
    folder: FolderState,
    opts: { signal?: AbortSignal; onProgress?: (p: ImportProgress) => void; trusted?: boolean },
  ): Promise<ImportSummary> {
    if ((await detectImporter(file)).importer.kind === 'heap') {
      const { loaded, summary } = await importHeap(file, folder, opts);
      this.current = undefined;
      this.baseline = undefined;
      this.heapBaseline = undefined;
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
    this.baseline = undefined;
    this.heapBaseline = undefined;
    const text = lineReader(folder.root, folder.index);
    this.analysis.setConfirmer((root, findings) => {
      const out = new Map<Finding, ProfileEvidence>();
      const cur = this.current;
      if (!cur || root !== cur.folder.root) return out;
      for (const c of confirmFindings(findings, cur.result.attribution, root, text, {
        minShare: cur.folder.editor.confirmMinShare,
      }))
        out.set(c.finding, c);
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
    this.baseline = undefined;
    this.heapBaseline = undefined;
    this.analysis.setConfirmer(undefined);
  }

  /** Findings only the profile makes (heap churn, growth, peak holders, leaks); none for CPU. */
  findings(): ProfileFinding[] {
    return this.heap ? heapFindings(this.heap) : [];
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
    if (this.heap) return heapHotLines(this.heap, this.heapBaseline);
    const c = this.current;
    if (!c) return [];
    const a = c.result.attribution;
    const lines = [...a.lines.values()].filter(
      h => memoryCost(h.samples) > 0 || h.samples.total >= a.totals.total * 0.005,
    );
    const weight = (h: HotLine) => memoryCost(h.samples) || h.samples.total * 0.01;
    const max = Math.max(1, ...lines.map(weight));
    const out = lines.map(h => ({
      uri: fileUri(a.resolver.absolute(h.file)),
      line: h.line - 1,
      note: `${lineNote({ samples: h.samples, share: lineShare(h.samples, a.totals) })}${h.precision === 'function' ? ' (fn)' : ''}`,
      level: Math.min(HEAT_LEVELS - 1, Math.floor(Math.sqrt(weight(h) / max) * HEAT_LEVELS)),
    }));
    const b = this.baseline;
    if (!b) return out;
    // Compared: every line that moved carries its delta (`memcpy 36.0% → 0.4% (1,638 → 12 samples)`),
    // lines only the baseline had included (at the coolest level: they cost nothing now).
    const byKey = new Map(out.map(l => [`${l.uri}:${l.line}`, l]));
    for (const d of b.compare.lines) {
      if (
        Math.max(
          Math.abs(d.shares.copy.delta),
          Math.abs(d.shares.alloc.delta),
          Math.abs(d.shares.free.delta),
          Math.abs(d.shares.total.delta),
        ) < 0.0005
      )
        continue;
      const uri = fileUri(a.resolver.absolute(d.file));
      const note = `Δ ${lineDeltaNote(d)}`;
      const cur = byKey.get(`${uri}:${d.line - 1}`);
      if (cur) cur.note = note;
      else {
        const l = { uri, line: d.line - 1, note, level: 0 };
        out.push(l);
        byKey.set(`${uri}:${l.line}`, l);
      }
    }
    return out;
  }

  /**
   * Compare Profiles: loads `file` as the baseline of the current CPU profile (same workspace
   * index, every line kept) and returns the totals and the lines that changed most.
   */
  async compare(
    file: string,
    opts: { signal?: AbortSignal; onProgress?: (p: ImportProgress) => void },
  ): Promise<ComparisonView> {
    const baseIsHeap = (await detectImporter(file)).importer.kind === 'heap';
    const h = this.heap;
    if (h) {
      if (!baseIsHeap)
        throw new ProfileInputError(
          'the loaded profile is a heap profile (DHAT, heaptrack or pprof): its baseline must be one too, not a CPU profile',
        );
      const result = await analyzeHeap(file, {
        root: h.folder.root,
        index: h.folder.index,
        remaps: h.folder.editor.remaps,
        top: 0,
        stacks: 0,
        signal: opts.signal,
        onProgress: opts.onProgress,
      });
      // Only the baseline's report is kept (its lines' totals), not its attribution.
      this.heapBaseline = { file, compare: compareHeapReports(result.report, h.result.report) };
      return this.comparison()!;
    }
    const c = this.current;
    if (!c)
      throw new ProfileInputError(
        'load the newer profile first (Import Profile... or Record Profile...), then compare it with a baseline',
      );
    if (baseIsHeap)
      throw new ProfileInputError(
        'the loaded profile is a CPU profile (perf): its baseline must be one too; the baseline picked is a heap profile',
      );
    const result = await analyzeProfile(file, {
      root: c.folder.root,
      index: c.folder.index,
      remaps: c.folder.editor.remaps,
      top: 0,
      signal: opts.signal,
      onProgress: opts.onProgress,
    });
    const compare = compareReports(result.report, c.result.report);
    this.baseline = { file, result, compare };
    return this.comparison()!;
  }

  /** The loaded profile's file (CPU or heap). */
  loadedFile(): string | undefined {
    return (this.current ?? this.heap)?.file;
  }

  comparison(): ComparisonView | undefined {
    if (this.heap) return this.heapBaseline && heapComparison(this.heap, this.heapBaseline);
    const b = this.baseline;
    const c = this.current;
    if (!b || !c) return undefined;
    const cmp = b.compare;
    const totals = (['copy', 'alloc', 'free'] as const).map(k => {
      const d = cmp.shares[k];
      return `${k === 'copy' ? 'memcpy' : k === 'alloc' ? 'malloc' : 'free'} ${pct(d.before)} → ${pct(d.after)} (${pp(d.delta)})`;
    });
    const moved = cmp.lines.filter(
      l =>
        Math.max(
          Math.abs(l.shares.copy.delta),
          Math.abs(l.shares.alloc.delta),
          Math.abs(l.shares.free.delta),
        ) >= 0.0005,
    );
    const a = c.result.attribution;
    return {
      baseline: b.file,
      current: c.file,
      totals,
      lines: moved.slice(0, 50).map(l => ({
        label: `${l.file}:${l.line}`,
        note: lineDeltaNote(l),
        uri: fileUri(a.resolver.absolute(l.file)),
        line: l.line - 1,
        presence: l.presence,
      })),
      message: `Alloc Lens: ${path.basename(b.file)} → ${path.basename(c.file)}: ${totals[0]}, ${totals[1]}.${moved[0] ? ` Largest change: ${moved[0].file}:${moved[0].line} (${lineDeltaNote(moved[0], 1)}).` : ''}`,
    };
  }

  /** Per-line counts of the loaded profile (and the baseline), as the findings view sums them. */
  profileLines(): ProfileLines | undefined {
    if (this.heap) {
      const a = this.heap.result.attribution;
      return {
        kind: 'heap',
        totals: { copy: 0, allocator: a.totals.bytes, total: a.totals.bytes },
        line: (rel, line) => {
          const h = a.lines.get(`${rel}:${line}`);
          return h && { copy: 0, allocator: h.counts.bytes, total: h.counts.bytes };
        },
      };
    }
    const c = this.current;
    if (!c) return undefined;
    const cpu = (a: ProfileAnalysis['attribution']) => ({
      totals: {
        copy: a.totals.copy,
        allocator: a.totals.alloc + a.totals.free,
        total: a.totals.total,
      },
      line: (rel: string, line: number): LineCounts | undefined => {
        const h = a.lines.get(`${rel}:${line}`);
        return (
          h && {
            copy: h.samples.copy,
            allocator: h.samples.alloc + h.samples.free,
            total: h.samples.total,
          }
        );
      },
    });
    const b = this.baseline;
    return {
      kind: 'cpu',
      ...cpu(c.result.attribution),
      baseline: b && { ...cpu(b.result.attribution), name: path.basename(b.file) },
    };
  }

  /**
   * The findings view: every finding of the store by root cause, with the evidence the store
   * holds (the confirmations the diagnostics were rendered from) and the profile's own findings.
   */
  findingsTree(store: FindingsStore): FindingsTree {
    const loaded = this.current ?? this.heap;
    const entries = [...store.entries()];
    const tree = findingsTree(
      this.analysis.folders,
      root => entries.filter(e => e.file.startsWith(root + path.sep)).map(e => e.finding),
      loaded ? store.confirmations() : [],
      this.profileLines(),
      loaded ? path.basename(loaded.file) : undefined,
      this.baselineConfirmations(entries.map(e => e.finding)),
      store.profileFindings(),
    );
    const heapBase = this.heap && this.heapBaseline;
    return {
      ...tree,
      ...(heapBase ? { baseline: path.basename(heapBase.file) } : {}),
      comparison: this.comparison(),
    };
  }

  /**
   * CodeLens titles of the hot functions of `file` (0-based line of the fn): the samples of the
   * lines inside each fn (its innermost fn: a nested fn's lines are its own), when they carry at
   * least 1 % of the run's samples or of its allocator/memcpy samples (heap: of the bytes).
   */
  hotFunctions(
    file: string,
    findingsIn: (fn: FnItem) => number,
  ): { line: number; character: number; title: string }[] {
    const loaded = this.current ?? this.heap;
    const p = this.profileLines();
    if (!loaded || !p) return [];
    const folder = loaded.folder;
    if (!file.startsWith(folder.root + path.sep)) return [];
    const rel = path.relative(folder.root, file).split(path.sep).join('/');
    const fns = folder.index
      .itemsInFile(file)
      .filter((i): i is FnItem => i.kind === 'fn' && (i as FnItem).hasBody);
    if (fns.length === 0) return [];
    const sums = new Map<FnItem, LineCounts>();
    const lines = this.heap
      ? this.heap.result.attribution.lines
      : this.current!.result.attribution.lines;
    for (const [key] of lines) {
      const colon = key.lastIndexOf(':');
      if (key.slice(0, colon) !== rel) continue;
      const line = Number(key.slice(colon + 1));
      // The innermost fn holding the line.
      let best: FnItem | undefined;
      for (const f of fns)
        if (
          f.span.line <= line &&
          f.span.endLine >= line &&
          (!best || f.span.line >= best.span.line)
        )
          best = f;
      const c = best && p.line(rel, line);
      if (!best || !c) continue;
      const s = sums.get(best) ?? { copy: 0, allocator: 0, total: 0 };
      s.copy += c.copy;
      s.allocator += c.allocator;
      s.total += c.total;
      sums.set(best, s);
    }
    const out: { line: number; character: number; title: string }[] = [];
    const cnt = (x: number) => x.toLocaleString('en-US');
    for (const [fn, s] of sums) {
      const k = findingsIn(fn);
      const tail = k > 0 ? ` · ${k} finding${k === 1 ? '' : 's'}` : '';
      if (p.kind === 'heap') {
        if (s.total < p.totals.total * 0.01) continue;
        out.push({
          line: fn.span.line - 1,
          character: 0,
          title: `$(flame) ${fn.name}: ${fmtBytes(s.total)} allocated (${pctOf(s.total, p.totals.total)})${tail}`,
        });
        continue;
      }
      const hot =
        s.total >= p.totals.total * 0.01 ||
        (s.copy > 0 && s.copy >= p.totals.copy * 0.01) ||
        (s.allocator > 0 && s.allocator >= p.totals.allocator * 0.01);
      if (!hot) continue;
      const parts = [`${cnt(s.total)} samples (${pctOf(s.total, p.totals.total)})`];
      if (s.copy > 0) parts.push(`memcpy ${cnt(s.copy)} (${pctOf(s.copy, p.totals.total)})`);
      if (s.allocator > 0)
        parts.push(`allocator ${cnt(s.allocator)} (${pctOf(s.allocator, p.totals.total)})`);
      out.push({
        line: fn.span.line - 1,
        character: 0,
        title: `$(flame) ${fn.name}: ${parts.join(' · ')}${tail}`,
      });
    }
    return out.sort((x, y) => x.line - y.line);
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

  /** The current findings confirmed against the baseline profile (their evidence lines there). */
  private baselineConfirmations(findings: readonly Finding[]): Confirmation[] {
    const b = this.baseline;
    const c = this.current;
    if (!b || !c) return [];
    const mine = findings.filter(f => f.range.file.startsWith(c.folder.root + path.sep));
    return confirmFindings(
      mine,
      b.result.attribution,
      c.folder.root,
      lineReader(c.folder.root, c.folder.index),
      { minShare: c.folder.editor.confirmMinShare },
    );
  }

  /** The store's findings ranked by measured cost, as rows an editor can list. */
  ranked(store: FindingsStore): {
    label: string;
    description: string;
    detail: string;
    uri: string;
    line: number;
    character: number;
    confirmed: boolean;
  }[] {
    const c = this.current ?? this.heap;
    if (!c) return [];
    return store.confirmations().map(x => ({
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
  flamegraph():
    | {
        title: string;
        speedscope: object;
        hotLines: PanelHotLine[];
        hotLinesByView?: PanelHotLine[][];
        views?: { label: string; title: string }[];
      }
    | undefined {
    if (this.heap) return heapFlamegraph(this.heap);
    const c = this.current;
    if (!c) return undefined;
    const a = c.result.attribution;
    const byView = hotLinesByView(a.lines.values(), a.totals).map(list =>
      list.map(h => ({
        file: a.resolver.absolute(h.file),
        line: h.line,
        label: `${h.file}:${h.line}  ${h.note}`,
        detail: h.function,
      })),
    );
    return {
      title: `Flamegraph: ${path.basename(c.file)}`,
      speedscope: c.result.speedscope(true),
      hotLines: byView[0],
      hotLinesByView: byView,
    };
  }
}

/** A hot line in the flamegraph panel's list (extension/webview-protocol.ts HotLineItem). */
interface PanelHotLine {
  file: string;
  line: number;
  label: string;
  detail?: string;
}
