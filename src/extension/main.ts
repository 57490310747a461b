/**
 * Extension entry point: wires the core to VS Code. Activation only registers things; the
 * workspace analysis starts right after, off the activation path.
 */
import * as vscode from 'vscode';
import { Analysis } from './analysis';
import { ExactLayouts } from './exact';
import { registerCommands } from './commands';
import { registerFlamegraphCommands } from './flamegraph-panel';
import { ProfileSession } from './profile';
import { ProfileHover } from './profile-decorations';
import { FindingActions, LayoutHover, SizeInlayHints } from './providers';
import { errorText, log } from './log';
import { SECTION } from './config';

const RUST: vscode.DocumentSelector = { language: 'rust', scheme: 'file' };

export function activate(ctx: vscode.ExtensionContext): { analysis: Analysis; activationMs: number } {
  const t0 = performance.now();
  try {
    const analysis = new Analysis(ctx.extensionUri);
    const exact = new ExactLayouts();
    const status = vscode.window.createStatusBarItem('allocLens.status', vscode.StatusBarAlignment.Left, 10);
    status.name = 'Alloc Lens';
    status.command = 'workbench.actions.view.problems';
    let profileSummary: (() => string | undefined) | undefined;
    const refreshStatus = () => {
      const n = analysis.findingCount;
      const p = profileSummary?.();
      status.text = `$(pulse) Alloc Lens: ${n}${p ? ' $(flame)' : ''}`;
      status.tooltip = `${n} allocation/copy finding${n === 1 ? '' : 's'} (click for the Problems panel)${p ? `\nProfile: ${p}` : ''}`;
      status.show();
    };
    ctx.subscriptions.push(
      analysis,
      status,
      analysis.onDidChange(refreshStatus),
      vscode.languages.registerHoverProvider(RUST, new LayoutHover(analysis, exact)),
      vscode.languages.registerInlayHintsProvider(RUST, new SizeInlayHints(analysis, exact)),
      vscode.commands.registerCommand('allocLens.verifyLayouts', () => exact.verify(analysis)),
      vscode.commands.registerCommand('allocLens.showDrift', async () => {
        const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: exact.driftMarkdown(analysis) });
        await vscode.commands.executeCommand('markdown.showPreview', doc.uri).then(undefined, () => vscode.window.showTextDocument(doc));
      }),
      vscode.languages.registerCodeActionsProvider(RUST, new FindingActions(analysis), { providedCodeActionKinds: FindingActions.kinds }),
      vscode.workspace.onDidChangeTextDocument(e => {
        if (e.document.languageId === 'rust' && e.document.uri.scheme === 'file' && e.contentChanges.length > 0) analysis.scheduleUpdate(e.document);
      }),
      vscode.workspace.onDidChangeConfiguration(e => {
        if (e.affectsConfiguration(SECTION)) void analysis.analyzeWorkspace();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void analysis.analyzeWorkspace()),
    );
    // Files changed outside the editor (git checkout, formatter, deletes, renames).
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.rs');
    const fromDisk = async (uri: vscode.Uri) => {
      if (vscode.workspace.textDocuments.some(d => d.uri.toString() === uri.toString() && d.isDirty)) return;
      try {
        const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
        analysis.updateFile(uri.fsPath, text);
      } catch (e) {
        log().warn(`could not read ${uri.fsPath}: ${errorText(e)}`);
      }
    };
    const manifests = vscode.workspace.createFileSystemWatcher('**/{Cargo.toml,clippy.toml,.clippy.toml}');
    ctx.subscriptions.push(
      watcher,
      manifests,
      watcher.onDidChange(fromDisk),
      watcher.onDidCreate(fromDisk),
      watcher.onDidDelete(uri => analysis.removeFile(uri.fsPath)),
      manifests.onDidChange(() => void analysis.analyzeWorkspace()),
      manifests.onDidCreate(() => void analysis.analyzeWorkspace()),
      manifests.onDidDelete(() => void analysis.analyzeWorkspace()),
    );
    registerCommands(ctx, analysis);
    registerFlamegraphCommands(ctx);
    const profile = new ProfileSession(analysis, ctx.extensionUri);
    profileSummary = () => {
      const r = profile.current?.result.report;
      return r && `${r.samples.total.toLocaleString('en-US')} samples of ${r.event}: memcpy ${(r.shares.copy * 100).toFixed(1)}%, allocator ${(r.shares.allocator * 100).toFixed(1)}% (${profile.current!.file})`;
    };
    ctx.subscriptions.push(
      profile,
      profile.onDidChange(refreshStatus),
      vscode.commands.registerCommand('allocLens.importProfile', (arg?: vscode.Uri | string) => profile.import(arg)),
      vscode.commands.registerCommand('allocLens.openFlamegraph', () => profile.openFlamegraph()),
      vscode.commands.registerCommand('allocLens.showRankedFindings', () => profile.showRankedFindings()),
      vscode.commands.registerCommand('allocLens.clearProfile', () => profile.clear()),
      vscode.languages.registerHoverProvider(RUST, new ProfileHover(() => profile.current)),
      vscode.languages.registerHoverProvider(RUST, { provideHover: (d, p) => profile.heap.hover(d, p) }),
      vscode.window.onDidChangeVisibleTextEditors(() => profile.refreshEditors()),
    );
    refreshStatus();
    const activationMs = performance.now() - t0;
    log().info(`activated in ${activationMs.toFixed(1)} ms (workspace trusted: ${vscode.workspace.isTrusted}; static analysis only, nothing is executed)`);
    setTimeout(() => {
      analysis.analyzeWorkspace().then(undefined, e => log().error(`analysis failed: ${errorText(e)}`));
    }, 0);
    return { analysis, activationMs };
  } catch (e) {
    void vscode.window.showErrorMessage(`Cannot activate Alloc Lens: ${(e as Error).message}`);
    throw e;
  }
}

export function deactivate(): void {
  // Disposables registered on the context are released by VS Code.
}
