/**
 * The rule codes, in registry order, with no imports: settings and other lists read them without
 * importing every rule module (a cycle: the rules read the settings). registry.ts checks at load
 * that its modules are exactly these, in this order.
 */
import type { RuleCode } from './types';

export const ALL_RULES: RuleCode[] = [
  'large-error',
  'large-enum-variant',
  'large-move',
  'async-trait-box',
  'clone-hotspot',
  'large-future',
];
