/**
 * A streaming reader for one big JSON object whose bulk is in a few top-level arrays (DHAT:
 * `pps`, `ftbl`). Scans bytes chunk by chunk with a small state machine (no regex, no
 * backtracking); every element of the named arrays is parsed on its own and handed out, every
 * other member is parsed whole. Memory is one element (or one small member), never the file.
 */
import { ProfileInputError } from '../source';

export interface JsonStreamHandlers {
  /** A top-level member that is not one of the streamed arrays. */
  member(key: string, value: unknown): void;
  /** One element of a streamed array. */
  element(key: string, value: unknown, index: number): void;
  /**
   * Optional fast path: the raw bytes of an element (`bytes[start, end)`); return false to have
   * it parsed with JSON.parse and passed to `element` instead.
   */
  rawElement?(key: string, bytes: Buffer, start: number, end: number, index: number): boolean;
  /**
   * Optional faster path: an element starts at `bytes[start]` (`{`); read it and return the index
   * after its end, or -1 to have the scanner find its end (and call rawElement/element).
   */
  rawScan?(key: string, bytes: Buffer, start: number, index: number): number;
  /**
   * Optional: called as a streamed array opens; true skips it byte by byte (strings and nesting
   * honoured, elements counted in `index`, none parsed or handed out).
   */
  skip?(key: string): boolean;
}

const QUOTE = 34;
const BACKSLASH = 92;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;
const COMMA = 44;
/** A plain member bigger than this is not what DHAT writes: refuse instead of buffering it. */
const MAX_MEMBER = 16 << 20;

export class JsonObjectStream {
  private depth = 0;
  private inStr = false;
  private esc = false;
  private done = false;
  /** Key of the streamed array we are in, else undefined. */
  private array: string | undefined;
  private index = 0;
  private memberStart = -1;
  private memberParts: Buffer[] = [];
  private memberLen = 0;
  private elemStart = -1;
  private elemParts: Buffer[] = [];
  /** Skipping the current array: nesting inside it, and whether a new element may start. */
  private skipping = false;
  private skipDepth = 0;
  /** Elements of each streamed array that was closed. */
  private readonly counts = new Map<string, number>();
  /** Bytes consumed so far (for error messages). */
  offset = 0;

  constructor(
    private readonly streamed: ReadonlySet<string>,
    private readonly h: JsonStreamHandlers,
    private readonly what: string,
  ) {}

  get finished(): boolean {
    return this.done;
  }

  /** Elements of a streamed array (0 when absent or not closed yet). */
  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Where the input stopped, for a truncation message. */
  position(): string {
    if (this.done) return 'after the end of the object';
    if (this.array)
      return `inside "${this.array}" after ${this.index.toLocaleString('en-US')} elements`;
    return this.depth === 0 ? 'before the opening {' : 'in the header';
  }

  write(chunk: Buffer): void {
    if (this.memberStart === 0 || this.memberParts.length > 0) this.memberStart = 0;
    if (this.elemParts.length > 0) this.elemStart = 0;
    const n = chunk.length;
    for (let i = this.skipping ? this.skipBytes(chunk, 0) : 0; i < n; i++) {
      const c = chunk[i];
      if (this.inStr) {
        if (this.esc) this.esc = false;
        else if (c === BACKSLASH) this.esc = true;
        else if (c === QUOTE) {
          this.inStr = false;
          if (this.array !== undefined && this.depth === 2) this.endElement(chunk, i);
        }
        continue;
      }
      if (c === QUOTE) {
        this.inStr = true;
        if (this.array !== undefined) {
          if (this.depth === 2 && this.elemStart < 0) this.elemStart = i;
        } else if (this.depth === 1 && this.memberStart < 0) this.memberStart = i;
      } else if (c === LBRACE || c === LBRACKET) {
        if (this.done)
          throw new ProfileInputError(
            `${this.what}: unexpected data after the end of the JSON object at byte ${this.offset + i}`,
          );
        if (this.depth === 0) {
          if (c !== LBRACE)
            throw new ProfileInputError(`${this.what}: not a JSON object (starts with [)`);
          this.depth = 1;
          continue;
        }
        if (
          this.depth === 1 &&
          this.array === undefined &&
          c === LBRACKET &&
          this.memberStart >= 0
        ) {
          const key = this.keyOf(chunk, i);
          if (key !== undefined && this.streamed.has(key)) {
            this.array = key;
            this.index = 0;
            this.memberStart = -1;
            this.memberParts = [];
            this.memberLen = 0;
            this.depth = 2;
            if (this.h.skip?.(key)) {
              this.skipping = true;
              this.skipDepth = 0;
              i = this.skipBytes(chunk, i + 1) - 1;
            }
            continue;
          }
        }
        if (this.array !== undefined && this.depth === 2 && this.elemStart < 0) {
          if (c === LBRACE && this.h.rawScan) {
            const end = this.h.rawScan(this.array, chunk, i, this.index);
            if (end > i) {
              this.index++;
              i = end - 1;
              continue;
            }
          }
          this.elemStart = i;
        }
        this.depth++;
      } else if (c === RBRACE || c === RBRACKET) {
        this.depth--;
        if (this.array !== undefined) {
          if (this.depth === 2) this.endElement(chunk, i);
          else if (this.depth === 1) {
            this.counts.set(this.array, this.index);
            this.array = undefined;
          }
        } else if (this.depth === 0) {
          this.endMember(chunk, i);
          this.done = true;
        } else if (this.depth < 0)
          throw new ProfileInputError(`${this.what}: unbalanced JSON at byte ${this.offset + i}`);
      } else if (c === COMMA && this.depth === 1 && this.array === undefined)
        this.endMember(chunk, i);
      else if (this.depth === 0 && c > 32 && !this.done) {
        throw new ProfileInputError(
          `${this.what}: not JSON (byte ${this.offset + i} is ${JSON.stringify(String.fromCharCode(c))})`,
        );
      }
    }
    if (this.memberStart >= 0) {
      // Copied: the reader may reuse the chunk's buffer for the next one.
      this.memberParts.push(Buffer.from(chunk.subarray(this.memberStart)));
      this.memberLen += n - this.memberStart;
      if (this.memberLen > MAX_MEMBER)
        throw new ProfileInputError(
          `${this.what}: a top-level member is larger than ${MAX_MEMBER >> 20} MB; this does not look like a DHAT file`,
        );
    }
    if (this.elemStart >= 0) this.elemParts.push(Buffer.from(chunk.subarray(this.elemStart)));
    this.memberStart = this.memberParts.length > 0 ? 0 : -1;
    this.elemStart = -1;
    this.offset += n;
  }

  /**
   * Skips the bytes of a skipped array from `i` (a tight loop: no element is parsed), counting its
   * elements that are objects, arrays or strings (the openers at its top level; a bare number or
   * literal is not counted); returns the index after its closing `]` (the array is then left), or
   * the chunk's end. Outside strings only `"[]{}` matter: every other byte is one compare.
   */
  private skipBytes(b: Buffer, i: number): number {
    const n = b.length;
    const st = SKIP_STATE;
    st[0] = this.skipDepth;
    st[1] = this.index;
    st[2] = this.inStr ? 1 : 0;
    st[3] = this.esc ? 1 : 0;
    i = skipScan(b, i, n, st);
    this.skipDepth = st[0];
    this.index = st[1];
    this.inStr = st[2] === 1;
    this.esc = st[3] === 1;
    if (st[4] === 1)
      throw new ProfileInputError(`${this.what}: unbalanced JSON at byte ${this.offset + i - 1}`);
    if (st[5] === 1) {
      this.counts.set(this.array!, this.index);
      this.skipping = false;
      this.array = undefined;
      this.depth = 1;
    }
    return i;
  }

  private text(parts: Buffer[], chunk: Buffer, start: number, end: number): string {
    const tail = chunk.subarray(start, end);
    return parts.length === 0
      ? tail.toString('utf8')
      : Buffer.concat([...parts, tail]).toString('utf8');
  }

  private keyOf(chunk: Buffer, end: number): string | undefined {
    const t = this.text(this.memberParts, chunk, this.memberStart, end).trimEnd();
    if (!t.endsWith(':')) return undefined;
    try {
      const k = JSON.parse(t.slice(0, -1).trim());
      return typeof k === 'string' ? k : undefined;
    } catch {
      return undefined;
    }
  }

  private endMember(chunk: Buffer, end: number): void {
    if (this.memberStart < 0) return;
    const t = this.text(this.memberParts, chunk, this.memberStart, end);
    this.memberStart = -1;
    this.memberParts = [];
    this.memberLen = 0;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(`{${t}}`);
    } catch (e) {
      throw new ProfileInputError(
        `${this.what}: bad JSON near byte ${this.offset + end}: ${(e as Error).message}`,
      );
    }
    for (const [k, v] of Object.entries(obj)) this.h.member(k, v);
  }

  private endElement(chunk: Buffer, i: number): void {
    if (this.elemStart < 0 && this.elemParts.length === 0) return;
    if (this.h.rawElement) {
      const whole = this.elemParts.length === 0;
      const bytes = whole ? chunk : Buffer.concat([...this.elemParts, chunk.subarray(0, i + 1)]);
      const start = whole ? this.elemStart : 0;
      const end = whole ? i + 1 : bytes.length;
      if (this.h.rawElement(this.array!, bytes, start, end, this.index)) {
        this.index++;
        this.elemStart = -1;
        this.elemParts = [];
        return;
      }
    }
    const t = this.text(
      this.elemParts,
      chunk,
      this.elemParts.length > 0 ? 0 : this.elemStart,
      i + 1,
    );
    this.elemStart = -1;
    this.elemParts = [];
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      throw new ProfileInputError(
        `${this.what}: bad JSON in "${this.array}" element ${this.index} near byte ${this.offset + i}: ${(e as Error).message}`,
      );
    }
    this.h.element(this.array!, v, this.index++);
  }
}

/** skipScan's state in and out: depth, count, in a string, after a backslash, `}` unbalanced, closed. */
const SKIP_STATE = new Float64Array(6);

/**
 * The loop of JsonObjectStream.skipBytes, on its own so that V8 optimizes it once (a method that
 * also touches `this` fields was deoptimized and re-entered the interpreter on every chunk: 4 x
 * slower on the first import of a process). Outside strings only `"[]{}` matter.
 */
function skipScan(b: Buffer, i: number, n: number, st: Float64Array): number {
  let d = st[0];
  let count = st[1];
  let inStr = st[2] === 1;
  let esc = st[3] === 1;
  st[4] = 0;
  st[5] = 0;
  if (inStr) {
    // Finish the string the previous chunk ended in.
    for (; i < n; i++) {
      const e = b[i];
      if (esc) esc = false;
      else if (e === BACKSLASH) esc = true;
      else if (e === QUOTE) break;
    }
    if (i < n) {
      inStr = false;
      i++;
    }
  }
  for (; i < n; i++) {
    const c = b[i];
    if (c < LBRACKET && c !== QUOTE) continue;
    if (c === QUOTE) {
      if (d === 0) count++;
      for (i++; i < n; i++) {
        const e = b[i];
        if (e === QUOTE) break;
        if (e === BACKSLASH && ++i === n) esc = true;
      }
      if (i >= n) inStr = true;
      continue;
    }
    if (c === LBRACE || c === LBRACKET) {
      if (d === 0) count++;
      d++;
    } else if (c === RBRACE || c === RBRACKET) {
      if (d === 0) {
        if (c === RBRACE) st[4] = 1;
        else st[5] = 1;
        i++;
        break;
      }
      d--;
    }
  }
  st[0] = d;
  st[1] = count;
  st[2] = inStr ? 1 : 0;
  st[3] = esc ? 1 : 0;
  return i > n ? n : i;
}
