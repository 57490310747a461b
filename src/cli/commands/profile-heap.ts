/**
 * `alloc-lens profile <dhat.json | heaptrack.*.zst | *.pb.gz> --root <crate> [--json]
 *   [--top N] [--stacks N] [--folded <out>] [--speedscope <out.json>] [--remap FROM=TO] [--check]
 *   [--baseline <older heap profile>]`
 * Hot lines ranked by bytes with blocks, average size, peak contribution, bytes at exit and
 * average lifetime; heap diagnostics; byte-weighted speedscope and folded exports.
 */
import * as fs from 'node:fs';
import { UsageError, type CliIo } from '../io';
import { analyzeHeap, type HeapAnalysis } from '../../profile/heap/analyze';
import type { PathRemap } from '../../profile/paths';
import { renderHeapText } from '../../profile/heap/report';
import { compareHeapReports, renderHeapCompareText } from '../../profile/heap/compare';
import { progressLine, runCancellable } from './cancellable';
import { confirmedFindingJson } from './confirmed-json';

export interface HeapCliOptions {
  readonly input: string;
  readonly root: string;
  readonly remaps: PathRemap[];
  readonly json: boolean;
  readonly top: number;
  readonly stacks: number;
  readonly check: boolean;
  readonly folded?: string;
  readonly speedscope?: string;
  /** An older heap profile: print the per-line comparison instead of the report. */
  readonly baseline?: string;
}

function writeOut(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

export async function runHeapProfile(o: HeapCliOptions, io: CliIo): Promise<number> {
  const showProgress = !o.json && (io.stderr as NodeJS.WriteStream).isTTY === true;
  const analysed = await runCancellable(io, showProgress, async signal => {
    // Every line of both profiles when comparing: a line cut from one top-N would look gone.
    const base =
      o.baseline === undefined
        ? undefined
        : await analyzeHeap(o.baseline, {
            root: o.root,
            remaps: o.remaps,
            top: 0,
            stacks: 0,
            signal,
          });
    const cur = await analyzeHeap(o.input, {
      root: o.root,
      remaps: o.remaps,
      top: base ? 0 : o.top,
      stacks: base ? 0 : o.stacks,
      check: o.check,
      signal,
      onProgress: showProgress ? pr => progressLine(io, o.input, pr) : undefined,
    });
    return { base, cur };
  });
  if (!analysed) return 130;
  const p: HeapAnalysis = analysed.cur;
  if (analysed.base) {
    const cmp = compareHeapReports(analysed.base.report, p.report);
    io.stdout.write(
      o.json
        ? `${JSON.stringify({ ...cmp, root: p.root }, null, 2)}\n`
        : renderHeapCompareText(cmp, o.top),
    );
    return 0;
  }
  if (o.folded)
    writeOut(
      o.folded,
      p
        .folded()
        .map(l => `${l}\n`)
        .join(''),
    );
  if (o.speedscope) writeOut(o.speedscope, JSON.stringify(p.speedscope()));
  const findings = p.confirmations?.map(c => ({
    ...confirmedFindingJson(p.root, c),
    measure: c.finding.code === 'async-trait-box' ? 'blocks' : 'bytes',
    amount: c.samples,
    share: c.share,
    note: c.note,
    message: c.finding.message,
  }));
  if (o.json)
    io.stdout.write(
      `${JSON.stringify({ ...p.report, root: p.root, ...(findings ? { findings } : {}) }, null, 2)}\n`,
    );
  else {
    io.stdout.write(renderHeapText(p.report));
    if (findings) {
      io.stdout.write('\nstatic findings ranked by allocated bytes:\n');
      for (const f of findings)
        io.stdout.write(
          `  ${f.confirmed ? '✔' : ' '} ${f.file}:${f.line}:${f.column} ${f.severity}[${f.code}] ${f.note}\n`,
        );
    }
    if (o.folded) io.stdout.write(`folded stacks (bytes): ${o.folded}\n`);
    if (o.speedscope)
      io.stdout.write(`speedscope profile (bytes: total, at peak, at exit): ${o.speedscope}\n`);
  }
  return 0;
}
