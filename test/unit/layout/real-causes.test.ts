/**
 * The causes of inexact sizes found on real registry crates (issue #11, `npm run measure:layouts`),
 * each as a small fixture checked against rustc: std types of iterator adapters, map entries and
 * io buffers; type parameters that are Sized whatever their argument; associated consts in array
 * lengths; std modules through globs; `extern crate` in a module; edition 2015 paths;
 * `cfg_attr(path)` on modules; autocfg build scripts; long macro repetitions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildIndexFromSources, loadWorkspace } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import { buildScriptCfgs } from '../../../src/core/cargo/build-script';
import { expandMacro, parseMacroDef, tokenize } from '../../../src/core/index/macro-rules';
import { expandedTypePaths } from '../../measure/real-layouts';
import type { TypeDefItem } from '../../../src/core/model';
import { compareWithRustc, requireRustc } from './rustc-oracle';

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-lens-causes-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** rustc's size and align of each `name` (paths from the crate root) for a source of the given edition. */
function rustcOf(source: string, names: string[], edition: string): Map<string, [number, number]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-lens-causes-rustc-'));
  try {
    const main = `fn main() {\n${names.map(n => `    println!("${n} {} {}", ::std::mem::size_of::<${n}>(), ::std::mem::align_of::<${n}>());`).join('\n')}\n}\n`;
    fs.writeFileSync(
      path.join(dir, 'main.rs'),
      `#![allow(dead_code, non_camel_case_types)]\n${source}\n${main}`,
    );
    const r = spawnSync(
      'rustc',
      [
        '--edition',
        edition,
        '-A',
        'warnings',
        '-o',
        path.join(dir, 'main'),
        path.join(dir, 'main.rs'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = new Map<string, [number, number]>();
    for (const l of execFileSync(path.join(dir, 'main'), { encoding: 'utf8' }).trim().split('\n')) {
      const [n, s, a] = l.split(' ');
      out.set(n, [Number(s), Number(a)]);
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('std iterator adapters, btree/hash map entries, io buffers, lock and channel errors: exact and equal to rustc', () => {
  requireRustc();
  const src = `
use std::collections::{btree_map, hash_map};
use std::iter::{Chain, Cloned, Copied, Cycle, Empty, Enumerate, Filter, FilterMap, Fuse, Map, Once, Repeat, Rev, Skip, StepBy, Take, TakeWhile, Zip};
use std::slice::Iter;
use std::ops::Range;
pub struct A1 { a: Map<Iter<'static, Vec<u8>>, fn(&Vec<u8>) -> usize>, b: u8 }
pub struct A2 { a: Cloned<Iter<'static, usize>>, len: usize }
pub struct A3 { a: FilterMap<std::vec::IntoIter<String>, fn(String) -> Option<(String, u8)>> }
pub struct A4 { a: Filter<Range<u16>, fn(&u16) -> bool>, c: Copied<Iter<'static, u8>> }
pub struct A5 { a: Enumerate<Iter<'static, u8>>, b: Take<Range<u8>>, c: Skip<Rev<Range<u32>>> }
pub struct A6 { a: StepBy<Range<u32>>, b: TakeWhile<Range<u8>, fn(&u8) -> bool> }
pub struct A7 { a: Fuse<Range<u8>>, b: Fuse<Iter<'static, u8>>, c: Option<Fuse<Iter<'static, u8>>> }
pub struct A8 { a: Chain<Iter<'static, u8>, Range<u8>>, b: Zip<std::vec::IntoIter<u8>, Range<u8>>, c: Cycle<Range<u8>> }
pub struct A9 { a: std::option::IntoIter<String>, b: Once<u16>, c: Repeat<u8>, d: Empty<String>, e: Option<std::option::IntoIter<String>> }
pub struct B1 { a: btree_map::VacantEntry<'static, String, u8>, b: btree_map::OccupiedEntry<'static, u8, u8> }
pub struct B2 { a: btree_map::Entry<'static, String, u8>, b: Option<btree_map::Entry<'static, u8, u64>> }
pub struct B3 { a: hash_map::VacantEntry<'static, String, u8>, b: hash_map::OccupiedEntry<'static, u8, u8> }
pub struct B4 { a: hash_map::Entry<'static, u64, String>, b: Option<hash_map::Entry<'static, u8, u8>> }
pub struct C1 { a: std::io::BufReader<std::fs::File>, b: std::io::BufWriter<std::fs::File>, c: std::io::LineWriter<Vec<u8>> }
pub struct C2 { a: std::io::Cursor<Vec<u8>>, b: std::io::Take<std::fs::File>, c: std::io::Chain<std::fs::File, std::io::Empty> }
pub struct C3 { a: std::sync::mpsc::TrySendError<String>, b: std::sync::mpsc::SendError<u8>, c: std::ops::Bound<String>, d: Option<std::ops::Bound<u8>> }
pub struct C4 { a: std::sync::TryLockError<u32>, b: std::sync::PoisonError<u8>, c: std::os::fd::RawFd, d: std::os::unix::io::RawFd }
pub struct C5 { a: std::option::Iter<'static, u8>, b: std::str::Lines<'static>, c: Option<std::str::Lines<'static>> }
`;
  const r = compareWithRustc(src);
  assert.deepEqual(r.skipped, []);
  assert.deepEqual(r.mismatches, []);
  assert.equal(r.compared, 18);
});

test('a type parameter without ?Sized is Sized: NonNull<T> with T = <W as Link>::Target is thin', () => {
  requireRustc();
  const src = `
use std::ptr::NonNull;
use std::marker::PhantomData;
pub trait Link { type Target; }
pub struct W;
impl Link for W { type Target = u64; }
pub struct List<L, T> { head: Option<NonNull<T>>, tail: Option<NonNull<T>>, _m: PhantomData<*const L> }
pub struct Holder { list: List<W, <W as Link>::Target>, n: u8 }
pub struct Boxed<T> { b: Box<T> }
pub struct HoldsBox { a: Boxed<<W as Link>::Target>, b: Option<Boxed<<W as Link>::Target>> }
`;
  const r = compareWithRustc(src);
  assert.deepEqual(r.mismatches, []);
  assert.ok(
    !r.skipped.some(s => s.name === 'Holder' || s.name === 'HoldsBox'),
    JSON.stringify(r.skipped),
  );
  // A parameter declared ?Sized stays unknown: the pointer may be fat.
  const index = buildIndexFromSources(
    [
      {
        path: '/v/lib.rs',
        text: 'pub trait Tr { type A: ?Sized; }\npub struct P<T: ?Sized> { p: *const T }\npub struct Q<X: Tr> { p: P<X::A> }\n',
      },
    ],
    { crateName: 'k' },
  );
  const q = index.typeDefs().find(t => t.name === 'P')!;
  assert.equal(new LayoutEngine(index).layoutOfItem(q).status, 'lower-bound');
});

test('associated consts of inherent impls size arrays; a std module reached through a glob; extern crate in a module', () => {
  requireRustc();
  const src = `
pub struct InlineExt([u8; InlineExt::MAX], u8);
impl InlineExt { pub const MAX: usize = 15; const TWICE: usize = InlineExt::MAX * 2; }
pub struct Twice { b: [u16; InlineExt::TWICE] }
mod stdlib { pub use std::*; }
pub struct Id(crate::stdlib::num::NonZeroU64);
pub struct OptId(Option<Id>, u8);
mod m {
    extern crate core;
    use self::core::num::NonZeroU32;
    pub struct S(pub NonZeroU32);
}
pub struct UsesS(Option<m::S>);
`;
  const r = compareWithRustc(src);
  assert.deepEqual(r.mismatches, []);
  assert.deepEqual(r.skipped, []);
  assert.equal(r.compared, 5);
});

test('edition 2015: ::name and use paths start at the crate root', async () => {
  requireRustc();
  const lib = `pub type c_char = i8;\npub type in_port_t = u16;\npub mod unix { pub struct sockaddr_un { pub sun_family: u16, pub sun_path: [::c_char; 108] } }\npub mod net { use unix::sockaddr_un; pub struct Addr { pub a: sockaddr_un, pub port: ::in_port_t } }\n`;
  const dir = tree({
    'Cargo.toml': '[package]\nname = "old"\nversion = "0.1.0"\n',
    'src/lib.rs': lib,
  });
  try {
    const index = await loadWorkspace(dir, { dependencies: false });
    const engine = new LayoutEngine(index);
    const truth = rustcOf(lib, ['unix::sockaddr_un', 'net::Addr'], '2015');
    for (const [name, p] of [
      ['sockaddr_un', 'unix::sockaddr_un'],
      ['Addr', 'net::Addr'],
    ]) {
      const l = engine.layoutOfItem(index.typeDefs().find(t => t.name === name)!);
      assert.equal(l.status, 'exact', `${name}: ${l.unknownParts}`);
      assert.deepEqual([l.size, l.align], truth.get(p), name);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cfg_attr(feature, path = ..) on a module declaration picks the file of the active feature', async () => {
  const dir = tree({
    'Cargo.toml':
      '[package]\nname = "ca"\nversion = "0.1.0"\nedition = "2021"\n[features]\ndefault = ["big"]\nbig = []\n',
    'src/lib.rs':
      '#[cfg_attr(feature = "big", path = "big_impl.rs")]\n#[cfg_attr(not(feature = "big"), path = "small_impl.rs")]\nmod imp;\npub struct Outer(imp::Buf);\n',
    'src/big_impl.rs': 'pub struct Buf([u8; 100]);\n',
    'src/small_impl.rs': 'pub struct Buf(u8);\n',
  });
  try {
    const on = await loadWorkspace(dir, { dependencies: false });
    const outer = (i: typeof on) =>
      new LayoutEngine(i).layoutOfItem(i.typeDefs().find(t => t.name === 'Outer') as TypeDefItem);
    assert.equal(on.warnings.filter(w => /not found/.test(w.message)).length, 0);
    assert.deepEqual([outer(on).size, outer(on).status], [100, 'exact']);
    const off = await loadWorkspace(dir, { dependencies: false, noDefaultFeatures: true });
    assert.deepEqual([outer(off).size, outer(off).status], [1, 'exact']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("build scripts: autocfg's emit_sysroot_crate and emit_rustc_version; a cfg every match arm emits", () => {
  // indexmap 1.9's build.rs.
  const indexmap =
    'fn main() {\n    match std::env::var_os("CARGO_FEATURE_STD") {\n        Some(_) => autocfg::emit("has_std"),\n        None => autocfg::new().emit_sysroot_crate("std"),\n    }\n    autocfg::rerun_path("build.rs");\n}\n';
  assert.deepEqual(
    buildScriptCfgs(indexmap, 'x86_64-unknown-linux-gnu'),
    new Map([['has_std', 'yes']]),
  );
  assert.deepEqual(
    buildScriptCfgs(indexmap, 'thumbv7em-none-eabihf'),
    new Map([['has_std', 'maybe']]),
  );
  const ac =
    'fn main() { let ac = autocfg::new(); ac.emit_rustc_version(1, 51); ac.emit_rustc_version(1, 200); ac.emit_sysroot_crate("alloc"); }';
  assert.deepEqual(
    buildScriptCfgs(ac, 'x86_64-unknown-linux-gnu'),
    new Map([
      ['rustc_1_51', 'yes'],
      ['has_alloc', 'yes'],
    ]),
  );
  // Emitted in one arm only, or under an undecided condition in an arm: maybe.
  const partial =
    'fn main() { match x { A => { emit("a"); emit("b") } B => { if other() { emit("a") } emit("b") } } }';
  assert.deepEqual(
    buildScriptCfgs(partial, 'x86_64-unknown-linux-gnu'),
    new Map([
      ['a', 'maybe'],
      ['b', 'yes'],
    ]),
  );
});

test('macro_rules: a long repetition of doc-commented entries expands (no stack overflow); a repetition gives back tokens for what follows', () => {
  const def = parseMacroDef(
    'standard_headers',
    tokenize(
      '( $( $(#[$docs:meta])* ($konst:ident, $upcase:ident, $name_bytes:literal); )+ ) => { enum StandardHeader { $( $konst, )+ } }',
    ),
  );
  const entries = Array.from(
    { length: 400 },
    (_, i) => `${'/// doc line\n'.repeat(8)}(H${i}, UP${i}, b"h${i}");`,
  ).join('\n');
  const out = expandMacro(def, tokenize(entries));
  assert.match(out, /enum StandardHeader \{\s*H0,/);
  assert.equal(out.match(/\bH\d+,/g)?.length, 400);
  const back = parseMacroDef(
    'm',
    tokenize(
      '( $($a:ident),* ; $b:ident ) => { struct $b; }  ( $($t:tt)* ) => { struct Fallback; }',
    ),
  );
  assert.match(expandMacro(back, tokenize('x, y, z ; Last')), /struct Last/);
  const opt = parseMacroDef('o', tokenize('( $($p:ident)? $n:ident ) => { struct $n; }'));
  assert.match(expandMacro(opt, tokenize('pub_ Name')), /struct Name/);
  assert.match(expandMacro(opt, tokenize('Name')), /struct Name/);
});

test('measure: the module path of a type in the expanded crate does not depend on syntax tree-sitter cannot parse', () => {
  const expanded =
    "mod parser {\n  mod parser {\n    fn f() { let x = builtin # offset_of(A, b); }\n    pub(crate) enum ParseState { A }\n    struct G<T>(T);\n    struct L<'a>(&'a u8);\n  }\n  pub struct Validator<'a, const N: usize>([u8; N], &'a u8);\n}\nunion U { a: u8 }\nfn union() {}\n";
  assert.deepEqual(expandedTypePaths(expanded, 'clap'), [
    'clap::parser::parser::ParseState',
    'clap::parser::parser::L',
    'clap::U',
  ]);
});

test('<X as Trait>::Assoc resolves through the one matching impl (refs, mutability, generic impls, cfg alternatives); A::Item of a Sized associated type is thin', () => {
  requireRustc();
  const src = `
pub trait IntoIt { type Item; type IntoIter; }
pub struct Map<K, V> { k: Vec<K>, v: Vec<V> }
pub struct Iter<'a> { a: std::slice::Iter<'a, u8>, n: usize }
pub struct IterMut<'a> { a: std::slice::IterMut<'a, u8> }
pub struct IntoIter { a: std::vec::IntoIter<u8>, b: u64 }
impl<'a> IntoIt for &'a Map<String, u8> { type Item = &'a u8; type IntoIter = Iter<'a>; }
impl<'a> IntoIt for &'a mut Map<String, u8> { type Item = &'a mut u8; type IntoIter = IterMut<'a>; }
impl IntoIt for Map<String, u8> { type Item = u8; type IntoIter = IntoIter; }
impl IntoIt for Map<u8, u8> { type Item = u8; type IntoIter = u8; }
pub struct ByValue { it: <Map<String, u8> as IntoIt>::IntoIter, v: Option<u8> }
pub struct ByRef<'de> { it: <&'de Map<String, u8> as IntoIt>::IntoIter }
pub struct ByMut<'de> { it: <&'de mut Map<String, u8> as IntoIt>::IntoIter, f: bool }
pub struct Set<T> { d: Vec<T>, x: u8 }
impl<T> IntoIt for Set<T> {
    type Item = T;
    #[cfg(not(any()))]
    type IntoIter = std::iter::Chain<std::vec::IntoIter<T>, std::option::IntoIter<T>>;
    #[cfg(any())]
    type IntoIter = std::vec::IntoIter<T>;
}
pub struct Generic(<Set<String> as IntoIt>::IntoIter);
pub trait Array { type Item; }
impl Array for [u32; 4] { type Item = u32; }
pub union Data<A: Array> { inline: std::mem::ManuallyDrop<A>, heap: (*mut A::Item, usize) }
pub struct Small { d: Data<[u32; 4]>, len: usize }
`;
  const r = compareWithRustc(src);
  assert.deepEqual(r.mismatches, []);
  for (const n of ['ByValue', 'ByRef', 'ByMut', 'Generic', 'Small'])
    assert.ok(!r.skipped.some(s => s.name === n), `${n}: ${JSON.stringify(r.skipped)}`);
  // An associated type declared ?Sized keeps the pointer unknown (it may be fat).
  const index = buildIndexFromSources(
    [
      {
        path: '/v/lib.rs',
        text: 'pub trait Input { type Text: ?Sized; }\npub struct R<I: Input> { t: *const I::Text }\npub struct S;\nimpl Input for S { type Text = str; }\npub struct U { r: R<S> }\n',
      },
    ],
    { crateName: 'k' },
  );
  assert.equal(
    new LayoutEngine(index).layoutOfItem(index.typeDefs().find(t => t.name === 'U')!).status,
    'lower-bound',
  );
});

test("P::Assoc with P a bound parameter resolves through the argument's impl (trust-dns Peekable<St: Stream> { peeked: Option<St::Item> }); ambiguous or unbound stays a lower bound", () => {
  requireRustc();
  const src = `
pub trait Stream { type Item; }
pub trait Other { type Item; }
pub struct Receiver<T> { inner: Option<std::sync::Arc<T>> }
impl<T> Stream for Receiver<T> { type Item = T; }
impl<T> Other for Receiver<T> { type Item = u8; }
pub struct Fuse<St> { stream: St, done: bool }
pub struct Peekable<St: Stream> { stream: Fuse<St>, peeked: Option<St::Item> }
pub struct PeekW<St> where St: Stream { peeked: Option<St::Item>, n: u16 }
pub struct Outer<S: Stream> { p: Peekable<S>, q: PeekW<S> }
pub struct Req { a: [u64; 25], b: String }
pub struct Exchange { p: Peekable<Receiver<Req>> }
pub struct Nested { o: Outer<Receiver<Req>> }
pub struct Both<S: Stream + Other> { x: Option<<S as Stream>::Item> }
pub struct BothUse { b: Both<Receiver<Req>> }
`;
  const r = compareWithRustc(src);
  assert.deepEqual(r.mismatches, []);
  for (const n of ['Exchange', 'Nested', 'BothUse'])
    assert.ok(!r.skipped.some(s => s.name === n), `${n}: ${JSON.stringify(r.skipped)}`);
  // Two bounds declare \`Item\` (rustc rejects \`S::Item\` as ambiguous, E0221), or the argument
  // has no impl of the trait in view: the engine does not guess.
  const amb = `${src}\npub struct Amb<S: Stream + Other> { x: Option<S::Item> }\npub struct AmbUse { a: Amb<Receiver<Req>> }\npub struct NoImpl { a: Peekable<Req> }\n`;
  const index = buildIndexFromSources([{ path: '/v/lib.rs', text: amb }], { crateName: 'k' });
  const engine = new LayoutEngine(index);
  for (const n of ['AmbUse', 'NoImpl'])
    assert.equal(
      engine.layoutOfItem(index.typeDefs().find(t => t.name === n)!).status,
      'lower-bound',
      n,
    );
});

test('Flatten over std iterators of vectors and options: exact and equal to rustc; other items stay unknown', () => {
  requireRustc();
  const src = `
use std::ffi::{OsStr, OsString};
use std::iter::{Flatten, Map};
use std::slice::Iter;
pub struct RawValues<'a> { iter: Map<Flatten<Iter<'a, Vec<OsString>>>, fn(&OsString) -> &OsStr>, len: usize }
pub struct F2 { a: Flatten<std::vec::IntoIter<Vec<u8>>>, b: Flatten<Iter<'static, Option<u32>>> }
pub struct F3 { a: Flatten<std::vec::IntoIter<Option<String>>>, b: Option<Flatten<std::slice::IterMut<'static, Vec<u16>>>> }
pub struct F4 { a: Flatten<std::vec::IntoIter<[u8; 4]>> }
`;
  const r = compareWithRustc(src);
  assert.deepEqual(r.mismatches, []);
  assert.equal(r.compared, 3);
  assert.deepEqual(
    r.skipped.map(s => s.name),
    ['F4'],
  );
});
