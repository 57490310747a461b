/**
 * Diagnostics that only heap data can give, each with concrete advice:
 * - heap-churn: many short-lived blocks from one line (reuse a buffer, with_capacity, clear()),
 * - heap-growth: repeated reallocation of one container (reserve),
 * - heap-peak: what holds memory at the global peak,
 * - heap-leak: what is still allocated at exit.
 */
import type { HeapAttribution, HeapLine } from './attribute';
import { fmtBytes, fmtCount, fmtPct, fmtTime } from './format';
import type { HeapProfile } from './model';

export type HeapDiagnosticCode = 'heap-churn' | 'heap-growth' | 'heap-peak' | 'heap-leak';

export interface HeapDiagnostic {
  readonly code: HeapDiagnosticCode;
  readonly file: string;
  readonly line: number;
  readonly severity: 'info' | 'warning';
  /** Bytes behind the finding (allocated, held at peak, or leaked); the ranking key. */
  readonly bytes: number;
  readonly message: string;
  readonly advice: string;
}

export const HEAP_DIAGNOSTIC_DOCS =
  'https://github.com/alloc-lens/alloc-lens/blob/main/README.md#heap-diagnostics';

/** A line needs this many blocks to be churn (a loop, not a handful of calls). */
const CHURN_MIN_BLOCKS = 1000;
/** ...and this share of all blocks. */
const CHURN_MIN_BLOCK_SHARE = 0.01;
/** Short-lived: average lifetime below this share of the run (DHAT), or this share temporary (heaptrack). */
const CHURN_MAX_LIFETIME_SHARE = 0.01;
const CHURN_MIN_TEMPORARY = 0.5;
/** Growth: at least this many reallocations carrying at least this share of all bytes. */
const GROWTH_MIN_BLOCKS = 8;
const GROWTH_MIN_SHARE = 0.005;
/** Peak holder: this share of the global peak. */
const PEAK_MIN_SHARE = 0.1;
/** Leak: at least this many bytes live at exit. */
const LEAK_MIN_BYTES = 1024;

export function diagnoseHeap(
  heap: HeapProfile,
  a: HeapAttribution,
  lines: readonly HeapLine[],
): HeapDiagnostic[] {
  const out: HeapDiagnostic[] = [];
  const t = a.totals;
  const where = (l: HeapLine) => ({ file: l.file, line: l.line });
  const sev = (share: number): 'info' | 'warning' => (share >= 0.1 ? 'warning' : 'info');
  for (const l of lines) {
    const c = l.counts;
    const byteShare = t.bytes > 0 ? c.bytes / t.bytes : 0;
    // churn
    if (
      c.blocks >= CHURN_MIN_BLOCKS &&
      t.blocks > 0 &&
      c.blocks / t.blocks >= CHURN_MIN_BLOCK_SHARE
    ) {
      let shortLived = false;
      let why = '';
      if (heap.measures.has('lifetime') && heap.duration && c.blocks > 0) {
        const avg = c.lifetime / c.blocks;
        shortLived = avg <= heap.duration * CHURN_MAX_LIFETIME_SHARE;
        why = `living ${fmtTime(avg, heap.timeUnit)} on average (${fmtPct(avg / heap.duration)} of the run)`;
      } else if (heap.measures.has('temporary') && c.blocks > 0) {
        shortLived = c.temporary / c.blocks >= CHURN_MIN_TEMPORARY;
        why = `${fmtPct(c.temporary / c.blocks)} freed before anything else was allocated`;
      }
      if (shortLived) {
        out.push({
          code: 'heap-churn',
          ...where(l),
          severity: sev(byteShare),
          bytes: c.bytes,
          message: `${fmtCount(c.blocks)} short-lived blocks (${fmtBytes(c.bytes)}, avg ${fmtBytes(c.bytes / c.blocks)}) allocated here, ${why}`,
          advice:
            'reuse one buffer across iterations: hoist the Vec/String out of the loop and clear() it (or write! into it), and size it once with with_capacity',
        });
      }
    }
    // growth
    if (
      l.growthBlocks >= GROWTH_MIN_BLOCKS &&
      t.bytes > 0 &&
      l.growthBytes / t.bytes >= GROWTH_MIN_SHARE
    ) {
      out.push({
        code: 'heap-growth',
        ...where(l),
        severity: sev(l.growthBytes / t.bytes),
        bytes: l.growthBytes,
        message: `${fmtCount(l.growthBlocks)} allocations from growing a container (${fmtBytes(l.growthBytes)}; every regrowth copies the old contents)`,
        advice:
          'reserve the final size before filling (Vec::with_capacity / String::with_capacity, or reserve(n) when the count is known), or reuse the container',
      });
    }
    // peak holders
    if (
      heap.measures.has('peakBytes') &&
      heap.peakTotal > 0 &&
      c.peakBytes / heap.peakTotal >= PEAK_MIN_SHARE
    ) {
      out.push({
        code: 'heap-peak',
        ...where(l),
        severity: 'info',
        bytes: c.peakBytes,
        message: `holds ${fmtBytes(c.peakBytes)} in ${fmtCount(c.peakBlocks)} blocks at the global peak (${fmtPct(c.peakBytes / heap.peakTotal)} of ${fmtBytes(heap.peakTotal)})`,
        advice:
          'to lower the peak, free or shrink this data before the peak (drop it earlier, process in smaller batches, or stream instead of collecting)',
      });
    }
    // leaked at exit: only what the line itself allocates (directly or through std); a dependency's
    // global state (rayon's thread pool, a lazy static) is that crate's business, not a finding.
    const ownEnd = l.ownEndBytes;
    const ownEndBlocks = l.ownEndBlocks;
    if (heap.liveIsExit && heap.measures.has('endBytes') && ownEnd >= LEAK_MIN_BYTES) {
      out.push({
        code: 'heap-leak',
        ...where(l),
        severity: 'info',
        bytes: ownEnd,
        message: `${fmtBytes(ownEnd)} in ${fmtCount(ownEndBlocks)} blocks allocated here are still live at exit`,
        advice:
          'if this is not an intentional leak (Box::leak, a static cache), find the owner that is never dropped (a cycle of Rc, mem::forget, a global collection)',
      });
    }
  }
  return out.sort((x, y) => y.bytes - x.bytes);
}
