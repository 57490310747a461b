/** Conversions between the core's plain data (1-based lines/columns) and LSP types (0-based). */
import { pathToFileURL, fileURLToPath } from 'node:url';
import {
  DiagnosticSeverity,
  type Diagnostic,
  type Range as LspRange,
  type WorkspaceEdit,
  type TextEdit as LspTextEdit,
} from 'vscode-languageserver';
import type { Finding, Range, Severity, TextEdit } from '../core/rules/types';
import { fullMessage, ruleDocPath } from '../core/rules/types';
import type { ProfileEvidence } from './analysis';

export const SOURCE = 'alloc-lens';

/** Rule docs: the README's rule pages on the repository (any editor can open an https link). */
export const DOCS_BASE = 'https://github.com/alloc-lens/alloc-lens/blob/main/';

export function fileUri(file: string): string {
  return pathToFileURL(file).toString();
}

/** The file path of a `file:` URI, or undefined for any other scheme. */
export function uriPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export function toRange(r: Pick<Range, 'line' | 'column' | 'endLine' | 'endColumn'>): LspRange {
  return {
    start: { line: r.line - 1, character: r.column - 1 },
    end: { line: r.endLine - 1, character: r.endColumn - 1 },
  };
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toSeverity(s: Severity): DiagnosticSeverity {
  return SEVERITY[s];
}

export function toDiagnostic(
  f: Finding,
  evidence?: ProfileEvidence,
  docsBase = DOCS_BASE,
): Diagnostic {
  const confirmed = evidence?.confirmed === true;
  return {
    range: toRange(f.range),
    // One line in most Problems views: the profile's confirmation first, then headline and notes.
    message: confirmed ? `${evidence!.note}: ${fullMessage(f)}` : fullMessage(f),
    severity: SEVERITY[confirmed ? evidence!.severity : f.severity],
    source: SOURCE,
    code: f.code,
    codeDescription: { href: docsBase + ruleDocPath(f.code) },
    relatedInformation: f.related.map(r => ({
      location: { uri: fileUri(r.range.file), range: toRange(r.range) },
      message: r.message,
    })),
  };
}

export function toWorkspaceEdit(edits: TextEdit[]): WorkspaceEdit {
  const changes: Record<string, LspTextEdit[]> = {};
  for (const e of edits)
    (changes[fileUri(e.range.file)] ??= []).push({ range: toRange(e.range), newText: e.newText });
  return { changes };
}

export function sameRange(a: LspRange, b: LspRange): boolean {
  return (
    a.start.line === b.start.line &&
    a.start.character === b.start.character &&
    a.end.line === b.end.line &&
    a.end.character === b.end.character
  );
}
