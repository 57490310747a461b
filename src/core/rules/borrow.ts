/**
 * Detects `let x = y.clone();` where `x` is afterwards only borrowed (`&x`, `x.len()`, format
 * macros) and `y` is not mutated or moved while `x` lives, so `let x = &y;` does the same job
 * without allocating. Conservative: anything it does not recognise counts as a real use.
 */
import type { SyntaxNode } from '../parser';
import { visitNodes } from './walk';

const BORROW_METHODS = new Set([
  'len',
  'is_empty',
  'iter',
  'as_str',
  'as_slice',
  'as_bytes',
  'get',
  'contains',
  'contains_key',
  'starts_with',
  'ends_with',
  'chars',
  'bytes',
  'first',
  'last',
  'keys',
  'values',
  'to_lowercase',
  'to_uppercase',
  'trim',
  'split',
  'lines',
  'find',
  'eq',
  'cmp',
  'hash',
  'capacity',
]);
const FORMAT_MACROS = new Set([
  'println',
  'print',
  'eprintln',
  'eprint',
  'format',
  'write',
  'writeln',
  'assert',
  'assert_eq',
  'assert_ne',
  'debug_assert',
  'debug_assert_eq',
  'panic',
  'format_args',
]);

function isBorrowUse(id: SyntaxNode): boolean {
  const p = id.parent;
  if (!p) return false;
  // `*x` reads through the handle (`*rc as usize`); `*x = v` writes and is not a borrow.
  if (p.type === 'unary_expression' && p.text.startsWith('*'))
    return (
      !(
        p.parent?.type === 'assignment_expression' &&
        p.parent.childForFieldName('left')?.id === p.id
      ) && p.parent?.type !== 'compound_assignment_expr'
    );
  if (p.type === 'reference_expression')
    return !p.children.some(c => c.type === 'mutable_specifier');
  if (p.type === 'field_expression' && p.childForFieldName('value')?.id === id.id) {
    const call = p.parent;
    const m = p.childForFieldName('field')?.text ?? '';
    return (
      call?.type === 'call_expression' &&
      call.childForFieldName('function')?.id === p.id &&
      BORROW_METHODS.has(m)
    );
  }
  if (p.type === 'token_tree') return isMacroArg(id);
  if (
    p.type === 'binary_expression' &&
    ['==', '!=', '<', '>', '<=', '>='].includes(p.children.find(c => !c.isNamed)?.text ?? '')
  )
    return true;
  return false;
}

/**
 * A whole argument of a format/assert macro (`println!("{}", x)`, `assert_eq!(x, y)`), which
 * the macro only borrows. Not `x.push(..)` or `x[i] = ..` inside one: those are expressions.
 */
function isMacroArg(id: SyntaxNode): boolean {
  let t: SyntaxNode | null = id.parent;
  if (t?.parent?.type !== 'macro_invocation') return false;
  while (t && t.type === 'token_tree') t = t.parent;
  const name = t?.type === 'macro_invocation' ? (t.childForFieldName('macro')?.text ?? '') : '';
  if (!FORMAT_MACROS.has(name)) return false;
  const before = id.previousSibling?.text ?? '';
  const after = id.nextSibling?.text ?? '';
  return (before === ',' || before === '(' || before === '&') && (after === ',' || after === ')');
}

function movedIntoClosure(id: SyntaxNode): boolean {
  for (let p = id.parent; p; p = p.parent) {
    if (
      (p.type === 'closure_expression' || p.type === 'async_block') &&
      p.children.some(c => c.type === 'move')
    )
      return true;
    if (p.type === 'function_item') return false;
  }
  return false;
}

function usesAfter(scope: SyntaxNode, name: string, after: number): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  visitNodes(scope, new Set(['identifier']), id => {
    if (id.text === name && id.startIndex >= after) out.push(id);
  });
  return out;
}

/**
 * One fn body's identifiers by name (document order) and its closures and nested fns, found in
 * one search of the body. Two searches of the enclosing block per clone (reading every
 * identifier's text) plus a parent walk per use were 0.9 s of the rules' 1.9 s on a fuzzed
 * 50,000-line borrow_clone.rs (5,262 clones); see `cloneOnlyBorrowed`.
 */
export interface BodyIdents {
  byName: Map<string, { node: SyntaxNode; start: number }[]>;
  /** [start, end, moves]: `move` closures and `async move` blocks (true) and nested fns (false). */
  stops: [number, number, boolean][];
}

export function bodyIdents(body: SyntaxNode): BodyIdents {
  const byName = new Map<string, { node: SyntaxNode; start: number }[]>();
  const stops: [number, number, boolean][] = [];
  for (const n of body.descendantsOfType([
    'identifier',
    'closure_expression',
    'async_block',
    'function_item',
  ])) {
    if (n.type === 'identifier') {
      const text = n.text;
      let l = byName.get(text);
      if (!l) byName.set(text, (l = []));
      l.push({ node: n, start: n.startIndex });
    } else if (n.type === 'function_item') stops.push([n.startIndex, n.endIndex, false]);
    // A closure without `move` neither moves nor stops the parent walk: left out.
    else if (n.children.some(c => c.type === 'move')) stops.push([n.startIndex, n.endIndex, true]);
  }
  return { byName, stops };
}

/**
 * `movedIntoClosure` from the ranges of `bodyIdents`: the ancestors of a leaf are the nodes whose
 * range holds it, and the innermost `move` closure or fn among them decides, as the first one
 * met walking up does. Past the body lies the fn itself: not moved.
 */
function movedIntoClosureIn(idx: BodyIdents, id: SyntaxNode): boolean {
  const s = id.startIndex;
  const e = id.endIndex;
  let best = -1;
  let moved = false;
  for (const [a, b, m] of idx.stops)
    if (a <= s && e <= b && a > best) {
      best = a;
      moved = m;
    }
  return moved;
}

/** `usesAfter` from `bodyIdents`: the identifiers `name` in [after, scope end), in order. */
function usesAfterIn(
  idx: BodyIdents,
  scope: SyntaxNode,
  name: string,
  after: number,
): SyntaxNode[] {
  const end = scope.endIndex;
  const out: SyntaxNode[] = [];
  for (const u of idx.byName.get(name) ?? [])
    if (u.start >= after && u.start < end) out.push(u.node);
  return out;
}

/** For `let x = y.clone();`: the receiver node when the clone can be a borrow. */
export function cloneOnlyBorrowed(
  call: SyntaxNode,
  idents?: () => BodyIdents,
): SyntaxNode | undefined {
  const let_ = call.parent;
  if (
    let_?.type !== 'let_declaration' ||
    let_.childForFieldName('value')?.id !== call.id ||
    let_.childForFieldName('type')
  )
    return undefined;
  const pat = let_.childForFieldName('pattern');
  if (pat?.type !== 'identifier') return undefined;
  const f = call.childForFieldName('function');
  const recv = f?.childForFieldName('value');
  if (recv?.type !== 'identifier' || recv.text === 'self') return undefined;
  const scope = let_.parent;
  if (!scope) return undefined;
  const idx = idents?.();
  const after = let_.endIndex;
  const xs = idx ? usesAfterIn(idx, scope, pat.text, after) : usesAfter(scope, pat.text, after);
  // A use inside a `move` closure or `async move` block moves the clone into it (`thread::spawn`).
  if (
    xs.length === 0 ||
    !xs.every(isBorrowUse) ||
    xs.some(x => (idx ? movedIntoClosureIn(idx, x) : movedIntoClosure(x)))
  )
    return undefined;
  // While `x` lives (until its last use), `y` may only be borrowed too.
  const lastUse = xs[xs.length - 1].endIndex;
  const ys = (
    idx ? usesAfterIn(idx, scope, recv.text, after) : usesAfter(scope, recv.text, after)
  ).filter(u => u.startIndex <= lastUse);
  if (!ys.every(isBorrowUse)) return undefined;
  return recv;
}

/** Arithmetic and comparison operators: `x.f + 1` reads a (Copy) field. */
const READ_OPS = new Set([
  '+',
  '-',
  '*',
  '/',
  '%',
  '==',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '&',
  '|',
  '^',
  '<<',
  '>>',
  '&&',
  '||',
]);

/** `x`, `x.f`, `x.f.g`, `x[i]`, `x.f[i]`: the outermost place expression rooted at `id`. */
function placeOf(id: SyntaxNode): SyntaxNode {
  let n = id;
  for (let p = n.parent; p; p = p.parent) {
    const rooted =
      (p.type === 'field_expression' && p.childForFieldName('value')?.id === n.id) ||
      (p.type === 'index_expression' && p.namedChildren[0]?.id === n.id);
    // `x.f.len()`: `x.f.len` is the method, not a place.
    if (
      !rooted ||
      (p.type === 'field_expression' &&
        p.parent?.type === 'call_expression' &&
        p.parent.childForFieldName('function')?.id === p.id)
    )
      break;
    n = p;
  }
  return n;
}

function isReadOfPlace(place: SyntaxNode, isRoot: boolean): boolean {
  const p = place.parent;
  if (!p) return false;
  if (p.type === 'reference_expression')
    return !p.children.some(c => c.type === 'mutable_specifier');
  if (p.type === 'field_expression' && p.childForFieldName('value')?.id === place.id) {
    const call = p.parent;
    const m = p.childForFieldName('field')?.text ?? '';
    return (
      call?.type === 'call_expression' &&
      call.childForFieldName('function')?.id === p.id &&
      BORROW_METHODS.has(m)
    );
  }
  if (p.type === 'binary_expression') {
    const op = p.children.find(c => !c.isNamed)?.text ?? '';
    // A whole non-Copy value on the left of `+` would be moved (`String + &str`); a field read is a copy.
    return ['==', '!=', '<', '>', '<=', '>='].includes(op) || (!isRoot && READ_OPS.has(op));
  }
  if (p.type === 'token_tree') return isMacroArg(place);
  if (!isRoot && p.type === 'type_cast_expression') return true;
  // `if x.flag {`, `while x.n > 0`: conditions of Copy fields.
  if (
    !isRoot &&
    (p.type === 'if_expression' || p.type === 'while_expression') &&
    p.childForFieldName('condition')?.id === place.id
  )
    return true;
  return false;
}

/**
 * Whether a by-value parameter `name` is only read in `body`: borrowed (`&x`, `x.len()`, format
 * macros, comparisons) or its fields read, never moved, stored, returned, mutated or passed on by
 * value. Conservative: any use it does not recognise counts as a move. With `copy` (a `Copy`
 * type) every field use and method call is a read.
 */
export function onlyRead(body: SyntaxNode, name: string, copy = false): boolean {
  let uses = 0;
  let ok = true;
  visitNodes(body, new Set(['identifier', 'self']), id => {
    if (!ok || id.text !== name) return;
    uses++;
    // A shadowing `let name = ..`/closure parameter: give up rather than track scopes.
    const par = id.parent;
    if (
      par &&
      (par.type === 'let_declaration' ||
        par.type === 'parameter' ||
        par.type === 'closure_parameters')
    ) {
      ok = false;
      return;
    }
    const place = placeOf(id);
    // A `Copy` value's field (`q.id`) is copied out wherever it is used, and a method call on
    // it (`q.len()`) auto-derefs through `&T`: only the whole value going somewhere copies it.
    if (
      copy &&
      (place.id !== id.id ||
        (id.parent?.type === 'field_expression' && id.parent.parent?.type === 'call_expression'))
    )
      return;
    if (!isReadOfPlace(place, place.id === id.id)) ok = false;
  });
  return ok && uses > 0;
}
