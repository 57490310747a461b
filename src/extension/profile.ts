/**
 * Editor side of profiles: Import Profile..., line heat and end-of-line notes, hover with the top
 * stacks, profile-confirmed diagnostics, findings ranked by measured cost, the flamegraph panel,
 * Clear Profile. All analysis is `src/profile` (no vscode there); this file only adapts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { analyzeProfile, lineReader } from '../profile/analyze';
import { confirmFindings, type Confirmation } from '../profile/confirm';
import { rankLines } from '../profile/attribute';
import { lineNote, lineShare, pct } from '../profile/report';
import { CancelledError, ProfileInputError, sniffFile } from '../profile/source';
import type { Analysis, FolderState } from './analysis';
import { readProfileSettings } from './config';
import { FlamegraphPanel, openSource } from './flamegraph-panel';
import { ProfileDecorations } from './profile-decorations';
import { errorText, log } from './log';
import { escapeIcons, escapeLinkedText } from '../core/secure/escape';
import type { ProfileEvidence } from './convert';

// In loaded-profile.ts so that profile-decorations.ts need not import this file (a cycle).
export type { LoadedProfile } from './loaded-profile';
import type { LoadedProfile } from './loaded-profile';

export class ProfileSession implements vscode.Disposable {
  private loaded: LoadedProfile | undefined;
  private readonly decorations = new ProfileDecorations();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly analysis: Analysis,
    private readonly extensionUri: vscode.Uri,
  ) {}

  get current(): LoadedProfile | undefined {
    return this.loaded;
  }

  dispose(): void {
    this.decorations.dispose();
    this.changed.dispose();
  }

  /** Asks for a file (unless given), imports it with progress and cancel, shows the results. */
  async import(arg?: vscode.Uri | string): Promise<LoadedProfile | undefined> {
    let file = typeof arg === 'string' ? arg : arg?.fsPath;
    if (!file) {
      // Start in the folder of a profile the workspace already has (perf.data, perf script text, folded).
      const found = await vscode.workspace.findFiles('**/{perf.data,*.perf-script*,*.folded,*.folded.gz}', '**/{target,node_modules,.git}/**', 1).then(undefined, () => []);
      const pick = await vscode.window.showOpenDialog({
        defaultUri: found[0] ? vscode.Uri.joinPath(found[0], '..') : undefined,
        canSelectMany: false,
        openLabel: 'Import Profile',
        title: 'Import a perf profile (perf.data, perf script text or folded stacks; .gz accepted)',
        filters: { Profiles: ['data', 'txt', 'gz', 'folded', 'perf', 'script'], 'All files': ['*'] },
      });
      file = pick?.[0]?.fsPath;
    }
    if (!file) return undefined;
    let format;
    try {
      format = (await sniffFile(file)).format;
    } catch (e) {
      void vscode.window.showErrorMessage(`Alloc Lens: ${(e as Error).message}`);
      return undefined;
    }
    if (format === 'perf-data' && !vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Alloc Lens: reading perf.data runs `perf script`, which is not done in an untrusted workspace. Trust the workspace, or import the output of `perf script` (text) instead.');
      return undefined;
    }
    if (this.analysis.allFolders().length === 0) await this.analysis.analyzeWorkspace();
    const folder = this.analysis.folderFor(file) ?? (await this.pickFolder());
    if (!folder) {
      void vscode.window.showErrorMessage('Alloc Lens: open the Rust workspace the profile was recorded from, then import it again.');
      return undefined;
    }
    const settings = readProfileSettings(vscode.Uri.file(folder.root));
    const started = Date.now();
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Alloc Lens: importing ${path.basename(file)}`, cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let lastPct = 0;
          return analyzeProfile(file!, {
            root: folder.root,
            index: folder.index,
            remaps: settings.remaps,
            top: 0,
            signal: abort.signal,
            onProgress: p => {
              const done = p.bytesTotal ? Math.min(100, Math.floor((p.bytesRead / p.bytesTotal) * 100)) : undefined;
              progress.report({ message: `${(p.bytesRead / 1e6).toFixed(0)} MB, ${p.samples.toLocaleString('en-US')} samples`, increment: done !== undefined ? done - lastPct : undefined });
              if (done !== undefined) lastPct = done;
            },
          });
        },
      );
      this.loaded = { file, folder, result };
      const r = result.report;
      log().info(`imported ${file} (${r.format}) in ${Date.now() - started} ms: ${r.samples.total} samples of ${r.event}, ${r.hotLines.length} hot lines, copy ${pct(r.shares.copy)}, allocator ${pct(r.shares.allocator)}`);
      for (const w of r.warnings) log().warn(`${path.basename(file)}: ${w}`);
      this.apply();
      const top = r.hotLines[0];
      const msg = top
        ? `Alloc Lens: ${r.samples.total.toLocaleString('en-US')} samples; memcpy ${pct(r.shares.copy)}, allocator ${pct(r.shares.allocator)}. Hottest: ${top.file}:${top.line} (${lineNote(top)}).`
        : `Alloc Lens: ${r.samples.total.toLocaleString('en-US')} samples, none in ${folder.root}. ${r.warnings[r.warnings.length - 1] ?? ''}`;
      // File names and warnings come from the profile: no links in the notification.
      void vscode.window.showInformationMessage(escapeLinkedText(msg), 'Open Flamegraph', 'Show Ranked Findings').then(c => {
        if (c === 'Open Flamegraph') this.openFlamegraph();
        else if (c === 'Show Ranked Findings') void this.showRankedFindings();
      });
      return this.loaded;
    } catch (e) {
      if (e instanceof CancelledError) {
        log().info(`import of ${file} cancelled`);
        return undefined;
      }
      if (e instanceof ProfileInputError) void vscode.window.showErrorMessage(escapeLinkedText(`Alloc Lens: ${e.message}`));
      else {
        log().error(`import of ${file} failed: ${errorText(e)}`);
        void vscode.window.showErrorMessage(escapeLinkedText(`Alloc Lens could not import ${path.basename(file)}: ${(e as Error).message}`), 'Open Log').then(c => c && log().show());
      }
      return undefined;
    }
  }

  private async pickFolder(): Promise<FolderState | undefined> {
    const folders = this.analysis.allFolders();
    if (folders.length <= 1) return folders[0];
    const pick = await vscode.window.showQuickPick(folders.map(f => ({ label: path.basename(f.root), description: f.root, f })), { placeHolder: 'Workspace folder the profile was recorded from' });
    return pick?.f;
  }

  /** Decorations, hover data and confirmed diagnostics from the loaded profile. */
  private apply(): void {
    const l = this.loaded;
    if (!l) return;
    this.decorations.show(l);
    const settings = readProfileSettings(vscode.Uri.file(l.folder.root));
    const text = lineReader(l.folder.root, l.folder.index);
    this.analysis.setConfirmer((root, findings) => {
      const out = new Map<import('../core/rules/types').Finding, ProfileEvidence>();
      if (!this.loaded || root !== this.loaded.folder.root) return out;
      for (const c of confirmFindings(findings, this.loaded.result.attribution, root, text, { minShare: settings.confirmMinShare })) out.set(c.finding, c);
      return out;
    });
    this.changed.fire();
  }

  /** Re-apply decorations when editors become visible. */
  refreshEditors(): void {
    if (this.loaded) this.decorations.show(this.loaded);
  }

  clear(): void {
    this.loaded = undefined;
    this.decorations.clear();
    this.analysis.setConfirmer(undefined);
    FlamegraphPanel.current?.dispose();
    this.changed.fire();
  }

  confirmations(): Confirmation[] {
    const l = this.loaded;
    if (!l) return [];
    const settings = readProfileSettings(vscode.Uri.file(l.folder.root));
    const mine = this.analysis.allFindings().filter(f => f.range.file.startsWith(l.folder.root + path.sep));
    return confirmFindings(mine, l.result.attribution, l.folder.root, lineReader(l.folder.root, l.folder.index), { minShare: settings.confirmMinShare });
  }

  async showRankedFindings(): Promise<void> {
    if (!this.loaded) return this.noProfile();
    const list = this.confirmations();
    if (list.length === 0) {
      void vscode.window.showInformationMessage('Alloc Lens: no static findings in this workspace to rank.');
      return;
    }
    const items = list.map(c => ({
      label: `${c.confirmed ? '$(flame)' : '$(circle-outline)'} ${c.finding.code}  ${escapeIcons(path.relative(this.loaded!.folder.root, c.finding.range.file))}:${c.finding.range.line}`,
      description: c.confirmed ? `${pct(c.share)} of ${c.measure === 'copy' ? 'memcpy' : c.measure === 'allocator' ? 'allocator' : 'allocator + memcpy'} samples` : c.samples > 0 ? `${pct(c.share)} (below threshold)` : 'no samples',
      detail: escapeIcons(c.finding.message),
      c,
    }));
    const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Findings ranked by measured cost (profile-confirmed first)', matchOnDetail: true });
    if (pick) await openSource(pick.c.finding.range.file, pick.c.finding.range.line, pick.c.finding.range.column);
  }

  openFlamegraph(): void {
    const l = this.loaded;
    if (!l) return void this.noProfile();
    const hot = rankLines(l.result.attribution).slice(0, 100);
    const t = l.result.attribution.totals;
    FlamegraphPanel.show(this.extensionUri, {
      title: `Flamegraph: ${path.basename(l.file)}`,
      speedscope: l.result.speedscope(true),
      hotLines: hot.map(h => {
        const share = lineShare(h.samples, t);
        return { file: l.result.attribution.resolver.absolute(h.file), line: h.line, label: `${h.file}:${h.line}  ${lineNote({ samples: h.samples, share })}`, detail: `${h.function} · ${h.samples.total} samples` };
      }),
    });
  }

  private noProfile(): void {
    void vscode.window.showInformationMessage('Alloc Lens: no profile loaded. Run "Alloc Lens: Import Profile..." first.', 'Import Profile...').then(c => c && this.import());
  }
}
