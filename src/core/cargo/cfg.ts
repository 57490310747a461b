/**
 * Evaluates `#[cfg(...)]` predicates for a target triple (the host by default: a debug build,
 * not a test) and a package's enabled features. Three-valued: a custom cfg that the package's
 * build script may set (`cargo:rustc-cfg=...`) cannot be decided without running it, so it is
 * `maybe`, and whatever depends on it must not be reported as exact. Other custom cfgs
 * (`tokio_unstable`, `loom`, `docsrs`) are off, as in a plain `cargo build`.
 */

export type CfgValue = 'yes' | 'no' | 'maybe';

export interface CfgTarget {
  triple: string;
  flags: Set<string>;
  values: Record<string, string[]>;
}

export interface CfgContext {
  target: CfgTarget;
  features: ReadonlySet<string>;
  /**
   * Custom cfg names the build script sets: `yes` when decided (see `buildScriptCfgs`), `maybe`
   * when not. The key `*` makes every custom name `maybe`.
   */
  buildScriptCfgs?: ReadonlyMap<string, 'yes' | 'maybe'>;
}

/** cfg names rustc or cargo define; every other name is a custom cfg. */
const BUILTIN = new Set([
  'unix',
  'windows',
  'test',
  'debug_assertions',
  'doc',
  'doctest',
  'miri',
  'proc_macro',
  'panic',
  'feature',
  'overflow_checks',
  'relocation_model',
  'sanitize',
  'ub_checks',
  'fmt_debug',
  'contract_checks',
  'target_arch',
  'target_os',
  'target_family',
  'target_env',
  'target_abi',
  'target_vendor',
  'target_pointer_width',
  'target_endian',
  'target_has_atomic',
  'target_feature',
  'target_thread_local',
  'emscripten_wasm_eh',
]);

const ARCH: Record<string, { arch: string; width: string; endian: string; features: string[] }> = {
  x86_64: { arch: 'x86_64', width: '64', endian: 'little', features: ['fxsr', 'sse', 'sse2'] },
  aarch64: { arch: 'aarch64', width: '64', endian: 'little', features: ['neon', 'fp-armv8'] },
  arm64: { arch: 'aarch64', width: '64', endian: 'little', features: ['neon', 'fp-armv8'] },
  riscv64gc: {
    arch: 'riscv64',
    width: '64',
    endian: 'little',
    features: ['a', 'c', 'd', 'f', 'm'],
  },
  riscv64: { arch: 'riscv64', width: '64', endian: 'little', features: [] },
  powerpc64le: { arch: 'powerpc64', width: '64', endian: 'little', features: [] },
  loongarch64: { arch: 'loongarch64', width: '64', endian: 'little', features: [] },
};

/** The host triple (the layout engine's 64-bit rules match every supported host). */
export function hostTriple(): string {
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  if (process.platform === 'darwin') return `${arch}-apple-darwin`;
  if (process.platform === 'win32') return `${arch}-pc-windows-msvc`;
  return `${arch}-unknown-linux-gnu`;
}

/**
 * The cfg values of a target triple. Only 64-bit little-endian targets are accepted: layouts
 * are computed with 64-bit pointers, so a 32-bit target would give confidently wrong sizes.
 */
export function cfgTarget(triple: string = hostTriple()): CfgTarget {
  const parts = triple.split('-');
  const a = ARCH[parts[0]];
  if (!a)
    throw new Error(
      `target ${triple}: layouts are computed for 64-bit little-endian targets only (x86_64, aarch64, riscv64gc, powerpc64le, loongarch64)`,
    );
  const rest = parts.slice(1).join('-');
  let os = 'none';
  let family: string[] = [];
  let env = '';
  let vendor = parts.length > 2 ? parts[1] : 'unknown';
  if (/linux/.test(rest)) {
    os = /android/.test(rest) ? 'android' : 'linux';
    family = ['unix'];
    env = /musl/.test(rest) ? 'musl' : /android/.test(rest) ? '' : 'gnu';
  } else if (/darwin|macos/.test(rest)) [os, family, vendor] = ['macos', ['unix'], 'apple'];
  else if (/ios/.test(rest)) [os, family, vendor] = ['ios', ['unix'], 'apple'];
  else if (/windows/.test(rest))
    [os, family, env] = ['windows', ['windows'], /gnu/.test(rest) ? 'gnu' : 'msvc'];
  else
    for (const o of ['freebsd', 'netbsd', 'openbsd', 'dragonfly', 'illumos', 'solaris', 'fuchsia'])
      if (rest.includes(o)) [os, family] = [o, o === 'fuchsia' ? [] : ['unix']];
  return {
    triple,
    flags: new Set([
      ...family,
      'debug_assertions',
      'target_has_atomic',
      'target_thread_local',
      'overflow_checks',
    ]),
    values: {
      target_os: [os],
      target_family: family,
      target_arch: [a.arch],
      target_pointer_width: [a.width],
      target_endian: [a.endian],
      target_env: [env],
      target_vendor: [vendor],
      target_abi: [''],
      panic: ['unwind'],
      target_has_atomic: ['8', '16', '32', '64', 'ptr'],
      target_feature: a.features,
      relocation_model: ['pic'],
    },
  };
}

const HOST = cfgTarget('x86_64-unknown-linux-gnu');

type Tok = string;

function tokenize(s: string): Tok[] {
  return s.match(/"(?:\\.|[^"\\])*"|[A-Za-z_][\w]*|[(),=]|[^\s\w(),="]+/g) ?? [];
}

const and = (a: CfgValue, b: CfgValue): CfgValue =>
  a === 'no' || b === 'no' ? 'no' : a === 'maybe' || b === 'maybe' ? 'maybe' : 'yes';
const or = (a: CfgValue, b: CfgValue): CfgValue =>
  a === 'yes' || b === 'yes' ? 'yes' : a === 'maybe' || b === 'maybe' ? 'maybe' : 'no';
const not = (a: CfgValue): CfgValue => (a === 'yes' ? 'no' : a === 'no' ? 'yes' : 'maybe');

/**
 * Results by context and predicate text: a crate repeats a handful of predicates on thousands of
 * items (`feature = "rt"`), and the scopes of the workspace are rebuilt when an edit changes an
 * item. Contexts are not changed once built (a new feature set makes a new context).
 */
const memo = new WeakMap<CfgContext, Map<string, CfgValue>>();
const MEMO_LIMIT = 20_000;

/** Three-valued evaluation of a cfg predicate (`all(unix, feature = "rt")`). */
export function evalCfgIn(pred: string, ctx: CfgContext): CfgValue {
  let m = memo.get(ctx);
  if (!m) {
    m = new Map();
    memo.set(ctx, m);
  }
  const hit = m.get(pred);
  if (hit !== undefined) return hit;
  const v = evalCfgUncached(pred, ctx);
  if (m.size < MEMO_LIMIT) m.set(pred, v);
  return v;
}

function evalCfgUncached(pred: string, ctx: CfgContext): CfgValue {
  const toks = tokenize(pred);
  let i = 0;
  const parse = (depth: number): CfgValue => {
    if (depth > 64) throw new Error('cfg nesting too deep');
    const t = toks[i++];
    if (t === undefined) throw new Error('truncated cfg');
    if ((t === 'all' || t === 'any' || t === 'not') && toks[i] === '(') {
      i++;
      let acc: CfgValue = t === 'any' ? 'no' : 'yes';
      let first: CfgValue | undefined;
      while (i < toks.length && toks[i] !== ')') {
        const v = parse(depth + 1);
        first ??= v;
        acc = t === 'any' ? or(acc, v) : and(acc, v);
        if (toks[i] === ',') i++;
      }
      i++;
      return t === 'not' ? not(first ?? 'yes') : acc;
    }
    if (toks[i] === '(') {
      // `version(..)`, `accessible(..)`, `target(..)`: not decided here.
      let d = 0;
      do {
        if (toks[i] === '(') d++;
        else if (toks[i] === ')') d--;
        i++;
      } while (d > 0 && i < toks.length);
      return 'maybe';
    }
    const custom = !BUILTIN.has(t);
    const fromBuild = custom
      ? (ctx.buildScriptCfgs?.get(t) ?? ctx.buildScriptCfgs?.get('*'))
      : undefined;
    if (fromBuild === 'yes' && toks[i] !== '=') return 'yes';
    const maybe = fromBuild === 'maybe';
    if (toks[i] === '=') {
      i++;
      const v = (toks[i++] ?? '').replace(/^"|"$/g, '');
      if (maybe) return 'maybe';
      if (t === 'feature') return ctx.features.has(v) ? 'yes' : 'no';
      return (ctx.target.values[t] ?? []).includes(v) ? 'yes' : 'no';
    }
    if (maybe) return 'maybe';
    return ctx.target.flags.has(t) ? 'yes' : 'no';
  };
  try {
    return parse(0);
  } catch {
    return 'maybe';
  }
}

/** Two-valued form for the host target: an undecidable predicate counts as active. */
export function evalCfg(pred: string, features: ReadonlySet<string>): boolean {
  return evalCfgIn(pred, { target: HOST, features }) !== 'no';
}

/** The features a package builds with by default: `default` expanded through `[features]`. */
export function defaultFeatures(table: Record<string, unknown> | undefined): string[] {
  if (!table) return [];
  const out = new Set<string>();
  const visit = (f: string) => {
    if (out.has(f) || f.includes('/') || f.startsWith('dep:')) return;
    out.add(f);
    const deps = table[f];
    if (Array.isArray(deps))
      for (const d of deps)
        if (typeof d === 'string' && !d.includes('/') && !d.startsWith('dep:')) visit(d);
  };
  const def = table.default;
  if (Array.isArray(def)) for (const d of def) if (typeof d === 'string') visit(d);
  return [...out];
}
