/**
 * The layout engine: evaluates the syntax model (`TypeExpr`, items) to rustc-exact layouts,
 * resolving names through a `TypeResolver`, substituting generic arguments, and memoising per
 * item instantiation.
 */
import type {
  Attribute,
  EnumItem,
  GenericParam,
  StructItem,
  TraitItem,
  TypeDefItem,
  TypeExpr,
  UnionItem,
} from '../model';
import type { TypeResolver } from '../resolve-api';
import { arrayLayout, LayoutOverflow, type Abi } from './abi';
import { layoutEnum, layoutStruct, layoutUnion } from './adt';
import { errorLay, fixed, toTypeLayout, unknownLay, type LazyArg, type Lay } from './lay';
import { pointerTo, stdLayout, structOf, UNSIZED_STD, UNSIZED_WRAPPERS } from './std-table';
import type { TypeLayout } from './types';
import { TOO_DEEP } from '../limits';
import { aliasCycleError, arrayLengthError, itemError } from './validate';

const PRIM: Record<string, [number, number]> = {
  bool: [1, 1],
  char: [4, 4],
  u8: [1, 1],
  i8: [1, 1],
  u16: [2, 2],
  i16: [2, 2],
  u32: [4, 4],
  i32: [4, 4],
  f32: [4, 4],
  u64: [8, 8],
  i64: [8, 8],
  f64: [8, 8],
  usize: [8, 8],
  isize: [8, 8],
  u128: [16, 16],
  i128: [16, 16],
  f16: [2, 2],
  f128: [16, 16],
};

function primitive(name: string): Lay | undefined {
  const p = PRIM[name];
  if (!p) return undefined;
  if (name === 'bool') return fixed(name, 1, 1, { offset: 0, bytes: 1, available: 254n });
  if (name === 'char')
    return fixed(name, 4, 4, { offset: 0, bytes: 4, available: (1n << 32n) - 0x110000n });
  return fixed(name, p[0], p[1]);
}

/** What generic names mean while evaluating an item's fields. */
export interface Env {
  module: string;
  types: Map<string, LazyArg>;
  consts: Map<string, bigint>;
  self?: { item: TypeDefItem; args: LazyArg[]; text: string };
}

type PathExpr = Extract<TypeExpr, { kind: 'path' }>;

/** `arg` bound to a parameter that is implicitly `Sized`. */
function sizedArg(arg: LazyArg): LazyArg {
  return {
    get text() {
      return arg.text;
    },
    get key() {
      return arg.key;
    },
    lay: () => arg.lay(),
    unsized: () => false,
    tail: () => undefined,
    constValue: arg.constValue,
    project: arg.project,
  };
}

/** Items laid out inside each other at most this deep (rustc's query depth limit is near 128). */
const MAX_ITEM_DEPTH = 100;

export class LayoutEngine {
  private readonly memo = new Map<string, Lay>();
  private readonly inProgress = new Set<string>();
  private exact = new Map<string, { size: number; align: number }>();

  constructor(readonly resolver: TypeResolver) {}

  /** Forget memoised results (after the index changed). */
  invalidate(): void {
    this.memo.clear();
    // Which definition a name resolves to may have changed too (repeated definitions share a
    // memo through it).
    this.itemKeys = new WeakMap();
    this.aliasCycles.clear();
  }

  /**
   * Compiler-confirmed sizes (exact mode), by item path: they replace the estimates of those
   * non-generic items, and everything built from them (a `Result` carrying one) uses them.
   */
  setExact(sizes: Map<string, { size: number; align: number }>): void {
    this.exact = sizes;
    this.memo.clear();
  }

  /**
   * Layout of a struct, enum, union or type alias. Generic parameters without arguments count
   * as unknown (size 0, "at least"), like clippy; pass `args` for an instantiation.
   */
  layoutOfItem(item: TypeDefItem, args: LazyArg[] = []): TypeLayout {
    return toTypeLayout(this.itemLay(item, args));
  }

  /** Layout of a type written in `module` (e.g. a fn's return type). */
  layoutOfType(expr: TypeExpr, module: string, env?: Partial<Env>): TypeLayout {
    return toTypeLayout(
      this.evalType(expr, {
        module,
        types: env?.types ?? new Map(),
        consts: env?.consts ?? new Map(),
        self: env?.self,
      }),
    );
  }

  /** Internal: the full working value (used by rules that need the text and key). */
  layOfType(expr: TypeExpr, module: string, env?: Partial<Env>): Lay {
    return this.evalType(expr, {
      module,
      types: env?.types ?? new Map(),
      consts: env?.consts ?? new Map(),
      self: env?.self,
    });
  }

  /** Memo-key prefix per item object (see `itemKey`). */
  private itemKeys = new WeakMap<TypeDefItem, string>();

  /**
   * The memo key of an item: its path, unless another definition holds that path for name
   * resolution. clap 4.0.32 has `#[cfg(feature = "string")] mod inner { enum Inner {..} }` next
   * to `#[cfg(not(..))] mod inner { struct Inner(&'static str) }`: a rule that laid the inactive
   * enum out directly memoised 24 bytes under the shared path, and `Str` and `Id`, reached later
   * through the struct, became 24 bytes "exact" (rustc: 16), depending on the order of calls.
   */
  private itemKey(item: TypeDefItem): string {
    let k = this.itemKeys.get(item);
    // A later definition identical to the one its name resolves to is, by that, not the one the
    // name resolves to: no second resolution (0.3 s of 1.0 s laying out the 139,650 types of
    // primitives.rs repeated to 50,000 lines).
    const same = k === undefined ? this.resolver.identicalTo?.(item) : undefined;
    if (same && this.itemKey(same) === item.path) {
      k = `${item.path}@${item.span.file}:${item.span.startOffset}`;
      this.itemKeys.set(item, k);
    } else if (k === undefined) {
      const r = this.resolver.resolveType(item.module, {
        kind: 'path',
        text: item.name,
        global: false,
        segments: [{ name: item.name, args: [] }],
      });
      k =
        r.kind === 'item' && r.item === item
          ? item.path
          : `${item.path}@${item.span.file}:${item.span.startOffset}`;
      this.itemKeys.set(item, k);
    }
    return k;
  }

  itemLay(item: TypeDefItem, args: LazyArg[] = []): Lay {
    const text = args.length ? `${item.name}<${args.map(a => a.text).join(', ')}>` : item.name;
    const ik = this.itemKey(item);
    const key = `${ik}<${args.map(a => a.key).join(',')}>`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    // A later definition of the same shape as the one its name resolves to (a fuzzed file with
    // primitives.rs repeated to 50,000 lines has 1,786 of each of its types): that one's layout,
    // under this key. Laying each out again cost 2.2 s of CPU there (load 3).
    const same = this.resolver.identicalTo?.(item);
    if (same && ik !== item.path && this.itemKey(same) === item.path) {
      const twin = this.itemLay(same, args);
      const own = {
        ...twin,
        key: twin.key === `${item.path}<${args.map(a => a.key).join(',')}>` ? key : twin.key,
      };
      this.memo.set(key, own);
      return own;
    }
    if (this.inProgress.has(key)) {
      if (item.kind === 'type')
        return errorLay(text, `cycle detected when expanding type alias \`${item.name}\``);
      return errorLay(
        text,
        `recursive type \`${item.name}\` has infinite size (insert some indirection, e.g. Box)`,
      );
    }
    // Polymorphic recursion by value (`struct S<T>(T, Option<S<Option<T>>>)`) makes a new key at
    // every level; rustc gives up at its query depth limit (about 128), the engine a little earlier.
    if (this.inProgress.size >= MAX_ITEM_DEPTH) {
      const recursive = [...this.inProgress].some(k => k.startsWith(`${ik}<`));
      return errorLay(
        text,
        recursive ? `recursive type \`${item.name}\` has infinite size` : TOO_DEEP,
      );
    }
    this.inProgress.add(key);
    let result: Lay;
    try {
      const env = this.bindGenerics(item, args, text);
      result = this.computeItem(item, env, text, key);
      const confirmed = args.length === 0 ? this.exact.get(item.path) : undefined;
      if (confirmed)
        result = {
          ...result,
          size: confirmed.size,
          align: confirmed.align,
          status: 'exact',
          unknownParts: undefined,
          confirmed: true,
        };
    } catch (e) {
      if (!(e instanceof LayoutOverflow)) throw e;
      result = errorLay(text, e.message);
    } finally {
      this.inProgress.delete(key);
    }
    this.memo.set(key, result);
    return result;
  }

  private computeItem(item: TypeDefItem, env: Env, text: string, key: string): Lay {
    const field = (t: TypeExpr) => this.evalType(t, env);
    // Fields and variants behind a `#[cfg]` that is off do not exist in the compiled type.
    const active = <T extends { attrs: Attribute[] }>(xs: T[]): T[] =>
      this.resolver.isActive
        ? xs.filter(x => x.attrs.length === 0 || this.resolver.isActive!(item.module, x.attrs))
        : xs;
    if (item.kind === 'struct' || item.kind === 'union')
      item = { ...item, fields: active((item as StructItem).fields) } as TypeDefItem;
    else if (item.kind === 'enum')
      item = { ...item, variants: active((item as EnumItem).variants) } as TypeDefItem;
    // What rustc rejects outright (repr values, discriminants) is an error, never a layout.
    const invalid =
      itemError(item, d => this.constChecked(item.module, d, env.consts)) ?? this.aliasCycle(item);
    if (invalid) return { ...errorLay(text, invalid), key };
    let l: Lay;
    switch (item.kind) {
      case 'struct': {
        const st = item as StructItem;
        const last = st.fields[st.fields.length - 1];
        // rustc decides from the declaration (identity substitution) whether the tail may be unsized.
        const maybeUnsizedTail =
          !!last &&
          this.isUnsized(last.type, this.bindGenerics(item, [], item.name), new Set()) !== false;
        l = layoutStruct({ ...st, maybeUnsizedTail }, field, text);
        break;
      }
      case 'union':
        l = layoutUnion(item as UnionItem, field, text);
        break;
      case 'enum':
        l = layoutEnum(item as EnumItem, field, text, d =>
          this.resolver.evalConst(item.module, d, env.consts),
        );
        break;
      case 'type':
        l = item.target
          ? { ...this.evalType(item.target, env) }
          : unknownLay(text, `${item.name} (associated type)`);
        break;
    }
    return { ...l, text, key };
  }

  private bindGenerics(item: TypeDefItem, args: LazyArg[], text: string): Env {
    const env: Env = { module: item.module, types: new Map(), consts: new Map() };
    let i = 0;
    for (const g of item.generics) {
      if (g.kind === 'lifetime') continue;
      const arg = args[i++];
      // A type parameter without `?Sized` is Sized whatever the argument's own text says
      // (`NonNull<T>` with `T = <W as Link>::Target` is thin: rustc checked the bound).
      if (g.kind === 'type')
        env.types.set(
          g.name,
          arg ? (g.maybeUnsized ? arg : sizedArg(arg)) : this.defaultOrUnknown(g, env),
        );
      else {
        const v = arg
          ? arg.constValue
            ? arg.constValue()
            : this.resolver.evalConst(item.module, arg.text, env.consts)
          : g.defaultConst !== undefined
            ? this.resolver.evalConst(item.module, g.defaultConst, env.consts)
            : undefined;
        if (v !== undefined) env.consts.set(g.name, v);
      }
    }
    env.self = { item, args, text };
    return env;
  }

  private defaultOrUnknown(g: GenericParam, env: Env): LazyArg {
    if (g.defaultType) return this.lazy(g.defaultType, env);
    const text = g.name;
    return {
      text,
      key: `?${text}`,
      lay: () => unknownLay(text, `${text} (generic parameter)`),
      unsized: () => (g.maybeUnsized ? undefined : false),
    };
  }

  /** Wrap a type expression as a lazily evaluated argument. */
  lazy(expr: TypeExpr, env: Env): LazyArg {
    let cached: Lay | undefined;
    const self = this;
    return {
      text: expr.text,
      get key() {
        return self.keyOf(expr, env);
      },
      // A path argument may name a const (`Wrapper<N>`): evaluate it where it was written.
      constValue:
        expr.kind === 'path'
          ? () => this.resolver.evalConst(env.module, expr.text, env.consts)
          : undefined,
      lay: () => (cached ??= this.evalType(expr, env)),
      unsized: () => this.isUnsized(expr, env, new Set()),
      tail: () => this.unsizedTail(expr, env, new Set()),
      project: (traitPath, assoc) => this.projectArg(expr, env, traitPath, assoc),
    };
  }

  private keyOf(expr: TypeExpr, env: Env): string {
    if (expr.kind === 'path' && expr.segments.length === 1 && expr.segments[0].args.length === 0) {
      const g = env.types.get(expr.segments[0].name);
      if (g) return g.key;
    }
    if (expr.kind === 'path') {
      const r = this.resolver.resolveType(env.module, expr);
      const head =
        r.kind === 'item'
          ? r.item.path
          : r.kind === 'std'
            ? r.path
            : r.kind === 'primitive'
              ? r.name
              : `${env.module}:${expr.text}`;
      const args = expr.segments[expr.segments.length - 1].args;
      return args.length
        ? `${head}<${args.map(a => (a.kind === 'type' ? this.keyOf(a.type, env) : a.kind === 'const' ? String(this.resolver.evalConst(env.module, a.text, env.consts) ?? a.text) : '_')).join(',')}>`
        : head;
    }
    return `${env.module}:${expr.text}`;
  }

  /** Whether a type is dynamically sized, decided from syntax (never computes layouts). */
  isUnsized(
    expr: TypeExpr,
    env: Env,
    seen: Set<string>,
    opaque: false | undefined = undefined,
  ): boolean | undefined {
    switch (expr.kind) {
      case 'slice':
      case 'dyn':
        return true;
      case 'path': {
        const last = expr.segments[expr.segments.length - 1];
        if (expr.segments.length === 1) {
          const g = env.types.get(last.name);
          if (g) return g.unsized();
          if (last.name === 'str') return true;
          if (last.name === 'Self' && env.self)
            return this.itemUnsized(env.self.item, env.self.args, seen);
        }
        if (expr.qself || (expr.segments.length === 2 && env.types.has(expr.segments[0].name))) {
          const p = expr.qself ? this.projection(expr, env) : undefined;
          if (p) return this.isUnsized(p.type, p.env, seen, opaque);
          // `A::Item` with `A: Array` and `type Item;` in the trait: Sized.
          return this.assocDeclaredSized(expr, env) ? false : opaque;
        }
        const r = this.resolver.resolveType(env.module, expr);
        if (r.kind === 'std') {
          if (UNSIZED_STD.has(r.path)) return true;
          // `Mutex<dyn Write>`, `NoDrop<ManuallyDrop<dyn Trait>>`: unsized when the wrapped type is.
          const inner = last.args.find(a => a.kind === 'type');
          return UNSIZED_WRAPPERS.has(r.path) && inner
            ? this.isUnsized((inner as { type: TypeExpr }).type, env, seen, opaque)
            : false;
        }
        if (r.kind === 'primitive') return r.name === 'str';
        if (r.kind === 'trait') return true;
        if (r.kind === 'item') {
          const args = last.args
            .filter(a => a.kind === 'type')
            .map(a => this.lazy((a as { type: TypeExpr }).type, env));
          return this.itemUnsized(r.item, args, seen);
        }
        // A dependency's type, an associated type (`R::Text`) or a name we cannot resolve may be
        // unsized: a pointer to it is at least thin, maybe fat. As a struct's last field it is
        // taken as sized: a dependency type with an unsized tail is very rare.
        return opaque;
      }
      case 'unknown': {
        const x = this.macroType(expr, env);
        return x
          ? this.expanding(
              expr.text,
              () => this.isUnsized(x, env, seen, opaque),
              () => opaque,
            )
          : opaque;
      }
      default:
        return false;
    }
  }

  /** Type macro calls being evaluated: `Loop!()` -> `Option<Loop!()>` meets itself and stops. */
  private readonly inExpansion = new Set<string>();

  private expanding<T>(call: string, f: () => T, again: () => T): T {
    if (this.inExpansion.has(call)) return again();
    this.inExpansion.add(call);
    try {
      return f();
    } finally {
      this.inExpansion.delete(call);
    }
  }

  /** What a type-position macro call (`Token![::]`) expands to, when the resolver can tell. */
  private macroType(expr: Extract<TypeExpr, { kind: 'unknown' }>, env: Env): TypeExpr | undefined {
    return !expr.error && expr.text.includes('!')
      ? this.resolver.expandTypeMacro?.(env.module, expr.text)
      : undefined;
  }

  /** The pointer metadata of an unsized type (see `LazyArg.tail`). */
  unsizedTail(expr: TypeExpr, env: Env, seen: Set<string>): 'dyn' | 'len' | undefined {
    if (expr.kind === 'dyn') return 'dyn';
    if (expr.kind === 'slice') return 'len';
    if (expr.kind === 'unknown') {
      const x = this.macroType(expr, env);
      return x
        ? this.expanding(
            expr.text,
            () => this.unsizedTail(x, env, seen),
            () => undefined,
          )
        : undefined;
    }
    if (expr.kind !== 'path') return undefined;
    const last = expr.segments[expr.segments.length - 1];
    if (expr.segments.length === 1) {
      const g = env.types.get(last.name);
      if (g) return g.tail?.();
      if (last.name === 'str') return 'len';
    }
    const r = this.resolver.resolveType(env.module, expr);
    if (r.kind === 'primitive') return r.name === 'str' ? 'len' : undefined;
    if (r.kind === 'trait') return 'dyn';
    if (r.kind === 'std') {
      if (UNSIZED_STD.has(r.path)) return 'len';
      const inner = last.args.find(a => a.kind === 'type');
      return UNSIZED_WRAPPERS.has(r.path) && inner
        ? this.unsizedTail((inner as { type: TypeExpr }).type, env, seen)
        : undefined;
    }
    if (r.kind !== 'item' || seen.has(r.item.path)) return undefined;
    seen.add(r.item.path);
    const args = last.args
      .filter(a => a.kind === 'type')
      .map(a => this.lazy((a as { type: TypeExpr }).type, env));
    const ienv = this.bindGenerics(r.item, args, r.item.name);
    if (r.item.kind === 'type')
      return r.item.target ? this.unsizedTail(r.item.target, ienv, seen) : undefined;
    if (r.item.kind !== 'struct') return undefined;
    const fields = (r.item as StructItem).fields;
    return fields.length ? this.unsizedTail(fields[fields.length - 1].type, ienv, seen) : undefined;
  }

  private itemUnsized(item: TypeDefItem, args: LazyArg[], seen: Set<string>): boolean | undefined {
    if (seen.has(item.path)) return false;
    seen.add(item.path);
    const env = this.bindGenerics(item, args, item.name);
    if (item.kind === 'type') return item.target ? this.isUnsized(item.target, env, seen) : false;
    if (item.kind !== 'struct') return false;
    const lastField = (item as StructItem).fields[(item as StructItem).fields.length - 1];
    return lastField ? this.isUnsized(lastField.type, env, seen, false) : false;
  }

  evalType(expr: TypeExpr, env: Env): Lay {
    try {
      return this.evalTypeInner(expr, env);
    } catch (e) {
      if (e instanceof LayoutOverflow) return errorLay(expr.text, e.message);
      throw e;
    }
  }

  private evalTypeInner(expr: TypeExpr, env: Env): Lay {
    switch (expr.kind) {
      case 'never':
        return { ...fixed('!', 0, 1), uninhabited: true };
      case 'tuple':
        return layoutStruct(
          {
            kind: 'struct',
            shape: 'tuple',
            fields: expr.elems.map((t, i) => ({ name: String(i), type: t })),
            repr: { c: false, transparent: false },
            isTuple: true,
          } as never,
          t => this.evalType(t, env),
          expr.text,
        );
      case 'ref':
      case 'ptr': {
        const pointee = this.lazy(expr.inner, env);
        const l = pointerTo(expr.text, pointee, expr.kind === 'ref');
        return l;
      }
      case 'fnptr':
        return fixed(expr.text, 8, 8, { offset: 0, bytes: 8, available: 1n });
      case 'array': {
        const elem = this.evalType(expr.elem, env);
        // `[u32; size_of::<u64>()]`: the calls become T's exact size first.
        const len = /\b(?:size|align)_of\s*::/.test(expr.len)
          ? this.sizeOfCalls(expr.len, env)
          : expr.len;
        const c = len === undefined ? {} : this.constChecked(env.module, len, env.consts);
        const n = c.value;
        const text = `[${elem.text}; ${n ?? expr.len}]`;
        const invalid = c.error ?? (n !== undefined ? arrayLengthError(expr.len, n) : undefined);
        if (invalid) return errorLay(text, invalid);
        if (n === undefined)
          return { ...unknownLay(text, `${expr.len} (array length)`), status: 'lower-bound' };
        const a: Abi = arrayLayout(elem, n);
        return {
          ...a,
          text,
          key: `[${elem.key};${n}]`,
          status: elem.status,
          unknownParts: elem.unknownParts,
          error: elem.error,
          largest: elem.largest,
        };
      }
      case 'slice':
        return {
          ...this.evalType(expr.elem, env),
          text: expr.text,
          key: expr.text,
          size: 0,
          unsized: true,
          niche: undefined,
        };
      case 'dyn':
        return { ...fixed(expr.text, 0, 1), unsized: true };
      case 'impl':
        return unknownLay(expr.text, `${expr.text} (opaque type)`);
      case 'unknown': {
        if (expr.error) return errorLay(expr.text, expr.error);
        const x = this.macroType(expr, env);
        return x
          ? {
              ...this.expanding(
                expr.text,
                () => this.evalType(x, env),
                () => unknownLay(expr.text),
              ),
              text: expr.text,
            }
          : unknownLay(expr.text);
      }
      case 'path':
        return this.evalPath(expr, env);
    }
  }

  private evalPath(expr: PathExpr, env: Env): Lay {
    const last = expr.segments[expr.segments.length - 1];
    if (expr.qself) {
      const p = this.projection(expr, env);
      if (p) return { ...this.evalType(p.type, p.env), text: expr.text };
      const a = this.qualifiedParamProjection(expr, env);
      if (a) return { ...a, text: expr.text };
    } else if (expr.segments.length === 2 && env.types.has(expr.segments[0].name)) {
      const p = this.paramProjection(expr, env);
      if (p) return { ...p, text: expr.text };
    }
    if (expr.segments.length === 1 && !expr.qself) {
      const g = env.types.get(last.name);
      if (g && last.args.length === 0) return g.lay();
      if (last.name === 'Self' && env.self) return this.itemLay(env.self.item, env.self.args);
      if (last.name === 'str') return { ...fixed('str', 0, 1), unsized: true };
      const p = env.consts.has(last.name) ? undefined : primitive(last.name);
      if (p && this.resolver.resolveType(env.module, expr).kind === 'primitive') return p;
    }
    const r = this.resolver.resolveType(env.module, expr);
    const args = last.args
      .filter(a => a.kind === 'type' || a.kind === 'const')
      .map(a => (a.kind === 'type' ? this.lazy(a.type, env) : this.constArg(a.text, env)));
    switch (r.kind) {
      case 'primitive': {
        const p = primitive(r.name);
        return (
          p ?? (r.name === 'str' ? { ...fixed('str', 0, 1), unsized: true } : unknownLay(expr.text))
        );
      }
      case 'std': {
        const text = expr.text;
        if (UNSIZED_STD.has(r.path)) return { ...fixed(text, 0, 1), unsized: true };
        if (r.path === 'std::iter::Flatten')
          return this.flatten(
            last.args.flatMap(a => (a.kind === 'type' ? [a.type] : []))[0],
            env,
            text,
          );
        return (
          stdLayout(r.path, args, text) ?? unknownLay(text, `${r.path} (std type not in the table)`)
        );
      }
      case 'item':
        return { ...this.itemLay(r.item, args), text: expr.text };
      case 'trait':
        return { ...fixed(expr.text, 0, 1), unsized: true };
      case 'external':
        return unknownLay(expr.text, `${expr.text} (external crate)`);
      case 'unresolved':
        return unknownLay(expr.text, `${expr.text} (unresolved)`);
    }
  }

  /**
   * `Flatten<I>` is `{ iter: Fuse<I>, frontiter: Option<U>, backiter: Option<U> }` with U the
   * `IntoIter` of I's items. U is known for std iterators over vectors and options: slice
   * iterators yield `&Vec<T>` (U = `slice::Iter<T>`), `vec::IntoIter` yields `Vec<T>`
   * (U = `vec::IntoIter<T>`), and likewise `&Option<T>`/`Option<T>`. Otherwise unknown.
   */
  private flatten(inner: TypeExpr | undefined, env: Env, text: string): Lay {
    const why = unknownLay(text, `${text} (items of the inner iterator not known)`);
    if (!inner || inner.kind !== 'path') return why;
    const ir = this.resolver.resolveType(env.module, inner);
    const elem = inner.segments[inner.segments.length - 1].args.flatMap(a =>
      a.kind === 'type' ? [a.type] : [],
    )[0];
    if (ir.kind !== 'std' || !elem || elem.kind !== 'path') return why;
    const by =
      ir.path === 'std::slice::Iter'
        ? 'ref'
        : ir.path === 'std::slice::IterMut'
          ? 'mut'
          : ir.path === 'std::vec::IntoIter'
            ? 'value'
            : undefined;
    const er = this.resolver.resolveType(env.module, elem);
    if (!by || er.kind !== 'std') return why;
    const elemArg = elem.segments[elem.segments.length - 1].args.flatMap(a =>
      a.kind === 'type' ? [a.type] : [],
    )[0];
    let u: Lay | undefined;
    if (er.path === 'std::vec::Vec')
      u = stdLayout(
        by === 'ref'
          ? 'std::slice::Iter'
          : by === 'mut'
            ? 'std::slice::IterMut'
            : 'std::vec::IntoIter',
        [],
        'U',
      );
    else if (er.path === 'std::option::Option' && elemArg)
      u =
        by === 'value'
          ? stdLayout('std::option::IntoIter', [this.lazy(elemArg, env)], 'U')
          : stdLayout(by === 'ref' ? 'std::option::Iter' : 'std::option::IterMut', [], 'U');
    if (!u) return why;
    const opt = (l: Lay) =>
      stdLayout(
        'std::option::Option',
        [{ text: l.text, key: l.key, lay: () => l, unsized: () => false }],
        `Option<${l.text}>`,
      )!;
    return structOf(text, [opt(this.evalType(inner, env)), opt(u), opt(u)]);
  }

  private readonly projecting = new Set<string>();

  /**
   * `<X as Trait>::Assoc` with X a type of the crate (or `&X`): the associated type of the one
   * impl of Trait whose self type matches X, its generic parameters bound from X's arguments.
   * Undefined when no impl or several match, or an argument cannot be compared.
   */
  private projection(expr: PathExpr, env: Env): { type: TypeExpr; env: Env } | undefined {
    if (!expr.qself || expr.segments.length < 2 || !this.resolver.traitImplsOf) return undefined;
    const assoc = expr.segments[expr.segments.length - 1].name;
    const traitSegs = expr.segments.slice(0, -1);
    const tr = this.resolver.resolveType(env.module, {
      kind: 'path',
      segments: traitSegs,
      global: expr.global,
      text: traitSegs.map(x => x.name).join('::'),
    });
    if (tr.kind !== 'trait') return undefined;
    return this.implAssoc(expr.qself, env, tr.path, assoc);
  }

  /** `<P as Trait>::Assoc` with P a type parameter bound to an argument: the argument's impl. */
  private qualifiedParamProjection(expr: PathExpr, env: Env): Lay | undefined {
    const q = expr.qself;
    if (
      q?.kind !== 'path' ||
      q.qself ||
      q.segments.length !== 1 ||
      q.segments[0].args.length ||
      !env.types.has(q.segments[0].name)
    )
      return undefined;
    const traitSegs = expr.segments.slice(0, -1);
    const tr = this.resolver.resolveType(env.module, {
      kind: 'path',
      segments: traitSegs,
      global: expr.global,
      text: traitSegs.map(x => x.name).join('::'),
    });
    return tr.kind === 'trait'
      ? env.types
          .get(q.segments[0].name)!
          .project?.(tr.path, expr.segments[expr.segments.length - 1].name)
      : undefined;
  }

  /**
   * `P::Assoc` with P a type parameter bound to an argument (`peeked: Option<St::Item>` in
   * `Peekable<St: Stream>` with `St = mpsc::Receiver<Req>`): the trait is the one bound of P
   * that declares `Assoc`, and the type comes from the argument's impl of it, where the argument
   * was written. Undefined when no bound or several declare it, or the argument has no one impl.
   */
  private paramProjection(expr: PathExpr, env: Env): Lay | undefined {
    const [p, a] = expr.segments;
    const arg = env.types.get(p.name);
    if (!arg?.project || p.args.length || a.args.length) return undefined;
    const g = env.self?.item.generics.find(x => x.kind === 'type' && x.name === p.name);
    if (!g) return undefined;
    const traits = new Set<string>();
    for (const b of g.bounds) {
      const name = b.replace(/<[\s\S]*$/, '').trim();
      if (!/^(::)?[A-Za-z_]\w*(::[A-Za-z_]\w*)*$/.test(name)) continue;
      const segs = name.replace(/^::/, '').split('::');
      const t = this.resolver.resolveItem?.(env.module, segs);
      if (t?.kind !== 'trait' || !(t as TraitItem).assocTypes.includes(a.name)) continue;
      const tr = this.resolver.resolveType(env.module, {
        kind: 'path',
        segments: segs.map(name => ({ name, args: [] })),
        global: name.startsWith('::'),
        text: name,
      });
      if (tr.kind === 'trait') traits.add(tr.path);
    }
    return traits.size === 1 ? arg.project([...traits][0], a.name) : undefined;
  }

  /** `<q as traitPath>::assoc`, with q written in `env` (see `projection`). */
  private projectArg(q: TypeExpr, env: Env, traitPath: string, assoc: string): Lay | undefined {
    // The argument is itself a parameter bound further out: ask its argument.
    if (
      q.kind === 'path' &&
      !q.qself &&
      q.segments.length === 1 &&
      q.segments[0].args.length === 0
    ) {
      const outer = env.types.get(q.segments[0].name);
      if (outer) return outer.project?.(traitPath, assoc);
    }
    const p = this.implAssoc(q, env, traitPath, assoc);
    return p ? this.evalType(p.type, p.env) : undefined;
  }

  /** The associated type `assoc` of the one impl of the trait `traitPath` for `qself`. */
  private implAssoc(
    qself: TypeExpr,
    env: Env,
    traitPath: string,
    assoc: string,
  ): { type: TypeExpr; env: Env } | undefined {
    if (!this.resolver.traitImplsOf) return undefined;
    let q = qself;
    let refs = '';
    for (; q.kind === 'ref'; q = q.inner) refs += q.mutable ? 'm' : 's';
    if (
      q.kind !== 'path' ||
      q.qself ||
      (q.segments.length === 1 && env.types.has(q.segments[0].name))
    )
      return undefined;
    const qr = this.resolver.resolveType(env.module, q);
    if (qr.kind !== 'item') return undefined;
    const key = `${this.keyOf(qself, env)} as ${traitPath}::${assoc}`;
    if (this.projecting.has(key)) return undefined;
    const qargs = q.segments[q.segments.length - 1].args.flatMap(a =>
      a.kind === 'type' ? [a.type] : [],
    );
    const found: { type: TypeExpr; env: Env }[] = [];
    this.projecting.add(key);
    try {
      for (const im of this.resolver.traitImplsOf(qr.item)) {
        // `#[cfg(feature = "smallvec")] type IntoIter = ..;` next to the `not(..)` one: the active one.
        const alts = [
          ...(im.assocTypes[assoc] ? [im.assocTypes[assoc]] : []),
          ...(im.cfgAssocTypes ?? [])
            .filter(
              a => a.name === assoc && (this.resolver.isActive?.(im.module, a.attrs) ?? false),
            )
            .map(a => a.type),
        ];
        if (alts.length !== 1 || !im.trait || im.trait.kind !== 'path') continue;
        const target = alts[0];
        const itr = this.resolver.resolveType(im.module, im.trait);
        if (itr.kind !== 'trait' || itr.path !== traitPath) continue;
        let self = im.selfType;
        let r2 = '';
        for (; self.kind === 'ref'; self = self.inner) r2 += self.mutable ? 'm' : 's';
        if (r2 !== refs || self.kind !== 'path') continue;
        const sargs = self.segments[self.segments.length - 1].args.flatMap(a =>
          a.kind === 'type' ? [a.type] : [],
        );
        if (sargs.length !== qargs.length) continue;
        const ienv: Env = { module: im.module, types: new Map(), consts: new Map() };
        let ok = true;
        sargs.forEach((st, i) => {
          const g =
            st.kind === 'path' &&
            !st.qself &&
            st.segments.length === 1 &&
            st.segments[0].args.length === 0
              ? im.generics.find(x => x.kind === 'type' && x.name === st.segments[0].name)
              : undefined;
          if (g) {
            const arg = this.lazy(qargs[i], env);
            ienv.types.set(g.name, g.maybeUnsized ? arg : sizedArg(arg));
          } else if (this.keyOf(st, ienv) !== this.keyOf(qargs[i], env)) ok = false;
        });
        if (!ok) continue;
        for (const g of im.generics)
          if (g.kind === 'type' && !ienv.types.has(g.name))
            ienv.types.set(g.name, this.defaultOrUnknown(g, ienv));
        found.push({ type: target, env: ienv });
      }
    } finally {
      this.projecting.delete(key);
    }
    return found.length === 1 ? found[0] : undefined;
  }

  /**
   * Whether the associated type of `A::Assoc` (A a parameter of the item being laid out, bound
   * by a trait of the crates) or `<X as Trait>::Assoc` is declared without `?Sized`, so Sized.
   */
  private assocDeclaredSized(expr: PathExpr, env: Env): boolean {
    const assoc = expr.segments[expr.segments.length - 1].name;
    let traits: string[][];
    if (expr.qself) traits = [expr.segments.slice(0, -1).map(x => x.name)];
    else {
      const g = env.self?.item.generics.find(
        x => x.kind === 'type' && x.name === expr.segments[0].name,
      );
      if (!g) return false;
      traits = g.bounds
        .map(b => b.replace(/<[\s\S]*$/, '').trim())
        .filter(b => /^(::)?[A-Za-z_][\w]*(::[A-Za-z_]\w*)*$/.test(b))
        .map(b => b.replace(/^::/, '').split('::'));
    }
    const declaring = traits
      .map(t => this.resolver.resolveItem?.(env.module, t))
      .filter(
        (t): t is TraitItem => t?.kind === 'trait' && (t as TraitItem).assocTypes.includes(assoc),
      );
    return declaring.length > 0 && declaring.every(t => !t.unsizedAssoc?.includes(assoc));
  }

  private readonly aliasCycles = new Map<string, string | undefined>();

  /** rustc's alias-cycle error for a type alias (memoised per alias), else undefined. */
  private aliasCycle(item: TypeDefItem): string | undefined {
    if (item.kind !== 'type') return undefined;
    if (!this.aliasCycles.has(item.path)) {
      const resolveAlias = (module: string, p: PathExpr) => {
        const r = this.resolver.resolveType(module, p);
        return r.kind === 'item' && r.item.kind === 'type' ? r.item : undefined;
      };
      this.aliasCycles.set(item.path, aliasCycleError(item, resolveAlias));
    }
    return this.aliasCycles.get(item.path);
  }

  /** A const expression's value, or rustc's error for it when the resolver can tell. */
  private constChecked(
    module: string,
    text: string,
    consts: ReadonlyMap<string, bigint>,
  ): { value?: bigint; error?: string } {
    if (this.resolver.evalConstChecked) return this.resolver.evalConstChecked(module, text, consts);
    const value = this.resolver.evalConst(module, text, consts);
    return value === undefined ? {} : { value };
  }

  /**
   * `[u32; size_of::<u64>()]`: replaces `(core|std::)(mem::)size_of::<T>()` and `align_of` calls
   * with T's exact size or alignment; undefined when T is not exact.
   */
  private sizeOfCalls(text: string, env: Env): string | undefined {
    const re = /(?:(?:::\s*)?(?:core|std)\s*::\s*)?(?:mem\s*::\s*)?\b(size_of|align_of)\s*::\s*</g;
    let out = '';
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      let depth = 1;
      let j = m.index + m[0].length;
      for (; j < text.length && depth > 0; j++) {
        if (text[j] === '<') depth++;
        else if (text[j] === '>' && text[j - 1] !== '-') depth--;
      }
      const call = /^\s*\(\s*\)/.exec(text.slice(j));
      const ty =
        depth === 0 && call
          ? this.resolver.parseType?.(text.slice(m.index + m[0].length, j - 1))
          : undefined;
      if (!ty || !call) return undefined;
      const l = this.evalType(ty, env);
      if (l.status !== 'exact' || l.unsized) return undefined;
      out += `${text.slice(last, m.index)}${m[1] === 'size_of' ? l.size : l.align}`;
      last = j + call[0].length;
      re.lastIndex = last;
    }
    return out + text.slice(last);
  }

  private constArg(text: string, env: Env): LazyArg {
    const v = this.resolver.evalConst(env.module, text, env.consts);
    const t = v !== undefined ? String(v) : text;
    return { text: t, key: t, lay: () => unknownLay(t), unsized: () => false, constValue: () => v };
  }
}
