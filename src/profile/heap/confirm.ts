/**
 * Static findings confirmed by heap data: the heap attribution seen through the shape
 * `confirmFindings` reads (hot lines and totals), with allocated bytes as the allocator measure.
 * Copy-only findings (large-error, large-move, ...) get 0: heap data says nothing about copies.
 */
import type { Attribution, HotLine } from '../attribute';
import type { HeapAttribution } from './attribute';

export function heapAsAttribution(a: HeapAttribution): Pick<Attribution, 'lines' | 'totals'> {
  const lines = new Map<string, HotLine>();
  for (const [k, l] of a.lines) {
    lines.set(k, { file: l.file, line: l.line, precision: 'line', function: l.function, samples: { total: l.counts.bytes, alloc: l.counts.bytes, copy: 0, free: 0 }, stacks: new Map() });
  }
  return { lines, totals: { total: a.totals.bytes, alloc: a.totals.bytes, copy: 0, free: 0 } };
}
