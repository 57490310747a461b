/**
 * The analysis state of an open workspace, shared by every editor through the language server:
 * one index + layout engine per workspace folder, the findings per file, full and incremental
 * re-analysis. No LSP or VS Code types here: the server converts what `onPublish` reports.
 */
import * as path from 'node:path';
import { loadWorkspace, type WorkspaceIndex } from '../core/index/workspace';
import { LayoutEngine } from '../core/layout/engine';
import { resolveSettings, type RuleSettings } from '../core/config/settings';
import type { EditorSettings } from '../core/config/editor-settings';
import { isExcluded, matchesGlob, selectFiles } from '../core/config/files';
import { listRustFiles } from '../core/index/crates';
import { runRules } from '../core/rules/run';
import { reanalyzeFile } from '../core/incremental';
import type { Finding } from '../core/rules/types';
import { CheckWorker, shareFiles } from './check-worker';

export interface FolderState {
  root: string;
  index: WorkspaceIndex;
  engine: LayoutEngine;
  settings: RuleSettings;
  editor: EditorSettings;
  /** The files checked: `selectFiles`, the same as `alloc-lens check <root>` (`exclude` left out). */
  files: string[];
}

/** What a loaded profile says about a finding. */
export interface ProfileEvidence {
  readonly severity: Finding['severity'];
  /** `confirmed by profile: 57.6% of memcpy samples (...)` */
  readonly note: string;
  readonly confirmed: boolean;
}

export type Confirmer = (root: string, findings: Finding[]) => Map<Finding, ProfileEvidence>;

export interface AnalysisEvents {
  /** Replace every finding of `file` (an empty list clears it). */
  onPublish(
    file: string,
    findings: Finding[],
    evidence: Map<Finding, ProfileEvidence> | undefined,
  ): void;
  onWarning(message: string): void;
  /** Whether the workspace is trusted: only then may `cargo metadata` run. */
  trusted?(): boolean;
  /** Files re-checked in the background after an edit were published (refresh what clients cache). */
  onBackgroundPublish?(): void;
}

/** Background re-checks run in slices of about this many ms, so requests are served in between. */
const RECHECK_SLICE_MS = 20;
/** Files per `runRules` call in the background (they share one future analysis). */
const RECHECK_BATCH = 8;
/**
 * Folders with fewer `.rs` files are checked on one thread: a worker costs its own start-up
 * (about 60 ms of module load) and a second index, more than the rules of a small crate.
 */
const PARALLEL_MIN_FILES = 100;

/** Another thread's share of a folder's first check. */
interface Share {
  worker: CheckWorker;
  files: Set<string>;
}

export class WorkspaceAnalysis {
  private folderList: FolderState[] = [];
  private readonly findings = new Map<string, Finding[]>();
  private confirmer: Confirmer | undefined;
  /** Files whose findings are stale because a type they mention changed in another file. */
  private readonly stale = new Map<FolderState, Set<string>>();
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  /** Files edited while a full analysis waits for its workers: their worker findings are old. */
  private touched: Set<string> | undefined;

  private readonly threads: number;
  private readonly parallelMinFiles: number;

  /**
   * `threads`: how many threads check the first analysis of a folder (1: this one only, the
   * default; the server passes more, see check-worker.ts), for folders of at least
   * `parallelMinFiles` `.rs` files. Results are the same either way (a test asserts it).
   */
  constructor(
    private readonly events: AnalysisEvents,
    opts: { threads?: number; parallelMinFiles?: number } = {},
  ) {
    this.threads = opts.threads ?? 1;
    this.parallelMinFiles = opts.parallelMinFiles ?? PARALLEL_MIN_FILES;
  }

  get folders(): readonly FolderState[] {
    return this.folderList;
  }

  get findingCount(): number {
    let n = 0;
    for (const f of this.findings.values()) n += f.length;
    return n;
  }

  allFindings(): Finding[] {
    return [...this.findings.values()].flat();
  }

  findingsFor(file: string): Finding[] {
    return this.findings.get(file) ?? [];
  }

  /** Files that currently have findings (for workspace diagnostics). */
  filesWithFindings(): string[] {
    return [...this.findings.keys()].filter(f => this.findings.get(f)!.length > 0);
  }

  folderFor(file: string): FolderState | undefined {
    const f = path.resolve(file);
    return (
      this.folderList.find(x => x.index.hasFile(f)) ??
      this.folderList.find(x => f === x.root || f.startsWith(x.root + path.sep))
    );
  }

  /** Installs (or removes) the profile confirmation and re-publishes every diagnostic. */
  setConfirmer(fn: Confirmer | undefined): void {
    this.confirmer = fn;
    this.recheckAll();
  }

  /**
   * Index every root and check the rules. Throws when `signal` aborts; a root that fails to
   * index is reported through `onError` and skipped, the others are still analysed.
   */
  async analyze(
    roots: string[],
    settingsFor: (root: string) => Promise<EditorSettings>,
    opts: {
      signal?: AbortSignal;
      onProgress?: (message: string) => void;
      onError?: (root: string, e: unknown) => void;
      /** Marks the end of each phase (the server's `timeline:` log line). */
      onPhase?: (name: string) => void;
      /** Files checked and published first (the editor's open files). */
      first?: readonly string[];
    } = {},
  ): Promise<void> {
    const folders: FolderState[] = [];
    const shares = new Map<FolderState, Share[]>();
    const phase = opts.onPhase ?? (() => undefined);
    const trusted = this.events.trusted?.() === true;
    const early = new Set((opts.first ?? []).map(x => path.resolve(x)));
    const stopAll = () => {
      for (const list of shares.values()) for (const s of list) s.worker.terminate();
    };
    opts.signal?.addEventListener('abort', stopAll);
    try {
      for (const root of roots) {
        let mine: Share[] = [];
        try {
          const editor = await settingsFor(root);
          phase('settings');
          // The workers start before this thread indexes, so that both index at the same time.
          mine = this.startShares(root, editor, trusted, early);
          let first = true;
          const index = await loadWorkspace(root, {
            ...editor.cargo,
            // cargo metadata reads the workspace's config: only in a trusted workspace.
            trusted,
            signal: opts.signal,
            onProgress: (n, file) => {
              // The manifests are read and the dependency graph resolved (cargo metadata, or
              // Cargo.lock) before the first file is indexed.
              if (first) phase('dependencies + 1st file');
              first = false;
              opts.onProgress?.(`indexing ${n} files (${path.basename(file)})`);
            },
          });
          phase('module trees');
          const settings = resolveSettings({ dir: root, overrides: editor.overrides });
          const files = selectFiles(index, root, editor.exclude);
          phase('other files');
          const folder = { root, index, engine: new LayoutEngine(index), settings, editor, files };
          folders.push(folder);
          if (mine.length > 0) shares.set(folder, mine);
          for (const w of index.warnings)
            this.events.onWarning(`${w.file}${w.line ? `:${w.line}` : ''}: ${w.message}`);
          for (const n of index.notices) this.events.onWarning(n);
        } catch (e) {
          for (const s of mine) s.worker.terminate();
          if (opts.signal?.aborted) throw e;
          opts.onError?.(root, e);
        }
      }
      opts.onProgress?.('checking rules');
      await new Promise(r => setImmediate(r));
      if (opts.signal?.aborted) throw new Error('cancelled');
      const stale = new Set(this.findings.keys());
      this.folderList = folders;
      this.findings.clear();
      this.stale.clear();
      this.touched = new Set();
      // The open files first, on this thread: one more `runRules` call (on tokio, 64-file
      // batches cost 6 % more CPU than one call, 16-file batches 45 %).
      for (const f of folders) {
        const theirs = shares.get(f) ?? [];
        const own = f.files.filter(x => !theirs.some(s => s.files.has(x)));
        const now = own.filter(x => early.has(x));
        let rest = own;
        if (now.length > 0 && now.length < own.length) {
          for (const x of this.publish(f, runRules(f.index, f.engine, f.settings, now)))
            stale.delete(x);
          phase('open files');
          // Their diagnostics go out before the rest of the check holds this thread.
          await new Promise(r => setImmediate(r));
          if (opts.signal?.aborted) throw new Error('cancelled');
          const done = new Set(now);
          rest = own.filter(x => !done.has(x));
        }
        // This thread's share before the workers': it is published while they finish theirs.
        // A file edited while this waited was re-checked by `updateFile`, on its new text.
        const edited = this.touched;
        const findings = runRules(f.index, f.engine, f.settings, rest).filter(
          x => !edited.has(x.range.file),
        );
        phase('rules');
        const files = this.publish(f, findings);
        for (const x of files) stale.delete(x);
      }
      for (const [f, list] of shares) {
        for (const s of list) {
          const files = f.files.filter(x => s.files.has(x));
          let findings: Finding[];
          try {
            findings = await s.worker.result;
          } catch (e) {
            if (opts.signal?.aborted) throw new Error('cancelled');
            // A worker that failed (out of memory, a crash) costs time, not results.
            this.events.onWarning(
              `check worker failed, its ${files.length} files are checked here: ${(e as Error).message}`,
            );
            findings = runRules(f.index, f.engine, f.settings, files);
          }
          if (opts.signal?.aborted) throw new Error('cancelled');
          if (!this.folderList.includes(f)) continue;
          // A file edited meanwhile was re-checked by `updateFile`, on its new text.
          const edited = this.touched;
          const published = this.publish(
            f,
            findings.filter(x => !edited.has(x.range.file)),
          );
          for (const x of published) stale.delete(x);
        }
        phase('worker rules');
      }
      // Published by `updateFile` while the workers ran: not stale.
      for (const x of this.touched) stale.delete(x);
      for (const file of stale) this.events.onPublish(file, [], undefined);
      phase('published');
    } finally {
      this.touched = undefined;
      opts.signal?.removeEventListener('abort', stopAll);
      stopAll();
    }
  }

  /** Workers for all but this thread's share of `root`'s files (none for a small folder). */
  private startShares(
    root: string,
    editor: EditorSettings,
    trusted: boolean,
    early: ReadonlySet<string>,
  ): Share[] {
    if (this.threads <= 1) return [];
    let candidates: string[];
    try {
      candidates = listRustFiles(root).filter(f => !isExcluded(root, f, editor.exclude));
    } catch {
      return [];
    }
    if (candidates.length < this.parallelMinFiles) return [];
    // The open files stay on this thread, which publishes them first.
    const parts = shareFiles(
      candidates.filter(f => !early.has(f)),
      this.threads,
    );
    return parts.slice(1).map(files => ({
      worker: new CheckWorker({ root, editor, trusted, files }),
      files: new Set(files),
    }));
  }

  /** Re-check every folder (after the layout engine learned exact sizes, or a profile loaded). */
  recheckAll(): void {
    this.stale.clear();
    for (const f of this.folderList)
      this.publish(
        f,
        runRules(f.index, f.engine, f.settings, f.files),
        new Set(f.index.fileNames()),
      );
  }

  /**
   * Re-index one file (incremental re-parse) and re-check it: its diagnostics are published
   * before this returns. The other files that mention an item that changed are re-checked in the
   * background (`RECHECK_SLICE_MS` slices; `flushPending` finishes them at once): a field typed
   * into tokio's `Core` touches 270 files, seconds of work that must not delay the next keystroke.
   */
  updateFile(file: string, text: string): boolean {
    const folder = this.folderFor(file);
    if (!folder) return false;
    const f = path.resolve(file);
    this.touched?.add(f);
    const r = reanalyzeFile(folder.index, folder.engine, folder.settings, f, text, {
      deferDependents: true,
    });
    this.publish(folder, r.findings, r.files);
    const stale = this.stale.get(folder) ?? new Set<string>();
    stale.delete(f);
    for (const d of r.dependents) stale.add(d);
    if (stale.size > 0) {
      this.stale.set(folder, stale);
      this.scheduleRecheck();
    }
    return true;
  }

  /** Files still waiting for their background re-check. */
  get pendingRechecks(): number {
    let n = 0;
    for (const s of this.stale.values()) n += s.size;
    return n;
  }

  /** Re-check every file still waiting (tests, benchmarks, and before a full report). */
  flushPending(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    while (this.stale.size > 0) this.recheckSome(Infinity);
  }

  private scheduleRecheck(): void {
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      this.recheckSome(RECHECK_SLICE_MS);
      if (this.stale.size > 0) this.scheduleRecheck();
      this.events.onBackgroundPublish?.();
    }, 0);
  }

  private recheckSome(budgetMs: number): void {
    const t0 = performance.now();
    for (const [folder, files] of this.stale) {
      if (!this.folderList.includes(folder)) {
        this.stale.delete(folder);
        continue;
      }
      while (files.size > 0 && performance.now() - t0 < budgetMs) {
        const batch = [...files].slice(0, RECHECK_BATCH).filter(f => folder.index.hasFile(f));
        for (const f of [...files].slice(0, RECHECK_BATCH)) files.delete(f);
        if (batch.length > 0)
          this.publish(
            folder,
            runRules(folder.index, folder.engine, folder.settings, batch),
            new Set(batch),
          );
      }
      if (files.size === 0) this.stale.delete(folder);
      if (performance.now() - t0 >= budgetMs) return;
    }
  }

  removeFile(file: string): void {
    const folder = this.folderFor(file);
    if (!folder) return;
    this.touched?.add(path.resolve(file));
    folder.index.removeFile(path.resolve(file));
    folder.engine.invalidate();
    this.stale.delete(folder);
    this.findings.delete(file);
    this.events.onPublish(file, [], undefined);
    folder.files = folder.files.filter(f => f !== path.resolve(file));
    this.publish(
      folder,
      runRules(folder.index, folder.engine, folder.settings, folder.files),
      new Set(folder.index.fileNames()),
    );
  }

  /** Publishes `findings` (minus excluded files); `files` lists every file they replace. */
  private publish(folder: FolderState, findings: Finding[], files?: Set<string>): Set<string> {
    const byFile = new Map<string, Finding[]>();
    for (const f of findings) {
      const rel = path.relative(folder.root, f.range.file).split(path.sep).join('/');
      if (folder.editor.exclude.some(g => matchesGlob(rel, g))) continue;
      byFile.set(f.range.file, [...(byFile.get(f.range.file) ?? []), f]);
    }
    let evidence: Map<Finding, ProfileEvidence> | undefined;
    try {
      evidence = this.confirmer?.(folder.root, findings);
    } catch (e) {
      this.events.onWarning(`profile confirmation failed: ${(e as Error).message}`);
    }
    const out = files ?? new Set(byFile.keys());
    for (const file of out) {
      const list = byFile.get(file) ?? [];
      const had = this.findings.get(file);
      this.findings.set(file, list);
      // Files that never had findings and still have none need no (empty) publish.
      if (list.length > 0 || (had && had.length > 0)) this.events.onPublish(file, list, evidence);
    }
    return out;
  }
}
