#!/usr/bin/env node
// Analysis fuzz at scale: N mutated real files (tokio, bytes, async-trait, the fixtures) through
// index + layout + rules; counts crashes, files over 1 s of CPU and `exact` answers for types rustc
// rejects; compiles a sample of the injected rejected types with rustc to confirm rustc rejects
// them. Writes test/fuzz/measured.json. Usage: npm run measure:fuzz-analysis [-- N [seed]]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ROOT = path.join(import.meta.dirname, '..');
const fuzz = require(path.join(ROOT, 'out', 'test', 'fuzz', 'analysis-fuzz.js'));
const REG = process.env.ALLOC_LENS_REGISTRY || '/usr/share/cargo/registry';
const n = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 20261202);
const roots = ['tokio-1.24.2', 'bytes-1.2.1', 'async-trait-0.1.56'].map(c => path.join(REG, c, 'src'));
for (const r of roots) if (!fs.existsSync(r)) throw new Error(`${r} missing: run scripts/ci-deps.sh`);
const seeds = fuzz.seedFiles([...roots, path.join(ROOT, 'test', 'fixtures')]);
const t0 = Date.now();
// Running counts on every progress line: a run stopped early (a hang or a memory blow-up, as
// in the first 10k run) still says what it found before.
const rep = fuzz.runFuzz(seeds, seed, n, 1000, (done, r) => process.stderr.write(
  `\r${done}/${n} files, ${((Date.now() - t0) / 1000).toFixed(0)} s: ${r.crashes.length} crashes, ` +
  `${r.slow.length} over 1 s, ${r.falseExact.length} false exact`));
process.stderr.write('\n');
const compiles = src => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-fuzz-rustc-'));
  try {
    const f = path.join(dir, 'lib.rs');
    fs.writeFileSync(f, `#![allow(dead_code)]\n${src}`);
    return spawnSync('rustc', ['--crate-type', 'lib', '--edition', '2021', '--out-dir', dir, f]).status === 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
const RUSTC_SAMPLE = 100;
const rustcAccepted = fuzz.rustcAcceptsAny(seed, RUSTC_SAMPLE, compiles);
const summary = {
  seed, files: rep.files, seedFiles: seeds.length, byKind: rep.byKind,
  crashes: rep.crashes.length, over1sCpu: rep.slow.length, falseExact: rep.falseExact.length,
  maxCpuMs: Math.round(rep.maxCpuMs), wallSeconds: Math.round((Date.now() - t0) / 1000),
  rustcSample: RUSTC_SAMPLE, rustcAcceptedOfSample: rustcAccepted.length,
  details: { crashes: rep.crashes.slice(0, 20), slow: rep.slow.slice(0, 20), falseExact: rep.falseExact.slice(0, 20), rustcAccepted },
};
fs.writeFileSync(path.join(ROOT, 'test', 'fuzz', 'measured.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(JSON.stringify({ ...summary, details: undefined }, null, 2));
process.exit(rep.crashes.length + rep.slow.length + rep.falseExact.length + rustcAccepted.length === 0 ? 0 : 1);
