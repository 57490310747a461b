/** Hover, inlay hints, code actions and CodeLens: pure functions of the analysis state. */
import {
  CodeActionKind,
  InlayHintKind,
  type CodeAction,
  type CodeLens,
  type Diagnostic,
  type InlayHint,
  type Range as LspRange,
} from 'vscode-languageserver';
import { isTypeDef, type TypeDefItem, type TypeExpr } from '../core/model';
import { layoutMarkdown, sizeLabel } from '../core/layout/markdown';
import type { Finding } from '../core/rules/types';
import type { FolderState, WorkspaceAnalysis } from './analysis';
import { fileUri, sameRange, SOURCE, toRange, toWorkspaceEdit } from './convert';
import type { ExactLayouts } from './exact';
import {
  futureAround,
  futureAt,
  futureHoverMarkdown,
  futureInlayHints,
  onAsyncSignature,
} from '../core/future/present';
import { explainFutureMarkdown } from '../core/future/explain';
import type { WORKSPACE_COMMANDS } from './protocol';

const n = (x: number) => x.toLocaleString('en-US');

export const EXPLAIN_COMMAND: (typeof WORKSPACE_COMMANDS)[number] = 'allocLens.explainLayout';
export const EXPLAIN_FUTURE_COMMAND: (typeof WORKSPACE_COMMANDS)[number] =
  'allocLens.explainFuture';

/** Layout markdown of the type under (0-based) `line`/`character`, with rustc's word if verified. */
export function layoutHover(
  folder: FolderState,
  exact: ExactLayouts,
  file: string,
  line: number,
  character: number,
): string | undefined {
  // On an async fn's name: the size of its future and its biggest awaitees.
  const fut = futureAt(folder.index, folder.engine, file, line + 1, character + 1);
  if (fut) return futureHoverMarkdown(fut);
  const ref = folder.index.typeRefAt(file, line + 1, character + 1);
  if (!ref) return undefined;
  // A use with generic arguments (`Wrapper<u16>`) is laid out as written; a name as its definition.
  const last =
    ref.expr && ref.expr.kind === 'path'
      ? ref.expr.segments[ref.expr.segments.length - 1]
      : undefined;
  const l =
    last && last.args.length > 0
      ? folder.engine.layoutOfType(ref.expr as TypeExpr, ref.module)
      : folder.engine.layoutOfItem(ref.item);
  let text = layoutMarkdown(ref.item, l, { title: ref.expr?.text ?? ref.item.path });
  const c = exact.confirmed(folder.root, ref.item);
  if (c) {
    text +=
      c.size === l.size && c.align === l.align
        ? `\n\n✔ rustc-confirmed: ${n(c.size)} B, align ${c.align}`
        : `\n\n⚠ rustc says ${n(c.size)} B, align ${c.align} (estimate ${n(l.size)} B)`;
  }
  const inst = exact.instantiations(folder.root, ref.item);
  if (inst.length)
    text += `\n\nInstantiations compiled by rustc: ${inst
      .slice(0, 12)
      .map(i => `\`${i.text}\` = ${n(i.size)} B`)
      .join(', ')}`;
  return text;
}

/** The type an "Explain layout" at a position means: the type there, else a finding's error type. */
export function typeAt(
  analysis: WorkspaceAnalysis,
  folder: FolderState,
  file: string,
  line: number,
  character: number,
): TypeDefItem | undefined {
  const def = folder.index.typeRefAt(file, line + 1, character + 1)?.item;
  if (def) return def;
  // On a function name (large-error): its error type, by the path the rule resolved (not by a
  // bare name, which two modules can share).
  const f = analysis
    .findingsFor(file)
    .find(x => x.range.line === line + 1 && x.code === 'large-error');
  const errPath = f?.code === 'large-error' ? f.data.errPath : undefined;
  const item = errPath ? folder.index.itemByPath(errPath) : undefined;
  return item && ['struct', 'enum', 'union', 'type'].includes(item.kind)
    ? (item as TypeDefItem)
    : undefined;
}

function largeTypes(
  folder: FolderState,
  exact: ExactLayouts,
  file: string,
  from: number,
  to: number,
) {
  const out: { item: TypeDefItem; label: string; size: number }[] = [];
  for (const item of folder.index.itemsInFile(file)) {
    if (!isTypeDef(item) || item.nameSpan.line - 1 < from || item.nameSpan.line - 1 > to) continue;
    const l = folder.engine.layoutOfItem(item as TypeDefItem);
    if (l.error || l.status === 'unknown' || l.size < folder.editor.inlayHintsMinSize) continue;
    const c = exact.confirmed(folder.root, item as TypeDefItem);
    out.push({
      item: item as TypeDefItem,
      label: c ? `${n(c.size)} B ✔` : sizeLabel(l),
      size: c?.size ?? l.size,
    });
  }
  return out;
}

export function inlayHints(
  folder: FolderState,
  exact: ExactLayouts,
  file: string,
  range: LspRange,
): InlayHint[] {
  if (!folder.editor.inlayHintsEnabled) return [];
  const types: InlayHint[] = largeTypes(folder, exact, file, range.start.line, range.end.line).map(
    t => ({
      position: { line: t.item.nameSpan.endLine - 1, character: t.item.nameSpan.endColumn - 1 },
      label: ` = ${t.label}`,
      kind: InlayHintKind.Type,
      tooltip: {
        kind: 'markdown',
        value: layoutMarkdown(t.item, folder.engine.layoutOfItem(t.item)),
      },
      paddingLeft: false,
    }),
  );
  // Async fns whose future is large (at least 1 KiB, and at least the type-hint minimum).
  const futures: InlayHint[] = futureInlayHints(
    folder.index,
    folder.engine,
    file,
    Math.max(folder.editor.inlayHintsMinSize, 1024),
  )
    .filter(h => h.line - 1 >= range.start.line && h.line - 1 <= range.end.line)
    .map(h => ({
      position: { line: h.line - 1, character: h.column - 1 },
      label: h.label,
      kind: InlayHintKind.Type,
      tooltip: { kind: 'markdown', value: h.tooltip },
    }));
  return [...types, ...futures];
}

/** A lens above every large type: its size and how many findings it causes here. */
export function codeLenses(
  analysis: WorkspaceAnalysis,
  folder: FolderState,
  exact: ExactLayouts,
  file: string,
): CodeLens[] {
  if (!folder.editor.codeLensEnabled) return [];
  const all = analysis.allFindings();
  return largeTypes(folder, exact, file, 0, Number.MAX_SAFE_INTEGER).map(t => {
    const mentions = all.filter(f => mentionsType(f, t.item.name)).length;
    const pos = { line: t.item.nameSpan.line - 1, character: t.item.nameSpan.column - 1 };
    return {
      range: {
        start: { line: t.item.span.line - 1, character: 0 },
        end: { line: t.item.span.line - 1, character: 0 },
      },
      command: {
        title: `${t.item.name} · ${t.label}${mentions ? ` · ${mentions} finding${mentions === 1 ? '' : 's'}` : ''}`,
        command: EXPLAIN_COMMAND,
        arguments: [fileUri(file), pos],
      },
    };
  });
}

function mentionsType(f: Finding, name: string): boolean {
  return new RegExp(`\\b${name.replace(/[^\w]/g, '')}\\b`).test(f.message);
}

/** Quick fixes, a suppression and "Explain layout" for each of our diagnostics in the request. */
export function codeActions(
  analysis: WorkspaceAnalysis,
  file: string,
  text: string | undefined,
  range: LspRange,
  diagnostics: Diagnostic[],
): CodeAction[] {
  const findings = analysis.findingsFor(file);
  const ours = diagnostics.filter(d => d.source === SOURCE);
  // Clients that send no diagnostics in the context get the actions of findings on the range's lines.
  const picked: { f: Finding; d?: Diagnostic }[] = ours.length
    ? ours.flatMap(d => {
        const f = findings.find(
          x => x.code === String(d.code) && sameRange(toRange(x.range), d.range),
        );
        return f ? [{ f, d }] : [];
      })
    : findings
        .filter(f => f.range.line - 1 <= range.end.line && f.range.endLine - 1 >= range.start.line)
        .map(f => ({ f }));
  const lines = text?.split('\n');
  const actions: CodeAction[] = [];
  for (const { f, d } of picked) {
    const diags = d ? [d] : undefined;
    for (const fix of f.fixes) {
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        edit: toWorkspaceEdit(fix.edits),
        diagnostics: diags,
        isPreferred: fix.preferred,
      });
    }
    if (lines) {
      const at = firstAttributeLine(lines, f.range.line - 1);
      const indent = /^\s*/.exec(lines[f.range.line - 1] ?? '')![0];
      actions.push({
        title: `Suppress ${f.code} for this item`,
        kind: CodeActionKind.QuickFix,
        diagnostics: diags,
        edit: {
          changes: {
            [fileUri(file)]: [
              {
                range: { start: { line: at, character: 0 }, end: { line: at, character: 0 } },
                newText: `${indent}// alloc-lens: allow(${f.code})\n`,
              },
            ],
          },
        },
      });
    }
    const pos = { line: f.range.line - 1, character: f.range.column - 1 };
    if (f.code === 'large-future') actions.push(explainFutureAction(file, pos, diags));
    else
      actions.push({
        title: 'Explain layout',
        kind: CodeActionKind.QuickFix,
        diagnostics: diags,
        command: {
          title: 'Explain layout',
          command: EXPLAIN_COMMAND,
          arguments: [fileUri(file), pos],
        },
      });
  }
  // On an async fn's signature: its future's state machine, findings or not.
  const folder = analysis.folderFor(file);
  if (
    !picked.some(p => p.f.code === 'large-future') &&
    folder &&
    onAsyncSignature(folder.index, file, range.start.line)
  ) {
    actions.push(explainFutureAction(file, range.start));
  }
  return actions;
}

function explainFutureAction(
  file: string,
  pos: { line: number; character: number },
  diagnostics?: Diagnostic[],
): CodeAction {
  const title = 'Explain future size';
  return {
    title,
    kind: CodeActionKind.QuickFix,
    diagnostics,
    command: {
      title,
      command: EXPLAIN_FUTURE_COMMAND,
      arguments: [fileUri(file), { line: pos.line, character: pos.character }],
    },
  };
}

/**
 * Explain Future Size at a (0-based) position: the markdown of the future there, or undefined
 * when the cursor is in no async fn, async block or async closure.
 */
export function explainFuture(
  folder: FolderState,
  file: string,
  line: number,
  character: number,
): { markdown: string; title: string } | undefined {
  const f = futureAround(folder.index, folder.engine, file, line + 1, character + 1);
  if (!f) return undefined;
  const name =
    f.kind === 'async-fn'
      ? f.fn.split('::').pop()!
      : `${f.fn.split('::').slice(-2).join('-')}-${f.line}`;
  return { markdown: explainFutureMarkdown(f, folder.root), title: `future-${name}` };
}

/** Suppressions go above the item's attributes and doc comments. */
function firstAttributeLine(lines: string[], line: number): number {
  let l = line;
  while (l > 0 && /^\s*(#\[|\/\/\/)/.test(lines[l - 1])) l--;
  return l;
}
