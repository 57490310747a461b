/**
 * Pure presentation of future sizes for editors (hover text, inlay hints), shared by the VS Code
 * providers and the LSP server: no `vscode` here, plain strings and positions.
 */
import * as path from 'node:path';
import type { WorkspaceIndex } from '../index/workspace';
import type { LayoutEngine } from '../layout/engine';
import type { FnItem } from '../model';
import type { SyntaxNode } from '../parser';
import { FutureAnalyzer } from './analyze';
import { isCoroutineNode, registerSource } from './scan';
import type { FutureInfo } from './types';

const fmt = (n: number) => n.toLocaleString('en-US');

function sizeText(f: FutureInfo): string {
  if (f.status === 'lower-bound') return `at least ${fmt(f.size)} B`;
  return f.status === 'exact' ? `${fmt(f.size)} B (rustc)` : `≈ ${fmt(f.size)} B`;
}

/**
 * Markdown for hovering an async fn: its future size, the biggest awaitees (linked to their
 * definitions with `file://` URIs) and locals held across an `.await`. `top` awaitees at most.
 */
export function futureHoverMarkdown(f: FutureInfo, top = 3): string {
  const out = [
    `**future of \`${f.fn.split('::').slice(-1)[0]}\`**: ${sizeText(f)}, align ${f.align} (${f.status})`,
  ];
  if (f.recursive)
    out.push('⚠ recursive: the future contains itself and must be boxed (`Box::pin`)');
  if (f.largest) out.push(`largest: ${f.largest.replace(/`/g, "'")}`);
  const awaits = [...f.awaits]
    .filter(a => a.size !== null || a.status === 'lower-bound')
    .sort((a, b) => (b.size ?? 0) - (a.size ?? 0))
    .slice(0, top);
  if (awaits.length) {
    out.push('biggest awaitees:');
    for (const a of awaits) {
      const size = a.size === null ? 'unknown size' : `${fmt(a.size)} B`;
      const name = a.callee.replace(/`/g, "'");
      const link = a.target
        ? `[\`${name}\`](file://${encodeURI(a.target.file)}#L${a.target.line})`
        : `\`${name}\``;
      out.push(
        `- line ${a.line}: ${link} ${size}${a.held.length ? `, holding ${a.held.map(h => `\`${h.name}\` (${fmt(h.size)} B)`).join(', ')}` : ''}`,
      );
    }
  }
  if (f.unknown?.length)
    out.push(
      `unknown awaitees (counted as 0): ${f.unknown.map(u => `\`${u.replace(/`/g, "'")}\``).join(', ')}`,
    );
  return out.join('\n\n');
}

/** An inlay hint: 1-based line/column where it goes (after the fn signature) and its label. */
export interface FutureHint {
  line: number;
  column: number;
  label: string;
  tooltip: string;
}

/** Inlay hints for the async fns of `file` whose future is at least `minSize` bytes. */
export function futureInlayHints(
  index: WorkspaceIndex,
  engine: LayoutEngine,
  file: string,
  minSize: number,
  analyzer = new FutureAnalyzer(index, engine),
): FutureHint[] {
  const out: FutureHint[] = [];
  for (const it of index.itemsInFile(file)) {
    if (it.kind !== 'fn') continue;
    const fn = it as FnItem;
    if (!fn.isAsync || !fn.hasBody) continue;
    const f = analyzer.ofFn(fn);
    if (!f || f.size < minSize) continue;
    const s = fn.signatureSpan;
    out.push({
      line: s.endLine,
      column: s.endColumn,
      label: ` future ${sizeText(f)}`,
      tooltip: futureHoverMarkdown(f),
    });
  }
  return out;
}

/** The future of the async fn whose name is at (line, column) of `file` (1-based), if any. */
export function futureAt(
  index: WorkspaceIndex,
  engine: LayoutEngine,
  file: string,
  line: number,
  column: number,
  analyzer = new FutureAnalyzer(index, engine),
): FutureInfo | undefined {
  for (const it of index.itemsInFile(file)) {
    if (it.kind !== 'fn' || !(it as FnItem).isAsync) continue;
    const n = it.nameSpan;
    if (n.line === line && column >= n.column && column <= n.endColumn)
      return analyzer.ofFn(it as FnItem);
  }
  return undefined;
}

/**
 * The future a cursor at (line, column) of `file` (1-based) means: an async fn by its name or
 * signature, else the innermost async block, async closure or async fn around the cursor.
 */
export function futureAround(
  index: WorkspaceIndex,
  engine: LayoutEngine,
  file: string,
  line: number,
  column: number,
  analyzer = new FutureAnalyzer(index, engine),
): FutureInfo | undefined {
  const starts = index.lineStarts(file);
  const tree = index.tree(file);
  if (!starts || line < 1 || line > starts.length) return undefined;
  const offset = starts[line - 1] + column - 1;
  let fn: FnItem | undefined;
  for (const it of index.itemsInFile(file)) {
    if (it.kind !== 'fn' || !(it as FnItem).isAsync || !(it as FnItem).hasBody) continue;
    if (it.span.startOffset > offset || it.span.endOffset <= offset) continue;
    if (!fn || it.span.startOffset >= fn.span.startOffset) fn = it as FnItem;
  }
  const ofFn = (x: FnItem) => {
    const r = analyzer.ofFn(x);
    if (r && analyzer.isAsyncTrait(x)) r.asyncTrait = true;
    return r;
  };
  // On the signature of an async fn: that fn (an async block in its body is not meant).
  if (fn && line <= fn.signatureSpan.endLine) return ofFn(fn);
  const text = index.fileText(file);
  if (tree && text !== undefined) {
    registerSource(tree, text);
    for (
      let n = tree.rootNode.descendantForIndex(offset, offset) as SyntaxNode | null;
      n;
      n = n.parent
    ) {
      if (isCoroutineNode(n)) return analyzer.ofNode(file, n);
      if (n.type === 'function_item') break;
    }
  }
  return fn ? ofFn(fn) : undefined;
}

/** Whether (0-based) `line` of `file` is on the signature of an async fn (offer Explain Future Size). */
export function onAsyncSignature(index: WorkspaceIndex, file: string, line: number): boolean {
  return index
    .itemsInFile(file)
    .some(
      it =>
        it.kind === 'fn' &&
        (it as FnItem).isAsync &&
        (it as FnItem).hasBody &&
        it.span.line - 1 <= line &&
        (it as FnItem).signatureSpan.endLine - 1 >= line,
    );
}

/** `src/conn.rs` for messages. */
export function relFile(root: string, file: string): string {
  return path.relative(root, file) || path.basename(file);
}

/**
 * What an `#[async_trait]` impl boxes per call: the size range of its methods' futures (the
 * async block inside each `Box::pin`), e.g. `boxed futures of 144-208 B, largest put`.
 */
export function asyncTraitBoxedText(
  index: WorkspaceIndex,
  engine: LayoutEngine,
  methods: readonly FnItem[],
): string | undefined {
  const analyzer = new FutureAnalyzer(index, engine);
  const sized = methods
    .map(m => ({ m, f: analyzer.ofFn(m) }))
    .filter((x): x is { m: FnItem; f: FutureInfo } => !!x.f);
  if (!sized.length) return undefined;
  sized.sort((a, b) => b.f.size - a.f.size);
  const lo = sized[sized.length - 1].f;
  const hi = sized[0].f;
  const atLeast = sized.some(x => x.f.status === 'lower-bound') ? 'at least ' : '';
  const range = lo.size === hi.size ? `${fmt(hi.size)} B` : `${fmt(lo.size)}-${fmt(hi.size)} B`;
  return `boxed futures of ${atLeast}${range}, largest \`${sized[0].m.name}\``;
}
