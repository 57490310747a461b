import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIndexFromSources } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import type { TypeDefItem } from '../../../src/core/model';

function setup(src: string) {
  const index = buildIndexFromSources([{ path: '/v/lib.rs', text: src }], { crateName: 'fx' });
  const engine = new LayoutEngine(index);
  const of = (name: string) => {
    const item = index.typeDefs().find(t => t.name === name) as TypeDefItem;
    assert.ok(item, `no type ${name}`);
    return engine.layoutOfItem(item);
  };
  return { index, engine, of };
}

test('infinite-size recursion is an error, not a hang', () => {
  const { of } = setup(
    'struct Bad { a: u8, next: Option<Bad> }\nstruct A { b: B }\nstruct B { a: A }\nstruct Ok1 { next: Option<Box<Ok1>> }',
  );
  assert.match(of('Bad').error ?? '', /infinite size/);
  assert.equal(of('Bad').status, 'unknown');
  assert.match(of('A').error ?? '', /infinite size/);
  assert.equal(of('Ok1').size, 8);
  assert.equal(of('Ok1').status, 'exact');
});

test('sizes that overflow are reported, not wrapped', () => {
  const { of } = setup(
    'type Huge = [u8; usize::MAX];\nstruct Two { a: [u64; 1 << 59], b: [u64; 1 << 59] }\ntype Big = [[u8; 1 << 40]; 1 << 22];\ntype Fine = [[u8; 1 << 40]; 1 << 20];',
  );
  assert.match(of('Huge').error ?? '', /too big/);
  assert.match(of('Two').error ?? '', /too big/);
  assert.match(of('Big').error ?? '', /too big/);
  assert.equal(of('Fine').size, 2 ** 60);
});

test('unknown parts give a lower bound, counted as 0 like clippy', () => {
  const { of } = setup(
    'struct S<T> { a: u64, t: T, v: Vec<T>, b: Box<T> }\nstruct Ext { m: tokio::sync::Mutex<u8>, x: u32 }\nstruct Arr<const N: usize> { a: [u8; N], b: u16 }\nstruct MaybeFat<T: ?Sized> { p: Box<T> }',
  );
  const s = of('S');
  assert.equal(s.status, 'lower-bound');
  assert.equal(s.size, 8 + 24 + 8);
  assert.deepEqual(s.unknownParts, ['T (generic parameter)']);
  const e = of('Ext');
  assert.equal(e.status, 'lower-bound');
  assert.equal(e.size, 4);
  assert.match(e.unknownParts?.[0] ?? '', /tokio::sync::Mutex<u8> \(external crate\)/);
  assert.equal(of('Arr').status, 'lower-bound');
  const mf = of('MaybeFat');
  assert.equal(mf.status, 'lower-bound');
  assert.equal(mf.size, 8);
});

test('reports fields, variants, tag and the largest contributor', () => {
  const { of } = setup(
    'pub enum DistriErr { Corrupt([u8; 50000]), NotFound, Io(std::io::Error) }\nstruct Packet { id: u32, err: DistriErr, flag: bool }\nstruct S { a: u8, b: u32, c: u16 }',
  );
  const d = of('DistriErr');
  assert.equal(d.size, 50008);
  assert.equal(d.largest, 'DistriErr::Corrupt.0: [u8; 50000]');
  assert.deepEqual(
    d.variants?.map(v => [v.name, v.size, v.fieldsSize]),
    [
      ['Corrupt', 50001, 50000],
      ['NotFound', 1, 0],
      ['Io', 16, 8],
    ],
  );
  assert.deepEqual(d.tag, { offset: 0, size: 1 });
  const p = of('Packet');
  assert.equal(p.largest, 'Packet.err > DistriErr::Corrupt.0: [u8; 50000]');
  const s = of('S');
  assert.deepEqual(
    s.fields?.map(f => [f.name, f.offset, f.size]),
    [
      ['a', 6, 1],
      ['b', 0, 4],
      ['c', 4, 2],
    ],
  );
  assert.equal(s.padding, 1);
  assert.equal(s.niche, undefined);
});

test('memoised results are invalidated after an edit', () => {
  const { index, engine } = setup('pub struct Small { a: u8 }\npub type R = Result<u8, Small>;');
  const r = () =>
    engine.layoutOfItem(index.typeDefs().find(t => t.name === 'R') as TypeDefItem).size;
  assert.equal(r(), 2);
  index.updateFile(
    '/v/lib.rs',
    'pub struct Small { a: [u8; 300] }\npub type R = Result<u8, Small>;',
  );
  engine.invalidate();
  assert.equal(r(), 301);
});

test('exact sizes from rustc replace estimates, also inside types built from them', () => {
  const { index, engine, of } = setup(
    'pub struct Opaque { inner: external::Thing }\npub type R = Result<u8, Opaque>;',
  );
  assert.equal(of('Opaque').status, 'lower-bound');
  engine.setExact(new Map([['fx::Opaque', { size: 4096, align: 8 }]]));
  const o = of('Opaque');
  assert.deepEqual([o.size, o.align, o.status, o.confirmed], [4096, 8, 'exact', true]);
  assert.equal(engine.layoutOfItem(index.typeDefs().find(t => t.name === 'R')!).size, 4104);
});

test('a definition that name resolution does not reach does not share its path memo with the one it does', () => {
  // clap 4.0.32's builder/str.rs: two `mod inner` under opposite cfgs, each with an `Inner`.
  // Laying out the inactive enum first memoised 24 bytes under the shared path, and `Id` (through
  // the active struct) became 24 bytes "exact"; rustc says 16.
  const src = `
#[cfg(feature = "string")]
mod inner {
    pub enum Inner { Static(&'static str), Owned(Box<str>) }
}
#[cfg(not(feature = "string"))]
mod inner {
    pub struct Inner(pub &'static str);
}
use inner::Inner;
pub struct Str { name: Inner }
pub struct Id(Str);
`;
  const { index, engine, of } = setup(src);
  const inactive = index.typeDefs().find(t => t.name === 'Inner' && t.kind === 'enum')!;
  assert.equal(engine.layoutOfItem(inactive).size, 24);
  assert.equal(of('Id').size, 16);
  assert.equal(of('Id').status, 'exact');
  assert.equal(of('Str').size, 16);
  // The same answer in a fresh engine, whatever is laid out first.
  assert.equal(
    new LayoutEngine(index).layoutOfItem(index.typeDefs().find(t => t.name === 'Id')!).size,
    16,
  );
});
