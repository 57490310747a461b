/**
 * The dependency graph of a workspace with cargo's feature resolution: which package every
 * dependency name leads to (Cargo.lock versions, else the highest version present that matches
 * the requirement) and which features each package is built with (defaults, features that
 * dependents enable, `dep:` and `?` syntax, optional dependencies, target-specific
 * dependencies), unified per package as `cargo build` does. Dev-dependencies of workspace
 * packages are resolved for test/bench/example targets but do not change the features the
 * library is built with. Build scripts and proc macros are never run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evalCfgIn, type CfgTarget } from './cfg';
import { buildScriptCfgs } from './build-script';
import { readManifest, type Dependency, type Manifest } from './manifest';
import { bestMatch } from './semver';
import { RegistryIndex, sourceDirs } from './sources';
import { readTomlFile, strings, table } from './toml';

export interface FeatureRequest {
  /** Extra features of the workspace packages (`--features a,b`; `pkg/feat` also accepted). */
  features?: string[];
  allFeatures?: boolean;
  noDefaultFeatures?: boolean;
}

export interface ResolvedPackage {
  /** The package directory (unique per source). */
  id: string;
  name: string;
  version: string;
  manifest: Manifest;
  workspace: boolean;
  features: Set<string>;
  /** Dependency name as code writes it -> package id (normal dependencies). */
  deps: Map<string, string>;
  /** Dev-dependencies (only for test, bench and example targets). */
  devDeps: Map<string, string>;
  /** Custom cfgs the build script may set (undecidable without running it). */
  buildCfgs: Map<string, 'yes' | 'maybe'>;
}

export interface CrateGraph {
  packages: Map<string, ResolvedPackage>;
  roots: string[];
  /** Dependency packages whose source was not found (`name req`), for one warning. */
  missing: string[];
  /** Dev-dependencies whose source was not found (they matter to test targets only). */
  missingDev?: string[];
  source: 'cargo-metadata' | 'lockfile' | 'manifests';
}

interface LockPackage {
  name: string;
  version: string;
  deps: string[];
}

function findLock(dirs: string[]): string | undefined {
  for (const start of dirs) {
    for (let d = start; ; d = path.dirname(d)) {
      const f = path.join(d, 'Cargo.lock');
      if (fs.existsSync(f)) return f;
      if (fs.existsSync(path.join(d, '.cargo-checksum.json')) || path.dirname(d) === d) break;
    }
  }
  return undefined;
}

/** Cargo.lock packages by name; throws `CargoFileError` (file:line) if it is malformed. */
function readLock(file: string): Map<string, LockPackage[]> {
  const t = readTomlFile(file);
  const out = new Map<string, LockPackage[]>();
  for (const p of Array.isArray(t.package) ? t.package : []) {
    const e = table(p);
    if (!e || typeof e.name !== 'string') continue;
    const list = out.get(e.name) ?? [];
    list.push({ name: e.name, version: String(e.version ?? ''), deps: strings(e.dependencies) });
    out.set(e.name, list);
  }
  return out;
}

/** A resolved package with no dependencies yet (the lockfile and cargo metadata paths fill them). */
export function newPackage(
  dir: string,
  manifest: Manifest,
  workspace: boolean,
  features: Set<string>,
  buildCfgs: Map<string, 'yes' | 'maybe'>,
): ResolvedPackage {
  return {
    id: dir,
    name: manifest.name,
    version: manifest.version,
    manifest,
    workspace,
    features,
    deps: new Map(),
    devDeps: new Map(),
    buildCfgs,
  };
}

export function resolveGraph(
  rootDirs: string[],
  target: CfgTarget,
  req: FeatureRequest = {},
): CrateGraph {
  const packages = new Map<string, ResolvedPackage>();
  const missing = new Set<string>();
  const missingDev = new Set<string>();
  const wsRoot = rootDirs[0] ?? process.cwd();
  const registry = new RegistryIndex(sourceDirs(wsRoot));
  const lockFile = findLock(rootDirs);
  const lock = lockFile ? readLock(lockFile) : undefined;
  const members = new Map<string, string>();

  const pkg = (dir: string, workspace: boolean): ResolvedPackage => {
    let p = packages.get(dir);
    if (!p) {
      const manifest = readManifest(dir);
      // Features and build-script cfgs are filled once the features are final (a build script
      // may test `cfg!(feature = "..")`).
      p = newPackage(dir, manifest, workspace, new Set(), new Map());
      packages.set(dir, p);
    }
    return p;
  };
  for (const d of rootDirs) members.set(pkg(d, true).name, d);

  const lockVersion = (from: ResolvedPackage, name: string): string | undefined => {
    const entries = lock?.get(from.name);
    const self =
      entries?.find(e => e.version === from.version) ??
      (entries?.length === 1 ? entries[0] : undefined);
    const ref = self?.deps.find(d => d === name || d.startsWith(name + ' '));
    if (ref)
      return (
        ref.split(' ')[1] ??
        (lock!.get(name)?.length === 1 ? lock!.get(name)![0].version : undefined)
      );
    return undefined;
  };

  const locate = (from: ResolvedPackage, dep: Dependency): string | undefined => {
    if (dep.path) return fs.existsSync(path.join(dep.path, 'Cargo.toml')) ? dep.path : undefined;
    if (members.has(dep.package) && !dep.git && lock === undefined) {
      // Inside a workspace a registry dependency can still be a member (patched); prefer the member.
      const m = members.get(dep.package)!;
      if (m !== from.id) return m;
    }
    const cands = dep.git
      ? registry.gitCandidates(dep.package, dep.git)
      : registry.candidates(dep.package);
    const locked = lockVersion(from, dep.package);
    if (locked) {
      const c = cands.find(x => x.version === locked);
      if (c) return c.dir;
    }
    const v = dep.git
      ? cands[0]?.version
      : bestMatch(
          cands.map(c => c.version),
          dep.req,
        );
    return v ? cands.find(c => c.version === v)!.dir : undefined;
  };

  const applies = (dep: Dependency): boolean => {
    if (!dep.target) return true;
    const m = /^cfg\((.*)\)$/s.exec(dep.target.trim());
    return m
      ? evalCfgIn(m[1], { target: target, features: new Set() }) !== 'no'
      : dep.target === target.triple;
  };

  /** Packages whose features are final (the library build) once dev-dependencies are added. */
  let frozen: Set<string> | undefined;
  const weak = new Map<string, Set<string>>();
  const enabledDeps = new Map<string, Set<string>>();

  const activateDep = (p: ResolvedPackage, dep: Dependency): void => {
    const key = `${p.id}\0${dep.kind}\0${dep.key}\0${dep.target ?? ''}`;
    const on = enabledDeps.get(p.id) ?? new Set();
    enabledDeps.set(p.id, on);
    if (on.has(key)) return;
    on.add(key);
    const dir = locate(p, dep);
    if (!dir) {
      (frozen ? missingDev : missing).add(`${dep.package} ${dep.req}`);
      return;
    }
    let d: ResolvedPackage;
    try {
      d = pkg(dir, rootDirs.includes(dir));
    } catch {
      missing.add(`${dep.package} ${dep.req} (unreadable manifest)`);
      return;
    }
    (dep.kind === 'dev' ? p.devDeps : p.deps).set(dep.codeName, d.id);
    activatePackage(d);
    if (dep.defaultFeatures) feature(d, 'default');
    for (const f of dep.features) feature(d, f);
    for (const f of weak.get(`${p.id}\0${dep.key}`) ?? []) feature(d, f);
  };

  const depsNamed = (p: ResolvedPackage, key: string) =>
    p.manifest.deps.filter(d => d.key === key && d.kind === 'normal' && applies(d));

  const activated = new Set<string>();
  const activatePackage = (p: ResolvedPackage): void => {
    if (activated.has(p.id)) return;
    activated.add(p.id);
    for (const d of p.manifest.deps)
      if (d.kind === 'normal' && !d.optional && applies(d)) activateDep(p, d);
  };

  const feature = (p: ResolvedPackage, f: string): void => {
    if (frozen?.has(p.id) && !p.workspace) return;
    if (f.startsWith('dep:')) {
      for (const d of depsNamed(p, f.slice(4))) activateDep(p, d);
      return;
    }
    const slash = f.indexOf('/');
    if (slash > 0) {
      const weakDep = f[slash - 1] === '?';
      const key = f.slice(0, weakDep ? slash - 1 : slash);
      const sub = f.slice(slash + 1);
      const ds = depsNamed(p, key);
      if (weakDep) {
        const w = weak.get(`${p.id}\0${key}`) ?? new Set();
        w.add(sub);
        weak.set(`${p.id}\0${key}`, w);
        for (const d of ds) {
          const id = p.deps.get(d.codeName);
          if (id) feature(packages.get(id)!, sub);
        }
        return;
      }
      if (ds.length === 0 && p.manifest.features[key]) return feature(p, key);
      // `dep/feat` enables an optional `dep` too, with its implicit feature.
      if (ds.some(d => d.optional) && !usesDepSyntax(p.manifest, key)) feature(p, key);
      for (const d of ds) activateDep(p, d);
      const w = weak.get(`${p.id}\0${key}`) ?? new Set();
      w.add(sub);
      weak.set(`${p.id}\0${key}`, w);
      for (const d of ds) {
        const id = p.deps.get(d.codeName);
        if (id) feature(packages.get(id)!, sub);
      }
      return;
    }
    if (p.features.has(f)) return;
    const list = p.manifest.features[f];
    const optional = depsNamed(p, f).filter(d => d.optional);
    if (!list && (optional.length === 0 || usesDepSyntax(p.manifest, f))) return;
    p.features.add(f);
    for (const e of list ?? []) feature(p, e);
    if (!list) for (const d of optional) activateDep(p, d);
  };

  const rootFeatures = (p: ResolvedPackage) => {
    activatePackage(p);
    if (!req.noDefaultFeatures) feature(p, 'default');
    for (const f of req.features ?? []) {
      const slash = f.indexOf('/');
      if (slash > 0 && members.has(f.slice(0, slash))) {
        if (members.get(f.slice(0, slash)) === p.id) feature(p, f.slice(slash + 1));
      } else feature(p, f);
    }
    if (req.allFeatures) {
      for (const f of Object.keys(p.manifest.features)) feature(p, f);
      for (const d of p.manifest.deps) if (d.optional && d.kind === 'normal') activateDep(p, d);
    }
  };
  const roots = rootDirs.map(d => pkg(d, true));
  for (const p of roots) rootFeatures(p);
  // Dev-dependencies: resolved for test targets, without changing the library's features.
  frozen = new Set(packages.keys());
  for (const p of roots)
    for (const d of p.manifest.deps) if (d.kind === 'dev' && applies(d)) activateDep(p, d);
  for (const p of packages.values()) {
    const build = p.manifest.targets.find(t => t.kind === 'build');
    if (!build) continue;
    try {
      for (const [k, v] of buildScriptCfgs(
        fs.readFileSync(build.root, 'utf8'),
        target.triple,
        p.features,
      ))
        p.buildCfgs.set(k, v);
    } catch {
      p.buildCfgs.set('*', 'maybe');
    }
  }
  return {
    packages,
    roots: rootDirs,
    missing: [...missing].sort(),
    missingDev: [...missingDev].sort(),
    source: lock ? 'lockfile' : 'manifests',
  };
}

/** Whether the manifest refers to optional dependency `key` as `dep:key` (no implicit feature). */
function usesDepSyntax(m: Manifest, key: string): boolean {
  return Object.values(m.features).some(list => list.includes(`dep:${key}`));
}
