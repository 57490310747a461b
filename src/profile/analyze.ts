/**
 * Import + attribution + report in one call, shared by the CLI and the editor.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWorkspace, type WorkspaceIndex } from '../core/index/workspace';
import { createSymbolLocator } from '../core/index/symbols';
import { LayoutEngine } from '../core/layout/engine';
import { resolveSettings } from '../core/config/settings';
import { runRules } from '../core/rules/run';
import type { Finding } from '../core/rules/types';
import { attribute, type Attribution } from './attribute';
import { confirmFindings, type Confirmation, type ConfirmOptions } from './confirm';
import type { FoldedCollapser, FoldOptions } from './folded';
import { importProfile } from './import';
import { buildExpansion, workspaceBinaries, type ChainSource } from './inline-expand';
import type { ProfileData } from './model';
import { ProfileInputError } from './source';
import type { PathRemap, WorkspaceContext } from './paths';
import { buildReport, type ProfileReportJson } from './report';
import { toSpeedscope, type SpeedscopeFile } from './speedscope';
import type { ImportProgress } from './types';

export interface AnalyzeOptions {
  readonly root: string;
  readonly remaps?: readonly PathRemap[];
  readonly event?: string;
  /** Also collapse into FlameGraph folded stacks (true: inferno flavour; or the options). */
  readonly fold?: boolean | FoldOptions;
  /** Run the static rules and confirm them with the profile. */
  readonly check?: boolean;
  /** Findings computed elsewhere (the editor), confirmed instead of running the rules. */
  readonly findings?: readonly Finding[];
  readonly confirm?: ConfirmOptions;
  readonly top?: number;
  readonly stacks?: number;
  readonly perf?: string;
  /** Expand inline chains from workspace binaries with addr2line when stacks lack them (default true). */
  readonly expand?: boolean;
  /** `addr2line` executable (binutils). */
  readonly addr2line?: string;
  /** Tests: the workspace binaries of a recording and their inline chains, instead of disk and addr2line. */
  readonly inline?: {
    binaries: (dsos: Iterable<string>, root: string) => Map<string, string>;
    chains: ChainSource;
  };
  /** An index already loaded for `root` (the editor's). */
  readonly index?: WorkspaceIndex;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ImportProgress) => void;
}

export interface ProfileAnalysis {
  readonly root: string;
  readonly data: ProfileData;
  readonly attribution: Attribution;
  readonly report: ProfileReportJson;
  readonly folded?: FoldedCollapser;
  readonly confirmations?: Confirmation[];
  speedscope(absolutePaths?: boolean): SpeedscopeFile;
}

export async function analyzeProfile(
  input: string,
  opts: AnalyzeOptions,
): Promise<ProfileAnalysis> {
  const root = path.resolve(opts.root);
  const warnings: string[] = [];
  let imported = await importProfile(input, {
    signal: opts.signal,
    onProgress: opts.onProgress,
    fold: typeof opts.fold === 'object' ? opts.fold : opts.fold ? {} : undefined,
    perf: opts.perf,
  });
  let index = opts.index;
  if (!index && fs.existsSync(path.join(root, 'Cargo.toml'))) {
    try {
      index = await loadWorkspace(root, { signal: opts.signal });
    } catch (e) {
      warnings.push(
        `could not index ${root}: ${(e as Error).message}; samples are attributed by srcline paths only`,
      );
    }
  } else if (!index)
    warnings.push(
      `${root} has no Cargo.toml: symbols cannot be mapped to definitions (srcline paths are still used); pass --root <crate or workspace>`,
    );
  const files = index ? index.fileNames() : [];
  const ws: WorkspaceContext = {
    root,
    files,
    locate: index ? createSymbolLocator(index.items) : undefined,
    locateType: index ? typeLocator(index) : undefined,
    remaps: opts.remaps,
  };
  let ev = imported.data.primaryEvent(opts.event);
  if (!ev)
    throw new ProfileInputError(
      `no samples of event ${JSON.stringify(opts.event)}; the profile has: ${imported.data.eventOrder.join(', ')}`,
    );
  let a = attribute(imported.data, ev, ws);
  // Stacks without inline chains (-g, `perf script --no-inline`, no srcline) name only the
  // physical function of a workspace frame: its samples are lost when that function is a
  // dependency's (workspace code inlined into rayon), or charged to the fn's first line. When the
  // program's binary is in the workspace, expand its inline chains with addr2line and read the
  // input again, as the ground truth reads the binary.
  const bins = (opts.inline?.binaries ?? workspaceBinaries)(imported.data.framesByDso.keys(), root);
  if (bins.size > 0 && opts.expand !== false) {
    const binIds = new Set<number>();
    imported.data.frames.forEach(f => {
      if (f.dso !== undefined && bins.has(f.dso)) binIds.add(f.id);
    });
    let lost = 0;
    let inBinary = 0;
    for (const [rec, info] of a.stackInfo) {
      if (!rec.frames.some(id => binIds.has(id))) continue;
      inBinary += rec.count;
      if (info.user < 0) lost += rec.count;
    }
    // perf printed `(inlined)` frames: the text has its own chains (dwarf + srcline)
    const chains = imported.data.frames.some(f => f.inlined);
    if (lost > 0 || (inBinary > 0 && !chains)) {
      const x = await buildExpansion(bins, imported.data.framesByDso, {
        addr2line: opts.addr2line,
        signal: opts.signal,
        chains: opts.inline?.chains,
      });
      const names = [...bins.values()]
        .map(b => path.relative(root, path.resolve(root, b)))
        .join(', ');
      const lostText = `${lost.toLocaleString('en-US')} samples ran in ${names} but no frame named workspace code`;
      const plainText = `the stacks of ${inBinary.toLocaleString('en-US')} samples in ${names} have no inline chains (-g, --no-inline or no srcline), so only their functions were known`;
      if (x && !x.usable) {
        warnings.push(
          `${lost > 0 ? lostText : plainText}; its inline chains were not used: only ${x.agreed.toLocaleString('en-US')} of ${x.resolved.toLocaleString('en-US')} addresses fall in the function perf names, so the binary was rebuilt since the recording (record again with this build, or keep the binary)`,
        );
      } else if (x) {
        const again = await importProfile(input, {
          signal: opts.signal,
          perf: opts.perf,
          expandFrames: f => x.expand(f),
        });
        const ev2 = again.data.primaryEvent(opts.event);
        if (ev2) {
          const a2 = attribute(again.data, ev2, ws);
          // (a text with its own chains keeps them unless the binary's attribute more samples)
          if (a2.attributed > a.attributed || (!chains && a2.attributed === a.attributed)) {
            const agree = `${x.agreed.toLocaleString('en-US')} of ${x.resolved.toLocaleString('en-US')} addresses agree with perf's symbols; the others are not used`;
            warnings.push(
              a2.attributed > a.attributed
                ? `${lostText} (-g or --no-inline stacks have no inline chains): inline chains were read from the binary with addr2line (${agree}), and ${a2.attributed.toLocaleString('en-US')} samples are attributed instead of ${a.attributed.toLocaleString('en-US')}`
                : `${plainText}: inline chains were read from the binary with addr2line (${agree}) and give their lines`,
            );
            imported = { ...again, folded: imported.folded };
            ev = ev2;
            a = a2;
          }
        }
      }
    }
  }
  if (a.attributed === 0 && a.totals.total > 0)
    warnings.push(
      `none of the ${a.totals.total} samples has a frame in ${root}: is this the workspace the binary was built from? Sources recorded elsewhere can be mapped with a path remap (FROM=TO)`,
    );
  const report = buildReport(imported.data, a, {
    input,
    format: imported.gzip ? `${imported.format}+gzip` : imported.format,
    top: opts.top ?? 10,
    stacks: opts.stacks,
    files,
    root,
    warnings,
  });
  let confirmations: Confirmation[] | undefined;
  const lineText = lineReader(root, index);
  if (opts.findings)
    confirmations = confirmFindings(opts.findings, a, root, lineText, opts.confirm);
  else if (opts.check && index) {
    const engine = new LayoutEngine(index);
    const findings = runRules(index, engine, resolveSettings({ dir: root }), index.fileNames());
    confirmations = confirmFindings(findings, a, root, lineText, opts.confirm);
  }
  return {
    root,
    data: imported.data,
    attribution: a,
    report,
    folded: imported.folded,
    confirmations,
    speedscope: (absolute = false) =>
      toSpeedscope(
        imported.data,
        a,
        path.basename(input),
        absolute ? { absolute: rel => a.resolver.absolute(rel) } : {},
      ),
  };
}

/** Struct/enum/union definitions by path, for code a derive generated (it has no fn in the sources). */
function typeLocator(
  index: WorkspaceIndex,
): (p: string) => { file: string; line: number } | undefined {
  const types = new Map<string, { file: string; line: number }>();
  for (const it of index.items) {
    if ((it.kind === 'struct' || it.kind === 'enum' || it.kind === 'union') && !types.has(it.path))
      types.set(it.path, { file: it.span.file, line: it.nameSpan.line });
  }
  return p => types.get(p);
}

/** Line text of a workspace-relative file (index text first, disk otherwise), cached per file. */
export function lineReader(
  root: string,
  index?: WorkspaceIndex,
): (rel: string, line: number) => string | undefined {
  const cache = new Map<string, string[] | null>();
  return (rel, line) => {
    let lines = cache.get(rel);
    if (lines === undefined) {
      const abs = path.join(root, rel);
      const text =
        index?.fileText(abs) ?? (fs.existsSync(abs) ? fs.readFileSync(abs, 'utf8') : undefined);
      lines = text === undefined ? null : text.split('\n');
      cache.set(rel, lines);
    }
    return lines?.[line - 1];
  };
}
