#!/usr/bin/env node
// Agreement with the real `cargo clippy` on real registry crates (npm run measure:clippy).
// For each crate of CRATES (Debian sources in /usr/share/cargo/registry, see scripts/ci-deps.sh):
//  1. `--refresh` (or no committed truth yet): copy the crate to a private scratch dir, drop its
//     dev-dependencies and test/bench/example targets, run `cargo clippy --lib` offline with
//     -A clippy::all -W result_large_err -W large_enum_variant -W large_types_passed_by_value
//     (`-W` honours the crate's own #[allow]s, which is what users see), and write the compiled
//     files and clippy's findings to test/fixtures/clippy-truth/<crate>.json (committed).
//  2. Run alloc-lens's rules on the crate, keep findings in the files clippy compiled, and print
//     recall and precision per lint. A finding matches a clippy one of the same lint in the same
//     file when ours starts at most 12 lines before clippy's primary span (clippy points at the
//     return type, which may end a long signature, or at the whole enum; we point at the name)
//     and at most 3 after its end, nearest first, one to one.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const ROOT = path.join(import.meta.dirname, '..');
const REG = '/usr/share/cargo/registry';
const TRUTH = path.join(ROOT, 'test', 'fixtures', 'clippy-truth');
export const CRATES = [
  'tokio-1.24.2',
  'hyper-0.14.19',
  'h2-0.3.13',
  'clap-4.0.32',
  'syn-1.0.107',
  'serde_json-1.0.87',
  'regex-1.7.1',
  'regex-syntax-0.6.27',
  'futures-util-0.3.21',
  'tracing-subscriber-0.3.16',
  'crossbeam-channel-0.5.6',
  'rayon-core-1.10.1',
  'indexmap-1.9.2',
  'mio-0.8.4',
  'gimli-0.27.0',
  'object-0.30.0',
  'http-0.2.7',
  'time-0.3.9',
  'toml-0.5.11',
  'pest-2.5.2',
  'serde_yaml-0.8.26',
  'globset-0.4.9',
  'ignore-0.4.18',
  'tar-0.4.38',
  'png-0.17.7',
  'trust-dns-proto-0.22.0',
  'pulldown-cmark-0.9.2',
  'quick-xml-0.26.0',
  'tera-1.17.1',
  // Crates whose large-enum-variant findings the judged corpus holds (clippy run 2026-12-02).
  'aho-corasick-0.7.19',
  'wasm-bindgen-backend-0.2.83',
  'syntect-5.0.0',
  // The other corpus crates with large-enum-variant findings (clippy run 2026-12-02, issue #12).
  'lalrpop-0.19.8',
  'reqwest-0.11.13',
  'sequoia-openpgp-1.12.0',
];
// Features clippy compiles with (alloc-lens evaluates the crate's defaults unless told).
const FEATURES = {
  'tokio-1.24.2': 'full',
  'syn-1.0.107': 'full,visit,fold,extra-traits',
  'mio-0.8.4': 'os-poll,net',
};
export const LINTS = {
  'clippy::result_large_err': 'large-error',
  'clippy::large_enum_variant': 'large-enum-variant',
  'clippy::large_types_passed_by_value': 'large-move',
};

function stripManifest(text) {
  const out = [];
  let skip = false;
  for (const line of text.split('\n')) {
    const h = /^\s*\[\[?([A-Za-z][^\]]*)\]\]?\s*$/.exec(line);
    if (h)
      skip = /^(dev-dependencies|target\..*\.dev-dependencies|bench|test|example)\b/.test(h[1]);
    if (!skip) out.push(line);
  }
  return out.join('\n');
}

function runClippy(crate, scratch) {
  const dir = path.join(scratch, crate);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(REG, crate), dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'Cargo.toml'),
    stripManifest(fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8')),
  );
  fs.rmSync(path.join(dir, 'Cargo.lock'), { force: true });
  fs.mkdirSync(path.join(dir, '.cargo'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, '.cargo', 'config.toml'),
    `[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "${REG}"\n[net]\noffline = true\n`,
  );
  const args = ['clippy', '--lib', '--message-format=json'];
  if (FEATURES[crate]) args.push('--features', FEATURES[crate]);
  // --cap-lints warn: old crates' own #![deny(warnings)] must not stop the build; allows still hold.
  args.push(
    '--',
    '--cap-lints',
    'warn',
    '-A',
    'clippy::all',
    ...Object.keys(LINTS).flatMap(l => ['-W', l]),
  );
  const target = path.join(scratch, 'target');
  const r = spawnSync('cargo', args, {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, CARGO_TARGET_DIR: target, CARGO_INCREMENTAL: '0' },
  });
  const findings = [];
  const errors = [];
  let compiled = [];
  for (const l of r.stdout.split('\n')) {
    if (!l.startsWith('{')) continue;
    const m = JSON.parse(l);
    if (m.reason !== 'compiler-message' || !m.manifest_path.startsWith(dir)) continue;
    const d = m.message;
    if (d.level === 'error') errors.push(d.rendered ?? d.message);
    const lint = d.code?.code;
    if (!LINTS[lint]) continue;
    const s = d.spans.find(x => x.is_primary);
    if (!s || s.file_name.startsWith('/')) continue;
    findings.push({
      lint: LINTS[lint],
      file: s.file_name,
      line: s.line_start,
      endLine: s.line_end,
      message: d.message,
    });
  }
  // The files of the lib target: rustc's dep-info (.d) written next to the lib's metadata.
  const deps = path.join(target, 'debug', 'deps');
  const libName = crate.replace(/-[\d.]+$/, '').replace(/-/g, '_');
  const d = fs.existsSync(deps)
    ? fs
        .readdirSync(deps)
        .filter(
          f =>
            f.startsWith(`lib${libName}-`) === false &&
            f.startsWith(`${libName}-`) &&
            f.endsWith('.d'),
        )
    : [];
  for (const f of d) {
    const first = fs.readFileSync(path.join(deps, f), 'utf8').split('\n')[0];
    // Paths are relative to the package directory (absolute for files outside it).
    const files = first
      .slice(first.indexOf(': ') + 2)
      .trim()
      .split(/(?<!\\)\s+/)
      .map(x => path.resolve(dir, x))
      .filter(x => x.startsWith(dir + '/') && x.endsWith('.rs'));
    if (files.length > compiled.length) compiled = files;
  }
  if (r.status !== 0 || compiled.length === 0)
    throw new Error(
      `cargo clippy failed on ${crate} (status ${r.status}):\n${errors.join('\n').slice(0, 3000)}\n${r.stderr.slice(-1000)}`,
    );
  return {
    crate,
    features: FEATURES[crate] ?? 'default',
    clippy: spawnSync('cargo', ['clippy', '--version'], { encoding: 'utf8' }).stdout.trim(),
    files: compiled.map(f => path.relative(dir, f)).sort(),
    findings: findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line),
  };
}

/** Our findings on a crate, restricted to the files clippy compiled, as {lint,file,line}. */
export async function ours(crate, truth) {
  const out = path.join(ROOT, 'out', 'src');
  const { loadWorkspace } = require(path.join(out, 'core', 'index', 'workspace.js'));
  const { LayoutEngine } = require(path.join(out, 'core', 'layout', 'engine.js'));
  const { resolveSettings } = require(path.join(out, 'core', 'config', 'settings.js'));
  const { runRules } = require(path.join(out, 'core', 'rules', 'run.js'));
  const dir = path.join(REG, crate);
  const index = await loadWorkspace(
    dir,
    truth.features !== 'default' ? { features: truth.features.split(',') } : {},
  );
  const files = truth.files.map(f => path.join(dir, f));
  for (const f of files) if (!index.hasFile(f)) index.ensureFile(f);
  const settings = resolveSettings({ dir });
  const lints = new Set(Object.values(LINTS));
  return runRules(index, new LayoutEngine(index), settings, files)
    .filter(f => lints.has(f.code) && (f.code !== 'large-move' || f.data?.kind === 'param'))
    .map(f => ({
      lint: f.code,
      file: path.relative(dir, f.range.file),
      line: f.range.line,
      severity: f.severity,
      message: f.message,
    }));
}

export function match(theirs, mine) {
  const used = new Set();
  const pairs = [];
  const missed = [];
  for (const t of theirs) {
    let best = -1;
    mine.forEach((m, i) => {
      if (used.has(i) || m.lint !== t.lint || m.file !== t.file) return;
      const d = m.line < t.line ? t.line - m.line : m.line > t.endLine ? m.line - t.endLine : 0;
      if (
        d <= (m.line < t.line ? 12 : 3) &&
        (best < 0 || Math.abs(mine[best].line - t.line) > Math.abs(m.line - t.line))
      )
        best = i;
    });
    if (best >= 0) {
      used.add(best);
      pairs.push([t, mine[best]]);
    } else missed.push(t);
  }
  return { pairs, missed, extra: mine.filter((_, i) => !used.has(i)) };
}

async function main() {
  const refresh = process.argv.includes('--refresh');
  const only = process.argv.slice(2).filter(a => !a.startsWith('--'));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'al-clippy-'));
  const totals = {};
  try {
    for (const crate of only.length ? only : CRATES) {
      const file = path.join(TRUTH, `${crate}.json`);
      if (!fs.existsSync(path.join(REG, crate))) {
        console.error(`${crate}: not in ${REG}: run scripts/ci-deps.sh`);
        process.exitCode = 1;
        continue;
      }
      if (refresh || !fs.existsSync(file)) {
        process.stderr.write(`${crate}: cargo clippy ...\n`);
        fs.writeFileSync(file, JSON.stringify(runClippy(crate, scratch), null, 1) + '\n');
      }
      const truth = JSON.parse(fs.readFileSync(file, 'utf8'));
      const mine = await ours(crate, truth);
      const r = match(truth.findings, mine);
      for (const lint of new Set(Object.values(LINTS))) {
        const t = (totals[lint] ??= { clippy: 0, ours: 0, both: 0 });
        t.clippy += truth.findings.filter(f => f.lint === lint).length;
        t.ours += mine.filter(f => f.lint === lint).length;
        t.both += r.pairs.filter(([a]) => a.lint === lint).length;
      }
      console.log(
        `${crate}: clippy ${truth.findings.length}, ours ${mine.length}, matched ${r.pairs.length}`,
      );
      for (const m of r.missed) console.log(`  missed ${m.lint} ${m.file}:${m.line} ${m.message}`);
      for (const m of r.extra)
        console.log(`  extra  ${m.lint} ${m.file}:${m.line} ${m.message.slice(0, 140)}`);
    }
  } finally {
    if (!process.env.AL_KEEP_SCRATCH) fs.rmSync(scratch, { recursive: true, force: true });
    else console.error(`scratch kept: ${scratch}`);
  }
  console.log('\nlint                 clippy  ours  both  recall  precision');
  for (const [lint, t] of Object.entries(totals)) {
    const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(1)}%` : 'n/a');
    console.log(
      `${lint.padEnd(20)} ${String(t.clippy).padStart(6)} ${String(t.ours).padStart(5)} ${String(t.both).padStart(5)}  ${pct(t.both, t.clippy).padStart(6)}  ${pct(t.both, t.ours).padStart(9)}`,
    );
  }
}

if (process.argv[1] === import.meta.filename)
  main().catch(e => {
    console.error(e);
    process.exitCode = 1;
  });
