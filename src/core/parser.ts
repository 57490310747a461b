/**
 * The one place that owns tree-sitter parsers and trees. Supports incremental re-parse after an
 * edit (`tree.edit` + parse with the old tree) and forgets trees it no longer needs.
 */
import Parser = require('tree-sitter');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Rust: unknown = require('tree-sitter-rust');

export type SyntaxNode = Parser.SyntaxNode;
export type Tree = Parser.Tree;

/** A text change in a file: offsets in the old text (UTF-16 units) and the replacement. */
export interface TextChange {
  startOffset: number;
  oldEndOffset: number;
  newText: string;
}

let shared: Parser | undefined;

/**
 * tree-sitter's timeout (node binding 0.22: `setTimeoutMicros`, no progress callback) is
 * wall-clock (CLOCK_MONOTONIC in lib/src/clock.h), so a machine under load timed out files that
 * parse in milliseconds. parseRust runs the parse in wall-clock slices and resumes it (tree-sitter
 * continues where it stopped when called again with the same input) until the CPU time this
 * process spent reaches the budget: the limit counts work, not waiting for a core.
 */
export const PARSE_CPU_BUDGET_MS = 2_000;
const PARSE_SLICE_MICROS = 250_000;
let budgetMs = PARSE_CPU_BUDGET_MS;

/** Change the CPU budget per parse (tests use a tiny one to force the timeout path). */
export function setParseCpuBudget(ms: number): void {
  budgetMs = ms;
}

/** tree-sitter gave up on a file within the CPU budget; the file is skipped with a warning. */
export class ParseTimeoutError extends Error {}

function cpuMillis(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * node-tree-sitter 0.22 means to give each named node class a constant `type` on its prototype,
 * but assigns it over an inherited getter, which silently does nothing; every `node.type` then
 * crosses into native code. Defining the property directly makes `type` a plain field read, which
 * roughly halves the cost of walking item lists.
 */
function fixNodeTypeGetters(language: {
  nodeTypeInfo?: { type: string; named: boolean }[];
  nodeSubclasses?: { name: string; prototype: object }[];
}): void {
  const classes = language.nodeSubclasses ?? [];
  const byClassName = new Map<string, string>();
  for (const info of language.nodeTypeInfo ?? []) {
    if (!info.named) continue;
    const camel = info.type.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());
    byClassName.set(camel[0].toUpperCase() + camel.slice(1) + 'Node', info.type);
  }
  for (const cls of classes) {
    const typeName = cls && byClassName.get(cls.name);
    if (typeName && !Object.getOwnPropertyDescriptor(cls.prototype, 'type')) {
      Object.defineProperty(cls.prototype, 'type', { value: typeName, configurable: true });
    }
  }
}

/** The process-wide Rust parser (parsing is synchronous, so one instance is enough). */
export function rustParser(): Parser {
  if (!shared) {
    shared = new Parser();
    shared.setLanguage(Rust as Parser.Language);
    fixNodeTypeGetters(Rust as Parameters<typeof fixNodeTypeGetters>[0]);
    // Wall-clock slices; parseRust resumes until PARSE_CPU_BUDGET_MS of CPU time is spent.
    shared.setTimeoutMicros(PARSE_SLICE_MICROS);
  }
  return shared;
}

/**
 * tree-sitter's node binding reads JS strings through a callback; above 32 KiB-per-chunk it needs
 * a bufferSize large enough for the whole text or it re-reads in pieces. Passing a size avoids
 * the slow path for big files.
 */
function parseOptions(text: string): Parser.Options {
  return { bufferSize: Math.max(32 * 1024, text.length * 2 + 16) };
}

/**
 * Parse a whole file. Throws ParseTimeoutError when tree-sitter has not finished after the CPU
 * budget (PARSE_CPU_BUDGET_MS unless setParseCpuBudget changed it).
 */
export function parseRust(text: string, oldTree?: Tree): Tree {
  const parser = rustParser();
  parser.setTimeoutMicros(Math.min(PARSE_SLICE_MICROS, Math.max(1_000, budgetMs * 250)));
  // The CPU clock is read only when a parse outlasts its first slice: reading it is a system
  // call that took milliseconds on a loaded machine (indexing tokio read it 1,715 times: 6 s of
  // 20 s wall clock), and nearly every parse finishes within its first slice. The budget counts
  // from the end of that slice, so a parse is never stopped earlier than before (at most one
  // slice later).
  let start: number | undefined;
  for (;;) {
    const tree = parser.parse(text, oldTree, parseOptions(text));
    if (tree) return tree;
    const now = cpuMillis();
    start ??= now;
    if (now - start >= budgetMs) {
      parser.reset(); // the next parse starts afresh instead of resuming this one
      throw new ParseTimeoutError(
        `tree-sitter did not finish parsing within ${budgetMs} ms of CPU time`,
      );
    }
  }
}

/** Fragments cached by `parseFragment`, least recently used first. */
const fragments = new Map<string, Tree>();
const FRAGMENT_CACHE = 128;
const FRAGMENT_MAX_CHARS = 16_384;

/**
 * Parse a macro body or expansion, reusing the tree of an identical text parsed recently: callers
 * only read the tree (spans come from their own offsets). A macro call's body is parsed up to
 * twice (its items, then its fns), and a file repeating calls repeats texts: a 50,000-line copy
 * of tokio's io/util/write_int.rs parsed 7,200 expansions of 22 distinct texts (analysis fuzz).
 */
export function parseFragment(text: string): Tree {
  const hit = fragments.get(text);
  if (hit) {
    fragments.delete(text);
    fragments.set(text, hit);
    return hit;
  }
  const tree = parseRust(text);
  if (text.length <= FRAGMENT_MAX_CHARS) {
    if (fragments.size >= FRAGMENT_CACHE) fragments.delete(fragments.keys().next().value as string);
    fragments.set(text, tree);
  }
  return tree;
}

function pointAt(text: string, offset: number): Parser.Point {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

/**
 * Apply a change to `oldText`/`oldTree` and re-parse incrementally. Returns the new text and tree;
 * the old tree must not be used afterwards.
 */
export function reparse(
  oldText: string,
  oldTree: Tree,
  change: TextChange,
): { text: string; tree: Tree } {
  const text =
    oldText.slice(0, change.startOffset) + change.newText + oldText.slice(change.oldEndOffset);
  const newEndOffset = change.startOffset + change.newText.length;
  oldTree.edit({
    startIndex: change.startOffset,
    oldEndIndex: change.oldEndOffset,
    newEndIndex: newEndOffset,
    startPosition: pointAt(oldText, change.startOffset),
    oldEndPosition: pointAt(oldText, change.oldEndOffset),
    newEndPosition: pointAt(text, newEndOffset),
  });
  return { text, tree: parseRust(text, oldTree) };
}

/** Compute the minimal single change turning `a` into `b` (common prefix/suffix). */
export function diffText(a: string, b: string): TextChange | undefined {
  if (a === b) return undefined;
  let start = 0;
  const max = Math.min(a.length, b.length);
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  return { startOffset: start, oldEndOffset: endA, newText: b.slice(start, endB) };
}

/**
 * Visit every node whose type is in `types` (depth-first, source order, `root` included). The
 * search runs inside tree-sitter (`descendantsOfType`): only the matches cross into JS, where a
 * JS-driven cursor would cross the binding several times per node of every body.
 */
export function visitNodes(
  root: SyntaxNode,
  types: ReadonlySet<string>,
  cb: (node: SyntaxNode) => void,
): void {
  for (const node of root.descendantsOfType([...types])) cb(node);
}
