import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { capture } from '../helpers/capture';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const EXAMPLE = path.join(REPO, 'examples', 'ddsplit');
const RECORDING = path.join(EXAMPLE, 'profile', 'ddsplit.perf-script.txt.gz');

test('profile: text summary and ranked hot lines (root found from the input path)', async () => {
  const c = capture();
  assert.equal(await main(['profile', RECORDING, '--top', '3'], c.io), 0, c.err());
  assert.match(c.out(), /4,551 samples of cpu-clock:ppp/);
  assert.match(c.out(), /allocator: +glibc \(from symbols\)/);
  assert.match(c.out(), /memcpy: +62\.\d% of samples \(2,8\d\d\)/);
  assert.match(c.out(), /^ {2}1\. src\/main\.rs:19 {2}memcpy 57\.\d% · free \d+\.\d%/m);
  assert.doesNotMatch(c.out(), /^ {2}4\./m);
});

test('profile --json: documented schema; --folded and --speedscope write files', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'al-prof-cli-'));
  const c = capture();
  const folded = path.join(tmp, 'out.folded');
  const ss = path.join(tmp, 'out.speedscope.json');
  assert.equal(
    await main(
      [
        'profile',
        RECORDING,
        '--root',
        EXAMPLE,
        '--json',
        '--top',
        '5',
        '--folded',
        folded,
        '--speedscope',
        ss,
        '--check',
      ],
      c.io,
    ),
    0,
    c.err(),
  );
  const j = JSON.parse(c.out());
  assert.equal(j.schema, 'alloc-lens/profile@1');
  assert.equal(j.samples.total, 4551);
  assert.equal(j.hotLines.length, 5);
  for (const l of j.hotLines) {
    assert.equal(typeof l.file, 'string');
    assert.ok(!path.isAbsolute(l.file));
    assert.ok(Number.isInteger(l.line) && l.line >= 1);
    assert.equal(typeof l.function, 'string');
    for (const k of ['total', 'alloc', 'copy', 'free'])
      assert.ok(Number.isInteger(l.samples[k]), k);
    assert.ok(Array.isArray(l.stacks));
  }
  assert.deepEqual([j.hotLines[0].file, j.hotLines[0].line], ['src/main.rs', 19]);
  assert.ok(
    j.findings.some(
      (f: { code: string; confirmed: boolean }) => f.code === 'large-error' && f.confirmed,
    ),
  );
  const lines = fs.readFileSync(folded, 'utf8').trim().split('\n');
  const sum = lines.reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  assert.equal(sum, 4551);
  assert.ok(
    lines.every(l => l.startsWith('ddsplit;')),
    lines[0],
  );
  assert.ok(
    lines.some(l =>
      /;ddsplit::run_batch::\{\{closure\}\};__memcpy_avx512_unaligned_erms \d+$/.test(l),
    ),
  );
  const sp = JSON.parse(fs.readFileSync(ss, 'utf8'));
  assert.equal(sp.$schema, 'https://www.speedscope.app/file-format-schema.json');
  fs.rmSync(tmp, { recursive: true });
});

test('profile: usage and input errors exit 2 with a clear message', async () => {
  let c = capture();
  assert.equal(await main(['profile'], c.io), 2);
  assert.match(c.err(), /usage: alloc-lens profile/);
  c = capture();
  assert.equal(await main(['profile', path.join(EXAMPLE, 'nope.txt')], c.io), 2);
  assert.match(c.err(), /no such file/);
  c = capture();
  assert.equal(await main(['profile', RECORDING, '--top', 'x'], c.io), 2);
  assert.match(c.err(), /--top must be a non-negative integer/);
  c = capture();
  assert.equal(await main(['profile', RECORDING, '--remap', 'nonsense'], c.io), 2);
  assert.match(c.err(), /FROM=TO/);
  c = capture();
  assert.equal(await main(['profile', RECORDING, '--event', 'cycles'], c.io), 2);
  assert.match(c.err(), /no samples of event "cycles"; the profile has: cpu-clock:ppp/);
});
