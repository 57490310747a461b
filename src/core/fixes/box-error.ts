/**
 * Quick fix: `Result<T, E>` becomes `Result<T, Box<E>>`, with the function's own `Err(x)`
 * constructions rewritten to `Err(Box::new(x))`; `?` keeps working through `From<E> for Box<E>`.
 * Offered only where every caller in the workspace just propagates the error with `?`.
 */
import type { FnItem } from '../model';
import { visitNodes, type SyntaxNode } from '../parser';
import type { ErrPart, Fix, FixContext, TextEdit } from './types';
import { editAt, fmtB } from './edits';
import { parseTypeText } from '../index/type-text';

/** Offsets of `E` in `... -> Result<T, E>` within the file text. */
function errRange(text: string, fn: FnItem): [number, number] | undefined {
  const sig = text.slice(fn.signatureSpan.startOffset, fn.signatureSpan.endOffset);
  const arrow = sig.lastIndexOf('->');
  const res = sig.indexOf('Result', arrow);
  if (arrow < 0 || res < 0) return undefined;
  let i = sig.indexOf('<', res);
  if (i < 0) return undefined;
  let depth = 0;
  let comma = -1;
  for (; i < sig.length; i++) {
    const ch = sig[i];
    if (ch === '<' || ch === '(' || ch === '[') depth++;
    else if ((ch === '>' && sig[i - 1] !== '-') || ch === ')' || ch === ']') {
      depth--;
      if (depth === 0) break;
    } else if (ch === ',' && depth === 1) comma = i;
  }
  if (comma < 0 || depth !== 0) return undefined;
  let s = comma + 1;
  while (/\s/.test(sig[s])) s++;
  let e = i;
  while (e > s && /[\s,]/.test(sig[e - 1])) e--;
  return [fn.signatureSpan.startOffset + s, fn.signatureSpan.startOffset + e];
}

function fnBodyNode(ctx: FixContext, fn: FnItem): SyntaxNode | undefined {
  const tree = ctx.index.tree(fn.span.file);
  if (!tree) return undefined;
  const rel =
    ctx.index.fileText(fn.span.file) === undefined
      ? undefined
      : tree.rootNode.namedDescendantForIndex(fn.span.startOffset, fn.span.endOffset - 1);
  let n: SyntaxNode | null = rel ?? null;
  while (n && n.type !== 'function_item') n = n.parent;
  return n?.childForFieldName('body') ?? undefined;
}

/**
 * Per tree, each called name and whether every call of it is `call(..)?`: found in one pass per
 * tree (WeakMap: edits make new trees). A pass over the whole file per fn was quadratic: 1,163
 * fns of a 50,000-line file each walked every call of it (analysis fuzz). The same pass keeps the
 * `Err(..)` calls and the closures and fns, in source order, for `boxErrorFix`'s rewrite.
 */
const CALLEES = new Set(['identifier', 'scoped_identifier', 'field_expression']);
interface TreeCalls {
  propagated: Map<string, boolean>;
  /** Calls whose callee is the identifier `Err`, in source order. */
  errs: SyntaxNode[];
  /** Start and end offsets of every closure and fn, in source order: [s0, e0, s1, e1, ...]. */
  scopes: number[];
}
const PROPAGATED = new WeakMap<object, TreeCalls>();
function propagatedCalls(tree: { rootNode: SyntaxNode }): TreeCalls {
  let calls = PROPAGATED.get(tree);
  if (!calls) {
    calls = { propagated: new Map(), errs: [], scopes: [] };
    // Offset ranges of the calls that are the operand of a `?` (no `.parent`: see boxErrorFix).
    const tried = new Map<number, number>();
    for (const t of tree.rootNode.descendantsOfType('try_expression')) {
      for (const c of t.namedChildren)
        if (c.type === 'call_expression') tried.set(c.startIndex, c.endIndex);
    }
    for (const call of tree.rootNode.descendantsOfType([
      'call_expression',
      'closure_expression',
      'function_item',
    ])) {
      if (call.type !== 'call_expression') {
        calls.scopes.push(call.startIndex, call.endIndex);
        continue;
      }
      const f = call.childForFieldName('function');
      // Only these name a fn (another callee's text, `(f)` or `f::<T>`, never equals a name).
      if (!f || !CALLEES.has(f.type)) continue;
      const name =
        f.type === 'field_expression'
          ? f.childForFieldName('field')?.text
          : f.text.replace(/^.*::/, '');
      if (name === undefined) continue;
      if (f.type === 'identifier' && name === 'Err') calls.errs.push(call);
      calls.propagated.set(
        name,
        (calls.propagated.get(name) ?? true) && tried.get(call.startIndex) === call.endIndex,
      );
    }
    PROPAGATED.set(tree, calls);
  }
  return calls;
}

/** Every call of `fn` in the workspace is `call(..)?`. */
function callersOnlyPropagate(ctx: FixContext, fn: FnItem): boolean {
  for (const file of ctx.index.fileNames()) {
    const text = ctx.index.fileText(file);
    const tree = ctx.index.tree(file);
    if (!text || !tree) continue;
    // A file whose calls are not collected yet is looked at only if it names the fn.
    if (!PROPAGATED.has(tree) && !text.includes(fn.name)) continue;
    if (propagatedCalls(tree).propagated.get(fn.name) === false) return false;
  }
  return true;
}

/** The first `Err` call at or after `offset`. */
function firstErrAt(errs: readonly SyntaxNode[], offset: number): number {
  let lo = 0;
  let hi = errs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (errs[mid].startIndex < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The fn's own `Err(..)` calls (not those of nested closures and fns), in source order. With the
 * tree's calls collected (`callersOnlyPropagate` collects the fn's own file), they are read from
 * them: a walk of each body cost ~0.1 ms in tree-sitter calls, 0.9 s for the 1,160 fns of a
 * 50,000-line fuzz file. Both ways keep a stack of the nested ranges open around each call.
 */
function ownErrCalls(tree: object, body: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const nested: number[] = [];
  const known = PROPAGATED.get(tree);
  if (!known) {
    visitNodes(body, new Set(['call_expression', 'closure_expression', 'function_item']), node => {
      while (nested.length && nested[nested.length - 1] <= node.startIndex) nested.pop();
      if (node.type !== 'call_expression') {
        nested.push(node.endIndex);
        return;
      }
      if (nested.length || node.childForFieldName('function')?.text !== 'Err') return;
      out.push(node);
    });
    return out;
  }
  // Closures and fns inside the body (the body block is neither), and its `Err` calls: no call
  // starts where a closure or fn starts (`Err` comes first), so start order is the walk's order.
  const { errs, scopes } = known;
  const pairs = scopes.length / 2;
  // The first closure or fn that starts inside the body.
  let si = 0;
  for (let hi = pairs; si < hi;) {
    const mid = (si + hi) >> 1;
    if (scopes[2 * mid] <= body.startIndex) si = mid + 1;
    else hi = mid;
  }
  for (let ei = firstErrAt(errs, body.startIndex); ei < errs.length; ei++) {
    const call = errs[ei];
    if (call.startIndex >= body.endIndex) break;
    for (; si < pairs && scopes[2 * si] < call.startIndex && scopes[2 * si] < body.endIndex; si++)
      nested.push(scopes[2 * si + 1]);
    while (nested.length && nested[nested.length - 1] <= call.startIndex) nested.pop();
    if (!nested.length) out.push(call);
  }
  return out;
}

export function boxErrorFix(ctx: FixContext, fn: FnItem, part: ErrPart): Fix | undefined {
  if (!part.direct || fn.owner?.kind === 'trait' || !fn.hasBody) return undefined;
  const text = ctx.index.fileText(fn.span.file);
  if (!text) return undefined;
  const r = errRange(text, fn);
  if (!r) return undefined;
  if (!callersOnlyPropagate(ctx, fn)) return undefined;
  const body = fnBodyNode(ctx, fn);
  if (!body) return undefined;
  const edits: TextEdit[] = [
    editAt(fn.span.file, text, r[0], r[1], `Box<${text.slice(r[0], r[1])}>`),
  ];
  // The fn's own `Err(..)`s: not those of nested closures and fns. Nodes come in source order, so
  // the nested ones open around a call are a stack of offset ranges (`.parent` walks down from
  // the root in tree-sitter: per call, it cost ~50 us in a 50,000-line file).
  for (const node of ownErrCalls(ctx.index.tree(fn.span.file)!, body)) {
    const arg = node.childForFieldName('arguments')?.namedChildren[0];
    if (arg && !/^Box::new\(/.test(arg.text))
      edits.push(editAt(fn.span.file, text, arg.startIndex, arg.endIndex, `Box::new(${arg.text})`));
  }
  // The boxed Result's size, computed by the engine from the rewritten type.
  const ok =
    part.resultExpr?.kind === 'path'
      ? part.resultExpr.segments[part.resultExpr.segments.length - 1].args.find(
          a => a.kind === 'type',
        )
      : undefined;
  const boxedType =
    ok && ok.kind === 'type'
      ? parseTypeText(`Result<${ok.type.text}, Box<${part.errExpr.text}>>`)
      : undefined;
  // Once per (module, Ok, Err) and run: many fns return the same Result.
  const key = boxedType && part.direct ? `${fn.module}\0${boxedType.text}` : undefined;
  ctx.boxedResults ??= new Map();
  if (key !== undefined && !ctx.boxedResults.has(key))
    ctx.boxedResults.set(
      key,
      ctx.engine.evalType(boxedType!, { module: fn.module, types: new Map(), consts: new Map() }),
    );
  const after = key !== undefined ? ctx.boxedResults.get(key) : undefined;
  const sizes =
    after && after.status === 'exact' && part.result.status === 'exact'
      ? ` (${fmtB(part.result.size)} → ${fmtB(after.size)})`
      : ` (now ${fmtB(part.result.size)})`;
  return {
    title: `Return \`Result<_, Box<${part.errExpr.text}>>\` from \`${fn.name}\`${sizes}`,
    preferred: false,
    edits,
  };
}
