/**
 * `clone-hotspot`: clones in loops. `.clone()`/`.to_string()`/`.to_owned()`/`.to_vec()` of
 * heap-owning values allocate and copy on every iteration; `Rc`/`Arc` clones do not allocate
 * but bump a reference count (an atomic one, contended across threads, for `Arc`). Also flags
 * `Rc<String>`/`Arc<String>`/`Rc<Vec<T>>`, two allocations where `Rc<str>`/`Rc<[T]>` is one.
 */
import type { FnItem, Item, StructItem, TypeExpr } from '../model';
import type { SyntaxNode } from '../parser';
import { spanOf } from '../index/syntax';
import { commentAllows, fileLines, isAllowed, rangeOf, wanted, type RuleContext } from './context';
import { derefType, fnScan, receiverType } from './locals';
import type { Finding, Severity } from './types';
import { inLoop } from './walk';
import { cloneOnlyBorrowed } from './borrow';
import { editAt } from '../fixes/edits';

const HEAP = new Set([
  'std::string::String', 'std::vec::Vec', 'std::collections::HashMap', 'std::collections::HashSet', 'std::collections::BTreeMap',
  'std::collections::BTreeSet', 'std::collections::VecDeque', 'std::collections::BinaryHeap', 'std::collections::LinkedList',
  'std::boxed::Box', 'std::path::PathBuf', 'std::ffi::OsString', 'std::ffi::CString',
]);
const CLONE_METHODS = new Set(['clone', 'to_string', 'to_owned', 'to_vec']);

type Kind = { kind: 'heap'; name: string } | { kind: 'rc' | 'arc'; name: string } | { kind: 'str' } | { kind: 'unknown' };

function classify(ctx: RuleContext, module: string, t: TypeExpr): Kind {
  t = derefType(t);
  if (t.kind === 'path') {
    if (t.text === 'str') return { kind: 'str' };
    const r = ctx.index.resolveType(module, t);
    if (r.kind === 'std') {
      if (HEAP.has(r.path)) return { kind: 'heap', name: t.segments[t.segments.length - 1].name };
      if (r.path === 'std::rc::Rc' || r.path === 'std::rc::Weak') return { kind: 'rc', name: t.text };
      if (r.path === 'std::sync::Arc' || r.path === 'std::sync::Weak') return { kind: 'arc', name: t.text };
    }
    if (r.kind === 'primitive' && r.name === 'str') return { kind: 'str' };
  }
  if (t.kind === 'slice') return { kind: 'str' };
  return { kind: 'unknown' };
}

/** `Rc<String>`-like: the pointer to a buffer type that could itself be the buffer. */
function doubleAlloc(ctx: RuleContext, module: string, t: TypeExpr): string | undefined {
  if (t.kind !== 'path') return undefined;
  const r = ctx.index.resolveType(module, t);
  if (r.kind !== 'std' || (r.path !== 'std::rc::Rc' && r.path !== 'std::sync::Arc')) return undefined;
  const arg = t.segments[t.segments.length - 1].args[0];
  if (!arg || arg.kind !== 'type' || arg.type.kind !== 'path') return undefined;
  const ar = ctx.index.resolveType(module, arg.type);
  const ptr = r.path === 'std::rc::Rc' ? 'Rc' : 'Arc';
  if (ar.kind === 'std' && ar.path === 'std::string::String') return `${ptr}<str>`;
  if (ar.kind === 'std' && ar.path === 'std::vec::Vec') {
    const inner = arg.type.segments[arg.type.segments.length - 1].args[0];
    return `${ptr}<[${inner && inner.kind === 'type' ? inner.type.text : 'T'}]>`;
  }
  if (ar.kind === 'std' && ar.path === 'std::path::PathBuf') return `${ptr}<Path>`;
  return undefined;
}

export function cloneHotspot(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  // Struct fields of type Rc<String> and friends.
  for (const item of ctx.index.items) {
    if (!wanted(ctx, item.span.file)) continue;
    if (item.kind === 'struct' && !isAllowed(ctx, item, 'clone-hotspot')) {
      for (const f of (item as StructItem).fields) {
        const better = typeDoubleAlloc(ctx, item, f.type);
        if (better) out.push(doubleAllocFinding(f.span, f.type.text, better.found, better.suggest));
      }
    }
    if (item.kind !== 'fn') continue;
    const fn = item as FnItem;
    let allowedMemo: boolean | undefined;
    const allowed = () => (allowedMemo ??= isAllowed(ctx, fn, 'clone-hotspot'));
    const src = ctx.index.fileText(fn.span.file)?.slice(fn.span.startOffset, fn.span.endOffset) ?? '';
    if (!/\.(clone|to_string|to_owned|to_vec)\(\)|\b(Rc|Arc)\b/.test(src)) continue;
    const nodes = fnScan(ctx, fn);
    if (!nodes) continue;
    const fl = fileLines(ctx, fn.span.file)!;
    const base = { file: fn.span.file, offset: 0, lines: fl.starts };
    const locals = nodes.locals;
    for (const [name, lt] of locals) {
      const better = doubleAlloc(ctx, fn.module, lt.type);
      if (!better) continue;
      const decl = findLet(nodes.nodes, name);
      if (decl && !allowed()) out.push(doubleAllocFinding(spanOf(decl, base), lt.type.text, lt.type.text, better, lt.guessed));
    }
    for (const call of nodes.nodes) {
      if (call.type !== 'call_expression') continue;
      const f = call.childForFieldName('function');
      if (f?.type !== 'field_expression') continue;
      const method = f.childForFieldName('field')?.text ?? '';
      if (!CLONE_METHODS.has(method)) continue;
      if ((call.childForFieldName('arguments')?.namedChildren.length ?? 0) > 0) continue;
      const loop = inLoop(call, nodes.body);
      const borrowable = method === 'clone' ? cloneOnlyBorrowed(call) : undefined;
      if (!loop && !borrowable) continue;
      const span = spanOf(call, base);
      if (borrowable) {
        if (commentAllows(fl.lines, span.line, 'clone-hotspot') || allowed()) continue;
        const text = ctx.index.fileText(fn.span.file)!;
        const pat = call.parent!.childForFieldName('pattern')!.text;
        out.push({
          code: 'clone-hotspot',
          severity: loop ? 'warning' : 'info',
          message: `\`${pat}\` is a clone of \`${borrowable.text}\` that is only borrowed afterwards${loop ? ', on every loop iteration' : ''}: borrow \`&${borrowable.text}\` instead and skip the allocation and copy`,
          range: rangeOf(span),
          related: [],
          fixes: [{ title: `Borrow \`${borrowable.text}\` instead of cloning it`, preferred: true, edits: [editAt(fn.span.file, text, call.startIndex, call.endIndex, `&${borrowable.text}`)] }],
          data: { method, borrow: true, inLoop: loop },
        });
        continue;
      }
      if (commentAllows(fl.lines, span.line, 'clone-hotspot')) continue;
      const recv = f.childForFieldName('value')!;
      const rt = receiverType(ctx, fn, locals, recv);
      const k: Kind = rt ? classify(ctx, fn.module, rt.type) : { kind: 'unknown' };
      const guess = rt?.guessed ? ' (type inferred from its initialiser)' : '';
      let sev: Severity;
      let msg: string;
      if (k.kind === 'rc' || k.kind === 'arc') {
        if (method !== 'clone') continue;
        sev = 'info';
        msg = k.kind === 'arc'
          ? `\`${recv.text}.clone()\` in a loop bumps the atomic reference count of an \`${k.name}\` on every iteration${guess}: no allocation, but the count's cache line is contended across threads; borrow \`&${recv.text}\` inside the loop if the handle does not need to outlive it`
          : `\`${recv.text}.clone()\` in a loop bumps the reference count of an \`${k.name}\` on every iteration${guess} (no allocation); write \`Rc::clone(&${recv.text})\` to make it explicit, or borrow if the handle does not need to outlive the iteration`;
      } else if (k.kind === 'heap' || k.kind === 'str' || (k.kind === 'unknown' && method !== 'clone')) {
        const what = k.kind === 'heap' ? `a \`${k.name}\`` : method === 'to_vec' ? 'a `Vec`' : 'a `String`';
        sev = rt && !rt.guessed && k.kind !== 'unknown' ? 'warning' : 'info';
        msg = `\`${recv.text}.${method}()\` in a loop allocates and copies ${what} on every iteration${k.kind === 'unknown' ? ' (receiver type not known; judged by the method)' : guess}; hoist it out of the loop, borrow, or reuse a buffer (\`clone_from\`)`;
      } else continue;
      if (allowed()) continue;
      out.push({ code: 'clone-hotspot', severity: sev, message: msg, range: rangeOf(span), related: [], fixes: [], data: { method, receiverKind: k.kind, guessed: !!rt?.guessed || k.kind === 'unknown' } });
    }
  }
  return out;
}

function typeDoubleAlloc(ctx: RuleContext, item: Item, t: TypeExpr): { found: string; suggest: string } | undefined {
  const d = doubleAlloc(ctx, item.module, t);
  if (d) return { found: t.text, suggest: d };
  // Inside containers: Vec<Rc<String>>.
  if (t.kind === 'path') {
    for (const a of t.segments[t.segments.length - 1].args) {
      if (a.kind !== 'type') continue;
      const inner = typeDoubleAlloc(ctx, item, a.type);
      if (inner) return inner;
    }
  }
  return undefined;
}

function doubleAllocFinding(span: Parameters<typeof rangeOf>[0], written: string, found: string, suggest: string, guessed = false): Finding {
  return {
    code: 'clone-hotspot',
    severity: guessed ? 'hint' : 'info',
    message: `\`${found}\`${written !== found ? ` (in \`${written}\`)` : ''} is two allocations (the reference-counted box, then the buffer) and two pointer hops per access${guessed ? ' (type inferred from its initialiser)' : ''}; \`${suggest}\` holds the data in one allocation`,
    range: rangeOf(span),
    related: [],
    fixes: [],
    data: { suggest, guessed },
  };
}

function findLet(nodes: SyntaxNode[], name: string): SyntaxNode | undefined {
  return nodes.find(d => {
    if (d.type !== 'let_declaration') return false;
    const p = d.childForFieldName('pattern');
    return p?.text === name || p?.text === `mut ${name}`;
  });
}
