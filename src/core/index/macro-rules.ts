/**
 * A bounded `macro_rules!` expander over token trees, for item-producing macros (`cfg_rt! {}`,
 * syn's `ast_struct!`/`define_keywords!`, libc's `s! {}`): tokenise, match the arms in order,
 * transcribe. Fragments (`ty`, `expr`, `item`...) are read as token runs up to the tokens that
 * may follow them, which is what the macros that declare types need. Work is bounded: a matcher
 * step budget, an output size cap, and the caller caps the recursion depth.
 */

/** A token; groups hold their delimiter and children. `ws` is the whitespace written before it. */
export interface Tok {
  kind: 'ident' | 'lifetime' | 'literal' | 'punct' | 'group';
  text: string;
  ws: string;
  open?: string;
  close?: string;
  children?: Tok[];
  /** Whitespace before the closing delimiter of a group. */
  closeWs?: string;
}

const PUNCTS = [
  '<<=',
  '>>=',
  '...',
  '..=',
  '::',
  '->',
  '=>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '^=',
  '&=',
  '|=',
  '<<',
  '>>',
  '..',
];
/** PUNCTS by first character, in PUNCTS' order (the first that matches wins, as before). */
const PUNCTS_BY_FIRST = new Map<string, string[]>();
for (const p of PUNCTS) PUNCTS_BY_FIRST.set(p[0], [...(PUNCTS_BY_FIRST.get(p[0]) ?? []), p]);
const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/*
 * Character classes by char code: the tokeniser ran a regex per character (`/\s/`,
 * `/[\p{L}\p{N}_]/u`), a third of the time to index tokio's macros. ASCII is decided by code;
 * other characters still go through the same regexes.
 */
const isSpace = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i);
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  return c > 127 && /\s/.test(s[i]);
};
const isIdentStart = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i);
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) return true;
  return c > 127 && /[\p{L}_]/u.test(s[i]);
};
const isIdentPart = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i);
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)
    return true;
  return c > 127 && /[\p{L}\p{N}_]/u.test(s[i]);
};

export class MacroError extends Error {}

/**
 * A token. Every token is made here, with all seven fields in one order, so that all have one
 * V8 map: tokens made by literals and spreads with different fields were "wrong map" deopts of
 * the transcriber and `stripFnBodies`, re-optimised six times each in a cold tokio run.
 */
export function tok(
  kind: Tok['kind'],
  text: string,
  ws: string,
  open?: string,
  close?: string,
  children?: Tok[],
  closeWs?: string,
): Tok {
  return { kind, text, ws, open, close, children, closeWs };
}

/** A copy of `t` written after whitespace `ws`. */
export function withWs(t: Tok, ws: string): Tok {
  return tok(t.kind, t.text, ws, t.open, t.close, t.children, t.closeWs);
}

/** A copy of group `t` with other children. */
function withChildren(t: Tok, children: Tok[], closeWs: string | undefined): Tok {
  return tok(t.kind, t.text, t.ws, t.open, t.close, children, closeWs);
}

/** Tokenises Rust source into token trees (doc comments become `#[doc = "..."]`). */
export function tokenize(src: string): Tok[] {
  return readList(src, { i: 0 }, undefined).toks;
}

/**
 * The tokens from `pos.i` up to `close` (or the end), leaving `pos.i` after it. A module-level
 * function, not a closure made per `tokenize` call: V8 optimised each new closure again (five
 * TurboFan compiles of this, the largest function of the expander, in a cold tokio run).
 */
function readList(
  src: string,
  pos: { i: number },
  close: string | undefined,
): { toks: Tok[]; ws: string } {
  let i = pos.i;
  const n = src.length;
  {
    const toks: Tok[] = [];
    for (;;) {
      const wsStart = i;
      let commentAt = -1;
      // Whitespace and (non-doc) comments.
      for (;;) {
        while (i < n && isSpace(src, i)) i++;
        if (src.charCodeAt(i) !== 47 /* / */) break;
        if (
          src.startsWith('//', i) &&
          !(src.startsWith('///', i) && !src.startsWith('////', i)) &&
          !src.startsWith('//!', i)
        ) {
          if (commentAt < 0) commentAt = i;
          const e = src.indexOf('\n', i);
          i = e < 0 ? n : e + 1;
        } else if (
          src.startsWith('/*', i) &&
          !(
            (src.startsWith('/**', i) &&
              !src.startsWith('/***', i) &&
              !src.startsWith('/**/', i)) ||
            src.startsWith('/*!', i)
          )
        ) {
          if (commentAt < 0) commentAt = i;
          let depth = 1;
          i += 2;
          while (i < n && depth > 0) {
            if (src.startsWith('/*', i)) (depth++, (i += 2));
            else if (src.startsWith('*/', i)) (depth--, (i += 2));
            else i++;
          }
        } else break;
      }
      // The whitespace as written up to the first comment; a comment counts as one space.
      const ws =
        commentAt < 0
          ? wsStart < i
            ? src.slice(wsStart, i)
            : ''
          : src.slice(wsStart, commentAt) + ' ';
      if (i >= n) {
        if (close) throw new MacroError(`unclosed delimiter, expected \`${close}\``);
        pos.i = i;
        return { toks, ws };
      }
      const c = src[i];
      if (c === ')' || c === ']' || c === '}') {
        if (c !== close) throw new MacroError(`unexpected \`${c}\``);
        pos.i = i + 1;
        return { toks, ws };
      }
      if (OPEN[c]) {
        pos.i = i + 1;
        const inner = readList(src, pos, OPEN[c]);
        i = pos.i;
        toks.push(tok('group', c, ws, c, OPEN[c], inner.toks, inner.ws));
        continue;
      }
      // Doc comments: `///`, `//!`, `/** */`, `/*! */`.
      if (src.startsWith('///', i) || src.startsWith('//!', i)) {
        const inner = src[i + 2] === '!';
        const e = src.indexOf('\n', i);
        const body = src.slice(i + 3, e < 0 ? n : e);
        i = e < 0 ? n : e + 1;
        toks.push(...docToks(body, inner, ws));
        continue;
      }
      if (src.startsWith('/**', i) || src.startsWith('/*!', i)) {
        const inner = src[i + 2] === '!';
        const e = src.indexOf('*/', i + 3);
        const body = src.slice(i + 3, e < 0 ? n : e);
        i = e < 0 ? n : e + 2;
        toks.push(...docToks(body, inner, ws));
        continue;
      }
      const start = i;
      // Raw and byte strings, then plain strings and chars.
      const raw =
        (c === 'r' || c === 'b' || c === 'c') && /^(?:b|c)?r(#*)"/.exec(src.slice(i, i + 300));
      if (raw) {
        const end = src.indexOf(`"${raw[1]}`, i + raw[0].length);
        i = end < 0 ? n : end + 1 + raw[1].length;
        toks.push(tok('literal', src.slice(start, i), ws));
        continue;
      }
      if (c === '"' || ((c === 'b' || c === 'c') && src[i + 1] === '"')) {
        i += c === '"' ? 1 : 2;
        while (i < n && src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
        i++;
        i = suffix(src, i);
        toks.push(tok('literal', src.slice(start, i), ws));
        continue;
      }
      if (c === "'" || (c === 'b' && src[i + 1] === "'")) {
        const q = c === 'b' ? i + 1 : i;
        if (src[q + 1] === '\\' || (src[q + 2] === "'" && src[q + 1] !== "'") || c === 'b') {
          i = q + 1;
          while (i < n && src[i] !== "'") i += src[i] === '\\' ? 2 : 1;
          i++;
          toks.push(tok('literal', src.slice(start, i), ws));
          continue;
        }
        // A char like 'é' (one code point, maybe two UTF-16 units).
        const cp = src.codePointAt(q + 1);
        const w = cp !== undefined && cp > 0xffff ? 2 : 1;
        if (src[q + 1 + w] === "'") {
          i = q + 2 + w;
          toks.push(tok('literal', src.slice(start, i), ws));
          continue;
        }
        i = q + 1;
        while (i < n && isIdentPart(src, i)) i++;
        toks.push(tok('lifetime', src.slice(start, i), ws));
        continue;
      }
      const code = src.charCodeAt(i);
      if (code >= 48 && code <= 57) {
        i++;
        while (
          i < n &&
          (/[\w]/.test(src[i]) ||
            (src[i] === '.' &&
              /[0-9]/.test(src[i + 1] ?? '') &&
              !src.slice(start, i).includes('.')) ||
            ((src[i] === '+' || src[i] === '-') &&
              /[eE]/.test(src[i - 1]) &&
              !/^0x/i.test(src.slice(start, i))))
        )
          i++;
        toks.push(tok('literal', src.slice(start, i), ws));
        continue;
      }
      if (isIdentStart(src, i) || (c === 'r' && src[i + 1] === '#')) {
        if (c === 'r' && src[i + 1] === '#') i += 2;
        i++;
        while (i < n && isIdentPart(src, i)) i++;
        toks.push(tok('ident', src.slice(start, i), ws));
        continue;
      }
      const p = PUNCTS_BY_FIRST.get(c)?.find(q => src.startsWith(q, i));
      const text = p ?? c;
      i += text.length;
      toks.push(tok('punct', text, ws));
    }
  }
}

function suffix(src: string, i: number): number {
  while (i < src.length && /\w/.test(src[i])) i++;
  return i;
}

function docToks(body: string, inner: boolean, ws: string): Tok[] {
  const lit = tok('literal', JSON.stringify(body), ' ');
  const children = [tok('ident', 'doc', ''), tok('punct', '=', ' '), lit];
  const group = tok('group', '[', '', '[', ']', children, '');
  return inner
    ? [tok('punct', '#', ws), tok('punct', '!', ''), group]
    : [tok('punct', '#', ws), group];
}

/** Character classes of `render`'s gluing rule, by char code (ASCII). */
const WORD_CHAR = new Uint8Array(128);
const OP_CHAR = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_\'"')
  WORD_CHAR[c.charCodeAt(0)] = 1;
for (const c of '-+*/%^!&|<>=.:') OP_CHAR[c.charCodeAt(0)] = 1;

/** Source text of tokens, keeping the whitespace they were written with. */
export function render(toks: readonly Tok[]): string {
  const parts: string[] = [];
  // Two words (or a `'a` and a word, `#` and `[`) must stay apart, or be glued as written. The
  // classes are tested by char code: four regexes per token were a tenth of rendering libc's
  // `s! {}` expansions. (`\w` is ASCII-only, so a non-ASCII char is in neither class.)
  const put = (ws: string, text: string) => {
    if (!ws && parts.length > 0) {
      const last = parts[parts.length - 1];
      const a = last.charCodeAt(last.length - 1);
      const b = text.charCodeAt(0);
      if (a < 128 && b < 128 && ((WORD_CHAR[a] && WORD_CHAR[b]) || (OP_CHAR[a] && OP_CHAR[b])))
        ws = ' ';
    }
    parts.push(ws, text);
  };
  const walk = (ts: readonly Tok[]) => {
    for (const t of ts) {
      if (t.kind === 'group') {
        put(t.ws, t.open!);
        walk(t.children!);
        put(t.closeWs ?? '', t.close!);
      } else put(t.ws, t.text);
    }
  };
  walk(toks);
  return parts.join('').replace(/^\s+/, '');
}

// Matcher ----------------------------------------------------------------------------------

type Pat =
  | { kind: 'tok'; tok: Tok }
  | { kind: 'group'; open: string; pats: Pat[] }
  | { kind: 'var'; name: string; frag: string }
  | { kind: 'rep'; pats: Pat[]; sep?: Tok; op: string };

/** One arm of a macro: matcher patterns and the transcriber tokens. */
export interface MacroRule {
  pats: Pat[];
  body: Tok[];
}

export interface MacroDef {
  name: string;
  rules: MacroRule[];
}

function parsePats(toks: Tok[]): Pat[] {
  const out: Pat[] = [];
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k];
    if (t.kind === 'punct' && t.text === '$' && k + 1 < toks.length) {
      const nx = toks[k + 1];
      if (nx.kind === 'ident' && toks[k + 2]?.text === ':' && toks[k + 3]?.kind === 'ident') {
        out.push({ kind: 'var', name: nx.text, frag: toks[k + 3].text });
        k += 3;
        continue;
      }
      if (nx.kind === 'group' && nx.open === '(') {
        let j = k + 2;
        let sep: Tok | undefined;
        const isOp = (x?: Tok) =>
          !!x && x.kind === 'punct' && (x.text === '*' || x.text === '+' || x.text === '?');
        if (!isOp(toks[j]) && toks[j] && toks[j].kind !== 'group' && isOp(toks[j + 1]))
          sep = toks[j++];
        const op = isOp(toks[j]) ? toks[j].text : '*';
        out.push({ kind: 'rep', pats: parsePats(nx.children!), sep, op });
        k = j;
        continue;
      }
    }
    if (t.kind === 'group')
      out.push({ kind: 'group', open: t.open!, pats: parsePats(t.children!) });
    else out.push({ kind: 'tok', tok: t });
  }
  return out;
}

/** Parses the body of `macro_rules! name { ... }` (the tokens inside the braces). */
export function parseMacroDef(name: string, body: Tok[]): MacroDef {
  const rules: MacroRule[] = [];
  for (let k = 0; k < body.length;) {
    const m = body[k];
    // `$($rule => { .. };)*`: arms made by an enclosing macro (syn's `Token!` is written inside
    // `export_token_macro!`, whose call supplies the `await` arm). Such arms are left out; the
    // other arms match as written.
    if (
      m?.kind === 'punct' &&
      m.text === '$' &&
      body[k + 1]?.kind === 'group' &&
      body[k + 1].open === '('
    ) {
      k += 2;
      if (body[k] && /^[*+?]$/.test(body[k].text)) k++;
      else if (body[k + 1] && /^[*+?]$/.test(body[k + 1].text)) k += 2;
      if (body[k]?.text === ';') k++;
      continue;
    }
    const arrow = body[k + 1];
    const b = body[k + 2];
    if (m?.kind !== 'group' || arrow?.text !== '=>' || b?.kind !== 'group')
      throw new MacroError(`macro_rules! ${name}: cannot read arm ${rules.length + 1}`);
    rules.push({ pats: parsePats(m.children!), body: b.children! });
    k += 3;
    if (body[k]?.text === ';') k++;
  }
  return { name, rules };
}

type Binding = { kind: 'leaf'; toks: Tok[]; frag: string } | { kind: 'seq'; items: Binding[] };
type Bindings = Map<string, Binding>;

const KEYWORD_STOPS = new Set(['where', 'as', 'in', 'if', 'else']);

/** End index of a fragment starting at `i`, or -1. */
function fragEnd(frag: string, toks: Tok[], i: number): number {
  const t = toks[i];
  const isP = (x: Tok | undefined, s: string) => !!x && x.kind === 'punct' && x.text === s;
  switch (frag) {
    case 'tt':
      return t ? i + 1 : -1;
    case 'ident':
      return t && t.kind === 'ident' && t.text !== '_' ? i + 1 : -1;
    case 'lifetime':
      return t && t.kind === 'lifetime' ? i + 1 : -1;
    case 'literal':
      if (t && isP(t, '-') && toks[i + 1]?.kind === 'literal') return i + 2;
      return t && (t.kind === 'literal' || t.text === 'true' || t.text === 'false') ? i + 1 : -1;
    case 'block':
      return t && t.kind === 'group' && t.open === '{' ? i + 1 : -1;
    case 'vis':
      if (t && t.text === 'pub')
        return toks[i + 1]?.kind === 'group' &&
          toks[i + 1].open === '(' &&
          /^(crate|self|super|in)\b/.test(render(toks[i + 1].children!))
          ? i + 2
          : i + 1;
      return i;
    case 'meta': {
      let j = pathEnd(toks, i);
      if (j < 0) return -1;
      if (toks[j]?.kind === 'group') return j + 1;
      if (isP(toks[j], '=')) {
        j++;
        while (j < toks.length && !isP(toks[j], ',')) j++;
      }
      return j;
    }
    case 'path':
      return pathEnd(toks, i);
    case 'ty': {
      if (!t) return -1;
      let j = i;
      let angle = 0;
      for (; j < toks.length; j++) {
        const x = toks[j];
        if (x.kind === 'punct') {
          if (x.text === '<' || x.text === '<<') angle += x.text.length;
          else if (x.text === '>' || x.text === '>>') {
            if (angle < x.text.length) break;
            angle -= x.text.length;
          } else if (x.text === '->') continue;
          else if (angle === 0 && [',', ';', '=', '=>', '|', ':', '>=', '>>='].includes(x.text))
            break;
        } else if (angle === 0 && x.kind === 'group' && x.open === '{') break;
        else if (angle === 0 && x.kind === 'ident' && KEYWORD_STOPS.has(x.text)) break;
      }
      return j > i ? j : -1;
    }
    case 'expr':
    case 'stmt':
    case 'pat':
    case 'pat_param': {
      if (!t) return -1;
      let j = i;
      for (; j < toks.length; j++) {
        const x = toks[j];
        if (
          x.kind !== 'punct' &&
          !(
            x.kind === 'ident' &&
            (frag === 'pat' || frag === 'pat_param') &&
            (x.text === 'if' || x.text === 'in')
          )
        )
          continue;
        if (x.kind === 'ident') break;
        if (x.text === ';' || x.text === ',' || x.text === '=>') break;
        if (
          (frag === 'pat' || frag === 'pat_param') &&
          (x.text === '=' || (frag === 'pat_param' && x.text === '|'))
        )
          break;
      }
      return j > i ? j : -1;
    }
    case 'item': {
      let j = i;
      while (isP(toks[j], '#') && toks[j + 1]?.kind === 'group') j += 2;
      for (; j < toks.length; j++) {
        const x = toks[j];
        if (isP(x, ';')) return j + 1;
        if (x.kind === 'group' && x.open === '{') return isP(toks[j + 1], ';') ? j + 2 : j + 1;
      }
      return -1;
    }
    default:
      return -1;
  }
}

function pathEnd(toks: Tok[], i: number): number {
  let j = i;
  if (toks[j]?.text === '::') j++;
  if (toks[j]?.kind !== 'ident') return -1;
  j++;
  for (;;) {
    if (toks[j]?.text === '::' && toks[j + 1]?.kind === 'ident') j += 2;
    else if (toks[j]?.text === '<' || (toks[j]?.text === '::' && toks[j + 1]?.text === '<')) {
      j += toks[j].text === '::' ? 2 : 1;
      let angle = 1;
      while (j < toks.length && angle > 0) {
        const x = toks[j++].text;
        if (x === '<') angle++;
        else if (x === '>') angle--;
        else if (x === '>>') angle -= 2;
      }
      if (angle > 0) return -1;
    } else return j;
  }
}

interface MatchState {
  steps: number;
}

const STEP_BUDGET = 200_000;

/** Matches `pats` against all of `toks` from `i`; calls `k` with each way to finish. */
function matchSeq(
  pats: Pat[],
  pi: number,
  toks: Tok[],
  i: number,
  b: Bindings,
  st: MatchState,
  k: (i: number, b: Bindings) => boolean,
): boolean {
  if (++st.steps > STEP_BUDGET) throw new MacroError('macro matching gave up (too many steps)');
  if (pi === pats.length) return k(i, b);
  const p = pats[pi];
  switch (p.kind) {
    case 'tok': {
      const t = toks[i];
      if (!t || t.kind === 'group' || t.text !== p.tok.text) return false;
      return matchSeq(pats, pi + 1, toks, i + 1, b, st, k);
    }
    case 'group': {
      const t = toks[i];
      if (!t || t.kind !== 'group' || t.open !== p.open) return false;
      return matchSeq(
        p.pats,
        0,
        t.children!,
        0,
        b,
        st,
        (j, b2) => j === t.children!.length && matchSeq(pats, pi + 1, toks, i + 1, b2, st, k),
      );
    }
    case 'var': {
      const e = fragEnd(p.frag, toks, i);
      if (e < 0) return false;
      const nb = new Map(b);
      nb.set(p.name, { kind: 'leaf', toks: toks.slice(i, e), frag: p.frag });
      return matchSeq(pats, pi + 1, toks, e, nb, st, k);
    }
    case 'rep': {
      const only = p.pats.length === 1 ? p.pats[0] : undefined;
      if (only?.kind === 'var' && only.frag === 'tt' && !p.sep && p.op !== '?') {
        // `$($t:tt)*`: the same greedy order as below (all remaining tokens first, then one
        // fewer...), as a loop: matching one token per nested call made the stack as deep as the
        // input, and libc's 300-line `s! { .. }` overflowed it whenever the matcher was not yet
        // optimised by V8 (its frames are larger before).
        st.steps += toks.length - i;
        for (let n = toks.length - i; n >= (p.op === '+' ? 1 : 0); n--) {
          if (++st.steps > STEP_BUDGET)
            throw new MacroError('macro matching gave up (too many steps)');
          const nb = new Map(b);
          nb.set(only.name, {
            kind: 'seq',
            items: toks.slice(i, i + n).map(t => ({ kind: 'leaf', toks: [t], frag: 'tt' })),
          });
          if (matchSeq(pats, pi + 1, toks, i + n, nb, st, k)) return true;
        }
        return false;
      }
      // Repetitions are matched greedily one iteration at a time (each iteration takes its
      // first way to match), then the rest of the pattern is tried after the most iterations
      // first, then fewer. A loop, not a recursion per iteration: http's `standard_headers!`
      // call (90 entries of doc lines) overflowed the stack.
      const names = varNames(p.pats);
      const ends: number[] = [i];
      const accs: Bindings[] = [];
      let j = i;
      while (p.op !== '?' || accs.length === 0) {
        let from = j;
        if (accs.length > 0 && p.sep) {
          const t = toks[j];
          if (!t || t.kind === 'group' || t.text !== p.sep.text) break;
          from = j + 1;
        }
        let got: { e: number; b: Bindings } | undefined;
        matchSeq(p.pats, 0, toks, from, new Map(), st, (e, bi) => {
          if (e <= j) return false;
          got = { e, b: bi };
          return true;
        });
        if (!got) break;
        accs.push(got.b);
        j = got.e;
        ends.push(j);
      }
      for (let n = accs.length; n >= (p.op === '+' ? 1 : 0); n--) {
        const nb = new Map(b);
        for (const nm of names)
          nb.set(nm, {
            kind: 'seq',
            items: accs.slice(0, n).map(a => a.get(nm) ?? { kind: 'seq', items: [] }),
          });
        if (matchSeq(pats, pi + 1, toks, ends[n], nb, st, k)) return true;
      }
      return false;
    }
  }
}

function varNames(pats: Pat[]): string[] {
  const out: string[] = [];
  for (const p of pats) {
    if (p.kind === 'var') out.push(p.name);
    else if (p.kind === 'group' || p.kind === 'rep') out.push(...varNames(p.pats));
  }
  return out;
}

const OUTPUT_CAP = 4_000_000;

/** Transcribes `body` with bindings `b` (at repetition indices `idx`). */
function transcribe(
  body: Tok[],
  b: Bindings,
  idx: number[],
  out: Tok[],
  budget: { chars: number; crate?: string },
): void {
  const lookup = (name: string): Binding | undefined => {
    let x = b.get(name);
    for (let d = 0; x && x.kind === 'seq' && d < idx.length; d++) x = x.items[idx[d]];
    return x;
  };
  for (let k = 0; k < body.length; k++) {
    const t = body[k];
    if (t.kind === 'punct' && t.text === '$' && k + 1 < body.length) {
      const nx = body[k + 1];
      if (nx.kind === 'ident') {
        k++;
        if (nx.text === 'crate') {
          out.push(tok('ident', budget.crate ?? 'crate', t.ws));
          continue;
        }
        const v = lookup(nx.text);
        if (!v) {
          out.push(withWs(t, t.ws), withWs(nx, nx.ws));
          continue;
        }
        if (v.kind !== 'leaf')
          throw new MacroError(`variable \`$${nx.text}\` is still repeating at this depth`);
        v.toks.forEach((x, j) => out.push(j === 0 ? withWs(x, t.ws || x.ws) : x));
        budget.chars += renderedLength(v.toks);
        if (budget.chars > OUTPUT_CAP)
          throw new MacroError('macro expansion too large (over 4 MB)');
        continue;
      }
      if (nx.kind === 'group' && nx.open === '(') {
        let j = k + 2;
        let sep: Tok | undefined;
        const isOp = (x?: Tok) =>
          !!x && x.kind === 'punct' && (x.text === '*' || x.text === '+' || x.text === '?');
        if (!isOp(body[j]) && body[j] && body[j].kind !== 'group' && isOp(body[j + 1]))
          sep = body[j++];
        if (!isOp(body[j])) {
          // `$( ... )` without an operator: plain tokens.
          out.push(withWs(t, t.ws));
          continue;
        }
        k = j;
        const inner = nx.children!;
        let count: number | undefined;
        for (const nm of bodyVarsOf(inner)) {
          const v = lookup(nm);
          if (v && v.kind === 'seq')
            count = count === undefined ? v.items.length : Math.min(count, v.items.length);
        }
        if (count === undefined) throw new MacroError('repetition without a repeating variable');
        for (let r = 0; r < count; r++) {
          if (r > 0 && sep) out.push(withWs(sep, sep.ws));
          transcribe(inner, b, [...idx, r], out, budget);
        }
        continue;
      }
    }
    if (t.kind === 'group') {
      const children: Tok[] = [];
      transcribe(t.children!, b, idx, children, budget);
      out.push(tok('group', t.text, t.ws, t.open, t.close, children, t.closeWs));
    } else out.push(t);
    budget.chars += t.text.length + 1;
    if (budget.chars > OUTPUT_CAP) throw new MacroError('macro expansion too large (over 4 MB)');
  }
}

/**
 * `render(toks).length`, for the output budget. A `tt` fragment is one token, whose rendering
 * is its text (the leading whitespace is trimmed): rendering each of libc's `s! {}` field tokens
 * only to count it was a fifth of transcribing.
 */
function renderedLength(toks: readonly Tok[]): number {
  return toks.length === 1 && toks[0].kind !== 'group' ? toks[0].text.length : render(toks).length;
}

/** `bodyVars` of a repetition's body, computed once per body (it is transcribed per match). */
const bodyVarsMemo = new WeakMap<Tok[], string[]>();

function bodyVarsOf(toks: Tok[]): string[] {
  let v = bodyVarsMemo.get(toks);
  if (!v) bodyVarsMemo.set(toks, (v = bodyVars(toks)));
  return v;
}

function bodyVars(toks: Tok[]): string[] {
  const out: string[] = [];
  toks.forEach((t, k) => {
    if (t.kind === 'punct' && t.text === '$' && toks[k + 1]?.kind === 'ident')
      out.push(toks[k + 1].text);
    if (t.kind === 'group') out.push(...bodyVars(t.children!));
  });
  return out;
}

/**
 * Expands one invocation: the first arm whose matcher matches all of `input` (the tokens inside
 * the call's delimiters). Returns the expansion's source text; throws {@link MacroError} when no
 * arm matches or a bound is hit. `$crate` becomes `dollarCrate` (default `crate`: a call in the
 * macro's own crate; a dependency's macro gets the name the calling crate knows it by).
 */
export function expandMacro(
  def: MacroDef,
  input: Tok[],
  opts: { stripFnBodies?: boolean; dollarCrate?: string } = {},
): string {
  const out = expandMacroTokens(def, input, opts);
  return render(opts.stripFnBodies ? stripFnBodies(out) : out);
}

/**
 * {@link expandMacro} as tokens, before rendering. `budget` counts the characters written and
 * may be shared by the expansions of nested calls (the 4 MB cap then bounds them together).
 */
export function expandMacroTokens(
  def: MacroDef,
  input: Tok[],
  opts: { dollarCrate?: string; budget?: { chars: number } } = {},
): Tok[] {
  const st: MatchState = { steps: 0 };
  for (const rule of def.rules) {
    let found: Bindings | undefined;
    matchSeq(rule.pats, 0, input, 0, new Map(), st, (i, b) => {
      if (i !== input.length) return false;
      found = b;
      return true;
    });
    if (found) {
      const out: Tok[] = [];
      const budget = { chars: opts.budget?.chars ?? 0, crate: opts.dollarCrate };
      try {
        transcribe(rule.body, found, [], out, budget);
      } finally {
        if (opts.budget) opts.budget.chars = budget.chars;
      }
      return out;
    }
  }
  throw new MacroError(`no rule of \`${def.name}!\` matches this invocation`);
}

/**
 * The tokens with every fn body emptied (`fn f(..) -> T { .. }` becomes `fn f(..) -> T {}`), in
 * nested groups too. The index reads items from an expansion, never statements: a test macro's
 * hundreds of lines of bodies need not be rendered and parsed again.
 */
export function stripFnBodies(toks: readonly Tok[]): Tok[] {
  const out: Tok[] = [];
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k];
    if (t.kind === 'ident' && t.text === 'fn' && toks[k + 1]?.kind === 'ident') {
      // Signature up to the body: the first `{` group before a `;` at this level.
      let j = k + 2;
      while (
        j < toks.length &&
        !(toks[j].kind === 'group' && toks[j].open === '{') &&
        !(toks[j].kind === 'punct' && toks[j].text === ';')
      )
        j++;
      for (let x = k; x < j; x++)
        out.push(
          toks[x].kind === 'group'
            ? withChildren(toks[x], stripFnBodies(toks[x].children!), toks[x].closeWs)
            : toks[x],
        );
      if (j < toks.length && toks[j].kind === 'group') {
        out.push(withChildren(toks[j], [], ''));
        k = j;
      } else k = j - 1;
      continue;
    }
    out.push(t.kind === 'group' ? withChildren(t, stripFnBodies(t.children!), t.closeWs) : t);
  }
  return out;
}
