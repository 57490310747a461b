// The server logs where its time went from process start to the first results (#18 item 8): one
// `timeline:` line after the first analysis, every phase in order, wall and CPU ms never going
// back, and nothing after the first analysis (a re-analysis is not a start-up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as rpc from 'vscode-languageserver-protocol/node';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const DDSPLIT = path.join(REPO, 'examples', 'ddsplit');

const PHASES = [
  'node',
  'modules',
  'initialize',
  'initialized',
  'settings',
  'dependencies + 1st file',
  'module trees',
  'other files',
  'rules',
  'published',
];

test('the first analysis logs a timeline of every start-up phase, in order', async () => {
  const cp = spawn(process.execPath, [path.join(REPO, 'bin', 'alloc-lens.js'), 'lsp'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const conn = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(cp.stdout!),
    new rpc.StreamMessageWriter(cp.stdin!),
  );
  const logs: string[] = [];
  let statuses = 0;
  let onStatus = () => undefined as void;
  conn.onNotification('window/logMessage', (p: { message: string }) => logs.push(p.message));
  conn.onNotification('allocLens/status', () => {
    statuses++;
    onStatus();
  });
  conn.listen();
  const status = (n: number) =>
    new Promise<void>(resolve => {
      onStatus = () => statuses >= n && resolve();
      onStatus();
    });
  const uri = pathToFileURL(DDSPLIT).toString();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: uri,
    workspaceFolders: [{ uri, name: 'ddsplit' }],
    capabilities: {},
    initializationOptions: { diagnostics: 'push', trusted: false },
  });
  void conn.sendNotification('initialized', {});
  await status(1);
  // A second analysis (the command) logs no second timeline.
  await conn.sendRequest('workspace/executeCommand', { command: 'allocLens.analyzeWorkspace' });
  await status(2);
  await conn.sendRequest('shutdown');
  void conn.sendNotification('exit');
  await new Promise(r => cp.once('exit', r));

  const lines = logs.filter(l => l.startsWith('timeline'));
  assert.equal(lines.length, 1, logs.join('\n'));
  assert.match(lines[0], /^timeline \(ms since the server process started at \d{4}-\d\d-\d\dT/);
  const marks = lines[0]
    .slice(lines[0].indexOf('): ') + 3)
    .split(', ')
    .map(m => /^(.+?) (\d+)(?: \(cpu (\d+)\))?$/.exec(m)!);
  assert.deepEqual(
    marks.map(m => m?.[1]),
    PHASES,
  );
  const at = marks.map(m => Number(m[2]));
  const cpu = marks.slice(1).map(m => Number(m[3]));
  for (let i = 1; i < at.length; i++) assert.ok(at[i] >= at[i - 1], lines[0]);
  for (let i = 1; i < cpu.length; i++) assert.ok(cpu[i] >= cpu[i - 1], lines[0]);
  // The phases add up to real work: ddsplit's rules ran after its files were indexed.
  assert.ok(at[at.length - 1] > at[1], lines[0]);
});
