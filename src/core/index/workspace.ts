/**
 * The workspace index: every crate's module tree, its items, and name resolution over them.
 * Built once (streaming over files, cancellable) and kept current with per-file incremental
 * updates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  Attribute,
  EnumItem,
  ImplItem,
  Item,
  IndexWarning,
  StructItem,
  TypeAliasItem,
  TypeDefItem,
  TypeExpr,
} from '../model';
import { cfgTarget, evalCfgIn, type CfgContext, type CfgTarget } from './cfg';
import { applyCfg, cfgOf } from './cfg-apply';
import { depCrate, libRoot, loadDepFile, type DepCrate, type DepFile } from './deps';
import { resolveCrateGraph, type GraphResult } from '../cargo/resolve';
import { readManifest, type Manifest } from '../cargo/manifest';
import { CargoFileError } from '../cargo/toml';
import type { CrateGraph } from '../cargo/graph';
import { isTypeDef } from '../model';
import type { Resolution, TypeResolver } from '../resolve-api';
import { diffText, parseRust, reparse, type TextChange, type Tree } from '../parser';
import { extractItems, newExtractResult, type ExtractResult, type ModDecl } from './extract';
import { duplicateMods } from './mod-dups';
import { sameDefinition } from './def-equal';
import { enclosingPackage, findPackages, listRustFiles, type CrateTarget } from './crates';
import { defaultFeatures } from './cfg';
import { ScopeResolver, type ModuleScope, type ResolverHooks } from './resolver';
import { locateInTree } from './locate';
import { lineStarts } from './syntax';
import { expandTypeMacroText, macroCallPath, MAX_EXPANSION_DEPTH } from './macro-expand';

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
  /** The cfg predicate (off) under which this file's `mod` is declared: its items are not named. */
  inactive?: string;
  /** Signatures of `result.items` (see `diffItems`), computed on the first edit. */
  signatures?: Map<string, string>;
}

export interface LoadOptions {
  signal?: AbortSignal;
  /** Called after each file with the number of files indexed so far. */
  onProgress?: (done: number, file: string) => void;
  host?: SourceHost;
  /** Features enabled on top of the defaults (as `cargo build --features`), for `#[cfg(feature)]`. */
  features?: string[];
  allFeatures?: boolean;
  noDefaultFeatures?: boolean;
  /** Target triple for `#[cfg]` (the host by default; 64-bit little-endian targets only). */
  target?: string;
  /**
   * Whether the workspace is trusted: only then may `cargo metadata` run (it reads the
   * workspace's config). Untrusted workspaces use Cargo.lock and the manifests. Default false.
   */
  trusted?: boolean;
  /** Resolve and read dependency sources (default true). */
  dependencies?: boolean;
}

/** Where a type is defined: a workspace crate, or a dependency with its version. */
export type TypeOrigin =
  | { kind: 'workspace'; crate: string }
  | { kind: 'dependency'; crate: string; package: string; version: string };

export class WorkspaceIndex implements TypeResolver {
  readonly warnings: IndexWarning[] = [];
  private readonly files = new Map<string, FileEntry>();
  private readonly modules = new Map<string, ModuleScope>();
  private readonly moduleFiles = new Map<string, Set<string>>();
  private readonly crateRoots = new Map<string, string>();
  private readonly hooks: ResolverHooks = {
    externCrate: (c, n) => this.externRoot(c, n),
    ensureModule: m => this.ensureModule(m),
    edition2015: c =>
      (this.depByRoot.get(c)?.pkg.manifest.edition ??
        this.targets.find(t => t.name === c)?.edition) === '2015',
  };
  private resolver = new ScopeResolver(this.modules, this.crateRoots, this.hooks);
  /** Warnings about the whole workspace (missing dependency sources, cargo metadata failures). */
  readonly notices: string[] = [];
  /** Informational notes (why cargo metadata was not used). */
  readonly notes: string[] = [];
  private graph: CrateGraph | undefined;
  private cfgTarget: CfgTarget = cfgTarget();
  private readonly cfgByCrate = new Map<string, CfgContext>();
  /** Crate root -> (name as code writes it -> package id). */
  private readonly externs = new Map<string, Map<string, string>>();
  private readonly depByPkg = new Map<string, DepCrate>();
  private readonly depByRoot = new Map<string, DepCrate>();
  /** Module files behind a cfg that is off (file -> predicate): indexed on request, never named. */
  private readonly inactiveFiles = new Map<string, string>();
  /** Module paths whose dependency file has been looked for (each is read at most once). */
  private readonly ensured = new Set<string>();
  /** Dependency files whose scopes are in `modules`. */
  private readonly depScoped = new Map<string, DepFile>();
  private allItems: Item[] | undefined;
  private byPath: Map<string, Item> | undefined;

  constructor(
    readonly targets: CrateTarget[],
    private readonly host: SourceHost = diskHost,
  ) {}

  /** Every item of the workspace (structs, fns, impls, ...). */
  get items(): Item[] {
    if (!this.allItems) {
      this.allItems = [...this.files.values()].flatMap(f => f.result.items);
      this.byPath = undefined;
    }
    return this.allItems;
  }

  /**
   * The first definition of `item`'s name in its module when every definition of that name there
   * has `item`'s shape (decided in `addScopes`, kept on the module's scope: rebuilt with it).
   */
  identicalTo(item: TypeDefItem): TypeDefItem | undefined {
    return this.modules.get(item.module)?.identical?.get(item);
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
      for (const i of items)
        if (i.kind !== 'impl' && !this.byPath.has(i.path)) this.byPath.set(i.path, i);
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

  traitImplsOf(item: TypeDefItem): ImplItem[] {
    return this.resolver.traitImplsOf(item);
  }

  parseType(text: string): TypeExpr | undefined {
    return this.resolver.parseType(text);
  }

  /** Expanded type-position macro calls, by crate and call text (null: cannot be expanded). */
  private readonly typeMacros = new Map<string, TypeExpr | null>();

  expandTypeMacro(module: string, text: string): TypeExpr | undefined {
    return this.typeMacro(module.split('::')[0], text, 0) ?? this.depTypeMacro(module, text);
  }

  /**
   * A dependency's exported type macro: `syn::Token![,]`, or `Token![,]` after `use syn::Token;`.
   * Its `$crate` becomes the name the calling crate gives the dependency; every other path of the
   * expansion resolves where the call is written, as rustc resolves `macro_rules!` output.
   * Macro calls inside the expansion are not expanded further.
   */
  private depTypeMacro(module: string, text: string): TypeExpr | undefined {
    const key = `${module}\0dep\0${text}`;
    if (this.typeMacros.has(key)) return this.typeMacros.get(key) ?? undefined;
    this.typeMacros.set(key, null);
    const segs = macroCallPath(text);
    if (!segs) return undefined;
    let dep: string | undefined = segs.length >= 2 ? segs[0] : undefined;
    if (!dep) {
      const imports = (this.modules.get(module)?.uses ?? []).filter(
        u => !u.glob && u.alias === segs[0] && u.path.length >= 2,
      );
      if (imports.length !== 1) return undefined;
      dep = imports[0].path[0];
    }
    if (dep === 'crate' || dep === 'self' || dep === 'super') return undefined;
    const crate = module.split('::')[0];
    const root = this.externRoot(crate, dep);
    const dc = root ? this.depByRoot.get(root) : undefined;
    // A workspace member's library is indexed like the calling crate.
    const lib = dc ? libRoot(dc.pkg) : root ? this.fileOfCrate(root) : undefined;
    const out = lib ? expandTypeMacroText(lib, text, dep) : undefined;
    const parsed = out !== undefined ? this.parseType(out) : undefined;
    if (parsed) this.typeMacros.set(key, parsed);
    return parsed;
  }

  /**
   * `Token![::]` -> `crate::token::Colon2`: the call is expanded with the `macro_rules!` of the
   * crate it is written in, and so is every macro call the expansion contains, up to
   * MAX_EXPANSION_DEPTH levels; a call that expands (directly or not) to itself stays unknown.
   */
  private typeMacro(crate: string, text: string, depth: number): TypeExpr | undefined {
    const key = `${crate}\0${text}`;
    const hit = this.typeMacros.get(key);
    if (hit !== undefined || this.typeMacros.has(key)) return hit ?? undefined;
    if (depth > MAX_EXPANSION_DEPTH) return undefined;
    this.typeMacros.set(key, null);
    const file = this.fileOfCrate(crate);
    const out = file ? expandTypeMacroText(file, text) : undefined;
    const parsed = out !== undefined ? this.parseType(out) : undefined;
    const result = parsed
      ? mapUnknownTypes(parsed, u => this.typeMacro(crate, u.text, depth + 1))
      : undefined;
    this.typeMacros.set(key, result ?? null);
    return result;
  }

  private fileOfCrate(crate: string): string | undefined {
    for (const e of this.files.values()) if (e.crate === crate) return e.file;
    for (const f of this.depScoped.values()) if (f.crate === crate) return f.file;
    return undefined;
  }

  evalConstChecked(
    module: string,
    text: string,
    env?: ReadonlyMap<string, bigint>,
  ): { value?: bigint; error?: string } {
    return this.resolver.evalConstChecked(module, text, env);
  }

  isActive(module: string, attrs: readonly Attribute[]): boolean {
    if (!attrs.some(a => a.name === 'cfg')) return true;
    return cfgOf(attrs, this.cfgOf(module.split('::')[0])) !== 'no';
  }

  /** The cfg context of a crate root (its features, the target, its build script's cfgs). */
  private cfgOf(crate: string): CfgContext {
    let c = this.cfgByCrate.get(crate);
    if (!c) {
      c = {
        target: this.cfgTarget,
        features: new Set(this.targets.find(t => t.name === crate)?.features ?? []),
      };
      this.cfgByCrate.set(crate, c);
    }
    return c;
  }

  /**
   * Use a resolved dependency graph: workspace targets see their packages' dependencies
   * (test, bench and example targets also the dev-dependencies and their own library).
   */
  setGraph(graph: CrateGraph, target: CfgTarget): void {
    this.graph = graph;
    this.cfgTarget = target;
    this.cfgByCrate.clear();
    for (const t of this.targets) {
      const pkg = graph.packages.get(t.packageDir);
      if (!pkg) continue;
      this.cfgByCrate.set(t.name, {
        target,
        features: pkg.features,
        buildScriptCfgs: pkg.buildCfgs,
      });
      const ext = new Map(pkg.deps);
      if (t.kind === 'test' || t.kind === 'bench' || t.kind === 'example')
        for (const [k, v] of pkg.devDeps) if (!ext.has(k)) ext.set(k, v);
      if (t.kind === 'build') ext.clear();
      this.externs.set(t.name, ext);
    }
  }

  /** Where the dependency graph came from (undefined when dependencies were not resolved). */
  get dependencySource(): CrateGraph['source'] | undefined {
    return this.graph?.source;
  }

  /** The cfg target without a dependency graph (dependencies off). */
  setTarget(target: CfgTarget): void {
    this.cfgTarget = target;
    this.cfgByCrate.clear();
  }

  /** Where a type is defined (for JSON output and hover). */
  originOf(item: Item): TypeOrigin {
    const crate = item.path.split('::')[0];
    const dep = this.depByRoot.get(crate);
    return dep
      ? { kind: 'dependency', crate, package: dep.pkg.name, version: dep.pkg.version }
      : { kind: 'workspace', crate };
  }

  /** Root module of dependency `name` of crate `crate`, reading its root file on first use. */
  private externRoot(crate: string, name: string): string | undefined {
    const id = this.externs.get(crate)?.get(name);
    const pkg = id ? this.graph?.packages.get(id) : undefined;
    if (!pkg) return undefined;
    if (pkg.workspace)
      return this.targets.find(t => t.packageDir === pkg.id && t.kind === 'lib')?.name;
    let dc = this.depByPkg.get(pkg.id);
    if (!dc) {
      const lib = libRoot(pkg);
      if (!lib || pkg.manifest.procMacro) return undefined;
      let root = pkg.manifest.libName;
      if (this.crateRoots.has(root) || this.depByRoot.has(root)) root = `${root}@${pkg.version}`;
      dc = depCrate(pkg, root, {
        target: this.cfgTarget,
        features: pkg.features,
        buildScriptCfgs: pkg.buildCfgs,
      });
      this.depByPkg.set(pkg.id, dc);
      this.depByRoot.set(root, dc);
      this.cfgByCrate.set(root, dc.ctx);
      this.externs.set(root, pkg.deps);
      if (!dc.byModule.has(root)) this.readDepFile(dc, lib, root, path.dirname(lib));
    }
    this.ensureModule(dc.root);
    return this.modules.has(dc.root) ? dc.root : undefined;
  }

  private readDepFile(
    dc: DepCrate,
    file: string,
    module: string,
    childDir: string,
  ): DepFile | undefined {
    if (dc.failed.has(file)) return undefined;
    let text: string | undefined;
    try {
      text = this.host.read(file);
    } catch (e) {
      text = undefined;
      this.warnings.push({ file, message: (e as Error).message });
    }
    if (text === undefined) {
      dc.failed.add(file);
      return undefined;
    }
    try {
      return loadDepFile(dc, file, module, childDir, text);
    } catch (e) {
      dc.failed.add(file);
      this.warnings.push({ file, message: `skipped: ${(e as Error).message}` });
      return undefined;
    }
  }

  /** Make a dependency module's scope available, reading its file if needed. */
  private ensureModule(module: string): void {
    if (this.ensured.has(module)) return;
    this.ensured.add(module);
    const cut = module.indexOf('::');
    const dc = this.depByRoot.get(cut < 0 ? module : module.slice(0, cut));
    if (!dc) return;
    const parent = module.lastIndexOf('::');
    if (parent > 0) this.ensureModule(module.slice(0, parent));
    let f = dc.byModule.get(module);
    if (!f) {
      const p = dc.pending.get(module);
      if (!p) return;
      dc.pending.delete(module);
      const target = this.findModFile(p, p.decl);
      if (!target) return;
      f = this.readDepFile(dc, target.file, module, target.childDir);
    }
    if (f && !this.depScoped.has(f.file)) {
      this.depScoped.set(f.file, f);
      this.addScopes(f);
    }
  }

  /** The type definition whose name is at (line, column), 1-based. */
  typeDefAt(file: string, line: number, column: number): TypeDefItem | undefined {
    return this.itemsInFile(file)
      .filter(isTypeDef)
      .find(i => contains(i.nameSpan, line, column));
  }

  /** The type definition named at (line, column): a definition's name or a use in a type. */
  typeRefAt(
    file: string,
    line: number,
    column: number,
  ): { item: TypeDefItem; expr?: TypeExpr; module: string } | undefined {
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
      if (
        it.kind === 'mod' &&
        (it as { inline: boolean }).inline &&
        it.span.line <= line &&
        it.span.endLine >= line &&
        it.path.length > best.length
      )
        best = it.path;
    }
    return best;
  }

  /** Index one crate target: its root file and every module file it reaches (yields to the event loop). */
  async addTarget(
    t: CrateTarget,
    opts: LoadOptions = {},
    counter = { n: 0 },
    rebuild = true,
  ): Promise<void> {
    // Yield to the event loop about every 20 ms so an editor host stays responsive.
    let last = performance.now();
    for (const _file of this.walkTarget(t, opts, counter)) {
      if (performance.now() - last > 20) {
        await new Promise(r => setImmediate(r));
        last = performance.now();
      }
    }
    // Scopes are rebuilt once after the last target (tokio has 120 targets with its tests).
    if (rebuild) this.rebuildScopes();
  }

  /** Synchronous variant of `addTarget` for small in-memory crates. */
  addTargetSync(t: CrateTarget): void {
    for (const _file of this.walkTarget(t, {}, { n: 0 })) {
      // Drain the walk.
    }
    this.rebuildScopes();
  }

  private *walkTarget(
    t: CrateTarget,
    opts: LoadOptions,
    counter: { n: number },
  ): Generator<string> {
    this.crateRoots.set(t.name, t.name);
    const queue: { file: string; module: string; childDir: string }[] = [
      { file: t.root, module: t.name, childDir: path.dirname(t.root) },
    ];
    while (queue.length > 0) {
      if (opts.signal?.aborted) throw new Error('indexing cancelled');
      const next = queue.shift()!;
      if (this.files.has(next.file)) continue;
      const entry = this.indexFile(next.file, t.name, next.module, next.childDir);
      counter.n++;
      opts.onProgress?.(counter.n, next.file);
      yield next.file;
      if (!entry) continue;
      const twice = duplicateMods(entry.result.mods, this.cfgOf(t.name));
      for (const m of entry.result.mods) {
        const cfg = m.item.attrs.length > 0 ? cfgOf(m.item.attrs, this.cfgOf(t.name)) : 'yes';
        const target = this.findModFile(entry, m);
        if (twice.has(m.path) && cfg !== 'no') {
          // `cfg_a! { #[path = "x.rs"] mod imp; } cfg_b! { #[path = "y.rs"] mod imp; }`: which
          // one compiles is decided by a cfg inside a macro; neither file's items are named.
          if (target) this.inactiveFiles.set(target.file, 'declared twice');
          if (entry.result.mods.find(x => x.path === m.path) === m)
            this.warnings.push({
              file: entry.file,
              line: m.item.span.line,
              message: `module \`${m.name}\` is declared twice (its cfg is inside a macro); its types count as unknown`,
            });
          continue;
        }
        if (cfg === 'no') {
          // `#[cfg(windows)] mod windows;`: not compiled for this target and features.
          if (target)
            this.inactiveFiles.set(
              target.file,
              m.item.attrs.find(a => a.name === 'cfg')?.args ?? '',
            );
          continue;
        }
        if (!target) {
          this.warnings.push({
            file: entry.file,
            line: m.item.span.line,
            message: `module file for \`mod ${m.name};\` not found`,
          });
          continue;
        }
        queue.push({ file: target.file, module: m.path, childDir: target.childDir });
      }
    }
  }

  private indexFile(
    file: string,
    crate: string,
    module: string,
    childDir: string,
  ): FileEntry | undefined {
    let text: string | undefined;
    try {
      text = this.host.read(file);
    } catch (e) {
      this.warnings.push({ file, message: (e as Error).message });
      return undefined;
    }
    if (text === undefined) return undefined;
    let entry: FileEntry;
    try {
      entry = this.makeEntry(file, text, parseRust(text), crate, module, childDir);
    } catch (e) {
      // One file that tree-sitter gives up on (or that breaks extraction) must not lose the crate.
      this.warnings.push({ file, message: `skipped: ${(e as Error).message}` });
      return undefined;
    }
    this.files.set(file, entry);
    this.allItems = undefined;
    return entry;
  }

  private makeEntry(
    file: string,
    text: string,
    tree: Tree,
    crate: string,
    module: string,
    childDir: string,
  ): FileEntry {
    const result = newExtractResult();
    const lines = lineStarts(text);
    extractItems(tree.rootNode, text, { file, offset: 0, lines }, module, result);
    result.items = applyCfg(result.items, this.cfgOf(crate));
    for (const w of result.warnings ?? [])
      this.warnings.push({ file, line: w.line, message: w.message });
    return { file, text, tree, lines, crate, module, childDir, result };
  }

  private findModFile(
    entry: { file: string; childDir: string },
    m: ModDecl,
  ): { file: string; childDir: string } | undefined {
    const dir = path.join(entry.childDir, ...m.inlineDirs);
    // `#[cfg_attr(feature = "x", path = "a.rs")]` is a `path` once the cfg context expanded it.
    const pathAttr =
      m.item.attrs.find(a => a.name === 'path')?.args.replace(/^=?\s*"|"$/g, '') ?? m.pathAttr;
    if (pathAttr) {
      const base = m.inlineDirs.length > 0 ? dir : path.dirname(entry.file);
      const file = path.resolve(base, pathAttr);
      return this.host.exists(file)
        ? {
            file,
            childDir: path.join(
              path.dirname(file),
              path.basename(file, '.rs') === 'mod' ? '' : path.basename(file, '.rs'),
            ),
          }
        : undefined;
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
      return this.replaceEntry(
        old,
        this.makeEntry(f, newText, parseRust(newText), old.crate, old.module, old.childDir),
      );
    }
    return this.replaceEntry(
      old,
      this.makeEntry(f, text, tree, old.crate, old.module, old.childDir),
    );
  }

  private replaceEntry(old: FileEntry, next: FileEntry): Set<string> {
    const prev = { all: this.allItems, byPath: this.byPath };
    // An edited macro call: type macros are expanded again.
    this.typeMacros.clear();
    this.files.set(next.file, next);
    this.allItems = undefined;
    const changed = diffItems(old, next);
    // New `mod x;` declarations may bring new files in.
    let added = false;
    for (const m of next.result.mods) {
      const target = this.findModFile(next, m);
      if (target && !this.files.has(target.file)) {
        const e = this.indexFile(target.file, next.crate, m.path, target.childDir);
        e?.result.items.forEach(i => changed.add(i.path));
        added ||= !!e;
      }
    }
    if (!added && changed.size === 0 && this.swapItems(old, next, prev)) return changed;
    if (!added && this.updateScopes(old, next)) return changed;
    this.rebuildScopes();
    return changed;
  }

  /**
   * A keystroke inside a fn body changes no item: put the new item objects (new spans) in place
   * of the old ones instead of rebuilding every scope of the workspace and its dependencies.
   * False when the items or imports differ in any way but their positions.
   */
  private swapItems(
    old: FileEntry,
    next: FileEntry,
    prev: { all?: Item[]; byPath?: Map<string, Item> },
  ): boolean {
    const a = old.result.items;
    const b = next.result.items;
    if (old.inactive !== undefined || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++)
      if (a[i].path !== b[i].path || a[i].kind !== b[i].kind) return false;
    const noSpan = (x: unknown) => JSON.stringify(x, (k, v) => (k === 'span' ? undefined : v));
    if (
      noSpan([...old.result.uses]) !== noSpan([...next.result.uses]) ||
      noSpan([...old.result.externCrates].map(([k, v]) => [k, [...v]])) !==
        noSpan([...next.result.externCrates].map(([k, v]) => [k, [...v]]))
    )
      return false;
    const map = new Map<Item, Item>(a.map((x, i) => [x, b[i]]));
    // `use`s in the scopes get their new spans too (equal but for positions, in the same order).
    for (const [m, uses] of old.result.uses) {
      const scope = this.modules.get(m);
      const now = next.result.uses.get(m);
      if (!scope || !now || now.length !== uses.length) continue;
      const byOld = new Map(uses.map((u, i) => [u, now[i]]));
      for (let i = 0; i < scope.uses.length; i++)
        scope.uses[i] = byOld.get(scope.uses[i]) ?? scope.uses[i];
    }
    const patched = new Set<ModuleScope>();
    for (const it of a) {
      const scope = this.modules.get(it.module);
      // Impls with associated consts or types are listed by their module too.
      if (scope && !patched.has(scope)) {
        patched.add(scope);
        for (const l of [scope.impls, scope.traitImpls])
          if (l)
            for (let i = 0; i < l.length; i++)
              l[i] = (map.get(l[i]) as ImplItem | undefined) ?? l[i];
        // Same signatures, so the same shapes: the relation holds for the new objects.
        if (scope.identical)
          scope.identical = new Map(
            [...scope.identical].map(([k, v]) => [
              map.get(k) ?? k,
              (map.get(v) as TypeDefItem | undefined) ?? v,
            ]),
          );
      }
      const list = scope?.items.get(it.name);
      if (!list) continue;
      for (let i = 0; i < list.length; i++) list[i] = map.get(list[i]) ?? list[i];
    }
    // The item list and the by-path map are patched too (rules look modules up per finding).
    if (prev.all) {
      this.allItems = prev.all.map(x => map.get(x) ?? x);
      if (prev.byPath) {
        for (const [o, n] of map) if (prev.byPath.get(o.path) === o) prev.byPath.set(o.path, n);
        this.byPath = prev.byPath;
      }
    }
    this.resolver = new ScopeResolver(this.modules, this.crateRoots, this.hooks);
    return true;
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

  /** Rebuild the scopes after `addTarget(.., rebuild = false)` calls. */
  finishLoading(): void {
    this.rebuildScopes();
  }

  /** `ensureFile` for many files, rebuilding the scopes once. */
  ensureFiles(files: readonly string[]): void {
    this.batching = true;
    try {
      for (const f of files) if (!this.hasFile(f)) this.ensureFile(f);
    } finally {
      this.batching = false;
    }
    this.rebuildScopes();
  }

  private batching = false;

  /** A file below the directory of an inactive module (`#[cfg(test)] mod tests;` -> tests/x.rs). */
  private insideInactive(f: string): string | undefined {
    for (const [file, pred] of this.inactiveFiles) {
      const dir = path.basename(file) === 'mod.rs' ? path.dirname(file) : file.slice(0, -3);
      if (f.startsWith(dir + path.sep)) return pred;
    }
    return undefined;
  }

  /** Index a file that is not part of any crate's module tree (e.g. a new or orphaned file). */
  ensureFile(file: string): boolean {
    const f = path.resolve(file);
    if (this.files.has(f)) return true;
    const pkg = this.targets.find(t => f.startsWith(t.packageDir + path.sep));
    const crate = pkg?.name ?? path.basename(f, '.rs').replace(/-/g, '_');
    const stem = path.basename(f, '.rs');
    const module = pkg
      ? `${crate}::${stem === 'mod' ? path.basename(path.dirname(f)) : stem}`
      : crate;
    if (!pkg) this.crateRoots.set(crate, crate);
    const off = this.inactiveFiles.get(f) ?? this.insideInactive(f);
    const e = this.indexFile(f, crate, module, path.join(path.dirname(f), stem));
    if (e && off !== undefined) e.inactive = off;
    else if (e && pkg)
      this.warnings.push({
        file: f,
        message: `not reachable from a crate root (no \`mod\` declares it); indexed as \`${module}\``,
      });
    if (!this.batching) this.rebuildScopes();
    return !!e;
  }

  private scope(p: string, crate: string): ModuleScope {
    let s = this.modules.get(p);
    if (!s) {
      const cut = p.lastIndexOf('::');
      s = {
        path: p,
        crate,
        parent: cut > 0 ? p.slice(0, cut) : undefined,
        items: new Map(),
        uses: [],
        externCrates: new Map(),
      };
      this.modules.set(p, s);
    }
    return s;
  }

  /**
   * Add one file's items, `use`s and `extern crate`s to the module scopes (only to the modules in
   * `only` when given). Records which files fill which module (`moduleFiles`).
   */
  private addScopes(
    e: { file: string; module: string; crate: string; result: ExtractResult },
    only?: ReadonlySet<string>,
  ): void {
    // Nearly every item of a file is in the file's module: the last scope is reused.
    let lastPath: string | undefined;
    let last: ModuleScope | undefined;
    const sc = (p: string, crate: string): ModuleScope | undefined => {
      if (p === lastPath) return last;
      if (only && !only.has(p)) return undefined;
      let files = this.moduleFiles.get(p);
      if (!files) this.moduleFiles.set(p, (files = new Set()));
      files.add(e.file);
      lastPath = p;
      return (last = this.scope(p, crate));
    };
    sc(e.module, e.crate);
    // List of a name -> its first definition that needs a decision (insertion order = item order).
    let undecided: Map<Item[], Item> | undefined;
    const ctx = this.cfgOf(e.crate);
    // `#[cfg(all(test, loom))] mod sync { .. }` next to the compiled `mod sync { .. }`: both have
    // one path, so what lies inside the inactive one is recognised by its span.
    const off: [number, number][] = [];
    for (const it of e.result.items)
      if (
        it.kind === 'mod' &&
        (it as { inline?: boolean }).inline &&
        it.attrs.length > 0 &&
        cfgOf(it.attrs, ctx) === 'no'
      )
        off.push([it.span.startOffset, it.span.endOffset]);
    const inOff = (sp: { startOffset: number }) =>
      off.length > 0 && off.some(([a, b]) => sp.startOffset > a && sp.startOffset < b);
    for (const it of e.result.items) {
      if (
        it.kind === 'impl' &&
        !inOff(it.span) &&
        (it.attrs.length === 0 || cfgOf(it.attrs, ctx) === 'yes')
      ) {
        const im = it as ImplItem;
        if (im.assocConsts) {
          const sm = sc(it.module, e.crate);
          if (sm) (sm.impls ??= []).push(im);
        }
        if (im.trait && (Object.keys(im.assocTypes).length > 0 || im.cfgAssocTypes)) {
          const sm = sc(it.module, e.crate);
          if (sm) (sm.traitImpls ??= []).push(im);
        }
      }
      if (it.kind === 'impl' || (it.kind === 'fn' && (it as { owner?: unknown }).owner)) continue;
      // `#[cfg(windows)] struct X` next to `#[cfg(unix)] struct X`: only the compiled one is named.
      let state = 'yes';
      if (it.attrs.length > 0) state = cfgOf(it.attrs, ctx);
      if (state === 'no' || inOff(it.span)) continue;
      if (it.kind === 'mod') sc(it.path, e.crate);
      const s = sc(it.module, e.crate);
      if (!s) continue;
      let list = s.items.get(it.name);
      if (!list) s.items.set(it.name, (list = []));
      // Two compiled definitions of one type name cannot both exist: a cfg we cannot see (one
      // inside a crate's own macro, `cfg_has_atomic_u64! { type X = u32; }`) or a build
      // script's picks one. Unless they are identical, neither may be used as exact.
      if (isTypeDef(it) && (state === 'maybe' || list.some(isTypeDef))) {
        // The list kept here, not looked up again per definition: two Map lookups for each of
        // 139,650 definitions of primitives.rs x50k were ~110 ms of CPU.
        if (!(undecided ??= new Map()).has(list)) undecided.set(list, it);
      }
      list.push(it);
    }
    // Each name once: a file with the same type defined N times (a fuzzed 50,000-line file had
    // thousands) compared every definition with the first for every one of them, N² JSON
    // signatures (minutes of CPU); now N per name.
    for (const [list, it] of undecided ?? []) {
      // Two definitions, one chosen by a build script's cfg: neither may be reported as exact.
      const defs = list.filter(isTypeDef);
      if (defs.length < 2 || list[0].attrs.some(a => a.name === 'alloc_lens_undecided')) continue;
      if (defs.every(d => d === defs[0] || sameDefinition(defs[0], d))) {
        const sm = this.modules.get(it.module)!;
        for (let i = 1; i < defs.length; i++) (sm.identical ??= new Map()).set(defs[i], defs[0]);
        continue;
      }
      const pred =
        defs.flatMap(d => d.attrs.filter(a => a.name === 'cfg').map(a => a.args)).join(' / ') ||
        'a cfg inside a macro';
      const alias: TypeAliasItem = {
        ...(it as TypeAliasItem),
        kind: 'type',
        attrs: [{ name: 'alloc_lens_undecided', args: '', inner: false, span: it.span }],
        target: {
          kind: 'unknown',
          text: `\`${it.name}\`: ${defs.length} definitions, chosen by ${pred.startsWith('a cfg') ? pred : `cfg(${pred})`} that cannot be decided (build script or macro)`,
        },
      };
      delete (alias as unknown as Partial<StructItem>).fields;
      delete (alias as unknown as Partial<EnumItem>).variants;
      list.unshift(alias);
    }
    for (const [m, uses] of e.result.uses) {
      // `#[cfg(feature = "parking_lot")] use ..::Mutex;` next to the std one: keep the compiled import.
      if (only && !only.has(m)) continue;
      const on = uses.filter(
        u => (!u.cfg || u.cfg.every(p => evalCfgIn(p, ctx) !== 'no')) && !inOff(u.span),
      );
      sc(m, e.crate)!.uses.push(...on);
    }
    for (const [m, ext] of e.result.externCrates) {
      const sm = sc(m, e.crate);
      if (sm) for (const [k, v] of ext) sm.externCrates.set(k, v);
    }
  }

  /** Every module path whose scope a file's items, imports or `mod`s fill or create. */
  private scopeModules(e: FileEntry): Set<string> {
    const out = new Set<string>([e.module]);
    for (const it of e.result.items) {
      out.add(it.module);
      if (it.kind === 'mod') out.add(it.path);
    }
    for (const m of e.result.uses.keys()) out.add(m);
    for (const m of e.result.externCrates.keys()) out.add(m);
    return out;
  }

  /**
   * After an edit that changed items of one file: rebuild only the scopes of the modules that
   * file fills (before or after the edit), from every file that fills them, in the order of a
   * full rebuild, so they come out as `rebuildScopes` would make them. A struct edit in tokio
   * rebuilt the scopes of all of tokio and its dependencies per keystroke (18 ms CPU of 55).
   * False when the edit brought new files in or the file is an inactive module (then everything
   * is rebuilt).
   */
  private updateScopes(old: FileEntry, next: FileEntry): boolean {
    if (old.inactive !== undefined || next.inactive !== undefined) return false;
    const affected = this.scopeModules(old);
    for (const m of this.scopeModules(next)) affected.add(m);
    const contributors = new Set<string>([next.file]);
    for (const m of affected) for (const f of this.moduleFiles.get(m) ?? []) contributors.add(f);
    this.scopeGeneration++;
    this.typeMacros.clear();
    for (const m of affected) this.modules.delete(m);
    for (const e of this.files.values())
      if (e.inactive === undefined && contributors.has(e.file)) this.addScopes(e, affected);
    for (const f of this.depScoped.values())
      if (contributors.has(f.file)) this.addScopes(f, affected);
    this.resolver = new ScopeResolver(this.modules, this.crateRoots, this.hooks);
    return true;
  }

  /**
   * Bumped whenever every scope is rebuilt (a file added or removed, items or imports changed):
   * name resolution may then differ, so memoised layouts must go. A keystroke that changes no
   * item keeps it (`swapItems`).
   */
  scopeGeneration = 0;

  private rebuildScopes(): void {
    this.scopeGeneration++;
    this.modules.clear();
    this.moduleFiles.clear();
    this.typeMacros.clear();
    for (const e of this.files.values()) if (e.inactive === undefined) this.addScopes(e);
    for (const f of this.depScoped.values()) this.addScopes(f);
    this.resolver = new ScopeResolver(this.modules, this.crateRoots, this.hooks);
  }
}

/** `t` with every `unknown` part that `f` can replace replaced (a copy; `t` is not changed). */
function mapUnknownTypes(
  t: TypeExpr,
  f: (u: Extract<TypeExpr, { kind: 'unknown' }>) => TypeExpr | undefined,
): TypeExpr {
  const m = (x: TypeExpr): TypeExpr => mapUnknownTypes(x, f);
  switch (t.kind) {
    case 'unknown':
      return (!t.error && f(t)) || t;
    case 'path':
      return {
        ...t,
        ...(t.qself ? { qself: m(t.qself) } : {}),
        segments: t.segments.map(s => ({
          ...s,
          args: s.args.map(a =>
            a.kind === 'type' || a.kind === 'binding' ? { ...a, type: m(a.type) } : a,
          ),
        })),
      };
    case 'ref':
    case 'ptr':
      return { ...t, inner: m(t.inner) };
    case 'array':
    case 'slice':
      return { ...t, elem: m(t.elem) };
    case 'tuple':
      return { ...t, elems: t.elems.map(m) };
    case 'dyn':
    case 'impl':
      return { ...t, traits: t.traits.map(m) };
    default:
      return t;
  }
}

function contains(
  s: { line: number; column: number; endLine: number; endColumn: number },
  line: number,
  column: number,
): boolean {
  if (line < s.line || line > s.endLine) return false;
  if (line === s.line && column < s.column) return false;
  if (line === s.endLine && column > s.endColumn) return false;
  return true;
}

/**
 * An item without its positions, keys in sorted order: the fast text extractor and the tree
 * extractor (which takes over for an impl with a parse error, e.g. tokio's worker.rs while
 * `let` is typed in a fn body) build equal items with their keys in different orders, and an
 * order-sensitive signature reported 6 items changed: every scope rebuilt, every memoised
 * layout dropped and 182 files queued for a re-check per such keystroke.
 */
function signature(i: Item): string {
  return JSON.stringify(i, (k, v) => {
    if (
      k === 'span' ||
      k === 'nameSpan' ||
      k === 'signatureSpan' ||
      k === 'startOffset' ||
      k === 'endOffset' ||
      k === 'line' ||
      k === 'column' ||
      k === 'endLine' ||
      k === 'endColumn'
    )
      return undefined;
    if (typeof v === 'bigint') return String(v);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/** Item signatures by `path#kind`, kept on the entry: the next edit of the file compares against them. */
function signatures(e: FileEntry): Map<string, string> {
  return (e.signatures ??= new Map(e.result.items.map(i => [i.path + '#' + i.kind, signature(i)])));
}

function diffItems(old: FileEntry, next: FileEntry): Set<string> {
  const sa = signatures(old);
  const sb = signatures(next);
  const out = new Set<string>();
  for (const [k, v] of sa) if (sb.get(k) !== v) out.add(k.split('#')[0]);
  for (const k of sb.keys()) if (!sa.has(k)) out.add(k.split('#')[0]);
  return out;
}

/** Index in-memory sources as one crate (the first file is the crate root). For tests and tools. */
export function buildIndexFromSources(
  files: { path: string; text: string }[],
  opts: { crateName?: string } = {},
): WorkspaceIndex {
  const byPath = new Map(files.map(f => [path.resolve(f.path), f.text]));
  const host: SourceHost = {
    read: f => byPath.get(path.resolve(f)),
    exists: f => byPath.has(path.resolve(f)),
  };
  const root = path.resolve(files[0].path);
  const target: CrateTarget = {
    name: opts.crateName ?? 'crate_under_test',
    kind: 'lib',
    root,
    packageDir: path.dirname(root),
    dependencies: [],
  };
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
  // A malformed manifest is an error naming the file and line (CargoFileError), not a silent skip.
  const notices: string[] = [];
  const manifests = pkgDirs
    .map(d => {
      try {
        return readManifest(d);
      } catch (e) {
        // The package asked for must parse; a nested one found by scanning (a test fixture)
        // is skipped with a warning.
        if (d === pkg || d === abs || !(e instanceof CargoFileError)) throw e;
        notices.push(`${(e as Error).message}; package skipped`);
        return undefined;
      }
    })
    .filter((m): m is Manifest => !!m && !m.virtual);
  let graph: GraphResult | undefined;
  if (opts.dependencies !== false && manifests.length > 0) {
    try {
      graph = await resolveCrateGraph(
        manifests.map(m => m.dir),
        { ...opts },
      );
    } catch (e) {
      if (e instanceof CargoFileError || opts.signal?.aborted) throw e;
      notices.push(`dependencies not resolved: ${(e as Error).message}`);
    }
  }
  const target = graph?.target ?? cfgTarget(opts.target);
  const targets = manifests.flatMap(m =>
    manifestTargets(m, graph?.graph.packages.get(m.dir)?.features ?? fallbackFeatures(m, opts)),
  );
  const index = new WorkspaceIndex(targets, opts.host ?? diskHost);
  index.notices.push(...notices);
  if (graph) {
    index.setGraph(graph.graph, graph.target);
    index.notes.push(...graph.notices);
    if (graph.graph.missingDev?.length)
      index.notes.push(
        `dev-dependency sources not found (test, bench and example targets only): ${graph.graph.missingDev.join(', ')}`,
      );
    if (graph.graph.missing.length > 0)
      index.notices.push(
        `dependency sources not found (their types count as unknown, sizes are lower bounds): ${graph.graph.missing.join(', ')}`,
      );
  } else index.setTarget(target);
  const counter = { n: 0 };
  for (const t of targets) await index.addTarget(t, opts, counter, false);
  index.finishLoading();
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

/** Features without a graph: defaults (unless turned off) plus the requested ones, expanded. */
function fallbackFeatures(m: Manifest, opts: LoadOptions): string[] {
  const table: Record<string, unknown> = { ...m.features };
  const base = opts.allFeatures
    ? Object.keys(m.features)
    : opts.noDefaultFeatures
      ? []
      : (m.features.default ?? []);
  return defaultFeatures({ ...table, default: [...base, ...(opts.features ?? [])] });
}

/**
 * Every cargo target of a package as a crate root: the library, binaries, tests, benches,
 * examples and the build script. A name taken by an earlier target gets its kind appended
 * (`foo_test`); a binary named like its library shares the library's crate name, as before.
 */
function manifestTargets(m: Manifest, features: Iterable<string>): CrateTarget[] {
  const feats = [...features];
  const deps = [...new Set(m.deps.map(d => d.codeName))];
  const out: CrateTarget[] = [];
  const used = new Set<string>();
  for (const t of m.targets) {
    let name = t.name;
    if (t.kind === 'build') name = `${m.libName}_build_script`;
    else if (used.has(name) && !(t.kind === 'bin' && name === m.libName))
      name = `${name}_${t.kind}`;
    used.add(name);
    const kind = t.kind;
    out.push({
      name,
      kind,
      root: t.root,
      packageDir: m.dir,
      dependencies: kind === 'lib' ? deps : [...deps, m.libName],
      features: feats,
      edition: m.edition,
    });
  }
  return out;
}
