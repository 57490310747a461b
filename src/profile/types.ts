/**
 * Data shapes shared by the profile importers, attribution and exporters. No `vscode` here.
 */

/** One frame of a perf callchain, as printed by `perf script` (leaf first in `PerfSample.frames`). */
export interface RawFrame {
  /** Instruction pointer in hex, as printed (may be absent in folded input). */
  readonly ip?: string;
  /** Symbol as printed, `+0x..` offset removed; `[unknown]` when perf had none. */
  readonly sym: string;
  /** DSO path from the trailing `(...)` group; absent for inlined frames printed with srcline. */
  readonly dso?: string;
  /** Source location `file:line` from the srcline continuation line, when it had that shape. */
  readonly file?: string;
  readonly line?: number;
  /** True when perf marked the frame `(inlined)`. */
  readonly inlined: boolean;
}

/** One sample (one event record) of `perf script` output. */
export interface PerfSample {
  readonly comm: string;
  readonly pid?: number;
  readonly tid?: number;
  readonly cpu?: number;
  readonly time?: number;
  /** The period printed before the event name, else 1. */
  readonly period: number;
  /** Number of samples this record stands for (folded input: the line's count); 1 when absent. */
  readonly count?: number;
  /** The full event name without the trailing colon (`cpu-clock:ppp`, `probe_libc:malloc`). */
  readonly event: string;
  /** Text after the event name on the header line (trace payload, or a single-line stack). */
  readonly payload: string;
  /** Callchain, leaf first. */
  readonly frames: readonly RawFrame[];
  /**
   * True when `frames` is an interned array, the same object for every sample with the same
   * stack text (consumers may cache per array).
   */
  readonly sharedFrames?: boolean;
}

/** Progress of a streaming import. */
export interface ImportProgress {
  readonly bytesRead: number;
  /** Total input bytes when known (file size of a plain file; compressed size for gzip). */
  readonly bytesTotal?: number;
  readonly samples: number;
}

export interface ImportOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ImportProgress) => void;
  /** A warning for a line that was skipped (weird stack line, bad header); the import goes on. */
  readonly onWarning?: (message: string) => void;
}
