/**
 * An independent reader of DHAT files for the heap tests: JSON.parse and a regex, not the
 * importer under test. Sums each program point on its innermost `src/main.rs` frame.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface Oracle {
  lines: Map<number, { bytes: number; blocks: number; peak: number; end: number }>;
  totalBytes: number;
}

/** Innermost frame of each program point in the crate's src/main.rs; sums per line. */
export function dhatOracle(file: string): Oracle {
  const d = JSON.parse(gunzipSync(fs.readFileSync(file)).toString('utf8'));
  assert.equal(d.dhatFileVersion, 2);
  const lines = new Map<number, { bytes: number; blocks: number; peak: number; end: number }>();
  let totalBytes = 0;
  for (const pp of d.pps) {
    totalBytes += pp.tb;
    for (const i of pp.fs) {
      const m = /\((?:[^()]*\/)?(?:src\/)?main\.rs:(\d+)(?::\d+)?\)$/.exec(d.ftbl[i]);
      if (!m) continue;
      const line = Number(m[1]);
      const e = lines.get(line) ?? { bytes: 0, blocks: 0, peak: 0, end: 0 };
      e.bytes += pp.tb;
      e.blocks += pp.tbk;
      e.peak += pp.gb;
      e.end += pp.eb;
      lines.set(line, e);
      break;
    }
  }
  return { lines, totalBytes };
}
