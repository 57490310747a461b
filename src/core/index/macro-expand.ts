/**
 * Expansion of item-position `macro_rules!` invocations during extraction: the macro's
 * definition is looked up among the package's files, the call is expanded (macro-rules.ts), and
 * the items of the expansion are extracted as if written at the call, every span pointing at the
 * call (diagnostics and hover land on `cfg_rt! {`/`ast_struct! {`). `#[cfg]` attributes on the
 * call apply to every expanded item. Fn items of an expansion are dropped: their bodies have no
 * place in the file for the rules to point at.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Attribute, IndexWarning, Span } from '../model';
import { enclosingPackage, listRustFiles } from './crates';
import { NON_ITEM_MACROS, type Ctx, type ExtractResult } from './extract-types';
import {
  expandMacro,
  expandMacroTokens,
  MacroDef,
  MacroError,
  parseMacroDef,
  render,
  stripFnBodies,
  Tok,
  tokenize,
  withWs,
} from './macro-rules';
import { lineStarts, spanAt } from './syntax';

/** Nested expansions deeper than this stop with a warning (rustc's default limit is 128). */
export const MAX_EXPANSION_DEPTH = 64;

interface PackageMacros {
  files: string[];
  /** Per file: its text when it has a `macro_rules!`, else null (read on first use). */
  texts?: (string | null)[];
  /** Per file: its definitions, tokenised on first need (most files' macros are never called). */
  defs: (Map<string, MacroDef> | undefined)[];
  /** name -> definition (null: the package has none), as found. */
  byName: Map<string, MacroDef | null>;
}

const packages = new Map<string, PackageMacros | null>();
const pkgOfDir = new Map<string, string | null>();

function packageOf(file: string): string | undefined {
  const dir = path.dirname(file);
  let p = pkgOfDir.get(dir);
  if (p === undefined) {
    p = enclosingPackage(dir) ?? null;
    pkgOfDir.set(dir, p);
  }
  return p ?? undefined;
}

/**
 * The `macro_rules! name` of the package holding `file` (the first definition in file order
 * wins). Only files whose text names the macro are tokenised, each at most once: tokenising
 * every file of tokio and libc for their few called macros was a fifth of the time to index.
 */
function macroDef(file: string, name: string): MacroDef | undefined {
  const pkg = packageOf(file);
  if (!pkg) return undefined;
  let m = packages.get(pkg);
  if (m === undefined) {
    m = { files: listRustFiles(pkg), defs: [], byName: new Map() };
    packages.set(pkg, m);
  }
  if (!m) return undefined;
  const known = m.byName.get(name);
  if (known !== undefined) return known ?? undefined;
  m.texts ??= m.files.map(f => {
    try {
      const text = fs.readFileSync(f, 'utf8');
      return text.includes('macro_rules!') ? text : null;
    } catch {
      return null;
    }
  });
  let found: MacroDef | undefined;
  for (let k = 0; k < m.files.length && !found; k++) {
    const text = m.texts[k];
    if (!text || !text.includes(name)) continue;
    let defs = m.defs[k];
    if (!defs) {
      defs = new Map();
      try {
        collectDefs(tokenize(text), defs);
      } catch {
        // A file the tokeniser cannot read defines nothing.
      }
      m.defs[k] = defs;
    }
    found = defs.get(name);
  }
  m.byName.set(name, found ?? null);
  return found;
}

function collectDefs(toks: Tok[], out: Map<string, MacroDef>): void {
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k];
    if (
      t.kind === 'ident' &&
      t.text === 'macro_rules' &&
      toks[k + 1]?.text === '!' &&
      toks[k + 2]?.kind === 'ident' &&
      toks[k + 3]?.kind === 'group'
    ) {
      const name = toks[k + 2].text;
      if (!out.has(name)) {
        try {
          out.set(name, parseMacroDef(name, toks[k + 3].children!));
        } catch {
          // An arm we cannot read: the heuristic reading of the call's body applies.
        }
      }
      // A macro written inside a macro's body (syn's `Token!` inside `export_token_macro!`).
      collectDefs(toks[k + 3].children!, out);
      k += 3;
    } else if (t.kind === 'group') collectDefs(t.children!, out);
  }
}

/**
 * Expands a type-position macro call written as `text` (`Token![::]`, `path::m!(u8)`) with the
 * `macro_rules!` of the package holding `file`. Returns the expansion's text (one level; the
 * caller expands what it contains), or undefined when the text is not a macro call, the macro is
 * not defined in the package, or no arm matches.
 */
export function expandTypeMacroText(
  file: string,
  text: string,
  dollarCrate?: string,
): string | undefined {
  if (!text.includes('!')) return undefined;
  const call = macroCall(text);
  if (!call?.endsInName) return undefined;
  const def = macroDef(file, call.path[call.path.length - 1]);
  if (!def) return undefined;
  try {
    return expandMacro(def, call.args, { dollarCrate });
  } catch (e) {
    if (e instanceof MacroError) return undefined;
    throw e;
  }
}

/** The path written before the `!` of a macro call's text (`syn::Token![,]` -> [syn, Token]). */
export function macroCallPath(text: string): string[] | undefined {
  return macroCall(text)?.path;
}

/**
 * A macro call's text, `a::b::m!(..)`: the names of the path before the `!` (only names and
 * `::` may precede it), whether the token before the `!` is a name, and the tokens inside the
 * delimiters. Undefined for any other text.
 */
function macroCall(text: string): { path: string[]; endsInName: boolean; args: Tok[] } | undefined {
  let toks: Tok[];
  try {
    toks = tokenize(text);
  } catch {
    return undefined;
  }
  const n = toks.length;
  if (n < 3 || toks[n - 1].kind !== 'group' || toks[n - 2].text !== '!') return undefined;
  const path: string[] = [];
  for (let k = 0; k < n - 2; k++) {
    if (toks[k].kind === 'ident') path.push(toks[k].text);
    else if (toks[k].text !== '::') return undefined;
  }
  if (path.length === 0) return undefined;
  return { path, endsInName: toks[n - 3].kind === 'ident', args: toks[n - 1].children! };
}

/** Forget cached definitions (tests, or after files of a package changed on disk). */
export function clearMacroCache(): void {
  packages.clear();
  pkgOfDir.clear();
}

function warn(out: ExtractResult, w: IndexWarning): void {
  const o = out as ExtractResult & { warnings?: IndexWarning[] };
  (o.warnings ??= []).push(w);
}

function isSpan(x: unknown): x is Span {
  return (
    !!x &&
    typeof x === 'object' &&
    'file' in x &&
    'startOffset' in x &&
    'endOffset' in x &&
    'line' in x
  );
}

/** Points every span inside `x` (plain objects and arrays) at `call`. */
function respan(x: unknown, call: Span, seen: Set<object>): void {
  if (!x || typeof x !== 'object' || seen.has(x as object)) return;
  seen.add(x as object);
  if (Array.isArray(x)) {
    x.forEach((v, i) => (isSpan(v) ? (x[i] = { ...call }) : respan(v, call, seen)));
    return;
  }
  if (x instanceof Map) {
    for (const v of x.values()) respan(v, call, seen);
    return;
  }
  for (const k of Object.keys(x)) {
    const v = (x as Record<string, unknown>)[k];
    if (isSpan(v)) (x as Record<string, unknown>)[k] = { ...call };
    else respan(v, call, seen);
  }
}

/**
 * The attribute texts of an item-wrapping macro, `macro_rules! cfg_rt { ($($item:item)*) => {
 * $( #[cfg(feature = "rt")] #[cfg_attr(..)] $item )* } }` (tokio's `cfg_*!`): its expansion is
 * every item of the call, each behind those attributes. Undefined for any other macro.
 */
const wrappers = new WeakMap<MacroDef, string[] | null>();

function wrapperAttrs(def: MacroDef): string[] | undefined {
  let w = wrappers.get(def);
  if (w === undefined) {
    w = null;
    const r = def.rules.length === 1 ? def.rules[0] : undefined;
    const p = r?.pats.length === 1 ? r.pats[0] : undefined;
    const v =
      p?.kind === 'rep' && !p.sep && (p.op === '*' || p.op === '+') && p.pats.length === 1
        ? p.pats[0]
        : undefined;
    const b = r?.body;
    if (
      v?.kind === 'var' &&
      v.frag === 'item' &&
      b?.length === 3 &&
      b[0].text === '$' &&
      b[1].kind === 'group' &&
      b[1].open === '(' &&
      (b[2].text === '*' || b[2].text === '+')
    ) {
      const ch = b[1].children!;
      const n = ch.length;
      const attrs: string[] = [];
      let ok =
        n >= 2 &&
        ch[n - 2].kind === 'punct' &&
        ch[n - 2].text === '$' &&
        ch[n - 1].kind === 'ident' &&
        ch[n - 1].text === v.name;
      for (let k = 0; ok && k < n - 2; k += 2) {
        const g = ch[k + 1];
        ok =
          ch[k].kind === 'punct' &&
          ch[k].text === '#' &&
          g?.kind === 'group' &&
          g.open === '[' &&
          !hasDollar(g.children!);
        if (ok) attrs.push(render([withWs(ch[k], ''), g]));
      }
      if (ok) w = attrs;
    }
    wrappers.set(def, w);
  }
  return w ?? undefined;
}

function hasDollar(toks: Tok[]): boolean {
  return toks.some(
    t => (t.kind === 'punct' && t.text === '$') || (t.kind === 'group' && hasDollar(t.children!)),
  );
}

/**
 * Expands `name!{inner}` written at [callStart, callEnd) of `ctx.src` when the package defines
 * `macro_rules! name`. `walk` extracts items from the expansion text with the given context.
 * For an item-wrapping macro (`cfg_rt!`), `walkWrapped` may extract the call's own text instead,
 * each top-level item behind the macro's attributes: the same items as the expansion, without
 * tokenising, matching, rendering and parsing the expansion again (tokio wraps most of its code
 * in such macros, nested: expanding them was half of the time to index the crate). It returns
 * false when it cannot (a body that does not parse): the expansion is used.
 * Returns false when the macro is unknown or no arm matches (the caller falls back to reading
 * the body as items).
 */
export function expandItemMacro(
  name: string,
  inner: string,
  callStart: number,
  callEnd: number,
  ctx: Ctx,
  attrs: readonly Attribute[],
  walk: (text: string, sub: Ctx, toks?: readonly Tok[]) => void,
  walkWrapped?: (prefix: readonly string[], sub: Ctx) => boolean,
): false | 'wrapped' | 'expanded' {
  const def = macroDef(ctx.base.file, name);
  if (!def) return false;
  const call = spanAt(ctx.base, ctx.base.offset + callStart, ctx.base.offset + callEnd);
  const depth = (ctx.expandDepth ?? 0) + 1;
  if (depth > MAX_EXPANSION_DEPTH) {
    warn(ctx.out, {
      file: call.file,
      line: call.line,
      message: `macro expansion of \`${name}!\` nested deeper than ${MAX_EXPANSION_DEPTH} levels: stopped (items beyond are not indexed)`,
    });
    return 'expanded';
  }
  const prefix = walkWrapped ? wrapperAttrs(def) : undefined;
  if (prefix) {
    const sub: Ctx = {
      ...ctx,
      viaMacro: ctx.viaMacro ?? name,
      out: { items: [], uses: new Map(), mods: [], externCrates: new Map() },
      depth: ctx.depth + 1,
      expandDepth: depth,
    };
    if (walkWrapped!(prefix, sub)) {
      // Read from the call's own text: its fns keep their real spans (async fns are sized).
      merge(sub, ctx, attrs, call, true);
      return 'wrapped';
    }
  }
  let text: string;
  let expanded: Tok[];
  try {
    const budget = { chars: 0 };
    const toks = expandMacroTokens(def, tokenize(inner), { budget });
    expanded = stripFnBodies(
      expandNestedCalls(toks, ctx.base.file, depth, budget, m =>
        warn(ctx.out, { file: call.file, line: call.line, message: m }),
      ),
    );
    text = render(expanded);
  } catch (e) {
    if (!(e instanceof MacroError)) throw e;
    if (/too many steps|too large/.test(e.message)) {
      warn(ctx.out, {
        file: call.file,
        line: call.line,
        message: `\`${name}!\`: ${e.message}; its items are not indexed`,
      });
      return 'expanded';
    }
    return false;
  }
  const sub: Ctx = {
    ...ctx,
    base: { file: ctx.base.file, offset: 0, lines: lineStarts(text) },
    src: text,
    viaMacro: ctx.viaMacro ?? name,
    out: { items: [], uses: new Map(), mods: [], externCrates: new Map() },
    depth: ctx.depth + 1,
    expandDepth: depth,
  };
  walk(text, sub, expanded);
  merge(sub, ctx, attrs, call);
  return 'expanded';
}

const isPunct = (t: Tok | undefined, text: string): boolean =>
  !!t && t.kind === 'punct' && t.text === text;

/**
 * An expansion made only of `#[attr]* const _: T = value;` items, split into each item's
 * attribute texts and its `const .. ;` text, as rendered (what the parsed expansion's attribute
 * and const nodes span). Undefined for anything else, or for an empty expansion.
 */
export function constUnderscoreParts(
  toks: readonly Tok[],
): { attrs: string[]; text: string }[] | undefined {
  const out: { attrs: string[]; text: string }[] = [];
  for (let k = 0; k < toks.length;) {
    const attrs: string[] = [];
    while (isPunct(toks[k], '#') && toks[k + 1]?.kind === 'group' && toks[k + 1].open === '[') {
      attrs.push(render(toks.slice(k, k + 2)));
      k += 2;
    }
    const [c, u, colon] = [toks[k], toks[k + 1], toks[k + 2]];
    if (c?.kind !== 'ident' || c.text !== 'const' || u?.kind !== 'ident' || u.text !== '_')
      return undefined;
    if (!isPunct(colon, ':')) return undefined;
    let j = k + 3;
    while (j < toks.length && !isPunct(toks[j], ';')) j++;
    if (j === toks.length) return undefined;
    out.push({ attrs, text: render(toks.slice(k, j + 1)) });
    k = j + 1;
  }
  return out.length > 0 ? out : undefined;
}

/**
 * Calls of the package's own item macros written at item level of an expansion (libc's `s! {..}`
 * renders `s!(it: ..);` per struct, each of which renders `__item! {..}`), expanded in place as
 * tokens: the expansion is rendered and parsed once instead of once per level (libc's `s!`
 * tables were tokenised, rendered and parsed three times; a third of the time to index tokio's
 * dependencies). What is left to the parsed text, as before: calls with attributes, `cfg_if!`
 * (read as the built-in), calls of unknown macros or that no arm matches (their fallbacks).
 * `depth` is the expansion depth of `toks`; deeper than MAX_EXPANSION_DEPTH stops with a warning,
 * as does a call whose expansion hits a bound (its items are not indexed, as before).
 */
function expandNestedCalls(
  toks: Tok[],
  file: string,
  depth: number,
  budget: { chars: number },
  onWarning: (message: string) => void,
): Tok[] {
  let out: Tok[] | undefined;
  for (let k = 0; k < toks.length; k++) {
    const prev = k > 0 ? toks[k - 1] : undefined;
    const atItem =
      !prev ||
      (prev.kind === 'punct' && prev.text === ';') ||
      (prev.kind === 'group' && prev.open === '{');
    let end = -1;
    let name = '';
    let group: Tok | undefined;
    if (atItem && toks[k].kind === 'ident') {
      let j = k;
      while (
        toks[j + 1]?.text === '::' &&
        toks[j + 1].kind === 'punct' &&
        toks[j + 2]?.kind === 'ident'
      )
        j += 2;
      const bang = toks[j + 1];
      const g = toks[j + 2];
      if (bang?.kind === 'punct' && bang.text === '!' && g?.kind === 'group') {
        const semi = toks[j + 3]?.kind === 'punct' && toks[j + 3].text === ';';
        if (g.open === '{' || semi) {
          end = semi ? j + 4 : j + 3;
          name = toks[j].text;
          group = g;
        }
      }
    }
    const def =
      group && name !== 'cfg_if' && !NON_ITEM_MACROS.has(name) ? macroDef(file, name) : undefined;
    let expanded: Tok[] | undefined;
    if (def) {
      if (depth + 1 > MAX_EXPANSION_DEPTH) {
        onWarning(
          `macro expansion of \`${name}!\` nested deeper than ${MAX_EXPANSION_DEPTH} levels: stopped (items beyond are not indexed)`,
        );
        expanded = [];
      } else {
        try {
          expanded = expandNestedCalls(
            expandMacroTokens(def, group!.children!, { budget }),
            file,
            depth + 1,
            budget,
            onWarning,
          );
        } catch (e) {
          if (!(e instanceof MacroError)) throw e;
          if (/too many steps|too large/.test(e.message)) {
            onWarning(`\`${name}!\`: ${e.message}; its items are not indexed`);
            expanded = [];
          }
          // No arm matches: the call stays, and is read as before once parsed.
        }
      }
    }
    if (expanded) {
      out ??= toks.slice(0, k);
      out.push(...expanded);
      k = end - 1;
    } else out?.push(toks[k]);
  }
  return out ?? toks;
}

/**
 * Moves what an expansion declared (`sub.out`) into `ctx.out`, every span pointing at the call.
 * Fns are dropped (an expansion's text has no place in the file), unless `ownText`: items read
 * from the call's own text, whose fns keep their spans.
 */
function merge(sub: Ctx, ctx: Ctx, attrs: readonly Attribute[], call: Span, ownText = false): void {
  const cfgs = attrs.filter(a => a.name === 'cfg');
  if (ownText) {
    for (const it of sub.out.items) {
      if (it.kind !== 'fn') continue;
      if (cfgs.length) it.attrs = [...cfgs, ...it.attrs];
      ctx.out.items.push(it);
    }
  }
  const items = sub.out.items.filter(it => it.kind !== 'fn');
  respan(items, call, new Set());
  respan(sub.out.mods, call, new Set());
  respan(sub.out.uses, call, new Set());
  for (const it of items) {
    if (cfgs.length) it.attrs = [...cfgs, ...it.attrs];
    ctx.out.items.push(it);
  }
  for (const [k, v] of sub.out.uses) ctx.out.uses.set(k, [...(ctx.out.uses.get(k) ?? []), ...v]);
  // A mod's item is one of `items` (already given the call's cfgs).
  ctx.out.mods.push(...sub.out.mods);
  for (const [k, v] of sub.out.externCrates) ctx.out.externCrates.set(k, v);
  const w = (sub.out as ExtractResult & { warnings?: IndexWarning[] }).warnings;
  if (w) for (const x of w) warn(ctx.out, x);
}
