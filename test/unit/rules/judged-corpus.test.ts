/**
 * The judged corpus (test/fixtures/judged/corpus.json): findings of the rules on real registry
 * crates, sampled systematically and labelled by a reviewer. The rules must keep >= 90 %
 * precision per rule on it and still report >= 90 % of the true cases (judged-true findings and
 * the true cases listed as `missed`). Crates come from scripts/ci-deps.sh.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..', '..');

interface Judged {
  crate: string;
  code: string;
  file: string;
  line: number;
  label: boolean;
  reason: string;
  hot: boolean;
}

test('judged corpus: precision >= 90% per rule; true cases reported >= 90%; labels judged at the severity reported', async () => {
  const script = await import(path.join(ROOT, 'scripts', 'measure-corpus.mjs'));
  const corpus = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'judged', 'corpus.json'), 'utf8'),
  );
  const findings: Judged[] = corpus.findings;
  // Issue #12 asks for at least 150 judged findings (168 committed; see corpus.json `sample.note`).
  assert.ok(findings.length >= 150, `${findings.length} judged findings`);
  assert.ok(corpus.missed.length >= 20, `${corpus.missed.length} missed true cases`);
  for (const f of findings)
    assert.ok(
      typeof f.label === 'boolean' && f.reason && typeof f.hot === 'boolean',
      JSON.stringify(f),
    );
  // Only the crates that hold judged cases need re-analysing.
  const used = new Set([...findings, ...corpus.missed].map((f: { crate: string }) => f.crate));
  for (const c of used)
    assert.ok(
      fs.existsSync(path.join('/usr/share/cargo/registry', c)),
      `${c} is not installed: run scripts/ci-deps.sh`,
    );
  const lines: string[] = [];
  const rows = await script.measure(
    { ...corpus, crates: corpus.crates.filter((c: { name: string }) => used.has(c.name)) },
    (l: string) => lines.push(l),
  );
  // A crate that fails to analyse (a file skipped by the index) would quietly lose its cases.
  assert.deepEqual(
    rows.failed,
    [],
    'every corpus crate that holds a judged case is analysed in full',
  );
  // A label holds for the finding as judged: a true one raised, or a false one lowered, since must be judged again.
  assert.deepEqual(rows.stale, [], 'judged findings whose severity changed');
  let trueCases = 0;
  let trueReported = 0;
  for (const [code, r] of Object.entries(rows) as [
    string,
    { reported: number; truePos: number; trueCases: number; trueReported: number },
  ][]) {
    // Every rule, large-enum-variant included (3/7 as warnings that all advised boxing; 10/10 since
    // enums held one value at a time are an info that says boxing may not pay, see corpus.json).
    if (r.reported)
      assert.ok(
        r.truePos / r.reported >= 0.9,
        `${code}: precision ${r.truePos}/${r.reported}\n${lines.join('\n')}`,
      );
    trueCases += r.trueCases;
    trueReported += r.trueReported;
  }
  // Issue #12's target: 90 % of the true cases (judged-true findings and the `missed` list) are
  // reported. Measured 144/150 (96.0 %) on 2026-12-02, up from 59/77 (76.6 %).
  assert.ok(
    trueReported / trueCases >= 0.9,
    `true cases reported: ${trueReported}/${trueCases}\n${lines.join('\n')}`,
  );
});
