/**
 * Evaluates the integer const expressions that appear in array lengths, discriminants and const
 * generic arguments: literals (`0x10`, `1_000usize`, `b'a'`), paths to consts, unary `-`/`!`,
 * `* / % + - << >> & ^ |`, parentheses, `as` casts (ignored) and `{ ... }` blocks.
 */

type Lookup = (path: string[]) => bigint | undefined;

/** An expression rustc rejects (division by zero, overflow, a cycle): its wording, not "unknown". */
export class ConstEvalError extends Error {}

// Every Rust integer fits in 128 bits: a larger intermediate overflows in rustc, and bounding it
// keeps hostile input (`1 << 1000000000`, long products) from building huge BigInts.
const LIMIT = 1n << 128n;
// Deeper parentheses than this are left unevaluated (unknown) instead of recursing further.
const MAX_DEPTH = 256;

const TOKEN =
  /\s*(0x[0-9a-fA-F_]+(?:[ui](?:8|16|32|64|128|size))?|0o[0-7_]+\w*|0b[01_]+\w*|\d\w*|b'(?:\\.|[^'])'|'(?:\\.|[^'])'|[A-Za-z_][\w]*(?:\s*::\s*[A-Za-z_][\w]*)*|<<|>>|[-+*/%()&|^!{}])/y;

function tokenize(text: string): string[] | undefined {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) return undefined;
    out.push(m[1]);
    pos = TOKEN.lastIndex;
  }
  return out;
}

const INT_SUFFIX = /(u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|i128|isize)$/;

function literal(tok: string): bigint | undefined {
  if (tok.startsWith("b'") || tok.startsWith("'")) {
    const body = tok.slice(tok.indexOf("'") + 1, -1);
    if (body.startsWith('\\')) {
      const esc: Record<string, number> = {
        n: 10,
        r: 13,
        t: 9,
        '0': 0,
        '\\': 92,
        "'": 39,
        '"': 34,
      };
      if (body[1] === 'x') return BigInt(parseInt(body.slice(2), 16));
      return esc[body[1]] !== undefined ? BigInt(esc[body[1]]) : undefined;
    }
    return BigInt(body.codePointAt(0) ?? 0);
  }
  let t = tok.replace(/_/g, '');
  if (!/^0[xob]/.test(t)) t = t.replace(INT_SUFFIX, '');
  else if (t.startsWith('0x')) {
    // Hex digits can look like a suffix ending (`0x1u8` is fine, `0xu8` never occurs).
    const m = /^(0x[0-9a-fA-F]+?)(u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|i128|isize)?$/.exec(t);
    t = m ? m[1] : t;
  } else t = t.replace(INT_SUFFIX, '');
  try {
    return BigInt(t);
  } catch {
    return undefined;
  }
}

/** Returns undefined when the expression is not a plain integer expression we can evaluate. */
const PRIM_SIZE: Record<string, number> = {
  u8: 1,
  i8: 1,
  bool: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  char: 4,
  u64: 8,
  i64: 8,
  f64: 8,
  usize: 8,
  isize: 8,
  u128: 16,
  i128: 16,
};

/** `size_of::<u64>()` / `align_of::<u32>()` of a primitive (x86_64: size and alignment agree). */
function primitiveSizeOf(text: string): string {
  if (!text.includes('_of')) return text;
  return text.replace(
    /(?:(?:::\s*)?(?:core|std)\s*::\s*)?(?:mem\s*::\s*)?\b(?:size|align)_of\s*::\s*<\s*(\w+)\s*>\s*\(\s*\)/g,
    (all, t: string) => (PRIM_SIZE[t] !== undefined ? String(PRIM_SIZE[t]) : all),
  );
}

export function evalConstExpr(text: string, lookup: Lookup): bigint | undefined {
  return evalConstExprChecked(text, lookup).value;
}

/**
 * Like evalConstExpr, but tells an expression rustc rejects (`error`: division by zero, a shift
 * or value beyond 128 bits, a const cycle reported by `lookup` throwing ConstEvalError) from one
 * that is merely not evaluable here (neither field set).
 */
export function evalConstExprChecked(
  text: string,
  lookup: Lookup,
): { value?: bigint; error?: string } {
  try {
    const value = evalInner(text, lookup);
    return value === undefined ? {} : { value };
  } catch (e) {
    if (e instanceof ConstEvalError) return { error: e.message };
    throw e;
  }
}

function evalInner(text: string, lookup: Lookup): bigint | undefined {
  const toks = tokenize(primitiveSizeOf(text.trim()));
  if (!toks || toks.length === 0) return undefined;
  let i = 0;
  const peek = () => toks[i];
  const PREC: Record<string, number> = {
    '|': 1,
    '^': 2,
    '&': 3,
    '<<': 4,
    '>>': 4,
    '+': 5,
    '-': 5,
    '*': 6,
    '/': 6,
    '%': 6,
  };
  let depth = 0;
  const primary = (): bigint | undefined => {
    const t = toks[i++];
    if (t === undefined) return undefined;
    if (t === '(' || t === '{') {
      if (++depth > MAX_DEPTH) return undefined;
      const v = expr(0);
      depth--;
      const close = toks[i++];
      if (close !== (t === '(' ? ')' : '}')) return undefined;
      return v;
    }
    if (t === '-') {
      const v = unaryWithCast();
      return v === undefined ? undefined : -v;
    }
    if (t === '!') {
      const v = unaryWithCast();
      return v === undefined ? undefined : ~v;
    }
    if (/^[\d']|^b'/.test(t)) return literal(t);
    if (/^[A-Za-z_]/.test(t)) {
      if (t === 'true') return 1n;
      if (t === 'false') return 0n;
      return lookup(t.split(/\s*::\s*/));
    }
    return undefined;
  };
  const unaryWithCast = (): bigint | undefined => {
    const v = primary();
    // `x as usize`: casts are value-preserving for the small non-negative values we meet.
    while (peek() === 'as') {
      i += 2;
    }
    return v;
  };
  const expr = (minPrec: number): bigint | undefined => {
    let left = unaryWithCast();
    for (;;) {
      const op = peek();
      const p = op === undefined ? undefined : PREC[op];
      if (p === undefined || p < minPrec || left === undefined) return left;
      i++;
      const right = expr(p + 1);
      if (right === undefined) return undefined;
      switch (op) {
        case '+':
          left = left + right;
          break;
        case '-':
          left = left - right;
          break;
        case '*':
          left = left * right;
          break;
        case '/':
          if (right === 0n) throw new ConstEvalError(`attempt to divide \`${left}\` by zero`);
          left = left / right;
          break;
        case '%':
          if (right === 0n) {
            throw new ConstEvalError(
              `attempt to calculate the remainder of \`${left}\` with a divisor of zero`,
            );
          }
          left = left % right;
          break;
        case '<<':
        case '>>':
          if (right < 0n || right >= 128n) {
            const dir = op === '<<' ? 'left' : 'right';
            throw new ConstEvalError(
              `attempt to shift ${dir} by \`${right}\`, which would overflow`,
            );
          }
          left = op === '<<' ? left << right : left >> right;
          break;
        case '&':
          left = left & right;
          break;
        case '^':
          left = left ^ right;
          break;
        case '|':
          left = left | right;
          break;
      }
      if (left >= LIMIT || left <= -LIMIT)
        throw new ConstEvalError(
          'attempt to compute a value beyond 128 bits, which would overflow',
        );
    }
  };
  const v = expr(0);
  return i === toks.length ? v : undefined;
}
