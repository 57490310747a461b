#!/usr/bin/env node
// Release check: fuzzes the profile import (>= 100,000 mutated real inputs through the CLI) and
// the demangler (100,000 symbols). Same engine as test/unit/profile/fuzz.test.ts, more inputs and
// other seeds. Prints counts and writes .bench/fuzz-profile.json; exits 1 on any crash or hang
// (failing inputs are kept in .bench/fuzz-failures/).
// Usage: npm run measure:fuzz-profile [-- INPUTS [SEED]]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const inputs = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 20261202);
const { fuzzProfiles } = await import(
  join(repo, 'out', 'test', 'unit', 'helpers', 'profile-fuzz.js')
).then(m => m.default ?? m);
const keepDir = join(repo, '.bench', 'fuzz-failures');
mkdirSync(keepDir, { recursive: true });
const t0 = performance.now();
const r = await fuzzProfiles({
  seed,
  inputs,
  symbols: 100_000,
  keepDir,
  onProgress: n =>
    n % 10_000 === 0 &&
    console.error(
      `  ${n.toLocaleString('en-US')} inputs, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    ),
});
const s = (performance.now() - t0) / 1000;
const out = { seed, ...r, seconds: Math.round(s) };
writeFileSync(join(repo, '.bench', 'fuzz-profile.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(
  `fuzz-profile (seed ${seed}): ${r.inputs.toLocaleString('en-US')} inputs (exit 0: ${r.exit0}, exit 2: ${r.exit2}), ${r.symbols.toLocaleString('en-US')} symbols, ${r.crashes.length} crashes, ${r.hangs.length} hangs; slowest ${r.slowestMs.toFixed(0)} ms CPU (${r.slowest}); ${s.toFixed(0)} s`,
);
console.log(
  `  mutations: ${Object.entries(r.byMutation)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
);
for (const c of [...r.crashes, ...r.hangs].slice(0, 20)) console.log(`  FAIL ${c}`);
process.exit(r.crashes.length + r.hangs.length === 0 ? 0 : 1);
