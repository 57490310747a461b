/**
 * Heap compare on two real DHAT recordings of test/fixtures/heap/strbuild: before, and after its
 * two heap findings are fixed (scripts/record-heap-fixed.sh: `String::with_capacity` for the
 * report, rows written in place instead of a `format!` String per row; line numbers kept).
 * Every per-line delta is checked against an independent reading of the two raw files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { analyzeHeap } from '../../../src/profile/heap/analyze';
import { compareHeapReports, heapDeltaNote } from '../../../src/profile/heap/compare';
import { dhatOracle } from '../helpers/heap-oracle';
import { capture } from '../helpers/capture';

const ROOT = path.resolve(__dirname, '../../../../test/fixtures/heap/strbuild');
const BEFORE = path.join(ROOT, 'dhat.json.gz');
const AFTER = path.join(ROOT, 'dhat-fixed.json.gz');

test('heap compare (real DHAT recordings): per-line bytes/blocks deltas equal an independent reading of both files', async () => {
  const [b, a] = await Promise.all([
    analyzeHeap(BEFORE, { root: ROOT, top: 0 }),
    analyzeHeap(AFTER, { root: ROOT, top: 0 }),
  ]);
  const c = compareHeapReports(b.report, a.report);
  assert.equal(c.schema, 'alloc-lens/heap-compare@1');
  const ob = dhatOracle(BEFORE);
  const oa = dhatOracle(AFTER);
  // Every main.rs line either profile allocates on is in the comparison, with the oracle's numbers.
  const mainLines = new Set([...ob.lines.keys(), ...oa.lines.keys()]);
  assert.deepEqual(
    new Set(c.lines.filter(l => l.file === 'src/main.rs').map(l => l.line)),
    mainLines,
  );
  for (const l of c.lines) {
    const eb = ob.lines.get(l.line) ?? { bytes: 0, blocks: 0, peak: 0, end: 0 };
    const ea = oa.lines.get(l.line) ?? { bytes: 0, blocks: 0, peak: 0, end: 0 };
    assert.deepEqual(
      [l.before.bytes, l.before.blocks, l.before.peakBytes, l.before.endBytes],
      [eb.bytes, eb.blocks, eb.peak, eb.end],
      `before ${l.line}`,
    );
    assert.deepEqual(
      [l.after.bytes, l.after.blocks, l.after.peakBytes, l.after.endBytes],
      [ea.bytes, ea.blocks, ea.peak, ea.end],
      `after ${l.line}`,
    );
    assert.deepEqual(l.delta, { bytes: ea.bytes - eb.bytes, blocks: ea.blocks - eb.blocks });
    assert.equal(l.presence, eb.blocks && ea.blocks ? 'both' : eb.blocks ? 'gone' : 'new');
    assert.ok(Math.abs(l.share.before - eb.bytes / ob.totalBytes) < 1e-12);
    assert.ok(Math.abs(l.share.after - ea.bytes / oa.totalBytes) < 1e-12);
  }
  assert.equal(c.delta.bytes, oa.totalBytes - ob.totalBytes);
  // What the fix did, measured: the per-row `format!` churn (main.rs:6, 240,000 blocks) and the
  // regrowing report (main.rs:13, reallocations) are gone; one reserved buffer per report
  // (main.rs:10, 3 blocks) replaces them. The ranking puts the largest byte change first.
  const [first, second] = c.lines;
  assert.deepEqual([first.line, first.presence, first.after.bytes], [13, 'gone', 0]);
  assert.deepEqual(
    [second.line, second.presence, second.before.blocks, second.after.blocks],
    [6, 'gone', 240_000, 0],
  );
  const reserved = c.lines.find(l => l.line === 10)!;
  assert.deepEqual(
    [reserved.presence, reserved.before.bytes, reserved.after.blocks],
    ['new', 0, 3],
  );
  assert.ok(c.delta.blocks < -239_000, `${c.delta.blocks}`);
  // The leaked cache (main.rs:27) is untouched by the fix.
  const leak = c.lines.find(l => l.line === 27)!;
  assert.deepEqual([leak.delta.bytes, leak.after.endBytes], [0, 400_000]);
  assert.equal(heapDeltaNote(second), '7.20 MB → 0 B (−7.20 MB) · 240,000 → 0 blocks (−240,000)');
  assert.deepEqual(c.warnings, []);
});

test('profile --baseline with heap profiles: text and JSON; a CPU baseline for a heap profile is a usage error', async () => {
  let c = capture();
  assert.equal(
    await main(['profile', AFTER, '--baseline', BEFORE, '--root', ROOT, '--top', '2'], c.io),
    0,
    c.err(),
  );
  assert.match(c.out(), /^baseline: .*dhat\.json\.gz \(dhat\+gzip\): 18\.\d MB in 240,064 blocks/m);
  assert.match(c.out(), /^ {2}blocks {2}240,064 → 19 {2}−240,045/m);
  assert.match(c.out(), /^ {2}1\. src\/main\.rs:13 \[gone\] {2}9\.\d\d MB → 0 B/m);
  assert.match(c.out(), /^ {2}2\. src\/main\.rs:6 \[gone\]/m);
  assert.doesNotMatch(c.out(), /^ {2}3\./m);
  c = capture();
  assert.equal(
    await main(['profile', AFTER, '--baseline', BEFORE, '--root', ROOT, '--json'], c.io),
    0,
    c.err(),
  );
  const j = JSON.parse(c.out());
  assert.equal(j.schema, 'alloc-lens/heap-compare@1');
  assert.equal(j.baseline.totals.blocks, 240_064);
  assert.equal(j.current.totals.blocks, 19);
  assert.equal(j.lines[0].line, 13);
  c = capture();
  const cpu = path.resolve(
    __dirname,
    '../../../../examples/ddsplit/profile/ddsplit.perf-script.txt.gz',
  );
  assert.equal(await main(['profile', AFTER, '--baseline', cpu, '--root', ROOT], c.io), 2);
  assert.match(c.err(), /is a CPU profile and .* a heap profile: compare two of the same kind/);
});
