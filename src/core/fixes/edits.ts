/**
 * Building and applying text edits (the editor applies them as a WorkspaceEdit; tests and the CLI
 * apply them to strings).
 */
import { lineStarts, spanAt } from '../index/syntax';
import type { TextEdit } from './types';

/** `1,234 B`. (`toLocaleString` took ~50 us a call: 1,136 fix titles cost 100 ms.) */
export function fmtB(n: number): string {
  return `${Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : n.toLocaleString('en-US')} B`;
}

let cachedText: string | undefined;
let cachedLines: number[] = [];

export function editAt(
  file: string,
  text: string,
  start: number,
  end: number,
  newText: string,
): TextEdit {
  if (text !== cachedText) {
    cachedText = text;
    cachedLines = lineStarts(text);
  }
  const lines = cachedLines;
  const s = spanAt({ file, offset: 0, lines }, start, end);
  return {
    range: { file, line: s.line, column: s.column, endLine: s.endLine, endColumn: s.endColumn },
    startOffset: start,
    endOffset: end,
    newText,
  };
}

/** Apply edits to one file's text (edits must not overlap). */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.startOffset - a.startOffset);
  let out = text;
  let lastStart = Infinity;
  for (const e of sorted) {
    if (e.endOffset > lastStart)
      throw new Error(`overlapping edits at ${e.range.file}:${e.range.line}`);
    out = out.slice(0, e.startOffset) + e.newText + out.slice(e.endOffset);
    lastStart = e.startOffset;
  }
  return out;
}

/** Group edits by file. */
export function byFile(edits: TextEdit[]): Map<string, TextEdit[]> {
  const m = new Map<string, TextEdit[]>();
  for (const e of edits) m.set(e.range.file, [...(m.get(e.range.file) ?? []), e]);
  return m;
}
