import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { capture } from '../helpers/capture';

const fixture = path.resolve(__dirname, '../../../../test/fixtures/futures-service');

test('futures --json: the documented shape, largest first, lines relative to the crate root', async () => {
  const c = capture();
  assert.equal(await main(['futures', fixture, '--json'], c.io), 0, c.err());
  const j = JSON.parse(c.out()) as { root: string; futures: Record<string, unknown>[] };
  assert.equal(j.root, fixture);
  const sizes = j.futures.map(f => f.size as number);
  assert.deepEqual(
    sizes,
    [...sizes].sort((a, b) => b - a),
  );
  const rf = j.futures.find(f => f.fn === 'futures_service::conn::read_frame')!;
  assert.deepEqual(
    {
      fn: rf.fn,
      file: rf.file,
      line: rf.line,
      column: rf.column,
      kind: rf.kind,
      size: rf.size,
      align: rf.align,
      status: rf.status,
    },
    {
      fn: 'futures_service::conn::read_frame',
      file: 'src/conn.rs',
      line: 11,
      column: 14,
      kind: 'async-fn',
      size: 16432,
      align: 8,
      status: 'estimate',
    },
  );
  const awaits = rf.awaits as { line: number; callee: string; size: number }[];
  assert.deepEqual(
    awaits.map(a => [a.line, a.callee, a.size]),
    [
      [13, 'tokio::io::AsyncReadExt::read', 24],
      [14, 'tokio::io::AsyncReadExt::read_u32', 16],
    ],
  );
  const block = j.futures.find(
    f => f.kind === 'async-block' && f.file === 'src/server.rs' && f.line === 41,
  )!;
  assert.equal(block.column, 26);
  assert.equal(block.fn, 'futures_service::server::spawn_workers::{async block}');
  assert.ok(j.futures.some(f => f.kind === 'async-closure'));
});

test('futures: bad input gets exit code 2 and a message', async () => {
  const c = capture();
  assert.equal(await main(['futures', '/nonexistent/x'], c.io), 2);
  assert.match(c.err(), /no such file or directory/);
  const d = capture();
  assert.equal(await main(['futures'], d.io), 2);
  assert.match(d.err(), /usage: alloc-lens futures/);
});

test(
  'futures --exact on a single file: rustc confirms every non-generic body, drift and suspend variants reported',
  { timeout: 120_000 },
  async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-fut-exact-'));
    const file = path.join(dir, 'lib.rs');
    fs.writeFileSync(
      file,
      'pub async fn leaf() {}\npub async fn big() -> u8 { let b = [0u8; 5000]; leaf().await; b[0] }\npub async fn top(x: u64) -> u64 { big().await as u64 + x }\n',
    );
    const c = capture();
    assert.equal(await main(['futures', file, '--exact', '--json'], c.io), 0, c.err());
    const j = JSON.parse(c.out()) as {
      futures: {
        fn: string;
        size: number;
        status: string;
        estimate?: number;
        variants?: { name: string; awaitee?: { size: number } }[];
      }[];
    };
    assert.deepEqual(
      j.futures.map(f => f.status),
      ['exact', 'exact', 'exact'],
    );
    const top = j.futures.find(f => f.fn.endsWith('::top'))!;
    const big = j.futures.find(f => f.fn.endsWith('::big'))!;
    assert.equal(top.variants![0].awaitee!.size, big.size);
    assert.ok(
      Math.abs(top.estimate! - top.size) <= 0.25 * top.size,
      `${top.estimate} vs ${top.size}`,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  },
);

test(
  'futures --exact reports the drift between the estimate and rustc, in JSON and in text',
  { timeout: 120_000 },
  async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-fut-drift-'));
    const file = path.join(dir, 'lib.rs');
    // `arm`: a match-arm binding (`Some(b)`) held across the await is not a local of the syntax
    // scan: the estimate (544 B: the scrutinee temporary only) misses it (rustc 1,056 B).
    // `cond`: a value with a destructor moved on one branch only: rustc keeps it (and a drop
    // flag) in the future; this drifted by -512 B before maybe-moved locals were modelled.
    fs.writeFileSync(
      file,
      `use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
pub struct Y(bool);
impl Future for Y {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 { Poll::Ready(()) } else { self.0 = true; Poll::Pending }
    }
}
pub struct Big(pub [u8; 512]);
impl Drop for Big { fn drop(&mut self) {} }
pub fn eat(_b: Big) {}
pub async fn leaf(x: u64) -> u64 { Y(false).await; x }
pub async fn cond(b: bool) -> u64 { let v = Big([0u8; 512]); if b { eat(v); } leaf(1).await }
pub fn get_big(_k: u64) -> Option<Big> { None }
pub async fn arm() -> u64 { match get_big(1) { Some(b) => { leaf(1).await; eat(b); 0 } None => 0 } }
`,
    );
    const j = capture();
    assert.equal(await main(['futures', file, '--exact', '--json'], j.io), 0, j.err());
    const fut = (
      JSON.parse(j.out()) as {
        futures: { fn: string; size: number; status: string; estimate?: number }[];
      }
    ).futures;
    const t = capture();
    assert.equal(await main(['futures', file, '--exact'], t.io), 0, t.err());
    const differ = fut.filter(f => f.estimate !== undefined && f.estimate !== f.size);
    const cond = fut.find(f => f.fn.endsWith('::cond'))!;
    assert.deepEqual(
      [cond.estimate, cond.size],
      [544, 544],
      'the maybe-moved Drop value and its drop flag are counted: no drift',
    );
    assert.ok(
      differ.length > 0,
      `no estimate differs from rustc here any more (good news): pick another case for this test\n${t.out()}`,
    );
    assert.match(
      t.err(),
      new RegExp(
        `rustc confirmed ${fut.length} of ${fut.length} futures \\(${differ.length} estimates differed\\)`,
      ),
    );
    for (const f of fut) {
      assert.equal(f.status, 'exact', f.fn);
      assert.ok(f.estimate !== undefined, `${f.fn} keeps its estimate`);
    }
    const fmt = (n: number) => n.toLocaleString('en-US');
    for (const f of differ) {
      const d = f.estimate! - f.size;
      assert.ok(t.out().includes(`${f.fn}  (async-fn, lib.rs:`), t.out());
      assert.ok(
        t
          .out()
          .includes(`  estimate was ${fmt(f.estimate!)} B (drift ${d > 0 ? '+' : ''}${fmt(d)} B)`),
        t.out(),
      );
    }
    fs.rmSync(dir, { recursive: true, force: true });
  },
);
