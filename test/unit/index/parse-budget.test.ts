/**
 * A file tree-sitter cannot parse within the CPU budget is skipped with a warning naming it; the
 * rest of the crate is still indexed (before: `check` exited 2 with a stack trace).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIndexFromSources } from '../../../src/core/index/workspace';
import {
  PARSE_CPU_BUDGET_MS,
  ParseTimeoutError,
  parseRust,
  setParseCpuBudget,
} from '../../../src/core/parser';

// About 1.5 MB of real-looking items: a few hundred ms of CPU for tree-sitter.
const BIG = 'pub struct S { a: u8, b: Vec<Option<[u64; 4]>>, c: (u8, u16) }\n'.repeat(24_000);

test('a file over the parse CPU budget is skipped with a warning; the others are indexed', () => {
  setParseCpuBudget(5);
  try {
    assert.throws(() => parseRust(BIG), ParseTimeoutError);
    const index = buildIndexFromSources(
      [
        { path: '/c/src/lib.rs', text: 'mod big;\npub struct Small { a: u8 }\n' },
        { path: '/c/src/big.rs', text: BIG },
      ],
      { crateName: 'c' },
    );
    assert.deepEqual(
      index.typeDefs().map(t => t.name),
      ['Small'],
    );
    const w = index.warnings.find(x => x.file.endsWith('big.rs'));
    assert.ok(w, JSON.stringify(index.warnings));
    assert.match(w.message, /skipped: tree-sitter did not finish parsing within 5 ms of CPU time/);
  } finally {
    setParseCpuBudget(PARSE_CPU_BUDGET_MS);
  }
  // With the normal budget the same file parses.
  assert.ok(parseRust(BIG).rootNode.namedChildCount >= 24_000);
});
