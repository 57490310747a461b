// Real-editor test of the "Alloc Lens" view on examples/ddsplit: findings grouped by root cause,
// navigation, the quick fixes from the context menu, sort and filter, the measured evidence of a
// profile, CodeLens on hot functions, Compare with Baseline Profile (the after-fix recording
// against the original), the walkthrough and the extension icon.
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

/** Every CSS rule of the workbench (decorations are CSS rules: after-text, gutter icons). */
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

const row = (page, label) =>
  page
    .locator('.part.sidebar .pane-body .monaco-list-row', {
      has: page.locator('.label-name', { hasText: label }),
    })
    .first();

/** Opens the Alloc Lens view (its container's title shows the view's name: one view, no pane header). */
async function showView(page) {
  const title = page.locator('.part.sidebar .composite.title', { hasText: /Alloc Lens/i }).first();
  if (!(await title.isVisible().catch(() => false))) {
    await command(page, 'View: Show Alloc Lens');
    await title.waitFor({ timeout: 20000 });
  }
  // Wider than the default 300 px, so the descriptions (size, evidence, deltas) are readable.
  const box = await page.locator('.part.sidebar').boundingBox();
  if (box && box.width < 600) {
    await page.mouse.move(box.x + box.width + 1, box.y + 300);
    await page.mouse.down();
    await page.mouse.move(box.x + 350, box.y + 300, { steps: 5 });
    await page.mouse.move(box.x + 640, box.y + 300, { steps: 5 });
    await page.mouse.up();
  }
}

async function importProfile(page, workspace, name) {
  await command(page, 'Alloc Lens: Import Profile...');
  await pickFileInDialog(page, join(workspace, 'profile', name), 'Import Profile');
  const toast = page.locator('.notifications-toasts', { hasText: 'samples; memcpy' });
  await until(
    `the import of ${name}`,
    async () => ((await toast.count()) > 0 ? true : undefined),
    90000,
  );
  // Close the toasts so they do not cover the view in the screenshots.
  await page.keyboard.press('Escape');
  await command(page, 'Notifications: Clear All Notifications').catch(() => undefined);
}

before(async () => {
  ed = await startEditor(join(ROOT, 'examples', 'ddsplit'));
});

after(async () => {
  await ed?.cleanup();
});

test('the Alloc Lens view groups the findings by root cause: DistriErr with its four findings', async () => {
  const { page } = ed;
  await openFile(page, 'src/main.rs');
  await showView(page);
  const rows = await until(
    'grouped findings in the view',
    async () => {
      const r = await viewRows(page);
      return r.some(x => /^DistriErr \| 50,008 B · 4 findings$/.test(x)) ? r : undefined;
    },
    90000,
  );
  assert.ok(
    rows.some(r => /^Query \| 4,112 B · 2 findings$/.test(r)),
    rows.join('\n'),
  );
  assert.ok(
    rows.some(r => /^Splitter \| 1 finding$/.test(r)),
    rows.join('\n'),
  );
  // The children of DistriErr: the variant, both large-error returns, the match move.
  for (const f of [
    'large-enum-variant src/proto.rs:16',
    'large-error src/proto.rs:65',
    'large-error src/split.rs:8',
    'large-move src/main.rs:20',
  ]) {
    assert.ok(
      rows.some(r => r.startsWith(`${f} |`)),
      `${f} missing:\n${rows.join('\n')}`,
    );
  }
  assert.match(await page.locator('.part.sidebar').innerText(), /9 findings from 4 root causes/);
  await page.mouse.move(700, 500);
  await shot(page, 'view-1-root-causes');
});

test('clicking a finding in the view opens it; its context menu offers the quick fixes', async () => {
  const { page } = ed;
  await row(page, 'large-error src/proto.rs:65').click();
  await page.locator('.tab.active', { hasText: 'proto.rs' }).first().waitFor({ timeout: 15000 });
  await until(
    'the cursor on line 65',
    async () =>
      /^Ln 65, Col 8\b/.test(
        await page
          .locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ })
          .first()
          .innerText(),
      ) || undefined,
    10000,
  );
  await row(page, 'large-error src/proto.rs:65').click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu .action-item', {
    hasText: 'Show Quick Fixes',
  });
  await menu.first().waitFor({ timeout: 10000 });
  await shot(page, 'view-2-context-menu');
  await menu.first().click();
  const widget = page.locator('.action-widget');
  await widget.waitFor({ state: 'visible', timeout: 15000 });
  assert.match(await widget.innerText(), /Box the payload of `DistriErr::Corrupt`/);
  await shot(page, 'view-3-quick-fixes');
  await page.keyboard.press('Escape');
});

test('sort by size and filter by rule', async () => {
  const { page } = ed;
  await showView(page);
  await page
    .locator('.part.sidebar .composite.title .action-label[aria-label="Sort by Size"]')
    .first()
    .click();
  await until('the size order', async () => {
    const groups = (await viewRows(page)).filter(r => /\d+ findings?$/.test(r));
    return groups[0]?.startsWith('DistriErr |') && groups[1]?.startsWith('Query |')
      ? true
      : undefined;
  });
  await page
    .locator(
      '.part.sidebar .composite.title .action-label[aria-label="Filter by Rule and Severity..."]',
    )
    .first()
    .click();
  const pick = page.locator('.quick-input-widget');
  await pick.waitFor({ state: 'visible' });
  // Everything starts checked; clicking a row of a multi-select pick toggles it: leave large-move.
  for (const rule of [
    'large-error',
    'large-enum-variant',
    'async-trait-box',
    'clone-hotspot',
    'large-future',
  ]) {
    await page
      .locator('.quick-input-list .monaco-list-row', {
        has: page.locator('.label-name', { hasText: new RegExp(`^${rule}$`) }),
      })
      .first()
      .click();
  }
  await page.waitForTimeout(300);
  await shot(page, 'view-4a-filter-pick');
  await page.keyboard.press('Enter');
  const rows = await until('only large-move findings', async () => {
    const r = await viewRows(page);
    return r.some(x => /^Query \| 4,112 B · 2 findings$/.test(x)) &&
      !r.some(x => /^(large-error|large-enum-variant|async-trait-box|clone-hotspot) /.test(x))
      ? r
      : undefined;
  });
  assert.ok(
    rows.some(r => /^DistriErr \| 50,008 B · 1 finding$/.test(r)),
    rows.join('\n'),
  );
  await shot(page, 'view-4-filtered');
  await page
    .locator('.part.sidebar .composite.title .action-label[aria-label="Clear Filter"]')
    .first()
    .click();
  await page
    .locator('.part.sidebar .composite.title .action-label[aria-label="Sort by Measured Cost"]')
    .first()
    .click();
  await until(
    'all findings again',
    async () =>
      (await viewRows(page)).some(x => /^DistriErr \| 50,008 B · 4 findings/.test(x)) || undefined,
  );
});

test('with a profile the view shows measured evidence per cause, each line counted once', async () => {
  const { page, workspace } = ed;
  await importProfile(page, workspace, 'ddsplit.perf-script.txt.gz');
  await showView(page);
  const rows = await until(
    'evidence in the view',
    async () => {
      const r = await viewRows(page);
      return r.some(x =>
        /^DistriErr \| 50,008 B · 4 findings · memcpy 2,703 samples \(59\.4% of all\)$/.test(x),
      )
        ? r
        : undefined;
    },
    30000,
  );
  // Ranked by measured cost: DistriErr first. Its children add up to the group (no line twice).
  const groups = rows.filter(r => /\d+ findings?( ·|$)/.test(r));
  assert.match(groups[0], /^DistriErr /);
  // 52, as the CLI's `profile --check` says, since a sample's kind comes from its physical frame.
  assert.ok(
    rows.some(r => /^Splitter \| 1 finding · allocator 59 samples \(1\.3% of all\)$/.test(r)),
    rows.join('\n'),
  );
  await page.mouse.move(700, 500);
  await shot(page, 'view-5-evidence');
});

test('hot functions get a CodeLens with their samples; clicking it opens the flamegraph', async () => {
  const { page } = ed;
  await openFile(page, 'src/main.rs');
  const lens = page
    .locator('.contentWidgets .codelens-decoration a', { hasText: 'run_batch:' })
    .first();
  await until(
    'the CodeLens of run_batch',
    async () => ((await lens.count()) > 0 ? true : undefined),
    30000,
  );
  assert.match(
    await lens.innerText(),
    /run_batch: 1,993 samples \(43\.8%\) · memcpy 1,786 \(39\.2%\) · allocator 41 \(0\.9%\) · 3 findings/,
  );
  await shot(page, 'codelens-1-hot-function');
  await lens.click();
  await until(
    'the flamegraph tab',
    async () => (await page.locator('.tab', { hasText: /Flamegraph/ }).count()) > 0 || undefined,
    60000,
  );
  await page.locator('.part.sidebar .title').first().click();
});

test('Compare with Baseline Profile: the fixed recording against the original, in the view and the gutter', async () => {
  const { page, workspace } = ed;
  await importProfile(page, workspace, 'ddsplit-fixed.perf-script.txt.gz');
  await command(page, 'Alloc Lens: Compare with Baseline Profile...');
  await pickFileInDialog(
    page,
    join(workspace, 'profile', 'ddsplit.perf-script.txt.gz'),
    'Compare with Baseline',
  );
  const toast = page.locator('.notifications-toasts', { hasText: 'memcpy 62.7% → 39.0%' });
  await until('the comparison', async () => ((await toast.count()) > 0 ? true : undefined), 90000);
  assert.match(
    await toast.first().innerText(),
    /ddsplit\.perf-script\.txt\.gz → ddsplit-fixed\.perf-script\.txt\.gz: memcpy 62\.7% → 39\.0% \(−23\.7 pp\)/,
  );
  await page.keyboard.press('Escape');
  await showView(page);
  const rows = await until(
    'the comparison in the view',
    async () => {
      const r = await viewRows(page);
      return r.some(x =>
        /^Compared with ddsplit\.perf-script\.txt\.gz \| memcpy 62\.7% → 39\.0% \(−23\.7 pp\)$/.test(
          x,
        ),
      )
        ? r
        : undefined;
    },
    30000,
  );
  assert.ok(
    rows.some(r => /^src\/main\.rs:19 \| memcpy \d+\.\d% → 0\.0% \(1,638 → 0 samples\)/.test(r)),
    rows.join('\n'),
  );
  assert.ok(
    rows.some(r =>
      /^DistriErr \| 50,008 B · 4 findings · memcpy 59\.4% → 31\.8% of all samples$/.test(r),
    ),
    rows.join('\n'),
  );
  await openFile(page, 'src/main.rs');
  await until(
    'the delta note on src/main.rs:19',
    async () =>
      /Δ memcpy \d+\.\d% → 0\.0% \(1,638 → 0 samples\)/.test(await cssText(page)) || undefined,
    20000,
  );
  await page.mouse.move(700, 500);
  await shot(page, 'compare-1-view');
  // The gutter and the notes, with the editor at full width (the sidebar hidden, then shown again).
  await page.keyboard.press('Control+B');
  await page.waitForTimeout(800);
  await shot(page, 'compare-2-gutter-notes');
  await page.keyboard.press('Control+B');
});

test('the walkthrough covers opening a crate, findings, fixes, recording and comparing', async () => {
  const { page } = ed;
  await command(page, 'Welcome: Open Walkthrough...');
  const item = page.locator('.quick-input-list .monaco-list-row', {
    hasText: 'Get Started with Alloc Lens',
  });
  await item.first().waitFor({ timeout: 20000 });
  await item.first().click();
  const body = page.locator('.gettingStartedContainer');
  const text = await until(
    'the walkthrough',
    async () => {
      const t = await body.innerText().catch(() => '');
      return /Compare before and after/.test(t) ? t : undefined;
    },
    30000,
  );
  for (const step of [
    'Open a Rust crate',
    'Read a finding by its root cause',
    'Apply a quick fix',
    'Record or import a profile',
    'Compare before and after',
  ])
    assert.match(text, new RegExp(step));
  await page
    .locator('.gettingStartedContainer .getting-started-step', {
      hasText: 'Record or import a profile',
    })
    .first()
    .click();
  await until(
    'the step media',
    async () => {
      for (const f of page.frames())
        if (
          /perf record --call-graph dwarf/.test(
            await f.evaluate(() => document.body?.innerText ?? '').catch(() => ''),
          )
        )
          return true;
      return undefined;
    },
    20000,
  );
  await shot(page, 'walkthrough-1');
});

test('the extension has its icon in the Extensions view', async () => {
  const { page } = ed;
  await page.keyboard.press('Control+Shift+X');
  const search = page
    .locator('.extensions-viewlet .suggest-input-container .monaco-editor')
    .first();
  await search.waitFor({ timeout: 20000 });
  await search.click();
  await page.keyboard.type('@installed alloc lens');
  const entry = page
    .locator('.extensions-viewlet .monaco-list-row', { hasText: 'Alloc Lens' })
    .first();
  await entry.waitFor({ timeout: 30000 });
  const icon = entry.locator('img.icon');
  const size = await until(
    'the icon to load',
    async () => {
      const s = await icon.evaluate(img => ({
        w: img.naturalWidth,
        h: img.naturalHeight,
        src: img.src,
      }));
      return s.w > 0 ? s : undefined;
    },
    20000,
  );
  assert.deepEqual([size.w, size.h], [128, 128], JSON.stringify(size));
  assert.match(size.src, /icon\.png/);
  await entry.click();
  await page.waitForTimeout(1500);
  await shot(page, 'icon-1-extensions-view');
});
