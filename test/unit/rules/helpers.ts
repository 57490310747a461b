/** Shared helpers for rule tests: run rules on fixture files, read `//~ code` annotations, compile. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildIndexFromSources } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import { defaultSettings, type RuleSettings } from '../../../src/core/config/settings';
import { runRules } from '../../../src/core/rules/run';
import type { Finding } from '../../../src/core/rules/types';

export const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'rules');

export function analyse(
  files: { path: string; text: string }[],
  settings: RuleSettings = defaultSettings(),
) {
  const index = buildIndexFromSources(files, { crateName: 'fixture' });
  const engine = new LayoutEngine(index);
  return { index, engine, findings: runRules(index, engine, settings) };
}

/** `line code` pairs expected from `//~ code[, code]` markers. */
export function expectations(text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /\/\/~\s*([\w, -]+)$/.exec(l);
    if (m) for (const c of m[1].split(',')) out.push(`${i + 1} ${c.trim()}`);
  });
  return out.sort();
}

export function got(findings: Finding[], code?: string): string[] {
  return findings
    .filter(f => !code || f.code === code)
    .map(f => `${f.range.line} ${f.code}`)
    .sort();
}

/** Compile a single-file library with rustc; returns stderr on failure. */
export function rustcLib(text: string): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-rules-'));
  try {
    const f = path.join(dir, 'lib.rs');
    fs.writeFileSync(f, text);
    const r = spawnSync(
      'rustc',
      ['--crate-type', 'lib', '--edition', '2021', '-A', 'warnings', '--out-dir', dir, f],
      { encoding: 'utf8' },
    );
    return r.status === 0 ? undefined : r.stderr;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** rustc's size_of for each type path, compiled against `text` (a library's source) as a binary. */
export function rustcSizesOf(text: string, types: string[]): number[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-sz-'));
  try {
    const f = path.join(dir, 'main.rs');
    fs.writeFileSync(
      f,
      `${text}\nfn main() { ${types.map(t => `println!("{}", std::mem::size_of::<${t}>());`).join(' ')} }\n`,
    );
    const exe = path.join(dir, 'm');
    const r = spawnSync('rustc', ['--edition', '2021', '-A', 'warnings', '-o', exe, f], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return spawnSync(exe, { encoding: 'utf8' }).stdout.trim().split('\n').map(Number);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
