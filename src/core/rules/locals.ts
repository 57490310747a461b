/**
 * Local type knowledge inside a function body: parameter types, `let x: T` annotations, `self.f`
 * field types and obvious initialisers (`Rc::new(..)`, `String::from(..)`, `vec![..]`). Enough
 * for the loop rules; when a type is inferred from an initialiser, the result says so.
 */
import type { FnItem, StructItem, TypeExpr } from '../model';
import type { SyntaxNode } from '../parser';
import { parseTypeText } from '../index/type-text';
import type { RuleContext } from './context';

// LocalType and FnScan live in fn-scan-types.ts: context.ts needs FnScan, and importing it from
// here made a cycle (context.ts <-> locals.ts).
export type { FnScan, LocalType } from './fn-scan-types';
import type { FnScan, LocalType } from './fn-scan-types';

const INIT_GUESS: [RegExp, string][] = [
  [
    /^Rc::new\(\s*(String::from|format!|.*\.to_string\(\)|.*\.to_owned\(\)|String::new)/,
    'Rc<String>',
  ],
  [
    /^Arc::new\(\s*(String::from|format!|.*\.to_string\(\)|.*\.to_owned\(\)|String::new)/,
    'Arc<String>',
  ],
  [/^Rc::new\(\s*(vec!|Vec::)/, 'Rc<Vec<u8>>'],
  [/^Arc::new\(\s*(vec!|Vec::)/, 'Arc<Vec<u8>>'],
  [/^(std::rc::)?Rc::(new|clone)\(/, 'Rc<_>'],
  [/^(std::sync::)?Arc::(new|clone)\(/, 'Arc<_>'],
  [/^(String::(from|new|with_capacity)\(|format!|.*\.to_string\(\)$|.*\.to_owned\(\)$)/, 'String'],
  [/^(vec!|Vec::(new|with_capacity)\(|.*\.to_vec\(\)$|.*\.collect::<Vec)/, 'Vec<_>'],
  [/^(HashMap::(new|with_capacity)\()/, 'HashMap<_, _>'],
  [/^Box::new\(/, 'Box<_>'],
];

/** Map of local names to their types, for one fn body (`nodes`: its `BODY_KINDS` nodes). */
export function localTypes(fn: FnItem, nodes: SyntaxNode[]): Map<string, LocalType> {
  const m = new Map<string, LocalType>();
  for (const p of fn.params) {
    const name = p.pattern.replace(/^mut\s+/, '');
    if (p.type && /^\w+$/.test(name)) m.set(name, { type: p.type, guessed: false });
  }
  const fors: SyntaxNode[] = [];
  for (const decl of nodes) {
    if (decl.type === 'for_expression') {
      fors.push(decl);
      continue;
    }
    if (decl.type !== 'let_declaration') continue;
    const pat = decl.childForFieldName('pattern');
    const name =
      pat?.type === 'identifier'
        ? pat.text
        : pat?.type === 'mut_pattern'
          ? pat.namedChildren[0]?.text
          : undefined;
    if (!name) continue;
    const t = decl.childForFieldName('type');
    if (t) {
      const te = parseTypeText(t.text);
      if (te) m.set(name, { type: te, guessed: false });
      continue;
    }
    const v = decl.childForFieldName('value')?.text.replace(/\s+/g, ' ');
    if (!v) continue;
    const guess = INIT_GUESS.find(([re]) => re.test(v));
    const te = guess && parseTypeText(guess[1]);
    if (te) m.set(name, { type: te, guessed: true });
  }
  // `for x in xs` / `for x in xs.iter()` / `for x in &xs`: x is an element (a reference when iterating by reference).
  for (const f of fors) {
    const pat = f.childForFieldName('pattern');
    if (pat?.type !== 'identifier') continue;
    let v = f.childForFieldName('value');
    let byRef = false;
    if (v?.type === 'reference_expression') {
      byRef = true;
      v = v.namedChildren[v.namedChildren.length - 1];
    }
    if (v?.type === 'call_expression') {
      const fn = v.childForFieldName('function');
      if (
        fn?.type === 'field_expression' &&
        ['iter', 'iter_mut'].includes(fn.childForFieldName('field')?.text ?? '')
      ) {
        byRef = true;
        v = fn.childForFieldName('value');
      }
    }
    if (v?.type !== 'identifier') continue;
    const t = m.get(v.text);
    if (!t) continue;
    let c = t.type;
    if (c.kind === 'ref') {
      byRef = true;
      c = c.inner;
    }
    let elem: TypeExpr | undefined;
    if (c.kind === 'slice' || c.kind === 'array') elem = c.elem;
    else if (
      c.kind === 'path' &&
      ['Vec', 'VecDeque'].includes(c.segments[c.segments.length - 1].name)
    ) {
      const a = c.segments[c.segments.length - 1].args[0];
      if (a && a.kind === 'type') elem = a.type;
    }
    if (elem)
      m.set(pat.text, {
        type: byRef ? { kind: 'ref', mutable: false, inner: elem, text: `&${elem.text}` } : elem,
        guessed: t.guessed,
      });
  }
  return m;
}

/** The type of a receiver expression (`x`, `self.f`, `&x`), if known. */
export function receiverType(
  ctx: RuleContext,
  fn: FnItem,
  locals: Map<string, LocalType>,
  expr: SyntaxNode,
): LocalType | undefined {
  let e: SyntaxNode = expr;
  while (e.type === 'reference_expression' || e.type === 'parenthesized_expression')
    e = e.namedChildren[e.namedChildren.length - 1];
  if (e.type === 'identifier') return locals.get(e.text);
  if (
    e.type === 'field_expression' &&
    e.childForFieldName('value')?.text === 'self' &&
    fn.owner?.selfType?.kind === 'path'
  ) {
    const field = e.childForFieldName('field')?.text;
    const r = ctx.index.resolveType(fn.module, fn.owner.selfType);
    if (r.kind === 'item' && r.item.kind === 'struct') {
      const f = (r.item as StructItem).fields.find(x => x.name === field);
      if (f) return { type: f.type, guessed: false };
    }
  }
  return undefined;
}

/** Peel references: `&mut Vec<T>` -> `Vec<T>`. */
export function derefType(t: TypeExpr): TypeExpr {
  while (t.kind === 'ref') t = t.inner;
  return t;
}

/** The body nodes the rules look at, found in one search of each body. */
const BODY_KINDS = [
  'let_declaration',
  'for_expression',
  'call_expression',
  'match_expression',
  'closure_expression',
  'macro_invocation',
];

/** `fnNodes` plus `localTypes`, computed once per fn and rule run (several rules need both). */
export function fnScan(ctx: RuleContext, fn: FnItem): FnScan | undefined {
  ctx.fnScans ??= new Map();
  const memo = ctx.fnScans.get(fn);
  if (memo !== undefined) return memo ?? undefined;
  const nodes = fnNodes(ctx, fn);
  const found = nodes?.body.descendantsOfType(BODY_KINDS);
  const scan =
    nodes && found ? { ...nodes, nodes: found, locals: localTypes(fn, found) } : undefined;
  ctx.fnScans.set(fn, scan ?? null);
  return scan;
}

/** The function_item node of an indexed fn, and its body. */
export function fnNodes(
  ctx: RuleContext,
  fn: FnItem,
): { node: SyntaxNode; body: SyntaxNode } | undefined {
  const tree = ctx.index.tree(fn.span.file);
  if (!tree || !fn.hasBody) return undefined;
  let n: SyntaxNode | null = tree.rootNode.namedDescendantForIndex(
    fn.nameSpan.startOffset,
    fn.nameSpan.endOffset - 1,
  );
  while (n && n.type !== 'function_item') n = n.parent;
  const body = n?.childForFieldName('body');
  return n && body ? { node: n, body } : undefined;
}
