/**
 * `large-error`: a function (or a closure with a declared return type) returning `Result<T, E>`
 * whose `E` is at least `large-error-threshold` bytes (clippy `result_large_err`). Every return
 * moves the whole `Result`, whose size is at least that of `E`, even on the happy path.
 */
import type { EnumItem, FnItem, TypeExpr } from '../model';
import type { SyntaxNode } from '../parser';
import { spanOf } from '../index/syntax';
import { parseTypeText } from '../index/type-text';
import {
  commentAllows,
  fileLines,
  fmt,
  isAllowed,
  rangeOf,
  wanted,
  wantedItems,
  type RuleContext,
  type RuleModule,
} from './context';
import { errPartOf, type ErrPart } from './result-type';
import { fnScan } from './locals';
import type { Finding, Fix, Range, RelatedInfo } from './types';
import { boxVariantFix } from '../fixes/box-variant';
import { boxErrorFix } from '../fixes/box-error';

type LargeErrorFinding = Extract<Finding, { code: 'large-error' }>;

/** What clippy compares: for an enum, its largest variant's field bytes (generic args bound). */
function measuredErr(part: ErrPart): number {
  const vs = part.err.variants;
  return vs && vs.length
    ? vs.reduce((m, v) => Math.max(m, v.fieldsSize), -Infinity)
    : part.err.size;
}

function okSize(ctx: RuleContext, part: ErrPart, module: string): number {
  const ret = part.resultExpr;
  if (ret?.kind !== 'path') return 0;
  const ok = ret.segments[ret.segments.length - 1].args.find(a => a.kind === 'type');
  if (!ok || ok.kind !== 'type') return 0;
  const l = ctx.engine.evalType(ok.type, { module, types: new Map(), consts: new Map() });
  return l.error ? 0 : l.size;
}

function finding(
  ctx: RuleContext,
  part: ErrPart,
  range: Range,
  fnName: string,
  module: string,
  fixes: Fix[],
  closure: boolean,
): LargeErrorFinding {
  const threshold = ctx.settings.largeErrorThreshold;
  const atLeast = part.err.status === 'exact' ? '' : 'at least ';
  const errName = part.errExpr.text;
  const ok = okSize(ctx, part, module);
  const notes = [
    `every \`${part.resultText}\` returned by ${closure ? 'this closure' : `\`${fnName}\``} is ${atLeast}${fmt(part.result.size)} bytes, copied on every return, \`Ok\` or not`,
  ];
  if (part.err.largest) notes.push(`largest contributor: \`${part.err.largest}\``);
  // Boxing `E` leaves a Result of about max(Ok, 8) bytes plus a tag: say so when Ok is large too.
  if (ok >= threshold || ok * 4 >= part.err.size * 3)
    notes.push(
      `the \`Ok\` type is ${fmt(ok)} bytes too, so boxing the error shrinks the \`Result\` only to about ${fmt(ok + 8)} bytes: shrink or box the \`Ok\` value as well`,
    );
  else
    notes.push(
      `box the large part of \`${errName}\` or return \`Result<_, Box<${errName}>>\` (threshold ${fmt(threshold)} bytes)`,
    );
  const related: RelatedInfo[] = [];
  if (part.errItem)
    related.push({
      range: rangeOf(part.errItem.nameSpan),
      message: `\`${part.errItem.name}\` is defined here (${atLeast}${fmt(part.err.size)} bytes)`,
    });
  if (fixes.length > 0) fixes[0].preferred = true;
  return {
    code: 'large-error',
    severity: 'warning',
    message: `the \`Err\` type of this \`Result\` is ${atLeast}${fmt(part.err.size)} bytes`,
    notes,
    range,
    related,
    fixes,
    data: {
      errSize: part.err.size,
      resultSize: part.result.size,
      okSize: ok,
      threshold,
      exact: part.err.status === 'exact',
      errType: errName,
      errPath: part.errItem?.path,
      fn: fnName,
      ...(closure ? { closure } : {}),
    },
  };
}

/**
 * `fn into_inner(self) -> Result<W, IntoInnerError<Self>>`, `fn close(self) -> Result<(), (Self,
 * Error)>`: a method that consumes `self` and hands it back on failure, so the caller can retry
 * or recover it. The `Err` is as large as the value passed in by design (std's
 * `BufWriter::into_inner` has this shape), such a method runs once per object, and boxing would
 * allocate on every failure to save one copy.
 */
function givesSelfBack(fn: FnItem, part: ErrPart): boolean {
  if (!fn.params.some(p => p.isSelf && !p.type && /^(mut\s+)?self$/.test(p.pattern))) return false;
  const self =
    fn.owner?.selfType?.kind === 'path'
      ? fn.owner.selfType.segments[fn.owner.selfType.segments.length - 1].name
      : undefined;
  const names = new Set(['Self', ...(self ? [self] : [])]);
  const walk = (t: TypeExpr): boolean => {
    if (t.kind === 'path')
      return t.segments.some(
        sg => names.has(sg.name) || sg.args.some(a => a.kind === 'type' && walk(a.type)),
      );
    if (t.kind === 'tuple') return t.elems.some(walk);
    return false;
  };
  return walk(part.errExpr);
}

/** Whether a Result's error part is reported at all (size, ignore list). */
function isLarge(ctx: RuleContext, part: ErrPart | undefined): part is ErrPart {
  if (!part || part.err.uninhabited || part.err.error) return false;
  if (measuredErr(part) < ctx.settings.largeErrorThreshold) return false;
  return !(part.errItem && ctx.settings.largeErrorIgnored.includes(part.errItem.path));
}

export function largeError(ctx: RuleContext): LargeErrorFinding[] {
  const out: LargeErrorFinding[] = [];
  for (const item of wantedItems(ctx)) {
    if (item.kind !== 'fn' || !wanted(ctx, item.span.file)) continue;
    const fn = item as FnItem;
    // Like clippy, trait impl methods are reported at the trait declaration, not at each impl.
    const implOfTrait = fn.owner?.kind === 'impl' && !!fn.owner.traitName;
    if (!implOfTrait && fn.returnType) {
      const part = errPartOf(ctx, fn.returnType, fn.module, fn);
      if (isLarge(ctx, part) && !givesSelfBack(fn, part) && !isAllowed(ctx, fn, 'large-error')) {
        const fixes: Fix[] = [];
        const errEnum =
          part.errItem?.kind === 'enum' && part.errItem.generics.every(g => g.kind === 'lifetime')
            ? (part.errItem as EnumItem)
            : undefined;
        if (errEnum) {
          const f = boxVariantFix(ctx, errEnum, ctx.settings.largeErrorThreshold - 1, true);
          if (f) fixes.push(f);
        }
        const be = boxErrorFix(ctx, fn, part);
        if (be) fixes.push(be);
        out.push(finding(ctx, part, rangeOf(fn.nameSpan), fn.name, fn.module, fixes, false));
      }
    }
    out.push(...closures(ctx, fn));
  }
  return out;
}

/** Whether `node` is in tail position of `body`: its value is what the fn returns. */
function inTail(node: SyntaxNode, body: SyntaxNode): boolean {
  let n = node;
  for (let p = n.parent; p; n = p, p = p.parent) {
    if (p.id === body.id) return p.lastNamedChild?.id === n.id;
    if (p.type === 'return_expression') return true;
    if (p.type === 'block' && p.lastNamedChild?.id !== n.id) return false;
    // A trailing `match`/`if` without `;` is an expression_statement in tree-sitter's grammar.
    if (p.type === 'expression_statement' && p.text.trimEnd().endsWith(';')) return false;
    if (
      ![
        'expression_statement',
        'match_arm',
        'match_block',
        'match_expression',
        'block',
        'if_expression',
        'else_clause',
        'parenthesized_expression',
      ].includes(p.type)
    )
      return false;
    if (p.type === 'match_expression' && p.childForFieldName('value')?.id === n.id) return false;
    if (p.type === 'if_expression' && p.childForFieldName('condition')?.id === n.id) return false;
  }
  return false;
}

/**
 * The `Result` type of a closure without a declared return type, when rustc would infer the
 * fn's own: `let f = |..| Ok(..)` whose calls are the fn's return value (`match c { 'a' => f(..) }`).
 */
function inferredResult(fn: FnItem, c: SyntaxNode, body: SyntaxNode, nodes: SyntaxNode[]): boolean {
  const let_ = c.parent;
  if (let_?.type !== 'let_declaration' || !fn.returnType) return false;
  const name = let_.childForFieldName('pattern');
  const cb = c.childForFieldName('body');
  const tail = cb?.type === 'block' ? cb.lastNamedChild : cb;
  if (name?.type !== 'identifier' || !tail || !/^(Ok|Err)\s*\(/.test(tail.text)) return false;
  const calls = nodes.filter(
    n => n.type === 'call_expression' && n.childForFieldName('function')?.text === name.text,
  );
  return calls.length > 0 && calls.some(call => inTail(call, body));
}

/** Replace names of fn-local `type X = ..;` aliases (the index keeps only module items). */
function withLocalAliases(te: TypeExpr, body: SyntaxNode): TypeExpr {
  if (!body.text.includes('type ')) return te;
  const aliases = new Map<string, string>();
  for (const t of body.descendantsOfType('type_item')) {
    const name = t.childForFieldName('name')?.text;
    const ty = t.childForFieldName('type')?.text;
    if (name && ty && !t.childForFieldName('type_parameters')) aliases.set(name, ty);
  }
  if (aliases.size === 0) return te;
  const text = te.text.replace(/\b[A-Za-z_]\w*\b/g, w => aliases.get(w) ?? w);
  return text === te.text ? te : (parseTypeText(text) ?? te);
}

/** Closures returning `Result` (a declared `-> Result<..>`, or the fn's own, inferred): clippy lints them too. */
function closures(ctx: RuleContext, fn: FnItem): LargeErrorFinding[] {
  const src = ctx.index.fileText(fn.span.file)?.slice(fn.span.startOffset, fn.span.endOffset) ?? '';
  if (!/\|\s*->|\|[^|\n]*\|\s*\{?\s*(Ok|Err)\s*(::\s*<[^>\n]*>\s*)?\(/.test(src)) return [];
  const scan = fnScan(ctx, fn);
  if (!scan) return [];
  const fl = fileLines(ctx, fn.span.file)!;
  const base = { file: fn.span.file, offset: 0, lines: fl.starts };
  const out: LargeErrorFinding[] = [];
  for (const c of scan.nodes) {
    if (c.type !== 'closure_expression') continue;
    const rt: SyntaxNode | null = c.childForFieldName('return_type');
    const inferred = !rt && inferredResult(fn, c, scan.body, scan.nodes);
    // `|| Ok::<T, E>(..)`: the turbofish names the Result.
    const cb = c.childForFieldName('body');
    const tail = cb?.type === 'block' ? cb.lastNamedChild : cb;
    const fish =
      !rt && !inferred && tail ? /^(Ok|Err)\s*::\s*(<[\s\S]*>)\s*\(/.exec(tail.text) : null;
    let te = rt
      ? parseTypeText(rt.text)
      : inferred
        ? fn.returnType
        : fish
          ? parseTypeText(`Result${fish[2]}`)
          : undefined;
    if (!te) continue;
    te = withLocalAliases(te, scan.body);
    const part = errPartOf(ctx, te, fn.module, inferred ? fn : undefined);
    if (!isLarge(ctx, part)) continue;
    const span = spanOf(rt ?? c.childForFieldName('parameters') ?? c, base);
    if (isAllowed(ctx, fn, 'large-error') || commentAllows(fl.lines, span.line, 'large-error'))
      continue;
    out.push(finding(ctx, part, rangeOf(span), fn.name, fn.module, [], true));
  }
  return out;
}

export const largeErrorRule: RuleModule<'large-error'> = {
  code: 'large-error',
  summary: 'A function returns Result<T, E> with a large E: every return copies it, Ok or not.',
  clippyLint: 'clippy::result_large_err',
  clippyGroup: 'clippy::perf',
  settings: {
    editor: ['allocLens.largeErrorThreshold'],
    clippyToml: ['large-error-threshold', 'large-error-ignored'],
  },
  profile: {
    measure: 'copy',
    // The copies happen at the fn's call sites and inside it.
    evidence: (f, h) => [h.calls([f.data.fn]), h.inFn([f.data.fn])],
  },
  check: largeError,
};
