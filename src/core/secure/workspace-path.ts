/**
 * Whether a file named by a profile or a flamegraph may be opened: only when its real path (all
 * symlinks resolved) lies inside the real path of a workspace folder. Checking the path as written
 * lets `ws/link -> /etc` open `/etc/passwd` through `ws/link/passwd`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type WorkspaceFile =
  | { ok: true; real: string; folder: string }
  | { ok: false; reason: 'relative' | 'missing' | 'outside' };

function isStrictlyInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel);
}

function realOrUndefined(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined; // a missing path: the caller reports it
  }
}

/** Resolves `file` (absolute) and the `folders` to real paths and checks containment. */
export function resolveWorkspaceFile(file: string, folders: readonly string[]): WorkspaceFile {
  if (!path.isAbsolute(file)) return { ok: false, reason: 'relative' };
  const real = realOrUndefined(file);
  if (real === undefined) return { ok: false, reason: 'missing' };
  for (const folder of folders) {
    const root = realOrUndefined(folder);
    if (root !== undefined && isStrictlyInside(root, real)) return { ok: true, real, folder };
  }
  return { ok: false, reason: 'outside' };
}
