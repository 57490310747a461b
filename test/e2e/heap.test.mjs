// Real-editor test of heap profiles on test/fixtures/heap/pipeline and its committed DHAT
// recording: Import Profile... through the file dialog, byte heat + end-of-line notes in bytes,
// the hover with the top allocation stacks, heap diagnostics, the byte-weighted flamegraph.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  command,
  goTo,
  openFile,
  problems,
  ROOT,
  shot,
  showProblems,
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

before(async () => {
  ed = await startEditor(join(ROOT, 'test', 'fixtures', 'heap', 'pipeline'));
});

after(async () => {
  await ed?.cleanup();
});

test('Import Profile... takes a DHAT file: byte heat and notes in bytes on the right lines', async () => {
  const { page, workspace } = ed;
  await openFile(page, 'src/main.rs');
  await command(page, 'Alloc Lens: Import Profile...');
  await pickFileInDialog(page, join(workspace, 'dhat.json.gz'), 'Import Profile');
  const toast = page.locator('.notifications-toasts', { hasText: 'allocated in' });
  await until(
    'the import to finish',
    async () => ((await toast.count()) > 0 ? true : undefined),
    90000,
  );
  assert.match(
    await toast.first().innerText(),
    /56\.8 MB allocated in 19,343 blocks\. Top: src\/main\.rs:7 \(54\.5 MB in 52 blocks · 99 % of peak\)/,
  );
  await goTo(page, 7, 1);
  const css = await until('the end-of-line note of src/main.rs:7', async () => {
    const t = await cssText(page);
    return /54\.5 MB in 52 blocks · 99 % of peak/.test(t) ? t : undefined;
  });
  assert.match(
    css,
    /2\.27 MB in 19,200 blocks/,
    'the note of src/main.rs:16 (the 118-byte records)',
  );
  const bars = await page.evaluate(
    () =>
      [...document.querySelectorAll('.monaco-editor .margin *')].filter(e =>
        /data:image\/svg\+xml/.test(getComputedStyle(e).backgroundImage),
      ).length,
  );
  assert.ok(bars >= 2, `gutter heat bars in the editor margin: ${bars}`);
  await shot(page, 'heap-1-byte-heat');
});

test('hovering a hot line shows bytes, peak, lifetime and the top allocation stacks', async () => {
  const { page } = ed;
  await goTo(page, 16, 10);
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+I');
  const hover = page.locator('.monaco-hover:not(.hidden)');
  const text = await until(
    'the heap hover',
    async () => {
      if ((await hover.count()) === 0) return undefined;
      const t = (await hover.first().innerText()).replace(/\u00a0/g, ' ');
      return /Alloc Lens heap profile/.test(t) ? t : undefined;
    },
    20000,
  );
  assert.match(text, /2\.27 MB in 19,200 blocks \(avg 118 B/);
  assert.match(text, /Top allocation stacks/);
  assert.match(text, /pipeline::record|record/);
  await shot(page, 'heap-2-hover');
  await page.keyboard.press('Escape');
});

test('heap diagnostics: churn and the peak holder, with advice', async () => {
  const { page } = ed;
  await showProblems(page);
  const rows = await until('heap diagnostics', async () => {
    const r = await problems(page);
    return r.some(x => /short-lived blocks/.test(x)) ? r : undefined;
  });
  assert.ok(
    rows.some(r => /heap-churn/.test(r) && /clear\(\)/.test(r) && /Ln 16/.test(r)),
    rows.join('\n'),
  );
  assert.ok(
    rows.some(r => /heap-peak/.test(r) && /Ln 7/.test(r)),
    rows.join('\n'),
  );
  await shot(page, 'heap-3-diagnostics');
});

test('Open Flamegraph shows byte-weighted views: total, at peak, at exit', async () => {
  const { page } = ed;
  await command(page, 'Alloc Lens: Open Flamegraph');
  const frame = await until(
    'speedscope in the webview',
    async () => {
      for (const f of page.frames()) {
        const ok = await f
          .evaluate(
            () =>
              !!document.querySelector('canvas') && /Heap flamegraph/.test(document.body.innerText),
          )
          .catch(() => false);
        if (ok) return f;
      }
      return undefined;
    },
    60000,
  );
  await page.waitForTimeout(1000);
  const body = await frame.evaluate(() => document.body.innerText);
  assert.match(body, /src\/main\.rs:7/);
  assert.deepEqual(await frame.locator('.al-view').allInnerTexts(), [
    'Total',
    'At peak',
    'At exit',
  ]);
  await page.mouse.move(10, 10);
  await shot(page, 'heap-4-flamegraph-total');
  await frame.locator('.al-view[data-view=v1]').click();
  await page.waitForTimeout(1000);
  await shot(page, 'heap-5-flamegraph-peak');
});
