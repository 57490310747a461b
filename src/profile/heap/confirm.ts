/**
 * Static findings confirmed by heap data: the heap attribution seen through the shape
 * `confirmFindings` reads (hot lines and totals), allocated bytes (or blocks) as the allocator
 * measure. `async-trait-box` is measured in blocks (one Box per call, whatever its size), the
 * others in bytes. Copy-only findings (large-error, large-move, ...) get 0: heap data says nothing
 * about copies.
 */
import type { Finding } from '../../core/rules/types';
import type { Attribution, HotLine } from '../attribute';
import { confirmFindings, type Confirmation, type ConfirmOptions } from '../confirm';
import type { HeapAttribution } from './attribute';

export function heapAsAttribution(
  a: HeapAttribution,
  measure: 'bytes' | 'blocks' = 'bytes',
): Pick<Attribution, 'lines' | 'totals'> {
  const lines = new Map<string, HotLine>();
  for (const [k, l] of a.lines) {
    const n = l.counts[measure];
    lines.set(k, {
      file: l.file,
      line: l.line,
      precision: 'line',
      function: l.function,
      samples: { total: n, alloc: n, copy: 0, free: 0, rehash: 0 },
      stacks: new Map(),
    });
  }
  const t = a.totals[measure];
  return { lines, totals: { total: t, alloc: t, copy: 0, free: 0, rehash: 0 } };
}

/** Findings confirmed and ranked by heap data (confirmed first, then by share). */
export function confirmWithHeap(
  findings: readonly Finding[],
  a: HeapAttribution,
  root: string,
  lineText: (rel: string, line: number) => string | undefined,
  opts: ConfirmOptions = {},
): Confirmation[] {
  const byBlocks = findings.filter(f => f.code === 'async-trait-box');
  const byBytes = findings.filter(f => f.code !== 'async-trait-box');
  const out = [
    ...confirmFindings(byBytes, heapAsAttribution(a, 'bytes'), root, lineText, {
      ...opts,
      unit: 'bytes',
    }),
    ...confirmFindings(byBlocks, heapAsAttribution(a, 'blocks'), root, lineText, {
      ...opts,
      unit: 'blocks',
    }),
  ];
  return out.sort((x, y) => Number(y.confirmed) - Number(x.confirmed) || y.share - x.share);
}
