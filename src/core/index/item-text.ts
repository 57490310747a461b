/**
 * Parsers for the text of whole items (struct, enum, union, type alias, const, impl and trait
 * headers, `use` trees), on top of the type grammar in `type-text`. The fast extractor uses them
 * on error-free trees so that only item boundaries cross the tree-sitter binding. Each returns
 * undefined (or throws, which callers treat the same) for syntax it does not cover; the caller
 * then falls back to the tree. Offsets are relative to the parsed text.
 */
import type { FieldShape, GenericParam, TypeExpr } from '../model';
import { tokenize } from './tokens';
import { P, parseGenericParams, parseWherePredicates } from './type-text';

/** An offset range in the parsed text. */
export interface Range {
  s: number;
  e: number;
}

export interface TextField extends Range {
  name: string;
  type: TypeExpr;
  attrs: Range[];
}

export interface TextVariant extends Range {
  name: string;
  shape: FieldShape;
  fields: TextField[];
  discriminant?: string;
  attrs: Range[];
}

export interface AdtText {
  keyword: 'struct' | 'enum' | 'union';
  name: Range & { text: string };
  generics: GenericParam[];
  shape: FieldShape;
  fields: TextField[];
  variants: TextVariant[];
}

const IDENT = /^(r#)?[A-Za-z_]\w*$/;
const UNSIZED = /^\?\s*Sized$/;

/** A parser over the tokens of `text`, or undefined when the text does not tokenize. */
function parserFor(text: string): P | undefined {
  const toks = tokenize(text);
  return toks && toks.length > 0 ? new P(text, toks) : undefined;
}

/** Raw source text of tokens [a, b): what a tree node's `.text` gives for the same range. */
function raw(p: P) {
  return (a: number, b: number) => p.src.slice(p.toks[a].s, p.toks[b - 1].e);
}

function ident(p: P): Range & { text: string } {
  const tok = p.next();
  if (!tok || !IDENT.test(tok.t)) p.fail();
  return { s: tok.s, e: tok.e, text: tok.t };
}

function skipVisibility(p: P): void {
  if (p.eat('pub') && p.peek() === '(') p.skipBalanced('(', ')');
}

/** Outer attributes at the cursor: their ranges (inner attributes are not expected here). */
function attributes(p: P): Range[] {
  const out: Range[] = [];
  while (p.peek() === '#') {
    const s = p.next().s;
    if (p.peek() !== '[') p.fail();
    p.skipBalanced('[', ']');
    out.push({ s, e: p.toks[p.i - 1].e });
  }
  return out;
}

/** Generic parameters the way the tree conversion gives them (bounds as raw text). */
function generics(p: P): GenericParam[] {
  if (p.peek() !== '<') return [];
  return parseGenericParams(p, raw(p)).map(g =>
    g.kind === 'type'
      ? {
          kind: 'type',
          name: g.name,
          bounds: g.bounds,
          maybeUnsized: g.bounds.some(b => UNSIZED.test(b)),
          defaultType: g.defaultType,
        }
      : g.kind === 'const'
        ? { kind: 'const', name: g.name, bounds: [], defaultConst: g.defaultConst }
        : { kind: 'lifetime', name: g.name, bounds: [] },
  );
}

/** A `where` clause: each predicate's bounds go to the type parameter it names, as in the tree conversion. */
function whereClause(p: P, params: GenericParam[]): void {
  if (!p.eat('where')) return;
  for (const { name, bounds } of parseWherePredicates(p, raw(p))) {
    const g = params.find(x => x.kind === 'type' && x.name === name);
    if (g) {
      g.bounds.push(...bounds);
      if (bounds.some(b => UNSIZED.test(b))) g.maybeUnsized = true;
    }
  }
}

function namedFields(p: P): TextField[] {
  const fields: TextField[] = [];
  p.next(); // {
  for (;;) {
    const attrs = attributes(p);
    if (p.eat('}')) return fields;
    const s = p.toks[p.i].s;
    skipVisibility(p);
    const name = ident(p);
    if (!p.eat(':')) p.fail();
    const type = p.type();
    fields.push({ name: name.text, type, s, e: p.toks[p.i - 1].e, attrs });
    if (!p.eat(',') && p.peek() !== '}') p.fail();
  }
}

function tupleFields(p: P): TextField[] {
  const fields: TextField[] = [];
  p.next(); // (
  for (;;) {
    const attrs = attributes(p);
    if (p.eat(')')) return fields;
    skipVisibility(p);
    const s = p.toks[p.i].s;
    const type = p.type();
    fields.push({ name: String(fields.length), type, s, e: p.toks[p.i - 1].e, attrs });
    if (!p.eat(',') && p.peek() !== ')') p.fail();
  }
}

function variants(p: P): TextVariant[] {
  const out: TextVariant[] = [];
  if (!p.eat('{')) p.fail();
  for (;;) {
    const attrs = attributes(p);
    if (p.eat('}')) return out;
    const name = ident(p);
    let shape: FieldShape = 'unit';
    let fields: TextField[] = [];
    if (p.peek() === '{') {
      shape = 'named';
      fields = namedFields(p);
    } else if (p.peek() === '(') {
      shape = 'tuple';
      fields = tupleFields(p);
    }
    let discriminant: string | undefined;
    if (p.eat('=')) {
      const s = p.i;
      let depth = 0;
      while (p.peek() !== undefined && !(depth === 0 && (p.peek() === ',' || p.peek() === '}'))) {
        const t = p.next().t;
        if (t === '(' || t === '[' || t === '{') depth++;
        else if (t === ')' || t === ']' || t === '}') depth--;
      }
      if (p.i === s) p.fail();
      discriminant = raw(p)(s, p.i);
    }
    out.push({
      name: name.text,
      shape,
      fields,
      discriminant,
      s: name.s,
      e: p.toks[p.i - 1].e,
      attrs,
    });
    if (!p.eat(',') && p.peek() !== '}') p.fail();
  }
}

/** `[pub] struct|enum|union Name<G> [where ..] { .. } | ( .. ) [where ..]; | ;` */
export function parseAdtText(text: string): AdtText | undefined {
  const p = parserFor(text);
  if (!p) return undefined;
  try {
    skipVisibility(p);
    const keyword = p.next().t;
    if (keyword !== 'struct' && keyword !== 'enum' && keyword !== 'union') return undefined;
    const name = ident(p);
    const params = generics(p);
    whereClause(p, params);
    const adt: AdtText = {
      keyword,
      name,
      generics: params,
      shape: 'unit',
      fields: [],
      variants: [],
    };
    if (keyword === 'enum') adt.variants = variants(p);
    else if (p.peek() === '{') {
      adt.shape = 'named';
      adt.fields = namedFields(p);
    } else if (p.peek() === '(' && keyword === 'struct') {
      adt.shape = 'tuple';
      adt.fields = tupleFields(p);
      whereClause(p, params);
      if (!p.eat(';')) return undefined;
    } else if (!p.eat(';')) return undefined;
    return p.i === p.toks.length ? adt : undefined;
  } catch {
    return undefined;
  }
}

export interface AliasText {
  name: Range & { text: string };
  generics: GenericParam[];
  target?: TypeExpr;
}

/** `[pub] type Name<G> [where ..] = Type [where ..];` (also associated types with bounds). */
export function parseTypeAliasText(text: string): AliasText | undefined {
  const p = parserFor(text);
  if (!p) return undefined;
  try {
    skipVisibility(p);
    if (p.next().t !== 'type') return undefined;
    const name = ident(p);
    const params = generics(p);
    if (p.eat(':')) {
      // Bounds of an associated type: `type Item: Clone + Send;`
      while (
        p.peek() !== undefined &&
        p.peek() !== '=' &&
        p.peek() !== ';' &&
        p.peek() !== 'where'
      ) {
        if (p.peek() === '<') p.skipBalanced('<', '>');
        else if (p.peek() === '(') p.skipBalanced('(', ')');
        else p.next();
      }
    }
    whereClause(p, params);
    let target: TypeExpr | undefined;
    if (p.eat('=')) target = p.type();
    whereClause(p, params);
    if (!p.eat(';') || p.i !== p.toks.length) return undefined;
    return { name, generics: params, target };
  } catch {
    return undefined;
  }
}

export interface ConstText {
  name: Range & { text: string };
  type?: TypeExpr;
  value?: string;
}

/** `[pub] const NAME: Type [= value];` and `[pub] static [mut] NAME: Type = value;` */
export function parseConstText(text: string): ConstText | undefined {
  const p = parserFor(text);
  if (!p) return undefined;
  try {
    skipVisibility(p);
    const kw = p.next().t;
    if (kw !== 'const' && kw !== 'static') return undefined;
    if (kw === 'static') p.eat('mut');
    const name = ident(p);
    let type: TypeExpr | undefined;
    if (p.eat(':')) type = p.type();
    let value: string | undefined;
    if (p.eat('=')) {
      const last = p.toks.length - 1;
      if (p.toks[last].t !== ';' || p.i >= last) return undefined;
      value = raw(p)(p.i, last);
    } else if (!p.eat(';') || p.i !== p.toks.length) return undefined;
    return { name, type, value };
  } catch {
    return undefined;
  }
}

export interface ImplHeaderText {
  generics: GenericParam[];
  trait?: TypeExpr;
  negative: boolean;
  selfType: TypeExpr;
  /** Range of the self type (the impl's name span). */
  self: Range;
}

/** The header of an impl, from `unsafe`/`impl` up to (not including) its body. */
export function parseImplHeaderText(text: string): ImplHeaderText | undefined {
  const p = parserFor(text);
  if (!p) return undefined;
  try {
    p.eat('unsafe');
    if (!p.eat('impl')) return undefined;
    const params = generics(p);
    const negative = p.eat('!');
    let start = p.i;
    let first = p.type();
    let trait: TypeExpr | undefined;
    if (p.eat('for')) {
      trait = first;
      start = p.i;
      first = p.type();
    } else if (negative) return undefined;
    const self = { s: p.toks[start].s, e: p.toks[p.i - 1].e };
    whereClause(p, params);
    if (p.i !== p.toks.length) return undefined;
    return { generics: params, trait, negative, selfType: first, self };
  } catch {
    return undefined;
  }
}

export interface TraitHeaderText {
  name: Range & { text: string };
  generics: GenericParam[];
}

/** The header of a trait, from its visibility up to (not including) its body. */
export function parseTraitHeaderText(text: string): TraitHeaderText | undefined {
  const p = parserFor(text);
  if (!p) return undefined;
  try {
    skipVisibility(p);
    while (p.peek() === 'unsafe' || p.peek() === 'auto') p.next();
    if (!p.eat('trait')) return undefined;
    const name = ident(p);
    const params = generics(p);
    if (p.eat(':')) {
      let depth = 0;
      while (p.peek() !== undefined && !(depth === 0 && p.peek() === 'where')) {
        const t = p.next().t;
        if (t === '<' || t === '(' || t === '[') depth++;
        else if (t === '>' || t === ')' || t === ']') depth--;
      }
    }
    whereClause(p, params);
    if (p.i !== p.toks.length) return undefined;
    return { name, generics: params };
  } catch {
    return undefined;
  }
}

export interface UseText {
  path: string[];
  alias: string;
  glob: boolean;
}

/** `[pub] use a::{b as c, d::*, self};` flattened to one entry per imported name. */
export function parseUseText(text: string): UseText[] | undefined {
  const p = parserFor(text);
  if (!p) return undefined;
  const out: UseText[] = [];
  const push = (path: string[], alias: string, glob = false) => {
    if (path.length > 0) out.push({ path, alias, glob });
  };
  const tree = (prefix: string[]): void => {
    if (p.peek() === '{') {
      p.next();
      while (!p.eat('}')) {
        tree(prefix);
        if (!p.eat(',') && p.peek() !== '}') p.fail();
      }
      return;
    }
    const path: string[] = [];
    p.eat('::');
    for (;;) {
      if (p.peek() === '*') {
        p.next();
        push([...prefix, ...path], '*', true);
        return;
      }
      if (p.peek() === '{') {
        tree([...prefix, ...path]);
        return;
      }
      path.push(ident(p).text);
      if (!p.eat('::')) break;
    }
    const full = [...prefix, ...path];
    if (full[full.length - 1] === 'self' && full.length > 1) full.pop();
    push(full, p.eat('as') ? ident(p).text : full[full.length - 1]);
  };
  try {
    skipVisibility(p);
    if (!p.eat('use')) return undefined;
    tree([]);
    if (!p.eat(';') || p.i !== p.toks.length) return undefined;
    return out;
  } catch {
    return undefined;
  }
}
