/**
 * Tree walking for rules that look inside function bodies (the index only keeps signatures).
 */
import type { SyntaxNode, Tree } from '../parser';

export { visitNodes } from '../parser';

/** The smallest named node covering [start, end). */
export function nodeCovering(tree: Tree, start: number, end: number): SyntaxNode {
  return tree.rootNode.namedDescendantForIndex(start, Math.max(start, end - 1));
}

export const LOOP_TYPES = new Set(['for_expression', 'while_expression', 'loop_expression']);
/** Iterator adapters whose closure runs once per element. */
export const ITER_CLOSURE_METHODS = new Set([
  'map',
  'for_each',
  'filter_map',
  'flat_map',
  'filter',
  'fold',
  'try_for_each',
  'any',
  'all',
  'find',
  'inspect',
  'scan',
  'take_while',
  'skip_while',
  'map_while',
  'retain',
  'sort_by',
  'sort_by_key',
  'then',
]);

/** Methods that make an iterator over many items (the start of an adapter chain). */
const ITER_SOURCES = new Set([
  'iter',
  'iter_mut',
  'into_iter',
  'chars',
  'char_indices',
  'bytes',
  'lines',
  'split',
  'split_whitespace',
  'splitn',
  'rsplit',
  'keys',
  'values',
  'values_mut',
  'drain',
  'windows',
  'chunks',
  'chunks_exact',
  'enumerate',
  'zip',
  'rev',
  'skip',
  'take',
  'step_by',
  'cloned',
  'copied',
  'flatten',
  'peekable',
  'par_iter',
  'par_iter_mut',
  'into_par_iter',
  'matches',
  'match_indices',
  'entries',
  'readdir',
  'incoming',
  'split_terminator',
]);
/** Methods on collections themselves whose closure runs per element. */
const COLLECTION_CLOSURE_METHODS = new Set([
  'retain',
  'retain_mut',
  'sort_by',
  'sort_by_key',
  'sort_unstable_by',
  'sort_unstable_by_key',
  'dedup_by',
  'dedup_by_key',
  'binary_search_by',
]);

/**
 * Whether a method call's receiver is an iterator over many items: its chain contains an
 * iterator source (`.iter()`, `.chars()`, `.into_iter()`) or starts at a range (`(0..n)`).
 * `opt.map(..)`, `res.map_err(..)`, `fut.map(..)` are not.
 */
/** Methods that consume an iterator into one value (`position` gives an `Option`, not items). */
const ITER_TERMINALS = new Set([
  'position',
  'rposition',
  'find',
  'find_map',
  'next',
  'next_back',
  'last',
  'nth',
  'max',
  'min',
  'max_by_key',
  'min_by_key',
  'max_by',
  'min_by',
  'count',
  'sum',
  'product',
  'collect',
  'fold',
  'reduce',
  'any',
  'all',
  'get',
  'first',
  'pop',
  'peek',
]);

export function isIteratorChain(recv: SyntaxNode | null): boolean {
  for (let n = recv; n;) {
    if (n.type === 'range_expression') return true;
    if (n.type === 'parenthesized_expression') {
      n = n.namedChildren[0] ?? null;
      continue;
    }
    if (n.type !== 'call_expression') return false;
    const f = n.childForFieldName('function');
    if (f?.type === 'field_expression') {
      const m = f.childForFieldName('field')?.text ?? '';
      if (ITER_TERMINALS.has(m)) return false;
      if (ITER_SOURCES.has(m)) return true;
      n = f.childForFieldName('value');
      continue;
    }
    // `std::iter::repeat(x)`, `iter::from_fn(..)`
    return /(^|::)(repeat|repeat_with|from_fn|successors)$/.test(f?.text ?? '');
  }
  return false;
}

/** Whether a closure runs once per element: passed to an adapter of an iterator chain. */
export function isPerItemClosure(closure: SyntaxNode): boolean {
  const call = closure.parent?.parent;
  if (call?.type !== 'call_expression' || closure.parent?.type !== 'arguments') return false;
  const f = call.childForFieldName('function');
  if (f?.type !== 'field_expression') return false;
  const name = f.childForFieldName('field')?.text ?? '';
  if (COLLECTION_CLOSURE_METHODS.has(name)) return true;
  return ITER_CLOSURE_METHODS.has(name) && isIteratorChain(f.childForFieldName('value'));
}

/** Whether `node` runs repeatedly: inside a loop body or a per-item iterator closure, within `fnBody`. */
export function inLoop(node: SyntaxNode, fnBody: SyntaxNode): boolean {
  return loopAround(node, fnBody) !== undefined;
}

/** The innermost loop or per-item closure around `node` within `fnBody`. */
export function loopAround(node: SyntaxNode, fnBody: SyntaxNode): SyntaxNode | undefined {
  for (let p: SyntaxNode | null = node.parent; p && p.id !== fnBody.id; p = p.parent) {
    if (p.type === 'while_expression') return p;
    if (LOOP_TYPES.has(p.type)) {
      // A `for` loop's iterated expression runs once; its body (and a while's condition) repeatedly.
      const body = p.childForFieldName('body');
      if (body && node.startIndex >= body.startIndex && node.endIndex <= body.endIndex) return p;
    }
    if (p.type === 'closure_expression' && isPerItemClosure(p)) return p;
  }
  return undefined;
}
