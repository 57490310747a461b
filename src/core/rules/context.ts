/**
 * What every rule gets: the index, the layout engine, the settings, and helpers for ranges and
 * suppressions.
 */
import type { WorkspaceIndex } from '../index/workspace';
import type { LayoutEngine } from '../layout/engine';
import type { FnItem, Item, Span } from '../model';
import type { FnScan } from './fn-scan-types';
import type { RuleSettings } from '../config/settings';
import type { Finding, Range, RuleCode } from './types';
import { lineStarts } from '../index/syntax';

export interface RuleContext {
  index: WorkspaceIndex;
  engine: LayoutEngine;
  settings: RuleSettings;
  /** Only produce findings located in these files (absolute paths); all when undefined. */
  files?: Set<string>;
  /** Per-file line tables, computed once per run. */
  cache?: Map<string, FileLines>;
  /** Per-fn body nodes and local types, computed once per run (null: the fn has no body). */
  fnScans?: Map<FnItem, FnScan | null>;
  /** Names of types with an `impl Copy for ..` (see `isCopy`), collected once per run. */
  copyImpls?: Set<string>;
}

export interface FileLines {
  starts: number[];
  lines: string[];
  /** Arguments of a file-level `#![allow(...)]` near the top, null when there is none. */
  innerAllow?: string | null;
}

/** Line starts and line texts of a file, cached for the duration of a rule run. */
export function fileLines(ctx: RuleContext, file: string): FileLines | undefined {
  ctx.cache ??= new Map();
  let fl = ctx.cache.get(file);
  if (!fl) {
    const text = ctx.index.fileText(file);
    if (text === undefined) return undefined;
    let lines: string[] | undefined;
    fl = {
      starts: ctx.index.lineStarts(file) ?? lineStarts(text),
      // Split only when a suppression comment has to be looked for.
      get lines() {
        return (lines ??= text.split('\n'));
      },
    };
    ctx.cache.set(file, fl);
  }
  return fl;
}

export function rangeOf(s: Span): Range {
  return { file: s.file, line: s.line, column: s.column, endLine: s.endLine, endColumn: s.endColumn };
}

/** The clippy lint whose `#[allow]` also silences our rule. */
export const CLIPPY_LINT: Partial<Record<RuleCode, string>> = {
  'large-error': 'clippy::result_large_err',
  'large-enum-variant': 'clippy::large_enum_variant',
  'large-move': 'clippy::large_types_passed_by_value',
};

function allowsIn(args: string, code: RuleCode): boolean {
  const lint = CLIPPY_LINT[code];
  return args.split(',').map(a => a.trim().replace(/\s+/g, '')).some(a => a === lint || a === 'clippy::all' || a === `alloc_lens::${code.replace(/-/g, '_')}`);
}

/** `// alloc-lens: allow(code)` on the line just above `line` (1-based), or on an attribute block above. */
export function commentAllows(text: string | string[] | undefined, line: number, code: RuleCode): boolean {
  if (!text) return false;
  const lines = typeof text === 'string' ? text.split('\n') : text;
  for (let l = line - 2; l >= 0 && l >= line - 12; l--) {
    const t = lines[l].trim();
    const m = /^\/\/\s*alloc-lens:\s*allow\(([^)]*)\)/.exec(t);
    if (m) return m[1].split(',').some(c => c.trim() === code || c.trim() === 'all');
    // Skip over attributes and doc comments between the comment and the item.
    if (!(t.startsWith('#[') || t.startsWith('///') || t.startsWith('//!') || t === '')) return false;
  }
  return false;
}

/** Whether `code` is silenced for `item` (its attributes, its owner's, its modules', or a comment). */
export function isAllowed(ctx: RuleContext, item: Item, code: RuleCode, owner?: Item): boolean {
  for (const it of [item, owner]) {
    if (!it) continue;
    if (it.attrs.some(a => a.name === 'allow' && allowsIn(a.args, code))) return true;
    const first = it.attrs.reduce((m, a) => Math.min(m, a.span.line), it.span.line);
    if (commentAllows(fileLines(ctx, it.span.file)?.lines, first, code)) return true;
  }
  // `#[allow(...)] mod x;` or `mod x { }` above the item.
  let mod = item.module;
  while (mod.includes('::')) {
    const m = ctx.index.itemByPath(mod);
    if (m && m.kind === 'mod' && m.attrs.some(a => a.name === 'allow' && allowsIn(a.args, code))) return true;
    mod = mod.slice(0, mod.lastIndexOf('::'));
  }
  const fl = fileLines(ctx, item.span.file);
  if (!fl) return false;
  if (fl.innerAllow === undefined) {
    const head = fl.lines.slice(0, 40).join('\n');
    fl.innerAllow = head.includes('#![allow') ? (/^\s*(?:\/\/[^\n]*\n\s*)*#!\[allow\(([^)]*)\)\]/m.exec(head)?.[1] ?? null) : null;
  }
  return fl.innerAllow !== null && allowsIn(fl.innerAllow, code);
}

export function wanted(ctx: RuleContext, file: string): boolean {
  return !ctx.files || ctx.files.has(file);
}

/** `50000` -> `50,000` (what `toLocaleString('en-US')` gives, without ICU's cost). */
export function fmt(n: number): string {
  return Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : n.toLocaleString('en-US');
}

export type Rule = (ctx: RuleContext) => Finding[];
