/**
 * `large-move`: values of more than `pass-by-value-size-limit` bytes moved by value.
 * - Parameters, following clippy `large_types_passed_by_value`: `Copy` types (clippy's case) and
 *   non-`Copy` types, only where the body merely reads them (where `&T` is plainly right): a
 *   parameter stored or passed on by value is copied there whatever the signature says. Never trait
 *   declarations or impls (their signatures cannot change alone), constructors and builders
 *   (they store the value), `mut` bindings, `Self`, nor exported API while clippy's
 *   `avoid-breaking-exported-api` is true (its default).
 * - `Vec`/`VecDeque`/`HashMap` push/pop/insert/remove of such elements, and by-value `match` of
 *   such locals: a warning inside a loop (the loop is the evidence), a note elsewhere.
 */
import type { FnItem, Item, TypeExpr } from '../model';
import type { SyntaxNode } from '../parser';
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
import { derefType, fnNodes, fnScan, receiverType } from './locals';
import type { Finding, RelatedInfo, Severity } from './types';
import { loopAround } from './walk';
import { onlyRead } from './borrow';
import { spanOf } from '../index/syntax';
import { isCopyType } from '../fixes/box-variant';

type LargeMoveFinding = Extract<Finding, { code: 'large-move' }>;

const ELEMENT_METHODS: Record<string, 'in' | 'out'> = {
  push: 'in',
  push_back: 'in',
  push_front: 'in',
  insert: 'in',
  pop: 'out',
  pop_back: 'out',
  pop_front: 'out',
  remove: 'out',
  swap_remove: 'out',
};
const CONTAINERS: Record<string, number> = {
  'std::vec::Vec': 0,
  'std::collections::VecDeque': 0,
  'std::collections::BinaryHeap': 0,
  'std::collections::HashMap': 1,
  'std::collections::BTreeMap': 1,
};
/** Names of fns that take ownership to store or build: `new`, `with_x`, `from_x`, `build`. */
const CONSTRUCTOR =
  /^(new|with|from|build|builder|create|make|init|into|set|push|insert|add|register|spawn|store|put)(_|$)/;

function elementOf(ctx: RuleContext, module: string, t: TypeExpr): TypeExpr | undefined {
  t = derefType(t);
  if (t.kind !== 'path') return undefined;
  const r = ctx.index.resolveType(module, t);
  if (r.kind !== 'std' || !(r.path in CONTAINERS)) return undefined;
  const args = t.segments[t.segments.length - 1].args.filter(a => a.kind === 'type');
  const a = args[CONTAINERS[r.path]];
  return a && a.kind === 'type' ? a.type : undefined;
}

/**
 * Whether an item is part of its crate's public API (clippy's "exported"): `pub` all the way from
 * a library's root. Re-exports through `pub use` are not followed (such items count as private).
 */
export function isExported(ctx: RuleContext, item: Item, owner?: Item): boolean {
  const crate = item.module.split('::')[0];
  if (!ctx.index.targets.some(t => t.kind === 'lib' && t.name === crate)) return false;
  if (item.visibility !== 'pub' && owner?.kind !== 'trait') return false;
  let mod = item.module;
  while (mod.includes('::')) {
    const m = ctx.index.itemByPath(mod);
    if (m && m.kind === 'mod' && m.visibility !== 'pub') return false;
    mod = mod.slice(0, mod.lastIndexOf('::'));
  }
  const fn = item as FnItem;
  if (fn.owner?.kind === 'impl' && fn.owner.selfType?.kind === 'path') {
    const r = ctx.index.resolveType(fn.module, fn.owner.selfType);
    if (r.kind === 'item') return isExported(ctx, r.item);
  }
  if (fn.owner?.kind === 'trait') {
    const t = ctx.index.itemByPath(fn.owner.path);
    if (t) return isExported(ctx, t);
  }
  return true;
}

/** Whether a fn constructs or builds: named like one, or returns `Self`/its own type. */
function isConstructor(fn: FnItem): boolean {
  if (CONSTRUCTOR.test(fn.name)) return true;
  const ret = fn.returnType?.text.replace(/\s+/g, '') ?? '';
  const self = fn.owner?.selfType?.text.replace(/\s+/g, '').replace(/<.*$/, '');
  return (
    /^(Self|Result<Self\b|Option<Self\b)/.test(ret) ||
    (!!self && (ret === self || ret.startsWith(`${self}<`)))
  );
}

function paramFindings(ctx: RuleContext, fn: FnItem, allowed: () => boolean): LargeMoveFinding[] {
  const out: LargeMoveFinding[] = [];
  const limit = ctx.settings.passByValueSizeLimit;
  // Trait declarations and impls: the signature is not this fn's to change.
  if (fn.owner?.kind === 'trait' || (fn.owner?.kind === 'impl' && fn.owner.traitName)) return out;
  const sig =
    ctx.index
      .fileText(fn.span.file)
      ?.slice(fn.signatureSpan.startOffset, fn.signatureSpan.endOffset) ?? '';
  // Clippy skips non-Rust ABIs, `#[inline(always)]` and macro-generated fns.
  if (
    fn.viaMacro ||
    fn.attrs.some(a => a.name === 'inline' && /always/.test(a.args)) ||
    /^[^(]*\bextern\b/.test(sig)
  )
    return out;
  const candidates = fn.params.filter(
    p =>
      !p.isSelf &&
      p.type &&
      !['ref', 'ptr', 'impl', 'dyn', 'fnptr', 'never'].includes(p.type.kind) &&
      /^[A-Za-z_]\w*$/.test(p.pattern) &&
      p.type.text !== 'Self',
  );
  if (candidates.length === 0 || isConstructor(fn)) return out;
  if (ctx.settings.avoidBreakingExportedApi && isExported(ctx, fn)) return out;
  const env = { module: fn.module, types: new Map(), consts: new Map() };
  for (const p of candidates) {
    const l = ctx.engine.evalType(p.type!, env);
    if (l.error || l.size <= limit || allowed()) continue;
    const copy = isCopyType(ctx, fn.module, p.type!);
    // Copy or not, a parameter that is stored, returned or passed on by value is copied there
    // anyway: `&T` would only move the copy (`self.params = *p`). Only a body that merely reads
    // it (fields, borrows, comparisons) gains from `&T`.
    const nodes = fnNodes(ctx, fn);
    if (!nodes || !onlyRead(nodes.body, p.pattern, copy)) continue;
    const atLeast = l.status === 'exact' ? '' : 'at least ';
    out.push({
      code: 'large-move',
      severity: copy ? 'warning' : 'info',
      message: `this argument is passed by value and is ${atLeast}${fmt(l.size)} bytes`,
      notes: [
        `every call of \`${fn.name}\` copies the \`${p.type!.text}\` (limit ${fmt(limit)} bytes)`,
        copy
          ? `take \`&${p.type!.text}\` instead`
          : `\`${fn.name}\` only reads \`${p.pattern}\`: take \`&${p.type!.text}\` instead`,
      ],
      range: rangeOf(p.span),
      related: [],
      fixes: [],
      data: { size: l.size, limit, kind: 'param', copy, type: p.type!.text },
    });
  }
  return out;
}

export function largeMove(ctx: RuleContext): LargeMoveFinding[] {
  const out: LargeMoveFinding[] = [];
  const limit = ctx.settings.passByValueSizeLimit;
  for (const item of wantedItems(ctx)) {
    if (item.kind !== 'fn' || !wanted(ctx, item.span.file)) continue;
    if (ctx.skipFn?.(item as FnItem)) continue;
    const fn = item as FnItem;
    let allowedMemo: boolean | undefined;
    const allowed = () => (allowedMemo ??= isAllowed(ctx, fn, 'large-move'));
    const env = { module: fn.module, types: new Map(), consts: new Map() };
    const sizeOf = (t: TypeExpr) => ctx.engine.evalType(t, env);
    out.push(...paramFindings(ctx, fn, allowed));
    // A stored element is copied once whatever its size (and `Box::new` copies it too): only
    // elements over 4x the limit (1 KiB by default) make the per-iteration copy worth a change.
    const moveLimit = limit * 4;
    // Cheap text test first: most bodies have no container call or `match local {` at all.
    const src =
      ctx.index.fileText(fn.span.file)?.slice(fn.span.startOffset, fn.span.endOffset) ?? '';
    if (!/\.(push|pop|insert|remove|swap_remove)\w*\(|\bmatch\s+(?:r#)?[A-Za-z_]\w*\s*\{/.test(src))
      continue;
    // Only a move repeated by a loop or a per-item closure is reported (see `push`).
    if (!/\b(?:for|while|loop)\b|\|/.test(src)) continue;
    const nodes = fnScan(ctx, fn);
    if (!nodes) continue;
    const locals = nodes.locals;
    const fl = fileLines(ctx, fn.span.file)!;
    const base = { file: fn.span.file, offset: 0, lines: fl.starts };
    const push = (node: SyntaxNode, what: string, ty: TypeExpr, size: number, kind: string) => {
      if (allowed()) return;
      if (commentAllows(fl.lines, spanOf(node, base).line, 'large-move')) return;
      const loopNode = loopAround(node, nodes.body);
      // A single move outside a loop is one memcpy: not worth a finding.
      if (!loopNode) return;
      const loop = true;
      const sev: Severity = loop ? 'warning' : 'info';
      const related: RelatedInfo[] = loopNode
        ? [
            {
              range: rangeOf(spanOf(loopNode, base)),
              message: 'the move happens on every iteration of this loop',
            },
          ]
        : [];
      out.push({
        code: 'large-move',
        severity: sev,
        message: `${what} moves ${fmt(size)} bytes by value${loop ? ' on every loop iteration' : ''}`,
        notes: [
          `the \`${ty.text}\` is more than 4x the ${fmt(limit)}-byte limit`,
          kind === 'match'
            ? 'match on a reference (`match &x`) or shrink the type'
            : `store \`Box<${ty.text}>\` in the container so only a pointer moves`,
        ],
        range: rangeOf(spanOf(node, base)),
        related,
        fixes: [],
        data: { size, limit, kind, inLoop: loop, type: ty.text },
      });
    };
    for (const node of nodes.nodes) {
      if (node.type === 'call_expression') {
        const f = node.childForFieldName('function');
        if (f?.type !== 'field_expression') continue;
        const method = f.childForFieldName('field')?.text ?? '';
        if (!(method in ELEMENT_METHODS)) continue;
        const recv = f.childForFieldName('value');
        const rt = recv ? receiverType(ctx, fn, locals, recv) : undefined;
        const elem = rt ? elementOf(ctx, fn.module, rt.type) : undefined;
        if (!elem) continue;
        const l = sizeOf(elem);
        if (l.error || l.size <= moveLimit) continue;
        push(node, `\`${recv!.text}.${method}(..)\``, elem, l.size, method);
      } else if (node.type === 'match_expression') {
        const v = node.childForFieldName('value');
        if (v?.type !== 'identifier') continue;
        const lt = locals.get(v.text);
        if (!lt || lt.type.kind === 'ref') continue;
        const l = sizeOf(lt.type);
        if (l.error || l.size <= moveLimit) continue;
        push(v, `\`match ${v.text}\``, lt.type, l.size, 'match');
      }
    }
  }
  return out;
}

export const largeMoveRule: RuleModule<'large-move'> = {
  code: 'large-move',
  summary:
    'A large value is moved by value: a parameter that is only read, or container push/pop/match in a loop.',
  clippyLint: 'clippy::large_types_passed_by_value',
  clippyGroup: 'clippy::pedantic',
  settings: {
    editor: ['allocLens.passByValueSizeLimit'],
    clippyToml: ['pass-by-value-size-limit', 'avoid-breaking-exported-api'],
  },
  profile: { measure: 'copy' },
  check: largeMove,
};
