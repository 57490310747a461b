/**
 * Profile importers behind one interface, in one registry. Every format, perf ones included,
 * implements `sniff(head, name)` and `import(file, sink, options)`. CPU formats hand samples to
 * the sink (measure: samples weighted by period); heap formats hand over a `HeapProfile` whose
 * sites carry declared measures (allocated bytes, blocks, live bytes). Streaming, with progress,
 * cancellation and warnings.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { constants as zc, gunzipSync } from 'node:zlib';
import { FoldedCollapser, foldedToSample, parseFoldedLine, type FoldOptions } from './folded';
import { ProfileData } from './model';
import { PerfScriptParser } from './perf-script';
import {
  CancelledError,
  ProfileInputError,
  fileLineBytes,
  fileLines,
  sniffFile,
  sniffText,
  streamLineBytes,
  streamLines,
  type InputFormat,
} from './source';
import type { ImportOptions, PerfSample, RawFrame } from './types';
import { importDhat } from './heap/dhat';
import { compressionOf, importHeaptrack } from './heap/heaptrack';
import type { HeapProfile } from './heap/model';
import { importPprof } from './heap/pprof';

export interface ImportResult {
  readonly data: ProfileData;
  readonly format: InputFormat;
  readonly gzip: boolean;
  readonly bytes: number;
  readonly lines: number;
  /** Present when `fold` was requested. */
  readonly folded?: FoldedCollapser;
}

export interface ProfileImportOptions extends ImportOptions {
  /** Also collapse into FlameGraph folded stacks (perf script input only). */
  readonly fold?: FoldOptions;
  /** `perf` executable for perf.data input. */
  readonly perf?: string;
  /** Rewrites each sample's frames before they are added (inline expansion from the binary). */
  readonly expandFrames?: (frames: readonly RawFrame[]) => readonly RawFrame[];
}

/** The `perf script` fields Alloc Lens asks for when it runs perf itself. */
export const PERF_SCRIPT_ARGS = [
  'script',
  '-F',
  'comm,pid,tid,time,period,event,ip,sym,dso,srcline',
  '--full-source-path',
  '--header',
];

export type HeapFormat = 'dhat' | 'heaptrack' | 'pprof';
export type ImporterId = InputFormat | HeapFormat;

/** Where an importer puts what it reads. */
export interface ProfileSink {
  /** One CPU sample (measure: samples, weighted by period). */
  sample(s: PerfSample): void;
  /** A whole heap profile (measures declared in `HeapProfile.measures`). */
  heap(h: HeapProfile): void;
  /** A line or record that was skipped; the import goes on. */
  warn(message: string): void;
  /** Input bytes read so far (compressed bytes for compressed input). */
  bytes(n: number): void;
  /** Each raw `perf script` line (the FlameGraph-exact folded collapse works on lines). */
  line?(l: string): void;
}

export interface ImporterOptions {
  readonly signal?: AbortSignal;
  /** `perf` executable for perf.data input. */
  readonly perf?: string;
  /** The first bytes of the file, as given to `sniff`. */
  readonly head: Buffer;
}

export interface ImportStats {
  /** Text lines read (0 for binary formats). */
  readonly lines: number;
  readonly gzip: boolean;
}

export interface ProfileImporter {
  readonly id: ImporterId;
  readonly kind: 'cpu' | 'heap';
  /** For file pickers and messages. */
  readonly description: string;
  readonly extensions: readonly string[];
  /** True when `head` (the first 64 KiB, as stored) named `name` is this format. */
  sniff(head: Buffer, name: string): boolean;
  import(file: string, sink: ProfileSink, options: ImporterOptions): Promise<ImportStats>;
}

const isGzip = (b: Buffer) => b[0] === 0x1f && b[1] === 0x8b;

/** Decompresses what a gzip head holds (a cut stream yields its prefix). */
function gunzipHead(b: Buffer): Buffer {
  try {
    return gunzipSync(b, { finishFlush: zc.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

function textHead(head: Buffer): string {
  return (isGzip(head) ? gunzipHead(head) : head).toString('utf8');
}

/** A perf text format: sniffed by the perf sniffer, read line by line. */
const perfText = (
  id: 'perf-script' | 'folded',
  description: string,
  extensions: string[],
): ProfileImporter => ({
  id,
  kind: 'cpu',
  description,
  extensions,
  sniff: head => sniffText(textHead(head)) === id,
  async import(file, sink, o) {
    const gzip = isGzip(o.head);
    const io = {
      signal: o.signal,
      onBytes: (n: number) => sink.bytes(n),
      onWarning: (m: string) => sink.warn(m),
    };
    if (id === 'perf-script') {
      const parser = new PerfScriptParser(
        s => sink.sample(s),
        m => sink.warn(m),
      );
      const onLine = sink.line;
      if (onLine) {
        // the FlameGraph-exact collapse reads every line as text
        await fileLines(
          file,
          gzip,
          l => {
            parser.line(l);
            onLine(l);
          },
          io,
        );
      } else {
        await fileLineBytes(
          file,
          gzip,
          (b, s, e) => parser.feed(b, s, e),
          (b, s, e) => parser.feedLast(b, s, e),
          io,
        );
      }
      parser.end();
      return { lines: parser.lines, gzip };
    }
    let lines = 0;
    let bad = 0;
    const intern = new Map<string, RawFrame>();
    await fileLines(
      file,
      gzip,
      line => {
        lines++;
        if (line.length === 0 || line.startsWith('#')) return;
        const p = parseFoldedLine(line);
        if (!p) {
          if (bad++ < 20)
            sink.warn(
              `line ${lines}: not a folded stack (\`a;b;c 12\`), skipped: ${line.slice(0, 100)}`,
            );
          return;
        }
        sink.sample(foldedToSample(p.frames, p.count, intern));
      },
      io,
    );
    return { lines, gzip };
  },
});

const perfData: ProfileImporter = {
  id: 'perf-data',
  kind: 'cpu',
  description: 'perf.data (read through `perf script`)',
  extensions: ['data'],
  sniff: head => head.subarray(0, 8).toString('latin1') === 'PERFILE2',
  async import(file, sink, o) {
    const parser = new PerfScriptParser(
      s => sink.sample(s),
      m => sink.warn(m),
    );
    const onLine = sink.line;
    // the FlameGraph-exact collapse reads every line as text; otherwise the parser reads bytes
    const lines: LineReader = onLine
      ? {
          text: l => {
            parser.line(l);
            onLine(l);
          },
        }
      : { bytes: (b, s, e) => parser.feed(b, s, e), last: (b, s, e) => parser.feedLast(b, s, e) };
    await runPerfScript(file, o.perf ?? 'perf', lines, {
      signal: o.signal,
      onBytes: n => sink.bytes(n),
      onWarning: m => sink.warn(m),
    });
    parser.end();
    return { lines: parser.lines, gzip: false };
  },
};

const dhat: ProfileImporter = {
  id: 'dhat',
  kind: 'heap',
  description: 'DHAT JSON (valgrind --tool=dhat, dhat-rs)',
  extensions: ['json'],
  sniff(head) {
    const t = textHead(head).slice(0, 4096);
    return /^\s*\{/.test(t) && t.includes('"dhatFileVersion"');
  },
  async import(file, sink, o) {
    const gzip = isGzip(o.head);
    sink.heap(await importDhat(file, gzip, { signal: o.signal, onBytes: n => sink.bytes(n) }));
    return { lines: 0, gzip };
  },
};

/** heaptrack's first line: `v <heaptrack version> <file version>` (hex). */
const HEAPTRACK_HEAD = /^v [0-9a-f]+ [0-9a-f]+\n/;

const heaptrack: ProfileImporter = {
  id: 'heaptrack',
  kind: 'heap',
  description: 'heaptrack (heaptrack.*.zst / .gz)',
  extensions: ['zst', 'gz'],
  sniff(head, name) {
    const c = compressionOf(head);
    if (c === 'zstd')
      return /^heaptrack\./.test(path.basename(name)) || zstdHead(head).startsWith('v ');
    return HEAPTRACK_HEAD.test(
      c === 'gzip' ? gunzipHead(head).toString('latin1', 0, 64) : head.toString('latin1', 0, 64),
    );
  },
  async import(file, sink, o) {
    const c = compressionOf(o.head);
    sink.heap(await importHeaptrack(file, c, { signal: o.signal, onBytes: n => sink.bytes(n) }));
    return { lines: 0, gzip: c === 'gzip' };
  },
};

function zstdHead(head: Buffer): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Decompress } = require('fzstd') as typeof import('fzstd');
    let out = '';
    const d = new Decompress(chunk => {
      if (out.length < 64) out += Buffer.from(chunk).toString('latin1', 0, 64);
    });
    d.push(head.subarray(0, 64 * 1024));
    return out;
  } catch {
    return '';
  }
}

const pprof: ProfileImporter = {
  id: 'pprof',
  kind: 'heap',
  description: 'pprof heap profile (*.pb.gz)',
  extensions: ['pb.gz', 'pb', 'pprof'],
  sniff(head, name) {
    if (/\.(pb|pprof)(\.gz)?$/.test(name)) return true;
    // profile.proto starts with field 1 (sample_type, length-delimited): tag 0x0a.
    return (
      isGzip(head) &&
      gunzipHead(head)[0] === 0x0a &&
      !HEAPTRACK_HEAD.test(gunzipHead(head).toString('latin1', 0, 64))
    );
  },
  async import(file, sink) {
    sink.heap(await importPprof(file));
    return { lines: 0, gzip: true };
  },
};

/** All importers; heap formats first (their sniffers are specific), perf text formats last. */
export const IMPORTERS: readonly ProfileImporter[] = [
  dhat,
  heaptrack,
  pprof,
  perfData,
  perfText('perf-script', '`perf script` text', ['txt', 'perf', 'script']),
  perfText('folded', 'folded stacks', ['folded']),
];

export function importerFor(id: ImporterId): ProfileImporter {
  return IMPORTERS.find(i => i.id === id)!;
}

function readHead(file: string, n = 64 * 1024): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * The importer for a file. Heap formats are recognised by their own sniffers; everything else
 * goes through the perf sniffer, whose errors (empty, directory, binary, prose) are the messages
 * users see.
 */
export async function detectImporter(
  file: string,
): Promise<{ importer: ProfileImporter; head: Buffer; size: number }> {
  const sn = await sniffFile(file).catch(e => e as Error);
  if (!(sn instanceof Error) && sn.format === 'perf-data')
    return { importer: perfData, head: readHead(file), size: sn.size };
  let head: Buffer | undefined;
  try {
    // Only a regular file is read: opening a FIFO blocks until a writer comes (the import hung);
    // sniffFile's error says "not a regular file".
    if (statSync(file).isFile()) head = readHead(file);
  } catch {
    // sniffFile's error says why
  }
  if (head && head.length > 0) {
    for (const imp of IMPORTERS)
      if (imp.kind === 'heap' && imp.sniff(head, file))
        return { importer: imp, head, size: sizeOf(file) };
  }
  if (sn instanceof Error) {
    if (head && /\.json$/i.test(file) && /^\s*\{/.test(head.toString('utf8', 0, 256))) {
      throw new ProfileInputError(
        `${file}: a JSON file without "dhatFileVersion" in its first 4 KB; Alloc Lens reads DHAT JSON (valgrind --tool=dhat, dhat-rs)`,
      );
    }
    throw sn;
  }
  return { importer: importerFor(sn.format), head: head ?? Buffer.alloc(0), size: sn.size };
}

function sizeOf(file: string): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:fs') as typeof import('node:fs')).statSync(file).size;
}

export type AnyImport =
  | ({ readonly kind: 'cpu' } & ImportResult)
  | {
      readonly kind: 'heap';
      readonly heap: HeapProfile;
      readonly format: HeapFormat;
      readonly gzip: boolean;
      readonly bytes: number;
    };

/** Imports any supported file: CPU formats into `ProfileData`, heap formats into `HeapProfile`. */
export async function importAny(file: string, opts: ProfileImportOptions = {}): Promise<AnyImport> {
  const { importer, head, size } = await detectImporter(file);
  if (importer.kind === 'cpu')
    return { kind: 'cpu', ...(await importCpu(file, importer, head, size, opts)) };
  let heap: HeapProfile | undefined;
  let lastReport = 0;
  const stats = await importer.import(
    file,
    {
      sample: () => {},
      heap: h => (heap = h),
      warn: m => opts.onWarning?.(m),
      bytes: b => {
        if (opts.onProgress && b - lastReport >= 4 << 20) {
          lastReport = b;
          opts.onProgress({ bytesRead: b, bytesTotal: size, samples: 0 });
        }
      },
    },
    { signal: opts.signal, head },
  );
  if (!heap || heap.siteCount === 0)
    throw new ProfileInputError(
      `${file}: no allocations found in this ${importer.description} file`,
    );
  for (const w of heap.warnings) opts.onWarning?.(w);
  opts.onProgress?.({ bytesRead: size, bytesTotal: size, samples: heap.siteCount });
  return { kind: 'heap', heap, format: importer.id as HeapFormat, gzip: stats.gzip, bytes: size };
}

/** Imports a CPU profile (perf.data, `perf script` text, folded stacks) into `ProfileData`. */
export async function importProfile(
  file: string,
  opts: ProfileImportOptions = {},
): Promise<ImportResult> {
  const { importer, head, size } = await detectImporter(file);
  if (importer.kind !== 'cpu')
    throw new ProfileInputError(
      `${file} is a heap profile (${importer.description}); it has allocation sites, not CPU samples`,
    );
  return importCpu(file, importer, head, size, opts);
}

async function importCpu(
  file: string,
  importer: ProfileImporter,
  head: Buffer,
  size: number,
  opts: ProfileImportOptions,
): Promise<ImportResult> {
  const format = importer.id as InputFormat;
  const data = new ProfileData();
  const folded = opts.fold ? new FoldedCollapser(opts.fold) : undefined;
  let samples = 0;
  let bytes = 0;
  let lastReport = 0;
  const sink: ProfileSink = {
    sample(s) {
      samples++;
      const x = opts.expandFrames;
      // (the expansion returns the same array for the same input array: sharedFrames holds)
      data.add(x ? { ...s, frames: x(s.frames) } : s);
      folded?.add(s);
    },
    heap() {
      throw new Error('a CPU importer produced a heap profile');
    },
    line: folded ? l => folded.line(l) : undefined,
    warn(m) {
      if (data.warnings.length < 50) data.warnings.push(m);
      opts.onWarning?.(m);
    },
    bytes(b) {
      bytes = b;
      if (opts.onProgress && b - lastReport >= 4 << 20) {
        lastReport = b;
        opts.onProgress({
          bytesRead: b,
          bytesTotal: format === 'perf-data' ? undefined : size,
          samples,
        });
      }
    },
  };
  const { lines, gzip } = await importer.import(file, sink, {
    signal: opts.signal,
    perf: opts.perf,
    head,
  });
  if (samples === 0)
    throw new ProfileInputError(
      `${file}: no samples found (${lines} lines read). Record with \`perf record -g --call-graph dwarf\` and export with \`perf script\`.`,
    );
  opts.onProgress?.({
    bytesRead: bytes,
    bytesTotal: format === 'perf-data' ? undefined : size,
    samples,
  });
  return { data, format, gzip, bytes, lines, folded };
}

/** How `runPerfScript` hands over perf script's output: decoded lines, or bytes (see `streamLineBytes`). */
export type LineReader =
  | { readonly text: (line: string) => void }
  | {
      readonly bytes: (buf: Buffer, start: number, end: number) => number;
      readonly last: (buf: Buffer, start: number, end: number) => void;
    };

/** Runs `perf script` on a perf.data file (argument array, no shell) and streams its output. */
export function runPerfScript(
  file: string,
  perf: string,
  onLine: ((l: string) => void) | LineReader,
  opts: { signal?: AbortSignal; onBytes?: (n: number) => void; onWarning?: (m: string) => void },
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new CancelledError());
    const child = spawn(perf, [...PERF_SCRIPT_ARGS, '-i', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 16384) stderr += c.toString('utf8');
    });
    let spawnError: Error | undefined;
    child.on('error', e => {
      spawnError =
        (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? new ProfileInputError(
              `\`${perf}\` was not found: reading perf.data needs Linux perf (Debian/Ubuntu: apt-get install linux-perf / linux-tools-$(uname -r)). Or run \`perf script -F ${PERF_SCRIPT_ARGS[2]} --full-source-path > profile.txt\` where perf is installed and import the text.`,
            )
          : new ProfileInputError(`cannot run ${perf}: ${e.message}`);
    });
    const exited = new Promise<number | null>(r => {
      child.on('close', code => r(code));
      child.on('error', () => r(-1));
    });
    const kill = () => child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', kill, { once: true });
    const reader: LineReader = typeof onLine === 'function' ? { text: onLine } : onLine;
    const lineOpts = { signal: opts.signal, onBytes: opts.onBytes, what: `perf script -i ${file}` };
    ('text' in reader
      ? streamLines(child.stdout, reader.text, lineOpts)
      : streamLineBytes(child.stdout, reader.bytes, reader.last, lineOpts)
    ).then(
      async () => {
        const code = await exited;
        opts.signal?.removeEventListener('abort', kill);
        if (spawnError) return reject(spawnError);
        if (code !== 0) {
          const msg = stderr
            .trim()
            .split('\n')
            .filter(l => l.trim())
            .slice(-3)
            .join(' / ');
          return reject(
            new ProfileInputError(
              `perf script failed on ${file} (exit ${code}): ${msg || 'no message'}`,
            ),
          );
        }
        for (const w of perfWarnings(stderr)) opts.onWarning?.(`perf: ${w}`);
        resolve();
      },
      async e => {
        kill();
        opts.signal?.removeEventListener('abort', kill);
        await exited;
        reject(spawnError ?? e);
      },
    );
  });
}

/**
 * perf's warnings from its stderr. perf prints `Warning:` alone on a line and the text on the
 * next lines (`Processed 1234 events and lost 5 chunks!`): keep that text, up to a blank line.
 */
export function perfWarnings(stderr: string): string[] {
  const out: string[] = [];
  let cur: string[] | undefined;
  for (const raw of stderr.split('\n')) {
    const l = raw.trim();
    const head = /^(?:Warning|warning):/.exec(l);
    if (head) {
      if (cur) out.push(cur.join(' '));
      cur = [l];
    } else if (cur && l.length > 0) cur.push(l);
    else if (cur) {
      out.push(cur.join(' '));
      cur = undefined;
    }
  }
  if (cur) out.push(cur.join(' '));
  return out.filter(w => w.length > 'Warning:'.length);
}
