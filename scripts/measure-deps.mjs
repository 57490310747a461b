#!/usr/bin/env node
// Dependencies resolved vs not, against rustc (-Zprint-type-sizes), on real Debian crates:
// how many of each crate's own types are exact, lower-bound or unknown, and how many `exact`
// answers rustc disagrees with (the hard bar: zero). Each crate is copied to a scratch dir
// with a `directory` source replacement for /usr/share/cargo/registry (the same thing a
// vendored project has), dev-dependencies stripped so cargo resolves offline.
// Usage: npm run measure:deps [-- crate-version[:features] ...]   (needs scripts/ci-deps.sh)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const out = path.join(import.meta.dirname, '..', 'out', 'src', 'core');
const { loadWorkspace } = require(path.join(out, 'index', 'workspace.js'));
const { LayoutEngine } = require(path.join(out, 'layout', 'engine.js'));
const { runExact, compareExact } = require(path.join(out, 'exact', 'index.js'));
// BEFORE_OUT=/path/to/other/out/src/core measures "before" with another build (e.g. main
// before this change); by default "before" is this build with dependencies switched off.
const beforeOut = process.env.BEFORE_OUT;
const before = beforeOut
  ? {
      loadWorkspace: require(path.join(beforeOut, 'index', 'workspace.js')).loadWorkspace,
      LayoutEngine: require(path.join(beforeOut, 'layout', 'engine.js')).LayoutEngine,
      compareExact: require(path.join(beforeOut, 'exact', 'index.js')).compareExact,
    }
  : undefined;

const REG = '/usr/share/cargo/registry';
const DEFAULT = [
  'tokio-1.24.2:full',
  'hyper-0.14.19:full',
  'h2-0.3.13',
  'serde_json-1.0.87',
  'regex-1.7.1',
];
const specs = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT;

function scratchCopy(dir) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-lens-deps-'));
  const dst = path.join(tmp, path.basename(dir));
  fs.cpSync(dir, dst, { recursive: true });
  const manifest = path.join(dst, 'Cargo.toml');
  // Drop [dev-dependencies] tables: their crates are not all packaged, and the lib never needs them.
  const lines = fs.readFileSync(manifest, 'utf8').split('\n');
  let skip = false;
  const kept = lines.filter(l => {
    if (/^\s*\[/.test(l)) skip = /dev-dependencies/.test(l);
    return !skip;
  });
  fs.writeFileSync(manifest, kept.join('\n'));
  fs.mkdirSync(path.join(dst, '.cargo'), { recursive: true });
  fs.writeFileSync(
    path.join(dst, '.cargo', 'config.toml'),
    `[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "${REG}"\n`,
  );
  return dst;
}

function tally(report) {
  const t = {
    compared: report.compared,
    exact: 0,
    exactWrong: 0,
    lowerBound: 0,
    unknown: 0,
    wrong: [],
  };
  for (const e of report.entries) {
    if (e.estimate.status === 'exact') {
      if (e.drift) {
        t.exactWrong++;
        t.wrong.push(
          `${e.path}: ours ${e.estimate.size}/${e.estimate.align}, rustc ${e.exact.size}/${e.exact.align}`,
        );
      } else t.exact++;
    } else if (e.estimate.status === 'lower-bound') t.lowerBound++;
    else t.unknown++;
  }
  return t;
}

const rows = [];
for (const spec of specs) {
  const [name, feats] = spec.split(':');
  const features = feats ? feats.split(',') : [];
  const dir = scratchCopy(path.join(REG, name));
  process.stderr.write(`${name}: compiling with rustc...\n`);
  let exact;
  try {
    exact = await runExact({
      crateDir: dir,
      features,
      onProgress: m => process.stderr.write(`  ${m}\n`),
    });
  } catch (e) {
    process.stderr.write(`${name}: rustc build failed: ${e.message}\n`);
    continue;
  }
  const row = { crate: name, features: features.join(',') };
  const reports = {};
  for (const deps of [false, true]) {
    const api = !deps && before ? before : { loadWorkspace, LayoutEngine, compareExact };
    const index = await api.loadWorkspace(dir, { features, dependencies: deps, trusted: false });
    const report = api.compareExact(exact, index.typeDefs(), new api.LayoutEngine(index), index);
    reports[deps] = report;
    row[deps ? 'after' : 'before'] = tally(report);
  }
  if (process.env.DIAG) {
    // Types exact before and not after (a regression), with the engine's reason.
    const before = new Map(reports[false].entries.map(e => [e.name, e]));
    const index = await loadWorkspace(dir, { features, trusted: false });
    const engine = new LayoutEngine(index);
    for (const e of reports[true].entries) {
      const b = before.get(e.name);
      if (
        b &&
        b.estimate.status === 'exact' &&
        !b.drift &&
        (e.estimate.status !== 'exact' || e.drift)
      ) {
        const item = index.typeDefs().find(t => t.path === e.path);
        const l = item ? engine.layoutOfItem(item) : undefined;
        console.log(
          `regressed: ${e.path} ${e.estimate.status} ${e.estimate.size}/${e.estimate.align} (rustc ${e.exact.size}/${e.exact.align}): ${l?.unknownParts?.join('; ') ?? ''}`,
        );
      }
    }
  }
  rows.push(row);
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
}
console.log(
  '| crate | features | compared | exact before | exact after | lower-bound before | lower-bound after | unknown after | exact but wrong (before/after) |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const b = r.before,
    a = r.after;
  console.log(
    `| ${r.crate} | ${r.features || 'default'} | ${a.compared} | ${b.exact} | ${a.exact} | ${b.lowerBound} | ${a.lowerBound} | ${a.unknown} | ${b.exactWrong}/${a.exactWrong} |`,
  );
}
for (const r of rows) for (const w of r.after.wrong) console.log(`wrong after (${r.crate}): ${w}`);
for (const r of rows)
  for (const w of r.before.wrong) console.log(`wrong before (${r.crate}): ${w}`);
