// The status bar count and the Problems panel agree (#18: one view-model): the count the server
// sends in `allocLens/status` is the number of diagnostics it published that the Problems panel
// lists (every severity but Hint), before and after a heap profile adds its own diagnostics
// (heap-churn, heap-peak: warnings and infos in the Problems panel), and after it is cleared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as rpc from 'vscode-languageserver-protocol/node';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const PIPELINE = path.join(REPO, 'test', 'fixtures', 'heap', 'pipeline');

test(
  'status count = diagnostics in the Problems panel, with a heap profile imported and cleared',
  { timeout: 240_000 },
  async () => {
    const cp = spawn(
      process.execPath,
      [path.join(REPO, 'bin', 'alloc-lens.js'), 'lsp', '--stdio'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const conn = rpc.createProtocolConnection(
      new rpc.StreamMessageReader(cp.stdout!),
      new rpc.StreamMessageWriter(cp.stdin!),
    );
    const published = new Map<string, rpc.Diagnostic[]>();
    const statuses: number[] = [];
    let analysed = false;
    conn.onNotification('textDocument/publishDiagnostics', (p: rpc.PublishDiagnosticsParams) =>
      published.set(fileURLToPath(p.uri), p.diagnostics),
    );
    conn.onNotification('allocLens/status', (p: { findings: number }) => statuses.push(p.findings));
    conn.onNotification(
      'window/logMessage',
      (p: { message: string }) => (analysed ||= /analysed \d+ files/.test(p.message)),
    );
    conn.listen();
    const inProblems = () =>
      [...published.values()].flat().filter(d => d.severity !== rpc.DiagnosticSeverity.Hint);
    const settle = async (what: string, ok: () => boolean) => {
      const end = Date.now() + 120_000;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise(r => setTimeout(r, 100));
      }
      // Messages already on their way.
      await new Promise(r => setTimeout(r, 500));
    };
    try {
      await conn.sendRequest('initialize', {
        processId: process.pid,
        rootUri: pathToFileURL(PIPELINE).toString(),
        workspaceFolders: [{ uri: pathToFileURL(PIPELINE).toString(), name: 'pipeline' }],
        capabilities: {},
        initializationOptions: { diagnostics: 'push', trusted: true },
      });
      void conn.sendNotification('initialized', {});
      await settle('the analysis', () => analysed && statuses.length > 0);
      const before = inProblems().length;
      assert.equal(statuses.at(-1), before);
      const n = statuses.length;
      await conn.sendRequest('workspace/executeCommand', {
        command: 'allocLens.importProfile',
        arguments: [path.join(PIPELINE, 'dhat.json.gz')],
      });
      await settle('the status after the import', () => statuses.length > n);
      const heap = inProblems().filter(d => /^heap-/.test(String(d.code)));
      // The committed recording: heap-churn at main.rs:16 and heap-peak at main.rs:7 (test/e2e/heap.test.mjs).
      assert.ok(heap.length >= 2, JSON.stringify(inProblems().map(d => d.code)));
      assert.equal(statuses.at(-1), before + heap.length);
      assert.equal(statuses.at(-1), inProblems().length);
      const m = statuses.length;
      await conn.sendRequest('workspace/executeCommand', {
        command: 'allocLens.clearProfile',
        arguments: [],
      });
      await settle('the status after clearing', () => statuses.length > m);
      assert.equal(inProblems().length, before);
      assert.equal(statuses.at(-1), before);
    } finally {
      await conn.sendRequest('shutdown').catch(() => undefined);
      void conn.sendNotification('exit');
      await new Promise(r => (cp.exitCode === null ? cp.once('exit', r) : r(undefined)));
      conn.dispose();
    }
  },
);
