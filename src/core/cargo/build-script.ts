/**
 * Which custom cfgs a build script sets, read without running it. Each emission
 * (`cargo:rustc-cfg=NAME`, autocfg's `emit("NAME")`) is placed inside its enclosing `if`/`else`
 * blocks; a condition is decided when it tests the target triple (`target.starts_with("wasm")`,
 * `.contains`, `.ends_with`, `==`) or the compiler version (`rustc_minor_ver >= 25`,
 * `probe_rustc_version(1, 52)`) against rustc 1.95, a stable compiler (`version.nightly` is false),
 * the package's features (`cfg!(feature = "span-locations")`), a custom cfg (`cfg!(x)`: unset,
 * as RUSTFLAGS are not read), docs.rs's `DOCS_RS` variable (unset), a local `let x = cond;` or a
 * local `fn f(..) -> bool` made of `if cond { return false; }` steps and a final condition.
 * An `if cond { return; }` in `fn main` guards the emissions after it. A `match` emits for sure
 * what every arm emits. autocfg's `emit_sysroot_crate("std")` and `emit_rustc_version(1, N)` are
 * decided from the target and rustc 1.95. An emission under a false
 * condition never happens; one directly in `fn main` under true conditions always does; anything
 * else is `maybe` (the caller then refuses to call a layout exact).
 * Names that mark a missing compiler capability (`no_*`, `*_no_*`: tokio_no_atomic_u64, serde's
 * and proc-macro2's `no_*`) are emitted only for old compilers or 32-bit targets and are
 * treated as unset: layouts are for a current rustc on 64-bit targets.
 */

const RUSTC_MINOR = 95;

type V = 'yes' | 'no' | 'maybe';

/** What a condition may refer to: the target, the features, local bindings and bool fns. */
interface CondEnv {
  triple: string;
  features?: ReadonlySet<string>;
  lets: Map<string, string>;
  fns: Map<string, string>;
  depth: number;
}

/** cfg names rustc or cargo set (their value in a build script is the host's, not decided here). */
const BUILTIN_CFG =
  /^(unix|windows|test|debug_assertions|doc|doctest|miri|proc_macro|panic|overflow_checks|ub_checks|target_\w+|relocation_model|sanitize\w*|fmt_debug|emscripten_wasm_eh|contract_checks)$/;

function evalCond(cond: string, triple: string | CondEnv): V {
  const env: CondEnv =
    typeof triple === 'string' ? { triple, lets: new Map(), fns: new Map(), depth: 0 } : triple;
  if (env.depth > 16) return 'maybe';
  return evalCondIn(cond, env);
}

function evalCondIn(cond: string, env: CondEnv): V {
  const triple = env.triple;
  const deeper = (c: string): V => evalCond(c, { ...env, depth: env.depth + 1 });
  let c = cond.trim();
  while (/^\(.*\)$/s.test(c) && balanced(c.slice(1, -1))) c = c.slice(1, -1).trim();
  if (/\|\||&&/.test(c)) {
    const ors = splitTop(c, '||');
    if (ors.length > 1) {
      const vs = ors.map(p => evalCond(p, env));
      return vs.includes('yes') ? 'yes' : vs.every(v => v === 'no') ? 'no' : 'maybe';
    }
    const ands = splitTop(c, '&&');
    if (ands.length > 1) {
      const vs = ands.map(p => evalCond(p, env));
      return vs.includes('no') ? 'no' : vs.every(v => v === 'yes') ? 'yes' : 'maybe';
    }
  }
  const neg = /^!\s*(.*)$/.exec(c);
  if (neg) {
    const v = evalCond(neg[1], env);
    return v === 'yes' ? 'no' : v === 'no' ? 'yes' : 'maybe';
  }
  let m = /^target\w*\s*\.\s*(starts_with|contains|ends_with)\(\s*"([^"]*)"\s*\)$/.exec(c);
  if (m) {
    const ok =
      m[1] === 'starts_with'
        ? triple.startsWith(m[2])
        : m[1] === 'ends_with'
          ? triple.endsWith(m[2])
          : triple.includes(m[2]);
    return ok ? 'yes' : 'no';
  }
  m = /^target\w*\s*==\s*"([^"]*)"$/.exec(c);
  if (m) return m[1] === triple ? 'yes' : 'no';
  m = /^(?:\w+\s*\.\s*)?\w*minor\w*\s*(>=|>|<|<=)\s*(\d+)$/.exec(c);
  if (m) {
    const n = Number(m[2]);
    const r =
      m[1] === '>='
        ? RUSTC_MINOR >= n
        : m[1] === '>'
          ? RUSTC_MINOR > n
          : m[1] === '<'
            ? RUSTC_MINOR < n
            : RUSTC_MINOR <= n;
    return r ? 'yes' : 'no';
  }
  m = /^\w+\s*\.\s*probe_rustc_version\(\s*1\s*,\s*(\d+)\s*\)$/.exec(c);
  if (m) return Number(m[1]) <= RUSTC_MINOR ? 'yes' : 'no';
  if (c === 'true' || c === 'false') return c === 'true' ? 'yes' : 'no';
  if (/^(?:\w+\s*\.\s*)?nightly$/.test(c)) return 'no';
  m = /^cfg!\(\s*feature\s*=\s*"([^"]*)"\s*\)$/.exec(c);
  if (m) return env.features ? (env.features.has(m[1]) ? 'yes' : 'no') : 'maybe';
  m = /^cfg!\(\s*([A-Za-z_]\w*)\s*\)$/.exec(c);
  if (m) return BUILTIN_CFG.test(m[1]) ? 'maybe' : 'no';
  if (
    /^(?:std\s*::\s*)?env\s*::\s*var(?:_os)?\(\s*"DOCS_RS"\s*\)\s*\.\s*(?:is_some|is_ok)\(\s*\)$/.test(
      c,
    )
  )
    return 'no';
  if (/^[A-Za-z_]\w*$/.test(c)) {
    const bound = env.lets.get(c);
    return bound !== undefined ? deeper(bound) : 'maybe';
  }
  m = /^([A-Za-z_]\w*)\s*\([^()]*\)$/.exec(c);
  if (m && env.fns.has(m[1])) return boolFn(env.fns.get(m[1])!, deeper);
  return 'maybe';
}

/** `s` split at `op` outside parentheses and strings. */
function splitTop(s: string, op: string): string[] {
  const out: string[] = [];
  let d = 0;
  let from = 0;
  let str = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (str) {
      if (ch === '\\') i++;
      else if (ch === '"') str = false;
    } else if (ch === '"') str = true;
    else if (ch === '(') d++;
    else if (ch === ')') d--;
    else if (d === 0 && s.startsWith(op, i)) {
      out.push(s.slice(from, i).trim());
      from = i + op.length;
      i += op.length - 1;
    }
  }
  out.push(s.slice(from).trim());
  return out;
}

function balanced(s: string): boolean {
  let d = 0;
  for (const ch of s) {
    if (ch === '(') d++;
    else if (ch === ')' && --d < 0) return false;
  }
  return d === 0;
}

/**
 * The value of a local bool fn's body: `if cond { return false; }` steps, then a final
 * condition (proc-macro2's `enable_use_proc_macro`). Anything else is `maybe`.
 */
function boolFn(body: string, ev: (c: string) => V): V {
  let i = 0;
  let acc: V = 'yes';
  for (;;) {
    while (i < body.length && /\s/.test(body[i])) i++;
    if (!body.startsWith('if', i) || /\w/.test(body[i + 2] ?? '')) break;
    const open = body.indexOf('{', i);
    const close = open < 0 ? -1 : body.indexOf('}', open);
    if (close < 0) return 'maybe';
    const ret = /^\s*return\s+(true|false)\s*;?\s*$/.exec(body.slice(open + 1, close));
    if (!ret) return 'maybe';
    const v = ev(body.slice(i + 2, open));
    // Reaching the rest needs the condition false; a `return true` makes the result true.
    if (ret[1] === 'true') {
      if (v === 'yes') return acc === 'no' ? 'no' : acc === 'maybe' ? 'maybe' : 'yes';
      if (v === 'maybe') acc = 'maybe';
    } else
      acc = acc === 'no' || v === 'yes' ? 'no' : acc === 'maybe' || v === 'maybe' ? 'maybe' : 'yes';
    i = close + 1;
  }
  const rest = body.slice(i).trim();
  if (!rest || /[;{}]/.test(rest)) return 'maybe';
  const v = ev(rest);
  return acc === 'no' || v === 'no' ? 'no' : acc === 'maybe' || v === 'maybe' ? 'maybe' : 'yes';
}

/** `let x = <expr without braces>;` bound once in the script, and `fn f(..) -> bool { .. }` bodies. */
function locals(src: string): { lets: Map<string, string>; fns: Map<string, string> } {
  const lets = new Map<string, string>();
  const twice = new Set<string>();
  // `let mut` bindings are assigned later (bytecheck's `has_atomic64 = false` in match arms).
  const letRe = /\blet\s+(mut\s+)?([A-Za-z_]\w*)\s*=\s*([^;{}]*);/g;
  for (let m = letRe.exec(src); m; m = letRe.exec(src)) {
    if (lets.has(m[2]) || m[1]) twice.add(m[2]);
    lets.set(m[2], m[3]);
  }
  // Any other binding of the name (a pattern, a `let x = match ..`) makes it unknown.
  for (const n of [...lets.keys()])
    if (
      twice.has(n) ||
      new RegExp(`\\blet\\s+(?:mut\\s+)?${n}\\s*[:=]`, 'g').exec(src.replace(letRe, ''))
    )
      lets.delete(n);
  const fns = new Map<string, string>();
  const fnRe = /\bfn\s+([A-Za-z_]\w*)\s*\([^()]*\)\s*->\s*bool\s*\{/g;
  for (let m = fnRe.exec(src); m; m = fnRe.exec(src)) {
    let d = 1;
    let j = m.index + m[0].length;
    for (; j < src.length && d > 0; j++) {
      if (src[j] === '{') d++;
      else if (src[j] === '}') d--;
    }
    if (d === 0) fns.set(m[1], src.slice(m.index + m[0].length, j - 1));
  }
  return { lets, fns };
}

interface Block {
  /** Value of the condition under which this block runs (`yes` for plain blocks). */
  v: V;
  /**
   * A `match` body: the emissions of each arm (name -> value relative to the match). A match is
   * exhaustive, so what every arm emits for sure is emitted whenever the match runs.
   */
  arms?: Map<string, V>[];
  /** For an `if` chain: the conditions of earlier branches (an `else` runs when all are false). */
  chain?: V[];
  main?: boolean;
  fn?: boolean;
  /** A `return` written directly in this block. */
  returns?: boolean;
  /** For `fn main`: the conditions under which no earlier `if c { return; }` returned. */
  guard?: V;
}

const not = (v: V): V => (v === 'yes' ? 'no' : v === 'no' ? 'yes' : 'maybe');

/** Strip comments and string contents except the emission strings we look for. */
function code(text: string): string {
  return text.replace(/\/\/[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

/** Whether the target has the sysroot crate `name` (std and alloc: every target but `*-none*`). */
function hasSysrootCrate(name: string, triple: string): V {
  if (name === 'core') return 'yes';
  if (name === 'std' || name === 'alloc') return /-none|uefi/.test(triple) ? 'maybe' : 'yes';
  return 'maybe';
}

export function buildScriptCfgs(
  buildRs: string,
  triple: string,
  features?: ReadonlySet<string>,
): Map<string, 'yes' | 'maybe'> {
  const src = code(buildRs);
  const env: CondEnv = { triple, features, ...locals(src), depth: 0 };
  const out = new Map<string, 'yes' | 'maybe'>();
  const stack: Block[] = [];
  let lastChain: V[] | undefined;
  const record = (name: string, v: V) => {
    if (v === 'no' || (name !== '*' && /(^|_)no_/.test(name))) return;
    if (v === 'yes' && out.get(name) !== 'maybe') out.set(name, 'yes');
    else out.set(name, 'maybe');
  };
  /** An emission at the current point, `cond` being its own condition (a probe that may fail). */
  const set = (name: string, cond: V = 'yes') => {
    if (cond === 'no') return;
    // Inside a match arm: noted for the arm, decided when the match closes.
    for (let i = stack.length - 1; i >= 0; i--) {
      const b = stack[i];
      if (b.fn) break;
      if (b.arms) {
        const arm = b.arms[b.arms.length - 1];
        if (!arm) break;
        let v: V = cond;
        for (let j = i + 1; j < stack.length; j++) {
          if (stack[j].v === 'no') return;
          if (stack[j].v === 'maybe' || stack[j].fn) v = 'maybe';
        }
        if (arm.get(name) !== 'yes') arm.set(name, v);
        return;
      }
    }
    const h = here();
    record(name, h === 'no' ? 'no' : cond === 'maybe' ? 'maybe' : h);
  };
  const tokens =
    /"(?:\\.|[^"\\])*"|\bfn\s+(\w+)|\breturn\b|\belse\s+if\b|\belse\b|\bif\b|[{}]|=>|\.emit_(sysroot_crate|rustc_version)\(\s*(?:"(\w+)"|1\s*,\s*(\d+))\s*\)|\.emit_\w+\(|(?:\.|::|\b)emit\(\s*"([A-Za-z_]\w*)"/g;
  let pendingIf: { cond: string; isElseIf: boolean; isElse: boolean } | undefined;
  let pendingFn: string | undefined;
  let condStart = -1;
  for (let m = tokens.exec(src); m; m = tokens.exec(src)) {
    const t = m[0];
    if (t.startsWith('"')) {
      const e = /rustc-cfg=(\{|[A-Za-z_]\w*)/.exec(t);
      if (e && !pendingIf) set(e[1] === '{' ? '*' : e[1], e[1] === '{' ? 'maybe' : 'yes');
      continue;
    }
    if (m[1]) {
      pendingFn = m[1];
      continue;
    }
    if (m[5]) {
      if (!pendingIf) set(m[5]);
      continue;
    }
    // autocfg: `emit_sysroot_crate("std")` emits `has_std` when the target has std;
    // `emit_rustc_version(1, 52)` emits `rustc_1_52` on rustc 1.52 and later.
    if (m[2] === 'sysroot_crate' && m[3]) {
      if (!pendingIf) set(`has_${m[3]}`, hasSysrootCrate(m[3], triple));
      continue;
    }
    if (m[2] === 'rustc_version' && m[4]) {
      if (!pendingIf) set(`rustc_1_${m[4]}`, Number(m[4]) <= RUSTC_MINOR ? 'yes' : 'no');
      continue;
    }
    if (t.startsWith('.emit_')) {
      set('*', 'maybe');
      continue;
    }
    if (t === '=>') {
      const top = stack[stack.length - 1];
      if (top?.arms) top.arms.push(new Map());
      continue;
    }
    if (t === 'return') {
      if (stack.length) stack[stack.length - 1].returns = true;
      continue;
    }
    if (t === 'if' || /^else\s+if$/.test(t)) {
      pendingIf = { cond: '', isElseIf: t !== 'if', isElse: false };
      condStart = m.index + t.length;
      continue;
    }
    if (t === 'else') {
      pendingIf = { cond: '', isElseIf: false, isElse: true };
      condStart = -1;
      continue;
    }
    if (t === '{') {
      if (pendingIf) {
        const cond = condStart >= 0 ? src.slice(condStart, m.index) : '';
        const prior = pendingIf.isElse || pendingIf.isElseIf ? (lastChain ?? []) : [];
        const priorNone = prior.reduce<V>(
          (acc, v) =>
            acc === 'no' || not(v) === 'no'
              ? 'no'
              : acc === 'maybe' || v === 'maybe'
                ? 'maybe'
                : 'yes',
          'yes',
        );
        const own = pendingIf.isElse ? 'yes' : /\blet\b/.test(cond) ? 'maybe' : evalCond(cond, env);
        const v: V =
          priorNone === 'no' || own === 'no'
            ? 'no'
            : priorNone === 'maybe' || own === 'maybe'
              ? 'maybe'
              : 'yes';
        stack.push({ v, chain: [...prior, own] });
        pendingIf = undefined;
      } else if (pendingFn) {
        stack.push({ v: 'yes', fn: true, main: pendingFn === 'main' });
        pendingFn = undefined;
      } else {
        // A `match`, an arm, a loop that may not run, a closure: not known to run.
        const head = src.slice(
          Math.max(
            src.lastIndexOf(';', m.index),
            src.lastIndexOf('{', m.index - 1),
            src.lastIndexOf('}', m.index),
          ) + 1,
          m.index,
        );
        const top = stack[stack.length - 1];
        if (/^\s*match\b/.test(head) || /[=(]\s*match\b/.test(head))
          stack.push({ v: 'yes', arms: [] });
        // An arm's body block runs when its arm is taken (the arm is accounted for by the match).
        else if (top?.arms && /=>\s*$/.test(head)) stack.push({ v: 'yes' });
        else stack.push({ v: /\bmatch\b|=>|\||\bfor\b|\bwhile\b/.test(head) ? 'maybe' : 'yes' });
      }
      lastChain = undefined;
      continue;
    }
    if (t === '}') {
      const b = stack.pop();
      lastChain = b?.chain;
      if (b?.arms) {
        // Sure in every arm: emitted when the match runs; in some arms only: maybe.
        const names = new Set(b.arms.flatMap(a => [...a.keys()]));
        for (const n of names)
          set(n, b.arms.length > 0 && b.arms.every(a => a.get(n) === 'yes') ? 'yes' : 'maybe');
      }
      // `if !enable_use_proc_macro(&target) { return; }` in main: what follows runs only when
      // the condition is false. (A `return` in a `match` arm is not followed: as before, the
      // emissions after it count as reached.)
      const top = stack[stack.length - 1];
      if (b?.returns && b.chain && top?.main) {
        const g = not(b.v);
        const prev = top.guard ?? 'yes';
        top.guard =
          prev === 'no' || g === 'no' ? 'no' : prev === 'maybe' || g === 'maybe' ? 'maybe' : 'yes';
      }
    }
  }
  function here(): V {
    let v: V = 'yes';
    for (let i = stack.length - 1; i >= 0; i--) {
      const b = stack[i];
      if (b.v === 'no' || b.guard === 'no') return 'no';
      if (b.guard === 'maybe') v = 'maybe';
      if (b.v === 'maybe') v = 'maybe';
      if (b.fn) return b.main ? v : 'maybe';
    }
    return 'maybe';
  }
  return out;
}
