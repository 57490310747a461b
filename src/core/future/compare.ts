/**
 * Compares estimated future sizes with rustc's `-Zprint-type-sizes` (exact mode and the
 * accuracy measurement): maps `{async fn body of m::f()}`, `{async block@file:l:c: ..}` and
 * `{async closure body@file:l:c: ..}` back to the futures found in the source.
 */
import * as path from 'node:path';
import type { ExactType } from '../exact/print-type-sizes';
import type { FutureInfo } from './types';

export interface FutureMatch {
  info: FutureInfo;
  rustc: ExactType;
}

const LOC_RE = /^\{(async block|async closure body|async closure)@(.+?):(\d+):(\d+): \d+:\d+\}$/;
const FN_RE = /^\{async fn body of (.+)\(\)\}$/;

/** `net::tcp::split::ReadHalf<'_>::peek` -> same without lifetime-only generics; undefined if generic. */
export function asyncFnPath(name: string): string | undefined {
  const m = FN_RE.exec(name);
  if (!m) return undefined;
  let p = m[1].replace(/<(?:'[A-Za-z_]+(?:,\s*)?)+>/g, '');
  const qual = /^<(.+) as (.+)>::(\w+)$/.exec(p);
  if (qual) p = `${qual[1]}::${qual[3]}`;
  return p.includes('<') || p.includes('{') ? undefined : p;
}

/**
 * Pairs rustc's async bodies with `futures` (all from one crate named `crateName` whose files are
 * relative to `root`). Generic instantiations and bodies of other crates are left out.
 */
export function matchFutures(
  bodies: readonly ExactType[],
  futures: readonly FutureInfo[],
  crateName: string,
  root: string,
): FutureMatch[] {
  const byPath = new Map<string, FutureInfo[]>();
  const byLoc = new Map<string, FutureInfo>();
  for (const f of futures) {
    if (f.kind === 'async-fn') {
      const k = f.fn.startsWith(crateName + '::') ? f.fn.slice(crateName.length + 2) : f.fn;
      (byPath.get(k) ?? byPath.set(k, []).get(k)!).push(f);
    }
    const rel = path.relative(root, f.file).split(path.sep).join('/');
    byLoc.set(`${rel}:${f.line}:${f.column}`, f);
    byLoc.set(`body ${rel}:${f.bodyLine}:${f.bodyColumn}`, f);
  }
  const out: FutureMatch[] = [];
  const seen = new Set<FutureInfo>();
  for (const b of bodies) {
    let info: FutureInfo | undefined;
    const p = asyncFnPath(b.name);
    if (p !== undefined) {
      const c = byPath.get(p) ?? [];
      // Two fns of one path (cfg variants): only an unambiguous one is compared.
      if (c.length === 1) info = c[0];
    } else {
      const m = LOC_RE.exec(b.name);
      if (m) {
        // rustc prints the path it was given: relative to the crate root, or absolute.
        const file = (path.isAbsolute(m[2]) ? path.relative(root, m[2]) : m[2])
          .split(path.sep)
          .join('/');
        info =
          m[1] === 'async block'
            ? (byLoc.get(`${file}:${m[3]}:${m[4]}`) ?? byLoc.get(`body ${file}:${m[3]}:${m[4]}`))
            : byLoc.get(`body ${file}:${m[3]}:${m[4]}`);
      }
    }
    if (info && !seen.has(info) && !info.generic) {
      seen.add(info);
      out.push({ info, rustc: b });
    }
  }
  return out;
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(xs: number[], ys: number[]): number {
  const rank = (v: number[]) => {
    const idx = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < idx.length;) {
      let j = i;
      while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
      for (let k = i; k <= j; k++) r[idx[k][1]] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  const rx = rank(xs);
  const ry = rank(ys);
  const n = xs.length;
  const mean = (n + 1) / 2;
  let num = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    num += (rx[i] - mean) * (ry[i] - mean);
    dx += (rx[i] - mean) ** 2;
    dy += (ry[i] - mean) ** 2;
  }
  return dx === 0 || dy === 0 ? 1 : num / Math.sqrt(dx * dy);
}

export interface Accuracy {
  n: number;
  spearman: number;
  /** Share within ±25 % of rustc's size. */
  within25: number;
  /** Estimates rustc contradicts although they claimed `exact` (must be 0). */
  confidentlyWrong: number;
}

export function accuracy(matches: readonly FutureMatch[]): Accuracy {
  const est = matches.map(m => m.info.size);
  const truth = matches.map(m => m.rustc.size);
  const within = matches.filter(
    m => Math.abs(m.info.size - m.rustc.size) <= 0.25 * m.rustc.size,
  ).length;
  const wrong = matches.filter(
    m => m.info.status === 'exact' && m.info.size !== m.rustc.size,
  ).length;
  return {
    n: matches.length,
    spearman: matches.length ? spearman(est, truth) : 0,
    within25: matches.length ? within / matches.length : 0,
    confidentlyWrong: wrong,
  };
}
