/**
 * Ground truth from the real compiler: compiles a Rust file whose `main` prints
 * `size_of`/`align_of` of the given types and returns rustc's numbers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildIndexFromSources } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import type { TypeDefItem } from '../../../src/core/model';
import type { TypeLayout } from '../../../src/core/layout/types';

export function requireRustc(): string {
  const r = spawnSync('rustc', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      'rustc is not installed or not on PATH: the layout differential tests compare against the real compiler and cannot run without it (install a Rust toolchain; CI has one)',
    );
  }
  return r.stdout.trim();
}

/** Compile `source` + a generated main printing `name size align` per type; returns name -> [size, align]. */
export function rustcSizes(source: string, names: string[]): Map<string, [number, number]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-lens-oracle-'));
  try {
    const main = [
      '#[allow(dead_code, unused, non_camel_case_types, non_snake_case)]',
      'fn main() {',
      ...names.map(
        n =>
          `    println!("{} {} {}", ${JSON.stringify(n)}, std::mem::size_of::<${n}>(), std::mem::align_of::<${n}>());`,
      ),
      '}',
    ].join('\n');
    const file = path.join(dir, 'main.rs');
    fs.writeFileSync(
      file,
      `#![allow(dead_code, unused, non_camel_case_types, non_snake_case, unused_imports)]\n${source}\n${main}\n`,
    );
    const exe = path.join(dir, 'main');
    const r = spawnSync(
      'rustc',
      [
        '--edition',
        '2021',
        '-A',
        'warnings',
        '-C',
        'opt-level=0',
        '-C',
        'debuginfo=0',
        '-o',
        exe,
        file,
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (r.status !== 0)
      throw new Error(`rustc failed to compile the generated oracle:\n${r.stderr.slice(0, 4000)}`);
    const out = execFileSync(exe, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const res = new Map<string, [number, number]>();
    for (const line of out.split('\n')) {
      const m = /^(\S+) (\d+) (\d+)$/.exec(line);
      if (m) res.set(m[1], [Number(m[2]), Number(m[3])]);
    }
    return res;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface Comparison {
  compared: number;
  skipped: { name: string; why: string }[];
  mismatches: string[];
}

/**
 * Index `source`, lay out every non-generic type definition at the crate root with the engine and
 * compare the `exact` ones with rustc. Unsized types cannot be passed to size_of and are skipped.
 */
export function compareWithRustc(source: string, file = '/virtual/layout/lib.rs'): Comparison {
  const index = buildIndexFromSources([{ path: file, text: source }], { crateName: 'fixture' });
  const engine = new LayoutEngine(index);
  const items = index
    .typeDefs()
    .filter(
      t =>
        t.module === 'fixture' &&
        !t.generics.some(g => g.kind !== 'lifetime') &&
        index.isActive(t.module, t.attrs),
    );
  const layouts = new Map<string, { item: TypeDefItem; l: TypeLayout }>();
  const skipped: { name: string; why: string }[] = [];
  for (const item of items) {
    const l = engine.layoutOfItem(item);
    if (l.unsized) skipped.push({ name: item.name, why: 'unsized' });
    else if (l.status !== 'exact')
      skipped.push({
        name: item.name,
        why: `${l.status}: ${l.error ?? l.unknownParts?.join(', ')}`,
      });
    else layouts.set(item.name, { item, l });
  }
  const truth = rustcSizes(source, [...layouts.keys()]);
  const mismatches: string[] = [];
  for (const [name, { item, l }] of layouts) {
    const t = truth.get(name);
    if (!t) {
      mismatches.push(`${name}: rustc printed nothing`);
      continue;
    }
    if (t[0] !== l.size || t[1] !== l.align) {
      const src = source.slice(
        item.span.startOffset,
        Math.min(item.span.endOffset, item.span.startOffset + 400),
      );
      mismatches.push(
        `${name}: engine ${l.size}/${l.align}, rustc ${t[0]}/${t[1]}\n    ${src.replace(/\n/g, '\n    ')}`,
      );
    }
  }
  return { compared: layouts.size, skipped, mismatches };
}
