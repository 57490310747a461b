/**
 * DHAT JSON (`dhatFileVersion` 2), as written by `valgrind --tool=dhat` and by dhat-rs.
 * Header members come first, then `pps` (program points: one unique stack each, with
 * tb/tbk total bytes/blocks, tl total lifetime, mb max live, gb/gbk at the global peak t-gmax,
 * eb/ebk at exit t-end, rb/wb reads/writes), then `ftbl` (frame strings
 * `0x1234: name (file:line[:col])` or `0x1234: name (in /object)`). Streamed: see json-stream.ts.
 */
import { statSync } from 'node:fs';
import { demangle } from '../demangle';
import { ProfileInputError } from '../source';
import { compressedChunks, type StreamOptions } from './compressed';
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
const METRICS = [
  'bytes',
  'blocks',
  'lifetime',
  'maxBytes',
  'peakBytes',
  'peakBlocks',
  'endBytes',
  'endBlocks',
  'reads',
  'writes',
] as const;
const M = METRICS.length;
const KEYS: Record<string, number> = {
  tb: 0,
  tbk: 1,
  tl: 2,
  mb: 3,
  gb: 4,
  gbk: 5,
  eb: 6,
  ebk: 7,
  rb: 8,
  wb: 9,
};

/** Where the program point reader writes one program point. */
export interface PpSink {
  /** False when the frame lists are not needed (they are then checked, not read). */
  readonly wantsFrames: boolean;
  begin(): void;
  set(metric: number, v: number): void;
  frame(v: number): void;
  end(): void;
  rollback(): void;
}

/**
 * One program point at a time: its metrics and frame indices, reused for the next one, so that
 * reading a DHAT file holds no memory per program point (100 MB of DHAT is ~430k of them). On
 * each complete program point `onEnd` gets the row.
 */
export class PpRow implements PpSink {
  readonly m = new Float64Array(M);
  fs: Int32Array = new Int32Array(64);
  nf = 0;
  /** Program points completed. */
  n = 0;
  constructor(
    private readonly onEnd: (row: PpRow) => void,
    readonly wantsFrames = true,
  ) {}

  begin(): void {
    this.m.fill(0);
    this.nf = 0;
  }

  set(metric: number, v: number): void {
    this.m[metric] = v;
  }

  frame(v: number): void {
    if (!this.wantsFrames) return;
    if (this.nf === this.fs.length) this.growFrames();
    this.fs[this.nf++] = v;
  }

  /** Doubles the frame array (keeping its frames) and returns it. */
  growFrames(): Int32Array {
    const nb = new Int32Array(this.fs.length * 2);
    nb.set(this.fs);
    this.fs = nb;
    return nb;
  }

  end(): void {
    this.n++;
    this.onEnd(this);
  }

  rollback(): void {
    this.nf = 0;
  }
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
export function parsePpBytes(b: Buffer, start: number, end: number, st: PpRow): number {
  st.begin();
  // Written straight into the row's arrays (no call per metric or frame: 9 + ~20 per point).
  const m = st.m;
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
        // Frames not wanted (the first pass): only check that the list holds numbers.
        if (!st.wantsFrames) {
          for (; i < end; i++) {
            const d = b[i];
            if (d === RB) break;
            if ((d < 48 || d > 57) && d !== COMMA && d > 32) return (st.rollback(), -1);
          }
        } else {
          let fs: Int32Array = st.fs;
          let nf = 0;
          for (; i < end; i++) {
            const d = b[i];
            if (d >= 48 && d <= 57) {
              v = v * 10 + (d - 48);
              digits++;
            } else if (d === COMMA || d === RB) {
              if (digits > 0) {
                if (nf === fs.length) fs = st.growFrames();
                fs[nf++] = v;
              }
              v = 0;
              digits = 0;
              if (d === RB) break;
            } else if (d > 32) return (st.rollback(), -1);
          }
          st.nf = nf;
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
        if (k0 === 116)
          m[0] = v; // tb
        else if (k0 === 109)
          m[3] = v; // mb
        else if (k0 === 103)
          m[4] = v; // gb
        else if (k0 === 101)
          m[6] = v; // eb
        else if (k0 === 114)
          m[8] = v; // rb
        else if (k0 === 119) m[9] = v; // wb
      } else if (k0 === 116 && k1 === 108) m[2] = v; // tl
    } else if (len === 3 && k1 === 98 && k2 === 107) {
      if (k0 === 116)
        m[1] = v; // tbk
      else if (k0 === 103)
        m[5] = v; // gbk
      else if (k0 === 101) m[7] = v; // ebk
    }
  }
  // The element did not close before `end` (cut by the chunk), or had no frame list.
  st.rollback();
  return -1;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export type { StreamOptions } from './compressed';

/**
 * The JSON reader of one pass over a DHAT file: header members to `member`, program points into
 * `row` (the byte reader first, JSON.parse for odd ones), frame strings to `frame`.
 */
function dhatReader(
  what: string,
  row: PpRow | undefined,
  h: {
    member?(k: string, v: unknown): void;
    frame?(s: string, i: number): void;
    versionSeen: boolean;
  },
): JsonObjectStream {
  let sawVersion = h.versionSeen;
  return new JsonObjectStream(
    new Set(['pps', 'ftbl']),
    {
      skip(k) {
        if (!sawVersion)
          throw new ProfileInputError(`${what}: "${k}" before dhatFileVersion; not a DHAT file`);
        return k === 'pps' && row === undefined;
      },
      rawElement(k, b, start, end) {
        if (k !== 'pps' || !sawVersion || !row) return false;
        return parsePpBytes(b, start, end, row) === end;
      },
      rawScan(k, b, start) {
        if (k !== 'pps' || !sawVersion || !row) return -1;
        return parsePpBytes(b, start, b.length, row);
      },
      member(k, v) {
        if (k === 'dhatFileVersion') sawVersion = true;
        h.member?.(k, v);
      },
      element(k, v, i) {
        if (!sawVersion)
          throw new ProfileInputError(`${what}: "${k}" before dhatFileVersion; not a DHAT file`);
        if (k === 'pps') {
          if (!row) return;
          const p = v as Record<string, unknown>;
          if (!p || typeof p !== 'object' || !Array.isArray(p.fs))
            throw new ProfileInputError(`${what}: program point ${i} has no "fs" frame list`);
          row.begin();
          for (const [k, m] of Object.entries(KEYS)) row.set(m, num(p[k]));
          for (const f of p.fs as unknown[]) row.frame(typeof f === 'number' ? f : -1);
          row.end();
        } else h.frame?.(typeof v === 'string' ? v : String(v), i);
      },
    },
    what,
  );
}

/**
 * Imports a DHAT file in bounded memory: this first pass reads the header and the frame table and
 * only counts the program points (`pps` is skipped byte by byte: no number is parsed). The sites
 * are streamed from the file again by `heap.forEachSite` (a second pass, re-decompressing gzip),
 * which checks that the file did not change in between and which, the first time, sums the totals
 * (and the global peak). Memory is O(frames), not O(program points).
 */
export async function importDhat(
  file: string,
  gzip: boolean,
  opts: StreamOptions = {},
): Promise<HeapProfile> {
  const heap = new HeapProfile('dhat');
  const header: Record<string, unknown> = {};
  const ftblIds: number[] = [];
  let sawVersion = false;
  let count = 0;
  const what = file;
  const before = statSync(file);
  const parser = dhatReader(what, undefined, {
    versionSeen: false,
    member(k, v) {
      header[k] = v;
      if (k === 'dhatFileVersion') {
        sawVersion = true;
        if (v !== 2)
          throw new ProfileInputError(
            `${what}: dhatFileVersion ${JSON.stringify(v)} is not supported (Alloc Lens reads version 2, written by valgrind ≥ 3.15 and dhat-rs)`,
          );
      }
      // valgrind writes "heap", dhat-rs "rust-heap"; copy and ad-hoc modes count other things.
      if (k === 'mode' && v !== 'heap' && v !== 'rust-heap')
        throw new ProfileInputError(
          `${what}: a DHAT ${JSON.stringify(v)}-mode profile; only heap mode (valgrind's default, dhat-rs's \`dhat::Profiler::new_heap()\`) has allocation sites`,
        );
    },
    frame(v, i) {
      const f = parseDhatFrame(v);
      ftblIds[i] = i === 0 && v === '[root]' ? -1 : heap.frame(f.name, f.file, f.line, f.object);
    },
  });
  await readDhat(file, gzip, parser, opts);
  if (!parser.finished) {
    throw new ProfileInputError(
      `${what}: truncated DHAT JSON: the file ends ${parser.position()} (${parser.offset.toLocaleString('en-US')} bytes). Was the program killed before DHAT wrote its output? Re-run it to completion.`,
    );
  }
  if (!sawVersion) throw new ProfileInputError(`${what}: no dhatFileVersion: not a DHAT file`);
  count = parser.count('pps');
  if (ftblIds.length === 0 && count > 0)
    throw new ProfileInputError(`${what}: DHAT file without a frame table (ftbl)`);
  const bklt = header.bklt !== false;
  heap.measures.add('bytes').add('blocks').add('peakBytes');
  if (bklt) heap.measures.add('endBytes').add('lifetime');
  if (header.bkacc === true) heap.measures.add('access');
  heap.timeUnit = typeof header.tu === 'string' ? header.tu : '';
  heap.command = typeof header.cmd === 'string' ? header.cmd : undefined;
  if (typeof header.te === 'number') heap.duration = header.te;
  heap.streamSites(count, (visit, signal) =>
    streamPps(
      file,
      gzip,
      { size: before.size, mtimeMs: before.mtimeMs },
      count,
      ftblIds,
      heap,
      visit,
      signal,
      opts.chunkSize,
    ),
  );
  return heap;
}

async function readDhat(
  file: string,
  gzip: boolean,
  parser: JsonObjectStream,
  opts: StreamOptions & { stop?: () => boolean },
): Promise<void> {
  await compressedChunks(
    file,
    gzip ? 'gzip' : 'none',
    b => {
      parser.write(b);
      return !opts.stop?.();
    },
    { ...opts, where: () => parser.position() },
  );
}

/** The second pass: each program point, its frame-table indices mapped to frame ids, to `visit`. */
async function streamPps(
  file: string,
  gzip: boolean,
  was: { size: number; mtimeMs: number },
  count: number,
  ftblIds: readonly number[],
  heap: HeapProfile,
  visit: (s: HeapSite) => void,
  signal?: AbortSignal,
  chunkSize?: number,
): Promise<void> {
  const changed = () =>
    new ProfileInputError(
      `${file} changed after it was imported (DHAT sites are read from the file again); import it again`,
    );
  let now;
  try {
    now = statSync(file);
  } catch {
    throw changed();
  }
  if (now.size !== was.size || now.mtimeMs !== was.mtimeMs) throw changed();
  let badRefs = 0;
  const site: HeapSite & { frames: Int32Array } = {
    frames: new Int32Array(0),
    bytes: 0,
    blocks: 0,
    lifetime: 0,
    maxBytes: 0,
    peakBytes: 0,
    peakBlocks: 0,
    endBytes: 0,
    endBlocks: 0,
    reads: 0,
    writes: 0,
    temporary: 0,
  };
  const row = new PpRow(r => {
    const fs = r.fs;
    let n = 0;
    for (let j = 0; j < r.nf; j++) {
      const id = ftblIds[fs[j]];
      if (id === undefined) badRefs++;
      else if (id >= 0) fs[n++] = id;
    }
    const m = r.m;
    site.frames = fs.subarray(0, n);
    site.bytes = m[0];
    site.blocks = m[1];
    site.lifetime = m[2];
    site.maxBytes = m[3];
    site.peakBytes = m[4];
    site.peakBlocks = m[5];
    site.endBytes = m[6];
    site.endBlocks = m[7];
    site.reads = m[8];
    site.writes = m[9];
    visit(site);
  });
  const parser = dhatReader(file, row, { versionSeen: true });
  // Stops once every program point was read (the frame table, usually after them, is known).
  await readDhat(file, gzip, parser, { signal, chunkSize, stop: () => row.n >= count });
  if (row.n !== count) throw changed();
  if (badRefs > 0)
    heap.warn(
      `${badRefs} frame references point outside the frame table; those frames were dropped`,
    );
}
