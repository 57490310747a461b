/**
 * The markdown of the profile hover on a hot line. Built here (no vscode) so that the escaping
 * of profile-derived text (symbol names, frames) is tested: see core/secure/escape.ts.
 */
import { escapeMarkdown, markdownCode, markdownCodeBlock } from '../core/secure/escape';
import type { StackJson } from './report';

export interface HoverInput {
  rel: string;
  line: number;
  functionLevel: boolean;
  countsLine: string;
  fn: string;
  stacks: StackJson[];
}

export function profileHoverMarkdown(h: HoverInput): string {
  const where = `${escapeMarkdown(h.rel)}:${h.line}${h.functionLevel ? ' (function-level: no srcline)' : ''}`;
  const stacks = h.stacks.map(
    st => `${st.samples} samples\n${st.frames.map(f => `  ${f}`).join('\n')}`,
  );
  return (
    `**Alloc Lens profile** · ${where}\n\n${escapeMarkdown(h.countsLine)}\n\n` +
    `in ${markdownCode(h.fn)}\n\nTop stacks (leaf first):\n` +
    markdownCodeBlock(stacks.join('\n\n'))
  );
}
