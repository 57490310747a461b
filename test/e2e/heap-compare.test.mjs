// Real-editor test of Compare with Baseline Profile on heap profiles, on test/fixtures/heap/strbuild:
// the DHAT recording made after its two heap findings were fixed (dhat-fixed.json.gz) is loaded,
// then compared with the original recording (dhat.json.gz): the toast, the "Compared with" node of
// the Alloc Lens view (totals and lines in bytes and blocks) and the Δ notes in the editor. The
// numbers are those of the raw files (test/unit/lsp/heap-compare-lsp.test.ts checks them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  command,
  openFile,
  ROOT,
  shot,
  startEditor,
  poller,
  pickFileInDialog,
} from './harness.mjs';

let ed;
const until = poller(() => ed?.page);
const cssText = page =>
  page.evaluate(() =>
    [...document.styleSheets]
      .flatMap(s => {
        try {
          return [...s.cssRules].map(r => r.cssText);
        } catch {
          return [];
        }
      })
      .join('\n'),
  );

/** The rows of the Alloc Lens view, as `label | description` (whitespace folded). */
async function viewRows(page) {
  return page.locator('.part.sidebar .pane-body .monaco-list-row').evaluateAll(rows =>
    rows.map(r => {
      const label = r.querySelector('.label-name')?.textContent ?? '';
      const desc = r.querySelector('.label-description')?.textContent ?? '';
      return `${label} | ${desc}`.replace(/\s+/g, ' ').trim();
    }),
  );
}

async function showView(page) {
  const title = page.locator('.part.sidebar .composite.title', { hasText: /Alloc Lens/i }).first();
  if (!(await title.isVisible().catch(() => false))) {
    await command(page, 'View: Show Alloc Lens');
    await title.waitFor({ timeout: 20000 });
  }
  const box = await page.locator('.part.sidebar').boundingBox();
  if (box && box.width < 600) {
    await page.mouse.move(box.x + box.width + 1, box.y + 300);
    await page.mouse.down();
    await page.mouse.move(box.x + 350, box.y + 300, { steps: 5 });
    await page.mouse.move(box.x + 640, box.y + 300, { steps: 5 });
    await page.mouse.up();
  }
}

before(async () => {
  ed = await startEditor(join(ROOT, 'test', 'fixtures', 'heap', 'strbuild'));
});

after(async () => {
  await ed?.cleanup();
});

test('Compare with Baseline Profile on DHAT recordings: bytes and blocks deltas in the view and the gutter', async () => {
  const { page, workspace } = ed;
  await openFile(page, 'src/main.rs');
  await command(page, 'Alloc Lens: Import Profile...');
  await pickFileInDialog(page, join(workspace, 'dhat-fixed.json.gz'), 'Import Profile');
  const imported = page.locator('.notifications-toasts', { hasText: 'allocated in' });
  await until(
    'the import of dhat-fixed.json.gz',
    async () => ((await imported.count()) > 0 ? true : undefined),
    90000,
  );
  await page.keyboard.press('Escape');
  await command(page, 'Notifications: Clear All Notifications').catch(() => undefined);

  await command(page, 'Alloc Lens: Compare with Baseline Profile...');
  await pickFileInDialog(page, join(workspace, 'dhat.json.gz'), 'Compare with Baseline');
  const toast = page.locator('.notifications-toasts', { hasText: 'blocks 240,064 → 19' });
  await until('the comparison', async () => ((await toast.count()) > 0 ? true : undefined), 90000);
  assert.match(
    await toast.first().innerText(),
    /dhat\.json\.gz → dhat-fixed\.json\.gz: bytes 18\.\d MB → [\d.]+ [kM]B \(−[\d.]+ MB\), blocks 240,064 → 19 \(−240,045\)\. Largest change: src\/main\.rs:13 /,
  );
  await page.keyboard.press('Escape');
  await command(page, 'Notifications: Clear All Notifications').catch(() => undefined);

  await showView(page);
  const rows = await until(
    'the comparison in the view',
    async () => {
      const r = await viewRows(page);
      return r.some(x => /^Compared with dhat\.json\.gz \| bytes 18\.\d MB → /.test(x))
        ? r
        : undefined;
    },
    30000,
  );
  assert.ok(
    rows.some(r => /^blocks 240,064 → 19 \(−240,045\)/.test(r)),
    rows.join('\n'),
  );
  assert.ok(
    rows.some(
      r => r === 'src/main.rs:6 (gone) | 7.20 MB → 0 B (−7.20 MB) · 240,000 → 0 blocks (−240,000)',
    ),
    rows.join('\n'),
  );
  assert.ok(
    rows.some(r => /^src\/main\.rs:13 \(gone\) \| 9\.\d\d MB → 0 B/.test(r)),
    rows.join('\n'),
  );
  assert.ok(
    rows.some(r => /^src\/main\.rs:10 \(new\) \| 0 B → .* · 0 → 3 blocks \(\+3\)$/.test(r)),
    rows.join('\n'),
  );

  await openFile(page, 'src/main.rs');
  await until(
    'the Δ note on src/main.rs:6',
    async () =>
      /Δ 7\.20 MB → 0 B \(−7\.20 MB\) · 240,000 → 0 blocks \(−240,000\)/.test(
        await cssText(page),
      ) || undefined,
    20000,
  );
  await page.mouse.move(700, 500);
  await shot(page, 'heap-compare-1-view');
  await page.keyboard.press('Control+B');
  await page.waitForTimeout(800);
  await shot(page, 'heap-compare-2-gutter-notes');
  await page.keyboard.press('Control+B');
});
