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

  /** Where the input stopped, for a truncation message. */
  position(): string {
    if (this.done) return 'after the end of the object';
    if (this.array) return `inside "${this.array}" after ${this.index.toLocaleString('en-US')} elements`;
    return this.depth === 0 ? 'before the opening {' : 'in the header';
  }

  write(chunk: Buffer): void {
    if (this.memberStart === 0 || this.memberParts.length > 0) this.memberStart = 0;
    if (this.elemParts.length > 0) this.elemStart = 0;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
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
        if (this.done) throw new ProfileInputError(`${this.what}: unexpected data after the end of the JSON object at byte ${this.offset + i}`);
        if (this.depth === 0) {
          if (c !== LBRACE) throw new ProfileInputError(`${this.what}: not a JSON object (starts with [)`);
          this.depth = 1;
          continue;
        }
        if (this.depth === 1 && this.array === undefined && c === LBRACKET && this.memberStart >= 0) {
          const key = this.keyOf(chunk, i);
          if (key !== undefined && this.streamed.has(key)) {
            this.array = key;
            this.index = 0;
            this.memberStart = -1;
            this.memberParts = [];
            this.memberLen = 0;
            this.depth = 2;
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
          else if (this.depth === 1) this.array = undefined;
        } else if (this.depth === 0) {
          this.endMember(chunk, i);
          this.done = true;
        } else if (this.depth < 0) throw new ProfileInputError(`${this.what}: unbalanced JSON at byte ${this.offset + i}`);
      } else if (c === COMMA && this.depth === 1 && this.array === undefined) this.endMember(chunk, i);
      else if (this.depth === 0 && c > 32 && !this.done) {
        throw new ProfileInputError(`${this.what}: not JSON (byte ${this.offset + i} is ${JSON.stringify(String.fromCharCode(c))})`);
      }
    }
    if (this.memberStart >= 0) {
      this.memberParts.push(chunk.subarray(this.memberStart));
      this.memberLen += n - this.memberStart;
      if (this.memberLen > MAX_MEMBER) throw new ProfileInputError(`${this.what}: a top-level member is larger than ${MAX_MEMBER >> 20} MB; this does not look like a DHAT file`);
    }
    if (this.elemStart >= 0) this.elemParts.push(chunk.subarray(this.elemStart));
    this.memberStart = this.memberParts.length > 0 ? 0 : -1;
    this.elemStart = -1;
    this.offset += n;
  }

  private text(parts: Buffer[], chunk: Buffer, start: number, end: number): string {
    const tail = chunk.subarray(start, end);
    return parts.length === 0 ? tail.toString('utf8') : Buffer.concat([...parts, tail]).toString('utf8');
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
      throw new ProfileInputError(`${this.what}: bad JSON near byte ${this.offset + end}: ${(e as Error).message}`);
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
    const t = this.text(this.elemParts, chunk, this.elemParts.length > 0 ? 0 : this.elemStart, i + 1);
    this.elemStart = -1;
    this.elemParts = [];
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      throw new ProfileInputError(`${this.what}: bad JSON in "${this.array}" element ${this.index} near byte ${this.offset + i}: ${(e as Error).message}`);
    }
    this.h.element(this.array!, v, this.index++);
  }
}
