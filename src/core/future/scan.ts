/**
 * The syntax side of future sizing: one walk over a coroutine body (an `async fn`'s block, an
 * `async` block or an async closure) that finds its suspension points, its locals and where each
 * name is used. Liveness is lexical, which is what rustc's MIR liveness reduces to for straight
 * code: a local is saved across an `.await` when it is declared before it, is still in scope, and
 * is used after it (or anywhere in a loop around it), or has drop glue and was not moved before.
 */
import type { SyntaxNode, Tree } from '../parser';

const SOURCES = new WeakMap<Tree, string>();

/** Remember the text a tree was parsed from: `node.text` re-reads it through the binding. */
export function registerSource(tree: Tree, text: string): void {
  SOURCES.set(tree, text);
}

/** A node's text, sliced from the registered source (much cheaper than `node.text`). */
export function textOf(n: SyntaxNode): string {
  const s = SOURCES.get(n.tree);
  return s !== undefined ? s.slice(n.startIndex, n.endIndex) : n.text;
}

/** A binding inside the body: a `let`, a `for`/`while let`/`if let` pattern or a parameter. */
export interface LocalDecl {
  name: string;
  /** Offset after which the binding exists (end of its `let` statement, start for parameters). */
  declEnd: number;
  /** The region where the name is in scope. */
  scopeStart: number;
  scopeEnd: number;
  /** `let x: T` annotation. */
  typeNode?: SyntaxNode;
  /** `let x = init` initialiser (only for a plain identifier pattern). */
  init?: SyntaxNode;
  /** An async fn / async closure parameter (moved into a local at the first resume). */
  param?: boolean;
  /** Start of its `let` statement (simple `let x = ..` only: the box-local fix rewrites it). */
  declStart?: number;
}

/** One use of a name: `move` when the value is moved there (a call argument, `let y = x`). */
export interface NameUse {
  name: string;
  offset: number;
  move: boolean;
  /** `&x` / `&mut x`: the local itself is borrowed. */
  borrow: boolean;
  /** Inside a nested closure or block (captured, by reference unless `move`). */
  nested: boolean;
  /** Receiver of a method call (`x.m()`): auto-referenced when `x` is not a reference. */
  receiver: boolean;
}

/** A suspension point: `expr.await` or a `join!`/`select!` macro. */
export interface AwaitPoint {
  node: SyntaxNode;
  /** The awaited expression (for `.await`), or the macro invocation. */
  operand: SyntaxNode;
  start: number;
  end: number;
  kind: 'await' | 'join' | 'select';
}

export interface BodyScan {
  /** The coroutine node: `function_item`, `async_block` or `closure_expression`. */
  root: SyntaxNode;
  body: SyntaxNode;
  awaits: AwaitPoint[];
  locals: LocalDecl[];
  uses: Map<string, NameUse[]>;
  /** Loop bodies (start, end) inside this coroutine, for back-edge liveness. */
  loops: [number, number][];
  /** Names used in the body but bound outside it (captures of an async block / closure). */
  captures: string[];
  /** Captures moved somewhere inside (captured by value even without `move`). */
  movedCaptures: Set<string>;
  /** Locals pinned in place by `pin!`/`pin_mut!`: they stay until the end of their scope. */
  pinned: Set<string>;
  /** Nested async blocks and closures (sized separately, captured by the parent). */
  nested: SyntaxNode[];
}

const JOIN_MACROS = new Set(['join', 'try_join']);
const SELECT_MACROS = new Set(['select', 'select_biased']);

/** Whether `n` starts a coroutine of its own: an async block or an async closure. */
export function isCoroutineNode(n: SyntaxNode): boolean {
  if (n.type === 'async_block') return true;
  return n.type === 'closure_expression' && /^(?:static\s+)?async\b/.test(textOf(n).slice(0, 16));
}

/** `tokio::join!` -> `join` when the macro is a join/select of tokio or futures. */
export function joinSelectKind(n: SyntaxNode): 'join' | 'select' | undefined {
  if (n.type !== 'macro_invocation') return undefined;
  const m = n.childForFieldName('macro');
  const name = m ? textOf(m).replace(/\s+/g, '') : '';
  const last = name.split('::').pop() ?? '';
  if (JOIN_MACROS.has(last)) return 'join';
  if (SELECT_MACROS.has(last)) return 'select';
  return undefined;
}

/**
 * Whether `n` belongs to the body directly, not to a nested block, closure or fn. Decided from
 * offsets against the nested ranges: walking `parent` crosses N-API once per level.
 */
function directIn(n: SyntaxNode, nestedRanges: [number, number, boolean][]): boolean {
  const s = n.startIndex;
  for (const [a, b] of nestedRanges) if (s > a && s < b) return false;
  return true;
}

/** Inside a nested `move` closure or `async move` block: the capture moves the value. */
function inMove(n: SyntaxNode, nestedRanges: [number, number, boolean][]): boolean {
  const s = n.startIndex;
  return nestedRanges.some(([a, b, mv]) => mv && s > a && s < b);
}

function patternNames(pat: SyntaxNode | null): string[] {
  if (!pat) return [];
  if (pat.type === 'identifier') return [textOf(pat)];
  const out: string[] = [];
  for (const id of pat.descendantsOfType(['identifier', 'shorthand_field_identifier'])) {
    const p = id.parent;
    // `Some(x)`: `Some` is the pattern's type; `a::B { .. }` path segments are not bindings.
    if (p && (p.type === 'scoped_identifier' || p.childForFieldName('type')?.id === id.id))
      continue;
    const s = textOf(id);
    if (/^[A-Z]/.test(s)) continue;
    out.push(s);
  }
  return out;
}

const PATTERN_PARENTS = new Set([
  'mut_pattern',
  'tuple_pattern',
  'tuple_struct_pattern',
  'field_pattern',
  'ref_pattern',
  'or_pattern',
  'slice_pattern',
  'captured_pattern',
  'parameter',
  'closure_parameters',
  'match_pattern',
]);

const MOVE_PARENTS = new Set([
  'await_expression',
  'arguments',
  'let_declaration',
  'field_initializer',
  'return_expression',
  'tuple_expression',
  'array_expression',
]);

/**
 * Scans a coroutine body. `params` are parameter names (async fn / async closure). `declsOnly`:
 * only the bindings (no uses, awaits or captures), for bodies whose locals are only looked up
 * (the enclosing fn of an async block, an async fn without suspension points): names are most
 * of the nodes, and each crosses N-API.
 */
export function scanBody(
  root: SyntaxNode,
  body: SyntaxNode,
  params: string[],
  isActive?: (attr: string) => boolean,
  declsOnly = false,
  boundOutside?: (name: string) => boolean,
): BodyScan {
  const awaits: AwaitPoint[] = [];
  const locals: LocalDecl[] = [];
  const uses = new Map<string, NameUse[]>();
  const loops: [number, number][] = [];
  const nested: SyntaxNode[] = [];
  const pinned = new Set<string>();
  for (const p of params)
    locals.push({
      name: p,
      declEnd: body.startIndex,
      scopeStart: body.startIndex,
      scopeEnd: body.endIndex,
      param: true,
    });
  // With `boundOutside`, only uses of names bound so far in the body (bindings come before their
  // uses in the walk) or bound outside it are recorded: other names are items (fns, consts,
  // statics), neither saved nor captured, and skipping them saves a parent lookup each.
  const declared = new Set(params);
  const outside = new Map<string, boolean>();
  const relevant = (name: string) => {
    if (!boundOutside || declared.has(name)) return true;
    let r = outside.get(name);
    if (r === undefined) outside.set(name, (r = boundOutside(name)));
    return r;
  };
  // A nested block/closure/fn starts a region owned by it (its own start node stays direct).
  const nestedRanges: [number, number, boolean][] = body
    .descendantsOfType(['async_block', 'closure_expression', 'function_item'])
    .map(x => [x.startIndex, x.endIndex, /^(?:async\s+)?move\b/.test(textOf(x).slice(0, 12))]);
  const kinds = declsOnly
    ? ['let_declaration', 'for_expression', 'while_expression', 'loop_expression', 'let_condition']
    : [
        'await_expression',
        'let_declaration',
        'for_expression',
        'while_expression',
        'loop_expression',
        'let_condition',
        'macro_invocation',
        'async_block',
        'closure_expression',
        'identifier',
        'self',
      ];
  for (const n of body.descendantsOfType(kinds)) {
    const direct = directIn(n, nestedRanges);
    switch (n.type) {
      case 'identifier':
      case 'self': {
        if (!relevant(textOf(n))) break;
        const p = n.parent;
        if (p && (p.type === 'scoped_identifier' || p.type === 'scoped_type_identifier')) break;
        // The macro's name (its first child; a path name's parent is a scoped_identifier).
        if (p?.type === 'macro_invocation' && p.startIndex === n.startIndex) break;
        // Bindings are not uses: `let x`, `Some(x)`, `(a, b)`, closure parameters.
        if (
          p &&
          (PATTERN_PARENTS.has(p.type) ||
            (p.type === 'let_declaration' && p.childForFieldName('pattern')?.id === n.id) ||
            (p.type === 'for_expression' && p.childForFieldName('pattern')?.id === n.id) ||
            (p.type === 'let_condition' && p.childForFieldName('pattern')?.id === n.id))
        )
          break;
        const name = textOf(n);
        let list = uses.get(name);
        if (!list) uses.set(name, (list = []));
        // A name under a field_expression is its value (the field is a field_identifier).
        const receiver = p?.type === 'field_expression' && p.parent?.type === 'call_expression';
        // (A binding, the only `pattern` child of these parents, was left out above.)
        const moved = !direct && inMove(n, nestedRanges);
        list.push({
          name,
          offset: n.startIndex,
          move: moved || (!!p && MOVE_PARENTS.has(p.type)),
          borrow: p?.type === 'reference_expression',
          nested: !direct && !moved,
          receiver,
        });
        break;
      }
      case 'async_block':
      case 'closure_expression':
        if (direct && isCoroutineNode(n)) nested.push(n);
        break;
      case 'await_expression':
        if (direct)
          awaits.push({
            node: n,
            operand: n.namedChildren[0],
            start: n.startIndex,
            end: n.endIndex,
            kind: 'await',
          });
        break;
      case 'macro_invocation': {
        const k = joinSelectKind(n);
        if (k && direct)
          awaits.push({ node: n, operand: n, start: n.startIndex, end: n.endIndex, kind: k });
        const m = n.childForFieldName('macro');
        if (direct && m && /(^|::)(pin_mut|pin)$/.test(textOf(m).replace(/\s+/g, ''))) {
          for (const id of n.descendantsOfType('identifier'))
            if (id.id !== m.id && id.parent?.type === 'token_tree') pinned.add(textOf(id));
        }
        break;
      }
      case 'let_declaration': {
        if (!direct) break;
        // `#[cfg(..)] let x = ..;` that is compiled out does not exist.
        const prev = n.previousNamedSibling;
        if (isActive && prev?.type === 'attribute_item' && !isActive(textOf(prev))) break;
        const pat = n.childForFieldName('pattern');
        const scope = n.parent;
        const end = scope ? scope.endIndex : body.endIndex;
        const simple = pat?.type === 'identifier' || pat?.type === 'mut_pattern';
        for (const name of patternNames(pat)) {
          declared.add(name);
          locals.push({
            name,
            declEnd: n.endIndex,
            scopeStart: n.endIndex,
            scopeEnd: end,
            typeNode: simple ? (n.childForFieldName('type') ?? undefined) : undefined,
            init: simple ? (n.childForFieldName('value') ?? undefined) : undefined,
            declStart: simple ? n.startIndex : undefined,
          });
        }
        break;
      }
      case 'let_condition': {
        if (!direct) break;
        // `while let P = e { body }` / `if let P = e { body }`: P is bound in the body.
        const stmt = n.parent?.type === 'let_chain' ? n.parent.parent : n.parent;
        const blk = stmt?.childForFieldName('body') ?? stmt?.childForFieldName('consequence');
        if (!blk) break;
        for (const name of patternNames(n.childForFieldName('pattern'))) {
          declared.add(name);
          locals.push({
            name,
            declEnd: blk.startIndex,
            scopeStart: blk.startIndex,
            scopeEnd: blk.endIndex,
          });
        }
        break;
      }
      case 'for_expression':
      case 'while_expression':
      case 'loop_expression': {
        if (!direct) break;
        const b = n.childForFieldName('body');
        // A `while` condition runs on every iteration too.
        if (b)
          loops.push([n.type === 'while_expression' ? n.startIndex : b.startIndex, b.endIndex]);
        if (n.type === 'for_expression' && b) {
          for (const name of patternNames(n.childForFieldName('pattern'))) {
            declared.add(name);
            locals.push({
              name,
              declEnd: b.startIndex,
              scopeStart: b.startIndex,
              scopeEnd: b.endIndex,
            });
          }
        }
        break;
      }
    }
  }
  const scan: BodyScan = {
    root,
    body,
    awaits,
    locals,
    uses,
    loops,
    captures: [],
    movedCaptures: new Set(),
    pinned,
    nested,
  };
  // A capture is a use with no binding in scope inside the body (`let x = x?;` captures `x`).
  for (const [name, list] of uses) {
    if (name !== 'self' && !/^[a-z_]/.test(name)) continue;
    const free = list.filter(u => !declFor(scan, name, u.offset));
    if (!free.length) continue;
    scan.captures.push(name);
    if (free.some(u => u.move)) scan.movedCaptures.add(name);
  }
  return scan;
}

const byName = new WeakMap<BodyScan, { n: number; m: Map<string, LocalDecl[]> }>();

/** The locals of `scan` named `name` (indexed once; rebuilt if locals were added). */
function localsNamed(scan: BodyScan, name: string): LocalDecl[] {
  let b = byName.get(scan);
  if (!b || b.n !== scan.locals.length) {
    b = { n: scan.locals.length, m: new Map() };
    for (const l of scan.locals) (b.m.get(l.name) ?? b.m.set(l.name, []).get(l.name)!).push(l);
    byName.set(scan, b);
  }
  return b.m.get(name) ?? [];
}

/** The declaration a use at `offset` refers to: the innermost, latest one in scope. */
export function declFor(scan: BodyScan, name: string, offset: number): LocalDecl | undefined {
  let best: LocalDecl | undefined;
  for (const l of localsNamed(scan, name)) {
    if (l.declEnd > offset || offset >= l.scopeEnd || offset < l.scopeStart) continue;
    if (!best || l.declEnd >= best.declEnd) best = l;
  }
  return best;
}

/** The uses that refer to a local (per declaration: scans are not changed after they are made). */
const ownUses = new WeakMap<LocalDecl, NameUse[]>();

/**
 * Whether `l` is held across the suspension point `a`. `needsDrop`: the local's type has drop
 * glue (its drop at the end of the scope is a use).
 */
export function liveAcross(
  scan: BodyScan,
  l: LocalDecl,
  a: AwaitPoint,
  needsDrop: boolean,
  isRef = false,
): boolean {
  if (l.declEnd > a.start || a.end > l.scopeEnd || a.start < l.scopeStart) return false;
  let list = ownUses.get(l);
  if (!list)
    ownUses.set(
      l,
      (list = (scan.uses.get(l.name) ?? []).filter(u => declFor(scan, l.name, u.offset) === l)),
    );
  if (list.some(u => u.offset >= a.end)) return true;
  // The awaited future borrows it: `read(&mut buf).await`, `poll_fn(|cx| x.poll(cx)).await`,
  // `stream.read_u32().await` on an owned stream.
  const os = a.operand.startIndex;
  const oe = a.operand.endIndex;
  if (
    a.kind === 'await' &&
    list.some(
      u => u.offset >= os && u.offset < oe && (u.borrow || u.nested || (u.receiver && !isRef)),
    )
  )
    return true;
  for (const [s, e] of scan.loops) {
    if (
      a.start >= s &&
      a.end <= e &&
      l.declEnd <= s &&
      list.some(u => u.offset >= s && u.offset < e)
    )
      return true;
  }
  // Pinned in place (`pin_mut!(fut)`): later uses go through the pin, the value stays put.
  if (scan.pinned.has(l.name)) return true;
  if (!needsDrop) return false;
  // A move inside the awaited expression happens before the suspension. A move on some paths
  // only (one branch of an `if`/`match`, a loop or closure body) leaves the value maybe-init:
  // rustc keeps it, and a drop flag, in the future (`if b { eat(v) } f().await`: 544 B, not 32).
  const moves = list.filter(u => u.move && u.offset < a.end);
  return !moves.some(u => definiteMove(scan, l, u.offset, a, moves));
}

/**
 * The local `l` is moved before the suspension point `a` and kept only for its drop: moved on
 * some path but not all. rustc then stores a drop flag next to it.
 */
export function maybeMovedBefore(scan: BodyScan, l: LocalDecl, a: AwaitPoint): boolean {
  const list = ownUses.get(l) ?? [];
  const moves = list.filter(u => u.move && u.offset < a.end);
  return moves.length > 0 && !moves.some(u => definiteMove(scan, l, u.offset, a, moves));
}

/**
 * Whether the move at `offset` happens on every path from the local's declaration to `a`:
 * no enclosing branch, loop body, closure or short-circuit operand between the move and the
 * local's scope leaves it out, unless every branch of that conditional moves the local too
 * (`if c { eat(v) } else { drop(v) }`).
 */
function definiteMove(
  scan: BodyScan,
  l: LocalDecl,
  offset: number,
  a: AwaitPoint,
  moves: NameUse[],
): boolean {
  const movedIn = (n: SyntaxNode) =>
    moves.some(u => u.offset >= n.startIndex && u.offset < n.endIndex);
  let n: SyntaxNode | null = scan.body.descendantForIndex(offset, offset + 1);
  for (let depth = 0; n && depth < 200; depth++) {
    const p: SyntaxNode | null = n.parent;
    if (!p || (p.startIndex <= l.scopeStart && p.endIndex >= l.scopeEnd)) return true;
    // The await inside the same branch: the move is on its path.
    if (
      a.start >= p.startIndex &&
      a.end <= p.endIndex &&
      (p.type === 'block' || p.type === 'match_arm')
    )
      return true;
    switch (p.type) {
      case 'if_expression': {
        if (p.childForFieldName('condition')?.id === n.id) break;
        const cons = p.childForFieldName('consequence');
        const alt = p.childForFieldName('alternative');
        if (!cons || !alt || !movedIn(cons) || !movedIn(alt)) return false;
        break;
      }
      case 'match_block': {
        const arms = p.namedChildren.filter(c => c.type === 'match_arm');
        if (!arms.every(movedIn)) return false;
        break;
      }
      // A closure or block captures where it is created: on the path.
      case 'while_expression':
      case 'for_expression':
        if (p.childForFieldName('body')?.id === n.id) return false;
        break;
      case 'binary_expression': {
        const op = p.childForFieldName('operator')?.type;
        if ((op === '&&' || op === '||') && p.childForFieldName('right')?.id === n.id) return false;
        break;
      }
    }
    n = p;
  }
  return true;
}
