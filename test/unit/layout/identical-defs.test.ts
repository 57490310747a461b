import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildIndexFromSources } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import type { TypeResolver } from '../../../src/core/resolve-api';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'layout');

/** The index without `identicalTo`: every definition laid out on its own. */
function withoutTwins(index: TypeResolver): TypeResolver {
  return new Proxy(index, {
    get: (t, k) => {
      if (k === 'identicalTo') return undefined;
      const v = (t as unknown as Record<string | symbol, unknown>)[k];
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v));

test('a repeated definition gets the layout (and key) it gets when laid out on its own', () => {
  let twins = 0;
  for (const f of ['cfg.rs', 'enums.rs', 'generics.rs', 'reprs.rs', 'systematic.rs']) {
    const lines = fs.readFileSync(path.join(FIXTURES, f), 'utf8').split('\n');
    // Each fixture three times over, as the fuzzer's many-lines files repeat a seed.
    const text = [...lines, ...lines, ...lines].join('\n');
    const index = buildIndexFromSources([{ path: '/t/src/lib.rs', text }]);
    const shared = new LayoutEngine(index);
    const alone = new LayoutEngine(withoutTwins(index));
    for (const item of index.typeDefs()) {
      if (index.identicalTo(item)) twins++;
      assert.equal(json(shared.itemLay(item)), json(alone.itemLay(item)), `${f}: ${item.path}`);
    }
  }
  assert.ok(twins > 1000, `${twins} repeated definitions`);
});

test('an edit that makes repeated definitions differ ends their shared layout', () => {
  const two = (b: string) => `pub struct X { a: u8 }\npub struct X { a: ${b} }\npub struct Y(X);\n`;
  const index = buildIndexFromSources([{ path: '/t/src/lib.rs', text: two('u8') }]);
  const engine = new LayoutEngine(index);
  const [x1, x2] = index.typeDefs().filter(i => i.name === 'X');
  assert.equal(index.identicalTo(x2), x1);
  assert.equal(engine.layoutOfItem(x2).size, 1);
  assert.equal(engine.layoutOfItem(x2).status, 'exact');
  index.updateFile('/t/src/lib.rs', two('u64'));
  engine.invalidate();
  const [y1, y2] = index.typeDefs().filter(i => i.name === 'X');
  assert.equal(index.identicalTo(y2), undefined);
  assert.equal(index.identicalTo(y1), undefined);
  // Two different definitions: neither is exact, and the second is not the first's 1 byte.
  const l = engine.layoutOfItem(y2);
  assert.notEqual(l.size === 1 && l.status === 'exact', true, JSON.stringify(l));
  const y = index.typeDefs().find(i => i.name === 'Y')!;
  assert.notEqual(engine.layoutOfItem(y).status, 'exact');
});
