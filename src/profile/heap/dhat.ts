/**
 * DHAT JSON (`dhatFileVersion` 2), as written by `valgrind --tool=dhat` and by dhat-rs.
 * Header members come first, then `pps` (program points: one unique stack each, with
 * tb/tbk total bytes/blocks, tl total lifetime, mb max live, gb/gbk at the global peak t-gmax,
 * eb/ebk at exit t-end, rb/wb reads/writes), then `ftbl` (frame strings
 * `0x1234: name (file:line[:col])` or `0x1234: name (in /object)`). Streamed: see json-stream.ts.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { demangle } from '../demangle';
import { CancelledError, ProfileInputError } from '../source';
import { JsonObjectStream } from './json-stream';
import { HeapProfile, type HeapSite } from './model';

export interface ParsedFrame {
  name: string;
  file?: string;
  line?: number;
  object?: string;
}

const MANGLED = /^_R|^_ZN|::h[0-9a-f]{16}(?:$|[^0-9a-f])/;

/** `0x11DB1E: strbuild::main (main.rs:32)` -> name/file/line; `(in /lib/x.so)` -> object. */
export function parseDhatFrame(s: string): ParsedFrame {
  const colon = s.indexOf(': ');
  let rest = colon >= 0 && s.startsWith('0x') ? s.slice(colon + 2) : s;
  let file: string | undefined;
  let line: number | undefined;
  let object: string | undefined;
  if (rest.endsWith(')')) {
    const open = rest.lastIndexOf(' (');
    if (open >= 0) {
      const loc = rest.slice(open + 2, -1);
      rest = rest.slice(0, open);
      if (loc.startsWith('in ')) object = loc.slice(3);
      else {
        // file:line or file:line:col; the file may itself contain ':' (Windows drive letters).
        let end = loc.length;
        const nums: number[] = [];
        for (let k = 0; k < 2; k++) {
          const c = loc.lastIndexOf(':', end - 1);
          if (c < 0) break;
          const part = loc.slice(c + 1, end);
          if (part.length === 0 || part.length > 9 || !/^\d+$/.test(part)) break;
          nums.unshift(Number(part));
          end = c;
        }
        if (nums.length > 0) {
          file = loc.slice(0, end);
          line = nums[0];
        } else object = loc;
      }
    }
  }
  const raw = rest.trim();
  const name = raw === '' || raw === '???' ? '[unknown]' : MANGLED.test(raw) ? demangle(raw) : raw;
  return { name, file, line, object };
}

/** Metrics per program point, in this order. */
const METRICS = ['bytes', 'blocks', 'lifetime', 'maxBytes', 'peakBytes', 'peakBlocks', 'endBytes', 'endBlocks', 'reads', 'writes'] as const;
const M = METRICS.length;
const KEYS: Record<string, number> = { tb: 0, tbk: 1, tl: 2, mb: 3, gb: 4, gbk: 5, eb: 6, ebk: 7, rb: 8, wb: 9 };

/** Program points per block of the store. */
const PP_BLOCK = 1 << 15;
/** Columns per program point: the metrics, then its frame block, offset and count. */
const COLS = M + 3;
const FRAME_BLOCK = 1 << 20;

/**
 * Program points waiting for the frame table (which DHAT writes after them), packed in typed
 * blocks that are never copied or grown: no object per program point (100 MB of DHAT is ~430k
 * of them). Each program point costs 8 × 13 bytes of columns plus 4 bytes per frame; the sites
 * of the profile are views of these blocks (PackedSite), not copies. Before, the doubling arrays
 * and one object per site took ~700 bytes per program point (390 MB peak RSS at 100 MB).
 */
export class PpStore {
  n = 0;
  private readonly cols: Float64Array[] = [];
  private readonly frameBlocks: Int32Array[] = [];
  /** Current frame block, its fill, and where the open program point's frames start in it. */
  private fb: Int32Array = new Int32Array(0);
  private fbLen = 0;
  private start = 0;
  private row!: Float64Array;
  private base = 0;

  begin(): void {
    const blk = this.n >>> 15;
    if (blk === this.cols.length) this.cols.push(new Float64Array(PP_BLOCK * COLS));
    this.row = this.cols[blk];
    this.base = (this.n & (PP_BLOCK - 1)) * COLS;
    this.row.fill(0, this.base, this.base + COLS);
    this.start = this.fbLen;
  }

  set(metric: number, v: number): void {
    this.row[this.base + metric] = v;
  }

  frame(v: number): void {
    if (this.fbLen === this.fb.length) {
      // A new block; the open program point's frames so far move with it (never split).
      const have = this.fbLen - this.start;
      const nb = new Int32Array(Math.max(FRAME_BLOCK, have * 2));
      nb.set(this.fb.subarray(this.start, this.fbLen));
      this.frameBlocks.push(nb);
      this.fb = nb;
      this.start = 0;
      this.fbLen = have;
    }
    this.fb[this.fbLen++] = v;
  }

  end(): void {
    const r = this.row;
    r[this.base + M] = this.frameBlocks.length - 1;
    r[this.base + M + 1] = this.start;
    r[this.base + M + 2] = this.fbLen - this.start;
    this.n++;
  }

  rollback(): void {
    this.fbLen = this.start;
  }

  metric(k: number, m: number): number {
    return this.cols[k >>> 15][(k & (PP_BLOCK - 1)) * COLS + m];
  }

  setMetric(k: number, m: number, v: number): void {
    this.cols[k >>> 15][(k & (PP_BLOCK - 1)) * COLS + m] = v;
  }

  /** The frame list of program point `k` (a view; writable, for the in-place id mapping). */
  frames(k: number): Int32Array {
    const r = this.cols[k >>> 15];
    const b = (k & (PP_BLOCK - 1)) * COLS + M;
    const off = r[b + 1];
    return this.frameBlocks[r[b]].subarray(off, off + r[b + 2]);
  }

  /** Shortens program point `k`'s frame list to its first `n` entries. */
  setFrameCount(k: number, n: number): void {
    this.cols[k >>> 15][(k & (PP_BLOCK - 1)) * COLS + M + 2] = n;
  }
}

/** A DHAT allocation site: a view of its program point's columns in the store. */
class PackedSite implements HeapSite {
  constructor(private readonly st: PpStore, private readonly k: number) {}
  /** A view made on each access: read it once per site, not per frame. */
  get frames(): Int32Array { return this.st.frames(this.k); }
  get bytes(): number { return this.st.metric(this.k, 0); }
  set bytes(v: number) { this.st.setMetric(this.k, 0, v); }
  get blocks(): number { return this.st.metric(this.k, 1); }
  set blocks(v: number) { this.st.setMetric(this.k, 1, v); }
  get lifetime(): number { return this.st.metric(this.k, 2); }
  set lifetime(v: number) { this.st.setMetric(this.k, 2, v); }
  get maxBytes(): number { return this.st.metric(this.k, 3); }
  set maxBytes(v: number) { this.st.setMetric(this.k, 3, v); }
  get peakBytes(): number { return this.st.metric(this.k, 4); }
  set peakBytes(v: number) { this.st.setMetric(this.k, 4, v); }
  get peakBlocks(): number { return this.st.metric(this.k, 5); }
  set peakBlocks(v: number) { this.st.setMetric(this.k, 5, v); }
  get endBytes(): number { return this.st.metric(this.k, 6); }
  set endBytes(v: number) { this.st.setMetric(this.k, 6, v); }
  get endBlocks(): number { return this.st.metric(this.k, 7); }
  set endBlocks(v: number) { this.st.setMetric(this.k, 7, v); }
  get reads(): number { return this.st.metric(this.k, 8); }
  set reads(v: number) { this.st.setMetric(this.k, 8, v); }
  get writes(): number { return this.st.metric(this.k, 9); }
  set writes(v: number) { this.st.setMetric(this.k, 9, v); }
  /** DHAT has no "temporary" measure. */
  get temporary(): number { return 0; }
  set temporary(_v: number) {}
}

const Q = 34;
const COLON = 58;
const LB = 91;
const RB = 93;
const COMMA = 44;
const MINUS = 45;

/**
 * Reads one program point straight from its bytes (`{"tb":1,"tbk":2,...,"fs":[1,2]}` from
 * `start`, its `{`) into the store, without a string or an object per element, and returns the
 * index after its `}`. Returns -1 (store untouched) when the element does not end before `end`
 * or has anything unexpected (a string value, an exponent, a nested object): the generic scanner
 * and JSON.parse then read it.
 */
export function parsePpBytes(b: Buffer, start: number, end: number, st: PpStore): number {
  st.begin();
  let sawFs = false;
  let i = start + 1;
  while (i < end) {
    const ch = b[i];
    if (ch !== Q) {
      if (ch === 125 /* } */) {
        if (!sawFs) break;
        st.end();
        return i + 1;
      }
      if (ch === 123 /* { */) break;
      i++;
      continue;
    }
    const ks = i + 1;
    let ke = ks;
    while (ke < end && b[ke] !== Q) ke++;
    const len = ke - ks;
    const k0 = b[ks];
    const k1 = b[ks + 1];
    const k2 = len === 3 ? b[ks + 2] : 0;
    i = ke + 1;
    while (i < end && b[i] !== COLON) i++;
    i++;
    while (i < end && b[i] <= 32) i++;
    if (b[i] === LB) {
      i++;
      if (len === 2 && k0 === 102 /* f */ && k1 === 115 /* s */) {
        sawFs = true;
        let v = 0;
        let digits = 0;
        for (; i < end; i++) {
          const d = b[i];
          if (d >= 48 && d <= 57) {
            v = v * 10 + (d - 48);
            digits++;
          } else if (d === COMMA || d === RB) {
            if (digits > 0) st.frame(v);
            v = 0;
            digits = 0;
            if (d === RB) break;
          } else if (d > 32) return (st.rollback(), -1);
        }
      } else {
        // `acc` and unknown arrays of numbers: skip to the closing bracket.
        while (i < end && b[i] !== RB) {
          if (b[i] === LB || b[i] === Q || b[i] === 123) return (st.rollback(), -1);
          i++;
        }
      }
      i++;
      continue;
    }
    let v = 0;
    let neg = false;
    let digits = 0;
    if (b[i] === MINUS) {
      neg = true;
      i++;
    }
    for (; i < end; i++) {
      const d = b[i];
      if (d >= 48 && d <= 57) {
        v = v * 10 + (d - 48);
        digits++;
      } else break;
    }
    if (digits === 0 || (b[i] !== COMMA && b[i] !== 125 && b[i] > 32)) return (st.rollback(), -1);
    if (neg) v = -v;
    if (len === 2) {
      if (k1 === 98 /* b */) {
        if (k0 === 116) st.set(0, v); // tb
        else if (k0 === 109) st.set(3, v); // mb
        else if (k0 === 103) st.set(4, v); // gb
        else if (k0 === 101) st.set(6, v); // eb
        else if (k0 === 114) st.set(8, v); // rb
        else if (k0 === 119) st.set(9, v); // wb
      } else if (k0 === 116 && k1 === 108) st.set(2, v); // tl
    } else if (len === 3 && k1 === 98 && k2 === 107) {
      if (k0 === 116) st.set(1, v); // tbk
      else if (k0 === 103) st.set(5, v); // gbk
      else if (k0 === 101) st.set(7, v); // ebk
    }
  }
  // The element did not close before `end` (cut by the chunk), or had no frame list.
  st.rollback();
  return -1;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export interface StreamOptions {
  readonly signal?: AbortSignal;
  readonly onBytes?: (bytesRead: number) => void;
  /** Read size (tests use tiny ones to cut elements across chunks); default 1 MiB. */
  readonly chunkSize?: number;
}

export async function importDhat(file: string, gzip: boolean, opts: StreamOptions = {}): Promise<HeapProfile> {
  const heap = new HeapProfile('dhat');
  const header: Record<string, unknown> = {};
  const pending = new PpStore();
  const ftblIds: number[] = [];
  let sawVersion = false;
  const what = file;
  const parser = new JsonObjectStream(new Set(['pps', 'ftbl']), {
    rawElement(k, b, start, end) {
      if (k !== 'pps' || !sawVersion) return false;
      return parsePpBytes(b, start, end, pending) === end;
    },
    rawScan(k, b, start) {
      if (k !== 'pps' || !sawVersion) return -1;
      return parsePpBytes(b, start, b.length, pending);
    },
    member(k, v) {
      header[k] = v;
      if (k === 'dhatFileVersion') {
        sawVersion = true;
        if (v !== 2) throw new ProfileInputError(`${what}: dhatFileVersion ${JSON.stringify(v)} is not supported (Alloc Lens reads version 2, written by valgrind ≥ 3.15 and dhat-rs)`);
      }
      // valgrind writes "heap", dhat-rs "rust-heap"; copy and ad-hoc modes count other things.
      if (k === 'mode' && v !== 'heap' && v !== 'rust-heap') throw new ProfileInputError(`${what}: a DHAT ${JSON.stringify(v)}-mode profile; only heap mode (valgrind's default, dhat-rs's \`dhat::Profiler::new_heap()\`) has allocation sites`);
    },
    element(k, v, i) {
      if (!sawVersion) throw new ProfileInputError(`${what}: "${k}" before dhatFileVersion; not a DHAT file`);
      if (k === 'pps') {
        const p = v as Record<string, unknown>;
        if (!p || typeof p !== 'object' || !Array.isArray(p.fs)) throw new ProfileInputError(`${what}: program point ${i} has no "fs" frame list`);
        pending.begin();
        for (const [k, m] of Object.entries(KEYS)) pending.set(m, num(p[k]));
        for (const f of p.fs as unknown[]) pending.frame(typeof f === 'number' ? f : -1);
        pending.end();
      } else {
        const f = parseDhatFrame(typeof v === 'string' ? v : String(v));
        ftblIds[i] = i === 0 && v === '[root]' ? -1 : heap.frame(f.name, f.file, f.line, f.object);
      }
    },
  }, what);
  const raw = createReadStream(file, { highWaterMark: opts.chunkSize ?? 1 << 20 });
  const src = gzip ? raw.pipe(createGunzip({ chunkSize: Math.max(64, opts.chunkSize ?? 1 << 20) })) : raw;
  let read = 0;
  raw.on('data', (c: Buffer | string) => {
    read += c.length;
    opts.onBytes?.(read);
  });
  try {
    for await (const chunk of src) {
      if (opts.signal?.aborted) throw new CancelledError();
      parser.write(chunk as Buffer);
    }
  } catch (e) {
    raw.destroy();
    if (e instanceof ProfileInputError || e instanceof CancelledError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') throw new ProfileInputError(`${what}: the gzip data is ${code === 'Z_DATA_ERROR' ? 'corrupt' : 'truncated'} (${parser.position()})`);
    throw new ProfileInputError(`${what}: ${(e as Error).message}`);
  }
  if (!parser.finished) {
    throw new ProfileInputError(`${what}: truncated DHAT JSON: the file ends ${parser.position()} (${parser.offset.toLocaleString('en-US')} bytes). Was the program killed before DHAT wrote its output? Re-run it to completion.`);
  }
  if (!sawVersion) throw new ProfileInputError(`${what}: no dhatFileVersion: not a DHAT file`);
  if (ftblIds.length === 0 && pending.n > 0) throw new ProfileInputError(`${what}: DHAT file without a frame table (ftbl)`);
  const bklt = header.bklt !== false;
  heap.measures.add('bytes').add('blocks').add('peakBytes');
  if (bklt) heap.measures.add('endBytes').add('lifetime');
  if (header.bkacc === true) heap.measures.add('access');
  heap.timeUnit = typeof header.tu === 'string' ? header.tu : '';
  heap.command = typeof header.cmd === 'string' ? header.cmd : undefined;
  if (typeof header.te === 'number') heap.duration = header.te;
  let badRefs = 0;
  for (let k = 0; k < pending.n; k++) {
    // Frame ids replace frame-table indices in place; the site is a view of the store.
    const fs = pending.frames(k);
    let n = 0;
    for (let j = 0; j < fs.length; j++) {
      const id = ftblIds[fs[j]];
      if (id === undefined) badRefs++;
      else if (id >= 0) fs[n++] = id;
    }
    pending.setFrameCount(k, n);
    const site = new PackedSite(pending, k);
    heap.sites.push(site);
    heap.peakTotal += site.peakBytes;
  }
  if (badRefs > 0) heap.warn(`${badRefs} frame references point outside the frame table; those frames were dropped`);
  return heap;
}
