/**
 * heaptrack files (`heaptrack.<app>.<pid>.zst` or `.gz`, the interpreted text format, file
 * versions 1 to 3). Lines (indices in hex): `s <len> <text>` string #1, #2, ...;
 * `i <ip> <module> [<fn> <file> <line>]...` instruction pointer #1, ... (first frame innermost,
 * then the functions it is inlined into); `t <ip> <parent trace>` trace #1, ... (0 = root);
 * `a <size> <trace>` allocation info #0, ...; `+ <info>` an allocation; `- <info>` a free;
 * `c <ms>` time (file version 3 prefixes strings with their length: `s <len> <text>`). Two streamed passes: the first counts and finds the moment of the global peak,
 * the second replays the +/- lines up to it to get what each site held then.
 */
import { demangle } from '../demangle';
import { ProfileInputError } from '../source';
import { compressedLines, type Compression, type StreamOptions } from './compressed';
import { HeapProfile } from './model';

export { compressionOf, type Compression } from './compressed';

interface Ip {
  /** Flattened [fn, file, line] triples (string ids), innermost first. */
  frames: number[];
  module: number;
}

const hex = (s: string) => parseInt(s, 16);

export async function importHeaptrack(
  file: string,
  comp: Compression,
  opts: StreamOptions = {},
): Promise<HeapProfile> {
  const heap = new HeapProfile('heaptrack');
  const strings: string[] = [''];
  const ips: (Ip | undefined)[] = [undefined];
  const traceIp: number[] = [0];
  const traceParent: number[] = [0];
  const size: number[] = [];
  const trace: number[] = [];
  const allocs: number[] = [];
  const frees: number[] = [];
  const temporary: number[] = [];
  let version = -1;
  let lineNo = 0;
  let live = 0;
  let peak = 0;
  /** Index of the +/- event at which the global peak was first reached. */
  let peakEvent = -1;
  let event = 0;
  let lastAlloc = -1;
  let rawFormat = false;
  let firstMs = -1;
  let lastMs = 0;
  let bad = 0;
  await compressedLines(
    file,
    comp,
    line => {
      lineNo++;
      if (line.length < 2) return;
      const k = line.charCodeAt(0);
      if (k === 43 /* + */) {
        const a = hex(line.slice(2));
        if (!(a < size.length))
          return void (
            bad++ < 5 && heap.warn(`line ${lineNo}: allocation of unknown info ${line.slice(2)}`)
          );
        allocs[a]++;
        live += size[a];
        event++;
        lastAlloc = a;
        if (live > peak) {
          peak = live;
          peakEvent = event;
        }
        return;
      }
      if (k === 45 /* - */) {
        const a = hex(line.slice(2));
        if (!(a < size.length)) return;
        frees[a]++;
        live -= size[a];
        event++;
        if (lastAlloc === a) temporary[a]++;
        lastAlloc = -1;
        return;
      }
      const sp = line.indexOf(' ');
      const rest = line.slice(sp + 1);
      switch (line[0]) {
        case 's':
          // File version 3 writes `s <hex length> <text>`; older ones the text alone.
          strings.push(version >= 3 ? rest.slice(rest.indexOf(' ') + 1) : rest);
          break;
        case 'i': {
          const p = rest.split(' ');
          const frames: number[] = [];
          // `i ip module fn` (no file) happens for symbols without line info.
          for (let j = 2; j < p.length; j += 3)
            frames.push(hex(p[j]), p[j + 1] ? hex(p[j + 1]) : 0, p[j + 2] ? hex(p[j + 2]) : 0);
          ips.push({ frames, module: hex(p[1]) });
          break;
        }
        case 't': {
          const p = rest.split(' ');
          traceIp.push(hex(p[0]));
          traceParent.push(hex(p[1]));
          break;
        }
        case 'a': {
          const p = rest.split(' ');
          size.push(hex(p[0]));
          trace.push(hex(p[1]));
          allocs.push(0);
          frees.push(0);
          temporary.push(0);
          break;
        }
        case 'c': {
          const ms = hex(rest);
          if (firstMs < 0) firstMs = ms;
          lastMs = ms;
          break;
        }
        case 'v': {
          const p = rest.split(' ');
          version = p.length > 1 ? hex(p[1]) : 1;
          if (version < 1 || version > 3)
            throw new ProfileInputError(
              `${file}: heaptrack file version ${version} is not supported (Alloc Lens reads versions 1 to 3, written by heaptrack 1.0 and later)`,
            );
          break;
        }
        case 'X':
          heap.command = rest;
          break;
        case 'm':
          rawFormat = true;
          break;
        default:
          break;
      }
      if (lineNo === 1 && line[0] !== 'v')
        throw new ProfileInputError(
          `${file}: not a heaptrack file (the first line should be \`v <version> <file version>\`, got ${JSON.stringify(line.slice(0, 40))})`,
        );
    },
    opts,
  );
  if (lineNo === 0) throw new ProfileInputError(`${file}: empty heaptrack file`);
  if (rawFormat)
    throw new ProfileInputError(
      `${file}: an uninterpreted (raw) heaptrack file without symbols; run \`heaptrack_interpret < raw > interpreted\` on the machine that recorded it, or record without --raw`,
    );
  let symbolized = 0;
  for (const ip of ips) if (ip && ip.frames.length > 0 && ip.frames[0] > 0) symbolized++;
  if (ips.length > 1 && symbolized === 0) {
    throw new ProfileInputError(
      `${file}: heaptrack file without symbols (none of its ${ips.length - 1} code addresses has a function name). Build with debug info (\`debug = true\` in [profile.release]) and do not strip the binary, then record again`,
    );
  }
  // The second pass: live blocks of each info at the peak event.
  const peakLive = new Array<number>(size.length).fill(0);
  if (peakEvent > 0) {
    let ev = 0;
    await compressedLines(
      file,
      comp,
      line => {
        const k = line.charCodeAt(0);
        if (k !== 43 && k !== 45) return;
        const a = hex(line.slice(2));
        if (!(a < size.length)) return;
        peakLive[a] += k === 43 ? 1 : -1;
        return ++ev < peakEvent;
      },
      { signal: opts.signal },
    );
  }
  // Frames: one per (function, file, line) of each ip, innermost first.
  const ipFrames = new Map<number, number[]>();
  const framesOfIp = (i: number): number[] => {
    let f = ipFrames.get(i);
    if (f) return f;
    f = [];
    const ip = ips[i];
    if (ip) {
      const obj = strings[ip.module] || undefined;
      if (ip.frames.length === 0) f.push(heap.frame('[unknown]', undefined, undefined, obj));
      for (let j = 0; j < ip.frames.length; j += 3) {
        const raw = strings[ip.frames[j]] ?? '';
        const name = raw === '' ? '[unknown]' : demangle(raw);
        f.push(
          heap.frame(
            name,
            strings[ip.frames[j + 1]] || undefined,
            ip.frames[j + 2] || undefined,
            obj,
          ),
        );
      }
    }
    ipFrames.set(i, f);
    return f;
  };
  const stackCache = new Map<number, number[]>();
  const stackOf = (t: number): number[] => {
    const hit = stackCache.get(t);
    if (hit) return hit;
    const out: number[] = [];
    let guard = 0;
    for (let cur = t; cur > 0 && cur < traceIp.length && guard++ < 4096; cur = traceParent[cur])
      out.push(...framesOfIp(traceIp[cur]));
    stackCache.set(t, out);
    return out;
  };
  for (let a = 0; a < size.length; a++) {
    if (allocs[a] === 0 && peakLive[a] === 0) continue;
    const leaked = Math.max(0, allocs[a] - frees[a]);
    const s = size[a];
    heap.add(stackOf(trace[a]), {
      bytes: s * allocs[a],
      blocks: allocs[a],
      peakBytes: s * Math.max(0, peakLive[a]),
      peakBlocks: Math.max(0, peakLive[a]),
      endBytes: s * leaked,
      endBlocks: leaked,
      temporary: temporary[a],
    });
  }
  heap.peakTotal = peak;
  heap.measures.add('bytes').add('blocks').add('peakBytes').add('endBytes').add('temporary');
  heap.timeUnit = 'ms';
  if (firstMs >= 0) heap.duration = lastMs - firstMs;
  return heap;
}
