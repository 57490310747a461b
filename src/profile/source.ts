/**
 * Streaming input: files (plain or gzip), child-process output. Text is decoded chunk by chunk and
 * handed out line by line; no whole-file string is ever built.
 */
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
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
  for (const c of b) if (c === 0 || (c < 9) || (c > 13 && c < 32)) bad++;
  return b.length > 0 && bad / b.length > 0.02;
}

/** Detects the format of a text sample (decompressed). */
export function sniffText(text: string): InputFormat | undefined {
  const lines = text.split('\n').filter(l => l.trim() !== '' && !l.startsWith('#'));
  if (lines.length === 0) return undefined;
  // folded: `frame;frame;frame <count>` on every line (the last one may be cut by the sample window)
  const folded = /^\S.*\s\d+(?:\.\d+)?\r?$/;
  const checked = lines.slice(0, Math.max(1, lines.length - 1));
  if (checked.every(l => folded.test(l) && !/^\s/.test(l)) && checked.some(l => l.includes(';') || /\s\d+\r?$/.test(l))) {
    // perf script headers end with `event:` and are followed by indented frames; folded never is.
    if (!lines.some(l => /^\s+[0-9a-fA-F]+\s/.test(l))) return 'folded';
  }
  if (lines.some(l => /^\s+[0-9a-fA-F]+\s/.test(l)) || lines.some(l => /:\s*$/.test(l) || /\d+\.\d+:\s/.test(l))) return 'perf-script';
  return undefined;
}

export async function sniffFile(file: string): Promise<Sniffed> {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new ProfileInputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (st.isDirectory()) throw new ProfileInputError(`${file} is a directory; give a perf.data, perf script text or folded stacks file`);
  if (st.size === 0) throw new ProfileInputError(`${file} is empty: no samples to import`);
  const b = head(file, 64 * 1024);
  if (b.subarray(0, 8).toString('latin1') === PERF_DATA) return { format: 'perf-data', gzip: false, size: st.size };
  const gzip = b[0] === GZIP[0] && b[1] === GZIP[1];
  let sample: Buffer = b;
  if (gzip) sample = await gunzipHead(file, 64 * 1024);
  if (sample.subarray(0, 8).toString('latin1') === PERF_DATA) {
    throw new ProfileInputError(`${file} is a gzip-compressed perf.data; decompress it first (gunzip) so perf can read it`);
  }
  if (looksBinary(sample)) {
    throw new ProfileInputError(`${file} is not a profile Alloc Lens can read (binary data). Expected perf.data, \`perf script\` text or folded stacks, optionally gzip-compressed`);
  }
  const text = sample.toString('utf8');
  const format = sniffText(text);
  if (!format) {
    throw new ProfileInputError(`${file} does not look like \`perf script\` output or folded stacks (first lines: ${JSON.stringify(text.split('\n').slice(0, 2).join(' | ').slice(0, 120))})`);
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
}

/**
 * Feeds every line of a stream to `onLine` (without the `\n`, `\r` removed). Resolves at the end;
 * rejects with `CancelledError` when the signal aborts, or `ProfileInputError` for a broken
 * stream (a truncated gzip keeps the lines decoded before the damage and reports it).
 */
export function streamLines(stream: Readable, onLine: (line: string) => void, opts: LineSinkOptions & { rawSource?: Readable; what?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const dec = new StringDecoder('utf8');
    let rest = '';
    let bytes = 0;
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
    const emit = (text: string) => {
      let start = 0;
      let nl = text.indexOf('\n');
      while (nl !== -1) {
        let end = nl;
        if (end > start && text.charCodeAt(end - 1) === 13) end--;
        onLine(text.slice(start, end));
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      rest = text.slice(start);
    };
    (opts.rawSource ?? stream).on('data', (c: Buffer) => {
      bytes += c.length;
      opts.onBytes?.(bytes);
    });
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        emit(rest + dec.write(chunk));
      } catch (e) {
        finish(e as Error);
      }
    });
    const flush = () => {
      const tail = rest + dec.end();
      rest = '';
      if (tail.length > 0) emit(tail + '\n');
    };
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
      if (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR' || /unexpected end/i.test(e.message)) {
        // Keep everything decoded before the damage; the caller reports it.
        opts.onWarning?.(`${opts.what ?? 'input'}: the gzip data is ${e.code === 'Z_DATA_ERROR' ? 'corrupt' : 'truncated'} after ${bytes} bytes; the samples before that point were imported`);
        finish();
        return;
      }
      finish(new ProfileInputError(`${opts.what ?? 'input'}: ${e.message}`));
    });
    opts.rawSource?.on('error', e => finish(new ProfileInputError(`${opts.what ?? 'input'}: ${e.message}`)));
  });
}

/** Streams the lines of a plain or gzip-compressed file. */
export function fileLines(file: string, gzip: boolean, onLine: (line: string) => void, opts: LineSinkOptions = {}): Promise<void> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (!gzip) return streamLines(raw, onLine, { ...opts, what: file });
  const gz = createGunzip({ chunkSize: 1 << 20 });
  raw.pipe(gz);
  return streamLines(gz, onLine, { ...opts, rawSource: raw, what: file });
}
