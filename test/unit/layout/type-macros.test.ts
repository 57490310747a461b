/**
 * Type-position macro calls (`Token![::]`, as syn writes its field types), types of the sysroot
 * crate `proc_macro` (what proc-macro2 wraps) and the two namespaces of a module (syn's
 * `pub fn Ident` next to `pub use proc_macro2::Ident`): the engine against rustc.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadWorkspace } from '../../../src/core/index/workspace';
import { clearMacroCache } from '../../../src/core/index/macro-expand';
import { LayoutEngine } from '../../../src/core/layout/engine';
import type { TypeDefItem } from '../../../src/core/model';
import { compareWithRustc, requireRustc, rustcSizes } from './rustc-oracle';
import { compareTruth, CRATES, crateDir, indexCrate, readTruth } from '../../measure/real-layouts';

// Written as syn writes them: `Token!` is defined inside another macro's body, whose call adds
// one more arm through a `$(...)*` repetition (syn's `await` arm); token structs come from an
// item macro; `Wrapped!` expands to a type holding another type macro.
const TYPE_MACROS = `
pub mod token {
    macro_rules! define_punct {
        ($($tok:tt pub struct $name:ident / $len:tt)*) => {
            $(pub struct $name { pub spans: [u32; $len] })*
        };
    }
    define_punct! {
        "::" pub struct Colon2 / 2
        "#" pub struct Pound / 1
        "..=" pub struct DotDotEq / 3
    }
    pub struct Pub { pub span: u32 }
    pub struct Extra { pub a: u64 }
}

macro_rules! export_token_macro {
    ($($extra_rule:tt)*) => {
        #[macro_export]
        macro_rules! Token {
            [::] => { $crate::token::Colon2 };
            [#] => { $crate::token::Pound };
            $($extra_rule => { $crate::token::Extra };)*
            [..=] => { $crate::token::DotDotEq };
            [pub] => { $crate::token::Pub };
        }
    };
}
export_token_macro! {[extra]}

macro_rules! Wrapped {
    ($t:ty) => { Option<($t, Token![::])> };
}

pub struct Path {
    pub leading: Option<Token![::]>,
    pub segments: Vec<(u8, Token![::])>,
}

pub struct Attr {
    pub pound: Token![#],
    pub style: Option<Token![pub]>,
    pub dots: [Token![..=]; 2],
    pub path: Path,
    pub flag: bool,
}

pub struct Nested {
    pub w: Wrapped!(u16),
    pub r: &'static Token![#],
    pub b: Box<Token![pub]>,
    pub tag: u8,
}
`;

/** A crate on disk (macro definitions are looked up in the package's files). */
function crate(lib: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-type-macros-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(
    path.join(dir, 'Cargo.toml'),
    '[package]\nname = "tm"\nversion = "0.1.0"\nedition = "2021"\n',
  );
  fs.writeFileSync(path.join(dir, 'src', 'lib.rs'), lib);
  return dir;
}

function layouts(index: Awaited<ReturnType<typeof loadWorkspace>>, names: string[]) {
  const engine = new LayoutEngine(index);
  return names.map(n => {
    const item = index.typeDefs().find(t => t.name === n && t.module === 'tm') as
      TypeDefItem | undefined;
    assert.ok(item, `${n} is not indexed`);
    return { name: n, l: engine.layoutOfItem(item) };
  });
}

test('type-position macro calls expand through the crate macro_rules! and agree with rustc', async () => {
  requireRustc();
  clearMacroCache();
  const dir = crate(TYPE_MACROS);
  try {
    const index = await loadWorkspace(dir);
    const names = ['Path', 'Attr', 'Nested'];
    const truth = rustcSizes(TYPE_MACROS, names);
    for (const { name, l } of layouts(index, names)) {
      assert.equal(l.status, 'exact', `${name}: ${l.unknownParts?.join(', ')}`);
      assert.deepEqual(
        [l.size, l.align],
        truth.get(name),
        `${name}: engine ${l.size}/${l.align}, rustc ${truth.get(name)}`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a type macro that expands to itself, or that no arm matches, stays a lower bound (and ends)', async () => {
  clearMacroCache();
  const dir = crate(`
macro_rules! Loop { () => { Option<Loop!()> }; }
macro_rules! Pick { (a) => { u64 }; }
pub struct S { pub a: Loop!(), pub b: Pick!(b), pub c: Pick!(a), pub d: Undefined![x] }
`);
  try {
    const index = await loadWorkspace(dir);
    const [{ l }] = layouts(index, ['S']);
    assert.equal(l.status, 'lower-bound');
    // `Pick!(a)` is u64, and `Option<Loop!()>` at least a tag: 8 + 1, aligned to 8.
    assert.equal(l.size, 16);
    assert.deepEqual([...(l.unknownParts ?? [])].sort(), ['Loop!()', 'Pick!(b)', 'Undefined![x]']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('proc_macro types (what proc-macro2 wraps) are sized as rustc sizes them', () => {
  requireRustc();
  const src = `
extern crate proc_macro;
use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
pub enum Wrapper { Compiler(proc_macro::Span), Fallback(u32) }
pub struct Spans { pub a: Span, pub b: Option<Span>, pub c: Option<Option<Span>> }
pub struct Idents { pub i: Ident, pub o: Option<Ident>, pub l: Literal, pub p: Option<Punct> }
pub enum Tree { G(Group), I(Ident), P(Punct), L(Literal) }
pub struct Streams { pub s: TokenStream, pub o: Option<TokenStream>, pub t: TokenTree, pub d: Delimiter, pub sp: Spacing }
pub struct Iter { pub it: proc_macro::token_stream::IntoIter, pub e: Option<proc_macro::LexError> }
`;
  const r = compareWithRustc(src);
  assert.deepEqual(r.mismatches, []);
  assert.deepEqual(r.skipped, []);
  assert.equal(r.compared, 6);
});

test('a fn in the value namespace does not hide a type imported under its name (syn::Ident)', () => {
  requireRustc();
  const src = `
mod m { pub struct Id { pub a: u64, pub b: u8 } }
mod n {
    pub use crate::m::Id;
    #[allow(non_snake_case)]
    pub fn Id(x: u8) -> u8 { x }
    pub struct Field { pub id: Id, pub other: Option<Id> }
}
pub struct Outer { pub f: n::Field, pub id: n::Id }
`;
  const r = compareWithRustc(src);
  assert.deepEqual(r.mismatches, []);
  assert.deepEqual(r.skipped, []);
  assert.equal(r.compared, 1);
});

test(
  'syn 1.0.107 (full): Token![..] fields and proc-macro2 types make every type exact, as rustc says',
  { timeout: 240_000 },
  async () => {
    const s = CRATES.find(c => c.name === 'syn')!;
    assert.ok(
      fs.existsSync(crateDir(s)),
      `${crateDir(s)} is missing: run scripts/ci-deps.sh (it installs librust-syn-dev)`,
    );
    const truth = readTruth(s);
    assert.ok(
      truth && truth.types.length > 300,
      'no committed ground truth for syn: run npm run measure:layouts -- --truth syn',
    );
    const score = compareTruth(s, truth, await indexCrate(s));
    const bad = score.entries.filter(e => e.verdict !== 'exact');
    assert.deepEqual(
      bad
        .slice(0, 10)
        .map(
          e =>
            `${e.file}:${e.line} ${e.name}: rustc ${e.size}/${e.align}, engine ${e.engine?.size}/${e.engine?.align} ${e.engine?.status} ${e.engine?.unknownParts?.join(', ') ?? ''}`,
        ),
      [],
    );
    assert.ok(score.counts.exact >= 0.95 * score.total, `${score.counts.exact}/${score.total}`);
  },
);

test('a macro call with hundreds of repetitions expands (the matcher loops; it overflowed the stack)', async () => {
  requireRustc();
  clearMacroCache();
  const calls = Array.from(
    { length: 400 },
    (_, i) => `    /// variant ${i}\n    (V${i}, b"v${i}");`,
  ).join('\n');
  const src = `
macro_rules! many {
    ($( $(#[$doc:meta])* ($v:ident, $bytes:literal); )+) => {
        pub enum Many { $($(#[$doc])* $v,)+ }
        pub struct Holder { pub m: Many, pub x: u16, pub o: Option<Many> }
    };
}
many! {
${calls}
}
`;
  const dir = crate(src);
  try {
    const index = await loadWorkspace(dir);
    assert.deepEqual(
      index.warnings.map(w => w.message),
      [],
    );
    const truth = rustcSizes(src, ['Many', 'Holder']);
    for (const { name, l } of layouts(index, ['Many', 'Holder'])) {
      assert.equal(l.status, 'exact', `${name}: ${l.unknownParts?.join(', ')}`);
      assert.deepEqual([l.size, l.align], truth.get(name), name);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('associated consts of inherent impls in array lengths agree with rustc; cfg and trait consts stay lower bounds', () => {
  requireRustc();
  const src = `
pub struct Inline([u8; Inline::MAX], u8);
impl Inline {
    pub const MAX: usize = 15;
    const TWICE: usize = Self::MAX * 2 + 1;
    pub fn len(&self) -> usize { self.1 as usize }
}
pub struct Twice { pub a: [u16; Inline::TWICE], pub b: u8 }
mod m {
    pub struct K;
    impl K { pub const N: usize = 3; }
}
pub struct UsesPath { pub a: [u32; m::K::N], pub b: [u8; crate::m::K::N + Inline::MAX] }
pub struct Cfgd;
impl Cfgd {
    #[cfg(unix)] const N: usize = 2;
    #[cfg(not(unix))] const N: usize = 4;
}
pub struct UsesCfgd(pub [u8; Cfgd::N]);
trait Tr { const N: usize; }
pub struct Q;
impl Tr for Q { const N: usize = 5; }
pub struct UsesTrait(pub [u8; <Q as Tr>::N]);
`;
  const r = compareWithRustc(src);
  assert.deepEqual(r.mismatches, []);
  assert.deepEqual(r.skipped.map(s => `${s.name} ${s.why.split(':')[0]}`).sort(), [
    'UsesCfgd lower-bound',
    'UsesTrait lower-bound',
  ]);
  // Inline, Twice, UsesPath, Cfgd, Q
  assert.equal(r.compared, 5);
});

test('<T as Trait>::Assoc of one concrete impl agrees with rustc; a generic impl is bound from the arguments', () => {
  requireRustc();
  const src = `
pub trait Tr { type A; }
pub struct S;
pub struct G<T>(pub T);
impl Tr for S { type A = [u16; 3]; }
impl<'a> Tr for &'a S { type A = (u8, &'a S); }
impl Tr for G<u8> { type A = u64; }
impl Tr for G<u16> { type A = u8; }
mod m {
    pub struct V;
    impl IntoIterator for V {
        type Item = u8;
        type IntoIter = std::vec::IntoIter<u8>;
        fn into_iter(self) -> Self::IntoIter { Vec::new().into_iter() }
    }
}
pub struct Uses {
    pub a: <S as Tr>::A,
    pub b: <&'static S as Tr>::A,
    pub c: <G<u8> as Tr>::A,
    pub d: <G<u16> as Tr>::A,
    pub e: <m::V as IntoIterator>::IntoIter,
    pub f: Option<<G<u16> as Tr>::A>,
}
pub struct H<T>(pub T);
impl<T> Tr for H<T> { type A = T; }
pub struct UsesGeneric { pub a: <H<u32> as Tr>::A }
`;
  const r = compareWithRustc(src);
  assert.deepEqual(r.mismatches, []);
  // The generic impl is bound from H<u32>'s argument (T = u32), as rustc does.
  assert.deepEqual(
    r.skipped.map(s => `${s.name} ${s.why.split(':')[0]}`),
    [],
  );
  // S, Uses, H is generic (not compared), UsesGeneric
  assert.equal(r.compared, 3);
});

test("a dependency's exported type macro (use mac::Token; mac::Pair!(T)) expands with $crate as the dependency", async () => {
  requireRustc();
  clearMacroCache();
  const macLib = `
pub mod token {
    pub struct Comma { pub span: u32 }
    pub struct Colon2 { pub spans: [u32; 2] }
}
#[macro_export]
macro_rules! Token {
    [,] => { $crate::token::Comma };
    [::] => { $crate::token::Colon2 };
}
#[macro_export]
macro_rules! Pair {
    ($t:ty) => { ($t, $crate::token::Comma) };
}
`;
  const appLib = `
use mac::Token;
pub struct Local { pub x: u64 }
pub struct Args { pub sep: Token![,], pub path: Option<mac::Token![::]>, pub pair: mac::Pair!(Local), pub tag: u8 }
`;
  const reg = fs.mkdtempSync(path.join(os.tmpdir(), 'al-dep-macros-'));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(reg, rel)), { recursive: true });
    fs.writeFileSync(path.join(reg, rel), text);
  };
  try {
    write('mac-1.0.0/Cargo.toml', '[package]\nname = "mac"\nversion = "1.0.0"\nedition = "2021"\n');
    write('mac-1.0.0/src/lib.rs', macLib);
    write(
      'app-0.1.0/Cargo.toml',
      '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nmac = "1"\n',
    );
    write('app-0.1.0/src/lib.rs', appLib);
    // rustc's answer: the dependency compiled as an rlib, the app against it.
    const out = path.join(reg, 'out');
    fs.mkdirSync(out);
    const { spawnSync, execFileSync } = await import('node:child_process');
    const lib = spawnSync(
      'rustc',
      [
        '--edition',
        '2021',
        '--crate-type',
        'rlib',
        '--crate-name',
        'mac',
        '-A',
        'warnings',
        '--out-dir',
        out,
        path.join(reg, 'mac-1.0.0/src/lib.rs'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(lib.status, 0, lib.stderr);
    write(
      'main.rs',
      `${appLib}\nfn main() { println!("{} {}", std::mem::size_of::<Args>(), std::mem::align_of::<Args>()); }\n`,
    );
    const bin = spawnSync(
      'rustc',
      [
        '--edition',
        '2021',
        '-A',
        'warnings',
        '--extern',
        `mac=${path.join(out, 'libmac.rlib')}`,
        '-o',
        path.join(out, 'main'),
        path.join(reg, 'main.rs'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(bin.status, 0, bin.stderr);
    const [size, align] = execFileSync(path.join(out, 'main'), { encoding: 'utf8' })
      .trim()
      .split(' ')
      .map(Number);
    const index = await loadWorkspace(path.join(reg, 'app-0.1.0'));
    const item = index.typeDefs().find(t => t.name === 'Args') as TypeDefItem;
    const l = new LayoutEngine(index).layoutOfItem(item);
    assert.equal(l.status, 'exact', l.unknownParts?.join(', '));
    assert.deepEqual([l.size, l.align], [size, align]);
  } finally {
    fs.rmSync(reg, { recursive: true, force: true });
  }
});
