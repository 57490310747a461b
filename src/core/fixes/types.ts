/**
 * What quick fixes produce and what they need. Rules call the fixes; the fixes never import the
 * rules (so `rules -> fixes` is the only direction between the two folders).
 */
import type { WorkspaceIndex } from '../index/workspace';
import type { LayoutEngine } from '../layout/engine';
import type { Lay } from '../layout/lay';
import type { TypeDefItem, TypeExpr } from '../model';
import type { Range } from '../range';

/** One replacement in one file: offsets into the file text as a JS string (UTF-16 units), plus the range. */
export interface TextEdit {
  range: Range;
  startOffset: number;
  endOffset: number;
  newText: string;
}

export interface Fix {
  /** Shown in the light bulb, e.g. "Box the payload of `DistriErr::Corrupt`". */
  title: string;
  /** The fix that should be applied by "auto fix" (VS Code `isPreferred`). */
  preferred: boolean;
  /** Edits across the workspace (construction sites may be in other files). */
  edits: TextEdit[];
}

/** The part of a rule run a fix reads (a `RuleContext` is one). */
export interface FixContext {
  index: WorkspaceIndex;
  engine: LayoutEngine;
  /** Names of types with an `impl Copy for ..`, collected once per run (see `isCopy`). */
  copyImpls?: Set<string>;
  /** The first type definition of each path, collected once per run (see `boxVariantFix`). */
  firstTypeDefs?: Map<string, TypeDefItem>;
  /** `boxVariantFix` results of this run, per enum and goal. */
  boxVariantFixes?: Map<TypeDefItem, Map<string, Fix | undefined>>;
  /** Layouts of the boxed `Result<T, Box<E>>` of `boxErrorFix`, per module and type text. */
  boxedResults?: Map<string, Lay>;
}

/** The `Err` part of a fn's return type (found by the large-error rule, rewritten by its fix). */
export interface ErrPart {
  /** The whole `Result` as written. */
  resultText: string;
  /** The `Result<T, E>` (or alias) expression itself, for its `Ok` type. */
  resultExpr?: TypeExpr;
  /** Layout of the whole `Result`. */
  result: Lay;
  /** Layout of `E`. */
  err: Lay;
  /** `E` as written at its definition site. */
  errExpr: TypeExpr;
  /** The workspace type `E` resolves to, if any. */
  errItem?: TypeDefItem;
  /** The return type expression `Result<..>` in the signature (for the Box<E> rewrite). */
  direct: boolean;
}
