// Hot-function CodeLens from a heap profile (bytes, not samples), and Compare Profiles refusing a
// CPU baseline for a heap profile with a message that says why, through the real server on the
// pipeline fixture.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as rpc from 'vscode-languageserver-protocol/node';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const CRATE = path.join(REPO, 'test', 'fixtures', 'heap', 'pipeline');

let cp: ChildProcess;
let conn: rpc.ProtocolConnection;

before(async () => {
  cp = spawn(process.execPath, [path.join(REPO, 'bin', 'alloc-lens.js'), 'lsp'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  conn = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(cp.stdout!),
    new rpc.StreamMessageWriter(cp.stdin!),
  );
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(CRATE).toString(),
    workspaceFolders: [{ uri: pathToFileURL(CRATE).toString(), name: 'pipeline' }],
    capabilities: {},
    initializationOptions: { diagnostics: 'push', client: 'vscode' },
  });
  void conn.sendNotification('initialized', {});
});

after(async () => {
  await conn.sendRequest('shutdown').catch(() => undefined);
  void conn.sendNotification('exit');
  await new Promise(r => cp.once('exit', r));
});

test('a heap profile puts the allocated bytes of each hot fn in a CodeLens', async () => {
  const none = await conn.sendRequest<rpc.CodeLens[]>('textDocument/codeLens', {
    textDocument: { uri: pathToFileURL(path.join(CRATE, 'src', 'main.rs')).toString() },
  });
  assert.equal(
    none.filter(l => /\$\(flame\)/.test(l.command?.title ?? '')).length,
    0,
    'no profile, no hot-fn lens',
  );
  await conn.sendRequest('workspace/executeCommand', {
    command: 'allocLens.importProfile',
    arguments: [path.join(CRATE, 'dhat.json.gz')],
  });
  const lenses = await conn.sendRequest<rpc.CodeLens[]>('textDocument/codeLens', {
    textDocument: { uri: pathToFileURL(path.join(CRATE, 'src', 'main.rs')).toString() },
  });
  const titles = lenses.map(l => l.command?.title ?? '').filter(t => t.startsWith('$(flame)'));
  // As `alloc-lens profile` reports it: src/main.rs:7 (in read_frame) 54.5 MB of 56.8 MB; main's lines (<1 %) get no lens
  assert.deepEqual(titles, [
    '$(flame) read_frame: 54.5 MB allocated (95.9%)',
    '$(flame) record: 2.27 MB allocated (4.0%)',
  ]);
});

test('Compare Profiles refuses a CPU baseline for a heap profile and says why', async () => {
  const cpu = path.join(REPO, 'examples', 'ddsplit', 'profile', 'ddsplit.perf-script.txt.gz');
  await assert.rejects(
    conn.sendRequest('workspace/executeCommand', {
      command: 'allocLens.compareProfiles',
      arguments: [cpu],
    }),
    /the loaded profile is a heap profile \(DHAT, heaptrack or pprof\): its baseline must be one too/,
  );
});
