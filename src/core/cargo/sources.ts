/**
 * Where a dependency's source lives, found the way cargo finds it: `[source]` replacements
 * (`directory = "vendor"`) in `.cargo/config.toml` files from the workspace up to
 * `$CARGO_HOME`, `$CARGO_HOME/registry/src/<index>/<name>-<version>`, git checkouts under
 * `$CARGO_HOME/git/checkouts`, and the siblings of a crate opened inside a registry or vendor
 * directory (each entry a `<name>-<version>` crate, like /usr/share/cargo/registry).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readTomlFile, table } from './toml';
import { parseVersion } from './semver';

export interface SourceDirs {
  /** Registry-like directories, searched in order. */
  registries: string[];
  /** Roots of git checkouts. */
  gitCheckouts: string[];
}

export function cargoHome(): string {
  return process.env.CARGO_HOME || path.join(os.homedir(), '.cargo');
}

function dirs(d: string): string[] {
  try {
    return fs
      .readdirSync(d, { withFileTypes: true })
      .filter(e => e.isDirectory())
      .map(e => path.join(d, e.name));
  } catch {
    return [];
  }
}

/** `directory` sources of the config files that apply to `start` (cargo's config discovery). */
function configDirectories(start: string): string[] {
  const out: string[] = [];
  const files: string[] = [];
  for (let d = start; ; d = path.dirname(d)) {
    for (const n of ['config.toml', 'config']) {
      const f = path.join(d, '.cargo', n);
      if (fs.existsSync(f)) {
        files.push(f);
        break;
      }
    }
    if (path.dirname(d) === d) break;
  }
  for (const n of ['config.toml', 'config']) {
    const f = path.join(cargoHome(), n);
    if (fs.existsSync(f) && !files.includes(f)) files.push(f);
  }
  for (const f of files) {
    let t;
    try {
      t = readTomlFile(f);
    } catch {
      continue; // A broken config does not stop the lockfile path; cargo itself reports it.
    }
    for (const s of Object.values(table(t.source) ?? {})) {
      const dir = table(s)?.directory;
      // Paths in a config file are relative to the directory that holds `.cargo/`.
      if (typeof dir === 'string') out.push(path.resolve(path.dirname(path.dirname(f)), dir));
    }
  }
  return out;
}

function isRegistryLike(d: string): boolean {
  let n = 0;
  for (const e of dirs(d).slice(0, 50)) if (/-\d+\.\d+\.\d+/.test(path.basename(e))) n++;
  return n >= 2;
}

export function sourceDirs(workspaceRoot: string): SourceDirs {
  const registries = configDirectories(workspaceRoot);
  registries.push(...dirs(path.join(cargoHome(), 'registry', 'src')));
  const parent = path.dirname(workspaceRoot);
  if (fs.existsSync(path.join(workspaceRoot, '.cargo-checksum.json')) || isRegistryLike(parent))
    registries.unshift(parent);
  return {
    registries: [...new Set(registries)].filter(d => fs.existsSync(d)),
    gitCheckouts: dirs(path.join(cargoHome(), 'git', 'checkouts')),
  };
}

export interface Candidate {
  version: string;
  dir: string;
}

/** Every copy of package `name` in the registry-like directories (`<name>-<version>` or `<name>`). */
export class RegistryIndex {
  private readonly listing = new Map<string, string[]>();

  constructor(private readonly dirs: SourceDirs) {}

  private entries(d: string): string[] {
    let e = this.listing.get(d);
    if (!e) {
      try {
        e = fs.readdirSync(d);
      } catch {
        e = [];
      }
      this.listing.set(d, e);
    }
    return e;
  }

  candidates(name: string): Candidate[] {
    const out: Candidate[] = [];
    for (const d of this.dirs.registries) {
      for (const e of this.entries(d)) {
        if (e === name) {
          // `cargo vendor` without --versioned-dirs: the version is in the manifest.
          const v = manifestVersion(path.join(d, e));
          if (v) out.push({ version: v, dir: path.join(d, e) });
        } else if (e.startsWith(name + '-') && parseVersion(e.slice(name.length + 1))) {
          out.push({ version: e.slice(name.length + 1), dir: path.join(d, e) });
        }
      }
    }
    return out;
  }

  /** A git dependency: a checkout whose manifest (or a member's) names the package. */
  gitCandidates(name: string, url: string): Candidate[] {
    const base =
      url
        .replace(/\.git$/, '')
        .split('/')
        .pop() ?? '';
    const out: Candidate[] = [];
    for (const repo of this.dirs.gitCheckouts) {
      if (!path.basename(repo).startsWith(base + '-')) continue;
      for (const rev of dirs(repo)) {
        for (const d of [rev, ...dirs(rev), ...dirs(rev).flatMap(dirs)]) {
          if (manifestName(d) === name)
            out.push({ version: manifestVersion(d) ?? '0.0.0', dir: d });
        }
      }
    }
    return out;
  }
}

function manifestField(dir: string, key: 'name' | 'version'): string | undefined {
  const f = path.join(dir, 'Cargo.toml');
  if (!fs.existsSync(f)) return undefined;
  try {
    const v = table(readTomlFile(f).package)?.[key];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

const manifestVersion = (d: string) => manifestField(d, 'version');
const manifestName = (d: string) => manifestField(d, 'name');
