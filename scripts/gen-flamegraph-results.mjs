#!/usr/bin/env node
// Regenerates test/fixtures/flamegraph-collapse-perf from a local clone of FlameGraph
// (brendangregg/FlameGraph): copies its test/*.txt inputs (gzipped) and writes what ITS OWN
// stackcollapse-perf.pl prints for them, by default and with --pid/--tid/--kernel/--jit/--all/
// --addrs (its committed test/results are stale for some options, so the Perl run is the oracle),
// plus the default output for inferno's inputs in test/fixtures/inferno-collapse-perf.
// The Perl script is run from the clone and never copied.
// Usage: node scripts/gen-flamegraph-results.mjs [FlameGraph git dir or checkout]
import { spawnSync } from 'node:child_process';
import {
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  existsSync,
  rmSync,
} from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const repo = join(import.meta.dirname, '..');
const src = process.argv[2] ?? '/work/.mirror/brendangregg+FlameGraph/repo';
const out = join(repo, 'test', 'fixtures', 'flamegraph-collapse-perf');
let dir = src;
let scratch;
if (!existsSync(join(src, 'stackcollapse-perf.pl'))) {
  scratch = mkdtempSync(join(tmpdir(), 'alloc-lens-fg-'));
  const a = spawnSync('git', ['--git-dir', src, 'archive', 'HEAD'], { maxBuffer: 1 << 28 });
  if (a.status !== 0) throw new Error(`${src}: neither a FlameGraph checkout nor a git dir`);
  spawnSync('tar', ['x', '-C', scratch], { input: a.stdout });
  dir = scratch;
}
const perl = (args, file) => {
  const r = spawnSync('perl', [join(dir, 'stackcollapse-perf.pl'), ...args, file], {
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0)
    throw new Error(`perl stackcollapse-perf.pl ${args.join(' ')} ${file}: ${r.stderr}`);
  return r.stdout;
};
mkdirSync(join(out, 'results'), { recursive: true });
for (const f of readdirSync(join(dir, 'test')).filter(f => f.endsWith('.txt'))) {
  const input = join(dir, 'test', f);
  writeFileSync(join(out, `${f}.gz`), gzipSync(readFileSync(input), { level: 9 }));
  const b = f.slice(0, -4);
  for (const o of ['', 'pid', 'tid', 'kernel', 'jit', 'all', 'addrs']) {
    writeFileSync(
      join(out, 'results', `${b}-collapsed${o ? `-${o}` : ''}.txt.gz`),
      gzipSync(perl(o ? [`--${o}`] : [], input), { level: 9 }),
    );
  }
}
const inferno = join(repo, 'test', 'fixtures', 'inferno-collapse-perf');
for (const f of readdirSync(inferno).filter(f => f.endsWith('.txt'))) {
  writeFileSync(
    join(out, 'results', `inferno-${f.slice(0, -4)}-collapsed.txt`),
    perl([], join(inferno, f)),
  );
}
if (scratch) rmSync(scratch, { recursive: true, force: true });
console.log(`wrote ${out}`);
