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
const MULTITOOL = path.join(
  REPO,
  'node_modules',
  '@microsoft',
  'sarif-multitool-linux',
  'Sarif.Multitool',
);

test('check: text output in rustc style with a caret, exit 1 on warnings', async () => {
  const c = capture();
  assert.equal(await main(['check', EXAMPLE], c.io), 1);
  assert.match(
    c.out(),
    /^src\/proto\.rs:65:8: warning\[large-error\]: the `Err` type of this `Result` is 50,008 bytes$/m,
  );
  assert.match(
    c.out(),
    /^65 \| pub fn verify\(block: &\[u8; BLOCK\], expect: u32\) -> Result<SuccessCode, DistriErr> \{\n {3}\| {8}\^{6}$/m,
  );
  assert.match(c.out(), /warning\[async-trait-box\]/);
  assert.match(c.out(), /alloc-lens: \d+ findings \(\d+ warning/);
});

test('check: JSON findings carry code, severity, message, file, 1-based line and column', async () => {
  const c = capture();
  assert.equal(await main(['check', EXAMPLE, '--format', 'json', '--fail-on', 'error'], c.io), 0);
  const j = JSON.parse(c.out()) as {
    version: number;
    findings: {
      code: string;
      severity: string;
      message: string;
      file: string;
      line: number;
      column: number;
      fixes: unknown[];
    }[];
  };
  assert.equal(j.version, 1);
  const le = j.findings.find(f => f.code === 'large-error' && f.file === 'src/proto.rs');
  assert.ok(le);
  assert.deepEqual([le.line, le.column, le.severity], [65, 8, 'warning']);
  assert.ok(le.fixes.length > 0);
  for (const f of j.findings)
    for (const k of ['code', 'severity', 'message', 'file', 'line', 'column']) assert.ok(k in f, k);
});

test('check: SARIF 2.1.0 passes the SARIF multitool validator', async () => {
  assert.ok(
    fs.existsSync(MULTITOOL),
    'the @microsoft/sarif-multitool devDependency is missing (npm ci installs it)',
  );
  const c = capture();
  await main(['check', EXAMPLE, '--format', 'sarif'], c.io);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-sarif-'));
  const input = path.join(dir, 'out.sarif');
  const log = path.join(dir, 'validation.sarif');
  fs.writeFileSync(input, c.out());
  const sarif = JSON.parse(c.out());
  assert.equal(sarif.version, '2.1.0');
  assert.ok(sarif.runs[0].results.length >= 5);
  // Errors and warnings are spec violations; notes are style advice (message wording, optional fields).
  const r = spawnSync(MULTITOOL, ['validate', input, '--output', log, '--level', 'Error;Warning'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const v = JSON.parse(fs.readFileSync(log, 'utf8').replace(/^\uFEFF/, ''));
  const problems = (v.runs[0].results ?? []).map(
    (x: { ruleId: string; message: unknown }) => `${x.ruleId} ${JSON.stringify(x.message)}`,
  );
  assert.deepEqual(problems, []);
  // The validator really validates: a broken log is reported.
  fs.writeFileSync(
    input,
    JSON.stringify({
      version: '2.1.0',
      runs: [{ tool: { driver: {} }, results: [{ message: {} }] }],
    }),
  );
  const badLog = path.join(dir, 'validation-bad.sarif');
  spawnSync(MULTITOOL, ['validate', input, '--output', badLog], { encoding: 'utf8' });
  assert.ok(
    JSON.parse(fs.readFileSync(badLog, 'utf8').replace(/^\uFEFF/, '')).runs[0].results.length > 0,
  );
  fs.rmSync(dir, { recursive: true, force: true });
});

test('check: clippy.toml thresholds apply; --config overrides; bad input exits 2', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-check-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'Cargo.toml'), '[package]\nname = "t"\nversion = "0.1.0"\n');
  fs.writeFileSync(
    path.join(dir, 'src', 'lib.rs'),
    'pub fn a() -> Result<(), [u8; 511]> { Ok(()) }\npub fn b() -> Result<(), [u8; 512]> { Ok(()) }\n',
  );
  let c = capture();
  assert.equal(await main(['check', dir, '--format', 'json'], c.io), 1);
  assert.deepEqual(
    JSON.parse(c.out()).findings.map((f: { line: number }) => f.line),
    [1, 2],
  );
  fs.writeFileSync(path.join(dir, 'clippy.toml'), 'large-error-threshold = 512\n');
  c = capture();
  await main(['check', dir, '--format', 'json'], c.io);
  assert.deepEqual(
    JSON.parse(c.out()).findings.map((f: { line: number }) => f.line),
    [2],
  );
  fs.writeFileSync(path.join(dir, 'other.toml'), 'large-error-threshold = 1024\n');
  c = capture();
  assert.equal(await main(['check', dir, '--config', path.join(dir, 'other.toml')], c.io), 0);
  assert.match(c.out(), /no findings/);
  fs.writeFileSync(path.join(dir, 'bad.toml'), 'large-error-threshold = "big"\n');
  for (const argv of [
    ['check'],
    ['check', dir, '--format', 'xml'],
    ['check', dir, '--fail-on', 'sometimes'],
    ['check', dir, '--config', '/nope.toml'],
    ['check', dir, '--config', path.join(dir, 'bad.toml')],
    ['check', '/no/such'],
  ]) {
    c = capture();
    assert.equal(await main(argv, c.io), 2, argv.join(' '));
    assert.match(c.err(), /^alloc-lens: /);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});
