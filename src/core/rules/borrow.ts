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
 * What `cloneOnlyBorrowed` may read from the source instead of walking the tree: the file's text
 * and whether the fn body holds the word `move` at all. A walk of the enclosing block per name
 * (reading every identifier's text) and a parent walk per use were 0.9 s of the rules' 1.9 s
 * on a fuzzed 50,000-line borrow_clone.rs (5,262 clones), for a few uses each.
 */
export interface BodyText {
  text: string;
  /** False when the body has no `move`: no `move` closure or `async move` block holds a use. */
  mayMove: boolean;
}

/**
 * `usesAfter` by text search: each occurrence of `name` from `after` to the end of `scope` is a
 * use when the smallest node covering it is an identifier of exactly that range (an occurrence
 * in a comment, a string or a longer name is not). An identifier's text is its source slice, so
 * this finds the same nodes in the same order (checked on the 101,515 identifiers of tokio,
 * serde and the fixtures: the covering node of each is itself).
 */
function usesAfterText(
  src: string,
  scope: SyntaxNode,
  name: string,
  after: number,
  until = Infinity,
): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const end = scope.endIndex;
  for (let i = src.indexOf(name, after); i >= 0 && i <= until && i + name.length <= end;) {
    const n = scope.descendantForIndex(i, i + name.length - 1);
    if (n.type === 'identifier' && n.startIndex === i && n.endIndex === i + name.length)
      out.push(n);
    i = src.indexOf(name, i + 1);
  }
  return out;
}

/** For `let x = y.clone();`: the receiver node when the clone can be a borrow. */
export function cloneOnlyBorrowed(call: SyntaxNode, body?: BodyText): SyntaxNode | undefined {
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
  const after = let_.endIndex;
  const xs = body
    ? usesAfterText(body.text, scope, pat.text, after)
    : usesAfter(scope, pat.text, after);
  // A use inside a `move` closure or `async move` block moves the clone into it (`thread::spawn`).
  if (
    xs.length === 0 ||
    !xs.every(isBorrowUse) ||
    (body?.mayMove !== false && xs.some(movedIntoClosure))
  )
    return undefined;
  // While `x` lives (until its last use), `y` may only be borrowed too.
  const lastUse = xs[xs.length - 1].endIndex;
  // (The text search stops at `lastUse`: the uses after it are filtered out anyway.)
  const ys = (
    body
      ? usesAfterText(body.text, scope, recv.text, after, lastUse)
      : usesAfter(scope, recv.text, after)
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
