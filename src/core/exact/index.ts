/**
 * Exact mode in one call, for `alloc-lens layout <dir> --exact [--json]`: compile with
 * `-Zprint-type-sizes`, index the workspace, map and compare with the layout engine.
 */
import * as path from 'node:path';
import { loadWorkspace } from '../index/workspace';
import { LayoutEngine } from '../layout/engine';
import { compareExact, DriftReport, renderDrift } from './compare';
import { closureLocation } from './print-type-sizes';
import { ExactOptions, ExactResult, runExact } from './run';

export { compareExact, renderDrift } from './compare';
export type { DriftEntry, DriftReport, LayoutEstimator } from './compare';
export { instantiationsOf, mapExactToIndex, locateFnLocal } from './map';
export type { ExactMap, ExactMapping, FnLocalLookup } from './map';
export { closureLocation, parsePrintTypeSizes, PrintTypeSizesParser } from './print-type-sizes';
export type { ExactField, ExactParse, ExactType, ExactVariant } from './print-type-sizes';
export { ExactBuildError, runExact } from './run';
export type { ExactOptions, ExactResult } from './run';

/** Result of {@link exactLayoutReport}. */
export interface ExactLayoutReport {
  /** The crate directory (or the single file's directory). */
  root: string;
  result: ExactResult;
  drift: DriftReport;
}

/** Runs exact mode on a crate directory or file and compares it with the layout engine. */
export async function exactLayoutReport(opts: ExactOptions): Promise<ExactLayoutReport> {
  const result = await runExact(opts);
  const root = path.resolve(opts.crateDir ?? path.dirname(opts.file!));
  const index = await loadWorkspace(opts.crateDir ?? opts.file!, { features: opts.features });
  if (opts.file && !index.hasFile(path.resolve(opts.file))) index.ensureFile(path.resolve(opts.file));
  const drift = compareExact(result, index.typeDefs(), new LayoutEngine(index), index);
  return { root, result, drift };
}

/** Text form: the drift summary and disagreements, files relative to the root. */
export function renderExactText(r: ExactLayoutReport): string {
  const head = `exact: ${r.result.rustcVersion}, ${r.result.types.length} types, ${r.result.closures.length} closures, ${r.result.asyncBodies.length} async bodies${r.result.cached ? ' (cached)' : ` in ${r.result.millis} ms`}`;
  return `${head}\n${renderDrift(r.drift, f => path.relative(r.root, f))}\n`;
}

/** JSON form (stable field names; files relative to the root). */
export function exactJson(r: ExactLayoutReport): object {
  const rel = (f: string) => path.relative(r.root, f);
  return {
    root: r.root,
    rustc: r.result.rustcVersion,
    crate: r.result.crateName,
    cached: r.result.cached,
    mapped: { own: r.drift.map.own.length, mapped: r.drift.map.mapped.length, ratio: r.drift.map.ratio },
    types: r.drift.map.own.map(m => ({
      name: m.exact.name,
      path: m.path,
      file: m.item ? rel(m.item.span.file) : m.location ? rel(m.location.file) : null,
      line: m.item ? m.item.span.line : m.location ? m.location.line : null,
      size: m.exact.size,
      align: m.exact.align,
      padding: m.exact.padding,
      fields: m.exact.fields.map(f => ({ name: f.name, offset: f.offset, size: f.size })),
      variants: m.exact.variants?.map(v => ({ name: v.name, size: v.size, fields: v.fields.map(f => ({ name: f.name, offset: f.offset, size: f.size })) })),
    })),
    closures: [...r.result.closures, ...r.result.asyncBodies].map(c => ({ name: c.name, size: c.size, align: c.align, location: closureLocation(c.name) ?? null })),
    drift: {
      compared: r.drift.compared,
      agree: r.drift.agree,
      disagreements: r.drift.disagreements.map(d => ({ name: d.name, path: d.path, file: rel(d.file), line: d.line, exact: d.exact, estimate: d.estimate })),
    },
  };
}
