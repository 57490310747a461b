/** Hover, inlay hints and code actions: thin adapters over the core. */
import * as vscode from 'vscode';
import type { Analysis } from './analysis';
import { readSettings } from './config';
import { toRange, toWorkspaceEdit } from './convert';
import { layoutMarkdown, sizeLabel } from './layout-markdown';
import type { TypeDefItem, TypeExpr } from '../core/model';
import { isTypeDef } from '../core/model';
import type { ExactLayouts } from './exact';
import { futureAt, futureHoverMarkdown, futureInlayHints } from '../core/future/present';

export class LayoutHover implements vscode.HoverProvider {
  constructor(
    private readonly analysis: Analysis,
    private readonly exact?: ExactLayouts,
  ) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const folder = this.analysis.folderFor(doc.uri.fsPath);
    if (!folder) return undefined;
    const fut = futureAt(folder.index, folder.engine, doc.uri.fsPath, pos.line + 1, pos.character + 1);
    if (fut) return new vscode.Hover(new vscode.MarkdownString(futureHoverMarkdown(fut)));
    const ref = folder.index.typeRefAt(doc.uri.fsPath, pos.line + 1, pos.character + 1);
    if (!ref) return undefined;
    // A use with generic arguments (`Wrapper<u16>`) is laid out as written; a name as its definition.
    const l = ref.expr && ref.expr.kind === 'path' && ref.expr.segments[ref.expr.segments.length - 1].args.length > 0 ? folder.engine.layoutOfType(ref.expr as TypeExpr, ref.module) : folder.engine.layoutOfItem(ref.item);
    let text = layoutMarkdown(ref.item, l, { title: ref.expr?.text ?? ref.item.path });
    const c = this.exact?.confirmed(folder.root, ref.item);
    if (c) text += c.size === l.size && c.align === l.align ? `\n\n✔ rustc-confirmed: ${c.size.toLocaleString('en-US')} B, align ${c.align}` : `\n\n⚠ rustc says ${c.size.toLocaleString('en-US')} B, align ${c.align} (estimate ${l.size.toLocaleString('en-US')} B)`;
    const inst = this.exact?.instantiations(folder.root, ref.item) ?? [];
    if (inst.length) text += `\n\nInstantiations compiled by rustc: ${inst.slice(0, 12).map(i => `\`${i.text}\` = ${i.size.toLocaleString('en-US')} B`).join(', ')}`;
    const md = new vscode.MarkdownString(text);
    md.isTrusted = false;
    return new vscode.Hover(md);
  }
}

export class SizeInlayHints implements vscode.InlayHintsProvider {
  readonly onDidChangeInlayHints: vscode.Event<void>;
  constructor(
    private readonly analysis: Analysis,
    private readonly exact?: ExactLayouts,
  ) {
    this.onDidChangeInlayHints = analysis.onDidChange;
  }

  provideInlayHints(doc: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] {
    const s = readSettings(doc.uri);
    if (!s.inlayHintsEnabled) return [];
    const folder = this.analysis.folderFor(doc.uri.fsPath);
    if (!folder) return [];
    const hints: vscode.InlayHint[] = [];
    for (const item of folder.index.itemsInFile(doc.uri.fsPath)) {
      if (!isTypeDef(item) || item.nameSpan.line - 1 < range.start.line || item.nameSpan.line - 1 > range.end.line) continue;
      const l = folder.engine.layoutOfItem(item as TypeDefItem);
      if (l.error || l.status === 'unknown' || l.size < s.inlayHintsMinSize) continue;
      const c = this.exact?.confirmed(folder.root, item as TypeDefItem);
      const label = c ? ` = ${c.size.toLocaleString('en-US')} B ✔` : ` = ${sizeLabel(l)}`;
      const h = new vscode.InlayHint(new vscode.Position(item.nameSpan.endLine - 1, item.nameSpan.endColumn - 1), label, vscode.InlayHintKind.Type);
      h.tooltip = new vscode.MarkdownString(layoutMarkdown(item as TypeDefItem, l));
      h.paddingLeft = false;
      hints.push(h);
    }
    // Async fns whose future is large (same minimum size as type hints).
    for (const fh of futureInlayHints(folder.index, folder.engine, doc.uri.fsPath, Math.max(s.inlayHintsMinSize, 1024))) {
      if (fh.line - 1 < range.start.line || fh.line - 1 > range.end.line) continue;
      const h = new vscode.InlayHint(new vscode.Position(fh.line - 1, fh.column - 1), fh.label, vscode.InlayHintKind.Type);
      h.tooltip = new vscode.MarkdownString(fh.tooltip);
      hints.push(h);
    }
    return hints;
  }
}

export class FindingActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];
  constructor(private readonly analysis: Analysis) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const findings = this.analysis.findingsFor(doc.uri.fsPath);
    for (const d of ctx.diagnostics) {
      if (d.source !== 'alloc-lens') continue;
      const code = typeof d.code === 'object' ? String(d.code.value) : String(d.code);
      const f = findings.find(x => x.code === code && toRange(x.range).isEqual(d.range));
      if (!f) continue;
      for (const fix of f.fixes) {
        const a = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        a.edit = toWorkspaceEdit(fix.edits);
        a.diagnostics = [d];
        a.isPreferred = fix.preferred;
        actions.push(a);
      }
      const line = doc.lineAt(d.range.start.line);
      const indent = line.text.slice(0, line.firstNonWhitespaceCharacterIndex);
      const suppress = new vscode.CodeAction(`Suppress ${code} for this item`, vscode.CodeActionKind.QuickFix);
      suppress.edit = new vscode.WorkspaceEdit();
      suppress.edit.insert(doc.uri, new vscode.Position(firstAttributeLine(doc, d.range.start.line), 0), `${indent}// alloc-lens: allow(${code})\n`);
      suppress.diagnostics = [d];
      actions.push(suppress);
      const explain = new vscode.CodeAction('Explain layout', vscode.CodeActionKind.QuickFix);
      explain.command = { title: 'Explain layout', command: 'allocLens.explainLayout', arguments: [doc.uri, d.range.start] };
      actions.push(explain);
    }
    return actions;
  }
}

/** Insert suppressions above the item's attributes and doc comments. */
function firstAttributeLine(doc: vscode.TextDocument, line: number): number {
  let l = line;
  while (l > 0 && /^\s*(#\[|\/\/\/)/.test(doc.lineAt(l - 1).text)) l--;
  return l;
}
