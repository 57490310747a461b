/**
 * How values of a type are held in its crate, from the crate's type declarations (fields of
 * structs, enums and unions, type aliases, fn signatures, consts and statics): in bulk (many
 * alive at once: an element of a collection, an array or slice, a channel, or a recursive tree)
 * and/or as the error type of a `Result`.
 *
 * `large-enum-variant` uses it: the bytes every value pays for the largest variant matter when
 * many values are alive at once, or when the large variant is the rare one (an error: every
 * `Result` pays for it). An enum held one value at a time whose large variant is its normal
 * case (a parser's result, a future's state) gains nothing from boxing but an allocation.
 *
 * Only what the declarations show: a `Vec<E>` built inside a fn body (`collect()`, `let v:
 * Vec<E>`) is not seen, so "not held in bulk" means "no declaration shows it".
 */
import type { EnumItem, FnItem, Item, Span, TypeDefItem, TypeExpr } from '../model';
import type { RuleContext } from './context';

/** Collections of many values (std and common crates' ones), by their last path segment. */
const BULK = new Set([
  'Vec',
  'VecDeque',
  'LinkedList',
  'BinaryHeap',
  'HashMap',
  'HashSet',
  'BTreeMap',
  'BTreeSet',
  'SmallVec',
  'ArrayVec',
  'TinyVec',
  'ThinVec',
  'IndexMap',
  'IndexSet',
  'Slab',
  'DashMap',
  'IndexVec',
  // Channels and queues hold every value sent and not yet received.
  'Sender',
  'SyncSender',
  'Receiver',
  'UnboundedSender',
  'UnboundedReceiver',
  'SegQueue',
  'ArrayQueue',
]);

/** Where a type's values are seen held. */
export interface Holding {
  /** A declaration that holds many values of the type (or of a type holding it), if any. */
  bulk?: Evidence;
  /** A declaration that uses the type as the error of a `Result`, if any. */
  error?: Evidence;
  /** A field that holds a value of the type, if any (for the message when neither of the above). */
  field?: Evidence;
}

export interface Evidence {
  /** What holds it, e.g. `SubpacketArea.packets: Vec<Subpacket>`. */
  what: string;
  span: Span;
  /** The chain of fields from the type up to the holder, e.g. [`Subpacket.value`]. */
  via: string[];
}

interface CrateFacts {
  /** Type path -> fields (of other types) that hold it by value or through a pointer. */
  heldIn: Map<string, { owner: string; what: string; span: Span }[]>;
  bulk: Map<string, Evidence & { rank: number }>;
  error: Map<string, Evidence>;
}

/** Where a walked type is written; `rank`: 0 a field, 1 an alias, 2 a const/static, 3 a fn signature. */
interface At {
  owner?: string;
  what: string;
  span: Span;
  rank: number;
}

const facts = new WeakMap<RuleContext, Map<string, CrateFacts>>();

function crateOf(item: Item): string {
  return item.module.split('::')[0];
}

/** Walk the crate's declarations once and record what holds what. */
function collect(ctx: RuleContext, crate: string): CrateFacts {
  const f: CrateFacts = { heldIn: new Map(), bulk: new Map(), error: new Map() };
  const active = (it: { module: string; attrs: Item['attrs'] }) =>
    it.attrs.length === 0 || (ctx.index.isActive?.(it.module, it.attrs) ?? true);
  const item = (it: Item) => it.path;
  /** Record every workspace type `t` mentions; `bulk`: inside a collection. */
  const walk = (t: TypeExpr, module: string, at: At, bulk: boolean, depth = 0): void => {
    if (depth > 40) return;
    switch (t.kind) {
      case 'ref':
      case 'ptr':
        return walk(t.inner, module, at, bulk, depth + 1);
      case 'array':
        return walk(t.elem, module, at, bulk || !/^\s*[01]\s*$/.test(t.len), depth + 1);
      case 'slice':
        return walk(t.elem, module, at, true, depth + 1);
      case 'tuple':
        for (const e of t.elems) walk(e, module, at, bulk, depth + 1);
        return;
      case 'dyn':
      case 'impl':
        // `impl Iterator<Item = E>`: many values pass, but not at once; bindings are not holding.
        return;
      case 'path': {
        const last = t.segments[t.segments.length - 1];
        const r =
          t.qself ||
          (t.segments.length === 1 && last.args.length === 0 && /^[A-Z]$/.test(last.name))
            ? undefined
            : ctx.index.resolveType(module, t);
        const many = bulk || BULK.has(last.name);
        const args = last.args.flatMap(a => (a.kind === 'type' ? [a.type] : []));
        if (r?.kind === 'std' && /(^|::)Result$/.test(r.path) && args.length === 2) {
          const e = args[1];
          if (e.kind === 'path') {
            const er = ctx.index.resolveType(module, e);
            if (er.kind === 'item' && !f.error.has(er.item.path))
              f.error.set(er.item.path, { what: t.text, span: at.span, via: [] });
          }
        }
        if (r?.kind === 'item') {
          const p = r.item.path;
          if (at.owner !== undefined) {
            const list = f.heldIn.get(p) ?? [];
            if (list.length < 64) list.push({ owner: at.owner, what: at.what, span: at.span });
            f.heldIn.set(p, list);
          }
          // A field says more than a fn parameter: keep the best-ranked evidence.
          if (many && (f.bulk.get(p)?.rank ?? 9) > at.rank)
            f.bulk.set(p, { what: at.what, span: at.span, via: [], rank: at.rank });
          // An alias to a collection (`type Items = Vec<E>`) is one too.
          if (r.item.kind === 'type' && r.item.target && depth < 20)
            walk(r.item.target, r.item.module, at, many, depth + 1);
        }
        for (const a of args) walk(a, module, at, many, depth + 1);
        return;
      }
      default:
        return;
    }
  };
  for (const it of ctx.index.items) {
    if (crateOf(it) !== crate || !active(it)) continue;
    const name = it.name;
    switch (it.kind) {
      case 'struct':
      case 'union':
        for (const fl of it.fields)
          if (active({ module: it.module, attrs: fl.attrs }))
            walk(
              fl.type,
              it.module,
              {
                owner: item(it),
                what: `${name}.${fl.name}: ${fl.type.text}`,
                span: fl.span,
                rank: 0,
              },
              false,
            );
        break;
      case 'enum':
        for (const v of (it as EnumItem).variants) {
          if (!active({ module: it.module, attrs: v.attrs })) continue;
          for (const fl of v.fields)
            walk(
              fl.type,
              it.module,
              {
                owner: item(it),
                what: `${name}::${v.name}${v.shape === 'named' ? `.${fl.name}` : ''}: ${fl.type.text}`,
                span: fl.span,
                rank: 0,
              },
              false,
            );
        }
        break;
      case 'type':
        if (it.target)
          walk(
            it.target,
            it.module,
            { what: `type ${name} = ${it.target.text}`, span: it.span, rank: 1 },
            false,
          );
        break;
      case 'const':
      case 'static':
        if (it.type)
          walk(
            it.type,
            it.module,
            { what: `${it.kind} ${name}: ${it.type.text}`, span: it.span, rank: 2 },
            false,
          );
        break;
      case 'fn': {
        const fn = it as FnItem;
        for (const p of fn.params)
          if (p.type)
            walk(
              p.type,
              it.module,
              { what: `${name}(${p.pattern}: ${p.type.text})`, span: p.span, rank: 3 },
              false,
            );
        if (fn.returnType)
          walk(
            fn.returnType,
            it.module,
            { what: `${name}() -> ${fn.returnType.text}`, span: fn.signatureSpan, rank: 3 },
            false,
          );
        break;
      }
      default:
        break;
    }
  }
  return f;
}

/** How values of `e` are held in its crate (see the module comment). */
export function holdingOf(ctx: RuleContext, e: TypeDefItem): Holding {
  let byCrate = facts.get(ctx);
  if (!byCrate) facts.set(ctx, (byCrate = new Map()));
  const crate = crateOf(e);
  let f = byCrate.get(crate);
  if (!f) byCrate.set(crate, (f = collect(ctx, crate)));
  const out: Holding = {};
  const firstField = f.heldIn.get(e.path)?.[0];
  if (firstField) out.field = { what: firstField.what, span: firstField.span, via: [] };
  const err = f.error.get(e.path);
  if (err) out.error = err;
  // Breadth first up the holders: the nearest bulk holder, or a cycle back to `e` (a tree).
  const seen = new Map<string, string[]>([[e.path, []]]);
  let frontier = [e.path];
  for (let depth = 0; frontier.length && depth < 12 && !out.bulk; depth++) {
    const next: string[] = [];
    for (const p of frontier) {
      const via = seen.get(p)!;
      const b = f.bulk.get(p);
      if (b) {
        out.bulk = { what: b.what, span: b.span, via };
        break;
      }
      for (const h of f.heldIn.get(p) ?? []) {
        if (h.owner === e.path) {
          // `e` holds itself (through a `Box`/`Vec`): a tree of them.
          out.bulk = { what: h.what, span: h.span, via };
          break;
        }
        if (seen.has(h.owner)) continue;
        seen.set(h.owner, [...via, h.what]);
        next.push(h.owner);
      }
      if (out.bulk) break;
    }
    frontier = next;
  }
  return out;
}
