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
