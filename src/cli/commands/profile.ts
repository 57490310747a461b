/**
 * `alloc-lens profile <input> [--root <workspace>] [--json] [--top N] [--folded <out>]
 *   [--speedscope <out.json>] [--event <name>] [--remap FROM=TO[,FROM=TO]] [--check] [--perf <exe>]`
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, UsageError, type CliIo } from '../io';
import { analyzeProfile, type ProfileAnalysis } from '../../profile/analyze';
import { ProfileInputError, CancelledError } from '../../profile/source';
import { renderText, pct } from '../../profile/report';
import { parseRemap } from '../../profile/paths';
import { detectImporter } from '../../profile/import';
import { runHeapProfile } from './profile-heap';

const USAGE = 'usage: alloc-lens profile <perf.data|perf-script.txt[.gz]|stacks.folded[.gz]|dhat.json|heaptrack.*.zst|*.pb.gz> [--root <workspace>] [--json] [--top N] [--stacks N] [--folded <out>] [--speedscope <out.json>] [--event <name>] [--remap FROM=TO[,FROM=TO]] [--check] [--perf <exe>]';

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
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer (got ${v})`);
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
    out.push(`  ${c.confirmed ? '✔' : ' '} ${r}:${f.range.line}:${f.range.column} ${c.severity}[${f.code}] ${c.note}`);
  }
  return `${out.join('\n')}\n`;
}

export async function runProfile(args: string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(args, ['root', 'top', 'stacks', 'folded', 'speedscope', 'event', 'remap', 'perf'], ['json', 'check']);
  if (positional.length !== 1) throw new UsageError(USAGE);
  const input = positional[0];
  const root = flags.has('root') ? path.resolve(String(flags.get('root'))) : findCrateRoot(path.dirname(path.resolve(input))) ?? process.cwd();
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`--root ${root}: not a directory`);
  const top = num(flags.get('top'), 'top', 10);
  const stacks = num(flags.get('stacks'), 'stacks', 3);
  let remaps;
  try {
    remaps = flags.has('remap') ? String(flags.get('remap')).split(',').map(parseRemap) : [];
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const json = flags.has('json');
  const kind = await detectImporter(input).then(d => d.importer.kind, e => {
    throw e instanceof ProfileInputError ? new UsageError(e.message) : e;
  });
  if (kind === 'heap') {
    return runHeapProfile({ input, root, remaps, json, top, stacks, check: flags.has('check'), folded: flags.has('folded') ? String(flags.get('folded')) : undefined, speedscope: flags.has('speedscope') ? String(flags.get('speedscope')) : undefined }, io);
  }
  const showProgress = !json && (io.stderr as NodeJS.WriteStream).isTTY === true;
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  let p: ProfileAnalysis;
  try {
    p = await analyzeProfile(input, {
      root,
      remaps,
      event: flags.has('event') ? String(flags.get('event')) : undefined,
      fold: flags.has('folded'),
      check: flags.has('check'),
      top,
      stacks,
      perf: flags.has('perf') ? String(flags.get('perf')) : undefined,
      signal: ac.signal,
      onProgress: showProgress
        ? pr => io.stderr.write(`\rimporting ${input}: ${(pr.bytesRead / 1e6).toFixed(0)}${pr.bytesTotal ? `/${(pr.bytesTotal / 1e6).toFixed(0)}` : ''} MB, ${pr.samples.toLocaleString('en-US')} samples`)
        : undefined,
    });
  } catch (e) {
    if (e instanceof ProfileInputError) throw new UsageError(e.message);
    if (e instanceof CancelledError) {
      io.stderr.write('\nalloc-lens: cancelled\n');
      return 130;
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSig);
    if (showProgress) io.stderr.write('\r\x1b[K');
  }
  if (flags.has('folded')) writeOut(String(flags.get('folded')), p.folded!.lines().map(l => `${l}\n`).join(''));
  if (flags.has('speedscope')) writeOut(String(flags.get('speedscope')), JSON.stringify(p.speedscope()));
  if (json) {
    const out = { ...p.report, root: p.root, findings: p.confirmations?.map(c => ({ code: c.finding.code, file: path.relative(p.root, c.finding.range.file).split(path.sep).join('/'), line: c.finding.range.line, column: c.finding.range.column, severity: c.severity, staticSeverity: c.finding.severity, confirmed: c.confirmed, measure: c.measure, samples: c.samples, share: c.share, note: c.note, message: c.finding.message })) };
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    io.stdout.write(renderText(p.report));
    if (p.confirmations) io.stdout.write(`\n${renderConfirmed(p)}`);
    if (flags.has('folded')) io.stdout.write(`folded stacks: ${flags.get('folded')}\n`);
    if (flags.has('speedscope')) io.stdout.write(`speedscope profile: ${flags.get('speedscope')} (views: all ${p.report.samples.total}, allocator ${pct(p.report.shares.allocator)}, copy ${pct(p.report.shares.copy)})\n`);
  }
  return 0;
}
