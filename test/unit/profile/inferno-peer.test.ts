/**
 * Peer test: inferno's collapse-perf suite (inputs and expected folded output, copied into
 * test/fixtures/inferno-collapse-perf, see its NOTICE.md). Our folded export must reproduce every
 * result whose input is present.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PerfScriptParser } from '../../../src/profile/perf-script';
import { FoldedCollapser, type FoldOptions } from '../../../src/profile/folded';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const SUITE = path.join(REPO, 'test', 'fixtures', 'inferno-collapse-perf');

const VARIANTS: Record<string, FoldOptions> = {
  '': {},
  '-pid': { includePid: true },
  '-tid': { includeTid: true },
  '-kernel': { annotateKernel: true },
  '-jit': { annotateJit: true },
  '-addrs': { includeAddrs: true },
  '-all': { includeTid: true, annotateKernel: true, annotateJit: true, includeAddrs: true },
};

export function collapse(text: string, opt: FoldOptions): string[] {
  const c = new FoldedCollapser(opt);
  const p = new PerfScriptParser(s => c.add(s));
  for (const l of text.split('\n')) p.line(l.endsWith('\r') ? l.slice(0, -1) : l);
  p.end();
  return c.lines();
}

test('inferno collapse-perf peer suite: every result with an input matches', () => {
  const results = fs.readdirSync(path.join(SUITE, 'results'));
  let compared = 0;
  for (const r of results) {
    const m = /^(.*)-collapsed(-\w+)?\.txt$/.exec(r);
    assert.ok(m, r);
    const input = path.join(SUITE, `${m[1]}.txt`);
    if (!fs.existsSync(input)) continue;
    const opt = VARIANTS[m[2] ?? ''];
    assert.ok(opt, `unknown variant ${m[2]}`);
    const expected = fs
      .readFileSync(path.join(SUITE, 'results', r), 'utf8')
      .split('\n')
      .filter(l => l.length > 0);
    const actual = collapse(fs.readFileSync(input, 'utf8'), opt);
    assert.deepEqual(actual, expected, r);
    compared++;
  }
  assert.ok(compared >= 8, `only ${compared} peer results had inputs`);
});

test('inferno inputs without expected results (empty line, weird stack line) import without throwing', () => {
  for (const f of ['empty-line.txt', 'weird-stack-line.txt']) {
    const file = path.join(SUITE, f);
    if (!fs.existsSync(file)) continue;
    const warnings: string[] = [];
    const c = new FoldedCollapser({});
    const p = new PerfScriptParser(
      s => c.add(s),
      w => warnings.push(w),
    );
    for (const l of fs.readFileSync(file, 'utf8').split('\n')) p.line(l);
    p.end();
    assert.ok(c.lines().length >= 1, f);
    if (f === 'weird-stack-line.txt')
      assert.ok(
        warnings.some(w => /THIS_IS_A_WEIRD_LINE/.test(w)),
        warnings.join('\n'),
      );
  }
});
