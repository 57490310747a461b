/**
 * Differential layout measurement on real registry crates (issue #11): rustc's layout of every
 * concrete (non-generic) struct, enum and union the index finds, against the engine's answer.
 *
 * Ground truth comes from rustc alone. A scratch copy of the crate (dev-dependencies and extra
 * targets dropped, a `directory` source at the Debian registry) gets one probe per type, inserted
 * right after the type (or after the item-position macro call it came from), in the same scope so
 * privacy and name resolution are those of the definition:
 *
 *     const _: () = { let _ = crate::__al_core::mem::size_of::<crate::__AlProbe<17, Foo>>(); };
 *
 * `__AlProbe<ID, T>(T)` is a newtype, so its size and alignment are T's, and the `ID` in the name
 * rustc prints with `-Zprint-type-sizes` maps the answer back to the probe without guessing paths.
 * The probe copies the `#[cfg]` attributes of its anchor. A probe that does not compile (a name
 * the engine invented, an item of a cfg'd-off module inside a macro, an unsized alias) is dropped
 * and the build repeated; a type whose probe is never compiled (cfg'd off) has no truth and is not
 * counted.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadWorkspace, WorkspaceIndex } from '../../src/core/index/workspace';
import { LayoutEngine } from '../../src/core/layout/engine';
import type { TypeDefItem } from '../../src/core/model';
import { parseRust, SyntaxNode } from '../../src/core/parser';
import { tokenize, type Tok } from '../../src/core/index/macro-rules';

export const REGISTRY = process.env.ALLOC_LENS_REGISTRY || '/usr/share/cargo/registry';
export const TRUTH_DIR = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'layout-truth');

/** One crate of the measurement. */
export interface CrateSpec {
  name: string;
  version: string;
  /** What the crate stands for in the sample. */
  area: string;
  features?: string[];
  noDefaultFeatures?: boolean;
}

/** The measured crates: async/network, data structures, concurrency, parsing, CLI, logging. */
export const CRATES: CrateSpec[] = [
  { name: 'tokio', version: '1.24.2', area: 'async', features: ['full'] },
  { name: 'mio', version: '0.8.4', area: 'async', features: ['os-poll', 'net'] },
  { name: 'hyper', version: '0.14.19', area: 'network', features: ['full'] },
  { name: 'h2', version: '0.3.13', area: 'network' },
  { name: 'http', version: '0.2.7', area: 'network' },
  { name: 'bytes', version: '1.2.1', area: 'data structures' },
  { name: 'indexmap', version: '1.9.2', area: 'data structures' },
  { name: 'hashbrown', version: '0.12.3', area: 'data structures' },
  { name: 'smallvec', version: '1.9.0', area: 'data structures' },
  { name: 'crossbeam-channel', version: '0.5.6', area: 'concurrency' },
  { name: 'parking_lot', version: '0.12.1', area: 'concurrency' },
  { name: 'serde_json', version: '1.0.87', area: 'parsing' },
  { name: 'regex-syntax', version: '0.6.27', area: 'parsing' },
  { name: 'syn', version: '1.0.107', area: 'parsing', features: ['full'] },
  { name: 'clap', version: '4.0.32', area: 'CLI' },
  { name: 'log', version: '0.4.17', area: 'logging', features: ['std'] },
  { name: 'env_logger', version: '0.9.3', area: 'logging' },
  { name: 'tracing-subscriber', version: '0.3.16', area: 'logging' },
];

/** One type rustc measured. `file` is relative to the crate directory. */
export interface TruthType {
  file: string;
  line: number;
  name: string;
  path: string;
  size: number;
  align: number;
  /**
   * False for a type rustc compiles (seen in `-Zunpretty=expanded`) that the index did not find;
   * its probe went at the end of its module's file, and `line` is 0.
   */
  indexed?: false;
}

/** Committed ground truth of one crate (`test/fixtures/layout-truth/<name>-<version>.json`). */
export interface CrateTruth {
  crate: string;
  version: string;
  features: string[];
  noDefaultFeatures: boolean;
  rustc: string;
  types: TruthType[];
  /** Probes dropped because they did not compile (name and first error line). */
  dropped: { file: string; line: number; name: string; error: string }[];
  /** Candidate types rustc never compiled (cfg'd off, or in files outside the lib target). */
  notCompiled: number;
  /** Concrete types of the expanded crate the index does not have and no probe could reach. */
  unreached: string[];
}

export function crateDir(spec: CrateSpec): string {
  return path.join(REGISTRY, `${spec.name}-${spec.version}`);
}

export function truthFile(spec: CrateSpec): string {
  return path.join(TRUTH_DIR, `${spec.name}-${spec.version}.json`);
}

/** Types worth measuring: structs, enums and unions without type or const parameters. */
export function concreteTypes(index: WorkspaceIndex, dir: string): TypeDefItem[] {
  const root = path.resolve(dir) + path.sep;
  return (
    index
      .typeDefs()
      .filter(
        t =>
          t.kind !== 'type' &&
          t.span.file.startsWith(root) &&
          t.generics.every(g => g.kind === 'lifetime'),
      )
      // Of two `#[cfg]` alternatives only the compiled one is a type (as the index decides).
      .filter(t => t.attrs.length === 0 || index.isActive(t.module, t.attrs))
      .sort(
        (a, b) => a.span.file.localeCompare(b.span.file) || a.span.startOffset - b.span.startOffset,
      )
  );
}

export async function indexCrate(spec: CrateSpec): Promise<WorkspaceIndex> {
  return loadWorkspace(crateDir(spec), { features: spec.features ?? [] });
}

interface Probe {
  id: number;
  item: TypeDefItem;
  rel: string;
  /** Offset after which the probe is inserted, and the probe's text (one line). */
  at: number;
  text: string;
  /** Anchor node key, to find probes of macro-made types that share a scope and a name. */
  scope: string;
  viaMacro: boolean;
  /** A type only the expanded crate showed (no index item): `item` is a stand-in. */
  extra?: boolean;
  /** 1-based line of the probe in the scratch copy. */
  line?: number;
}

const ITEM_PARENTS = new Set(['source_file', 'declaration_list', 'block']);

/** The item-position node a probe goes after: the type itself, or the macro call it came from. */
function anchorOf(root: SyntaxNode, item: TypeDefItem): SyntaxNode | undefined {
  let n: SyntaxNode | null = root.descendantForIndex(
    item.nameSpan.startOffset,
    item.nameSpan.endOffset,
  );
  let anchor: SyntaxNode | undefined;
  for (; n; n = n.parent) {
    if (n.type === 'macro_invocation' || n.type === 'macro_definition') anchor = n;
    else if (
      !anchor &&
      (n.type === 'struct_item' || n.type === 'enum_item' || n.type === 'union_item') &&
      n.parent &&
      ITEM_PARENTS.has(n.parent.type)
    )
      anchor = n;
  }
  if (!anchor || anchor.type === 'macro_definition') return undefined;
  // A macro call used as a statement is wrapped in an expression_statement.
  if (anchor.parent?.type === 'expression_statement') anchor = anchor.parent;
  return anchor.parent && ITEM_PARENTS.has(anchor.parent.type) ? anchor : undefined;
}

/** `#[cfg(...)]` attributes written right before `node` (comments in between are skipped). */
function cfgAttrs(node: SyntaxNode): string[] {
  const out: string[] = [];
  for (let p = node.previousSibling; p; p = p.previousSibling) {
    if (p.type === 'line_comment' || p.type === 'block_comment') continue;
    if (p.type !== 'attribute_item') break;
    if (/^#\s*\[\s*cfg\s*\(/.test(p.text)) out.unshift(p.text.replace(/\s*\n\s*/g, ' '));
  }
  return out;
}

function typeText(item: TypeDefItem): string {
  const lts = item.generics.filter(g => g.kind === 'lifetime').length;
  return lts ? `${item.name}<${Array(lts).fill("'static").join(', ')}>` : item.name;
}

/** Builds the probes for `items` (skipping those with no item-position anchor). */
export function planProbes(
  items: TypeDefItem[],
  dir: string,
): { probes: Probe[]; skipped: TypeDefItem[] } {
  const trees = new Map<string, SyntaxNode>();
  const texts = new Map<string, string>();
  const probes: Probe[] = [];
  const skipped: TypeDefItem[] = [];
  for (const item of items) {
    const file = item.span.file;
    let root = trees.get(file);
    if (!root) {
      texts.set(file, fs.readFileSync(file, 'utf8'));
      trees.set(file, (root = parseRust(texts.get(file)!).rootNode));
    }
    const a = anchorOf(root, item);
    if (!a) {
      skipped.push(item);
      continue;
    }
    const id = probes.length;
    const attrs =
      a.type === 'struct_item' ||
      a.type === 'enum_item' ||
      a.type === 'union_item' ||
      a.type === 'expression_statement' ||
      a.type === 'macro_invocation'
        ? cfgAttrs(a)
        : [];
    const text =
      `${attrs.join(' ')} const _: () = { let _ = crate::__al_core::mem::size_of::<crate::__AlProbe<${id}, ${typeText(item)}>>(); };`.trim();
    // `name!(...)` ends at its `;`, which tree-sitter may leave outside the node.
    const src = texts.get(file)!;
    let at = a.endIndex;
    const after = /^\s*;/.exec(src.slice(at, at + 200));
    if (a.type === 'macro_invocation' && after) at += after[0].length;
    probes.push({
      id,
      item,
      rel: path.relative(dir, file),
      at,
      text,
      scope: `${file}:${a.parent!.startIndex}`,
      viaMacro: a.type !== item.kind + '_item',
    });
  }
  // Two macro-made types of one name in one scope (cfg alternatives inside macro bodies): a probe
  // cannot tell which one the name resolves to, so neither is measured.
  const count = new Map<string, number>();
  for (const p of probes)
    count.set(`${p.scope}:${p.item.name}`, (count.get(`${p.scope}:${p.item.name}`) ?? 0) + 1);
  const kept = probes.filter(p => !(p.viaMacro && count.get(`${p.scope}:${p.item.name}`)! > 1));
  for (const p of probes) if (!kept.includes(p)) skipped.push(p.item);
  return { probes: kept, skipped };
}

/** Removes dev-dependencies and test/bench/example targets from a (normalised) Cargo.toml. */
export function stripManifest(toml: string): string {
  const out: string[] = [];
  let drop = false;
  for (const line of toml.split('\n')) {
    const h = /^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$/.exec(line);
    if (h) {
      const name = h[1].trim();
      drop = /(^|\.)dev-dependencies(\.|$)/.test(name) || /^(bench|test|example)$/.test(name);
    }
    if (!drop) out.push(line);
  }
  return out.join('\n');
}

function libRoot(dir: string): string {
  const toml = fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8');
  const lib = /^\[lib\][^[]*?^path\s*=\s*"([^"]+)"/ms.exec(toml);
  return path.join(dir, lib ? lib[1] : 'src/lib.rs');
}

const ROOT_DEFS =
  '\n#[doc(hidden)] #[allow(dead_code)] pub struct __AlProbe<const ID: usize, T>(pub T);\n' +
  '#[doc(hidden)] #[allow(unused_extern_crates)] extern crate core as __al_core;\n';

/** Writes the probes into the scratch copy (`work`), recording each probe's line. */
function writeProbes(src: string, work: string, probes: Probe[]): void {
  const byFile = new Map<string, Probe[]>();
  for (const p of probes) byFile.set(p.rel, [...(byFile.get(p.rel) ?? []), p]);
  for (const [rel, ps] of byFile) {
    const text = fs.readFileSync(path.join(src, rel), 'utf8');
    ps.sort((a, b) => a.at - b.at || a.id - b.id);
    let out = '';
    let last = 0;
    let line = 1;
    for (const p of ps) {
      const chunk = text.slice(last, p.at);
      line += chunk.split('\n').length - 1;
      out += chunk + '\n' + p.text + '\n';
      p.line = line + 1;
      line += 2;
      last = p.at;
    }
    fs.writeFileSync(path.join(work, rel), out + text.slice(last));
  }
  const root = libRoot(work);
  fs.appendFileSync(root, ROOT_DEFS);
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', e => reject(new Error(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', code => resolve({ code, stdout, stderr }));
  });
}

const CARGO_CONFIG = (registry: string) =>
  `[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "${registry}"\n[net]\noffline = true\n`;

export interface TruthOptions {
  /** Shared cargo target directory (dependencies are reused between crates). */
  targetDir: string;
  onProgress?(msg: string): void;
  /** Only these types (by `file:line:name`), for a quick live check of a sample. */
  only?: Set<string>;
}

export function typeKey(t: { file: string; line: number; name: string }): string {
  return `${t.file}:${t.line}:${t.name}`;
}

/**
 * Paths (`<crate>::a::b::Name`) of the concrete structs, enums and unions of a crate as rustc
 * expanded it (`-Zunpretty=expanded`: cfgs applied, macros expanded, modules inlined). Types in
 * fn bodies and const blocks (derive helpers) are not counted.
 */
export function expandedTypePaths(expanded: string, crate: string): string[] {
  // Read as token trees, not with tree-sitter: where tree-sitter meets syntax of the expansion it
  // cannot parse, it closes the enclosing `mod` early and the types after it land in the parent
  // module (`clap::ParseState` for `clap::parser::parser::ParseState`), counted twice.
  const out: string[] = [];
  const strip = (n: string) => n.replace(/^r#/, '');
  const walk = (toks: Tok[], mod: string) => {
    for (let k = 0; k < toks.length; k++) {
      const t = toks[k];
      const name = toks[k + 1];
      if (t.kind !== 'ident' || name?.kind !== 'ident') continue;
      const next = toks[k + 2];
      if (t.text === 'mod' && next?.kind === 'group' && next.open === '{') {
        walk(next.children!, `${mod}::${strip(name.text)}`);
        k += 2;
      } else if (
        t.text === 'struct' ||
        t.text === 'enum' ||
        (t.text === 'union' && (next?.text === '<' || next?.text === 'where' || next?.open === '{'))
      ) {
        if (!hasTypeOrConstParams(toks, k + 2)) out.push(`${mod}::${strip(name.text)}`);
        k += 1;
      }
    }
  };
  walk(tokenize(expanded), crate);
  return out;
}

/** Whether the generic parameter list starting at `toks[j]` (if `<`) has a type or const parameter. */
function hasTypeOrConstParams(toks: Tok[], j: number): boolean {
  if (toks[j]?.text !== '<') return false;
  let depth = 0;
  let start = true;
  for (; j < toks.length; j++) {
    const x = toks[j].text;
    if (toks[j].kind === 'punct') {
      if (x === '<' || x === '<<') depth += x.length;
      else if (x === '>' || x === '>>') {
        depth -= x.length;
        if (depth <= 0) return false;
      } else if (x === ',' && depth === 1) start = true;
      else if (x === '#' && depth === 1 && start) j++;
      continue;
    }
    if (start && depth === 1) {
      if (toks[j].kind !== 'lifetime') return true;
      start = false;
    }
  }
  return false;
}

function scratchCopy(spec: CrateSpec): string {
  const src = crateDir(spec);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `al-truth-${spec.name}-`));
  fs.cpSync(src, work, { recursive: true });
  fs.writeFileSync(
    path.join(work, 'Cargo.toml'),
    stripManifest(fs.readFileSync(path.join(src, 'Cargo.toml'), 'utf8')),
  );
  fs.rmSync(path.join(work, 'Cargo.lock'), { force: true });
  fs.mkdirSync(path.join(work, '.cargo'), { recursive: true });
  fs.writeFileSync(path.join(work, '.cargo', 'config.toml'), CARGO_CONFIG(REGISTRY));
  return work;
}

/** Probes for types rustc has and the index lacks: at the end of the nearest file module. */
function extraProbes(
  missing: string[],
  index: WorkspaceIndex,
  dir: string,
  first: number,
  crate: string,
): { probes: Probe[]; unreached: string[] } {
  const fileOf = new Map<string, string>();
  for (const f of index.fileNames()) {
    const m = index.moduleOf(f);
    if (m && f.startsWith(path.resolve(dir) + path.sep) && !fileOf.has(m)) fileOf.set(m, f);
  }
  const probes: Probe[] = [];
  const unreached: string[] = [];
  for (const p of missing) {
    const segs = p.split('::');
    let k = segs.length - 1;
    while (k > 0 && !fileOf.has(segs.slice(0, k).join('::'))) k--;
    const file = fileOf.get(segs.slice(0, k).join('::'));
    if (!file) {
      unreached.push(p);
      continue;
    }
    const id = first + probes.length;
    const rel = ['self', ...segs.slice(k)].join('::');
    const text = `const _: () = { let _ = crate::__al_core::mem::size_of::<crate::__AlProbe<${id}, ${rel}>>(); };`;
    const name = segs[segs.length - 1];
    const stand = {
      name,
      path: p,
      kind: 'struct',
      span: { file },
      nameSpan: { line: 0 },
      generics: [],
    } as unknown as TypeDefItem;
    probes.push({
      id,
      item: stand,
      rel: path.relative(dir, file),
      at: fs.readFileSync(file, 'utf8').length,
      text,
      scope: '',
      viaMacro: false,
      extra: true,
    });
  }
  void crate;
  return { probes, unreached };
}

/** Builds the ground truth of one crate with rustc (offline, `cargo rustc --profile check`). */
export async function measureTruth(spec: CrateSpec, opts: TruthOptions): Promise<CrateTruth> {
  const src = crateDir(spec);
  if (!fs.existsSync(src))
    throw new Error(
      `${src} is missing: run scripts/ci-deps.sh (apt-get install librust-${spec.name.replace(/_/g, '-')}-dev)`,
    );
  const progress = opts.onProgress ?? (() => undefined);
  const index = await indexCrate(spec);
  let items = concreteTypes(index, src);
  if (opts.only)
    items = items.filter(t =>
      opts.only!.has(
        typeKey({ file: path.relative(src, t.span.file), line: t.nameSpan.line, name: t.name }),
      ),
    );
  const plan = planProbes(items, src);
  let probes = plan.probes;
  const dropped: CrateTruth['dropped'] = [];
  const vv = (await run('rustc', ['--version'], src, process.env)).stdout.trim();
  const env = {
    ...process.env,
    RUSTC_BOOTSTRAP: '1',
    CARGO_INCREMENTAL: '0',
    CARGO_TARGET_DIR: opts.targetDir,
    CARGO_TERM_COLOR: 'never',
  };
  const feat = spec.features?.length ? ['--features', spec.features.join(',')] : [];
  const nodef = spec.noDefaultFeatures ? ['--no-default-features'] : [];
  let unreached: string[] = [];
  if (!opts.only) {
    // Every concrete type rustc compiles, found independently of the index.
    const work = scratchCopy(spec);
    try {
      progress(`${spec.name}: expanding with rustc`);
      const r = await run(
        'cargo',
        [
          'rustc',
          '--offline',
          '--lib',
          '--profile',
          'check',
          '-j2',
          ...feat,
          ...nodef,
          '--',
          '-Zunpretty=expanded',
          '--cap-lints',
          'allow',
        ],
        work,
        env,
      );
      if (r.code !== 0)
        throw new Error(
          `${spec.name}: -Zunpretty=expanded failed: ${r.stderr.split('\n').find(l => l.startsWith('error')) ?? r.stderr.slice(-1000)}`,
        );
      const crate = index.moduleOf(libRoot(src)) ?? spec.name.replace(/-/g, '_');
      const known = new Set(index.typeDefs().map(t => t.path));
      const missing = [...new Set(expandedTypePaths(r.stdout, crate))].filter(p => !known.has(p));
      const extra = extraProbes(missing, index, src, probes.length, crate);
      probes = [...probes, ...extra.probes];
      unreached = extra.unreached;
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  for (let round = 1; ; round++) {
    const work = scratchCopy(spec);
    try {
      writeProbes(src, work, probes);
      progress(`${spec.name}: rustc round ${round}, ${probes.length} probes`);
      const args = [
        'rustc',
        '--offline',
        '--lib',
        '--profile',
        'check',
        '-j2',
        ...feat,
        ...nodef,
        '--',
        '-Zprint-type-sizes',
        '--cap-lints',
        'allow',
      ];
      const r = await run('cargo', args, work, env);
      if (r.code === 0) {
        const sizes = new Map<number, { size: number; align: number }>();
        const re =
          /^print-type-size type: `(?:[\w:]*::)?__AlProbe<(\d+), .*`: (\d+) bytes, alignment: (\d+) bytes$/;
        for (const l of r.stdout.split('\n')) {
          const m = re.exec(l);
          if (m) sizes.set(Number(m[1]), { size: Number(m[2]), align: Number(m[3]) });
        }
        const types: TruthType[] = [];
        for (const p of probes) {
          const s = sizes.get(p.id);
          if (s)
            types.push({
              file: p.rel,
              line: p.item.nameSpan.line,
              name: p.item.name,
              path: p.item.path,
              ...s,
              ...(p.extra ? { indexed: false as const } : {}),
            });
          else if (p.extra) unreached.push(p.item.path);
        }
        const notCompiled =
          probes.filter(p => !p.extra).length - types.filter(t => t.indexed !== false).length;
        return {
          crate: spec.name,
          version: spec.version,
          features: spec.features ?? [],
          noDefaultFeatures: !!spec.noDefaultFeatures,
          rustc: vv,
          types,
          dropped,
          notCompiled,
          unreached,
        };
      }
      // Drop the probes the errors point at; any other error means the crate itself fails.
      const bad = new Map<number, string>();
      const errRe = /^(error(?:\[E\d+\])?: .*)\n\s*--> ([^:\n]+):(\d+):\d+/gm;
      let m: RegExpExecArray | null;
      let foreign = '';
      while ((m = errRe.exec(r.stderr))) {
        const file = path.relative(work, path.resolve(work, m[2]));
        const line = Number(m[3]);
        const p = probes.find(q => q.rel === file && q.line === line);
        if (p) bad.set(p.id, m[1]);
        else if (!foreign) foreign = `${m[1]} at ${m[2]}:${m[3]}`;
      }
      if (bad.size === 0 || round >= 6) {
        const first =
          foreign || r.stderr.split('\n').find(l => l.startsWith('error')) || r.stderr.slice(-2000);
        throw new Error(`${spec.name}: the build failed: ${first}`);
      }
      for (const p of probes) if (bad.has(p.id) && p.extra) unreached.push(p.item.path);
      for (const p of probes)
        if (bad.has(p.id) && !p.extra)
          dropped.push({
            file: p.rel,
            line: p.item.nameSpan.line,
            name: p.item.name,
            error: bad.get(p.id)!,
          });
      probes = probes.filter(p => !bad.has(p.id));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
}

/** How the engine's answer for one type compares with rustc's. */
export type Verdict =
  'exact' | 'wrong-exact' | 'lower-bound' | 'lower-bound-above-truth' | 'unknown' | 'missing';

export interface Compared extends TruthType {
  verdict: Verdict;
  engine?: { size: number; align: number; status: string; error?: string; unknownParts?: string[] };
}

export interface CrateScore {
  crate: string;
  version: string;
  area: string;
  total: number;
  counts: Record<Verdict, number>;
  entries: Compared[];
}

/** Compares the engine's answer for every type of `truth` (the index is built with its features). */
export function compareTruth(
  spec: CrateSpec,
  truth: CrateTruth,
  index: WorkspaceIndex,
): CrateScore {
  const src = crateDir(spec);
  const engine = new LayoutEngine(index);
  const byKey = new Map<string, TypeDefItem>();
  const byPath = new Map<string, TypeDefItem>();
  for (const t of concreteTypes(index, src)) {
    byKey.set(
      typeKey({ file: path.relative(src, t.span.file), line: t.nameSpan.line, name: t.name }),
      t,
    );
    if (!byPath.has(t.path)) byPath.set(t.path, t);
  }
  const counts: Record<Verdict, number> = {
    exact: 0,
    'wrong-exact': 0,
    'lower-bound': 0,
    'lower-bound-above-truth': 0,
    unknown: 0,
    missing: 0,
  };
  const entries: Compared[] = [];
  for (const t of truth.types) {
    // A type the index lacked when the truth was made may be found now (by path).
    // Spans move (a type found in a macro expansion is at the call): fall back to the path.
    const item = (t.indexed === false ? undefined : byKey.get(typeKey(t))) ?? byPath.get(t.path);
    let verdict: Verdict = 'missing';
    let est: Compared['engine'];
    if (item) {
      const l = engine.layoutOfItem(item);
      est = {
        size: l.size,
        align: l.align,
        status: l.status,
        ...(l.error ? { error: l.error } : {}),
        ...(l.unknownParts?.length ? { unknownParts: l.unknownParts.slice(0, 4) } : {}),
      };
      if (l.status === 'exact')
        verdict = l.size === t.size && l.align === t.align ? 'exact' : 'wrong-exact';
      else if (l.status === 'lower-bound')
        verdict = l.size > t.size ? 'lower-bound-above-truth' : 'lower-bound';
      else verdict = 'unknown';
    }
    counts[verdict]++;
    entries.push({ ...t, verdict, engine: est });
  }
  // Types rustc has that no probe reached are misses too (no size known, so no entry).
  counts.missing += truth.unreached?.length ?? 0;
  return {
    crate: spec.name,
    version: spec.version,
    area: spec.area,
    total: truth.types.length + (truth.unreached?.length ?? 0),
    counts,
    entries,
  };
}

/** The committed form: one type per line, so that a diff shows which types changed. */
export function truthText(t: CrateTruth): string {
  const { types, dropped, ...head } = t;
  const list = (xs: object[]) =>
    xs.length ? `[\n  ${xs.map(x => JSON.stringify(x)).join(',\n  ')}\n ]` : '[]';
  const fields = Object.entries(head).map(
    ([k, v]) => ` ${JSON.stringify(k)}: ${JSON.stringify(v)}`,
  );
  return `{\n${fields.join(',\n')},\n "types": ${list(types)},\n "dropped": ${list(dropped)}\n}\n`;
}

export function readTruth(spec: CrateSpec): CrateTruth | undefined {
  const f = truthFile(spec);
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as CrateTruth) : undefined;
}

function pct(n: number, d: number): string {
  return d ? `${((100 * n) / d).toFixed(1)} %` : '-';
}

/** Markdown table of the scores, with a total row. */
export function renderScores(scores: CrateScore[]): string {
  const head =
    '| crate | area | types | exact | exact % | wrong exact | lower bound | lb > truth | unknown | missing |';
  const rows = [head, '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  const tot: Record<Verdict, number> = {
    exact: 0,
    'wrong-exact': 0,
    'lower-bound': 0,
    'lower-bound-above-truth': 0,
    unknown: 0,
    missing: 0,
  };
  let total = 0;
  for (const s of scores) {
    const c = s.counts;
    rows.push(
      `| ${s.crate} ${s.version} | ${s.area} | ${s.total} | ${c.exact} | ${pct(c.exact, s.total)} | ${c['wrong-exact']} | ${c['lower-bound']} | ${c['lower-bound-above-truth']} | ${c.unknown} | ${c.missing} |`,
    );
    total += s.total;
    for (const k of Object.keys(tot) as Verdict[]) tot[k] += c[k];
  }
  rows.push(
    `| **all** | | ${total} | ${tot.exact} | **${pct(tot.exact, total)}** | **${tot['wrong-exact']}** | ${tot['lower-bound']} | ${tot['lower-bound-above-truth']} | ${tot.unknown} | ${tot.missing} |`,
  );
  return rows.join('\n');
}
