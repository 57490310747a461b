#!/usr/bin/env node
// Runs every compiled unit test (out/test/unit/**/*.test.js) with node's built-in test runner.
// Usage: node scripts/run-tests.mjs [filter-substring...]
// The full run (no filter, i.e. `npm test`) first runs scripts/ci-deps.sh, which installs the
// system packages the tests need as root, or names them and fails: no test skips for a missing tool.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = join(import.meta.dirname, '..', 'out', 'test', 'unit');
const filters = process.argv.slice(2);
if (filters.length === 0) {
  const deps = spawnSync('bash', [join(import.meta.dirname, 'ci-deps.sh')], { stdio: 'inherit' });
  if (deps.status !== 0) {
    console.error('scripts/ci-deps.sh failed: the tests need the packages it names');
    process.exit(deps.status ?? 1);
  }
}
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (
      name.endsWith('.test.js') &&
      (filters.length === 0 || filters.some(f => p.includes(f)))
    )
      files.push(p);
  }
})(root);
if (files.length === 0) {
  console.error(`no test files found under ${root} (did the build run?)`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
