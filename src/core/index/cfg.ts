/**
 * Evaluates `#[cfg(...)]` predicates for the layout target (x86_64-unknown-linux-gnu, a debug
 * build, not a test) and a package's enabled features (its `default` feature set). Custom cfgs
 * (`tokio_unstable`, `loom`, `docsrs`) are not set, as in a plain `cargo build`.
 */

const TRUE_FLAGS = new Set(['unix', 'debug_assertions', 'panic = "unwind"', 'target_has_atomic']);
const KEY_VALUES: Record<string, string[]> = {
  target_os: ['linux'],
  target_family: ['unix'],
  target_arch: ['x86_64'],
  target_pointer_width: ['64'],
  target_endian: ['little'],
  target_env: ['gnu'],
  target_vendor: ['unknown'],
  panic: ['unwind'],
  target_has_atomic: ['8', '16', '32', '64', 'ptr'],
};

type Tok = string;

function tokenize(s: string): Tok[] {
  return s.match(/"(?:\\.|[^"\\])*"|[A-Za-z_][\w]*|[(),=]/g) ?? [];
}

/** Returns whether the predicate holds. */
export function evalCfg(pred: string, features: ReadonlySet<string>): boolean {
  const toks = tokenize(pred);
  let i = 0;
  const parse = (): boolean => {
    const t = toks[i++];
    if (t === 'all' || t === 'any' || t === 'not') {
      i++; // (
      const vals: boolean[] = [];
      while (toks[i] !== ')' && i < toks.length) {
        vals.push(parse());
        if (toks[i] === ',') i++;
      }
      i++; // )
      if (t === 'all') return vals.every(Boolean);
      if (t === 'any') return vals.some(Boolean);
      return !vals[0];
    }
    if (toks[i] === '=') {
      i++;
      const v = (toks[i++] ?? '').replace(/^"|"$/g, '');
      if (t === 'feature') return features.has(v);
      return (KEY_VALUES[t] ?? []).includes(v);
    }
    return TRUE_FLAGS.has(t);
  };
  try {
    return parse();
  } catch {
    return true;
  }
}

/** The features a package builds with by default: `default` expanded through `[features]`. */
export function defaultFeatures(table: Record<string, unknown> | undefined): string[] {
  if (!table) return [];
  const out = new Set<string>();
  const visit = (f: string) => {
    if (out.has(f) || f.includes('/') || f.startsWith('dep:')) return;
    out.add(f);
    const deps = table[f];
    if (Array.isArray(deps)) for (const d of deps) if (typeof d === 'string' && !d.includes('/') && !d.startsWith('dep:')) visit(d);
  };
  const def = table.default;
  if (Array.isArray(def)) for (const d of def) if (typeof d === 'string') visit(d);
  return [...out];
}
