/**
 * Streaming input: files (plain or gzip), child-process output. Text is decoded chunk by chunk and
 * handed out line by line; no whole-file string is ever built.
 */
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

export class ProfileInputError extends Error {}
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

export type InputFormat = 'perf-script' | 'folded' | 'perf-data';

export interface Sniffed {
  readonly format: InputFormat;
  readonly gzip: boolean;
  readonly size: number;
}

const GZIP = [0x1f, 0x8b];
const PERF_DATA = 'PERFILE2';

/** Reads the first bytes of a file (decompressing a gzip header block when needed). */
function head(file: string, n: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

function looksBinary(b: Buffer): boolean {
  let bad = 0;
  for (const c of b) if (c === 0 || c < 9 || (c > 13 && c < 32)) bad++;
  return b.length > 0 && bad / b.length > 0.02;
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isHex = (c: number) => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/** `^\s+[0-9a-fA-F]+\s`: an indented perf script frame line. */
function isFrameLine(l: string): boolean {
  let i = 0;
  while (i < l.length && isSpace(l.charCodeAt(i))) i++;
  if (i === 0) return false;
  const h = i;
  while (i < l.length && isHex(l.charCodeAt(i))) i++;
  return i > h && i < l.length && isSpace(l.charCodeAt(i));
}

/** Folded: `\S.*\s\d+(\.\d+)?\r?` (a count after the last blank). Returns whether the count is an integer. */
function foldedShape(l: string): 'int' | 'dec' | undefined {
  let end = l.length;
  if (end > 0 && l.charCodeAt(end - 1) === 13) end--;
  if (end === 0 || isSpace(l.charCodeAt(0))) return undefined;
  let i = end;
  while (i > 0 && isDigit(l.charCodeAt(i - 1))) i--;
  if (i === end) return undefined;
  let kind: 'int' | 'dec' = 'int';
  if (i > 0 && l.charCodeAt(i - 1) === 46) {
    const dot = i - 1;
    i = dot;
    while (i > 0 && isDigit(l.charCodeAt(i - 1))) i--;
    if (i === dot) return undefined;
    kind = 'dec';
  }
  return i >= 2 && isSpace(l.charCodeAt(i - 1)) ? kind : undefined;
}

/** `:\s*$` or `\d+\.\d+:\s` anywhere: a perf script header. One pass, no backtracking. */
function looksLikeHeader(l: string): boolean {
  let end = l.length;
  while (end > 0 && isSpace(l.charCodeAt(end - 1))) end--;
  if (end > 0 && l.charCodeAt(end - 1) === 58) return true;
  // digits '.' digits ':' blank
  let state = 0; // 0: none, 1: in int digits, 2: after '.', 3: in frac digits
  for (let i = 0; i < l.length; i++) {
    const c = l.charCodeAt(i);
    if (isDigit(c)) state = state === 2 || state === 3 ? 3 : 1;
    else if (c === 46) state = state === 1 ? 2 : 0;
    else if (c === 58 && state === 3 && i + 1 < l.length && isSpace(l.charCodeAt(i + 1)))
      return true;
    else state = 0;
  }
  return false;
}

/** Detects the format of a text sample (decompressed). Linear in the text (it is untrusted). */
export function sniffText(text: string): InputFormat | undefined {
  const lines = text.split('\n').filter(l => l.trim() !== '' && !l.startsWith('#'));
  if (lines.length === 0) return undefined;
  const frames = lines.some(isFrameLine);
  // folded: `frame;frame;frame <count>` on every line (the last one may be cut by the sample window)
  const checked = lines.slice(0, Math.max(1, lines.length - 1));
  if (
    checked.every(l => foldedShape(l) !== undefined) &&
    checked.some(l => l.includes(';') || foldedShape(l) === 'int')
  ) {
    // perf script headers end with `event:` and are followed by indented frames; folded never is.
    if (!frames) return 'folded';
  }
  if (frames || lines.some(looksLikeHeader)) return 'perf-script';
  return undefined;
}

export async function sniffFile(file: string): Promise<Sniffed> {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new ProfileInputError(
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  if (st.isDirectory())
    throw new ProfileInputError(
      `${file} is a directory; give a perf.data, perf script text or folded stacks file`,
    );
  // A FIFO or device (/dev/zero) would block or never end: only regular files are imported.
  if (!st.isFile())
    throw new ProfileInputError(
      `${file} is not a regular file (a FIFO, socket or device); save the profile to a file first`,
    );
  if (st.size === 0) throw new ProfileInputError(`${file} is empty: no samples to import`);
  const b = head(file, 64 * 1024);
  if (b.subarray(0, 8).toString('latin1') === PERF_DATA)
    return { format: 'perf-data', gzip: false, size: st.size };
  const gzip = b[0] === GZIP[0] && b[1] === GZIP[1];
  let sample: Buffer = b;
  if (gzip) sample = await gunzipHead(file, 64 * 1024);
  if (sample.subarray(0, 8).toString('latin1') === PERF_DATA) {
    throw new ProfileInputError(
      `${file} is a gzip-compressed perf.data; decompress it first (gunzip) so perf can read it`,
    );
  }
  if (looksBinary(sample)) {
    throw new ProfileInputError(
      `${file} is not a profile Alloc Lens can read (binary data). Expected perf.data, \`perf script\` text or folded stacks, optionally gzip-compressed`,
    );
  }
  const text = sample.toString('utf8');
  const format = sniffText(text);
  if (!format) {
    throw new ProfileInputError(
      `${file} does not look like \`perf script\` output or folded stacks (first lines: ${JSON.stringify(text.split('\n').slice(0, 2).join(' | ').slice(0, 120))})`,
    );
  }
  return { format, gzip, size: st.size };
}

function gunzipHead(file: string, n: number): Promise<Buffer> {
  return new Promise(resolve => {
    const parts: Buffer[] = [];
    let len = 0;
    const src = createReadStream(file, { highWaterMark: 64 * 1024 });
    const gz = createGunzip();
    const done = () => {
      src.destroy();
      gz.destroy();
      resolve(Buffer.concat(parts).subarray(0, n));
    };
    gz.on('data', (c: Buffer) => {
      parts.push(c);
      len += c.length;
      if (len >= n) done();
    });
    gz.on('end', done);
    gz.on('error', done); // a truncated gzip still yields what it decoded
    src.on('error', done);
    src.pipe(gz);
  });
}

export interface LineSinkOptions {
  signal?: AbortSignal;
  /** Bytes read from the underlying source (compressed bytes for gzip). */
  onBytes?: (bytes: number) => void;
  onWarning?: (message: string) => void;
  /** Longest line accepted, in UTF-16 units (default {@link MAX_LINE}). */
  maxLine?: number;
}

/**
 * perf script and folded lines are short (a 64 KB symbol is already absurd); V8 cannot hold a
 * string over ~512 MB at all. A longer line means the input is not a profile text.
 */
export const MAX_LINE = 16 << 20;
/**
 * A gzip that expands more than this is a decompression bomb, not a
 * profile: real `perf script` text and folded stacks compress 40-51x (ddsplit's recording, FlameGraph's
 * vertx stacks at gzip -9); deflate's ceiling is 1,032x. Checked from 1 MB of output on, against
 * the compressed bytes zlib consumed, so a bomb stops after about 1 MB.
 */
export const MAX_GZIP_RATIO = 200;
const GZIP_RATIO_AFTER = 1 << 20;

/**
 * Feeds every line of a stream to `onLine` (without the `\n`, `\r` removed). Resolves at the end;
 * rejects with `CancelledError` when the signal aborts, or `ProfileInputError` for a broken
 * stream or a line over `maxLine` (a truncated gzip keeps the lines decoded before the damage and
 * reports it). Each chunk is searched once: a pending partial line is kept as pieces, never
 * rescanned (a 32 MB line used to take 31 s).
 */
export function streamLines(
  stream: Readable,
  onLine: (line: string) => void,
  opts: LineSinkOptions & { rawSource?: Readable; what?: string } = {},
): Promise<void> {
  const maxLine = opts.maxLine ?? MAX_LINE;
  const dec = new StringDecoder('utf8');
  /** Pieces of the current unfinished line. */
  let pending: string[] = [];
  let pendingLen = 0;
  let lineNo = 0;
  const tooLong = () =>
    new ProfileInputError(
      `${opts.what ?? 'input'}: line ${lineNo + 1} is longer than ${Math.round(maxLine / (1 << 20))} MB: this is not \`perf script\` text or folded stacks (their lines are short)`,
    );
  const line = (text: string) => {
    lineNo++;
    onLine(text.length > 0 && text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text);
  };
  const emit = (text: string) => {
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      if (pendingLen > 0) {
        if (pendingLen + nl - start > maxLine) throw tooLong();
        pending.push(text.slice(start, nl));
        const whole = pending.join('');
        pending = [];
        pendingLen = 0;
        line(whole);
      } else {
        if (nl - start > maxLine) throw tooLong();
        line(text.slice(start, nl));
      }
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    if (start < text.length) {
      pending.push(text.slice(start));
      pendingLen += text.length - start;
      if (pendingLen > maxLine) throw tooLong();
    }
  };
  return pump(
    stream,
    opts,
    chunk => emit(dec.write(chunk)),
    () => {
      const tail = dec.end();
      if (tail.length > 0 || pendingLen > 0) emit(`${tail}\n`);
    },
  );
}

/**
 * The stream handling both line readers share: cancellation, the byte count of the source, the
 * gzip ratio cap, and the end of the stream. `take` gets each decoded chunk; `flush` hands over
 * the unfinished last line at the end, and on an error too: a truncated or corrupt gzip keeps
 * the lines decoded before the damage and says so in a warning. Any other stream error, an error
 * thrown by `take`/`flush`, or the signal's abort rejects and destroys the streams.
 */
function pump(
  stream: Readable,
  opts: LineSinkOptions & { rawSource?: Readable; what?: string },
  take: (chunk: Buffer) => void,
  flush: () => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let outBytes = 0;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', abort);
      if (err) {
        stream.destroy();
        opts.rawSource?.destroy();
        reject(err);
      } else resolve();
    };
    const abort = () => finish(new CancelledError());
    if (opts.signal?.aborted) return finish(new CancelledError());
    opts.signal?.addEventListener('abort', abort);
    (opts.rawSource ?? stream).on('data', (c: Buffer) => {
      bytes += c.length;
      opts.onBytes?.(bytes);
    });
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        outBytes += chunk.length;
        // zlib's bytesWritten: compressed bytes the engine has consumed (not merely read from disk)
        const consumed = (stream as unknown as { bytesWritten?: number }).bytesWritten ?? bytes;
        if (opts.rawSource && outBytes > GZIP_RATIO_AFTER && outBytes > consumed * MAX_GZIP_RATIO) {
          throw new ProfileInputError(
            `${opts.what ?? 'input'}: the gzip data expands more than ${MAX_GZIP_RATIO}x (${(outBytes / 1e6).toFixed(1)} MB from ${Math.round(consumed / 1e3)} KB): a decompression bomb, not a profile. Decompress it yourself if it is genuine`,
          );
        }
        take(chunk);
      } catch (e) {
        finish(e as Error);
      }
    });
    stream.on('end', () => {
      if (settled) return;
      try {
        flush();
        finish();
      } catch (e) {
        finish(e as Error);
      }
    });
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      try {
        flush();
      } catch {
        // keep the first error
      }
      if (
        e.code === 'Z_BUF_ERROR' ||
        e.code === 'Z_DATA_ERROR' ||
        /unexpected end/i.test(e.message)
      ) {
        // Keep everything decoded before the damage; the caller reports it.
        opts.onWarning?.(
          `${opts.what ?? 'input'}: the gzip data is ${e.code === 'Z_DATA_ERROR' ? 'corrupt' : 'truncated'} after ${bytes} bytes; the samples before that point were imported`,
        );
        finish();
        return;
      }
      finish(new ProfileInputError(`${opts.what ?? 'input'}: ${e.message}`));
    });
    opts.rawSource?.on('error', e =>
      finish(new ProfileInputError(`${opts.what ?? 'input'}: ${e.message}`)),
    );
  });
}

/** Streams the lines of a plain or gzip-compressed file. */
export function fileLines(
  file: string,
  gzip: boolean,
  onLine: (line: string) => void,
  opts: LineSinkOptions = {},
): Promise<void> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (!gzip) return streamLines(raw, onLine, { ...opts, what: file });
  const gz = createGunzip({ chunkSize: 1 << 20 });
  raw.pipe(gz);
  return streamLines(gz, onLine, { ...opts, rawSource: raw, what: file });
}

/**
 * Like {@link streamLines}, but hands out bytes: `onLines(buf, start, end)` gets whole lines
 * (`end` is one past a `\n`); the last line of the input, when it has no `\n`, comes through
 * `onLast`; `onLines` returns how many lines it read (for error messages). No string is built here (the perf script parser decodes only what it has not seen).
 * Same limits and errors as `streamLines`: the line cap (in UTF-16 units, as there), the gzip
 * ratio cap, a truncated gzip kept up to the damage, cancellation.
 */
export function streamLineBytes(
  stream: Readable,
  onLines: (buf: Buffer, start: number, end: number) => number,
  onLast: (buf: Buffer, start: number, end: number) => void,
  opts: LineSinkOptions & { rawSource?: Readable; what?: string } = {},
): Promise<void> {
  const maxLine = opts.maxLine ?? MAX_LINE;
  /** The unfinished last line of the previous chunks, in pieces (never re-copied per chunk). */
  let carry: Buffer[] = [];
  let carryLen = 0;
  let lineNo = 0;
  const tooLong = (linesBefore: number) =>
    new ProfileInputError(
      `${opts.what ?? 'input'}: line ${lineNo + linesBefore + 1} is longer than ${Math.round(maxLine / (1 << 20))} MB: this is not \`perf script\` text or folded stacks (their lines are short)`,
    );
  /** Whether a line of more than `maxLine` bytes is over the cap in UTF-16 units (multi-byte characters). */
  const longer = (b: Buffer, s: number, e: number) =>
    e - s > 3 * maxLine || b.toString('utf8', s, e).length > maxLine;
  const checkCarry = () => {
    if (carryLen > maxLine) {
      const c = Buffer.concat(carry);
      carry = [c];
      if (longer(c, 0, c.length)) throw tooLong(0);
    }
  };
  const take = (chunk: Buffer) => {
    let b = chunk;
    if (carryLen > 0) {
      // only the new bytes are searched for the end of the carried line
      if (chunk.indexOf(10) < 0) {
        carry.push(chunk);
        carryLen += chunk.length;
        checkCarry();
        return;
      }
      carry.push(chunk);
      b = Buffer.concat(carry, carryLen + chunk.length);
      carry = [];
      carryLen = 0;
    }
    const last = b.lastIndexOf(10);
    if (last < 0) {
      carry = [b];
      carryLen = b.length;
      checkCarry();
      return;
    }
    if (last + 1 > maxLine) {
      // an over-long line among these? (checked line by line only then)
      let n = 0;
      for (let p = 0; p <= last; n++) {
        const nl = b.indexOf(10, p);
        if (nl - p > maxLine && longer(b, p, nl)) throw tooLong(n);
        p = nl + 1;
      }
    }
    lineNo += onLines(b, 0, last + 1);
    if (last + 1 < b.length) {
      carry = [b.subarray(last + 1)];
      carryLen = b.length - last - 1;
      checkCarry();
    }
  };
  return pump(stream, opts, take, () => {
    if (carryLen === 0) return;
    const c = Buffer.concat(carry, carryLen);
    carry = [];
    carryLen = 0;
    onLast(c, 0, c.length);
  });
}

/**
 * {@link streamLineBytes} over a plain or gzip-compressed file. A plain file is read into one
 * reused 4 MB buffer (no allocation per chunk: a fresh 1 MB buffer per chunk cost ~12% of the
 * import in garbage collection); `onLines` must copy what it keeps.
 */
export function fileLineBytes(
  file: string,
  gzip: boolean,
  onLines: (buf: Buffer, start: number, end: number) => number,
  onLast: (buf: Buffer, start: number, end: number) => void,
  opts: LineSinkOptions = {},
): Promise<void> {
  if (!gzip) return readLineBytes(file, onLines, onLast, opts);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const gz = createGunzip({ chunkSize: 1 << 20 });
  raw.pipe(gz);
  return streamLineBytes(gz, onLines, onLast, { ...opts, rawSource: raw, what: file });
}

async function readLineBytes(
  file: string,
  onLines: (buf: Buffer, start: number, end: number) => number,
  onLast: (buf: Buffer, start: number, end: number) => void,
  opts: LineSinkOptions,
): Promise<void> {
  const maxLine = opts.maxLine ?? MAX_LINE;
  const what = file;
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new ProfileInputError(`${what}: ${(e as Error).message}`);
  }
  try {
    let buf = Buffer.allocUnsafe(4 << 20);
    /** Bytes of an unfinished line at the start of `buf`. */
    let have = 0;
    let lineNo = 0;
    let bytes = 0;
    const tooLong = (linesBefore: number) =>
      new ProfileInputError(
        `${what}: line ${lineNo + linesBefore + 1} is longer than ${Math.round(maxLine / (1 << 20))} MB: this is not \`perf script\` text or folded stacks (their lines are short)`,
      );
    const longer = (s: number, e: number) =>
      e - s > 3 * maxLine || buf.toString('utf8', s, e).length > maxLine;
    for (;;) {
      if (opts.signal?.aborted) throw new CancelledError();
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      let got: number;
      try {
        got = (await fh.read(buf, have, buf.length - have, null)).bytesRead;
      } catch (e) {
        throw new ProfileInputError(`${what}: ${(e as Error).message}`);
      }
      if (opts.signal?.aborted) throw new CancelledError();
      if (got === 0) break;
      bytes += got;
      opts.onBytes?.(bytes);
      const end = have + got;
      const last = buf.lastIndexOf(10, end - 1);
      if (last < 0) {
        have = end;
        if (have > maxLine && longer(0, have)) throw tooLong(0);
        continue;
      }
      if (last + 1 > maxLine) {
        let n = 0;
        for (let p = 0; p <= last; n++) {
          const nl = buf.indexOf(10, p);
          if (nl - p > maxLine && longer(p, nl)) throw tooLong(n);
          p = nl + 1;
        }
      }
      lineNo += onLines(buf, 0, last + 1);
      have = end - last - 1;
      if (have > 0) buf.copy(buf, 0, last + 1, end);
      if (have > maxLine && longer(0, have)) throw tooLong(0);
    }
    if (have > 0) onLast(buf, 0, have);
  } finally {
    await fh.close();
  }
}
