/**
 * Finds the type written at a position of a parsed file, for hover and "go to layout".
 */
import type { SyntaxNode, Tree } from '../parser';
import type { TypeExpr } from '../model';
import { typeExprOf } from './syntax';

const NAME_NODES = new Set(['type_identifier', 'identifier']);

/** The path type whose last segment is at (line, column), 1-based; undefined elsewhere. */
export function locateInTree(
  tree: Tree,
  line: number,
  column: number,
): Extract<TypeExpr, { kind: 'path' }> | undefined {
  const point = { row: line - 1, column: column - 1 };
  let node: SyntaxNode | null = tree.rootNode.descendantForPosition(point);
  if (!node || !NAME_NODES.has(node.type)) return undefined;
  // `a::b::Name`: climb to the scoped path when we are its last segment.
  while (
    node.parent &&
    (node.parent.type === 'scoped_type_identifier' || node.parent.type === 'scoped_identifier') &&
    node.parent.childForFieldName('name')?.id === node.id
  ) {
    node = node.parent;
  }
  const parent: SyntaxNode | null = node.parent;
  if (
    parent &&
    (parent.type === 'generic_type' || parent.type === 'generic_type_with_turbofish') &&
    parent.childForFieldName('type')?.id === node.id
  )
    node = parent;
  if (node.type === 'identifier' || node.type === 'scoped_identifier') {
    // Expression paths (`DistriErr::Corrupt(..)`, `Foo::new()`): the type is the path minus the last segment.
    const p: SyntaxNode | null = node.parent;
    if (
      !p ||
      (p.type !== 'scoped_identifier' &&
        p.type !== 'call_expression' &&
        p.type !== 'struct_expression' &&
        p.type !== 'tuple_struct_pattern' &&
        p.type !== 'scoped_type_identifier')
    )
      return undefined;
  }
  const t = typeExprOf(node);
  return t.kind === 'path' ? t : undefined;
}
