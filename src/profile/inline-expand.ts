/**
 * Inline expansion from the program's own binary. `perf record -g` stacks (and `perf script
 * --no-inline`) give one frame per return address, named by the physical function; when the
 * workspace code was inlined into a dependency's function (rayon's `bridge_producer_consumer`
 * running a `.map(smooth)` closure), no frame names it. `addr2line -i` on the unstripped binary
 * recovers the inline chain of each address, as the ground truth does (return address - 1 for
 * callers). Used only for binaries inside the workspace, and only for addresses whose physical
 * function agrees with perf's symbol (a rebuilt binary whose code moved is not trusted).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { demangle } from './demangle';
import type { RawFrame } from './types';

export interface InlineLoc {
  /** Function (demangled by addr2line -C). */
  readonly fn: string;
  readonly file: string;
  readonly line: number;
}

/** Share of resolved addresses whose physical function must agree with perf's symbol. */
const MIN_AGREEMENT = 0.9;

/** At most this many addresses go to addr2line (a huge recording keeps its first ones). */
const MAX_ADDRS = 200_000;

/**
 * `addr2line -i -f -C -a -e bin` on `addrs`: the inline chain of each address, innermost first.
 * Spawned with an argument array; addresses go through stdin.
 */
export function addr2lineChains(
  bin: string,
  addrs: readonly number[],
  opts: { addr2line?: string; signal?: AbortSignal } = {},
): Promise<Map<number, InlineLoc[]>> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.addr2line ?? 'addr2line', ['-i', '-f', '-C', '-a', '-e', bin], {
      stdio: ['pipe', 'pipe', 'ignore'],
      shell: false,
      signal: opts.signal,
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.on('error', reject);
    child.stdin.on('error', () => undefined);
    child.on('close', code => {
      if (code !== 0) return reject(new Error(`addr2line exited with ${code}`));
      resolve(parseAddr2line(Buffer.concat(out).toString('utf8')));
    });
    child.stdin.end(addrs.map(a => `0x${a.toString(16)}`).join('\n') + '\n');
  });
}

/** Parses `addr2line -a -i -f` output: `0xADDR`, then `fn` / `file:line` pairs. */
export function parseAddr2line(text: string): Map<number, InlineLoc[]> {
  const locs = new Map<number, InlineLoc[]>();
  const lines = text.split('\n');
  let cur: InlineLoc[] | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith('0x') && /^0x[0-9a-f]+$/.test(l)) {
      cur = [];
      locs.set(parseInt(l, 16), cur);
      continue;
    }
    if (!cur || l.length === 0 || i + 1 >= lines.length) continue;
    const fn = l;
    let loc = lines[++i];
    const disc = loc.indexOf(' (discriminator ');
    if (disc > 0) loc = loc.slice(0, disc);
    const c = loc.lastIndexOf(':');
    const line = c > 0 ? Number(loc.slice(c + 1)) : NaN;
    cur.push({ fn, file: c > 0 ? loc.slice(0, c) : loc, line: Number.isFinite(line) ? line : 0 });
  }
  return locs;
}

/** `name` without rustc's `::h<16 hex>` hash and whitespace, for comparing perf's and addr2line's names. */
function norm(name: string): string {
  return name.replace(/::h[0-9a-f]{16}$/, '').replace(/\s+/g, '');
}

/** The workspace binaries among the DSOs of a recording (absolute, or relative to the root). */
export function workspaceBinaries(dsos: Iterable<string>, root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const dso of dsos) {
    if (dso.startsWith('[') || dso.length === 0) continue;
    const abs = path.isAbsolute(dso) ? dso : path.resolve(root, dso);
    const rel = path.relative(root, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
    try {
      const st = fs.statSync(abs);
      if (!st.isFile()) continue;
      const fd = fs.openSync(abs, 'r');
      const head = Buffer.alloc(4);
      fs.readSync(fd, head, 0, 4, 0);
      fs.closeSync(fd);
      if (head.toString('latin1') === '\x7fELF') out.set(dso, abs);
    } catch {
      // not readable: no expansion
    }
  }
  return out;
}

/** Inline chains of addresses of a binary (default: `addr2line`; tests replay recorded output). */
export type ChainSource = (
  bin: string,
  addrs: readonly number[],
) => Promise<Map<number, InlineLoc[]>>;

/**
 * perf prints the addresses of a position-independent binary (ET_DYN: PIE, shared objects) as
 * file offsets (`ip - map start + map pgoff`); addr2line wants virtual addresses. The PT_LOAD
 * segments of the ELF file give the mapping (identity for ET_EXEC and for anything unreadable).
 */
export function elfOffsetToVaddr(file: string): (ip: number) => number {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const h = Buffer.alloc(64);
      fs.readSync(fd, h, 0, 64, 0);
      // ELF64 little-endian only (x86-64, aarch64)
      if (
        h.toString('latin1', 0, 4) !== '\x7fELF' ||
        h[4] !== 2 ||
        h[5] !== 1 ||
        h.readUInt16LE(16) !== 3
      )
        return ip => ip;
      const phoff = Number(h.readBigUInt64LE(32));
      const phentsize = h.readUInt16LE(54);
      const phnum = Math.min(h.readUInt16LE(56), 256);
      const ph = Buffer.alloc(phentsize * phnum);
      fs.readSync(fd, ph, 0, ph.length, phoff);
      const loads: { off: number; vaddr: number; size: number }[] = [];
      for (let i = 0; i < phnum; i++) {
        const b = i * phentsize;
        if (ph.readUInt32LE(b) !== 1) continue; // PT_LOAD
        loads.push({
          off: Number(ph.readBigUInt64LE(b + 8)),
          vaddr: Number(ph.readBigUInt64LE(b + 16)),
          size: Number(ph.readBigUInt64LE(b + 32)),
        });
      }
      return ip => {
        for (const l of loads) if (ip >= l.off && ip < l.off + l.size) return ip - l.off + l.vaddr;
        return ip;
      };
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return ip => ip;
  }
}

export interface Expansion {
  /** Addresses resolved, and those whose physical function agreed with perf's symbol. */
  readonly resolved: number;
  readonly agreed: number;
  /** False when too few addresses agree: the binary is not the one recorded (`expand` is then the identity). */
  readonly usable: boolean;
  /** Replaces each frame in a workspace binary by its inline chain (the same array object for the same input array). */
  expand(frames: readonly RawFrame[]): readonly RawFrame[];
}

/**
 * Builds the expansion for the frames of `bins` seen in a recording (`ips`: dso -> RawFrames).
 * Frame i of a stack is looked up at its address (i = 0, the leaf) or address - 1 (callers:
 * a return address is the instruction after the call).
 */
export async function buildExpansion(
  bins: Map<string, string>,
  frames: Map<string, RawFrame[]>,
  opts: {
    addr2line?: string;
    signal?: AbortSignal;
    chains?: ChainSource;
    minAgreement?: number;
  } = {},
): Promise<Expansion | undefined> {
  // undefined: nothing could be resolved (no addr2line, no address in the binaries)
  const chains = new Map<string, Map<number, InlineLoc[]>>();
  const symOf = new Map<string, Map<number, string>>();
  const vaddrOf = new Map<string, (ip: number) => number>();
  let resolved = 0;
  let agreed = 0;
  let budget = MAX_ADDRS;
  for (const [dso, abs] of bins) {
    const fs0 = frames.get(dso);
    if (!fs0) continue;
    const addrs = new Set<number>();
    const syms = new Map<number, string>();
    const toVaddr = opts.chains ? (ip: number) => ip : elfOffsetToVaddr(abs);
    vaddrOf.set(dso, toVaddr);
    for (const f of fs0) {
      if (f.ip === undefined || !/^[0-9a-fA-F]{1,16}$/.test(f.ip)) continue;
      const a = toVaddr(parseInt(f.ip, 16));
      if (!Number.isSafeInteger(a) || a <= 0) continue;
      for (const x of [a, a - 1]) {
        if (budget <= 0 || addrs.has(x)) continue;
        addrs.add(x);
        syms.set(x, f.sym);
        budget--;
      }
    }
    if (addrs.size === 0) continue;
    let m: Map<number, InlineLoc[]>;
    try {
      m = await (opts.chains
        ? opts.chains(abs, [...addrs])
        : addr2lineChains(abs, [...addrs], opts));
    } catch {
      continue;
    }
    // keep only chains whose physical function is perf's symbol for that frame
    const ok = new Map<number, InlineLoc[]>();
    for (const [a, chain] of m) {
      if (chain.length === 0 || chain[chain.length - 1].fn === '??') continue;
      resolved++;
      const sym = syms.get(a);
      if (sym === undefined || norm(demangle(sym)) !== norm(chain[chain.length - 1].fn)) continue;
      agreed++;
      ok.set(a, chain);
    }
    chains.set(dso, ok);
    symOf.set(dso, syms);
  }
  // A binary rebuilt since the recording agrees on a few addresses by chance (functions that did
  // not move): unless nearly all agree, none is used.
  if (resolved === 0) return undefined;
  if (agreed === 0 || agreed < (opts.minAgreement ?? MIN_AGREEMENT) * resolved)
    return { resolved, agreed, usable: false, expand: f => f };
  const byKey = new Map<string, RawFrame[] | null>();
  const byArray = new WeakMap<readonly RawFrame[], readonly RawFrame[]>();
  const expandFrame = (f: RawFrame, caller: boolean): RawFrame[] | null => {
    if (f.dso === undefined || f.ip === undefined) return null;
    const m = chains.get(f.dso);
    if (!m) return null;
    const key = `${f.dso}\u0000${f.ip}\u0000${caller ? 1 : 0}\u0000${f.sym}`;
    let r = byKey.get(key);
    if (r !== undefined) return r;
    const a = vaddrOf.get(f.dso)!(parseInt(f.ip, 16)) - (caller ? 1 : 0);
    const chain = m.get(a);
    if (!chain) r = null;
    else {
      r = chain.map((loc, j) => {
        const last = j === chain.length - 1;
        const withLine = loc.file !== '??' && loc.line > 0;
        return {
          ip: f.ip,
          // the physical frame keeps perf's symbol and DSO (classification reads them)
          sym: last ? f.sym : loc.fn,
          dso: last ? f.dso : undefined,
          file: withLine ? loc.file : undefined,
          line: withLine ? loc.line : undefined,
          inlined: !last,
        };
      });
    }
    if (byKey.size < 1_000_000) byKey.set(key, r);
    return r;
  };
  return {
    resolved,
    agreed,
    usable: true,
    expand(frames) {
      const hit = byArray.get(frames);
      if (hit) return hit;
      let out: RawFrame[] | undefined;
      for (let i = 0; i < frames.length; i++) {
        // frames perf already expanded (srcline output's inline chains) stay as they are
        const f = frames[i];
        const e = f.inlined || (i > 0 && frames[i - 1].ip === f.ip) ? null : expandFrame(f, i > 0);
        if (e && !out) out = frames.slice(0, i);
        if (out) {
          if (e) out.push(...e);
          else out.push(frames[i]);
        }
      }
      const r = out ?? frames;
      byArray.set(frames, r);
      return r;
    },
  };
}
