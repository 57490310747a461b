/**
 * A line-driven parser for `perf script` text in any field selection: optional pid/tid, cpu, time
 * and period; event names with colons and modifiers; trace payloads; single-line stacks; frames with
 * or without `(dso)`, `+0x` offsets, `(inlined)`, `(deleted)`; `srcline` continuation lines.
 */
import type { PerfSample, RawFrame } from './types';

// Header: comm  [pid[/tid]]  [[cpu]]  [time:]  [period]  event:  [payload]. Parsed by a token
// scanner, not a regex: the regex it replaces backtracked cubically (2,000 spaces: 35 s).
const FRAME = /^\s*([0-9a-fA-F]+)\s(.*)$/;
const OFFSET = /\+0x[0-9a-fA-F]+$/;
const LFLF = Buffer.from('\n\n');
const NO_FRAMES: RawFrame[] = [];
/** Cap on the bytes of stack text kept by {@link PerfScriptParser} for its stack interning. */
const BLOCK_CACHE_BYTES = 64 << 20;
/** Stacks kept per hash value (a crafted input cannot make lookups long). */
const MAX_CHAIN = 8;

interface StackBlock {
  readonly key: Buffer;
  readonly frames: RawFrame[];
  readonly lines: number;
}

/** The first `\n\n` at or after `p` whose second `\n` is before `end`; `end` when none. */
function lflfFrom(b: Buffer, p: number, end: number): number {
  const q = b.indexOf(LFLF, p);
  return q < 0 || q + 1 >= end ? end : q;
}

/**
 * A hash of `b[s, e)`, the same wherever the bytes sit (a stack text recurs at any alignment):
 * little-endian 32-bit words through a multiply-xorshift, then the tail bytes.
 */
function hashBytes(b: Buffer, s: number, e: number): number {
  let h = Math.imul(e - s, 0x9e3779b1);
  let i = s;
  for (const end4 = e - 3; i < end4; i += 4) {
    h = Math.imul(h ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)), 0x9e3779b1);
    h ^= h >>> 15;
  }
  for (; i < e; i++) h = Math.imul(h ^ b[i], 0x85ebca6b);
  return h;
}
const MAX_BLOCK = 64 << 10;

interface MutableFrame {
  ip?: string;
  sym: string;
  dso?: string;
  file?: string;
  line?: number;
  inlined: boolean;
}

/** Splits `sym+0x1f (dso)` into symbol and DSO (the last balanced group after a space). */
export function splitSymDso(rest: string): { sym: string; dso?: string } {
  const s = rest.trimEnd();
  if (s.endsWith(')')) {
    let depth = 0;
    for (let i = s.length - 1; i >= 0; i--) {
      const c = s.charCodeAt(i);
      if (c === 41) depth++;
      else if (c === 40) {
        depth--;
        if (depth === 0) {
          if (i === 0 || s.charCodeAt(i - 1) === 32)
            return { sym: s.slice(0, i).trim(), dso: s.slice(i + 1, -1) };
          break;
        }
      }
    }
  }
  return { sym: s.trim() };
}

export function stripOffset(sym: string): string {
  const i = sym.lastIndexOf('+0x');
  return i > 0 && OFFSET.test(sym.slice(i)) ? sym.slice(0, i) : sym;
}

export function parseFrameRest(ip: string | undefined, rest: string): MutableFrame {
  const { sym, dso } = splitSymDso(rest);
  const f: MutableFrame = { ip, sym: stripOffset(sym), inlined: false };
  if (dso === 'inlined') f.inlined = true;
  else if (dso !== undefined) f.dso = dso;
  return f;
}

export interface HeaderFields {
  comm: string;
  pid?: number;
  tid?: number;
  cpu?: number;
  time?: number;
  period: number;
  event: string;
  payload: string;
}

/** `line.trim() === ''` without building a string (it runs on every frame line). */
function allBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) if (!isBlank(line.charCodeAt(i))) return false;
  return true;
}

/** JS `\s` (the characters the old header regex treated as blanks). */
export function isBlank(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function isDigits(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `-?\d+` */
function isInt(s: string, from: number, to: number): boolean {
  return s.charCodeAt(from) === 45 ? isDigits(s, from + 1, to) : isDigits(s, from, to);
}

type Fields = [pid?: string, tid?: string, cpu?: string, time?: string, period?: string];

/**
 * Matches tokens[k..] against `[pid[/tid]] [[cpu]] [time:] [period] event:`, trying each optional
 * field taken before skipped (the regex's order). At most 5 tokens are looked at: O(1) per k.
 */
function matchFields(line: string, toks: number[], k: number, group: number, f: Fields): number {
  const n = toks.length / 2;
  if (k >= n) return -1;
  const s = toks[2 * k];
  const e = toks[2 * k + 1];
  if (group <= 0) {
    const slash = line.indexOf('/', s);
    const ok =
      slash >= 0 && slash < e
        ? isInt(line, s, slash) && isInt(line, slash + 1, e)
        : isInt(line, s, e);
    if (ok) {
      const r = matchFields(line, toks, k + 1, 1, f);
      if (r >= 0) {
        f[0] = slash >= 0 && slash < e ? line.slice(s, slash) : line.slice(s, e);
        f[1] = slash >= 0 && slash < e ? line.slice(slash + 1, e) : undefined;
        return r;
      }
    }
  }
  if (
    group <= 1 &&
    line.charCodeAt(s) === 91 &&
    line.charCodeAt(e - 1) === 93 &&
    isDigits(line, s + 1, e - 1)
  ) {
    const r = matchFields(line, toks, k + 1, 2, f);
    if (r >= 0) {
      f[2] = line.slice(s + 1, e - 1);
      return r;
    }
  }
  if (group <= 2 && line.charCodeAt(e - 1) === 58) {
    const dot = line.indexOf('.', s);
    if (dot > s && dot < e - 2 && isDigits(line, s, dot) && isDigits(line, dot + 1, e - 1)) {
      const r = matchFields(line, toks, k + 1, 3, f);
      if (r >= 0) {
        f[3] = line.slice(s, e - 1);
        return r;
      }
    }
  }
  if (group <= 3 && isDigits(line, s, e)) {
    const r = matchFields(line, toks, k + 1, 4, f);
    if (r >= 0) {
      f[4] = line.slice(s, e);
      return r;
    }
  }
  // event: `[^\s:]\S*:` followed by a blank or the end of the line
  if (e - s >= 2 && line.charCodeAt(s) !== 58 && line.charCodeAt(e - 1) === 58) return k;
  return -1;
}

export function parseHeader(line: string): HeaderFields | undefined {
  if (line.length > 8192) return undefined;
  // token start/end offsets
  const toks: number[] = [];
  for (let i = 0; i < line.length;) {
    while (i < line.length && isBlank(line.charCodeAt(i))) i++;
    if (i >= line.length) break;
    const s = i;
    while (i < line.length && !isBlank(line.charCodeAt(i))) i++;
    toks.push(s, i);
  }
  const n = toks.length / 2;
  if (n === 0) return undefined;
  const leading = toks[0] > 0;
  let f: Fields = [];
  let ev = -1;
  let k = leading ? 0 : 1;
  // The shortest comm that lets the rest parse (comm may hold spaces: `V8 WorkerThread`).
  for (; k < n; k++) {
    f = [];
    ev = matchFields(line, toks, k, 0, f);
    if (ev >= 0) break;
  }
  let comm: string;
  if (ev < 0) {
    // No comm at all (`-F pid,...`): the line starts with the pid.
    f = [];
    ev = matchFields(line, toks, 0, 0, f);
    if (ev < 0 || f[0] === undefined) return undefined;
    comm = '';
  } else {
    comm = k === 0 ? '' : line.slice(0, toks[2 * k - 1]);
    // `-F` without comm: a one-token "comm" that is a number is the pid.
    if (f[0] === undefined && k === 1) {
      const s0 = toks[0];
      const e0 = toks[1];
      const slash = line.indexOf('/', s0);
      const split = slash >= 0 && slash < e0;
      if (split ? isInt(line, s0, slash) && isInt(line, slash + 1, e0) : isInt(line, s0, e0)) {
        f[0] = line.slice(s0, split ? slash : e0);
        f[1] = split ? line.slice(slash + 1, e0) : undefined;
        comm = '';
      }
    }
  }
  const [pid, tid, cpu, time, period] = f;
  const evStart = toks[2 * ev];
  const evEnd = toks[2 * ev + 1];
  const payload = ev + 1 < n ? line.slice(toks[2 * ev + 2]).trim() : '';
  // A lone number is the pid or the tid (perf prints one of them); keep it as both.
  const p = pid === undefined ? undefined : Number(pid);
  return {
    comm: comm.trim(),
    pid: p,
    tid: tid === undefined ? p : Number(tid),
    cpu: cpu === undefined ? undefined : Number(cpu),
    time: time === undefined ? undefined : Number(time),
    period: period === undefined ? 1 : Number(period),
    event: line.slice(evStart, evEnd - 1),
    payload,
  };
}

// ---- the same header grammar on bytes (ASCII lines; anything else goes to parseHeader) ----

const bBlank = (c: number) => c === 32 || (c >= 9 && c <= 13);

function bDigits(b: Buffer, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const bInt = (b: Buffer, from: number, to: number) =>
  b[from] === 45 ? bDigits(b, from + 1, to) : bDigits(b, from, to);

function bIndexOf(b: Buffer, c: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (b[i] === c) return i;
  return -1;
}

/** Offsets of the fields `matchFieldsBytes` found: [start, end) pairs, -1 when absent. */
const F = new Int32Array(10);

/** {@link matchFields} on bytes; fills {@link F}. */
function matchFieldsBytes(
  b: Buffer,
  toks: Int32Array,
  n: number,
  k: number,
  group: number,
): number {
  if (k >= n) return -1;
  const s = toks[2 * k];
  const e = toks[2 * k + 1];
  if (group <= 0) {
    const slash = bIndexOf(b, 47, s, e);
    const ok = slash >= 0 ? bInt(b, s, slash) && bInt(b, slash + 1, e) : bInt(b, s, e);
    if (ok) {
      const r = matchFieldsBytes(b, toks, n, k + 1, 1);
      if (r >= 0) {
        F[0] = s;
        F[1] = slash >= 0 ? slash : e;
        F[2] = slash >= 0 ? slash + 1 : -1;
        F[3] = e;
        return r;
      }
    }
  }
  if (group <= 1 && b[s] === 91 && b[e - 1] === 93 && bDigits(b, s + 1, e - 1)) {
    const r = matchFieldsBytes(b, toks, n, k + 1, 2);
    if (r >= 0) {
      F[4] = s + 1;
      F[5] = e - 1;
      return r;
    }
  }
  if (group <= 2 && b[e - 1] === 58) {
    const dot = bIndexOf(b, 46, s, e);
    if (dot > s && dot < e - 2 && bDigits(b, s, dot) && bDigits(b, dot + 1, e - 1)) {
      const r = matchFieldsBytes(b, toks, n, k + 1, 3);
      if (r >= 0) {
        F[6] = s;
        F[7] = e - 1;
        return r;
      }
    }
  }
  if (group <= 3 && bDigits(b, s, e)) {
    const r = matchFieldsBytes(b, toks, n, k + 1, 4);
    if (r >= 0) {
      F[8] = s;
      F[9] = e;
      return r;
    }
  }
  if (e - s >= 2 && b[s] !== 58 && b[e - 1] === 58) return k;
  return -1;
}

/** `Number(text)` for `-?\d+` and `\d+.\d+` of at most 15 digits (exact: N / 10^k is correctly rounded); NaN otherwise. */
function bNumber(b: Buffer, s: number, e: number): number {
  let neg = false;
  if (b[s] === 45) {
    neg = true;
    s++;
  }
  let v = 0;
  let digits = 0;
  let scale = 1;
  let frac = false;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === 46 && !frac) {
      frac = true;
      continue;
    }
    v = v * 10 + (c - 48);
    if (frac) scale *= 10;
    if (++digits > 15) return NaN;
  }
  const r = frac ? v / scale : v;
  return neg ? -r : r;
}

function bNum(b: Buffer, s: number, e: number): number {
  const v = bNumber(b, s, e);
  return Number.isNaN(v) ? Number(b.toString('latin1', s, e)) : v;
}

/** Recent strings by their bytes (comm and event names repeat on every header). */
class ByteStrings {
  private readonly bufs: Buffer[] = [];
  private readonly strs: string[] = [];
  get(b: Buffer, s: number, e: number): string {
    const len = e - s;
    for (let i = 0; i < this.bufs.length; i++) {
      const k = this.bufs[i];
      if (k.length !== len) continue;
      let j = 0;
      while (j < len && k[j] === b[s + j]) j++;
      if (j === len) return this.strs[i];
    }
    const str = b.toString('latin1', s, e);
    if (this.bufs.length >= 16) {
      this.bufs.pop();
      this.strs.pop();
    }
    this.bufs.unshift(Buffer.from(b.subarray(s, e)));
    this.strs.unshift(str);
    return str;
  }
}

const TOKS = new Int32Array(128);

/**
 * {@link parseHeader} of the ASCII line `b[s, e)`, on bytes (no token array or slices); undefined
 * when the line is not ASCII, has more than 64 tokens or does not parse (the caller then runs
 * `parseHeader` on the decoded text, which gives the same answer or the warning).
 */
export function parseHeaderBytes(
  b: Buffer,
  s: number,
  e: number,
  strs: ByteStrings,
  out?: HeaderFields,
): HeaderFields | undefined {
  if (e - s > 8192) return undefined;
  let n = 0;
  for (let i = s; i < e;) {
    let c = b[i];
    if (c >= 128) return undefined;
    while (bBlank(c)) {
      if (++i >= e) break;
      c = b[i];
      if (c >= 128) return undefined;
    }
    if (i >= e) break;
    if (n === 64) return undefined;
    TOKS[2 * n] = i;
    while (i < e && !bBlank(b[i])) {
      if (b[i] >= 128) return undefined;
      i++;
    }
    TOKS[2 * n + 1] = i;
    n++;
  }
  if (n === 0) return undefined;
  const leading = TOKS[0] > s;
  F.fill(-1);
  let ev = -1;
  let k = leading ? 0 : 1;
  for (; k < n; k++) {
    F.fill(-1);
    ev = matchFieldsBytes(b, TOKS, n, k, 0);
    if (ev >= 0) break;
  }
  let comm: string;
  if (ev < 0) {
    F.fill(-1);
    ev = matchFieldsBytes(b, TOKS, n, 0, 0);
    if (ev < 0 || F[0] < 0) return undefined;
    comm = '';
  } else {
    comm = k === 0 ? '' : strs.get(b, TOKS[0], TOKS[2 * k - 1]);
    if (F[0] < 0 && k === 1) {
      const s0 = TOKS[0];
      const e0 = TOKS[1];
      const slash = bIndexOf(b, 47, s0, e0);
      if (slash >= 0 ? bInt(b, s0, slash) && bInt(b, slash + 1, e0) : bInt(b, s0, e0)) {
        F[0] = s0;
        F[1] = slash >= 0 ? slash : e0;
        F[2] = slash >= 0 ? slash + 1 : -1;
        F[3] = e0;
        comm = '';
      }
    }
  }
  const pid = F[0] < 0 ? undefined : bNum(b, F[0], F[1]);
  const tid = F[2] < 0 ? pid : bNum(b, F[2], F[3]);
  const cpu = F[4] < 0 ? undefined : bNum(b, F[4], F[5]);
  const time = F[6] < 0 ? undefined : bNum(b, F[6], F[7]);
  const period = F[8] < 0 ? 1 : bNum(b, F[8], F[9]);
  const event = strs.get(b, TOKS[2 * ev], TOKS[2 * ev + 1] - 1);
  const payload = ev + 1 < n ? strs.get(b, TOKS[2 * ev + 2], TOKS[2 * n - 1]) : '';
  if (out === undefined) return { comm, pid, tid, cpu, time, period, event, payload };
  // the parser's reused header (no object per sample)
  out.comm = comm;
  out.pid = pid;
  out.tid = tid;
  out.cpu = cpu;
  out.time = time;
  out.period = period;
  out.event = event;
  out.payload = payload;
  return out;
}

/**
 * Feed it lines with `line()`, then call `end()`. Each complete sample goes to `onSample`.
 * Malformed lines are reported through `onWarning` (at most `maxWarnings` times) and skipped.
 *
 * Frames are interned by their text (frame line + srcline line): the same frame prints the same
 * way in every sample, so each distinct frame is parsed once and the same `RawFrame` object is
 * handed out again (consumers can key on object identity).
 */
export class PerfScriptParser {
  private header: HeaderFields | undefined;
  /** `NO_FRAMES` (shared, never pushed to) until the sample's first frame. */
  private frames: RawFrame[] = NO_FRAMES;
  /** Frame line waiting for a possible srcline continuation. */
  private pending: string | undefined;
  private readonly cache = new Map<
    string,
    { bare: RawFrame | null | undefined; bySrc: Map<string, RawFrame | null> | undefined }
  >();
  /** The input prints stacks on the header line (no `-g`); right-aligned comms then start with spaces. */
  private singleLine = false;
  private warnings = 0;
  /** `fp` when the `# cmdline` header (perf script --header) shows `perf record -g` without dwarf/lbr. */
  callGraph: 'fp' | 'dwarf' | 'lbr' | undefined;
  /** Samples whose leaf is glibc's memcpy/memmove (their direct caller is lost in fp stacks). */
  private copyLeaves = 0;
  lines = 0;
  samples = 0;
  skippedLines = 0;

  constructor(
    private readonly onSample: (s: PerfSample) => void,
    private readonly onWarning: (message: string) => void = () => undefined,
    private readonly maxWarnings = 20,
  ) {}

  private warn(msg: string): void {
    this.skippedLines++;
    if (this.warnings++ < this.maxWarnings) this.onWarning(msg);
    else if (this.warnings === this.maxWarnings + 1)
      this.onWarning('more malformed lines were skipped (warnings stop here)');
  }

  /**
   * Parses (or finds) the frame of a frame line plus optional srcline text; null if malformed.
   * Two-level cache (frame line, then srcline): no key string is built per line (that
   * concatenation was the importer's largest cost).
   */
  private frame(raw: string, src: string | undefined): RawFrame | null {
    let slot = this.cache.get(raw);
    if (slot === undefined) {
      if (this.cache.size >= 1_000_000) this.cache.clear();
      slot = { bare: undefined, bySrc: undefined };
      this.cache.set(raw, slot);
    }
    let f: RawFrame | null | undefined;
    if (src === undefined) f = slot.bare;
    else f = slot.bySrc?.get(src);
    if (f !== undefined) return f;
    const m = FRAME.exec(raw);
    if (!m) f = null;
    else {
      const mf = parseFrameRest(m[1], m[2]);
      if (src !== undefined) applySrcline(mf, src);
      f = mf;
    }
    if (src === undefined) slot.bare = f;
    else {
      slot.bySrc ??= new Map();
      if (slot.bySrc.size < 4096) slot.bySrc.set(src, f);
    }
    return f;
  }

  /**
   * Stacks interned by their bytes: the text from the first frame line to the blank line after
   * it (hashed 4 bytes at a time, compared with memcmp; no string is built). Real recordings
   * repeat few stacks (ddsplit: 390 texts in 10,433 samples), so most samples cost a header
   * parse and one lookup. Only stacks whose lines all parsed as frames or srclines, with no
   * warning, are kept; at most {@link BLOCK_CACHE_BYTES} of text, {@link MAX_CHAIN} per hash.
   */
  private readonly blocks = new Map<number, StackBlock[]>();
  private blockBytes = 0;
  /** Lines that took the frame/srcline branch of `line()` (a block is clean when all did). */
  private frameLines = 0;
  /** The frames of the sample being built come from `blocks` (shared by every such sample). */
  private sharedFrames = false;
  private readonly strs = new ByteStrings();
  /** The last header parsed on bytes (`memoLen` -1: none usable) and its time token's offsets. */
  private readonly memo = Buffer.alloc(256);
  private memoLen = -1;
  private memoT0 = 0;
  private memoT1 = 0;
  /** The header of the byte path, filled in place for every sample. */
  private readonly hb: HeaderFields = {
    comm: '',
    pid: undefined,
    tid: undefined,
    cpu: undefined,
    time: undefined,
    period: 1,
    event: '',
    payload: '',
  };

  /**
   * Byte input: every line of `buf[start, end)` (`end` is one past a `\n`), `\r\n` or `\n`
   * ended. Returns the number of lines read. The same samples, warnings and counts as `line()`
   * on the UTF-8 decoded lines (a test feeds real and fuzzed inputs both ways).
   */
  feed(buf: Buffer, start: number, end: number): number {
    const lines0 = this.lines;
    let nextLflf = -1;
    let p = start;
    while (p < end) {
      const nl = buf.indexOf(10, p);
      const c0 = buf[p];
      if (nl === p) {
        // line(''): a flush in every state
        this.lines++;
        this.flush();
        p = nl + 1;
        continue;
      }
      if (
        (c0 === 9 || c0 === 32) &&
        this.header !== undefined &&
        !this.singleLine &&
        this.pending === undefined &&
        this.frames.length === 0
      ) {
        // The blank line ending the stack, searched in at most 64 KB.
        // (`nextLflf` is the answer of the last search when it covers p: each byte is searched once)
        if (p >= nextLflf) nextLflf = lflfFrom(buf, p, end);
        const q = nextLflf - p <= MAX_BLOCK ? nextLflf : end;
        if (q < end) {
          const hash = hashBytes(buf, p, q);
          let chain = this.blocks.get(hash);
          let hit: StackBlock | undefined;
          if (chain !== undefined) {
            for (const b of chain) {
              if (b.key.length === q - p && buf.compare(b.key, 0, b.key.length, p, q) === 0) {
                hit = b;
                break;
              }
            }
          }
          if (hit !== undefined) {
            this.lines += hit.lines + 1;
            this.frames = hit.frames;
            this.sharedFrames = true;
            this.flush();
            p = q + 2;
            continue;
          }
          const h = this.header;
          const samples = this.samples;
          const skipped = this.skippedLines;
          const l0 = this.lines;
          const f0 = this.frameLines;
          this.lineByLine(buf, p, q + 1);
          const n = this.lines - l0;
          // the blank line: line('') takes the pending frame, then flushes
          this.lines++;
          if (this.pending !== undefined) this.takePending(undefined);
          // (a header, blank or `#` line inside the block shows in samples or frameLines)
          if (
            this.header === h &&
            this.samples === samples &&
            this.skippedLines === skipped &&
            this.frameLines - f0 === n &&
            this.blockBytes + q - p <= BLOCK_CACHE_BYTES &&
            (chain?.length ?? 0) < MAX_CHAIN
          ) {
            const b: StackBlock = {
              key: Buffer.from(buf.subarray(p, q)),
              frames: this.frames,
              lines: n,
            };
            if (chain === undefined) this.blocks.set(hash, [b]);
            else chain.push(b);
            this.blockBytes += q - p;
            this.sharedFrames = true;
          }
          this.flush();
          p = q + 2;
          continue;
        }
      }
      // a header line: ASCII, not `#`, not blank, not `PERF_RECORD_` (what line() would do, on bytes)
      if (c0 > 32 && c0 < 128 && c0 !== 35 && c0 !== 80) {
        const e = nl > p && buf[nl - 1] === 13 ? nl - 1 : nl;
        // line() counts the line, then flushes the sample before it (warnings cite the line
        // before), then parses; the header object is reused, so the flush comes first
        this.lines++;
        this.flush();
        const len = e - p;
        if (len === this.memoLen && this.sameButTime(buf, p, len)) {
          // the previous header with other time digits: the same parse, another time
          this.hb.time = bNum(buf, p + this.memoT0, p + this.memoT1);
          this.setHeader(this.hb);
          p = nl + 1;
          continue;
        }
        if (parseHeaderBytes(buf, p, e, this.strs, this.hb) !== undefined) {
          if (F[6] >= 0 && this.hb.payload === '' && len <= this.memo.length) {
            buf.copy(this.memo, 0, p, e);
            this.memoLen = len;
            this.memoT0 = F[6] - p;
            this.memoT1 = F[7] - p;
          } else this.memoLen = -1;
          this.setHeader(this.hb);
          p = nl + 1;
          continue;
        }
        this.memoLen = -1;
        // not parsed on bytes: line() does it again on text (its flush finds nothing left)
        this.lines--;
      }
      this.lineAt(buf, p, nl);
      p = nl + 1;
    }
    return this.lines - lines0;
  }

  /**
   * Whether header `buf[p, p + len)` equals the last one parsed on bytes (`memo`) but for digits
   * inside its time token: tokens, their kinds and every other field are then the same.
   */
  private sameButTime(buf: Buffer, p: number, len: number): boolean {
    const m = this.memo;
    for (let i = 0; i < len; i++) {
      const c = buf[p + i];
      if (c === m[i]) continue;
      if (i < this.memoT0 || i >= this.memoT1 || c < 48 || c > 57 || m[i] < 48 || m[i] > 57)
        return false;
    }
    return true;
  }

  /** The last line of byte input when it has no `\n`. */
  feedLast(buf: Buffer, start: number, end: number): void {
    this.lineAt(buf, start, end);
  }

  private lineByLine(buf: Buffer, start: number, end: number): void {
    for (let p = start; p < end;) {
      const nl = buf.indexOf(10, p);
      this.lineAt(buf, p, nl);
      p = nl + 1;
    }
  }

  /** One line `buf[s, e)` without its `\n` (a trailing `\r` is dropped, as `streamLines` does). */
  private lineAt(buf: Buffer, s: number, e: number): void {
    if (e > s && buf[e - 1] === 13) e--;
    this.line(buf.toString('utf8', s, e));
  }

  private takePending(src: string | undefined): void {
    const raw = this.pending!;
    this.pending = undefined;
    const f = this.frame(raw, src);
    if (f) {
      if (this.frames === NO_FRAMES) this.frames = [];
      this.frames.push(f);
    } else if (raw.trim().length > 0)
      this.warn(
        `line ${this.lines - (src === undefined ? 1 : 2)}: not a stack frame, skipped: ${raw.trim().slice(0, 100)}`,
      );
  }

  line(raw: string): void {
    this.lines++;
    const c0 = raw.charCodeAt(0);
    if (this.header !== undefined && (c0 === 9 || c0 === 32) && !this.singleLine) {
      // srcline continuation: exactly two spaces, after a frame line
      if (
        c0 === 32 &&
        this.pending !== undefined &&
        raw.charCodeAt(1) === 32 &&
        raw.charCodeAt(2) !== 32 &&
        raw.charCodeAt(2) !== 9 &&
        raw.length > 2
      ) {
        this.frameLines++;
        this.takePending(raw.slice(2));
        return;
      }
      if (this.pending !== undefined) this.takePending(undefined);
      if (allBlank(raw)) {
        this.flush();
        return;
      }
      this.frameLines++;
      this.pending = raw;
      return;
    }
    if (raw.length === 0 || c0 === 35 /* # */ || allBlank(raw)) {
      if (c0 !== 35) this.flush();
      else if (raw.startsWith('# cmdline :') && raw.length < 65536)
        this.callGraph = callGraphOf(raw);
      return;
    }
    if (raw.startsWith('PERF_RECORD_')) return;
    // A header line (also when the previous event had no blank line after it).
    this.flush();
    const h = parseHeader(raw);
    if (!h) {
      if (c0 === 9 || c0 === 32)
        this.warn(
          `line ${this.lines}: stack frame outside a sample, skipped: ${raw.trim().slice(0, 100)}`,
        );
      else this.warn(`line ${this.lines}: not a sample header, skipped: ${raw.slice(0, 100)}`);
      return;
    }
    this.setHeader(h);
  }

  private setHeader(h: HeaderFields): void {
    this.header = h;
    // Single-line stacks: `event:  ip sym (dso)` on the header line.
    if (h.payload.length > 0) {
      const m = /^([0-9a-fA-F]+)\s(.*\))$/.exec(h.payload);
      if (m) {
        if (this.frames === NO_FRAMES) this.frames = [];
        this.frames.push(parseFrameRest(m[1], m[2]));
        h.payload = '';
        this.singleLine = true;
      }
    }
  }

  private flush(): void {
    if (this.pending !== undefined) this.takePending(undefined);
    const h = this.header;
    if (h) {
      this.samples++;
      const leaf = this.frames[0];
      if (leaf && isCopyLeaf(leaf)) this.copyLeaves++;
      this.onSample({
        comm: h.comm,
        pid: h.pid,
        tid: h.tid,
        cpu: h.cpu,
        time: h.time,
        period: h.period,
        event: h.event,
        payload: h.payload,
        frames: this.frames,
        sharedFrames: this.sharedFrames,
      });
    }
    this.header = undefined;
    this.frames = NO_FRAMES;
    this.sharedFrames = false;
  }

  end(): void {
    this.flush();
    if (this.callGraph === 'fp' && this.copyLeaves > 0) {
      this.onWarning(
        `recorded with frame-pointer call graphs (perf record -g): glibc's memcpy sets up no frame, so the function that called it is missing from ${this.copyLeaves.toLocaleString('en-US')} memcpy stacks and those samples are charged to its caller (the call that led to the copy). Record with --call-graph dwarf for the exact line`,
      );
    }
  }
}

const copyLeafMemo = new WeakMap<RawFrame, boolean>();
/** glibc's memcpy/memmove (memoized per interned frame). */
function isCopyLeaf(f: RawFrame): boolean {
  let v = copyLeafMemo.get(f);
  if (v === undefined) {
    v = f.sym.includes('memcpy') || f.sym.includes('memmove');
    copyLeafMemo.set(f, v);
  }
  return v;
}

/** The call-graph mode of `perf record` from its `# cmdline :` header line. */
export function callGraphOf(cmdline: string): 'fp' | 'dwarf' | 'lbr' | undefined {
  const args = cmdline
    .slice(cmdline.indexOf(':') + 1)
    .trim()
    .split(/\s+/);
  let mode: 'fp' | 'dwarf' | 'lbr' | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    if (
      a === '-g' ||
      a === '--call-graph=fp' ||
      (a === '--call-graph' && args[i + 1]?.startsWith('fp'))
    )
      mode ??= 'fp';
    const v = a.startsWith('--call-graph=')
      ? a.slice(13)
      : a === '--call-graph'
        ? (args[i + 1] ?? '')
        : undefined;
    if (v !== undefined)
      mode = v.startsWith('dwarf') ? 'dwarf' : v.startsWith('lbr') ? 'lbr' : 'fp';
  }
  return mode;
}

function applySrcline(f: MutableFrame, text: string): void {
  let t = text.trimEnd();
  if (t.endsWith(' (inlined)')) {
    f.inlined = true;
    t = t.slice(0, -10);
  }
  // `file:LINE` (a scan from the end: the file may hold colons)
  const colon = t.lastIndexOf(':');
  if (colon > 0 && isDigits(t, colon + 1, t.length)) {
    const file = t.slice(0, colon);
    const line = Number(t.slice(colon + 1));
    if (file !== '??' && line > 0) {
      f.file = file;
      f.line = line;
    }
  }
}

export type { RawFrame };
