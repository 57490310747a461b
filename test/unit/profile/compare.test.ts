import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { analyzeProfile } from '../../../src/profile/analyze';
import { compareReports, lineDeltaNote, pp } from '../../../src/profile/compare';
import type { ProfileReportJson } from '../../../src/profile/report';
import { capture } from '../helpers/capture';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const EXAMPLE = path.join(REPO, 'examples', 'ddsplit');
// Two real recordings of the same program: before, and after Alloc Lens's own preferred fix for
// `large-enum-variant` (box `DistriErr::Corrupt`; scripts/record-ddsplit-fixed.mjs).
const BEFORE = path.join(EXAMPLE, 'profile', 'ddsplit.perf-script.txt.gz');
const AFTER = path.join(EXAMPLE, 'profile', 'ddsplit-fixed.perf-script.txt.gz');

test('compare (real recordings): the boxed variant removes the 50 KB Result copy at main.rs:19', async () => {
  const [b, a] = await Promise.all([
    analyzeProfile(BEFORE, { root: EXAMPLE, top: 0 }),
    analyzeProfile(AFTER, { root: EXAMPLE, top: 0 }),
  ]);
  const c = compareReports(b.report, a.report);
  assert.equal(c.schema, 'alloc-lens/profile-compare@1');
  // Every delta agrees with the two single-profile reports it came from.
  for (const l of c.lines) {
    const hb = b.report.hotLines.find(h => h.file === l.file && h.line === l.line);
    const ha = a.report.hotLines.find(h => h.file === l.file && h.line === l.line);
    assert.deepEqual(
      l.samplesBefore,
      hb ? hb.samples : { total: 0, alloc: 0, copy: 0, free: 0, rehash: 0 },
    );
    assert.deepEqual(
      l.samplesAfter,
      ha ? ha.samples : { total: 0, alloc: 0, copy: 0, free: 0, rehash: 0 },
    );
    assert.equal(l.presence, hb && ha ? 'both' : hb ? 'gone' : 'new');
    assert.ok(
      Math.abs(l.shares.copy.before - l.samplesBefore.copy / b.report.samples.total) < 1e-12,
    );
    assert.ok(Math.abs(l.shares.copy.after - l.samplesAfter.copy / a.report.samples.total) < 1e-12);
  }
  assert.ok(Math.abs(c.shares.copy.before - b.report.shares.copy) < 1e-12);
  assert.ok(Math.abs(c.shares.copy.after - a.report.shares.copy) < 1e-12);
  // What the fix did, measured: the Result copy out of the boxed future is gone...
  const main19 = c.lines.find(l => l.file === 'src/main.rs' && l.line === 19)!;
  assert.ok(main19.samplesBefore.copy > 1500, `${main19.samplesBefore.copy}`);
  assert.equal(main19.samplesAfter.copy, 0);
  assert.equal(c.lines[0], main19, 'the largest change ranks first');
  // ...and the copy moved into `Box::new(*block)` (proto.rs:72), which the fix introduced.
  const proto72 = c.lines.find(l => l.file === 'src/proto.rs' && l.line === 72)!;
  assert.equal(proto72.samplesBefore.copy, 0);
  assert.ok(proto72.shares.copy.after > 0.2, `${proto72.shares.copy.after}`);
  assert.ok(c.shares.copy.delta < -0.15, `overall memcpy share fell: ${pp(c.shares.copy.delta)}`);
  assert.match(lineDeltaNote(main19), /^memcpy 36\.\d% → 0\.0% \(1,6\d\d → 0 samples\)/);
});

test('profile --baseline: text and JSON output, with the current profile named', async () => {
  let c = capture();
  assert.equal(
    await main(['profile', AFTER, '--baseline', BEFORE, '--root', EXAMPLE, '--top', '3'], c.io),
    0,
    c.err(),
  );
  assert.match(c.out(), /^baseline: .*ddsplit\.perf-script\.txt\.gz \(4,551 samples/m);
  assert.match(c.out(), /^ {2}memcpy +62\.7% → +\d+\.\d% +−\d+\.\d pp$/m);
  assert.match(c.out(), /^ {2}1\. src\/main\.rs:19 {2}memcpy 36\.\d% → 0\.0%/m);
  assert.doesNotMatch(c.out(), /^ {2}4\./m);
  c = capture();
  assert.equal(
    await main(['profile', AFTER, '--baseline', BEFORE, '--root', EXAMPLE, '--json'], c.io),
    0,
    c.err(),
  );
  const j = JSON.parse(c.out());
  assert.equal(j.schema, 'alloc-lens/profile-compare@1');
  assert.equal(j.baseline.samples, 4551);
  assert.ok(j.lines.length > 10);
  c = capture();
  assert.equal(
    await main(
      ['profile', AFTER, '--baseline', path.join(EXAMPLE, 'missing.txt'), '--root', EXAMPLE],
      c.io,
    ),
    2,
  );
  assert.match(c.err(), /missing\.txt/);
});

function report(
  input: string,
  total: number,
  lines: [string, number, number][],
): ProfileReportJson {
  return {
    schema: 'alloc-lens/profile@1',
    input,
    format: 'folded',
    event: 'cycles',
    events: [{ name: 'cycles', samples: total }],
    samples: {
      total,
      alloc: 0,
      copy: lines.reduce((s, l) => s + l[2], 0),
      free: 0,
      rehash: 0,
      attributed: total,
      truncatedStacks: 0,
    },
    shares: { alloc: 0, free: 0, copy: 0, allocator: 0, rehash: 0 },
    allocator: { fromSource: [], share: 0 },
    hotLines: lines.map(([file, line, copy]) => ({
      file,
      line,
      precision: 'line',
      function: 'f',
      samples: { total: copy, alloc: 0, copy, free: 0, rehash: 0 },
      share: { alloc: 0, copy: 0, free: 0, total: 0 },
      stacks: [],
    })),
    warnings: [],
  };
}

test("compare: shares are of each profile's own total; gone/new lines; different events warn", () => {
  // 100 of 1,000 samples before, 100 of 10,000 after: same count, a tenth of the share.
  const b = report('old', 1000, [
    ['a.rs', 1, 100],
    ['b.rs', 2, 50],
  ]);
  const a = {
    ...report('new', 10000, [
      ['a.rs', 1, 100],
      ['c.rs', 3, 10],
    ]),
    event: 'cpu-clock',
  };
  const c = compareReports(b, a);
  const a1 = c.lines.find(l => l.file === 'a.rs')!;
  assert.ok(
    Math.abs(a1.shares.copy.before - 0.1) < 1e-12 && Math.abs(a1.shares.copy.after - 0.01) < 1e-12,
  );
  assert.equal(c.lines.find(l => l.file === 'b.rs')!.presence, 'gone');
  assert.equal(c.lines.find(l => l.file === 'c.rs')!.presence, 'new');
  assert.equal(c.lines[0], a1);
  assert.match(c.warnings[0], /different events \(cycles vs cpu-clock\)/);
  assert.equal(pp(-0.355), '−35.5 pp');
  assert.equal(pp(0.0001), '±0 pp');
});
