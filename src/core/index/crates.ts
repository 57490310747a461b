/**
 * Finds the crates of a workspace: `Cargo.toml` packages (`[workspace] members` with globs,
 * `[lib] path`, `[[bin]]`), their targets (`src/lib.rs`, `src/main.rs`, `src/bin/*`), skipping
 * `target/`. Directories without a `Cargo.toml` are treated as one crate of loose files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultFeatures } from './cfg';

export interface CrateTarget {
  /** Crate name as code refers to it (`-` replaced by `_`). */
  name: string;
  kind: 'lib' | 'bin' | 'file' | 'test' | 'bench' | 'example' | 'build';
  /** Absolute path of the crate root file. */
  root: string;
  /** Directory of the package (where Cargo.toml is), or the root file's directory. */
  packageDir: string;
  /** Names of the package's dependencies (normalised with `_`), for resolving `use dep::...`. */
  dependencies: string[];
  /** Features enabled in a default build (for `#[cfg(feature = "...")]`). */
  features?: string[];
  /** Rust edition (`2015` changes what `::name` and `use` paths start from). */
  edition?: string;
}

interface TomlDoc {
  tables: Map<string, Record<string, unknown>>;
  arrays: Map<string, Record<string, unknown>[]>;
}

/**
 * A small TOML reader for the parts of Cargo.toml we need: tables, arrays of tables, strings,
 * booleans, numbers, string arrays (possibly multi-line) and inline tables kept as raw text.
 */
export function parseToml(text: string): TomlDoc {
  const doc: TomlDoc = { tables: new Map([['', {}]]), arrays: new Map() };
  let current = doc.tables.get('')!;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i]).trim();
    if (!line) continue;
    let m = /^\[\[\s*([^\]]+?)\s*\]\]$/.exec(line);
    if (m) {
      const arr = doc.arrays.get(m[1]) ?? [];
      current = {};
      arr.push(current);
      doc.arrays.set(m[1], arr);
      continue;
    }
    m = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (m) {
      current = doc.tables.get(m[1]) ?? {};
      doc.tables.set(m[1], current);
      continue;
    }
    m = /^("?[\w.-]+"?)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    // Multi-line arrays.
    if (value.startsWith('[') && !balanced(value)) {
      while (i + 1 < lines.length && !balanced(value))
        value += ' ' + stripComment(lines[++i]).trim();
    }
    current[m[1].replace(/"/g, '')] = parseValue(value);
  }
  return doc;
}

function stripComment(line: string): string {
  let inStr = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') inStr = !inStr;
    else if (line[i] === '#' && !inStr) return line.slice(0, i);
  }
  return line;
}

function balanced(v: string): boolean {
  let d = 0;
  for (const c of v) {
    if (c === '[') d++;
    else if (c === ']') d--;
  }
  return d <= 0;
}

function parseValue(v: string): unknown {
  v = v.trim();
  if (v.startsWith('"')) return v.slice(1, v.lastIndexOf('"'));
  if (v.startsWith("'")) return v.slice(1, v.lastIndexOf("'"));
  if (v === 'true' || v === 'false') return v === 'true';
  if (v.startsWith('[')) {
    return [...v.matchAll(/"([^"]*)"|'([^']*)'/g)].map(m => m[1] ?? m[2]);
  }
  if (v.startsWith('{')) return v;
  return Number.isFinite(Number(v)) ? Number(v) : v;
}

const SKIP_DIRS = new Set(['target', 'node_modules', '.git', '.hg', '.svn', 'out', 'dist']);

function crateName(name: string): string {
  return name.replace(/-/g, '_');
}

function expandMember(dir: string, pattern: string): string[] {
  const parts = pattern.split('/');
  let dirs = [dir];
  for (const part of parts) {
    const next: string[] = [];
    for (const d of dirs) {
      if (part.includes('*')) {
        const re = new RegExp(
          '^' +
            part
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '.*')
              .replace(/\?/g, '.') +
            '$',
        );
        let entries: string[] = [];
        try {
          entries = fs.readdirSync(d);
        } catch {
          entries = [];
        }
        for (const e of entries)
          if (re.test(e) && isDir(path.join(d, e))) next.push(path.join(d, e));
      } else next.push(path.join(d, part));
    }
    dirs = next;
  }
  return dirs.filter(d => fs.existsSync(path.join(d, 'Cargo.toml')));
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The targets of one package directory (one that has a Cargo.toml). */
export function packageTargets(pkgDir: string, extraFeatures: string[] = []): CrateTarget[] {
  const toml = parseToml(fs.readFileSync(path.join(pkgDir, 'Cargo.toml'), 'utf8'));
  const pkg = toml.tables.get('package');
  if (!pkg) return [];
  const pkgName = crateName(String(pkg.name ?? path.basename(pkgDir)));
  const deps: string[] = [];
  for (const [key, table] of toml.tables) {
    if (/(^|\.)(dependencies|dev-dependencies|build-dependencies)$/.test(key)) {
      for (const [dep, spec] of Object.entries(table)) {
        const renamed =
          typeof spec === 'string' ? undefined : /package\s*=\s*"([^"]+)"/.exec(String(spec))?.[1];
        deps.push(crateName(dep));
        if (renamed) deps.push(crateName(renamed));
      }
    }
    const m =
      /^(?:target\..*\.)?(dependencies|dev-dependencies|build-dependencies)\.([\w-]+)$/.exec(key);
    if (m) deps.push(crateName(m[2]));
  }
  const targets: CrateTarget[] = [];
  const table = toml.tables.get('features') ?? {};
  const defaults = Array.isArray(table.default) ? (table.default as string[]) : [];
  const features = defaultFeatures({ ...table, default: [...defaults, ...extraFeatures] });
  const lib = toml.tables.get('lib');
  const libPath = lib?.path
    ? path.resolve(pkgDir, String(lib.path))
    : path.join(pkgDir, 'src', 'lib.rs');
  if (fs.existsSync(libPath))
    targets.push({
      name: crateName(String(lib?.name ?? pkgName)),
      kind: 'lib',
      root: libPath,
      packageDir: pkgDir,
      dependencies: deps,
      features,
    });
  const seen = new Set(targets.map(t => t.root));
  const addBin = (name: string, root: string) => {
    if (seen.has(root) || !fs.existsSync(root)) return;
    seen.add(root);
    targets.push({
      name: crateName(name),
      kind: 'bin',
      root,
      packageDir: pkgDir,
      dependencies: [...deps, ...targets.filter(t => t.kind === 'lib').map(t => t.name)],
      features,
    });
  };
  for (const bin of toml.arrays.get('bin') ?? []) {
    const name = String(bin.name ?? pkgName);
    addBin(
      name,
      bin.path
        ? path.resolve(pkgDir, String(bin.path))
        : path.join(pkgDir, 'src', 'bin', `${name}.rs`),
    );
  }
  if (pkg.autobins !== false) {
    addBin(pkgName, path.join(pkgDir, 'src', 'main.rs'));
    const binDir = path.join(pkgDir, 'src', 'bin');
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(binDir).sort();
    } catch {
      entries = [];
    }
    for (const e of entries) {
      const p = path.join(binDir, e);
      if (e.endsWith('.rs')) addBin(e.slice(0, -3), p);
      else if (isDir(p)) addBin(e, path.join(p, 'main.rs'));
    }
  }
  return targets;
}

/** Find every package under `root` (following `[workspace] members`, else scanning), skipping target/. */
export function findPackages(root: string, maxDepth = 6): string[] {
  const found = new Set<string>();
  const visit = (dir: string, depth: number) => {
    const manifest = path.join(dir, 'Cargo.toml');
    if (fs.existsSync(manifest)) {
      found.add(dir);
      try {
        const ws = parseToml(fs.readFileSync(manifest, 'utf8')).tables.get('workspace');
        const members = Array.isArray(ws?.members) ? (ws!.members as string[]) : [];
        for (const m of members) for (const d of expandMember(dir, m)) found.add(d);
      } catch {
        // An unreadable manifest still lets us scan below it.
      }
    }
    if (depth >= maxDepth) return;
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.'))
        visit(path.join(dir, e.name), depth + 1);
    }
  };
  visit(root, 0);
  return [...found].sort();
}

/** The package directory enclosing `p` (a file or directory), if any. */
export function enclosingPackage(p: string): string | undefined {
  let dir = isDir(p) ? p : path.dirname(p);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'Cargo.toml'))) {
      try {
        if (parseToml(fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8')).tables.has('package'))
          return dir;
      } catch {
        return dir;
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** All `.rs` files under `dir`, skipping build output and hidden directories. */
export function listRustFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) visit(p);
      } else if (e.name.endsWith('.rs')) out.push(p);
    }
  };
  visit(dir);
  return out;
}
