/**
 * Attribution on small hand-written profiles: several events, kernel frames on top of memcpy,
 * realloc's internal memcpy counted as allocation, basename-only srclines, symbol fallback,
 * #[global_allocator] detection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeProfile } from '../../../src/profile/analyze';

function crate(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-attr-'));
  fs.writeFileSync(
    path.join(dir, 'Cargo.toml'),
    '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n',
  );
  for (const [f, t] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), t);
  }
  return dir;
}

const MAIN = `use tikv_jemallocator::Jemalloc;

#[global_allocator]
static GLOBAL: Jemalloc = Jemalloc;

mod store;

fn main() {
    let v = store::fill();
    println!("{}", v.len());
}
`;
const STORE = `pub fn fill() -> Vec<String> {
    let mut v = Vec::new();
    for i in 0..10 {
        v.push(format!("{i}"));
    }
    v
}
`;

function sample(event: string, frames: string[], period = 1): string {
  return [`app 10/10 1.0: ${period} ${event}:`, ...frames, ''].join('\n');
}

test('events, kernel frames, realloc copies, basename srclines, symbol fallback, global allocator', async () => {
  const dir = crate({ 'src/main.rs': MAIN, 'src/store.rs': STORE });
  const text = [
    // memcpy with a page fault on top, called from store.rs:4 (absolute path from a CI machine)
    sample('cycles', [
      '\tffffffff81000c82 asm_exc_page_fault ([kernel.kallsyms])',
      '\t  16db75 __memmove_avx_unaligned_erms (/usr/lib/x86_64-linux-gnu/libc.so.6)',
      '\t  1d5ea app::store::fill (/ci/build/app/target/release/app)',
      '  /ci/build/app/src/store.rs:4',
      '\t  1f000 app::main (/ci/build/app/target/release/app)',
      '  /ci/build/app/src/main.rs:9',
    ]),
    // realloc's internal copy counts as allocation; basename-only srcline
    sample('cycles', [
      '\t  16db75 __memmove_avx_unaligned_erms (/usr/lib/x86_64-linux-gnu/libc.so.6)',
      '\t  aa _rjem_rallocx (/ci/build/app/target/release/app)',
      '\t  bb alloc::raw_vec::finish_grow (/ci/build/app/target/release/app)',
      '\t  1d5ea app::store::fill (/ci/build/app/target/release/app)',
      '  store.rs:4',
    ]),
    // no srcline at all: mapped through the symbol to `fn fill`
    sample('cycles', [
      '\t  cc _rjem_sdallocx (/ci/build/app/target/release/app)',
      '\t  1d5ea app::store::fill::{{closure}} (/ci/build/app/target/release/app)',
    ]),
    // a second event type with more weight but fewer samples
    sample('instructions', ['\t  1d5ea app::store::fill (/ci/build/app/target/release/app)'], 1000),
  ].join('\n');
  const file = path.join(dir, 'prof.txt');
  fs.writeFileSync(file, text);
  const p = await analyzeProfile(file, { root: dir, top: 0 });
  const r = p.report;
  assert.equal(r.event, 'cycles');
  assert.deepEqual(r.events, [
    { name: 'cycles', samples: 3 },
    { name: 'instructions', samples: 1 },
  ]);
  assert.deepEqual(
    { total: r.samples.total, alloc: r.samples.alloc, copy: r.samples.copy, free: r.samples.free },
    { total: 3, alloc: 1, copy: 1, free: 1 },
  );
  assert.equal(r.allocator.fromSymbols, 'jemalloc');
  assert.deepEqual(r.allocator.fromSource, [{ file: 'src/main.rs', line: 3, type: 'Jemalloc' }]);
  const l4 = r.hotLines.find(l => l.file === 'src/store.rs' && l.line === 4)!;
  assert.deepEqual(l4.samples, { total: 2, alloc: 1, copy: 1, free: 0, rehash: 0 });
  const fn = r.hotLines.find(l => l.precision === 'function')!;
  assert.deepEqual([fn.file, fn.line, fn.samples.free], ['src/store.rs', 1, 1]);
  const other = await analyzeProfile(file, { root: dir, event: 'instructions' });
  assert.equal(other.report.samples.total, 1);
  fs.rmSync(dir, { recursive: true });
});

test('raw v0 and legacy symbols without srcline are demangled and mapped to their fn through the index', async () => {
  const ddsplit = path.join(__dirname, '..', '..', '..', '..', 'examples', 'ddsplit');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-mangled-'));
  const file = path.join(dir, 'raw.txt');
  fs.writeFileSync(
    file,
    [
      // real symbols of ddsplit built with -C symbol-mangling-version=v0, and with the default (legacy)
      sample('cpu-clock', [
        '\t  16db75 __memcpy_avx512_unaligned_erms (/usr/lib/x86_64-linux-gnu/libc.so.6)',
        '\t  1d492 _RNCNvXNtCs4ml7NuhJz8U_7ddsplit5splitNtB4_4FastNtB4_8Splitter5split0B6_ (/tmp/v0t/release/ddsplit)',
      ]),
      sample('cpu-clock', [
        '\t  16db75 __memcpy_avx512_unaligned_erms (/usr/lib/x86_64-linux-gnu/libc.so.6)',
        '\t  1f63d _ZN7ddsplit9run_batch28_$u7b$$u7b$closure$u7d$$u7d$17h675b24118a2d0efcE (inlined)',
        '\t  1f63d _ZN7ddsplit4main28_$u7b$$u7b$closure$u7d$$u7d$17h65e454b304e2028aE (inlined)',
      ]),
    ].join('\n'),
  );
  const p = await analyzeProfile(file, { root: ddsplit, top: 0 });
  const lines = p.report.hotLines
    .map(l => `${l.file}:${l.line} ${l.precision} ${l.function}`)
    .sort();
  assert.deepEqual(lines, [
    'src/main.rs:13 function ddsplit::run_batch::{{closure}}',
    'src/split.rs:19 function <ddsplit::split::Fast as ddsplit::split::Splitter>::split::{closure#0}',
  ]);
  assert.equal(p.report.samples.copy, 2);
  fs.rmSync(dir, { recursive: true });
});

const REC = `use serde::Deserialize;

#[derive(Deserialize)]
pub struct Record {
    pub name: String,
}

pub fn index(words: &[String]) -> std::collections::HashMap<String, usize> {
    let mut m = std::collections::HashMap::new();
    for w in words {
        *m.entry(w.clone()).or_insert(0) += 1;
    }
    m
}
`;

test('every call-graph mode: srclines inside std fall back to the fn, rehash is its own kind, derive code goes to the type, -g memcpy warned once', async () => {
  const dir = crate({ 'src/main.rs': 'mod rec;\nfn main() {}\n', 'src/rec.rs': REC });
  const bin = '(/ci/app/target/release/app)';
  const text = [
    '# cmdline : /usr/bin/perf record -g -o perf.data ./app',
    // --no-inline / -g: the program frame's srcline is std code inlined into it -> its fn (line 8)
    sample('cycles', [
      `\t  16db75 __memmove_avx_unaligned_erms (/usr/lib/x86_64-linux-gnu/libc.so.6)`,
      `\t  1d5ea app::rec::index ${bin}`,
      '  /rustc/17067e9ac6d7e98f18d4e4f2ab6c6b8b8a0f8f5a/library/core/src/ptr/mod.rs:1421',
      `\t  1f000 app::main ${bin}`,
      '  /ci/app/src/main.rs:2',
    ]),
    // rehash: hashing is `rehash`, its malloc child is allocation
    sample('cycles', [
      `\t  aa core::hash::BuildHasher::hash_one ${bin}`,
      `\t  bb hashbrown::raw::RawTable<T,A>::reserve_rehash ${bin}`,
      `\t  1d5ea app::rec::index ${bin}`,
      '  /ci/app/src/rec.rs:11',
    ]),
    sample('cycles', [
      `\t  cc malloc (/usr/lib/x86_64-linux-gnu/libc.so.6)`,
      `\t  bb hashbrown::raw::RawTable<T,A>::reserve_rehash ${bin}`,
      `\t  1d5ea app::rec::index ${bin}`,
      '  /ci/app/src/rec.rs:11',
    ]),
    // derive-generated code without srcline -> the struct carrying #[derive(Deserialize)]
    sample('cycles', [
      `\t  cc malloc (/usr/lib/x86_64-linux-gnu/libc.so.6)`,
      `\t  dd <<app::rec::Record as serde::de::Deserialize>::deserialize::__Visitor as serde::de::Visitor>::visit_map ${bin}`,
    ]),
    // rustc 1.95's form of the same (examples/realprof's batch recording)
    sample('cycles', [
      `\t  cc malloc (/usr/lib/x86_64-linux-gnu/libc.so.6)`,
      `\t  de <app::rec::_::<impl serde::de::Deserialize for app::rec::Record>::deserialize::__Visitor as serde::de::Visitor>::visit_seq ${bin}`,
    ]),
  ].join('\n');
  const file = path.join(dir, 'prof.txt');
  fs.writeFileSync(file, text);
  const p = await analyzeProfile(file, { root: dir, top: 0 });
  const r = p.report;
  assert.equal(r.samples.total, 5);
  assert.equal(r.samples.attributed, 5);
  assert.deepEqual(
    { alloc: r.samples.alloc, copy: r.samples.copy, rehash: r.samples.rehash },
    { alloc: 3, copy: 1, rehash: 1 },
  );
  const fnLine = r.hotLines.find(l => l.file === 'src/rec.rs' && l.line === 8)!;
  assert.equal(fnLine.precision, 'function');
  assert.equal(fnLine.samples.copy, 1);
  const l11 = r.hotLines.find(l => l.file === 'src/rec.rs' && l.line === 11)!;
  assert.deepEqual(l11.samples, { total: 2, alloc: 1, copy: 0, free: 0, rehash: 1 });
  const derive = r.hotLines.find(l => l.precision === 'item')!;
  assert.deepEqual([derive.file, derive.line, derive.samples.alloc], ['src/rec.rs', 4, 2]);
  assert.equal(
    r.warnings.filter(w => /perf record -g.*memcpy.*--call-graph dwarf/.test(w)).length,
    1,
    r.warnings.join('\n'),
  );
});
