/**
 * Heap profiles against independent oracles. Fixtures are real recordings of three small Rust
 * programs (test/fixtures/heap/<program>: a rayon pipeline, a serde_json batch, a string-building
 * job) under `valgrind --tool=dhat` and `heaptrack`, plus pprof files written from the heaptrack
 * data by scripts/heaptrack-to-pprof.mjs. The oracles here read the raw files with their own
 * few lines of code (JSON.parse / line splitting), not with the importers under test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../../src/core/rules/types';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decompress } from 'fzstd';
import { Profile, ValueType, StringTable } from 'pprof-format';
import { analyzeHeap, type HeapAnalysis } from '../../../src/profile/heap/analyze';
import { detectImporter, importAny } from '../../../src/profile/import';
import { importDhat, parseDhatFrame } from '../../../src/profile/heap/dhat';
import { dhatOracle, type Oracle } from '../helpers/heap-oracle';
import { addHeapCounts, emptyHeapCounts } from '../../../src/profile/heap/model';
import { CUT_FRAME, HeapCallTree } from '../../../src/profile/heap/tree';

const FIX = path.resolve(__dirname, '../../../../test/fixtures/heap');
const PROGRAMS = ['pipeline', 'jsonbatch', 'strbuild'] as const;

/** heaptrack: allocations (`+`) per allocation info times its size; sums per innermost main.rs line. */
function heaptrackOracle(file: string): Oracle {
  const text = Buffer.from(decompress(fs.readFileSync(file))).toString('utf8');
  const strings = [''];
  const ips: number[][][] = [[]];
  const traces: [number, number][] = [[0, 0]];
  const infos: { size: number; trace: number; n: number }[] = [];
  for (const l of text.split('\n')) {
    const p = l.split(' ');
    const h = (s: string) => parseInt(s, 16);
    if (p[0] === 's') strings.push(l.slice(l.indexOf(' ', 2) + 1));
    else if (p[0] === 'i') {
      const fr: number[][] = [];
      for (let j = 3; j + 2 < p.length; j += 3) fr.push([h(p[j]), h(p[j + 1]), h(p[j + 2])]);
      ips.push(fr);
    } else if (p[0] === 't') traces.push([h(p[1]), h(p[2])]);
    else if (p[0] === 'a') infos.push({ size: h(p[1]), trace: h(p[2]), n: 0 });
    else if (p[0] === '+') infos[h(p[1])].n++;
  }
  const lines = new Map<number, { bytes: number; blocks: number; peak: number; end: number }>();
  let totalBytes = 0;
  for (const a of infos) {
    totalBytes += a.n * a.size;
    let line = 0;
    for (let t = a.trace; t > 0 && !line; t = traces[t][1]) {
      for (const [, file, ln] of ips[traces[t][0]]) {
        if (strings[file] === 'src/main.rs' || strings[file]?.endsWith('/src/main.rs')) {
          line = ln;
          break;
        }
      }
    }
    if (!line) continue;
    const e = lines.get(line) ?? { bytes: 0, blocks: 0, peak: 0, end: 0 };
    e.bytes += a.n * a.size;
    e.blocks += a.n;
    lines.set(line, e);
  }
  return { lines, totalBytes };
}

const top = (o: Oracle, n: number) =>
  [...o.lines]
    .sort((a, b) => b[1].bytes - a[1].bytes || b[1].blocks - a[1].blocks || a[0] - b[0])
    .slice(0, n);
const analyses = new Map<string, HeapAnalysis>();
async function analysis(file: string, program: string): Promise<HeapAnalysis> {
  const key = `${program}/${file}`;
  let a = analyses.get(key);
  if (!a) {
    a = await analyzeHeap(path.join(FIX, program, file), { root: path.join(FIX, program), top: 0 });
    analyses.set(key, a);
  }
  return a;
}

for (const prog of PROGRAMS) {
  test(`DHAT ${prog}: top-10 lines by bytes and their bytes, blocks, peak and exit bytes equal an independent reading of the file`, async () => {
    const oracle = dhatOracle(path.join(FIX, prog, 'dhat.json.gz'));
    const a = await analysis('dhat.json.gz', prog);
    const want = top(oracle, 10);
    assert.ok(want.length >= 3, `${prog}: the oracle found ${want.length} lines`);
    const got = a.report.hotLines.slice(0, want.length);
    assert.deepEqual(
      got.map(l => `${l.file}:${l.line}`),
      want.map(([line]) => `src/main.rs:${line}`),
    );
    for (let i = 0; i < want.length; i++) {
      const [, w] = want[i];
      assert.equal(got[i].heap.bytes, w.bytes, `bytes of ${got[i].file}:${got[i].line}`);
      assert.equal(got[i].heap.blocks, w.blocks);
      assert.equal(got[i].heap.peakBytes, w.peak);
      assert.equal(got[i].heap.endBytes, w.end);
    }
    assert.equal(a.report.totals.bytes, oracle.totalBytes);
    const s = a.report.sourceShares;
    assert.ok(
      s.workspace + s.dependencies >= 0.95,
      `${prog}: ${(100 * (s.workspace + s.dependencies)).toFixed(2)} % of source bytes on workspace lines or named dependencies`,
    );
  });

  test(`heaptrack and pprof ${prog}: totals equal an independent reading; top lines agree with DHAT`, async () => {
    const ht = await analysis(`heaptrack.${prog}.zst`, prog);
    const pp = await analysis(`${prog}.pb.gz`, prog);
    const dh = await analysis('dhat.json.gz', prog);
    const oracle = heaptrackOracle(path.join(FIX, prog, `heaptrack.${prog}.zst`));
    assert.equal(ht.report.totals.bytes, oracle.totalBytes);
    const hs = ht.report.sourceShares;
    assert.ok(
      hs.workspace + hs.dependencies >= 0.95,
      `heaptrack ${prog}: ${hs.workspace + hs.dependencies}`,
    );
    for (const [line, w] of top(oracle, 10)) {
      const l = ht.report.hotLines.find(h => h.file === 'src/main.rs' && h.line === line);
      assert.ok(l, `heaptrack: src/main.rs:${line} is missing`);
      assert.equal(l.heap.bytes, w.bytes);
      assert.equal(l.heap.blocks, w.blocks);
    }
    // pprof written from the same heaptrack data: the same lines with the same numbers.
    assert.deepEqual(
      pp.report.hotLines.slice(0, 10).map(l => [l.file, l.line, l.heap.bytes, l.heap.blocks]),
      ht.report.hotLines.slice(0, 10).map(l => [l.file, l.line, l.heap.bytes, l.heap.blocks]),
    );
    // heaptrack vs DHAT (two runs, two tools): the same top-3 lines in the same order. Their bytes
    // summed agree within 2 %; single lines may differ where the two symbolizers resolve inlining
    // differently (jsonbatch: heaptrack puts 1.02 MB of encode's serialize on the derive line 5).
    const key = (l: { file: string; line: number }) => `${l.file}:${l.line}`;
    assert.deepEqual(
      ht.report.hotLines.slice(0, 3).map(key),
      dh.report.hotLines.slice(0, 3).map(key),
    );
    const sum = (a: HeapAnalysis) =>
      a.report.hotLines.slice(0, 3).reduce((s, l) => s + l.heap.bytes, 0);
    assert.ok(
      Math.abs(sum(ht) - sum(dh)) <= 0.02 * sum(dh),
      `top-3 bytes: heaptrack ${sum(ht)} vs DHAT ${sum(dh)}`,
    );
  });
}

test('diagnostics: churn, growth, peak holder and leak land on the lines that do it, with advice', async () => {
  const s = await analysis('dhat.json.gz', 'strbuild');
  const has = (a: HeapAnalysis, code: string, line: number) =>
    a.report.diagnostics.find(d => d.code === code && d.file === 'src/main.rs' && d.line === line);
  assert.ok(has(s, 'heap-churn', 6)?.advice.includes('clear()'), 'format! per row: churn');
  assert.ok(
    has(s, 'heap-growth', 13)?.advice.includes('with_capacity'),
    'push_str without reserve: growth',
  );
  assert.ok(has(s, 'heap-leak', 27), 'Box::leak: live at exit');
  assert.ok(!has(s, 'heap-growth', 19), 'String::with_capacity: no growth');
  const p = await analysis('dhat.json.gz', 'pipeline');
  assert.ok(has(p, 'heap-peak', 7), 'the 1 MiB frames hold the peak');
  assert.ok(has(p, 'heap-churn', 16), 'the 118-byte records churn');
  assert.ok(!has(p, 'heap-churn', 7), 'the frames are few and big: not churn');
  assert.ok(
    !has(p, 'heap-leak', 38),
    "rayon's global thread pool, live at exit inside rayon-core: not the workspace's leak",
  );
  const h = await analysis('heaptrack.strbuild.zst', 'strbuild');
  assert.ok(has(h, 'heap-churn', 6), 'heaptrack: churn from temporary allocations');
  // bytes decide the order
  const bytes = s.report.diagnostics.map(d => d.bytes);
  assert.deepEqual(
    bytes,
    [...bytes].sort((x, y) => y - x),
  );
});

test('a basename-only std frame (`mod.rs`) is never charged to a workspace file of that name', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heap-modrs-'));
  fs.cpSync(path.join(FIX, 'strbuild'), tmp, { recursive: true });
  fs.mkdirSync(path.join(tmp, 'src', 'util'));
  fs.writeFileSync(
    path.join(tmp, 'src', 'util', 'mod.rs'),
    Array.from({ length: 3000 }, (_, i) => `// ${i}`).join('\n'),
  );
  const a = await analyzeHeap(path.join(tmp, 'dhat.json.gz'), { root: tmp, top: 0 });
  assert.deepEqual(
    a.report.hotLines.filter(l => l.file !== 'src/main.rs').map(l => `${l.file}:${l.line}`),
    [],
  );
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('exports: speedscope byte views (total, at peak, at exit) and folded stacks sum to the totals', async () => {
  const a = await analysis('dhat.json.gz', 'pipeline');
  const sp = a.speedscope(true);
  assert.deepEqual(
    sp.profiles.map(p => p.name),
    ['Bytes allocated (total)', 'Bytes live at the peak', 'Bytes live at exit'],
  );
  assert.equal(sp.profiles[0].endValue, a.report.totals.bytes);
  assert.equal(sp.profiles[1].endValue, a.report.totals.peakBytes);
  assert.equal(sp.profiles[2].endValue, a.report.totals.endBytes);
  assert.ok(
    sp.shared.frames.some(
      f => f.file === path.join(FIX, 'pipeline', 'src/main.rs') && f.line === 7,
    ),
  );
  const folded = a.folded();
  assert.equal(
    folded.reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0),
    a.report.totals.bytes,
  );
  assert.equal(a.attribution.tree.cutStacks, 0, 'a real recording fits the call tree whole');
});

test('call tree: equal stack prefixes merge; past the node limit a stack lands on a [stacks cut] node with its bytes', () => {
  const t = new HeapCallTree(8); // 8 nodes: frames while fewer than 7, then [stacks cut] nodes
  t.add([3, 2, 1], 10, 1, 0); // root 1 2 3
  t.add([4, 2, 1], 5, 0, 2); // 4 under 2
  t.add([6, 5], 3, 0, 0); // root 5 6: 7 nodes
  t.add([7, 2, 1], 7, 0, 0); // no room for 7: a [stacks cut] node under 2 (the 8th node)
  t.add([9, 8], 4, 0, 0); // no room for 8 nor for a cut node, but the root always gets one
  t.add([10, 5], 2, 0, 1); // no room under 5: the nearest ancestor's cut node (the root's)
  t.add([3, 2, 1], 1, 0, 0); // an existing path: merged
  const rows: [number[], number, number, number][] = [];
  for (let n = 0; n < t.size; n++)
    if (t.weight[3 * n] || t.weight[3 * n + 1] || t.weight[3 * n + 2])
      rows.push([t.path(n), t.weight[3 * n], t.weight[3 * n + 1], t.weight[3 * n + 2]]);
  assert.deepEqual(rows, [
    [[1, 2, 3], 11, 1, 0],
    [[1, 2, 4], 5, 0, 2],
    [[5, 6], 3, 0, 0],
    [[1, 2, CUT_FRAME], 7, 0, 0],
    [[CUT_FRAME], 6, 0, 1],
  ]);
  assert.equal(t.size, 9);
  assert.equal(t.cutStacks, 3);
  assert.equal(t.cutBytes, 13);
});

test('the registry picks the importer by content; perf formats keep theirs', async () => {
  const ids = async (f: string) => (await detectImporter(f)).importer.id;
  assert.equal(await ids(path.join(FIX, 'strbuild', 'dhat.json.gz')), 'dhat');
  assert.equal(await ids(path.join(FIX, 'strbuild', 'heaptrack.strbuild.zst')), 'heaptrack');
  assert.equal(await ids(path.join(FIX, 'strbuild', 'strbuild.pb.gz')), 'pprof');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heap-sniff-'));
  const renamed = path.join(tmp, 'profile.bin');
  fs.copyFileSync(path.join(FIX, 'strbuild', 'heaptrack.strbuild.zst'), renamed);
  assert.equal(
    await ids(renamed),
    'heaptrack',
    'zstd content starting with `v ` is heaptrack whatever the name',
  );
  const folded = path.join(tmp, 'x.folded');
  fs.writeFileSync(folded, 'main;a;b 10\nmain;c 5\n');
  assert.equal(await ids(folded), 'folded');
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('bad input: truncated JSON, wrong dhatFileVersion, heaptrack without symbols, unknown pprof sample type', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heap-bad-'));
  const json = gunzipSync(fs.readFileSync(path.join(FIX, 'pipeline', 'dhat.json.gz'))).toString(
    'utf8',
  );
  const cut = path.join(tmp, 'cut.json');
  fs.writeFileSync(cut, json.slice(0, Math.floor(json.indexOf('"ftbl"') / 2)));
  await assert.rejects(
    importAny(cut),
    /truncated DHAT JSON: the file ends inside "pps" after \d+ elements/,
  );
  const v3 = path.join(tmp, 'v3.json');
  fs.writeFileSync(v3, json.replace('"dhatFileVersion":2', '"dhatFileVersion":3'));
  await assert.rejects(importAny(v3), /dhatFileVersion 3 is not supported/);
  const copy = path.join(tmp, 'copy.json');
  fs.writeFileSync(copy, json.replace('"mode":"heap"', '"mode":"copy"'));
  await assert.rejects(importAny(copy), /"copy"-mode profile/);
  const nosym = path.join(tmp, 'heaptrack.app.1.gz');
  fs.writeFileSync(
    nosym,
    gzipSync('v 10400 3\nX ./app\ns 5 ./app\ni 1000 1\nt 1 0\na 20 1\n+ 0\n- 0\n'),
  );
  await assert.rejects(importAny(nosym), /heaptrack file without symbols/);
  // File version 2 (heaptrack 1.1-1.3): strings without a length prefix, spaces kept.
  const v2 = path.join(tmp, 'heaptrack.old.2.gz');
  fs.writeFileSync(
    v2,
    gzipSync(
      'v 10300 2\nX ./app\ns ./app\ns app::main\ns src/main.rs\ns operator new(unsigned long)\ni 1000 1 2 3 7\nt 1 0\na 20 1\n+ 0\n+ 0\n- 0\n',
    ),
  );
  const old = await importAny(v2);
  assert.ok(old.kind === 'heap');
  assert.deepEqual(
    old.heap.frames.map(f => [f.name, f.file, f.line]),
    [['app::main', 'src/main.rs', 7]],
  );
  assert.equal(old.heap.totals().bytes, 64);
  assert.equal(old.heap.totals().endBytes, 32);
  assert.equal(old.heap.peakTotal, 64);
  const st = new StringTable();
  const cpu = new Profile({
    sampleType: [
      new ValueType({ type: st.dedup('samples'), unit: st.dedup('count') }),
      new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') }),
    ],
    stringTable: st,
  });
  const cpuFile = path.join(tmp, 'cpu.pb.gz');
  fs.writeFileSync(cpuFile, gzipSync(cpu.encode()));
  await assert.rejects(importAny(cpuFile), /pprof sample types "samples", "cpu" are not heap data/);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('DHAT streaming: elements cut across tiny chunks, and odd program points (strings, exponents) read the same', async () => {
  const file = path.join(FIX, 'jsonbatch', 'dhat.json.gz');
  const whole = await importDhat(file, true);
  for (const chunkSize of [7, 97, 1009, 4093]) {
    const cut = await importDhat(file, true, { chunkSize });
    assert.equal(cut.siteCount, whole.siteCount, `chunks of ${chunkSize}`);
    assert.deepEqual(await cut.readTotals(), await whole.readTotals(), `chunks of ${chunkSize}`);
  }
  // An uncompressed file is read into one reused buffer: what a chunk leaves open (a header
  // member, a program point, a frame string cut in two) must be copied, not referenced.
  const tmpPlain = fs.mkdtempSync(path.join(os.tmpdir(), 'heap-plain-'));
  const plain = path.join(tmpPlain, 'dhat.json');
  fs.writeFileSync(plain, gunzipSync(fs.readFileSync(file)));
  const wholeTotals = await whole.readTotals();
  for (const chunkSize of [7, 97, 4093]) {
    const cut = await importDhat(plain, false, { chunkSize });
    assert.equal(cut.siteCount, whole.siteCount, `plain, chunks of ${chunkSize}`);
    assert.deepEqual(cut.frames, whole.frames, `plain, chunks of ${chunkSize}`);
    assert.deepEqual(await cut.readTotals(), wholeTotals, `plain, chunks of ${chunkSize}`);
  }
  fs.rmSync(tmpPlain, { recursive: true, force: true });
  // The sites are not held: a second pass streams them from the file, and sums to the first's totals.
  assert.throws(() => whole.sites, /streams its sites/);
  const again = emptyHeapCounts();
  let n = 0;
  await whole.forEachSite(s => {
    addHeapCounts(again, s);
    n++;
  });
  assert.equal(n, whole.siteCount);
  assert.deepEqual(again, whole.totals());
  // A program point the byte reader refuses (a string member, an exponent) goes through JSON.parse.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heap-odd-'));
  const odd = path.join(tmp, 'odd.json');
  fs.writeFileSync(
    odd,
    '{"dhatFileVersion":2,"mode":"heap","tu":"µs","te":1000,"pps":[{"tb":1e3,"tbk":2,"note":"x}]","fs":[1,2]},{"tb":5,"tbk":1,"fs":[2]}],"ftbl":["[root]","0x1: a::b (src/x.rs:3:9)","0x2: main (in /bin/app)"]}',
  );
  const h = await importDhat(odd, false);
  // The import skips the program points: totals are summed by the first pass over the sites.
  assert.throws(() => h.totals(), /summed by its first pass/);
  assert.equal((await h.readTotals()).bytes, 1005);
  assert.equal(h.totals().blocks, 3);
  assert.deepEqual(
    h.frames.map(f => [f.name, f.file, f.line, f.object]),
    [
      ['a::b', 'src/x.rs', 3, undefined],
      ['main', undefined, undefined, '/bin/app'],
    ],
  );
  const stacks: number[][] = [];
  await h.forEachSite(s => stacks.push(Array.from(s.frames)));
  assert.deepEqual(stacks, [[0, 1], [1]]);
  // Re-recorded between the import and the second pass: refused, not read as the old profile.
  fs.writeFileSync(odd, fs.readFileSync(odd, 'utf8').replace('"tb":5,', '"tb":6,  '));
  await assert.rejects(
    h.forEachSite(() => {}),
    /changed after it was imported/,
  );
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('DHAT frame strings: file:line[:col], objects, generics with " (" inside, mangled names', () => {
  assert.deepEqual(parseDhatFrame('0x11DB1E: strbuild::main (main.rs:32)'), {
    name: 'strbuild::main',
    file: 'main.rs',
    line: 32,
    object: undefined,
  });
  assert.deepEqual(parseDhatFrame('0x1: f (C:/src/a.rs:4:7)'), {
    name: 'f',
    file: 'C:/src/a.rs',
    line: 4,
    object: undefined,
  });
  assert.deepEqual(
    parseDhatFrame('0x48417B4: malloc (in /usr/libexec/valgrind/vgpreload_dhat-amd64-linux.so)')
      .object,
    '/usr/libexec/valgrind/vgpreload_dhat-amd64-linux.so',
  );
  const g = parseDhatFrame(
    '0x145FA7: call_once<fn(&str) -> alloc::boxed::Box<str, alloc::alloc::Global>, (&str)> (function.rs:250)',
  );
  assert.equal(
    g.name,
    'call_once<fn(&str) -> alloc::boxed::Box<str, alloc::alloc::Global>, (&str)>',
  );
  assert.equal(g.line, 250);
  assert.equal(
    parseDhatFrame('0x1: _ZN4core3ptr13drop_in_place17h0123456789abcdefE (mod.rs:1)').name,
    'core::ptr::drop_in_place',
  );
  assert.equal(parseDhatFrame('0x1: ??? (in /lib/x.so)').name, '[unknown]');
});

test('dhat-rs output (mode "rust-heap", µs, file:line:col frames, no access data) imports', async () => {
  // Shaped like dhat-rs's own test (nnethercote/dhat-rs tests/heap.rs): not a recording.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heap-dhatrs-'));
  fs.mkdirSync(path.join(tmp, 'src'));
  fs.writeFileSync(path.join(tmp, 'Cargo.toml'), '[package]\nname = "heap"\nversion = "0.1.0"\n');
  fs.writeFileSync(
    path.join(tmp, 'src', 'main.rs'),
    Array.from({ length: 50 }, (_, i) =>
      i === 37 ? 'fn main() { let v5 = vec![0u8; 1000]; }' : '//',
    ).join('\n'),
  );
  const file = path.join(tmp, 'dhat-heap.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      dhatFileVersion: 2,
      mode: 'rust-heap',
      verb: 'Allocated',
      bklt: true,
      bkacc: false,
      tu: 'µs',
      Mtu: 's',
      tuth: 10,
      cmd: 'target/debug/heap',
      pid: 42,
      tg: 100,
      te: 200,
      pps: [
        { tb: 1000, tbk: 1, tl: 50, mb: 1000, mbk: 1, gb: 1000, gbk: 1, eb: 0, ebk: 0, fs: [1, 2] },
        { tb: 32, tbk: 1, tl: 150, mb: 32, mbk: 1, gb: 32, gbk: 1, eb: 32, ebk: 1, fs: [3] },
      ],
      ftbl: [
        '[root]',
        '0x55f4f2e3f5e6: alloc::vec::from_elem (/rustc/abc/library/alloc/src/vec/mod.rs:2525:5)',
        '0x55f4f2e3f000: heap::main (src/main.rs:38:18)',
        '0x55f4f2e3f111: alloc::vec::Vec<T,A>::push (/rustc/abc/library/alloc/src/vec/mod.rs:1800:13)',
      ],
    }),
  );
  const a = await analyzeHeap(file, { root: tmp, top: 0 });
  assert.equal(a.report.timeUnit, 'µs');
  assert.ok(!a.report.measures.includes('access'));
  assert.deepEqual(
    a.report.hotLines.map(l => [l.file, l.line, l.heap.bytes, l.heap.avgLifetime, l.via[0]?.crate]),
    [['src/main.rs', 38, 1000, 50, 'std']],
  );
  assert.equal(a.report.dependencies[0].crate, 'std');
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('heap confirmation: a clone-hotspot finding on a line that allocates is raised, with its measured bytes', async () => {
  const root = path.join(FIX, 'jsonbatch');
  // `let mut key = region.clone(); key.push_str(..); map.entry(key)` needs its owned key, so the
  // rules (rightly) do not flag it: the finding is given here to test the heap confirmation alone.
  const finding: Finding = {
    code: 'clone-hotspot',
    severity: 'warning',
    message: '`region.clone()` allocates a `String` on every loop iteration',
    range: {
      file: path.join(root, 'src', 'main.rs'),
      line: 43,
      column: 27,
      endLine: 43,
      endColumn: 41,
    },
    related: [],
    fixes: [],
    data: { kind: 'clone', method: 'clone', receiverKind: 'String', guessed: false, inLoop: true },
  };
  const a = await analyzeHeap(path.join(root, 'dhat.json.gz'), {
    root,
    findings: [finding],
    top: 0,
  });
  assert.equal(
    (
      await analyzeHeap(path.join(root, 'dhat.json.gz'), { root, check: true, top: 0 })
    ).confirmations?.some(x => x.finding.code === 'clone-hotspot' && x.finding.range.line === 43),
    false,
    'the rules do not flag a clone whose owned value is needed',
  );
  const oracle = dhatOracle(path.join(root, 'dhat.json.gz'));
  const c = a.confirmations?.find(
    x => x.finding.code === 'clone-hotspot' && x.finding.range.line === 43,
  );
  assert.ok(
    c,
    `clone-hotspot at src/main.rs:43: ${JSON.stringify(a.confirmations?.map(x => [x.finding.code, x.finding.range.line]))}`,
  );
  assert.equal(
    c.samples,
    oracle.lines.get(43)!.bytes,
    'measured bytes = the bytes DHAT charges to that line',
  );
  assert.equal(c.confirmed, true);
  assert.equal(c.severity, 'error');
  assert.match(
    c.note,
    /^confirmed by heap profile: \d+\.\d% of allocated bytes \(92,000 at src\/main\.rs:43\)/,
  );
});
