/**
 * The committed ddsplit recording, end to end: import, attribution to workspace lines, report,
 * confirmation of the static findings, speedscope export validated against speedscope's schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import Ajv from 'ajv';
import { analyzeProfile } from '../../../src/profile/analyze';
import { importProfile } from '../../../src/profile/import';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const EXAMPLE = path.join(REPO, 'examples', 'ddsplit');
const RECORDING = path.join(EXAMPLE, 'profile', 'ddsplit.perf-script.txt.gz');

test('ddsplit: the Result-moving lines rank first, with their memcpy share', async () => {
  const p = await analyzeProfile(RECORDING, { root: EXAMPLE, top: 10, check: true });
  const r = p.report;
  assert.equal(r.samples.total, 4551);
  assert.equal(r.event, 'cpu-clock:ppp');
  assert.equal(r.format, 'perf-script+gzip');
  assert.equal(r.allocator.fromSymbols, 'glibc');
  // memcpy is ~63% of all samples in this recording (README of the example)
  assert.ok(r.shares.copy > 0.6 && r.shares.copy < 0.66, String(r.shares.copy));
  const top = r.hotLines.slice(0, 4).map(l => `${l.file}:${l.line}`);
  assert.deepEqual(top, ['src/main.rs:19', 'src/split.rs:22', 'src/split.rs:34', 'src/main.rs:18']);
  const first = r.hotLines[0];
  assert.equal(first.samples.copy, 1638);
  assert.ok(Math.abs(first.share.copy - 1638 / r.samples.copy) < 1e-9);
  assert.equal(first.precision, 'line');
  assert.match(first.function, /^ddsplit::run_batch::\{\{closure\}\}$/);
  assert.ok(
    first.stacks.length > 0 && /memcpy/.test(first.stacks[0].frames[0]),
    JSON.stringify(first.stacks[0]),
  );
  assert.ok(r.samples.attributed / r.samples.total > 0.95);
  // profile-confirmed findings: the large Result and the async-trait boxing are confirmed, the
  // unsampled `match r` move is not
  const c = p.confirmations!;
  const byKey = (code: string, file: string, line: number) =>
    c.find(
      x =>
        x.finding.code === code &&
        path.relative(EXAMPLE, x.finding.range.file) === file &&
        x.finding.range.line === line,
    );
  const splitErr = byKey('large-error', 'src/split.rs', 8)!;
  assert.ok(splitErr.confirmed && splitErr.severity === 'error', splitErr.note);
  assert.match(
    splitErr.note,
    /^confirmed by profile: \d+\.\d% of memcpy samples \(1,638 at src\/main\.rs:19/,
  );
  assert.ok(byKey('async-trait-box', 'src/split.rs', 7)!.confirmed);
  assert.ok(byKey('large-move', 'src/main.rs', 18)!.confirmed);
  assert.equal(byKey('large-move', 'src/main.rs', 20)!.confirmed, false);
  assert.ok(c.findIndex(x => !x.confirmed) > c.filter(x => x.confirmed).length - 1);
});

test("ddsplit: speedscope export has the three views and passes speedscope's JSON schema", async () => {
  const p = await analyzeProfile(RECORDING, { root: EXAMPLE });
  const ss = p.speedscope(true);
  const schema = JSON.parse(
    fs.readFileSync(
      path.join(REPO, 'node_modules', 'speedscope', 'dist', 'release', 'file-format-schema.json'),
      'utf8',
    ),
  );
  const ajv = new Ajv({ allErrors: true, strict: false });
  const ok = ajv.validate(schema, ss);
  assert.ok(ok, JSON.stringify(ajv.errors?.slice(0, 3)));
  assert.equal(ss.profiles.length, 3);
  const [all, alloc, copy] = ss.profiles;
  assert.equal(all.endValue, 4551);
  assert.equal(copy.endValue, p.report.samples.copy);
  assert.equal(alloc.endValue, p.report.samples.alloc + p.report.samples.free);
  const userFrame = ss.shared.frames.find(f => f.name === 'ddsplit::run_batch::{{closure}}');
  assert.ok(
    userFrame &&
      userFrame.file === path.join(EXAMPLE, 'src', 'main.rs') &&
      typeof userFrame.line === 'number',
    JSON.stringify(userFrame),
  );
});

test('folded input: the same profile folded imports with function-level attribution', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'al-folded-'));
  const full = await analyzeProfile(RECORDING, { root: EXAMPLE, fold: true });
  const folded = path.join(tmp, 'ddsplit.folded');
  fs.writeFileSync(folded, full.folded!.lines().join('\n') + '\n');
  const p = await analyzeProfile(folded, { root: EXAMPLE });
  assert.equal(p.report.format, 'folded');
  // folded counts are sums of periods; this recording has no period field, so 1 per sample
  assert.equal(p.report.samples.total, 4551);
  assert.equal(p.report.samples.copy, full.report.samples.copy);
  const top = p.report.hotLines[0];
  assert.equal(top.precision, 'function');
  assert.equal(top.file, 'src/main.rs');
  assert.match(top.function, /run_batch/);
  fs.rmSync(tmp, { recursive: true });
});

test('bad input: truncated gzip keeps what was read; garbage, empty, missing and directories fail clearly', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'al-bad-'));
  const gz = fs.readFileSync(RECORDING);
  const cut = path.join(tmp, 'cut.txt.gz');
  fs.writeFileSync(cut, gz.subarray(0, Math.floor(gz.length / 2)));
  const warnings: string[] = [];
  const r = await importProfile(cut, { onWarning: w => warnings.push(w) });
  const n = [...r.data.events.values()].reduce((s, e) => s + e.samples, 0);
  assert.ok(n > 1000 && n < 4551, String(n));
  assert.ok(
    warnings.some(w => /gzip data is truncated/.test(w)),
    warnings.join('\n'),
  );
  const garbage = path.join(tmp, 'garbage.bin');
  fs.writeFileSync(garbage, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)));
  await assert.rejects(importProfile(garbage), /binary data/);
  const empty = path.join(tmp, 'empty.txt');
  fs.writeFileSync(empty, '');
  await assert.rejects(importProfile(empty), /is empty/);
  await assert.rejects(importProfile(path.join(tmp, 'nope.txt')), /no such file/);
  await assert.rejects(importProfile(tmp), /is a directory/);
  const prose = path.join(tmp, 'prose.txt');
  fs.writeFileSync(prose, 'hello world\nthis is not a profile\n');
  await assert.rejects(importProfile(prose), /does not look like/);
  const gzPerfData = path.join(tmp, 'perf.data.gz');
  fs.writeFileSync(
    gzPerfData,
    zlib.gzipSync(Buffer.concat([Buffer.from('PERFILE2'), Buffer.alloc(100)])),
  );
  await assert.rejects(importProfile(gzPerfData), /gzip-compressed perf\.data/);
  fs.rmSync(tmp, { recursive: true });
});

test('cancellation stops the import with CancelledError', async () => {
  const ac = new AbortController();
  const pr = importProfile(RECORDING, { signal: ac.signal });
  ac.abort();
  await assert.rejects(pr, /cancelled/);
});
