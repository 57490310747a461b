#!/usr/bin/env node
// Bundles the extension (a language client) into dist/extension.js and the language server into
// dist/server.js (run by the client as a node module). The native tree-sitter bindings stay external:
// they are shipped as files (with their prebuilds for every desktop platform) in the VSIX.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
for (const [entry, out] of [
  [['extension', 'main.ts'], 'extension.js'],
  [['lsp', 'main.ts'], 'server.js'],
]) {
  await build({
    entryPoints: [join(root, 'src', ...entry)],
    bundle: true,
    outfile: join(root, 'dist', out),
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode', 'tree-sitter', 'tree-sitter-rust'],
    sourcemap: false,
    minify: true,
    logLevel: 'warning',
  });
  console.log(`bundled dist/${out}`);
}

// speedscope's packaged web app (dist/release, unmodified) for the flamegraph panel, with its
// license. Left out: the example profile, source maps, favicons (the panel's page does not link
// them), the JSON schema and the JFR importer's wasm (the panel only loads speedscope's own format).
const ssFrom = join(root, 'node_modules', 'speedscope', 'dist', 'release');
const ssTo = join(root, 'dist', 'speedscope');
const skip = name =>
  /\.map$|\.txt$|^favicon-|^jfrview_bg-.*\.wasm$|^file-format-schema\.json$/.test(name) &&
  name !== 'release.txt';
rmSync(ssTo, { recursive: true, force: true });
mkdirSync(ssTo, { recursive: true });
const copied = [];
for (const name of readdirSync(ssFrom)) {
  if (skip(name)) continue;
  cpSync(join(ssFrom, name), join(ssTo, name));
  copied.push(name);
}
cpSync(join(ssFrom, '..', '..', 'LICENSE'), join(ssTo, 'LICENSE'));
console.log(`copied speedscope (${copied.length} files) to dist/speedscope`);
