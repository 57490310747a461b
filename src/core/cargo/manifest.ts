/**
 * A package manifest as far as layouts need it: name, version, library name and path, the
 * dependencies (renames, optional, features, `default-features`, target cfgs, path/git
 * sources, `workspace = true` inheritance), the `[features]` table and the cargo targets.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTomlFile, strings, table, type TomlTable } from './toml';

export type DepKind = 'normal' | 'dev' | 'build';

export interface Dependency {
  /** The name code uses (`use name::...`): the key, `-` replaced by `_`. */
  codeName: string;
  /** The manifest key (feature syntax `key/feat`, `dep:key` refers to it). */
  key: string;
  /** The package it names (`package = "..."` or the key). */
  package: string;
  req: string;
  optional: boolean;
  defaultFeatures: boolean;
  features: string[];
  kind: DepKind;
  /** `[target.'cfg(...)'.dependencies]`: the predicate (or a triple), if any. */
  target?: string;
  path?: string;
  git?: string;
}

export type TargetKind = 'lib' | 'bin' | 'test' | 'bench' | 'example' | 'build';

export interface ManifestTarget {
  kind: TargetKind;
  name: string;
  /** Absolute path of the crate root file. */
  root: string;
}

export interface Manifest {
  dir: string;
  file: string;
  name: string;
  version: string;
  libName: string;
  /** `package.edition` (`2015` when absent, as cargo reads it). */
  edition: string;
  procMacro: boolean;
  deps: Dependency[];
  features: Record<string, string[]>;
  targets: ManifestTarget[];
  /** Workspace members (globs expanded later), when this manifest has `[workspace]`. */
  members?: string[];
  exclude?: string[];
  /** A virtual manifest has `[workspace]` and no `[package]`. */
  virtual: boolean;
}

const normal = (s: string) => s.replace(/-/g, '_');

/** The nearest enclosing manifest with `[workspace]` (for `workspace = true` inheritance). */
function workspaceRoot(dir: string): TomlTable | undefined {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const f = path.join(d, 'Cargo.toml');
    if (fs.existsSync(f)) {
      try {
        const t = readTomlFile(f);
        if (t.workspace) return table(t.workspace);
      } catch {
        return undefined;
      }
    }
    if (path.dirname(d) === d) return undefined;
  }
}

function depOf(
  key: string,
  spec: unknown,
  kind: DepKind,
  target: string | undefined,
  dir: string,
  ws: () => TomlTable | undefined,
): Dependency {
  let s = typeof spec === 'string' ? { version: spec } : (table(spec) ?? {});
  if (s.workspace === true) {
    const inherited = table(ws()?.dependencies)?.[key];
    const base = typeof inherited === 'string' ? { version: inherited } : (table(inherited) ?? {});
    // Path dependencies of the workspace table are relative to the workspace root.
    s = { ...base, ...s, features: [...strings(base.features), ...strings(s.features)] };
  }
  const pkg = typeof s.package === 'string' ? s.package : key;
  return {
    codeName: normal(key),
    key,
    package: pkg,
    req: typeof s.version === 'string' ? s.version : '*',
    optional: s.optional === true,
    defaultFeatures: s['default-features'] !== false && s.default_features !== false,
    features: strings(s.features),
    kind,
    target,
    path: typeof s.path === 'string' ? path.resolve(dir, s.path) : undefined,
    git: typeof s.git === 'string' ? s.git : undefined,
  };
}

function deps(
  t: TomlTable,
  dir: string,
  target: string | undefined,
  ws: () => TomlTable | undefined,
): Dependency[] {
  const out: Dependency[] = [];
  const kinds: [string, DepKind][] = [
    ['dependencies', 'normal'],
    ['dev-dependencies', 'dev'],
    ['dev_dependencies', 'dev'],
    ['build-dependencies', 'build'],
    ['build_dependencies', 'build'],
  ];
  for (const [k, kind] of kinds)
    for (const [key, spec] of Object.entries(table(t[k]) ?? {}))
      out.push(depOf(key, spec, kind, target, dir, ws));
  return out;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function listDir(d: string): string[] {
  try {
    return fs.readdirSync(d).sort();
  } catch {
    return [];
  }
}

/** Cargo's target auto-discovery plus the explicit `[lib]`/`[[bin]]`/... tables. */
function targets(t: TomlTable, pkg: TomlTable, dir: string, name: string): ManifestTarget[] {
  const out: ManifestTarget[] = [];
  const seen = new Set<string>();
  const add = (kind: TargetKind, n: string, root: string) => {
    if (seen.has(root) || !isFile(root)) return;
    seen.add(root);
    out.push({ kind, name: normal(n), root });
  };
  const lib = table(t.lib);
  add(
    'lib',
    String(lib?.name ?? name),
    lib?.path ? path.resolve(dir, String(lib.path)) : path.join(dir, 'src', 'lib.rs'),
  );
  const explicit: [string, TargetKind, string][] = [
    ['bin', 'bin', 'src/bin'],
    ['test', 'test', 'tests'],
    ['bench', 'bench', 'benches'],
    ['example', 'example', 'examples'],
  ];
  for (const [key, kind, auto] of explicit) {
    for (const e of Array.isArray(t[key]) ? (t[key] as unknown[]).map(table) : []) {
      if (!e) continue;
      const n = String(e.name ?? name);
      const guess =
        kind === 'bin' && n === name && isFile(path.join(dir, 'src', 'main.rs'))
          ? path.join(dir, 'src', 'main.rs')
          : path.join(dir, auto, `${n}.rs`);
      add(
        kind,
        n,
        e.path
          ? path.resolve(dir, String(e.path))
          : isFile(guess)
            ? guess
            : path.join(dir, auto, n, 'main.rs'),
      );
    }
  }
  const autoOn = (k: string) => pkg[k] !== false && !(pkg.autodiscovery === false);
  if (autoOn('autobins')) add('bin', name, path.join(dir, 'src', 'main.rs'));
  const autoDirs: [string, TargetKind, string][] = [
    ['autobins', 'bin', 'src/bin'],
    ['autotests', 'test', 'tests'],
    ['autobenches', 'bench', 'benches'],
    ['autoexamples', 'example', 'examples'],
  ];
  for (const [flag, kind, rel] of autoDirs) {
    if (!autoOn(flag)) continue;
    const d = path.join(dir, rel);
    for (const e of listDir(d)) {
      if (e.endsWith('.rs')) add(kind, e.slice(0, -3), path.join(d, e));
      else if (isFile(path.join(d, e, 'main.rs'))) add(kind, e, path.join(d, e, 'main.rs'));
    }
  }
  const build = pkg.build;
  if (build !== false)
    add(
      'build',
      'build_script_build',
      typeof build === 'string' ? path.resolve(dir, build) : path.join(dir, 'build.rs'),
    );
  return out;
}

const cache = new Map<string, { mtime: number; m: Manifest }>();

/** Read `<dir>/Cargo.toml` (memoised by mtime). Throws `CargoFileError` on malformed TOML. */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, 'Cargo.toml');
  const mtime = fs.statSync(file).mtimeMs;
  const hit = cache.get(file);
  if (hit && hit.mtime === mtime) return hit.m;
  const t = readTomlFile(file);
  const pkg = table(t.package) ?? table(t.project);
  const ws = table(t.workspace);
  let wsRoot: TomlTable | undefined | null = ws ?? null;
  const wsTable = () => (wsRoot === null ? (wsRoot = workspaceRoot(dir)) : wsRoot);
  const name = String(pkg?.name ?? path.basename(dir));
  const all = deps(t, dir, undefined, wsTable);
  for (const [pred, tt] of Object.entries(table(t.target) ?? {}))
    all.push(...deps(table(tt) ?? {}, dir, pred, wsTable));
  const features: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(table(t.features) ?? {})) features[k] = strings(v);
  const version =
    typeof pkg?.version === 'string'
      ? pkg.version
      : String(table(wsTable()?.package)?.version ?? '0.0.0');
  const m: Manifest = {
    dir,
    file,
    name,
    version,
    libName: normal(String(table(t.lib)?.name ?? name)),
    edition:
      typeof pkg?.edition === 'string'
        ? pkg.edition
        : table(pkg?.edition)?.workspace === true
          ? String(table(wsTable()?.package)?.edition ?? '2015')
          : '2015',
    procMacro: table(t.lib)?.['proc-macro'] === true || table(t.lib)?.proc_macro === true,
    deps: all,
    features,
    targets: pkg ? targets(t, pkg, dir, name) : [],
    members: ws ? strings(ws.members) : undefined,
    exclude: ws ? strings(ws.exclude) : undefined,
    virtual: !pkg,
  };
  cache.set(file, { mtime, m });
  return m;
}
