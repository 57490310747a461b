// Compare Profiles on heap profiles through the real server: the strbuild recording after its two
// heap findings were fixed (dhat-fixed.json.gz) against the original (dhat.json.gz). The view's
// totals and lines, and the gutter notes (Δ bytes/blocks), against an independent reading of the
// two DHAT files (test/unit/helpers/heap-oracle.ts).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as rpc from 'vscode-languageserver-protocol/node';
import type { ComparisonView, ProfileHotLinesParams } from '../../../src/lsp/protocol';
import { dhatOracle } from '../helpers/heap-oracle';
import { fmtBytes } from '../../../src/profile/heap/format';
import * as fs from 'node:fs';
import { gunzipSync } from 'node:zlib';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const CRATE = path.join(REPO, 'test', 'fixtures', 'heap', 'strbuild');
const BEFORE = path.join(CRATE, 'dhat.json.gz');
const AFTER = path.join(CRATE, 'dhat-fixed.json.gz');

let cp: ChildProcess;
let conn: rpc.ProtocolConnection;
let lastHot: ProfileHotLinesParams | undefined;

before(async () => {
  cp = spawn(process.execPath, [path.join(REPO, 'bin', 'alloc-lens.js'), 'lsp'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  conn = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(cp.stdout!),
    new rpc.StreamMessageWriter(cp.stdin!),
  );
  conn.onNotification('allocLens/profileHotLines', (p: ProfileHotLinesParams) => {
    lastHot = p;
  });
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(CRATE).toString(),
    workspaceFolders: [{ uri: pathToFileURL(CRATE).toString(), name: 'strbuild' }],
    capabilities: {},
    initializationOptions: { diagnostics: 'push', client: 'vscode' },
  });
  void conn.sendNotification('initialized', {});
});

after(async () => {
  await conn.sendRequest('shutdown').catch(() => undefined);
  void conn.sendNotification('exit');
  await new Promise(r => cp.once('exit', r));
});

test('heap Compare Profiles: totals, lines that changed and Δ gutter notes equal the two DHAT files', async () => {
  await conn.sendRequest('workspace/executeCommand', {
    command: 'allocLens.importProfile',
    arguments: [AFTER],
  });
  const view = await conn.sendRequest<ComparisonView>('workspace/executeCommand', {
    command: 'allocLens.compareProfiles',
    arguments: [BEFORE],
  });
  const ob = dhatOracle(BEFORE);
  const oa = dhatOracle(AFTER);
  assert.equal(view.measure, 'bytes');
  assert.equal(view.baseline, BEFORE);
  assert.equal(view.current, AFTER);
  // Totals read from the raw files.
  const raw = (f: string) =>
    JSON.parse(gunzipSync(fs.readFileSync(f)).toString('utf8')).pps.reduce(
      (s: { b: number; k: number }, p: { tb: number; tbk: number }) => ({
        b: s.b + p.tb,
        k: s.k + p.tbk,
      }),
      { b: 0, k: 0 },
    );
  const [rb, ra] = [raw(BEFORE), raw(AFTER)];
  assert.deepEqual([rb.k, ra.k], [240_064, 19]);
  assert.equal(view.totals[1], 'blocks 240,064 → 19 (−240,045)');
  assert.equal(
    view.totals[0],
    `bytes ${fmtBytes(rb.b)} → ${fmtBytes(ra.b)} (−${fmtBytes(rb.b - ra.b)})`,
  );
  // Every main.rs line whose bytes or blocks changed, largest byte change first, with its delta.
  const moved = [...new Set([...ob.lines.keys(), ...oa.lines.keys()])].filter(
    l =>
      (ob.lines.get(l)?.bytes ?? 0) !== (oa.lines.get(l)?.bytes ?? 0) ||
      (ob.lines.get(l)?.blocks ?? 0) !== (oa.lines.get(l)?.blocks ?? 0),
  );
  assert.deepEqual(
    new Set(
      view.lines
        .filter(l => l.label.startsWith('src/main.rs:'))
        .map(l => Number(l.label.slice(12))),
    ),
    new Set(moved),
  );
  assert.deepEqual([view.lines[0].label, view.lines[0].presence], ['src/main.rs:13', 'gone']);
  const row6 = view.lines.find(l => l.label === 'src/main.rs:6')!;
  assert.equal(row6.note, '7.20 MB → 0 B (−7.20 MB) · 240,000 → 0 blocks (−240,000)');
  assert.equal(row6.uri, pathToFileURL(path.join(CRATE, 'src', 'main.rs')).toString());
  assert.equal(row6.line, 5);
  assert.match(
    view.message,
    /dhat\.json\.gz → dhat-fixed\.json\.gz: bytes .*, blocks 240,064 → 19 \(−240,045\)\. Largest change: src\/main\.rs:13/,
  );
  // The gutter: a line gone since the baseline gets its Δ note; the untouched leak (main.rs:27) keeps its byte note.
  const hot = lastHot!.lines;
  const at = (line: number) => hot.find(h => h.uri.endsWith('/src/main.rs') && h.line === line - 1);
  assert.equal(at(6)?.note, 'Δ 7.20 MB → 0 B (−7.20 MB) · 240,000 → 0 blocks (−240,000)');
  assert.equal(at(6)?.level, 0);
  assert.doesNotMatch(at(27)?.note ?? '', /^Δ/);
  assert.match(at(27)?.note ?? '', /live at exit/);
  // The findings view gets the comparison and names the baseline.
  const tree = await conn.sendRequest<{ baseline?: string; comparison?: ComparisonView }>(
    'allocLens/findingsTree',
    {},
  );
  assert.equal(tree.baseline, 'dhat.json.gz');
  assert.deepEqual(tree.comparison?.totals, view.totals);
});
