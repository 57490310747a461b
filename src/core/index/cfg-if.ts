/**
 * `cfg_if! { if #[cfg(a)] { .. } else if #[cfg(b)] { .. } else { .. } }`: the branches with the
 * predicate each one is compiled under (`a`; `all(b, not(any(a)))`; `not(any(a, b))`), so
 * the items (and `mod x;` declarations) of each branch carry that cfg and only the active
 * alternative is named. Brace matching skips strings, chars and comments; bounded by the text.
 */
import type { Attribute } from '../model';
import { parseFragment, type SyntaxNode } from '../parser';
import { newExtractResult, type Ctx } from './extract-types';
import { spanAt, type SpanBase } from './syntax';

export interface CfgIfBranch {
  pred: string;
  /** Offsets of the branch body (inside the braces) in the macro's inner text. */
  start: number;
  end: number;
}

/** Index just past the bracket that closes the one at `open`, or -1. */
function matching(s: string, open: number): number {
  const close = s[open] === '{' ? '}' : s[open] === '(' ? ')' : ']';
  const opener = s[open];
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (c === '/' && s[i + 1] === '/') {
      const nl = s.indexOf('\n', i);
      i = nl < 0 ? s.length : nl;
    } else if (c === '/' && s[i + 1] === '*') {
      const e = s.indexOf('*/', i + 2);
      i = e < 0 ? s.length : e + 1;
    } else if (c === "'" && s[i + 2] === "'") i += 2;
    else if (c === "'" && s[i + 1] === '\\') {
      const e = s.indexOf("'", i + 2);
      if (e > 0 && e - i < 12) i = e;
    } else if (c === opener) depth++;
    else if (c === close && --depth === 0) return i + 1;
  }
  return -1;
}

/** The branches of a cfg_if body, or undefined when it does not have that shape. */
export function cfgIfBranches(inner: string): CfgIfBranch[] | undefined {
  const out: CfgIfBranch[] = [];
  const prior: string[] = [];
  let i = 0;
  const ws = () => {
    for (;;) {
      const m = /^(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/.exec(inner.slice(i, i + 4096));
      if (!m || m[0].length === 0) return;
      i += m[0].length;
    }
  };
  const word = (w: string) => {
    ws();
    if (inner.startsWith(w, i) && !/\w/.test(inner[i + w.length] ?? '')) {
      i += w.length;
      return true;
    }
    return false;
  };
  for (;;) {
    let pred: string | undefined;
    if (word('if')) {
      ws();
      const m = /^#\s*\[\s*cfg\s*\(/.exec(inner.slice(i, i + 64));
      if (!m) return undefined;
      const open = i + m[0].length - 1;
      const close = matching(inner, open);
      if (close < 0) return undefined;
      pred = inner.slice(open + 1, close - 1).trim();
      i = close;
      ws();
      if (inner[i] !== ']') return undefined;
      i++;
    }
    ws();
    if (inner[i] !== '{') return undefined;
    const end = matching(inner, i);
    if (end < 0) return undefined;
    const notPrior = prior.length ? `not(any(${prior.join(', ')}))` : '';
    const eff =
      pred === undefined ? notPrior || 'all()' : notPrior ? `all(${pred}, ${notPrior})` : pred;
    out.push({ pred: eff, start: i + 1, end: end - 1 });
    i = end;
    if (pred === undefined) break;
    prior.push(pred);
    if (!word('else')) break;
  }
  ws();
  return out.length > 0 && i >= inner.length ? out : undefined;
}

/**
 * Extract every branch of a cfg_if body with `walk` (the fast or the tree extractor, so both
 * paths agree), each item and import carrying its branch's cfg. False when not cfg_if-shaped.
 */
export function expandCfgIf(
  inner: string,
  innerBase: SpanBase,
  ctx: Ctx,
  walk: (root: SyntaxNode, body: string, base: SpanBase, sub: Ctx) => void,
): boolean {
  const branches = cfgIfBranches(inner);
  if (!branches) return false;
  for (const b of branches) {
    const body = inner.slice(b.start, b.end);
    const base: SpanBase = {
      file: ctx.base.file,
      offset: innerBase.offset + b.start,
      lines: ctx.base.lines,
    };
    const sub: Ctx = { ...ctx, out: newExtractResult() };
    walk(parseFragment(body).rootNode, body, base, sub);
    const cfg: Attribute = {
      name: 'cfg',
      args: b.pred,
      inner: false,
      span: spanAt(base, base.offset, base.offset),
    };
    for (const it of sub.out.items) it.attrs = [...it.attrs, cfg];
    ctx.out.items.push(...sub.out.items);
    for (const [k, v] of sub.out.uses)
      ctx.out.uses.set(k, [
        ...(ctx.out.uses.get(k) ?? []),
        ...v.map(u => ({ ...u, cfg: [...(u.cfg ?? []), b.pred] })),
      ]);
    ctx.out.mods.push(...sub.out.mods);
    for (const [k, v] of sub.out.externCrates) ctx.out.externCrates.set(k, v);
  }
  return true;
}
