import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsePrintTypeSizes } from '../../../src/core/exact/print-type-sizes';
import { ExactBuildError, exactTargetDir, runExact } from '../../../src/core/exact/run';
import { compareExact } from '../../../src/core/exact/compare';
import { instantiationsOf, mapExactToIndex } from '../../../src/core/exact/map';
import { closureLocation } from '../../../src/core/exact/print-type-sizes';
import { loadWorkspace } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import { crateDir } from '../helpers/registry';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const FIX = path.join(REPO, 'test', 'fixtures', 'exact');

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'al-exact-'));
}

test('runExact on a single file: live rustc output equals the captured fixture, then the cache answers', async () => {
  const dir = tmp();
  const cacheDir = path.join(dir, 'cache');
  const file = path.join(dir, 'sample.rs');
  fs.copyFileSync(path.join(FIX, 'sample.rs'), file);
  const progress: string[] = [];
  const live = await runExact({ file, cacheDir, onProgress: m => progress.push(m) });
  assert.equal(live.cached, false);
  const captured = parsePrintTypeSizes(
    fs.readFileSync(path.join(FIX, 'sample.print-type-sizes.txt'), 'utf8'),
  );
  const own = (ts: { name: string; size: number; align: number }[]) =>
    ts
      .filter(t => /^(E|H|U|Wrapper<u16>)$/.test(t.name))
      .map(t => `${t.name} ${t.size}/${t.align}`)
      .sort();
  assert.deepEqual(own(live.types), ['E 104/4', 'H 12/4', 'U 4/4', 'Wrapper<u16> 4/2']);
  if (
    live.rustcVersion === fs.readFileSync(path.join(FIX, 'sample.rustc-version.txt'), 'utf8').trim()
  ) {
    assert.deepEqual(live.types, captured.types);
    assert.deepEqual(live.asyncBodies, captured.asyncBodies);
  }
  assert.ok(progress.some(p => p.includes('-Zprint-type-sizes')));
  const again = await runExact({ file, cacheDir });
  assert.equal(again.cached, true);
  assert.deepEqual(again.types, live.types);
  fs.appendFileSync(
    file,
    'pub struct Added { pub a: u64, pub b: u8 }\npub fn added(a: Added) -> u8 { a.b }\n',
  );
  const changed = await runExact({ file, cacheDir });
  assert.equal(changed.cached, false);
  assert.deepEqual(
    changed.types.filter(t => t.name === 'Added').map(t => [t.size, t.align]),
    [[16, 8]],
  );
});

test("runExact: a failing build rejects with the compiler's first error", async () => {
  const dir = tmp();
  const file = path.join(dir, 'bad.rs');
  fs.writeFileSync(file, 'pub struct S { a: Missing }\npub struct T { b: AlsoMissing }\n');
  await assert.rejects(runExact({ file, noCache: true }), (e: Error) => {
    assert.ok(e instanceof ExactBuildError);
    assert.match(
      e.message,
      /^error\[E\d+\]: cannot find type `Missing` in this scope\n --> .*bad\.rs:1:19/,
    );
    assert.doesNotMatch(e.message, /AlsoMissing/);
    return true;
  });
});

test('runExact: an aborted signal rejects as cancelled; missing options are an error', async () => {
  const dir = tmp();
  const file = path.join(dir, 'slow.rs');
  fs.writeFileSync(
    file,
    'pub fn f() -> u64 { let mut v = 0u64; for i in 0..10u64 { v += i; } v }\n',
  );
  const ac = new AbortController();
  const p = runExact({
    file,
    noCache: true,
    signal: ac.signal,
    onProgress: m => m.includes('rustc --crate-type') && ac.abort(),
  });
  await assert.rejects(p, /cancelled/);
  await assert.rejects(runExact({}), /exactly one of crateDir and file/);
});

test(
  'runExact on examples/ddsplit: every own type maps to its definition and matches the engine',
  { timeout: 300_000 },
  async () => {
    const crateDir = path.join(REPO, 'examples', 'ddsplit');
    const r = await runExact({ crateDir, noCache: true });
    assert.equal(r.crateName, 'ddsplit');
    assert.deepEqual(r.externCrates?.slice().sort(), ['async_trait', 'tokio']);
    const err = r.types.find(t => t.name === 'proto::DistriErr')!;
    assert.deepEqual([err.size, err.align], [50008, 8]);
    assert.deepEqual(err.variants!.map(v => v.name).sort(), [
      'Corrupt',
      'Io',
      'Message',
      'NotFound',
    ]);
    assert.ok(
      r.asyncBodies.some(a => a.name.startsWith('{async fn body of')) ||
        r.asyncBodies.some(a => a.name.startsWith('{async block@src/')),
    );
    const index = await loadWorkspace(crateDir);
    const map = mapExactToIndex(r, index.typeDefs(), index);
    assert.ok(map.ratio >= 0.95, `mapped ${map.mapped.length}/${map.own.length}`);
    assert.ok(
      map.mapped.some(
        m =>
          m.path === 'ddsplit::proto::Query' &&
          m.item!.span.file.endsWith(path.join('src', 'proto.rs')),
      ),
    );
    const report = compareExact(r, index.typeDefs(), new LayoutEngine(index), index);
    assert.equal(report.compared, map.mapped.length);
    assert.deepEqual(
      report.disagreements.map(
        d =>
          `${d.name}: rustc ${d.exact.size}/${d.exact.align}, engine ${d.estimate.size}/${d.estimate.align}`,
      ),
      [],
    );
  },
);

test(
  'runExact on a cargo lib: fn-local types, instantiations and closures map to their source lines',
  { timeout: 120_000 },
  async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(
      path.join(dir, 'Cargo.toml'),
      '[package]\nname = "local-types"\nversion = "0.1.0"\nedition = "2021"\n',
    );
    fs.writeFileSync(
      path.join(dir, 'src', 'lib.rs'),
      'pub mod inner;\npub struct Top { pub a: u8, pub b: u32 }\npub mod local_types { pub struct Same(pub u16, pub u64); }\npub fn same(s: local_types::Same) -> u64 { s.1 + s.0 as u64 }\n',
    );
    fs.writeFileSync(
      path.join(dir, 'src', 'inner.rs'),
      [
        'pub struct Pair<T> { pub x: T, pub y: u8 }',
        'pub type PairU64 = Pair<u64>;',
        'pub fn run(p: PairU64, t: crate::Top) -> u64 {',
        '    struct Guard { n: u64, flag: bool }',
        '    impl Drop for Guard { fn drop(&mut self) { std::hint::black_box(self.n); } }',
        '    let g = Guard { n: p.x, flag: p.y > 0 };',
        '    let c = move || g.n + t.b as u64 + g.flag as u64;',
        '    c()',
        '}',
        '',
      ].join('\n'),
    );
    const r = await runExact({ crateDir: dir, noCache: true });
    assert.equal(r.crateName, 'local_types');
    const index = await loadWorkspace(dir);
    const map = mapExactToIndex(r, index.typeDefs(), index);
    const rows = map.own
      .map(
        m =>
          `${m.exact.name} ${m.exact.size}/${m.exact.align} -> ${m.item ? m.item.path : m.location ? `${path.relative(dir, m.location.file)}:${m.location.line}` : '?'}`,
      )
      .sort();
    assert.deepEqual(rows, [
      'Top 8/4 -> local_types::Top',
      'inner::Pair<u64> 16/8 -> local_types::inner::Pair',
      'inner::run::Guard 16/8 -> src/inner.rs:4',
      'local_types::Same 16/8 -> local_types::local_types::Same',
    ]);
    const pair = index.typeDefs().find(t => t.path === 'local_types::inner::Pair')!;
    assert.deepEqual(instantiationsOf(map, pair), [{ text: 'Pair<u64>', size: 16, align: 8 }]);
    // A second build in the same target dir still prints (cargo clean -p uses the package name `local-types`).
    const again = await runExact({ crateDir: dir, noCache: true });
    assert.deepEqual(
      again.types.map(t => t.name),
      r.types.map(t => t.name),
    );
    assert.equal(map.ratio, 1);
    const closure = r.closures.find(c => c.name.startsWith('{closure@src/inner.rs:7:'))!;
    assert.deepEqual(closureLocation(closure.name), { file: 'src/inner.rs', line: 7, column: 13 });
    assert.equal(closureLocation('{async fn body of f()}'), undefined);
    const report = compareExact(r, index.typeDefs(), new LayoutEngine(index), index);
    assert.equal(report.compared, 3);
    assert.deepEqual(report.disagreements, []);
    fs.rmSync(exactTargetDir(dir), { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  },
);

test(
  'runExact: cancelling a cargo build kills cargo and the rustc processes it started',
  { timeout: 120_000 },
  async () => {
    const dir = tmp();
    const src = path.join(REPO, 'examples', 'ddsplit');
    fs.cpSync(path.join(src, 'src'), path.join(dir, 'src'), { recursive: true });
    fs.cpSync(path.join(src, '.cargo'), path.join(dir, '.cargo'), { recursive: true });
    fs.copyFileSync(path.join(src, 'Cargo.toml'), path.join(dir, 'Cargo.toml'));
    const target = exactTargetDir(dir);
    const ac = new AbortController();
    const started = Date.now();
    const alive = () =>
      fs
        .readdirSync('/proc')
        .filter(d => /^\d+$/.test(d))
        .filter(d => {
          try {
            return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(target);
          } catch {
            return false;
          }
        });
    let atAbort = 0;
    // A fresh copy gets a fresh target dir: cargo compiles the dependencies first, which takes seconds.
    const p = runExact({
      crateDir: dir,
      noCache: true,
      signal: ac.signal,
      onProgress: m => {
        if (!m.includes('Compiling') || ac.signal.aborted) return;
        atAbort = alive().length;
        ac.abort();
      },
    });
    await assert.rejects(p, /cancelled/);
    assert.ok(Date.now() - started < 30_000);
    assert.ok(atAbort >= 1, 'a rustc was running when the build was cancelled');
    await new Promise(r => setTimeout(r, 500));
    assert.deepEqual(alive(), []);
    fs.rmSync(target, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  },
);

test(
  'runExact on the Debian bytes 1.2.1 crate (offline): all own types map and match the engine',
  { timeout: 180_000 },
  async () => {
    const reg = crateDir('bytes-1.2.1');
    const dir = path.join(tmp(), 'bytes');
    fs.cpSync(reg, dir, { recursive: true });
    fs.rmSync(path.join(dir, '.cargo-checksum.json'), { force: true });
    let skip = false;
    const toml = fs
      .readFileSync(path.join(dir, 'Cargo.toml'), 'utf8')
      .split('\n')
      .filter(l => {
        if (l.startsWith('[')) skip = /dev-dependencies|^\[\[(bench|test|example)\]\]/.test(l);
        return !skip;
      });
    fs.writeFileSync(path.join(dir, 'Cargo.toml'), toml.join('\n'));
    fs.cpSync(path.join(REPO, 'examples', 'ddsplit', '.cargo'), path.join(dir, '.cargo'), {
      recursive: true,
    });
    const r = await runExact({ crateDir: dir, noCache: true });
    const index = await loadWorkspace(dir);
    const report = compareExact(r, index.typeDefs(), new LayoutEngine(index), index);
    assert.ok(
      report.map.own.length >= 5,
      `own types: ${report.map.own.map(m => m.exact.name).join(', ')}`,
    );
    assert.deepEqual(
      report.map.unmapped.map(m => m.exact.name),
      [],
    );
    assert.ok(report.map.mapped.some(m => m.path === 'bytes::bytes::Bytes' && m.exact.size === 32));
    assert.deepEqual(
      report.disagreements.map(
        d =>
          `${d.name}: rustc ${d.exact.size}/${d.exact.align}, engine ${d.estimate.size}/${d.estimate.align}`,
      ),
      [],
    );
    fs.rmSync(exactTargetDir(dir), { recursive: true, force: true });
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  },
);
