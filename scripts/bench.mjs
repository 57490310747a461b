#!/usr/bin/env node
// `npm run bench`: performance numbers for the analysis core (and, when present, the rules,
// the editor path and the profile importer). Prints a table and writes .bench/*.json.
// Not a test: it never fails on a slow number, it reports it next to its target.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

const require = createRequire(import.meta.url);
const repo = join(import.meta.dirname, '..');
const out = join(repo, 'out', 'src');
const TOKIO = '/usr/share/cargo/registry/tokio-1.24.2';
mkdirSync(join(repo, '.bench'), { recursive: true });

function ensureTokio() {
  if (existsSync(TOKIO)) return true;
  console.log('bench: installing librust-tokio-dev (tokio 1.24.2 sources) ...');
  const r = spawnSync('bash', [join(repo, 'scripts', 'ci-deps.sh')], { stdio: 'inherit' });
  return r.status === 0 && existsSync(TOKIO);
}

function table(title, rows) {
  const w = Math.max(...rows.map(r => r[0].length));
  console.log(`\n${title}`);
  for (const [k, v, target] of rows)
    console.log(
      `  ${k.padEnd(w)}  ${String(v).padStart(12)}${target ? `   (target ${target})` : ''}`,
    );
}

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function benchCore() {
  const { parseRust } = require(join(out, 'core', 'parser.js'));
  const { listRustFiles } = require(join(out, 'core', 'index', 'crates.js'));
  const { diskHost, loadWorkspace } = require(join(out, 'core', 'index', 'workspace.js'));
  const { LayoutEngine } = require(join(out, 'core', 'layout', 'engine.js'));
  // The whole directory (src/, tests/, benches/, examples/, build.rs) as a user opens it, with
  // its dependencies resolved (features `full`) and read lazily from the Debian registry.
  const files = listRustFiles(TOKIO);
  // The baseline parses the same files the analysis parses: tokio's files and every dependency
  // file the analysis opens (macro bodies it parses again aside). Which dependency files those
  // are is found by a run of the analysis in a child process, so this process stays cold.
  const depFiles = parsedDependencyFiles();
  const ownTexts = files.map(f => readFileSync(f, 'utf8'));
  const depTexts = depFiles.map(f => readFileSync(f, 'utf8'));
  const texts = [...ownTexts, ...depTexts];
  const allFiles = [...files, ...depFiles];
  const bytes = ownTexts.reduce((a, t) => a + Buffer.byteLength(t), 0);
  const depBytes = depTexts.reduce((a, t) => a + Buffer.byteLength(t), 0);
  // Every timed phase starts from a collected heap, so that none pays for freeing what an
  // earlier phase dropped (the parse-only runs drop 297 trees whose native memory is released
  // by whichever GC runs next).
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const settle = async () => {
    gc();
    gc();
    await new Promise(r => setImmediate(r));
  };
  // Cold numbers are the first run in this process; the medians of 5 warm runs follow.
  // CPU time of this process next to wall-clock time: on a loaded machine the wall clock counts
  // waiting for a core, CPU time counts the work.
  const cpuNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const cpu = { parse: [], full: [], ownParse: [] };
  const parseRun = () => {
    const c0 = cpuNow();
    const t0 = performance.now();
    for (let k = 0; k < texts.length; k++) {
      parseRust(texts[k]);
      // The share of tokio's own files, for the ratio against them alone.
      if (k === ownTexts.length - 1) cpu.ownParse.push(cpuNow() - c0);
    }
    cpu.parse.push(cpuNow() - c0);
    return performance.now() - t0;
  };
  // The same, reading the files from disk as the analysis does.
  const readParseRun = () => {
    const t0 = performance.now();
    for (const f of allFiles) parseRust(readFileSync(f, 'utf8'));
    return performance.now() - t0;
  };
  let typeCount = 0;
  let exact = 0;
  let depFilesRead = 0;
  const fullRun = async () => {
    const c0 = cpuNow();
    const t0 = performance.now();
    const reads = [];
    const host = { read: f => (reads.push(f), diskHost.read(f)), exists: diskHost.exists };
    const index = await loadWorkspace(TOKIO, { features: ['full'], host });
    index.ensureFiles(files);
    const engine = new LayoutEngine(index);
    const defs = index.typeDefs();
    exact = 0;
    for (const d of defs) if (engine.layoutOfItem(d).status === 'exact') exact++;
    typeCount = defs.length;
    depFilesRead ||= reads.filter(f => !f.startsWith(TOKIO + '/')).length;
    cpu.full.push(cpuNow() - c0);
    return { ms: performance.now() - t0, index };
  };
  await settle();
  const coldParse = parseRun();
  await settle();
  const coldFull = (await fullRun()).ms;
  const parse = [],
    full = [],
    readParse = [];
  let index;
  for (let i = 0; i < 5; i++) {
    index = undefined;
    await settle();
    parse.push(parseRun());
    await settle();
    readParse.push(readParseRun());
    await settle();
    const r = await fullRun();
    full.push(r.ms);
    index = r.index;
  }
  // Per-file re-analysis: edit the largest file (append a field to its first struct) and
  // re-run the incremental index update plus layout of the file's types.
  const biggest = files.map((f, i) => [f, texts[i]]).sort((a, b) => b[1].length - a[1].length)[0];
  const reanalysis = [];
  for (let i = 0; i < 20; i++) {
    const text = biggest[1] + `\npub struct BenchEdit${i} { pub a: [u8; ${i + 1}] }\n`;
    const t0 = performance.now();
    index.updateFile(biggest[0], text);
    const engine = new LayoutEngine(index);
    for (const d of index.itemsInFile(biggest[0]))
      if (['struct', 'enum', 'union', 'type'].includes(d.kind)) engine.layoutOfItem(d);
    reanalysis.push(performance.now() - t0);
  }
  // check = the same analysis plus every rule (what `alloc-lens check` does after loading).
  const { runRules } = require(join(out, 'core', 'rules', 'run.js'));
  const { defaultSettings } = require(join(out, 'core', 'config', 'settings.js'));
  const checkRuns = [];
  let findings = 0;
  for (let i = 0; i < 5; i++) {
    await settle();
    const t0 = performance.now();
    const idx = await loadWorkspace(TOKIO, { features: ['full'] });
    const engine = new LayoutEngine(idx);
    for (const d of idx.typeDefs()) engine.layoutOfItem(d);
    findings = runRules(idx, engine, defaultSettings()).length;
    checkRuns.push(performance.now() - t0);
  }
  // futures = sizing every async fn/block/closure on top of a warm layout analysis.
  const { FutureAnalyzer } = require(join(out, 'core', 'future', 'analyze.js'));
  const { loadavg } = await import('node:os');
  const futureRuns = [];
  const futureCpu = [];
  let futureCount = 0;
  for (let i = 0; i < 5; i++) {
    await settle();
    const engine = new LayoutEngine(index);
    for (const d of index.typeDefs()) engine.layoutOfItem(d);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    futureCount = new FutureAnalyzer(index, engine).all().length;
    const c = process.cpuUsage(c0);
    futureRuns.push(performance.now() - t0);
    // CPU time: under load (8 sessions on 2 cores) the wall time measures the machine.
    futureCpu.push((c.user + c.system) / 1000);
  }
  const rss = process.memoryUsage().rss;
  const result = {
    corpus: 'tokio 1.24.2 (whole directory, features full, dependencies resolved)',
    files: files.length,
    megabytes: +(bytes / 1e6).toFixed(2),
    types: typeCount,
    dependencyFilesRead: depFilesRead,
    // The baseline parses tokio's files plus these (found by a child process's analysis).
    baselineDependencyFiles: depFiles.length,
    baselineDependencyMegabytes: +(depBytes / 1e6).toFixed(2),
    exactTypes: exact,
    coldParseMs: +coldParse.toFixed(1),
    coldAnalysisMs: +coldFull.toFixed(1),
    parseMs: +median(parse).toFixed(1),
    analysisMs: +median(full).toFixed(1),
    ratio: +(median(full) / median(parse)).toFixed(2),
    readParseMs: +median(readParse).toFixed(1),
    ratioWithReads: +(median(full) / median(readParse)).toFixed(2),
    coldRatio: +(coldFull / coldParse).toFixed(2),
    cpu: {
      coldParseMs: +cpu.parse[0].toFixed(1),
      coldAnalysisMs: +cpu.full[0].toFixed(1),
      coldRatio: +(cpu.full[0] / cpu.parse[0]).toFixed(2),
      coldOwnParseMs: +cpu.ownParse[0].toFixed(1),
      coldRatioToOwnFilesOnly: +(cpu.full[0] / cpu.ownParse[0]).toFixed(2),
      parseMs: +median(cpu.parse.slice(1)).toFixed(1),
      analysisMs: +median(cpu.full.slice(1)).toFixed(1),
      ratio: +(median(cpu.full.slice(1)) / median(cpu.parse.slice(1))).toFixed(2),
    },
    loadAverage: os.loadavg().map(x => +x.toFixed(2)),
    reanalysisMs: {
      largestFile: biggest[0].slice(TOKIO.length + 1),
      lines: biggest[1].split('\n').length,
      median: +median(reanalysis).toFixed(2),
      max: +Math.max(...reanalysis).toFixed(2),
    },
    peakRssMb: +(rss / 1048576).toFixed(1),
    check: {
      ms: +median(checkRuns).toFixed(1),
      ratioToLayout: +(median(checkRuns) / median(full)).toFixed(2),
      findings,
    },
    futures: {
      ms: +median(futureRuns).toFixed(1),
      cpuMs: +median(futureCpu).toFixed(1),
      loadAverage: +loadavg()[0].toFixed(1),
      count: futureCount,
    },
  };
  writeFileSync(join(repo, '.bench', 'core.json'), JSON.stringify(result, null, 2));
  table(
    'core: parse vs parse + index + layout of every type (tokio 1.24.2 directory, deps resolved)',
    [
      ['files / MB / types', `${result.files} / ${result.megabytes} / ${result.types}`],
      ['dependency files read (lazily, cold run)', result.dependencyFilesRead],
      [
        'baseline: tokio files + dependency files (MB)',
        `${result.files} + ${result.baselineDependencyFiles} (${result.baselineDependencyMegabytes} MB)`,
      ],
      ['exact layouts', result.exactTypes],
      ['parse only, cold (ms)', result.coldParseMs],
      ['analysis, cold (ms)', result.coldAnalysisMs, '< 1000'],
      ['cold ratio', result.coldRatio, '<= 2.0'],
      [
        'CPU: parse only / analysis, cold (ms)',
        `${result.cpu.coldParseMs} / ${result.cpu.coldAnalysisMs}`,
      ],
      ['CPU: cold ratio', result.cpu.coldRatio, '<= 2.0'],
      ['CPU: cold ratio to the parse of tokio files alone', result.cpu.coldRatioToOwnFilesOnly],
      [
        'CPU: parse only / analysis, warm median (ms)',
        `${result.cpu.parseMs} / ${result.cpu.analysisMs}`,
      ],
      ['CPU: warm ratio', result.cpu.ratio, '<= 2.0'],
      ['load average (1, 5, 15 min)', result.loadAverage.join(', ')],
      ['parse only, warm median (ms)', result.parseMs],
      ['analysis, warm median (ms)', result.analysisMs, '< 1000'],
      ['warm ratio', result.ratio, '<= 2.0'],
      ['read + parse, warm median (ms)', result.readParseMs],
      ['ratio to read + parse', result.ratioWithReads, '<= 2.0'],
      [
        `re-analysis of ${result.reanalysisMs.largestFile} (${result.reanalysisMs.lines} lines), median ms`,
        result.reanalysisMs.median,
      ],
      ['peak RSS (MB)', result.peakRssMb],
      ['check (analysis + all rules), warm median (ms)', result.check.ms],
      ['check / layout-only ratio', result.check.ratioToLayout, '< 1.5'],
      ['check findings on tokio', result.check.findings],
      [
        `futures (${result.futures.count} async bodies) on top of layout, warm median (ms)`,
        result.futures.ms,
        '<= 1000',
      ],
      [
        `futures on top of layout, warm median CPU (ms, load average ${result.futures.loadAverage})`,
        result.futures.cpuMs,
        '<= 1000',
      ],
    ],
  );
  return result;
}

/**
 * The dependency files a cold analysis of tokio parses, listed by a run of it in a child process
 * (`--parsed-dependency-files` prints them as JSON).
 */
function parsedDependencyFiles() {
  const r = spawnSync(process.execPath, [import.meta.filename, '--parsed-dependency-files'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`bench: listing the dependency files failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function listParsedDependencyFiles() {
  const { listRustFiles } = require(join(out, 'core', 'index', 'crates.js'));
  const { diskHost, loadWorkspace } = require(join(out, 'core', 'index', 'workspace.js'));
  const { LayoutEngine } = require(join(out, 'core', 'layout', 'engine.js'));
  const reads = new Set();
  const host = { read: f => (reads.add(f), diskHost.read(f)), exists: diskHost.exists };
  const index = await loadWorkspace(TOKIO, { features: ['full'], host });
  index.ensureFiles(listRustFiles(TOKIO));
  const engine = new LayoutEngine(index);
  for (const d of index.typeDefs()) engine.layoutOfItem(d);
  process.stdout.write(JSON.stringify([...reads].filter(f => !f.startsWith(TOKIO + '/'))));
}

if (process.argv.includes('--parsed-dependency-files')) {
  await listParsedDependencyFiles();
  process.exit(0);
}

// BENCH_EXTRA=editor,heap runs only those of the other benches (default: all of them).
const only = process.env.BENCH_EXTRA?.split(',').map(x => `bench-${x.trim()}.mjs`);
const extra = ['bench-check.mjs', 'bench-editor.mjs', 'bench-profile.mjs', 'bench-heap.mjs'].filter(
  x => !only || only.includes(x),
);
if (!ensureTokio()) {
  console.error(
    'bench: tokio sources are missing and could not be installed (apt-get install librust-tokio-dev)',
  );
  process.exit(1);
}
await benchCore();
for (const script of extra) {
  const p = join(repo, 'scripts', script);
  if (!existsSync(p)) continue;
  const r = spawnSync(process.execPath, [p], { stdio: 'inherit', cwd: repo });
  if (r.status !== 0) console.error(`bench: ${script} failed with exit code ${r.status}`);
}
console.log('\nJSON written to .bench/');
