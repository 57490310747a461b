#!/usr/bin/env node
// `npm run test:e2e`: provisions code-server + Chromium, packages the VSIX, then runs the
// real-editor tests with node's test runner.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { provision } from './provision.mjs';

const root = join(import.meta.dirname, '..', '..');
provision();
const pkg = spawnSync('npm', ['run', 'package'], { cwd: root, stdio: 'inherit' });
if (pkg.status !== 0) process.exit(pkg.status ?? 1);
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', join(root, 'test', 'e2e')], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
