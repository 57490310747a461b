/**
 * The tree path of item extraction: walks the item level of one parsed file (or macro body, or
 * inline module) through tree-sitter nodes and produces plain items, `use` entries and `mod`
 * declarations. Function bodies are not walked: the index only needs signatures.
 *
 * `extract.ts` has the fast path used for error-free trees; this path handles trees with syntax
 * errors (node by node, so valid items survive), single items the fast path cannot read, and is
 * the reference the fast path is tested against.
 */
import type { SyntaxNode } from '../parser';
import { parseFragment } from '../parser';
import type {
  Attribute,
  ConstItem,
  EnumItem,
  Field,
  FieldShape,
  FnItem,
  FnParam,
  ImplItem,
  Item,
  ModItem,
  StructItem,
  TraitItem,
  TypeAliasItem,
  UnionItem,
  Variant,
} from '../model';
import { cfgIfBranches, expandCfgIf } from './cfg-if';
import {
  attributeFromText,
  attributeOf,
  genericsOf,
  isTypeNode,
  reprOf,
  spanAt,
  spanOf,
  typeExprOf as treeTypeExprOf,
  type SpanBase,
} from './syntax';
import type { TypeExpr } from '../model';
import { collectUses } from './uses';
import { expandItemMacro } from './macro-expand';

// The extraction's shared types live in extract-types.ts (fn-text.ts needs them too; importing
// them from here made a cycle). Re-exported for existing importers.
export type { Ctx, ExtractResult, ModDecl } from './extract-types';
import {
  newExtractResult,
  NON_ITEM_MACROS,
  skippedItem,
  type Ctx,
  type ExtractResult,
} from './extract-types';

/** A type node's TypeExpr, parsed from its text (fast path) or from the tree (fallback). */
function typeOf(node: SyntaxNode, _ctx: Ctx): TypeExpr {
  // The reference path reads types from the tree only (the text parsers are checked against it).
  return treeTypeExprOf(node);
}

export { newExtractResult } from './extract-types';

/**
 * Items of an inline `#[cfg(x)] mod m { ... }` get its cfgs: of two alternative `mod inner`
 * blocks (clap's `Str`), only the compiled one's items may be named.
 */
export function inheritCfg(items: Item[], from: number, attrs: readonly Attribute[]): void {
  const cfgs = attrs.filter(a => a.name === 'cfg');
  if (cfgs.length)
    for (let i = from; i < items.length; i++) items[i].attrs = [...cfgs, ...items[i].attrs];
}

/** Like {@link extractItemsTree} with a given context (macro expansions keep their depth). */
export function extractItemsTreeCtx(root: SyntaxNode, ctx: Ctx): void {
  walkList(root, ctx);
}

/** Extract everything at item level of `root` (a `source_file` or `declaration_list`) from its nodes. */
export function extractItemsTree(
  root: SyntaxNode,
  src: string,
  base: SpanBase,
  module: string,
  out: ExtractResult,
  viaMacro?: string,
  inlineDirs: string[] = [],
): void {
  walkList(root, { base, src, module, viaMacro, inlineDirs, out, depth: 0 });
}

// The text of an outer doc comment (line or block form), or undefined for other comments.
export function docText(comment: string): string | undefined {
  if (comment.startsWith('///') && !comment.startsWith('////'))
    return comment
      .slice(3)
      .replace(/^ /, '')
      .replace(/\r?\n$/, '');
  if (comment.startsWith('/**') && !comment.startsWith('/***') && comment !== '/**/')
    return comment.slice(3, -2).trim();
  return undefined;
}

/** `pub`, `pub(crate)`, `pub(in a::b)` at the start of an item's text, or `''`. */
export function visibilityOf(itemText: string): string {
  const m = /^pub\b(\s*\([^)]*\))?/.exec(itemText);
  return m ? m[0].replace(/\s+/g, '') : '';
}

/**
 * Visit the named children of an item list (file, module, impl or trait body) with the outer
 * attributes and doc comments that precede each. A cursor is used so that attributes and
 * comments never become node objects.
 */
function forEachItem(
  list: SyntaxNode | null,
  ctx: Ctx,
  visit: (
    type: string,
    node: () => SyntaxNode,
    attrs: Attribute[],
    docs: string | undefined,
  ) => void,
  prefix?: readonly string[],
): void {
  // `prefix`: attribute texts written before every item (an item-wrapping macro's, `cfg_rt!`).
  const start = (): Attribute[] => {
    if (!prefix) return [];
    const at = spanAt(ctx.base, ctx.base.offset, ctx.base.offset);
    return prefix.map(t => attributeFromText(t, at)).filter((x): x is Attribute => !!x);
  };
  let attrs: Attribute[] = start();
  let docs: string[] = [];
  const c = list?.walk();
  if (!c || !c.gotoFirstChild()) return;
  do {
    if (!c.nodeIsNamed) continue;
    const type = c.nodeType;
    if (type === 'attribute_item') {
      const start = c.startIndex;
      const end = c.endIndex;
      const a = attributeFromText(
        ctx.src.slice(start, end),
        spanAt(ctx.base, ctx.base.offset + start, ctx.base.offset + end),
      );
      if (a) attrs.push(a);
      continue;
    }
    if (type === 'line_comment' || type === 'block_comment') {
      const doc = docText(ctx.src.slice(c.startIndex, c.endIndex));
      if (doc !== undefined) docs.push(doc);
      continue;
    }
    if (type === 'inner_attribute_item') continue;
    visit(type, () => c.currentNode, attrs, docs.length ? docs.join('\n') : undefined);
    attrs = start();
    docs = [];
  } while (c.gotoNextSibling());
}

function walkList(list: SyntaxNode, ctx: Ctx, prefix?: readonly string[]): void {
  forEachItem(
    list,
    ctx,
    (_type, node, attrs, docs) => {
      let n: SyntaxNode | undefined;
      try {
        n = node();
        visitItem(n, ctx, attrs, docs);
      } catch (e) {
        // A malformed item never stops indexing of the rest of the file; it is reported.
        skippedItem(ctx, n?.startIndex ?? 0, e);
      }
    },
    prefix,
  );
}

function base(
  node: SyntaxNode,
  ctx: Ctx,
  attrs: Attribute[],
  docs: string | undefined,
  kind: Item['kind'],
  name: string,
  nameNode: SyntaxNode | null,
  path: string,
) {
  const start = node.startIndex;
  const nameEnd = nameNode ? nameNode.endIndex : start;
  // Only items with `<` right after the name (or a `where`) need the tree for their generics.
  const after = ctx.src.slice(nameEnd, Math.min(node.endIndex, nameEnd + 400));
  const generic =
    kind === 'impl'
      ? /^\s*(?:unsafe\s+)?impl\s*</.test(ctx.src.slice(start, start + 40)) ||
        /\bwhere\b/.test(after)
      : /^\s*</.test(after) || /\bwhere\b/.test(after.split('{')[0]);
  return {
    kind,
    name,
    path,
    module: ctx.module,
    span: spanOf(node, ctx.base),
    nameSpan: spanOf(nameNode ?? node, ctx.base),
    attrs,
    generics: generic ? genericsOf(node) : [],
    visibility: visibilityOf(ctx.src.slice(start, Math.min(start + 40, node.endIndex))),
    viaMacro: ctx.viaMacro,
    docs,
  };
}

export function visitItem(
  node: SyntaxNode,
  ctx: Ctx,
  attrs: Attribute[],
  docs: string | undefined,
): void {
  const { out } = ctx;
  const nameNode = node.childForFieldName('name');
  const name = nameNode?.text ?? '';
  const path = `${ctx.module}::${name}`;
  switch (node.type) {
    case 'struct_item': {
      const body = node.childForFieldName('body');
      const { shape, fields } = fieldsOf(body, ctx);
      const item: StructItem = {
        ...base(node, ctx, attrs, docs, 'struct', name, nameNode, path),
        kind: 'struct',
        shape,
        fields,
        repr: reprOf(attrs),
      };
      out.items.push(item);
      return;
    }
    case 'union_item': {
      const { fields } = fieldsOf(node.childForFieldName('body'), ctx);
      const item: UnionItem = {
        ...base(node, ctx, attrs, docs, 'union', name, nameNode, path),
        kind: 'union',
        fields,
        repr: reprOf(attrs),
      };
      out.items.push(item);
      return;
    }
    case 'enum_item': {
      const item: EnumItem = {
        ...base(node, ctx, attrs, docs, 'enum', name, nameNode, path),
        kind: 'enum',
        variants: variantsOf(node.childForFieldName('body'), ctx),
        repr: reprOf(attrs),
      };
      out.items.push(item);
      return;
    }
    case 'type_item': {
      const t = node.childForFieldName('type');
      const item: TypeAliasItem = {
        ...base(node, ctx, attrs, docs, 'type', name, nameNode, path),
        kind: 'type',
        target: t ? typeOf(t, ctx) : undefined,
      };
      out.items.push(item);
      return;
    }
    case 'function_item':
    case 'function_signature_item':
      out.items.push(fnOf(node, ctx, attrs, docs, n => `${ctx.module}::${n}`));
      return;
    case 'const_item':
    case 'static_item': {
      const t = node.childForFieldName('type');
      const v = node.childForFieldName('value');
      const kind = node.type === 'const_item' ? 'const' : 'static';
      const item: ConstItem = {
        ...base(node, ctx, attrs, docs, kind, name, nameNode, path),
        kind,
        type: t ? typeOf(t, ctx) : undefined,
        value: v?.text,
      };
      out.items.push(item);
      return;
    }
    case 'trait_item':
      out.items.push(traitOf(node, ctx, attrs, docs, path));
      return;
    case 'impl_item':
      out.items.push(implOf(node, ctx, attrs, docs));
      return;
    case 'mod_item': {
      const body = node.childForFieldName('body');
      const item: ModItem = {
        ...base(node, ctx, attrs, docs, 'mod', name, nameNode, path),
        kind: 'mod',
        inline: !!body,
      };
      out.items.push(item);
      const pathAttr = attrs.find(a => a.name === 'path')?.args.replace(/^=?\s*"|"$/g, '');
      if (body) {
        const from = out.items.length;
        walkList(body, {
          ...ctx,
          module: path,
          inlineDirs: [...ctx.inlineDirs, pathAttr ?? name],
          depth: ctx.depth,
        });
        inheritCfg(out.items, from, attrs);
      } else {
        out.mods.push({ name, path, pathAttr, inlineDirs: ctx.inlineDirs, item });
      }
      return;
    }
    case 'use_declaration': {
      const list = out.uses.get(ctx.module) ?? [];
      const from = list.length;
      collectUses(
        node,
        ctx.base,
        visibilityOf(ctx.src.slice(node.startIndex, node.startIndex + 40)),
        list,
      );
      const cfg = attrs.filter(a => a.name === 'cfg').map(a => a.args);
      if (cfg.length) for (let i = from; i < list.length; i++) list[i] = { ...list[i], cfg };
      out.uses.set(ctx.module, list);
      return;
    }
    case 'extern_crate_declaration': {
      const crate = node.childForFieldName('name')?.text;
      const alias = node.childForFieldName('alias')?.text ?? crate;
      if (crate && alias) {
        const m = out.externCrates.get(ctx.module) ?? new Map<string, string>();
        m.set(alias, crate);
        out.externCrates.set(ctx.module, m);
      }
      return;
    }
    case 'macro_definition':
      out.items.push({
        ...base(node, ctx, attrs, docs, 'macro', name, nameNode, path),
        kind: 'macro',
      });
      return;
    case 'macro_invocation':
      visitMacroBody(node, ctx, attrs);
      return;
    case 'expression_statement':
      // `name!(...);` at item level parses as a statement holding the call.
      if (node.namedChildren[0]?.type === 'macro_invocation')
        visitMacroBody(node.namedChildren[0], ctx, attrs);
      return;
    default:
      return;
  }
}

function fieldsOf(body: SyntaxNode | null, ctx: Ctx): { shape: FieldShape; fields: Field[] } {
  if (!body) return { shape: 'unit', fields: [] };
  const fields: Field[] = [];
  let attrs: Attribute[] = [];
  if (body.type === 'field_declaration_list') {
    for (const c of body.namedChildren) {
      if (c.type === 'attribute_item') {
        const a = attributeOf(c, ctx.base);
        if (a) attrs.push(a);
      } else if (c.type === 'field_declaration') {
        const t = c.childForFieldName('type');
        fields.push({
          name: c.childForFieldName('name')?.text ?? '',
          type: t ? typeOf(t, ctx) : { kind: 'unknown', text: '' },
          span: spanOf(c, ctx.base),
          attrs,
        });
        attrs = [];
      }
    }
    return { shape: 'named', fields };
  }
  // ordered_field_declaration_list: `(pub u8, #[attr] Vec<u8>)`
  for (const c of body.namedChildren) {
    if (c.type === 'attribute_item') {
      const a = attributeOf(c, ctx.base);
      if (a) attrs.push(a);
    } else if (isTypeNode(c)) {
      fields.push({
        name: String(fields.length),
        type: typeOf(c, ctx),
        span: spanOf(c, ctx.base),
        attrs,
      });
      attrs = [];
    }
  }
  return { shape: 'tuple', fields };
}

function variantsOf(body: SyntaxNode | null, ctx: Ctx): Variant[] {
  const variants: Variant[] = [];
  if (!body) return variants;
  let attrs: Attribute[] = [];
  for (const c of body.namedChildren) {
    if (c.type === 'attribute_item') {
      const a = attributeOf(c, ctx.base);
      if (a) attrs.push(a);
      continue;
    }
    if (c.type !== 'enum_variant') continue;
    const { shape, fields } = fieldsOf(c.childForFieldName('body'), ctx);
    const value = c.childForFieldName('value');
    variants.push({
      name: c.childForFieldName('name')?.text ?? '',
      shape,
      fields,
      discriminant: value?.text,
      span: spanOf(c, ctx.base),
      attrs,
    });
    attrs = [];
  }
  return variants;
}

function fnOf(
  node: SyntaxNode,
  ctx: Ctx,
  attrs: Attribute[],
  docs: string | undefined,
  path: string | ((name: string) => string),
  owner?: FnItem['owner'],
): FnItem {
  const body = node.type === 'function_item' ? node.childForFieldName('body') : null;
  // The reference path reads the signature from the tree only (no fn-text / type-text parsing).
  const sigEnd = body ? body.startIndex : node.endIndex;
  const sigLen = ctx.src.slice(node.startIndex, sigEnd).replace(/[\s;]+$/, '').length;
  const abs = ctx.base.offset + node.startIndex;
  const name = node.childForFieldName('name')?.text ?? '';
  return fnOfTree(
    node,
    ctx,
    attrs,
    docs,
    typeof path === 'string' ? path : path(name),
    owner,
    spanAt(ctx.base, abs, abs + sigLen),
    !!body,
  );
}

/** A fn read from its node (for signatures the text parser does not cover). */
export function fnOfTree(
  node: SyntaxNode,
  ctx: Ctx,
  attrs: Attribute[],
  docs: string | undefined,
  path: string,
  owner: FnItem['owner'],
  signatureSpan: FnItem['signatureSpan'],
  hasBody: boolean,
): FnItem {
  const nameNode = node.childForFieldName('name');
  const mods = node.namedChildren.find(c => c.type === 'function_modifiers')?.text ?? '';
  const paramsNode = node.childForFieldName('parameters');
  const params: FnParam[] = [];
  for (const p of paramsNode?.namedChildren ?? []) {
    if (p.type === 'self_parameter')
      params.push({ pattern: p.text, isSelf: true, span: spanOf(p, ctx.base) });
    else if (p.type === 'parameter') {
      const pat = p.childForFieldName('pattern');
      const t = p.childForFieldName('type');
      const mut = p.namedChildren.some(x => x.type === 'mutable_specifier') ? 'mut ' : '';
      params.push({
        pattern: mut + (pat?.text ?? ''),
        type: t ? typeOf(t, ctx) : undefined,
        isSelf: pat?.type === 'self',
        span: spanOf(p, ctx.base),
      });
    }
  }
  const ret = node.childForFieldName('return_type');
  return {
    ...base(node, ctx, attrs, docs, 'fn', nameNode?.text ?? '', nameNode, path),
    kind: 'fn',
    params,
    returnType: ret ? typeOf(ret, ctx) : undefined,
    isAsync: /\basync\b/.test(mods),
    isConst: /\bconst\b/.test(mods),
    isUnsafe: /\bunsafe\b/.test(mods),
    hasBody,
    signatureSpan,
    owner,
  };
}

function membersOf(
  body: SyntaxNode | null,
  ctx: Ctx,
  ownerPath: string,
  owner: FnItem['owner'],
  onAssoc: (name: string, t: SyntaxNode | null, text: string, attrs: Attribute[]) => void,
  onConst?: (name: string, value: string) => void,
): string[] {
  const methods: string[] = [];
  forEachItem(body, ctx, (type, node, attrs, docs) => {
    if (type === 'function_item' || type === 'function_signature_item') {
      const f = fnOf(node(), ctx, attrs, docs, n => `${ownerPath}::${n}`, owner);
      ctx.out.items.push(f);
      methods.push(f.path);
    } else if (type === 'associated_type' || type === 'type_item') {
      const c = node();
      onAssoc(c.childForFieldName('name')?.text ?? '', c.childForFieldName('type'), c.text, attrs);
    } else if (
      type === 'const_item' &&
      onConst &&
      !attrs.some(a => a.name === 'cfg' || a.name === 'cfg_attr')
    ) {
      const c = node();
      const v = c.childForFieldName('value');
      const n = c.childForFieldName('name')?.text;
      if (v && n) onConst(n, v.text);
    }
  });
  return methods;
}

function traitOf(
  node: SyntaxNode,
  ctx: Ctx,
  attrs: Attribute[],
  docs: string | undefined,
  path: string,
): TraitItem {
  const nameNode = node.childForFieldName('name');
  const assocTypes: string[] = [];
  let unsizedAssoc: string[] | undefined;
  const methods = membersOf(
    node.childForFieldName('body'),
    ctx,
    path,
    { kind: 'trait', path, traitName: nameNode?.text },
    (n, _t, text) => {
      assocTypes.push(n);
      if (/\?\s*Sized\b/.test(text)) (unsizedAssoc ??= []).push(n);
    },
  );
  return {
    ...base(node, ctx, attrs, docs, 'trait', nameNode?.text ?? '', nameNode, path),
    kind: 'trait',
    methods,
    assocTypes,
    ...(unsizedAssoc ? { unsizedAssoc } : {}),
  };
}

function implOf(
  node: SyntaxNode,
  ctx: Ctx,
  attrs: Attribute[],
  docs: string | undefined,
): ImplItem {
  const selfNode = node.childForFieldName('type');
  const traitNode = node.childForFieldName('trait');
  const selfType = selfNode ? typeOf(selfNode, ctx) : ({ kind: 'unknown', text: '' } as const);
  const trait = traitNode ? typeOf(traitNode, ctx) : undefined;
  const selfName =
    selfType.kind === 'path' ? selfType.segments[selfType.segments.length - 1].name : selfType.text;
  const implPath = `${ctx.module}::${selfName}`;
  const name = trait ? `${trait.text} for ${selfType.text}` : selfType.text;
  const assocTypes: Record<string, ImplItem['selfType']> = {};
  const traitName =
    trait?.kind === 'path' ? trait.segments[trait.segments.length - 1].name : undefined;
  let assocConsts: Record<string, string> | undefined;
  let cfgAssocTypes: ImplItem['cfgAssocTypes'];
  const methods = membersOf(
    node.childForFieldName('body'),
    ctx,
    implPath,
    { kind: 'impl', path: implPath, selfType, traitName },
    (n, t, _text, at) => {
      if (t && at.some(a => a.name === 'cfg' || a.name === 'cfg_attr'))
        (cfgAssocTypes ??= []).push({ name: n, type: typeOf(t, ctx), attrs: at });
      else if (t) assocTypes[n] = typeOf(t, ctx);
    },
    trait ? undefined : (n, v) => ((assocConsts ??= {})[n] = v),
  );
  const negative =
    !!trait &&
    /^impl[^{]*!\s*\w/.test(
      ctx.src.slice(node.startIndex, Math.min(node.endIndex, node.startIndex + 200)),
    );
  return {
    ...base(node, ctx, attrs, docs, 'impl', name, selfNode, implPath),
    kind: 'impl',
    selfType,
    trait,
    negative,
    methods,
    assocTypes,
    ...(cfgAssocTypes ? { cfgAssocTypes } : {}),
    ...(assocConsts ? { assocConsts } : {}),
  };
}

/** Macros whose bodies are not Rust items, so re-parsing them is wasted work. */
export { NON_ITEM_MACROS };

function visitMacroBody(node: SyntaxNode, ctx: Ctx, attrs: Attribute[] = []): void {
  const macroName = node.childForFieldName('macro')?.text ?? node.namedChildren[0]?.text ?? '';
  const simple = macroName.split('::').pop() ?? macroName;
  const tt = node.namedChildren.find(c => c.type === 'token_tree');
  if (!tt || NON_ITEM_MACROS.has(simple)) return;
  const inner = tt.text.slice(1, -1);
  // The same choices as the fast path (extract.ts `macroFast`): a crate's own `cfg_if!` is read
  // as the built-in one, an item-wrapping macro from the call's own text.
  const wrapped = (prefix: readonly string[], sub: Ctx) => {
    const root = parseFragment(inner).rootNode;
    if (root.hasError) return false;
    walkList(
      root,
      {
        ...sub,
        base: {
          file: ctx.base.file,
          offset: ctx.base.offset + tt.startIndex + 1,
          lines: ctx.base.lines,
        },
        src: inner,
      },
      prefix,
    );
    return true;
  };
  const how =
    !(simple === 'cfg_if' && cfgIfBranches(inner)) &&
    expandItemMacro(
      simple,
      inner,
      node.startIndex,
      node.endIndex,
      ctx,
      attrs,
      (text, sub) => walkList(parseFragment(text).rootNode, sub),
      wrapped,
    );
  if (how) {
    if (how === 'wrapped') return;
    // The fns of the body, read in place (as extract.ts `macroBodyFns`: an expansion drops fns).
    const root = /\bfn\b/.test(inner) ? parseFragment(inner).rootNode : undefined;
    if (!root || root.hasError) return;
    const out = newExtractResult();
    walkList(root, {
      ...ctx,
      base: {
        file: ctx.base.file,
        offset: ctx.base.offset + tt.startIndex + 1,
        lines: ctx.base.lines,
      },
      src: inner,
      viaMacro: simple,
      depth: ctx.depth + 1,
      out,
    });
    const cfgs = attrs.filter(a => a.name === 'cfg');
    for (const it of out.items) {
      if (it.kind !== 'fn') continue;
      if (cfgs.length) it.attrs = [...cfgs, ...it.attrs];
      ctx.out.items.push(it);
    }
    return;
  }
  if (ctx.depth > 8) return;
  if (inner.trim() === '') return;
  const innerBase: SpanBase = {
    file: ctx.base.file,
    offset: ctx.base.offset + tt.startIndex + 1,
    lines: ctx.base.lines,
  };
  if (simple === 'bitflags') {
    bitflagsItems(inner, innerBase, ctx);
    return;
  }
  if (
    simple === 'cfg_if' &&
    expandCfgIf(inner, innerBase, ctx, (root, body, base, sub) =>
      extractMacroTree(root, body, base, 'cfg_if', sub),
    )
  )
    return;
  extractMacroTree(parseFragment(inner).rootNode, inner, innerBase, simple, ctx);
}

/**
 * Items of a macro body parsed as a file (`root`), keeping only those that parsed cleanly:
 * macro bodies often contain non-item syntax.
 */
export function extractMacroTree(
  root: SyntaxNode,
  inner: string,
  innerBase: SpanBase,
  macro: string,
  ctx: Ctx,
): void {
  const sub: Ctx = { ...ctx, base: innerBase, src: inner, viaMacro: macro, depth: ctx.depth + 1 };
  const clean = { ...sub, out: newExtractResult() };
  walkList(root, clean);
  const errors = root.hasError
    ? root.children.filter(c => c.hasError).map(c => [c.startIndex, c.endIndex])
    : [];
  const errorFree = (p: { span: { startOffset: number; endOffset: number } }) => {
    const start = p.span.startOffset - innerBase.offset;
    const end = p.span.endOffset - innerBase.offset;
    return !errors.some(([s, e]) => e > start && s < end);
  };
  for (const it of clean.out.items)
    if (it.kind === 'mod' || it.kind === 'impl' || it.kind === 'fn' || errorFree(it))
      ctx.out.items.push(it);
  for (const [k, v] of clean.out.uses) ctx.out.uses.set(k, [...(ctx.out.uses.get(k) ?? []), ...v]);
  ctx.out.mods.push(...clean.out.mods);
  for (const [k, v] of clean.out.externCrates) ctx.out.externCrates.set(k, v);
}

/** `bitflags! { pub struct Flags: u32 { const A = 1; } }` declares a newtype over the integer. */
export function bitflagsItems(inner: string, b: SpanBase, ctx: Ctx): void {
  const re = /((?:#\[[^\]]*\]\s*)*)(pub(?:\([^)]*\))?\s+)?struct\s+(\w+)\s*:\s*([\w:]+)/g;
  for (let m = re.exec(inner); m; m = re.exec(inner)) {
    const nameStart = m.index + m[0].indexOf(m[3], m[1].length + (m[2]?.length ?? 0) + 6);
    const span = spanAt(b, b.offset + nameStart, b.offset + nameStart + m[3].length);
    const ty = {
      kind: 'path' as const,
      segments: m[4].split('::').map(name => ({ name, args: [] })),
      global: false,
      text: m[4],
    };
    ctx.out.items.push({
      kind: 'struct',
      name: m[3],
      path: `${ctx.module}::${m[3]}`,
      module: ctx.module,
      span,
      nameSpan: span,
      attrs: [],
      generics: [],
      visibility: (m[2] ?? '').trim(),
      viaMacro: 'bitflags',
      shape: 'tuple',
      fields: [{ name: '0', type: ty, span, attrs: [] }],
      repr: { c: false, transparent: true },
    });
  }
}
