/**
 * Quick fix: box the largest fields of an enum's largest variant (clippy's shape: largest first,
 * until the variant is small enough) and wrap every construction site in the workspace in
 * `Box::new(..)`. Not offered for `Copy` enums (a `Box` is not `Copy`).
 */
import type { EnumItem, Field, ImplItem, TypeExpr } from '../model';
import type { SyntaxNode } from '../parser';
import type { Fix, FixContext, TextEdit } from './types';
import { editAt } from './edits';

const fmtB = (n: number) => `${n.toLocaleString('en-US')} B`;

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
      if (r.kind === 'item' && r.item.kind === 'type' && r.item.target) return isCopyType(ctx, r.item.module, r.item.target, depth + 1);
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
    ctx.index.items.filter(i => i.kind === 'impl' && (i as ImplItem).trait?.text.replace(/^.*::/, '') === 'Copy').map(i => (i as ImplItem).selfType.text.replace(/<.*$/, '')),
  );
  return ctx.copyImpls.has(item.name);
}

/** Offset range of a field's type inside its declaration. */
function fieldTypeRange(text: string, f: Field): [number, number] {
  const decl = text.slice(f.span.startOffset, f.span.endOffset);
  if (!/^\s*(pub(\([^)]*\))?\s+)?[A-Za-z_][\w]*\s*:(?!:)/.test(decl)) return [f.span.startOffset, f.span.endOffset];
  const colon = decl.search(/:(?!:)/);
  let start = f.span.startOffset + colon + 1;
  while (/\s/.test(text[start])) start++;
  return [start, f.span.endOffset];
}

/**
 * `goal`: the variant's remaining field bytes must drop to at most this (0 = box every field
 * larger than a pointer).
 */
export function boxVariantFix(ctx: FixContext, item: EnumItem, goal: number, allVariants = false): Fix | undefined {
  if (isCopy(ctx, item)) return undefined;
  // Positional construction sites cannot be rewritten safely around #[cfg]'d fields.
  if (item.variants.some(v => v.fields.some(f => f.attrs.some(a => a.name === 'cfg')))) return undefined;
  const layout = ctx.engine.layoutOfItem(item);
  if (!layout.variants || layout.variants.length === 0 || layout.status === 'unknown') return undefined;
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
    const candidates = layout.variants[vi].fields.map((f, i) => ({ i, size: f.size })).filter(f => f.size > 8 && !boxed[vi].has(f.i)).sort((a, b) => b.size - a.size);
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
      names.push(`${variant.name}${variant.shape === 'tuple' ? `.${i}` : `.${variant.fields[i].name}`}`);
    }
    edits.push(...constructionEdits(ctx, item, variant.name, variant.shape, [...set].map(i => variant.fields[i].name)));
  });
  // After boxing, the enum is about its largest remaining variant plus the tag, rounded to its
  // alignment: an estimate (a niche may save the tag), hence the `≈`.
  const align = Math.max(8, layout.align); // a Box field makes it at least pointer-aligned
  const after = Math.ceil((Math.max(...remaining) + (layout.tag?.size ?? 0)) / align) * align;
  const payload = boxed.map((set, vi) => (set.size ? `${item.name}::${layout.variants![vi].name}` : '')).filter(Boolean);
  return {
    title: `Box the payload of ${payload.map(p => `\`${p}\``).join(', ')} (${item.name}: ${fmtB(layout.size)} → ≈ ${fmtB(after)})`,
    preferred: true,
    edits,
  };
}

/**
 * Call and struct expressions of a tree, searched once per tree (WeakMap: edits make new trees).
 * Searching each file again per enum was quadratic: 4,000 lines of repeated enums took 1.6 s,
 * a 50,000-line file never finished (analysis fuzz).
 */
const CONSTRUCTIONS = new WeakMap<object, SyntaxNode[]>();
function constructionNodes(tree: { rootNode: SyntaxNode }, types: Set<string>): SyntaxNode[] {
  let nodes = CONSTRUCTIONS.get(tree);
  if (!nodes) {
    nodes = tree.rootNode.descendantsOfType([...types]);
    CONSTRUCTIONS.set(tree, nodes);
  }
  return nodes;
}

function constructionEdits(ctx: FixContext, item: EnumItem, variant: string, shape: string, fields: string[]): TextEdit[] {
  const edits: TextEdit[] = [];
  const types = new Set(['call_expression', 'struct_expression']);
  for (const file of ctx.index.fileNames()) {
    const text = ctx.index.fileText(file);
    const tree = ctx.index.tree(file);
    if (!text || !tree || !text.includes(variant)) continue;
    const bareOk = new RegExp(`use\\s+[^;]*\\b${item.name}::(\\*|\\{[^}]*\\b${variant}\\b|${variant}\\b)`).test(text);
    const matches = (fnText: string, node: SyntaxNode): boolean => {
      const t = fnText.replace(/\s+/g, '');
      if (t === `${item.name}::${variant}` || t.endsWith(`::${item.name}::${variant}`)) return true;
      if (t === `Self::${variant}`) return insideImplOf(node, item.name);
      return t === variant && bareOk;
    };
    constructionNodes(tree, types).forEach(node => {
      if (node.type === 'call_expression' && shape === 'tuple') {
        const f = node.childForFieldName('function');
        if (!f || !matches(f.text, node)) return;
        const args = node.childForFieldName('arguments')?.namedChildren.filter(a => a.type !== 'line_comment' && a.type !== 'block_comment') ?? [];
        for (const idx of fields.map(Number)) {
          const a = args[idx];
          if (a && !/^Box::new\(/.test(a.text)) edits.push(editAt(file, text, a.startIndex, a.endIndex, `Box::new(${a.text})`));
        }
      } else if (node.type === 'struct_expression' && shape === 'named') {
        const n = node.childForFieldName('name');
        if (!n || !matches(n.text, node)) return;
        for (const fi of node.childForFieldName('body')?.namedChildren ?? []) {
          if (fi.type === 'field_initializer') {
            const name = fi.childForFieldName('field')?.text;
            const v = fi.childForFieldName('value');
            if (name && v && fields.includes(name) && !/^Box::new\(/.test(v.text)) edits.push(editAt(file, text, v.startIndex, v.endIndex, `Box::new(${v.text})`));
          } else if (fi.type === 'shorthand_field_initializer' && fields.includes(fi.text)) {
            edits.push(editAt(file, text, fi.startIndex, fi.endIndex, `${fi.text}: Box::new(${fi.text})`));
          }
        }
      }
    });
  }
  return edits;
}

function insideImplOf(node: SyntaxNode, name: string): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'impl_item') return (p.childForFieldName('type')?.text ?? '').replace(/<.*$/, '') === name;
  }
  return false;
}
