#!/usr/bin/env node
// Records the three real programs of examples/realprof (tokio service, serde_json + regex batch
// job, rayon pipeline) with perf, with `--call-graph dwarf` and with `-g` (a frame-pointer
// build), exports each with and without srcline, and computes the ground truth independently of
// Alloc Lens: `perf script --no-inline --no-demangle` stacks, symbol addresses from `nm`, source
// lines from `addr2line -i` on the unstripped binaries (return address - 1 for callers).
// Writes test/fixtures/realprof/<prog>-<dwarf|fp>-<srcline|nosrcline>.perf-script.txt.gz and
// <prog>-<dwarf|fp>.truth.json, and <prog>-<dwarf|fp>.addr2line.txt.gz (addr2line -i on
// every program address, replayed by the tests). Usage: npm run measure:recordings
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const crate = join(repo, 'examples', 'realprof');
const out = join(repo, 'test', 'fixtures', 'realprof');
const tmp = mkdtempSync(join(tmpdir(), 'alloc-lens-realprof-'));
const PROGS = { service: '60000', batch: '200000', pipeline: '40000' };
const FREQ = process.env.REALPROF_FREQ ?? '999';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30, encoding: 'utf8', ...opts });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${(r.stderr ?? '').slice(-2000)}`);
  return r.stdout;
}

function build() {
  run('cargo', ['build', '--release', '--offline'], { cwd: crate, stdio: 'inherit' });
  run('cargo', ['build', '--release', '--offline'], {
    cwd: crate,
    stdio: 'inherit',
    env: {
      ...process.env,
      CARGO_TARGET_DIR: join(crate, 'target', 'fp'),
      RUSTFLAGS: '-C force-frame-pointers=yes',
    },
  });
}

/** `perf script` text with paths made crate-relative (the same on every machine). */
function relative(text) {
  return text.split(`${crate}/`).join('').split(`${repo}/`).join('');
}

// ---- ground truth (independent of src/profile) ----
// glibc names its entry points __GI___libc_malloc etc. in perf output; sysmalloc, malloc_consolidate,
// tcache_init and unlink_chunk are malloc/free internals. rustc >= 1.9x names its shims
// __rustc::__rust_alloc etc. (alloc::alloc::alloc calls __rust_no_alloc_shim_is_unstable_v2 first);
// RawVec's generic arguments may nest (RawVec<alloc::vec::Vec<u8>>::grow_one).
const ALLOC =
  /^(?:__GI_|__rustc::)?(?:__rust_no_alloc_shim_is_unstable|__libc_malloc|malloc|calloc|realloc|_int_malloc|_int_realloc|__libc_calloc|__libc_realloc|sysmalloc|malloc_consolidate|tcache_init|__rust_alloc|__rust_alloc_zeroed|__rust_realloc|__rdl_alloc|__rdl_realloc|alloc::alloc::(?!dealloc)|<?alloc::raw_vec::(?:finish_grow|RawVec(?:Inner)?(?:<.*>)?>?::(?:grow|reserve|try_allocate|allocate|with_capacity))|<alloc::alloc::Global as core::alloc::Allocator>::(?:allocate|grow))/;
const FREE =
  /^(?:__GI_|__rustc::)?(?:free|cfree|__libc_free|_int_free|unlink_chunk|munmap_chunk|__rust_dealloc|__rdl_dealloc|alloc::alloc::dealloc)/;
const COPY = /^(?:__)?mem(?:cpy|move)/;
const REHASH = /::(?:reserve_rehash|rehash_in_place|resize)$/;

function groundTruth(bin, data, srcDir) {
  const text = run('perf', [
    'script',
    '-i',
    data,
    '-F',
    'comm,tid,time,event,ip,sym,symoff,dso',
    '--no-inline',
    '--no-demangle',
  ]);
  const syms = new Map();
  for (const l of run('nm', [bin]).split('\n')) {
    const m = /^([0-9a-f]+) [tTwW] (\S+)$/.exec(l);
    if (m && !syms.has(m[2])) syms.set(m[2], parseInt(m[1], 16));
  }
  const samples = [];
  let cur;
  for (const l of text.split('\n')) {
    if (l.length === 0) continue;
    if (!/^\s/.test(l)) {
      cur = [];
      samples.push(cur);
      continue;
    }
    const m = /^\s*([0-9a-f]+) (.*?)(?:\+0x([0-9a-f]+))? \((.*)\)$/.exec(l);
    if (!m || !cur) continue;
    cur.push({ sym: m[2], off: m[3] ? parseInt(m[3], 16) : undefined, dso: m[4] });
  }
  // addresses inside the program -> addr2line -i (innermost first)
  const addrs = new Set();
  for (const s of samples) {
    s.forEach((f, i) => {
      if (f.dso === bin && syms.has(f.sym) && f.off !== undefined) {
        f.addr = syms.get(f.sym) + f.off - (i > 0 ? 1 : 0);
        addrs.add(f.addr);
      }
    });
  }
  const list = [...addrs];
  const a2l = run('addr2line', ['-i', '-f', '-C', '-a', '-e', bin], {
    input: list.map(a => `0x${a.toString(16)}`).join('\n'),
  });
  const locs = new Map();
  let key;
  const lines = a2l.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (/^0x[0-9a-f]+$/.test(lines[i])) {
      key = parseInt(lines[i], 16);
      locs.set(key, []);
    } else if (key !== undefined && lines[i] && i + 1 < lines.length) {
      const fn = lines[i];
      const loc = lines[++i].replace(/ \(discriminator \d+\)$/, '');
      const c = loc.lastIndexOf(':');
      locs.get(key).push({ fn, file: loc.slice(0, c), line: Number(loc.slice(c + 1)) });
    }
  }
  const counts = new Map();
  const fnCounts = new Map();
  const t = {
    samples: samples.length,
    withWorkspaceFrame: 0,
    alloc: 0,
    free: 0,
    copy: 0,
    rehash: 0,
  };
  for (const s of samples) {
    let user;
    let userFn;
    let k = -1;
    for (let i = 0; i < s.length && !user; i++) {
      const chain = s[i].addr !== undefined ? (locs.get(s[i].addr) ?? []) : [];
      for (const loc of chain) {
        if (loc.file.startsWith(`${srcDir}/`) && loc.line > 0) {
          user = `${loc.file.slice(crate.length + 1)}:${loc.line}`;
          // the physical function of that frame (what perf names without srcline)
          userFn = chain.at(-1).fn;
          k = i;
          break;
        }
      }
    }
    const end = user ? k : s.length;
    let kind = 'other';
    for (let i = 0; i < end; i++) {
      const f = s[i];
      const name = f.addr !== undefined ? (locs.get(f.addr)?.at(-1)?.fn ?? f.sym) : f.sym;
      const bare = name.replace(/@.*$/, '');
      if (REHASH.test(bare) && bare.includes('hashbrown')) {
        if (kind === 'other') kind = 'rehash';
        break;
      }
      if (COPY.test(bare)) kind = 'copy';
      else if (FREE.test(bare)) kind = 'free';
      else if (ALLOC.test(bare)) kind = 'alloc';
    }
    if (kind !== 'other') t[kind]++;
    if (!user) continue;
    t.withWorkspaceFrame++;
    const c = counts.get(user) ?? { alloc: 0, copy: 0, free: 0 };
    if (kind === 'alloc' || kind === 'copy' || kind === 'free') c[kind]++;
    counts.set(user, c);
    const fc = fnCounts.get(userFn) ?? { alloc: 0, copy: 0, free: 0 };
    if (kind === 'alloc' || kind === 'copy' || kind === 'free') fc[kind]++;
    fnCounts.set(userFn, fc);
  }
  const topFn = k =>
    [...fnCounts]
      .filter(([, c]) => c[k] > 0)
      .sort((a, b) => b[1][k] - a[1][k] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 5)
      .map(([f, c]) => ({ function: f, samples: c[k] }));
  const top = k =>
    [...counts]
      .filter(([, c]) => c[k] > 0)
      .sort((a, b) => b[1][k] - a[1][k] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 5)
      .map(([l, c]) => ({ line: l, samples: c[k] }));
  return {
    ...t,
    shares: { alloc: t.alloc / t.samples, copy: t.copy / t.samples, free: t.free / t.samples },
    topCopy: top('copy'),
    topAlloc: top('alloc'),
    topCopyFn: topFn('copy'),
    topAllocFn: topFn('alloc'),
  };
}

/**
 * addr2line's inline chains for every program address of a recording (perf's ip and ip - 1), so
 * the tests can replay the expansion Alloc Lens runs on the binary (later builds do not reproduce
 * it byte for byte). perf prints a PIE's addresses as file offsets: they go to addr2line as
 * virtual addresses (PT_LOAD segments from readelf) and are printed back as perf's numbers.
 */
function chainsFor(bin, perfText) {
  const loads = [];
  for (const m of run('readelf', ['-lW', bin]).matchAll(
    /^\s*LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)/gm,
  )) {
    loads.push({ off: parseInt(m[1], 16), vaddr: parseInt(m[2], 16), size: parseInt(m[3], 16) });
  }
  const pie = /Type:\s+DYN/.test(run('readelf', ['-hW', bin]));
  const toVaddr = ip => {
    if (!pie) return ip;
    const l = loads.find(l => ip >= l.off && ip < l.off + l.size);
    return l ? ip - l.off + l.vaddr : ip;
  };
  const back = new Map();
  for (const m of perfText.matchAll(/^\s*([0-9a-f]+) .* \((.*)\)$/gm)) {
    if (m[2] !== bin) continue;
    const ip = parseInt(m[1], 16);
    for (const a of [ip, ip - 1]) back.set(toVaddr(a), a);
  }
  const a2l = run('addr2line', ['-i', '-f', '-C', '-a', '-e', bin], {
    input: [...back.keys()].map(a => `0x${a.toString(16)}`).join('\n'),
  });
  return a2l.replace(
    /^0x([0-9a-f]+)$/gm,
    (_, h) => `0x${back.get(parseInt(h, 16)).toString(16).padStart(16, '0')}`,
  );
}

try {
  if (!process.env.REALPROF_NOBUILD) build();
  mkdirSync(out, { recursive: true });
  const only = process.env.REALPROF_ONLY; // e.g. `service:dwarf` (to redo one recording)
  for (const [prog, arg] of Object.entries(PROGS)) {
    for (const mode of ['dwarf', 'fp']) {
      if (only && only !== `${prog}:${mode}`) continue;
      const bin = join(crate, 'target', ...(mode === 'fp' ? ['fp', 'release'] : ['release']), prog);
      const data = join(tmp, `${prog}-${mode}.data`);
      const cg = mode === 'fp' ? ['-g'] : ['--call-graph', 'dwarf,16384'];
      run('perf', ['record', '-q', '-F', FREQ, ...cg, '-o', data, '--', bin, arg]);
      const fields = 'comm,pid,tid,time,period,event,ip,sym,dso';
      const withSrc = run('perf', [
        'script',
        '-i',
        data,
        '-F',
        `${fields},srcline`,
        '--full-source-path',
        '--header',
      ]);
      const noSrc = run('perf', ['script', '-i', data, '-F', fields, '--no-inline', '--header']);
      writeFileSync(
        join(out, `${prog}-${mode}-srcline.perf-script.txt.gz`),
        gzipSync(relative(withSrc), { level: 9 }),
      );
      writeFileSync(
        join(out, `${prog}-${mode}-nosrcline.perf-script.txt.gz`),
        gzipSync(relative(noSrc), { level: 9 }),
      );
      const truth = groundTruth(bin, data, join(crate, 'src'));
      writeFileSync(
        join(out, `${prog}-${mode}.addr2line.txt.gz`),
        gzipSync(relative(chainsFor(bin, noSrc)), { level: 9 }),
      );
      writeFileSync(
        join(out, `${prog}-${mode}.truth.json`),
        `${JSON.stringify({ program: prog, mode, frequency: Number(FREQ), ...truth }, null, 2)}\n`,
      );
      console.log(
        `${prog} ${mode}: ${truth.samples} samples, ${truth.withWorkspaceFrame} with a workspace frame, copy ${truth.copy}, alloc ${truth.alloc}, rehash ${truth.rehash}`,
      );
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
