import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exactJson, exactLayoutReport, renderExactText } from '../../../src/core/exact';

const FIX = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'exact');

test('exactLayoutReport on a single file: JSON lists own types with rustc offsets and no drift', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-exact-report-'));
  const file = path.join(dir, 'sample.rs');
  fs.copyFileSync(path.join(FIX, 'sample.rs'), file);
  const r = await exactLayoutReport({ file, noCache: true });
  const j = JSON.parse(JSON.stringify(exactJson(r))) as {
    crate: string;
    mapped: { own: number; mapped: number; ratio: number };
    types: {
      name: string;
      file: string;
      line: number;
      size: number;
      fields: { name: string; offset: number }[];
    }[];
    closures: { name: string; location: { file: string; line: number } | null }[];
    drift: { compared: number; disagreements: unknown[] };
  };
  assert.equal(j.crate, 'sample');
  assert.deepEqual(j.types.map(t => `${t.name}@${t.file}:${t.line}=${t.size}`).sort(), [
    'E@sample.rs:4=104',
    'H@sample.rs:5=12',
    'U@sample.rs:6=4',
    'Wrapper<u16>@sample.rs:2=4',
  ]);
  assert.deepEqual(j.types.find(t => t.name === 'H')!.fields, [
    { name: 'm', offset: 0, size: 1 },
    { name: 'l', offset: 4, size: 4 },
    { name: 'c', offset: 8, size: 2 },
  ]);
  assert.deepEqual(j.closures.find(c => c.name.startsWith('{closure@'))!.location, {
    file: 'sample.rs',
    line: 7,
    column: 55,
  });
  assert.deepEqual([j.mapped.ratio, j.drift.compared, j.drift.disagreements], [1, 4, []]);
  assert.deepEqual(r.coverage, {
    concrete: 3,
    reported: 3,
    missing: [],
    skipped: { generic: 1, 'type alias': 1 },
  });
  assert.match(
    renderExactText(r),
    /^exact: rustc \d+\.\d+\.\d+.*\nexact: rustc laid out 3 of 3 concrete types \(100\.0%\); not concrete: 1 generic, 1 type alias\nexact: 4 own types printed by rustc, 4 mapped to definitions \(100\.0%\)\nexact: 4 compared, 4 agree, 0 disagree\n$/,
  );
});
