/**
 * Folded stacks (`root;...;leaf count`): export compatible with FlameGraph's stackcollapse-perf.pl /
 * inferno's `collapse-perf` defaults, and import of folded files.
 */
import { LEGACY_ESCAPES } from './demangle';
import { ProfileInputError } from './source';
import type { PerfSample, RawFrame } from './types';

export interface FoldOptions {
  /** Root frame `comm-pid`. */
  includePid?: boolean;
  /** Root frame `comm-pid/tid` (implies includePid). */
  includeTid?: boolean;
  /** Append `_[k]` to kernel frames. */
  annotateKernel?: boolean;
  /** Append `_[j]` to JIT frames. */
  annotateJit?: boolean;
  /** `[unknown <pc>]` / `[module <pc>]` for frames without a symbol. */
  includeAddrs?: boolean;
  /** Only this event (name up to its first colon); default: the first event seen. */
  eventFilter?: string;
  /**
   * `flamegraph`: stackcollapse-perf.pl's output byte for byte, from the raw lines (fed with
   * `line()`); `inferno` (default of this class): inferno's collapse-perf, from parsed samples.
   */
  flavor?: 'inferno' | 'flamegraph';
  /** FlameGraph flavour: demangle Rust symbols (a readable variant; not byte-identical). */
  demangle?: (sym: string) => string;
}

export function isKernelModule(module: string): boolean {
  if (module === '[unknown]') return false;
  return (
    module.startsWith('[') ||
    module.endsWith('vmlinux') ||
    /\/vmlinux-[^/]*$/.test(module) ||
    module.endsWith('.ko')
  );
}

export function isJitModule(module: string): boolean {
  const base = module.slice(module.lastIndexOf('/') + 1);
  return (
    (module.startsWith('/tmp/perf-') && module.endsWith('.map')) ||
    /^jitted-\d+-\d+\.so$/.test(base)
  );
}

function withModuleFallback(
  module: string | undefined,
  func: string,
  pc: string | undefined,
  addrs: boolean,
): string {
  if (func !== '[unknown]') return func;
  const mod = module ?? '[unknown]';
  let name: string;
  if (mod === '[unknown]') {
    if (!addrs) return func;
    name = 'unknown';
  } else {
    name = mod.slice(mod.lastIndexOf('/') + 1);
  }
  return addrs ? `[${name} <${pc ?? ''}>]` : `[${name}]`;
}

/**
 * FlameGraph's tidy_generic: `;` would split the frame; drop a C++ argument list (the first `(`
 * outside `<...>`), but keep Go's `pkg.(*T).M` and `(anonymous namespace)`.
 */
export function tidyGeneric(func: string): string {
  const f = func.includes(';') ? func.replace(/;/g, ':') : func;
  if (!f.includes('(')) return f;
  let depth = 0;
  for (let i = 0; i < f.length; i++) {
    const c = f[i];
    if (c === '<') depth++;
    else if (c === '>' && depth > 0) depth--;
    else if (c === '(' && depth === 0) {
      if (f.startsWith('anonymous namespace)', i + 1) || (i > 0 && f[i - 1] === '.')) return f;
      return f.slice(0, i);
    }
  }
  return f;
}

function tidyJava(func: string): string {
  return func.startsWith('L') && func.includes('/') ? func.slice(1) : func;
}

/**
 * inferno's repair of a half-demangled legacy Rust symbol (`GcBox$LT$T$GT$::new::h0123..` ->
 * `GcBox<T>::new`): only when it ends in a `h<16 hex>` hash. Kept separate from the demangler
 * because the folded output must match inferno byte for byte (it keeps a mid-path `_{{closure}}`).
 */
export function fixPartiallyDemangledInferno(sym: string): string {
  const n = sym.length;
  if (
    n < 17 ||
    sym.charCodeAt(n - 17) !== 104 /* h */ ||
    !/^[0-9a-fA-F]{16}$/.test(sym.slice(n - 16))
  )
    return sym;
  let rest = sym.slice(0, n - 17);
  if (rest.endsWith('::')) rest = rest.slice(0, -2);
  if (rest.startsWith('_$')) rest = rest.slice(1);
  let out = '';
  let i = 0;
  while (i < rest.length) {
    const c = rest[i];
    if (c === '.') {
      if (rest[i + 1] === '.') {
        out += '::';
        i += 2;
      } else {
        out += '.';
        i++;
      }
    } else if (c === '$') {
      const end = rest.indexOf('$', i + 1);
      const code = end > i ? rest.slice(i + 1, end) : '';
      const esc =
        LEGACY_ESCAPES.get(code) ??
        (/^u[0-9a-fA-F]{1,6}$/.test(code)
          ? String.fromCodePoint(parseInt(code.slice(1), 16))
          : undefined);
      if (esc === undefined) return sym; // not a legacy Rust escape after all
      out += esc;
      i = end + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The event name as FlameGraph groups it: up to its first colon (`cycles:u` -> `cycles`). */
export function eventKey(event: string): string {
  const i = event.indexOf(':');
  return i < 0 ? event : event.slice(0, i);
}

/** Folded names of one frame (several for Java `a->b` inline chains), leaf-side last. */
export function foldFrameNames(f: RawFrame, comm: string, opt: FoldOptions): string[] {
  const raw = f.sym.length === 0 ? ' ' : f.sym;
  if (raw.startsWith('(')) return [];
  const out: string[] = [];
  const mod = f.dso ?? (f.inlined ? 'inlined' : '');
  const fixed = opt.demangle
    ? opt.demangle(raw)
    : raw.includes('$') || raw.includes('::h')
      ? fixPartiallyDemangledInferno(raw)
      : raw;
  fixed.split('->').forEach((part, i) => {
    let func = withModuleFallback(f.dso, part, f.ip, opt.includeAddrs === true);
    func = tidyGeneric(func);
    if (comm === 'java') func = tidyJava(func);
    if (i > 0) func += '_[i]';
    else if (opt.annotateKernel && isKernelModule(mod)) func += '_[k]';
    else if (opt.annotateJit && isJitModule(mod)) func += '_[j]';
    out.push(func);
  });
  return out;
}

/** Aggregates samples into folded stacks the way `stackcollapse-perf.pl` does by default. */
export class FoldedCollapser {
  private readonly counts = new Map<string, number>();
  private filter: string | undefined;
  private readonly perl: FlameGraphCollapser | undefined;
  private fedLines = false;

  constructor(private readonly opt: FoldOptions = {}) {
    this.filter = opt.eventFilter;
    if (opt.flavor === 'flamegraph') this.perl = new FlameGraphCollapser(opt);
  }

  /** A raw `perf script` line (the FlameGraph flavour works on lines; others ignore them). */
  line(l: string): void {
    if (!this.perl) return;
    this.fedLines = true;
    this.perl.line(l);
  }

  /** The first event left out by the FlameGraph flavour (it keeps the first event only). */
  get skippedEvent(): string | undefined {
    return this.perl?.skippedEvent;
  }

  /** The event the FlameGraph flavour kept. */
  get keptEvent(): string | undefined {
    return this.perl?.event;
  }

  /**
   * True when the FlameGraph flavour fell back to the sample-based collapse: the input carries
   * `perf script -F +srcline` lines, which stackcollapse-perf.pl misreads as frames (and it drops
   * frames printed without a module), so its byte-exact output would be wrong stacks.
   */
  get srclineFallback(): boolean {
    return this.perl !== undefined && this.perl.sawSrcline;
  }

  add(s: PerfSample): void {
    const ev = eventKey(s.event);
    if (this.filter === undefined) this.filter = ev;
    else if (ev !== this.filter) return;
    let root = s.comm.replace(/ /g, '_');
    if (this.opt.includeTid) root += `-${s.tid === undefined ? '?' : s.pid}/${s.tid ?? s.pid}`;
    else if (this.opt.includePid) root += `-${s.tid === undefined ? '?' : s.pid}`;
    const parts = [root];
    for (let i = s.frames.length - 1; i >= 0; i--)
      for (const n of foldFrameNames(s.frames[i], root, this.opt)) parts.push(n);
    const key = parts.join(';');
    this.counts.set(key, (this.counts.get(key) ?? 0) + s.period);
  }

  /** Sorted `stack count` lines (byte order, as inferno writes them). */
  lines(): string[] {
    if (this.perl && this.fedLines && !this.perl.sawSrcline) return this.perl.lines();
    const keys = [...this.counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.map(k => `${k} ${this.counts.get(k)}`);
  }
}

/**
 * One folded line -> root-first frames and a count, or undefined when malformed. The count is
 * digits with an optional fraction; one above 2^53 cannot be summed exactly (and `1e400` would be
 * Infinity): that is an error (ProfileInputError), not a skipped line.
 */
export function parseFoldedLine(line: string): { frames: string[]; count: number } | undefined {
  const t = line.trimEnd();
  const sp = t.lastIndexOf(' ');
  if (sp <= 0) return undefined;
  const text = t.slice(sp + 1);
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && i > 0 && i < text.length - 1) dots++;
    else if (c < 48 || c > 57) return undefined;
  }
  if (text.length === 0 || dots > 1) return undefined;
  const count = Number(text);
  if (!(count <= Number.MAX_SAFE_INTEGER)) {
    throw new ProfileInputError(
      `folded count ${text.slice(0, 40)}${text.length > 40 ? '...' : ''} is larger than 2^53: not a sample count`,
    );
  }
  return { frames: t.slice(0, sp).split(';'), count };
}

/**
 * Converts a folded line into a sample (leaf first). Folded frames carry no DSO; the inferno
 * annotations `_[k]`, `_[j]`, `_[i]` are turned back into frame properties.
 */
export function foldedToSample(
  frames: string[],
  count: number,
  intern?: Map<string, RawFrame>,
): PerfSample {
  const out: RawFrame[] = [];
  for (let i = frames.length - 1; i >= 1; i--) {
    const hit = intern?.get(frames[i]);
    if (hit) {
      out.push(hit);
      continue;
    }
    let sym = frames[i];
    let dso: string | undefined;
    let inlined = false;
    if (sym.endsWith('_[k]')) {
      sym = sym.slice(0, -4);
      dso = '[kernel.kallsyms]';
    } else if (sym.endsWith('_[j]')) sym = sym.slice(0, -4);
    else if (sym.endsWith('_[i]')) {
      sym = sym.slice(0, -4);
      inlined = true;
    }
    const f: RawFrame = { sym, dso, inlined };
    if (intern && intern.size < 1_000_000) intern.set(frames[i], f);
    out.push(f);
  }
  return { comm: frames[0] ?? '', period: count, event: 'folded', payload: '', frames: out, count };
}

// ---------------------------------------------------------------------------------------------
// FlameGraph flavour: stackcollapse-perf.pl's default output, byte for byte (its test suite:
// test/unit/profile/flamegraph-peer.test.ts). It works on the raw lines, as the Perl does: names
// as printed (not demangled), a stack is stored only at a blank line (a last stack without one
// is dropped), only the first event is kept, frame lines are `pc func (module)` with the last
// ` (`...`)` group as module. Written from the documented behaviour; scanners, no regexes on
// untrusted text.

const perlSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const perlDigit = (c: number) => c >= 48 && c <= 57;
const perlWord = (c: number) =>
  perlDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** `^(\S.+?)\s+(\d+)/*(\d+)*\s+`: comm, pid, tid of a header line, or undefined. */
function perlHeader(l: string): { comm: string; pid: string; tid?: string } | undefined {
  if (l.length < 2 || perlSpace(l.charCodeAt(0))) return undefined;
  // the comm is at least 2 characters and ends before the first blank run that is followed
  // by `digits [/...digits] blank`
  for (let e = 2; e < l.length; e++) {
    if (!perlSpace(l.charCodeAt(e)) || perlSpace(l.charCodeAt(e - 1))) continue;
    let i = e;
    while (i < l.length && perlSpace(l.charCodeAt(i))) i++;
    const p0 = i;
    while (i < l.length && perlDigit(l.charCodeAt(i))) i++;
    if (i === p0) continue;
    const p1 = i;
    while (i < l.length && l.charCodeAt(i) === 47) i++;
    const t0 = i;
    while (i < l.length && perlDigit(l.charCodeAt(i))) i++;
    if (i < l.length && perlSpace(l.charCodeAt(i))) {
      return {
        comm: l.slice(0, e),
        pid: l.slice(p0, p1),
        tid: i > t0 ? l.slice(t0, i) : undefined,
      };
    }
  }
  return undefined;
}

/** `:\s*(\d+)*\s+(\S+):\s*$`: the event (and period) at the end of a header line. */
function perlEvent(l: string): { event: string; period?: string } | undefined {
  let end = l.length;
  while (end > 0 && perlSpace(l.charCodeAt(end - 1))) end--;
  if (end < 2 || l.charCodeAt(end - 1) !== 58) return undefined;
  let s = end - 1;
  while (s > 0 && !perlSpace(l.charCodeAt(s - 1))) s--;
  if (s >= end - 1 || s === 0) return undefined;
  let w = s;
  while (w > 0 && perlSpace(l.charCodeAt(w - 1))) w--;
  const event = l.slice(s, end - 1);
  if (w > 0 && l.charCodeAt(w - 1) === 58) return { event };
  let d = w;
  while (d > 0 && perlDigit(l.charCodeAt(d - 1))) d--;
  if (d === w) return undefined;
  let c = d;
  while (c > 0 && perlSpace(l.charCodeAt(c - 1))) c--;
  return c > 0 && l.charCodeAt(c - 1) === 58 ? { event, period: l.slice(d, w) } : undefined;
}

/** `^\s*(\w+)\s*(.+) \((.*)\)`: pc, function text and module of a frame line. */
function perlFrame(l: string): { pc: string; func: string; mod: string } | undefined {
  let a = 0;
  while (a < l.length && perlSpace(l.charCodeAt(a))) a++;
  let b = a;
  while (b < l.length && perlWord(l.charCodeAt(b))) b++;
  if (b === a) return undefined;
  const r = l.lastIndexOf(')');
  if (r < 0) return undefined;
  let c = b;
  while (c < l.length && perlSpace(l.charCodeAt(c))) c++;
  // the last ` (` with a `)` after it, leaving a non-empty function before it
  for (let q = l.lastIndexOf(' (', r - 2); q >= 0; q = q > 0 ? l.lastIndexOf(' (', q - 1) : -1) {
    if (q > c) return { pc: l.slice(a, b), func: l.slice(c, q), mod: l.slice(q + 2, r) };
    if (q > b) return { pc: l.slice(a, b), func: l.slice(q - 1, q), mod: l.slice(q + 2, r) };
    if (q === b && b - a >= 2)
      return { pc: l.slice(a, b - 1), func: l.slice(b - 1, q), mod: l.slice(q + 2, r) };
    if (q < b) return undefined;
  }
  return undefined;
}

/** FlameGraph's generic tidy: `;` -> `:`, drop from the first `(` (unless `.(...).` or `(anonymous namespace)`), drop quotes. */
function perlTidy(func: string): string {
  let f = func.includes(';') ? func.replace(/;/g, ':') : func;
  const open = f.indexOf('.(');
  const keep = open >= 0 && f.indexOf(').', open + 2) >= 0;
  if (!keep) {
    for (let i = f.indexOf('('); i >= 0; i = f.indexOf('(', i + 1)) {
      if (!f.startsWith('anonymous namespace)', i + 1)) {
        f = f.slice(0, i);
        break;
      }
    }
  }
  if (f.includes('"') || f.includes("'")) f = f.replace(/["']/g, '');
  return f;
}

/** Rebuilds a FlameGraph folded profile from raw `perf script` lines (see the section comment). */
export class FlameGraphCollapser {
  private readonly counts = new Map<string, number>();
  private filter: string;
  private defaulted = false;
  /** The first event that was left out (stackcollapse-perf.pl: "Filtering for events of type"). */
  skippedEvent: string | undefined;
  private stack: string[] = [];
  private pname: string | undefined;
  private period = 1;
  private readonly inline: string[] = [];
  /** A `  file.rs:12` srcline line followed a frame line. */
  sawSrcline = false;
  private afterFrame = false;

  constructor(private readonly opt: FoldOptions = {}) {
    this.filter = opt.eventFilter ?? '';
  }

  line(l: string): void {
    const wasFrame = this.afterFrame;
    this.afterFrame = false;
    if (
      wasFrame &&
      !this.sawSrcline &&
      l.charCodeAt(0) === 32 &&
      l.charCodeAt(1) === 32 &&
      l.length > 2 &&
      !perlSpace(l.charCodeAt(2))
    ) {
      this.sawSrcline = true;
    }
    if (l.charCodeAt(0) === 35 /* # */) return;
    if (l.length === 0) {
      if (this.pname === undefined) return;
      this.stack.push(this.pname);
      const key = this.stack.reverse().join(';');
      this.counts.set(key, (this.counts.get(key) ?? 0) + this.period);
      this.stack = [];
      this.pname = undefined;
      return;
    }
    const h = perlHeader(l);
    if (h) {
      let { pid, tid } = h;
      if (tid === undefined || tid === '' || tid === '0') {
        tid = pid;
        pid = '?';
      }
      let period: string | undefined;
      const ev = perlEvent(l);
      if (ev) {
        period = ev.period;
        if (this.filter === '') {
          this.filter = ev.event;
          this.defaulted = true;
        } else if (ev.event !== this.filter) {
          if (this.defaulted && this.skippedEvent === undefined) this.skippedEvent = ev.event;
          return;
        }
      }
      this.period = period === undefined || period === '' || period === '0' ? 1 : Number(period);
      let pname = h.comm;
      if (this.opt.includeTid) pname += `-${pid}/${tid}`;
      else if (this.opt.includePid) pname += `-${pid}`;
      this.pname = pname.includes(' ') ? pname.replace(/ /g, '_') : pname;
      return;
    }
    const fr = perlFrame(l);
    this.afterFrame = fr !== undefined || (l.charCodeAt(0) === 9 && l.trim().length > 0);
    if (!fr || this.pname === undefined) return;
    let raw = fr.func;
    // drop a trailing `+0x<lowercase hex>`
    const plus = raw.lastIndexOf('+0x');
    if (plus >= 0 && plus + 3 < raw.length && /^[0-9a-f]+$/.test(raw.slice(plus + 3)))
      raw = raw.slice(0, plus);
    if (raw.charCodeAt(0) === 40 /* ( */) return;
    if (this.opt.demangle) raw = this.opt.demangle(raw);
    const parts = raw.split('->');
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop(); // Perl's split
    const inl = this.inline;
    inl.length = 0;
    for (const part of parts) {
      let func = part;
      if (func === '[unknown]') {
        func = fr.mod !== '[unknown]' ? fr.mod.slice(fr.mod.lastIndexOf('/') + 1) : 'unknown';
        func = this.opt.includeAddrs ? `[${func} <${fr.pc}>]` : `[${func}]`;
      }
      func = perlTidy(func);
      if (this.pname.startsWith('java') && func.charCodeAt(0) === 76 /* L */ && func.includes('/'))
        func = func.slice(1);
      if (inl.length > 0) {
        if (!func.includes('_[i]')) func += '_[i]';
      } else if (
        this.opt.annotateKernel &&
        (fr.mod.startsWith('[') || fr.mod.endsWith('vmlinux')) &&
        !fr.mod.includes('unknown')
      ) {
        func += '_[k]';
      } else if (this.opt.annotateJit && /\/tmp\/perf-\d+\.map/.test(fr.mod)) {
        if (!func.includes('_[j]')) func += '_[j]';
      }
      inl.push(func);
    }
    // the stack is kept leaf-first here and reversed when stored
    for (let i = inl.length - 1; i >= 0; i--) this.stack.push(inl[i]);
  }

  get event(): string | undefined {
    return this.filter === '' ? undefined : this.filter;
  }

  /** Sorted `stack count` lines. */
  lines(): string[] {
    const keys = [...this.counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.map(k => `${k} ${this.counts.get(k)}`);
  }
}
