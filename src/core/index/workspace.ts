/**
 * The workspace index: every crate's module tree, its items, and name resolution over them.
 * Built once (streaming over files, cancellable) and kept current with per-file incremental
 * updates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Attribute, Item, IndexWarning, TypeDefItem, TypeExpr } from '../model';
import { evalCfg } from './cfg';
import { isTypeDef } from '../model';
import type { Resolution, TypeResolver } from '../resolve-api';
import { diffText, parseRust, reparse, type TextChange, type Tree } from '../parser';
import { extractItems, newExtractResult, type ExtractResult, type ModDecl } from './extract';
import { enclosingPackage, findPackages, listRustFiles, packageTargets, type CrateTarget } from './crates';
import { ScopeResolver, type ModuleScope } from './resolver';
import { locateInTree } from './locate';
import { lineStarts } from './syntax';

/** Reads source files; the default reads the disk, tests pass in-memory sources. */
export interface SourceHost {
  /** File text, or undefined if missing. Throws `NotUtf8Error` for non-UTF-8 content. */
  read(file: string): string | undefined;
  exists(file: string): boolean;
}

export class NotUtf8Error extends Error {}

const decoder = new TextDecoder('utf-8', { fatal: true });
export const diskHost: SourceHost = {
  read(file) {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch {
      return undefined;
    }
    try {
      return decoder.decode(buf);
    } catch {
      throw new NotUtf8Error(`${file} is not valid UTF-8; skipped`);
    }
  },
  exists: f => fs.existsSync(f),
};

interface FileEntry {
  file: string;
  text: string;
  tree: Tree;
  /** Offsets at which each line starts. */
  lines: number[];
  crate: string;
  /** Module path of the file itself. */
  module: string;
  /** Directory in which `mod x;` of this file looks for `x.rs` / `x/mod.rs`. */
  childDir: string;
  result: ExtractResult;
}

export interface LoadOptions {
  signal?: AbortSignal;
  /** Called after each file with the number of files indexed so far. */
  onProgress?: (done: number, file: string) => void;
  host?: SourceHost;
  /** Features enabled on top of the defaults (as `cargo build --features`), for `#[cfg(feature)]`. */
  features?: string[];
}

export class WorkspaceIndex implements TypeResolver {
  readonly warnings: IndexWarning[] = [];
  private readonly files = new Map<string, FileEntry>();
  private readonly modules = new Map<string, ModuleScope>();
  private readonly moduleFiles = new Map<string, Set<string>>();
  private readonly crateRoots = new Map<string, string>();
  private resolver = new ScopeResolver(this.modules, this.crateRoots);
  private allItems: Item[] | undefined;
  private byPath: Map<string, Item> | undefined;

  constructor(readonly targets: CrateTarget[], private readonly host: SourceHost = diskHost) {}

  /** Every item of the workspace (structs, fns, impls, ...). */
  get items(): Item[] {
    if (!this.allItems) {
      this.allItems = [...this.files.values()].flatMap(f => f.result.items);
      this.byPath = undefined;
    }
    return this.allItems;
  }

  /** Structs, enums, unions and type aliases. */
  typeDefs(): TypeDefItem[] {
    return this.items.filter(isTypeDef);
  }

  fileNames(): string[] {
    return [...this.files.keys()];
  }

  hasFile(file: string): boolean {
    return !!this.entry(file);
  }

  itemsInFile(file: string): Item[] {
    return this.entry(file)?.result.items ?? [];
  }

  fileText(file: string): string | undefined {
    return this.entry(file)?.text;
  }

  /** The entry of a file given by any path (item spans hold absolute paths: try those first). */
  private entry(file: string): FileEntry | undefined {
    return this.files.get(file) ?? this.files.get(path.resolve(file));
  }

  /** Offsets at which each line of a file starts (see `lineStarts`). */
  lineStarts(file: string): number[] | undefined {
    return this.entry(file)?.lines;
  }

  tree(file: string): Tree | undefined {
    return this.entry(file)?.tree;
  }

  /** Module path of a file (`mycrate::a::b`). */
  moduleOf(file: string): string | undefined {
    return this.entry(file)?.module;
  }

  itemByPath(p: string): Item | undefined {
    const items = this.items;
    if (!this.byPath) {
      this.byPath = new Map();
      for (const i of items) if (i.kind !== 'impl' && !this.byPath.has(i.path)) this.byPath.set(i.path, i);
    }
    return this.byPath.get(p);
  }

  resolveType(module: string, expr: Extract<TypeExpr, { kind: 'path' }>): Resolution {
    return this.resolver.resolveType(module, expr);
  }

  resolvePath(module: string, segments: string[]): Resolution {
    return this.resolver.resolvePath(module, segments);
  }

  resolveItem(module: string, segments: string[]): Item | undefined {
    return this.resolver.resolveItem(module, segments);
  }

  evalConst(module: string, text: string, env?: ReadonlyMap<string, bigint>): bigint | undefined {
    return this.resolver.evalConst(module, text, env);
  }

  isActive(module: string, attrs: readonly Attribute[]): boolean {
    let active = true;
    for (const a of attrs) {
      if (a.name !== 'cfg') continue;
      const crate = module.split('::')[0];
      const feats = this.targets.find(t => t.name === crate)?.features ?? [];
      active &&= evalCfg(a.args, new Set(feats));
    }
    return active;
  }

  /** The type definition whose name is at (line, column), 1-based. */
  typeDefAt(file: string, line: number, column: number): TypeDefItem | undefined {
    return this.itemsInFile(file).filter(isTypeDef).find(i => contains(i.nameSpan, line, column));
  }

  /** The type definition named at (line, column): a definition's name or a use in a type. */
  typeRefAt(file: string, line: number, column: number): { item: TypeDefItem; expr?: TypeExpr; module: string } | undefined {
    const def = this.typeDefAt(file, line, column);
    if (def) return { item: def, module: def.module };
    const entry = this.files.get(path.resolve(file));
    if (!entry) return undefined;
    const found = locateInTree(entry.tree, line, column);
    if (!found) return undefined;
    const module = this.moduleAt(entry, line);
    const r = this.resolveType(module, found);
    return r.kind === 'item' ? { item: r.item, expr: found, module } : undefined;
  }

  /** The module in effect at a line (inline modules nest inside the file's module). */
  moduleAt(entry: FileEntry | string, line: number): string {
    const e = typeof entry === 'string' ? this.files.get(path.resolve(entry)) : entry;
    if (!e) return '';
    let best = e.module;
    for (const it of e.result.items) {
      if (it.kind === 'mod' && (it as { inline: boolean }).inline && it.span.line <= line && it.span.endLine >= line && it.path.length > best.length) best = it.path;
    }
    return best;
  }

  /** Index one crate target: its root file and every module file it reaches (yields to the event loop). */
  async addTarget(t: CrateTarget, opts: LoadOptions = {}, counter = { n: 0 }): Promise<void> {
    // Yield to the event loop about every 20 ms so an editor host stays responsive.
    let last = performance.now();
    for (const _file of this.walkTarget(t, opts, counter)) {
      if (performance.now() - last > 20) {
        await new Promise(r => setImmediate(r));
        last = performance.now();
      }
    }
    this.rebuildScopes();
  }

  /** Synchronous variant of `addTarget` for small in-memory crates. */
  addTargetSync(t: CrateTarget): void {
    for (const _file of this.walkTarget(t, {}, { n: 0 })) {
      // Drain the walk.
    }
    this.rebuildScopes();
  }

  private *walkTarget(t: CrateTarget, opts: LoadOptions, counter: { n: number }): Generator<string> {
    this.crateRoots.set(t.name, t.name);
    const queue: { file: string; module: string; childDir: string }[] = [{ file: t.root, module: t.name, childDir: path.dirname(t.root) }];
    while (queue.length > 0) {
      if (opts.signal?.aborted) throw new Error('indexing cancelled');
      const next = queue.shift()!;
      if (this.files.has(next.file)) continue;
      const entry = this.indexFile(next.file, t.name, next.module, next.childDir);
      counter.n++;
      opts.onProgress?.(counter.n, next.file);
      yield next.file;
      if (!entry) continue;
      for (const m of entry.result.mods) {
        const target = this.findModFile(entry, m);
        if (!target) {
          this.warnings.push({ file: entry.file, line: m.item.span.line, message: `module file for \`mod ${m.name};\` not found` });
          continue;
        }
        queue.push({ file: target.file, module: m.path, childDir: target.childDir });
      }
    }
  }

  private indexFile(file: string, crate: string, module: string, childDir: string): FileEntry | undefined {
    let text: string | undefined;
    try {
      text = this.host.read(file);
    } catch (e) {
      this.warnings.push({ file, message: (e as Error).message });
      return undefined;
    }
    if (text === undefined) return undefined;
    const entry = this.makeEntry(file, text, parseRust(text), crate, module, childDir);
    this.files.set(file, entry);
    this.allItems = undefined;
    return entry;
  }

  private makeEntry(file: string, text: string, tree: Tree, crate: string, module: string, childDir: string): FileEntry {
    const result = newExtractResult();
    const lines = lineStarts(text);
    extractItems(tree.rootNode, text, { file, offset: 0, lines }, module, result);
    if (result.warnings) this.warnings.push(...result.warnings);
    return { file, text, tree, lines, crate, module, childDir, result };
  }

  private findModFile(entry: FileEntry, m: ModDecl): { file: string; childDir: string } | undefined {
    const dir = path.join(entry.childDir, ...m.inlineDirs);
    if (m.pathAttr) {
      const base = m.inlineDirs.length > 0 ? dir : path.dirname(entry.file);
      const file = path.resolve(base, m.pathAttr);
      return this.host.exists(file) ? { file, childDir: path.join(path.dirname(file), path.basename(file, '.rs') === 'mod' ? '' : path.basename(file, '.rs')) } : undefined;
    }
    const flat = path.join(dir, `${m.name}.rs`);
    if (this.host.exists(flat)) return { file: flat, childDir: path.join(dir, m.name) };
    const nested = path.join(dir, m.name, 'mod.rs');
    if (this.host.exists(nested)) return { file: nested, childDir: path.join(dir, m.name) };
    return undefined;
  }

  /**
   * Re-index one file after an edit (incremental re-parse when the file is known). Returns the
   * paths of items that were added, removed or changed.
   */
  updateFile(file: string, newText: string, change?: TextChange): Set<string> {
    const f = path.resolve(file);
    const old = this.files.get(f);
    if (!old) return new Set();
    const ch = change ?? diffText(old.text, newText);
    if (!ch) return new Set();
    const { text, tree } = reparse(old.text, old.tree, ch);
    if (text !== newText) {
      // The change did not describe the edit exactly: fall back to a full parse.
      return this.replaceEntry(old, this.makeEntry(f, newText, parseRust(newText), old.crate, old.module, old.childDir));
    }
    return this.replaceEntry(old, this.makeEntry(f, text, tree, old.crate, old.module, old.childDir));
  }

  private replaceEntry(old: FileEntry, next: FileEntry): Set<string> {
    this.files.set(next.file, next);
    this.allItems = undefined;
    const changed = diffItems(old.result.items, next.result.items);
    // New `mod x;` declarations may bring new files in.
    for (const m of next.result.mods) {
      const target = this.findModFile(next, m);
      if (target && !this.files.has(target.file)) {
        const e = this.indexFile(target.file, next.crate, m.path, target.childDir);
        e?.result.items.forEach(i => changed.add(i.path));
      }
    }
    this.rebuildScopes();
    return changed;
  }

  removeFile(file: string): Set<string> {
    const f = path.resolve(file);
    const old = this.files.get(f);
    if (!old) return new Set();
    this.files.delete(f);
    this.allItems = undefined;
    this.rebuildScopes();
    return new Set(old.result.items.map(i => i.path));
  }

  /** Index a file that is not part of any crate's module tree (e.g. a new or orphaned file). */
  ensureFile(file: string): boolean {
    const f = path.resolve(file);
    if (this.files.has(f)) return true;
    const pkg = this.targets.find(t => f.startsWith(t.packageDir + path.sep));
    const crate = pkg?.name ?? path.basename(f, '.rs').replace(/-/g, '_');
    const stem = path.basename(f, '.rs');
    const module = pkg ? `${crate}::${stem === 'mod' ? path.basename(path.dirname(f)) : stem}` : crate;
    if (!pkg) this.crateRoots.set(crate, crate);
    const e = this.indexFile(f, crate, module, path.join(path.dirname(f), stem));
    if (e && pkg) this.warnings.push({ file: f, message: `not reachable from a crate root (no \`mod\` declares it); indexed as \`${module}\`` });
    this.rebuildScopes();
    return !!e;
  }

  private rebuildScopes(): void {
    this.modules.clear();
    this.moduleFiles.clear();
    const scope = (p: string, crate: string): ModuleScope => {
      let s = this.modules.get(p);
      if (!s) {
        const cut = p.lastIndexOf('::');
        s = { path: p, crate, parent: cut > 0 ? p.slice(0, cut) : undefined, items: new Map(), uses: [], externCrates: new Map() };
        this.modules.set(p, s);
      }
      return s;
    };
    for (const e of this.files.values()) {
      scope(e.module, e.crate);
      for (const it of e.result.items) {
        if (it.kind === 'impl' || (it.kind === 'fn' && (it as { owner?: unknown }).owner)) continue;
        // `#[cfg(windows)] struct X` next to `#[cfg(unix)] struct X`: only the compiled one is named.
        if (it.attrs.length > 0 && !this.isActive(it.module, it.attrs)) continue;
        const s = scope(it.module, e.crate);
        const list = s.items.get(it.name) ?? [];
        list.push(it);
        s.items.set(it.name, list);
        if (it.kind === 'mod') scope(it.path, e.crate);
      }
      for (const [m, uses] of e.result.uses) scope(m, e.crate).uses.push(...uses);
      for (const [m, ext] of e.result.externCrates) for (const [k, v] of ext) scope(m, e.crate).externCrates.set(k, v);
    }
    this.resolver = new ScopeResolver(this.modules, this.crateRoots);
  }
}

function contains(s: { line: number; column: number; endLine: number; endColumn: number }, line: number, column: number): boolean {
  if (line < s.line || line > s.endLine) return false;
  if (line === s.line && column < s.column) return false;
  if (line === s.endLine && column > s.endColumn) return false;
  return true;
}

function signature(i: Item): string {
  return JSON.stringify(i, (k, v) => (k === 'span' || k === 'nameSpan' || k === 'signatureSpan' || k === 'startOffset' || k === 'endOffset' || k === 'line' || k === 'column' || k === 'endLine' || k === 'endColumn' ? undefined : typeof v === 'bigint' ? String(v) : v));
}

function diffItems(a: Item[], b: Item[]): Set<string> {
  const sa = new Map(a.map(i => [i.path + '#' + i.kind, signature(i)]));
  const sb = new Map(b.map(i => [i.path + '#' + i.kind, signature(i)]));
  const out = new Set<string>();
  for (const [k, v] of sa) if (sb.get(k) !== v) out.add(k.split('#')[0]);
  for (const k of sb.keys()) if (!sa.has(k)) out.add(k.split('#')[0]);
  return out;
}

/** Index in-memory sources as one crate (the first file is the crate root). For tests and tools. */
export function buildIndexFromSources(files: { path: string; text: string }[], opts: { crateName?: string } = {}): WorkspaceIndex {
  const byPath = new Map(files.map(f => [path.resolve(f.path), f.text]));
  const host: SourceHost = { read: f => byPath.get(path.resolve(f)), exists: f => byPath.has(path.resolve(f)) };
  const root = path.resolve(files[0].path);
  const target: CrateTarget = { name: opts.crateName ?? 'crate_under_test', kind: 'lib', root, packageDir: path.dirname(root), dependencies: [] };
  const index = new WorkspaceIndex([target], host);
  index.addTargetSync(target);
  for (const f of byPath.keys()) index.ensureFile(f);
  return index;
}

/**
 * Index every crate under `root` (a workspace, a package, a directory inside a package, or a
 * single file). For a path inside a package, the whole enclosing package is indexed.
 */
export async function loadWorkspace(root: string, opts: LoadOptions = {}): Promise<WorkspaceIndex> {
  const abs = path.resolve(root);
  const pkg = enclosingPackage(abs);
  let pkgDirs = pkg ? [pkg] : findPackages(abs);
  if (pkg && fs.statSync(abs).isDirectory() && abs === pkg) pkgDirs = findPackages(abs);
  const targets = pkgDirs.flatMap(d => {
    try {
      return packageTargets(d, opts.features);
    } catch {
      return [];
    }
  });
  const index = new WorkspaceIndex(targets, opts.host ?? diskHost);
  const counter = { n: 0 };
  for (const t of targets) await index.addTarget(t, opts, counter);
  if (targets.length === 0) {
    // No Cargo.toml: index the loose .rs files, each file its own crate root.
    const files = fs.statSync(abs).isDirectory() ? listRustFiles(abs) : [abs];
    for (const f of files) {
      if (opts.signal?.aborted) throw new Error('indexing cancelled');
      index.ensureFile(f);
    }
  } else if (!fs.statSync(abs).isDirectory() && abs.endsWith('.rs')) {
    index.ensureFile(abs);
  }
  return index;
}
