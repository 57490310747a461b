/**
 * The one list of rules. Each rule module carries its code, summary, clippy lint, settings,
 * profile measure and check; adding a rule means adding its module here (and its docs page and
 * `allocLens.rules` entry, which a test compares with this list).
 */
import { registerClippyLint, type RuleModule } from './context';
import type { RuleCode } from './types';
import { ALL_RULES } from './codes';
import { largeErrorRule } from './large-error';
import { largeEnumVariantRule } from './large-enum-variant';
import { largeMoveRule } from './large-move';
import { asyncTraitBoxRule } from './async-trait-box';
import { cloneHotspotRule } from './clone-hotspot';
import { largeFutureRule } from './large-future';

export const RULE_MODULES: readonly RuleModule[] = [
  largeErrorRule,
  largeEnumVariantRule,
  largeMoveRule,
  asyncTraitBoxRule,
  cloneHotspotRule,
  largeFutureRule,
] as RuleModule[];

export { ALL_RULES };
if (RULE_MODULES.map(r => r.code).join() !== ALL_RULES.join()) {
  throw new Error(
    `rules/codes.ts lists ${ALL_RULES.join(', ')} but the registry has ${RULE_MODULES.map(r => r.code).join(', ')}`,
  );
}

export const RULE_BY_CODE = Object.fromEntries(RULE_MODULES.map(r => [r.code, r])) as Record<
  RuleCode,
  RuleModule
>;

for (const r of RULE_MODULES) registerClippyLint(r.code, r.clippyLint, r.clippyGroup);

/** The docs link of a rule on the project site (SARIF `helpUri`, editor diagnostics). */
export function ruleHelpUri(code: RuleCode): string {
  return `https://github.com/alloc-lens/alloc-lens/blob/main/docs/rules/${code}.md`;
}

/** The README's rule table, generated from the registry (a test compares the README with it). */
export function rulesTableMarkdown(): string {
  const rows = RULE_MODULES.map(
    r =>
      `| [\`${r.code}\`](docs/rules/${r.code}.md) | ${r.summary} | ${r.clippyLint ? `\`${r.clippyLint}\`` : '—'} |`,
  );
  return ['| code | what it reports | clippy lint |', '|---|---|---|', ...rows].join('\n');
}
