#!/usr/bin/env node
// `npm run gen:std-layouts`: regenerates src/core/layout/std-fixed.json (sizes and alignments of
// the fixed-size std types, and their largest niche) from the installed rustc.
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
    const lines = entries.map(
      (e, i) =>
        `println!("${i} {} {}", std::mem::size_of::<${e.example}>(), std::mem::align_of::<${e.example}>());`,
    );
    // `proc_macro::*` types need the sysroot crate named (at the end: line numbers stay put).
    writeFileSync(
      join(dir, 'm.rs'),
      `#![allow(deprecated)]\nfn main() {\n${lines.join('\n')}\n}\nextern crate proc_macro;\n`,
    );
    const r = spawnSync(
      'rustc',
      ['--edition', '2021', '-A', 'warnings', '-o', join(dir, 'm'), join(dir, 'm.rs')],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`rustc failed:\n${r.stderr}`);
    const out = execFileSync(join(dir, 'm'), { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(l => l.split(' '));
    const niches = measureNiches(dir, entries);
    return out.map(([i, size, align]) => ({
      size: Number(size),
      align: Number(align),
      niche: niches[Number(i)],
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The largest niche of each type, exactly as rustc computes it: `#[rustc_layout(debug)]` prints
 * the layout (offset, scalar width and valid range), so `available` is the count of invalid values.
 */
function measureNiches(dir, entries) {
  const aliases = entries.map(
    (e, i) => `#[rustc_layout(debug)] type T${i}<'a> = ${e.example.replace(/'static/g, "'a")};`,
  );
  const src = `#![feature(rustc_attrs)]\n#![allow(deprecated, dead_code)]\n#![crate_type = "lib"]\n${aliases.join('\n')}\nextern crate proc_macro;\n`;
  writeFileSync(join(dir, 'l.rs'), src);
  const r = spawnSync(
    'rustc',
    ['--edition', '2021', '-A', 'warnings', '--out-dir', dir, join(dir, 'l.rs')],
    { encoding: 'utf8', env: { ...process.env, RUSTC_BOOTSTRAP: '1' } },
  );
  const out = [];
  // One `error: layout_of(...) = Layout {` block per alias, in source order, then ` --> l.rs:LINE:`.
  const blocks = r.stderr.split(/^error: layout_of\(/m).slice(1);
  for (const b of blocks) {
    const at = /-->\s*\S*l\.rs:(\d+):/.exec(b);
    if (!at) continue;
    const i = Number(at[1]) - 4;
    const at2 = b.indexOf('largest_niche: Some(');
    if (at2 < 0) {
      out[i] = null;
      continue;
    }
    const nb = b.slice(at2, b.indexOf('uninhabited:', at2));
    const off = /offset: Size\((\d+) bytes\)/.exec(nb);
    const int = /Int\(\s*I(\d+),/.exec(nb);
    const float = /Float\(\s*F(\d+)/.exec(nb);
    const bits = BigInt(int ? int[1] : float ? float[1] : 64);
    // `valid_range: 1..=255`, or wrapping around: `valid_range: (..=1) | (255..)`.
    const plain = /valid_range: (\d+)\.\.=(\d+)/.exec(nb);
    const wrap = /valid_range: \(\.\.=(\d+)\) \| \((\d+)\.\.\)/.exec(nb);
    if (!off || (!plain && !wrap))
      throw new Error(`cannot read the niche of ${entries[i].example}:\n${nb}`);
    const [lo, hi] = plain
      ? [BigInt(plain[1]), BigInt(plain[2])]
      : [BigInt(wrap[2]), BigInt(wrap[1])];
    const mod = 1n << bits;
    const valid = ((((hi - lo) % mod) + mod) % mod) + 1n;
    const available = mod - valid;
    const n = [null, off[1]];
    out[i] =
      available > 0n
        ? { offset: Number(n[1]), bytes: Number(bits / 8n), available: available.toString() }
        : null;
  }
  if (out.filter(x => x !== undefined).length !== entries.length)
    throw new Error(
      `rustc_layout(debug) printed ${blocks.length} layouts for ${entries.length} types:\n${r.stderr.slice(0, 3000)}`,
    );
  return out;
}

const version = spawnSync('rustc', ['--version'], { encoding: 'utf8' }).stdout.trim();
const measured = measure(table.types);
const diffs = [];
const same = (a, b) =>
  (!a && !b) ||
  (a && b && a.offset === b.offset && a.bytes === b.bytes && a.available === b.available);
table.types.forEach((e, i) => {
  const m = measured[i];
  if (m.size !== e.size || m.align !== e.align || !same(m.niche, e.niche))
    diffs.push(
      `${e.path} (${e.example}): table ${e.size}/${e.align} niche ${JSON.stringify(e.niche ?? null)}, rustc ${m.size}/${m.align} niche ${JSON.stringify(m.niche)}`,
    );
});
if (process.argv.includes('--check')) {
  if (diffs.length) {
    console.error(
      `std table (made with ${table.rustc}) disagrees with ${version}:\n${diffs.join('\n')}\nrun \`npm run gen:std-layouts\``,
    );
    process.exit(1);
  }
  console.log(`std table agrees with ${version} on ${table.types.length} types`);
} else {
  table.rustc = version;
  table.types.forEach((e, i) => {
    e.size = measured[i].size;
    e.align = measured[i].align;
    if (measured[i].niche) e.niche = measured[i].niche;
    else delete e.niche;
  });
  writeFileSync(file, JSON.stringify(table, null, 2) + '\n');
  console.log(
    `wrote ${file} for ${version}${diffs.length ? `; changed: ${diffs.join('; ')}` : ' (no changes)'}`,
  );
}
