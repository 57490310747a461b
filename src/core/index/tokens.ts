/**
 * The token scanner behind the text parsers (`type-text`, `item-text`). It reads char codes
 * directly; a unit test checks it splits real sources exactly as the regular expression it
 * replaced (kept there as the reference) does.
 *
 * Tokens: `::` `->` `=>`, lifetimes (`'a`), raw identifiers (`r#type`), identifiers, numbers
 * (`0x1F_u8`, `1.5`), string and char literals, and single punctuation characters. Whitespace and
 * comments are dropped.
 */

export type Tok = { t: string; s: number; e: number };

const PUNCT = new Set('<>(),[];&*!+=?{}:#-/%|^.@'.split('').map(c => c.charCodeAt(0)));

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isWord(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  return c > 127 && /\s/.test(String.fromCharCode(c));
}

/** Where a line terminator stops `.` in a regular expression (so a `\` cannot escape it). */
function isLineEnd(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

/** End of the word (`\w*`) starting at `i`. */
function wordEnd(src: string, i: number): number {
  while (i < src.length && isWord(src.charCodeAt(i))) i++;
  return i;
}

/** End of a `"..."` literal starting at `i`, or -1 when it does not close cleanly. */
function stringEnd(src: string, i: number): number {
  for (let j = i + 1; j < src.length; j++) {
    const c = src.charCodeAt(j);
    if (c === 34) return j + 1;
    if (c === 92) {
      if (j + 1 >= src.length || isLineEnd(src.charCodeAt(j + 1))) return -1;
      j++;
    }
  }
  return -1;
}

/** End of the token starting at `i` (not whitespace or a comment), or -1 when none matches. */
function tokenEnd(src: string, i: number): number {
  const c = src.charCodeAt(i);
  const n = i + 1 < src.length ? src.charCodeAt(i + 1) : -1;
  if ((c === 58 && n === 58) || (c === 45 && n === 62) || (c === 61 && n === 62)) return i + 2; // :: -> =>
  if (c === 39) {
    // 'a (lifetime), then 'x' / '\n' (char literal)
    if (isIdentStart(n)) return wordEnd(src, i + 2);
    if (n === 92) {
      if (i + 2 < src.length && !isLineEnd(src.charCodeAt(i + 2)) && src.charCodeAt(i + 3) === 39)
        return i + 4;
      return -1;
    }
    if (n !== -1 && n !== 39 && src.charCodeAt(i + 2) === 39) return i + 3;
    return -1;
  }
  if (c === 114 && n === 35 && i + 2 < src.length && isIdentStart(src.charCodeAt(i + 2)))
    return wordEnd(src, i + 3); // r#ident
  if (isIdentStart(c)) return wordEnd(src, i + 1);
  if (isDigit(c)) {
    let j = i + 1;
    while (j < src.length && (isWord(src.charCodeAt(j)) || src.charCodeAt(j) === 46)) j++;
    return j;
  }
  if (c === 34) return stringEnd(src, i);
  return PUNCT.has(c) ? i + 1 : -1;
}

/**
 * Tokens of `src`, or undefined for text this scanner cannot split safely: raw strings, byte and
 * char literals it would confuse with lifetimes, nested block comments. Callers then fall back to
 * the tree.
 */
export function tokenize(src: string): Tok[] | undefined {
  const out: Tok[] = [];
  const len = src.length;
  let i = 0;
  while (i < len) {
    const c = src.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 47 && i + 1 < len) {
      const n = src.charCodeAt(i + 1);
      if (n === 47) {
        const nl = src.indexOf('\n', i);
        i = nl === -1 ? len : nl;
        continue;
      }
      if (n === 42) {
        const close = src.indexOf('*/', i + 2);
        if (close !== -1) {
          const nested = src.indexOf('/*', i + 2);
          if (nested !== -1 && nested < close) return undefined;
          i = close + 2;
          continue;
        }
      }
    }
    const e = tokenEnd(src, i);
    if (e < 0) return undefined;
    const t = src.slice(i, e);
    // Raw strings (`r"..."`, `br#"..."#`) are not in the token grammar.
    if ((t === 'r' || t === 'br' || t === 'cr') && (src[e] === '"' || src[e] === '#'))
      return undefined;
    out.push({ t, s: i, e });
    i = e;
  }
  return out;
}
