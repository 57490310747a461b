#!/usr/bin/env node
// Profile import benchmark (part of `npm run bench`): records examples/ddsplit with perf, times
// `perf script` producing the text from perf.data, then imports >= 200 MB of that text (the real
// recording concatenated) and reports MB/s, peak RSS and the ratio to perf script's own time.
// Writes .bench/profile.json.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  openSync,
  closeSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const crate = join(repo, 'examples', 'ddsplit');
const work = join(repo, '.bench', 'profile-tmp');
const TARGET_MB = Number(process.env.ALLOC_LENS_BENCH_MB ?? 210);

function table(rows) {
  const w = Math.max(...rows.map(r => r[0].length));
  for (const [k, v, target] of rows)
    console.log(
      `  ${k.padEnd(w)}  ${String(v).padStart(10)}${target ? `   (target ${target})` : ''}`,
    );
}

function fail(msg) {
  console.error(`bench-profile: ${msg}`);
  process.exit(1);
}

const { PERF_SCRIPT_ARGS } = await import(join(repo, 'out', 'src', 'profile', 'import.js')).then(
  m => m.default ?? m,
);

if (spawnSync('perf', ['--version']).status !== 0)
  fail('`perf` is not installed (apt-get install linux-perf)');
const bin = join(crate, 'target', 'release', 'ddsplit');
if (!existsSync(bin)) {
  const b = spawnSync('cargo', ['build', '--release', '--offline'], {
    cwd: crate,
    stdio: 'inherit',
  });
  if (b.status !== 0)
    fail('examples/ddsplit does not build (needs librust-tokio-dev and librust-async-trait-dev)');
}
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const data = join(work, 'perf.data');
const rec = spawnSync(
  'perf',
  [
    'record',
    '-q',
    '-F',
    '2000',
    '-g',
    '--call-graph',
    'dwarf,65528',
    '-o',
    data,
    '--',
    bin,
    '30000',
  ],
  { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
);
if (rec.status !== 0) fail(`perf record failed: ${rec.stderr}`);

// 1. perf script itself: perf.data -> text (median of 3)
const script = join(work, 'perf-script.txt');
function timePerfScript() {
  const fd = openSync(script, 'w');
  const t0 = performance.now();
  const r = spawnSync('perf', [...PERF_SCRIPT_ARGS, '-i', data], {
    stdio: ['ignore', fd, 'ignore'],
  });
  const ms = performance.now() - t0;
  closeSync(fd);
  if (r.status !== 0) fail('perf script failed');
  return ms;
}
const perfRuns = [timePerfScript(), timePerfScript(), timePerfScript()].sort((a, b) => a - b);
const perfMs = perfRuns[1];
const scriptBytes = statSync(script).size;
const perfMBps = scriptBytes / 1e6 / (perfMs / 1000);

// 2. >= TARGET_MB of real perf script text: the recording concatenated
const big = join(work, 'big.perf-script.txt');
const chunk = readFileSync(script);
const copies = Math.ceil((TARGET_MB * 1e6) / chunk.length);
const fdBig = openSync(big, 'w');
for (let i = 0; i < copies; i++) writeSync(fdBig, chunk);
closeSync(fdBig);
const quarter = join(work, 'quarter.perf-script.txt');
const fdQ = openSync(quarter, 'w');
for (let i = 0; i < Math.ceil(copies / 4); i++) writeSync(fdQ, chunk);
closeSync(fdQ);

// 3. our import, each in a fresh process so peak RSS is its own
function importRun(file, extra = '') {
  const code = `
    const { importProfile } = require(${JSON.stringify(join(repo, 'out', 'src', 'profile', 'import.js'))});
    const { analyzeProfile } = require(${JSON.stringify(join(repo, 'out', 'src', 'profile', 'analyze.js'))});
    (async () => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await importProfile(${JSON.stringify(file)});
      const importMs = performance.now() - t0;
      const importUserMs = process.cpuUsage(c0).user / 1000;
      let analyzeMs;
      if (${extra === 'analyze'}) {
        const t1 = performance.now();
        await analyzeProfile(${JSON.stringify(file)}, { root: ${JSON.stringify(crate)}, check: true });
        analyzeMs = performance.now() - t1;
      }
      const samples = [...r.data.events.values()].reduce((s, e) => s + e.samples, 0);
      process.stdout.write(JSON.stringify({ importMs, importUserMs, analyzeMs, bytes: r.bytes, samples, frames: r.data.frames.length, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
    })().catch(e => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) fail(`import failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
const runs = [importRun(big), importRun(big), importRun(big)].sort(
  (a, b) => a.importUserMs - b.importUserMs,
);

// Baseline in the same run: FlameGraph's stackcollapse-perf.pl on the same file, run from a local
// FlameGraph clone (never copied into this repository): ALLOC_LENS_FLAMEGRAPH=<checkout or git dir>.
function perlRun(file) {
  const src = process.env.ALLOC_LENS_FLAMEGRAPH ?? '/work/.mirror/brendangregg+FlameGraph/repo';
  let pl = join(src, 'stackcollapse-perf.pl');
  if (!existsSync(pl)) {
    const g = spawnSync('git', ['--git-dir', src, 'show', 'HEAD:stackcollapse-perf.pl'], {
      maxBuffer: 1 << 24,
    });
    if (g.status !== 0) return undefined;
    pl = join(work, 'stackcollapse-perf.pl');
    writeFileSync(pl, g.stdout);
  }
  // perl runs the script as its child and prints the child's user CPU time (`times`): the machine
  // is shared, so speeds are compared in CPU time, not wall time
  const wrap =
    'open(my $o, ">&", STDOUT); open(STDOUT, ">", "/dev/null"); open(STDERR, ">", "/dev/null"); my $r = system("perl", @ARGV); my @t = times; print $o "CPU-USER $t[2]\\n"; exit($r >> 8)';
  const t0 = performance.now();
  const r = spawnSync('perl', ['-e', wrap, pl, file], {
    stdio: ['ignore', 'pipe', 'ignore'],
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  const m = /CPU-USER ([0-9.]+)/.exec(r.stdout ?? '');
  return r.status === 0 && m ? { ms, userMs: Number(m[1]) * 1000 } : undefined;
}
const perlBig = perlRun(big);

// Peak RSS on a 2 GB input (ALLOC_LENS_BENCH_BIG_GB, 0 to skip)
const hugeGb = Number(process.env.ALLOC_LENS_BENCH_BIG_GB ?? 2);
let huge;
if (hugeGb > 0) {
  const hugeFile = join(work, 'huge.perf-script.txt');
  const fdH = openSync(hugeFile, 'w');
  for (let i = 0; i < Math.ceil((hugeGb * 1e9) / chunk.length); i++) writeSync(fdH, chunk);
  closeSync(fdH);
  huge = { gb: +(statSync(hugeFile).size / 1e9).toFixed(2), ...importRun(hugeFile) };
  rmSync(hugeFile, { force: true });
}
const med = runs[1];
const q = importRun(quarter);
const withAnalysis = importRun(script, 'analyze');
// perf.data directly: Alloc Lens spawns perf script and parses its output as it streams
const direct = importRun(data);

const mb = med.bytes / 1e6;
const importMBps = mb / (med.importMs / 1000);
const importUserMBps = mb / (med.importUserMs / 1000);
const perfEquivalentMs = (med.bytes / scriptBytes) * perfMs;
const result = {
  recording: {
    samples: withAnalysis.samples,
    perfDataMb: +(statSync(data).size / 1e6).toFixed(1),
    scriptMb: +(scriptBytes / 1e6).toFixed(2),
  },
  perfScript: { ms: +perfMs.toFixed(0), mbPerS: +perfMBps.toFixed(1) },
  import: {
    mb: +mb.toFixed(0),
    samples: med.samples,
    ms: +med.importMs.toFixed(0),
    mbPerS: +importMBps.toFixed(0),
    userMs: +med.importUserMs.toFixed(0),
    userMbPerS: +importUserMBps.toFixed(0),
    peakRssMb: +med.maxRssMb.toFixed(0),
    quarterSizePeakRssMb: +q.maxRssMb.toFixed(0),
    ratioToPerfScript: +(med.importMs / perfEquivalentMs).toFixed(3),
  },
  perfDataDirect: {
    ms: +direct.importMs.toFixed(0),
    ratioToBarePerfScript: +(direct.importMs / perfMs).toFixed(2),
  },
  analyzeOneRecordingMs: +withAnalysis.analyzeMs.toFixed(0),
  perl:
    perlBig === undefined
      ? null
      : {
          ms: +perlBig.ms.toFixed(0),
          userMs: +perlBig.userMs.toFixed(0),
          mbPerS: +(mb / (perlBig.ms / 1000)).toFixed(1),
          userMbPerS: +(mb / (perlBig.userMs / 1000)).toFixed(1),
          speedup: +(perlBig.ms / med.importMs).toFixed(2),
          userSpeedup: +(perlBig.userMs / med.importUserMs).toFixed(2),
        },
  loadAverage: (await import('node:os')).loadavg().map(x => +x.toFixed(2)),
  huge: huge
    ? {
        gb: huge.gb,
        ms: +huge.importMs.toFixed(0),
        mbPerS: +(huge.bytes / 1e6 / (huge.importMs / 1000)).toFixed(0),
        userMbPerS: +(huge.bytes / 1e6 / (huge.importUserMs / 1000)).toFixed(0),
        peakRssMb: +huge.maxRssMb.toFixed(0),
      }
    : null,
};
mkdirSync(join(repo, '.bench'), { recursive: true });
writeFileSync(join(repo, '.bench', 'profile.json'), JSON.stringify(result, null, 2));
console.log('\nprofile import (examples/ddsplit recording, perf script text concatenated)');
table([
  [
    'recording: samples / perf.data MB / text MB',
    `${result.recording.samples} / ${result.recording.perfDataMb} / ${result.recording.scriptMb}`,
  ],
  [
    'perf script: ms / MB/s (perf.data -> text)',
    `${result.perfScript.ms} / ${result.perfScript.mbPerS}`,
  ],
  [
    `import of ${result.import.mb} MB text (${result.import.samples} samples): wall / user CPU ms`,
    `${result.import.ms} / ${result.import.userMs}`,
  ],
  ['import throughput, user CPU (MB/s)', result.import.userMbPerS, '>= 150'],
  ['import throughput, wall (MB/s)', result.import.mbPerS],
  [
    'stackcollapse-perf.pl, same file: user CPU MB/s',
    result.perl ? result.perl.userMbPerS : 'no FlameGraph clone',
  ],
  [
    'import speed / stackcollapse-perf.pl, user CPU',
    result.perl ? result.perl.userSpeedup : '-',
    '>= 5',
  ],
  ['import speed / stackcollapse-perf.pl, wall', result.perl ? result.perl.speedup : '-'],
  ['load average (1/5/15 min)', result.loadAverage.join(' ')],
  [
    'import time / perf script time for the same text',
    result.import.ratioToPerfScript,
    'a fraction',
  ],
  [`peak RSS, ${result.import.mb} MB input (MB)`, result.import.peakRssMb],
  [
    `peak RSS, ${Math.round(result.import.mb / 4)} MB input (MB)`,
    result.import.quarterSizePeakRssMb,
  ],
  [
    `peak RSS, ${result.huge ? result.huge.gb : '-'} GB input (MB)`,
    result.huge ? result.huge.peakRssMb : 'skipped',
    '<= 500',
  ],
  [
    `import throughput, ${result.huge ? result.huge.gb : '-'} GB input, user CPU (MB/s)`,
    result.huge ? result.huge.userMbPerS : 'skipped',
  ],
  ['perf.data import (runs perf script), ms', result.perfDataDirect.ms],
  ['perf.data import / bare perf script', result.perfDataDirect.ratioToBarePerfScript],
  ['analyze (import + index + attribution + check), ms', result.analyzeOneRecordingMs],
]);
rmSync(work, { recursive: true, force: true });
