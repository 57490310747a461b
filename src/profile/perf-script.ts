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
          if (i === 0 || s.charCodeAt(i - 1) === 32) return { sym: s.slice(0, i).trim(), dso: s.slice(i + 1, -1) };
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
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
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
    const ok = slash >= 0 && slash < e ? isInt(line, s, slash) && isInt(line, slash + 1, e) : isInt(line, s, e);
    if (ok) {
      const r = matchFields(line, toks, k + 1, 1, f);
      if (r >= 0) {
        f[0] = slash >= 0 && slash < e ? line.slice(s, slash) : line.slice(s, e);
        f[1] = slash >= 0 && slash < e ? line.slice(slash + 1, e) : undefined;
        return r;
      }
    }
  }
  if (group <= 1 && line.charCodeAt(s) === 91 && line.charCodeAt(e - 1) === 93 && isDigits(line, s + 1, e - 1)) {
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
  for (let i = 0; i < line.length; ) {
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
  private frames: RawFrame[] = [];
  /** Frame line waiting for a possible srcline continuation. */
  private pending: string | undefined;
  private readonly cache = new Map<string, { bare: RawFrame | null | undefined; bySrc: Map<string, RawFrame | null> | undefined }>();
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
    else if (this.warnings === this.maxWarnings + 1) this.onWarning('more malformed lines were skipped (warnings stop here)');
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

  private takePending(src: string | undefined): void {
    const raw = this.pending!;
    this.pending = undefined;
    const f = this.frame(raw, src);
    if (f) this.frames.push(f);
    else if (raw.trim().length > 0) this.warn(`line ${this.lines - (src === undefined ? 1 : 2)}: not a stack frame, skipped: ${raw.trim().slice(0, 100)}`);
  }

  line(raw: string): void {
    this.lines++;
    const c0 = raw.charCodeAt(0);
    if (this.header !== undefined && (c0 === 9 || c0 === 32) && !this.singleLine) {
      // srcline continuation: exactly two spaces, after a frame line
      if (c0 === 32 && this.pending !== undefined && raw.charCodeAt(1) === 32 && raw.charCodeAt(2) !== 32 && raw.charCodeAt(2) !== 9 && raw.length > 2) {
        this.takePending(raw.slice(2));
        return;
      }
      if (this.pending !== undefined) this.takePending(undefined);
      if (allBlank(raw)) {
        this.flush();
        return;
      }
      this.pending = raw;
      return;
    }
    if (raw.length === 0 || c0 === 35 /* # */ || allBlank(raw)) {
      if (c0 !== 35) this.flush();
      else if (raw.startsWith('# cmdline :') && raw.length < 65536) this.callGraph = callGraphOf(raw);
      return;
    }
    if (raw.startsWith('PERF_RECORD_')) return;
    // A header line (also when the previous event had no blank line after it).
    this.flush();
    const h = parseHeader(raw);
    if (!h) {
      if (c0 === 9 || c0 === 32) this.warn(`line ${this.lines}: stack frame outside a sample, skipped: ${raw.trim().slice(0, 100)}`);
      else this.warn(`line ${this.lines}: not a sample header, skipped: ${raw.slice(0, 100)}`);
      return;
    }
    this.header = h;
    // Single-line stacks: `event:  ip sym (dso)` on the header line.
    if (h.payload.length > 0) {
      const m = /^([0-9a-fA-F]+)\s(.*\))$/.exec(h.payload);
      if (m) {
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
      if (leaf && (leaf.sym.includes('memcpy') || leaf.sym.includes('memmove'))) this.copyLeaves++;
      this.onSample({ ...h, frames: this.frames });
    }
    this.header = undefined;
    this.frames = [];
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

/** The call-graph mode of `perf record` from its `# cmdline :` header line. */
export function callGraphOf(cmdline: string): 'fp' | 'dwarf' | 'lbr' | undefined {
  const args = cmdline.slice(cmdline.indexOf(':') + 1).trim().split(/\s+/);
  let mode: 'fp' | 'dwarf' | 'lbr' | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    if (a === '-g' || a === '--call-graph=fp' || (a === '--call-graph' && args[i + 1]?.startsWith('fp'))) mode ??= 'fp';
    const v = a.startsWith('--call-graph=') ? a.slice(13) : a === '--call-graph' ? args[i + 1] ?? '' : undefined;
    if (v !== undefined) mode = v.startsWith('dwarf') ? 'dwarf' : v.startsWith('lbr') ? 'lbr' : 'fp';
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
