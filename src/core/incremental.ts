/**
 * The incremental path the editor takes after an edit: re-index the edited file (incremental
 * re-parse), forget memoised layouts, and re-check the edited file plus every file that mentions
 * a type whose definition changed (a struct that grows changes the `Result`s that carry it).
 */
import type { WorkspaceIndex } from './index/workspace';
import type { LayoutEngine } from './layout/engine';
import type { RuleSettings } from './config/settings';
import { runRules } from './rules/run';
import type { Finding } from './rules/types';

export interface Reanalysis {
  /** Files whose findings were recomputed (replace all previous findings of these files). */
  files: Set<string>;
  findings: Finding[];
  changedItems: Set<string>;
}

export function reanalyzeFile(index: WorkspaceIndex, engine: LayoutEngine, settings: RuleSettings, file: string, text: string): Reanalysis {
  if (!index.hasFile(file)) index.ensureFile(file);
  const changedItems = index.updateFile(file, text);
  engine.invalidate();
  const names = [...new Set([...changedItems].map(p => p.split('::').pop()!.replace(/[^\w]/g, '')))].filter(Boolean);
  const files = new Set([file]);
  if (names.length > 0) {
    const re = new RegExp(`\\b(${names.join('|')})\\b`);
    for (const f of index.fileNames()) if (!files.has(f) && re.test(index.fileText(f) ?? '')) files.add(f);
  }
  return { files, findings: runRules(index, engine, settings, [...files]), changedItems };
}
