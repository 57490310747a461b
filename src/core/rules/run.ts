/**
 * Runs the enabled rules over the workspace (or some files of it).
 */
import * as path from 'node:path';
import type { WorkspaceIndex } from '../index/workspace';
import type { LayoutEngine } from '../layout/engine';
import type { RuleSettings } from '../config/settings';
import type { Item } from '../model';
import type { RuleContext } from './context';
import type { Finding } from './types';
import { RULE_MODULES } from './registry';

export { RULE_BY_CODE as RULES } from './registry';

const TEST_ATTR = /^(test|cfg)$|(^|::)test$/;

function isTestAttr(a: { name: string; args: string }): boolean {
  if (a.name === 'cfg') return /(^|[^\w])test([^\w]|$)/.test(a.args) && !/not\s*\(\s*test/.test(a.args);
  return TEST_ATTR.test(a.name) && a.name !== 'cfg';
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
 * a `#[test]`/`#[tokio::test]` fn.
 */
export function inTestCode(index: WorkspaceIndex, f: Finding, memo: Map<string, Item[]>): boolean {
  const file = f.range.file;
  const t = index.targets.find(x => file.startsWith(x.packageDir + path.sep));
  if (t && NON_PRODUCTION_DIRS.has(path.relative(t.packageDir, file).split(path.sep)[0])) return true;
  let marked = memo.get(file);
  if (!marked) {
    marked = index.itemsInFile(file).filter(i => (i.kind === 'mod' || i.kind === 'fn' || i.kind === 'impl') && i.attrs.some(isTestAttr));
    // The file's own module declared `#[cfg(test)] mod tests;` in its parent.
    let mod = index.moduleOf(file);
    while (mod && mod.includes('::')) {
      const m = index.itemByPath(mod);
      if (m && m.kind === 'mod' && m.attrs.some(isTestAttr)) marked.push({ ...m, span: { ...m.span, file, line: 1, endLine: Number.MAX_SAFE_INTEGER } } as Item);
      mod = mod.slice(0, mod.lastIndexOf('::'));
    }
    memo.set(file, marked);
  }
  const line = f.range.line;
  return marked.some(i => i.span.line <= line && i.span.endLine >= line);
}

export function runRules(index: WorkspaceIndex, engine: LayoutEngine, settings: RuleSettings, files?: string[]): Finding[] {
  const ctx: RuleContext = { index, engine, settings, files: files ? new Set(files) : undefined };
  const memo = new Map<string, Item[]>();
  // With test code off, findings there are dropped below: fn-level rules need not scan those
  // fns at all (a fn's findings lie inside its span, so its name line decides). On a fuzzed file
  // of 50,000 lines of `#[test]` fns this is most of the rules' time.
  if (settings.testCode === 'off') ctx.skipFn = fn => inTestCode(index, { range: { file: fn.span.file, line: fn.nameSpan.line } } as Finding, memo);
  let out: Finding[] = [];
  for (const rule of RULE_MODULES) {
    if (!settings.enabled[rule.code]) continue;
    out.push(...rule.check(ctx));
  }
  if (settings.testCode !== 'report') {
    const test = (f: Finding) => inTestCode(index, f, memo);
    out = settings.testCode === 'off' ? out.filter(f => !test(f)) : out.map(f => (test(f) ? { ...f, severity: 'hint' } : f));
  }
  const sev = { error: 0, warning: 1, info: 2, hint: 3 };
  return out.sort((a, b) => a.range.file.localeCompare(b.range.file) || a.range.line - b.range.line || a.range.column - b.range.column || sev[a.severity] - sev[b.severity]);
}
