/**
 * Sizes every future of the workspace from syntax: for each `async fn`, `async` block and async
 * closure, the upvars (prefix) and, per `.await`, the locals held across it plus the awaited
 * future, laid out with rustc's coroutine rules (`coroutine.ts`). Awaitees are sized
 * recursively through the index (workspace async fns, fns returning a named future type) or from
 * a table of tokio/futures/std futures (`tables.ts`); anything else makes the result a lower
 * bound naming the callee. Cycles (a recursive async fn) are reported, never followed.
 */
import * as path from 'node:path';
import type { WorkspaceIndex } from '../index/workspace';
import type { LayoutEngine } from '../layout/engine';
import type { FnItem, Item, StructItem, TypeExpr } from '../model';
import type { SyntaxNode } from '../parser';
import { parseTypeText } from '../index/type-text';
import { layoutCoroutine, type SavedPart } from './coroutine';
import {
  declFor,
  isCoroutineNode,
  liveAcross,
  maybeMovedBefore,
  registerSource,
  scanBody,
  textOf,
  type AwaitPoint,
  type BodyScan,
  type LocalDecl,
} from './scan';
import {
  joinSize,
  knownFuture,
  knownTypeSize,
  selectSize,
  splitJoinArgs,
  splitSelectFutures,
} from './tables';
import type { AwaitInfo, FutureInfo, FutureLayout, FutureStatus, HeldLocal } from './types';

type PathExpr = Extract<TypeExpr, { kind: 'path' }>;

/** A type with where it was written (generic/`Self` resolution happens in that module). */
interface Ty {
  expr: TypeExpr;
  module: string;
  self?: TypeExpr;
}

interface FutSize {
  size: number;
  align: number;
  status: FutureStatus;
  callee: string;
  target?: FutureInfo;
  recursive?: boolean;
  /** Output type of the future, when known (what `.await` evaluates to). */
  output?: Ty;
}

/** Where a coroutine node sits: its file, module and enclosing fn. */
interface Site {
  file: string;
  module: string;
  fn?: FnItem;
  text: string;
}

const GUESS = { size: 8, align: 8 };
/** Types named by the analyzer itself (`String`, `Vec<u8>`) resolve through the std prelude. */
const STD_MODULE = '';
const MAX_DEPTH = 12;

function lineCol(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo] + 1 };
}

function stripRefs(t: TypeExpr): TypeExpr {
  while (t.kind === 'ref' || t.kind === 'ptr') t = t.inner;
  // Smart pointers and pins forward method calls and field accesses to their pointee.
  while (t.kind === 'path') {
    const last: PathExpr['segments'][number] = t.segments[t.segments.length - 1];
    if (!['Box', 'Arc', 'Rc', 'Pin'].includes(last.name)) break;
    const a = last.args.find((x): x is Extract<typeof x, { kind: 'type' }> => x.kind === 'type');
    if (!a) break;
    t = a.type;
    while (t.kind === 'ref' || t.kind === 'ptr') t = t.inner;
  }
  return t;
}

function firstTypeArg(t: TypeExpr): TypeExpr | undefined {
  if (t.kind !== 'path') return undefined;
  const a = t.segments[t.segments.length - 1].args.find(x => x.kind === 'type');
  return a && a.kind === 'type' ? a.type : undefined;
}

const ty = (text: string, module = STD_MODULE): Ty | undefined => {
  const e = parseTypeText(text);
  return e ? { expr: e, module } : undefined;
};

export class FutureAnalyzer {
  private readonly memo = new Map<string, FutureInfo>();
  private readonly inProgress = new Set<string>();
  private methods?: Map<string, FnItem[]>;
  private fnByStart?: Map<string, FnItem>;
  private readonly snippets = new Map<FnItem, SyntaxNode>();

  constructor(
    readonly index: WorkspaceIndex,
    readonly engine: LayoutEngine,
  ) {}

  /**
   * Every future defined in `files` (all indexed files when omitted), largest first. `skip`
   * leaves out the bodies it names by their file offsets (a rule whose findings there would be
   * dropped); what a kept body awaits is still sized through them.
   */
  all(
    files?: string[],
    skip?: (file: string, start: number, end: number) => boolean,
  ): FutureInfo[] {
    const out: FutureInfo[] = [];
    for (const file of files ?? this.index.fileNames()) {
      const text = this.index.fileText(file);
      const tree = this.treeOf(file);
      if (!tree || !text || !text.includes('async')) continue;
      // A file skipped as a whole (tests/): no tree lookups for its `async` keywords.
      if (skip?.(file, 0, text.length)) continue;
      // Find coroutines from the `async` keywords in the text: asking the tree for every fn
      // and closure crosses N-API thousands of times on a crate like tokio.
      const seen = new Set<number>();
      for (const m of text.matchAll(/\basync\b/g)) {
        const kw = tree.rootNode.descendantForIndex(m.index!, m.index! + 5);
        if (kw.type !== 'async') continue;
        let n: SyntaxNode | null = kw.parent;
        if (n?.type === 'function_modifiers') n = n.parent;
        if (!n || seen.has(n.startIndex)) continue;
        if (n.type === 'function_item' ? !this.isAsyncFn(n) : !isCoroutineNode(n)) continue;
        seen.add(n.startIndex);
        if (skip?.(file, n.startIndex, n.endIndex)) continue;
        const f = this.ofNode(file, n);
        if (f) out.push(f);
      }
      for (const i of this.index.itemsInFile(file)) {
        if (i.kind !== 'fn' || !i.viaMacro || !i.isAsync || !i.hasBody) continue;
        if (skip?.(file, i.span.startOffset, i.span.endOffset)) continue;
        const f = this.ofFn(i);
        if (f) out.push(f);
      }
    }
    return out.sort((a, b) => b.size - a.size || a.file.localeCompare(b.file) || a.line - b.line);
  }

  /**
   * Spawn sites in `file`: `tokio::spawn(fut)`, `task::spawn_local(fut)`, `set.spawn(fut)`, ...
   * whose single argument is a future sized from its definition (a closure, as given to
   * `std::thread::spawn`, is no future and is left out; so is an argument already boxed).
   */
  spawnSites(
    file: string,
    skip?: (file: string, start: number, end: number) => boolean,
  ): SpawnSite[] {
    const text = this.index.fileText(file);
    if (!text || !text.includes('spawn') || skip?.(file, 0, text.length)) return [];
    const tree = this.treeOf(file);
    if (!tree) return [];
    const out: SpawnSite[] = [];
    for (const m of text.matchAll(/\bspawn(?:_local)?\s*\(/g)) {
      const id = tree.rootNode.descendantForIndex(m.index!, m.index! + 5);
      if (id.type !== 'identifier' && id.type !== 'field_identifier') continue;
      let fnode: SyntaxNode | null = id;
      while (
        fnode?.parent &&
        (fnode.parent.type === 'scoped_identifier' ||
          fnode.parent.type === 'field_expression' ||
          fnode.parent.type === 'generic_function')
      )
        fnode = fnode.parent;
      const call = fnode?.parent;
      if (
        !fnode ||
        call?.type !== 'call_expression' ||
        call.childForFieldName('function')?.id !== fnode.id
      )
        continue;
      const callee = textOf(fnode).replace(/\s+/g, '');
      if (/(^|::)thread::|^std::/.test(callee)) continue;
      const args =
        call
          .childForFieldName('arguments')
          ?.namedChildren.filter(c => c.type !== 'line_comment' && c.type !== 'block_comment') ??
        [];
      if (args.length !== 1) continue;
      const arg = args[0];
      if (/^Box::pin\s*\(/.test(textOf(arg))) continue;
      if (skip?.(file, arg.startIndex, arg.startIndex)) continue;
      const outer = this.outerScan(file, arg);
      if (!outer) continue;
      const fut = this.futureOf({ ...outer.ctx, depth: 0 }, arg, 0);
      if (fut.status === 'lower-bound' || fut.size === 0) continue;
      const at = lineCol(this.index.lineStarts(file) ?? [0], arg.startIndex);
      out.push({
        file,
        line: at.line,
        column: at.column,
        spawn: callee,
        callee: fut.callee,
        size: fut.size,
        align: fut.align,
        future: fut.target,
        callStart: call.startIndex,
        callEnd: call.endIndex,
        argStart: arg.startIndex,
        argEnd: arg.endIndex,
      });
    }
    return out;
  }

  /** The future of the async fn `item`. */
  ofFn(item: FnItem): FutureInfo | undefined {
    const tree = this.treeOf(item.span.file);
    if (!tree || !item.isAsync || !item.hasBody) return undefined;
    const n = tree.rootNode.namedDescendantForIndex(item.nameSpan.startOffset)?.parent;
    if (n?.type === 'function_item') return this.ofNode(item.span.file, n);
    // Inside a macro body (`cfg_rt! { .. }`) the tree holds tokens: parse the fn on its own.
    const text = this.index
      .fileText(item.span.file)
      ?.slice(item.span.startOffset, item.span.endOffset);
    if (!text) return undefined;
    let snip = this.snippets.get(item);
    if (!snip) {
      const { parseRust } = require('../parser') as typeof import('../parser');
      const snipTree = parseRust(text);
      registerSource(snipTree, text);
      const f = snipTree.rootNode.namedChildren.find(c => c.type === 'function_item');
      if (!f) return undefined;
      this.snippets.set(item, (snip = f));
    }
    return this.ofNode(item.span.file, snip, 0, item.span.startOffset);
  }

  private treeOf(file: string) {
    const tree = this.index.tree(file);
    const text = this.index.fileText(file);
    if (tree && text !== undefined) registerSource(tree, text);
    return tree;
  }

  private isAsyncFn(n: SyntaxNode): boolean {
    const mods = n.namedChildren.find(c => c.type === 'function_modifiers');
    return !!mods && /\basync\b/.test(textOf(mods)) && !!n.childForFieldName('body');
  }

  private fnAt(file: string, offset: number): FnItem | undefined {
    if (!this.fnByStart) {
      this.fnByStart = new Map();
      for (const i of this.index.items)
        if (i.kind === 'fn') this.fnByStart.set(`${i.span.file}\0${i.nameSpan.startOffset}`, i);
    }
    return this.fnByStart.get(`${file}\0${offset}`);
  }

  /** The innermost fn item around `n` (for module, `Self` and the path of blocks). */
  private siteOf(file: string, n: SyntaxNode, base = 0): Site {
    const text = this.index.fileText(file) ?? '';
    for (let p: SyntaxNode | null = n; p; p = p.parent) {
      if (p.type === 'function_item') {
        const name = p.childForFieldName('name');
        const fn = name ? this.fnAt(file, base + name.startIndex) : undefined;
        if (fn) return { file, module: fn.module, fn, text };
      }
    }
    const starts = this.index.lineStarts(file) ?? [0];
    return {
      file,
      module: this.index.moduleAt(file, lineCol(starts, base + n.startIndex).line),
      text,
    };
  }

  /** Sizes the coroutine at node `n` (fn item, async block or async closure) of `file`. */
  ofNode(file: string, n: SyntaxNode, depth = 0, base = 0): FutureInfo | undefined {
    const key = `${file}\0${base + n.startIndex}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    if (this.inProgress.has(key) || depth > MAX_DEPTH) return undefined;
    this.inProgress.add(key);
    try {
      const info = this.compute(file, n, depth, base);
      if (info) this.memo.set(key, info);
      return info;
    } finally {
      this.inProgress.delete(key);
    }
  }

  private compute(
    file: string,
    n: SyntaxNode,
    depth: number,
    base: number,
  ): FutureInfo | undefined {
    const site = this.siteOf(file, n, base);
    const starts0 = this.index.lineStarts(file) ?? [0];
    let starts = starts0;
    if (base) {
      // Line starts relative to a macro-body snippet, shared by the fns of one file and offset.
      const k = `${file}\0${base}`;
      starts =
        this.snippetStarts.get(k) ??
        this.snippetStarts
          .set(
            k,
            starts0.map(x => x - base),
          )
          .get(k)!;
    }
    const isFn = n.type === 'function_item';
    const body = n.childForFieldName('body') ?? n.namedChildren.find(c => c.type === 'block');
    if (!body) return undefined;
    const kind = isFn ? 'async-fn' : n.type === 'async_block' ? 'async-block' : 'async-closure';
    const fn = isFn ? site.fn : undefined;
    const params: { name: string; type?: Ty }[] = [];
    if (fn) {
      for (const p of fn.params) {
        const name = p.isSelf ? 'self' : p.pattern.replace(/^mut\s+/, '');
        const selfTy = fn.owner?.selfType;
        const selfRef =
          p.isSelf && p.pattern.includes('&')
            ? parseTypeText(p.pattern.includes('mut') ? '&mut Self' : '&Self')
            : undefined;
        const t: Ty | undefined = p.type
          ? { expr: p.type, module: fn.module, self: selfTy }
          : selfRef
            ? { expr: selfRef, module: fn.module, self: selfTy }
            : p.isSelf && selfTy
              ? { expr: selfTy, module: fn.module, self: selfTy }
              : undefined;
        params.push({ name, type: t });
      }
    } else if (kind === 'async-closure') {
      const ps = n.childForFieldName('parameters');
      for (const p of ps?.namedChildren ?? []) {
        const pat = p.type === 'parameter' ? p.childForFieldName('pattern') : p;
        const t = p.type === 'parameter' ? p.childForFieldName('type') : null;
        if (pat)
          params.push({
            name: textOf(pat).replace(/^mut\s+/, ''),
            type: t ? ty(textOf(t), site.module) : undefined,
          });
      }
    }
    // An async fn with no suspension point (none in nested blocks either) is its arguments:
    // its locals matter only to nested closures, so only its bindings are read.
    const noSuspend =
      kind === 'async-fn' &&
      !/\.\s*await\b|\b(?:join|try_join|select|select_biased)\s*!/.test(textOf(body));
    // Names neither bound in the body nor outside it are items: their uses are not recorded.
    const outside = base
      ? undefined
      : isFn
        ? () => false
        : (name: string) => this.boundOutside(file, n, name);
    const scan = scanBody(
      n,
      body,
      params.map(p => p.name),
      this.cfgCheck(site.module),
      noSuspend,
      outside,
    );
    const ctx: Ctx = { site, scan, params, depth, starts, base };
    // Nested blocks look their captures up in this body: keep its scan (scanning is most of the cost).
    if (!base) this.bodyCtxs.set(`${file}\0${n.startIndex}`, ctx);
    const at = lineCol(
      starts,
      isFn ? (n.childForFieldName('name')?.startIndex ?? n.startIndex) : n.startIndex,
    );
    const bodyAt = lineCol(starts, body.startIndex);
    const info: FutureInfo = {
      bodyLine: bodyAt.line,
      bodyColumn: bodyAt.column,
      fn:
        isFn && fn
          ? fn.path
          : `${site.fn?.path ?? site.module}::{${kind === 'async-block' ? 'async block' : 'async closure'}}`,
      file,
      line: at.line,
      column: at.column,
      kind,
      size: 0,
      align: 1,
      status: 'estimate',
      awaits: [],
      upvars: [],
      generic: !!fn && fn.generics.some(g => g.kind !== 'lifetime'),
      startOffset: base + n.startIndex,
      endOffset: base + n.endIndex,
    };
    // Upvars: an async fn's (and async closure's) arguments; a block's captured variables,
    // by value under `move`, else by reference.
    const upvars: { size: number; align: number }[] = [];
    const byMove = kind === 'async-block' && /^async\s+move\b/.test(textOf(n));
    if (kind === 'async-block' || kind === 'async-closure') {
      const outer = this.outerScan(file, n);
      ctx.outer = outer?.ctx;
      const captured = (
        kind === 'async-block'
          ? scan.captures
          : scan.captures.filter(x => !params.some(p => p.name === x))
      ).filter(c => base !== 0 || this.boundOutside(file, n, c));
      for (const c of captured) {
        let s = GUESS;
        let tt = '&_';
        if (byMove || scan.movedCaptures.has(c)) {
          const t = outer ? this.localType(outer.ctx, c, n.startIndex) : undefined;
          s = t ? this.sizeOfTy(t) : GUESS;
          tt = t ? t.expr.text : '?';
          // A captured future (`let fut = sock.connect(a); async move { fut.await }`).
          const d = !t && outer ? declFor(outer.ctx.scan, c, n.startIndex) : undefined;
          if (d?.init && outer) {
            const fs = this.futureOf(outer.ctx, d.init, 1);
            if (fs.status !== 'lower-bound')
              [s, tt] = [{ size: fs.size, align: fs.align }, `future of ${fs.callee}`];
          }
        }
        upvars.push(s);
        info.upvars.push({ name: c, type: tt, size: s.size });
      }
    }
    for (const p of params) {
      const s = p.type ? this.sizeOfTy(p.type) : GUESS;
      upvars.push(s);
      info.upvars.push({ name: p.name, type: p.type?.expr.text ?? '?', size: s.size });
    }
    const variants: SavedPart[][] = [];
    const unknown: string[] = [];
    let status: FutureStatus = 'estimate';
    let largest: { size: number; text: string } | undefined;
    const localInfo = new Map<
      LocalDecl,
      { t: Ty | undefined; s: { size: number; align: number }; drop: boolean; isRef: boolean }
    >();
    for (const a of scan.awaits) {
      const fut = this.awaitee(ctx, a);
      const held: HeldLocal[] = [];
      const parts: SavedPart[] = [];
      for (const l of scan.locals) {
        // A local's type and size are the same at every await: worked out once.
        let lt = localInfo.get(l);
        if (!lt) {
          const t0 = this.declType(ctx, l);
          lt = {
            t: t0,
            s: t0 ? this.sizeOfTy(t0) : (l.init && this.valueOfCall(ctx, l.init)) || GUESS,
            drop: this.needsDrop(t0),
            isRef: !!t0 && (t0.expr.kind === 'ref' || t0.expr.kind === 'ptr'),
          };
          localInfo.set(l, lt);
        }
        const { t, s } = lt;
        if (!liveAcross(scan, l, a, lt.drop, lt.isRef)) continue;
        const maybeMoved = lt.drop && maybeMovedBefore(scan, l, a);
        const to = maybeMoved ? l.scopeEnd : this.storageEnd(scan, l);
        const key = `l${l.declEnd}:${l.name}`;
        parts.push({ key, size: s.size, align: s.align, from: l.declEnd, to });
        // Moved on some paths only: its drop flag is saved with it.
        if (maybeMoved) parts.push({ key: `f${key}`, size: 1, align: 1, from: l.declEnd, to });
        const line = lineCol(starts, l.declEnd).line;
        const h: HeldLocal = { name: l.name, type: t?.expr.text ?? '?', size: s.size, line, key };
        if (l.declStart !== undefined) {
          h.declStart = base + l.declStart;
          h.declEnd = base + l.declEnd;
          h.uses = (scan.uses.get(l.name) ?? [])
            .filter(u => declFor(scan, l.name, u.offset) === l)
            .map(u => base + u.offset);
        }
        held.push(h);
        if (s.size > (largest?.size ?? -1))
          largest = {
            size: s.size,
            text: `${l.name}: ${t?.expr.text ?? '?'} held across .await at line ${lineCol(starts, a.start).line}`,
          };
      }
      parts.push(...this.macroLocals(ctx, a, fut));
      for (const t of this.temporariesAcross(ctx, a)) {
        const lineNo = lineCol(starts, a.start).line;
        parts.push({ key: t.key, size: t.size, align: t.align, from: t.from, to: t.to });
        held.push({
          name: `${t.text} (temporary, ${t.why})`,
          type: t.type,
          size: t.size,
          line: lineCol(starts, t.from).line,
          key: t.key,
        });
        if (t.unknown) {
          status = 'lower-bound';
          const u = `temporary ${t.text} (${t.why}, held across .await at line ${lineNo}: size unknown)`;
          if (!unknown.includes(u)) unknown.push(u);
        }
        if (t.size > (largest?.size ?? -1))
          largest = {
            size: t.size,
            text: `${t.text}: ${t.type} (temporary, ${t.why}) held across .await at line ${lineNo}`,
          };
      }
      // `make()?.await`: the `?` desugars to a match on `Try::branch(make())`, a temporary that
      // lives to the end of the statement, across the await, after its future was moved out
      // (rustc keeps partly moved locals): a `ControlFlow<Result<Infallible, E>, F>`, about F
      // plus a tag. hyper's `connect(..)?.await` (1,024 B future) saves 1,152 B more.
      if (a.kind === 'await' && a.operand.type === 'try_expression' && fut.size > 0) {
        const q = Math.ceil((fut.size + 1) / Math.max(fut.align, 1)) * Math.max(fut.align, 1);
        parts.push({ key: `q${a.start}`, size: q, align: fut.align, from: a.start, to: a.end });
        held.push({
          name: `${textOf(a.operand).replace(/\s+/g, ' ').slice(0, 30)} (temporary)`,
          type: 'ControlFlow<Result<Infallible, E>, F>',
          size: q,
          line: lineCol(starts, a.start).line,
        });
      }
      const akey = `a${a.start}`;
      parts.push({ key: akey, size: fut.size, align: fut.align, from: a.start, to: a.end });
      variants.push(parts);
      if (fut.status === 'lower-bound') {
        status = 'lower-bound';
        if (!unknown.includes(fut.callee)) unknown.push(fut.callee);
      }
      const pos = lineCol(starts, a.kind === 'await' ? a.operand.endIndex + 1 : a.start);
      if (fut.recursive) info.recursive = true;
      const rel = path.relative(this.rootOf(file), file) || path.basename(file);
      if (fut.size > (largest?.size ?? -1))
        largest = {
          size: fut.size,
          text: `__awaitee at ${rel}:${pos.line} (${fut.callee.split('::').pop()}: ${fut.size.toLocaleString('en-US')} B)`,
        };
      const ai: AwaitInfo = {
        line: pos.line,
        column: pos.column,
        kind: a.kind,
        callee: fut.callee,
        size: fut.status === 'lower-bound' && fut.size === 0 ? null : fut.size,
        align: fut.align,
        status: fut.status,
        target: fut.target
          ? { file: fut.target.file, line: fut.target.line, column: fut.target.column }
          : undefined,
        recursive: fut.recursive || undefined,
        held,
        startOffset: base + a.start,
        endOffset: base + a.end,
        operandStart: base + a.operand.startIndex,
        operandEnd: base + a.operand.endIndex,
        key: akey,
      };
      if (fut.target) Object.defineProperty(ai, 'future', { value: fut.target, enumerable: false });
      info.awaits.push(ai);
    }
    const shape = { upvars, variants };
    const l = layoutCoroutine(shape);
    const layout: FutureLayout = {
      prefix: l.prefix,
      variantSizes: l.variantSizes,
      promoted: [...l.promoted],
      shape,
    };
    Object.defineProperty(info, 'layout', { value: layout, enumerable: false });
    for (const [i, u] of info.upvars.entries())
      if (u.size > (largest?.size ?? -1))
        ((largest = { size: u.size, text: `upvar ${u.name}: ${u.type}` }), void i);
    info.size = l.size;
    info.align = l.align;
    info.status = status;
    info.largest = largest?.text;
    if (unknown.length) info.unknown = unknown;
    return info;
  }

  /** `#[cfg(..)]` on a statement, evaluated like the index does for items. */
  private cfgCheck(module: string): (attr: string) => boolean {
    return (text: string) => {
      const m = /^#\[\s*cfg\s*\(([\s\S]*)\)\s*\]$/.exec(text.trim());
      if (!m) return true;
      const span = {
        file: '',
        line: 1,
        column: 1,
        endLine: 1,
        endColumn: 1,
        startOffset: 0,
        endOffset: 0,
      };
      return this.index.isActive(module, [{ name: 'cfg', args: m[1], inner: false, span }]);
    };
  }

  private readonly roots = new Map<string, string>();

  /** The package directory of `file` (tokio has 120 targets: asked once per file). */
  private rootOf(file: string): string {
    let r = this.roots.get(file);
    if (r === undefined) this.roots.set(file, (r = this.rootOfUncached(file)));
    return r;
  }

  private rootOfUncached(file: string): string {
    for (const t of this.index.targets)
      if (file.startsWith(t.root + path.sep) || file.startsWith(path.dirname(t.root) + path.sep))
        return path.dirname(t.root).endsWith('src')
          ? path.dirname(path.dirname(t.root))
          : path.dirname(t.root);
    return path.dirname(file);
  }

  /** End of a local's storage: the end of its scope, or its last move. */
  private storageEnd(scan: BodyScan, l: LocalDecl): number {
    const moves = (scan.uses.get(l.name) ?? []).filter(
      u =>
        u.move &&
        u.offset >= l.declEnd &&
        u.offset < l.scopeEnd &&
        declFor(scan, l.name, u.offset) === l,
    );
    const later = (scan.uses.get(l.name) ?? []).filter(
      u => !u.move && u.offset >= l.declEnd && u.offset < l.scopeEnd,
    );
    if (
      moves.length &&
      !later.some(u => u.offset > moves[moves.length - 1].offset) &&
      !scan.loops.some(([s, e]) => moves[0].offset >= s && moves[0].offset < e)
    )
      return moves[moves.length - 1].offset;
    return l.scopeEnd;
  }

  /** The body scan of the coroutine or fn around a nested block (for the types of captures). */
  private readonly outerScans = new Map<string, { ctx: Ctx } | undefined>();

  private outerScan(file: string, n: SyntaxNode): { ctx: Ctx } | undefined {
    const key = `${file}\0${n.startIndex}`;
    if (this.outerScans.has(key)) return this.outerScans.get(key);
    const r = this.outerScanUncached(file, n);
    this.outerScans.set(key, r);
    return r;
  }

  /**
   * Whether `name`, free in the block or closure `n`, is a local or parameter of an enclosing
   * body up to the fn item: only those are captured. A fn, const or static named in the block
   * (`tick().await`) is an item, not an upvar.
   */
  private boundOutside(file: string, n: SyntaxNode, name: string): boolean {
    for (let p = n, i = 0; i < 16; i++) {
      const o = this.outerScan(file, p);
      if (!o) return false;
      const c = o.ctx;
      if (declFor(c.scan, name, p.startIndex) || c.params.some(q => q.name === name)) return true;
      if (c.scan.root.type === 'function_item') return false;
      p = c.scan.root;
    }
    return true;
  }

  private readonly snippetStarts = new Map<string, number[]>();

  /** Contexts of the bodies sized so far (file, start offset), reused as outer scans. */
  private readonly bodyCtxs = new Map<string, Ctx>();

  private outerScanUncached(file: string, n: SyntaxNode): { ctx: Ctx } | undefined {
    for (let p = n.parent; p; p = p.parent) {
      if (p.type === 'function_item' || isCoroutineNode(p) || p.type === 'closure_expression') {
        const known = this.bodyCtxs.get(`${file}\0${p.startIndex}`);
        if (known) return { ctx: { ...known, depth: MAX_DEPTH } };
        const body = p.childForFieldName('body');
        if (!body) return undefined;
        const site = this.siteOf(file, p);
        const params: { name: string; type?: Ty }[] = [];
        if (p.type === 'function_item' && site.fn) {
          for (const q of site.fn.params)
            params.push({
              name: q.isSelf ? 'self' : q.pattern.replace(/^mut\s+/, ''),
              type: q.type
                ? { expr: q.type, module: site.fn.module, self: site.fn.owner?.selfType }
                : undefined,
            });
        } else if (p.type === 'closure_expression') {
          // `|x| async move { x }`: the closure's parameters are bindings too.
          for (const q of p.childForFieldName('parameters')?.namedChildren ?? []) {
            const pat = q.type === 'parameter' ? q.childForFieldName('pattern') : q;
            const t = q.type === 'parameter' ? q.childForFieldName('type') : null;
            for (const id of pat
              ? pat.type === 'identifier'
                ? [pat]
                : pat.descendantsOfType('identifier')
              : [])
              params.push({
                name: textOf(id),
                type: t && pat?.type === 'identifier' ? ty(textOf(t), site.module) : undefined,
              });
          }
        }
        const scan = scanBody(
          p,
          body,
          params.map(x => x.name),
          this.cfgCheck(site.module),
          true,
        );
        return {
          ctx: {
            site,
            scan,
            params,
            depth: MAX_DEPTH,
            starts: this.index.lineStarts(file) ?? [0],
            base: 0,
          },
        };
      }
    }
    return undefined;
  }

  /**
   * Temporaries rustc keeps across the suspension point `a` (edition 2021 scoping):
   * - of the scrutinee of a `match`, `if let` or `while let` whose arm or body holds `a`: they
   *   live to the end of the match (the lock guard in `match m.lock().unwrap().get(k) { .. =>
   *   f().await }`), kept when they have drop glue, even after a binding moved out of them;
   * - of the awaited expression borrowed by the future (`f(&make_big()).await`): they live to
   *   the end of the enclosing statement.
   * A temporary whose type is unknown is counted 0 bytes and makes the future a lower bound.
   * (Edition 2024 drops `if let` temporaries before `else`; this models 2021, the editions of
   * the crates measured.)
   */
  private temporariesAcross(
    ctx: Ctx,
    a: AwaitPoint,
  ): {
    key: string;
    text: string;
    type: string;
    why: string;
    size: number;
    align: number;
    from: number;
    to: number;
    unknown: boolean;
  }[] {
    const out: ReturnType<FutureAnalyzer['temporariesAcross']> = [];
    const seen = new Set<number>();
    const add = (e: SyntaxNode, why: string, to: number, borrowed: boolean) => {
      if (seen.has(e.startIndex * 7 + e.endIndex)) return;
      const t = this.typeOf(ctx, e, 0);
      if (!borrowed && t && !this.needsDrop(t)) return;
      seen.add(e.startIndex * 7 + e.endIndex);
      const guard = !t ? guardSize(e) : undefined;
      const s = t
        ? this.sizeOfTy(t)
        : (guard ?? (e.type === 'call_expression' ? this.valueOfCall(ctx, e) : undefined));
      out.push({
        key: `t${e.startIndex}:${e.endIndex}`,
        text: textOf(e).replace(/\s+/g, ' ').slice(0, 40),
        type: t?.expr.text ?? (guard ? 'lock guard' : '?'),
        why,
        size: s?.size ?? 0,
        align: s?.align ?? 1,
        from: e.startIndex,
        to,
        unknown: !s,
      });
    };
    // Value expressions (not places) evaluated in `e` that stay alive as temporaries: `e`
    // itself when `self` is set, the receivers of methods that borrow them, `&value` operands.
    const walk = (
      e: SyntaxNode | null | undefined,
      why: string,
      to: number,
      self: boolean,
      depth: number,
    ): void => {
      if (!e || depth > 12) return;
      switch (e.type) {
        case 'parenthesized_expression':
          return walk(e.namedChildren[0], why, to, self, depth + 1);
        case 'reference_expression': {
          const v = e.childForFieldName('value');
          if (v && isValueExpr(v)) add(v, why, to, true);
          return walk(v, why, to, false, depth + 1);
        }
        case 'call_expression':
        case 'await_expression': {
          if (self) add(e, why, to, false);
          if (e.type === 'await_expression') return;
          const f = e.childForFieldName('function');
          for (const arg of e.childForFieldName('arguments')?.namedChildren ?? [])
            walk(arg, why, to, false, depth + 1);
          if (f?.type !== 'field_expression') return;
          const recv = f.childForFieldName('value');
          const name = f.childForFieldName('field')?.text ?? '';
          // A method taking `self` by value consumes its receiver; others borrow it.
          return walk(
            recv,
            why,
            to,
            !!recv && isValueExpr(recv) && !CONSUMING.test(name),
            depth + 1,
          );
        }
        case 'field_expression':
        case 'index_expression':
        case 'unary_expression':
        case 'try_expression':
          return walk(e.namedChildren[0], why, to, false, depth + 1);
        default:
          return;
      }
    };
    const body = ctx.scan.body;
    let stmtDone = false;
    const isTail = (blk: SyntaxNode, c: SyntaxNode) => {
      const kids = blk.namedChildren.filter(
        x => x.type !== 'line_comment' && x.type !== 'block_comment',
      );
      return kids[kids.length - 1]?.id === c.id && !/statement|declaration|item/.test(c.type);
    };
    let n: SyntaxNode = a.node;
    for (let depth = 0; n.parent && n.id !== body.id && depth < 200; depth++) {
      const p: SyntaxNode = n.parent;
      if (p.type === 'match_expression' && p.childForFieldName('body')?.id === n.id) {
        walk(p.childForFieldName('value'), 'match scrutinee', p.endIndex, true, 0);
      } else if (
        (p.type === 'if_expression' || p.type === 'while_expression') &&
        p.childForFieldName('condition')?.id !== n.id
      ) {
        const c = p.childForFieldName('condition');
        const lets =
          c?.type === 'let_condition'
            ? [c]
            : c?.type === 'let_chain'
              ? c.namedChildren.filter(x => x.type === 'let_condition')
              : [];
        for (const lc of lets)
          walk(
            lc.childForFieldName('value'),
            p.type === 'if_expression' ? 'if let scrutinee' : 'while let scrutinee',
            p.endIndex,
            true,
            0,
          );
      } else if (
        !stmtDone &&
        (p.type === 'expression_statement' ||
          p.type === 'let_declaration' ||
          (p.type === 'block' && isTail(p, n)))
      ) {
        // Temporaries of the awaited expression that the future borrows live to the end of
        // the statement, or of the block for its tail expression (a `let`'s initializer is
        // not extended through a call argument).
        stmtDone = true;
        if (a.kind === 'await')
          walk(a.operand, 'borrowed by the awaited future', p.endIndex, false, 0);
      }
      n = p;
    }
    return out;
  }

  /** Synthetic locals of `join!`/`select!` expansions: the tuple of branch futures. */
  private macroLocals(ctx: Ctx, a: AwaitPoint, fut: FutSize): SavedPart[] {
    void ctx;
    void a;
    void fut;
    return [];
  }

  // ---- types of locals -------------------------------------------------------------------

  private declType(ctx: Ctx, l: LocalDecl): Ty | undefined {
    if (l.param) return ctx.params.find(p => p.name === l.name)?.type;
    if (l.typeNode) return ty(l.typeNode.text, ctx.site.module);
    if (l.init) return this.typeOf(ctx, l.init, 0);
    return undefined;
  }

  private localType(ctx: Ctx, name: string, offset: number): Ty | undefined {
    const d = declFor(ctx.scan, name, offset);
    if (d) return this.declType(ctx, d);
    const p = ctx.params.find(q => q.name === name)?.type;
    if (p) return p;
    // A capture of a nested block: its type is the enclosing body's local.
    return ctx.outer ? this.localType(ctx.outer, name, ctx.scan.root.startIndex) : undefined;
  }

  private selfTy(ctx: Ctx): Ty | undefined {
    const s = ctx.site.fn?.owner?.selfType;
    return s ? { expr: s, module: ctx.site.fn!.module, self: s } : undefined;
  }

  /** Best-effort static type of an expression; undefined when unknown. */
  typeOf(ctx: Ctx, e: SyntaxNode, depth: number): Ty | undefined {
    if (depth > 8) return undefined;
    const m = ctx.site.module;
    switch (e.type) {
      case 'parenthesized_expression':
        return e.namedChildren[0] ? this.typeOf(ctx, e.namedChildren[0], depth + 1) : undefined;
      case 'reference_expression':
        return ty('&u8');
      case 'integer_literal': {
        const s = /(u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|i128|isize)$/.exec(textOf(e));
        return ty(s ? s[1] : 'i32');
      }
      case 'float_literal':
        return ty(/f32$/.test(textOf(e)) ? 'f32' : 'f64');
      case 'boolean_literal':
        return ty('bool');
      case 'char_literal':
        return ty('char');
      case 'string_literal':
        return ty('&str');
      case 'unit_expression':
        return ty('()');
      case 'identifier':
        return this.localType(ctx, textOf(e), e.startIndex);
      case 'unsafe_block':
      case 'block': {
        // `unsafe { ..; TcpSocket::from_raw_fd(fd) }`: the tail expression.
        const blk = e.type === 'unsafe_block' ? e.namedChildren.find(c => c.type === 'block') : e;
        const tail = blk?.namedChildren[blk.namedChildren.length - 1];
        return tail && !/statement|declaration|item|comment/.test(tail.type)
          ? this.typeOf(ctx, tail, depth + 1)
          : undefined;
      }
      case 'self':
        return ctx.params.find(p => p.name === 'self')?.type ?? this.selfTy(ctx);
      case 'array_expression': {
        const len = e.childForFieldName('length');
        const first = e.namedChildren.find(c => c.id !== len?.id);
        const et = first ? this.typeOf(ctx, first, depth + 1) : undefined;
        if (!et) return undefined;
        const n = len ? textOf(len) : String(e.namedChildren.length);
        const t = parseTypeText(`[${et.expr.text}; ${n}]`);
        return t ? { expr: t, module: len ? m : et.module, self: et.self } : undefined;
      }
      case 'tuple_expression': {
        const parts = e.namedChildren.map(c => this.typeOf(ctx, c, depth + 1));
        if (parts.some(p => !p)) return undefined;
        return ty(`(${parts.map(p => p!.expr.text).join(', ')},)`, m);
      }
      case 'struct_expression': {
        const name = e.childForFieldName('name')?.text;
        return name ? (name === 'Self' ? this.selfTy(ctx) : ty(name, m)) : undefined;
      }
      case 'macro_invocation': {
        const name = e.childForFieldName('macro')?.text ?? '';
        if (name === 'vec') return ty('Vec<u8>');
        if (name === 'format') return ty('String');
        return undefined;
      }
      case 'match_expression': {
        // `match opt { Some(r) => r, None => return .. }`: the payload of the scrutinee.
        const v = e.childForFieldName('value');
        const arm = e
          .childForFieldName('body')
          ?.namedChildren.find(a =>
            /^(Some|Ok)\s*\(\s*\w+\s*\)$/.test(textOf(a.childForFieldName('pattern') ?? a).trim()),
          );
        const st = arm && v ? this.typeOf(ctx, v, depth + 1) : undefined;
        const a = st && firstTypeArg(stripRefs(st.expr));
        return a && st ? { ...st, expr: a } : undefined;
      }
      case 'try_expression': {
        const inner = e.namedChildren[0]
          ? this.typeOf(ctx, e.namedChildren[0], depth + 1)
          : undefined;
        const a = inner && firstTypeArg(inner.expr);
        return a && inner ? { ...inner, expr: a } : undefined;
      }
      case 'await_expression': {
        const f = this.futureOf(ctx, e.namedChildren[0], depth + 1);
        return f.output;
      }
      case 'field_expression': {
        const base = e.childForFieldName('value');
        const field = e.childForFieldName('field')?.text;
        const bt = base ? this.typeOf(ctx, base, depth + 1) : undefined;
        if (!bt || !field) return undefined;
        const item = this.typeItem(bt);
        if (item?.kind !== 'struct') return undefined;
        const f = (item as StructItem).fields.find(x => x.name === field);
        return f ? { expr: f.type, module: item.module, self: undefined } : undefined;
      }
      case 'call_expression': {
        const fnode = e.childForFieldName('function');
        if (!fnode) return undefined;
        if (fnode.type === 'field_expression') return this.methodReturn(ctx, fnode, depth);
        const segs = this.pathSegments(fnode);
        if (!segs) return undefined;
        const last = segs[segs.length - 1];
        if (
          segs.length >= 2 &&
          [
            'String',
            'Vec',
            'HashMap',
            'HashSet',
            'BTreeMap',
            'VecDeque',
            'BytesMut',
            'Bytes',
          ].includes(segs[segs.length - 2])
        )
          return ty(segs[segs.length - 2] === 'String' ? 'String' : `${segs[segs.length - 2]}<u8>`);
        const fn = this.resolveFn(ctx, segs);
        if (fn && !fn.isAsync)
          return fn.returnType
            ? { expr: fn.returnType, module: fn.module, self: fn.owner?.selfType }
            : ty('()');
        if (
          segs.length >= 2 &&
          /^(new|default|with_capacity|from|from_raw_fd|from_raw_socket|from_raw_handle)$/.test(
            last,
          )
        ) {
          const t = segs.slice(0, -1).join('::');
          return t === 'Self' ? this.selfTy(ctx) : ty(t, m);
        }
        return undefined;
      }
    }
    return undefined;
  }

  private methodReturn(ctx: Ctx, fnode: SyntaxNode, depth: number): Ty | undefined {
    const name = fnode.childForFieldName('field')?.text ?? '';
    const recv = fnode.childForFieldName('value');
    if (['to_string', 'to_owned'].includes(name) && recv?.type === 'string_literal')
      return ty('String');
    if (name === 'to_string') return ty('String');
    if (['len', 'count', 'capacity'].includes(name)) return ty('usize');
    if (
      [
        'is_empty',
        'is_some',
        'is_none',
        'is_ok',
        'is_err',
        'contains',
        'contains_key',
        'starts_with',
        'ends_with',
      ].includes(name)
    )
      return ty('bool');
    if (['to_vec', 'concat'].includes(name)) return ty('Vec<u8>');
    const rt = recv ? this.typeOf(ctx, recv, depth + 1) : undefined;
    if (!rt) return undefined;
    if (['clone', 'to_owned'].includes(name)) return { ...rt, expr: stripRefs(rt.expr) };
    if (['unwrap', 'expect', 'unwrap_or', 'unwrap_or_default', 'unwrap_or_else'].includes(name)) {
      const a = firstTypeArg(stripRefs(rt.expr));
      return a ? { ...rt, expr: a } : undefined;
    }
    const fn = this.methodOf(rt, name);
    if (fn && !fn.isAsync)
      return fn.returnType
        ? { expr: fn.returnType, module: fn.module, self: fn.owner?.selfType }
        : ty('()');
    return undefined;
  }

  /** The workspace struct/enum a type names (through references and smart pointers). */
  private typeItem(t0: Ty): Item | undefined {
    const t = this.fix(t0);
    let e = stripRefs(t.expr);
    if (e.kind === 'path' && e.segments.length === 1 && e.segments[0].name === 'Self' && t.self)
      e = stripRefs(t.self);
    if (e.kind !== 'path') return undefined;
    const r = this.index.resolveType(t.module, e as PathExpr);
    return r.kind === 'item' ? r.item : undefined;
  }

  private rootModule?: string;

  /** Analyzer-made types (`String`, `Vec<u8>`) carry no module: read them at a crate root. */
  private fix(t: Ty): Ty {
    if (t.module) return t;
    this.rootModule ??= (this.index.moduleOf(this.index.fileNames()[0] ?? '') ?? '').split('::')[0];
    return { ...t, module: this.rootModule };
  }

  private sizeOfTy(t0: Ty): { size: number; align: number } {
    const t = this.fix(t0);
    if (t.expr.kind === 'ref' || t.expr.kind === 'ptr') {
      const i = t.expr.inner;
      const wide =
        i.kind === 'slice' ||
        i.kind === 'dyn' ||
        (i.kind === 'path' &&
          i.segments.length === 1 &&
          (i.segments[0].name === 'str' || i.segments[0].name === 'Path'));
      return { size: wide ? 16 : 8, align: 8 };
    }
    try {
      const l = this.engine.layOfType(
        t.expr,
        t.module,
        t.self ? { self: this.selfEnv(t) } : undefined,
      );
      if (l.status === 'exact' && !l.unsized) return { size: l.size, align: l.align };
      const known = knownTypeSize(this.externalPath(t));
      if (known) return known;
      if (l.status === 'lower-bound' && l.size > 0 && !l.unsized)
        return { size: Math.max(l.size, 8), align: Math.max(l.align, 1) };
    } catch {
      // A type the engine cannot evaluate counts as one pointer, like any unknown local.
    }
    return GUESS;
  }

  private selfEnv(t: Ty): { item: never; args: never[]; text: string } | undefined {
    // The engine resolves `Self` through env.self; only item-backed self types can be bound.
    const item = t.self ? this.typeItem({ expr: t.self, module: t.module }) : undefined;
    return item &&
      (item.kind === 'struct' ||
        item.kind === 'enum' ||
        item.kind === 'union' ||
        item.kind === 'type')
      ? ({ item, args: [], text: item.name } as never)
      : undefined;
  }

  /** `tokio::sync::MutexGuard` for a type written as `MutexGuard<'_, T>` and imported from tokio. */
  private externalPath(t0: Ty): string | undefined {
    const t = this.fix(t0);
    const e = stripRefs(t.expr);
    if (e.kind !== 'path') return undefined;
    const r = this.index.resolveType(t.module, e as PathExpr);
    if (r.kind === 'external' || r.kind === 'std') return r.path;
    // A dependency's type read from its sources (`tokio::net::tcp::socket::TcpSocket`).
    if (r.kind === 'item' && this.index.originOf(r.item).kind === 'dependency') return r.item.path;
    return e.segments.map(s => s.name).join('::');
  }

  private dropImplPaths?: Set<string>;

  /** Paths of the workspace types with an `impl Drop` (drop glue whatever their fields). */
  private dropImpls(): Set<string> {
    if (this.dropImplPaths) return this.dropImplPaths;
    this.dropImplPaths = new Set();
    for (const i of this.index.items) {
      if (
        i.kind !== 'impl' ||
        !i.trait ||
        i.trait.kind !== 'path' ||
        i.trait.segments[i.trait.segments.length - 1].name !== 'Drop'
      )
        continue;
      const st = i.selfType;
      if (st.kind !== 'path') continue;
      const r = this.index.resolveType(i.module, st as PathExpr);
      if (r.kind === 'item') this.dropImplPaths.add(r.item.path);
    }
    return this.dropImplPaths;
  }

  private needsDrop(t: Ty | undefined): boolean {
    if (!t) return true;
    const e = t.expr;
    const walk = (x: TypeExpr, d: number): boolean => {
      if (d > 6) return true;
      switch (x.kind) {
        case 'ref':
        case 'ptr':
        case 'fnptr':
        case 'never':
          return false;
        case 'array':
        case 'slice':
          return walk(x.elem, d + 1);
        case 'tuple':
          return x.elems.some(y => walk(y, d + 1));
        case 'path': {
          const name = x.segments[x.segments.length - 1].name;
          if (
            /^(u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|i128|isize|f32|f64|bool|char|Duration|Instant)$/.test(
              name,
            )
          )
            return false;
          if (name === 'Option') {
            const a = firstTypeArg(x);
            return a ? walk(a, d + 1) : true;
          }
          const item = this.typeItem({ expr: x, module: t.module });
          if (item?.kind === 'struct')
            return (
              this.dropImpls().has(item.path) ||
              (item as StructItem).fields.some(f => walk(f.type, d + 1))
            );
          return true;
        }
        default:
          return true;
      }
    };
    return walk(e, 0);
  }

  // ---- awaitees --------------------------------------------------------------------------

  private pathSegments(n: SyntaxNode): string[] | undefined {
    if (n.type === 'generic_function') {
      const f = n.childForFieldName('function');
      return f ? this.pathSegments(f) : undefined;
    }
    if (n.type !== 'identifier' && n.type !== 'scoped_identifier') return undefined;
    return textOf(n)
      .replace(/<[^<>]*(?:<[^<>]*>[^<>]*)*>/g, '')
      .replace(/\s+/g, '')
      .split('::')
      .filter(s => s !== '');
  }

  private buildMethods(): Map<string, FnItem[]> {
    if (!this.methods) {
      this.methods = new Map();
      for (const i of this.index.items) {
        if (i.kind !== 'fn' || !i.owner) continue;
        const k = i.name;
        (this.methods.get(k) ?? this.methods.set(k, []).get(k)!).push(i);
      }
    }
    return this.methods;
  }

  /** `Type::f` / `f` / `module::f` to a workspace fn. */
  private resolveFn(ctx: Ctx, segs: string[]): FnItem | undefined {
    const it = this.index.resolveItem(ctx.site.module, segs);
    if (it?.kind === 'fn') return it;
    if (segs.length >= 2) {
      const typeSegs = segs.slice(0, -1);
      const name = segs[segs.length - 1];
      const selfT =
        typeSegs.length === 1 && typeSegs[0] === 'Self'
          ? this.selfTy(ctx)
          : ty(typeSegs.join('::'), ctx.site.module);
      if (selfT) return this.methodOf(selfT, name);
    }
    return undefined;
  }

  /** Method `name` of the workspace type `t` (inherent or trait impl). */
  private methodOf(t: Ty, name: string): FnItem | undefined {
    const item = this.typeItem(t);
    const cands = this.buildMethods().get(name) ?? [];
    if (!item) return undefined;
    return cands.find(f => {
      const st = f.owner?.selfType;
      if (!st) return false;
      const s = stripRefs(st);
      if (s.kind !== 'path') return false;
      const r = this.index.resolveType(f.module, s as PathExpr);
      return r.kind === 'item' && r.item.path === item.path;
    });
  }

  private futureOfFn(ctx: Ctx, fn: FnItem, callee: string): FutSize {
    const output = fn.returnType
      ? { expr: fn.returnType, module: fn.module, self: fn.owner?.selfType }
      : ty('()');
    const asyncTrait = this.isAsyncTrait(fn);
    if (asyncTrait)
      return { size: 16, align: 8, status: 'estimate', callee, output, target: this.ofFn(fn) };
    if (fn.isAsync) {
      const f = this.ofFn(fn);
      if (!f) {
        const key = `${fn.span.file}\0`;
        const recursive = [...this.inProgress].some(
          k => k.startsWith(key) && this.fnCoversKey(fn, k),
        );
        return { size: 0, align: 1, status: 'lower-bound', callee, recursive, output };
      }
      return {
        size: f.size,
        align: f.align,
        status: f.status === 'lower-bound' ? 'lower-bound' : 'estimate',
        callee,
        target: f,
        recursive: f.recursive,
        output,
      };
    }
    // A plain fn returning a named future type (`fn acquire(&self) -> Acquire<'_>`), or
    // `impl Future` built by an `async` block in its tail.
    const rt = fn.returnType;
    const implFuture =
      !!rt &&
      (rt.kind === 'impl' ||
        /\bimpl\s+(?:std::future::|core::future::)?Future\b/.test((rt as { text: string }).text));
    if (rt && !implFuture) {
      const s = this.sizeOfTy({ expr: rt, module: fn.module, self: fn.owner?.selfType });
      return { size: s.size, align: s.align, status: 'estimate', callee };
    }
    if (implFuture) {
      // `-> impl Future` (or `Result<impl Future, E>`) built by an `async` block in the body:
      // the outermost such block is the returned future.
      const tree = this.treeOf(fn.span.file);
      const node = tree?.rootNode.namedDescendantForIndex(fn.nameSpan.startOffset)?.parent;
      const blk = node?.type === 'function_item' ? node.childForFieldName('body') : undefined;
      const blocks = blk?.descendantsOfType('async_block') ?? [];
      const outer = blocks.filter(
        b => !blocks.some(o => o.startIndex < b.startIndex && o.endIndex >= b.endIndex),
      );
      let best: FutureInfo | undefined;
      for (const ab of outer) {
        const f = this.ofNode(fn.span.file, ab, ctx.depth + 1);
        if (f && (!best || f.size > best.size)) best = f;
      }
      if (best)
        return {
          size: best.size,
          align: best.align,
          status: best.status === 'lower-bound' ? 'lower-bound' : 'estimate',
          callee,
          target: best,
        };
    }
    return { size: 0, align: 1, status: 'lower-bound', callee };
  }

  private fnCoversKey(fn: FnItem, key: string): boolean {
    const off = Number(key.split('\0')[1]);
    return off >= fn.span.startOffset && off < fn.span.endOffset;
  }

  private asyncTraitOwners?: Item[];

  /** The method sits in an `#[async_trait]` impl or trait: callers await a boxed future. */
  isAsyncTrait(fn: FnItem): boolean {
    if (!fn.owner) return false;
    this.asyncTraitOwners ??= this.index.items.filter(
      i =>
        (i.kind === 'impl' || i.kind === 'trait') &&
        i.attrs.some(a => a.name === 'async_trait' || a.name.endsWith('::async_trait')),
    );
    return this.asyncTraitOwners.some(
      i =>
        i.span.file === fn.span.file &&
        i.span.startOffset <= fn.span.startOffset &&
        i.span.endOffset >= fn.span.endOffset,
    );
  }

  /** Size of the future an expression evaluates to. */
  futureOf(ctx: Ctx, e: SyntaxNode | undefined, depth: number): FutSize {
    const unknown = (callee: string): FutSize => ({
      size: 0,
      align: 1,
      status: 'lower-bound',
      callee,
    });
    if (!e || depth > 8) return unknown(e?.text.slice(0, 40) ?? '?');
    switch (e.type) {
      case 'parenthesized_expression':
      case 'try_expression':
        // `make_fut()?.await`: the future inside the `Result`.
        return this.futureOf(ctx, e.namedChildren[0], depth + 1);
      case 'async_block': {
        const f = this.ofNode(ctx.site.file, e, ctx.depth + 1, ctx.base);
        return f
          ? {
              size: f.size,
              align: f.align,
              status: f.status === 'lower-bound' ? 'lower-bound' : 'estimate',
              callee: 'async block',
              target: f,
            }
          : unknown('async block');
      }
      case 'identifier': {
        const d = declFor(ctx.scan, textOf(e), e.startIndex);
        if (d?.init) return { ...this.futureOf(ctx, d.init, depth + 1) };
        // A future captured by a block (`let connect = socket.connect(a); async move { connect.await }`).
        if (!d && ctx.outer && !ctx.params.some(p => p.name === textOf(e))) {
          const od = declFor(ctx.outer.scan, textOf(e), ctx.scan.root.startIndex);
          if (od?.init) return { ...this.futureOf(ctx.outer, od.init, depth + 1) };
        }
        const t = d ? this.declType(ctx, d) : ctx.params.find(p => p.name === textOf(e))?.type;
        const known = t && knownFuture(this.externalPath(t) ?? '', []);
        if (known) return { ...known, callee: this.externalPath(t!) ?? textOf(e) };
        if (t) {
          const s = this.sizeOfTy(t);
          const item = this.typeItem(t);
          if (item) return { ...s, status: 'estimate', callee: item.path };
        }
        return unknown(textOf(e));
      }
      case 'call_expression': {
        const fnode = e.childForFieldName('function');
        const args = e.childForFieldName('arguments')?.namedChildren ?? [];
        if (!fnode) return unknown(textOf(e).slice(0, 40));
        if (fnode.type === 'field_expression') return this.methodFuture(ctx, fnode, args, depth);
        // Calling a local async closure: `let add = async |x| ..; add(1).await`.
        if (fnode.type === 'identifier') {
          const d = declFor(ctx.scan, textOf(fnode), fnode.startIndex);
          if (d?.init && isCoroutineNode(d.init)) {
            const f = this.ofNode(ctx.site.file, d.init, ctx.depth + 1, ctx.base);
            if (f)
              return {
                size: f.size,
                align: f.align,
                status: f.status === 'lower-bound' ? 'lower-bound' : 'estimate',
                callee: 'async closure',
                target: f,
              };
          }
        }
        const segs = this.pathSegments(fnode);
        if (!segs) return unknown(textOf(fnode).slice(0, 40));
        const last2 = segs.slice(-2).join('::');
        if (segs[segs.length - 1] === 'poll_fn' && args[0]?.type === 'closure_expression')
          return { ...this.closureSize(ctx, args[0]), status: 'estimate', callee: 'poll_fn' };
        if (last2 === 'Box::pin' || segs.join('::') === 'pin')
          return { size: 8, align: 8, status: 'estimate', callee: 'Box::pin' };
        const fn = this.resolveFn(ctx, segs);
        if (fn) return this.futureOfFn(ctx, fn, fn.path);
        const r = this.index.resolvePath(ctx.site.module, segs);
        // A tuple-struct future built in place: `Sleep(deadline).await`.
        if (r.kind === 'item') {
          const s = this.sizeOfTy({
            expr: parseTypeText(segs.join('::'))!,
            module: ctx.site.module,
          });
          return { ...s, status: 'estimate', callee: r.item.path };
        }
        const full = r.kind === 'external' || r.kind === 'std' ? r.path : segs.join('::');
        const known = knownFuture(
          full,
          args.map(a => () => this.futureOf(ctx, a, depth + 1)),
        );
        if (known) return { ...known, callee: full };
        return unknown(full);
      }
      case 'macro_invocation':
        return unknown(`${e.childForFieldName('macro')?.text ?? ''}!`);
      case 'struct_expression': {
        const t = this.typeOf(ctx, e, depth + 1);
        const item = t && this.typeItem(t);
        if (t && item) return { ...this.sizeOfTy(t), status: 'estimate', callee: item.path };
        return unknown(e.childForFieldName('name')?.text ?? '?');
      }
      default:
        return unknown(textOf(e).replace(/\s+/g, ' ').slice(0, 40));
    }
  }

  private methodFuture(ctx: Ctx, fnode: SyntaxNode, args: SyntaxNode[], depth: number): FutSize {
    const name = fnode.childForFieldName('field')?.text ?? '';
    const recv = fnode.childForFieldName('value');
    const rt = recv ? this.typeOf(ctx, recv, depth + 1) : undefined;
    if (rt) {
      // Deref wrappers (`slab::Ref<ScheduledIo>`): try the first type argument too.
      const inner = firstTypeArg(stripRefs(rt.expr));
      const fn =
        this.methodOf(rt, name) ??
        (inner ? this.methodOf({ ...rt, expr: inner }, name) : undefined);
      if (fn) return this.futureOfFn(ctx, fn, fn.path);
      const ext = this.externalPath(rt);
      const known = ext
        ? knownFuture(
            `${ext}::${name}`,
            args.map(a => () => this.futureOf(ctx, a, depth + 1)),
          )
        : undefined;
      if (known) return { ...known, callee: `${ext}::${name}` };
    }
    const known = knownFuture(
      `.${name}`,
      args.map(a => () => this.futureOf(ctx, a, depth + 1)),
    );
    if (known) return { ...known, callee: known.callee };
    // A method name that only one workspace async fn has.
    const cands = (this.buildMethods().get(name) ?? []).filter(
      f => f.isAsync || this.isAsyncTrait(f),
    );
    if (cands.length === 1) return this.futureOfFn(ctx, cands[0], cands[0].path);
    return { size: 0, align: 1, status: 'lower-bound', callee: `.${name}()` };
  }

  /**
   * Size of what a call returns when its type is not known otherwise: a future (async fn,
   * `impl Future` built by a block) or a fn's named return type. Undefined when unknown.
   */
  private valueOfCall(ctx: Ctx, init: SyntaxNode): { size: number; align: number } | undefined {
    if (init.type !== 'call_expression' && init.type !== 'async_block') return undefined;
    const f = this.futureOf(ctx, init, 1);
    // A partly known future still has its known part (the caller is then a lower bound too).
    return f.size > 0 ? { size: f.size, align: f.align } : undefined;
  }

  /** A closure's captures: one reference per captured name, or the values under `move`. */
  private closureSize(ctx: Ctx, c: SyntaxNode): { size: number; align: number } {
    const body = c.childForFieldName('body');
    if (!body) return { size: 0, align: 1 };
    const params = new Set<string>();
    for (const id of c.childForFieldName('parameters')?.descendantsOfType('identifier') ?? [])
      params.add(textOf(id));
    const names = new Set<string>();
    for (const id of body.descendantsOfType(['identifier', 'self'])) {
      const p = id.parent;
      if (
        p &&
        (p.type === 'scoped_identifier' ||
          (p.type === 'call_expression' && p.childForFieldName('function')?.id === id.id))
      )
        continue;
      if (params.has(textOf(id)) || !/^[a-z_]/.test(textOf(id))) continue;
      if (
        id.type === 'self' ||
        declFor(ctx.scan, textOf(id), c.startIndex) ||
        ctx.params.some(q => q.name === textOf(id))
      )
        names.add(textOf(id));
    }
    const byMove = /^move\b/.test(textOf(c));
    let size = 0;
    let align = 1;
    for (const n of names) {
      const t = byMove ? this.localType(ctx, n, c.startIndex) : undefined;
      const s = t ? this.sizeOfTy(t) : GUESS;
      align = Math.max(align, s.align);
      size = Math.ceil(size / s.align) * s.align + s.size;
    }
    return { size: Math.ceil(size / align) * align, align };
  }

  private awaitee(ctx: Ctx, a: AwaitPoint): FutSize {
    if (a.kind === 'await') return this.futureOf(ctx, a.operand, 0);
    const tt = a.operand.namedChildren.find(c => c.type === 'token_tree');
    const inner = tt ? textOf(tt).slice(1, -1) : '';
    const exprs = a.kind === 'join' ? splitJoinArgs(inner) : splitSelectFutures(inner);
    const futs = exprs.map(x => this.futureOfText(ctx, x));
    const macro = a.operand.childForFieldName('macro')?.text ?? a.kind;
    const r = a.kind === 'join' ? joinSize(futs) : selectSize(futs);
    const bad = futs.find(f => f.status === 'lower-bound');
    return {
      ...r,
      status: bad ? 'lower-bound' : 'estimate',
      callee: bad ? `${macro}!(${bad.callee})` : `${macro}!`,
    };
  }

  /** Sizes a future written as text inside a macro (re-parsed on its own). */
  private futureOfText(ctx: Ctx, text: string): FutSize {
    const { parseRust } = require('../parser') as typeof import('../parser');
    const src = `fn __f() { (${text}); }`;
    const tree = parseRust(src);
    registerSource(tree, src);
    const e = tree.rootNode.descendantsOfType('parenthesized_expression')[0]?.namedChildren[0];
    // Names inside refer to the enclosing body: resolve them as if written at the macro.
    return this.futureOf({ ...ctx, scan: { ...ctx.scan, locals: [] } }, e, 1);
  }
}

/** Methods that take their receiver by value (it is moved, not kept as a temporary). */
const CONSUMING =
  /^(?:unwrap|expect|unwrap_or|unwrap_or_else|unwrap_or_default|unwrap_err|expect_err|ok|err|into_\w+|map|map_err|and_then|or_else|ok_or|ok_or_else|unwrap_unchecked|await)$/;

/** A value expression (its result is a temporary), not a place (`x`, `self.f`, `*p`). */
function isValueExpr(e: SyntaxNode): boolean {
  return (
    e.type === 'call_expression' ||
    e.type === 'await_expression' ||
    e.type === 'struct_expression' ||
    e.type === 'macro_invocation' ||
    e.type === 'array_expression' ||
    e.type === 'tuple_expression'
  );
}

/**
 * `m.lock().unwrap()`, `l.read().unwrap()`, `c.borrow_mut()`: std's `MutexGuard` (lock pointer and
 * poison flag), `RwLock*Guard` and `Ref`/`RefMut` (two pointers) are 16 bytes.
 */
function guardSize(e: SyntaxNode): { size: number; align: number } | undefined {
  const t = textOf(e).replace(/\s+/g, '');
  if (
    /\.(?:lock|read|write)\(\)\.(?:unwrap|expect)\([^()]*\)$/.test(t) ||
    /\.borrow(?:_mut)?\(\)$/.test(t)
  )
    return { size: 16, align: 8 };
  return undefined;
}

/** A future handed to a spawn function (`tokio::spawn(big())`). */
export interface SpawnSite {
  file: string;
  /** 1-based position of the spawned expression. */
  line: number;
  column: number;
  /** The spawn function as written: `tokio::spawn`, `set.spawn`. */
  spawn: string;
  /** What the future is: `crate::conn::echo`, `async block`. */
  callee: string;
  size: number;
  align: number;
  /** The spawned future's own analysis, when it is defined in the workspace. */
  future?: FutureInfo;
  callStart: number;
  callEnd: number;
  argStart: number;
  argEnd: number;
}

export interface Ctx {
  site: Site;
  scan: BodyScan;
  params: { name: string; type?: Ty }[];
  depth: number;
  starts: number[];
  /** Offset of the parsed snippet in its file (fns inside macro bodies), else 0. */
  base: number;
  /** The enclosing body, for the types of a nested block's captures. */
  outer?: Ctx;
}
