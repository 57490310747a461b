/**
 * `large-move`: values of at least `pass-by-value-size-limit` bytes moved by value: fn
 * parameters, `Vec`/`VecDeque`/`HashMap` push/pop/insert/remove of such elements, and by-value
 * `match` of such locals. Each move is a memcpy of the whole value; inside loops it is a hot one.
 */
import type { FnItem, TypeExpr } from '../model';
import type { SyntaxNode } from '../parser';
import { commentAllows, fileLines, fmt, isAllowed, rangeOf, wanted, type RuleContext } from './context';
import { derefType, fnScan, receiverType } from './locals';
import type { Finding, Severity } from './types';
import { inLoop } from './walk';
import { spanOf } from '../index/syntax';

const ELEMENT_METHODS: Record<string, 'in' | 'out'> = { push: 'in', push_back: 'in', push_front: 'in', insert: 'in', pop: 'out', pop_back: 'out', pop_front: 'out', remove: 'out', swap_remove: 'out' };
const CONTAINERS: Record<string, number> = { 'std::vec::Vec': 0, 'std::collections::VecDeque': 0, 'std::collections::BinaryHeap': 0, 'std::collections::HashMap': 1, 'std::collections::BTreeMap': 1 };

function elementOf(ctx: RuleContext, module: string, t: TypeExpr): TypeExpr | undefined {
  t = derefType(t);
  if (t.kind !== 'path') return undefined;
  const r = ctx.index.resolveType(module, t);
  if (r.kind !== 'std' || !(r.path in CONTAINERS)) return undefined;
  const args = t.segments[t.segments.length - 1].args.filter(a => a.kind === 'type');
  const a = args[CONTAINERS[r.path]];
  return a && a.kind === 'type' ? a.type : undefined;
}

export function largeMove(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const limit = ctx.settings.passByValueSizeLimit;
  for (const item of ctx.index.items) {
    if (item.kind !== 'fn' || !wanted(ctx, item.span.file)) continue;
    const fn = item as FnItem;
    let allowedMemo: boolean | undefined;
    const allowed = () => (allowedMemo ??= isAllowed(ctx, fn, 'large-move'));
    const env = { module: fn.module, types: new Map(), consts: new Map() };
    const sizeOf = (t: TypeExpr) => ctx.engine.evalType(t, env);
    // Parameters taken by value.
    for (const p of fn.params) {
      if (p.isSelf || !p.type || p.type.kind === 'ref' || p.type.kind === 'ptr' || p.type.kind === 'impl') continue;
      const l = sizeOf(p.type);
      if (l.error || l.size < limit || allowed()) continue;
      out.push({
        code: 'large-move',
        severity: 'warning',
        message: `\`${p.pattern.replace(/^mut\s+/, '')}\` is passed by value: \`${p.type.text}\` is ${l.status === 'exact' ? '' : 'at least '}${fmt(l.size)} bytes (limit ${fmt(limit)}), copied into every call of \`${fn.name}\`; take \`&${p.type.text}\` (or box it)`,
        range: rangeOf(p.span),
        related: [],
        fixes: [],
        data: { size: l.size, limit, kind: 'param' },
      });
    }
    // Cheap text test first: most bodies have no container call or `match local {` at all.
    const src = ctx.index.fileText(fn.span.file)?.slice(fn.span.startOffset, fn.span.endOffset) ?? '';
    if (!/\.(push|pop|insert|remove|swap_remove)\w*\(|\bmatch\s+(?:r#)?[A-Za-z_]\w*\s*\{/.test(src)) continue;
    const nodes = fnScan(ctx, fn);
    if (!nodes) continue;
    const locals = nodes.locals;
    const fl = fileLines(ctx, fn.span.file)!;
    const base = { file: fn.span.file, offset: 0, lines: fl.starts };
    const push = (node: SyntaxNode, what: string, ty: TypeExpr, size: number, loop: boolean, kind: string) => {
      if (allowed()) return;
      if (commentAllows(fl.lines, spanOf(node, base).line, 'large-move')) return;
      const sev: Severity = loop ? 'warning' : 'info';
      out.push({
        code: 'large-move',
        severity: sev,
        message:
          kind === 'match'
            ? `${what} moves a \`${ty.text}\` of ${fmt(size)} bytes by value${loop ? ' on every loop iteration' : ''} (limit ${fmt(limit)}); match on a reference (\`match &x\`) or shrink the type`
            : `${what} moves a \`${ty.text}\` of ${fmt(size)} bytes by value${loop ? ' on every loop iteration' : ''} (limit ${fmt(limit)}); store \`Box<${ty.text}>\` in the container so only a pointer moves`,
        range: rangeOf(spanOf(node, base)),
        related: [],
        fixes: [],
        data: { size, limit, kind, inLoop: loop },
      });
    };
    for (const node of nodes.nodes) {
      if (node.type === 'call_expression') {
        const f = node.childForFieldName('function');
        if (f?.type !== 'field_expression') continue;
        const method = f.childForFieldName('field')?.text ?? '';
        if (!(method in ELEMENT_METHODS)) continue;
        const recv = f.childForFieldName('value');
        const rt = recv ? receiverType(ctx, fn, locals, recv) : undefined;
        const elem = rt ? elementOf(ctx, fn.module, rt.type) : undefined;
        if (!elem) continue;
        const l = sizeOf(elem);
        if (l.error || l.size < limit) continue;
        push(node, `\`${recv!.text}.${method}(..)\``, elem, l.size, inLoop(node, nodes.body), method);
      } else if (node.type === 'match_expression') {
        const v = node.childForFieldName('value');
        if (v?.type !== 'identifier') continue;
        const lt = locals.get(v.text);
        if (!lt || lt.type.kind === 'ref') continue;
        const l = sizeOf(lt.type);
        if (l.error || l.size < limit) continue;
        push(v, `\`match ${v.text}\``, lt.type, l.size, inLoop(node, nodes.body), 'match');
      }
    }
  }
  return out;
}
