#!/usr/bin/env node
// Exact-mode drift on real crates: compiles each crate with -Zprint-type-sizes (offline, Debian
// crate sources), maps the printed types to the workspace index and compares them with the layout
// engine. Writes <crate>.tsv next to this file and prints a summary. Needs `npx tsc -p .` first.
//   node examples/exact-drift/run.mjs            (ddsplit, bytes, regex-syntax, tokio with `full`)
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const require = createRequire(import.meta.url);
const { exactLayoutReport } = require(join(repo, 'out', 'src', 'core', 'exact', 'index.js'));
const { exactTargetDir } = require(join(repo, 'out', 'src', 'core', 'exact', 'run.js'));
const REGISTRY = '/usr/share/cargo/registry';

/** A scratch copy of a Debian registry crate without dev-dependencies, benches, tests or examples. */
function scratch(name) {
  const dir = join(mkdtempSync(join(tmpdir(), 'al-drift-')), name);
  cpSync(join(REGISTRY, name), dir, { recursive: true });
  rmSync(join(dir, '.cargo-checksum.json'), { force: true });
  let skip = false;
  const toml = readFileSync(join(dir, 'Cargo.toml'), 'utf8')
    .split('\n')
    .filter(line => {
      if (line.startsWith('[')) skip = /dev-dependencies|^\[\[(bench|test|example)\]\]/.test(line);
      return !skip;
    });
  writeFileSync(join(dir, 'Cargo.toml'), toml.join('\n'));
  mkdirSync(join(dir, '.cargo'), { recursive: true });
  cpSync(
    join(repo, 'examples', 'ddsplit', '.cargo', 'config.toml'),
    join(dir, '.cargo', 'config.toml'),
  );
  return dir;
}

const crates = [
  { label: 'ddsplit', dir: join(repo, 'examples', 'ddsplit') },
  { label: 'bytes-1.2.1', dir: scratch('bytes-1.2.1') },
  { label: 'regex-syntax-0.6.27', dir: scratch('regex-syntax-0.6.27') },
  { label: 'tokio-1.24.2', dir: scratch('tokio-1.24.2'), features: ['full'] },
];

for (const c of crates) {
  if (!existsSync(c.dir)) continue;
  const r = await exactLayoutReport({
    crateDir: c.dir,
    features: c.features,
    noCache: true,
    onProgress: m => process.stderr.write(`${m}\n`),
  });
  const d = r.drift;
  const rows = d.disagreements.map(e => {
    const kind =
      e.estimate.status === 'exact'
        ? 'wrong-exact'
        : e.estimate.size > e.exact.size || e.estimate.align > e.exact.align
          ? 'bound-above-rustc'
          : /\{(closure|async)/.test(e.name)
            ? 'closure-arg'
            : 'lower-bound';
    return [
      relative(c.dir, e.file) + ':' + e.line,
      e.name,
      `${e.exact.size}/${e.exact.align}`,
      `${e.estimate.size}/${e.estimate.align}`,
      e.estimate.status,
      kind,
    ].join('\t');
  });
  const count = k => rows.filter(r => r.endsWith('\t' + k)).length;
  writeFileSync(
    join(here, `${c.label}.tsv`),
    [
      'file:line\ttype as printed by rustc\trustc size/align\tengine size/align\tengine status\tkind',
      ...rows,
    ].join('\n') + '\n',
  );
  console.log(
    `${c.label}: ${r.result.types.length} types printed (${r.result.closures.length} closures, ${r.result.asyncBodies.length} async bodies); ` +
      `own ${d.map.own.length}, mapped ${d.map.mapped.length} (${(d.map.ratio * 100).toFixed(1)}%); compared ${d.compared}, agree ${d.agree}, disagree ${d.disagreements.length} ` +
      `(wrong-exact ${count('wrong-exact')}, bound-above-rustc ${count('bound-above-rustc')}, closure-arg ${count('closure-arg')}, lower-bound ${count('lower-bound')}); build ${r.result.millis} ms`,
  );
  if (c.dir.startsWith(tmpdir())) {
    rmSync(exactTargetDir(c.dir), { recursive: true, force: true });
    rmSync(dirname(c.dir), { recursive: true, force: true });
  }
}
