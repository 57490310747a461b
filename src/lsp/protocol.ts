/**
 * The custom part of the protocol between the server and its clients (no imports: the VS Code
 * client uses it without pulling in the analysis).
 *
 * - notification `allocLens/status` (server → client): `StatusParams` after every change.
 * - notification `allocLens/profileHotLines` (server → client): `ProfileHotLinesParams`.
 * - requests `allocLens/types`, `allocLens/drift`, `allocLens/rankedFindings`, `allocLens/flamegraph`.
 * - workspace commands: `WORKSPACE_COMMANDS`.
 */

/**
 * Workspace commands (`workspace/executeCommand`). The server advertises them unless the client
 * says it registers them itself (`clientCommands`): VS Code does, so that a command run before the
 * server has answered `initialize` waits for it instead of failing with "command not found".
 */
export const WORKSPACE_COMMANDS = ['allocLens.analyzeWorkspace', 'allocLens.importProfile', 'allocLens.clearProfile', 'allocLens.explainLayout', 'allocLens.verifyLayouts'] as const;

/** Heat levels of the gutter bar (0 = coolest). */
export const HEAT_LEVELS = 5;

export interface StatusParams {
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
