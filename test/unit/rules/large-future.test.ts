import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyse } from './helpers';
import { applyEdits, byFile } from '../../../src/core/fixes/edits';
import { defaultSettings } from '../../../src/core/config/settings';

const LIB = `pub async fn leaf() {}
pub async fn big() -> u8 { let b = [0u8; 20000]; leaf().await; b[0] }
pub async fn mid() -> u8 { let b = [0u8; 3000]; leaf().await; b[0] }
pub async fn small() -> u8 { let b = [0u8; 100]; leaf().await; b[0] }
pub async fn caller() -> u8 { big().await + mid().await + small().await }
#[allow(clippy::large_futures)]
pub async fn allowed() -> u8 { big().await }
`;

function compile(
  dir: string,
  text: string,
  driver = 'rustc',
  extra: string[] = [],
): { ok: boolean; out: string } {
  const f = path.join(dir, 'lib.rs');
  fs.writeFileSync(f, text);
  const r = spawnSync(
    driver,
    [
      '--crate-type',
      'lib',
      '--edition',
      '2021',
      '--crate-name',
      'lf',
      '--out-dir',
      dir,
      ...extra,
      f,
    ],
    { encoding: 'utf8', env: { ...process.env, RUSTC_BOOTSTRAP: '1' } },
  );
  if (r.error)
    assert.fail(`${driver} is needed (install the Rust toolchain with clippy): ${r.error.message}`);
  return { ok: r.status === 0, out: r.stderr + r.stdout };
}

test(
  'large-future: fires where clippy::large_futures does, info between tokio boxing level and threshold; Box::pin fix compiles and shrinks the caller',
  { timeout: 120_000 },
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-lf-'));
    const file = path.join(dir, 'lib.rs');
    const { findings } = analyse([{ path: file, text: LIB }]);
    const lf = findings.filter(f => f.code === 'large-future');
    assert.deepEqual(
      lf.map(f => `${f.range.line}:${f.range.column} ${f.severity}`),
      ['5:31 warning', '5:45 info'],
    );
    // clippy agrees on the warning (same line and column, same size class).
    const clippy = compile(dir, LIB, 'clippy-driver', ['-W', 'clippy::large_futures']);
    assert.ok(clippy.ok, clippy.out);
    const warned = [
      ...clippy.out.matchAll(/large future with a size of (\d+) bytes\n\s*--> [^:]+:(\d+):(\d+)/g),
    ].map(m => `${m[2]}:${m[3]}`);
    assert.deepEqual(warned, ['5:31']);
    assert.match(lf[0].message, /20,00\d-byte future/);
    // The fix compiles and rustc then lays the caller out without the 20 KB awaitee.
    const fixed = applyEdits(LIB, byFile(lf[0].fixes[0].edits).get(file)!);
    assert.match(fixed, /Box::pin\(big\(\)\)\.await \+ mid\(\)\.await/);
    const after = compile(dir, fixed, 'rustc', ['-Zprint-type-sizes']);
    assert.ok(after.ok, after.out);
    const caller = /type: `\{async fn body of caller\(\)\}`: (\d+) bytes/.exec(after.out);
    assert.ok(caller && +caller[1] < 4000, `caller after the fix: ${caller?.[1]}`);
    const again = analyse([{ path: file, text: fixed }]).findings.filter(
      f => f.code === 'large-future' && f.severity === 'warning',
    );
    assert.equal(again.length, 0);
    fs.rmSync(dir, { recursive: true, force: true });
  },
);

test('large-future: clippy.toml-style threshold and the lower level are configurable', () => {
  const s = { ...defaultSettings(), futureSizeThreshold: 2000, futureBoxThreshold: 200 };
  const lf = analyse([{ path: '/x/lib.rs', text: LIB }], s).findings.filter(
    f => f.code === 'large-future',
  );
  assert.deepEqual(
    lf.map(f => `${f.range.line} ${f.severity}`),
    ['5 warning', '5 warning'],
  );
});
