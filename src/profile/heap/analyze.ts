/**
 * Heap import + attribution + diagnostics + report in one call, shared by the CLI and the editor.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWorkspace, type WorkspaceIndex } from '../../core/index/workspace';
import { createSymbolLocator } from '../../core/index/symbols';
import { LayoutEngine } from '../../core/layout/engine';
import { resolveSettings } from '../../core/config/settings';
import { runRules } from '../../core/rules/run';
import type { Finding } from '../../core/rules/types';
import { lineReader } from '../analyze';
import type { Confirmation, ConfirmOptions } from '../confirm';
import { importAny } from '../import';
import type { PathRemap, WorkspaceContext } from '../paths';
import { ProfileInputError } from '../source';
import type { ImportProgress } from '../types';
import { attributeHeap, rankHeapLines, type HeapAttribution } from './attribute';
import { confirmWithHeap } from './confirm';
import { diagnoseHeap } from './diagnose';
import { cutWarning, heapToFolded, heapToSpeedscope, type HeapSpeedscopeFile } from './export';
import type { HeapProfile } from './model';
import { buildHeapReport, type HeapReportJson } from './report';

export interface HeapAnalyzeOptions {
  readonly root: string;
  readonly remaps?: readonly PathRemap[];
  readonly check?: boolean;
  readonly findings?: readonly Finding[];
  readonly confirm?: ConfirmOptions;
  readonly top?: number;
  readonly stacks?: number;
  readonly index?: WorkspaceIndex;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ImportProgress) => void;
}

export interface HeapAnalysis {
  readonly kind: 'heap';
  readonly root: string;
  readonly heap: HeapProfile;
  readonly attribution: HeapAttribution;
  readonly report: HeapReportJson;
  readonly confirmations?: Confirmation[];
  speedscope(absolutePaths?: boolean): HeapSpeedscopeFile;
  folded(weight?: 'bytes' | 'peakBytes' | 'endBytes'): string[];
}

export async function analyzeHeap(input: string, opts: HeapAnalyzeOptions): Promise<HeapAnalysis> {
  const root = path.resolve(opts.root);
  const warnings: string[] = [];
  const imported = await importAny(input, { signal: opts.signal, onProgress: opts.onProgress });
  if (imported.kind !== 'heap')
    throw new ProfileInputError(`${input} is a CPU profile, not a heap profile`);
  let index = opts.index;
  if (!index && fs.existsSync(path.join(root, 'Cargo.toml'))) {
    try {
      index = await loadWorkspace(root, { signal: opts.signal });
    } catch (e) {
      warnings.push(`could not index ${root}: ${(e as Error).message}`);
    }
  } else if (!index) warnings.push(`${root} has no Cargo.toml; pass --root <crate or workspace>`);
  const files = index ? index.fileNames() : [];
  const ws: WorkspaceContext = {
    root,
    files,
    locate: index ? createSymbolLocator(index.items) : undefined,
    remaps: opts.remaps,
  };
  const heap = imported.heap;
  const a = await attributeHeap(heap, ws, { signal: opts.signal });
  const cut = cutWarning(a.tree);
  if (cut) warnings.push(cut);
  if (a.lines.size === 0)
    warnings.push(
      `none of the ${heap.siteCount} allocation sites has a frame in ${root}: is this the workspace the program was built from? Sources recorded elsewhere can be mapped with --remap FROM=TO`,
    );
  const diagnostics = diagnoseHeap(heap, a, rankHeapLines(a));
  const report = buildHeapReport(heap, a, diagnostics, {
    input,
    format:
      imported.gzip && imported.format !== 'pprof' ? `${imported.format}+gzip` : imported.format,
    top: opts.top ?? 10,
    stacks: opts.stacks,
    warnings,
  });
  let confirmations: Confirmation[] | undefined;
  const text = lineReader(root, index);
  const confirm = opts.confirm ?? {};
  if (opts.findings) confirmations = confirmWithHeap(opts.findings, a, root, text, confirm);
  else if (opts.check && index) {
    const engine = new LayoutEngine(index);
    const findings = runRules(index, engine, resolveSettings({ dir: root }), index.fileNames());
    confirmations = confirmWithHeap(findings, a, root, text, confirm);
  }
  return {
    kind: 'heap',
    root,
    heap,
    attribution: a,
    report,
    confirmations,
    speedscope: (absolute = false) =>
      heapToSpeedscope(
        heap,
        a,
        path.basename(input),
        absolute ? { absolute: rel => a.resolver.absolute(rel) } : {},
      ),
    folded: (w = 'bytes') => heapToFolded(heap, a, w),
  };
}
