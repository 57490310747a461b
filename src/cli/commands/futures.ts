/**
 * `alloc-lens futures <file-or-dir> [--json] [--features a,b] [--exact]`: the size of every
 * future (async fn, async block, async closure) defined in the path, largest first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWorkspace } from '../../core/index/workspace';
import { LayoutEngine } from '../../core/layout/engine';
import { FutureAnalyzer } from '../../core/future/analyze';
import type { FutureInfo } from '../../core/future/types';
import { fmtBytes, parseArgs, UsageError, type CliIo } from '../io';
import { rustFilesFor } from './layout';

/** One entry of `{"futures": [...]}` (public interface, documented in README). */
export interface FutureJson {
  fn: string;
  file: string;
  line: number;
  column: number;
  kind: FutureInfo['kind'];
  size: number;
  align: number;
  status: FutureInfo['status'];
  awaits: {
    line: number;
    callee: string;
    size: number | null;
    status: string;
    held?: { name: string; type: string; size: number }[];
  }[];
  largest?: string;
  unknown?: string[];
  recursive?: boolean;
  generic?: boolean;
  /** With --exact: the estimate before rustc confirmed it, and rustc's suspend variants. */
  estimate?: number;
  variants?: { name: string; size: number; awaitee?: { size: number; type?: string } }[];
}

export function futureJson(f: FutureInfo, root: string): FutureJson {
  return {
    fn: f.fn,
    file: path.relative(root, f.file).split(path.sep).join('/') || path.basename(f.file),
    line: f.line,
    column: f.column,
    kind: f.kind,
    size: f.size,
    align: f.align,
    status: f.status,
    awaits: f.awaits.map(a => ({
      line: a.line,
      callee: a.callee,
      size: a.size,
      status: a.status,
      held: a.held.length
        ? a.held.map(h => ({ name: h.name, type: h.type, size: h.size }))
        : undefined,
    })),
    largest: f.largest,
    unknown: f.unknown,
    recursive: f.recursive,
    generic: f.generic || undefined,
  };
}

function sizeText(f: FutureJson): string {
  const s = `${fmtBytes(f.size)} B`;
  return f.status === 'lower-bound'
    ? `at least ${s}`
    : f.status === 'exact'
      ? `${s} (rustc)`
      : `~${s}`;
}

export async function runFutures(args: string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(args, ['features'], ['json', 'exact']);
  if (positional.length !== 1)
    throw new UsageError(
      'usage: alloc-lens futures <file-or-dir> [--json] [--features a,b] [--exact]',
    );
  const { files, root } = rustFilesFor(positional[0]);
  const features =
    typeof flags.get('features') === 'string'
      ? String(flags.get('features')).split(/[ ,]+/).filter(Boolean)
      : [];
  const index = await loadWorkspace(positional[0], { features });
  for (const f of files) if (!index.hasFile(f)) index.ensureFile(f);
  const analyzer = new FutureAnalyzer(index, new LayoutEngine(index));
  const futures = analyzer.all(files);
  const out = futures.map(f => futureJson(f, root));
  if (flags.has('exact'))
    await confirm(root, features, futures, out, io, files.length === 1 ? files[0] : undefined);
  out.sort((a, b) => b.size - a.size || a.file.localeCompare(b.file) || a.line - b.line);
  if (flags.has('json')) {
    io.stdout.write(JSON.stringify({ root, futures: out }, null, 2) + '\n');
    return 0;
  }
  if (out.length === 0) io.stdout.write('no async fn, async block or async closure here\n');
  for (const f of out) {
    const lines = [
      `${f.fn}  (${f.kind}, ${f.file}:${f.line})  ${sizeText(f)}${f.recursive ? '  [recursive: needs Box::pin]' : ''}`,
    ];
    if (f.estimate !== undefined && f.estimate !== f.size)
      lines.push(
        `  estimate was ${fmtBytes(f.estimate)} B (drift ${f.estimate - f.size > 0 ? '+' : ''}${fmtBytes(f.estimate - f.size)} B)`,
      );
    if (f.largest) lines.push(`  largest: ${f.largest}`);
    if (f.unknown?.length) lines.push(`  unknown awaitees (counted as 0): ${f.unknown.join(', ')}`);
    io.stdout.write(lines.join('\n') + '\n');
  }
  return 0;
}

/** `--exact`: rustc's `-Zprint-type-sizes` confirms every non-generic future it laid out. */
async function confirm(
  root: string,
  features: string[],
  futures: FutureInfo[],
  out: FutureJson[],
  io: CliIo,
  file?: string,
): Promise<void> {
  const { runExact } = await import('../../core/exact/run');
  const { matchFutures } = await import('../../core/future/compare');
  const isCrate = fs.existsSync(path.join(root, 'Cargo.toml'));
  if (!isCrate && !file)
    throw new UsageError(
      `--exact needs a Cargo package or a single .rs file: no Cargo.toml in ${root}`,
    );
  let r;
  try {
    const onProgress = (m: string) => io.stderr.write(`alloc-lens: ${m}\n`);
    r = await runExact(isCrate ? { crateDir: root, features, onProgress } : { file, onProgress });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const matches = matchFutures(r.asyncBodies, futures, r.crateName, root);
  const byInfo = new Map(futures.map((f, i) => [f, out[i]]));
  for (const m of matches) {
    const j = byInfo.get(m.info)!;
    j.estimate = j.size;
    j.size = m.rustc.size;
    j.align = m.rustc.align;
    j.status = 'exact';
    j.variants = (m.rustc.variants ?? [])
      .filter(v => /^Suspend/.test(v.name))
      .map(v => {
        const a = v.fields.find(f => f.name === '__awaitee');
        return {
          name: v.name,
          size: v.size,
          awaitee: a ? { size: a.size, type: a.typeName } : undefined,
        };
      });
  }
  const drift = matches.filter(m => m.info.size !== m.rustc.size).length;
  io.stderr.write(
    `alloc-lens: rustc confirmed ${matches.length} of ${futures.length} futures (${drift} estimates differed); generic ones are sized per instantiation only\n`,
  );
}
