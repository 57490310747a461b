/**
 * The hot-line list for each flamegraph view (All / Allocator / Copy): each view ranks the lines by
 * the samples that view shows, and labels them in one unit with the count first
 * (`memcpy 1,638 samples (57.4%)`), so "%" never means two things in one list.
 */
import type { HotLine, SampleCounts } from './attribute';
import { pct } from './report';

export interface HotViewLine {
  readonly file: string;
  readonly line: number;
  readonly function: string;
  /** `memcpy 1,638 samples (57.4%)`: the share is of the view's own samples (all memcpy samples). */
  readonly note: string;
  readonly samples: number;
}

interface ViewSpec {
  readonly unit: string;
  readonly measure: (s: SampleCounts) => number;
}

/** Same order as the speedscope export's profiles: all samples, allocator samples, copy samples. */
const VIEWS: readonly ViewSpec[] = [
  { unit: 'samples', measure: s => s.total },
  { unit: 'malloc+free', measure: s => s.alloc + s.free },
  { unit: 'memcpy', measure: s => s.copy },
];

const n = (x: number) => x.toLocaleString('en-US');

export function hotLinesByView(
  lines: Iterable<HotLine>,
  totals: SampleCounts,
  limit = 100,
): HotViewLine[][] {
  const all = [...lines];
  return VIEWS.map(v => {
    const total = v.measure(totals);
    return all
      .map(l => ({ l, m: v.measure(l.samples) }))
      .filter(x => x.m > 0)
      .sort(
        (a, b) =>
          b.m - a.m || (a.l.file < b.l.file ? -1 : a.l.file > b.l.file ? 1 : a.l.line - b.l.line),
      )
      .slice(0, limit)
      .map(({ l, m }) => ({
        file: l.file,
        line: l.line,
        function: l.function,
        samples: m,
        note: `${v.unit === 'samples' ? '' : `${v.unit} `}${n(m)} samples (${pct(total > 0 ? m / total : 0)})`,
      }));
  });
}
