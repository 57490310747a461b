/**
 * The custom part of the protocol between the server and its clients (no imports: the VS Code
 * client uses it without pulling in the analysis).
 *
 * - notification `allocLens/status` (server → client): `StatusParams` after every change.
 * - notification `allocLens/profileHotLines` (server → client): `ProfileHotLinesParams`.
 * - requests `allocLens/types`, `allocLens/drift`, `allocLens/rankedFindings`, `allocLens/flamegraph`,
 *   `allocLens/findingsTree`.
 * - workspace commands: `WORKSPACE_COMMANDS` (test/unit/extension/command-table.test.ts checks that
 *   they, package.json and the extension's registrations are one table).
 */

/**
 * Workspace commands (`workspace/executeCommand`). The server advertises them unless the client
 * says it registers them itself (`clientCommands`): VS Code does, so that a command run before the
 * server has answered `initialize` waits for it instead of failing with "command not found".
 */
export const WORKSPACE_COMMANDS = [
  'allocLens.analyzeWorkspace',
  'allocLens.importProfile',
  'allocLens.compareProfiles',
  'allocLens.clearProfile',
  'allocLens.explainLayout',
  'allocLens.explainFuture',
  'allocLens.verifyLayouts',
] as const;

/** Heat levels of the gutter bar (0 = coolest). */
export const HEAT_LEVELS = 5;

export interface StatusParams {
  /**
   * The findings of the server's one findings store (lsp/findings-store.ts): the static findings
   * and a heap profile's own, i.e. what the diagnostics publish (hot-line notes aside) and what
   * `allocLens/findingsTree` lists. Hint-severity findings count too, though VS Code's Problems
   * panel does not list them (ddsplit: 9 findings, 8 in Problems).
   */
  findings: number;
  /** One line about the loaded profile, if any. */
  profile?: string;
}

/** One marked line of a loaded profile. */
export interface HotLineNote {
  uri: string;
  /** 0-based line. */
  line: number;
  /** `memcpy 57.4% · free 0.3%` */
  note: string;
  /** 0 .. HEAT_LEVELS - 1 */
  level: number;
}

export interface ProfileHotLinesParams {
  /** Empty when the profile was cleared. */
  lines: HotLineNote[];
  summary?: string;
}

/** What `allocLens.importProfile` returns. */
export interface ImportSummary {
  file: string;
  format: string;
  samples: number;
  event: string;
  copyShare: number;
  allocatorShare: number;
  hottest?: { file: string; line: number; note: string };
  warnings: string[];
  /** The one-line message editors show. */
  message: string;
}

/** One finding under its root cause in the findings view (`allocLens/findingsTree`). */
export interface CauseFinding {
  code: string;
  /** After profile confirmation (a confirmed finding is raised one level). */
  severity: 'error' | 'warning' | 'info' | 'hint';
  message: string;
  uri: string;
  /** 0-based range of the finding. */
  line: number;
  character: number;
  endLine: number;
  endCharacter: number;
  /** `src/main.rs:20` */
  where: string;
  /** Measured evidence of the loaded profile (`memcpy 1,638 samples (36.0% of all)`). */
  evidence?: string;
  /** Against the baseline profile (`memcpy 36.0% → 0.4% of all samples`). */
  delta?: string;
  /** Share of the run (allocator + memcpy samples, or heap bytes), 0..1; 0 without a profile. */
  cost: number;
  confirmed: boolean;
  /** Number of quick fixes. */
  fixes: number;
  /** Static size the finding is about (bytes). */
  size?: number;
}

/** A root cause (a type, a trait, an awaited fn, or a single site) and the findings it causes. */
export interface CauseGroup {
  id: string;
  label: string;
  kind: 'type' | 'trait' | 'future' | 'site';
  /** `enum`, `struct`... for a workspace type. */
  itemKind?: string;
  path?: string;
  /** Static size in bytes and its label (`50,008 B`, `≥ 24 B`). */
  size?: number;
  sizeLabel?: string;
  /** The definition (or the site), 0-based. */
  uri?: string;
  line?: number;
  character?: number;
  where?: string;
  /** Measured evidence over the distinct lines of all its findings (a shared line counts once). */
  evidence?: string;
  delta?: string;
  cost: number;
  confirmed: boolean;
  /** The most severe of its findings. */
  severity: CauseFinding['severity'];
  findings: CauseFinding[];
}

export interface FindingsTree {
  /** The loaded profile, if any. */
  profile?: string;
  /** The baseline it is compared with, if any. */
  baseline?: string;
  unit?: 'samples' | 'bytes';
  groups: CauseGroup[];
  /** Present after Compare: the totals and the lines that changed most. */
  comparison?: ComparisonView;
}

/** What `allocLens.compareProfiles` returns and the view shows. */
export interface ComparisonView {
  baseline: string;
  current: string;
  /** What the totals and notes count: CPU samples (shares of all) or heap bytes and blocks. */
  measure?: 'samples' | 'bytes';
  /** `memcpy 62.7% → 39.0% (−23.7 pp)` per kind. */
  totals: string[];
  /** The lines that changed most, with their delta note. */
  lines: {
    label: string;
    note: string;
    uri: string;
    line: number;
    presence: 'gone' | 'new' | 'both';
  }[];
  message: string;
}
