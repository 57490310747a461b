/**
 * Types shared by the item extraction (extract.ts, extract-tree.ts) and the fn signature reader
 * (fn-text.ts): kept apart so that neither imports the other.
 */
import type { Item, ModItem, UseEntry } from '../model';
import type { SpanBase } from './syntax';

/** A `mod a;` declaration whose file the module loader has to find. */
export interface ModDecl {
  name: string;
  /** Module path of the declared module. */
  path: string;
  /** `#[path = "..."]` value, if any. */
  pathAttr?: string;
  /** Directory of inline parent modules, relative to the file's child dir (for `mod a { mod b; }`). */
  inlineDirs: string[];
  item: ModItem;
}

export interface ExtractResult {
  items: Item[];
  /** `use` entries keyed by module path. */
  uses: Map<string, UseEntry[]>;
  mods: ModDecl[];
  /** `extern crate x as y;` renames keyed by module: alias -> crate. */
  externCrates: Map<string, Map<string, string>>;
  /** Items that could not be read (an exception in the extraction), reported, not dropped silently. */
  warnings?: { line: number; message: string }[];
}

/** Records that the item starting at `index` (in the parsed text) was skipped, and why. */
export function skippedItem(ctx: Ctx, index: number, e: unknown): void {
  const offset = ctx.base.offset + index;
  let line = 0;
  while (line + 1 < ctx.base.lines.length && ctx.base.lines[line + 1] <= offset) line++;
  (ctx.out.warnings ??= []).push({
    line: line + 1,
    message: `item skipped: ${(e as Error)?.message ?? String(e)}`,
  });
}

export interface Ctx {
  base: SpanBase;
  /** The text that was parsed (the file, or a macro body). */
  src: string;
  module: string;
  viaMacro?: string;
  inlineDirs: string[];
  out: ExtractResult;
  depth: number;
  /** How many `macro_rules!` expansions enclose this text (see macro-expand.ts). */
  expandDepth?: number;
}

/** Macros whose calls declare no items (their bodies are not read as items). */
export const NON_ITEM_MACROS = new Set([
  'macro_rules',
  'println',
  'print',
  'eprintln',
  'format',
  'vec',
  'assert',
  'assert_eq',
  'debug_assert',
  'compile_error',
  'include',
  'concat',
  'stringify',
  'matches',
  'write',
  'writeln',
  'thread_local',
  'lazy_static',
]);

export function newExtractResult(): ExtractResult {
  return { items: [], uses: new Map(), mods: [], externCrates: new Map() };
}
