/**
 * Heap profiles (DHAT, heaptrack, pprof) in one model of their own: allocation sites (unique
 * stacks) with declared measures. Never mixed with `ProfileData`: heap data does not go through
 * the symbol-based alloc/copy classification meant for CPU samples.
 * Memory grows with unique frames and sites, not with the number of allocations or input size.
 * A DHAT profile does not hold its sites at all: they are streamed from the file again on each
 * pass (`forEachSite`), so memory is bounded by its frames, not by its program points.
 */

/** The measures a heap format can carry. Importers declare which ones they filled. */
export type HeapMeasure =
  | 'bytes' // total bytes allocated
  | 'blocks' // total blocks (allocations)
  | 'peakBytes' // bytes live at the global peak (DHAT t-gmax; heaptrack peak; pprof inuse)
  | 'endBytes' // bytes still live at exit (leaked)
  | 'lifetime' // summed block lifetimes (time unit of the profile)
  | 'temporary' // blocks freed right after allocation, nothing allocated in between (heaptrack)
  | 'access'; // bytes read and written (DHAT with --mode=heap and access tracking)

export interface HeapFrame {
  readonly id: number;
  /** Demangled, hash-free function name (`[unknown]` when the profiler had none). */
  readonly name: string;
  /** Source file as recorded (absolute, relative or basename-only). */
  readonly file?: string;
  readonly line?: number;
  /** Object file (shared library or executable) when the profiler gave one. */
  readonly object?: string;
}

export interface HeapCounts {
  bytes: number;
  blocks: number;
  peakBytes: number;
  peakBlocks: number;
  endBytes: number;
  endBlocks: number;
  /** Sum of block lifetimes (`timeUnit`); avg lifetime = lifetime / blocks. */
  lifetime: number;
  /** Largest live bytes of this site alone at any time (DHAT `mb`). */
  maxBytes: number;
  reads: number;
  writes: number;
  /** Blocks freed with no other allocation in between (heaptrack's "temporary"). */
  temporary: number;
}

/** A frame-id list: a plain array or a typed array (DHAT's, copied in one go). */
export type Frames = ArrayLike<number> & Iterable<number>;

export interface HeapSite extends HeapCounts {
  /** Frame ids, leaf (allocator) first. */
  readonly frames: Frames;
}

export function emptyHeapCounts(): HeapCounts {
  return {
    bytes: 0,
    blocks: 0,
    peakBytes: 0,
    peakBlocks: 0,
    endBytes: 0,
    endBlocks: 0,
    lifetime: 0,
    maxBytes: 0,
    reads: 0,
    writes: 0,
    temporary: 0,
  };
}

export function addHeapCounts(to: HeapCounts, c: HeapCounts): void {
  to.bytes += c.bytes;
  to.blocks += c.blocks;
  to.peakBytes += c.peakBytes;
  to.peakBlocks += c.peakBlocks;
  to.endBytes += c.endBytes;
  to.endBlocks += c.endBlocks;
  to.lifetime += c.lifetime;
  to.maxBytes = Math.max(to.maxBytes, c.maxBytes);
  to.reads += c.reads;
  to.writes += c.writes;
  to.temporary += c.temporary;
}

function sameFrames(a: Frames, b: Frames): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Streams a profile's sites from their file: each visited site is only valid during the call. */
export type SiteStream = (visit: (s: HeapSite) => void, signal?: AbortSignal) => Promise<void>;

export class HeapProfile {
  readonly frames: HeapFrame[] = [];
  private readonly held: HeapSite[] = [];
  private streamer?: { count: number; totals?: HeapCounts; read: SiteStream };
  readonly warnings: string[] = [];
  /** Measures the importer filled; the others are 0 and must be shown as unknown. */
  readonly measures = new Set<HeapMeasure>();
  /** Unit of `lifetime` (`instrs` for valgrind DHAT, `µs` for dhat-rs, `ms` for heaptrack). */
  timeUnit = '';
  /** Command line of the profiled program when recorded. */
  command?: string;
  private peak = 0;
  /**
   * True when endBytes are what was live at program exit (DHAT, heaptrack); false when they are
   * what was live when the profile was written (a pprof heap dump, taken mid-run).
   */
  liveIsExit = true;
  /** Recording length in `timeUnit` when known. */
  duration?: number;
  private readonly frameIds = new Map<string, number>();
  /** Frame-list hash -> site index (or indices on a collision). */
  private readonly siteIds = new Map<number, number | number[]>();

  constructor(readonly format: string) {}

  /** The sites held in memory (heaptrack, pprof). A streamed profile (DHAT) has none: use forEachSite. */
  get sites(): HeapSite[] {
    if (this.streamer)
      throw new Error(`a ${this.format} profile streams its sites from the file: use forEachSite`);
    return this.held;
  }

  get siteCount(): number {
    return this.streamer ? this.streamer.count : this.held.length;
  }

  get streamed(): boolean {
    return this.streamer !== undefined;
  }

  /**
   * Makes this a streamed profile: `count` sites read again by `read`. Their totals (and the
   * global peak, their sum of peakBytes) are summed by the first complete `forEachSite`: the
   * import does not read the sites at all (DHAT: pass 1 skips `pps` byte by byte).
   */
  streamSites(count: number, read: SiteStream): void {
    this.streamer = { count, read };
  }

  /** False for a streamed profile whose sites were not read yet (totals() and peakTotal throw). */
  get totalsKnown(): boolean {
    return this.streamer === undefined || this.streamer.totals !== undefined;
  }

  /** Global peak: sum of live bytes at that moment (equals the sum of the sites' peakBytes). */
  get peakTotal(): number {
    if (this.streamer) return this.streamedTotals().peakBytes;
    return this.peak;
  }

  set peakTotal(v: number) {
    this.peak = v;
  }

  /** Visits every site once, in a fixed order; a streamed site is only valid during its visit. */
  async forEachSite(visit: (s: HeapSite) => void, signal?: AbortSignal): Promise<void> {
    const st = this.streamer;
    if (!st) {
      for (const s of this.held) visit(s);
      return;
    }
    if (st.totals) return st.read(visit, signal);
    // The first pass over the sites also sums their totals (kept only when it completes).
    const t = emptyHeapCounts();
    await st.read(s => {
      addHeapCounts(t, s);
      visit(s);
    }, signal);
    st.totals = t;
  }

  /** Reads a streamed profile's sites once if their totals are not known yet. */
  async readTotals(signal?: AbortSignal): Promise<HeapCounts> {
    if (!this.totalsKnown) await this.forEachSite(() => {}, signal);
    return this.totals();
  }

  private streamedTotals(): HeapCounts {
    const t = this.streamer?.totals;
    if (!t)
      throw new Error(
        `the totals of a streamed ${this.format} profile are summed by its first pass over the sites (forEachSite, attributeHeap or readTotals); none completed yet`,
      );
    return t;
  }

  frame(name: string, file?: string, line?: number, object?: string): number {
    const key = `${name}\u0000${file ?? ''}\u0000${line ?? 0}\u0000${object ?? ''}`;
    let id = this.frameIds.get(key);
    if (id === undefined) {
      id = this.frames.length;
      this.frames.push({ id, name, file, line: line || undefined, object });
      this.frameIds.set(key, id);
    }
    return id;
  }

  /** Adds counts to the site of this stack (leaf first), merging equal stacks. */
  add(frames: Frames, c: Partial<HeapCounts>): HeapSite {
    const sites = this.sites;
    // A numeric hash first: joining 430k frame lists into string keys was 40 % of a DHAT import.
    let h = frames.length;
    for (let i = 0; i < frames.length; i++) h = (Math.imul(h, 31) + frames[i]) & 0x3fffffff; // a Smi key
    const site: HeapSite = {
      frames,
      bytes: c.bytes ?? 0,
      blocks: c.blocks ?? 0,
      peakBytes: c.peakBytes ?? 0,
      peakBlocks: c.peakBlocks ?? 0,
      endBytes: c.endBytes ?? 0,
      endBlocks: c.endBlocks ?? 0,
      lifetime: c.lifetime ?? 0,
      maxBytes: c.maxBytes ?? 0,
      reads: c.reads ?? 0,
      writes: c.writes ?? 0,
      temporary: c.temporary ?? 0,
    };
    const bucket = this.siteIds.get(h);
    if (bucket !== undefined) {
      for (const idx of typeof bucket === 'number' ? [bucket] : bucket) {
        const s = sites[idx];
        if (sameFrames(s.frames, frames)) {
          addHeapCounts(s, site);
          return s;
        }
      }
    }
    const idx = sites.length;
    if (bucket === undefined) this.siteIds.set(h, idx);
    else if (typeof bucket === 'number') this.siteIds.set(h, [bucket, idx]);
    else bucket.push(idx);
    sites.push(site);
    return site;
  }

  totals(): HeapCounts {
    const t = emptyHeapCounts();
    if (this.streamer) addHeapCounts(t, this.streamedTotals());
    else for (const s of this.held) addHeapCounts(t, s);
    return t;
  }

  warn(m: string): void {
    if (this.warnings.length < 50) this.warnings.push(m);
  }
}
