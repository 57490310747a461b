/**
 * What rustc rejects must come back as a per-type `error` in rustc's words, never `exact`.
 * Each case is compiled with the real rustc first (it must fail with the quoted error), and a
 * near-identical valid control must compile and be `exact` with rustc's size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildIndexFromSources } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import type { TypeDefItem } from '../../../src/core/model';
import { requireRustc, rustcSizes } from './rustc-oracle';

const nest = (open: string, close: string, n: number) => `${open.repeat(n)}u8${close.repeat(n)}`;

/** [source, type to check, rustc's error, ours]: `ours` defaults to rustc's. */
const REJECTED: [string, string, RegExp, RegExp?][] = [
  ['pub struct S { a: [u8; -1] }', 'S', /cannot apply unary operator `-` to type `usize`/],
  [
    '#[repr(align(3))] pub struct S { a: u8 }',
    'S',
    /invalid `repr\(align\)` attribute: not a power of two/,
  ],
  [
    '#[repr(packed(3))] pub struct S { a: u32 }',
    'S',
    /invalid `repr\(packed\)` attribute: not a power of two/,
  ],
  [
    '#[repr(align(0))] pub struct S { a: u8 }',
    'S',
    /invalid `repr\(align\)` attribute: not a power of two/,
  ],
  [
    '#[repr(align(1073741824))] pub struct S { a: u8 }',
    'S',
    /invalid `repr\(align\)` attribute: larger than 2\^29/,
  ],
  ['#[repr(u8)] pub enum S { A = 255, B }', 'S', /enum discriminant overflowed/],
  [
    '#[repr(u8)] pub enum S { A = 1, B = 1 }',
    'S',
    /discriminant value `1` assigned more than once/,
  ],
  ['#[repr(i8)] pub enum S { A = 127, B }', 'S', /enum discriminant overflowed/],
  [
    'const Z: usize = 0;\npub struct S { a: [u8; 1 / Z] }',
    'S',
    /attempt to divide `1(_usize)?` by zero/,
  ],
  [
    'const Z: usize = 0;\npub struct S { a: [u8; 7 % Z] }',
    'S',
    /attempt to calculate the remainder of `7(_usize)?` with a divisor of zero/,
  ],
  [
    'const A: usize = B;\nconst B: usize = A;\npub struct S { a: [u8; A] }',
    'S',
    /cycle detected when/,
    /cycle detected when const-evaluating `A`/,
  ],
  [
    'pub struct S { a: [u8; 1 << 64] }',
    'S',
    /attempt to shift left by `64(_i32)?`, which would overflow/,
    /overflow/,
  ],
  [
    'pub struct S { a: [u8; 3 - 5] }',
    'S',
    /attempt to compute `3_usize - 5_usize`, which would overflow/,
    /overflow/,
  ],
  ['pub struct S { a: u8, next: Option<S> }', 'S', /recursive type `S` has infinite size/],
  [
    'pub struct S<T> { a: T, b: Option<S<Option<T>>> }\npub struct U { s: S<u8> }',
    'U',
    /recursive type `S` has infinite size/,
  ],
  [
    'type A = Vec<B>;\ntype B = Option<A>;\npub struct S { a: A }',
    'S',
    /cycle detected when expanding type alias `A`/,
  ],
  [
    `pub struct S { a: ${nest('Option<', '>', 128)} }`,
    'S',
    /queries overflow the depth limit!/,
    /nested deeper than 100 levels/,
  ],
  [
    `pub struct S { a: ${nest('[', '; 1]', 128)} }`,
    'S',
    /queries overflow the depth limit!/,
    /nested deeper than 100 levels/,
  ],
];

const ACCEPTED: [string, string][] = [
  ['#[repr(align(4))] pub struct S { a: u8 }', 'S'],
  ['#[repr(align(536870912))] pub struct S { a: u8 }', 'S'],
  ['#[repr(packed(2))] pub struct S { a: u32, b: u8 }', 'S'],
  ['#[repr(u8)] pub enum S { A = 254, B }', 'S'],
  ['#[repr(i8)] pub enum S { A = -128, B = 127 }', 'S'],
  ['const A: usize = 2;\nconst B: usize = A + A;\npub struct S { a: [u8; B * A] }', 'S'],
  ['type A = Vec<u8>;\ntype B = Option<A>;\npub struct S { a: B }', 'S'],
  [`pub struct S { a: ${nest('Option<', '>', 99)} }`, 'S'],
];

function rustcErrors(src: string, name: string): { ok: boolean; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-validate-'));
  try {
    // size_of forces the layout (rustc reports the depth limit only when it computes one).
    const file = path.join(dir, 'lib.rs');
    fs.writeFileSync(
      file,
      `#![allow(dead_code)]\n${src}\npub fn size() -> usize { std::mem::size_of::<${name}>() }\n`,
    );
    const r = spawnSync(
      'rustc',
      ['--crate-type', 'lib', '--edition', '2021', '--out-dir', dir, file],
      { encoding: 'utf8' },
    );
    return { ok: r.status === 0, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function ours(src: string, name: string) {
  const index = buildIndexFromSources([{ path: '/v/lib.rs', text: src }], { crateName: 'v' });
  const item = index.typeDefs().find(t => t.name === name) as TypeDefItem;
  assert.ok(item, `no type ${name} in ${src.slice(0, 80)}`);
  return new LayoutEngine(index).layoutOfItem(item);
}

test("types rustc rejects are errors in rustc's words, never exact", () => {
  requireRustc();
  for (const [src, name, rustcSays, weSay] of REJECTED) {
    const r = rustcErrors(src, name);
    assert.ok(!r.ok, `rustc accepted ${src.slice(0, 100)}`);
    assert.match(r.stderr, rustcSays, src.slice(0, 100));
    const l = ours(src, name);
    assert.notEqual(l.status, 'exact', src.slice(0, 100));
    assert.match(
      l.error ?? '',
      weSay ?? rustcSays,
      `${src.slice(0, 100)}: ${l.status} ${l.size} ${l.error ?? l.unknownParts}`,
    );
  }
});

test("the valid controls compile and are exact with rustc's size", () => {
  for (const [src, name] of ACCEPTED) {
    const r = rustcErrors(src, name);
    assert.ok(r.ok, `rustc rejected ${src.slice(0, 100)}: ${r.stderr}`);
    const l = ours(src, name);
    assert.equal(l.status, 'exact', `${src.slice(0, 100)}: ${l.error ?? l.unknownParts}`);
    const [size, align] = rustcSizes(src, [name]).get(name)!;
    assert.deepEqual([l.size, l.align], [size, align], src.slice(0, 100));
  }
});
