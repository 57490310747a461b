/** Conversions between the core's plain data and VS Code types (the only place that does it). */
import * as vscode from 'vscode';
import type { Finding, Range, Severity, TextEdit } from '../core/rules/types';
import { fullMessage, ruleDocPath } from '../core/rules/types';

export function toRange(r: Pick<Range, 'line' | 'column' | 'endLine' | 'endColumn'>): vscode.Range {
  return new vscode.Range(r.line - 1, r.column - 1, r.endLine - 1, r.endColumn - 1);
}

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

export function docsUri(extensionUri: vscode.Uri, code: Finding['code']): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, ruleDocPath(code));
}

/** What a loaded profile says about a finding. */
export interface ProfileEvidence {
  readonly severity: Severity;
  /** `confirmed by profile: 57.6% of memcpy samples (...)` */
  readonly note: string;
  readonly confirmed: boolean;
}

export function toDiagnostic(f: Finding, extensionUri: vscode.Uri, evidence?: ProfileEvidence): vscode.Diagnostic {
  // The Problems view shows one line: the profile's confirmation first, then headline and notes.
  const msg = evidence?.confirmed ? `${evidence.note}: ${fullMessage(f)}` : fullMessage(f);
  const d = new vscode.Diagnostic(toRange(f.range), msg, SEVERITY[evidence?.confirmed ? evidence.severity : f.severity]);
  d.source = 'alloc-lens';
  d.code = { value: f.code, target: docsUri(extensionUri, f.code) };
  d.relatedInformation = f.related.map(r => new vscode.DiagnosticRelatedInformation(new vscode.Location(vscode.Uri.file(r.range.file), toRange(r.range)), r.message));
  return d;
}

export function toWorkspaceEdit(edits: TextEdit[]): vscode.WorkspaceEdit {
  const we = new vscode.WorkspaceEdit();
  for (const e of edits) we.replace(vscode.Uri.file(e.range.file), toRange(e.range), e.newText);
  return we;
}
