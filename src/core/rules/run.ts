/**
 * Runs the enabled rules over the workspace (or some files of it).
 */
import type { WorkspaceIndex } from '../index/workspace';
import type { LayoutEngine } from '../layout/engine';
import type { RuleSettings } from '../config/settings';
import type { RuleContext, Rule } from './context';
import type { Finding, RuleCode } from './types';
import { largeError } from './large-error';
import { largeEnumVariant } from './large-enum-variant';
import { largeMove } from './large-move';
import { asyncTraitBox } from './async-trait-box';
import { cloneHotspot } from './clone-hotspot';
import { largeFuture } from './large-future';

export const RULES: Record<RuleCode, Rule> = {
  'large-error': largeError,
  'large-enum-variant': largeEnumVariant,
  'large-move': largeMove,
  'async-trait-box': asyncTraitBox,
  'clone-hotspot': cloneHotspot,
  'large-future': largeFuture,
};

export function runRules(index: WorkspaceIndex, engine: LayoutEngine, settings: RuleSettings, files?: string[]): Finding[] {
  const ctx: RuleContext = { index, engine, settings, files: files ? new Set(files) : undefined };
  const out: Finding[] = [];
  for (const [code, rule] of Object.entries(RULES) as [RuleCode, Rule][]) {
    if (!settings.enabled[code]) continue;
    out.push(...rule(ctx));
  }
  const sev = { error: 0, warning: 1, info: 2, hint: 3 };
  return out.sort((a, b) => a.range.file.localeCompare(b.range.file) || a.range.line - b.range.line || a.range.column - b.range.column || sev[a.severity] - sev[b.severity]);
}
