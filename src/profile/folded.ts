/**
 * Folded stacks (`root;...;leaf count`): export compatible with FlameGraph's stackcollapse-perf.pl /
 * inferno's `collapse-perf` defaults, and import of folded files.
 */
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
}

export function isKernelModule(module: string): boolean {
  if (module === '[unknown]') return false;
  return module.startsWith('[') || module.endsWith('vmlinux') || /\/vmlinux-[^/]*$/.test(module) || module.endsWith('.ko');
}

export function isJitModule(module: string): boolean {
  const base = module.slice(module.lastIndexOf('/') + 1);
  return (module.startsWith('/tmp/perf-') && module.endsWith('.map')) || /^jitted-\d+-\d+\.so$/.test(base);
}

function withModuleFallback(module: string | undefined, func: string, pc: string | undefined, addrs: boolean): string {
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

/** A Map, not an object literal: `$constructor$` must not decode through Object.prototype. */
const ESCAPES = new Map<string, string>([['SP', '@'], ['BP', '*'], ['RF', '&'], ['LT', '<'], ['GT', '>'], ['LP', '('], ['RP', ')'], ['C', ',']]);

/**
 * inferno's repair of a half-demangled legacy Rust symbol (`GcBox$LT$T$GT$::new::h0123..` ->
 * `GcBox<T>::new`): only when it ends in a `h<16 hex>` hash. Kept separate from the demangler
 * because the folded output must match inferno byte for byte (it keeps a mid-path `_{{closure}}`).
 */
export function fixPartiallyDemangledInferno(sym: string): string {
  const n = sym.length;
  if (n < 17 || sym.charCodeAt(n - 17) !== 104 /* h */ || !/^[0-9a-fA-F]{16}$/.test(sym.slice(n - 16))) return sym;
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
      const esc = ESCAPES.get(code) ?? (/^u[0-9a-fA-F]{1,6}$/.test(code) ? String.fromCodePoint(parseInt(code.slice(1), 16)) : undefined);
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
  const fixed = raw.includes('$') || raw.includes('::h') ? fixPartiallyDemangledInferno(raw) : raw;
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

  constructor(private readonly opt: FoldOptions = {}) {
    this.filter = opt.eventFilter;
  }

  add(s: PerfSample): void {
    const ev = eventKey(s.event);
    if (this.filter === undefined) this.filter = ev;
    else if (ev !== this.filter) return;
    let root = s.comm.replace(/ /g, '_');
    if (this.opt.includeTid) root += `-${s.tid === undefined ? '?' : s.pid}/${s.tid ?? s.pid}`;
    else if (this.opt.includePid) root += `-${s.tid === undefined ? '?' : s.pid}`;
    const parts = [root];
    for (let i = s.frames.length - 1; i >= 0; i--) for (const n of foldFrameNames(s.frames[i], root, this.opt)) parts.push(n);
    const key = parts.join(';');
    this.counts.set(key, (this.counts.get(key) ?? 0) + s.period);
  }

  /** Sorted `stack count` lines (byte order, as inferno writes them). */
  lines(): string[] {
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
    throw new ProfileInputError(`folded count ${text.slice(0, 40)}${text.length > 40 ? '...' : ''} is larger than 2^53: not a sample count`);
  }
  return { frames: t.slice(0, sp).split(';'), count };
}

/**
 * Converts a folded line into a sample (leaf first). Folded frames carry no DSO; the inferno
 * annotations `_[k]`, `_[j]`, `_[i]` are turned back into frame properties.
 */
export function foldedToSample(frames: string[], count: number, intern?: Map<string, RawFrame>): PerfSample {
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
