/**
 * Name resolution the way a reader does it: items of the module, `use` (simple, groups, renames,
 * globs, `self`/`super`/`crate`), other workspace crates, the std prelude and std paths.
 */
import type { ConstItem, ImplItem, Item, TypeDefItem, TypeExpr, UseEntry } from '../model';
import { isTypeDef } from '../model';
import type { Resolution, TypeResolver } from '../resolve-api';
import { canonicalStdPath, isStdRoot, PRELUDE, PRIMITIVES } from './std-paths';
import { ConstEvalError, evalConstExpr, evalConstExprChecked } from './const-eval';
import { isStdTableModule, isStdTablePath } from '../layout/std-table';
import { parseTypeText } from './type-text';

/** The names one module defines and imports. */
export interface ModuleScope {
  path: string;
  /** Crate root module path (the crate name). */
  crate: string;
  parent?: string;
  /** Items defined directly in the module, by name (type namespace and value namespace mixed). */
  items: Map<string, Item[]>;
  uses: UseEntry[];
  externCrates: Map<string, string>;
  /** Inherent impls of this module that define associated consts (`impl X { const MAX: usize = 15; }`). */
  impls?: ImplItem[];
  /** Trait impls of this module that define associated types (`impl IntoIterator for X { type IntoIter = .. }`). */
  traitImpls?: ImplItem[];
  /**
   * Later definitions of a type name -> the first, when every definition of that name here has
   * one shape (see `identicalTo` in workspace.ts). Kept on the scope so that it goes with it.
   */
  identical?: Map<Item, TypeDefItem>;
}

/** What a name or path leads to while walking a path. */
type Target =
  | { kind: 'item'; item: Item }
  | { kind: 'module'; path: string }
  | { kind: 'std'; segments: string[] }
  | { kind: 'external'; segments: string[] }
  | { kind: 'primitive'; name: string };

const TYPE_NS = new Set(['struct', 'enum', 'union', 'type', 'trait', 'mod']);

/**
 * Name lookups allowed for one path. Glob imports whose bases are not modules of the crate
 * (`use utf_8::*; use utf_16::*; ...` in encoding_rs's variant.rs read as a 2018 crate) look each
 * base up through the other globs, and `seen` only stops a chain at a repeated name: 15 globs
 * made every path walk the chains' permutations (over 10 minutes of CPU for that 17 KB file).
 * The most any path of the 18 layout-corpus crates and tokio needs is 27 lookups (measure:layouts);
 * past the budget the path is unresolved (its types unknown), never guessed.
 */
export const LOOKUP_BUDGET = 1_000;

/** How the index supplies dependency crates lazily while a path is being walked. */
export interface ResolverHooks {
  /** Root module of dependency `name` of the crate rooted at `crate` (loading it), if known. */
  externCrate(crate: string, name: string): string | undefined;
  /** Make sure the scope of `module` is loaded (a dependency module is read on first use). */
  ensureModule(module: string): void;
  /** Whether the crate rooted at `crate` is edition 2015 (`::x` and `use x` start at its root). */
  edition2015?(crate: string): boolean;
}

export class ScopeResolver implements TypeResolver {
  constructor(
    private readonly modules: Map<string, ModuleScope>,
    /** Workspace crate names -> root module path. */
    private readonly crates: Map<string, string>,
    private readonly hooks?: ResolverHooks,
  ) {}

  private scopeOf(module: string): ModuleScope | undefined {
    // A module's scope may exist (declared by `mod x;`) before its file is read: always ask.
    this.hooks?.ensureModule(module);
    return this.modules.get(module);
  }

  resolveType(module: string, expr: Extract<TypeExpr, { kind: 'path' }>): Resolution {
    const text = expr.segments.map(s => s.name).join('::');
    if (expr.qself) return { kind: 'unresolved', path: expr.text };
    const target = this.resolveSegments(
      module,
      expr.segments.map(s => s.name),
      expr.global,
    );
    return this.toResolution(target, text);
  }

  /** Resolve a plain path (`a::b::C`) from `module`; exposed for rules and the symbol locator. */
  resolvePath(module: string, segments: string[]): Resolution {
    return this.toResolution(this.resolveSegments(module, segments, false), segments.join('::'));
  }

  /** Resolve to the item (any kind: fn, const, trait...) a path names, if it is a workspace item. */
  resolveItem(module: string, segments: string[]): Item | undefined {
    const t = this.resolveSegments(module, segments, false);
    return t?.kind === 'item' ? t.item : undefined;
  }

  evalConst(module: string, text: string, env?: ReadonlyMap<string, bigint>): bigint | undefined {
    return evalConstExpr(text, (path: string[]) => {
      if (path.length === 1 && env?.has(path[0])) return env.get(path[0]);
      return this.constValue(module, path, new Set());
    });
  }

  /** evalConst that also reports what rustc rejects (division by zero, overflow, a const cycle). */
  parseType(text: string): TypeExpr | undefined {
    return parseTypeText(text);
  }

  evalConstChecked(
    module: string,
    text: string,
    env?: ReadonlyMap<string, bigint>,
  ): { value?: bigint; error?: string } {
    return evalConstExprChecked(text, (path: string[]) => {
      if (path.length === 1 && env?.has(path[0])) return env.get(path[0]);
      return this.constValue(module, path, new Set());
    });
  }

  /** `seen`: the consts being evaluated on this chain; meeting one again is a cycle (E0391). */
  private constValue(module: string, path: string[], seen: Set<string>): bigint | undefined {
    const last = path[path.length - 1];
    if (path.length === 2 && PRIMITIVES.has(path[0])) return primitiveConst(path[0], last);
    if (
      path.length >= 2 &&
      (path[0] === 'std' || path[0] === 'core') &&
      PRIMITIVES.has(path[path.length - 2])
    ) {
      return primitiveConst(path[path.length - 2], last);
    }
    const t = this.resolveSegments(module, path, false);
    if (
      t?.kind !== 'item' ||
      (t.item.kind !== 'const' && t.item.kind !== 'static') ||
      !t.item.value
    )
      return undefined;
    if (seen.has(t.item.path))
      throw new ConstEvalError(`cycle detected when const-evaluating \`${t.item.name}\``);
    seen.add(t.item.path);
    const item = t.item;
    try {
      const r = evalConstExprChecked(item.value!, p => this.constValue(item.module, p, seen));
      if (r.error) throw new ConstEvalError(r.error);
      return r.value;
    } finally {
      seen.delete(item.path);
    }
  }

  private toResolution(target: Target | undefined, text: string): Resolution {
    if (!target) return { kind: 'unresolved', path: text };
    switch (target.kind) {
      case 'primitive':
        return { kind: 'primitive', name: target.name };
      case 'std': {
        const p = canonicalStdPath(target.segments);
        return p.startsWith('trait:')
          ? { kind: 'trait', path: p.slice(6) }
          : { kind: 'std', path: p };
      }
      case 'external':
        return { kind: 'external', path: target.segments.join('::') };
      case 'module':
        return { kind: 'unresolved', path: text };
      case 'item':
        if (target.item.kind === 'trait') return { kind: 'trait', path: target.item.path };
        if (isTypeDef(target.item)) return { kind: 'item', item: target.item as TypeDefItem };
        return { kind: 'unresolved', path: text };
    }
  }

  /** Resolved paths by module and path text: the scopes never change under one resolver. */
  private readonly memo = new Map<string, Target | undefined>();

  /**
   * Name lookups of the path being resolved (the outermost resolveSegments call), against
   * LOOKUP_BUDGET; `exhausted` once a lookup was refused.
   */
  private lookups = 0;
  private depth = 0;
  private exhausted = false;

  private resolveSegments(module: string, segs: string[], global: boolean): Target | undefined {
    const key = `${module}\0${global ? '::' : ''}${segs.join('::')}`;
    if (this.memo.has(key)) return this.memo.get(key);
    if (this.depth === 0) {
      this.lookups = 0;
      this.exhausted = false;
    }
    this.depth++;
    let target: Target | undefined;
    try {
      target = this.resolveSegmentsUncached(module, segs, global);
    } finally {
      this.depth--;
    }
    if (this.exhausted) {
      // A path the budget cut short names nothing (its types become unknown, never a guess);
      // inner paths cut short are not remembered, as they may resolve when asked first.
      if (this.depth > 0) return undefined;
      target = undefined;
    }
    this.memo.set(key, target);
    return target;
  }

  private resolveSegmentsUncached(
    module: string,
    segs: string[],
    global: boolean,
  ): Target | undefined {
    if (segs.length === 0) return undefined;
    let cur: Target | undefined;
    const first = segs[0];
    const scope = this.scopeOf(module);
    if (global && scope && this.hooks?.edition2015?.(scope.crate))
      cur =
        this.lookupName(scope.crate, first, new Set(), segs.length === 1, true) ??
        this.crateTarget(first, scope);
    else if (global) cur = this.crateTarget(first, scope);
    else if (first === 'crate') cur = scope ? { kind: 'module', path: scope.crate } : undefined;
    else if (first === 'self') cur = { kind: 'module', path: module };
    else if (first === 'super')
      cur = scope?.parent ? { kind: 'module', path: scope.parent } : undefined;
    else if (first === 'Self') cur = undefined;
    else if (segs.length === 1 && PRIMITIVES.has(first) && !scope?.items.has(first))
      return { kind: 'primitive', name: first };
    else
      cur =
        this.lookupName(module, first, new Set(), segs.length === 1) ??
        this.crateTarget(first, scope);
    for (let i = 1; i < segs.length && cur; i++)
      cur = this.step(cur, segs[i], i === segs.length - 1);
    return cur;
  }

  private crateTarget(name: string, scope: ModuleScope | undefined): Target | undefined {
    const dep = scope && this.hooks?.externCrate(scope.crate, name);
    if (dep) return { kind: 'module', path: dep };
    if (this.crates.has(name)) return { kind: 'module', path: this.crates.get(name)! };
    if (isStdRoot(name)) return { kind: 'std', segments: [name] };
    const ext = scope?.externCrates.get(name);
    const extDep = ext && ext !== name && this.hooks?.externCrate(scope!.crate, ext);
    if (extDep) return { kind: 'module', path: extDep };
    if (ext) return this.crateTarget(ext, undefined);
    if (PRIMITIVES.has(name)) return { kind: 'primitive', name };
    if (/^[a-z_][a-z0-9_]*$/.test(name)) return { kind: 'external', segments: [name] };
    return undefined;
  }

  private step(cur: Target, name: string, last: boolean): Target | undefined {
    switch (cur.kind) {
      case 'module':
        if (name === 'super') {
          const p = this.scopeOf(cur.path)?.parent;
          return p ? { kind: 'module', path: p } : undefined;
        }
        return this.lookupName(cur.path, name, new Set(), last, true);
      case 'std':
        return { kind: 'std', segments: [...cur.segments, name] };
      case 'external':
        return { kind: 'external', segments: [...cur.segments, name] };
      case 'item':
        // `InlineExtension::MAX`: an associated const of an inherent impl (for array lengths).
        // Associated types (`T::Assoc`) and variants are not types we can name.
        return last && isTypeDef(cur.item)
          ? this.assocConst(cur.item as TypeDefItem, name)
          : undefined;
      default:
        return undefined;
    }
  }

  traitImplsOf(item: TypeDefItem): ImplItem[] {
    const crate = this.modules.get(item.module)?.crate;
    if (!crate) return [];
    const out: ImplItem[] = [];
    for (const s of this.modules.values()) {
      if (s.crate !== crate || !s.traitImpls) continue;
      for (const im of s.traitImpls) {
        let self = im.selfType;
        while (self.kind === 'ref') self = self.inner;
        if (self.kind !== 'path' || self.segments[self.segments.length - 1].name !== item.name)
          continue;
        const r = this.resolveSegments(
          im.module,
          self.segments.map(x => x.name),
          self.global,
        );
        if (r?.kind === 'item' && r.item.path === item.path) out.push(im);
      }
    }
    return out;
  }

  /**
   * The associated const `name` of an inherent impl of `item` in the item's crate (impls of the
   * crate's modules read so far). Undefined when none or more than one impl defines it.
   */
  private assocConst(item: TypeDefItem, name: string): Target | undefined {
    const crate = this.modules.get(item.module)?.crate;
    if (!crate) return undefined;
    const found: ConstItem[] = [];
    for (const s of this.modules.values()) {
      if (s.crate !== crate || !s.impls) continue;
      for (const im of s.impls) {
        const value = im.assocConsts?.[name];
        if (value === undefined || im.selfType.kind !== 'path') continue;
        const segs = im.selfType.segments;
        if (segs[segs.length - 1].name !== item.name) continue;
        const r = this.resolveSegments(
          im.module,
          segs.map(x => x.name),
          im.selfType.global,
        );
        if (r?.kind !== 'item' || r.item.path !== item.path) continue;
        // Inside the impl, `Self::OTHER` names a sibling const (`const TWICE: usize = Self::MAX * 2`).
        const own = `crate::${item.path.split('::').slice(1).join('::')}::`;
        found.push({
          kind: 'const',
          name,
          path: `${item.path}::${name}`,
          module: im.module,
          span: im.span,
          nameSpan: im.nameSpan,
          attrs: [],
          generics: [],
          visibility: '',
          value: value.replace(/\bSelf\s*::/g, own),
        });
      }
    }
    return found.length === 1 ? { kind: 'item', item: found[0] } : undefined;
  }

  /**
   * Look `name` up in `module`: its own items, then explicit imports, then glob imports, then
   * (for non-qualified lookups) the prelude.
   */
  private lookupName(
    module: string,
    name: string,
    seen: Set<string>,
    preferType: boolean,
    qualified = false,
  ): Target | undefined {
    const key = `${module}#${name}`;
    if (seen.has(key)) return undefined;
    if (++this.lookups > LOOKUP_BUDGET) {
      this.exhausted = true;
      return undefined;
    }
    // `seen` holds the lookups in progress (a cycle of imports), not every lookup made: tokio's
    // `crate::loom::sync::atomic::AtomicUsize` looks `std` up in `loom` twice, on two steps.
    seen.add(key);
    try {
      return this.lookupNameIn(module, name, seen, preferType, qualified);
    } finally {
      seen.delete(key);
    }
  }

  private lookupNameIn(
    module: string,
    name: string,
    seen: Set<string>,
    preferType: boolean,
    qualified: boolean,
  ): Target | undefined {
    const scope = this.scopeOf(module);
    if (!scope) return undefined;
    const own = scope.items.get(name);
    // Types and values are two namespaces: syn's `pub fn Ident(..)` next to
    // `pub use proc_macro2::Ident;` leaves the type to the import.
    const valuesOnly =
      preferType &&
      !!own &&
      own.length > 0 &&
      own.every(i => i.kind === 'fn' || i.kind === 'const' || i.kind === 'static');
    const imported = valuesOnly
      ? this.lookupImported(module, scope, name, seen, preferType, qualified)
      : undefined;
    if (imported) return imported;
    if (own && own.length > 0) {
      const ty = own.find(i => TYPE_NS.has(i.kind));
      const pick = preferType ? (ty ?? own[0]) : (own.find(i => i.kind === 'mod') ?? ty ?? own[0]);
      if (pick.kind === 'mod') return { kind: 'module', path: pick.path };
      return { kind: 'item', item: pick };
    }
    return this.lookupImported(module, scope, name, seen, preferType, qualified);
  }

  /** `name` through the imports of `module` (named, then globs), then extern crates and the prelude. */
  private lookupImported(
    module: string,
    scope: ModuleScope,
    name: string,
    seen: Set<string>,
    preferType: boolean,
    qualified: boolean,
  ): Target | undefined {
    const byAlias = usesByAlias(scope.uses);
    const named = byAlias.named.get(name) ?? [];
    if (named.length > 1) {
      // Two imports of one name (`cfg_metrics! { use worker::WorkerMetrics; }` next to
      // `cfg_not_metrics! { use mock::WorkerMetrics; }`): a cfg we cannot see picks one. Only
      // when they agree is the name known.
      const ts = named
        .map(u => this.resolveUse(module, u.path, new Set(seen)))
        .filter((t): t is Target => !!t);
      const keys = new Set(ts.map(targetKey));
      if (keys.size === 1) return ts[0];
      if (keys.size > 1) return undefined;
    }
    for (const u of named) {
      const t = this.resolveUse(module, u.path, new Set(seen));
      if (t) return t;
    }
    const stdGlobs: string[][] = [];
    for (const u of byAlias.globs) {
      const base = this.resolveUse(module, u.path, new Set(seen));
      if (base?.kind === 'module') {
        const t = this.lookupName(base.path, name, new Set(seen), preferType, true);
        if (t) return t;
      } else if (
        (base?.kind === 'std' || base?.kind === 'external') &&
        base.segments[base.segments.length - 1] !== 'prelude'
      ) {
        stdGlobs.push(base.kind === 'std' ? base.segments : ['\0ext', ...base.segments]);
      }
    }
    // `use std::num::*;` brings std's public types: a name resolves there when the std table
    // knows that path. Globs of external crates cannot be checked, so they are not guessed.
    for (const g of stdGlobs) {
      // A std module through a glob (`pub(crate) use std::*;` in tracing-core's `stdlib`, then
      // `crate::stdlib::num::NonZeroU64`) leads on into std.
      if (
        g[0] !== '\0ext' &&
        (isStdTablePath(canonicalStdPath([...g, name])) ||
          isStdTableModule(canonicalStdPath([...g, name])))
      )
        return { kind: 'std', segments: [...g, name] };
    }
    // `extern crate regex;` in a module is an item of it: `use self::regex::Regex` (env_logger).
    if (scope.externCrates.has(name)) return this.crateTarget(name, scope);
    if (qualified) return undefined;
    if (this.crates.has(name)) return this.crateTarget(name, scope);
    const prelude = PRELUDE[name];
    if (prelude) {
      return prelude.startsWith('trait:')
        ? { kind: 'std', segments: ['trait:' + prelude.slice(6)] }
        : { kind: 'std', segments: prelude.split('::') };
    }
    return undefined;
  }

  private resolveUse(module: string, path: string[], seen: Set<string>): Target | undefined {
    const scope = this.scopeOf(module);
    const [first, ...rest] = path;
    let cur: Target | undefined;
    if (first === 'crate') cur = scope ? { kind: 'module', path: scope.crate } : undefined;
    else if (first === 'self') cur = { kind: 'module', path: module };
    else if (first === 'super')
      cur = scope?.parent ? { kind: 'module', path: scope.parent } : undefined;
    else {
      // 2018 paths: a local name (module/item in scope) wins over an extern crate of the same name.
      const local = scope?.items.get(first);
      // 2015 `use a::b;` starts at the crate root (libc's `use unix::...` in submodules).
      const root2015 =
        scope && scope.crate !== module && this.hooks?.edition2015?.(scope.crate)
          ? this.lookupName(scope.crate, first, seen, rest.length === 0, true)
          : undefined;
      if (root2015) cur = root2015;
      else if (local && local.length > 0) {
        const m = local.find(i => i.kind === 'mod');
        cur = m ? { kind: 'module', path: m.path } : { kind: 'item', item: local[0] };
      } else {
        cur = this.crateTarget(first, scope);
        if (!cur || cur.kind === 'external')
          cur = this.lookupName(module, first, seen, rest.length === 0) ?? cur;
      }
    }
    for (let i = 0; i < rest.length && cur; i++) {
      if (rest[i] === 'super' && cur.kind === 'module') {
        const p = this.scopeOf(cur.path)?.parent;
        cur = p ? { kind: 'module', path: p } : undefined;
      } else {
        // `seen` guards one chain of imports against cycles; sibling steps of a path each get
        // their own copy (`crate::loom::sync::Mutex` re-enters `tokio#loom` legitimately).
        cur =
          cur.kind === 'module'
            ? this.lookupName(cur.path, rest[i], new Set(seen), i === rest.length - 1, true)
            : this.step(cur, rest[i], i === rest.length - 1);
      }
    }
    return cur;
  }
}

function targetKey(t: Target): string {
  switch (t.kind) {
    case 'item':
      return `item:${t.item.path}`;
    case 'module':
      return `mod:${t.path}`;
    case 'primitive':
      return `prim:${t.name}`;
    default:
      return `${t.kind}:${t.segments.join('::')}`;
  }
}

function primitiveConst(ty: string, name: string): bigint | undefined {
  const m = /^([ui])(\d+|size)$/.exec(ty);
  if (!m) return undefined;
  const bits = BigInt(m[2] === 'size' ? 64 : Number(m[2]));
  const signed = m[1] === 'i';
  if (name === 'MAX') return signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (name === 'MIN') return signed ? -(1n << (bits - 1n)) : 0n;
  if (name === 'BITS') return bits;
  return undefined;
}

/**
 * A module's imports by alias, built once per `uses` array: a lookup scanned every import of the
 * module, quadratic in files with thousands of `use` lines (a 50,000-line file took 2.5 s).
 *
 * Imports of the same path under the same alias are kept once (the first, so glob order is
 * unchanged): a lookup resolves an import from its path alone, so a repeated one can only give
 * the same answer again. A 50,000-line copy of tokio's loom/mocked.rs declares `use loom::*;`
 * 1,000 times in one module and `use loom::sync::*;` 1,000 times in another; every name that
 * was not found walked all of them, each walk looking `loom` up through the 1,000 root globs
 * again (2.9 s of CPU for the file, 114 ms of it parsing).
 */
const aliasIndex = new WeakMap<
  readonly UseEntry[],
  { n: number; named: Map<string, UseEntry[]>; globs: UseEntry[] }
>();
function usesByAlias(uses: readonly UseEntry[]): {
  named: Map<string, UseEntry[]>;
  globs: UseEntry[];
} {
  let x = aliasIndex.get(uses);
  // Scopes only ever append imports (a dependency module read later): a new length rebuilds.
  if (!x || x.n !== uses.length) {
    x = { n: uses.length, named: new Map(), globs: [] };
    const kept = new Set<string>();
    for (const u of uses) {
      const key = `${u.glob ? '*' : u.alias}\0${u.path.join('::')}`;
      if (kept.has(key)) continue;
      kept.add(key);
      if (u.glob) x.globs.push(u);
      else {
        const l = x.named.get(u.alias);
        if (l) l.push(u);
        else x.named.set(u.alias, [u]);
      }
    }
    aliasIndex.set(uses, x);
  }
  return x;
}
