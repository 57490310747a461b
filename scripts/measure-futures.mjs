#!/usr/bin/env node
// Accuracy of the static future sizes against rustc's -Zprint-type-sizes, over every non-generic
// async body of real crates (Debian's registry sources) and the fixture service.
// Ground truth is committed in test/fixtures/futures-truth/ (async bodies only);
// `--regen` rebuilds it (cargo offline in a scratch copy, a few minutes per crate).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, '..');
const out = p => require(path.join(repo, 'out/src', p));
const { loadWorkspace } = out('core/index/workspace');
const { LayoutEngine } = out('core/layout/engine');
const { FutureAnalyzer } = out('core/future/analyze');
const { matchFutures, accuracy } = out('core/future/compare');
const { parsePrintTypeSizes } = out('core/exact/print-type-sizes');

const REG = '/usr/share/cargo/registry';
const CRATES = [
  { name: 'tokio-1.24.2', dir: `${REG}/tokio-1.24.2`, crate: 'tokio', features: ['full'] },
  { name: 'h2-0.3.13', dir: `${REG}/h2-0.3.13`, crate: 'h2', features: [] },
  { name: 'hyper-0.14.19', dir: `${REG}/hyper-0.14.19`, crate: 'hyper', features: ['full'] },
  {
    name: 'futures-service',
    dir: path.join(repo, 'test/fixtures/futures-service'),
    crate: 'futures_service',
    features: [],
  },
];
const truthDir = path.join(repo, 'test/fixtures/futures-truth');

function regen(c) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'al-futures-'));
  const dir = path.join(tmp, c.name);
  fs.cpSync(c.dir, dir, { recursive: true });
  const manifest = path.join(dir, 'Cargo.toml');
  let skip = false;
  const kept = fs
    .readFileSync(manifest, 'utf8')
    .split('\n')
    .filter(l => {
      if (l.startsWith('['))
        skip = l.includes('dev-dependencies') || /^\[\[(bench|test|example)/.test(l);
      return !skip;
    });
  fs.writeFileSync(manifest, kept.join('\n'));
  fs.mkdirSync(path.join(dir, '.cargo'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, '.cargo/config.toml'),
    `[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "${REG}"\n[net]\noffline = true\n`,
  );
  const args = [
    'rustc',
    '--offline',
    '-j1',
    '--lib',
    '--target-dir',
    path.join(tmp, 'target'),
    ...(c.features.length ? ['--features', c.features.join(',')] : []),
    '--',
    '-Zprint-type-sizes',
  ];
  const r = spawnSync('cargo', args, {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, RUSTC_BOOTSTRAP: '1', CARGO_INCREMENTAL: '0' },
  });
  if (r.status !== 0) throw new Error(`${c.name}: cargo failed\n${r.stderr.slice(-2000)}`);
  let keep = false;
  const lines = r.stdout.split('\n').filter(l => {
    if (l.startsWith('print-type-size type: '))
      keep = l.startsWith('print-type-size type: `{async');
    return keep && l.startsWith('print-type-size');
  });
  fs.writeFileSync(path.join(truthDir, `${c.name}.txt`), lines.join('\n') + '\n');
  fs.rmSync(tmp, { recursive: true, force: true });
}

const wantRegen = process.argv.includes('--regen');
const rows = [];
for (const c of CRATES) {
  if (!fs.existsSync(c.dir)) {
    console.error(`${c.dir} is missing: run scripts/ci-deps.sh`);
    process.exit(1);
  }
  if (wantRegen) regen(c);
  const truthFile = path.join(truthDir, `${c.name}.txt`);
  if (!fs.existsSync(truthFile)) {
    console.error(`no ground truth ${truthFile}: run with --regen`);
    continue;
  }
  const index = await loadWorkspace(c.dir, { features: c.features });
  const t0 = performance.now();
  const futures = new FutureAnalyzer(index, new LayoutEngine(index)).all();
  const ms = performance.now() - t0;
  const truth = parsePrintTypeSizes(fs.readFileSync(truthFile, 'utf8'));
  const m = matchFutures(truth.asyncBodies, futures, c.crate, c.dir);
  const a = accuracy(m);
  rows.push({
    crate: c.name,
    futures: futures.length,
    rustcBodies: truth.asyncBodies.length,
    compared: a.n,
    spearman: a.spearman.toFixed(3),
    within25: `${(a.within25 * 100).toFixed(1)} %`,
    confidentlyWrong: a.confidentlyWrong,
    ms: Math.round(ms),
  });
  if (process.argv.includes('--verbose')) {
    for (const x of m.sort((p, q) => q.rustc.size - p.rustc.size))
      console.log(
        `  ${String(x.rustc.size).padStart(7)} ${String(x.info.size).padStart(7)} ${x.info.status.padEnd(11)} ${x.info.fn}`,
      );
  }
}
console.table(rows);
const all = rows.reduce((s, r) => s + r.compared, 0);
console.log(
  `${all} async bodies compared on ${rows.length} crates; confidently wrong: ${rows.reduce((s, r) => s + r.confidentlyWrong, 0)}`,
);
