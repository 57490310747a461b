/**
 * Finds the `Err` type of a function's return type: `Result<T, E>`, aliases of it
 * (`type Res<T> = Result<T, MyErr>`, `io::Result`), and `impl Future<Output = Result<..>>`.
 */
import type { Env } from '../layout/engine';
import type { Lay } from '../layout/lay';
import type { FnItem, TypeExpr } from '../model';
import type { RuleContext } from './context';
import type { ErrPart } from '../fixes/types';

export type { ErrPart };

type PathExpr = Extract<TypeExpr, { kind: 'path' }>;

function typeArgs(p: PathExpr): TypeExpr[] {
  return p.segments[p.segments.length - 1].args
    .filter(a => a.kind === 'type')
    .map(a => (a as { type: TypeExpr }).type);
}

/** The fn's own generic parameters stay unbound: they count as 0, like clippy. */
function env(module: string): Env {
  return { module, types: new Map(), consts: new Map() };
}

/** Replace `Self` by the impl's self type (methods may write `Result<(), Self>`). */
function substituteSelf(t: TypeExpr, self: TypeExpr): TypeExpr {
  switch (t.kind) {
    case 'path':
      if (t.segments.length === 1 && t.segments[0].name === 'Self' && !t.qself) return self;
      return {
        ...t,
        segments: t.segments.map(s => ({
          ...s,
          args: s.args.map(a =>
            a.kind === 'type'
              ? { ...a, type: substituteSelf(a.type, self) }
              : a.kind === 'binding'
                ? { ...a, type: substituteSelf(a.type, self) }
                : a,
          ),
        })),
      };
    case 'ref':
    case 'ptr':
      return { ...t, inner: substituteSelf(t.inner, self) };
    case 'array':
    case 'slice':
      return { ...t, elem: substituteSelf(t.elem, self) };
    case 'tuple':
      return { ...t, elems: t.elems.map(e => substituteSelf(e, self)) };
    default:
      return t;
  }
}

/**
 * The whole `Result`'s layout, computed when first read: only a reported error needs it, and
 * laying out every `Result` a fn returns (its enum niche search included) was a third of the
 * rule's time on tokio (one per fn returning a `Result`, nearly all with a small `E`).
 */
function resultLay(ctx: RuleContext, ret: TypeExpr, e: Env): () => Lay {
  let l: Lay | undefined;
  return () => (l ??= ctx.engine.evalType(ret, e));
}

export function errPartOf(
  ctx: RuleContext,
  ret: TypeExpr,
  module: string,
  fn?: FnItem,
  depth = 0,
): ErrPart | undefined {
  if (depth > 4) return undefined;
  if (
    depth === 0 &&
    fn?.owner?.kind === 'impl' &&
    fn.owner.selfType &&
    fn.owner.selfType.kind !== 'unknown'
  )
    ret = substituteSelf(ret, fn.owner.selfType);
  if (ret.kind === 'impl') {
    for (const tr of ret.traits) {
      if (tr.kind !== 'path') continue;
      const last = tr.segments[tr.segments.length - 1];
      const out = last.args.find(a => a.kind === 'binding' && a.name === 'Output');
      if (last.name === 'Future' && out && out.kind === 'binding')
        return errPartOf(ctx, out.type, module, fn, depth + 1);
    }
    return undefined;
  }
  if (ret.kind !== 'path') return undefined;
  const r = ctx.index.resolveType(module, ret);
  const e = env(module);
  if (r.kind === 'std' && r.path === 'std::result::Result') {
    const [, errExpr] = typeArgs(ret);
    if (!errExpr) return undefined;
    const err = ctx.engine.evalType(errExpr, e);
    const er = errExpr.kind === 'path' ? ctx.index.resolveType(module, errExpr) : undefined;
    const result = resultLay(ctx, ret, e);
    return {
      resultText: ret.text,
      resultExpr: ret,
      get result() {
        return result();
      },
      err,
      errExpr,
      errItem: er?.kind === 'item' ? er.item : undefined,
      direct: true,
    };
  }
  if (r.kind === 'item' && r.item.kind === 'type' && r.item.target?.kind === 'path') {
    // `type Res<T> = Result<T, BigErr>`: bind the alias's parameters to the use-site arguments.
    const alias = r.item;
    const args = typeArgs(ret);
    const aliasEnv: Env = { module: alias.module, types: new Map(), consts: new Map() };
    let i = 0;
    for (const g of alias.generics)
      if (g.kind === 'type')
        aliasEnv.types.set(
          g.name,
          ctx.engine.lazy(args[i++] ?? { kind: 'unknown', text: g.name }, e),
        );
    const target = alias.target as PathExpr;
    const tr = ctx.index.resolveType(alias.module, target);
    if (tr.kind !== 'std' || tr.path !== 'std::result::Result') return undefined;
    const [, errExpr] = typeArgs(target);
    if (!errExpr) return undefined;
    const er =
      errExpr.kind === 'path' && !aliasEnv.types.has(errExpr.text)
        ? ctx.index.resolveType(alias.module, errExpr)
        : undefined;
    const result = resultLay(ctx, ret, e);
    return {
      resultText: ret.text,
      get result() {
        return result();
      },
      err: ctx.engine.evalType(errExpr, aliasEnv),
      errExpr,
      errItem: er?.kind === 'item' ? er.item : undefined,
      direct: false,
    };
  }
  return undefined;
}
