/**
 * Tree walking for rules that look inside function bodies (the index only keeps signatures).
 */
import type { SyntaxNode, Tree } from '../parser';

/**
 * Visit every node whose type is in `types` (depth-first, source order, `root` included). The
 * search runs inside tree-sitter (`descendantsOfType`): only the matches cross into JS, where a
 * JS-driven cursor would cross the binding several times per node of every body.
 */
export function visitNodes(root: SyntaxNode, types: ReadonlySet<string>, cb: (node: SyntaxNode) => void): void {
  for (const node of root.descendantsOfType([...types])) cb(node);
}

/** The smallest named node covering [start, end). */
export function nodeCovering(tree: Tree, start: number, end: number): SyntaxNode {
  return tree.rootNode.namedDescendantForIndex(start, Math.max(start, end - 1));
}

export const LOOP_TYPES = new Set(['for_expression', 'while_expression', 'loop_expression']);
/** Iterator adapters whose closure runs once per element. */
export const ITER_CLOSURE_METHODS = new Set(['map', 'for_each', 'filter_map', 'flat_map', 'filter', 'fold', 'try_for_each', 'any', 'all', 'find', 'inspect', 'scan', 'take_while', 'skip_while', 'map_while', 'retain', 'sort_by', 'sort_by_key', 'then']);

/** Whether `node` runs repeatedly: inside a loop body or an iterator-adapter closure, within `fnBody`. */
export function inLoop(node: SyntaxNode, fnBody: SyntaxNode): boolean {
  for (let p: SyntaxNode | null = node.parent; p && p.id !== fnBody.id; p = p.parent) {
    if (p.type === 'while_expression') return true;
    if (LOOP_TYPES.has(p.type)) {
      // A `for` loop's iterated expression runs once; its body (and a while's condition) repeatedly.
      const body = p.childForFieldName('body');
      if (body && node.startIndex >= body.startIndex && node.endIndex <= body.endIndex) return true;
    }
    if (p.type === 'closure_expression') {
      const call = p.parent?.parent;
      if (call?.type === 'call_expression') {
        const f = call.childForFieldName('function');
        const name = f?.type === 'field_expression' ? f.childForFieldName('field')?.text : undefined;
        if (name && ITER_CLOSURE_METHODS.has(name)) return true;
      }
    }
  }
  return false;
}
