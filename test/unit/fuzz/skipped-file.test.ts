/**
 * A file skipped by the parse budget takes its types with it: a type of another file that holds
 * one of them is never `exact` (issue #14: "its types become unknown", never a wrong size).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIndexFromSources } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import { PARSE_CPU_BUDGET_MS, setParseCpuBudget } from '../../../src/core/parser';

const BIG = 'pub struct S { a: u8, b: Vec<Option<[u64; 4]>>, c: (u8, u16) }\n'.repeat(24_000);

test('a type holding a type of a skipped file is not exact, and the warning names the file and the limit', () => {
  setParseCpuBudget(5);
  try {
    const index = buildIndexFromSources(
      [
        {
          path: '/c/src/lib.rs',
          text: 'mod big;\npub struct User { s: big::S, n: u8 }\npub struct Plain { n: u32 }\n',
        },
        { path: '/c/src/big.rs', text: BIG },
      ],
      { crateName: 'c' },
    );
    const w = index.warnings.find(x => x.file === '/c/src/big.rs');
    assert.ok(w, JSON.stringify(index.warnings));
    assert.match(w.message, /within 5 ms of CPU time/);
    const engine = new LayoutEngine(index);
    const lay = (name: string) => engine.layoutOfItem(index.typeDefs().find(t => t.name === name)!);
    assert.notEqual(lay('User').status, 'exact');
    // The rest of the crate is analysed as before.
    assert.equal(lay('Plain').status, 'exact');
    assert.equal(lay('Plain').size, 4);
  } finally {
    setParseCpuBudget(PARSE_CPU_BUDGET_MS);
  }
});
