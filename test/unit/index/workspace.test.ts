import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildIndexFromSources, loadWorkspace } from '../../../src/core/index/workspace';
import type { EnumItem, FnItem, StructItem, TypeExpr } from '../../../src/core/model';
import { LayoutEngine } from '../../../src/core/layout/engine';

function pathExpr(text: string): Extract<TypeExpr, { kind: 'path' }> {
  const segs = text.split('::');
  return { kind: 'path', segments: segs.map(name => ({ name, args: [] })), global: false, text };
}

const LIB = `
//! crate docs
use std::{collections::{HashMap as Map, self}, rc::Rc};
use crate::net::*;
pub mod net;
mod inline {
    pub struct Deep { pub x: u8 }
    pub mod deeper { pub type Alias = super::Deep; }
}
use inline::deeper::Alias as Renamed;
/// Error docs
#[derive(Debug)]
#[repr(u8)]
pub enum DistriErr { Corrupt([u8; 50000]) = 3, Missing { id: u64 }, Empty }
pub const LEN: usize = 4 * 2 + (1 << 3);
pub struct Holder<T: ?Sized, const N: usize = 3> where T: Clone { a: [T; LEN], b: Map<u8, Rc<str>>, c: collections::VecDeque<u8> }
cfg_rt! {
    pub struct InMacro { pub x: u32 }
    fn broken(x: $t) {}
}
bitflags! { pub struct Flags: u32 { const A = 1; } }
pub fn run(x: &mut Renamed) -> Result<(), DistriErr> { Ok(()) }
struct Broken { a: u8,, b: }
struct AfterBroken(u16);
`;
const NET = `
use super::DistriErr;
pub struct Packet { pub err: DistriErr, pub h: std::collections::hash_map::HashMap<u8, u8> }
#[async_trait::async_trait]
pub trait Svc { async fn call(&self, p: Packet) -> Result<u8, DistriErr>; }
impl Svc for Packet { async fn call(&self, p: Packet) -> Result<u8, DistriErr> { Ok(1) } }
`;

test('indexes items across files, inline modules and macro bodies', () => {
  const idx = buildIndexFromSources(
    [
      { path: '/v/src/lib.rs', text: LIB },
      { path: '/v/src/net.rs', text: NET },
    ],
    { crateName: 'demo' },
  );
  const names = idx
    .typeDefs()
    .map(t => t.path)
    .sort();
  assert.deepEqual(names, [
    'demo::AfterBroken',
    'demo::Broken',
    'demo::DistriErr',
    'demo::Flags',
    'demo::Holder',
    'demo::InMacro',
    'demo::inline::Deep',
    'demo::inline::deeper::Alias',
    'demo::net::Packet',
  ]);
  const e = idx.itemByPath('demo::DistriErr') as EnumItem;
  assert.equal(e.repr.int, 'u8');
  assert.equal(e.variants[0].discriminant, '3');
  assert.equal(e.variants[1].shape, 'named');
  assert.equal(e.span.file, path.resolve('/v/src/lib.rs'));
  assert.equal(e.nameSpan.line, 14);
  assert.equal(e.nameSpan.column, 10);
  assert.match(e.docs ?? '', /Error docs/);
  assert.deepEqual(
    e.attrs.map(a => a.name),
    ['derive', 'repr'],
  );
  const inMacro = idx.itemByPath('demo::InMacro') as StructItem;
  assert.equal(inMacro.viaMacro, 'cfg_rt');
  assert.equal(inMacro.nameSpan.line, 18);
  assert.equal(
    LIB.split('\n')[17].slice(inMacro.nameSpan.column - 1, inMacro.nameSpan.endColumn - 1),
    'InMacro',
  );
  const flags = idx.itemByPath('demo::Flags') as StructItem;
  assert.equal(flags.viaMacro, 'bitflags');
  assert.equal(flags.fields[0].type.text, 'u32');
  const h = idx.itemByPath('demo::Holder') as StructItem;
  assert.deepEqual(
    h.generics.map(g => [g.kind, g.name, g.maybeUnsized ?? false]),
    [
      ['type', 'T', true],
      ['const', 'N', false],
    ],
  );
  assert.equal(h.generics[1].defaultConst, '3');
  const after = idx.itemByPath('demo::AfterBroken') as StructItem;
  assert.equal(after.fields[0].type.text, 'u16');
  const call = idx.items.find(i => i.kind === 'fn' && i.path === 'demo::net::Svc::call') as FnItem;
  assert.ok(call && call.isAsync && !call.hasBody && call.owner?.kind === 'trait');
  const run = idx.itemByPath('demo::run') as FnItem;
  assert.equal(run.returnType?.text, 'Result<(), DistriErr>');
  assert.equal(run.params[0].type?.kind, 'ref');
});

test('resolves names like a reader', () => {
  const idx = buildIndexFromSources(
    [
      { path: '/v/src/lib.rs', text: LIB },
      { path: '/v/src/net.rs', text: NET },
    ],
    { crateName: 'demo' },
  );
  const r = (m: string, p: string) => idx.resolveType(m, pathExpr(p));
  assert.deepEqual(r('demo', 'Map'), { kind: 'std', path: 'std::collections::HashMap' });
  assert.deepEqual(r('demo', 'collections::VecDeque'), {
    kind: 'std',
    path: 'std::collections::VecDeque',
  });
  assert.deepEqual(r('demo', 'Rc'), { kind: 'std', path: 'std::rc::Rc' });
  assert.deepEqual(r('demo', 'Vec'), { kind: 'std', path: 'std::vec::Vec' });
  assert.deepEqual(r('demo', 'core::num::NonZeroU32'), {
    kind: 'std',
    path: 'std::num::NonZeroU32',
  });
  assert.deepEqual(r('demo::net', 'std::collections::hash_map::HashMap'), {
    kind: 'std',
    path: 'std::collections::HashMap',
  });
  assert.deepEqual(r('demo', 'u8'), { kind: 'primitive', name: 'u8' });
  const item = (m: string, p: string) => {
    const x = r(m, p);
    return x.kind === 'item' ? x.item.path : x.kind;
  };
  assert.equal(item('demo::net', 'DistriErr'), 'demo::DistriErr');
  assert.equal(item('demo::net', 'super::DistriErr'), 'demo::DistriErr');
  assert.equal(item('demo::net', 'crate::inline::Deep'), 'demo::inline::Deep');
  assert.equal(item('demo', 'Packet'), 'demo::net::Packet');
  assert.equal(item('demo', 'Renamed'), 'demo::inline::deeper::Alias');
  assert.equal(item('demo::inline::deeper', 'super::Deep'), 'demo::inline::Deep');
  assert.equal(item('demo', 'demo::net::Packet'), 'demo::net::Packet');
  assert.deepEqual(r('demo', 'tokio::sync::Mutex'), {
    kind: 'external',
    path: 'tokio::sync::Mutex',
  });
  assert.deepEqual(r('demo', 'Nope'), { kind: 'unresolved', path: 'Nope' });
  assert.deepEqual(r('demo', 'Clone'), { kind: 'trait', path: 'std::clone::Clone' });
  assert.equal(idx.evalConst('demo', 'LEN'), 16n);
  assert.equal(idx.evalConst('demo::net', 'super::LEN * 2'), 32n);
  assert.equal(idx.evalConst('demo', '0x10u8 + 1_000usize + usize::MAX - usize::MAX'), 1016n);
  assert.equal(idx.evalConst('demo', 'N + 1', new Map([['N', 4n]])), 5n);
  assert.equal(idx.evalConst('demo', 'unknown_fn()'), undefined);
});

test('incremental update reports changed items and keeps resolution', () => {
  const idx = buildIndexFromSources(
    [
      { path: '/v/src/lib.rs', text: LIB },
      { path: '/v/src/net.rs', text: NET },
    ],
    { crateName: 'demo' },
  );
  const newNet = NET.replace('pub h: std', 'pub big: [u8; 4096], pub h: std');
  const changed = idx.updateFile('/v/src/net.rs', newNet);
  assert.deepEqual([...changed], ['demo::net::Packet']);
  const p = idx.itemByPath('demo::net::Packet') as StructItem;
  assert.equal(p.fields[1].type.text, '[u8; 4096]');
  assert.equal(
    idx.typeRefAt('/v/src/net.rs', 3, newNet.split('\n')[2].indexOf('DistriErr') + 3)?.item.path,
    'demo::DistriErr',
  );
  assert.equal(idx.typeDefAt('/v/src/net.rs', 3, 13)?.path, 'demo::net::Packet');
  assert.deepEqual(
    [...idx.removeFile('/v/src/net.rs')].sort(),
    [
      'demo::net::Packet',
      'demo::net::Svc',
      'demo::net::Svc::call',
      'demo::net::Packet::call',
    ].sort(),
  );
});

test('loads a Cargo workspace from disk with members, bins and #[path]', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-ws-'));
  const w = (p: string, t: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), t);
  };
  w('Cargo.toml', '[workspace]\nmembers = [\n  "crates/*",\n]\n');
  w('crates/core-lib/Cargo.toml', '[package]\nname = "core-lib"\nversion = "0.1.0"\n');
  w(
    'crates/core-lib/src/lib.rs',
    'pub mod a;\n#[path = "weird/place.rs"]\nmod b;\npub struct Root(pub a::A);\n',
  );
  w('crates/core-lib/src/a/mod.rs', 'pub mod inner;\npub struct A { pub x: inner::I }\n');
  w('crates/core-lib/src/a/inner.rs', 'pub struct I(u64);\n');
  w('crates/core-lib/src/weird/place.rs', 'pub struct B;\n');
  w(
    'crates/app/Cargo.toml',
    '[package]\nname = "app"\nversion = "0.1.0"\n[dependencies]\ncore-lib = { path = "../core-lib" }\n',
  );
  w('crates/app/src/main.rs', 'use core_lib::a::A;\nstruct UsesA(A);\nfn main() {}\n');
  w('crates/app/src/bin/tool.rs', 'struct Tool;\nfn main() {}\n');
  w('crates/app/target/debug/junk.rs', 'struct Junk;\n');
  fs.writeFileSync(
    path.join(dir, 'crates/core-lib/src/latin1.rs'),
    Buffer.from([0x73, 0x74, 0xe9, 0x0a]),
  );
  const idx = await loadWorkspace(dir);
  assert.deepEqual(
    idx
      .typeDefs()
      .map(t => t.path)
      .sort(),
    [
      'app::UsesA',
      'core_lib::Root',
      'core_lib::a::A',
      'core_lib::a::inner::I',
      'core_lib::b::B',
      'tool::Tool',
    ],
  );
  const uses = idx.itemByPath('app::UsesA') as StructItem;
  const r = idx.resolveType('app', uses.fields[0].type as Extract<TypeExpr, { kind: 'path' }>);
  assert.equal(r.kind === 'item' && r.item.path, 'core_lib::a::A');
  assert.equal(idx.ensureFile(path.join(dir, 'crates/core-lib/src/latin1.rs')), false);
  assert.ok(
    idx.warnings.some(w => /not valid UTF-8/.test(w.message)),
    JSON.stringify(idx.warnings),
  );
  fs.rmSync(dir, { recursive: true, force: true });
});

test('cfg predicates follow a default linux build and the package features', async () => {
  const { evalCfg, defaultFeatures } = await import('../../../src/core/index/cfg');
  const f = new Set(
    defaultFeatures({
      default: ['rt', 'dep:x'],
      rt: ['sync', 'bytes/std'],
      sync: [],
      full: ['rt'],
    }),
  );
  assert.deepEqual([...f].sort(), ['rt', 'sync']);
  assert.equal(evalCfg('unix', f), true);
  assert.equal(evalCfg('windows', f), false);
  assert.equal(evalCfg('test', f), false);
  assert.equal(evalCfg('tokio_unstable', f), false);
  assert.equal(evalCfg('feature = "rt"', f), true);
  assert.equal(evalCfg('feature = "full"', f), false);
  assert.equal(evalCfg('all(unix, not(feature = "full"), target_os = "linux")', f), true);
  assert.equal(evalCfg('any(windows, target_arch = "aarch64")', f), false);
});

test('an edit that changes items updates the scopes of its modules as a fresh index would', () => {
  const files = new Map([
    [
      '/u/src/lib.rs',
      'pub mod a;\npub mod b;\nuse crate::b::Inner;\npub struct Top { pub x: Inner, pub y: a::Mid }\n',
    ],
    ['/u/src/a.rs', 'use crate::b::*;\npub struct Mid { pub m: [u8; Inner::N], pub i: Inner }\n'],
    ['/u/src/b.rs', 'pub struct Inner { pub v: u32 }\nimpl Inner { pub const N: usize = 3; }\n'],
  ]);
  const sources = () => [...files].map(([p, text]) => ({ path: p, text }));
  const idx = buildIndexFromSources(sources(), { crateName: 'u' });
  const sizes = (i: typeof idx) => {
    const e = new LayoutEngine(i);
    return Object.fromEntries(
      i.typeDefs().map(d => [d.path, `${e.layoutOfItem(d).status} ${e.layoutOfItem(d).size}`]),
    );
  };
  const edits: [string, string, string][] = [
    ['/u/src/b.rs', 'pub v: u32', 'pub v: u64, pub w: u8'],
    ['/u/src/b.rs', 'N: usize = 3', 'N: usize = 40'],
    ['/u/src/a.rs', 'pub i: Inner }', 'pub i: Inner }\npub struct Extra(pub u16);'],
    ['/u/src/lib.rs', 'pub y: a::Mid }', 'pub y: a::Mid, pub z: Extra }\nuse crate::a::Extra;'],
    ['/u/src/b.rs', 'pub struct Inner', 'pub struct Renamed'],
  ];
  const tops: string[] = [];
  for (const [file, from, to] of edits) {
    files.set(file, files.get(file)!.replace(from, to));
    assert.ok(idx.updateFile(file, files.get(file)!).size > 0);
    assert.deepEqual(
      sizes(idx),
      sizes(buildIndexFromSources(sources(), { crateName: 'u' })),
      `after ${from} -> ${to}`,
    );
    tops.push(sizes(idx)['u::Top']);
  }
  // Inner {u64, u8} = 16; Mid {[u8; 40], Inner} = 56; Top {Inner, Mid, Extra(u16)} = 74 -> 80.
  // The last edit renamed `Inner`: what named it is no longer exact.
  assert.deepEqual(tops.slice(0, 4), ['exact 40', 'exact 72', 'exact 72', 'exact 80']);
  assert.notEqual(tops[4], 'exact 80');
});
