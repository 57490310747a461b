/**
 * Which files are checked: the same answer for the CLI (`alloc-lens check`) and the editor, so
 * both report the same findings. Every `.rs` file under the root (`tests/`, `benches/` and
 * `examples/` included: each is a crate root of its own) minus the `exclude` globs.
 */
import * as path from 'node:path';
import type { WorkspaceIndex } from '../index/workspace';
import { listRustFiles } from '../index/crates';

/** `allocLens.exclude`'s default, and the CLI's (`--exclude` adds to it). */
export const DEFAULT_EXCLUDE = ['**/target/**'];

/** Minimal glob matching for exclude settings (`**`, `*`, `?`), on `/`-separated relative paths. */
export function matchesGlob(rel: string, glob: string): boolean {
  const re = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*\/?/g, '\u0000')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]')
    .replace(/\u0000/g, '.*');
  return new RegExp(`^${re}$`).test(rel.split(path.sep).join('/'));
}

export function isExcluded(root: string, file: string, exclude: readonly string[]): boolean {
  const rel = path.relative(root, file);
  return exclude.some(g => matchesGlob(rel, g));
}

/**
 * The files to check under `root` (a directory, or one file), indexed on demand. Files of the
 * index outside `root` (dependencies) are never checked.
 */
export function selectFiles(
  index: WorkspaceIndex,
  root: string,
  exclude: readonly string[],
  only?: string[],
): string[] {
  const files = (only ?? listRustFiles(root)).filter(f => !isExcluded(root, f, exclude));
  index.ensureFiles(files);
  return files.filter(f => index.hasFile(f));
}
