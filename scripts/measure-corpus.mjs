#!/usr/bin/env node
// The judged corpus (npm run measure:corpus): precision and recall per rule on real registry
// crates, against labels an expert gave (test/fixtures/judged/corpus.json).
//
//   node scripts/measure-corpus.mjs            precision/recall of the current rules on the corpus
//   node scripts/measure-corpus.mjs --sample   re-run the rules and print the systematic sample
//                                              (to label; never hand-picked)
//
// Sample: all findings of every corpus crate, sorted by (rule, crate, file, line, column); per
// rule, every k-th finding starting at offset (seed % k), with k = ceil(n / PER_RULE), so each
// rule gets about PER_RULE findings (all of them when it has fewer).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const ROOT = path.join(import.meta.dirname, '..');
const REG = '/usr/share/cargo/registry';
const CORPUS = path.join(ROOT, 'test', 'fixtures', 'judged', 'corpus.json');
export const SEED = 20261202;
export const PER_RULE = 200;

export async function findingsOf(crate, features) {
  const out = path.join(ROOT, 'out', 'src');
  const { loadWorkspace } = require(path.join(out, 'core', 'index', 'workspace.js'));
  const { LayoutEngine } = require(path.join(out, 'core', 'layout', 'engine.js'));
  const { resolveSettings } = require(path.join(out, 'core', 'config', 'settings.js'));
  const { runRules } = require(path.join(out, 'core', 'rules', 'run.js'));
  const { selectFiles, DEFAULT_EXCLUDE } = require(path.join(out, 'core', 'config', 'files.js'));
  const dir = path.join(REG, crate);
  const index = await loadWorkspace(dir, features ? { features } : {});
  // A file the index skipped (tree-sitter gave up within its CPU budget, or extraction failed)
  // loses its findings: the crate counts as failed rather than quietly yielding fewer findings.
  // The parse budget counts CPU time (core/parser.ts), so a loaded machine does not cause this.
  const skipped = index.warnings.filter(
    w => /^(item )?skipped:/.test(w.message) && w.file.startsWith(dir + path.sep),
  );
  if (skipped.length)
    throw new Error(
      `${skipped.length} file(s) skipped: ${skipped.map(w => `${path.relative(dir, w.file)} (${w.message})`).join('; ')}`,
    );
  const files = selectFiles(index, dir, DEFAULT_EXCLUDE);
  const settings = resolveSettings({ dir });
  const { fullMessage } = require(path.join(out, 'core', 'rules', 'types.js'));
  return runRules(index, new LayoutEngine(index), settings, files).map(f => ({
    crate,
    code: f.code,
    file: path.relative(dir, f.range.file),
    line: f.range.line,
    column: f.range.column,
    severity: f.severity,
    message: fullMessage(f),
  }));
}

export const key = f => `${f.crate}/${f.file}:${f.line}:${f.code}`;

/** Findings of every corpus crate; a crate that fails to analyse is reported, never skipped silently. */
async function allFindings(corpus) {
  const all = [];
  const failed = [];
  for (const c of corpus.crates) {
    try {
      all.push(...(await findingsOf(c.name, c.features)));
    } catch (e) {
      failed.push(`${c.name}: ${e.message}`);
    }
  }
  if (failed.length)
    console.error(`could not analyse ${failed.length} crate(s):\n  ${failed.join('\n  ')}`);
  return { all, failed };
}

async function sample(corpus) {
  const { all } = await allFindings(corpus);
  const picked = [];
  for (const code of [...new Set(all.map(f => f.code))].sort()) {
    const xs = all
      .filter(f => f.code === code)
      .sort(
        (a, b) =>
          a.crate.localeCompare(b.crate) ||
          a.file.localeCompare(b.file) ||
          a.line - b.line ||
          a.column - b.column,
      );
    const k = Math.max(1, Math.ceil(xs.length / PER_RULE));
    for (let i = SEED % k; i < xs.length; i += k) picked.push(xs[i]);
    console.error(
      `${code}: ${xs.length} findings, every ${k}th -> ${Math.ceil((xs.length - (SEED % k)) / k)}`,
    );
  }
  for (const f of picked) {
    const text = fs.readFileSync(path.join(REG, f.crate, f.file), 'utf8').split('\n');
    console.log(`\n### ${key(f)} [${f.severity}] ${f.message}`);
    for (let l = Math.max(1, f.line - 3); l <= Math.min(text.length, f.line + 3); l++)
      console.log(
        `${l === f.line ? '>' : ' '}${String(l).padStart(5)} ${text[l - 1].slice(0, 150)}`,
      );
  }
}

export async function measure(corpus, log = console.log) {
  const now = new Map();
  const { all, failed } = await allFindings(corpus);
  for (const f of all) now.set(key(f), f);
  const rows = {};
  const stale = [];
  const row = code =>
    (rows[code] ??= {
      judged: 0,
      reported: 0,
      truePos: 0,
      falsePos: 0,
      trueCases: 0,
      trueReported: 0,
    });
  for (const j of corpus.findings) {
    const r = row(j.code);
    r.judged++;
    const reported = now.has(key(j));
    if (j.label) {
      r.trueCases++;
      if (reported) r.trueReported++;
    }
    if (!reported) continue;
    // A label judges the finding as it was reported, severity included: a true info raised to a
    // warning, or a false warning lowered to an info, needs judging again (a false finding raised
    // stays false, a true one lowered stays true).
    const sev = now.get(key(j)).severity;
    const rank = { hint: 0, info: 1, warning: 2, error: 3 };
    if (j.severity && (j.label ? rank[sev] > rank[j.severity] : rank[sev] < rank[j.severity]))
      stale.push(`${key(j)}: judged ${j.label} as ${j.severity}, now ${sev}`);
    r.reported++;
    if (j.label) r.truePos++;
    else r.falsePos++;
  }
  const judged = new Set(corpus.findings.map(key));
  for (const m of corpus.missed) {
    if (judged.has(key(m))) continue; // sampled too: counted once
    const r = row(m.code);
    r.trueCases++;
    if (now.has(key(m))) r.trueReported++;
  }
  const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(1)}%` : 'n/a');
  log('rule                 judged  reported  true  false  precision  true cases  recall');
  for (const [code, r] of Object.entries(rows).sort())
    log(
      `${code.padEnd(20)} ${String(r.judged).padStart(6)} ${String(r.reported).padStart(9)} ${String(r.truePos).padStart(5)} ${String(r.falsePos).padStart(6)} ${pct(r.truePos, r.reported).padStart(10)} ${String(r.trueCases).padStart(11)} ${pct(r.trueReported, r.trueCases).padStart(7)}`,
    );
  for (const x of stale) log(`severity changed since judged (judge again): ${x}`);
  Object.defineProperty(rows, 'failed', { value: failed, enumerable: false });
  Object.defineProperty(rows, 'stale', { value: stale, enumerable: false });
  return rows;
}

async function main() {
  const corpus = JSON.parse(fs.readFileSync(CORPUS, 'utf8'));
  if (process.argv.includes('--sample')) await sample(corpus);
  else {
    const rows = await measure(corpus);
    if (rows.failed.length || rows.stale.length) process.exitCode = 1;
  }
}

if (process.argv[1] === import.meta.filename)
  main().catch(e => {
    console.error(e);
    process.exitCode = 1;
  });
