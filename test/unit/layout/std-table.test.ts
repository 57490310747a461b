import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { requireRustc } from './rustc-oracle';

const SCRIPT = path.join(__dirname, '..', '..', '..', '..', 'scripts', 'gen-std-layouts.mjs');

test('the std type table agrees with the installed rustc (npm run gen:std-layouts regenerates it)', () => {
  requireRustc();
  const r = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /agrees with rustc .* on \d+ types/);
});
