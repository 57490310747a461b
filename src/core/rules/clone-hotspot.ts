/**
 * `clone-hotspot`: clones in loops. `.clone()`/`.to_string()`/`.to_owned()`/`.to_vec()` of
 * heap-owning values allocate and copy on every iteration; `Rc`/`Arc` clones do not allocate
 * but bump a reference count (an atomic one, contended across threads, for `Arc`). Also flags
 * `Rc<String>`/`Arc<String>`/`Rc<Vec<T>>`, two allocations where `Rc<str>`/`Rc<[T]>` is one.
 */
import type { FnItem, Item, StructItem, TypeExpr } from '../model';
import type { SyntaxNode } from '../parser';
import { spanOf } from '../index/syntax';
import {
  commentAllows,
  fileLines,
  isAllowed,
  rangeOf,
  wanted,
  wantedItems,
  type RuleContext,
  type RuleModule,
} from './context';
import { derefType, fnScan, receiverType, type LocalType } from './locals';
import type { Finding, Fix, Range, RelatedInfo } from './types';
import { loopAround } from './walk';
import { cloneOnlyBorrowed, type BodyText } from './borrow';
import { editAt } from '../fixes/edits';

const HEAP = new Set([
  'std::string::String',
  'std::vec::Vec',
  'std::collections::HashMap',
  'std::collections::HashSet',
  'std::collections::BTreeMap',
  'std::collections::BTreeSet',
  'std::collections::VecDeque',
  'std::collections::BinaryHeap',
  'std::collections::LinkedList',
  'std::boxed::Box',
  'std::path::PathBuf',
  'std::ffi::OsString',
  'std::ffi::CString',
]);
const CLONE_METHODS = new Set(['clone', 'to_string', 'to_owned', 'to_vec']);

type Kind =
  | { kind: 'heap'; name: string }
  | { kind: 'rc' | 'arc'; name: string }
  | { kind: 'str' }
  | { kind: 'unknown' };

function classify(ctx: RuleContext, module: string, t: TypeExpr): Kind {
  t = derefType(t);
  if (t.kind === 'path') {
    if (t.text === 'str') return { kind: 'str' };
    const r = ctx.index.resolveType(module, t);
    if (r.kind === 'std') {
      if (HEAP.has(r.path)) return { kind: 'heap', name: t.segments[t.segments.length - 1].name };
      if (r.path === 'std::rc::Rc' || r.path === 'std::rc::Weak')
        return { kind: 'rc', name: t.text };
      if (r.path === 'std::sync::Arc' || r.path === 'std::sync::Weak')
        return { kind: 'arc', name: t.text };
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
  if (r.kind !== 'std' || (r.path !== 'std::rc::Rc' && r.path !== 'std::sync::Arc'))
    return undefined;
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

type CloneFinding = Extract<Finding, { code: 'clone-hotspot' }>;

const BORROW_RESULT_METHODS = new Set([
  'len',
  'is_empty',
  'as_str',
  'as_slice',
  'as_bytes',
  'contains',
  'contains_key',
  'starts_with',
  'ends_with',
  'iter',
  'chars',
  'bytes',
  'first',
  'last',
  'get',
  'eq',
  'cmp',
  'capacity',
  'trim',
  'lines',
  'split',
  'find',
  'hash',
  'as_ref',
  'deref',
]);

/**
 * Whether the clone's result is only borrowed where it is made: `&x.clone()`, `x.clone().len()`,
 * a comparison operand. Then the clone buys nothing: the original could be borrowed instead.
 * A clone moved anywhere (a call argument, a push, a struct field, a return value, `collect`, a
 * `move` closure or spawned task) may be needed, and is not reported.
 */
function resultOnlyBorrowed(call: SyntaxNode): boolean {
  let n = call;
  while (n.parent?.type === 'parenthesized_expression') n = n.parent;
  const p = n.parent;
  if (!p) return false;
  if (p.type === 'reference_expression')
    return !p.children.some(c => c.type === 'mutable_specifier');
  if (p.type === 'field_expression' && p.childForFieldName('value')?.id === n.id) {
    const outer = p.parent;
    return (
      outer?.type === 'call_expression' &&
      outer.childForFieldName('function')?.id === p.id &&
      BORROW_RESULT_METHODS.has(p.childForFieldName('field')?.text ?? '')
    );
  }
  if (p.type === 'binary_expression')
    return ['==', '!=', '<', '>', '<=', '>='].includes(
      p.children.find(c => !c.isNamed)?.text ?? '',
    );
  return false;
}

export function cloneHotspot(ctx: RuleContext): CloneFinding[] {
  const out: CloneFinding[] = [];
  // `Rc::make_mut`/`get_mut` in the file: the buffer is mutated in place, which `Rc<str>`/`Rc<[T]>`
  // cannot. Once per file: a scan of the whole text per struct took 3.5 s on a 50,000-line file.
  const mutatesInPlace = new Map<string, boolean>();
  const mutatedIn = (file: string): boolean => {
    let m = mutatesInPlace.get(file);
    if (m === undefined)
      mutatesInPlace.set(
        file,
        (m = /\b(Rc|Arc)::(make_mut|get_mut)\b/.test(ctx.index.fileText(file) ?? '')),
      );
    return m;
  };
  // Struct fields of type Rc<String> and friends.
  for (const item of wantedItems(ctx)) {
    if (!wanted(ctx, item.span.file)) continue;
    if (
      item.kind === 'struct' &&
      !isAllowed(ctx, item, 'clone-hotspot') &&
      !mutatedIn(item.span.file)
    ) {
      for (const f of (item as StructItem).fields) {
        const better = typeDoubleAlloc(ctx, item, f.type);
        if (better) out.push(doubleAllocFinding(f.span, f.type.text, better.found, better.suggest));
      }
    }
    if (item.kind !== 'fn') continue;
    if (ctx.skipFn?.(item as FnItem)) continue;
    const fn = item as FnItem;
    let allowedMemo: boolean | undefined;
    const allowed = () => (allowedMemo ??= isAllowed(ctx, fn, 'clone-hotspot'));
    const src =
      ctx.index.fileText(fn.span.file)?.slice(fn.span.startOffset, fn.span.endOffset) ?? '';
    // `format!` too: `f.write_str(&format!(..))` has no clone call (the fn-level pre-filter
    // skipped every Debug impl that formats into a temporary String).
    if (!/\.(clone|to_string|to_owned|to_vec)\(\)|\b(Rc|Arc)\b|\bformat!/.test(src)) continue;
    const nodes = fnScan(ctx, fn);
    if (!nodes) continue;
    const fl = fileLines(ctx, fn.span.file)!;
    const base = { file: fn.span.file, offset: 0, lines: fl.starts };
    const locals = nodes.locals;
    const fileText = ctx.index.fileText(fn.span.file) ?? '';
    const bodyStart = nodes.body.startIndex;
    const bodySrc = fileText.slice(bodyStart, nodes.body.endIndex);
    const bodyText: BodyText = { text: fileText, mayMove: bodySrc.includes('move') };
    const named = namePositions(bodySrc, bodyStart);
    for (const [name, lt] of locals) {
      const better = doubleAlloc(ctx, fn.module, lt.type);
      if (!better) continue;
      const decl = findLet(nodes.nodes, name);
      if (decl && !allowed())
        out.push(
          doubleAllocFinding(spanOf(decl, base), lt.type.text, lt.type.text, better, lt.guessed),
        );
    }
    for (const call of nodes.nodes) {
      // Only a call or macro whose text holds one of the names can be a clone or a `format!`:
      // two offsets instead of the callee's nodes and text (20,000 of the 28,000 calls of the
      // fuzzed borrow_clone.rs are `len()`, `push(..)`, `is_empty()`).
      if (
        (call.type === 'call_expression' || call.type === 'macro_invocation') &&
        !anyIn(named, call.startIndex, call.endIndex)
      )
        continue;
      // A method call's callee and name, read once for both checks below: each is a native
      // tree-sitter call, and this loop sees every call of every scanned body (28,000 on a
      // fuzzed 50,000-line borrow_clone.rs).
      const f = call.type === 'call_expression' ? call.childForFieldName('function') : null;
      const method =
        f?.type === 'field_expression' ? (f.childForFieldName('field')?.text ?? '') : undefined;
      const fmtd = formattedOnlyBorrowed(call, method, nodes.body, recv =>
        writeTarget(ctx, fn, locals, recv),
      );
      if (fmtd) {
        const span = spanOf(call, base);
        if (!commentAllows(fl.lines, span.line, 'clone-hotspot') && !allowed())
          out.push(
            formatFinding(call, fmtd, rangeOf(span), fmtd.loop && rangeOf(spanOf(fmtd.loop, base))),
          );
        continue;
      }
      if (!f || method === undefined || !CLONE_METHODS.has(method)) continue;
      if ((call.childForFieldName('arguments')?.namedChildren.length ?? 0) > 0) continue;
      const borrowable = cloneOnlyBorrowed(call, bodyText);
      const onlyBorrowed = !!borrowable || resultOnlyBorrowed(call);
      if (!onlyBorrowed) continue;
      const loopNode = loopAround(call, nodes.body);
      const loop = !!loopNode;
      // Outside loops only the fixable `let x = y.clone()` (only borrowed) is worth a note.
      if (!loop && !borrowable) continue;
      const span = spanOf(call, base);
      if (commentAllows(fl.lines, span.line, 'clone-hotspot') || allowed()) continue;
      const recv = f.childForFieldName('value')!;
      // `let x = x.to_string();` shadows: the local table knows only the new `x`.
      const pat =
        call.parent?.type === 'let_declaration'
          ? call.parent.childForFieldName('pattern')?.text.replace(/^mut\s+/, '')
          : undefined;
      if (pat !== undefined && pat === recv.text) continue;
      const rt = receiverType(ctx, fn, locals, recv);
      const k: Kind = rt ? classify(ctx, fn.module, rt.type) : { kind: 'unknown' };
      // Only a receiver of known type: `.clone()` of an unknown type may be a cheap handle
      // (a channel `Sender`, `Bytes`), and `.to_string()` of one formats a number or a
      // `Display` value, which borrowing cannot replace.
      if (k.kind === 'unknown') continue;
      if (method === 'to_string' && k.kind !== 'str' && !(k.kind === 'heap' && k.name === 'String'))
        continue;
      const guess = rt?.guessed ? ' (type inferred from its initialiser)' : '';
      const related: RelatedInfo[] = loopNode
        ? [
            {
              range: rangeOf(spanOf(loopNode, base)),
              message: 'runs on every iteration of this loop',
            },
          ]
        : [];
      const data = {
        kind: 'clone' as const,
        method,
        receiverKind: k.kind,
        guessed: !!rt?.guessed,
        inLoop: loop,
        ...(borrowable && method === 'clone' ? { borrow: true } : {}),
      };
      if (k.kind === 'rc' || k.kind === 'arc') {
        if (method !== 'clone') continue;
        out.push({
          code: 'clone-hotspot',
          severity: 'info',
          message: `this \`${k.kind === 'arc' ? 'Arc' : 'Rc'}\` clone is only borrowed${loop ? ', on every iteration' : ''}`,
          notes: [
            k.kind === 'arc'
              ? `no allocation, but an atomic reference-count increment and decrement of \`${k.name}\`${guess}, contended across threads`
              : `no allocation, but a reference-count increment and decrement of \`${k.name}\`${guess}`,
            `borrow \`&${recv.text}\` instead`,
          ],
          range: rangeOf(span),
          related,
          fixes: borrowable && method === 'clone' ? [borrowFix(ctx, fn, call, borrowable)] : [],
          data,
        });
        continue;
      }
      if (!(k.kind === 'heap' || k.kind === 'str')) continue;
      const what =
        k.kind === 'heap' ? `a \`${k.name}\`` : method === 'to_vec' ? 'a `Vec`' : 'a `String`';
      const sure = rt && !rt.guessed;
      out.push({
        code: 'clone-hotspot',
        severity: loop && sure ? 'warning' : 'info',
        message: `\`${recv.text}.${method}()\` allocates ${what}${loop ? ' on every iteration' : ''} that is only borrowed`,
        notes: [
          `an allocation and a copy of the contents${guess}`,
          `borrow \`${recv.text}\` instead${loop ? ', or hoist the clone out of the loop' : ''}`,
        ],
        range: rangeOf(span),
        related,
        // `let x = &y;` for `let x = y.clone();` compiles where x is only borrowed; for
        // `to_string`/`to_vec` the borrowed type differs (`&&str` for `String`): no fix.
        fixes: borrowable && method === 'clone' ? [borrowFix(ctx, fn, call, borrowable)] : [],
        data,
      });
    }
  }
  return out;
}

/**
 * `callee(&format!(..))` or `callee(&x.to_string())` inside a loop: a `String` is formatted and
 * freed on every iteration only to be borrowed by the call. `push_str` can `write!` into its
 * buffer instead (clippy `format_push_string`); `expect` formats even on success
 * (`expect_fun_call`): `unwrap_or_else(|| panic!(..))` formats only on failure.
 */
/**
 * Whether `recv.write_str(..)` is `fmt::Write::write_str` on a `Formatter` or a `String`, where
 * `write!(recv, ..)` formats in place. Other types have inherent `write_str` methods (a terminal
 * handle's, returning `io::Result`) that `write!` may not reach at all.
 */
function writeTarget(
  ctx: RuleContext,
  fn: FnItem,
  locals: Map<string, LocalType>,
  recv: SyntaxNode,
): boolean {
  const t = receiverType(ctx, fn, locals, recv);
  if (!t || t.guessed) return false;
  const d = derefType(t.type);
  if (d.kind !== 'path') return false;
  const r = ctx.index.resolveType(fn.module, d);
  if (r.kind === 'std') return r.path === 'std::string::String' || r.path === 'std::fmt::Formatter';
  // An unresolved `fmt::Formatter` (a std path the table does not list) still names std's.
  return (
    r.kind !== 'item' &&
    d.segments[d.segments.length - 1].name === 'Formatter' &&
    (d.segments.length === 1 || d.segments[d.segments.length - 2].name === 'fmt')
  );
}

/** `method`: for a call whose callee is a field expression, the field's text (else undefined). */
function formattedOnlyBorrowed(
  node: SyntaxNode,
  method: string | undefined,
  body: SyntaxNode,
  writeStrOk: (recv: SyntaxNode) => boolean,
): { callee: string; loop?: SyntaxNode } | undefined {
  // `format!(..)` or `x.to_string()`, each node looked at once (this runs on every call and macro
  // of every scanned body).
  if (node.type === 'macro_invocation') {
    if (node.childForFieldName('macro')?.text !== 'format') return undefined;
  } else if (node.type === 'call_expression') {
    if (
      method !== 'to_string' ||
      (node.childForFieldName('arguments')?.namedChildren.length ?? 0) !== 0
    )
      return undefined;
  } else return undefined;
  let n = node;
  // `&format!(..)[..]` borrows a slice of it: the same.
  if (
    n.parent?.type === 'index_expression' &&
    n.parent.namedChildren[0]?.id === n.id &&
    n.parent.namedChildren[1]?.type === 'range_expression'
  )
    n = n.parent;
  const ref = n.parent;
  if (
    ref?.type !== 'reference_expression' ||
    ref.children.some(c => c.type === 'mutable_specifier')
  )
    return undefined;
  const args = ref.parent;
  const call = args?.parent;
  if (args?.type !== 'arguments' || call?.type !== 'call_expression') return undefined;
  const f = call.childForFieldName('function');
  const callee =
    f?.type === 'field_expression' ? (f.childForFieldName('field')?.text ?? '') : (f?.text ?? '');
  // `Err(other(&format!(..)))` and `return`/`?` paths run once, on failure: not per iteration.
  for (let p = call.parent; p && p.id !== body.id; p = p.parent)
    if (
      p.type === 'return_expression' ||
      p.type === 'try_expression' ||
      (p.type === 'call_expression' &&
        /^(Err|panic)$/.test(p.childForFieldName('function')?.text ?? ''))
    )
      return undefined;
  // Only callees that copy the text out of the borrow into a buffer they already own, or format
  // only to panic: `Ident::new(&format!(..))` or `cmd.arg(&format!(..))` need the String anyway.
  if (!['push_str', 'write_str', 'insert_str', 'expect'].includes(callee)) return undefined;
  if (
    callee === 'write_str' &&
    (f?.type !== 'field_expression' || !writeStrOk(f.childForFieldName('value')!))
  )
    return undefined;
  const loop = loopAround(call, body);
  // `s.push_str(&format!(..))`, `f.write_str(&x.to_string())`: a temporary String where
  // `write!` formats straight into the destination; worth a note even outside loops.
  if (!loop && (callee === 'push_str' || callee === 'write_str')) return { callee };
  return loop ? { callee, loop } : undefined;
}

function formatFinding(
  node: SyntaxNode,
  f: { callee: string },
  range: Range,
  loopRange: Range | undefined,
): CloneFinding {
  const what =
    node.type === 'macro_invocation'
      ? '`format!`'
      : `\`${node.text.length > 40 ? '..' : node.text}\``;
  const help =
    f.callee === 'push_str' || f.callee === 'write_str'
      ? `write into the destination with \`write!(${f.callee === 'write_str' ? 'f' : 's'}, ..)\` instead (\`std::fmt::Write\`)`
      : f.callee === 'expect'
        ? 'use `unwrap_or_else(|| panic!(..))`, which formats only on failure'
        : 'format once outside the loop, into a reused buffer, or pass the `Display` value itself';
  return {
    code: 'clone-hotspot',
    severity: 'info',
    message: `${what} allocates a \`String\`${loopRange ? ' on every iteration' : ''} only to lend it to \`${f.callee}\``,
    notes: [
      `an allocation, a formatting pass and a free${loopRange ? ' per iteration' : ''}`,
      help,
    ],
    range,
    related: loopRange
      ? [{ range: loopRange, message: 'runs on every iteration of this loop' }]
      : [],
    fixes: [],
    data: {
      kind: 'clone',
      method: node.type === 'macro_invocation' ? 'format' : 'to_string',
      receiverKind: 'unknown',
      guessed: false,
      inLoop: !!loopRange,
    },
  };
}

function borrowFix(ctx: RuleContext, fn: FnItem, call: SyntaxNode, recv: SyntaxNode): Fix {
  const text = ctx.index.fileText(fn.span.file)!;
  return {
    title: `Borrow \`${recv.text}\` instead of cloning it (one allocation and copy less per ${inLoopText(call)})`,
    preferred: true,
    edits: [editAt(fn.span.file, text, call.startIndex, call.endIndex, `&${recv.text}`)],
  };
}

function inLoopText(call: SyntaxNode): string {
  for (let p = call.parent; p; p = p.parent)
    if (p.type === 'function_item') break;
    else if (
      p.type === 'for_expression' ||
      p.type === 'while_expression' ||
      p.type === 'loop_expression'
    )
      return 'iteration';
  return 'call';
}

function typeDoubleAlloc(
  ctx: RuleContext,
  item: Item,
  t: TypeExpr,
): { found: string; suggest: string } | undefined {
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

function doubleAllocFinding(
  span: Parameters<typeof rangeOf>[0],
  written: string,
  found: string,
  suggest: string,
  guessed = false,
): CloneFinding {
  return {
    code: 'clone-hotspot',
    severity: guessed ? 'hint' : 'info',
    message: `\`${found}\` is two allocations where \`${suggest}\` is one`,
    notes: [
      `${written !== found ? `in \`${written}\`: ` : ''}the reference-counted box, then the buffer, and two pointer hops per access${guessed ? ' (type inferred from its initialiser)' : ''}`,
      `\`${suggest}\` holds the data in one allocation (unless the buffer is mutated in place through \`make_mut\`)`,
    ],
    range: rangeOf(span),
    related: [],
    fixes: [],
    data: { kind: 'double-alloc', suggest, guessed },
  };
}

export const cloneHotspotRule: RuleModule<'clone-hotspot'> = {
  code: 'clone-hotspot',
  summary: 'Clones in loops whose result is only borrowed, and Rc<String>-like double allocations.',
  settings: { editor: [], clippyToml: [] },
  profile: { measure: 'alloc+copy' },
  check: cloneHotspot,
};

/**
 * Sorted offsets of every occurrence of the names a clone or `format!` check reads: a callee's
 * field (`clone`, `to_string`, `to_owned`, `to_vec`) or a macro name (`format`) is a slice of the
 * source inside its call, so a call with none of them in its range is neither.
 */
const CHECKED_NAMES = [...CLONE_METHODS, 'format'];
function namePositions(src: string, base: number): number[] {
  const out: number[] = [];
  for (const w of CHECKED_NAMES)
    for (let i = src.indexOf(w); i >= 0; i = src.indexOf(w, i + 1)) out.push(base + i);
  return out.sort((a, b) => a - b);
}

/** Whether a sorted offset lies in [start, end). */
function anyIn(sorted: number[], start: number, end: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < start) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] < end;
}

function findLet(nodes: SyntaxNode[], name: string): SyntaxNode | undefined {
  return nodes.find(d => {
    if (d.type !== 'let_declaration') return false;
    const p = d.childForFieldName('pattern');
    return p?.text === name || p?.text === `mut ${name}`;
  });
}
