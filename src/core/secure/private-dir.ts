/**
 * Private per-user directories for caches and cargo build output. A directory under a shared
 * temp dir with a predictable name (`$TMPDIR/alloc-lens-exact-target/<hash>`) lets another user
 * create it first, plant build artifacts or point it somewhere else with a symlink. These live
 * under `$XDG_CACHE_HOME/alloc-lens` (or `~/.cache/alloc-lens`), created 0700 and checked:
 * a real directory (not a symlink), owned by the current user, no group/other access.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export class UnsafeDirError extends Error {}

/** The current user id (`undefined` where the platform has none, e.g. Windows). */
function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * Creates `dir` (and missing parents) with mode 0700 and checks that it is safe to write build
 * output into: not a symlink, a directory, owned by `uid`. Group/other permission bits on a
 * directory we own are removed. Throws UnsafeDirError otherwise. `uid` is a parameter for tests.
 */
export function ensurePrivateDir(dir: string, uid: number | undefined = currentUid()): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (st.isSymbolicLink())
    throw new UnsafeDirError(`${dir} is a symbolic link; refusing to use it`);
  if (!st.isDirectory()) throw new UnsafeDirError(`${dir} is not a directory`);
  if (uid !== undefined && st.uid !== uid) {
    throw new UnsafeDirError(`${dir} is owned by uid ${st.uid}, not by the current user (${uid})`);
  }
  if (uid !== undefined && (st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  return dir;
}

/** `$XDG_CACHE_HOME/alloc-lens` (an absolute XDG_CACHE_HOME only, as the spec says) or
 * `~/.cache/alloc-lens`; not created. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'alloc-lens');
}

/** A private directory `cacheRoot()/...parts`: the root and every part are created and checked. */
export function privateCacheDir(...parts: string[]): string {
  let dir = ensurePrivateDir(cacheRoot());
  for (const p of parts) dir = ensurePrivateDir(path.join(dir, p));
  return dir;
}
