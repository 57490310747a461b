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

export async function analyzeProfile(input: string, opts: AnalyzeOptions): Promise<ProfileAnalysis> {
  const root = path.resolve(opts.root);
  const warnings: string[] = [];
  const imported = await importProfile(input, { signal: opts.signal, onProgress: opts.onProgress, fold: typeof opts.fold === 'object' ? opts.fold : opts.fold ? {} : undefined, perf: opts.perf });
  let index = opts.index;
  if (!index && fs.existsSync(path.join(root, 'Cargo.toml'))) {
    try {
      index = await loadWorkspace(root, { signal: opts.signal });
    } catch (e) {
      warnings.push(`could not index ${root}: ${(e as Error).message}; samples are attributed by srcline paths only`);
    }
  } else if (!index) warnings.push(`${root} has no Cargo.toml: symbols cannot be mapped to definitions (srcline paths are still used); pass --root <crate or workspace>`);
  const files = index ? index.fileNames() : [];
  const ws: WorkspaceContext = { root, files, locate: index ? createSymbolLocator(index.items) : undefined, locateType: index ? typeLocator(index) : undefined, remaps: opts.remaps };
  const ev = imported.data.primaryEvent(opts.event);
  if (!ev) throw new ProfileInputError(`no samples of event ${JSON.stringify(opts.event)}; the profile has: ${imported.data.eventOrder.join(', ')}`);
  const a = attribute(imported.data, ev, ws);
  if (a.attributed === 0 && a.totals.total > 0) warnings.push(`none of the ${a.totals.total} samples has a frame in ${root}: is this the workspace the binary was built from? Sources recorded elsewhere can be mapped with a path remap (FROM=TO)`);
  const report = buildReport(imported.data, a, { input, format: imported.gzip ? `${imported.format}+gzip` : imported.format, top: opts.top ?? 10, stacks: opts.stacks, files, root, warnings });
  let confirmations: Confirmation[] | undefined;
  const lineText = lineReader(root, index);
  if (opts.findings) confirmations = confirmFindings(opts.findings, a, root, lineText, opts.confirm);
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
    speedscope: (absolute = false) => toSpeedscope(imported.data, a, path.basename(input), absolute ? { absolute: rel => a.resolver.absolute(rel) } : {}),
  };
}

/** Struct/enum/union definitions by path, for code a derive generated (it has no fn in the sources). */
function typeLocator(index: WorkspaceIndex): (p: string) => { file: string; line: number } | undefined {
  const types = new Map<string, { file: string; line: number }>();
  for (const it of index.items) {
    if ((it.kind === 'struct' || it.kind === 'enum' || it.kind === 'union') && !types.has(it.path)) types.set(it.path, { file: it.span.file, line: it.nameSpan.line });
  }
  return p => types.get(p);
}

/** Line text of a workspace-relative file (index text first, disk otherwise), cached per file. */
export function lineReader(root: string, index?: WorkspaceIndex): (rel: string, line: number) => string | undefined {
  const cache = new Map<string, string[] | null>();
  return (rel, line) => {
    let lines = cache.get(rel);
    if (lines === undefined) {
      const abs = path.join(root, rel);
      const text = index?.fileText(abs) ?? (fs.existsSync(abs) ? fs.readFileSync(abs, 'utf8') : undefined);
      lines = text === undefined ? null : text.split('\n');
      cache.set(rel, lines);
    }
    return lines?.[line - 1];
  };
}
