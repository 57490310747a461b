// One view-model (#18): the published diagnostics, the status count and the findings view are
// three renderings of the server's one findings store (src/lsp/findings-store.ts), so they list
// the same findings with the same severity and the same profile confirmation. Checked through the
// real server (stdio JSON-RPC) on examples/ddsplit without a profile, with its committed perf
// recording (confirmed findings raised one level), after an edit, and on the heap fixture with its
// DHAT recording (heap-churn/heap-peak findings only the profile makes), then cleared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as rpc from 'vscode-languageserver-protocol/node';
import type { FindingsTree } from '../../../src/lsp/protocol';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const DDSPLIT = path.join(REPO, 'examples', 'ddsplit');
const PIPELINE = path.join(REPO, 'test', 'fixtures', 'heap', 'pipeline');
const SEVERITY: Record<string, number> = { error: 1, warning: 2, info: 3, hint: 4 };

interface Server {
  conn: rpc.ProtocolConnection;
  published: Map<string, rpc.Diagnostic[]>;
  statuses: number[];
  close(): Promise<void>;
}

async function start(root: string): Promise<Server> {
  const cp = spawn(process.execPath, [path.join(REPO, 'bin', 'alloc-lens.js'), 'lsp', '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const conn = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(cp.stdout!),
    new rpc.StreamMessageWriter(cp.stdin!),
  );
  const published = new Map<string, rpc.Diagnostic[]>();
  const statuses: number[] = [];
  conn.onNotification('textDocument/publishDiagnostics', (p: rpc.PublishDiagnosticsParams) =>
    published.set(fileURLToPath(p.uri), p.diagnostics),
  );
  conn.onNotification('allocLens/status', (p: { findings: number }) => statuses.push(p.findings));
  conn.listen();
  // Push diagnostics (as VS Code asks), and hot-line notes as hints (as other editors get them):
  // the notes are published too but are not findings.
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(root).toString(),
    workspaceFolders: [{ uri: pathToFileURL(root).toString(), name: path.basename(root) }],
    capabilities: {},
    initializationOptions: { diagnostics: 'push', trusted: true },
  });
  void conn.sendNotification('initialized', {});
  return {
    conn,
    published,
    statuses,
    close: async () => {
      await conn.sendRequest('shutdown').catch(() => undefined);
      void conn.sendNotification('exit');
      await new Promise(r => (cp.exitCode === null ? cp.once('exit', r) : r(undefined)));
      conn.dispose();
    },
  };
}

/** Waits until a new status arrived and the messages already sent are in. */
async function settle(s: Server, after: number, what: string): Promise<void> {
  const end = Date.now() + 120_000;
  while (s.statuses.length <= after) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
  await new Promise(r => setTimeout(r, 500));
}

const key = (file: string, line: number, character: number, code: string, severity: number) =>
  `${path.basename(file)}:${line + 1}:${character + 1} ${code} ${severity}`;

/** The three renderings, each as a sorted list of `file:line:col code severity`. */
async function renderings(s: Server) {
  const diagnostics = [...s.published]
    .flatMap(([file, ds]) => ds.map(d => ({ file, d })))
    .filter(({ d }) => d.source === 'alloc-lens' && d.code !== 'profile-hot-line');
  const tree = await s.conn.sendRequest<FindingsTree>('allocLens/findingsTree');
  const inTree = tree.groups.flatMap(g => g.findings);
  return {
    tree,
    diagnostics: diagnostics
      .map(({ file, d }) =>
        key(file, d.range.start.line, d.range.start.character, String(d.code), d.severity!),
      )
      .sort(),
    view: inTree
      .map(f => key(fileURLToPath(f.uri), f.line, f.character, f.code, SEVERITY[f.severity]))
      .sort(),
    // confirmed in the view <=> the diagnostic says so (`confirmed by profile: ...`)
    confirmedInDiagnostics: diagnostics
      .filter(({ d }) => /^confirmed by (heap )?profile/.test(d.message))
      .map(({ file, d }) =>
        key(file, d.range.start.line, d.range.start.character, String(d.code), d.severity!),
      )
      .sort(),
    confirmedInView: inTree
      .filter(f => f.confirmed && !/^heap-/.test(f.code))
      .map(f => key(fileURLToPath(f.uri), f.line, f.character, f.code, SEVERITY[f.severity]))
      .sort(),
    status: s.statuses.at(-1),
    notes: [...s.published.values()].flat().filter(d => d.code === 'profile-hot-line').length,
  };
}

async function assertAgree(s: Server, what: string) {
  const r = await renderings(s);
  assert.deepEqual(r.view, r.diagnostics, `${what}: the view (left) lists what was published`);
  assert.equal(r.status, r.diagnostics.length, `${what}: the status count`);
  assert.equal(new Set(r.diagnostics).size, r.diagnostics.length, `${what}: no finding twice`);
  assert.deepEqual(r.confirmedInView, r.confirmedInDiagnostics, `${what}: confirmations`);
  return r;
}

test(
  'ddsplit: diagnostics, status count and findings view agree without a profile, with the perf recording, and after an edit',
  { timeout: 240_000 },
  async () => {
    const s = await start(DDSPLIT);
    try {
      await settle(s, 0, 'the analysis');
      const plain = await assertAgree(s, 'no profile');
      // The 9 findings of the committed example (README), none confirmed; one is a hint (the
      // guessed Rc<String> clone at store.rs:17), which VS Code's Problems panel does not list.
      assert.equal(plain.diagnostics.length, 9);
      assert.equal(plain.confirmedInView.length, 0);
      assert.deepEqual(
        plain.view.filter(k => k.endsWith(' 4')),
        ['store.rs:17:9 clone-hotspot 4'],
      );

      let n = s.statuses.length;
      await s.conn.sendRequest('workspace/executeCommand', {
        command: 'allocLens.importProfile',
        arguments: [path.join(DDSPLIT, 'profile', 'ddsplit.perf-script.txt.gz')],
      });
      await settle(s, n, 'the status after the import');
      const cpu = await assertAgree(s, 'perf recording');
      assert.equal(cpu.diagnostics.length, 9);
      assert.ok(cpu.notes > 0, 'hot-line notes were published, and not counted');
      // The recording confirms the large-move at main.rs:18 (queue.pop of a 4 KB Query): a
      // warning raised to an error in the diagnostic and in the view alike.
      assert.ok(
        cpu.confirmedInView.includes('main.rs:18:25 large-move 1'),
        cpu.confirmedInView.join('\n'),
      );
      assert.notDeepEqual(cpu.diagnostics, plain.diagnostics, 'severities were raised');
      // The ranked list shows the same confirmations.
      const ranked = await s.conn.sendRequest<{ label: string; confirmed: boolean }[]>(
        'allocLens/rankedFindings',
      );
      assert.equal(ranked.length, 9);
      assert.equal(ranked.filter(r => r.confirmed).length, cpu.confirmedInView.length);

      // An edit that removes the large-enum-variant (and the findings it caused).
      const file = path.join(DDSPLIT, 'src', 'proto.rs');
      const disk = fs.readFileSync(file, 'utf8');
      const uri = pathToFileURL(file).toString();
      n = s.statuses.length;
      void s.conn.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'rust', version: 1, text: disk },
      });
      void s.conn.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: 2 },
        contentChanges: [
          { text: disk.replace('Corrupt([u8; BLOCK])', 'Corrupt(Box<[u8; BLOCK]>)') },
        ],
      });
      const end = Date.now() + 60_000;
      while ((await renderings(s)).diagnostics.some(d => / large-enum-variant /.test(d))) {
        assert.ok(Date.now() < end, 'the edit was not re-analysed');
        await new Promise(r => setTimeout(r, 100));
      }
      await settle(s, n, 'the status after the edit');
      const edited = await assertAgree(s, 'after the edit');
      assert.ok(edited.diagnostics.length < 9, edited.diagnostics.join('\n'));
      void s.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    } finally {
      await s.close();
    }
  },
);

test(
  'heap fixture: the DHAT recording adds findings only it makes to all three renderings, clearing removes them',
  { timeout: 240_000 },
  async () => {
    const s = await start(PIPELINE);
    try {
      await settle(s, 0, 'the analysis');
      const plain = await assertAgree(s, 'no profile');
      let n = s.statuses.length;
      await s.conn.sendRequest('workspace/executeCommand', {
        command: 'allocLens.importProfile',
        arguments: [path.join(PIPELINE, 'dhat.json.gz')],
      });
      await settle(s, n, 'the status after the import');
      const heap = await assertAgree(s, 'DHAT recording');
      const own = heap.view.filter(k => / heap-/.test(k));
      // The committed recording: heap-churn at main.rs:16 and heap-peak at main.rs:7.
      assert.ok(
        own.some(k => /^main\.rs:16:1 heap-churn /.test(k)),
        own.join('\n'),
      );
      assert.ok(
        own.some(k => /^main\.rs:7:1 heap-peak /.test(k)),
        own.join('\n'),
      );
      assert.equal(heap.diagnostics.length, plain.diagnostics.length + own.length);
      // Each is its own group in the view, at its line.
      const churn = heap.tree.groups.find(g => g.label === 'heap-churn');
      assert.equal(churn?.where, 'src/main.rs:16');
      n = s.statuses.length;
      await s.conn.sendRequest('workspace/executeCommand', {
        command: 'allocLens.clearProfile',
        arguments: [],
      });
      await settle(s, n, 'the status after clearing');
      const cleared = await assertAgree(s, 'cleared');
      assert.deepEqual(cleared.diagnostics, plain.diagnostics);
    } finally {
      await s.close();
    }
  },
);
