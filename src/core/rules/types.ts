/**
 * Findings produced by the rules, and the text edits of their quick fixes. Shared by the CLI
 * (`alloc-lens check`) and the editor (diagnostics + code actions).
 */

/** Stable kebab-case rule codes. Never rename one: users suppress them by code. */
export type RuleCode =
  | 'large-error'
  | 'large-enum-variant'
  | 'large-move'
  | 'async-trait-box'
  | 'clone-hotspot'
  | 'large-future';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

/** A source range: 1-based lines, 1-based columns (UTF-16 code units), end exclusive. */
export interface Range {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

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

export interface RelatedInfo {
  range: Range;
  message: string;
}

export interface Finding {
  code: RuleCode;
  severity: Severity;
  /** One line, with concrete sizes ("the `Err` type `DistriErr` is 50,001 bytes ..."). */
  message: string;
  range: Range;
  related: RelatedInfo[];
  fixes: Fix[];
  /** Sizes behind the message, for JSON output and profile confirmation. */
  data?: Record<string, number | string | boolean>;
}

/** Docs page of a rule (relative to the repository root); the editor turns it into a link. */
export function ruleDocPath(code: RuleCode): string {
  return `docs/rules/${code}.md`;
}
