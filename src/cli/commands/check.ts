/**
 * `alloc-lens check <path> [--format text|json|sarif] [--config <clippy.toml>] [--fail-on warning|error]
 * [--exclude <glob,...>] [--test-code report|hint|off]`
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LayoutEngine } from '../../core/layout/engine';
import { resolveSettings } from '../../core/config/settings';
import { runRules } from '../../core/rules/run';
import type { Finding, Severity } from '../../core/rules/types';
import { parseArgs, UsageError, type CliIo } from '../io';
import { loadWorkspaceOrFail, rustFilesFor } from './layout';
import { cargoLoadOptions, CARGO_BOOL_FLAGS, CARGO_USAGE, CARGO_VALUE_FLAGS } from '../cargo-flags';
import { toSarif } from './sarif';
import { DEFAULT_EXCLUDE, selectFiles } from '../../core/config/files';
import { TEST_CODE_MODES, type TestCodeMode } from '../../core/config/settings';

const USAGE =
  'usage: alloc-lens check <path> [--format text|json|sarif] [--config <clippy.toml>] [--fail-on warning|error] [--exclude <glob,...>] [--test-code report|hint|off]';

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1, hint: 0 };

function rel(root: string, file: string): string {
  const r = path.relative(root, file);
  return r.startsWith('..') ? file : r;
}

function renderText(
  findings: Finding[],
  root: string,
  source: (f: string) => string | undefined,
): string {
  const out: string[] = [];
  for (const f of findings) {
    const sev = f.severity === 'info' || f.severity === 'hint' ? 'note' : f.severity;
    out.push(
      `${rel(root, f.range.file)}:${f.range.line}:${f.range.column}: ${sev}[${f.code}]: ${f.message}`,
    );
    const line = source(f.range.file)?.split('\n')[f.range.line - 1];
    if (line !== undefined) {
      const width =
        f.range.endLine === f.range.line
          ? Math.max(1, f.range.endColumn - f.range.column)
          : Math.max(1, line.length - f.range.column + 1);
      const n = String(f.range.line);
      out.push(
        `${' '.repeat(n.length)} |`,
        `${n} | ${line}`,
        `${' '.repeat(n.length)} | ${' '.repeat(f.range.column - 1)}${'^'.repeat(width)}`,
      );
    }
    for (const n of f.notes ?? []) out.push(`  = note: ${n}`);
    for (const r of f.related)
      out.push(
        `  = note: ${rel(root, r.range.file)}:${r.range.line}:${r.range.column}: ${r.message}`,
      );
    if (f.fixes.length) out.push(`  = help: quick fix available: ${f.fixes[0].title}`);
    out.push(`  = docs: docs/rules/${f.code}.md`, '');
  }
  const counts = (['error', 'warning', 'info', 'hint'] as Severity[])
    .map(s => [s, findings.filter(f => f.severity === s).length] as const)
    .filter(([, n]) => n > 0);
  out.push(
    findings.length === 0
      ? 'alloc-lens: no findings'
      : `alloc-lens: ${findings.length} finding${findings.length === 1 ? '' : 's'} (${counts.map(([s, n]) => `${n} ${s}`).join(', ')})`,
  );
  return out.join('\n') + '\n';
}

/** JSON output schema (docs/check-json.md). */
export function toJson(findings: Finding[], root: string) {
  return {
    version: 1,
    root,
    findings: findings.map(f => ({
      code: f.code,
      severity: f.severity,
      message: f.message,
      notes: f.notes ?? [],
      file: rel(root, f.range.file),
      line: f.range.line,
      column: f.range.column,
      endLine: f.range.endLine,
      endColumn: f.range.endColumn,
      docs: `docs/rules/${f.code}.md`,
      related: f.related.map(r => ({
        file: rel(root, r.range.file),
        line: r.range.line,
        column: r.range.column,
        message: r.message,
      })),
      fixes: f.fixes.map(x => ({
        title: x.title,
        preferred: x.preferred,
        edits: x.edits.map(e => ({
          file: rel(root, e.range.file),
          line: e.range.line,
          column: e.range.column,
          endLine: e.range.endLine,
          endColumn: e.range.endColumn,
          newText: e.newText,
        })),
      })),
      data: f.data ?? {},
    })),
  };
}

export async function runCheck(args: string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(
    args,
    ['format', 'config', 'fail-on', 'exclude', 'test-code', ...CARGO_VALUE_FLAGS],
    CARGO_BOOL_FLAGS,
  );
  if (positional.length !== 1) throw new UsageError(`${USAGE} ${CARGO_USAGE}`);
  const testCode = String(flags.get('test-code') ?? 'off') as TestCodeMode;
  if (!TEST_CODE_MODES.includes(testCode))
    throw new UsageError(`--test-code must be report, hint or off (got ${testCode})`);
  const exclude = [
    ...DEFAULT_EXCLUDE,
    ...String(flags.get('exclude') ?? '')
      .split(',')
      .filter(Boolean),
  ];
  const format = String(flags.get('format') ?? 'text');
  if (!['text', 'json', 'sarif'].includes(format))
    throw new UsageError(`--format must be text, json or sarif (got ${format})`);
  const failOn = String(flags.get('fail-on') ?? 'warning');
  if (!['warning', 'error', 'info', 'hint'].includes(failOn))
    throw new UsageError(`--fail-on must be warning or error (got ${failOn})`);
  const config = flags.get('config');
  if (config !== undefined && !fs.existsSync(String(config)))
    throw new UsageError(`--config ${config}: no such file`);
  const { files, root } = rustFilesFor(positional[0]);
  let settings;
  try {
    settings = resolveSettings({
      dir: root,
      clippyToml: config === undefined ? undefined : String(config),
      overrides: { testCode },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const index = await loadWorkspaceOrFail(positional[0], cargoLoadOptions(flags));
  for (const n of index.notices) io.stderr.write(`alloc-lens: warning: ${n}\n`);
  index.ensureFiles(files);
  const checked = selectFiles(index, root, exclude, files);
  const engine = new LayoutEngine(index);
  const findings = runRules(index, engine, settings, checked);
  if (format === 'json') io.stdout.write(JSON.stringify(toJson(findings, root), null, 2) + '\n');
  else if (format === 'sarif')
    io.stdout.write(
      JSON.stringify(
        toSarif(findings, root, f => index.fileText(f)),
        null,
        2,
      ) + '\n',
    );
  else io.stdout.write(renderText(findings, root, f => index.fileText(f)));
  return findings.some(f => RANK[f.severity] >= RANK[failOn as Severity]) ? 1 : 0;
}
