import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareWithRustc, requireRustc } from './rustc-oracle';
import { generateTypes } from './random-types';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'layout');

test('rustc is available for the differential tests', () => {
  const v = requireRustc();
  assert.match(v, /^rustc \d+\.\d+/);
});

test('hand-written corpus matches rustc exactly', () => {
  requireRustc();
  const files = fs
    .readdirSync(FIXTURES)
    .filter(f => f.endsWith('.rs'))
    .sort();
  assert.ok(files.length > 0, `no fixtures in ${FIXTURES}`);
  let compared = 0;
  const mismatches: string[] = [];
  const skipped: string[] = [];
  for (const f of files) {
    const r = compareWithRustc(
      fs.readFileSync(path.join(FIXTURES, f), 'utf8'),
      path.join(FIXTURES, f),
    );
    compared += r.compared;
    mismatches.push(...r.mismatches.map(m => `${f}: ${m}`));
    skipped.push(...r.skipped.map(s => `${f}: ${s.name} (${s.why})`));
  }
  console.log(
    `layout corpus: ${compared} types compared with rustc, ${skipped.length} not exact/sized (skipped)`,
  );
  assert.deepEqual(mismatches, []);
  assert.ok(
    compared >= 1000,
    `the corpus must have at least 1,000 exact types; it has ${compared}`,
  );
});

test('random nested types match rustc exactly', () => {
  requireRustc();
  const seed = Number(process.env.ALLOC_LENS_SEED ?? Date.now() % 1_000_000);
  const { source } = generateTypes(seed, 2600);
  const r = compareWithRustc(source);
  console.log(
    `random layouts (seed ${seed}, ALLOC_LENS_SEED=${seed} reproduces): ${r.compared} compared, ${r.skipped.length} skipped`,
  );
  if (r.mismatches.length)
    fs.writeFileSync(
      path.join(require('node:os').tmpdir(), `alloc-lens-random-${seed}.rs`),
      source,
    );
  assert.deepEqual(
    r.mismatches.slice(0, 10),
    [],
    `seed ${seed}: ${r.mismatches.length} mismatches`,
  );
  assert.ok(
    r.compared >= 2000,
    `expected at least 2,000 compared types, got ${r.compared} (skipped: ${JSON.stringify(r.skipped.slice(0, 5))})`,
  );
});
