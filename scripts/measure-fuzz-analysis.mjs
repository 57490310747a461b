#!/usr/bin/env node
// Analysis fuzz at scale: N mutated real files (tokio, bytes, async-trait, the fixtures) through
// index + layout + rules; counts crashes, files over 1 s of CPU and `exact` answers for types rustc
// rejects; compiles a sample of the injected rejected types with rustc to confirm rustc rejects
// them. Writes test/fuzz/measured.json.
//
//   npm run measure:fuzz-analysis [-- N [seed]] [--chunk 500] [--jobs 1] [--fresh]
//   node scripts/measure-fuzz-analysis.mjs --one <seed> <k>   (analyse file k alone; add
//        --cpu-prof before the script path to profile it)
//
// Files run in child processes of `--chunk` files each (fresh heap, `--expose-gc`). Every file's
// outcome is appended to .bench/fuzz-analysis/seed-<seed>.jsonl as it finishes, so an interrupted
// run resumes where it stopped (`--fresh` starts over). A child that dies (out of memory, a
// signal) is not skipped over silently: the file it was analysing is counted as a crash, and a
// new child goes on with the next file. Slow and crashing files are saved under
// .bench/fuzz-analysis/cases/ for profiling.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ROOT = path.join(import.meta.dirname, '..');
const fuzz = require(path.join(ROOT, 'out', 'test', 'fuzz', 'analysis-fuzz.js'));
const REG = process.env.ALLOC_LENS_REGISTRY || '/usr/share/cargo/registry';
const WORK = path.join(ROOT, '.bench', 'fuzz-analysis');
const LIMIT_MS = 1000;

const argv = process.argv.slice(2);
const flag = name => {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const [v] = argv.splice(i, 2).slice(1);
  return v;
};
const bool = name => {
  const i = argv.indexOf(name);
  return i >= 0 && argv.splice(i, 1).length > 0;
};

function seedSources() {
  const roots = ['tokio-1.24.2', 'bytes-1.2.1', 'async-trait-0.1.56'].map(c =>
    path.join(REG, c, 'src'),
  );
  for (const r of roots)
    if (!fs.existsSync(r)) throw new Error(`${r} missing: run scripts/ci-deps.sh`);
  return fuzz.seedFiles([...roots, path.join(ROOT, 'test', 'fixtures')]);
}

const logFile = seed => path.join(WORK, `seed-${seed}.jsonl`);

if (argv[0] === '--child') {
  // node --expose-gc measure-fuzz-analysis.mjs --child seed from to
  const [seed, from, to] = argv.slice(1, 4).map(Number);
  const log = fs.openSync(logFile(seed), 'a');
  const cases = path.join(WORK, 'cases');
  await fuzz.runFuzz(seedSources(), seed, {
    from,
    to,
    limitMs: LIMIT_MS,
    onStart: k => fs.writeSync(log, JSON.stringify({ k, start: true }) + '\n'),
    onFile: (k, c, o) => {
      const bad = o.crashed || o.cpuMs > LIMIT_MS || o.falseExact.length > 0;
      // A slow file's bare tree-sitter parse in this process: how much of it is load on the machine.
      const parseMs =
        o.cpuMs > LIMIT_MS && !o.crashed ? Math.round(fuzz.parseCpuMs(c.text)) : undefined;
      if (bad) {
        fs.mkdirSync(cases, { recursive: true });
        fs.writeFileSync(path.join(cases, `seed-${seed}-${k}-${c.kind}.rs`), c.text);
      }
      fs.writeSync(
        log,
        JSON.stringify({
          k,
          id: c.id,
          kind: c.kind,
          bytes: c.text.length,
          cpuMs: Math.round(o.cpuMs),
          wallMs: Math.round(o.wallMs),
          parseMs,
          crashed: o.crashed?.slice(0, 600),
          falseExact: o.falseExact.length ? o.falseExact : undefined,
        }) + '\n',
      );
    },
  });
  // Peak RSS of this child: flat across chunks when trees are freed between files.
  fs.writeSync(
    log,
    JSON.stringify({
      chunk: true,
      from,
      to,
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    }) + '\n',
  );
  fs.closeSync(log);
  process.exit(0);
}

if (argv[0] === '--registry-child') {
  // node --expose-gc measure-fuzz-analysis.mjs --registry-child <list file> <from> <to> <out>
  const [list, from, to, out] = [argv[1], Number(argv[2]), Number(argv[3]), argv[4]];
  const files = fs.readFileSync(list, 'utf8').split('\n').filter(Boolean).slice(from, to);
  const log = fs.openSync(out, 'a');
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    await fuzz.collectTrees();
    const o = fuzz.analyseOne(text, []);
    await fuzz.collectTrees();
    const parseMs = fuzz.parseCpuMs(text, 1);
    fs.writeSync(
      log,
      JSON.stringify({
        file: path.relative(REG, f),
        bytes: text.length,
        cpuMs: Math.round(o.cpuMs),
        parseMs: Math.round(parseMs),
        types: o.types,
        crashed: o.crashed?.slice(0, 300),
      }) + '\n',
    );
  }
  fs.closeSync(log);
  process.exit(0);
}

if (argv[0] === '--registry') {
  // Every .rs file of the registry analysed alone, as the fuzz analyses a mutated file: CPU
  // time of the analysis and of the bare parse. The per-file budget must not skip any of them.
  const list = path.join(WORK, 'registry-files.txt');
  const out = path.join(WORK, 'registry.jsonl');
  fs.mkdirSync(WORK, { recursive: true });
  const files = [];
  (function walk(d) {
    for (const e of fs
      .readdirSync(d, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.rs')) files.push(p);
    }
  })(REG);
  fs.writeFileSync(list, files.join('\n') + '\n');
  const done = new Set();
  if (fs.existsSync(out))
    for (const l of fs.readFileSync(out, 'utf8').split('\n')) if (l) done.add(JSON.parse(l).file);
  for (let from = 0; from < files.length; from += 250) {
    const to = Math.min(files.length, from + 250);
    if (files.slice(from, to).every(f => done.has(path.relative(REG, f)))) continue;
    const r = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        import.meta.filename,
        '--registry-child',
        list,
        String(from),
        String(to),
        out,
      ],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) console.error(`chunk ${from}-${to}: exit ${r.status} ${r.signal ?? ''}`);
    process.stderr.write(`\r${to}/${files.length} files`);
  }
  process.stderr.write('\n');
  process.exit(0);
}

if (argv[0] === '--one') {
  const [seed, k] = argv.slice(1, 3).map(Number);
  const c = fuzz.fuzzCase(seedSources(), seed, k);
  const o = fuzz.analyseOne(c.text, c.rejected);
  console.log(
    JSON.stringify({
      id: c.id,
      bytes: c.text.length,
      cpuMs: Math.round(o.cpuMs),
      wallMs: Math.round(o.wallMs),
      types: o.types,
      crashed: o.crashed,
      falseExact: o.falseExact,
    }),
  );
  process.exit(0);
}

const chunk = Number(flag('--chunk') ?? 500);
const jobs = Number(flag('--jobs') ?? 1);
const fresh = bool('--fresh');
const n = Number(argv[0] ?? 10_000);
const seed = Number(argv[1] ?? 20261202);
fs.mkdirSync(WORK, { recursive: true });
if (fresh) fs.rmSync(logFile(seed), { force: true });

/** Finished files of the log (the last record of each k wins), and the started-but-unfinished. */
function readLog() {
  const done = new Map();
  const started = new Set();
  const chunks = [];
  if (!fs.existsSync(logFile(seed))) return { done, started, chunks };
  for (const line of fs.readFileSync(logFile(seed), 'utf8').split('\n')) {
    if (!line) continue;
    let r;
    try {
      r = JSON.parse(line);
    } catch {
      continue; // a line cut by a killed child
    }
    if (r.chunk) chunks.push(r);
    else if (r.start) started.add(r.k);
    else {
      done.set(r.k, r);
      started.delete(r.k);
    }
  }
  return { done, started, chunks };
}

const t0 = Date.now();
const cpu0 = process.cpuUsage();
const status = done => {
  let crashes = 0,
    slow = 0,
    falseExact = 0;
  for (const r of done.values()) {
    if (r.k >= n) continue;
    if (r.crashed) crashes++;
    if (r.cpuMs > LIMIT_MS) slow++;
    if (r.falseExact) falseExact++;
  }
  return (
    `${[...done.keys()].filter(k => k < n).length}/${n} files, ${((Date.now() - t0) / 1000).toFixed(0)} s: ` +
    `${crashes} crashes, ${slow} over 1 s, ${falseExact} false exact`
  );
};

// Chunks not yet finished (resuming skips the finished files).
const todo = [];
{
  const { done } = readLog();
  for (let from = 0; from < n;) {
    while (from < n && done.has(from)) from++;
    if (from >= n) break;
    let to = from;
    while (to < n && to - from < chunk && !done.has(to)) to++;
    todo.push([from, to]);
    from = to;
  }
}

/** One child per chunk; a child that dies is replaced from the file after the one it died on. */
async function runChunk(from, to) {
  while (from < to) {
    const child = spawn(
      process.execPath,
      ['--expose-gc', import.meta.filename, '--child', String(seed), String(from), String(to)],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const [code, signal] = await new Promise(resolve =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    if (code === 0) return;
    // The child died on a file: that file is a crash (with how it died), and the chunk goes on.
    const after = readLog();
    const dead =
      [...after.started].filter(k => k >= from && k < to).sort((a, b) => a - b)[0] ?? from;
    const c = fuzz.fuzzCase(seedSources(), seed, dead);
    fs.mkdirSync(path.join(WORK, 'cases'), { recursive: true });
    fs.writeFileSync(path.join(WORK, 'cases', `seed-${seed}-${dead}-${c.kind}.rs`), c.text);
    fs.appendFileSync(
      logFile(seed),
      JSON.stringify({
        k: dead,
        id: c.id,
        kind: c.kind,
        bytes: c.text.length,
        cpuMs: 0,
        crashed: `the analysing process died (exit ${code}, signal ${signal})`,
      }) + '\n',
    );
    from = dead + 1;
    while (from < to && after.done.has(from)) from++;
  }
}

// --jobs children at a time (default 1): each file's CPU time is its own process's, so running
// chunks side by side changes the wall time only.
const timer = setInterval(() => process.stderr.write(`\r${status(readLog().done)}   `), 10_000);
await Promise.all(
  Array.from({ length: jobs }, async () => {
    for (let next = todo.shift(); next; next = todo.shift()) await runChunk(...next);
  }),
);
clearInterval(timer);
process.stderr.write(`\r${status(readLog().done)}   `);
process.stderr.write('\n');

const { done, chunks: childRss } = readLog();
const rows = [...done.values()].filter(r => r.k < n).sort((a, b) => a.k - b.k);
const byKind = {};
for (const r of rows) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
const crashes = rows.filter(r => r.crashed).map(r => `${r.id}: ${r.crashed}`);
const slow = rows
  .filter(r => r.cpuMs > LIMIT_MS)
  .map(
    r =>
      `${r.id}: ${r.cpuMs} ms CPU (${r.bytes} chars${r.parseMs ? `; its bare parse: ${r.parseMs} ms` : ''})`,
  );
// Slow files' analysis CPU over their bare parse's, in the same process (load cancels out).
const slowRatios = rows
  .filter(r => r.cpuMs > LIMIT_MS && r.parseMs)
  .map(r => r.cpuMs / r.parseMs)
  .sort((a, b) => a - b);
const falseExact = rows.flatMap(r => (r.falseExact ?? []).map(f => `${r.id}: ${f}`));
const cpuByKind = {};
for (const r of rows) cpuByKind[r.kind] = Math.max(cpuByKind[r.kind] ?? 0, r.cpuMs);

const compiles = src => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-fuzz-rustc-'));
  try {
    const f = path.join(dir, 'lib.rs');
    fs.writeFileSync(f, `#![allow(dead_code)]\n${src}`);
    return (
      spawnSync('rustc', ['--crate-type', 'lib', '--edition', '2021', '--out-dir', dir, f])
        .status === 0
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
const RUSTC_SAMPLE = 100;
const rustcAccepted = fuzz.rustcAcceptsAny(seed, RUSTC_SAMPLE, compiles);
const u = process.cpuUsage(cpu0);
const summary = {
  seed,
  files: rows.length,
  seedFiles: seedSources().length,
  byKind,
  crashes: crashes.length,
  over1sCpu: slow.length,
  falseExact: falseExact.length,
  over1sByKind: Object.fromEntries(
    Object.keys(byKind)
      .map(k => [k, rows.filter(r => r.kind === k && r.cpuMs > LIMIT_MS).length])
      .filter(([, v]) => v > 0),
  ),
  slowAnalysisOverParse: slowRatios.length
    ? {
        min: +slowRatios[0].toFixed(2),
        median: +slowRatios[slowRatios.length >> 1].toFixed(2),
        max: +slowRatios[slowRatios.length - 1].toFixed(2),
      }
    : undefined,
  maxCpuMs: Math.max(0, ...rows.map(r => r.cpuMs)),
  maxCpuMsByKind: cpuByKind,
  analysisCpuSeconds: Math.round(rows.reduce((a, r) => a + r.cpuMs, 0) / 1000),
  wallSecondsThisInvocation: Math.round((Date.now() - t0) / 1000),
  driverCpuSeconds: Math.round((u.user + u.system) / 1e6),
  loadAverage: os.loadavg().map(x => +x.toFixed(1)),
  maxRssMbOfChildren: Math.max(0, ...childRss.filter(c => c.from < n).map(c => c.maxRssMb)),
  rustcSample: RUSTC_SAMPLE,
  rustcAcceptedOfSample: rustcAccepted.length,
  details: {
    crashes: crashes.slice(0, 20),
    slow: slow.slice(0, 200),
    falseExact: falseExact.slice(0, 20),
    rustcAccepted,
  },
};
fs.writeFileSync(
  path.join(ROOT, 'test', 'fuzz', 'measured.json'),
  JSON.stringify(summary, null, 2) + '\n',
);
console.log(JSON.stringify({ ...summary, details: undefined }, null, 2));
process.exit(crashes.length + slow.length + falseExact.length + rustcAccepted.length === 0 ? 0 : 1);
