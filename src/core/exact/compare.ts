/**
 * Drift report: where the layout engine's estimate and the compiler's exact layout disagree.
 * Also the pieces of `alloc-lens layout <dir> --exact [--json]` (run, map, compare, render).
 */
import { parseTypeText } from '../index/type-text';
import { TypeDefItem } from '../model';
import { TypeLayout } from '../layout/types';
import { ExactMap, FnLocalLookup, mapExactToIndex } from './map';
import type { ExactType } from './print-type-sizes';
import type { ExactResult } from './run';

/** What {@link compareExact} needs from the layout engine (`LayoutEngine` satisfies it). */
export interface LayoutEstimator {
  layoutOfItem(item: TypeDefItem): TypeLayout;
  layoutOfType(expr: NonNullable<ReturnType<typeof parseTypeText>>, module: string): TypeLayout;
}

/** One compared type. */
export interface DriftEntry {
  /** Name as rustc printed it. */
  name: string;
  /** Crate-qualified path of the definition. */
  path: string;
  file: string;
  line: number;
  exact: { size: number; align: number };
  estimate: { size: number; align: number; status: string; error?: string };
  /** True when size or alignment differ (or the engine could not compute the type). */
  drift: boolean;
}

/** Result of {@link compareExact}. */
export interface DriftReport {
  /** Types compared (the crate's own types rustc printed that map to an index item). */
  compared: number;
  /** Entries whose numbers agree. */
  agree: number;
  /** Every type where the engine and the compiler disagree, with both numbers. */
  disagreements: DriftEntry[];
  /** Everything compared, disagreements included. */
  entries: DriftEntry[];
  /** The mapping used (own types, mapped and unmapped). */
  map: ExactMap;
}

function estimateOf(
  m: { exact: ExactType; item: TypeDefItem; args?: string },
  crateName: string,
  engine: LayoutEstimator,
): TypeLayout {
  if (m.args === undefined) return engine.layoutOfItem(m.item);
  // An instantiation: evaluate the printed text in the crate root (`proto::Envelope<u16>`).
  const text = `${m.item.path.slice(crateName.length + 2)}<${m.args}>`;
  const expr = parseTypeText(`crate::${text.replace(/'_\b/g, "'static")}`);
  if (!expr)
    return {
      size: 0,
      align: 1,
      uninhabited: false,
      status: 'unknown',
      error: `cannot parse \`${m.exact.name}\``,
    } as TypeLayout;
  return engine.layoutOfType(expr, crateName);
}

/**
 * Compares the compiler's layouts with the engine's estimates for every own type of the crate
 * that maps to a definition. `estimates` is the layout engine (`new LayoutEngine(index)`).
 */
export function compareExact(
  exact: ExactResult,
  typeDefs: readonly TypeDefItem[],
  estimates: LayoutEstimator,
  index?: FnLocalLookup,
): DriftReport {
  const map = mapExactToIndex(exact, typeDefs, index);
  const entries: DriftEntry[] = [];
  for (const m of map.mapped) {
    // Types declared inside fn bodies have a location but no index item, so no estimate.
    if (!m.item) continue;
    const item = m.item!;
    let l: TypeLayout;
    try {
      l = estimateOf({ exact: m.exact, item, args: m.args }, exact.crateName, estimates);
    } catch (e) {
      l = {
        size: 0,
        align: 1,
        uninhabited: false,
        status: 'unknown',
        error: (e as Error).message,
      } as TypeLayout;
    }
    const estimate: DriftEntry['estimate'] = { size: l.size, align: l.align, status: l.status };
    if (l.error) estimate.error = l.error;
    const drift = l.status !== 'exact' || l.size !== m.exact.size || l.align !== m.exact.align;
    entries.push({
      name: m.exact.name,
      path: m.path,
      file: item.span.file,
      line: item.span.line,
      exact: { size: m.exact.size, align: m.exact.align },
      estimate,
      drift,
    });
  }
  const disagreements = entries.filter(e => e.drift);
  return {
    compared: entries.length,
    agree: entries.length - disagreements.length,
    disagreements,
    entries,
    map,
  };
}

/** Plain-text drift report (for `alloc-lens layout <dir> --exact`). */
export function renderDrift(r: DriftReport, rel: (file: string) => string = f => f): string {
  const lines = [
    `exact: ${r.map.own.length} own types printed by rustc, ${r.map.mapped.length} mapped to definitions (${(r.map.ratio * 100).toFixed(1)}%)`,
    `exact: ${r.compared} compared, ${r.agree} agree, ${r.disagreements.length} disagree`,
  ];
  for (const d of r.disagreements) {
    const est = d.estimate.error
      ? `engine: ${d.estimate.error}`
      : `engine ${d.estimate.size}/${d.estimate.align} (${d.estimate.status})`;
    lines.push(
      `  ${rel(d.file)}:${d.line} ${d.name}: rustc ${d.exact.size}/${d.exact.align}, ${est}`,
    );
  }
  for (const u of r.map.unmapped)
    lines.push(`  unmapped: ${u.exact.name} (${u.exact.size}/${u.exact.align})`);
  return lines.join('\n');
}
