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
import { HeapProfile } from './model';

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

interface PendingPp {
  fs: number[];
  c: { bytes: number; blocks: number; lifetime: number; maxBytes: number; peakBytes: number; peakBlocks: number; endBytes: number; endBlocks: number; reads: number; writes: number };
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export interface StreamOptions {
  readonly signal?: AbortSignal;
  readonly onBytes?: (bytesRead: number) => void;
}

export async function importDhat(file: string, gzip: boolean, opts: StreamOptions = {}): Promise<HeapProfile> {
  const heap = new HeapProfile('dhat');
  const header: Record<string, unknown> = {};
  const pending: PendingPp[] = [];
  const ftblIds: number[] = [];
  let sawVersion = false;
  const what = file;
  const parser = new JsonObjectStream(new Set(['pps', 'ftbl']), {
    member(k, v) {
      header[k] = v;
      if (k === 'dhatFileVersion') {
        sawVersion = true;
        if (v !== 2) throw new ProfileInputError(`${what}: dhatFileVersion ${JSON.stringify(v)} is not supported (Alloc Lens reads version 2, written by valgrind ≥ 3.15 and dhat-rs)`);
      }
      if (k === 'mode' && v !== 'heap') throw new ProfileInputError(`${what}: a DHAT ${JSON.stringify(v)}-mode profile; only heap mode (the default, \`valgrind --tool=dhat\` without --mode) has allocation sites`);
    },
    element(k, v, i) {
      if (!sawVersion) throw new ProfileInputError(`${what}: "${k}" before dhatFileVersion; not a DHAT file`);
      if (k === 'pps') {
        const p = v as Record<string, unknown>;
        if (!p || typeof p !== 'object' || !Array.isArray(p.fs)) throw new ProfileInputError(`${what}: program point ${i} has no "fs" frame list`);
        pending.push({
          fs: p.fs as number[],
          c: { bytes: num(p.tb), blocks: num(p.tbk), lifetime: num(p.tl), maxBytes: num(p.mb), peakBytes: num(p.gb), peakBlocks: num(p.gbk), endBytes: num(p.eb), endBlocks: num(p.ebk), reads: num(p.rb), writes: num(p.wb) },
        });
      } else {
        const f = parseDhatFrame(typeof v === 'string' ? v : String(v));
        ftblIds[i] = i === 0 && v === '[root]' ? -1 : heap.frame(f.name, f.file, f.line, f.object);
      }
    },
  }, what);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const src = gzip ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
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
  if (ftblIds.length === 0 && pending.length > 0) throw new ProfileInputError(`${what}: DHAT file without a frame table (ftbl)`);
  const bklt = header.bklt !== false;
  heap.measures.add('bytes').add('blocks').add('peakBytes');
  if (bklt) heap.measures.add('endBytes').add('lifetime');
  if (header.bkacc === true) heap.measures.add('access');
  heap.timeUnit = typeof header.tu === 'string' ? header.tu : '';
  heap.command = typeof header.cmd === 'string' ? header.cmd : undefined;
  if (typeof header.te === 'number') heap.duration = header.te;
  let badRefs = 0;
  for (const p of pending) {
    const frames: number[] = [];
    for (const i of p.fs) {
      const id = ftblIds[i];
      if (id === undefined) badRefs++;
      else if (id >= 0) frames.push(id);
    }
    heap.add(frames, p.c);
    heap.peakTotal += p.c.peakBytes;
  }
  if (badRefs > 0) heap.warn(`${badRefs} frame references point outside the frame table; those frames were dropped`);
  return heap;
}
