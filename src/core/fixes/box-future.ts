/**
 * Boxing fixes of `large-future` besides `Box::pin(fut).await`:
 *
 * - at a spawn site, `tokio::spawn(fut)` -> `tokio::spawn(Box::pin(fut))`: the task then moves an
 *   8-byte pointer instead of the whole future;
 * - for a large local held across an `.await`, `let buf = [0u8; 16384];` ->
 *   `let buf = Box::new([0u8; 16384]);`, offered only when every use keeps its type: index
 *   bases, field accesses and slice-method receivers go through `Deref` unchanged, every other
 *   use becomes `*buf` (`&mut buf` -> `&mut *buf`), which is the same place as before. Uses inside
 *   macros other than the formatting and assertion ones, or a name the tree cannot show as an
 *   identifier, leave the fix out: a fix must compile.
 */
import { relayout } from '../future/coroutine';
import type { FutureInfo, HeldLocal } from '../future/types';
import type { SyntaxNode, Tree } from '../parser';
import type { Fix, TextEdit } from './types';
import { editAt } from './edits';

const fmtB = (n: number) => `${n.toLocaleString('en-US')} B`;

/** `tokio::spawn(fut)` -> `tokio::spawn(Box::pin(fut))`. */
export function boxSpawnFix(
  file: string,
  text: string,
  argStart: number,
  argEnd: number,
  size: number,
  preferred: boolean,
): Fix {
  const arg = text.slice(argStart, argEnd);
  const short = arg.length > 40 ? `${arg.slice(0, 37)}...` : arg;
  return {
    title: `Box the spawned future: \`Box::pin(${short.replace(/\s+/g, ' ')})\` (moved: ${fmtB(size)} → 8 B)`,
    preferred,
    edits: [editAt(file, text, argStart, argEnd, `Box::pin(${arg})`)],
  };
}

/** Methods of arrays, slices and `Vec` that read through `Deref` with the same result on a `Box`. */
const DEREF_METHODS = new Set([
  'len',
  'is_empty',
  'iter',
  'iter_mut',
  'as_slice',
  'as_mut_slice',
  'as_ptr',
  'as_mut_ptr',
  'copy_from_slice',
  'clone_from_slice',
  'fill',
  'get',
  'get_mut',
  'first',
  'last',
  'first_mut',
  'last_mut',
  'starts_with',
  'ends_with',
  'contains',
  'to_vec',
  'chunks',
  'chunks_exact',
  'windows',
  'split_at',
  'split_at_mut',
  'swap',
  'reverse',
  'sort',
  'sort_unstable',
  'binary_search',
  'push',
  'pop',
  'extend_from_slice',
  'insert',
  'remove',
  'clear',
  'truncate',
  'resize',
  'capacity',
  'reserve',
  'as_str',
  'as_bytes',
]);

/** Macros whose arguments are plain expressions (a `*x` there is the same value). */
const EXPR_MACROS =
  /^(?:std::|core::)?(?:print|println|eprint|eprintln|format|write|writeln|panic|assert|assert_eq|assert_ne|debug_assert|debug_assert_eq|debug_assert_ne|dbg|log::\w+|tracing::\w+|trace|debug|info|warn|error)$/;

/** Parents where `*x` needs no parentheses. */
const PLAIN = new Set([
  'arguments',
  'let_declaration',
  'assignment_expression',
  'compound_assignment_expr',
  'binary_expression',
  'return_expression',
  'tuple_expression',
  'array_expression',
  'field_initializer',
  'block',
  'expression_statement',
  'match_expression',
  'if_expression',
  'while_expression',
]);

function letAt(root: SyntaxNode, start: number, end: number): SyntaxNode | undefined {
  for (
    let n: SyntaxNode | null = root.descendantForIndex(start, Math.max(start, end - 1));
    n;
    n = n.parent
  ) {
    if (n.type === 'let_declaration' && n.startIndex === start) return n;
    if (n.startIndex < start) break;
  }
  return undefined;
}

/**
 * The edits that box local `h` of future `f` (in `text`, parsed as `tree`), or undefined when a
 * use could change type or meaning.
 */
export function boxLocalEdits(
  file: string,
  text: string,
  tree: Tree,
  h: HeldLocal,
): TextEdit[] | undefined {
  if (h.declStart === undefined || h.declEnd === undefined || !h.uses) return undefined;
  if (/^(?:&|\*|Box\s*<|Vec\s*<|String$|Arc\s*<|Rc\s*<)/.test(h.type)) return undefined;
  const decl = letAt(tree.rootNode, h.declStart, h.declEnd);
  const value = decl?.childForFieldName('value');
  const pat = decl?.childForFieldName('pattern');
  if (
    !decl ||
    !value ||
    !pat ||
    text.slice(pat.startIndex, pat.endIndex).replace(/^mut\s+/, '') !== h.name
  )
    return undefined;
  const vtext = text.slice(value.startIndex, value.endIndex);
  // Already on the heap (or a value whose type the box could change: `Default::default()`).
  if (/^(?:Box::|vec!|Vec::|String::|Arc::|Rc::|Default::default\(\)$)/.test(vtext))
    return undefined;
  const typeNode = decl.childForFieldName('type');
  const edits: TextEdit[] = [];
  if (typeNode)
    edits.push(
      editAt(
        file,
        text,
        typeNode.startIndex,
        typeNode.endIndex,
        `Box<${text.slice(typeNode.startIndex, typeNode.endIndex)}>`,
      ),
    );
  edits.push(editAt(file, text, value.startIndex, value.endIndex, `Box::new(${vtext})`));
  for (const u of h.uses) {
    const id = tree.rootNode.descendantForIndex(u, u + h.name.length);
    if (
      id.type !== 'identifier' ||
      id.startIndex !== u ||
      text.slice(id.startIndex, id.endIndex) !== h.name
    )
      return undefined;
    const p = id.parent;
    if (!p) return undefined;
    const deref = (wrap: boolean) =>
      edits.push(
        editAt(file, text, id.startIndex, id.endIndex, wrap ? `(*${h.name})` : `*${h.name}`),
      );
    if (p.type === 'index_expression' && p.namedChildren[0]?.id === id.id) continue;
    if (p.type === 'field_expression' && p.childForFieldName('value')?.id === id.id) {
      const field = p.childForFieldName('field');
      const name = field ? text.slice(field.startIndex, field.endIndex) : '';
      const isCall =
        p.parent?.type === 'call_expression' && p.parent.childForFieldName('function')?.id === p.id;
      if (isCall ? DEREF_METHODS.has(name) : true) continue;
      deref(true);
      continue;
    }
    if (p.type === 'reference_expression') {
      deref(false);
      continue;
    }
    if (p.type === 'shorthand_field_initializer') {
      edits.push(editAt(file, text, id.startIndex, id.endIndex, `${h.name}: *${h.name}`));
      continue;
    }
    if (p.type === 'token_tree') {
      let m: SyntaxNode | null = p;
      while (m && m.type === 'token_tree') m = m.parent;
      const mac = m?.type === 'macro_invocation' ? m.childForFieldName('macro') : undefined;
      if (!mac || !EXPR_MACROS.test(text.slice(mac.startIndex, mac.endIndex).replace(/\s+/g, '')))
        return undefined;
      // A whole argument (`, buf)`) takes `*buf`; anything else, `(*buf)`.
      const before = text.slice(0, id.startIndex).trimEnd().slice(-1);
      const after = text.slice(id.endIndex).trimStart()[0];
      deref(!((before === ',' || before === '(') && (after === ',' || after === ')')));
      continue;
    }
    deref(!PLAIN.has(p.type));
  }
  return edits;
}

/**
 * "Box `buf` in `read_frame`": the local of `f` that makes it large, boxed, when the future
 * shrinks to at most half. `what` names the future in the title (`read_frame's future`).
 */
export function boxLocalFix(
  file: string,
  text: string,
  tree: Tree,
  f: FutureInfo,
): Fix | undefined {
  const layout = f.layout;
  if (!layout) return undefined;
  const held = new Map<string, HeldLocal>();
  for (const a of f.awaits)
    for (const h of a.held) if (h.key && !held.has(h.key)) held.set(h.key, h);
  const biggest = [...held.values()].sort((a, b) => b.size - a.size)[0];
  if (!biggest?.key || biggest.size < 64) return undefined;
  const after = relayout(layout.shape, biggest.key, 8, 8);
  if (after.size * 2 > f.size) return undefined;
  const edits = boxLocalEdits(file, text, tree, biggest);
  if (!edits) return undefined;
  const fnName = f.kind === 'async-fn' ? f.fn.split('::').pop() : f.kind.replace('-', ' ');
  return {
    title: `Box the local \`${biggest.name}\` held across .await in \`${fnName}\` (future: ${fmtB(f.size)} → ≈ ${fmtB(after.size)})`,
    preferred: false,
    edits,
  };
}
