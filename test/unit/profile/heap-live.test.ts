/**
 * Heap importers on fresh output of the installed tools: builds the strbuild fixture program,
 * runs it (small input) under `valgrind --tool=dhat` and `heaptrack`, and checks the hot lines
 * against an independent reading of the raw DHAT file and the agreement of the two tools.
 * Missing tools fail with what to install (scripts/ci-deps.sh installs them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeHeap } from '../../../src/profile/heap/analyze';

const SRC = path.resolve(__dirname, '../../../../test/fixtures/heap/strbuild');

function need(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    assert.fail(
      `\`${cmd}\` is required for this test (apt-get install valgrind heaptrack, or scripts/ci-deps.sh); ${r.error?.message ?? r.stderr}`,
    );
}

test(
  'valgrind DHAT and heaptrack on a freshly built program: the lines and bytes agree with the raw file and with each other',
  { timeout: 240_000 },
  async () => {
    need('valgrind', ['--version']);
    need('heaptrack', ['--version']);
    need('cargo', ['--version']);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heap-live-'));
    try {
      fs.cpSync(SRC, tmp, { recursive: true, filter: f => !/\.(gz|zst)$/.test(f) });
      const b = spawnSync('cargo', ['build', '--release', '-q'], {
        cwd: tmp,
        encoding: 'utf8',
        env: { ...process.env, CARGO_TARGET_DIR: path.join(tmp, 'target') },
      });
      assert.equal(b.status, 0, b.stderr);
      const bin = path.join(tmp, 'target', 'release', 'strbuild');
      const dhat = path.join(tmp, 'dhat.json');
      const v = spawnSync('valgrind', ['--tool=dhat', `--dhat-out-file=${dhat}`, bin, '3000'], {
        cwd: tmp,
        encoding: 'utf8',
      });
      assert.equal(v.status, 0, v.stderr);
      const h = spawnSync('heaptrack', ['-o', path.join(tmp, 'heaptrack.strbuild'), bin, '3000'], {
        cwd: tmp,
        encoding: 'utf8',
      });
      assert.equal(h.status, 0, h.stderr);
      const htFile = fs.readdirSync(tmp).find(f => /^heaptrack\.strbuild\..*(zst|gz)$/.test(f));
      assert.ok(htFile, `heaptrack wrote no file: ${h.stdout}`);

      // Independent reading of the DHAT file: innermost main.rs frame of each program point.
      const raw = JSON.parse(fs.readFileSync(dhat, 'utf8'));
      const want = new Map<number, number>();
      for (const pp of raw.pps) {
        for (const i of pp.fs) {
          const m = /\((?:[^()]*\/)?main\.rs:(\d+)(?::\d+)?\)$/.exec(raw.ftbl[i]);
          if (m) {
            want.set(Number(m[1]), (want.get(Number(m[1])) ?? 0) + pp.tb);
            break;
          }
        }
      }
      const d = await analyzeHeap(dhat, { root: tmp, top: 0 });
      const got = new Map(d.report.hotLines.map(l => [l.line, l.heap.bytes]));
      assert.deepEqual(
        [...got].sort((x, y) => x[0] - y[0]),
        [...want].sort((x, y) => x[0] - y[0]),
      );
      // 3000 rows: format! per row (line 6) is the churn, push_str growth (line 13), the leak (27).
      assert.equal(d.report.hotLines[0].line, 13);
      assert.ok(d.report.diagnostics.some(x => x.code === 'heap-churn' && x.line === 6));
      assert.ok(
        d.report.diagnostics.some(
          x => x.code === 'heap-leak' && x.line === 27 && x.bytes === 400_000,
        ),
      );

      const t = await analyzeHeap(path.join(tmp, htFile), { root: tmp, top: 0 });
      for (const line of [13, 6, 19, 27]) {
        const a = d.report.hotLines.find(l => l.line === line)!;
        const b2 = t.report.hotLines.find(l => l.line === line);
        assert.ok(b2, `heaptrack has no src/main.rs:${line}`);
        assert.equal(b2.heap.blocks, a.heap.blocks, `blocks of src/main.rs:${line}`);
        assert.equal(b2.heap.bytes, a.heap.bytes, `bytes of src/main.rs:${line}`);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
);
