/**
 * Fuzzing the static analysis (index + layout + rules) with mutated real Rust sources. Shared by
 * the unit test (test/unit/fuzz, a CI-sized budget) and `npm run measure:fuzz-analysis` (10,000+
 * files). Every mutation is reproducible from (seed, file index): failures print both.
 *
 * Checked per file: no exception escapes, CPU time <= 1 s, and no `exact` layout for the
 * injected types rustc rejects (names `FuzzBad*`; a sample of them is compiled with rustc to
 * confirm that rustc does reject them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { listRustFiles } from '../../src/core/index/crates';
import { buildIndexFromSources } from '../../src/core/index/workspace';
import { LayoutEngine } from '../../src/core/layout/engine';
import { defaultSettings } from '../../src/core/config/settings';
import { runRules } from '../../src/core/rules/run';
import { parseRust } from '../../src/core/parser';

/** mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

/** A type rustc rejects, named `FuzzBad<k>`: [source, a short description]. */
export function rejectedSnippet(r: Rand, k: number): [string, string] {
  const n = `FuzzBad${k}`;
  switch (int(r, 9)) {
    case 0: {
      const a = pick(r, [0, 3, 5, 6, 12, 24, 100, 1000, 2 ** 30, 2 ** 31]);
      return [`#[repr(align(${a}))] pub struct ${n} { a: u8 }`, `align(${a})`];
    }
    case 1: {
      const p = pick(r, [0, 3, 5, 7, 9, 48]);
      return [`#[repr(packed(${p}))] pub struct ${n} { a: u32, b: u8 }`, `packed(${p})`];
    }
    case 2: {
      const v = 1 + int(r, 1000);
      return [`pub struct ${n} { a: [u8; -${v}] }`, `[u8; -${v}]`];
    }
    case 3: {
      const [ty, max] = pick(r, [
        ['u8', 255n],
        ['i8', 127n],
        ['u16', 65535n],
        ['i16', 32767n],
      ] as const);
      return [`#[repr(${ty})] pub enum ${n} { A = ${max}, B }`, `${ty} discriminant overflow`];
    }
    case 4: {
      const [ty, max] = pick(r, [
        ['u8', 255n],
        ['i8', 127n],
        ['u16', 65535n],
      ] as const);
      return [
        `#[repr(${ty})] pub enum ${n} { A = ${max + 1n + BigInt(int(r, 100))} }`,
        `${ty} out of range`,
      ];
    }
    case 5:
      return [
        `const Z${k}: usize = ${int(r, 2) === 0 ? '0' : '1 - 1'};\npub struct ${n} { a: [u8; ${1 + int(r, 9)} / Z${k}] }`,
        'division by zero',
      ];
    case 6:
      return [
        `const C${k}A: usize = C${k}B + 1;\nconst C${k}B: usize = C${k}A;\npub struct ${n} { a: [u8; C${k}A] }`,
        'const cycle',
      ];
    case 7:
      return [
        `type FuzzAlias${k}A = Vec<FuzzAlias${k}B>;\ntype FuzzAlias${k}B = Option<FuzzAlias${k}A>;\npub struct ${n} { a: FuzzAlias${k}A }`,
        'alias cycle',
      ];
    default:
      return [
        `pub struct ${n}<T> { a: T, b: Option<${n}<(T, u8)>> }\npub struct ${n}Use { x: ${n}<u8> }`,
        'polymorphic recursion',
      ];
  }
}

const TOKEN = /[A-Za-z_]\w*|\d\w*|\s+|./gs;

function tokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** Mutation kinds with their weights: the 1 MB and 50k-line files cost ~0.5 s CPU each. */
const WEIGHTS: [string, number][] = [
  ['delete', 12],
  ['duplicate', 12],
  ['braces', 12],
  ['huge-array', 6],
  ['recursive', 6],
  ['rejected', 12],
  ['bytes', 8],
  ['generic-rec', 6],
  ['deep-type', 4],
  ['deep-expr', 4],
  ['deep-mod', 3],
  ['long-line', 1],
  ['many-lines', 1],
];
export const KINDS = WEIGHTS.map(w => w[0]);
const TOTAL = WEIGHTS.reduce((a, w) => a + w[1], 0);

function pickKind(r: Rand): string {
  let x = r() * TOTAL;
  for (const [k, w] of WEIGHTS) if ((x -= w) < 0) return k;
  return WEIGHTS[0][0];
}

/** One mutated file: the mutation's name, the text, the injected types rustc rejects. */
export function mutate(
  src: string,
  r: Rand,
  k: number,
  forced?: string,
): { kind: string; text: string; rejected: string[] } {
  const rejected: string[] = [];
  const kind = forced ?? pickKind(r);
  let text = src;
  switch (kind) {
    case 'delete':
    case 'duplicate': {
      const t = tokens(src);
      for (let j = 1 + int(r, 20); j > 0 && t.length; j--) {
        const i = int(r, t.length);
        if (kind === 'delete') t.splice(i, 1 + int(r, 3));
        else t.splice(i, 0, ...t.slice(i, i + 1 + int(r, 5)));
      }
      text = t.join('');
      break;
    }
    case 'braces': {
      const chars = ['{', '}', '(', ')', '<', '>', '[', ']', '"', "'", '/*', 'r#"'];
      const parts = [...src];
      for (let j = 1 + int(r, 10); j > 0; j--)
        parts.splice(int(r, parts.length + 1), int(r, 2), pick(r, chars));
      text = parts.join('');
      break;
    }
    case 'huge-array':
      text += `\npub struct FuzzHuge${k} { a: [u64; ${pick(r, ['1 << 61', 'usize::MAX', '1 << 40', '18446744073709551615', '99999999999999999999999'])}], b: [[u8; 1 << 40]; 1 << 30] }\n`;
      break;
    case 'recursive':
      text += `\npub struct FuzzRec${k} { a: u8, next: Option<FuzzRec${k}> }\npub enum FuzzList${k} { Nil, Cons(u8, FuzzList${k}) }\ntype FuzzT${k} = FuzzT${k};\n`;
      break;
    case 'rejected':
    case 'generic-rec': {
      for (let j = 0; j < 1 + int(r, 4); j++) {
        const [s] =
          kind === 'rejected'
            ? rejectedSnippet(r, k * 10 + j)
            : [
                `pub struct FuzzBad${k * 10 + j}<T> { a: T, b: Option<FuzzBad${k * 10 + j}<Option<T>>> }`,
              ];
        text += `\n${s}\n`;
        rejected.push(`FuzzBad${k * 10 + j}`);
      }
      break;
    }
    case 'long-line':
      // A 1 MB line: an array literal in a const, or a type.
      text +=
        int(r, 2) === 0
          ? `\npub const FUZZ_LONG${k}: [u8; 262144] = [${'1,'.repeat(262143)}1];\n`
          : `\npub struct FuzzWide${k} { a: (${'u8, '.repeat(25_000)}) } // ${'x'.repeat(1 << 20)}\n`;
      break;
    case 'many-lines': {
      const lines: string[] = [];
      // Real code repeated to 50,000 lines (about 1.5 MB for an average source file).
      const src0 = src.split('\n');
      for (let j = 0; j < 50_000; j++) lines.push(src0[j % src0.length]);
      text = lines.join('\n');
      break;
    }
    case 'bytes': {
      // What a non-UTF-8 file becomes when read as UTF-8, plus lone surrogates and NULs.
      const bytes = Buffer.from(src, 'utf8');
      for (let j = 1 + int(r, 50); j > 0; j--) bytes[int(r, bytes.length)] = 0x80 + int(r, 0x80);
      text = bytes.toString('utf8');
      const at = int(r, text.length + 1);
      text =
        text.slice(0, at) +
        pick(r, ['\uD800', '\uDFFF', '\0', '\uFEFF', '\u202E']) +
        text.slice(at);
      break;
    }
    case 'deep-type': {
      const d = pick(r, [150, 1000, 10_000]);
      const [o, c] = pick(r, [
        ['Option<', '>'],
        ['[', '; 1]'],
        ['(', ',)'],
        ['&', ''],
        ['Box<', '>'],
      ] as const);
      text += `\npub struct FuzzDeep${k} { a: ${o.repeat(d)}u8${c.repeat(d)} }\n`;
      if (o === 'Option<' || o === '[') rejected.push(`FuzzDeep${k}`);
      break;
    }
    case 'deep-expr': {
      const d = pick(r, [1000, 10_000]);
      const [o, c] = pick(r, [
        ['(', ')'],
        ['{', '}'],
        ['[', ']'],
        ['-', ''],
        ['!', ''],
      ] as const);
      text += `\npub fn fuzz_deep${k}() -> u32 { let _x = ${o.repeat(d)}1${c.repeat(d)}; 0 }\npub const FUZZ_C${k}: usize = ${'('.repeat(d)}1${')'.repeat(d)};\n`;
      break;
    }
    case 'deep-mod': {
      const d = pick(r, [1000, 10_000]);
      text += `\n${'mod m { '.repeat(d)}pub struct FuzzInner${k} { a: u8 }${' }'.repeat(d)}\n`;
      break;
    }
  }
  return { kind, text, rejected };
}

export interface FuzzOutcome {
  crashed?: string;
  cpuMs: number;
  wallMs: number;
  /** Injected rejected types reported `exact`. */
  falseExact: string[];
  types: number;
}

/** Index, lay out every type and run every rule on one file, as `alloc-lens check` would. */
export function analyseOne(text: string, rejected: string[]): FuzzOutcome {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const falseExact: string[] = [];
  let types = 0;
  let crashed: string | undefined;
  try {
    const index = buildIndexFromSources([{ path: '/fuzz/src/lib.rs', text }], {
      crateName: 'fuzz',
    });
    const engine = new LayoutEngine(index);
    const bad = new Set(rejected);
    for (const item of index.typeDefs()) {
      const l = engine.layoutOfItem(item);
      types++;
      if (bad.has(item.name) && l.status === 'exact')
        falseExact.push(`${item.name}: ${l.size} B exact`);
    }
    runRules(index, engine, defaultSettings());
  } catch (e) {
    crashed = (e as Error).stack ?? String(e);
  }
  const c = process.cpuUsage(c0);
  return {
    crashed,
    cpuMs: (c.user + c.system) / 1000,
    wallMs: performance.now() - w0,
    falseExact,
    types,
  };
}

/**
 * CPU time of a bare tree-sitter parse of `text` (no analysis), best of `runs`: the sanity
 * baseline for a slow file. On a loaded machine CPU time itself grows (cores shared with other
 * processes); analysis time over parse time does much less.
 */
export function parseCpuMs(text: string, runs = 2): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    parseRust(text);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000);
  }
  return best;
}

/** Seed sources: every .rs file under the roots, sorted (so a seed means the same files). */
export function seedFiles(roots: string[]): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const root of roots) {
    for (const f of listRustFiles(root).sort()) {
      const text = fs.readFileSync(f, 'utf8');
      if (text.length < 200_000) out.push({ file: path.relative(path.dirname(root), f), text });
    }
  }
  return out;
}

export interface FuzzReport {
  files: number;
  crashes: string[];
  slow: string[];
  falseExact: string[];
  maxCpuMs: number;
  byKind: Record<string, number>;
}

/**
 * The random source of file `k` of a run: derived from (seed, k) alone, so any file (or chunk of
 * files) is reproduced without replaying the ones before it.
 */
export function fileRng(seed: number, k: number): Rand {
  let h = Math.imul((seed ^ 0x85ebca6b) >>> 0, 0x9e3779b1) ^ Math.imul(k + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return rng((h ^ (h >>> 16)) >>> 0);
}

/** File `k` of the run with `seed`: its seed source and the mutation. */
export function fuzzCase(
  seeds: { file: string; text: string }[],
  seed: number,
  k: number,
): { id: string; src: string; kind: string; text: string; rejected: string[] } {
  const r = fileRng(seed, k);
  const src = seeds[int(r, seeds.length)];
  // The first files cover every kind once, so a small budget still meets each mutation.
  const m = mutate(src.text, r, k, k < KINDS.length ? KINDS[k] : undefined);
  return { id: `seed ${seed} #${k} ${m.kind} of ${src.file}`, src: src.file, ...m };
}

let gcFn: (() => void) | undefined;

/**
 * A collected heap between files, untimed. node-tree-sitter 0.22 frees a tree's native memory
 * (~6 MB for a 50k-line file) only in the N-API finalizer of its JS wrapper, which runs after a
 * GC *and* a turn of the event loop (Node 20 defers finalizers to setImmediate). V8 does not see
 * that native memory, so in a synchronous loop over files nothing was ever freed: the first
 * 10,000-file run grew by ~2.7 MB of RSS per file and died near file 9,400. A forced GC (here
 * every 4 MB of analysed text, in runFuzz) and a turn of the event loop keep RSS flat.
 */
export async function collectTrees(): Promise<void> {
  gcNow();
  await new Promise(resolve => setImmediate(resolve));
  await new Promise(resolve => setImmediate(resolve));
}

function gcNow(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    }
  }
  gcFn();
}

export interface FuzzRunOptions {
  /** First file index (default 0) and the index after the last one. */
  from?: number;
  to: number;
  /** CPU limit per file (default 1,000 ms). */
  limitMs?: number;
  /** Called after every file with its index, its mutated text and its outcome. */
  onFile?: (k: number, c: ReturnType<typeof fuzzCase>, o: FuzzOutcome) => void;
  /** Called before each file is analysed (a driver can record which file killed a process). */
  onStart?: (k: number) => void;
  /** Called every 100 files. */
  onProgress?: (done: number, rep: FuzzReport) => void;
}

/** Runs files `from`..`to` - 1 of the run with `seed`, freeing the trees of earlier files. */
export async function runFuzz(
  seeds: { file: string; text: string }[],
  seed: number,
  o: FuzzRunOptions,
): Promise<FuzzReport> {
  const limitMs = o.limitMs ?? 1000;
  const rep: FuzzReport = {
    files: 0,
    crashes: [],
    slow: [],
    falseExact: [],
    maxCpuMs: 0,
    byKind: {},
  };
  // Text analysed since the last forced GC: a full GC per file cost more CPU than the
  // analysis of most files; trees take a few times their text in native memory.
  let sinceGc = Infinity;
  for (let k = o.from ?? 0; k < o.to; k++) {
    const c = fuzzCase(seeds, seed, k);
    // A big file starts from a collected heap, as every timed phase of `npm run bench` does: its
    // CPU budget is not spent collecting the trees of the files before it (its own garbage is
    // still collected, and charged, while it runs).
    if (sinceGc > 4_000_000 || c.text.length > 1_000_000) {
      gcNow();
      sinceGc = 0;
    }
    sinceGc += c.text.length;
    // The finalizers of collected trees run on this turn of the event loop.
    await new Promise(resolve => setImmediate(resolve));
    o.onStart?.(k);
    const out = analyseOne(c.text, c.rejected);
    rep.files++;
    rep.byKind[c.kind] = (rep.byKind[c.kind] ?? 0) + 1;
    if (out.crashed) rep.crashes.push(`${c.id}: ${out.crashed.slice(0, 600)}`);
    if (out.cpuMs > limitMs) rep.slow.push(`${c.id}: ${out.cpuMs.toFixed(0)} ms CPU`);
    for (const f of out.falseExact) rep.falseExact.push(`${c.id}: ${f}`);
    rep.maxCpuMs = Math.max(rep.maxCpuMs, out.cpuMs);
    o.onFile?.(k, c, out);
    if (o.onProgress && rep.files % 100 === 0) o.onProgress(rep.files, rep);
  }
  return rep;
}

/**
 * Compiles `n` rejected snippets (seeded) with rustc and returns those rustc ACCEPTED (each
 * should be empty: the fuzz's "rustc rejects this" claims are checked, not assumed).
 */
export function rustcAcceptsAny(
  seed: number,
  n: number,
  compile: (src: string) => boolean,
): string[] {
  const r = rng(seed);
  const wrong: string[] = [];
  for (let k = 0; k < n; k++) {
    const [src, what] = rejectedSnippet(r, k);
    const name = `FuzzBad${k}`;
    const probe = src.includes(`${name}Use`)
      ? `${name}Use`
      : src.includes(`${name}<T>`)
        ? `${name}<u8>`
        : name;
    if (compile(`${src}\npub fn probe() -> usize { std::mem::size_of::<${probe}>() }\n`))
      wrong.push(`${what}: ${src}`);
  }
  return wrong;
}
