/**
 * The exact-mode build and cache directories must be private to the user: created 0700 under
 * $XDG_CACHE_HOME/alloc-lens, refused when planted as a symlink or owned by someone else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  cacheRoot,
  ensurePrivateDir,
  privateCacheDir,
  UnsafeDirError,
} from '../../../src/core/secure/private-dir';
import { exactTargetDir } from '../../../src/core/exact/run';

function withCacheHome<T>(fn: (home: string) => T): T {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'al-xdg-'));
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = home;
  try {
    return fn(home);
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    fs.rmSync(home, { recursive: true, force: true });
  }
}

test('exactTargetDir is a 0700 directory under $XDG_CACHE_HOME/alloc-lens, not under the temp dir', () => {
  withCacheHome(home => {
    const dir = exactTargetDir('/some/crate');
    assert.ok(dir.startsWith(path.join(home, 'alloc-lens', 'exact-target') + path.sep), dir);
    assert.ok(!dir.startsWith(os.tmpdir() + path.sep + 'alloc-lens-exact-target'));
    for (const d of [
      path.join(home, 'alloc-lens'),
      path.join(home, 'alloc-lens', 'exact-target'),
      dir,
    ]) {
      const st = fs.lstatSync(d);
      assert.ok(st.isDirectory() && !st.isSymbolicLink(), d);
      assert.equal(st.mode & 0o777, 0o700, `${d}: mode ${(st.mode & 0o777).toString(8)}`);
      assert.equal(st.uid, process.getuid!());
    }
  });
});

test('a symlink planted at the cache dir is refused', () => {
  withCacheHome(home => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'al-attacker-'));
    try {
      fs.symlinkSync(elsewhere, path.join(home, 'alloc-lens'));
      assert.throws(() => privateCacheDir('exact-target', 'abc'), UnsafeDirError);
      assert.throws(() => exactTargetDir('/some/crate'), /symbolic link/);
      assert.deepEqual(fs.readdirSync(elsewhere), [], 'nothing was written through the link');
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

test('a directory owned by another user is refused; a world-writable own one is made 0700', () => {
  withCacheHome(home => {
    const d = path.join(home, 'alloc-lens');
    fs.mkdirSync(d, { mode: 0o777 });
    fs.chmodSync(d, 0o777);
    const other = process.getuid!() + 1;
    assert.throws(
      () => ensurePrivateDir(d, other),
      new RegExp(`owned by uid ${process.getuid!()}, not by the current user \\(${other}\\)`),
    );
    ensurePrivateDir(d);
    assert.equal(fs.statSync(d).mode & 0o777, 0o700);
  });
});

test('a relative XDG_CACHE_HOME is ignored (the XDG spec requires an absolute path)', () => {
  assert.equal(
    cacheRoot({ XDG_CACHE_HOME: 'rel/dir' }),
    path.join(os.homedir(), '.cache', 'alloc-lens'),
  );
  assert.equal(cacheRoot({ XDG_CACHE_HOME: '/x/c' }), '/x/c/alloc-lens');
});
