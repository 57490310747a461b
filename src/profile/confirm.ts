/**
 * Profile-confirmed findings: a static finding whose code the profile shows to be hot gets the
 * measured share ("confirmed by profile: 57.6% of memcpy samples") and a higher severity.
 */
import * as path from 'node:path';
import type { Finding, Severity } from '../core/rules/types';
import type { Attribution, HotLine, SampleCounts } from './attribute';
import { splitPath } from '../core/index/symbols';

export type { Measure } from '../core/rules/context';
import type { Measure } from '../core/rules/context';
import { RULE_BY_CODE } from '../core/rules/registry';

export interface Evidence {
  readonly file: string;
  readonly line: number;
  readonly samples: number;
}

export interface Confirmation {
  readonly finding: Finding;
  readonly measure: Measure;
  /** Samples of the measured kind on the evidence lines. */
  readonly samples: number;
  /** Share of all samples of that kind (0..1). */
  readonly share: number;
  readonly confirmed: boolean;
  readonly severity: Severity;
  readonly evidence: Evidence[];
  /** `confirmed by profile: 57.6% of memcpy samples (1,638 at src/main.rs:19, ...)` */
  readonly note: string;
}

export interface ConfirmOptions {
  /** Minimum share of the measured kind's samples (default 0.01). */
  readonly minShare?: number;
  /** Minimum samples (default 5). */
  readonly minSamples?: number;
  /** What `samples` count: CPU samples (default) or allocated bytes from a heap profile. */
  readonly unit?: 'samples' | 'bytes' | 'blocks';
}

const RAISE: Record<Severity, Severity> = {
  hint: 'info',
  info: 'warning',
  warning: 'error',
  error: 'error',
};

function measured(c: SampleCounts, m: Measure): number {
  return m === 'copy' ? c.copy : m === 'allocator' ? c.alloc + c.free : c.alloc + c.free + c.copy;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The fn a demangled symbol names, without closures: `<A as T>::split::{{closure}}` -> `split`. */
export function fnNameOf(symbol: string): string | undefined {
  const segs = splitPath(symbol).filter(s => !/^\{.*\}$/.test(s) && !s.startsWith('<'));
  const last = segs[segs.length - 1];
  return last?.replace(/<.*$/, '');
}

export function confirmFindings(
  findings: readonly Finding[],
  a: Pick<Attribution, 'lines' | 'totals'>,
  root: string,
  lineText: (rel: string, line: number) => string | undefined,
  opts: ConfirmOptions = {},
): Confirmation[] {
  const minShare = opts.minShare ?? 0.01;
  const minSamples = opts.minSamples ?? 5;
  const hot = [...a.lines.values()];
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
  const calls = (names: string[]) => {
    const re = new RegExp(
      `(?:^|[^\\w])(?:${names.map(escape).join('|')})\\s*(?:::<[^>]*>\\s*)?\\(`,
    );
    return (h: HotLine) => re.test(lineText(h.file, h.line) ?? '');
  };
  const inFn = (names: string[]) => (h: HotLine) => names.includes(fnNameOf(h.function) ?? '');
  const mentions = (name: string) => {
    const re = new RegExp(`\\b${escape(name)}\\b`);
    return (h: HotLine) => re.test(lineText(h.file, h.line) ?? '');
  };
  const inRange = (f: Finding) => {
    const file = rel(f.range.file);
    return (h: HotLine) => h.file === file && h.line >= f.range.line && h.line <= f.range.endLine;
  };
  const evidenceOf = (f: Finding): HotLine[] => {
    // Each rule says which other lines are evidence (its fn's call sites, its type's uses).
    const rule = RULE_BY_CODE[f.code];
    const extra =
      rule.profile.evidence?.<HotLine>(f as never, { calls, inFn, mentions, findings }) ?? [];
    const preds: ((h: HotLine) => boolean)[] = [inRange(f), ...extra];
    return hot.filter(h => preds.some(p => p(h)));
  };
  const out: Confirmation[] = [];
  for (const f of findings) {
    const m = RULE_BY_CODE[f.code].profile.measure;
    const total = measured(a.totals, m);
    const ev = evidenceOf(f)
      .map(h => ({ file: h.file, line: h.line, samples: measured(h.samples, m) }))
      .filter(e => e.samples > 0)
      .sort((x, y) => y.samples - x.samples);
    const samples = ev.reduce((s, e) => s + e.samples, 0);
    const share = total > 0 ? samples / total : 0;
    const confirmed = samples >= minSamples && share >= minShare;
    const pc = (x: number) => (x > 0 && x < 0.0005 ? '<0.1%' : `${(x * 100).toFixed(1)}%`);
    const bytes = opts.unit === 'bytes' || opts.unit === 'blocks';
    const kind = bytes
      ? 'allocated'
      : m === 'copy'
        ? 'memcpy'
        : m === 'allocator'
          ? 'allocator (malloc/free)'
          : 'allocator + memcpy';
    const what = opts.unit === 'blocks' ? 'blocks' : bytes ? 'bytes' : 'samples';
    const where =
      ev
        .slice(0, 3)
        .map(e => `${e.samples.toLocaleString('en-US')} at ${e.file}:${e.line}`)
        .join(', ') + (ev.length > 3 ? ', ...' : '');
    out.push({
      finding: f,
      measure: m,
      samples,
      share,
      confirmed,
      severity: confirmed ? RAISE[f.severity] : f.severity,
      evidence: ev,
      note: confirmed
        ? `confirmed by ${bytes ? 'heap ' : ''}profile: ${pc(share)} of ${kind} ${what} (${where})`
        : samples > 0
          ? `profile: ${pc(share)} of ${kind} ${what} (below the ${(minShare * 100).toFixed(0)}% confirmation threshold)`
          : `profile: no ${bytes ? 'allocations' : 'samples'} on this code`,
    });
  }
  return out.sort((x, y) => Number(y.confirmed) - Number(x.confirmed) || y.share - x.share);
}
