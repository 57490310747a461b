/**
 * The one reader of the `allocLens.*` editor settings, as plain data: VS Code's configuration
 * section, or what any LSP client answers to `workspace/configuration` for section `allocLens`
 * (nested objects `{ inlayHints: { enabled } }` and dotted keys `"inlayHints.enabled"` both work).
 * Thresholds set here beat clippy.toml, which beats clippy's defaults (README "Settings").
 */
import type { PathRemap } from '../../profile/paths';
import type { RuleCode } from '../rules/types';
import { ALL_RULES, TEST_CODE_MODES, type SettingsOverrides, type TestCodeMode } from './settings';

function testCodeMode(v: unknown): TestCodeMode | undefined {
  return TEST_CODE_MODES.includes(v as TestCodeMode) ? (v as TestCodeMode) : undefined;
}

export interface EditorSettings {
  overrides: SettingsOverrides;
  exclude: string[];
  inlayHintsEnabled: boolean;
  inlayHintsMinSize: number;
  codeLensEnabled: boolean;
  debounceMs: number;
  /** Path prefixes recorded in profiles mapped to this machine (`/build/app` -> `.`). */
  remaps: PathRemap[];
  /** A finding is "confirmed" when its code has at least this share of the measured samples. */
  confirmMinShare: number;
  /** Cargo options for dependency resolution and `#[cfg]` (allocLens.cargo.*). */
  cargo: CargoSettings;
}

export interface CargoSettings {
  features?: string[];
  allFeatures: boolean;
  noDefaultFeatures: boolean;
  target?: string;
}

/** `allocLens.cargo.features` is a list, or `"all"` (like rust-analyzer's setting). */
function cargoSettings(raw: unknown): CargoSettings {
  const f = lookup(raw, 'cargo.features');
  const all = f === 'all';
  const list = Array.isArray(f)
    ? f.filter((x): x is string => typeof x === 'string' && x.length > 0)
    : [];
  const target = lookup(raw, 'cargo.target');
  return {
    features: all ? undefined : list,
    allFeatures: all,
    noDefaultFeatures: lookup(raw, 'cargo.noDefaultFeatures') === true,
    target: typeof target === 'string' && target.trim() ? target.trim() : undefined,
  };
}

function lookup(raw: unknown, key: string): unknown {
  if (!raw || typeof raw !== 'object') return undefined;
  const obj = raw as Record<string, unknown>;
  if (key in obj) return obj[key];
  const dot = key.indexOf('.');
  return dot > 0 ? lookup(obj[key.slice(0, dot)], key.slice(dot + 1)) : undefined;
}

export function parseEditorSettings(raw: unknown): EditorSettings {
  const num = (k: string): number | undefined => {
    const v = lookup(raw, k);
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
  };
  const bool = (k: string, dflt: boolean): boolean => {
    const v = lookup(raw, k);
    return typeof v === 'boolean' ? v : dflt;
  };
  const rules = lookup(raw, 'rules');
  const enabled: Partial<Record<RuleCode, boolean>> = {};
  for (const r of ALL_RULES) {
    const v =
      rules && typeof rules === 'object' ? (rules as Record<string, unknown>)[r] : undefined;
    if (typeof v === 'boolean') enabled[r] = v;
  }
  const ex = lookup(raw, 'exclude');
  const remapsRaw = lookup(raw, 'profile.pathRemaps');
  const remaps: PathRemap[] = [];
  if (remapsRaw && typeof remapsRaw === 'object') {
    for (const [from, to] of Object.entries(remapsRaw))
      if (typeof to === 'string' && from.length > 0) remaps.push({ from, to });
  }
  const confirmPct = num('profile.confirmThreshold');
  return {
    overrides: {
      largeErrorThreshold: num('largeErrorThreshold'),
      enumVariantSizeThreshold: num('enumVariantSizeThreshold'),
      passByValueSizeLimit: num('passByValueSizeLimit'),
      futureSizeThreshold: num('futureSizeThreshold'),
      futureBoxThreshold: num('futureBoxThreshold'),
      testCode: testCodeMode(lookup(raw, 'testCode')),
      enabled,
    },
    exclude: Array.isArray(ex)
      ? ex.filter((g): g is string => typeof g === 'string')
      : ['**/target/**'],
    inlayHintsEnabled: bool('inlayHints.enabled', true),
    inlayHintsMinSize: num('inlayHints.minSize') ?? 128,
    codeLensEnabled: bool('codeLens.enabled', true),
    debounceMs: Math.min(5000, num('debounceMs') ?? 250),
    remaps,
    confirmMinShare: confirmPct !== undefined && confirmPct <= 100 ? confirmPct / 100 : 0.01,
    cargo: cargoSettings(raw),
  };
}

export { matchesGlob } from './files';
