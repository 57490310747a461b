/**
 * Conversions from tree-sitter nodes to the plain model: spans, type expressions, attributes,
 * generics. Nodes may come from a sub-parse of a macro body, so positions go through a
 * `SpanBase` that shifts them back into the real file.
 */
import type { SyntaxNode } from '../parser';
import { MAX_TYPE_DEPTH, TOO_DEEP } from '../limits';
import type {
  Attribute,
  GenericArg,
  GenericParam,
  PathSegment,
  Repr,
  Span,
  TypeExpr,
} from '../model';

/** Where the parsed text starts in the real file (non-zero for macro bodies). */
export interface SpanBase {
  file: string;
  /** Offset of the parsed text in the file text. */
  offset: number;
  /** Start offsets of every line of the whole file (see `lineStarts`). */
  lines: number[];
}

/** Offsets at which each line of `text` starts. */
export function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

/** 0-based line containing `offset`. */
function lineOf(lines: number[], offset: number): number {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A span from file offsets (UTF-16 units), computed in JS without touching the tree. */
export function spanAt(base: SpanBase, start: number, end: number): Span {
  const l1 = lineOf(base.lines, start);
  const l2 = end === start ? l1 : lineOf(base.lines, end);
  return {
    file: base.file,
    line: l1 + 1,
    column: start - base.lines[l1] + 1,
    endLine: l2 + 1,
    endColumn: end - base.lines[l2] + 1,
    startOffset: start,
    endOffset: end,
  };
}

export function spanOf(node: SyntaxNode, base: SpanBase): Span {
  return spanAt(base, base.offset + node.startIndex, base.offset + node.endIndex);
}

/** Collapse whitespace the way rustc prints types (`Vec < u8 >` stays as written but single-spaced). */
export function normText(text: string): string {
  // Most type texts (`Vec<u8>`, `Option<Box<T>>`) have nothing to normalise.
  let plain = true;
  for (let i = 0; i < text.length && plain; i++) {
    const c = text.charCodeAt(i);
    plain = c > 32 && c !== 44 && c !== 59 && c < 128;
  }
  if (plain || isNormal(text)) return text;
  return normalize(text);
}

/**
 * One pass, the same result as collapsing whitespace runs to one space, dropping the spaces
 * around `<>,;()[]`, adding one after `,` and `;`, and trimming (the regexes `\s+` and
 * `\s*([<>,;()[\]])\s*` did it before, once per nesting level of a type over
 * the whole nested text (10,000-deep `[[..; 1]; 1]` fields: 1.5 s of CPU for a 50 KB file).
 * With `at`, records where each non-space character of `text` starts and ends in the result.
 */
function normalize(text: string, at?: { start: Int32Array; end: Int32Array }): string {
  const out: string[] = [];
  let len = 0;
  const emit = (piece: string) => {
    out.push(piece);
    len += piece.length;
  };
  let run = 0; // start of the pending run of plain characters
  let space = false; // whitespace seen since the run's end
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ws = c === 32 || (c >= 9 && c <= 13) || (c >= 128 && WS.test(text[i]));
    const punct = !ws && PUNCT.has(c);
    if (!ws && !punct) {
      if (space) {
        emit(' ');
        space = false;
        run = i;
      }
      if (at) {
        // Plain runs are emitted as one slice when they end: this character's place in it.
        at.start[i] = len + (i - run);
        at.end[i] = len + (i - run) + 1;
      }
      continue;
    }
    if (!space) emit(text.slice(run, i));
    if (ws) {
      space = true;
      run = i + 1;
      continue;
    }
    space = false;
    if (at) {
      at.start[i] = len;
      at.end[i] = len + 1;
    }
    emit(c === 44 || c === 59 ? `${text[i]} ` : text[i]);
    while (i + 1 < text.length && isWs(text, i + 1)) i++;
    run = i + 1;
  }
  if (!space) emit(text.slice(run));
  const joined = out.join('');
  // trim(): only a leading space can shift positions (the trailing one follows every character).
  if (at && joined.startsWith(' ')) {
    for (let i = 0; i < text.length; i++) {
      at.start[i]--;
      at.end[i]--;
    }
  }
  return joined.trim();
}

/**
 * Whether `normText` would return `text` unchanged: single spaces only, none at the ends, none
 * next to `<>,;()[]` except one after each `,` and `;` (`[[u8; 1]; 1]`). A scan, no copy: a deep
 * type's text is normalised at each of its levels.
 */
function isNormal(text: string): boolean {
  const n = text.length;
  if (n === 0) return true;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 32) {
      // A single space between two plain characters, or right after `,`/`;` before a non-space.
      if (i === 0 || i === n - 1) return false;
      if (isWs(text, i + 1)) return false;
      const prev = text.charCodeAt(i - 1);
      const afterSeparator = prev === 44 || prev === 59;
      if (!afterSeparator && (PUNCT.has(prev) || PUNCT.has(text.charCodeAt(i + 1)))) return false;
    } else if ((c >= 9 && c <= 13) || (c >= 128 && WS.test(text[i]))) {
      return false;
    } else if ((c === 44 || c === 59) && i < n - 1 && text.charCodeAt(i + 1) !== 32) {
      return false;
    }
  }
  return true;
}

const WS = /\s/;
/** `<>,;()[]` */
const PUNCT = new Set([60, 62, 44, 59, 40, 41, 91, 93]);
function isWs(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c === 32 || (c >= 9 && c <= 13) || (c >= 128 && WS.test(text[i]));
}

function pathSegmentsOf(
  node: SyntaxNode,
  out: PathSegment[],
): { global: boolean; qself?: TypeExpr } {
  // scoped_identifier / scoped_type_identifier: path '::' name; identifiers: a single segment.
  switch (node.type) {
    case 'identifier':
    case 'type_identifier':
    case 'primitive_type':
    case 'crate':
    case 'super':
    case 'self':
    case 'metavariable':
      out.push({ name: node.text, args: [] });
      return { global: false };
    case 'scoped_identifier':
    case 'scoped_type_identifier': {
      const path = node.childForFieldName('path');
      const name = node.childForFieldName('name');
      let res: { global: boolean; qself?: TypeExpr } = { global: node.firstChild?.type === '::' };
      if (path) {
        if (path.type === 'bracketed_type') {
          const q = path.namedChildren[0];
          const inner = q?.type === 'qualified_type' ? q.namedChildren[0] : q;
          res = { global: false, qself: inner ? typeExprOf(inner) : undefined };
          const tr = q?.type === 'qualified_type' ? q.namedChildren[1] : undefined;
          if (tr) pathSegmentsOf(tr, out);
        } else if (path.type === 'generic_type') {
          res = pathSegmentsOf(path.childForFieldName('type') ?? path, out);
          const args = path.childForFieldName('type_arguments');
          if (args && out.length > 0) out[out.length - 1].args = genericArgsOf(args);
        } else {
          res = pathSegmentsOf(path, out);
        }
      }
      if (name) out.push({ name: name.text, args: [] });
      return res;
    }
    default:
      out.push({ name: node.text, args: [] });
      return { global: false };
  }
}

export function genericArgsOf(node: SyntaxNode): GenericArg[] {
  const args: GenericArg[] = [];
  for (const c of node.namedChildren) {
    if (c.type === 'lifetime') args.push({ kind: 'lifetime', name: c.text });
    else if (c.type === 'type_binding') {
      const name = c.childForFieldName('name')?.text ?? '';
      const t = c.childForFieldName('type');
      args.push({ kind: 'binding', name, type: t ? typeExprOf(t) : unknownType(c.text) });
    } else if (
      c.type === 'integer_literal' ||
      c.type === 'block' ||
      c.type === 'unary_expression' ||
      c.type === 'binary_expression' ||
      c.type === 'boolean_literal' ||
      c.type === 'char_literal'
    ) {
      args.push({ kind: 'const', text: c.type === 'block' ? c.text.slice(1, -1).trim() : c.text });
    } else if (
      c.type === 'trait_bounds' ||
      c.type === 'line_comment' ||
      c.type === 'block_comment'
    ) {
      continue;
    } else args.push({ kind: 'type', type: typeExprOf(c) });
  }
  return args;
}

function unknownType(text: string): TypeExpr {
  return { kind: 'unknown', text: normText(text) };
}

// MAX_TYPE_DEPTH and TOO_DEEP: see ../limits.ts (the layout engine uses them too).
let typeDepth = 0;

/**
 * A long type's text normalised once, for all its levels: each nested node's text is a slice of
 * it (normalising is local, so a node's own text normalises to the same characters). Else each
 * level normalised its whole text again: quadratic in nesting (10,000-deep `(((u8,),),)`, 1.2 s).
 */
let outer: { base: number; text: string; start: Int32Array; end: Int32Array } | undefined;
const LONG_TYPE = 2_000;

function normTextOf(node: SyntaxNode): string {
  if (outer) {
    const s = node.startIndex - outer.base;
    const e = node.endIndex - outer.base;
    if (s >= 0 && e > s && e <= outer.start.length)
      return outer.text.slice(outer.start[s], outer.end[e - 1]);
  }
  return normText(node.text);
}

/** Convert a type node to a `TypeExpr`. Never throws: unrecognised syntax becomes `unknown`. */
export function typeExprOf(node: SyntaxNode): TypeExpr {
  if (typeDepth >= MAX_TYPE_DEPTH)
    return { kind: 'unknown', text: normTextOf(node), error: TOO_DEEP };
  const prev = outer;
  if (typeDepth === 0) {
    outer = undefined;
    const raw = node.text;
    if (raw.length > LONG_TYPE) {
      const at = { start: new Int32Array(raw.length), end: new Int32Array(raw.length) };
      outer = { base: node.startIndex, text: normalize(raw, at), ...at };
    }
  }
  typeDepth++;
  try {
    return typeExprAt(node);
  } finally {
    typeDepth--;
    outer = prev;
  }
}

function typeExprAt(node: SyntaxNode): TypeExpr {
  const text = normTextOf(node);
  switch (node.type) {
    case 'primitive_type':
    case 'type_identifier':
    case 'scoped_type_identifier':
    case 'scoped_identifier':
    case 'identifier': {
      if (node.text === '_') return unknownType('_');
      const segments: PathSegment[] = [];
      const r = pathSegmentsOf(node, segments);
      return { kind: 'path', segments, global: r.global, qself: r.qself, text };
    }
    case 'generic_type':
    case 'generic_type_with_turbofish': {
      const t = node.childForFieldName('type');
      const segments: PathSegment[] = [];
      const r = t ? pathSegmentsOf(t, segments) : { global: false };
      const args = node.childForFieldName('type_arguments');
      if (args && segments.length > 0) segments[segments.length - 1].args = genericArgsOf(args);
      return {
        kind: 'path',
        segments,
        global: r.global,
        qself: (r as { qself?: TypeExpr }).qself,
        text,
      };
    }
    case 'reference_type': {
      const inner = node.childForFieldName('type');
      const mutable = node.namedChildren.some(c => c.type === 'mutable_specifier');
      return { kind: 'ref', mutable, inner: inner ? typeExprOf(inner) : unknownType(''), text };
    }
    case 'pointer_type': {
      const inner = node.childForFieldName('type');
      const mutable = node.namedChildren.some(c => c.type === 'mutable_specifier');
      return { kind: 'ptr', mutable, inner: inner ? typeExprOf(inner) : unknownType(''), text };
    }
    case 'array_type': {
      const elemNode = node.childForFieldName('element');
      const len = node.childForFieldName('length');
      const elem = elemNode ? typeExprOf(elemNode) : unknownType('');
      if (!len) return { kind: 'slice', elem, text };
      return {
        kind: 'array',
        elem,
        len: normText(len.type === 'block' ? len.text.slice(1, -1).trim() : len.text),
        text,
      };
    }
    case 'tuple_type': {
      const elems = node.namedChildren.filter(isTypeNode).map(typeExprOf);
      // `(dyn A + B)` is a parenthesised type, not a 1-tuple (that needs a trailing comma).
      if (elems.length === 1 && !/,\s*\)$/.test(node.text)) return elems[0];
      return { kind: 'tuple', elems, text };
    }
    case 'unit_type':
      return { kind: 'tuple', elems: [], text: '()' };
    case 'never_type':
      return { kind: 'never', text: '!' };
    case 'function_type':
      // `Fn(u8) -> u8` sugar inside `dyn`/`impl` also parses as function_type with a `trait` field.
      if (node.childForFieldName('trait'))
        return {
          kind: 'path',
          segments: [{ name: node.childForFieldName('trait')!.text, args: [] }],
          global: false,
          text,
        };
      return { kind: 'fnptr', text };
    case 'dynamic_type': {
      const tr = node.childForFieldName('trait');
      return { kind: 'dyn', traits: tr ? [typeExprOf(tr)] : [], text };
    }
    case 'abstract_type': {
      const tr = node.childForFieldName('trait');
      return { kind: 'impl', traits: tr ? [typeExprOf(tr)] : [], text };
    }
    case 'bounded_type': {
      // `dyn A + B + 'a`: the left-most part decides (dyn/impl), the rest are extra bounds.
      const parts = flattenBounded(node);
      const first = parts[0] ? typeExprOf(parts[0]) : unknownType(text);
      const extra = parts
        .slice(1)
        .filter(p => p.type !== 'lifetime')
        .map(typeExprOf);
      if (first.kind === 'dyn') return { kind: 'dyn', traits: [...first.traits, ...extra], text };
      if (first.kind === 'impl') return { kind: 'impl', traits: [...first.traits, ...extra], text };
      // Edition-2015 bare trait objects `Box<Error + Send>`.
      return { kind: 'dyn', traits: [first, ...extra], text };
    }
    case 'parenthesized_type':
    case 'bracketed_type':
      return node.namedChildren[0] ? typeExprOf(node.namedChildren[0]) : unknownType(text);
    default:
      return unknownType(text);
  }
}

function flattenBounded(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const c of node.namedChildren) {
    if (c.type === 'bounded_type') out.push(...flattenBounded(c));
    else out.push(c);
  }
  return out;
}

const NON_TYPE = new Set([
  'line_comment',
  'block_comment',
  'attribute_item',
  'visibility_modifier',
  'lifetime',
]);
export function isTypeNode(n: SyntaxNode): boolean {
  return !NON_TYPE.has(n.type);
}

/** Parse an attribute from its text (`#[repr(C, u8)]`, `#![allow(x)]`, `#[path = "a.rs"]`). */
export function attributeFromText(text: string, span: Span): Attribute | undefined {
  const m = /^#(!?)\[\s*([\w:]+)\s*([\s\S]*)\]$/.exec(text.trim());
  if (!m) return undefined;
  let rest = m[3].trim();
  if (rest.startsWith('(') && rest.endsWith(')')) rest = rest.slice(1, -1).trim();
  else if (rest.startsWith('[') && rest.endsWith(']')) rest = rest.slice(1, -1).trim();
  else if (rest.startsWith('{') && rest.endsWith('}')) rest = rest.slice(1, -1).trim();
  else if (rest.startsWith('=')) rest = rest.slice(1).trim();
  return { name: m[2].replace(/\s+/g, ''), args: rest, inner: m[1] === '!', span };
}

/** Parse one `attribute_item` / `inner_attribute_item` node. */
export function attributeOf(node: SyntaxNode, base: SpanBase): Attribute | undefined {
  const attr = node.namedChildren.find(c => c.type === 'attribute');
  if (!attr) return undefined;
  const pathNode = attr.namedChildren[0];
  const name = pathNode ? pathNode.text.replace(/\s+/g, '') : '';
  let args = '';
  const tt = attr.childForFieldName('arguments');
  const value = attr.childForFieldName('value');
  if (tt) args = tt.text.slice(1, -1).trim();
  else if (value) args = value.text;
  return { name, args, inner: node.type === 'inner_attribute_item', span: spanOf(node, base) };
}

/** Split attribute args at top-level commas: `C, align(8)` -> [`C`, `align(8)`]. */
export function splitTopLevel(text: string, sep = ','): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(' || ch === '[' || ch === '{' || ch === '<') depth++;
    else if (ch === ')' || ch === ']' || ch === '}' || ch === '>') depth--;
    if (ch === sep && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const INT_TYPES = new Set([
  'u8',
  'u16',
  'u32',
  'u64',
  'u128',
  'usize',
  'i8',
  'i16',
  'i32',
  'i64',
  'i128',
  'isize',
]);

export function reprOf(attrs: Attribute[]): Repr {
  const repr: Repr = { c: false, transparent: false };
  for (const a of attrs) {
    if (a.name !== 'repr') continue;
    for (const part of splitTopLevel(a.args)) {
      const m = /^(\w+)\s*(?:\(\s*(\d+)\s*\))?$/.exec(part);
      if (!m) continue;
      const [, key, n] = m;
      if (key === 'C') repr.c = true;
      else if (key === 'transparent') repr.transparent = true;
      else if (key === 'packed') repr.packed = n ? Number(n) : 1;
      // No floor of 1: `align(0)` must reach the validation (rustc: not a power of two).
      else if (key === 'align' && n) repr.align = Math.max(repr.align ?? 0, Number(n));
      else if (INT_TYPES.has(key)) repr.int = key;
    }
  }
  return repr;
}

/** Generic parameters of an item, including `?Sized` bounds given in the where clause. */
export function genericsOf(item: SyntaxNode): GenericParam[] {
  const tp = item.childForFieldName('type_parameters');
  const params: GenericParam[] = [];
  if (!tp) return params;
  for (const c of tp.namedChildren) {
    if (c.type === 'lifetime' || c.type === 'lifetime_parameter') {
      params.push({ kind: 'lifetime', name: c.text.split(':')[0].trim(), bounds: [] });
    } else if (c.type === 'const_parameter') {
      const name = c.childForFieldName('name')?.text ?? '';
      const value = c.childForFieldName('value');
      params.push({
        kind: 'const',
        name,
        bounds: [],
        defaultConst: value ? value.text.replace(/^\{|\}$/g, '').trim() : undefined,
      });
    } else if (
      c.type === 'type_parameter' ||
      c.type === 'type_identifier' ||
      c.type === 'constrained_type_parameter' ||
      c.type === 'optional_type_parameter'
    ) {
      const nameNode =
        c.childForFieldName('name') ?? (c.type === 'type_identifier' ? c : c.namedChildren[0]);
      const name = nameNode?.text ?? '';
      const boundsNode =
        c.childForFieldName('bounds') ?? c.namedChildren.find(n => n.type === 'trait_bounds');
      const bounds = boundsNode ? boundsNode.namedChildren.map(b => b.text) : [];
      const def = c.childForFieldName('default_type');
      params.push({
        kind: 'type',
        name,
        bounds,
        maybeUnsized: bounds.some(b => /^\?\s*Sized$/.test(b)),
        defaultType: def ? typeExprOf(def) : undefined,
      });
    }
  }
  const where = item.namedChildren.find(c => c.type === 'where_clause');
  if (where) {
    for (const pred of where.namedChildren) {
      const left = pred.childForFieldName('left');
      const bounds = pred.childForFieldName('bounds');
      const p = params.find(x => x.kind === 'type' && x.name === left?.text);
      if (p && bounds) {
        for (const b of bounds.namedChildren) {
          p.bounds.push(b.text);
          if (/^\?\s*Sized$/.test(b.text)) p.maybeUnsized = true;
        }
      }
    }
  }
  return params;
}
