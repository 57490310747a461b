/**
 * The incremental path the editor takes after an edit: re-index the edited file (incremental
 * re-parse), forget memoised layouts if anything they depend on changed, and re-check the edited
 * file plus every file that mentions a type whose definition changed (a struct that grows changes
 * the `Result`s that carry it).
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
  /**
   * With `deferDependents`: the other files that mention a changed item, not re-checked yet (the
   * caller re-checks them later with `runRules`). Empty otherwise.
   */
  dependents: Set<string>;
}

export interface ReanalysisOptions {
  /**
   * Re-check only the edited file now and return the files that use what changed in
   * `dependents` (the language server publishes the edited file at once and re-checks the
   * others in the background). Default false: everything is re-checked before returning.
   */
  deferDependents?: boolean;
}

export function reanalyzeFile(
  index: WorkspaceIndex,
  engine: LayoutEngine,
  settings: RuleSettings,
  file: string,
  text: string,
  opts: ReanalysisOptions = {},
): Reanalysis {
  if (!index.hasFile(file)) index.ensureFile(file);
  const generation = index.scopeGeneration;
  const changedItems = index.updateFile(file, text);
  // A keystroke inside a fn body changes no item and no scope: every memoised layout still holds
  // (layouts carry no spans), and keeping them spares the rules re-laying out every type they touch.
  if (changedItems.size > 0 || index.scopeGeneration !== generation) engine.invalidate();
  const names = [
    ...new Set([...changedItems].map(p => p.split('::').pop()!.replace(/[^\w]/g, ''))),
  ].filter(Boolean);
  const files = new Set([file]);
  const dependents = new Set<string>();
  if (names.length > 0) {
    const re = new RegExp(`\\b(${names.join('|')})\\b`);
    for (const f of index.fileNames())
      if (f !== file && re.test(index.fileText(f) ?? ''))
        (opts.deferDependents ? dependents : files).add(f);
  }
  return {
    files,
    findings: runRules(index, engine, settings, [...files]),
    changedItems,
    dependents,
  };
}
