// The editor and the CLI report the same findings (#12, #18): the language server over stdio
// (bin/alloc-lens.js lsp, the process VS Code runs) against `alloc-lens check --format json` on
// the same crate: every diagnostic it pushes is a CLI finding at the same range with the same
// code, severity and text, and the reverse; the server indexes the same files the CLI does, and
// its status count (what the status bar shows) equals the number of diagnostics it published.
// On tokio 1.24.2 (full source tree, 300+ files; no findings, as clippy finds none of these lints
// there either), examples/ddsplit and clap 4.0.32 (clone hot spots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as rpc from 'vscode-languageserver-protocol/node';
import { main } from '../../../src/cli/main';
import { loadWorkspace } from '../../../src/core/index/workspace';
import { DEFAULT_EXCLUDE, selectFiles } from '../../../src/core/config/files';
import { rustFilesFor } from '../../../src/cli/commands/layout';
import { capture } from '../helpers/capture';
import { crateDir } from '../helpers/registry';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const SEVERITY: Record<string, number> = { error: 1, warning: 2, info: 3, hint: 4 };

interface CliFinding {
  code: string;
  severity: string;
  message: string;
  notes?: string[];
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** The server on `root` until its analysis is done: what it pushed, its file count and status count. */
async function serverFindings(
  root: string,
): Promise<{ diagnostics: Map<string, rpc.Diagnostic[]>; files: number; status: number }> {
  const cp = spawn(process.execPath, [path.join(REPO, 'bin', 'alloc-lens.js'), 'lsp', '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const conn = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(cp.stdout!),
    new rpc.StreamMessageWriter(cp.stdin!),
  );
  const diagnostics = new Map<string, rpc.Diagnostic[]>();
  let status: number | undefined;
  let analysed: { files: number; findings: number } | undefined;
  conn.onNotification('textDocument/publishDiagnostics', (p: rpc.PublishDiagnosticsParams) =>
    diagnostics.set(fileURLToPath(p.uri), p.diagnostics),
  );
  conn.onNotification('allocLens/status', (p: { findings: number }) => (status = p.findings));
  conn.onNotification('window/logMessage', (p: { message: string }) => {
    const m = /analysed \d+ files in \d+ ms \((\d+) checked\): (\d+) findings/.exec(p.message);
    if (m) analysed = { files: Number(m[1]), findings: Number(m[2]) };
  });
  conn.listen();
  try {
    // A push client (VS Code's Problems panel lists every file, so the extension asks for push).
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(root).toString(),
      workspaceFolders: [{ uri: pathToFileURL(root).toString(), name: path.basename(root) }],
      capabilities: {},
      initializationOptions: { diagnostics: 'push', trusted: true },
    });
    void conn.sendNotification('initialized', {});
    const end = Date.now() + 240_000;
    while (!analysed || status === undefined) {
      if (Date.now() > end) throw new Error(`the server did not finish analysing ${root}`);
      await new Promise(r => setTimeout(r, 100));
    }
    // The status that follows the analysis: wait for the messages already sent to arrive.
    await new Promise(r => setTimeout(r, 500));
    assert.equal(analysed.findings, status);
    return { diagnostics, files: analysed.files, status };
  } finally {
    await conn.sendRequest('shutdown').catch(() => undefined);
    void conn.sendNotification('exit');
    await new Promise(r => (cp.exitCode === null ? cp.once('exit', r) : r(undefined)));
    conn.dispose();
  }
}

async function agree(root: string, minFiles: number, minFindings: number) {
  const c = capture();
  assert.equal(
    (await main(['check', root, '--format', 'json', '--fail-on', 'error'], c.io)) <= 1,
    true,
    c.err(),
  );
  const cli = (JSON.parse(c.out()) as { findings: CliFinding[] }).findings;
  const { diagnostics, files, status } = await serverFindings(root);
  const ours = [...diagnostics].flatMap(([file, ds]) =>
    ds
      .filter(d => d.source === 'alloc-lens' && d.code !== 'profile-hot-line')
      .map(d => ({ file, d })),
  );
  const key = (
    file: string,
    line: number,
    column: number,
    endLine: number,
    endColumn: number,
    code: string,
  ) =>
    `${path.relative(root, file).split(path.sep).join('/')}:${line}:${column}-${endLine}:${endColumn} ${code}`;
  const fromServer = new Map(
    ours.map(({ file, d }) => [
      key(
        file,
        d.range.start.line + 1,
        d.range.start.character + 1,
        d.range.end.line + 1,
        d.range.end.character + 1,
        String(d.code),
      ),
      d,
    ]),
  );
  const fromCli = new Map(
    cli.map(f => [
      key(path.join(root, f.file), f.line, f.column, f.endLine, f.endColumn, f.code),
      f,
    ]),
  );
  assert.equal(fromServer.size, ours.length, 'no two diagnostics at one range with one code');
  assert.deepEqual([...fromServer.keys()].sort(), [...fromCli.keys()].sort());
  for (const [k, f] of fromCli) {
    const d = fromServer.get(k)!;
    assert.equal(d.severity, SEVERITY[f.severity], k);
    assert.equal(d.message, f.notes?.length ? `${f.message}; ${f.notes.join('; ')}` : f.message, k);
  }
  // The status bar's count is the Problems panel's.
  assert.equal(status, ours.length);
  // The same files: the server checked as many files as `check <root>` does (its own files, as
  // runCheck selects them: every .rs under the root the index accepts, target/ excluded).
  const index = await loadWorkspace(root, { trusted: true });
  const { files: all } = rustFilesFor(root);
  index.ensureFiles(all);
  assert.equal(files, selectFiles(index, root, DEFAULT_EXCLUDE, all).length);
  assert.ok(files >= minFiles, `${files} files`);
  assert.ok(cli.length >= minFindings, `${cli.length} findings`);
  return { files, findings: cli.length };
}

test(
  'tokio 1.24.2: the language server and `check --format json` agree (findings and files)',
  { timeout: 600_000 },
  async () => {
    const r = await agree(crateDir('tokio-1.24.2'), 300, 0);
    // clippy (result_large_err, large_enum_variant, large_types_passed_by_value, large_futures) finds none in tokio either.
    assert.equal(r.findings, 0);
  },
);

test(
  'examples/ddsplit and clap 4.0.32: the language server and `check --format json` agree finding by finding',
  { timeout: 600_000 },
  async () => {
    const d = await agree(path.join(REPO, 'examples', 'ddsplit'), 4, 9);
    assert.equal(d.findings, 9);
    await agree(crateDir('clap-4.0.32'), 40, 8);
  },
);
