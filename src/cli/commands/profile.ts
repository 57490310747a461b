/**
 * `alloc-lens profile <input> [--root <workspace>] [--json] [--top N] [--folded <out>]
 *   [--speedscope <out.json>] [--event <name>] [--remap FROM=TO[,FROM=TO]] [--check] [--perf <exe>]`
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, UsageError, type CliIo } from '../io';
import { analyzeProfile, type ProfileAnalysis } from '../../profile/analyze';
import { ProfileInputError } from '../../profile/source';
import { renderText, pct } from '../../profile/report';
import { parseRemap } from '../../profile/paths';
import { compareReports, renderCompareText } from '../../profile/compare';
import { demangle } from '../../profile/demangle';
import { detectImporter } from '../../profile/import';
import { runHeapProfile } from './profile-heap';
import { progressLine, runCancellable } from './cancellable';
import { confirmedFindingJson } from './confirmed-json';

const USAGE =
  'usage: alloc-lens profile <perf.data|perf-script.txt[.gz]|stacks.folded[.gz]|dhat.json|heaptrack.*.zst|*.pb.gz> [--root <workspace>] [--json] [--top N] [--stacks N] [--folded <out>] [--folded-demangled <out>] [--speedscope <out.json>] [--event <name>] [--remap FROM=TO[,FROM=TO]] [--check] [--perf <exe>] [--baseline <older profile of the same kind>]';

/** The nearest directory upwards from `start` that has a Cargo.toml, else undefined. */
function findCrateRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'Cargo.toml'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function num(v: string | true | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative integer (got ${v})`);
  return n;
}

function writeOut(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

function renderConfirmed(p: ProfileAnalysis): string {
  const list = p.confirmations ?? [];
  if (list.length === 0) return 'no static findings in the workspace\n';
  const out = ['static findings ranked by measured cost:'];
  for (const c of list) {
    const f = c.finding;
    const r = path.relative(p.root, f.range.file);
    out.push(
      `  ${c.confirmed ? '✔' : ' '} ${r}:${f.range.line}:${f.range.column} ${c.severity}[${f.code}] ${c.note}`,
    );
  }
  return `${out.join('\n')}\n`;
}

export async function runProfile(args: string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(
    args,
    [
      'root',
      'top',
      'stacks',
      'folded',
      'folded-demangled',
      'speedscope',
      'event',
      'remap',
      'perf',
      'baseline',
    ],
    ['json', 'check'],
  );
  if (positional.length !== 1) throw new UsageError(USAGE);
  const input = positional[0];
  const root = flags.has('root')
    ? path.resolve(String(flags.get('root')))
    : (findCrateRoot(path.dirname(path.resolve(input))) ?? process.cwd());
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory())
    throw new UsageError(`--root ${root}: not a directory`);
  const top = num(flags.get('top'), 'top', 10);
  const stacks = num(flags.get('stacks'), 'stacks', 3);
  let remaps;
  try {
    remaps = flags.has('remap') ? String(flags.get('remap')).split(',').map(parseRemap) : [];
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const json = flags.has('json');
  const kind = await detectImporter(input).then(
    d => d.importer.kind,
    e => {
      throw e instanceof ProfileInputError ? new UsageError(e.message) : e;
    },
  );
  const baseline = flags.has('baseline') ? String(flags.get('baseline')) : undefined;
  if (baseline !== undefined) {
    const baseKind = await detectImporter(baseline).then(
      d => d.importer.kind,
      e => {
        throw e instanceof ProfileInputError ? new UsageError(e.message) : e;
      },
    );
    if (baseKind !== kind)
      throw new UsageError(
        `--baseline ${baseline} is a ${baseKind === 'heap' ? 'heap' : 'CPU'} profile and ${input} a ${kind === 'heap' ? 'heap' : 'CPU'} profile: compare two of the same kind`,
      );
  }
  if (kind === 'heap') {
    return runHeapProfile(
      {
        input,
        root,
        remaps,
        json,
        top,
        stacks,
        check: flags.has('check'),
        folded: flags.has('folded') ? String(flags.get('folded')) : undefined,
        speedscope: flags.has('speedscope') ? String(flags.get('speedscope')) : undefined,
        baseline,
      },
      io,
    );
  }
  const showProgress = !json && (io.stderr as NodeJS.WriteStream).isTTY === true;
  const analysed = await runCancellable(io, showProgress, async signal => {
    // Every line of both profiles: a line cut from one top-N would look like it vanished.
    const base =
      baseline === undefined
        ? undefined
        : await analyzeProfile(baseline, {
            root,
            remaps,
            event: flags.has('event') ? String(flags.get('event')) : undefined,
            top: 0,
            stacks: 0,
            perf: flags.has('perf') ? String(flags.get('perf')) : undefined,
            signal,
          });
    const cur = await analyzeProfile(input, {
      root,
      remaps,
      event: flags.has('event') ? String(flags.get('event')) : undefined,
      // --folded: stackcollapse-perf.pl's output byte for byte (raw names, first event only);
      // --folded-demangled: the same with Rust names demangled, for reading.
      fold:
        flags.has('folded') || flags.has('folded-demangled')
          ? { flavor: 'flamegraph', demangle: flags.has('folded-demangled') ? demangle : undefined }
          : undefined,
      check: flags.has('check'),
      top: base ? 0 : top,
      stacks,
      perf: flags.has('perf') ? String(flags.get('perf')) : undefined,
      signal,
      onProgress: showProgress
        ? pr => progressLine(io, input, pr, `, ${pr.samples.toLocaleString('en-US')} samples`)
        : undefined,
    });
    return { base, cur };
  });
  if (!analysed) return 130;
  const { base, cur: p } = analysed;
  if (base) {
    const cmp = compareReports(base.report, p.report);
    io.stdout.write(
      json ? `${JSON.stringify({ ...cmp, root: p.root }, null, 2)}\n` : renderCompareText(cmp, top),
    );
    return 0;
  }
  const foldedOut = flags.has('folded')
    ? 'folded'
    : flags.has('folded-demangled')
      ? 'folded-demangled'
      : undefined;
  if (foldedOut)
    writeOut(
      String(flags.get(foldedOut)),
      p
        .folded!.lines()
        .map(l => `${l}\n`)
        .join(''),
    );
  if (flags.has('speedscope'))
    writeOut(String(flags.get('speedscope')), JSON.stringify(p.speedscope()));
  if (json) {
    const out = {
      ...p.report,
      root: p.root,
      findings: p.confirmations?.map(c => ({
        ...confirmedFindingJson(p.root, c),
        measure: c.measure,
        samples: c.samples,
        share: c.share,
        note: c.note,
        message: c.finding.message,
      })),
    };
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    io.stdout.write(renderText(p.report));
    if (p.confirmations) io.stdout.write(`\n${renderConfirmed(p)}`);
    if (foldedOut) {
      const skipped = p.folded?.skippedEvent;
      const only = p.folded?.srclineFallback
        ? ' (the input has srcline lines, which stackcollapse-perf.pl misreads without --srcline: written as inferno collapses them)'
        : skipped
          ? ` (event ${p.folded?.keptEvent} only, as stackcollapse-perf.pl; ${skipped} and other events left out)`
          : '';
      io.stdout.write(`folded stacks: ${flags.get(foldedOut)}${only}\n`);
    }
    if (flags.has('speedscope'))
      io.stdout.write(
        `speedscope profile: ${flags.get('speedscope')} (views: all ${p.report.samples.total}, allocator ${pct(p.report.shares.allocator)}, copy ${pct(p.report.shares.copy)})\n`,
      );
  }
  return 0;
}
