/**
 * Owns the analysis state of the open workspace: one index + layout engine per workspace folder,
 * the findings per file, and the diagnostics published from them. Heavy work runs after
 * activation, streams progress, yields between files and can be cancelled.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadWorkspace, type WorkspaceIndex } from '../core/index/workspace';
import { LayoutEngine } from '../core/layout/engine';
import { resolveSettings, type RuleSettings } from '../core/config/settings';
import { runRules } from '../core/rules/run';
import { reanalyzeFile } from '../core/incremental';
import type { Finding } from '../core/rules/types';
import { readSettings } from './config';
import { matchesGlob, selectFiles } from '../core/config/files';
import { toDiagnostic, type ProfileEvidence } from './convert';
import { errorText, log } from './log';

export interface FolderState {
  root: string;
  index: WorkspaceIndex;
  engine: LayoutEngine;
  settings: RuleSettings;
  /** The files checked: `selectFiles`, the same as `alloc-lens check <root>`. */
  files: string[];
}

export class Analysis implements vscode.Disposable {
  readonly diagnostics = vscode.languages.createDiagnosticCollection('alloc-lens');
  private folders: FolderState[] = [];
  private findings = new Map<string, Finding[]>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after findings or layouts changed (inlay hints, status bar listen). */
  readonly onDidChange = this.changed.event;
  private pending = new Map<string, NodeJS.Timeout>();
  private running: vscode.CancellationTokenSource | undefined;

  /** Profile evidence for findings (set while a profile is loaded): severity and note per finding. */
  private confirmer: ((root: string, findings: Finding[]) => Map<Finding, ProfileEvidence>) | undefined;

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** Installs (or removes) the profile confirmation and re-publishes every diagnostic. */
  setConfirmer(fn: ((root: string, findings: Finding[]) => Map<Finding, ProfileEvidence>) | undefined): void {
    this.confirmer = fn;
    this.recheckAll();
  }

  /** Every current finding of every folder. */
  allFindings(): Finding[] {
    return [...this.findings.values()].flat();
  }

  dispose(): void {
    this.diagnostics.dispose();
    this.changed.dispose();
    for (const t of this.pending.values()) clearTimeout(t);
    this.running?.cancel();
  }

  get findingCount(): number {
    let n = 0;
    for (const f of this.findings.values()) n += f.length;
    return n;
  }

  allFolders(): FolderState[] {
    return this.folders;
  }

  /** Re-check every folder (after the layout engine learned exact sizes). */
  recheckAll(): void {
    for (const f of this.folders) this.publish(f, runRules(f.index, f.engine, f.settings, f.files), new Set(f.index.fileNames()));
    this.changed.fire();
  }

  /** Re-render hovers and inlay hints (e.g. after exact layouts arrived). */
  refresh(): void {
    this.changed.fire();
  }

  findingsFor(file: string): Finding[] {
    return this.findings.get(file) ?? [];
  }

  folderFor(file: string): FolderState | undefined {
    return this.folders.find(f => f.index.hasFile(file)) ?? this.folders.find(f => file.startsWith(f.root + path.sep));
  }

  /** Index every workspace folder and publish findings for the whole workspace. */
  async analyzeWorkspace(): Promise<void> {
    this.running?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.running = cts;
    const roots = (vscode.workspace.workspaceFolders ?? []).filter(f => f.uri.scheme === 'file').map(f => f.uri.fsPath);
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Alloc Lens', cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        cts.token.onCancellationRequested(() => abort.abort());
        const t0 = Date.now();
        const folders: FolderState[] = [];
        for (const root of roots) {
          try {
            const index = await loadWorkspace(root, {
              signal: abort.signal,
              onProgress: (n, file) => progress.report({ message: `indexing ${n} files (${path.basename(file)})` }),
            });
            const editor = readSettings(vscode.Uri.file(root));
            const settings = resolveSettings({ dir: root, overrides: editor.overrides });
            // The same files as `alloc-lens check <root>` (tests/ included, `exclude` left out).
            const files = selectFiles(index, root, editor.exclude);
            folders.push({ root, index, engine: new LayoutEngine(index), settings, files });
            for (const w of index.warnings) log().warn(`${w.file}${w.line ? `:${w.line}` : ''}: ${w.message}`);
          } catch (e) {
            if (abort.signal.aborted) {
              log().info('analysis cancelled');
              return;
            }
            log().error(`analysis of ${root} failed: ${errorText(e)}`);
            void vscode.window.showErrorMessage(`Alloc Lens could not analyse ${root}: ${(e as Error).message}`, 'Open Log').then(c => c && log().show());
          }
        }
        this.folders = folders;
        progress.report({ message: 'checking rules' });
        await new Promise(r => setImmediate(r));
        this.findings.clear();
        this.diagnostics.clear();
        for (const f of folders) this.publish(f, runRules(f.index, f.engine, f.settings, f.files));
        log().info(`analysed ${folders.reduce((a, f) => a + f.index.fileNames().length, 0)} files in ${Date.now() - t0} ms: ${this.findingCount} findings`);
        this.changed.fire();
      },
    );
  }

  private publish(folder: FolderState, findings: Finding[], files?: Set<string>): void {
    const exclude = readSettings(vscode.Uri.file(folder.root)).exclude;
    const byFile = new Map<string, Finding[]>();
    for (const f of findings) {
      if (exclude.some(g => matchesGlob(path.relative(folder.root, f.range.file), g))) continue;
      byFile.set(f.range.file, [...(byFile.get(f.range.file) ?? []), f]);
    }
    let evidence: Map<Finding, ProfileEvidence> | undefined;
    try {
      evidence = this.confirmer?.(folder.root, findings);
    } catch (e) {
      log().warn(`profile confirmation failed: ${errorText(e)}`);
    }
    for (const file of files ?? new Set([...byFile.keys()])) {
      const list = byFile.get(file) ?? [];
      this.findings.set(file, list);
      this.diagnostics.set(vscode.Uri.file(file), list.map(f => toDiagnostic(f, this.extensionUri, evidence?.get(f))));
    }
  }

  /** Debounced incremental update after an edit of an open document. */
  scheduleUpdate(doc: vscode.TextDocument): void {
    const file = doc.uri.fsPath;
    const prev = this.pending.get(file);
    if (prev) clearTimeout(prev);
    const delay = readSettings(doc.uri).debounceMs;
    this.pending.set(
      file,
      setTimeout(() => {
        this.pending.delete(file);
        this.updateFile(file, doc.getText());
      }, delay),
    );
  }

  /** Re-index one file and re-check it plus every file that mentions a type that changed. */
  updateFile(file: string, text: string): void {
    const folder = this.folderFor(file);
    if (!folder) return;
    try {
      // The index diffs old and new text and re-parses incrementally (tree.edit + parse).
      const r = reanalyzeFile(folder.index, folder.engine, folder.settings, file, text);
      this.publish(folder, r.findings, r.files);
      this.changed.fire();
    } catch (e) {
      log().error(`update of ${file} failed: ${errorText(e)}`);
    }
  }

  removeFile(file: string): void {
    const folder = this.folderFor(file);
    if (!folder) return;
    folder.index.removeFile(file);
    folder.engine.invalidate();
    this.findings.delete(file);
    this.diagnostics.delete(vscode.Uri.file(file));
    folder.files = folder.files.filter(f => f !== file);
    this.publish(folder, runRules(folder.index, folder.engine, folder.settings, folder.files), new Set(folder.index.fileNames()));
    this.changed.fire();
  }
}

export { matchesGlob } from '../core/config/files';
