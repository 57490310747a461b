// The language server driven by a real, independent client: Neovim's built-in LSP client
// (Debian's neovim 0.7, headless) on a copy of examples/ddsplit. It receives the diagnostics,
// hovers, asks for code actions, applies the preferred quick fix and saves; the file on disk is
// checked and the finding must disappear after the edit reaches the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { capture } from '../helpers/capture';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const EXAMPLE = path.join(REPO, 'examples', 'ddsplit');
const LUA = path.join(REPO, 'test', 'fixtures', 'lsp', 'neovim-client.lua');

interface NvimDiag {
  file: string;
  line: number;
  col: number;
  code: string;
  message: string;
  href: string | null;
}
interface NvimResult {
  error?: string;
  first_diagnostics_ms: number;
  diagnostics: NvimDiag[];
  hover: string | null;
  hover_ms: number;
  code_actions: string[];
  applied: string;
  after_fix: NvimDiag[];
  finding_gone: boolean;
}

test('Neovim (headless, built-in LSP client) gets diagnostics, a hover, code actions and applies a fix', async () => {
  const nvim = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
  assert.equal(
    nvim.status,
    0,
    'neovim is missing: install it with `apt-get install -y neovim` (scripts/ci-deps.sh does)',
  );
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-lens-nvim-'));
  try {
    const ws = path.join(tmp, 'ddsplit');
    fs.cpSync(EXAMPLE, ws, {
      recursive: true,
      filter: f => !/[\\/](target|profile)([\\/]|$)/.test(f.slice(EXAMPLE.length)),
    });
    const outFile = path.join(tmp, 'out.json');
    // The client waits until it has as many diagnostics as `alloc-lens check` finds.
    const pre = capture();
    await main(['check', EXAMPLE, '--format', 'json', '--fail-on', 'error'], pre.io);
    const expected = (JSON.parse(pre.out()) as { findings: unknown[] }).findings.length;
    assert.ok(expected >= 5, `check found only ${expected} findings on the example`);
    const r = spawnSync(
      'nvim',
      ['--headless', '--clean', '-n', '-i', 'NONE', '-c', `luafile ${LUA}`],
      {
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          ...process.env,
          EXPECT_FINDINGS: String(expected),
          DDSPLIT: ws,
          OUT: outFile,
          ALLOC_LENS_BIN: path.join(REPO, 'bin', 'alloc-lens.js'),
          XDG_STATE_HOME: tmp,
          XDG_CACHE_HOME: tmp,
        },
      },
    );
    assert.ok(
      fs.existsSync(outFile),
      `neovim wrote no result (status ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`,
    );
    const res = JSON.parse(fs.readFileSync(outFile, 'utf8')) as NvimResult;
    assert.equal(res.error, undefined, `the Lua client failed: ${res.error}`);
    console.log(
      `neovim: first diagnostics ${res.first_diagnostics_ms} ms after start_client, hover ${res.hover_ms} ms`,
    );

    // The findings at the lines the CLI and clippy report for this crate.
    const at = (file: string, line: number, code: string) =>
      res.diagnostics.find(d => d.file === file && d.line === line && d.code === code);
    assert.ok(at('proto.rs', 16, 'large-enum-variant'), JSON.stringify(res.diagnostics));
    assert.ok(at('proto.rs', 65, 'large-error'));
    assert.ok(at('split.rs', 7, 'async-trait-box'));
    assert.match(
      at('proto.rs', 65, 'large-error')!.message,
      /^the `Err` type of this `Result` is 50,008 bytes; every `Result<SuccessCode, DistriErr>` returned by `verify`/,
    );
    assert.match(
      at('proto.rs', 16, 'large-enum-variant')!.href ?? '',
      /docs\/rules\/large-enum-variant\.md$/,
    );
    // Nothing lost in transport: exactly the findings `alloc-lens check` reports (on the unedited crate).
    const c = capture();
    await main(['check', EXAMPLE, '--format', 'json', '--fail-on', 'error'], c.io);
    const cli = (
      JSON.parse(c.out()) as {
        findings: { file: string; line: number; column: number; code: string }[];
      }
    ).findings;
    const key = (d: { file: string; line: number; code: string }) =>
      `${path.basename(d.file)}:${d.line}:${d.code}`;
    assert.deepEqual(res.diagnostics.map(key).sort(), cli.map(key).sort());

    assert.match(res.hover ?? '', /DistriErr/);
    assert.match(res.hover ?? '', /size = 50,008 \(0xC358\), align = 8/);
    assert.ok(
      res.code_actions.some(t =>
        /^Box the payload of `DistriErr::Corrupt` \(DistriErr: 50,008 B → ≈ 32 B\)$/.test(t),
      ),
      res.code_actions.join('\n'),
    );
    assert.ok(res.code_actions.includes('Suppress large-enum-variant for this item'));
    assert.ok(res.code_actions.includes('Explain layout'));

    // The applied fix edited and saved the files: the payload is boxed, the constructions box it.
    assert.match(res.applied, /^Box the payload of `DistriErr::Corrupt`/);
    const proto = fs.readFileSync(path.join(ws, 'src', 'proto.rs'), 'utf8');
    assert.match(proto, /Corrupt\(Box<\[u8; BLOCK\]>\)/);
    assert.match(
      proto,
      /Err\(DistriErr::Corrupt\(Box::new\(\*block\)\)\)/,
      'the construction site is boxed',
    );
    assert.notEqual(proto, fs.readFileSync(path.join(EXAMPLE, 'src', 'proto.rs'), 'utf8'));
    assert.ok(
      res.finding_gone,
      `large-enum-variant still reported after the fix: ${JSON.stringify(res.after_fix)}`,
    );
    assert.ok(
      !res.after_fix.some(d => d.code === 'large-error' && /DistriErr/.test(d.message)),
      'large-error on DistriErr gone too',
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
