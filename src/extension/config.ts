/**
 * The one settings reader. Analysis options are `resource`-scoped; thresholds set here beat
 * clippy.toml, which beats clippy's defaults (see README "Settings").
 */
import * as vscode from 'vscode';
import type { SettingsOverrides } from '../core/config/settings';
import type { RuleCode } from '../core/rules/types';
import { ALL_RULES } from '../core/rules/registry';
import { TEST_CODE_MODES, type TestCodeMode } from '../core/config/settings';
import type { PathRemap } from '../profile/paths';

export const SECTION = 'allocLens';

export interface EditorSettings {
  overrides: SettingsOverrides;
  exclude: string[];
  inlayHintsEnabled: boolean;
  inlayHintsMinSize: number;
  debounceMs: number;
}


export function readSettings(scope?: vscode.ConfigurationScope): EditorSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const num = (k: string): number | undefined => {
    const v = c.get<number | null>(k, null);
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
  };
  const rules = c.get<Record<string, boolean>>('rules', {});
  const enabled: Partial<Record<RuleCode, boolean>> = {};
  for (const r of ALL_RULES) if (typeof rules[r] === 'boolean') enabled[r] = rules[r];
  return {
    overrides: {
      largeErrorThreshold: num('largeErrorThreshold'),
      enumVariantSizeThreshold: num('enumVariantSizeThreshold'),
      passByValueSizeLimit: num('passByValueSizeLimit'),
      testCode: TEST_CODE_MODES.includes(c.get<TestCodeMode>('testCode', 'off')) ? c.get<TestCodeMode>('testCode', 'off') : undefined,
      enabled,
    },
    exclude: c.get<string[]>('exclude', []),
    inlayHintsEnabled: c.get<boolean>('inlayHints.enabled', true),
    inlayHintsMinSize: num('inlayHints.minSize') ?? 128,
    debounceMs: num('debounceMs') ?? 250,
  };
}

export interface ProfileSettings {
  /** Path prefixes recorded in profiles mapped to this machine (`/build/app` -> `.`). */
  remaps: PathRemap[];
  /** A finding is "confirmed" when its code has at least this share of the measured samples. */
  confirmMinShare: number;
}

export function readProfileSettings(scope?: vscode.ConfigurationScope): ProfileSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const raw = c.get<Record<string, string>>('profile.pathRemaps', {});
  const remaps: PathRemap[] = [];
  for (const [from, to] of Object.entries(raw ?? {})) if (typeof to === 'string' && from.length > 0) remaps.push({ from, to });
  const pctSetting = c.get<number>('profile.confirmThreshold', 1);
  return { remaps, confirmMinShare: typeof pctSetting === 'number' && pctSetting >= 0 ? pctSetting / 100 : 0.01 };
}
