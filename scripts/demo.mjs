#!/usr/bin/env node
// `npm run demo`: the main job on the embedded example crate (examples/ddsplit): its type
// layouts, its allocation-hotspot findings and, when the recorded profile is present, the
// profile report. Each step runs the real `alloc-lens` CLI entry point.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const repo = join(import.meta.dirname, '..');
const example = join(repo, 'examples', 'ddsplit');
const { main } = require(join(repo, 'out', 'src', 'cli', 'main.js'));
const io = { stdout: process.stdout, stderr: process.stderr };

async function step(title, argv) {
  console.log(`\n=== ${title}\n$ alloc-lens ${argv.join(' ')}\n`);
  const code = await main(argv, io);
  if (code === 2) {
    console.error(`demo: \`alloc-lens ${argv[0]}\` failed (exit 2)`);
    process.exitCode = 2;
  }
}

if (!existsSync(example)) {
  console.error(`demo: ${example} is missing`);
  process.exit(2);
}
await step('Type layouts of examples/ddsplit', ['layout', join(example, 'src')]);
await step('Allocation hotspots in examples/ddsplit', ['check', example]);
const profile = join(example, 'profile', 'ddsplit.perf-script.txt.gz');
await step(
  'Where the recorded profile spends malloc and memcpy samples, and which findings it confirms',
  ['profile', profile, '--root', example, '--top', '6', '--check'],
);
