/**
 * Editor side of profiles. The server imports and attributes them (`allocLens.importProfile`);
 * this file picks the file, shows progress with cancel and the result, draws the hot lines it
 * is sent (`allocLens/profileHotLines`), and opens the flamegraph panel and the ranked findings.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient } from 'vscode-languageclient/node';
import type { ComparisonView, ImportSummary, ProfileHotLinesParams } from '../lsp/protocol';
import { FlamegraphPanel, openSource, type FlamegraphData } from './flamegraph-panel';
import { ProfileDecorations } from './profile-decorations';
import { errorText, log } from './log';

interface RankedRow {
  label: string;
  description: string;
  detail: string;
  uri: string;
  line: number;
  character: number;
  confirmed: boolean;
}

export class ProfileSession implements vscode.Disposable {
  private readonly decorations = new ProfileDecorations();
  private summary: string | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  client: LanguageClient | undefined;

  constructor(private readonly extensionUri: vscode.Uri) {}

  get current(): string | undefined {
    return this.summary;
  }

  dispose(): void {
    this.decorations.dispose();
    this.changed.dispose();
  }

  /** From the server: the hot lines of the loaded profile (empty when cleared). */
  hotLines(p: ProfileHotLinesParams): void {
    this.summary = p.summary;
    this.decorations.set(p.lines);
    if (p.lines.length === 0) FlamegraphPanel.current?.dispose();
    this.changed.fire();
  }

  refreshEditors(): void {
    this.decorations.refresh();
  }

  /** Middleware of the server's import command: asks for a file, shows progress and the result. */
  async import(args: unknown[]): Promise<ImportSummary | undefined> {
    const arg = args[0] as vscode.Uri | string | undefined;
    let file = typeof arg === 'string' ? arg : arg?.fsPath;
    if (!file) {
      // Start in the folder of a profile the workspace already has (perf.data, perf script text, folded).
      const found = await vscode.workspace
        .findFiles(
          '**/{perf.data,*.perf-script*,*.folded,*.folded.gz,dhat*.json,dhat*.json.gz,heaptrack.*,*.pb.gz}',
          '**/{target,node_modules,.git}/**',
          1,
        )
        .then(undefined, () => []);
      const pick = await vscode.window.showOpenDialog({
        defaultUri: found[0] ? vscode.Uri.joinPath(found[0], '..') : undefined,
        canSelectMany: false,
        openLabel: 'Import Profile',
        title:
          'Import a profile: perf (perf.data, perf script text, folded stacks) or heap (DHAT JSON, heaptrack, pprof); .gz accepted',
        filters: {
          Profiles: ['data', 'txt', 'gz', 'folded', 'perf', 'script', 'json', 'zst', 'pb'],
          'All files': ['*'],
        },
      });
      file = pick?.[0]?.fsPath;
    }
    if (!file) return undefined;
    if (!vscode.workspace.isTrusted && /(^|[\\/])[^\\/]*\.data$/.test(file)) {
      void vscode.window.showWarningMessage(
        'Alloc Lens: reading perf.data runs `perf script`, which is not done in an untrusted workspace. Trust the workspace, or import the output of `perf script` (text) instead.',
      );
      return undefined;
    }
    try {
      const summary = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Alloc Lens: importing ${path.basename(file)}`,
          cancellable: true,
        },
        // Cancelling the notification cancels the request: the server aborts the import.
        (_progress, token) =>
          this.client!.sendRequest(
            ExecuteCommandRequest.type,
            { command: 'allocLens.importProfile', arguments: [file] },
            token,
          ) as Promise<ImportSummary | undefined>,
      );
      if (!summary) return undefined;
      void vscode.window
        .showInformationMessage(summary.message, 'Open Flamegraph', 'Show Ranked Findings')
        .then(c => {
          if (c === 'Open Flamegraph') void this.openFlamegraph();
          else if (c === 'Show Ranked Findings') void this.showRankedFindings();
        });
      return summary;
    } catch (e) {
      if ((e as { code?: number }).code === -32800) return undefined;
      log().error(`import of ${file} failed: ${errorText(e)}`);
      void vscode.window
        .showErrorMessage(`Alloc Lens: ${(e as Error).message}`, 'Open Log')
        .then(c => c && log().show());
      return undefined;
    }
  }

  /**
   * Middleware of the server's compare command: the loaded profile is the new one (asked for
   * first when none is loaded); picks the baseline, shows progress with cancel and the result.
   */
  async compare(args: unknown[]): Promise<ComparisonView | undefined> {
    const arg = args[0] as vscode.Uri | string | undefined;
    let file = typeof arg === 'string' ? arg : arg?.fsPath;
    if (!this.summary) {
      const pick = await vscode.window.showInformationMessage(
        'Alloc Lens: Compare Profiles compares the loaded profile (the new one) with a baseline. Load the new profile first.',
        'Import Profile...',
        'Record Profile...',
      );
      if (pick === 'Import Profile...')
        await vscode.commands.executeCommand('allocLens.importProfile');
      else if (pick === 'Record Profile...')
        await vscode.commands.executeCommand('allocLens.recordProfile');
      if (!this.summary) return undefined;
    }
    if (!file) {
      const found = await vscode.workspace
        .findFiles(
          '**/{perf.data,*.perf-script*,*.folded,*.folded.gz,dhat*.json,dhat*.json.gz,heaptrack.*.zst,heaptrack.*.gz,*.pb.gz}',
          '**/{node_modules,.git}/**',
          1,
        )
        .then(undefined, () => []);
      const pick = await vscode.window.showOpenDialog({
        defaultUri: found[0] ? vscode.Uri.joinPath(found[0], '..') : undefined,
        canSelectMany: false,
        openLabel: 'Compare with Baseline',
        title:
          'The baseline (older) profile of the same kind as the loaded one: perf.data, perf script text or folded stacks for a CPU profile; DHAT JSON, heaptrack or pprof for a heap profile',
        filters: {
          Profiles: ['data', 'txt', 'gz', 'folded', 'perf', 'script', 'json', 'zst'],
          'All files': ['*'],
        },
      });
      file = pick?.[0]?.fsPath;
    }
    if (!file) return undefined;
    if (!vscode.workspace.isTrusted && /(^|[\\/])[^\\/]*\.data$/.test(file)) {
      void vscode.window.showWarningMessage(
        'Alloc Lens: reading perf.data runs `perf script`, which is not done in an untrusted workspace. Trust the workspace, or compare with the output of `perf script` (text) instead.',
      );
      return undefined;
    }
    try {
      const view = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Alloc Lens: comparing with ${path.basename(file)}`,
          cancellable: true,
        },
        (_progress, token) =>
          this.client!.sendRequest(
            ExecuteCommandRequest.type,
            { command: 'allocLens.compareProfiles', arguments: [file] },
            token,
          ) as Promise<ComparisonView | undefined>,
      );
      if (!view) return undefined;
      void vscode.window
        .showInformationMessage(view.message, 'Show in Alloc Lens View')
        .then(c => c && vscode.commands.executeCommand('allocLens.findings.focus'));
      return view;
    } catch (e) {
      if ((e as { code?: number }).code === -32800) return undefined;
      log().error(`comparison with ${file} failed: ${errorText(e)}`);
      void vscode.window
        .showErrorMessage(`Alloc Lens: ${(e as Error).message}`, 'Open Log')
        .then(c => c && log().show());
      return undefined;
    }
  }

  async showRankedFindings(): Promise<void> {
    if (!this.summary || !this.client) return this.noProfile();
    const rows = await this.client.sendRequest<RankedRow[]>('allocLens/rankedFindings');
    if (rows.length === 0) {
      void vscode.window.showInformationMessage(
        'Alloc Lens: no static findings in this workspace to rank.',
      );
      return;
    }
    const items = rows.map(r => ({
      label: `${r.confirmed ? '$(flame)' : '$(circle-outline)'} ${r.label}`,
      description: r.description,
      detail: r.detail,
      r,
    }));
    const pick = await vscode.window.showQuickPick(items, {
      placeHolder: 'Findings ranked by measured cost (profile-confirmed first)',
      matchOnDetail: true,
    });
    if (pick)
      await openSource(vscode.Uri.parse(pick.r.uri).fsPath, pick.r.line + 1, pick.r.character + 1);
  }

  async openFlamegraph(): Promise<void> {
    if (!this.summary || !this.client) return this.noProfile();
    const command = Date.now();
    // The panel and speedscope load while the server builds the data (they take ~300 ms).
    const data = this.client
      .sendRequest<FlamegraphData | null>('allocLens/flamegraph')
      .then(d => d ?? undefined);
    FlamegraphPanel.show(this.extensionUri, data, { command });
    if (!(await data)) this.noProfile();
  }

  private noProfile(): void {
    void vscode.window
      .showInformationMessage(
        'Alloc Lens: no profile loaded. Run "Alloc Lens: Import Profile..." first.',
        'Import Profile...',
      )
      .then(c => c && vscode.commands.executeCommand('allocLens.importProfile'));
  }
}
