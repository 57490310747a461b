/**
 * Runs the enabled rules over the workspace (or some files of it).
 */
import * as path from 'node:path';
import type { WorkspaceIndex } from '../index/workspace';
import type { LayoutEngine } from '../layout/engine';
import type { RuleSettings } from './settings';
import type { RuleContext } from './context';
import type { Finding } from './types';
import { RULE_MODULES } from './registry';

export { RULE_BY_CODE as RULES } from './registry';

const TEST_ATTR = /^(test|cfg)$|(^|::)test$/;

function isTestAttr(a: { name: string; args: string }): boolean {
  if (a.name === 'cfg')
    return /(^|[^\w])test([^\w]|$)/.test(a.args) && !/not\s*\(\s*test/.test(a.args);
  return TEST_ATTR.test(a.name) && a.name !== 'cfg';
}

/** Disjoint line ranges of a file's test code, sorted: [start0, end0, start1, end1, ...]. */
type TestRanges = number[];

function testRanges(index: WorkspaceIndex, file: string): TestRanges {
  const marked: [number, number][] = index
    .itemsInFile(file)
    .filter(
      i => (i.kind === 'mod' || i.kind === 'fn' || i.kind === 'impl') && i.attrs.some(isTestAttr),
    )
    .map(i => [i.span.line, i.span.endLine]);
  // The file's own module declared `#[cfg(test)] mod tests;` in its parent.
  let mod = index.moduleOf(file);
  while (mod && mod.includes('::')) {
    const m = index.itemByPath(mod);
    if (m && m.kind === 'mod' && m.attrs.some(isTestAttr))
      marked.push([1, Number.MAX_SAFE_INTEGER]);
    mod = mod.slice(0, mod.lastIndexOf('::'));
  }
  marked.sort((x, y) => x[0] - y[0]);
  const out: TestRanges = [];
  for (const [s, e] of marked) {
    if (out.length > 0 && s <= out[out.length - 1])
      out[out.length - 1] = Math.max(out[out.length - 1], e);
    else out.push(s, e);
  }
  return out;
}

/**
 * Package folders that hold no production code: integration tests, and the example and bench
 * targets, which `cargo clippy` does not check by default either (it checks the lib and bins).
 * An example's `main` runs once; the library's types it uses are not its to change.
 */
const NON_PRODUCTION_DIRS = new Set(['tests', 'examples', 'benches']);

/**
 * Whether a finding lies in test code: a file under a package's `tests/`, `examples/` or
 * `benches/` directory, a file whose module is `#[cfg(test)]`, or inside a `#[cfg(test)] mod` or
 * a `#[test]`/`#[tokio::test]` fn. The ranges are merged and binary-searched: a scan of every
 * test item per query took 12 s on a fuzzed 50,000-line file (thousands of test fns, each asked
 * about once per rule).
 */
export function inTestCode(
  index: WorkspaceIndex,
  f: Finding,
  memo: Map<string, TestRanges>,
): boolean {
  return inTestLines(index, f.range.file, f.range.line, f.range.line, memo);
}

/** Whether every line from `line` to `endLine` of `file` is test code (see `inTestCode`). */
export function inTestLines(
  index: WorkspaceIndex,
  file: string,
  line: number,
  endLine: number,
  memo: Map<string, TestRanges>,
): boolean {
  let r = memo.get(file);
  if (!r) {
    // Once per file: a file of a non-production folder is test code from its first line.
    const t = index.targets.find(x => file.startsWith(x.packageDir + path.sep));
    r =
      t && NON_PRODUCTION_DIRS.has(path.relative(t.packageDir, file).split(path.sep)[0])
        ? [1, Number.MAX_SAFE_INTEGER]
        : testRanges(index, file);
    memo.set(file, r);
  }
  // The last range starting at or before `line`.
  let lo = 0;
  let hi = r.length / 2 - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (r[2 * mid] <= line) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // The ranges are merged, so one range holds the whole span or none does.
  return at >= 0 && r[2 * at + 1] >= endLine;
}

export function runRules(
  index: WorkspaceIndex,
  engine: LayoutEngine,
  settings: RuleSettings,
  files?: string[],
): Finding[] {
  const ctx: RuleContext = { index, engine, settings, files: files ? new Set(files) : undefined };
  const memo = new Map<string, TestRanges>();
  // With test code off, findings there are dropped below: fn-level rules need not scan those
  // fns at all (a fn's findings lie inside its span, so its name line decides). On a fuzzed file
  // of 50,000 lines of `#[test]` fns this is most of the rules' time.
  if (settings.testCode === 'off') {
    ctx.skipFn = fn => inTestLines(index, fn.span.file, fn.nameSpan.line, fn.nameSpan.line, memo);
    ctx.skipLines = (file, line, endLine) => inTestLines(index, file, line, endLine, memo);
  }
  let out: Finding[] = [];
  for (const rule of RULE_MODULES) {
    if (!settings.enabled[rule.code]) continue;
    out.push(...rule.check(ctx));
  }
  if (settings.testCode !== 'report') {
    const test = (f: Finding) => inTestCode(index, f, memo);
    out =
      settings.testCode === 'off'
        ? out.filter(f => !test(f))
        : out.map(f => (test(f) ? { ...f, severity: 'hint' } : f));
  }
  const sev = { error: 0, warning: 1, info: 2, hint: 3 };
  return out.sort(
    (a, b) =>
      a.range.file.localeCompare(b.range.file) ||
      a.range.line - b.range.line ||
      a.range.column - b.range.column ||
      sev[a.severity] - sev[b.severity],
  );
}
