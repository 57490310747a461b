/**
 * Fns from the text of their signatures. Layouts never need a fn's signature (rules and hovers
 * do), so the fast extractor reads only the name and spans at once and parses the rest on first
 * access; the tree path builds fns eagerly, and a test checks both give the same fns.
 */
import { parseRust, type SyntaxNode } from '../parser';
import type { Attribute, FnItem, GenericParam, Span } from '../model';
import { spanAt, type SpanBase } from './syntax';
import { parseFnSignature, type ParsedSignature } from './type-text';
import type { Ctx } from './extract-types';

/** What a signature parse adds to a fn's name and spans. */
type SigParts = Pick<
  FnItem,
  'generics' | 'visibility' | 'params' | 'returnType' | 'isAsync' | 'isConst' | 'isUnsafe'
>;

/** How to read a fn from the tree when its signature text does not parse. */
export interface FnTree {
  node: () => SyntaxNode;
  build: (
    node: SyntaxNode,
    ctx: Ctx,
    attrs: Attribute[],
    docs: string | undefined,
    path: string,
    owner: FnItem['owner'],
    signatureSpan: Span,
    hasBody: boolean,
  ) => FnItem;
}

const FN_NAME = /\bfn\s+((?:r#)?[A-Za-z_]\w*)/;
const UNSIZED = /^\?\s*Sized$/;

/** Where a fn is in the parsed text and what the item walk already knows about it. */
export interface FnTextSource {
  /** Offsets in `ctx.src`: the item, and its body (`bodyStart` -1 without a body). */
  start: number;
  end: number;
  bodyStart: number;
  ctx: Ctx;
  attrs: Attribute[];
  docs: string | undefined;
  /** The fn's path, or how to make it from the name. */
  path: string | ((name: string) => string);
  owner: FnItem['owner'] | undefined;
  /** Reads signatures the text parser does not cover. */
  tree: FnTree;
  /** Parse generics, visibility, params, return type and modifiers on first access. */
  lazy?: boolean;
}

/** A fn from the text of its signature (`start` up to `bodyStart`, or `end` without a body). */
export function fnFromText(src: FnTextSource): FnItem {
  const { start, end, bodyStart, ctx, attrs, docs, path, owner, tree, lazy = false } = src;
  const sigEnd = bodyStart >= 0 ? bodyStart : end;
  const sigText = ctx.src.slice(start, sigEnd).replace(/[\s;]+$/, '');
  const abs = ctx.base.offset + start;
  const signatureSpan = spanAt(ctx.base, abs, abs + sigText.length);
  const hasBody = bodyStart >= 0;
  const named = lazy ? FN_NAME.exec(sigText)?.[1] : undefined;
  const sig = named ? undefined : parseFnSignature(sigText);
  const name = named ?? sig?.name;
  if (name === undefined) {
    const n = tree.node();
    return tree.build(
      n,
      ctx,
      attrs,
      docs,
      typeof path === 'string' ? path : path(n.childForFieldName('name')?.text ?? ''),
      owner,
      signatureSpan,
      hasBody,
    );
  }
  const nameAt = sigText.indexOf(name, sigText.indexOf('fn') + 2);
  const f = new TextFn(
    name,
    typeof path === 'string' ? path : path(name),
    spanAt(ctx.base, abs, ctx.base.offset + end),
    spanAt(ctx.base, abs + nameAt, abs + nameAt + name.length),
    signatureSpan,
    hasBody,
    attrs,
    docs,
    ctx,
    owner,
  );
  if (sig) f.setParts(sigParts(sig, abs, ctx.base));
  else f.defer(sigText, abs, ctx.base, tree.build);
  return f;
}

/**
 * A fn whose signature is parsed when first asked for. The parsed fields are getters on the
 * prototype, so `toJSON` lists every field (as a plain `FnItem` would serialise).
 */
class TextFn implements FnItem {
  readonly kind = 'fn';
  readonly module: string;
  readonly viaMacro: string | undefined;
  #parts: SigParts | undefined;
  #parse: (() => SigParts) | undefined;

  constructor(
    readonly name: string,
    readonly path: string,
    readonly span: Span,
    readonly nameSpan: Span,
    readonly signatureSpan: Span,
    readonly hasBody: boolean,
    readonly attrs: Attribute[],
    readonly docs: string | undefined,
    ctx: Ctx,
    readonly owner: FnItem['owner'],
  ) {
    this.module = ctx.module;
    this.viaMacro = ctx.viaMacro;
  }

  setParts(parts: SigParts): void {
    this.#parts = parts;
  }

  defer(sigText: string, abs: number, base: SpanBase, build: FnTree['build']): void {
    const { attrs, docs, owner, signatureSpan, hasBody } = this;
    const ctx = { module: this.module, viaMacro: this.viaMacro, base };
    this.#parse = () => {
      const sig = parseFnSignature(sigText);
      return sig
        ? sigParts(sig, abs, base)
        : treeParts(sigText, abs, hasBody, ctx, attrs, docs, owner, signatureSpan, build);
    };
  }

  private parts(): SigParts {
    if (!this.#parts) this.#parts = this.#parse!();
    return this.#parts;
  }

  get generics(): GenericParam[] {
    return this.parts().generics;
  }
  get visibility(): string {
    return this.parts().visibility;
  }
  get params(): FnItem['params'] {
    return this.parts().params;
  }
  get returnType(): FnItem['returnType'] {
    return this.parts().returnType;
  }
  get isAsync(): boolean {
    return this.parts().isAsync;
  }
  get isConst(): boolean {
    return this.parts().isConst;
  }
  get isUnsafe(): boolean {
    return this.parts().isUnsafe;
  }

  toJSON(): FnItem {
    const {
      kind,
      name,
      path,
      module,
      span,
      nameSpan,
      attrs,
      viaMacro,
      docs,
      hasBody,
      signatureSpan,
      owner,
    } = this;
    return {
      kind,
      name,
      path,
      module,
      span,
      nameSpan,
      attrs,
      viaMacro,
      docs,
      hasBody,
      signatureSpan,
      owner,
      ...this.parts(),
    };
  }
}

function sigParts(sig: ParsedSignature, abs: number, base: SpanBase): SigParts {
  const generics: GenericParam[] = sig.generics.map(g => ({
    ...g,
    maybeUnsized: g.kind === 'type' ? g.bounds.some(b => UNSIZED.test(b)) : undefined,
  }));
  for (const w of sig.where) {
    const g = generics.find(x => x.kind === 'type' && x.name === w.name);
    if (g) {
      g.bounds.push(...w.bounds);
      if (w.bounds.some(b => UNSIZED.test(b))) g.maybeUnsized = true;
    }
  }
  return {
    generics,
    visibility: sig.visibility,
    params: sig.params.map(p => ({
      pattern: p.pattern,
      type: p.type,
      isSelf: p.isSelf,
      span: spanAt(base, abs + p.start, abs + p.end),
    })),
    returnType: sig.returnType,
    isAsync: sig.modifiers.includes('async'),
    isConst: sig.modifiers.includes('const'),
    isUnsafe: sig.modifiers.includes('unsafe'),
  };
}

/** The signature parsed alone by tree-sitter, for text the signature parser does not read. */
function treeParts(
  sigText: string,
  abs: number,
  hasBody: boolean,
  ctx: Pick<Ctx, 'module' | 'viaMacro' | 'base'>,
  attrs: Attribute[],
  docs: string | undefined,
  owner: FnItem['owner'],
  signatureSpan: Span,
  build: FnTree['build'],
): SigParts {
  const src = sigText + (hasBody ? ' {}' : ';');
  const n = parseRust(src).rootNode.namedChildren.find(
    c => c.type === 'function_item' || c.type === 'function_signature_item',
  );
  if (!n)
    return {
      generics: [],
      visibility: '',
      params: [],
      isAsync: false,
      isConst: false,
      isUnsafe: false,
    };
  const sub: Ctx = {
    ...ctx,
    src,
    base: { ...ctx.base, offset: abs },
    inlineDirs: [],
    out: { items: [], uses: new Map(), mods: [], externCrates: new Map() },
    depth: 0,
  };
  const f = build(n, sub, attrs, docs, '', owner, signatureSpan, hasBody);
  return {
    generics: f.generics,
    visibility: f.visibility,
    params: f.params,
    returnType: f.returnType,
    isAsync: f.isAsync,
    isConst: f.isConst,
    isUnsafe: f.isUnsafe,
  };
}
