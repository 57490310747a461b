import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRust } from '../../../src/core/parser';
import { listRustFiles } from '../../../src/core/index/crates';
import {
  extractItems,
  extractStats,
  newExtractResult,
  type ExtractResult,
} from '../../../src/core/index/extract';
import { extractItemsTree } from '../../../src/core/index/extract-tree';
import { lineStarts } from '../../../src/core/index/syntax';
import type { EnumItem, FnItem, ImplItem, StructItem, TraitItem } from '../../../src/core/model';
import { crateDir } from '../helpers/registry';
import { fileRng, mutate, seedFiles } from '../../fuzz/analysis-fuzz';

// What CI installs (scripts/ci-deps.sh); a developer machine may have many more crates.
const CRATES = ['tokio-1.24.2', 'bytes-1.2.1', 'async-trait-0.1.56'];
const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');

/** Edge cases for the text parsers, each next to what makes it odd. */
const EDGES = `
pub(crate) struct Tuple<T>(pub T, #[cfg(unix)] pub(crate) u8) where T: ?Sized + Clone;
struct Unit;
struct Braced<'a, T: 'a + ?Sized, const N: usize = { 2 + 2 }> where T: Send { a: &'a T, b: [u8; N], r#type: u8 }
enum E<T> { A = 1 << 3, B(T, #[doc = "x"] u8), C { x: u8, y: Option<Box<E<T>>> }, D = -2, }
enum Chars { A = b'a' as isize, B }
union U { a: u32, b: f32 }
pub type Alias<T> where T: Copy = Vec<T>;
const C: &str = r#"raw { string"#;
static mut S: [u8; 3] = [1, 2, 3];
const _: () = ();
unsafe impl<T: Send> Send for Tuple<T> {}
impl<T> !Sync for Braced<'static, T, 4> {}
impl<T> Iterator for E<T> where T: Clone { type Item = (u8, T); fn next(&mut self) -> Option<Self::Item> { None } }
pub unsafe trait Tr<T>: Sized where T: ?Sized { type A: Clone; fn f(&self) -> Self::A; const K: u8 = 1; }
mod m { pub mod n; use super::{self as top, E::*, Tuple as T2}; pub(in crate::m) use ::std::vec::Vec; }
/* nested /* block */ comment */ struct AfterComment { /* inner /* nested */ */ x: u8 }
macro_rules! mk { ($n:ident) => { struct $n; } }
mk! { Foo }
cfg_x! { pub struct InMacro { a: u8 } impl InMacro { pub fn new() -> Self { InMacro { a: 0 } } } }
extern crate alloc as a2;
fn generic<T, U>(x: T) -> impl Fn(U) -> T where T: Clone, U: Copy { move |_| x.clone() }
pub(crate) const unsafe fn with_char<const C: char = 'x'>(p: *const u8) -> u8 { *p }
`;

/** Every item, use and mod, as plain data (dropping undefined fields). */
function plain(r: ExtractResult): unknown {
  return JSON.parse(
    JSON.stringify({
      items: r.items,
      uses: [...r.uses],
      mods: r.mods.map(m => ({ ...m, item: m.item.path })),
      ext: [...r.externCrates].map(([k, v]) => [k, [...v]]),
    }),
  );
}

function both(
  file: string,
  text: string,
): { fast: ExtractResult; tree: ExtractResult } | undefined {
  const t = parseRust(text);
  if (t.rootNode.hasError) return undefined;
  const base = { file, offset: 0, lines: lineStarts(text) };
  const fast = newExtractResult();
  extractItems(t.rootNode, text, base, 'c', fast);
  const tree = newExtractResult();
  extractItemsTree(t.rootNode, text, base, 'c', tree);
  return { fast, tree };
}

test('fast extraction equals the node-by-node tree extraction on edge cases', () => {
  const before = { ...extractStats };
  const r = both('/edges.rs', EDGES);
  assert.ok(r, 'the edge-case source parses without errors');
  assert.deepEqual(plain(r.fast), plain(r.tree));
  const fast = extractStats.fast - before.fast;
  const viaTree = extractStats.tree - before.tree;
  // The raw string const, the char-literal enum, the nested comments, macro_rules! and extern crate go to the tree.
  assert.ok(fast >= 20 && viaTree >= 4 && viaTree <= 8, `fast ${fast}, tree ${viaTree}`);
  const byName = new Map(r.fast.items.map(i => [i.name, i]));
  const tuple = byName.get('Tuple') as StructItem;
  assert.deepEqual(
    tuple.fields.map(f => [f.name, f.type.text, f.attrs.map(a => a.name)]),
    [
      ['0', 'T', []],
      ['1', 'u8', ['cfg']],
    ],
  );
  assert.deepEqual(tuple.generics[0].bounds, ['?Sized', 'Clone']);
  assert.equal(tuple.generics[0].maybeUnsized, true);
  const e = byName.get('E') as EnumItem;
  assert.deepEqual(
    e.variants.map(v => [v.name, v.shape, v.discriminant]),
    [
      ['A', 'unit', '1 << 3'],
      ['B', 'tuple', undefined],
      ['C', 'named', undefined],
      ['D', 'unit', '-2'],
    ],
  );
  const send = r.fast.items.find(
    i => i.kind === 'impl' && i.name === 'Send for Tuple<T>',
  ) as ImplItem;
  assert.deepEqual(
    send.generics.map(g => g.name),
    ['T'],
    'unsafe impl<T> keeps its generics',
  );
  const notSync = r.fast.items.find(
    i => i.kind === 'impl' && i.name.startsWith('Sync'),
  ) as ImplItem;
  assert.equal(notSync.negative, true);
  const iter = r.fast.items.find(
    i => i.kind === 'impl' && i.name.startsWith('Iterator'),
  ) as ImplItem;
  assert.equal(iter.assocTypes.Item?.text, '(u8, T)');
  assert.deepEqual(iter.methods, ['c::E::next']);
  assert.deepEqual((byName.get('Tr') as TraitItem).assocTypes, ['A']);
  assert.equal(byName.get('InMacro')?.viaMacro, 'cfg_x');
  assert.deepEqual(
    r.fast.uses.get('c::m')?.map(u => [u.path.join('::'), u.alias, u.glob]),
    [
      ['super', 'top', false],
      ['super::E', '*', true],
      ['super::Tuple', 'T2', false],
      ['std::vec::Vec', 'Vec', false],
    ],
  );
  assert.deepEqual(
    r.fast.mods.map(m => m.path),
    ['c::m::n'],
  );
  // A signature the text parser cannot read (a char literal) is read from its own tree, lazily.
  const withChar = byName.get('with_char') as FnItem;
  assert.deepEqual(
    [
      withChar.visibility,
      withChar.isConst,
      withChar.isUnsafe,
      withChar.returnType?.text,
      withChar.params[0].type?.text,
    ],
    ['pub(crate)', true, true, 'u8', '*const u8'],
  );
  assert.deepEqual(
    withChar.generics.map(g => [g.kind, g.name, g.defaultConst]),
    [['const', 'C', "'x'"]],
  );
});

/** Compares both extractions on every file under `roots`; returns files, items and disagreements. */
function agreeOn(roots: string[]): { files: number; items: number; bad: string[] } {
  let files = 0;
  let items = 0;
  const bad: string[] = [];
  for (const root of roots) {
    for (const f of listRustFiles(root)) {
      const r = both(f, fs.readFileSync(f, 'utf8'));
      if (!r) continue;
      files++;
      items += r.tree.items.length;
      try {
        assert.deepEqual(plain(r.fast), plain(r.tree));
      } catch (e) {
        if (bad.length < 3) bad.push(`${f}: ${(e as Error).message.slice(0, 1500)}`);
      }
    }
  }
  return { files, items, bad };
}

test('fast extraction equals the tree extraction on every file of the fixtures', () => {
  const r = agreeOn([FIXTURES]);
  assert.deepEqual(r.bad, []);
  assert.ok(r.files > 10, `${r.files} fixture files`);
});

test('fast extraction equals the tree extraction on every file of real crates', () => {
  const roots = CRATES.map(crateDir);
  const before = { ...extractStats };
  const { files, items, bad } = agreeOn(roots);
  assert.deepEqual(bad, []);
  assert.ok(files > 400 && items > 7000, `${files} files, ${items} items`);
  const fast = extractStats.fast - before.fast;
  const viaTree = extractStats.tree - before.tree;
  assert.ok(
    viaTree / (fast + viaTree) < 0.05,
    `the fast path read only ${fast} of ${fast + viaTree} items`,
  );
});

/**
 * A known difference of the two paths, not of the error handling: a parameter that is a bare
 * type (`fn into_inner(selfself)`, made by duplicating a token; Rust 2015's anonymous trait
 * parameters) is a typeless parameter for the text parser and no parameter for the tree.
 */
function withoutTypeless(x: unknown): unknown {
  const r = x as { items: { kind: string; params?: { isSelf: boolean; type?: unknown }[] }[] };
  for (const i of r.items)
    if (i.kind === 'fn' && i.params)
      i.params = i.params.filter(p => p.isSelf || p.type !== undefined);
  return r;
}

test('files with syntax errors: error-free items read fast equal the tree extraction of the whole file', () => {
  // Mutated real sources (the analysis fuzz's token deletion, duplication and unbalanced
  // braces): items containing an error take the tree path, the others the fast path.
  const roots = CRATES.map(c => path.join(crateDir(c), 'src'));
  const seeds = seedFiles([...roots, FIXTURES]);
  let compared = 0;
  let fastItems = 0;
  for (let k = 0; compared < 150 && k < 2000; k++) {
    const r = fileRng(4242, k);
    const src = seeds[Math.floor(r() * seeds.length)];
    const m = mutate(src.text, r, k, ['delete', 'duplicate', 'braces'][k % 3]);
    const t = parseRust(m.text);
    if (!t.rootNode.hasError) continue;
    const base = { file: '/m.rs', offset: 0, lines: lineStarts(m.text) };
    const before = extractStats.fast;
    const mixed = newExtractResult();
    extractItems(t.rootNode, m.text, base, 'c', mixed);
    fastItems += extractStats.fast - before;
    const tree = newExtractResult();
    extractItemsTree(t.rootNode, m.text, base, 'c', tree);
    assert.deepEqual(
      withoutTypeless(plain(mixed)),
      withoutTypeless(plain(tree)),
      `${m.kind} of ${src.file} (#${k})`,
    );
    compared++;
  }
  assert.equal(compared, 150);
  assert.ok(fastItems > 1000, `${fastItems} items read fast`);
});
