#!/usr/bin/env node
// `npm run test:e2e`: provisions code-server + Chromium, packages the VSIX, then runs the
// real-editor tests with node's test runner.
// `npm run test:e2e -- record findings-view` runs only the test files whose names contain one of
// the words; ALLOC_LENS_E2E_NO_PACKAGE=1 reuses dist/alloc-lens.vsix as it is.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { provision } from './provision.mjs';

const root = join(import.meta.dirname, '..', '..');
provision();
if (process.env.ALLOC_LENS_E2E_NO_PACKAGE !== '1') {
  const pkg = spawnSync('npm', ['run', 'package'], { cwd: root, stdio: 'inherit' });
  if (pkg.status !== 0) process.exit(pkg.status ?? 1);
}
const words = process.argv.slice(2);
const dir = join(root, 'test', 'e2e');
const files =
  words.length === 0
    ? [dir]
    : readdirSync(dir)
        .filter(f => f.endsWith('.test.mjs') && words.some(w => f.includes(w)))
        .map(f => join(dir, f));
if (files.length === 0) {
  console.error(`no e2e test file matches ${words.join(', ')}`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
