/**
 * Where the tests find real crate sources (Debian's librust-*-dev packages). `npm test` installs
 * them first through scripts/ci-deps.sh; a test that needs one and finds it missing fails with the
 * command to run, never skips. ALLOC_LENS_REGISTRY points the tests (and ci-deps.sh) elsewhere.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REGISTRY = process.env.ALLOC_LENS_REGISTRY || '/usr/share/cargo/registry';

/** Debian package of a registry directory name: `async-trait-0.1.56` => `librust-async-trait-dev`. */
export function debianPackage(dir: string): string {
  return `librust-${dir.replace(/-\d+(\.\d+)*$/, '')}-dev`;
}

/** The absolute directory of crate `dir` (e.g. `tokio-1.24.2`), or a failed assertion naming the
 * package to install. */
export function crateDir(dir: string): string {
  const p = path.join(REGISTRY, dir);
  if (!fs.existsSync(p)) {
    assert.fail(
      `${p} is missing: run scripts/ci-deps.sh as root (npm test does) or ` +
        `apt-get install -y ${debianPackage(dir)}`,
    );
  }
  return p;
}
