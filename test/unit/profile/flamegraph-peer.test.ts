/**
 * Peer test: FlameGraph's stackcollapse-perf.pl (test/fixtures/flamegraph-collapse-perf, see its
 * NOTICE.md): the FlameGraph flavour of the folded export reproduces the Perl's output byte for
 * byte on its 13 test inputs with all 7 option sets, on inferno's inputs, and through the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FlameGraphCollapser, type FoldOptions } from '../../../src/profile/folded';
import { main } from '../../../src/cli/main';
import { capture } from '../helpers/capture';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const SUITE = path.join(REPO, 'test', 'fixtures', 'flamegraph-collapse-perf');
const INFERNO = path.join(REPO, 'test', 'fixtures', 'inferno-collapse-perf');

// stackcollapse-perf.pl's options (its --all is --kernel --jit only)
const OPTIONS: Record<string, FoldOptions> = {
  '': {},
  '-pid': { includePid: true },
  '-tid': { includeTid: true },
  '-kernel': { annotateKernel: true },
  '-jit': { annotateJit: true },
  '-all': { annotateKernel: true, annotateJit: true },
  '-addrs': { includeAddrs: true },
};

const read = (f: string) =>
  (f.endsWith('.gz') ? gunzipSync(fs.readFileSync(f)) : fs.readFileSync(f)).toString('utf8');
const inputs = () =>
  fs
    .readdirSync(SUITE)
    .filter(f => f.endsWith('.txt.gz'))
    .sort();

function collapse(text: string, opt: FoldOptions): string {
  const c = new FlameGraphCollapser(opt);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const l of lines) c.line(l);
  return c
    .lines()
    .map(l => `${l}\n`)
    .join('');
}

test('FlameGraph suite: 13 inputs x 7 option sets byte-identical to stackcollapse-perf.pl', () => {
  const files = inputs();
  assert.equal(files.length, 13);
  let same = 0;
  for (const f of files) {
    const text = read(path.join(SUITE, f));
    for (const [suffix, opt] of Object.entries(OPTIONS)) {
      const want = read(path.join(SUITE, 'results', `${f.slice(0, -7)}-collapsed${suffix}.txt.gz`));
      assert.equal(collapse(text, opt), want, `${f} ${suffix || 'default'}`);
      same++;
    }
  }
  assert.equal(same, 91);
});

test('inferno inputs: byte-identical to stackcollapse-perf.pl', () => {
  const files = fs.readdirSync(INFERNO).filter(f => f.endsWith('.txt'));
  assert.ok(files.length >= 10);
  for (const f of files) {
    const want = read(path.join(SUITE, 'results', `inferno-${f.slice(0, -4)}-collapsed.txt`));
    assert.equal(collapse(read(path.join(INFERNO, f)), {}), want, f);
  }
});

test('CLI --folded (gzip input, streamed import) equals the Perl on all 13 inputs; first event only is named', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-lens-fg-'));
  try {
    for (const f of inputs()) {
      const out = path.join(dir, 'out.folded');
      const io = capture();
      const code = await main(
        ['profile', path.join(SUITE, f), '--root', dir, '--folded', out],
        io.io,
      );
      assert.equal(code, 0, `${f}: ${io.err()}`);
      assert.equal(
        fs.readFileSync(out, 'utf8'),
        read(path.join(SUITE, 'results', `${f.slice(0, -7)}-collapsed.txt.gz`)),
        f,
      );
      if (f.startsWith('perf-cycles-instructions'))
        assert.match(io.out(), /event instructions only, as stackcollapse-perf\.pl; cycles/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
