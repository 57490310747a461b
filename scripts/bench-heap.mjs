#!/usr/bin/env node
// Heap import benchmark (part of `npm run bench`). Generates, at bench time, from the real
// fixtures of test/fixtures/heap: (1) a >= 100 MB DHAT JSON (valgrind's layout: pps with
// stacks over the recording's own frame table plus synthetic workspace lines) and (2) a heaptrack
// file with 1,000,000 allocations (the recording's strings/ips/traces, then + and - lines),
// zstd-compressed. Imports and attributes each in a fresh process; reports time (wall and CPU) and
// peak RSS. DHAT runs at 1/4, 1/2, 1 and 2 x 100 MB: its program points are streamed, not held,
// so peak RSS must stay flat across sizes. Writes .bench/heap.json.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import os from 'node:os';

const repo = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const work = join(repo, '.bench', 'heap-tmp');
const fix = join(repo, 'test', 'fixtures', 'heap');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

function fail(msg) {
  console.error(`bench-heap: ${msg}`);
  process.exit(1);
}

// 1. DHAT: the pipeline recording's header and frame table; pps with 12..28-frame stacks drawn
// deterministically from it, each with a workspace frame `main.rs:<n>` near the top of the stack.
function makeDhat(file, targetMb) {
  const d = JSON.parse(
    gunzipSync(readFileSync(join(fix, 'pipeline', 'dhat.json.gz'))).toString('utf8'),
  );
  const ftbl = [...d.ftbl];
  const user = [];
  for (let n = 1; n <= 400; n++)
    user.push(
      ftbl.push(
        `0x${(0x125000 + n).toString(16).toUpperCase()}: pipeline::work_${n} (main.rs:${n})`,
      ) - 1,
    );
  const fd = openSync(file, 'w');
  writeSync(
    fd,
    `{"dhatFileVersion":2\n,"mode":"heap","verb":"Allocated"\n,"bklt":true,"bkacc":true\n,"tu":"instrs","Mtu":"Minstr"\n,"tuth":500\n,"cmd":"bench"\n,"pid":1\n,"te":${d.te}\n,"tg":${d.tg}\n,"pps":\n`,
  );
  let seed = 12345;
  const rnd = n => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  let bytes = 0;
  let pps = 0;
  const target = targetMb * 1e6;
  let buf = '';
  while (bytes < target) {
    const depth = 12 + rnd(17);
    const fs = [];
    for (let k = 0; k < depth; k++) fs.push(1 + rnd(d.ftbl.length - 1));
    fs[4 + rnd(6)] = user[rnd(user.length)];
    const tb = 16 + rnd(1 << 20);
    const tbk = 1 + rnd(5000);
    const pp = `${pps ? ' ,' : ' ['}{"tb":${tb},"tbk":${tbk}\n  ,"tl":${rnd(1e9)}\n  ,"mb":${rnd(tb)},"mbk":${rnd(tbk)}\n  ,"gb":${rnd(tb)},"gbk":${rnd(tbk)}\n  ,"eb":0,"ebk":0\n  ,"rb":${rnd(1e7)},"wb":${rnd(1e7)}\n  ,"fs":[${fs.join(',')}]\n  }\n`;
    buf += pp;
    bytes += pp.length;
    pps++;
    if (buf.length > 1 << 20) {
      writeSync(fd, buf);
      buf = '';
    }
  }
  buf += ' ]\n,"ftbl":\n';
  buf += ftbl.map((f, i) => `${i ? ' ,' : ' ['}${JSON.stringify(f)}\n`).join('') + ' ]\n}\n';
  writeSync(fd, buf);
  closeSync(fd);
  return pps;
}

// 2. heaptrack: the strbuild recording's strings/ips/traces/allocation infos, then `allocs`
// allocations spread over its infos, each freed after a few others (a realistic interleaving).
function makeHeaptrack(file, allocs) {
  const { decompress } = require('fzstd');
  const text = Buffer.from(
    decompress(readFileSync(join(fix, 'jsonbatch', 'heaptrack.jsonbatch.zst'))),
  ).toString('utf8');
  const head = text.split('\n').filter(l => /^[vXIsita]/.test(l));
  const infos = head.filter(l => l.startsWith('a ')).length;
  const plain = file.replace(/\.zst$/, '');
  const fd = openSync(plain, 'w');
  writeSync(fd, `${head.join('\n')}\n`);
  let seed = 7;
  const rnd = n => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const live = [];
  let out = '';
  for (let i = 0; i < allocs; i++) {
    const a = rnd(infos);
    out += `+ ${a.toString(16)}\n`;
    live.push(a);
    if (live.length > 64 || rnd(3) === 0)
      out += `- ${live.splice(rnd(live.length), 1)[0].toString(16)}\n`;
    if (i % 10000 === 0) out += `c ${(i / 1000).toString(16)}\n`;
    if (out.length > 1 << 20) {
      writeSync(fd, out);
      out = '';
    }
  }
  writeSync(fd, out);
  closeSync(fd);
  const z = spawnSync('zstd', ['-q', '-f', '--rm', '-3', plain, '-o', file]);
  if (z.status !== 0)
    fail('`zstd` is needed to compress the generated heaptrack file (apt-get install zstd)');
}

function run(file, what) {
  const code = `
    const { importAny } = require(${JSON.stringify(join(repo, 'out', 'src', 'profile', 'import.js'))});
    const { attributeHeap } = require(${JSON.stringify(join(repo, 'out', 'src', 'profile', 'heap', 'attribute.js'))});
    (async () => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await importAny(${JSON.stringify(file)});
      const importMs = performance.now() - t0;
      const cu = process.cpuUsage(c0);
      const importCpuMs = (cu.user + cu.system) / 1000;
      const t1 = performance.now();
      const c1 = process.cpuUsage();
      const a = await attributeHeap(r.heap, { root: ${JSON.stringify(join(fix, 'pipeline'))}, files: [${JSON.stringify(join(fix, 'pipeline', 'src', 'main.rs'))}] });
      const attributeMs = performance.now() - t1;
      const ca = process.cpuUsage(c1);
      const attributeCpuMs = (ca.user + ca.system) / 1000;
      const t = r.heap.totals();
      if (a.totals.bytes !== t.bytes || a.totals.blocks !== t.blocks) throw new Error('attribution totals differ from the import totals');
      process.stdout.write(JSON.stringify({ importMs, importCpuMs, attributeMs, attributeCpuMs, sites: r.heap.siteCount, blocks: t.blocks, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
    })().catch(e => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) fail(`${what}: import failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
const median = runs => runs.sort((a, b) => a.importMs - b.importMs)[1];

const dhatBig = join(work, 'big.dhat.json');
const pps = makeDhat(dhatBig, 100);
const dMb = statSync(dhatBig).size / 1e6;
const d = median([run(dhatBig, 'dhat'), run(dhatBig, 'dhat'), run(dhatBig, 'dhat')]);
// Other sizes, one at a time (the 200 MB file is only on disk while it is measured).
const sizes = {};
for (const [name, mb] of [
  ['quarter', 25],
  ['half', 50],
  ['double', 200],
]) {
  const f = join(work, `${name}.dhat.json`);
  const n = makeDhat(f, mb);
  sizes[name] = { mb, pps: n, ...run(f, 'dhat') };
  rmSync(f);
}
const dq = sizes.quarter;

const htBig = join(work, 'heaptrack.big.zst');
const htQuarter = join(work, 'heaptrack.quarter.zst');
makeHeaptrack(htBig, 1_000_000);
makeHeaptrack(htQuarter, 250_000);
const h = median([run(htBig, 'heaptrack'), run(htBig, 'heaptrack'), run(htBig, 'heaptrack')]);
const hq = run(htQuarter, 'heaptrack');

const result = {
  loadAverage: os.loadavg()[0],
  dhat: {
    mb: +dMb.toFixed(0),
    pps,
    importMs: +d.importMs.toFixed(0),
    importCpuMs: +d.importCpuMs.toFixed(0),
    attributeMs: +d.attributeMs.toFixed(0),
    attributeCpuMs: +d.attributeCpuMs.toFixed(0),
    peakRssMb: +d.maxRssMb.toFixed(0),
    quarterPeakRssMb: +dq.maxRssMb.toFixed(0),
    sizes: Object.fromEntries(
      Object.entries(sizes).map(([k, v]) => [
        k,
        {
          mb: v.mb,
          pps: v.pps,
          importCpuMs: +v.importCpuMs.toFixed(0),
          attributeCpuMs: +v.attributeCpuMs.toFixed(0),
          peakRssMb: +v.maxRssMb.toFixed(0),
        },
      ]),
    ),
  },
  heaptrack: {
    allocations: h.blocks,
    zstdMb: +(statSync(htBig).size / 1e6).toFixed(1),
    importMs: +h.importMs.toFixed(0),
    importCpuMs: +h.importCpuMs.toFixed(0),
    attributeMs: +h.attributeMs.toFixed(0),
    peakRssMb: +h.maxRssMb.toFixed(0),
    quarterPeakRssMb: +hq.maxRssMb.toFixed(0),
  },
};
mkdirSync(join(repo, '.bench'), { recursive: true });
writeFileSync(join(repo, '.bench', 'heap.json'), JSON.stringify(result, null, 2));
const rows = [
  [
    `DHAT ${result.dhat.mb} MB (${pps.toLocaleString('en-US')} program points): import ms`,
    result.dhat.importMs,
    '<= 2000',
  ],
  [
    'DHAT import CPU ms (user+system; wall time suffers on a loaded machine)',
    result.dhat.importCpuMs,
  ],
  [
    'DHAT attribution ms (the second pass over the file: sites streamed again)',
    result.dhat.attributeMs,
  ],
  ['DHAT import + attribution CPU ms', result.dhat.importCpuMs + result.dhat.attributeCpuMs],
  [
    `DHAT peak RSS MB at 25 / 50 / 100 / 200 MB of input (${sizes.quarter.pps.toLocaleString('en-US')} to ${sizes.double.pps.toLocaleString('en-US')} program points)`,
    `${result.dhat.sizes.quarter.peakRssMb} / ${result.dhat.sizes.half.peakRssMb} / ${result.dhat.peakRssMb} / ${result.dhat.sizes.double.peakRssMb}`,
    'flat',
  ],
  [
    'DHAT import + attribution CPU ms at 25 / 50 / 200 MB',
    ['quarter', 'half', 'double']
      .map(k => result.dhat.sizes[k].importCpuMs + result.dhat.sizes[k].attributeCpuMs)
      .join(' / '),
  ],
  [
    `heaptrack ${result.heaptrack.allocations.toLocaleString('en-US')} allocations (${result.heaptrack.zstdMb} MB zstd): import ms`,
    result.heaptrack.importMs,
    '<= 3000',
  ],
  ['heaptrack import CPU ms', result.heaptrack.importCpuMs],
  ['heaptrack attribution ms', result.heaptrack.attributeMs],
  [
    'heaptrack peak RSS MB (1M / 250k allocations)',
    `${result.heaptrack.peakRssMb} / ${result.heaptrack.quarterPeakRssMb}`,
    'flat',
  ],
];
console.log(
  `\nheap profile import (generated from the test/fixtures/heap recordings; load average ${result.loadAverage.toFixed(1)} on ${os.cpus().length} cores)`,
);
const w = Math.max(...rows.map(r => r[0].length));
for (const [k, v, t] of rows)
  console.log(`  ${k.padEnd(w)}  ${String(v).padStart(10)}${t ? `   (target ${t})` : ''}`);
rmSync(work, { recursive: true, force: true });
