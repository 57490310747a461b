/**
 * Fuzzing the profile import and the demangler (fixed seeds, a CI-sized budget; the release check
 * with >= 100,000 inputs is `npm run measure:fuzz-profile`), and the bad-input limits one by one:
 * the old hangs (whitespace after a blank line, digit runs, long lines, gzip bombs), FIFOs and
 * devices, folded counts, perf's multi-line warnings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { fuzzProfiles } from '../helpers/profile-fuzz';
import { capture } from '../helpers/capture';
import { main } from '../../../src/cli/main';
import { parseHeader } from '../../../src/profile/perf-script';
import {
  sniffText,
  streamLines,
  ProfileInputError,
  CancelledError,
} from '../../../src/profile/source';
import { importProfile, perfWarnings } from '../../../src/profile/import';
import { demangle } from '../../../src/profile/demangle';

/** CPU milliseconds of `f` (the test machines are shared; a hang burns CPU either way). */
function cpuMs(f: () => void): number {
  const t = process.cpuUsage();
  f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
}

test(
  'fuzz: 600 mutated real inputs through the CLI and 3,000 symbols through the demangler: no exception, exit 0 or 2 with a message, none over 1 s',
  { timeout: 300_000 },
  async () => {
    const r = await fuzzProfiles({ seed: 13, inputs: 600, symbols: 3000 });
    assert.deepEqual(r.crashes, []);
    assert.deepEqual(r.hangs, []);
    assert.equal(r.inputs, 603); // + 3 gzip bombs
    // both outcomes are exercised: the mutations keep many inputs importable
    assert.ok(r.exit0 > 100 && r.exit2 > 50, JSON.stringify(r));
    for (const k of [
      'flip',
      'truncate',
      'huge-line',
      'nul',
      'utf8',
      'crlf',
      'deep-stack',
      'gzip',
      'blank-ws',
    ])
      assert.ok((r.byMutation[k] ?? 0) > 10, k);
  },
);

test('the old hangs are linear now: header scan, sniffing, demangler', () => {
  // 2,000 spaces after a blank line took 35 s in the header regex
  const ws = ' '.repeat(200_000);
  assert.ok(cpuMs(() => assert.equal(parseHeader(`${ws.slice(0, 8000)}x`), undefined)) < 200);
  // 64 KB of digits took 27 s in sniffText
  assert.ok(cpuMs(() => sniffText('1'.repeat(1 << 20))) < 500);
  assert.ok(cpuMs(() => sniffText(`${'1.'.repeat(1 << 19)}`)) < 500);
  for (const s of [
    `${'$'.repeat(500_000)}::h0123456789abcdef`,
    `a::b::h0123456789abcdef${' [clone .x]'.repeat(50_000)}`,
    `a::${'..'.repeat(30_000)}$LT$::h0123456789abcdef`,
  ]) {
    assert.ok(cpuMs(() => demangle(s)) < 500, s.slice(0, 40));
  }
  // escapes never decode through Object.prototype
  assert.equal(demangle('_ZN15a$constructor$b1cE'), 'a$constructor$b::c');
  assert.equal(demangle('Foo$__proto__$::bar::h0123456789abcdef'), 'Foo$__proto__$::bar');
});

test('streamLines: a 32 MB line is not rescanned per chunk, and a line over the cap is a clear error', async () => {
  const big = Buffer.alloc(32 << 20, 0x61);
  let got = 0;
  const ms = cpuMs(() => undefined);
  const t = process.cpuUsage();
  await streamLines(
    Readable.from(chunks(Buffer.concat([big, Buffer.from('\nb\n')]), 64 << 10)),
    l => (got += l.length),
    { maxLine: 64 << 20 },
  );
  const u = process.cpuUsage(t);
  assert.equal(got, (32 << 20) + 1);
  assert.ok(ms >= 0 && (u.user + u.system) / 1000 < 3000, `${(u.user + u.system) / 1000} ms`);
  await assert.rejects(
    streamLines(Readable.from(chunks(big, 64 << 10)), () => undefined, {
      maxLine: 1 << 20,
      what: 'x.txt',
    }),
    (e: Error) => e instanceof ProfileInputError && /line 1 is longer than 1 MB/.test(e.message),
  );
});

function* chunks(b: Buffer, n: number): Generator<Buffer> {
  for (let i = 0; i < b.length; i += n) yield b.subarray(i, i + n);
}

test('a FIFO or a device is "not a regular file"; folded counts are validated; exit 2 with a message', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-lens-bad-'));
  try {
    const fifo = path.join(dir, 'pipe');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo (coreutils) is needed');
    for (const f of [fifo, '/dev/zero']) {
      const c = capture();
      assert.equal(await main(['profile', f, '--root', dir], c.io), 2);
      assert.match(c.err(), /not a regular file/);
    }
    const folded = path.join(dir, 'x.folded');
    fs.writeFileSync(folded, `main;a 5\nmain;b ${'9'.repeat(400)}\n`);
    const c = capture();
    assert.equal(await main(['profile', folded, '--root', dir], c.io), 2);
    assert.match(c.err(), /folded count 9{20}.* is larger than 2\^53/);
    fs.writeFileSync(folded, `main;a 5\nmain;c 7\nmain;b 1e400\n`);
    const c2 = capture();
    assert.equal(await main(['profile', folded, '--root', dir, '--json'], c2.io), 0, c2.err());
    const j = JSON.parse(c2.out());
    assert.equal(j.samples.total, 12);
    assert.ok(
      j.warnings.some((w: string) => /line 3: not a folded stack/.test(w)),
      j.warnings.join('\n'),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("perf's multi-line warnings keep their text", () => {
  const stderr =
    'Warning:\nProcessed 1234 events and lost 5 chunks!\n\nCheck IO/CPU overload!\n\nwarning: one-liner here\n';
  assert.deepEqual(perfWarnings(stderr), [
    'Warning: Processed 1234 events and lost 5 chunks!',
    'warning: one-liner here',
  ]);
});

test('a long import yields to the event loop: Cancel in the middle of a 24 MB text stops it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-lens-cancel-'));
  try {
    const REPO = path.join(__dirname, '..', '..', '..', '..');
    const one = zlib.gunzipSync(
      fs.readFileSync(
        path.join(REPO, 'examples', 'ddsplit', 'profile', 'ddsplit.perf-script.txt.gz'),
      ),
    );
    const file = path.join(dir, 'big.txt');
    fs.writeFileSync(
      file,
      Buffer.concat(Array.from({ length: Math.ceil((24 << 20) / one.length) }, () => one)),
    );
    const ac = new AbortController();
    let seen = 0;
    // a timer, not the progress callback, aborts: it only fires if the import yields
    const timer = setInterval(() => seen > 0 && ac.abort(), 1);
    await assert.rejects(
      importProfile(file, { signal: ac.signal, onProgress: p => (seen = p.bytesRead) }),
      (e: Error) => e instanceof CancelledError,
    );
    clearInterval(timer);
    assert.ok(seen > 0 && seen < fs.statSync(file).size, `aborted after ${seen} bytes`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
