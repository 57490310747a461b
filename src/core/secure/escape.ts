/**
 * Escaping for text that comes from untrusted input (symbol and file names in a profile someone
 * sent you) before it goes into VS Code markdown or a quick pick. Unescaped, a symbol named
 * `[docs](https://evil)` or `![x](https://evil/track.png)` becomes a link or a remote image in a
 * hover, and `$(alert)` in a quick-pick label becomes an icon.
 */

// Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all of them
// also breaks GFM bare autolinks (`https\://`, `www\.`), which a narrower set would let through.
const MD_PUNCT = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/** `text` as literal markdown text: punctuation backslash-escaped, line breaks made spaces. */
export function escapeMarkdown(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ').replace(MD_PUNCT, '\\$&');
}

function longestRun(text: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    run = text[i] === ch ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/** `text` as an inline code span: a backtick fence longer than any run inside (CommonMark). */
export function markdownCode(text: string): string {
  const flat = text.replace(/\r\n?|\n/g, ' ');
  const fence = '`'.repeat(longestRun(flat, '`') + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || flat.startsWith(' ') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** `text` as a fenced code block whose fence no line of `text` can close. */
export function markdownCodeBlock(text: string, lang = 'text'): string {
  const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
  return `\n${fence}${lang}\n${text}\n${fence}\n`;
}

/** Quick-pick labels, descriptions and details render `$(name)` as an icon; `\$(` shows it as is. */
export function escapeIcons(text: string): string {
  return text.replace(/\$\(/g, '\\$(');
}

/**
 * Notification messages are not markdown but render `[label](https://...|command:...)` as a link
 * (VS Code's linked text). A zero-width space between `]` and `(` keeps such text literal.
 */
export function escapeLinkedText(text: string): string {
  return text.replace(/\]\(/g, ']\u200b(');
}
