/**
 * Rule settings: thresholds (clippy's keys and defaults, read from `clippy.toml` /
 * `.clippy.toml`), enabled rules. Precedence: explicit overrides (editor settings, CLI flags)
 * beat clippy.toml, which beats the defaults.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseToml } from '../index/crates';
import type { RuleCode } from '../rules/types';

export { TEST_CODE_MODES, type RuleSettings, type TestCodeMode } from '../rules/settings';
import type { RuleSettings } from '../rules/settings';

export { ALL_RULES } from '../rules/codes';
import { ALL_RULES } from '../rules/codes';

export function defaultSettings(): RuleSettings {
  return {
    largeErrorThreshold: 128,
    largeErrorIgnored: [],
    enumVariantSizeThreshold: 200,
    passByValueSizeLimit: 256,
    avoidBreakingExportedApi: true,
    testCode: 'off',
    enabled: Object.fromEntries(ALL_RULES.map(r => [r, true])) as Record<RuleCode, boolean>,
    sources: {},
  };
}

/** The nearest `clippy.toml` or `.clippy.toml` at or above `dir` (clippy's own lookup order). */
export function findClippyToml(dir: string): string | undefined {
  let d = path.resolve(dir);
  for (;;) {
    for (const name of ['clippy.toml', '.clippy.toml']) {
      const p = path.join(d, name);
      if (fs.existsSync(p)) return p;
    }
    const up = path.dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

/** Apply a clippy.toml's keys. Throws a clear error for a malformed value. */
export function applyClippyToml(s: RuleSettings, file: string): RuleSettings {
  const text = fs.readFileSync(file, 'utf8');
  const top = parseToml(text).tables.get('') ?? {};
  const out = { ...s, sources: { ...s.sources } };
  const num = (key: string): number | undefined => {
    if (!(key in top)) return undefined;
    const v = top[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw new Error(
        `${file}: \`${key}\` must be a non-negative integer, got ${JSON.stringify(v)}`,
      );
    return v;
  };
  const e = num('large-error-threshold');
  if (e !== undefined) [out.largeErrorThreshold, out.sources.largeErrorThreshold] = [e, file];
  const v = num('enum-variant-size-threshold');
  if (v !== undefined)
    [out.enumVariantSizeThreshold, out.sources.enumVariantSizeThreshold] = [v, file];
  const fu = num('future-size-threshold');
  if (fu !== undefined) out.futureSizeThreshold = fu;
  const p = num('pass-by-value-size-limit');
  if (p !== undefined) [out.passByValueSizeLimit, out.sources.passByValueSizeLimit] = [p, file];
  if ('avoid-breaking-exported-api' in top) {
    const a = top['avoid-breaking-exported-api'];
    if (typeof a !== 'boolean')
      throw new Error(
        `${file}: \`avoid-breaking-exported-api\` must be true or false, got ${JSON.stringify(a)}`,
      );
    out.avoidBreakingExportedApi = a;
  }
  if ('large-error-ignored' in top) {
    const ig = top['large-error-ignored'];
    if (!Array.isArray(ig))
      throw new Error(`${file}: \`large-error-ignored\` must be an array of paths`);
    [out.largeErrorIgnored, out.sources.largeErrorIgnored] = [ig as string[], file];
  }
  return out;
}

/** Overrides from the editor or the command line; undefined fields keep the lower layers. */
export type SettingsOverrides = Partial<
  Pick<
    RuleSettings,
    | 'largeErrorThreshold'
    | 'largeErrorIgnored'
    | 'enumVariantSizeThreshold'
    | 'passByValueSizeLimit'
    | 'testCode'
    | 'futureSizeThreshold'
    | 'futureBoxThreshold'
  >
> & { enabled?: Partial<Record<RuleCode, boolean>> };

export function resolveSettings(
  opts: { dir?: string; clippyToml?: string; overrides?: SettingsOverrides } = {},
): RuleSettings {
  let s = defaultSettings();
  const toml = opts.clippyToml ?? (opts.dir ? findClippyToml(opts.dir) : undefined);
  if (toml) s = applyClippyToml(s, toml);
  const o = opts.overrides ?? {};
  for (const k of [
    'largeErrorThreshold',
    'enumVariantSizeThreshold',
    'passByValueSizeLimit',
    'largeErrorIgnored',
  ] as const) {
    if (o[k] !== undefined) {
      (s as unknown as Record<string, unknown>)[k] = o[k];
      s.sources[k] = 'settings';
    }
  }
  if (o.testCode !== undefined) s.testCode = o.testCode;
  if (o.futureSizeThreshold !== undefined) s.futureSizeThreshold = o.futureSizeThreshold;
  if (o.futureBoxThreshold !== undefined) s.futureBoxThreshold = o.futureBoxThreshold;
  if (o.enabled)
    s.enabled = {
      ...s.enabled,
      ...Object.fromEntries(Object.entries(o.enabled).filter(([, v]) => v !== undefined)),
    };
  return s;
}
