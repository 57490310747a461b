#!/usr/bin/env node
// Runs every compiled unit test (out/test/unit/**/*.test.js) with node's built-in test runner.
// Usage: node scripts/run-tests.mjs [filter-substring...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = join(import.meta.dirname, '..', 'out', 'test', 'unit');
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (filters.length === 0 || filters.some(f => p.includes(f)))) files.push(p);
  }
})(root);
if (files.length === 0) {
  console.error(`no test files found under ${root} (did the build run?)`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
