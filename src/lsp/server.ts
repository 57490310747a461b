/**
 * The Alloc Lens language server (`alloc-lens lsp`, and dist/server.js for the VS Code client).
 * Diagnostics for the whole workspace (push; pull for clients that ask for it), incremental sync
 * with debounced re-analysis, hover, code actions, inlay hints, CodeLens, watched files,
 * `workspace/configuration` (section `allocLens`, the VS Code setting keys), `$/progress` with
 * cancellation, and profile import as a workspace command. Every handler is guarded: a crash is
 * logged and shown, answered with an error, and the server carries on.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DidChangeWatchedFilesNotification,
  DiagnosticSeverity,
  ErrorCodes,
  FileChangeType,
  LSPErrorCodes,
  MessageType,
  ShowMessageNotification,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type CancellationToken,
  type Connection,
  type Diagnostic,
  type InitializeResult,
  type WorkDoneProgressServerReporter,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parseEditorSettings, type EditorSettings } from '../core/config/editor-settings';
import { layoutMarkdown, sizeLabel } from '../core/layout/markdown';
import { CancelledError, ProfileInputError } from '../profile/source';
import { detectImporter } from '../profile/import';
import { WorkspaceAnalysis, type FolderState } from './analysis';
import { DOCS_BASE, fileUri, SOURCE, uriPath } from './convert';
import { ExactLayouts } from './exact';
import { FindingsStore } from './findings-store';
import {
  codeActions,
  codeLenses,
  EXPLAIN_COMMAND,
  EXPLAIN_FUTURE_COMMAND,
  explainFuture,
  inlayHints,
  layoutHover,
  typeAt,
} from './features';
import { ProfileState } from './profile';
import { Timeline } from './timeline';
import { WORKSPACE_COMMANDS, type ProfileHotLinesParams, type StatusParams } from './protocol';

/**
 * Threads that check a workspace's first analysis (check-worker.ts): two on a machine of four
 * cores or more, one below. On this repository's 2-core machine, shared with VS Code and loaded
 * (load average 10), a second thread made tokio's analysis slower (7.3-9.1 s -> 12.1-17.2 s wall,
 * the two indexes competing for the cores) while cutting this thread's CPU by 15 % (2.04-2.20 ->
 * 1.77-1.83 s). ALLOC_LENS_CHECK_THREADS=N overrides (measurements, tests).
 */
function checkThreads(): number {
  const env = Number(process.env.ALLOC_LENS_CHECK_THREADS);
  if (Number.isInteger(env) && env >= 1) return Math.min(env, 8);
  return os.availableParallelism() >= 4 ? 2 : 1;
}

/** `initializationOptions` a client may send (all optional). */
export interface InitOptions {
  /** `push` (VS Code: the Problems panel wants every file), `pull`, or `auto` (pull when supported). */
  diagnostics?: 'push' | 'pull' | 'auto';
  /** Hot lines of a loaded profile as hint diagnostics (VS Code draws decorations instead). */
  profileHints?: boolean;
  /** Prefix of rule doc links (VS Code: the extension folder). */
  docsBase?: string;
  /** False in an untrusted workspace: nothing is executed (perf, rustc). */
  trusted?: boolean;
  /** `vscode` for the VS Code client, which shows results in its own UI. */
  client?: string;
  /** Settings for clients without `workspace/configuration` (`{ allocLens: {...} }` or the section). */
  settings?: unknown;
  /** The client registers `WORKSPACE_COMMANDS` itself: they are handled but not advertised. */
  clientCommands?: boolean;
}

const cancelled = () => new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');
const invalid = (m: string) => new ResponseError(ErrorCodes.InvalidParams, m);

function isPos(p: unknown): p is { line: number; character: number } {
  return (
    !!p &&
    typeof p === 'object' &&
    Number.isInteger((p as { line: unknown }).line) &&
    Number.isInteger((p as { character: unknown }).character)
  );
}

/** The file of a `textDocument` parameter, or an InvalidParams error. */
function docFile(params: unknown): string {
  const uri = (params as { textDocument?: { uri?: unknown } } | undefined)?.textDocument?.uri;
  if (typeof uri !== 'string') throw invalid('textDocument.uri (a string) is required');
  const file = uriPath(uri);
  if (!file) throw invalid(`only file: URIs are analysed, not ${uri.split(':')[0]}:`);
  return file;
}

/**
 * `timeline` (from the process start, see main.ts) gets the marks of the first analysis, logged
 * as one `timeline:` line after it.
 */
export function startServer(conn: Connection, timeline?: Timeline): void {
  const docs = new TextDocuments(TextDocument);
  let roots: string[] = [];
  let init: InitOptions = {};
  let usePull = false;
  const caps = {
    config: false,
    watched: false,
    progress: false,
    inlayRefresh: false,
    lensRefresh: false,
    diagRefresh: false,
    folders: false,
  };
  let pushedSettings: unknown;
  // The one view-model (#18): diagnostics, the status count and the findings view derive from it.
  const store = new FindingsStore(() => init.docsBase ?? DOCS_BASE);
  const pending = new Map<string, NodeJS.Timeout>();
  let running: AbortController | undefined;
  let ready: Promise<void> = Promise.resolve();
  let lastShown = 0;

  // window/showMessage (a notification): clients show it without waiting for an answer.
  const show = (type: MessageType, message: string) =>
    void conn.sendNotification(ShowMessageNotification.type, { type, message });

  const log = {
    info: (m: string) => conn.console.info(m),
    warn: (m: string) => conn.console.warn(m),
    error: (m: string) => conn.console.error(m),
  };

  /** A crash: logged with its stack, shown (at most every 10 s), and the server continues. */
  const report = (what: string, e: unknown) => {
    log.error(`${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    if (Date.now() - lastShown > 10_000) {
      lastShown = Date.now();
      show(
        MessageType.Error,
        `Alloc Lens: ${what} failed: ${e instanceof Error ? e.message : String(e)} (details in the log)`,
      );
    }
  };

  const analysis = new WorkspaceAnalysis(
    {
      onPublish: (file, findings, evidence) => {
        store.setFindings(file, findings, evidence);
        push(file);
      },
      onWarning: m => log.warn(m),
      trusted: () => init.trusted !== false,
      // Files that use a type changed by an edit are re-checked after the edited file is published.
      onBackgroundPublish: () => changed(),
    },
    { threads: checkThreads() },
  );
  const exact = new ExactLayouts();
  const profile = new ProfileState(analysis);

  const push = (file: string) => {
    if (!usePull)
      void conn.sendDiagnostics({ uri: fileUri(file), diagnostics: store.diagnostics(file) });
  };

  /** After findings changed: refresh what clients cache, and the status. */
  const changed = () => {
    if (usePull && caps.diagRefresh) conn.languages.diagnostics.refresh();
    if (caps.inlayRefresh) void conn.languages.inlayHint.refresh().catch(() => undefined);
    if (caps.lensRefresh)
      void conn.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
    // The store's count: the findings the diagnostics publish and the view lists (static ones and
    // a heap profile's); hot-line notes are not findings.
    const status: StatusParams = { findings: store.count(), profile: profile.summary() };
    void conn.sendNotification('allocLens/status', status);
  };

  const settingsFor = async (root: string): Promise<EditorSettings> => {
    if (caps.config) {
      try {
        return parseEditorSettings(
          await conn.workspace.getConfiguration({ scopeUri: fileUri(root), section: 'allocLens' }),
        );
      } catch (e) {
        log.warn(`workspace/configuration failed, using defaults: ${(e as Error).message}`);
      }
    }
    // Helix sends its `config` table as initializationOptions: `{ allocLens: { ... } }`.
    const s = pushedSettings ?? init.settings ?? (init as { allocLens?: unknown }).allocLens;
    return parseEditorSettings((s as { allocLens?: unknown } | undefined)?.allocLens ?? s);
  };

  /** Waits for the running analysis; a cancelled request stops waiting. */
  const whenReady = async (token?: CancellationToken) => {
    if (token?.isCancellationRequested) throw cancelled();
    await new Promise<void>((resolve, reject) => {
      const sub = token?.onCancellationRequested(() => reject(cancelled()));
      void ready.finally(() => {
        sub?.dispose();
        resolve();
      });
    });
  };

  const startProgress = async (
    title: string,
    cancel: AbortController,
  ): Promise<WorkDoneProgressServerReporter | undefined> => {
    if (!caps.progress) return undefined;
    try {
      const p = await conn.window.createWorkDoneProgress();
      p.begin(title, undefined, undefined, true);
      p.token.onCancellationRequested(() => cancel.abort());
      return p;
    } catch {
      return undefined;
    }
  };

  const analyzeWorkspace = (): Promise<void> => {
    running?.abort();
    const abort = new AbortController();
    running = abort;
    // Only the first analysis continues the process's timeline (start-up to first results).
    const marks = timeline;
    timeline = undefined;
    const run = (async () => {
      const t0 = Date.now();
      // The progress is created while the analysis starts, not before: creating it is a round
      // trip to the client, which a busy extension host answers late.
      let progress: WorkDoneProgressServerReporter | undefined;
      let finished = false;
      void startProgress('Alloc Lens: analysing', abort).then(p => {
        if (finished) p?.done();
        else progress = p;
      });
      let last = 0;
      try {
        await analysis.analyze(roots, settingsFor, {
          signal: abort.signal,
          onProgress: m => {
            // One report per 100 ms: tokio has 700 files.
            if (Date.now() - last < 100) return;
            last = Date.now();
            progress?.report(m);
          },
          onError: (root, e) => report(`analysis of ${root}`, e),
          onPhase: marks && (name => marks.mark(name)),
          first: docs
            .all()
            .map(d => uriPath(d.uri))
            .filter((x): x is string => !!x),
        });
        const files = analysis.folders.reduce((a, f) => a + f.index.fileNames().length, 0);
        // Checked: the workspace's own files the rules ran on (as `alloc-lens check <root>`); the
        // index also holds the dependency files it read for their types.
        const checked = analysis.folders.reduce((a, f) => a + f.files.length, 0);
        log.info(
          `analysed ${files} files in ${Date.now() - t0} ms (${checked} checked): ${analysis.findingCount} findings`,
        );
        if (marks)
          log.info(
            `timeline (ms since the server process started at ${new Date(performance.timeOrigin).toISOString()}): ${marks.format()}`,
          );
        // Open buffers may differ from disk (edited before the analysis finished).
        for (const d of docs.all()) scheduleUpdate(d, 0);
      } catch (e) {
        if (abort.signal.aborted) log.info('analysis cancelled');
        else report('analysis', e);
      } finally {
        finished = true;
        progress?.done();
        if (running === abort) running = undefined;
      }
      changed();
    })();
    ready = run;
    return run;
  };

  const scheduleUpdate = (doc: TextDocument, delayMs?: number) => {
    const file = uriPath(doc.uri);
    if (!file) return;
    const prev = pending.get(file);
    if (prev) clearTimeout(prev);
    const folder = analysis.folderFor(file);
    if (!folder) return;
    pending.set(
      file,
      setTimeout(() => {
        pending.delete(file);
        const cur = docs.get(doc.uri);
        if (!cur) return;
        const text = cur.getText();
        if (folder.index.fileText(file) === text) return;
        try {
          if (analysis.updateFile(file, text)) changed();
        } catch (e) {
          report(`re-analysis of ${path.basename(file)}`, e);
        }
      }, delayMs ?? folder.editor.debounceMs),
    );
  };

  /** A file changed on disk (or a buffer closed): the index takes the disk text. */
  const fromDisk = (file: string) => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      analysis.removeFile(file);
      return;
    }
    const folder = analysis.folderFor(file);
    if (folder && folder.index.fileText(file) !== text) analysis.updateFile(file, text);
  };

  conn.onInitialize(params => {
    timeline?.mark('initialize');
    init = (params.initializationOptions ?? {}) as InitOptions;
    const folders = params.workspaceFolders
      ?.map(f => uriPath(f.uri))
      .filter((x): x is string => !!x);
    const rootUri = params.rootUri ? uriPath(params.rootUri) : (params.rootPath ?? undefined);
    roots = folders && folders.length > 0 ? folders : rootUri ? [rootUri] : [];
    const c = params.capabilities;
    caps.config = c.workspace?.configuration === true;
    caps.watched = c.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    caps.progress = c.window?.workDoneProgress === true;
    caps.inlayRefresh = c.workspace?.inlayHint?.refreshSupport === true;
    caps.lensRefresh = c.workspace?.codeLens?.refreshSupport === true;
    caps.diagRefresh = c.workspace?.diagnostics?.refreshSupport === true;
    caps.folders = c.workspace?.workspaceFolders === true;
    usePull =
      init.diagnostics !== 'push' &&
      (init.diagnostics === 'pull' || c.textDocument?.diagnostic !== undefined);
    const result: InitializeResult = {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix'], resolveProvider: false },
        inlayHintProvider: true,
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: init.clientCommands ? [] : [...WORKSPACE_COMMANDS] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
        ...(usePull
          ? {
              diagnosticProvider: {
                identifier: SOURCE,
                interFileDependencies: true,
                workspaceDiagnostics: true,
              },
            }
          : {}),
      },
      serverInfo: { name: 'alloc-lens' },
    };
    return result;
  });

  conn.onInitialized(() => {
    timeline?.mark('initialized');
    if (caps.watched) {
      void conn.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [
          { globPattern: '**/*.rs' },
          { globPattern: '**/{Cargo.toml,clippy.toml,.clippy.toml}' },
        ],
      });
    }
    if (caps.folders) {
      conn.workspace.onDidChangeWorkspaceFolders(e => {
        const gone = new Set(e.removed.map(f => uriPath(f.uri)));
        roots = [
          ...roots.filter(r => !gone.has(r)),
          ...e.added.map(f => uriPath(f.uri)).filter((x): x is string => !!x),
        ];
        void analyzeWorkspace();
      });
    }
    log.info(
      `Alloc Lens server: ${roots.length} folder(s), diagnostics by ${usePull ? 'pull' : 'push'}`,
    );
    void analyzeWorkspace();
  });

  conn.onDidChangeConfiguration(p => {
    pushedSettings = p.settings;
    void analyzeWorkspace();
  });

  conn.onDidChangeWatchedFiles(p => {
    let manifests = false;
    for (const ch of p.changes) {
      const file = uriPath(ch.uri);
      if (!file) continue;
      if (/(^|[\\/])(Cargo\.toml|\.?clippy\.toml)$/.test(file)) manifests = true;
      else if (file.endsWith('.rs') && !docs.get(ch.uri)) {
        try {
          if (ch.type === FileChangeType.Deleted) analysis.removeFile(file);
          else fromDisk(file);
        } catch (e) {
          report(`update of ${path.basename(file)}`, e);
        }
      }
    }
    if (manifests) void analyzeWorkspace();
    else changed();
  });

  docs.onDidChangeContent(e => scheduleUpdate(e.document));
  docs.onDidClose(e => {
    // The buffer's text leaves memory with it; unsaved edits are replaced by what is on disk.
    const file = uriPath(e.document.uri);
    if (!file) return;
    const t = pending.get(file);
    if (t) clearTimeout(t);
    pending.delete(file);
    try {
      fromDisk(file);
      changed();
    } catch (err) {
      report(`update of ${path.basename(file)}`, err);
    }
  });

  /** Runs a request handler: cancellation first, crashes reported and answered with an error. */
  const guarded =
    <P, R>(what: string, fn: (p: P, token: CancellationToken) => Promise<R> | R) =>
    async (p: P, token: CancellationToken): Promise<R | ResponseError<void>> => {
      try {
        if (token.isCancellationRequested) return cancelled();
        return await fn(p, token);
      } catch (e) {
        if (e instanceof ResponseError) return e;
        report(what, e);
        return new ResponseError(
          ErrorCodes.InternalError,
          `${what} failed: ${(e as Error).message}`,
        );
      }
    };

  const folderOf = (file: string): FolderState | undefined => analysis.folderFor(file);

  conn.onHover(
    guarded('hover', async (p, token) => {
      const file = docFile(p);
      if (!isPos(p.position)) throw invalid('position is required');
      await whenReady(token);
      const folder = folderOf(file);
      if (!folder) return null;
      const parts = [
        layoutHover(folder, exact, file, p.position.line, p.position.character),
        profile.hover(file, p.position.line),
      ].filter(Boolean);
      return parts.length
        ? { contents: { kind: 'markdown', value: parts.join('\n\n---\n\n') } }
        : null;
    }),
  );

  conn.onCodeAction(
    guarded('code actions', async (p, token) => {
      const file = docFile(p);
      await whenReady(token);
      const text = docs.get(p.textDocument.uri)?.getText() ?? folderOf(file)?.index.fileText(file);
      return codeActions(
        analysis,
        file,
        text,
        p.range,
        Array.isArray(p.context?.diagnostics) ? p.context.diagnostics : [],
      );
    }),
  );

  conn.languages.inlayHint.on(
    guarded('inlay hints', async (p, token) => {
      const file = docFile(p);
      await whenReady(token);
      const folder = folderOf(file);
      return folder ? inlayHints(folder, exact, file, p.range) : [];
    }),
  );

  conn.onCodeLens(
    guarded('code lens', async (p, token) => {
      const file = docFile(p);
      await whenReady(token);
      const folder = folderOf(file);
      if (!folder) return [];
      const lenses = codeLenses(analysis, folder, exact, file);
      if (!folder.editor.codeLensEnabled) return lenses;
      // Hot functions of a loaded profile: their samples (or heap bytes) and findings.
      const mine = analysis.findingsFor(file);
      const hot = profile.hotFunctions(
        file,
        fn =>
          mine.filter(f => f.range.line >= fn.span.line && f.range.line <= fn.span.endLine).length,
      );
      return [
        ...lenses,
        ...hot.map(h => ({
          range: {
            start: { line: h.line, character: h.character },
            end: { line: h.line, character: h.character },
          },
          // VS Code's client opens the flamegraph panel; other editors show the title only.
          command: {
            title: h.title,
            command: init.client === 'vscode' ? 'allocLens.openFlamegraph' : '',
          },
        })),
      ];
    }),
  );

  conn.languages.diagnostics.on(
    guarded('diagnostics', async (p, token) => {
      const file = docFile(p);
      await whenReady(token);
      return { kind: 'full' as const, items: store.diagnostics(file) };
    }) as never,
  );
  conn.languages.diagnostics.onWorkspace(
    guarded('workspace diagnostics', async (_p, token) => {
      await whenReady(token);
      return {
        items: store.files().map(f => ({
          kind: 'full' as const,
          uri: fileUri(f),
          version: docs.get(fileUri(f))?.version ?? null,
          items: store.diagnostics(f),
        })),
      };
    }) as never,
  );

  /** Hot lines out to the client: hint diagnostics (unless it draws them itself) + notification. */
  const sendHotLines = () => {
    const lines = profile.hotLines();
    const params: ProfileHotLinesParams = { lines, summary: profile.summary() };
    void conn.sendNotification('allocLens/profileHotLines', params);
    const notes = new Map<string, Diagnostic[]>();
    if (init.profileHints !== false) {
      for (const l of lines) {
        const file = uriPath(l.uri);
        if (!file) continue;
        const len =
          analysis.folderFor(file)?.index.fileText(file)?.split('\n')[l.line]?.length ?? 0;
        const d: Diagnostic = {
          range: { start: { line: l.line, character: 0 }, end: { line: l.line, character: len } },
          severity: DiagnosticSeverity.Hint,
          source: SOURCE,
          code: 'profile-hot-line',
          message: l.note,
        };
        notes.set(file, [...(notes.get(file) ?? []), d]);
      }
    }
    // Heap diagnostics (churn, growth, peak holders, leaks) are real findings: always sent.
    for (const f of store.setProfile(profile.findings(), notes)) push(f);
  };

  const commandSignal = (token: CancellationToken, abort: AbortController) => {
    token.onCancellationRequested(() => abort.abort());
    return abort.signal;
  };

  /**
   * A profile command (import, compare) under a cancellable progress: cancelling (the request or
   * the progress) aborts it, a bad profile becomes InvalidParams with its message.
   */
  const profileTask = async <T>(
    title: string,
    token: CancellationToken,
    run: (signal: AbortSignal, progress: WorkDoneProgressServerReporter | undefined) => Promise<T>,
  ): Promise<T> => {
    const abort = new AbortController();
    const signal = commandSignal(token, abort);
    const progress = await startProgress(title, abort);
    try {
      return await run(signal, progress);
    } catch (e) {
      if (e instanceof CancelledError || signal.aborted) throw cancelled();
      if (e instanceof ProfileInputError) throw invalid(e.message);
      throw e;
    } finally {
      progress?.done();
    }
  };

  conn.onExecuteCommand(
    guarded('command', async (p, token) => {
      const args = p.arguments ?? [];
      switch (p.command) {
        case 'allocLens.analyzeWorkspace':
          await analyzeWorkspace();
          return { findings: store.count() };
        case 'allocLens.clearProfile':
          profile.clear();
          sendHotLines();
          changed();
          return null;
        case EXPLAIN_COMMAND: {
          const [uri, pos] = args as [unknown, unknown];
          const file = typeof uri === 'string' ? uriPath(uri) : undefined;
          if (!file || !isPos(pos))
            throw invalid(`${EXPLAIN_COMMAND} takes a file URI and a position`);
          await whenReady(token);
          const folder = folderOf(file);
          const def = folder && typeAt(analysis, folder, file, pos.line, pos.character);
          if (!folder || !def)
            return {
              markdown: undefined,
              message: 'Alloc Lens: place the cursor on a type name to explain its layout.',
            };
          const markdown = layoutMarkdown(def, folder.engine.layoutOfItem(def));
          if (init.client !== 'vscode') show(MessageType.Info, markdown);
          return { markdown, title: def.name };
        }
        case EXPLAIN_FUTURE_COMMAND: {
          const [uri, pos] = args as [unknown, unknown];
          const file = typeof uri === 'string' ? uriPath(uri) : undefined;
          if (!file || !isPos(pos))
            throw invalid(`${EXPLAIN_FUTURE_COMMAND} takes a file URI and a position`);
          await whenReady(token);
          const folder = folderOf(file);
          const r = folder && explainFuture(folder, file, pos.line, pos.character);
          if (!r)
            return {
              markdown: undefined,
              message:
                'Alloc Lens: place the cursor in an async fn, async block or async closure to explain its future.',
            };
          if (init.client !== 'vscode') show(MessageType.Info, r.markdown);
          return r;
        }
        case 'allocLens.importProfile': {
          const file = args[0];
          if (typeof file !== 'string' || file.length === 0)
            throw invalid('allocLens.importProfile takes the path of a profile');
          const abs = path.resolve(roots[0] ?? '.', file);
          await whenReady(token);
          const format = (
            await detectImporter(abs).catch((e: Error) => Promise.reject(invalid(e.message)))
          ).importer.id;
          if (format === 'perf-data' && init.trusted === false) {
            throw invalid(
              'reading perf.data runs `perf script`, which is not done in an untrusted workspace. Trust the workspace, or import the output of `perf script` (text) instead.',
            );
          }
          const folder =
            folderOf(abs) ?? (analysis.folders.length === 1 ? analysis.folders[0] : undefined);
          if (!folder)
            throw invalid(
              'open the Rust workspace the profile was recorded from, then import it again',
            );
          return profileTask(
            `Alloc Lens: importing ${path.basename(abs)}`,
            token,
            async (signal, progress) => {
              const t0 = Date.now();
              const summary = await profile.import(abs, folder, {
                signal,
                trusted: init.trusted !== false,
                onProgress: pr =>
                  progress?.report(
                    pr.bytesTotal
                      ? Math.min(100, Math.floor((pr.bytesRead / pr.bytesTotal) * 100))
                      : 0,
                    `${(pr.bytesRead / 1e6).toFixed(0)} MB, ${pr.samples.toLocaleString('en-US')} samples`,
                  ),
              });
              log.info(
                `imported ${abs} (${summary.format}) in ${Date.now() - t0} ms: ${summary.samples} samples of ${summary.event}`,
              );
              for (const w of summary.warnings) log.warn(`${path.basename(abs)}: ${w}`);
              sendHotLines();
              changed();
              if (init.client !== 'vscode') show(MessageType.Info, summary.message);
              return summary;
            },
          );
        }
        case 'allocLens.compareProfiles': {
          const file = args[0];
          if (typeof file !== 'string' || file.length === 0)
            throw invalid('allocLens.compareProfiles takes the path of the baseline profile');
          const abs = path.resolve(roots[0] ?? '.', file);
          await whenReady(token);
          const format = (
            await detectImporter(abs).catch((e: Error) => Promise.reject(invalid(e.message)))
          ).importer.id;
          if (format === 'perf-data' && init.trusted === false) {
            throw invalid(
              'reading perf.data runs `perf script`, which is not done in an untrusted workspace. Trust the workspace, or compare with the output of `perf script` (text) instead.',
            );
          }
          return profileTask(
            `Alloc Lens: comparing with ${path.basename(abs)}`,
            token,
            async (signal, progress) => {
              const view = await profile.compare(abs, {
                signal,
                onProgress: pr =>
                  progress?.report(
                    pr.bytesTotal
                      ? Math.min(100, Math.floor((pr.bytesRead / pr.bytesTotal) * 100))
                      : 0,
                  ),
              });
              log.info(
                `compared ${profile.loadedFile()} with baseline ${abs}: ${view.totals.join(', ')}`,
              );
              sendHotLines();
              changed();
              if (init.client !== 'vscode') show(MessageType.Info, view.message);
              return view;
            },
          );
        }
        case 'allocLens.verifyLayouts': {
          if (init.trusted === false)
            throw invalid(
              'verifying layouts builds the crate with rustc (build scripts and proc macros run): trust the workspace first',
            );
          await whenReady(token);
          const abort = new AbortController();
          const signal = commandSignal(token, abort);
          const progress = await startProgress('Alloc Lens: verifying layouts with rustc', abort);
          try {
            const r = await exact.verify(analysis, {
              signal,
              onProgress: m => progress?.report(m),
              log: (lv, m) => log[lv](m),
            });
            for (const f of r.failures) show(MessageType.Error, `Alloc Lens: ${f}`);
            show(MessageType.Info, r.message);
            changed();
            return r;
          } catch (e) {
            if (signal.aborted) throw cancelled();
            throw e;
          } finally {
            progress?.done();
          }
        }
        default:
          throw new ResponseError(ErrorCodes.MethodNotFound, `unknown command ${p.command}`);
      }
    }),
  );

  // Requests the VS Code client's UI uses (any client may). Sent without params, the handler
  // gets only the cancellation token (vscode-jsonrpc passes params only when there are some).
  const custom = <R>(
    method: string,
    what: string,
    fn: (token: CancellationToken) => Promise<R> | R,
  ) => {
    const handler = guarded(what, (_p: unknown, token: CancellationToken) => fn(token));
    conn.onRequest(method, (...args: unknown[]) =>
      handler(args.length > 1 ? args[0] : undefined, args[args.length - 1] as CancellationToken),
    );
  };
  custom('allocLens/types', 'type list', async token => {
    await whenReady(token);
    return analysis.folders.flatMap(folder =>
      folder.index.typeDefs().map(def => ({
        name: def.name,
        path: def.path,
        size: sizeLabel(folder.engine.layoutOfItem(def)),
        uri: fileUri(def.span.file),
        line: def.nameSpan.line - 1,
        character: def.nameSpan.column - 1,
        relative: `${path.relative(folder.root, def.span.file)}:${def.nameSpan.line}`,
      })),
    );
  });
  custom('allocLens/drift', 'drift report', async token => {
    await whenReady(token);
    return exact.driftMarkdown(analysis);
  });
  custom('allocLens/rankedFindings', 'ranked findings', () => profile.ranked(store));
  custom('allocLens/flamegraph', 'flamegraph', () => profile.flamegraph() ?? null);
  custom('allocLens/findingsTree', 'findings view', async token => {
    await whenReady(token);
    return profile.findingsTree(store);
  });

  conn.onShutdown(() => {
    running?.abort();
    for (const t of pending.values()) clearTimeout(t);
  });

  docs.listen(conn);
  conn.listen();
}
