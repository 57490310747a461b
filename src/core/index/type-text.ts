/**
 * A small recursive-descent parser for Rust type syntax, working on source text. The index uses
 * it instead of walking each type's syntax subtree through the tree-sitter binding: one
 * `slice()` of the file text is far cheaper than dozens of native node accesses, and keeps
 * whole-crate indexing close to bare parse time. `typeExprOf` (tree-based) remains the reference
 * and a test checks both agree on every type of a real crate.
 */
import type { GenericArg, PathSegment, TypeExpr } from '../model';
import { normText } from './syntax';
import { MAX_TYPE_DEPTH } from '../limits';
import type { Tok } from './tokens';
import { tokenize } from './tokens';

export { tokenize, type Tok } from './tokens';

/**
 * A cursor over tokens with the recursive-descent type grammar; throws on anything else,
 * including types nested MAX_TYPE_DEPTH deep (the tree path then reports them, see syntax.ts).
 */
export class P {
  i = 0;
  private depth = 0;
  constructor(
    readonly src: string,
    readonly toks: Tok[],
  ) {}
  peek(k = 0): string | undefined {
    return this.toks[this.i + k]?.t;
  }
  next(): Tok {
    return this.toks[this.i++];
  }
  eat(t: string): boolean {
    if (this.peek() === t) {
      this.i++;
      return true;
    }
    // `>>` and `>=` never reach here: the tokenizer emits single `>`.
    return false;
  }
  textFrom(startTok: number): string {
    const a = this.toks[startTok];
    const b = this.toks[this.i - 1];
    if (!a || !b) return '';
    return normText(this.src.slice(a.s, b.e));
  }
  fail(): never {
    throw new Error('unparsable type');
  }

  type(): TypeExpr {
    const start = this.i;
    const first = this.bound();
    if (this.peek() === '+') {
      const traits = [first];
      while (this.eat('+')) {
        if (this.peek()?.startsWith("'")) {
          this.next();
          continue;
        }
        traits.push(this.bound());
      }
      const text = this.textFrom(start);
      if (first.kind === 'dyn')
        return { kind: 'dyn', traits: [...first.traits, ...traits.slice(1)], text };
      if (first.kind === 'impl')
        return { kind: 'impl', traits: [...first.traits, ...traits.slice(1)], text };
      return { kind: 'dyn', traits, text };
    }
    return first;
  }

  /** One type without a trailing `+ Bound` list. */
  bound(): TypeExpr {
    if (this.depth >= MAX_TYPE_DEPTH - 1) this.fail();
    this.depth++;
    try {
      return this.boundAt();
    } finally {
      this.depth--;
    }
  }

  private boundAt(): TypeExpr {
    const start = this.i;
    const t = this.peek();
    if (t === undefined) this.fail();
    if (t === '&') {
      this.next();
      if (this.peek()?.startsWith("'")) this.next();
      const mutable = this.eat('mut');
      const inner = this.bound();
      return { kind: 'ref', mutable, inner, text: this.textFrom(start) };
    }
    if (t === '*') {
      this.next();
      const kw = this.next().t;
      if (kw !== 'const' && kw !== 'mut') this.fail();
      const inner = this.bound();
      return { kind: 'ptr', mutable: kw === 'mut', inner, text: this.textFrom(start) };
    }
    if (t === '[') {
      this.next();
      const elem = this.type();
      if (this.eat(']')) return { kind: 'slice', elem, text: this.textFrom(start) };
      if (!this.eat(';')) this.fail();
      const lenStart = this.i;
      let depth = 0;
      while (this.peek() !== undefined && !(depth === 0 && this.peek() === ']')) {
        const x = this.next().t;
        if (x === '[' || x === '(' || x === '{') depth++;
        else if (x === ']' || x === ')' || x === '}') depth--;
      }
      let len = this.textFrom(lenStart);
      if (!this.eat(']')) this.fail();
      if (len.startsWith('{') && len.endsWith('}')) len = len.slice(1, -1).trim();
      return { kind: 'array', elem, len, text: this.textFrom(start) };
    }
    if (t === '(') {
      this.next();
      const elems: TypeExpr[] = [];
      let trailingComma = false;
      while (!this.eat(')')) {
        elems.push(this.type());
        trailingComma = this.eat(',');
        if (!trailingComma && this.peek() !== ')') this.fail();
      }
      const text = this.textFrom(start);
      if (elems.length === 1 && !trailingComma) return elems[0];
      return { kind: 'tuple', elems, text: elems.length === 0 ? '()' : text };
    }
    if (t === '!') {
      this.next();
      return { kind: 'never', text: '!' };
    }
    if (t === '_') {
      this.next();
      return { kind: 'unknown', text: '_' };
    }
    if (t === 'dyn' || t === 'impl') {
      this.next();
      const tr = this.traitBound();
      const traits = [tr];
      // `impl A + B` / `dyn A + B` continue in type(); keep only the first here.
      return t === 'dyn'
        ? { kind: 'dyn', traits, text: this.textFrom(start) }
        : { kind: 'impl', traits, text: this.textFrom(start) };
    }
    if (t === 'for') {
      this.skipForLifetimes();
      return this.bound();
    }
    if (t === 'fn' || t === 'unsafe' || t === 'extern') {
      while (this.peek() === 'unsafe' || this.peek() === 'extern' || this.peek()?.startsWith('"'))
        this.next();
      if (!this.eat('fn')) this.fail();
      this.skipBalanced('(', ')');
      if (this.eat('->')) this.bound();
      return { kind: 'fnptr', text: this.textFrom(start) };
    }
    if (t === '<') {
      // `<T as Trait>::Assoc`
      this.next();
      const qself = this.type();
      const segments: PathSegment[] = [];
      if (this.eat('as')) segments.push(...this.path().segments);
      if (!this.eat('>')) this.fail();
      while (this.eat('::')) segments.push(this.segment());
      return { kind: 'path', segments, global: false, qself, text: this.textFrom(start) };
    }
    if (t === '?') {
      this.next();
      return this.bound();
    }
    if (/^[A-Za-z_]/.test(t) || t === '::') {
      const p = this.path();
      // Macro in type position: `m!(...)`.
      if (this.peek() === '!') {
        this.next();
        const open = this.peek();
        if (open === '(' || open === '[' || open === '{')
          this.skipBalanced(open, open === '(' ? ')' : open === '[' ? ']' : '}');
        return { kind: 'unknown', text: this.textFrom(start) };
      }
      return p;
    }
    return this.fail();
  }

  traitBound(): TypeExpr {
    if (this.peek() === '?') this.next();
    if (this.peek() === 'for') this.skipForLifetimes();
    if (this.peek() === '(') {
      this.next();
      const t = this.traitBound();
      if (!this.eat(')')) this.fail();
      return t;
    }
    return this.path();
  }

  skipForLifetimes(): void {
    this.next();
    this.skipBalanced('<', '>');
  }

  skipBalanced(open: string, close: string): void {
    if (!this.eat(open)) this.fail();
    let depth = 1;
    while (depth > 0) {
      const x = this.next()?.t;
      if (x === undefined) this.fail();
      if (x === open) depth++;
      else if (x === close) depth--;
    }
  }

  path(): Extract<TypeExpr, { kind: 'path' }> {
    const start = this.i;
    const global = this.eat('::');
    const segments: PathSegment[] = [this.segment()];
    while (this.peek() === '::' && this.peek(1) !== '<') {
      this.next();
      segments.push(this.segment());
    }
    if (this.peek() === '::' && this.peek(1) === '<') {
      // Turbofish in a type path: `Foo::<u8>`.
      this.next();
      segments[segments.length - 1].args = this.genericArgs();
    }
    return { kind: 'path', segments, global, text: this.textFrom(start) };
  }

  segment(): PathSegment {
    const tok = this.next();
    if (!tok || !/^[A-Za-z_]|^r#/.test(tok.t)) this.fail();
    const name = tok.t.startsWith('r#') ? tok.t.slice(2) : tok.t;
    if (this.peek() === '<') return { name, args: this.genericArgs() };
    if (this.peek() === '(' && /^Fn(Mut|Once)?$/.test(name)) {
      // `Fn(u8) -> u8` sugar.
      this.skipBalanced('(', ')');
      if (this.eat('->')) this.bound();
      return { name, args: [] };
    }
    return { name, args: [] };
  }

  genericArgs(): GenericArg[] {
    if (!this.eat('<')) this.fail();
    const args: GenericArg[] = [];
    while (!this.eat('>')) {
      const t = this.peek();
      if (t === undefined) this.fail();
      if (t.startsWith("'") && t.length > 1 && !t.endsWith("'")) {
        this.next();
        args.push({ kind: 'lifetime', name: t });
      } else if (t === '{') {
        const s = this.i;
        this.skipBalanced('{', '}');
        args.push({ kind: 'const', text: this.textFrom(s).slice(1, -1).trim() });
      } else if (
        /^\d/.test(t) ||
        t === '-' ||
        t === 'true' ||
        t === 'false' ||
        (t.startsWith("'") && t.endsWith("'") && t.length > 2)
      ) {
        const s = this.i;
        if (t === '-') this.next();
        this.next();
        args.push({ kind: 'const', text: this.textFrom(s) });
      } else if (/^[A-Za-z_]/.test(t) && this.peek(1) === '=') {
        const name = this.next().t;
        this.next();
        args.push({ kind: 'binding', name, type: this.type() });
      } else if (/^[A-Za-z_]/.test(t) && this.peek(1) === ':' && this.peek(2) !== ':') {
        // Associated type bound `Item: Trait`: not a type argument we lay out.
        this.next();
        this.next();
        this.traitBound();
        while (this.eat('+')) this.traitBound();
      } else args.push({ kind: 'type', type: this.type() });
      if (!this.eat(',') && this.peek() !== '>') this.fail();
    }
    return args;
  }
}

function splitShifts(toks: Tok[]): Tok[] {
  // The tokenizer never emits `>>`, `>=` or `<<`: each `<`/`>` is its own token, which is what
  // generic argument lists need.
  return toks;
}

/** Parse the text of a type. Returns undefined when the text is not a type we understand. */
export function parseTypeText(text: string): TypeExpr | undefined {
  const toks = tokenize(text);
  if (!toks || toks.length === 0) return undefined;
  const p = new P(text, splitShifts(toks));
  try {
    const t = p.type();
    return p.i === toks.length ? t : undefined;
  } catch {
    return undefined;
  }
}

/** A parameter parsed from a signature's text; offsets are relative to the signature text. */
export interface ParsedParam {
  pattern: string;
  type?: TypeExpr;
  isSelf: boolean;
  start: number;
  end: number;
}

export interface ParsedGeneric {
  kind: 'type' | 'const' | 'lifetime';
  name: string;
  bounds: string[];
  defaultType?: TypeExpr;
  defaultConst?: string;
}

export interface ParsedSignature {
  visibility: string;
  modifiers: string[];
  name: string;
  generics: ParsedGeneric[];
  params: ParsedParam[];
  returnType?: TypeExpr;
  /** `where T: ?Sized` and similar: param name -> bounds. */
  where: { name: string; bounds: string[] }[];
}

/**
 * Parse a function signature's text (from the visibility or first modifier up to, not including,
 * the body or the `;`). Returns undefined if it does not look like one.
 */
export function parseFnSignature(text: string): ParsedSignature | undefined {
  const toks = tokenize(text);
  if (!toks) return undefined;
  const p = new P(text, toks);
  const slice = (a: number, b: number) => normText(text.slice(toks[a].s, toks[b - 1].e));
  // Bounds as written, like item-text.ts and the tree (fn-signature agreement test).
  const raw = (a: number, b: number) => text.slice(toks[a].s, toks[b - 1].e);
  try {
    let visibility = '';
    if (p.peek() === 'pub') {
      const s = p.i;
      p.next();
      if (p.peek() === '(') p.skipBalanced('(', ')');
      visibility = slice(s, p.i).replace(/\s+/g, '');
    }
    const modifiers: string[] = [];
    while (p.peek() !== 'fn') {
      const t = p.next()?.t;
      if (t === undefined) return undefined;
      if (t !== 'extern' && !t.startsWith('"')) modifiers.push(t);
      else if (t === 'extern') modifiers.push('extern');
    }
    p.next();
    const name = p.next().t;
    const generics = p.peek() === '<' ? parseGenericParams(p, raw) : [];
    if (!p.eat('(')) return undefined;
    const params: ParsedParam[] = [];
    while (!p.eat(')')) {
      while (p.peek() === '#') {
        p.next();
        p.skipBalanced('[', ']');
      }
      const startTok = p.i;
      // Pattern up to the top-level `:` (or the end of the param for `self` forms).
      let depth = 0;
      while (p.peek() !== undefined) {
        const t = p.peek()!;
        if (depth === 0 && (t === ':' || t === ',' || t === ')')) break;
        if (t === '(' || t === '[' || t === '{' || t === '<') depth++;
        else if (t === ')' || t === ']' || t === '}' || t === '>') depth--;
        p.next();
      }
      const pattern = slice(startTok, p.i);
      let type: TypeExpr | undefined;
      if (p.eat(':')) type = p.type();
      params.push({
        pattern,
        type,
        isSelf: /^(&\s*('\w+\s*)?)?(mut\s+)?self$/.test(pattern),
        start: toks[startTok].s,
        end: toks[p.i - 1].e,
      });
      if (!p.eat(',') && p.peek() !== ')') return undefined;
    }
    let returnType: TypeExpr | undefined;
    if (p.eat('->')) returnType = p.type();
    const where = p.eat('where') ? parseWherePredicates(p, raw) : [];
    return { visibility, modifiers, name, generics, params, returnType, where };
  } catch {
    return undefined;
  }
}

/**
 * The predicates of a `where` clause (after the keyword), up to a top-level `{`, `;` or `=` or
 * the end of the tokens: each left-hand side with its `+`-separated bounds.
 */
export function parseWherePredicates(
  p: P,
  slice: (a: number, b: number) => string,
): { name: string; bounds: string[] }[] {
  const out: { name: string; bounds: string[] }[] = [];
  const stop = (t: string | undefined) => t === undefined || t === '{' || t === ';' || t === '=';
  while (!stop(p.peek())) {
    const s = p.i;
    let depth = 0;
    while (p.peek() !== undefined && !(depth === 0 && (p.peek() === ':' || stop(p.peek())))) {
      const t = p.next().t;
      if (t === '<' || t === '(' || t === '[') depth++;
      else if (t === '>' || t === ')' || t === ']') depth--;
    }
    const name = slice(s, p.i);
    if (!p.eat(':')) break;
    const bounds: string[] = [];
    let bs = p.i;
    depth = 0;
    while (p.peek() !== undefined && !(depth === 0 && (p.peek() === ',' || stop(p.peek())))) {
      const t = p.next().t;
      if (t === '<' || t === '(' || t === '[') depth++;
      else if (t === '>' || t === ')' || t === ']') depth--;
      if (depth === 0 && t === '+') {
        bounds.push(slice(bs, p.i - 1));
        bs = p.i;
      }
    }
    if (p.i > bs) bounds.push(slice(bs, p.i));
    out.push({ name, bounds });
    if (!p.eat(',')) break;
  }
  return out;
}

export function parseGenericParams(p: P, slice: (a: number, b: number) => string): ParsedGeneric[] {
  const out: ParsedGeneric[] = [];
  p.next();
  while (!p.eat('>')) {
    const t = p.peek();
    if (t === undefined) p.fail();
    if (t.startsWith("'")) {
      p.next();
      if (p.eat(':')) while (p.peek()?.startsWith("'") || p.peek() === '+') p.next();
      out.push({ kind: 'lifetime', name: t, bounds: [] });
    } else if (t === 'const') {
      p.next();
      const name = p.next().t;
      p.eat(':');
      p.type();
      let defaultConst: string | undefined;
      if (p.eat('=')) {
        const s = p.i;
        if (p.peek() === '{') p.skipBalanced('{', '}');
        else {
          if (p.peek() === '-') p.next();
          p.next();
        }
        defaultConst = slice(s, p.i)
          .replace(/^\{|\}$/g, '')
          .trim();
      }
      out.push({ kind: 'const', name, bounds: [], defaultConst });
    } else {
      const name = p.next().t;
      const bounds: string[] = [];
      if (p.eat(':')) {
        do {
          if (p.peek()?.startsWith("'")) {
            bounds.push(p.next().t);
            continue;
          }
          const s = p.i;
          const q = p.eat('?');
          p.traitBound();
          bounds.push((q ? '?' : '') + slice(q ? s + 1 : s, p.i));
        } while (p.eat('+'));
      }
      let defaultType: TypeExpr | undefined;
      if (p.eat('=')) defaultType = p.type();
      out.push({ kind: 'type', name, bounds, defaultType });
    }
    if (!p.eat(',') && p.peek() !== '>') p.fail();
  }
  return out;
}
