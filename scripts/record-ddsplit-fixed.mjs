#!/usr/bin/env node
// Records the "after" profile of examples/ddsplit: copies the crate to a private scratch dir,
// applies Alloc Lens's own preferred quick fix for `large-enum-variant` (box `DistriErr::Corrupt`,
// taken from `alloc-lens check --format json`), builds it (release, debug info, offline Debian
// crates) and records it exactly like scripts/record-ddsplit.sh records the "before" profile.
// Writes examples/ddsplit/profile/ddsplit-fixed.perf-script.txt.gz, the baseline/current pair that
// `alloc-lens profile <after> --baseline <before>` and the Compare test use.
// Usage: node scripts/record-ddsplit-fixed.mjs [rounds] [frequency]
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROUNDS = process.argv[2] ?? '30000';
const FREQ = process.argv[3] ?? '2000';
const REPO = join(import.meta.dirname, '..');
const CRATE = join(REPO, 'examples', 'ddsplit');
const OUT = join(CRATE, 'profile', 'ddsplit-fixed.perf-script.txt.gz');

function run(cmd, args, opts = {}, ok = [0]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts });
  if (!ok.includes(r.status))
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Applies line/column (1-based) edits, last first so earlier positions stay valid. */
function applyEdits(text, edits) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const off = (l, c) => starts[l - 1] + c - 1;
  const sorted = [...edits].sort((a, b) => off(b.line, b.column) - off(a.line, a.column));
  for (const e of sorted)
    text =
      text.slice(0, off(e.line, e.column)) + e.newText + text.slice(off(e.endLine, e.endColumn));
  return text;
}

const tmp = mkdtempSync(join(tmpdir(), 'ddsplit-fixed-'));
try {
  const crate = join(tmp, 'ddsplit');
  cpSync(CRATE, crate, {
    recursive: true,
    filter: src => !src.includes(`${CRATE}/target`) && !src.includes(`${CRATE}/profile`),
  });
  const check = JSON.parse(
    run(
      process.execPath,
      [join(REPO, 'bin', 'alloc-lens.js'), 'check', crate, '--format', 'json'],
      {},
      [0, 1],
    ),
  );
  const finding = check.findings.find(
    f => f.code === 'large-enum-variant' && f.fixes.some(x => x.preferred),
  );
  if (!finding) throw new Error('no preferred large-enum-variant fix on ddsplit');
  const fix = finding.fixes.find(x => x.preferred);
  console.log(`applying: ${fix.title}`);
  const byFile = new Map();
  for (const e of fix.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, edits] of byFile) {
    const abs = join(crate, file);
    writeFileSync(abs, applyEdits(readFileSync(abs, 'utf8'), edits));
  }
  run('cargo', ['build', '--release', '--offline'], {
    cwd: crate,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const data = join(tmp, 'perf.data');
  run(
    'perf',
    [
      'record',
      '-F',
      FREQ,
      '-g',
      '--call-graph',
      'dwarf,65528',
      '-o',
      data,
      '--',
      join(crate, 'target', 'release', 'ddsplit'),
      ROUNDS,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  let text = run('perf', [
    'script',
    '-i',
    data,
    '-F',
    'comm,pid,tid,time,event,ip,sym,dso,srcline',
    '--full-source-path',
  ]);
  // Same normalisation as record-ddsplit.sh: crate paths become crate-relative.
  text = text.split(`${crate}/`).join('');
  writeFileSync(OUT, gzipSync(text, { level: 9 }));
  console.log(`wrote ${OUT} (${readFileSync(OUT).length} bytes)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
