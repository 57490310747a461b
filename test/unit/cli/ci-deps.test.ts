/**
 * scripts/ci-deps.sh (run by `npm test` first) must name the exact packages a machine lacks and
 * fail, never let the tests skip. Pointed at an empty registry it must list all three crates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { debianPackage, REGISTRY } from '../helpers/registry';

const SCRIPT = path.join(__dirname, '..', '..', '..', '..', 'scripts', 'ci-deps.sh');

test('ci-deps.sh: an empty crate registry => names the apt packages and fails', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'al-emptyreg-'));
  try {
    const env = { ...process.env, ALLOC_LENS_REGISTRY: empty, ALLOC_LENS_CI_DEPS_NO_INSTALL: '1' };
    const r = spawnSync('bash', [SCRIPT], { env, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const want = 'librust-tokio-dev librust-async-trait-dev librust-bytes-dev';
    assert.match(r.stderr, new RegExp(`apt-get install -y (\\S+ )*${want}( \\S+)*\\n`), r.stderr);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('ci-deps.sh: on this machine (after npm test ran it) everything is present', () => {
  const env = { ...process.env, ALLOC_LENS_REGISTRY: REGISTRY, ALLOC_LENS_CI_DEPS_NO_INSTALL: '1' };
  const r = spawnSync('bash', [SCRIPT], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('debianPackage maps registry directories to their Debian packages', () => {
  assert.equal(debianPackage('async-trait-0.1.56'), 'librust-async-trait-dev');
  assert.equal(debianPackage('tokio-1.24.2'), 'librust-tokio-dev');
});
