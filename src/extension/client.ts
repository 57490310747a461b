/**
 * The VS Code side of the language server: starts dist/server.js (a node module, IPC) through
 * vscode-languageclient. Analysis, diagnostics, hover, inlay hints, CodeLens and code actions all
 * come from the server; this file keeps only the UI plumbing and the responsiveness metrics
 * (time to first diagnostics, longest event-loop block of the extension host).
 */
import * as fs from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LogMessageNotification,
  MessageType,
  TransportKind,
  type LanguageClientOptions,
  type Middleware,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { log } from './log';

export interface Metrics {
  /** ms from activation to the first published diagnostic. */
  firstDiagnosticsMs?: number;
  /** ms from activation to the end of the first workspace analysis. */
  analysedMs?: number;
  /**
   * Longest delay of the extension host's event loop during the analysis (ms): from the server's
   * answer to `initialize` (the analysis starts) to its first status. The extension host is
   * shared with every other extension, so this is an upper bound of what Alloc Lens causes.
   */
  maxBlockMs: number;
  /** The same since activation (includes other extensions starting up). */
  maxBlockSinceActivationMs: number;
  p99BlockMs: number;
  /** CPU time of the whole extension host since activation (ms): what the analysis did not cost it. */
  hostCpuMs: number;
}

export class ClientMetrics {
  private readonly t0 = performance.now();
  private readonly cpu0 = process.cpuUsage();
  // 10 ms sampling: a block of 50 ms shows as a 40+ ms delay.
  private readonly hist = monitorEventLoopDelay({ resolution: 10 });
  private maxBeforeAnalysis = 0;
  private first?: number;
  private analysed?: number;

  /**
   * ALLOC_LENS_HOST_PROFILE=<file.cpuprofile> (a measurement aid, off by default): a V8 CPU profile
   * of the extension host thread (every extension's JS) from activation to the end of the first
   * analysis, to attribute its longest blocks (scripts/host-blocks.mjs reads it).
   */
  private profiler?: Session;

  constructor() {
    this.hist.enable();
    if (process.env.ALLOC_LENS_HOST_PROFILE) {
      this.profiler = new Session();
      this.profiler.connect();
      this.profiler.post('Profiler.enable');
      this.profiler.post('Profiler.setSamplingInterval', { interval: 500 });
      this.profiler.post('Profiler.start');
    }
  }

  /** Writes the profile ALLOC_LENS_HOST_PROFILE asked for (once). */
  stopProfile(): void {
    const s = this.profiler;
    const file = process.env.ALLOC_LENS_HOST_PROFILE;
    if (!s || !file) return;
    this.profiler = undefined;
    s.post('Profiler.stop', (err, r) => {
      if (!err) fs.writeFileSync(file, JSON.stringify(r.profile));
      s.disconnect();
    });
  }

  /** The server is initialised and analysing: the "during analysis" window starts. */
  analysisStarted(): void {
    this.maxBeforeAnalysis = this.hist.max / 1e6;
    this.hist.reset();
  }

  diagnosticsArrived(): void {
    this.first ??= performance.now() - this.t0;
  }

  analysisDone(): boolean {
    if (this.analysed !== undefined) return false;
    this.analysed = performance.now() - this.t0;
    return true;
  }

  read(): Metrics {
    return {
      firstDiagnosticsMs: this.first,
      analysedMs: this.analysed,
      maxBlockMs: this.hist.max / 1e6,
      maxBlockSinceActivationMs: Math.max(this.maxBeforeAnalysis, this.hist.max / 1e6),
      p99BlockMs: this.hist.percentile(99) / 1e6,
      hostCpuMs: (() => {
        const c = process.cpuUsage(this.cpu0);
        return (c.user + c.system) / 1000;
      })(),
    };
  }

  dispose(): void {
    this.hist.disable();
  }
}

export function createClient(
  ctx: vscode.ExtensionContext,
  middleware: Middleware,
  metrics: ClientMetrics,
): LanguageClient {
  const module = vscode.Uri.joinPath(ctx.extensionUri, 'dist', 'server.js').fsPath;
  const server: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc },
  };
  const options: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'rust' }],
    outputChannel: log(),
    initializationOptions: {
      client: 'vscode',
      // The Problems panel lists every file, so diagnostics are pushed for the whole workspace.
      diagnostics: 'push',
      // Hot lines become gutter heat and end-of-line notes (allocLens/profileHotLines), not hints.
      profileHints: false,
      docsBase: ctx.extensionUri.toString() + '/',
      trusted: vscode.workspace.isTrusted,
      // Registered by the extension itself (main.ts), so that they wait for the server.
      clientCommands: true,
    },
    middleware: {
      ...middleware,
      handleDiagnostics: (uri, diagnostics, next) => {
        if (diagnostics.length > 0) metrics.diagnosticsArrived();
        next(uri, diagnostics);
      },
    },
  };
  const client = new LanguageClient('allocLens', 'Alloc Lens', server, options);
  // The server's log lines go straight to the LogOutputChannel, which stamps each line itself.
  // The client library's own handler (applied before this one, replaced once the server answers
  // `initialize`, before it logs anything) prefixes `new Date().toLocaleTimeString()`, whose first
  // call loads ICU's locale data: 12.5 ms of CPU and 50-66 ms of wall clock on this machine at
  // load 12, which was the extension host's longest Alloc Lens block (the server's first line).
  client.onNotification(LogMessageNotification.type, m => {
    const ch = log();
    if (m.type === MessageType.Error) ch.error(m.message);
    else if (m.type === MessageType.Warning) ch.warn(m.message);
    else if (m.type === MessageType.Info) ch.info(m.message);
    else if (m.type === MessageType.Debug) ch.debug(m.message);
    else ch.appendLine(m.message);
  });
  return client;
}
