/**
 * Extension entry point: a client of the Alloc Lens language server (dist/server.js), which does
 * all the analysis off the extension host. What stays here is VS Code UI: the status bar, the
 * layout documents, profile decorations, the flamegraph panel and the commands that open them.
 */
import * as vscode from 'vscode';
import { ExecuteCommandRequest } from 'vscode-languageclient/node';
import { ClientMetrics, createClient, type Metrics } from './client';
import { explainLayout, LayoutDocuments, registerCommands, type ExplainResult } from './commands';
import { registerFlamegraphCommands } from './flamegraph-panel';
import { ProfileSession } from './profile';
import { explainCause, FindingsView, quickFixAt } from './findings-view';
import { Recorder } from './record';
import { errorText, log } from './log';
import { WORKSPACE_COMMANDS, type ProfileHotLinesParams } from '../lsp/protocol';

export interface AllocLensApi {
  activationMs: number;
  metrics(): Metrics;
}

export function activate(ctx: vscode.ExtensionContext): AllocLensApi {
  const t0 = performance.now();
  try {
    const metrics = new ClientMetrics();
    const layouts = new LayoutDocuments();
    const profile = new ProfileSession(ctx.extensionUri);
    const client = createClient(ctx, {}, metrics);
    // The server's workspace commands are registered here, not by the client when the server answers
    // `initialize`: run before that (a loaded machine, a big workspace) they would fail with
    // "command not found". Each waits for the server instead. The client starts on the next turn
    // of the event loop: its synchronous part (forking the server, the initialize message) is an
    // extension-host block of its own, not added to the activation's.
    const started = new Promise<void>(resolve => setImmediate(resolve)).then(() => client.start());
    const toServer = (command: string, args: unknown[], token?: vscode.CancellationToken) =>
      client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token);
    const run = async (
      command: (typeof WORKSPACE_COMMANDS)[number],
      args: unknown[],
    ): Promise<unknown> => {
      await started;
      switch (command) {
        case 'allocLens.explainLayout':
          return explainLayout(
            layouts,
            args,
            a => toServer(command, a) as Promise<ExplainResult | undefined>,
          );
        case 'allocLens.explainFuture':
          return explainLayout(
            layouts,
            args,
            a => toServer(command, a) as Promise<ExplainResult | undefined>,
            'Alloc Lens: place the cursor in an async fn, async block or async closure to explain its future.',
          );
        case 'allocLens.importProfile':
          return profile.import(args);
        case 'allocLens.compareProfiles':
          return profile.compare(args);
        case 'allocLens.verifyLayouts':
          if (!vscode.workspace.isTrusted) {
            void vscode.window.showWarningMessage(
              'Alloc Lens: verifying layouts builds the crate with rustc (build scripts and proc macros run). Trust this workspace to allow it; static analysis keeps working without.',
            );
            return undefined;
          }
          return vscode.window.withProgress(
            {
              location: vscode.ProgressLocation.Notification,
              title: 'Alloc Lens: verifying layouts with rustc',
              cancellable: true,
            },
            (_p, token) =>
              toServer(command, args, token).then(undefined, e => {
                if ((e as { code?: number }).code !== -32800)
                  void vscode.window.showErrorMessage(`Alloc Lens: ${(e as Error).message}`);
              }),
          );
        default:
          return toServer(command, args);
      }
    };
    for (const id of WORKSPACE_COMMANDS)
      ctx.subscriptions.push(
        vscode.commands.registerCommand(id, (...args: unknown[]) => run(id, args)),
      );
    profile.client = client;
    const view = new FindingsView(client);
    const recorder = new Recorder(ctx.workspaceState);
    const status = vscode.window.createStatusBarItem(
      'allocLens.status',
      vscode.StatusBarAlignment.Left,
      10,
    );
    status.name = 'Alloc Lens';
    status.command = 'allocLens.findings.focus';
    let findings = 0;
    const refreshStatus = () => {
      const p = profile.current;
      status.text = `$(pulse) Alloc Lens: ${findings}${p ? ' $(flame)' : ''}`;
      status.tooltip = `${findings} allocation/copy finding${findings === 1 ? '' : 's'} (click for the Alloc Lens view)${p ? `\nProfile: ${p}` : ''}`;
      status.show();
    };
    ctx.subscriptions.push(
      client,
      status,
      { dispose: () => metrics.dispose() },
      profile,
      profile.onDidChange(refreshStatus),
      vscode.window.onDidChangeVisibleTextEditors(() => profile.refreshEditors()),
      vscode.commands.registerCommand('allocLens.openFlamegraph', () => profile.openFlamegraph()),
      vscode.commands.registerCommand('allocLens.showRankedFindings', () =>
        profile.showRankedFindings(),
      ),
      view,
      recorder,
      vscode.commands.registerCommand('allocLens.recordProfile', () => recorder.record()),
      vscode.commands.registerCommand('allocLens.findings.refresh', () => view.refresh()),
      vscode.commands.registerCommand('allocLens.findings.sortByCost', () => view.setSort('cost')),
      vscode.commands.registerCommand('allocLens.findings.sortBySize', () => view.setSort('size')),
      vscode.commands.registerCommand('allocLens.findings.filter', () => view.pickFilter()),
      vscode.commands.registerCommand('allocLens.findings.clearFilter', () => view.clearFilter()),
      vscode.commands.registerCommand('allocLens.findings.quickFix', node => quickFixAt(node)),
      vscode.commands.registerCommand('allocLens.findings.explain', node => explainCause(node)),
      // Not in the palette: read by the e2e test (responsiveness numbers of the extension host).
      vscode.commands.registerCommand('allocLens.internal.metrics', () => metrics.read()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void client.restart()),
    );
    registerCommands(ctx, client, layouts);
    registerFlamegraphCommands(ctx);
    client.onNotification('allocLens/status', (p: { findings: number; profile?: string }) => {
      findings = p.findings;
      refreshStatus();
      view.refresh();
      if (metrics.analysisDone()) {
        metrics.stopProfile();
        const m = metrics.read();
        log().info(
          `metrics: first diagnostics ${m.firstDiagnosticsMs?.toFixed(0) ?? 'none'} ms after activation; analysis done after ${m.analysedMs?.toFixed(0)} ms; longest extension-host event-loop block ${m.maxBlockMs.toFixed(1)} ms (p99 ${m.p99BlockMs.toFixed(1)} ms); extension-host CPU ${m.hostCpuMs.toFixed(0)} ms; since activation (other extensions starting too) longest block ${m.maxBlockSinceActivationMs.toFixed(1)} ms`,
        );
      }
    });
    client.onNotification('allocLens/profileHotLines', (p: ProfileHotLinesParams) =>
      profile.hotLines(p),
    );
    refreshStatus();
    started.then(
      () => metrics.analysisStarted(),
      e => {
        log().error(`the Alloc Lens server did not start: ${errorText(e)}`);
        void vscode.window
          .showErrorMessage(
            `Alloc Lens: the language server did not start: ${(e as Error).message}`,
            'Open Log',
          )
          .then(c => c && log().show());
      },
    );
    const activationMs = performance.now() - t0;
    log().info(
      `activated in ${activationMs.toFixed(1)} ms (workspace trusted: ${vscode.workspace.isTrusted}); analysis runs in the language server`,
    );
    return { activationMs, metrics: () => metrics.read() };
  } catch (e) {
    void vscode.window.showErrorMessage(`Cannot activate Alloc Lens: ${(e as Error).message}`);
    throw e;
  }
}

export function deactivate(): void {
  // Disposables registered on the context (the client stops the server) are released by VS Code.
}
