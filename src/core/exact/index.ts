/**
 * Exact mode in one call, for `alloc-lens layout <dir> --exact [--json]`: compile with
 * `-Zprint-type-sizes`, index the workspace, map and compare with the layout engine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { planProbes, probeScratchDir, writeProbedCopy } from './probes';
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
  /** Concrete types probed in the scratch copy and how many rustc reported (goal: all). */
  coverage?: {
    concrete: number;
    reported: number;
    missing: string[];
    skipped: Record<string, number>;
  };
}

/**
 * Runs exact mode on a crate directory or file and compares it with the layout engine. With
 * `probes` (the default) rustc compiles a scratch copy with a `size_of` probe after every
 * concrete type, so that it lays out all of them, not only the used ones.
 */
export async function exactLayoutReport(
  opts: ExactOptions & { probes?: boolean },
): Promise<ExactLayoutReport> {
  const root = path.resolve(opts.crateDir ?? path.dirname(opts.file!));
  const index = await loadWorkspace(opts.crateDir ?? opts.file!, { features: opts.features });
  if (opts.file && !index.hasFile(path.resolve(opts.file)))
    index.ensureFile(path.resolve(opts.file));
  const engine = new LayoutEngine(index);
  if (opts.probes === false) {
    const result = await runExact(opts);
    return { root, result, drift: compareExact(result, index.typeDefs(), engine, index) };
  }
  const files = opts.file ? [path.resolve(opts.file)] : undefined;
  const plan = planProbes(index, engine, files);
  const scratch = probeScratchDir(root);
  if (opts.file) {
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.mkdirSync(scratch, { recursive: true, mode: 0o700 });
    const f = path.resolve(opts.file);
    fs.writeFileSync(
      path.join(scratch, path.basename(f)),
      plan.texts.get(f) ?? index.fileText(f) ?? fs.readFileSync(f, 'utf8'),
    );
  } else writeProbedCopy(root, scratch, plan);
  const result = await runExact(
    opts.file
      ? { ...opts, file: path.join(scratch, path.basename(opts.file)) }
      : { ...opts, crateDir: scratch },
  );
  const drift = compareExact(result, index.typeDefs(), engine, index);
  // `a::A1<'_>`: lifetime arguments only are the definition itself.
  const seen = new Set(
    drift.map.mapped
      .filter(m => m.item && (m.args === undefined || /^'\w+(\s*,\s*'\w+)*$/.test(m.args)))
      .map(m => m.item!.path),
  );
  const missing = plan.probed.filter(i => !seen.has(i.path)).map(i => i.path);
  const skipped: Record<string, number> = {};
  for (const s of plan.skipped)
    skipped[s.reason.startsWith('inside ') ? 'inside a macro' : s.reason] =
      (skipped[s.reason.startsWith('inside ') ? 'inside a macro' : s.reason] ?? 0) + 1;
  return {
    root,
    result,
    drift,
    coverage: {
      concrete: plan.probed.length,
      reported: plan.probed.length - missing.length,
      missing,
      skipped,
    },
  };
}

/** Text form: the drift summary and disagreements, files relative to the root. */
export function renderExactText(r: ExactLayoutReport): string {
  const head = `exact: ${r.result.rustcVersion}, ${r.result.types.length} types, ${r.result.closures.length} closures, ${r.result.asyncBodies.length} async bodies${r.result.cached ? ' (cached)' : ` in ${r.result.millis} ms`}`;
  const c = r.coverage;
  const cov = c
    ? `\nexact: rustc laid out ${c.reported} of ${c.concrete} concrete types (${c.concrete ? ((c.reported / c.concrete) * 100).toFixed(1) : '100.0'}%)${c.missing.length ? `; missing: ${c.missing.slice(0, 10).join(', ')}` : ''}${
        Object.keys(c.skipped).length
          ? `; not concrete: ${Object.entries(c.skipped)
              .map(([k, v]) => `${v} ${k}`)
              .join(', ')}`
          : ''
      }`
    : '';
  return `${head}${cov}\n${renderDrift(r.drift, f => path.relative(r.root, f))}\n`;
}

/** JSON form (stable field names; files relative to the root). */
export function exactJson(r: ExactLayoutReport): object {
  const rel = (f: string) => path.relative(r.root, f);
  return {
    root: r.root,
    rustc: r.result.rustcVersion,
    crate: r.result.crateName,
    cached: r.result.cached,
    mapped: {
      own: r.drift.map.own.length,
      mapped: r.drift.map.mapped.length,
      ratio: r.drift.map.ratio,
    },
    coverage: r.coverage,
    types: r.drift.map.own.map(m => ({
      name: m.exact.name,
      path: m.path,
      file: m.item ? rel(m.item.span.file) : m.location ? rel(m.location.file) : null,
      line: m.item ? m.item.span.line : m.location ? m.location.line : null,
      size: m.exact.size,
      align: m.exact.align,
      padding: m.exact.padding,
      fields: m.exact.fields.map(f => ({ name: f.name, offset: f.offset, size: f.size })),
      variants: m.exact.variants?.map(v => ({
        name: v.name,
        size: v.size,
        fields: v.fields.map(f => ({ name: f.name, offset: f.offset, size: f.size })),
      })),
    })),
    closures: [...r.result.closures, ...r.result.asyncBodies].map(c => ({
      name: c.name,
      size: c.size,
      align: c.align,
      location: closureLocation(c.name) ?? null,
    })),
    drift: {
      compared: r.drift.compared,
      agree: r.drift.agree,
      disagreements: r.drift.disagreements.map(d => ({
        name: d.name,
        path: d.path,
        file: rel(d.file),
        line: d.line,
        exact: d.exact,
        estimate: d.estimate,
      })),
    },
  };
}
