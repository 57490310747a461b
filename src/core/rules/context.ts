/**
 * What every rule gets: the index, the layout engine, the settings, and helpers for ranges and
 * suppressions.
 */
import type { WorkspaceIndex } from '../index/workspace';
import type { LayoutEngine } from '../layout/engine';
import type { FnItem, Item, Span } from '../model';
import type { FnScan } from './fn-scan-types';
import type { RuleSettings } from './settings';
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
  /** Impl and trait blocks per file, for `ownerOf`. */
  owners?: Map<string, Item[]>;
  /** Names of `macro_rules!` macros defined in the workspace (see `fromForeignMacro`). */
  localMacros?: Set<string>;
  /** Fns whose findings would be dropped anyway (test code with `testCode: off`): not scanned. */
  skipFn?: (fn: FnItem) => boolean;
  /**
   * Whether findings anywhere in lines `line`..`endLine` of `file` would be dropped (test code
   * with `testCode: off`): an async body there need not be sized for its own findings.
   */
  skipLines?: (file: string, line: number, endLine: number) => boolean;
  /** `wantedItems`, computed once per run. */
  wantedItems?: Item[];
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
  return {
    file: s.file,
    line: s.line,
    column: s.column,
    endLine: s.endLine,
    endColumn: s.endColumn,
  };
}

function allowsIn(args: string, code: RuleCode): boolean {
  const lint = clippyLints[code];
  const group = clippyGroups[code];
  return args
    .split(',')
    .map(a => a.trim().replace(/\s+/g, ''))
    .some(
      a =>
        a === lint ||
        a === 'clippy::all' ||
        (!!group && a === group) ||
        a === `alloc_lens::${code.replace(/-/g, '_')}`,
    );
}

/** `// alloc-lens: allow(code)` on the line just above `line` (1-based), or on an attribute block above. */
export function commentAllows(
  text: string | string[] | undefined,
  line: number,
  code: RuleCode,
): boolean {
  if (!text) return false;
  const lines = typeof text === 'string' ? text.split('\n') : text;
  for (let l = line - 2; l >= 0 && l >= line - 12; l--) {
    const t = lines[l].trim();
    const m = /^\/\/\s*alloc-lens:\s*allow\(([^)]*)\)/.exec(t);
    if (m) return m[1].split(',').some(c => c.trim() === code || c.trim() === 'all');
    // Skip over attributes and doc comments between the comment and the item.
    if (!(t.startsWith('#[') || t.startsWith('///') || t.startsWith('//!') || t === ''))
      return false;
  }
  return false;
}

/** The impl or trait block enclosing a method (for its `#[allow]`s), found by span. */
export function ownerOf(ctx: RuleContext, item: Item): Item | undefined {
  if (item.kind !== 'fn' || !(item as FnItem).owner) return undefined;
  ctx.owners ??= new Map();
  let list = ctx.owners.get(item.span.file);
  if (!list) {
    list = ctx.index
      .itemsInFile(item.span.file)
      .filter(i => i.kind === 'impl' || i.kind === 'trait');
    ctx.owners.set(item.span.file, list);
  }
  const s = item.span;
  return list.find(o => o.span.startOffset <= s.startOffset && o.span.endOffset >= s.endOffset);
}

const allowAttr = (a: { name: string }) => a.name === 'allow' || a.name === 'expect';

/** Arguments of every `#![allow(..)]`/`#![expect(..)]` at the top of a file, joined by commas. */
function innerAllows(fl: FileLines): string | null {
  if (fl.innerAllow === undefined) {
    // Inner attributes come before the first item: read comments, blank lines and `#![..]`
    // attributes from the top and stop at anything else (an inline `mod m { #![allow] }` is not
    // the file's).
    const text = fl.lines.slice(0, 400).join('\n');
    const found: string[] = [];
    const skip = /(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/y;
    const attr = /#!\[\s*(allow|expect|[\w:]+)\s*(\(((?:[^()]|\([^()]*\))*)\))?[^\]]*\]/y;
    let i = 0;
    for (;;) {
      skip.lastIndex = i;
      skip.exec(text);
      i = skip.lastIndex;
      attr.lastIndex = i;
      const m = attr.exec(text);
      if (!m) break;
      if ((m[1] === 'allow' || m[1] === 'expect') && m[3]) found.push(m[3]);
      i = attr.lastIndex;
    }
    fl.innerAllow = found.length ? found.join(',') : null;
  }
  return fl.innerAllow;
}

/** The root file of the crate an item belongs to (its `#![allow]`s cover every module). */
function crateRoot(ctx: RuleContext, item: Item): string | undefined {
  const name = item.module.split('::')[0];
  const ts = ctx.index.targets.filter(t => t.name === name);
  return (ts.find(t => t.root === item.span.file) ?? ts.find(t => t.kind === 'lib') ?? ts[0])?.root;
}

/**
 * Whether `code` is silenced for `item`, scoped as clippy scopes lint levels: `#[allow]` or
 * `#[expect]` on the item, on its impl/trait block, on any enclosing `mod`, `#![allow]` at the
 * top of its file (a module file) or of its crate root, or our `// alloc-lens: allow(code)`.
 */
export function isAllowed(ctx: RuleContext, item: Item, code: RuleCode, owner?: Item): boolean {
  owner ??= ownerOf(ctx, item);
  for (const it of [item, owner]) {
    if (!it) continue;
    if (it.attrs.some(a => allowAttr(a) && allowsIn(a.args, code))) return true;
    const first = it.attrs.reduce((m, a) => Math.min(m, a.span.line), it.span.line);
    if (commentAllows(fileLines(ctx, it.span.file)?.lines, first, code)) return true;
  }
  // `#[allow(...)] mod x;` or `mod x { }` above the item.
  let mod = item.module;
  while (mod.includes('::')) {
    const m = ctx.index.itemByPath(mod);
    if (m && m.kind === 'mod' && m.attrs.some(a => allowAttr(a) && allowsIn(a.args, code)))
      return true;
    mod = mod.slice(0, mod.lastIndexOf('::'));
  }
  for (const file of new Set([item.span.file, crateRoot(ctx, item)])) {
    const fl = file ? fileLines(ctx, file) : undefined;
    const inner = fl ? innerAllows(fl) : null;
    if (inner !== null && allowsIn(inner, code)) return true;
  }
  return false;
}

export function wanted(ctx: RuleContext, file: string): boolean {
  return !ctx.files || ctx.files.has(file);
}

/**
 * The items located in the files the run reports on, in `index.items` order: every item when
 * all files are checked, else the items of those files only. An item's span names the file
 * whose entry holds it (extraction gives every span its file's base), so reading the wanted
 * files' entries finds them all. The editor re-checks one file per keystroke: five rules each
 * walked tokio's 6,350 items to keep the 54 of worker.rs (0.5-2.5 ms CPU per rule and edit).
 */
export function wantedItems(ctx: RuleContext): Item[] {
  if (ctx.wantedItems) return ctx.wantedItems;
  if (!ctx.files) return (ctx.wantedItems = ctx.index.items);
  const out: Item[] = [];
  for (const file of ctx.index.fileNames()) {
    if (!ctx.files.has(file)) continue;
    for (const it of ctx.index.itemsInFile(file)) if (wanted(ctx, it.span.file)) out.push(it);
  }
  return (ctx.wantedItems = out);
}

/** `50000` -> `50,000` (what `toLocaleString('en-US')` gives, without ICU's cost). */
export function fmt(n: number): string {
  return Number.isSafeInteger(n)
    ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
    : n.toLocaleString('en-US');
}

export type Rule = (ctx: RuleContext) => Finding[];

/** What a profile measures to confirm a finding: memcpy samples, allocator samples, or both. */
export type Measure = 'copy' | 'allocator' | 'alloc+copy';

/** Predicates over profile hot lines, built by the profile confirmation for a rule's `evidence`. */
export interface EvidenceHelpers<L> {
  /** Lines that call one of these fns. */
  calls(names: string[]): (h: L) => boolean;
  /** Lines inside one of these fns. */
  inFn(names: string[]): (h: L) => boolean;
  /** Lines that mention this name. */
  mentions(name: string): (h: L) => boolean;
  /** Every finding of the run (a large enum is hot where a large-error fn returns it). */
  findings: readonly Finding[];
}

/**
 * Everything about one rule. The registry (`registry.ts`) lists them; every other list (settings
 * schema, SARIF descriptions, README table, editor lists, profile measures) derives from it.
 */
export interface RuleModule<C extends RuleCode = RuleCode> {
  code: C;
  /** One sentence: SARIF `shortDescription`, README table, package.json schema. */
  summary: string;
  /** The clippy lint whose `#[allow]` also silences the rule, and whose behaviour it follows. */
  clippyLint?: string;
  /** The lint's clippy group (`clippy::perf`): `#[allow(clippy::perf)]` silences it too. */
  clippyGroup?: string;
  /** Settings that tune it: `allocLens.*` keys and clippy.toml keys. */
  settings: { editor: string[]; clippyToml: string[] };
  profile: {
    measure: Measure;
    /** Extra hot lines (besides the finding's own range) that count as evidence. */
    evidence?: <L>(
      f: Extract<Finding, { code: C }>,
      h: EvidenceHelpers<L>,
    ) => ((h: L) => boolean)[];
  };
  check: (ctx: RuleContext) => Extract<Finding, { code: C }>[];
}

/** Clippy lints per rule code, registered by the registry (context cannot import it: a cycle). */
const clippyLints: Partial<Record<RuleCode, string>> = {};
const clippyGroups: Partial<Record<RuleCode, string>> = {};
export function registerClippyLint(code: RuleCode, lint: string | undefined, group?: string): void {
  if (lint) clippyLints[code] = lint;
  if (group) clippyGroups[code] = group;
}

/**
 * Whether an item comes from a macro defined outside the workspace (`pin_project!` of
 * pin-project-lite): clippy skips those (`in_external_macro`), since the user cannot change them.
 */
export function fromForeignMacro(ctx: RuleContext, item: Item): boolean {
  if (!item.viaMacro) return false;
  if (!ctx.localMacros) {
    ctx.localMacros = new Set();
    const re = /macro_rules!\s*(?:r#)?([A-Za-z_]\w*)/g;
    for (const f of ctx.index.fileNames()) {
      const t = ctx.index.fileText(f);
      if (!t || !t.includes('macro_rules!')) continue;
      for (let m = re.exec(t); m; m = re.exec(t)) ctx.localMacros.add(m[1]);
    }
  }
  return !ctx.localMacros.has(item.viaMacro.replace(/^.*::/, ''));
}
