/**
 * A line-driven parser for `perf script` text in any field selection: optional pid/tid, cpu, time
 * and period; event names with colons and modifiers; trace payloads; single-line stacks; frames with
 * or without `(dso)`, `+0x` offsets, `(inlined)`, `(deleted)`; `srcline` continuation lines.
 */
import type { PerfSample, RawFrame } from './types';

// comm  [pid[/tid]]  [[cpu]]  [time:]  [period]  event:  [payload]
const HEADER = /^\s*(.*?)(?:\s+(-?\d+)(?:\/(-?\d+))?)?(?:\s+\[(\d+)\])?(?:\s+(\d+\.\d+):)?(?:\s+(\d+))?\s+([^\s:][^\s]*?):(?:\s+(.*))?$/;
const HEADER_NOCOMM = /^\s*(-?\d+)(?:\/(-?\d+))?(?:\s+\[(\d+)\])?(?:\s+(\d+\.\d+):)?(?:\s+(\d+))?\s+([^\s:][^\s]*?):(?:\s+(.*))?$/;
const FRAME = /^\s*([0-9a-fA-F]+)\s(.*)$/;
const OFFSET = /\+0x[0-9a-fA-F]+$/;
const SRCLINE = /^(.*):(\d+)$/;

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

export function parseHeader(line: string): HeaderFields | undefined {
  if (line.length > 8192) return undefined;
  let m = HEADER.exec(line);
  let comm: string;
  let pid: string | undefined, tid: string | undefined, cpu: string | undefined, time: string | undefined, period: string | undefined, event: string, payload: string | undefined;
  if (m) {
    [, comm, pid, tid, cpu, time, period, event, payload] = m;
    // `-F` without comm: the "comm" is then the pid.
    const bare = pid === undefined ? /^\s*(-?\d+)(?:\/(-?\d+))?\s*$/.exec(comm) : null;
    if (bare) {
      [, pid, tid] = bare;
      comm = '';
    }
  } else {
    m = HEADER_NOCOMM.exec(line);
    if (!m) return undefined;
    comm = '';
    [, pid, tid, cpu, time, period, event, payload] = m;
  }
  // A lone number is the pid or the tid (perf prints one of them); keep it as both.
  const p = pid === undefined ? undefined : Number(pid);
  return {
    comm: comm.trim(),
    pid: p,
    tid: tid === undefined ? p : Number(tid),
    cpu: cpu === undefined ? undefined : Number(cpu),
    time: time === undefined ? undefined : Number(time),
    period: period === undefined ? 1 : Number(period),
    event,
    payload: (payload ?? '').trim(),
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
  private readonly cache = new Map<string, RawFrame | null>();
  /** The input prints stacks on the header line (no `-g`); right-aligned comms then start with spaces. */
  private singleLine = false;
  private warnings = 0;
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

  /** Parses (or finds) the frame of a frame line plus optional srcline text; null if malformed. */
  private frame(raw: string, src: string | undefined): RawFrame | null {
    const key = src === undefined ? raw : `${raw}\n${src}`;
    let f = this.cache.get(key);
    if (f !== undefined) return f;
    const m = FRAME.exec(raw);
    if (!m) f = null;
    else {
      const mf = parseFrameRest(m[1], m[2]);
      if (src !== undefined) applySrcline(mf, src);
      f = mf;
    }
    if (this.cache.size >= 1_000_000) this.cache.clear();
    this.cache.set(key, f);
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
      if (raw.trim().length === 0) {
        this.flush();
        return;
      }
      this.pending = raw;
      return;
    }
    if (raw.length === 0 || c0 === 35 /* # */ || raw.trim().length === 0) {
      if (c0 !== 35) this.flush();
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
      this.onSample({ ...h, frames: this.frames });
    }
    this.header = undefined;
    this.frames = [];
  }

  end(): void {
    this.flush();
  }
}

function applySrcline(f: MutableFrame, text: string): void {
  let t = text.trimEnd();
  if (t.endsWith(' (inlined)')) {
    f.inlined = true;
    t = t.slice(0, -10);
  }
  const m = SRCLINE.exec(t);
  if (m && m[1].length > 0 && m[1] !== '??' && m[2] !== '0') {
    f.file = m[1];
    f.line = Number(m[2]);
  }
}

export type { RawFrame };
