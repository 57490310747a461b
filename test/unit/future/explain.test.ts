import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWorkspace, buildIndexFromSources } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import { FutureAnalyzer } from '../../../src/core/future/analyze';
import { explainFutureMarkdown } from '../../../src/core/future/explain';
import { futureAround, onAsyncSignature } from '../../../src/core/future/present';
import { parsePrintTypeSizes } from '../../../src/core/exact/print-type-sizes';

const repo = path.resolve(__dirname, '../../../..');
const fixture = path.join(repo, 'test/fixtures/futures-service');
const num = (s: string) => Number(s.replace(/,/g, ''));

test('Explain Future Size on echo: prefix + largest variant = size, each suspend variant and __awaitee as rustc lays them out, the awaitee tree, what boxing leaves', async () => {
  const index = await loadWorkspace(fixture);
  const engine = new LayoutEngine(index);
  const conn = path.join(fixture, 'src/conn.rs');
  // The cursor anywhere in the fn (here inside the loop body) explains the fn.
  const f = futureAround(index, engine, conn, 28, 9)!;
  assert.equal(f.fn, 'futures_service::conn::echo');
  const md = explainFutureMarkdown(f, fixture);
  assert.match(md, /^\*\*Future of `echo`\*\* \(async fn, src\/conn\.rs:24\)/);
  assert.match(md, /^\/\/ size = 16,520 \(0x4088\), align = 8$/m);
  // prefix + the largest variant's own bytes = the variant, and the size is that rounded up.
  const sm =
    /prefix ([\d,]+) B \(captured 40 B \+ 1 B state tag \+ promoted `stream`, `count`\) \+ largest suspend variant ([\d,]+) B \(`\.await` at line 27, conn::read_frame\) = ([\d,]+) B → 16,520 B at align 8\./.exec(
      md,
    );
  assert.ok(sm, md);
  assert.equal(num(sm[1]) + num(sm[2]), num(sm[3]));
  assert.equal(Math.ceil(num(sm[3]) / 8) * 8, 16520);
  // The variants against the committed rustc layout of the same body (-Zprint-type-sizes).
  const truth = parsePrintTypeSizes(
    fs.readFileSync(path.join(repo, 'test/fixtures/futures-truth/futures-service.txt'), 'utf8'),
  );
  const body = truth.asyncBodies.find(b => /conn::echo\(\)/.test(b.name))!;
  const rows = [...md.matchAll(/^(?:▶ )?Suspend(\d) +(\d+) +(\S+) +([\d,]+) +(.+?) +([\d,]+)$/gm)];
  assert.equal(rows.length, 2, md);
  for (const r of rows) {
    const v = body.variants!.find(x => x.name === `Suspend${r[1]}`)!;
    const aw = v.fields.find(x => x.name === '__awaitee')!;
    assert.equal(num(r[4]), aw.size, `Suspend${r[1]} __awaitee`);
    // rustc prints a variant without its trailing padding.
    assert.ok(
      num(r[6]) >= v.size && num(r[6]) - v.size < 8,
      `Suspend${r[1]}: ${r[6]} vs rustc ${v.size}`,
    );
  }
  assert.match(md, /^Suspend1 +31 +conn::write_frame +64 +f: Frame \(32\) +184$/m);
  assert.match(md, /^promoted local +count +i32 +4$/m);
  // The tree goes into read_frame and shows the 16 KB buffer it holds across its awaits.
  assert.match(
    md,
    /^├─ line 27 \.await conn::read_frame: 16,432 B \[src\/conn\.rs:11\], holding stream \(40 B\), count \(4 B\)$/m,
  );
  assert.match(md, /^│  ├─ line 13 \.await AsyncReadExt::read: 24 B, holding buf \(16,384 B\)/m);
  assert.match(
    md,
    /^- `Box::pin\(conn::read_frame\(\.\.\)\)\.await` at line 27: 16,520 B → ≈ 184 B$/m,
  );
  const rf = explainFutureMarkdown(futureAround(index, engine, conn, 11, 14)!, fixture);
  assert.match(rf, /^promoted local +buf +\[u8; 16384\] +16,384$/m);
  assert.match(
    rf,
    /^- box the local `buf` \(line 12, `let buf = Box::new\(\.\.\)`\): 16,432 B → ≈ \d+ B$/m,
  );
});

test('Explain Future Size: async blocks, signatures, unknown awaitees, no future', () => {
  const text = `pub async fn leaf() {}
pub async fn ext(c: &Client) -> u8 {
    let buf = [0u8; 100];
    c.fetch_remote().await;
    buf[0]
}
pub fn make() -> impl std::future::Future<Output = u8> {
    async {
        let x = [0u8; 300];
        leaf().await;
        x[1]
    }
}
pub fn plain() -> u8 { 1 }
`;
  const file = '/w/src/lib.rs';
  const index = buildIndexFromSources([{ path: file, text }], { crateName: 'w' });
  const engine = new LayoutEngine(index);
  const analyzer = new FutureAnalyzer(index, engine);
  const ext = futureAround(index, engine, file, 2, 3, analyzer)!;
  const md = explainFutureMarkdown(ext, '/w');
  assert.match(md, /^at least: unknown awaitees counted as 0 B: `\.fetch_remote\(\)`$/m);
  assert.match(md, /^\/\/ size = ≥ /m);
  assert.match(md, /^▶ Suspend0 +4 +\.fetch_remote\(\) +unknown +buf: \[u8; 100\] \(100\)/m);
  // Inside the async block of a plain fn: the block.
  const blk = futureAround(index, engine, file, 10, 9, analyzer)!;
  assert.equal(blk.kind, 'async-block');
  const bm = explainFutureMarkdown(blk, '/w');
  assert.match(bm, /^\*\*Future of `w::make::\{async block\}`\*\* \(async block, src\/lib\.rs:8\)/);
  assert.match(bm, /held across it \(B\)/);
  assert.match(bm, /x: \[u8; 300\] \(300\)/);
  assert.equal(futureAround(index, engine, file, 14, 12, analyzer), undefined);
  assert.deepEqual(
    [0, 1, 2, 6, 13].map(l => onAsyncSignature(index, file, l)),
    [true, true, false, false, false],
  );
});
