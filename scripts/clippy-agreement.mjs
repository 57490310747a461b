#!/usr/bin/env node
// Agreement with clippy on clippy's own UI tests (a peer suite).
// Usage: node scripts/clippy-agreement.mjs <dir-with-clippy-ui-.rs-files>
// Fetch rust-lang/rust-clippy's tests/ui/large_enum_variant.rs and tests/ui/result_large_err.rs
// into a scratch directory first; they are never copied into this repository.
// Expected findings come from the real `clippy-driver` on the machine (and, where the file has
// `//~^ lint` markers, from those too). Prints how many of clippy's findings we report and how
// many of ours clippy does not.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const out = join(import.meta.dirname, '..', 'out', 'src');
const { buildIndexFromSources } = require(join(out, 'core', 'index', 'workspace.js'));
const { LayoutEngine } = require(join(out, 'core', 'layout', 'engine.js'));
const { defaultSettings } = require(join(out, 'core', 'config', 'settings.js'));
const { runRules } = require(join(out, 'core', 'rules', 'run.js'));

const LINTS = {
  'clippy::result_large_err': 'large-error',
  'clippy::large_enum_variant': 'large-enum-variant',
};
const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/clippy-agreement.mjs <dir>');
  process.exit(2);
}

/** Drop what only clippy's test harness provides (the aux proc-macro crate). */
function standalone(text) {
  let t = text.replace(/^extern crate proc_macros;\n/m, '').replace(/^use proc_macros::.*\n/m, '');
  for (;;) {
    const i = t.search(/\b(external|with_span|inline_macros)!\s*[({]/);
    if (i < 0) break;
    let j = t.indexOf(t[t.indexOf('(', i)] === '(' ? '(' : '{', i);
    let depth = 0;
    for (; j < t.length; j++) {
      if ('({['.includes(t[j])) depth++;
      else if (')}]'.includes(t[j]) && --depth === 0) break;
    }
    const end = t[j + 1] === ';' ? j + 2 : j + 1;
    t = t.slice(0, i) + t.slice(end).replace(/^/, '');
  }
  return t;
}

function clippyLines(file) {
  const tmp = mkdtempSync(join(tmpdir(), 'al-clippy-'));
  const r = spawnSync(
    'clippy-driver',
    [
      '--edition',
      '2021',
      '--crate-type',
      'lib',
      '--error-format',
      'json',
      '-W',
      'clippy::large_enum_variant',
      '-W',
      'clippy::result_large_err',
      '--out-dir',
      tmp,
      file,
    ],
    { encoding: 'utf8' },
  );
  rmSync(tmp, { recursive: true, force: true });
  const res = [];
  for (const l of r.stderr.split('\n')) {
    if (!l.startsWith('{')) continue;
    const d = JSON.parse(l);
    const code = d.code?.code;
    if (LINTS[code]) res.push(`${d.spans.find(s => s.is_primary).line_start} ${LINTS[code]}`);
    if (d.level === 'error') console.error(`clippy-driver error in ${file}: ${d.message}`);
  }
  return res.sort();
}

let expected = 0,
  found = 0,
  extra = 0;
const rows = [];
for (const name of readdirSync(dir)
  .filter(f => f.endsWith('.rs'))
  .sort()) {
  const text = standalone(readFileSync(join(dir, name), 'utf8'));
  const tmp = mkdtempSync(join(tmpdir(), 'al-agree-'));
  const file = join(tmp, name);
  writeFileSync(file, text);
  const clippy = new Set(clippyLines(file));
  // `//~^ lint` markers (clippy HEAD's expectations) count as expected too.
  text.split('\n').forEach((l, i) => {
    const m = /\/\/~\^\s*(result_large_err|large_enum_variant)/.exec(l);
    if (m) {
      let up = i;
      while (up > 0 && /^\s*\/\/~\^/.test(text.split('\n')[up - 1])) up--;
      clippy.add(`${up} ${LINTS['clippy::' + m[1]]}`);
    }
  });
  const index = buildIndexFromSources([{ path: file, text }], {
    crateName: name.replace(/\.rs$/, ''),
  });
  const ours = new Set(
    runRules(index, new LayoutEngine(index), defaultSettings())
      .filter(f => Object.values(LINTS).includes(f.code))
      .map(f => `${f.range.line} ${f.code}`),
  );
  const missed = [...clippy].filter(x => !ours.has(x));
  const more = [...ours].filter(x => !clippy.has(x));
  expected += clippy.size;
  found += clippy.size - missed.length;
  extra += more.length;
  rows.push({ file: name, clippy: clippy.size, ours: ours.size, missed, extra: more });
  rmSync(tmp, { recursive: true, force: true });
}
for (const r of rows)
  console.log(
    `${r.file}: clippy ${r.clippy}, ours ${r.ours}; missed ${JSON.stringify(r.missed)}; extra ${JSON.stringify(r.extra)}`,
  );
console.log(
  `\nclippy findings we also report: ${found}/${expected}${expected ? ` (${((100 * found) / expected).toFixed(1)}%)` : ''}`,
);
console.log(`our findings clippy does not report: ${extra}`);
