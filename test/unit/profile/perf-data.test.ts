/**
 * perf.data input against the real `perf`: record a small Rust program that moves a large value
 * on one line, import the perf.data (Alloc Lens runs `perf script` itself) and check the samples
 * and the hot line. Missing or failing perf must give clear errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeProfile } from '../../../src/profile/analyze';
import { importProfile, PERF_SCRIPT_ARGS } from '../../../src/profile/import';

const PROGRAM = `use std::hint::black_box;

#[derive(Clone, Copy)]
struct Big([u8; 65536]);

#[inline(never)]
fn make(seed: u8) -> Big {
    Big([seed; 65536])
}

fn main() {
    let mut acc = 0u64;
    let start = std::time::Instant::now();
    while start.elapsed().as_millis() < 700 {
        let a = black_box(make(black_box(acc as u8)));
        let b = black_box(a); // line 16: copies 64 KB
        acc = acc.wrapping_add(b.0[(acc % 65536) as usize] as u64);
    }
    println!("{acc}");
}
`;

function need(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    assert.fail(
      `\`${cmd}\` is required for this test (CI installs it: scripts/ci-deps.sh); ${r.error?.message ?? r.stderr}`,
    );
}

test(
  'perf.data: recorded with the real perf, imported through `perf script`, hot line found',
  { timeout: 180_000 },
  async () => {
    need('perf', ['--version']);
    need('rustc', ['--version']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-perfdata-'));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(
      path.join(dir, 'Cargo.toml'),
      '[package]\nname = "bigcopy"\nversion = "0.1.0"\nedition = "2021"\n',
    );
    fs.writeFileSync(path.join(dir, 'src', 'main.rs'), PROGRAM);
    const bin = path.join(dir, 'bigcopy');
    const rc = spawnSync(
      'rustc',
      [
        '-g',
        '-C',
        'opt-level=2',
        '--edition',
        '2021',
        '--crate-name',
        'bigcopy',
        'src/main.rs',
        '-o',
        bin,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    assert.equal(rc.status, 0, rc.stderr);
    const data = path.join(dir, 'perf.data');
    const rec = spawnSync(
      'perf',
      ['record', '-F', '1999', '-g', '--call-graph', 'dwarf,16384', '-o', data, bin],
      { cwd: dir, encoding: 'utf8' },
    );
    assert.equal(rec.status, 0, `perf record failed: ${rec.stderr}`);
    // ground truth: the number of samples perf itself prints
    const ps = spawnSync('perf', [...PERF_SCRIPT_ARGS, '-i', data], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    assert.equal(ps.status, 0, ps.stderr);
    const expected = ps.stdout
      .split('\n')
      .filter(l => /^\S.*:\s*$/.test(l) && !l.startsWith('\t')).length;
    assert.ok(expected > 100, `perf recorded only ${expected} samples`);
    const progress: number[] = [];
    const p = await analyzeProfile(data, {
      root: dir,
      onProgress: pr => progress.push(pr.samples),
    });
    assert.equal(p.report.format, 'perf-data');
    assert.equal(p.report.samples.total, expected);
    assert.ok(progress.length >= 1);
    const top = p.report.hotLines[0];
    assert.ok(top, 'no hot line');
    assert.equal(top.file, 'src/main.rs');
    assert.equal(top.line, 16, 'the 64 KB copy `let b = black_box(a)` ranks first');
    assert.ok(top.samples.copy / top.samples.total > 0.9, JSON.stringify(top.samples));
    assert.ok(p.report.shares.copy > 0.2, JSON.stringify(p.report.shares));
    fs.rmSync(dir, { recursive: true, force: true });
  },
);

test('perf.data: a missing perf and an unreadable perf.data give clear errors', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-perfbad-'));
  const data = path.join(dir, 'perf.data');
  fs.writeFileSync(data, Buffer.concat([Buffer.from('PERFILE2'), Buffer.alloc(4096, 0xab)]));
  await assert.rejects(
    importProfile(data, { perf: path.join(dir, 'no-such-perf') }),
    /was not found: reading perf\.data needs Linux perf/,
  );
  need('perf', ['--version']);
  await assert.rejects(importProfile(data), /perf script failed on .*perf\.data \(exit \d+\)/);
  fs.rmSync(dir, { recursive: true, force: true });
});
