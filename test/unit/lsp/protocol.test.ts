// The language server over stdio, driven by a JSON-RPC client (vscode-languageserver-protocol):
// pull diagnostics, invalid and unknown requests, cancellation, the custom requests, profile
// import as a workspace command (hot-line hints + notification), and recovery after a crash.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as rpc from 'vscode-languageserver-protocol/node';
import { WORKSPACE_COMMANDS } from '../../../src/lsp/protocol';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const EXAMPLE = path.join(REPO, 'examples', 'ddsplit');
const uri = (rel: string) => pathToFileURL(path.join(EXAMPLE, rel)).toString();

let cp: ChildProcess;
let conn: rpc.ProtocolConnection;
let advertised: string[] | undefined;
const pushed: rpc.PublishDiagnosticsParams[] = [];
const hotLines: { lines: unknown[] }[] = [];
const logs: string[] = [];
const shown: string[] = [];

before(async () => {
  cp = spawn(process.execPath, [path.join(REPO, 'bin', 'alloc-lens.js'), 'lsp'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  conn = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(cp.stdout!),
    new rpc.StreamMessageWriter(cp.stdin!),
  );
  conn.onNotification('textDocument/publishDiagnostics', (p: rpc.PublishDiagnosticsParams) =>
    pushed.push(p),
  );
  conn.onNotification('allocLens/profileHotLines', (p: { lines: unknown[] }) => hotLines.push(p));
  conn.onNotification('window/logMessage', (p: { message: string }) => logs.push(p.message));
  conn.onNotification('window/showMessage', (p: { message: string }) => shown.push(p.message));
  conn.listen();
  const init = await conn.sendRequest<{
    capabilities: { executeCommandProvider?: { commands: string[] } };
  }>('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(EXAMPLE).toString(),
    workspaceFolders: [{ uri: pathToFileURL(EXAMPLE).toString(), name: 'ddsplit' }],
    // A client with pull diagnostics: the server must not push findings as well.
    capabilities: { textDocument: { diagnostic: { dynamicRegistration: false } } },
  });
  advertised = init.capabilities.executeCommandProvider?.commands;
  void conn.sendNotification('initialized', {});
});

after(async () => {
  await conn.sendRequest('shutdown').catch(() => undefined);
  void conn.sendNotification('exit');
  await new Promise(r => cp.once('exit', r));
});

test('a pull client gets the diagnostics by textDocument/diagnostic and workspace/diagnostic, none pushed', async () => {
  const r = await conn.sendRequest<{ kind: string; items: rpc.Diagnostic[] }>(
    'textDocument/diagnostic',
    { textDocument: { uri: uri('src/proto.rs') } },
  );
  assert.equal(r.kind, 'full');
  const lev = r.items.find(d => d.code === 'large-enum-variant');
  assert.ok(lev);
  assert.deepEqual(lev.range.start, { line: 15, character: 9 });
  assert.equal(lev.source, 'alloc-lens');
  assert.match(lev.codeDescription?.href ?? '', /docs\/rules\/large-enum-variant\.md$/);
  assert.ok((lev.relatedInformation ?? []).length >= 2, 'the largest and second largest variants');
  const ws = await conn.sendRequest<{ items: { uri: string; items: rpc.Diagnostic[] }[] }>(
    'workspace/diagnostic',
    { previousResultIds: [] },
  );
  assert.deepEqual(ws.items.map(i => path.basename(i.uri)).sort(), [
    'main.rs',
    'proto.rs',
    'split.rs',
    'store.rs',
  ]);
  assert.equal(pushed.filter(p => p.diagnostics.length > 0).length, 0);
});

test('invalid params get InvalidParams, unknown methods MethodNotFound, and the server keeps answering', async () => {
  await assert.rejects(
    conn.sendRequest('textDocument/hover', {}),
    (e: rpc.ResponseError<unknown>) => e.code === rpc.ErrorCodes.InvalidParams,
  );
  await assert.rejects(
    conn.sendRequest('textDocument/hover', {
      textDocument: { uri: 'untitled:1' },
      position: { line: 0, character: 0 },
    }),
    (e: rpc.ResponseError<unknown>) => e.code === rpc.ErrorCodes.InvalidParams,
  );
  await assert.rejects(
    conn.sendRequest('allocLens/nope', {}),
    (e: rpc.ResponseError<unknown>) => e.code === rpc.ErrorCodes.MethodNotFound,
  );
  await assert.rejects(
    conn.sendRequest('workspace/executeCommand', {
      command: 'allocLens.importProfile',
      arguments: [42],
    }),
    (e: rpc.ResponseError<unknown>) => e.code === rpc.ErrorCodes.InvalidParams,
  );
  await assert.rejects(
    conn.sendRequest('workspace/executeCommand', {
      command: 'allocLens.importProfile',
      arguments: [path.join(EXAMPLE, 'Cargo.toml')],
    }),
    (e: rpc.ResponseError<unknown>) =>
      e.code === rpc.ErrorCodes.InvalidParams && /Cargo\.toml|format|profile/i.test(e.message),
  );
  const h = await conn.sendRequest<{ contents: { value: string } }>('textDocument/hover', {
    textDocument: { uri: uri('src/proto.rs') },
    position: { line: 15, character: 11 },
  });
  assert.match(h.contents.value, /size = 50,008 \(0xC358\), align = 8/);
});

test('a profile import cancelled by $/cancelRequest is answered with RequestCancelled', async () => {
  const src = new rpc.CancellationTokenSource();
  const req = conn.sendRequest(
    'workspace/executeCommand',
    {
      command: 'allocLens.importProfile',
      arguments: [path.join(EXAMPLE, 'profile', 'ddsplit.perf-script.txt.gz')],
    },
    src.token,
  );
  // The import of this recording takes ~500 ms: cancel it while it reads.
  setTimeout(() => src.cancel(), 50);
  await assert.rejects(
    req,
    (e: rpc.ResponseError<unknown>) => e.code === rpc.LSPErrorCodes.RequestCancelled,
  );
  assert.equal(hotLines.length, 0, 'nothing was loaded');
});

test('profile import as a workspace command: hot lines as hint diagnostics and the custom notification', async () => {
  const r = await conn.sendRequest<{ samples: number; hottest: { file: string; line: number } }>(
    'workspace/executeCommand',
    {
      command: 'allocLens.importProfile',
      arguments: [path.join(EXAMPLE, 'profile', 'ddsplit.perf-script.txt.gz')],
    },
  );
  // The committed recording (README "Profiles"): 4,551 samples, the hottest line main.rs:19.
  assert.equal(r.samples, 4551);
  assert.deepEqual([r.hottest.file, r.hottest.line], ['src/main.rs', 19]);
  assert.ok(hotLines.length > 0 && hotLines[hotLines.length - 1].lines.length > 0);
  const main = await conn.sendRequest<{ items: rpc.Diagnostic[] }>('textDocument/diagnostic', {
    textDocument: { uri: uri('src/main.rs') },
  });
  const hint = main.items.find(d => d.code === 'profile-hot-line' && d.range.start.line === 18);
  assert.ok(hint, JSON.stringify(main.items.map(d => [d.code, d.range.start.line])));
  assert.equal(hint.severity, rpc.DiagnosticSeverity.Hint);
  assert.match(hint.message, /memcpy 57\.\d%/);
  // The profile confirms the large-move at main.rs:18 (queue.pop of a 4 KB Query) and raises it.
  const confirmed = main.items.find(d => d.code === 'large-move' && d.range.start.line === 17);
  assert.match(confirmed?.message ?? '', /confirmed by profile/);
  const ranked = await conn.sendRequest<{ label: string; confirmed: boolean }[]>(
    'allocLens/rankedFindings',
  );
  assert.ok(ranked[0].confirmed);
  const fg = await conn.sendRequest<{ hotLines: unknown[]; speedscope: { shared: unknown } }>(
    'allocLens/flamegraph',
  );
  assert.ok(fg.hotLines.length > 0 && fg.speedscope.shared);
  await conn.sendRequest('workspace/executeCommand', {
    command: 'allocLens.clearProfile',
    arguments: [],
  });
  assert.equal(hotLines[hotLines.length - 1].lines.length, 0);
});

test('code actions: the quick fix, a suppression above the attributes, Explain layout', async () => {
  const d = (
    await conn.sendRequest<{ items: rpc.Diagnostic[] }>('textDocument/diagnostic', {
      textDocument: { uri: uri('src/proto.rs') },
    })
  ).items.find(x => x.code === 'large-enum-variant')!;
  const actions = await conn.sendRequest<rpc.CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri: uri('src/proto.rs') },
    range: d.range,
    context: { diagnostics: [d] },
  });
  assert.deepEqual(
    actions.map(a => a.title),
    [
      'Box the payload of `DistriErr::Corrupt` (DistriErr: 50,008 B → ≈ 32 B)',
      'Suppress large-enum-variant for this item',
      'Explain layout',
    ],
  );
  const suppress = actions[1].edit!.changes![uri('src/proto.rs')][0];
  // proto.rs:14 is the doc comment and :15 `#[derive(Debug)]`: the comment goes above both.
  assert.deepEqual(
    [suppress.range.start.line, suppress.newText],
    [13, '// alloc-lens: allow(large-enum-variant)\n'],
  );
  const explain = await conn.sendRequest<{ markdown: string }>('workspace/executeCommand', {
    command: actions[2].command!.command,
    arguments: actions[2].command!.arguments,
  });
  assert.match(explain.markdown, /^Corrupt +[\d,]+ +50,000 +\[u8; 50000\]$/m);
});

test('Explain future size: offered on an async fn signature, answered by the workspace command', async () => {
  const actions = await conn.sendRequest<rpc.CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri: uri('src/split.rs') },
    range: { start: { line: 18, character: 14 }, end: { line: 18, character: 14 } },
    context: { diagnostics: [] },
  });
  const explain = actions.find(a => a.title === 'Explain future size');
  assert.ok(explain, JSON.stringify(actions.map(a => a.title)));
  assert.equal(explain.command!.command, 'allocLens.explainFuture');
  const r = await conn.sendRequest<{ markdown: string; title: string }>(
    'workspace/executeCommand',
    { command: explain.command!.command, arguments: explain.command!.arguments },
  );
  assert.match(r.markdown, /^\*\*Future of `split`\*\* \(async fn, src\/split\.rs:19\)/);
  assert.match(r.markdown, /`#\[async_trait\]` boxes this body on every call/);
  assert.match(r.markdown, /^argument +q +&Query +8$/m);
  // Not on a plain fn's line; outside any future the command says where to put the cursor.
  const none = await conn.sendRequest<rpc.CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri: uri('src/proto.rs') },
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    context: { diagnostics: [] },
  });
  assert.ok(!none.some(a => a.title === 'Explain future size'));
  const msg = await conn.sendRequest<{ message: string }>('workspace/executeCommand', {
    command: 'allocLens.explainFuture',
    arguments: [uri('src/proto.rs'), { line: 0, character: 0 }],
  });
  assert.match(msg.message, /place the cursor in an async fn/);
});

test('a body that is not JSON gets a Parse error (id null) and the next message is still served', async () => {
  const p = spawn(process.execPath, [path.join(REPO, 'bin', 'alloc-lens.js'), 'lsp'], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let out = '';
  p.stdout!.on('data', d => (out += d));
  const send = (s: string) => p.stdin!.write(`Content-Length: ${Buffer.byteLength(s)}\r\n\r\n${s}`);
  send('{bad json');
  send(
    '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"capabilities":{}}}',
  );
  const end = Date.now() + 20000;
  while (!/"id":1,"result"/.test(out) && Date.now() < end)
    await new Promise(r => setTimeout(r, 50));
  p.stdin!.end();
  await new Promise(r => p.once('exit', r));
  assert.match(out, /"id":null,"error":\{"code":-32700,"message":"Parse error/);
  assert.match(out, /"id":1,"result":\{"capabilities"/);
});

test('an edited buffer is re-analysed after the debounce; closing it puts the disk text back', async () => {
  const u = uri('src/proto.rs');
  const disk = fs.readFileSync(path.join(EXAMPLE, 'src', 'proto.rs'), 'utf8');
  const pull = async () =>
    (
      await conn.sendRequest<{ items: rpc.Diagnostic[] }>('textDocument/diagnostic', {
        textDocument: { uri: u },
      })
    ).items;
  const waitFor = async (what: string, ok: (d: rpc.Diagnostic[]) => boolean) => {
    const end = Date.now() + 20000;
    for (;;) {
      const d = await pull();
      if (ok(d)) return d;
      assert.ok(
        Date.now() < end,
        `timed out waiting for ${what}: ${JSON.stringify(d.map(x => x.code))}`,
      );
      await new Promise(r => setTimeout(r, 100));
    }
  };
  const lev = (d: rpc.Diagnostic[]) => d.some(x => x.code === 'large-enum-variant');
  void conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri: u, languageId: 'rust', version: 1, text: disk },
  });
  // An incremental change: `Corrupt([u8; BLOCK])` (proto.rs:18) becomes `Corrupt(Box<[u8; BLOCK]>)`.
  const line = disk.split('\n')[17];
  const col = line.indexOf('[u8; BLOCK]');
  void conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: u, version: 2 },
    contentChanges: [
      {
        range: {
          start: { line: 17, character: col },
          end: { line: 17, character: col + '[u8; BLOCK]'.length },
        },
        text: 'Box<[u8; BLOCK]>',
      },
    ],
  });
  await waitFor('large-enum-variant to go after the edit', d => !lev(d));
  void conn.sendNotification('textDocument/didClose', { textDocument: { uri: u } });
  await waitFor('large-enum-variant back from the disk text after close', lev);
});

test('a folder whose analysis crashes is reported (log + message) and the other folder is still served', async () => {
  const p = spawn(process.execPath, [path.join(REPO, 'bin', 'alloc-lens.js'), 'lsp'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const c = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(p.stdout!),
    new rpc.StreamMessageWriter(p.stdin!),
  );
  const messages: { type: number; message: string }[] = [];
  const errors: string[] = [];
  const diags = new Map<string, number>();
  c.onNotification('window/showMessage', (m: { type: number; message: string }) =>
    messages.push(m),
  );
  c.onNotification(
    'window/logMessage',
    (m: { type: number; message: string }) => m.type === 1 && errors.push(m.message),
  );
  c.onNotification('textDocument/publishDiagnostics', (d: rpc.PublishDiagnosticsParams) =>
    diags.set(path.basename(d.uri), d.diagnostics.length),
  );
  const status = new Promise(r => c.onNotification('allocLens/status', r));
  c.listen();
  // A workspace folder deleted while the editor had it open.
  const gone = path.join(os.tmpdir(), `alloc-lens-gone-${process.pid}`);
  await c.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    workspaceFolders: [
      { uri: pathToFileURL(gone).toString(), name: 'gone' },
      { uri: pathToFileURL(EXAMPLE).toString(), name: 'ddsplit' },
    ],
    capabilities: {},
  });
  void c.sendNotification('initialized', {});
  await status;
  assert.ok(
    messages.some(
      m => m.type === rpc.MessageType.Error && m.message.includes(`analysis of ${gone} failed`),
    ),
    JSON.stringify(messages),
  );
  assert.ok(
    errors.some(e => /ENOENT/.test(e) && /\n\s+at /.test(e)),
    'the log has the error with its stack',
  );
  assert.ok((diags.get('proto.rs') ?? 0) > 0, 'ddsplit still gets its diagnostics');
  const h = await c.sendRequest<{ contents: { value: string } }>('textDocument/hover', {
    textDocument: { uri: uri('src/proto.rs') },
    position: { line: 15, character: 11 },
  });
  assert.match(h.contents.value, /size = 50,008 \(0xC358\)/);
  await c.sendRequest('shutdown');
  void c.sendNotification('exit');
  await new Promise(r => p.once('exit', r));
});

test('workspace commands: advertised to a plain client; a client that registers them itself (VS Code) gets none advertised and they still run', async () => {
  assert.deepEqual(advertised, [...WORKSPACE_COMMANDS]);
  const p = spawn(process.execPath, [path.join(REPO, 'bin', 'alloc-lens.js'), 'lsp'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const c = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(p.stdout!),
    new rpc.StreamMessageWriter(p.stdin!),
  );
  c.listen();
  const r = await c.sendRequest<{
    capabilities: { executeCommandProvider?: { commands: string[] } };
  }>('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(EXAMPLE).toString(),
    capabilities: {},
    initializationOptions: { client: 'vscode', clientCommands: true },
  });
  assert.deepEqual(r.capabilities.executeCommandProvider?.commands, []);
  void c.sendNotification('initialized', {});
  const explained = await c.sendRequest<{ markdown?: string }>('workspace/executeCommand', {
    command: 'allocLens.explainLayout',
    arguments: [uri('src/proto.rs'), { line: 15, character: 11 }],
  });
  assert.match(explained.markdown ?? '', /50,008/);
  await c.sendRequest('shutdown');
  void c.sendNotification('exit');
  await new Promise(x => p.once('exit', x));
});
