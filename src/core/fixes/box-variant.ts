/**
 * Quick fix: box the largest fields of an enum's largest variant (clippy's shape: largest first,
 * until the variant is small enough) and wrap every construction site in the workspace in
 * `Box::new(..)`. Not offered for `Copy` enums (a `Box` is not `Copy`).
 */
import type { EnumItem, Field, ImplItem, TypeExpr } from '../model';
import type { SyntaxNode } from '../parser';
import type { Fix, FixContext, TextEdit } from './types';
import { editAt, fmtB } from './edits';

/** Whether a type is `Copy`: primitives, shared refs, arrays/tuples of Copy, workspace Copy types. */
export function isCopyType(ctx: FixContext, module: string, t: TypeExpr, depth = 0): boolean {
  if (depth > 8) return false;
  switch (t.kind) {
    case 'array':
      return isCopyType(ctx, module, t.elem, depth + 1);
    case 'tuple':
      return t.elems.every(e => isCopyType(ctx, module, e, depth + 1));
    case 'ref':
      return !t.mutable;
    case 'ptr':
      return true;
    case 'path': {
      const r = ctx.index.resolveType(module, t);
      if (r.kind === 'primitive') return r.name !== 'str';
      if (r.kind === 'item' && r.item.kind !== 'type') return isCopy(ctx, r.item as EnumItem);
      if (r.kind === 'item' && r.item.kind === 'type' && r.item.target)
        return isCopyType(ctx, r.item.module, r.item.target, depth + 1);
      return false;
    }
    default:
      return false;
  }
}

export function isCopy(ctx: FixContext, item: Pick<EnumItem, 'attrs' | 'name'>): boolean {
  if (item.attrs.some(a => a.name === 'derive' && /\bCopy\b/.test(a.args))) return true;
  // Names of the types with an `impl Copy for ..`, collected once per rule run.
  ctx.copyImpls ??= new Set(
    ctx.index.items
      .filter(i => i.kind === 'impl' && (i as ImplItem).trait?.text.replace(/^.*::/, '') === 'Copy')
      .map(i => (i as ImplItem).selfType.text.replace(/<.*$/, '')),
  );
  return ctx.copyImpls.has(item.name);
}

/** Offset range of a field's type inside its declaration. */
function fieldTypeRange(text: string, f: Field): [number, number] {
  const decl = text.slice(f.span.startOffset, f.span.endOffset);
  if (!/^\s*(pub(\([^)]*\))?\s+)?[A-Za-z_][\w]*\s*:(?!:)/.test(decl))
    return [f.span.startOffset, f.span.endOffset];
  const colon = decl.search(/:(?!:)/);
  let start = f.span.startOffset + colon + 1;
  while (/\s/.test(text[start])) start++;
  return [start, f.span.endOffset];
}

/**
 * `goal`: the variant's remaining field bytes must drop to at most this (0 = box every field
 * larger than a pointer).
 */
export function boxVariantFix(
  ctx: FixContext,
  item: EnumItem,
  goal: number,
  allVariants = false,
): Fix | undefined {
  // Once per enum and goal: large-error asks again for every fn returning the enum.
  ctx.boxVariantFixes ??= new Map();
  let done = ctx.boxVariantFixes.get(item);
  if (!done) ctx.boxVariantFixes.set(item, (done = new Map()));
  const key = `${goal}/${allVariants}`;
  if (!done.has(key)) done.set(key, computeBoxVariantFix(ctx, item, goal, allVariants));
  const fix = done.get(key);
  // A fix of its own for each finding (a rule may mark it preferred); the edits are shared.
  return fix && { ...fix };
}

function computeBoxVariantFix(
  ctx: FixContext,
  item: EnumItem,
  goal: number,
  allVariants: boolean,
): Fix | undefined {
  if (isCopy(ctx, item)) return undefined;
  // A second definition of the same path (a module declared twice, a cfg alternative): its
  // construction sites, matched by name, are the first definition's, which carries the fix.
  // (Else n copies of an enum each rewrote the sites of all n: 9 million edits for a 50,000-line
  // file of 1,137 copies, analysis fuzz.)
  if (!ctx.firstTypeDefs) {
    ctx.firstTypeDefs = new Map();
    for (const t of ctx.index.typeDefs())
      if (!ctx.firstTypeDefs.has(t.path)) ctx.firstTypeDefs.set(t.path, t);
  }
  if (ctx.firstTypeDefs.get(item.path) !== item) return undefined;
  // Positional construction sites cannot be rewritten safely around #[cfg]'d fields.
  if (item.variants.some(v => v.fields.some(f => f.attrs.some(a => a.name === 'cfg'))))
    return undefined;
  const layout = ctx.engine.layoutOfItem(item);
  if (!layout.variants || layout.variants.length === 0 || layout.status === 'unknown')
    return undefined;
  // Remaining field bytes per variant; box the largest field of the largest variant until the
  // largest variant is within `goal` (only the largest variant unless `allVariants`, like clippy).
  const remaining = layout.variants.map(v => v.fieldsSize);
  const boxed = layout.variants.map(() => new Set<number>());
  let first = -1;
  for (let guard = 0; guard < 64; guard++) {
    let vi = 0;
    remaining.forEach((r, i) => {
      if (r > remaining[vi]) vi = i;
    });
    if (first < 0) first = vi;
    if (!allVariants && vi !== first) break;
    if (remaining[vi] <= goal) break;
    const candidates = layout.variants[vi].fields
      .map((f, i) => ({ i, size: f.size }))
      .filter(f => f.size > 8 && !boxed[vi].has(f.i))
      .sort((a, b) => b.size - a.size);
    if (candidates.length === 0) break;
    boxed[vi].add(candidates[0].i);
    remaining[vi] = remaining[vi] - candidates[0].size + 8;
  }
  if (boxed.every(b => b.size === 0)) return undefined;
  const text = ctx.index.fileText(item.span.file);
  if (!text) return undefined;
  const edits: TextEdit[] = [];
  const names: string[] = [];
  boxed.forEach((set, vi) => {
    if (set.size === 0) return;
    const variant = item.variants.find(v => v.name === layout.variants![vi].name)!;
    for (const i of set) {
      const [s, e] = fieldTypeRange(text, variant.fields[i]);
      edits.push(editAt(item.span.file, text, s, e, `Box<${text.slice(s, e)}>`));
      names.push(
        `${variant.name}${variant.shape === 'tuple' ? `.${i}` : `.${variant.fields[i].name}`}`,
      );
    }
    edits.push(
      ...constructionEdits(
        ctx,
        item,
        variant.name,
        variant.shape,
        [...set].map(i => variant.fields[i].name),
      ),
    );
  });
  // After boxing, the enum is about its largest remaining variant plus the tag, rounded to its
  // alignment: an estimate (a niche may save the tag), hence the `≈`.
  const align = Math.max(8, layout.align); // a Box field makes it at least pointer-aligned
  const after = Math.ceil((Math.max(...remaining) + (layout.tag?.size ?? 0)) / align) * align;
  const payload = boxed
    .map((set, vi) => (set.size ? `${item.name}::${layout.variants![vi].name}` : ''))
    .filter(Boolean);
  return {
    title: `Box the payload of ${payload.map(p => `\`${p}\``).join(', ')} (${item.name}: ${fmtB(layout.size)} → ≈ ${fmtB(after)})`,
    preferred: true,
    edits,
  };
}

/** A call or struct expression whose callee or name is a plain path (`a::E::V`, `Self::V`, `V`). */
interface Site {
  node: SyntaxNode;
  /** The path without whitespace. */
  path: string;
}

/** Only these can spell `E::V`, `Self::V` or `V`; a field or generic callee never matches. */
const PATH_NODES = new Set([
  'identifier',
  'scoped_identifier',
  'type_identifier',
  'scoped_type_identifier',
]);

/**
 * Construction sites of a tree by the last segment of their path (the variant name), found once
 * per tree (WeakMap: edits make new trees). Scanning all of a file's call and struct expressions
 * per enum was quadratic: a 50,000-line file of 1,163 repeated enums ran for over 5 minutes of
 * CPU (analysis fuzz).
 */
const SITES = new WeakMap<object, Map<string, Site[]>>();
function sitesOf(tree: { rootNode: SyntaxNode }): Map<string, Site[]> {
  let sites = SITES.get(tree);
  if (!sites) {
    sites = new Map();
    for (const node of tree.rootNode.descendantsOfType(['call_expression', 'struct_expression'])) {
      const callee = node.childForFieldName(node.type === 'call_expression' ? 'function' : 'name');
      if (!callee || !PATH_NODES.has(callee.type)) continue;
      const p = callee.text.replace(/\s+/g, '');
      const at = p.lastIndexOf('::');
      const last = at < 0 ? p : p.slice(at + 2);
      const list = sites.get(last);
      if (list) list.push({ node, path: p });
      else sites.set(last, [{ node, path: p }]);
    }
    SITES.set(tree, sites);
  }
  return sites;
}

/**
 * Construction edits of one file, by enum name, variant, shape and boxed fields: the same for
 * every enum of that name (the sites are matched by name), so enums repeated under one name
 * share them instead of matching every site again.
 */
const EDITS = new WeakMap<object, Map<string, TextEdit[]>>();

function constructionEdits(
  ctx: FixContext,
  item: EnumItem,
  variant: string,
  shape: string,
  fields: string[],
): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const file of ctx.index.fileNames()) {
    const text = ctx.index.fileText(file);
    const tree = ctx.index.tree(file);
    if (!text || !tree) continue;
    // A file whose sites are not collected yet is looked at only if it names the variant.
    if (!SITES.has(tree) && !text.includes(variant)) continue;
    const candidates = sitesOf(tree).get(variant);
    if (!candidates) continue;
    let byKey = EDITS.get(tree);
    if (!byKey) EDITS.set(tree, (byKey = new Map()));
    const key = `${item.name}\0${variant}\0${shape}\0${fields.join('\0')}`;
    let fileEdits = byKey.get(key);
    if (!fileEdits) {
      fileEdits = fileConstructionEdits(
        file,
        text,
        tree,
        candidates,
        item.name,
        variant,
        shape,
        fields,
      );
      byKey.set(key, fileEdits);
    }
    for (const e of fileEdits) edits.push(e);
  }
  return edits;
}

function fileConstructionEdits(
  file: string,
  text: string,
  tree: { rootNode: SyntaxNode },
  candidates: Site[],
  name: string,
  variant: string,
  shape: string,
  fields: string[],
): TextEdit[] {
  const edits: TextEdit[] = [];
  const bareOk = new RegExp(
    `use\\s+[^;]*\\b${name}::(\\*|\\{[^}]*\\b${variant}\\b|${variant}\\b)`,
  ).test(text);
  const matches = (t: string, node: SyntaxNode): boolean => {
    if (t === `${name}::${variant}` || t.endsWith(`::${name}::${variant}`)) return true;
    if (t === `Self::${variant}`) return insideImplOf(tree, node, name);
    return t === variant && bareOk;
  };
  for (const { node, path } of candidates) {
    if (!matches(path, node)) continue;
    if (node.type === 'call_expression' && shape === 'tuple') {
      const args =
        node
          .childForFieldName('arguments')
          ?.namedChildren.filter(a => a.type !== 'line_comment' && a.type !== 'block_comment') ??
        [];
      for (const idx of fields.map(Number)) {
        const a = args[idx];
        if (a && !/^Box::new\(/.test(a.text))
          edits.push(editAt(file, text, a.startIndex, a.endIndex, `Box::new(${a.text})`));
      }
    } else if (node.type === 'struct_expression' && shape === 'named') {
      for (const fi of node.childForFieldName('body')?.namedChildren ?? []) {
        if (fi.type === 'field_initializer') {
          const fname = fi.childForFieldName('field')?.text;
          const v = fi.childForFieldName('value');
          if (fname && v && fields.includes(fname) && !/^Box::new\(/.test(v.text))
            edits.push(editAt(file, text, v.startIndex, v.endIndex, `Box::new(${v.text})`));
        } else if (fi.type === 'shorthand_field_initializer' && fields.includes(fi.text)) {
          edits.push(
            editAt(file, text, fi.startIndex, fi.endIndex, `${fi.text}: Box::new(${fi.text})`),
          );
        }
      }
    }
  }
  return edits;
}

interface Impl {
  start: number;
  end: number;
  /** The self type's name without generics. */
  name: string;
  /** Index of the innermost impl around this one, -1 for none. */
  outer: number;
}

/**
 * A tree's impl blocks in source order, found once per tree. Walking `.parent` up from a site
 * costs ~50 us per step in a 50,000-line file (tree-sitter finds a parent by walking down from
 * the root).
 */
const IMPLS = new WeakMap<object, Impl[]>();
function implsOf(tree: { rootNode: SyntaxNode }): Impl[] {
  let impls = IMPLS.get(tree);
  if (!impls) {
    impls = [];
    const open: number[] = [];
    for (const n of tree.rootNode.descendantsOfType('impl_item')) {
      while (open.length && impls[open[open.length - 1]].end <= n.startIndex) open.pop();
      impls.push({
        start: n.startIndex,
        end: n.endIndex,
        name: (n.childForFieldName('type')?.text ?? '').replace(/<.*$/, ''),
        outer: open.length ? open[open.length - 1] : -1,
      });
      open.push(impls.length - 1);
    }
    IMPLS.set(tree, impls);
  }
  return impls;
}

/** Whether the innermost impl block around `node` is `impl .. <name>`. */
function insideImplOf(tree: { rootNode: SyntaxNode }, node: SyntaxNode, name: string): boolean {
  const impls = implsOf(tree);
  // The last impl starting at or before the node, then outwards until one contains it.
  let lo = 0;
  let hi = impls.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (impls[mid].start <= node.startIndex) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  while (at >= 0 && impls[at].end < node.endIndex) at = impls[at].outer;
  return at >= 0 && impls[at].name === name;
}
