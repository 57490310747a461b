import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { capture } from '../helpers/capture';
import { requireRustc } from '../layout/rustc-oracle';

function crate(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-cli-'));
  for (const [p, t] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), t);
  }
  return dir;
}

const FILES = {
  'Cargo.toml': '[package]\nname = "demo-crate"\nversion = "0.1.0"\nedition = "2021"\n',
  'src/main.rs':
    '#![allow(dead_code)]\nmod net;\nmod store;\npub struct Root { pub p: net::Packet, pub s: store::Slot }\nfn main() {}\n',
  'src/net.rs':
    'use crate::store::Slot;\npub enum Err { Big([u8; 300]), Small(u8) }\npub struct Packet { pub id: u32, pub err: Option<Err>, pub slot: Slot }\npub type R = Result<Packet, Err>;\n',
  'src/store/mod.rs': 'pub mod inner;\npub use inner::Cell as Slot;\n',
  'src/store/inner.rs':
    'pub struct Cell { pub a: u8, pub b: u64, pub c: std::rc::Rc<str> }\npub struct Wrap<T>(pub T, pub u8);\npub type WrapU16 = Wrap<u16>;\n',
};

test("layout --json of a crate directory gives rustc's numbers", async () => {
  requireRustc();
  const dir = crate(FILES);
  const c = capture();
  assert.equal(await main(['layout', path.join(dir, 'src'), '--json'], c.io), 0, c.err());
  const json = JSON.parse(c.out()) as {
    root: string;
    types: {
      path: string;
      file: string;
      line: number;
      size: number | null;
      align: number | null;
      status: string;
      generic: boolean;
    }[];
  };
  assert.equal(json.root, dir);
  const paths = json.types.map(t => t.path).sort();
  assert.deepEqual(paths, [
    'demo_crate::Root',
    'demo_crate::net::Err',
    'demo_crate::net::Packet',
    'demo_crate::net::R',
    'demo_crate::store::inner::Cell',
    'demo_crate::store::inner::Wrap',
    'demo_crate::store::inner::WrapU16',
  ]);
  const cell = json.types.find(t => t.path.endsWith('::Cell'))!;
  assert.equal(cell.file, path.join('src', 'store', 'inner.rs'));
  assert.equal(cell.line, 1);
  // Ask rustc about every non-generic type through a generated main.
  const exact = json.types.filter(t => !t.generic);
  assert.ok(exact.every(t => t.status === 'exact'));
  const printer = exact
    .map(
      t =>
        `println!("{} {} {}", "${t.path}", std::mem::size_of::<${t.path.replace(/^demo_crate/, 'crate')}>(), std::mem::align_of::<${t.path.replace(/^demo_crate/, 'crate')}>());`,
    )
    .join('\n');
  fs.writeFileSync(
    path.join(dir, 'src', 'main.rs'),
    FILES['src/main.rs'].replace('fn main() {}', `fn main() {\n${printer}\n}`),
  );
  const exe = path.join(dir, 'oracle');
  const r = spawnSync(
    'rustc',
    ['--edition', '2021', '-A', 'warnings', '-o', exe, path.join(dir, 'src', 'main.rs')],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const truth = Object.fromEntries(
    execFileSync(exe, { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(l => {
        const [p, s, a] = l.split(' ');
        return [p, [Number(s), Number(a)]];
      }),
  );
  for (const t of exact) assert.deepEqual([t.size, t.align], truth[t.path], t.path);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('layout of a single file reports only that file but resolves across the crate', async () => {
  const dir = crate(FILES);
  const c = capture();
  assert.equal(await main(['layout', path.join(dir, 'src', 'net.rs')], c.io), 0, c.err());
  assert.match(c.out(), /demo_crate::net::Packet {2}\(struct, src\/net.rs:3\) {2}\d+ B, align 8/);
  assert.doesNotMatch(c.out(), /store::inner::Cell/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('bad arguments and paths without Rust exit 2 with a clear message', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'al-empty-'));
  const cases: [string[], RegExp][] = [
    [['layout'], /usage: alloc-lens layout/],
    [['layout', '/no/such/path'], /no such file or directory/],
    [['layout', empty], /no Rust source files/],
    [['layout', path.join(empty)], /no Rust source files/],
    [['layout', '.', '--bogus'], /unknown option --bogus/],
    [['frobnicate'], /unknown command `frobnicate`/],
  ];
  fs.writeFileSync(path.join(empty, 'notes.txt'), 'hi');
  cases.push([['layout', path.join(empty, 'notes.txt')], /not a Rust source file/]);
  for (const [argv, msg] of cases) {
    const c = capture();
    assert.equal(await main(argv, c.io), 2, argv.join(' '));
    assert.match(c.err(), msg);
  }
  fs.rmSync(empty, { recursive: true, force: true });
});

test('the bin script runs the CLI (as npx alloc-lens does)', () => {
  const r = spawnSync(
    process.execPath,
    [
      path.join(__dirname, '..', '..', '..', '..', 'bin', 'alloc-lens.js'),
      'layout',
      path.join(__dirname, '..', '..', '..', '..', 'examples', 'ddsplit', 'src'),
      '--json',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const t = (JSON.parse(r.stdout) as { types: { name: string; size: number }[] }).types.find(
    x => x.name === 'DistriErr',
  );
  assert.equal(t?.size, 50008);
});

test('layout --exact --json compiles with rustc and reports no drift on a small crate', async () => {
  requireRustc();
  const dir = crate(FILES);
  const c = capture();
  assert.equal(await main(['layout', dir, '--exact', '--json'], c.io), 0, c.err());
  const j = JSON.parse(c.out()) as {
    rustc: string;
    drift: { compared: number; agree: number; disagreements: unknown[] };
  };
  assert.match(j.rustc, /^rustc 1\./);
  assert.ok(j.drift.compared >= 4, JSON.stringify(j.drift));
  assert.deepEqual(j.drift.disagreements, []);
  fs.rmSync(dir, { recursive: true, force: true });
});
