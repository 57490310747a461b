// The first analysis checked on two threads (src/lsp/check-worker.ts) publishes exactly what the
// single-thread path publishes: every file's findings, in order, field for field. Real crates
// with findings in the worker's share (clap 4.0.32: value_parser.rs, and command.rs on this
// thread; tera 1.17.1: processor.rs), so that the comparison cannot pass empty.
import { test } from 'node:test';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { WorkspaceAnalysis } from '../../../src/lsp/analysis';
import { parseEditorSettings } from '../../../src/core/config/editor-settings';
import { shareFiles } from '../../../src/lsp/check-worker';
import type { Finding } from '../../../src/core/rules/types';
import { listRustFiles } from '../../../src/core/index/crates';
import { crateDir } from '../helpers/registry';

async function analyse(root: string, threads: number, first?: string[]) {
  const published = new Map<string, Finding[]>();
  const order: string[] = [];
  const phases: string[] = [];
  const warnings: string[] = [];
  const a = new WorkspaceAnalysis(
    {
      onPublish: (file, findings) => {
        published.set(file, findings);
        order.push(file);
      },
      onWarning: m => warnings.push(m),
      trusted: () => false,
    },
    // Every folder in parallel, whatever its size.
    { threads, parallelMinFiles: 1 },
  );
  await a.analyze([root], async () => parseEditorSettings({}), {
    onPhase: n => phases.push(n),
    first,
  });
  const files = [...published.keys()].sort();
  return { files, published, order, phases, warnings, count: a.findingCount };
}

for (const [dir, min] of [
  ['clap-4.0.32', 8],
  ['tera-1.17.1', 4],
] as const) {
  test(`${dir}: two check threads publish what one does`, { timeout: 120_000 }, async () => {
    const root = crateDir(dir);
    const one = await analyse(root, 1);
    const two = await analyse(root, 2);
    assert.ok(one.count >= min, `${dir}: ${one.count} findings, expected at least ${min}`);
    assert.ok(!one.phases.includes('worker rules'));
    const theirs = new Set(shareFiles(listRustFiles(root), 2)[1]);
    assert.ok(
      one.files.some(f => theirs.has(f)),
      `${dir}: no finding in the worker's share, the test would not see its results`,
    );
    // The worker ran and did not fail over to this thread.
    assert.ok(two.phases.includes('worker rules'), two.phases.join(', '));
    assert.deepEqual(
      two.warnings.filter(w => w.startsWith('check worker failed')),
      [],
    );
    assert.equal(two.count, one.count);
    assert.deepEqual(two.files, one.files);
    for (const f of one.files) assert.deepEqual(two.published.get(f), one.published.get(f), f);
  });
}

test('shareFiles: every file once, shares of about equal bytes, the largest first', () => {
  const root = crateDir('clap-4.0.32');
  const files = ['src/builder/command.rs', 'src/lib.rs', 'src/error/mod.rs', 'src/macros.rs'].map(
    f => `${root}/${f}`,
  );
  const shares = shareFiles(files, 2);
  assert.equal(shares.length, 2);
  assert.deepEqual([...shares[0], ...shares[1]].sort(), [...files].sort());
  // command.rs is by far the largest: it alone is one share.
  assert.deepEqual(shares[0], [files[0]]);
  // One share: every file, largest first (command.rs, error/mod.rs, macros.rs, lib.rs).
  assert.deepEqual(shareFiles(files, 1), [[files[0], files[2], files[3], files[1]]]);
});

test(
  'the open files are checked and published first, then the rest: same findings',
  {
    timeout: 120_000,
  },
  async () => {
    const root = crateDir('clap-4.0.32');
    // command.rs sorts before value_parser.rs: a plain analysis publishes it first.
    const open = path.join(root, 'src', 'builder', 'value_parser.rs');
    const plain = await analyse(root, 1);
    assert.notEqual(plain.order[0], open);
    for (const threads of [1, 2]) {
      const early = await analyse(root, threads, [open]);
      assert.equal(early.order[0], open, early.order.join('\n'));
      assert.ok(early.phases.indexOf('open files') < early.phases.indexOf('rules'));
      assert.deepEqual(early.files, plain.files);
      for (const f of plain.files) assert.deepEqual(early.published.get(f), plain.published.get(f));
    }
  },
);
