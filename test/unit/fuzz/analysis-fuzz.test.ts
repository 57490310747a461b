/**
 * Analysis fuzz (CI budget): mutated real sources (tokio, bytes, async-trait, the fixtures) go
 * through index + layout + rules. No exception, at most 1 s of CPU per file, no `exact` for an
 * injected type rustc rejects; a sample of those is compiled with rustc to confirm it rejects
 * them. `npm run measure:fuzz-analysis` runs the same with 10,000+ files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KINDS, runFuzz, rustcAcceptsAny, seedFiles } from '../../fuzz/analysis-fuzz';
import { crateDir } from '../helpers/registry';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const SEED = 20261202;

function compiles(src: string): boolean {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-fuzz-rustc-'));
  try {
    const f = path.join(dir, 'lib.rs');
    fs.writeFileSync(f, `#![allow(dead_code)]\n${src}`);
    return spawnSync('rustc', ['--crate-type', 'lib', '--edition', '2021', '--out-dir', dir, f]).status === 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('analysis fuzz: 100 mutated real files, no crash, <= 1 s CPU each, no false exact', { timeout: 120_000 }, async () => {
  const roots = ['tokio-1.24.2', 'bytes-1.2.1', 'async-trait-0.1.56'].map(c => path.join(crateDir(c), 'src'));
  const seeds = seedFiles([...roots, FIXTURES]);
  assert.ok(seeds.length > 300, `${seeds.length} seed files`);
  const rep = await runFuzz(seeds, SEED, { to: 100 });
  assert.equal(rep.files, 100);
  for (const k of KINDS) assert.ok(rep.byKind[k] >= 1, `mutation ${k} never ran`);
  assert.deepEqual(rep.crashes, []);
  assert.deepEqual(rep.slow, []);
  assert.deepEqual(rep.falseExact, []);
});

test('the injected "rejected" types are rejected by the real rustc (sample of 12)', { timeout: 120_000 }, () => {
  assert.deepEqual(rustcAcceptsAny(SEED, 12, compiles), []);
});
