/**
 * Repeated imports (`use loom::*;` once per copy of a module in a 50,000-line file) resolve as
 * one import would, and cost about as much: the resolver keeps each (alias, path) once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIndexFromSources } from '../../../src/core/index/workspace';
import type { TypeExpr } from '../../../src/core/model';
import { LOOKUP_BUDGET } from '../../../src/core/index/resolver';

const pathExpr = (p: string): Extract<TypeExpr, { kind: 'path' }> => ({
  kind: 'path',
  text: p,
  global: false,
  segments: p.split('::').map(name => ({ name, args: [] })),
});

const MOD = `
pub mod a { pub struct Only(u8); pub struct Both(u16); }
pub mod b { pub struct Both(u32); pub struct Other(u64); }
pub mod x { pub struct Named(u8); }
pub mod y { pub struct Named(u16); }
`;

function index(uses: string, times: number) {
  return buildIndexFromSources(
    [{ path: '/r/src/lib.rs', text: `${MOD}\npub mod user {\n${uses.repeat(times)}}\n` }],
    { crateName: 'r' },
  );
}

function answers(times: number): string[] {
  // Globs in order (the first that has a name wins), a named import, and two named imports of
  // one name that disagree (a cfg we cannot see picks one: unknown).
  const idx = index(
    'use crate::a::*;\nuse crate::b::*;\nuse crate::a::Only as Renamed;\n' +
      'use crate::x::Named;\nuse crate::y::Named;\n',
    times,
  );
  return ['Only', 'Both', 'Other', 'Renamed', 'Named', 'Missing'].map(n => {
    const r = idx.resolveType('r::user', pathExpr(n));
    return r.kind === 'item' ? r.item.path : r.kind;
  });
}

test('an import repeated 1,000 times resolves as once', () => {
  const once = answers(1);
  assert.deepEqual(once, [
    'r::a::Only',
    'r::a::Both',
    'r::b::Other',
    'r::a::Only',
    'unresolved',
    'unresolved',
  ]);
  assert.deepEqual(answers(2), once);
  assert.deepEqual(answers(1_000), once);
});

test('names looked up through 4,000 repeated globs cost about what 2,000 do (linear)', () => {
  // The shape of tokio's loom/mocked.rs copied to 50,000 lines: every copy adds `use loom::*;` to
  // the crate root, so each lookup of a missing name walked every glob, and each glob's base
  // `loom` was looked up through all the root's globs again: quadratic per name.
  const text = (n: number) =>
    'pub(crate) use loom::*;\n'.repeat(n) +
    Array.from({ length: 200 }, (_, i) => `pub struct S${i}(Missing${i}, loom::T${i});\n`).join('');
  const cpu = (n: number) => {
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const idx = buildIndexFromSources([{ path: '/r/src/lib.rs', text: text(n) }], {
        crateName: 'r',
      });
      const c0 = process.cpuUsage();
      for (let j = 0; j < 200; j++) {
        assert.equal(idx.resolveType('r', pathExpr(`Missing${j}`)).kind, 'unresolved');
        assert.equal(idx.resolveType('r', pathExpr(`loom::T${j}`)).kind, 'external');
      }
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / 1000);
    }
    return best;
  };
  cpu(500); // warm up
  const small = cpu(2_000);
  const big = cpu(4_000);
  // Quadratic: 4 times; linear in the globs: 2; kept once: about 1.
  assert.ok(big / small < 2.5, `4,000 globs: ${big.toFixed(1)} ms, 2,000: ${small.toFixed(1)} ms`);
});

test('15 glob imports of unknown bases resolve within the lookup budget (encoding_rs variant.rs)', () => {
  // Each base (`utf_8`) is not a module here, so it is looked up through the other globs, whose
  // bases are looked up through the others...: every order of the 15 was walked (this shape, a
  // real 17 KB file, ran for over 10 minutes). The budget cuts a path after LOOKUP_BUDGET lookups.
  const globs = Array.from({ length: 15 }, (_, i) => `use enc${i}::*;\n`).join('');
  const text = `${globs}pub struct Local(u8);\npub struct S { a: Local, b: Missing }\n`;
  const c0 = process.cpuUsage();
  const idx = buildIndexFromSources([{ path: '/r/src/lib.rs', text }], { crateName: 'r' });
  const kinds = ['Local', 'Missing', 'enc3::Decoder', 'u8'].map(
    p => idx.resolveType('r', pathExpr(p)).kind,
  );
  const c = process.cpuUsage(c0);
  // `enc3::Decoder` (an external crate's type, unknown either way) is cut by the budget.
  assert.deepEqual(kinds, ['item', 'unresolved', 'unresolved', 'primitive']);
  const ms = (c.user + c.system) / 1000;
  assert.ok(ms < 3_000, `${ms.toFixed(0)} ms of CPU`);
  assert.ok(LOOKUP_BUDGET >= 27 * 10, 'the budget keeps 10 times what real paths need');
});
