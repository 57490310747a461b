/**
 * Profile-import fuzzer shared by the unit test (fixed seed, CI-sized) and
 * `npm run measure:fuzz-profile` (>= 100,000 inputs). It mutates real inputs (FlameGraph's and
 * inferno's perf script texts, the ddsplit recording, folded stacks) with byte flips,
 * truncation, huge lines, NUL bytes, invalid UTF-8, CRLF, deep stacks, gzip and gzip bombs, runs
 * the real CLI (`alloc-lens profile --json --folded`) in-process on each, and fuzzes the
 * demangler on real and mutated symbols.
 *
 * Oracle: no exception escapes (exit 0, or exit 2 with an `alloc-lens: ...` message) and no input
 * under 1 MB takes more than 1 s (of CPU time: the machines running this are shared).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { main } from '../../../src/cli/main';
import { demangle, fixPartiallyDemangled } from '../../../src/profile/demangle';
import { PerfScriptParser } from '../../../src/profile/perf-script';
import { capture } from './capture';

const REPO = path.join(__dirname, '..', '..', '..', '..');

export interface FuzzResult {
  inputs: number;
  exit0: number;
  exit2: number;
  crashes: string[];
  hangs: string[];
  slowestMs: number;
  slowest: string;
  symbols: number;
  byMutation: Record<string, number>;
}

/** xorshift32: the same inputs for the same seed on every machine. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function readMaybeGz(f: string): Buffer {
  const b = fs.readFileSync(f);
  return f.endsWith('.gz') ? gunzipSync(b) : b;
}

/** The real inputs the mutations start from. */
export function corpus(): { name: string; data: Buffer }[] {
  const out: { name: string; data: Buffer }[] = [];
  const fg = path.join(REPO, 'test', 'fixtures', 'flamegraph-collapse-perf');
  for (const f of fs.readdirSync(fg).filter(f => f.endsWith('.txt.gz')))
    out.push({ name: f, data: readMaybeGz(path.join(fg, f)) });
  const inf = path.join(REPO, 'test', 'fixtures', 'inferno-collapse-perf');
  for (const f of fs.readdirSync(inf).filter(f => f.endsWith('.txt')))
    out.push({ name: f, data: readMaybeGz(path.join(inf, f)) });
  out.push({
    name: 'ddsplit.perf-script',
    data: readMaybeGz(
      path.join(REPO, 'examples', 'ddsplit', 'profile', 'ddsplit.perf-script.txt.gz'),
    ),
  });
  out.push({
    name: 'folded',
    data: readMaybeGz(path.join(fg, 'results', 'perf-vertx-stacks-01-collapsed.txt.gz')),
  });
  return out;
}

/** Mangled and half-demangled symbols from the demangler's tests and the corpus. */
export function symbolCorpus(inputs: { data: Buffer }[]): string[] {
  const src = fs.readFileSync(
    path.join(REPO, 'test', 'unit', 'profile', 'demangle.test.ts'),
    'utf8',
  );
  const set = new Set<string>();
  for (const m of src.matchAll(/'((?:_ZN|_R|ZN|R|__ZN)[^'\s]{2,400})'/g)) set.add(m[1]);
  for (const m of src.matchAll(/'([^'\n]{0,300}\$LT\$[^'\n]{0,300})'/g)) set.add(m[1]);
  for (const inp of inputs.slice(0, 30)) {
    const t = inp.data.subarray(0, 200_000).toString('utf8');
    for (const m of t.matchAll(/^\s*[0-9a-f]+ (\S[^\n]{0,200}) \(/gm))
      if (set.size < 3000) set.add(m[1]);
  }
  return [...set];
}

const HUGE_CHARS = [' ', '0', '9', '$', ':', '.', 'a', '\t', '(', ')', ';', '[', '/', '-', '.1'];

/** One mutated input from a real one; returns its bytes and the mutation names. */
export function mutate(r: () => number, base: Buffer): { data: Buffer; kind: string } {
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
  // a window of the real input, at line boundaries, 200 B .. 24 KB
  let start = Math.floor(r() * Math.max(1, base.length - 200));
  const nl = base.indexOf(10, start);
  start = nl < 0 ? 0 : nl + 1;
  const len = 200 + Math.floor(r() ** 3 * 24_000);
  let d = Buffer.from(base.subarray(start, Math.min(base.length, start + len)));
  if (d.length === 0) d = Buffer.from(base.subarray(0, len));
  const kinds: string[] = [];
  const rounds = 1 + Math.floor(r() * 3);
  for (let k = 0; k < rounds; k++) {
    const kind = pick([
      'flip',
      'flip',
      'truncate',
      'huge-line',
      'nul',
      'utf8',
      'crlf',
      'deep-stack',
      'splice',
      'blank-ws',
    ]);
    kinds.push(kind);
    const at = Math.floor(r() * (d.length + 1));
    switch (kind) {
      case 'flip': {
        const n = 1 + Math.floor(r() * 16);
        for (let i = 0; i < n && d.length > 0; i++)
          d[Math.floor(r() * d.length)] = Math.floor(r() * 256);
        break;
      }
      case 'truncate':
        d = d.subarray(0, at);
        break;
      case 'huge-line': {
        // log-distributed: mostly KBs, sometimes up to ~900 KB
        const n = Math.floor(10 ** (3 + r() * 2.95));
        const fill = Buffer.from(
          pick(HUGE_CHARS)
            .repeat(Math.ceil(n / 2))
            .slice(0, n),
        );
        d = Buffer.concat([
          d.subarray(0, at),
          Buffer.from(r() < 0.5 ? '\n' : ''),
          fill,
          d.subarray(at),
        ]);
        break;
      }
      case 'nul':
        d = Buffer.concat([
          d.subarray(0, at),
          Buffer.alloc(1 + Math.floor(r() * 64)),
          d.subarray(at),
        ]);
        break;
      case 'utf8':
        d = Buffer.concat([
          d.subarray(0, at),
          Buffer.from(
            pick([
              [0xff],
              [0xc3],
              [0xed, 0xa0, 0x80],
              [0xf4, 0x90, 0x80, 0x80],
              [0xe2, 0x82],
              [0xfe, 0xff],
            ]),
          ),
          d.subarray(at),
        ]);
        break;
      case 'crlf':
        d = Buffer.from(d.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
        break;
      case 'deep-stack': {
        // one frame line repeated thousands of times: a very deep stack
        const text = d.toString('latin1');
        const m = /\n(\s+[0-9a-f]+ [^\n]*)\n/.exec(text);
        const line = m && m[1].length < 500 ? m[1] : '\t7f00 deep (/bin/x)';
        const n = Math.floor(10 ** (2 + r() * 2.4));
        d = Buffer.concat([
          d.subarray(0, at),
          Buffer.from(`\n${`${line}\n`.repeat(n)}`, 'latin1'),
          d.subarray(at),
        ]);
        break;
      }
      case 'splice': {
        const a = Math.floor(r() * d.length);
        const b = Math.floor(r() * d.length);
        d = Buffer.concat([
          d.subarray(0, at),
          d.subarray(Math.min(a, b), Math.max(a, b)),
          d.subarray(at),
        ]);
        break;
      }
      case 'blank-ws':
        // the old header regex's cubic case: whitespace lines after a blank line
        d = Buffer.concat([
          d.subarray(0, at),
          Buffer.from(
            `\n\n${' '.repeat(1 + Math.floor(r() * 5000))}${pick(['', 'x', '1', ':'])}\n`,
          ),
          d.subarray(at),
        ]);
        break;
    }
  }
  if (d.length > 1_000_000) d = d.subarray(0, 1_000_000 - 1);
  if (r() < 0.15) {
    kinds.push('gzip');
    d = gzipSync(d, { level: 1 });
    if (r() < 0.3) {
      kinds.push('gzip-truncated');
      d = d.subarray(0, Math.floor(d.length * r()));
    }
  }
  return { data: d, kind: kinds.join('+') };
}

/** Small gzips that expand enormously: one endless line, and endless valid folded lines. */
export function gzipBombs(): { name: string; data: Buffer }[] {
  return [
    { name: 'bomb-one-line', data: gzipSync(Buffer.alloc(24 << 20, 0x20), { level: 9 }) },
    {
      name: 'bomb-folded-lines',
      data: gzipSync(Buffer.from('a;b 1\n'.repeat(4 << 20)), { level: 9 }),
    },
    { name: 'bomb-digits', data: gzipSync(Buffer.alloc(24 << 20, 0x31), { level: 9 }) },
  ];
}

/**
 * Parses `data` (perf script text) as decoded lines through `PerfScriptParser.line()` and as
 * bytes through `feed()`, in pieces cut at random line boundaries; returns how they differ
 * (samples, warnings, line counts, call-graph mode), or undefined when they agree.
 */
export function parseBothWays(data: Buffer, r: () => number = rng(1)): string | undefined {
  const run = (byBytes: boolean) => {
    const samples: unknown[] = [];
    const warnings: string[] = [];
    const p = new PerfScriptParser(
      s => samples.push({ ...s, sharedFrames: undefined, frames: s.frames.map(f => ({ ...f })) }),
      w => warnings.push(w),
    );
    if (byBytes) {
      const nls: number[] = [];
      for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, i + 1)) nls.push(i);
      // pieces of 1 to 40 lines, or the whole input (what the readers hand over)
      const whole = r() < 0.3;
      let at = 0;
      for (let k = 0; k < nls.length;) {
        k = whole ? nls.length : Math.min(nls.length, k + 1 + Math.floor(r() * 40));
        const end = nls[k - 1] + 1;
        p.feed(data, at, end);
        at = end;
      }
      if (at < data.length) p.feedLast(data, at, data.length);
    } else {
      const lines = data.toString('utf8').split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      for (const l of lines)
        p.line(l.length > 0 && l.charCodeAt(l.length - 1) === 13 ? l.slice(0, -1) : l);
    }
    p.end();
    return {
      samples,
      warnings,
      lines: p.lines,
      skipped: p.skippedLines,
      n: p.samples,
      callGraph: p.callGraph,
    };
  };
  const a = run(false);
  const b = run(true);
  for (const k of ['lines', 'skipped', 'n', 'callGraph'] as const)
    if (a[k] !== b[k]) return `${k}: text ${a[k]}, bytes ${b[k]}`;
  const wa = JSON.stringify(a.warnings);
  const wb = JSON.stringify(b.warnings);
  if (wa !== wb) return `warnings differ: text ${wa.slice(0, 300)} / bytes ${wb.slice(0, 300)}`;
  for (let i = 0; i < a.samples.length; i++) {
    const x = JSON.stringify(a.samples[i]);
    const y = JSON.stringify(b.samples[i]);
    if (x !== y) return `sample ${i} differs: text ${x.slice(0, 300)} / bytes ${y.slice(0, 300)}`;
  }
  return undefined;
}

/** Runs the CLI on one input file; returns a failure description or undefined. */
async function runOne(
  file: string,
  scratch: string,
  folded: boolean,
): Promise<{ code: number; ms: number; error?: string }> {
  const c = capture();
  // CPU time, not wall time: 8 processes share 2 cores here, and a hang burns CPU either way.
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let code: number;
  try {
    // --folded reads decoded lines (the FlameGraph-exact collapse); without it the import reads bytes
    code = await main(
      [
        'profile',
        file,
        '--root',
        scratch,
        '--json',
        '--top',
        '3',
        ...(folded ? ['--folded', path.join(scratch, 'out.folded')] : []),
      ],
      c.io,
    );
  } catch (e) {
    return {
      code: -1,
      ms: 0,
      error: `exception: ${(e as Error).stack?.split('\n').slice(0, 4).join(' | ')}`,
    };
  }
  const used = process.cpuUsage(cpu0);
  const ms = Math.min(performance.now() - t0, (used.user + used.system) / 1000);
  if (code === 2 && !/^alloc-lens: \S/.test(c.err()))
    return {
      code,
      ms,
      error: `exit 2 without a message: ${JSON.stringify(c.err().slice(0, 200))}`,
    };
  if (code !== 0 && code !== 2)
    return { code, ms, error: `exit ${code}: ${c.err().slice(0, 200)}` };
  return { code, ms };
}

export interface FuzzOptions {
  seed: number;
  /** Number of mutated profile inputs. */
  inputs: number;
  /** Number of mutated symbols for the demangler. */
  symbols: number;
  /** Keep failing inputs here (the measure script); none in the unit test. */
  keepDir?: string;
  onProgress?: (done: number) => void;
  /** Include the gzip bombs (they take ~0.5 s to build). */
  bombs?: boolean;
}

export async function fuzzProfiles(o: FuzzOptions): Promise<FuzzResult> {
  const r = rng(o.seed);
  const inputs = corpus();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-lens-fuzz-'));
  fs.chmodSync(scratch, 0o700);
  const res: FuzzResult = {
    inputs: 0,
    exit0: 0,
    exit2: 0,
    crashes: [],
    hangs: [],
    slowestMs: 0,
    slowest: '',
    symbols: 0,
    byMutation: {},
  };
  const record = async (name: string, data: Buffer) => {
    const file = path.join(scratch, 'input');
    fs.writeFileSync(file, data);
    const out = await runOne(file, scratch, res.inputs % 2 === 0);
    res.inputs++;
    // the byte and text parsers agree (plain text inputs)
    if (!out.error && !(data[0] === 0x1f && data[1] === 0x8b)) {
      const diff = parseBothWays(data, rng(res.inputs));
      if (diff) out.error = `byte and text parsing differ: ${diff}`;
    }
    if (out.code === 0) res.exit0++;
    else if (out.code === 2) res.exit2++;
    if (out.ms > res.slowestMs)
      [res.slowestMs, res.slowest] = [out.ms, `${name} (${data.length} B)`];
    const fail =
      out.error ??
      (data.length < 1_000_000 && out.ms > 1000
        ? `took ${out.ms.toFixed(0)} ms for ${data.length} B`
        : undefined);
    if (fail) {
      (out.error ? res.crashes : res.hangs).push(`${name}: ${fail}`);
      if (o.keepDir) fs.copyFileSync(file, path.join(o.keepDir, `fail-${res.inputs}.bin`));
    }
  };
  try {
    if (o.bombs !== false) for (const b of gzipBombs()) await record(b.name, b.data);
    for (let i = 0; i < o.inputs; i++) {
      const base = inputs[Math.floor(r() * inputs.length)];
      const m = mutate(r, base.data);
      for (const k of m.kind.split('+')) res.byMutation[k] = (res.byMutation[k] ?? 0) + 1;
      await record(`${base.name}#${i} ${m.kind}`, m.data);
      if (o.onProgress && i % 1000 === 999) o.onProgress(i + 1);
    }
    // the demangler, directly: real symbols, mutated, and pathological shapes
    const syms = symbolCorpus(inputs);
    const patho = (n: number) => [
      `_ZN${n}${'$'.repeat(n)}E`,
      `${'$'.repeat(n)}::h0123456789abcdef`,
      `a::${'..'.repeat(n)}::h0123456789abcdef`,
      `a::b::h0123456789abcdef${' [clone .x]'.repeat(n >> 4)}`,
      `a::b::h0123456789abcdef [clone .${'x'.repeat(n)}`,
      `a::b$u${'7'.repeat(n)}$::h0123456789abcdef`,
      `_ZN${n}${'$u7b$'.repeat(n / 5)}E`,
      `_RN${'N'.repeat(n)}C3foo`,
      `_R${'B'.repeat(n)}`,
      `_RINv${'I'.repeat(n)}`,
      `_RNvCs${'_'.repeat(n)}`,
      'Foo$constructor$Bar::h0123456789abcdef',
      'a::$__proto__$::b',
      'x$constructor$::y',
    ];
    const shapes = [...patho(1000), ...patho(200_000)];
    for (let i = 0; i < o.symbols + shapes.length; i++) {
      let s: string;
      if (i < shapes.length) s = shapes[i];
      else {
        s = syms[Math.floor(r() * syms.length)] ?? '_ZN3foo3barE';
        const n = 1 + Math.floor(r() * 4);
        for (let k = 0; k < n; k++) {
          const at = Math.floor(r() * (s.length + 1));
          const op = r();
          const ins = [
            '$',
            '.',
            '..',
            '$LT$',
            '$u',
            'E',
            'N',
            'I',
            'B',
            '_',
            '0',
            '9',
            'h0123456789abcdef',
            '::',
            ' [clone .llvm.1]',
            '\u0000',
            '\uffff',
            '\ud800',
          ][Math.floor(r() * 18)];
          if (op < 0.5) s = s.slice(0, at) + ins + s.slice(at);
          else if (op < 0.8) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
          else s = s.slice(0, at) + ins.repeat(1 + Math.floor(r() * 2000)) + s.slice(at);
        }
      }
      const t0 = process.cpuUsage();
      try {
        const d = demangle(s);
        fixPartiallyDemangled(s);
        if (typeof d !== 'string') throw new Error('not a string');
        if (/function Object\(\)|\[object Object\]/.test(d))
          throw new Error(`decoded through Object.prototype: ${d.slice(0, 80)}`);
      } catch (e) {
        res.crashes.push(
          `demangle ${JSON.stringify(s.slice(0, 80))} (${s.length} chars): ${(e as Error).message}`,
        );
      }
      const used = process.cpuUsage(t0);
      const ms = (used.user + used.system) / 1000;
      if (ms > 1000)
        res.hangs.push(
          `demangle ${JSON.stringify(s.slice(0, 80))} (${s.length} chars): ${ms.toFixed(0)} ms`,
        );
      res.symbols++;
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return res;
}
