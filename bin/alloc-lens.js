#!/usr/bin/env node
'use strict';
// The `alloc-lens` command. The TypeScript sources are compiled to out/ by `npm run build`
// (which `npm ci` runs through the `prepare` script).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'out', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write(
    'alloc-lens: not built yet; run `npm run build` in ' + path.join(__dirname, '..') + '\n',
  );
  process.exit(2);
}
require(entry)
  .main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr })
  .then(
    code => {
      process.exitCode = code;
    },
    err => {
      process.stderr.write(`alloc-lens: ${(err && err.stack) || err}\n`);
      process.exitCode = 2;
    },
  );
