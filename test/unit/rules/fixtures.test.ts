import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyse, expectations, FIXTURES, got, rustcLib } from './helpers';
import { requireRustc } from '../layout/rustc-oracle';

for (const name of fs
  .readdirSync(FIXTURES)
  .filter(f => f.endsWith('.rs'))
  .sort()) {
  test(`rule fixture ${name}: findings match the //~ markers, and the fixture compiles`, () => {
    requireRustc();
    const file = path.join(FIXTURES, name);
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(rustcLib(text), undefined, `${name} must compile`);
    const code = name.replace(/\.rs$/, '').replace(/_/g, '-');
    const { findings } = analyse([{ path: file, text }]);
    // Each fixture file checks its own rule; other rules may legitimately fire on the same code.
    assert.deepEqual(
      got(findings, code),
      expectations(text).filter(e => e.endsWith(` ${code}`)),
      findings.map(f => `${f.range.line} ${f.code}: ${f.message}`).join('\n'),
    );
  });
}
