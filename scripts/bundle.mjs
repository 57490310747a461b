#!/usr/bin/env node
// Bundles the extension into dist/extension.js. The native tree-sitter bindings stay external:
// they are shipped as files (with their prebuilds for every desktop platform) in the VSIX.
import { build } from 'esbuild';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
await build({
  entryPoints: [join(root, 'src', 'extension', 'main.ts')],
  bundle: true,
  outfile: join(root, 'dist', 'extension.js'),
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode', 'tree-sitter', 'tree-sitter-rust'],
  sourcemap: false,
  minify: true,
  logLevel: 'warning',
});
console.log('bundled dist/extension.js');
