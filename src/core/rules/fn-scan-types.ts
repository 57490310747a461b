/** What the rules learn from one fn body: its local variables' types and the nodes they look at. */
import type { TypeExpr } from '../model';
import type { SyntaxNode } from '../parser';

export interface LocalType {
  type: TypeExpr;
  /** Inferred from an initialiser rather than written. */
  guessed: boolean;
}

export interface FnScan {
  node: SyntaxNode;
  body: SyntaxNode;
  /** The body's `BODY_KINDS` nodes in source order. */
  nodes: SyntaxNode[];
  locals: Map<string, LocalType>;
}
