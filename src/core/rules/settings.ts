/** The settings every rule reads (parsed from config files, the CLI and the editor by `config/`). */
import type { RuleCode } from './types';

export interface RuleSettings {
  /** clippy `large-error-threshold`: an `Err` type of at least this many bytes is flagged. */
  largeErrorThreshold: number;
  /** clippy `large-error-ignored`: paths of error types never flagged. */
  largeErrorIgnored: string[];
  /** clippy `enum-variant-size-threshold`: flag when largest - second largest > this. */
  enumVariantSizeThreshold: number;
  /** clippy `pass-by-value-size-limit`: values at least this large moved by value are flagged. */
  passByValueSizeLimit: number;
  /** clippy `avoid-breaking-exported-api` (default true): exported signatures are not flagged. */
  avoidBreakingExportedApi: boolean;
  /**
   * Findings in test code (`tests/`, `#[cfg(test)]`, `#[test]` fns): `report` as usual, `hint`
   * (lowered to hint severity) or `off` (the default). The same setting in the CLI and the editor.
   */
  testCode: TestCodeMode;
  /** clippy `future-size-threshold`: an awaited future of at least this many bytes (16384). */
  futureSizeThreshold?: number;
  /** Lower, informational level for `large-future` (tokio boxes spawned futures above 2 KiB). */
  futureBoxThreshold?: number;
  /** Rules switched on (all by default). */
  enabled: Record<RuleCode, boolean>;
  /** Where each threshold came from, for messages and "Explain". */
  sources: Partial<
    Record<
      | 'largeErrorThreshold'
      | 'enumVariantSizeThreshold'
      | 'passByValueSizeLimit'
      | 'largeErrorIgnored',
      string
    >
  >;
}

export type TestCodeMode = 'report' | 'hint' | 'off';
export const TEST_CODE_MODES: TestCodeMode[] = ['report', 'hint', 'off'];
