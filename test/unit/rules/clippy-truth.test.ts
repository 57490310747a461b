/**
 * Agreement with the real `cargo clippy` on real crates, without running clippy: its findings
 * are committed in test/fixtures/clippy-truth (npm run measure:clippy -- --refresh re-runs it).
 * Only crates where clippy reported something are re-analysed here (fast); the crates come from
 * scripts/ci-deps.sh.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const TRUTH = path.join(ROOT, 'test', 'fixtures', 'clippy-truth');
const REG = '/usr/share/cargo/registry';

interface Truth {
  crate: string;
  features: string;
  files: string[];
  findings: { lint: string; file: string; line: number; endLine: number }[];
}

/**
 * Clippy findings we may miss for a known reason outside the rules (each one named, with why).
 * None today: trust-dns-proto's `Option<St::Item>` (`Peekable<St: Stream>`) is resolved through
 * futures-channel's `impl<T> Stream for Receiver<T>`, and wasm-bindgen-backend's `Token![..]`
 * types are expanded, so both of their large-enum-variant findings are matched.
 */
const KNOWN_MISSES = new Set<string>([]);

test('clippy agreement on real crates: no extra findings, no unexplained miss; large-error and large-enum-variant recall >= 95%', async () => {
  const script = await import(path.join(ROOT, 'scripts', 'measure-clippy.mjs'));
  const truths: Truth[] = fs
    .readdirSync(TRUTH)
    .filter(f => f.endsWith('.json'))
    .map(f => JSON.parse(fs.readFileSync(path.join(TRUTH, f), 'utf8')));
  assert.ok(truths.length >= 10, `clippy truth for ${truths.length} crates`);
  const totals: Record<string, { clippy: number; ours: number; both: number }> = {};
  for (const t of truths) {
    assert.ok(
      fs.existsSync(path.join(REG, t.crate)),
      `${t.crate} is not installed: run scripts/ci-deps.sh`,
    );
    if (t.findings.length === 0) continue;
    const mine = await script.ours(t.crate, t);
    const r = script.match(t.findings, mine);
    const lints = new Set(['large-error', 'large-enum-variant']);
    const missed = r.missed
      .filter((m: { lint: string }) => lints.has(m.lint))
      .map(
        (m: { file: string; line: number; lint: string }) =>
          `${t.crate} ${m.file}:${m.line} ${m.lint}`,
      );
    assert.deepEqual(
      missed.filter((m: string) => !KNOWN_MISSES.has(m)),
      [],
      `${t.crate}: clippy findings we miss`,
    );
    assert.deepEqual(
      r.extra.filter((m: { lint: string }) => lints.has(m.lint)),
      [],
      `${t.crate}: findings clippy does not report`,
    );
    for (const lint of ['large-error', 'large-enum-variant']) {
      const x = (totals[lint] ??= { clippy: 0, ours: 0, both: 0 });
      x.clippy += t.findings.filter(f => f.lint === lint).length;
      x.ours += mine.filter((f: { lint: string }) => f.lint === lint).length;
      x.both += r.pairs.filter((p: { lint: string }[]) => p[0].lint === lint).length;
    }
  }
  for (const lint of ['large-error', 'large-enum-variant']) {
    const x = totals[lint];
    assert.ok(x.both / x.clippy >= 0.95, `${lint}: recall ${x.both}/${x.clippy}`);
  }
  for (const [lint, x] of Object.entries(totals))
    if (x.ours) assert.ok(x.both / x.ours >= 0.95, `${lint}: precision ${x.both}/${x.ours}`);
  assert.ok(
    totals['large-error'].clippy >= 30 && totals['large-enum-variant'].clippy >= 6,
    JSON.stringify(totals),
  );
});
