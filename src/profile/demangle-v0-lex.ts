/**
 * Lexing for the Rust v0 demangler (demangle-v0.ts): base-62 numbers, identifiers (with punycode),
 * hex nibbles, backrefs, and the bounded output buffer; plus the text of literals (Rust's
 * `escape_debug` for char and str consts) and of integers. Everything invalid throws INVALID.
 */
const MAX_DEPTH = 500;
const MAX_OUTPUT = 1_000_000;
/** Identifiers longer than this (in chars) print as `punycode{...}`, like rustc-demangle. */
const MAX_PUNYCODE_CHARS = 128;

/** Thrown (never escapes demangleV0) when the input is not a valid v0 symbol. */
export const INVALID: unique symbol = Symbol('invalid v0 symbol');

export const BASIC_TYPES: Record<string, string> = {
  b: 'bool',
  c: 'char',
  e: 'str',
  u: '()',
  a: 'i8',
  s: 'i16',
  l: 'i32',
  x: 'i64',
  n: 'i128',
  i: 'isize',
  h: 'u8',
  t: 'u16',
  m: 'u32',
  y: 'u64',
  o: 'u128',
  j: 'usize',
  f: 'f32',
  d: 'f64',
  z: '!',
  p: '_',
  v: '...',
};

const U64_LIMIT = 2n ** 64n;

function plusOne(x: number | bigint): number | bigint {
  if (typeof x === 'number') return x + 1;
  if (x + 1n >= U64_LIMIT) throw INVALID;
  return x + 1n;
}

export interface Ident {
  readonly ascii: string;
  /** Punycode deltas (after the last `_` of a `u`-prefixed identifier), or '' for plain ASCII. */
  readonly punycode: string;
}

export function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}
export function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Parser state and output shared by the grammar (Printer in demangle-v0.ts). */
export class V0Lexer {
  pos = 0;
  out = '';
  protected depth = 0;
  /** > 0 while parsing without printing (the path of an impl; the instantiating crate). */
  protected skipping = 0;
  /** Lifetimes bound by the `for<...>` binders around the current position. */
  protected boundLifetimes = 0;

  constructor(private readonly s: string) {}

  protected peek(): number {
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1;
  }
  protected eat(c: string): boolean {
    if (this.s[this.pos] === c) {
      this.pos++;
      return true;
    }
    return false;
  }
  protected next(): string {
    if (this.pos >= this.s.length) throw INVALID;
    return this.s[this.pos++];
  }
  protected push(): void {
    if (++this.depth > MAX_DEPTH) throw INVALID;
  }
  protected pop(): void {
    this.depth--;
  }
  protected print(text: string): void {
    if (this.skipping > 0) return;
    this.out += text;
    if (this.out.length > MAX_OUTPUT) throw INVALID;
  }

  /**
   * `_` = 0, `<base-62 digits>_` = value + 1, with u64 overflow checks like rustc-demangle. Values past
   * 2^53 (only disambiguators, which are hashes) come back as a bigint.
   */
  protected integer62Wide(): number | bigint {
    if (this.eat('_')) return 0;
    let x: number | bigint = 0;
    while (!this.eat('_')) {
      const c = this.peek();
      const d = isDigit(c) ? c - 48 : isLower(c) ? c - 87 : isUpper(c) ? c - 29 : -1;
      if (d < 0) throw INVALID;
      this.pos++;
      if (typeof x === 'number') {
        x = x * 62 + d;
        if (x > 2 ** 52) x = BigInt(x); // still exact: x < 2^53 here
      } else {
        x = x * 62n + BigInt(d);
        if (x >= U64_LIMIT) throw INVALID;
      }
    }
    return plusOne(x);
  }
  /** A base-62 number used as a count or position: values too big to be one are invalid. */
  protected integer62(): number {
    const x = this.integer62Wide();
    if (typeof x !== 'number') throw INVALID;
    return x;
  }
  protected optInteger62(tag: string): number {
    return this.eat(tag) ? this.integer62() + 1 : 0;
  }
  protected disambiguator(): number | bigint {
    return this.eat('s') ? plusOne(this.integer62Wide()) : 0;
  }

  protected ident(): Ident {
    const punycode = this.eat('u');
    let c = this.peek();
    if (!isDigit(c)) throw INVALID;
    let len = c - 48;
    this.pos++;
    if (len !== 0) {
      while (isDigit((c = this.peek()))) {
        len = len * 10 + (c - 48);
        if (len > this.s.length) throw INVALID;
        this.pos++;
      }
    }
    this.eat('_');
    const start = this.pos;
    if (start + len > this.s.length) throw INVALID;
    this.pos = start + len;
    const text = this.s.slice(start, this.pos);
    if (!punycode) return { ascii: text, punycode: '' };
    const sep = text.lastIndexOf('_');
    const id =
      sep < 0
        ? { ascii: '', punycode: text }
        : { ascii: text.slice(0, sep), punycode: text.slice(sep + 1) };
    if (id.punycode === '') throw INVALID;
    return id;
  }

  protected hexNibbles(): string {
    const start = this.pos;
    for (;;) {
      const c = this.peek();
      if (isDigit(c) || (c >= 97 && c <= 102)) this.pos++;
      else if (c === 95 /* _ */) break;
      else throw INVALID;
    }
    const hex = this.s.slice(start, this.pos);
    this.pos++;
    return hex;
  }

  /** Runs `f` at the position a backref points to (only when printing: skipped text needs no targets). */
  protected backref<T>(f: () => T): T | undefined {
    const tagPos = this.pos - 1;
    const target = this.integer62();
    if (target >= tagPos) throw INVALID;
    if (this.skipping > 0) return undefined;
    const saved = this.pos;
    this.pos = target;
    this.push();
    const r = f();
    this.pop();
    this.pos = saved;
    return r;
  }

  protected list(f: () => void, sep: string): number {
    let n = 0;
    while (!this.eat('E')) {
      if (n > 0) this.print(sep);
      f();
      n++;
    }
    return n;
  }

  protected skip(f: () => void): void {
    this.skipping++;
    f();
    this.skipping--;
  }

  protected lifetime(index: number): void {
    if (this.skipping > 0) return; // binders are not tracked while skipping
    if (index === 0) return this.print("'_");
    const depth = this.boundLifetimes - index;
    if (depth < 0) throw INVALID;
    this.print(depth < 26 ? `'${String.fromCharCode(97 + depth)}` : `'_${depth}`);
  }

  /** An optional `G` binder (`for<'a, 'b> `) around `f`. */
  protected binder(f: () => void): void {
    const n = this.optInteger62('G');
    if (this.skipping > 0) return f();
    if (n > 0) {
      this.print('for<');
      for (let i = 0; i < n; i++) {
        if (i > 0) this.print(', ');
        this.boundLifetimes++;
        this.lifetime(1);
      }
      this.print('> ');
    }
    f();
    this.boundLifetimes -= n;
  }
}

/** Value of hex nibbles: decimal when it fits in u64, else `0x<nibbles>` verbatim. */
export function uintText(hex: string): string {
  let i = 0;
  while (i < hex.length && hex.charCodeAt(i) === 48) i++;
  const digits = hex.length - i;
  if (digits > 16) return `0x${hex}`;
  if (digits <= 13) return String(digits === 0 ? 0 : parseInt(hex.slice(i), 16));
  return BigInt(`0x${hex.slice(i)}`).toString();
}

export function smallUint(hex: string): number | undefined {
  let i = 0;
  while (i < hex.length && hex.charCodeAt(i) === 48) i++;
  if (hex.length - i > 8) return undefined;
  return i === hex.length ? 0 : parseInt(hex.slice(i), 16);
}

let decoder: InstanceType<typeof TextDecoder> | undefined;
/** Hex-encoded UTF-8 bytes (two nibbles each) to a string; invalid UTF-8 is invalid syntax. */
export function utf8(hex: string): string {
  if (hex.length % 2 !== 0) throw INVALID;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(2 * i, 2), 16);
  decoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return decoder.decode(bytes);
  } catch {
    throw INVALID;
  }
}

const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}\p{Grapheme_Extend}]/u;
const SIMPLE_ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\t': '\\t',
  '\r': '\\r',
  '\n': '\\n',
  '\\': '\\\\',
};

/** A char or str literal as Rust's `escape_debug` prints each char (not escaping the other quote). */
export function quoted(quote: "'" | '"', text: string): string {
  let out = quote;
  for (const ch of text) {
    const simple = SIMPLE_ESCAPES[ch];
    if (simple !== undefined) out += simple;
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === "'" || ch === '"' || ch === ' ') out += ch;
    else if (NOT_PRINTABLE.test(ch)) out += `\\u{${ch.codePointAt(0)!.toString(16)}}`;
    else out += ch;
    if (out.length > MAX_OUTPUT) throw INVALID;
  }
  return out + quote;
}

/** An identifier's text: punycode decoded (RFC 3492), or `punycode{...}` when it cannot be. */
export function identText(id: Ident): string {
  if (id.punycode === '') return id.ascii;
  const chars = decodePunycode(id.ascii, id.punycode);
  if (chars !== undefined) return chars.join('');
  return `punycode{${id.ascii === '' ? '' : `${id.ascii}-`}${id.punycode}}`;
}

function decodePunycode(ascii: string, deltas: string): string[] | undefined {
  const BASE = 36,
    T_MIN = 1,
    T_MAX = 26,
    SKEW = 38;
  const out = Array.from(ascii);
  if (out.length > MAX_PUNYCODE_CHARS) return undefined;
  let damp = 700,
    bias = 72,
    i = 0,
    n = 0x80,
    p = 0;
  for (;;) {
    let delta = 0,
      w = 1,
      k = 0,
      t: number;
    for (;;) {
      k += BASE;
      t = Math.min(Math.max(k - bias, T_MIN), T_MAX);
      if (p >= deltas.length) return undefined;
      const c = deltas.charCodeAt(p++);
      const d = isLower(c) ? c - 97 : isDigit(c) ? c - 48 + 26 : -1;
      if (d < 0) return undefined;
      delta += d * w;
      if (delta > Number.MAX_SAFE_INTEGER) return undefined;
      if (d < t) break;
      w *= BASE - t;
      if (w > Number.MAX_SAFE_INTEGER) return undefined;
    }
    const len = out.length + 1;
    i += delta;
    n += Math.floor(i / len);
    i %= len;
    if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return undefined;
    if (len > MAX_PUNYCODE_CHARS) return undefined;
    out.splice(i, 0, String.fromCodePoint(n));
    i++;
    if (p === deltas.length) return out;
    delta = Math.floor(delta / damp);
    damp = 2;
    delta += Math.floor(delta / len);
    k = 0;
    while (delta > ((BASE - T_MIN) * T_MAX) / 2) {
      delta = Math.floor(delta / (BASE - T_MIN));
      k += BASE;
    }
    bias = k + Math.floor(((BASE - T_MIN + 1) * delta) / (delta + SKEW));
  }
}

/** A `.suffix` LLVM or the linker appended (`.llvm.1234`, `.cold.1`, `.0.0`): ASCII, no spaces. */
export function isSymbolSuffix(rest: string): boolean {
  if (rest.charCodeAt(0) !== 46 /* . */) return false;
  for (let i = 1; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c <= 32 || c >= 127) return false;
  }
  return true;
}
