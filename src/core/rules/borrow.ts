/**
 * Detects `let x = y.clone();` where `x` is afterwards only borrowed (`&x`, `x.len()`, format
 * macros) and `y` is not mutated or moved while `x` lives, so `let x = &y;` does the same job
 * without allocating. Conservative: anything it does not recognise counts as a real use.
 */
import type { SyntaxNode } from '../parser';
import { visitNodes } from './walk';

const BORROW_METHODS = new Set(['len', 'is_empty', 'iter', 'as_str', 'as_slice', 'as_bytes', 'get', 'contains', 'contains_key', 'starts_with', 'ends_with', 'chars', 'bytes', 'first', 'last', 'keys', 'values', 'to_lowercase', 'to_uppercase', 'trim', 'split', 'lines', 'find', 'eq', 'cmp', 'hash', 'capacity']);
const FORMAT_MACROS = new Set(['println', 'print', 'eprintln', 'eprint', 'format', 'write', 'writeln', 'assert', 'assert_eq', 'assert_ne', 'debug_assert', 'debug_assert_eq', 'panic', 'format_args']);

function isBorrowUse(id: SyntaxNode): boolean {
  const p = id.parent;
  if (!p) return false;
  if (p.type === 'reference_expression') return !p.children.some(c => c.type === 'mutable_specifier');
  if (p.type === 'field_expression' && p.childForFieldName('value')?.id === id.id) {
    const call = p.parent;
    const m = p.childForFieldName('field')?.text ?? '';
    return call?.type === 'call_expression' && call.childForFieldName('function')?.id === p.id && BORROW_METHODS.has(m);
  }
  if (p.type === 'token_tree') {
    let t: SyntaxNode | null = p;
    while (t && t.type === 'token_tree') t = t.parent;
    const name = t?.type === 'macro_invocation' ? (t.childForFieldName('macro')?.text ?? '') : '';
    return FORMAT_MACROS.has(name);
  }
  if (p.type === 'binary_expression' && ['==', '!=', '<', '>', '<=', '>='].includes(p.children.find(c => !c.isNamed)?.text ?? '')) return true;
  return false;
}

function usesAfter(scope: SyntaxNode, name: string, after: number): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  visitNodes(scope, new Set(['identifier']), id => {
    if (id.text === name && id.startIndex >= after) out.push(id);
  });
  return out;
}

/** For `let x = y.clone();`: the receiver node when the clone can be a borrow. */
export function cloneOnlyBorrowed(call: SyntaxNode): SyntaxNode | undefined {
  const let_ = call.parent;
  if (let_?.type !== 'let_declaration' || let_.childForFieldName('value')?.id !== call.id || let_.childForFieldName('type')) return undefined;
  const pat = let_.childForFieldName('pattern');
  if (pat?.type !== 'identifier') return undefined;
  const f = call.childForFieldName('function');
  const recv = f?.childForFieldName('value');
  if (recv?.type !== 'identifier' || recv.text === 'self') return undefined;
  const scope = let_.parent;
  if (!scope) return undefined;
  const xs = usesAfter(scope, pat.text, let_.endIndex);
  if (xs.length === 0 || !xs.every(isBorrowUse)) return undefined;
  // While `x` lives (until its last use), `y` may only be borrowed too.
  const lastUse = xs[xs.length - 1].endIndex;
  const ys = usesAfter(scope, recv.text, let_.endIndex).filter(u => u.startIndex <= lastUse);
  if (!ys.every(isBorrowUse)) return undefined;
  return recv;
}
