#!/usr/bin/env node
// `npm run measure:lsp`: the language server (`alloc-lens lsp`, stdio) on examples/ddsplit and on
// tokio 1.24.2: time from spawning the server to the first published diagnostic and to the end
// of the workspace analysis, hover request time (median of 20 on type definitions), and the
// server's peak RSS (VmHWM). Runs each crate `--runs N` times (default 3), prints the medians.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as rpc from 'vscode-languageserver-protocol/node.js';

const ROOT = join(import.meta.dirname, '..');
const CRATES = {
  ddsplit: join(ROOT, 'examples', 'ddsplit'),
  tokio: '/usr/share/cargo/registry/tokio-1.24.2',
};
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
const only = process.argv.includes('--crate')
  ? process.argv[process.argv.indexOf('--crate') + 1]
  : undefined;
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function once(root) {
  const t0 = performance.now();
  const cp = spawn(process.execPath, [join(ROOT, 'bin', 'alloc-lens.js'), 'lsp'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const c = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(cp.stdout),
    new rpc.StreamMessageWriter(cp.stdin),
  );
  let first;
  let firstPublish;
  let findings = 0;
  const done = new Promise(resolve =>
    c.onNotification('allocLens/status', p => {
      findings = p.findings;
      resolve(performance.now() - t0);
    }),
  );
  c.onNotification('textDocument/publishDiagnostics', p => {
    firstPublish ??= performance.now() - t0;
    if (first === undefined && p.diagnostics.length) first = performance.now() - t0;
  });
  c.listen();
  const uri = pathToFileURL(root).toString();
  await c.sendRequest('initialize', {
    processId: process.pid,
    rootUri: uri,
    workspaceFolders: [{ uri, name: 'x' }],
    capabilities: {},
  });
  c.sendNotification('initialized', {});
  const analysed = await done;
  // CPU time of the server up to here (utime + stime, 100 ticks/s): the cost without the wait
  // for a core on a loaded machine.
  const stat = readFileSync(`/proc/${cp.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpu = (Number(stat[11]) + Number(stat[12])) * 10;
  const types = await c.sendRequest('allocLens/types');
  const hovers = [];
  for (const t of types.slice(0, 20)) {
    const h0 = performance.now();
    await c.sendRequest('textDocument/hover', {
      textDocument: { uri: t.uri },
      position: { line: t.line, character: t.character },
    });
    hovers.push(performance.now() - h0);
  }
  const hwm =
    Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${cp.pid}/status`, 'utf8'))[1]) / 1024;
  await c.sendRequest('shutdown');
  c.sendNotification('exit');
  await new Promise(r => cp.once('exit', r));
  return {
    first: first ?? NaN,
    firstPublish: firstPublish ?? NaN,
    analysed,
    cpu,
    hover: median(hovers),
    hwm,
    findings,
    types: types.length,
  };
}

const { loadavg } = await import('node:os');
console.log(
  `load average ${loadavg()
    .map(x => x.toFixed(1))
    .join(' ')} on ${(await import('node:os')).cpus().length} cores`,
);
for (const [name, root] of Object.entries(CRATES).filter(([n]) => !only || n === only)) {
  if (!existsSync(root)) {
    console.error(`${root} is missing: run scripts/ci-deps.sh`);
    process.exit(1);
  }
  const rs = [];
  if (process.env.DEBUG_MEASURE) console.error('start', name);
  for (let i = 0; i < runs; i++) {
    rs.push(await once(root));
    if (process.env.DEBUG_MEASURE) console.error(JSON.stringify(rs[rs.length - 1]));
  }
  const m = k => median(rs.map(r => r[k]));
  // A crate without findings (tokio) publishes only empty lists: its "first diagnostics" is the
  // end of the analysis, when the empty lists are final.
  const first = rs[0].findings
    ? `first diagnostics ${m('first').toFixed(0)} ms after spawn`
    : Number.isNaN(m('firstPublish'))
      ? 'no findings (nothing to publish)'
      : `no findings (first, empty, publish ${m('firstPublish').toFixed(0)} ms after spawn)`;
  console.log(
    `${name}: ${first}, analysis done ${m('analysed').toFixed(0)} ms (server CPU ${m('cpu').toFixed(0)} ms), hover ${m('hover').toFixed(1)} ms (median of 20 x ${runs}), peak RSS ${m('hwm').toFixed(0)} MB; ${rs[0].findings} findings, ${rs[0].types} types; runs (analysis done): ${rs.map(r => r.analysed.toFixed(0)).join(', ')} ms`,
  );
}
