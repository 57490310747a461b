#!/usr/bin/env node
// `npm run gen:std-layouts`: regenerates src/core/layout/std-fixed.json (sizes and alignments of
// the fixed-size std types) from the installed rustc, keeping each entry's niche description.
// `--check` only compares and exits 1 naming the types that disagree (the unit test runs this).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const file = join(import.meta.dirname, '..', 'src', 'core', 'layout', 'std-fixed.json');
const table = JSON.parse(readFileSync(file, 'utf8'));

export function measure(entries) {
  const dir = mkdtempSync(join(tmpdir(), 'al-std-'));
  try {
    const lines = entries.map((e, i) => `println!("${i} {} {} {}", std::mem::size_of::<${e.example}>(), std::mem::align_of::<${e.example}>(), std::mem::size_of::<Option<${e.example}>>() == std::mem::size_of::<${e.example}>());`);
    writeFileSync(join(dir, 'm.rs'), `#![allow(deprecated)]\nfn main() {\n${lines.join('\n')}\n}\n`);
    const r = spawnSync('rustc', ['--edition', '2021', '-A', 'warnings', '-o', join(dir, 'm'), join(dir, 'm.rs')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`rustc failed:\n${r.stderr}`);
    const out = execFileSync(join(dir, 'm'), { encoding: 'utf8' }).trim().split('\n').map(l => l.split(' '));
    return out.map(([, size, align, optSame]) => ({ size: Number(size), align: Number(align), hasNiche: optSame === 'true' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const version = spawnSync('rustc', ['--version'], { encoding: 'utf8' }).stdout.trim();
const measured = measure(table.types);
const diffs = [];
table.types.forEach((e, i) => {
  const m = measured[i];
  if (m.size !== e.size || m.align !== e.align || m.hasNiche !== !!e.niche) diffs.push(`${e.path} (${e.example}): table ${e.size}/${e.align}${e.niche ? ' niche' : ''}, rustc ${m.size}/${m.align}${m.hasNiche ? ' niche' : ''}`);
});
if (process.argv.includes('--check')) {
  if (diffs.length) {
    console.error(`std table (made with ${table.rustc}) disagrees with ${version}:\n${diffs.join('\n')}\nrun \`npm run gen:std-layouts\``);
    process.exit(1);
  }
  console.log(`std table agrees with ${version} on ${table.types.length} types`);
} else {
  table.rustc = version;
  table.types.forEach((e, i) => {
    e.size = measured[i].size;
    e.align = measured[i].align;
    if (!measured[i].hasNiche) delete e.niche;
    else if (!e.niche) e.niche = { offset: 0, bytes: measured[i].align, available: '1' };
  });
  writeFileSync(file, JSON.stringify(table, null, 2) + '\n');
  console.log(`wrote ${file} for ${version}${diffs.length ? `; changed: ${diffs.join('; ')}` : ' (no changes)'}`);
}
