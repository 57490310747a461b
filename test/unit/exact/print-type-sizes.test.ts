import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  classifyTypeName,
  parsePrintTypeSizes,
  PrintTypeSizesParser,
} from '../../../src/core/exact/print-type-sizes';
import { isOwnTypeName, splitGenerics } from '../../../src/core/exact/map';

const FIX = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'exact');
const text = fs.readFileSync(path.join(FIX, 'sample.print-type-sizes.txt'), 'utf8');

test('print-type-sizes: enum with a discriminant, variants and recomputed field offsets', () => {
  const p = parsePrintTypeSizes(text);
  assert.deepEqual(p.unparsed, []);
  const e = p.types.find(t => t.name === 'E')!;
  assert.deepEqual([e.size, e.align, e.discriminant, e.endPadding, e.kind], [104, 4, 1, 3, 'adt']);
  assert.deepEqual(
    e.variants!.map(v => [v.name, v.size]),
    [
      ['A', 100],
      ['C', 7],
      ['B', 0],
    ],
  );
  assert.deepEqual(
    e.variants![0].fields.map(f => [f.name, f.offset, f.size]),
    [['0', 1, 100]],
  );
  const c = e.variants![1].fields[0];
  assert.deepEqual([c.name, c.offset, c.size, c.align, c.paddingBefore], ['0', 4, 4, 4, 3]);
  assert.equal(e.padding, 6);
});

test('print-type-sizes: repr(C) struct, generic instantiation and union', () => {
  const p = parsePrintTypeSizes(text);
  const h = p.types.find(t => t.name === 'H')!;
  assert.deepEqual(
    h.fields.map(f => [f.name, f.offset, f.size]),
    [
      ['m', 0, 1],
      ['l', 4, 4],
      ['c', 8, 2],
    ],
  );
  assert.deepEqual(
    [h.size, h.align, h.endPadding, h.padding, h.discriminant],
    [12, 4, 2, 5, undefined],
  );
  const w = p.types.find(t => t.name === 'Wrapper<u16>')!;
  assert.deepEqual(
    w.fields.map(f => [f.name, f.offset, f.size]),
    [
      ['t', 0, 2],
      ['a', 2, 1],
    ],
  );
  assert.equal(w.endPadding, 1);
  const u = p.types.find(t => t.name === 'U')!;
  assert.deepEqual(
    u.variants!.map(v => v.name),
    ['U'],
  );
  assert.deepEqual(
    u.variants![0].fields.map(f => [f.name, f.offset, f.size]),
    [
      ['b', 0, 1],
      ['a', 0, 4],
    ],
  );
  const o = p.types.find(t => t.name === 'std::option::Option<std::boxed::Box<str>>')!;
  assert.deepEqual([o.size, o.kind, o.discriminant], [16, 'std', undefined]);
});

test('print-type-sizes: closures and async state machines are kept apart', () => {
  const p = parsePrintTypeSizes(text);
  assert.deepEqual(
    p.closures.map(c => [c.name, c.size]),
    [['{closure@sample.rs:7:55: 7:62}', 112]],
  );
  assert.deepEqual(p.asyncBodies.map(a => a.name).sort(), [
    '{async block@sample.rs:8:39: 8:44}',
    '{async fn body of g()}',
  ]);
  assert.ok(!p.types.some(t => t.name.startsWith('{')));
  const g = p.asyncBodies.find(a => a.name === '{async fn body of g()}')!;
  const s0 = g.variants!.find(v => v.name === 'Suspend0')!;
  assert.deepEqual(
    s0.fields.map(f => [f.kind, f.name, f.offset, f.size, f.typeName]),
    [
      ['upvar', 'v', 0, 24, undefined],
      ['local', 'v', 24, 24, undefined],
      ['local', '__awaitee', 48, 16, '{async block@sample.rs:8:39: 8:44}'],
    ],
  );
});

test('print-type-sizes: streaming in arbitrary chunks gives the same result as one parse', () => {
  const whole = parsePrintTypeSizes(text);
  const p = new PrintTypeSizesParser();
  for (let i = 0; i < text.length; i += 37) p.push(text.slice(i, i + 37));
  assert.deepEqual(p.finish(), whole);
  assert.ok(whole.types.length > 40);
});

test('print-type-sizes: noise lines are ignored, malformed member lines are reported', () => {
  const p = parsePrintTypeSizes(
    '   Compiling x v0.1.0\nprint-type-size type: `A`: 8 bytes, alignment: 8 bytes\nprint-type-size     field `.x`: 8 bytes\nprint-type-size     field what\nwarning: unused\n',
  );
  assert.deepEqual(
    p.types.map(t => [t.name, t.fields.length]),
    [['A', 1]],
  );
  assert.deepEqual(p.unparsed, ['print-type-size     field what']);
});

test('names: classification, generic splitting and own-type detection', () => {
  assert.equal(
    classifyTypeName('<std::vec::IntoIter<T, A> as std::ops::Drop>::drop::DropGuard<u8>'),
    'std',
  );
  assert.equal(classifyTypeName('{async fn body of f()}'), 'async');
  assert.equal(classifyTypeName('proto::Query'), 'adt');
  assert.deepEqual(splitGenerics('proto::Envelope<std::vec::Vec<u8>>'), {
    base: 'proto::Envelope',
    args: 'std::vec::Vec<u8>',
  });
  assert.deepEqual(splitGenerics('a::B'), { base: 'a::B' });
  const local = new Set(['proto', 'Root']);
  assert.equal(isOwnTypeName('proto::Query', 'dd', ['tokio'], local), true);
  assert.equal(isOwnTypeName('Root', 'dd', ['tokio'], local), true);
  assert.equal(isOwnTypeName('tokio::sync::Notify', 'dd', ['tokio'], local), false);
  assert.equal(isOwnTypeName('mio::Poll', 'dd', ['tokio'], local), false);
  assert.equal(isOwnTypeName('std::vec::Vec<proto::Query>', 'dd', [], local), false);
});
