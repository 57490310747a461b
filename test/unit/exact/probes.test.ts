import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exactLayoutReport } from '../../../src/core/exact';

/** A generated crate: unused private/public types in nested file and inline modules. */
function generate(dir: string, seed: number): number {
  let s = seed;
  const rnd = (n: number) => ((s = (s * 1103515245 + 12345) % 2147483648), s % n);
  const prims = [
    'u8',
    'u16',
    'u32',
    'u64',
    'i128',
    'bool',
    'char',
    'f64',
    'usize',
    'Option<u32>',
    'String',
    'Vec<u8>',
    "&'a str",
    '[u8; 7]',
    '(u8, u32)',
    'Box<u64>',
    "Option<&'a u16>",
  ];
  let count = 0;
  const types = (prefix: string, n: number): string => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `${prefix}${i}`;
      const vis = rnd(2) ? 'pub ' : '';
      const k = rnd(5);
      const f = () => prims[rnd(prims.length)];
      const lt = (t: string) => t.includes("'a");
      if (k === 0) {
        const fs1 = [f(), f(), f()];
        out.push(
          `${vis}struct ${name}${fs1.some(lt) ? "<'a>" : ''} { ${fs1.map((t, j) => `f${j}: ${t}`).join(', ')} }`,
        );
      } else if (k === 1) {
        const vs = [f(), f()];
        out.push(
          `${vis}enum ${name}${vs.some(lt) ? "<'a>" : ''} { A(${vs[0]}), B { x: ${vs[1]} }, C }`,
        );
      } else if (k === 2) {
        out.push(`#[repr(C)] ${vis}struct ${name}(u8, u64, u16);`);
      } else if (k === 3) {
        out.push(`${vis}union ${name} { a: u32, b: [u8; ${1 + rnd(9)}] }`);
      } else {
        out.push(`#[repr(u16)] ${vis}enum ${name} { X = 1, Y = 300 }`);
      }
      count++;
    }
    return out.join('\n');
  };
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'Cargo.toml'),
    '[package]\nname = "gen_probe"\nversion = "0.1.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n',
  );
  fs.writeFileSync(
    path.join(dir, 'src/lib.rs'),
    `#![allow(dead_code)]\nmod a;\npub mod b;\n${types('Root', 10)}\nmod inner {\n${types('Inner', 10)}\n    mod deeper {\n${types('Deep', 5)}\n    }\n}\n#[cfg(any())]\nstruct CompiledOut { x: u8 }\npub struct Generic<T> { t: T }\n`,
  );
  fs.writeFileSync(path.join(dir, 'src/a.rs'), types('A', 12));
  fs.writeFileSync(
    path.join(dir, 'src/b.rs'),
    `${types('B', 12)}\npub(crate) mod c { ${types('C', 6)} }\n`,
  );
  return count;
}

test(
  'layout --exact reports 100 % of the concrete types of generated crates (probes in a scratch copy)',
  { timeout: 240_000 },
  async () => {
    for (const seed of [7, 1234]) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-probe-'));
      const n = generate(dir, seed);
      const r = await exactLayoutReport({ crateDir: dir, noCache: true });
      assert.ok(r.coverage, 'coverage is reported');
      assert.equal(
        r.coverage!.concrete,
        n,
        `every generated type is concrete (${JSON.stringify(r.coverage!.skipped)})`,
      );
      assert.deepEqual(r.coverage!.missing, []);
      assert.equal(r.coverage!.reported, n);
      assert.deepEqual(r.coverage!.skipped, { generic: 1, 'compiled out by #[cfg]': 1 });
      // None of these types is used: without probes rustc lays out only some (24 of 55 for seed 7).
      const plain = await exactLayoutReport({ crateDir: dir, noCache: true, probes: false });
      assert.ok(
        plain.drift.map.own.length < n * 0.75,
        `without probes rustc printed ${plain.drift.map.own.length} of ${n}`,
      );
      // Every probed type is compared with the engine; disagreements are reported, never hidden.
      assert.ok(r.drift.compared >= n);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
