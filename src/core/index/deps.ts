/**
 * Dependency crates, read lazily: a dependency's root file is parsed when a path first leads
 * into the crate, and each of its module files when a path first leads into that module, so
 * libc's thousands of items cost only the modules that are named. Parsed files are cached per
 * crate, version, features and target (module level, shared by every index of the process:
 * the editor re-analyses without re-reading dependencies). Only extracted items are kept, not
 * syntax trees or text.
 */
import * as path from 'node:path';
import type { ResolvedPackage } from '../cargo/graph';
import { parseRust } from '../parser';
import { applyCfg, cfgOf } from './cfg-apply';
import type { CfgContext } from './cfg';
import { extractItems, newExtractResult, type ExtractResult, type ModDecl } from './extract';
import { lineStarts } from './syntax';
import { duplicateMods } from './mod-dups';

export interface DepFile {
  file: string;
  crate: string;
  module: string;
  childDir: string;
  result: ExtractResult;
}

export interface DepCrate {
  pkg: ResolvedPackage;
  /** Root module path (the library name, or `name@version` when that name is taken). */
  root: string;
  ctx: CfgContext;
  byModule: Map<string, DepFile>;
  /** `mod x;` declarations not read yet, by module path. */
  pending: Map<string, { decl: ModDecl; file: string; childDir: string }>;
  /** Files that failed to read (warned once). */
  failed: Set<string>;
}

const CACHE = new Map<string, DepCrate>();
/** Bound on cached crates: an editor session that switches feature sets does not grow forever. */
const CACHE_LIMIT = 400;

export function depCrate(pkg: ResolvedPackage, root: string, ctx: CfgContext): DepCrate {
  const key = [
    pkg.id,
    pkg.version,
    root,
    [...ctx.features].sort().join(','),
    ctx.target.triple,
  ].join('|');
  let c = CACHE.get(key);
  if (!c) {
    if (CACHE.size >= CACHE_LIMIT) CACHE.delete(CACHE.keys().next().value!);
    c = { pkg, root, ctx, byModule: new Map(), pending: new Map(), failed: new Set() };
    CACHE.set(key, c);
  }
  return c;
}

/** Parse and extract one file of a dependency, register its `mod` declarations as pending. */
export function loadDepFile(
  c: DepCrate,
  file: string,
  module: string,
  childDir: string,
  text: string,
): DepFile {
  const result = newExtractResult();
  extractItems(
    parseRust(text).rootNode,
    text,
    { file, offset: 0, lines: lineStarts(text) },
    module,
    result,
  );
  result.items = applyCfg(result.items, c.ctx);
  const f: DepFile = { file, crate: c.root, module, childDir, result };
  c.byModule.set(module, f);
  const twice = duplicateMods(result.mods, c.ctx);
  for (const m of result.mods) {
    // A module behind an inactive cfg (`#[cfg(windows)] mod windows;`) is never read; one
    // declared twice (its cfg inside a macro) neither: its types stay unknown.
    if (m.item.attrs.length > 0 && cfgOf(m.item.attrs, c.ctx) === 'no') continue;
    if (twice.has(m.path)) continue;
    if (!c.pending.has(m.path) && !c.byModule.has(m.path))
      c.pending.set(m.path, { decl: m, file, childDir });
  }
  return f;
}

export function libRoot(pkg: ResolvedPackage): string | undefined {
  return pkg.manifest.targets.find(t => t.kind === 'lib')?.root;
}

export function rootDir(file: string): string {
  return path.dirname(file);
}
