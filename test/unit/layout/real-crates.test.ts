/**
 * Layouts on real registry crates against rustc (issue #11). `npm run measure:layouts` measures
 * every concrete type of 18 crates and commits rustc's answers under test/fixtures/layout-truth/;
 * this test checks a sample quickly: the committed truth of a few crates against the engine, and
 * a live rustc build of a small crate against its committed truth (so the truth cannot go stale).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  compareTruth,
  CRATES,
  crateDir,
  indexCrate,
  measureTruth,
  readTruth,
  typeKey,
} from '../../measure/real-layouts';
import { requireRustc } from './rustc-oracle';

/** Crates checked here, with the share of exact answers they reached when measured (a floor). */
const SAMPLE: Record<string, number> = { log: 1.0, http: 0.6, bytes: 0.7 };

function spec(name: string) {
  const s = CRATES.find(c => c.name === name);
  assert.ok(s, `${name} is not in CRATES`);
  assert.ok(
    fs.existsSync(crateDir(s)),
    `${crateDir(s)} is missing: run scripts/ci-deps.sh (it installs librust-${name}-dev)`,
  );
  return s;
}

for (const [name, floor] of Object.entries(SAMPLE)) {
  test(`${name}: no exact answer that rustc disagrees with, and no lower bound above the truth`, async () => {
    const s = spec(name);
    const truth = readTruth(s);
    assert.ok(
      truth && truth.types.length > 0,
      `no committed ground truth for ${name}: run npm run measure:layouts -- --truth ${name}`,
    );
    const score = compareTruth(s, truth, await indexCrate(s));
    const wrong = score.entries.filter(
      e => e.verdict === 'wrong-exact' || e.verdict === 'lower-bound-above-truth',
    );
    assert.deepEqual(
      wrong.map(
        e =>
          `${e.file}:${e.line} ${e.name}: rustc ${e.size}/${e.align}, engine ${e.engine?.size}/${e.engine?.align} ${e.engine?.status}`,
      ),
      [],
    );
    const share = score.counts.exact / score.total;
    assert.ok(
      share >= floor,
      `${name}: ${score.counts.exact}/${score.total} exact (${(share * 100).toFixed(1)} %), below the floor ${floor * 100} %`,
    );
  });
}

test('live rustc agrees with the committed ground truth (log, and a sample of bytes)', async () => {
  requireRustc();
  const targetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-real-crates-'));
  try {
    for (const [name, n] of [
      ['log', Infinity],
      ['bytes', 6],
    ] as const) {
      const s = spec(name);
      const committed = readTruth(s)!;
      const sample = committed.types.slice(0, n);
      const live = await measureTruth(s, { targetDir, only: new Set(sample.map(typeKey)) });
      const show = (ts: typeof sample) => ts.map(t => `${typeKey(t)} ${t.size}/${t.align}`).sort();
      assert.deepEqual(
        show(live.types),
        show(sample),
        `${name}: rustc's layouts changed; rerun npm run measure:layouts -- --truth ${name}`,
      );
    }
  } finally {
    fs.rmSync(targetDir, { recursive: true, force: true });
  }
});
