/**
 * Item extraction. For an error-free tree (nearly every file) a tree cursor walks the item
 * level reading only node kinds and offsets, and each item is read from its text by the parsers
 * in `item-text`: no node objects cross the tree-sitter binding, which is most of what
 * extraction used to cost. Trees with syntax errors, and single items the text parsers do not
 * cover, go through the node-based path in `extract-tree`, which also serves as the reference
 * the fast path is tested against.
 */
import type { SyntaxNode } from '../parser';
import { parseFragment } from '../parser';
import type {
  Attribute,
  ConstItem,
  EnumItem,
  Field,
  FnItem,
  ImplItem,
  ModItem,
  StructItem,
  TraitItem,
  TypeAliasItem,
  TypeExpr,
  UnionItem,
  Variant,
} from '../model';
import { attributeFromText, reprOf, spanAt, type SpanBase } from './syntax';
import { newExtractResult, skippedItem } from './extract-types';
import { constUnderscoreParts, expandItemMacro } from './macro-expand';
import type { Tok } from './macro-rules';
import { extractItemsTreeCtx, inheritCfg } from './extract-tree';
import {
  bitflagsItems,
  docText,
  extractMacroTree,
  fnOfTree,
  NON_ITEM_MACROS,
  visibilityOf,
  visitItem,
  type Ctx,
  type ExtractResult,
} from './extract-tree';
import { fnFromText } from './fn-text';
import { cfgIfBranches, expandCfgIf } from './cfg-if';
import {
  parseAdtText,
  parseConstText,
  parseImplHeaderText,
  parseTraitHeaderText,
  parseTypeAliasText,
  parseUseText,
  type Range,
  type TextField,
} from './item-text';

export { newExtractResult, type ExtractResult, type ModDecl } from './extract-tree';

type Cursor = ReturnType<SyntaxNode['walk']>;

/** Items read by the fast path and by the tree path since start (for tests and the bench). */
export const extractStats = { fast: 0, tree: 0 };

/** Node kind names and named-ness by kind id, filled as kinds are first seen. */
const kindNames: string[] = [];
const kindNamed: boolean[] = [];

function kindOf(c: Cursor): string {
  const id = c.nodeTypeId;
  let name = kindNames[id];
  if (name === undefined) {
    name = kindNames[id] = c.nodeType;
    kindNamed[id] = c.nodeIsNamed;
  }
  return kindNamed[id] ? name : '';
}

/** The text of the `///` doc comment at `s` (what `docText` gives for the whole comment). */
function docLine(src: string, s: number): string {
  let a = s + 3;
  if (src.charCodeAt(a) === 32) a++;
  let b = src.indexOf('\n', a);
  if (b === -1) b = src.length;
  else if (src.charCodeAt(b - 1) === 13) b--;
  return src.slice(a, Math.max(a, b));
}

/** Run `fn` with the cursor on the node's last child, and come back. */
function inLastChild<T>(c: Cursor, fn: (kind: string) => T): T | undefined {
  if (!c.gotoLastChild()) return undefined;
  try {
    return fn(kindOf(c));
  } finally {
    c.gotoParent();
  }
}

/** Extract everything at item level of `root` (a `source_file` or `declaration_list`). */
export function extractItems(
  root: SyntaxNode,
  src: string,
  base: SpanBase,
  module: string,
  out: ExtractResult,
  viaMacro?: string,
  inlineDirs: string[] = [],
): void {
  const ctx: Ctx = { base, src, module, viaMacro, inlineDirs, out, depth: 0 };
  // A tree with syntax errors: the items that contain an error (and ERROR nodes) take the tree
  // path, the others the fast one. Sending the whole file down the tree path cost 2 s of CPU on
  // a fuzzed 50,000-line file whose only error was its cut-off last item.
  walkList(root.walk(), ctx, undefined, root.hasError);
}

type Visit = (
  c: Cursor,
  kind: string,
  s: number,
  e: number,
  attrs: Attribute[],
  docs: string | undefined,
) => void;

/**
 * Visit the items of the list under the cursor with the outer attributes and docs before each.
 * `prefix`: attribute texts written before every item (an item-wrapping macro's, `cfg_rt!`).
 */
function forEachItem(c: Cursor, ctx: Ctx, visit: Visit, prefix?: readonly string[]): void {
  if (!c.gotoFirstChild()) return;
  const start = (): Attribute[] => {
    if (!prefix) return [];
    const at = spanAt(ctx.base, ctx.base.offset, ctx.base.offset);
    return prefix.map(t => attributeFromText(t, at)).filter((x): x is Attribute => !!x);
  };
  try {
    let attrs: Attribute[] = start();
    let docs: string[] = [];
    do {
      const kind = kindOf(c);
      if (kind === '' || kind === 'inner_attribute_item') continue;
      const s = c.startIndex;
      if (kind === 'line_comment') {
        // Only `///` lines are docs; a line comment runs to the end of its line.
        if (ctx.src.charCodeAt(s + 2) === 47 && ctx.src.charCodeAt(s + 3) !== 47)
          docs.push(docLine(ctx.src, s));
        continue;
      }
      const e = c.endIndex;
      if (kind === 'attribute_item') {
        const a = attributeFromText(
          ctx.src.slice(s, e),
          spanAt(ctx.base, ctx.base.offset + s, ctx.base.offset + e),
        );
        if (a) attrs.push(a);
        continue;
      }
      if (kind === 'block_comment') {
        const doc = docText(ctx.src.slice(s, e));
        if (doc !== undefined) docs.push(doc);
        continue;
      }
      visit(c, kind, s, e, attrs, docs.length ? docs.join('\n') : undefined);
      attrs = start();
      docs = [];
    } while (c.gotoNextSibling());
  } finally {
    c.gotoParent();
  }
}

function walkList(c: Cursor, ctx: Ctx, prefix?: readonly string[], hasErrors = false): void {
  forEachItem(
    c,
    ctx,
    (c, kind, s, e, attrs, docs) => {
      try {
        if ((!hasErrors || !c.currentNode.hasError) && visitFast(c, kind, s, e, ctx, attrs, docs))
          extractStats.fast++;
        else {
          extractStats.tree++;
          visitItem(c.currentNode, ctx, attrs, docs);
        }
      } catch (e) {
        // A malformed item never stops indexing of the rest of the file; it is reported.
        skippedItem(ctx, s, e);
      }
    },
    prefix,
  );
}

/** Fields common to every item, from offsets relative to the parsed text. */
function common(
  ctx: Ctx,
  s: number,
  e: number,
  name: Range,
  attrs: Attribute[],
  docs: string | undefined,
) {
  const o = ctx.base.offset;
  return {
    module: ctx.module,
    span: spanAt(ctx.base, o + s, o + e),
    nameSpan: spanAt(ctx.base, o + name.s, o + name.e),
    attrs,
    visibility: visibilityOf(ctx.src.slice(s, Math.min(s + 40, e))),
    viaMacro: ctx.viaMacro,
    docs,
  };
}

/** Attributes from ranges relative to offset `at` of the parsed text. */
function attrsAt(ctx: Ctx, at: number, ranges: Range[]): Attribute[] {
  const o = ctx.base.offset + at;
  return ranges
    .map(a =>
      attributeFromText(ctx.src.slice(at + a.s, at + a.e), spanAt(ctx.base, o + a.s, o + a.e)),
    )
    .filter((x): x is Attribute => !!x);
}

function fieldsAt(ctx: Ctx, at: number, fields: TextField[]): Field[] {
  const o = ctx.base.offset + at;
  return fields.map(f => ({
    name: f.name,
    type: f.type,
    span: spanAt(ctx.base, o + f.s, o + f.e),
    attrs: attrsAt(ctx, at, f.attrs),
  }));
}

/** Read one item from its text. False when the text parsers do not cover it (the tree does). */
function visitFast(
  c: Cursor,
  kind: string,
  s: number,
  e: number,
  ctx: Ctx,
  attrs: Attribute[],
  docs: string | undefined,
): boolean {
  const { out, src } = ctx;
  const at = (r: Range): Range => ({ s: s + r.s, e: s + r.e });
  switch (kind) {
    case 'struct_item':
    case 'union_item':
    case 'enum_item': {
      const adt = parseAdtText(src.slice(s, e));
      if (!adt) return false;
      const name = adt.name.text;
      const head = {
        ...common(ctx, s, e, at(adt.name), attrs, docs),
        name,
        path: `${ctx.module}::${name}`,
        generics: adt.generics,
      };
      if (adt.keyword === 'enum') {
        const o = ctx.base.offset + s;
        const variants: Variant[] = adt.variants.map(v => ({
          name: v.name,
          shape: v.shape,
          fields: fieldsAt(ctx, s, v.fields),
          discriminant: v.discriminant,
          span: spanAt(ctx.base, o + v.s, o + v.e),
          attrs: attrsAt(ctx, s, v.attrs),
        }));
        out.items.push({ ...head, kind: 'enum', variants, repr: reprOf(attrs) } satisfies EnumItem);
      } else if (adt.keyword === 'union') {
        out.items.push({
          ...head,
          kind: 'union',
          fields: fieldsAt(ctx, s, adt.fields),
          repr: reprOf(attrs),
        } satisfies UnionItem);
      } else {
        out.items.push({
          ...head,
          kind: 'struct',
          shape: adt.shape,
          fields: fieldsAt(ctx, s, adt.fields),
          repr: reprOf(attrs),
        } satisfies StructItem);
      }
      return true;
    }
    case 'type_item': {
      const t = parseTypeAliasText(src.slice(s, e));
      if (!t) return false;
      const name = t.name.text;
      out.items.push({
        ...common(ctx, s, e, at(t.name), attrs, docs),
        kind: 'type',
        name,
        path: `${ctx.module}::${name}`,
        generics: t.generics,
        target: t.target,
      } satisfies TypeAliasItem);
      return true;
    }
    case 'function_item':
    case 'function_signature_item': {
      const f = fnAt(c, kind, s, e, ctx, attrs, docs, ctx.module);
      if (f) out.items.push(f);
      return !!f;
    }
    case 'const_item':
    case 'static_item': {
      const k = constItem(ctx, s, e, kind === 'const_item' ? 'const' : 'static', attrs, docs);
      if (k) out.items.push(k);
      return !!k;
    }
    case 'impl_item':
      return implFast(c, s, e, ctx, attrs, docs);
    case 'trait_item':
      return traitFast(c, s, e, ctx, attrs, docs);
    case 'mod_item':
      return modFast(c, s, e, ctx, attrs, docs);
    case 'use_declaration': {
      const entries = parseUseText(src.slice(s, e));
      if (!entries) return false;
      const list = out.uses.get(ctx.module) ?? [];
      const span = spanAt(ctx.base, ctx.base.offset + s, ctx.base.offset + e);
      const visibility = visibilityOf(src.slice(s, s + 40));
      const cfg = attrs.filter(a => a.name === 'cfg').map(a => a.args);
      for (const u of entries)
        list.push(cfg.length ? { ...u, visibility, span, cfg } : { ...u, visibility, span });
      out.uses.set(ctx.module, list);
      return true;
    }
    case 'macro_invocation':
      return macroFast(s, e, ctx, attrs);
    case 'expression_statement':
      // `name!(...);` at item level parses as a statement holding the call.
      return /^[\w:$]+\s*!\s*[([{]/.test(src.slice(s, s + 120))
        ? macroFast(s, e, ctx, attrs)
        : true;
    default:
      // extern crate, macro_rules!: rare, read from the tree.
      return kind !== 'extern_crate_declaration' && kind !== 'macro_definition';
  }
}

/** A const or static item from its text at [s, e) of `ctx.src`; undefined when unreadable. */
function constItem(
  ctx: Ctx,
  s: number,
  e: number,
  kind: 'const' | 'static',
  attrs: Attribute[],
  docs: string | undefined,
): ConstItem | undefined {
  const k = parseConstText(ctx.src.slice(s, e));
  if (!k) return undefined;
  const name = k.name.text;
  return {
    ...common(ctx, s, e, { s: s + k.name.s, e: s + k.name.e }, attrs, docs),
    kind,
    name,
    path: `${ctx.module}::${name}`,
    generics: [],
    type: k.type,
    value: k.value,
  };
}

/**
 * The items of an expansion made only of `const _: T = value;` items (tokio's 420
 * `async_assert_fn!`/`assert_value!` checks in tests/async_send_sync.rs), read from each item's
 * rendered tokens without parsing the expansion: the same items the parsed text gives (the
 * fast path reads a const from its text alone), their spans later pointed at the call. False,
 * with nothing added, for any other expansion.
 */
function constUnderscoreItems(toks: readonly Tok[], ctx: Ctx): boolean {
  const parts = constUnderscoreParts(toks);
  if (!parts) return false;
  const items: ConstItem[] = [];
  for (const p of parts) {
    const at = spanAt(ctx.base, 0, 0);
    const attrs = p.attrs.map(t => attributeFromText(t, at)).filter((x): x is Attribute => !!x);
    const k = constItem({ ...ctx, src: p.text }, 0, p.text.length, 'const', attrs, undefined);
    if (!k) return false;
    items.push(k);
  }
  ctx.out.items.push(...items);
  extractStats.fast += items.length;
  return true;
}

/** The body (`declaration_list`) of the item under the cursor: its start, or -1. */
function bodyStart(c: Cursor): number {
  return inLastChild(c, k => (k === 'declaration_list' ? c.startIndex : -1)) ?? -1;
}

/** A fn (or signature) under the cursor, lazily parsed; undefined when its body is not where expected. */
function fnAt(
  c: Cursor,
  kind: string,
  s: number,
  e: number,
  ctx: Ctx,
  attrs: Attribute[],
  docs: string | undefined,
  ownerPath: string,
  owner?: FnItem['owner'],
): FnItem | undefined {
  const body =
    kind === 'function_item' ? inLastChild(c, k => (k === 'block' ? c.startIndex : -2)) : -1;
  if (body === undefined || body === -2) return undefined;
  const tree = { node: () => c.currentNode, build: fnOfTree };
  const path = (n: string) => `${ownerPath}::${n}`;
  return fnFromText({
    start: s,
    end: e,
    bodyStart: body,
    ctx,
    attrs,
    docs,
    path,
    owner,
    tree,
    lazy: true,
  });
}

/** Walk the members of an impl or trait body: fns become items, associated types are reported. */
const UNSIZED_BOUND = /\?\s*Sized\b/;

function members(
  c: Cursor,
  ctx: Ctx,
  ownerPath: string,
  owner: FnItem['owner'],
  onAssoc: (name: string, target: TypeExpr | undefined, text: string, attrs: Attribute[]) => void,
  onConst?: (name: string, value: string) => void,
): string[] | undefined {
  const methods: string[] = [];
  let ok = true;
  inLastChild(c, () =>
    forEachItem(c, ctx, (c, kind, s, e, attrs, docs) => {
      if (kind === 'function_item' || kind === 'function_signature_item') {
        const f = fnAt(c, kind, s, e, ctx, attrs, docs, ownerPath, owner);
        if (!f) {
          ok = false;
          return;
        }
        ctx.out.items.push(f);
        methods.push(f.path);
      } else if (kind === 'associated_type' || kind === 'type_item') {
        const t = parseTypeAliasText(ctx.src.slice(s, e));
        if (t) onAssoc(t.name.text, t.target, ctx.src.slice(s, e), attrs);
        else ok = false;
      } else if (
        kind === 'const_item' &&
        onConst &&
        !attrs.some(a => a.name === 'cfg' || a.name === 'cfg_attr')
      ) {
        const k = parseConstText(ctx.src.slice(s, e));
        if (k?.value) onConst(k.name.text, k.value);
      }
    }),
  );
  return ok ? methods : undefined;
}

function implFast(
  c: Cursor,
  s: number,
  e: number,
  ctx: Ctx,
  attrs: Attribute[],
  docs: string | undefined,
): boolean {
  const b = bodyStart(c);
  if (b < 0) return false;
  const h = parseImplHeaderText(ctx.src.slice(s, b));
  if (!h) return false;
  const { selfType, trait } = h;
  const selfName =
    selfType.kind === 'path' ? selfType.segments[selfType.segments.length - 1].name : selfType.text;
  const implPath = `${ctx.module}::${selfName}`;
  const traitName =
    trait?.kind === 'path' ? trait.segments[trait.segments.length - 1].name : undefined;
  const assocTypes: ImplItem['assocTypes'] = {};
  const mark = ctx.out.items.length;
  let assocConsts: Record<string, string> | undefined;
  let cfgAssocTypes: ImplItem['cfgAssocTypes'];
  const methods = members(
    c,
    ctx,
    implPath,
    { kind: 'impl', path: implPath, selfType, traitName },
    (n, t, _text, at) => {
      if (t && at.some(a => a.name === 'cfg' || a.name === 'cfg_attr'))
        (cfgAssocTypes ??= []).push({ name: n, type: t, attrs: at });
      else if (t) assocTypes[n] = t;
    },
    trait ? undefined : (n, v) => ((assocConsts ??= {})[n] = v),
  );
  if (!methods) {
    ctx.out.items.length = mark;
    return false;
  }
  const name = trait ? `${trait.text} for ${selfType.text}` : selfType.text;
  const self = { s: s + h.self.s, e: s + h.self.e };
  ctx.out.items.push({
    ...common(ctx, s, e, self, attrs, docs),
    kind: 'impl',
    name,
    path: implPath,
    generics: h.generics,
    selfType,
    trait,
    negative: h.negative,
    methods,
    assocTypes,
    ...(cfgAssocTypes ? { cfgAssocTypes } : {}),
    ...(assocConsts ? { assocConsts } : {}),
  } satisfies ImplItem);
  return true;
}

function traitFast(
  c: Cursor,
  s: number,
  e: number,
  ctx: Ctx,
  attrs: Attribute[],
  docs: string | undefined,
): boolean {
  const b = bodyStart(c);
  if (b < 0) return false;
  const h = parseTraitHeaderText(ctx.src.slice(s, b));
  if (!h) return false;
  const name = h.name.text;
  const path = `${ctx.module}::${name}`;
  const assocTypes: string[] = [];
  const mark = ctx.out.items.length;
  let unsizedAssoc: string[] | undefined;
  const methods = members(c, ctx, path, { kind: 'trait', path, traitName: name }, (n, _t, text) => {
    assocTypes.push(n);
    if (UNSIZED_BOUND.test(text)) (unsizedAssoc ??= []).push(n);
  });
  if (!methods) {
    ctx.out.items.length = mark;
    return false;
  }
  ctx.out.items.push({
    ...common(ctx, s, e, { s: s + h.name.s, e: s + h.name.e }, attrs, docs),
    kind: 'trait',
    name,
    path,
    generics: h.generics,
    methods,
    assocTypes,
    ...(unsizedAssoc ? { unsizedAssoc } : {}),
  } satisfies TraitItem);
  return true;
}

function modFast(
  c: Cursor,
  s: number,
  e: number,
  ctx: Ctx,
  attrs: Attribute[],
  docs: string | undefined,
): boolean {
  const text = ctx.src.slice(s, e);
  const m = /^(?:pub\s*(?:\([^)]*\))?\s*)?(?:unsafe\s+)?mod\s+((?:r#)?[A-Za-z_]\w*)\s*([;{])/.exec(
    text,
  );
  if (!m) return false;
  const name = m[1];
  const nameAt = m[0].lastIndexOf(name, m[0].length - 1);
  const path = `${ctx.module}::${name}`;
  const inline = m[2] === '{';
  const item: ModItem = {
    ...common(ctx, s, e, { s: s + nameAt, e: s + nameAt + name.length }, attrs, docs),
    kind: 'mod',
    name,
    path,
    generics: [],
    inline,
  };
  ctx.out.items.push(item);
  const pathAttr = attrs.find(a => a.name === 'path')?.args.replace(/^=?\s*"|"$/g, '');
  const from = ctx.out.items.length;
  if (inline)
    inLastChild(c, () =>
      walkList(c, { ...ctx, module: path, inlineDirs: [...ctx.inlineDirs, pathAttr ?? name] }),
    );
  if (inline) inheritCfg(ctx.out.items, from, attrs);
  else ctx.out.mods.push({ name, path, pathAttr, inlineDirs: ctx.inlineDirs, item });
  return true;
}

/**
 * The fns written in an expanded macro's body, read in place: an expansion drops its fns (their
 * spans would all point at the call), but the future analysis sizes the async fns of
 * `cfg_rt! { impl X { async fn .. } }` from their text, and resolves method calls to them.
 * Only for bodies that parse as items (pass-through macros such as tokio's `cfg_*!`).
 */
function macroBodyFns(
  inner: string,
  base: SpanBase,
  simple: string,
  ctx: Ctx,
  attrs: Attribute[],
): void {
  if (!/\bfn\b/.test(inner)) return;
  const root = parseFragment(inner).rootNode;
  if (root.hasError) return;
  const out = newExtractResult();
  walkList(root.walk(), { ...ctx, base, src: inner, viaMacro: simple, depth: ctx.depth + 1, out });
  const cfgs = attrs.filter(a => a.name === 'cfg');
  for (const it of out.items) {
    if (it.kind !== 'fn') continue;
    if (cfgs.length) it.attrs = [...cfgs, ...it.attrs];
    ctx.out.items.push(it);
  }
}

/** Items declared in an item-level macro's body (`cfg_rt! { ... }`), parsed again as items. */
function macroFast(s: number, e: number, ctx: Ctx, attrs: Attribute[]): boolean {
  const m = /^((?:\$?[A-Za-z_]\w*\s*::\s*)*[A-Za-z_]\w*)\s*!\s*/.exec(
    ctx.src.slice(s, Math.min(e, s + 200)),
  );
  if (!m) return false;
  const simple = m[1].slice(m[1].lastIndexOf(':') + 1).trim();
  if (NON_ITEM_MACROS.has(simple)) return true;
  const body = ctx.src[s + m[0].length];
  if (body === '{' || body === '(' || body === '[') {
    let last = e;
    while (last > s && /\s|;/.test(ctx.src[last - 1])) last--;
    const inner = ctx.src.slice(s + m[0].length + 1, last - 1);
    const walk = (text: string, sub: Ctx, toks?: readonly Tok[]) => {
      if (toks && constUnderscoreItems(toks, sub)) return;
      const root = parseFragment(text).rootNode;
      if (root.hasError) extractItemsTreeCtx(root, sub);
      else walkList(root.walk(), sub);
    };
    // An item-wrapping macro: the call's own items, each behind the macro's attributes.
    const innerAt = s + m[0].length + 1;
    const wrapped = (prefix: readonly string[], sub: Ctx) => {
      const root = parseFragment(inner).rootNode;
      if (root.hasError) return false;
      walkList(
        root.walk(),
        {
          ...sub,
          base: { file: ctx.base.file, offset: ctx.base.offset + innerAt, lines: ctx.base.lines },
          src: inner,
        },
        prefix,
      );
      return true;
    };
    // `cfg_if!` defined by the crate itself (libc's copy of the cfg-if crate's macro) is read as
    // the built-in one below: its `@__items` recursion re-emits every remaining branch at each
    // level, which rendered and parsed libc's platform tables dozens of times.
    const how =
      !(simple === 'cfg_if' && cfgIfBranches(inner)) &&
      expandItemMacro(simple, inner, s, last, ctx, attrs, walk, wrapped);
    if (how) {
      // An expansion drops the fns it renders: the body's own fns are read in place (async fns
      // in tokio's macros are sized by the future analysis).
      if (how === 'expanded')
        macroBodyFns(
          inner,
          { file: ctx.base.file, offset: ctx.base.offset + innerAt, lines: ctx.base.lines },
          simple,
          ctx,
          attrs,
        );
      return true;
    }
  }
  if (ctx.depth > 8) return true;
  const open = s + m[0].length;
  const close =
    ctx.src[open] === '{' ? '}' : ctx.src[open] === '(' ? ')' : ctx.src[open] === '[' ? ']' : '';
  let end = e;
  while (end > open && /\s|;/.test(ctx.src[end - 1])) end--;
  if (!close || ctx.src[end - 1] !== close) return false;
  const inner = ctx.src.slice(open + 1, end - 1);
  if (inner.trim() === '') return true;
  const innerBase: SpanBase = {
    file: ctx.base.file,
    offset: ctx.base.offset + open + 1,
    lines: ctx.base.lines,
  };
  if (simple === 'bitflags') {
    bitflagsItems(inner, innerBase, ctx);
    return true;
  }
  const fast = (root: SyntaxNode, body: string, base: SpanBase, sub: Ctx) =>
    root.hasError
      ? extractMacroTree(root, body, base, 'cfg_if', sub)
      : walkList(root.walk(), {
          ...sub,
          base,
          src: body,
          viaMacro: 'cfg_if',
          depth: sub.depth + 1,
        });
  if (simple === 'cfg_if' && expandCfgIf(inner, innerBase, ctx, fast)) return true;
  const root = parseFragment(inner).rootNode;
  // Macro bodies often contain non-item syntax: the tree path keeps only the items that parsed.
  if (root.hasError) extractMacroTree(root, inner, innerBase, simple, ctx);
  else
    walkList(root.walk(), {
      ...ctx,
      base: innerBase,
      src: inner,
      viaMacro: simple,
      depth: ctx.depth + 1,
    });
  return true;
}
