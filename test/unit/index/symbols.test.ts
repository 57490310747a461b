import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIndexFromSources } from '../../../src/core/index/workspace';
import { candidatePaths, createSymbolLocator } from '../../../src/core/index/symbols';

const SRC = `
pub trait Splitter { fn split(&self) -> u8 { 0 } fn other(&self) {} }
pub struct Fast;
impl Splitter for Fast { fn split(&self) -> u8 { let f = || 1; f() } }
pub struct Wrapper<T>(T);
impl<T> Wrapper<T> { pub fn new(t: T) -> Self { Wrapper(t) } }
fn main() { let c = || { fn nested() {} }; }
`;

test('candidate paths from demangled symbols', () => {
  assert.deepEqual(candidatePaths('<a::Fast as a::Splitter>::split::{{closure}}').slice(0, 2), [
    'a::Fast::split',
    'a::Splitter::split',
  ]);
  assert.equal(candidatePaths('a::main::{{closure}}')[0], 'a::main');
  assert.equal(candidatePaths('<a::Wrapper<u8>>::new')[0], 'a::Wrapper::new');
  assert.equal(candidatePaths('a::Wrapper<T>::new::h0123456789abcdef')[0], 'a::Wrapper::new');
  assert.equal(candidatePaths('a::main::nested')[0], 'a::main::nested');
  assert.ok(candidatePaths('a::main::nested').includes('a::main'));
});

test('locates symbols at their definitions', () => {
  const idx = buildIndexFromSources([{ path: '/v/src/main.rs', text: SRC }], { crateName: 'a' });
  const loc = createSymbolLocator(idx.items);
  assert.deepEqual(loc('<a::Fast as a::Splitter>::split::{{closure}}'), {
    file: '/v/src/main.rs',
    line: 4,
    path: 'a::Fast::split',
  });
  assert.equal(loc('<a::Fast as a::Splitter>::other')?.path, 'a::Splitter::other');
  assert.equal(loc('<a::Wrapper<alloc::string::String>>::new')?.line, 6);
  assert.equal(loc('a::main::nested')?.path, 'a::main');
  assert.equal(loc('std::rt::lang_start::{{closure}}'), undefined);
  assert.equal(loc('core::ptr::drop_in_place<a::Fast>'), undefined);
});
