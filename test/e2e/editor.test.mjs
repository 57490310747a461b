// Real-editor tests: the packaged VSIX in code-server, driven through the UI by Chromium.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
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
} from './harness.mjs';

let ed;

const until = poller(() => ed?.page);

const hasRow = (rows, re) => rows.some(r => re.test(r.replace(/\s+/g, ' ')));

before(async () => {
  ed = await startEditor('e2e-workspace');
});

after(async () => {
  await ed?.cleanup();
});

test('the Problems panel shows large-error, large-enum-variant and async-trait-box at the right lines', async () => {
  const { page } = ed;
  await openFile(page, 'errors.rs');
  await showProblems(page);
  const rows = await until(
    'alloc-lens findings in the Problems panel',
    async () => {
      const r = await problems(page);
      return hasRow(r, /alloc-lens ?large-error ?\[Ln 8, Col 8\]/) &&
        hasRow(r, /alloc-lens ?large-enum-variant ?\[Ln 2, Col 10\]/) &&
        hasRow(r, /alloc-lens ?async-trait-box ?\[Ln 4, Col 11\]/)
        ? r
        : undefined;
    },
    60000,
  );
  assert.ok(hasRow(rows, /the `Err` type of this `Result` is 50,008 bytes/), rows.join('\n'));
  await shot(page, '1-problems');
});

test('hovering the error type shows its size', async () => {
  const { page } = ed;
  await openFile(page, 'errors.rs');
  await goTo(page, 2, 12);
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+I');
  const hover = page.locator('.monaco-hover:not(.hidden)');
  await until(
    'a hover with the layout',
    async () =>
      ((await hover.count()) > 0 &&
        /size = 50,008 \(0xC358\), align = 8/.test(await hover.first().innerText())) ||
      undefined,
    20000,
  );
  const text = await hover.first().innerText();
  assert.match(text, /DistriErr/);
  assert.match(text, /Corrupt/);
  await shot(page, '2-hover');
  await page.keyboard.press('Escape');
});

test('choosing the quick fix from the light bulb edits the file and the finding disappears', async () => {
  const { page, workspace } = ed;
  await openFile(page, 'errors.rs');
  await goTo(page, 2, 12);
  await page.keyboard.press('Control+.');
  const menu = page.locator('.action-widget');
  await menu.waitFor({ state: 'visible', timeout: 15000 });
  await shot(page, '3-lightbulb');
  // The preferred fix is listed first and focused: check its title, then accept it.
  assert.match(
    await menu.innerText(),
    /Box the payload of `DistriErr::Corrupt` \(DistriErr: 50,008 B → ≈ \d+ B\)/,
  );
  await page.keyboard.press('Enter');
  // Wait for the edit to land in the buffer, then save (again, if a keystroke got lost while the
  // light bulb menu closed).
  await page
    .locator('.monaco-editor .view-lines', { hasText: 'Box<[u8; 50000]>' })
    .first()
    .waitFor({ timeout: 10000 });
  await until(
    'the fix saved to disk',
    async () => {
      if (
        /Corrupt\(Box<\[u8; 50000\]>\)/.test(
          readFileSync(join(workspace, 'src', 'errors.rs'), 'utf8'),
        )
      )
        return true;
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+S');
      await page.waitForTimeout(500);
      return undefined;
    },
    20000,
  );
  const saved = readFileSync(join(workspace, 'src', 'errors.rs'), 'utf8');
  assert.match(saved, /Err\(DistriErr::Corrupt\(Box::new\(\*block\)\)\)/);
  await showProblems(page);
  await until('large-error and large-enum-variant gone', async () => {
    const r = await problems(page);
    return (
      !hasRow(r, /alloc-lens ?large-error/) &&
      !hasRow(r, /alloc-lens ?large-enum-variant/) &&
      hasRow(r, /async-trait-box/)
    );
  });
  await shot(page, '4-after-fix');
});

test('making a struct large produces a new diagnostic in another file that uses it', async () => {
  const { page } = ed;
  await openFile(page, 'types.rs');
  await goTo(page, 3, 19);
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('pub payload: [u8; 4096],');
  await showProblems(page);
  await until(
    'large-error in api.rs',
    async () =>
      hasRow(await problems(page), /Packet.*alloc-lens ?large-error ?\[Ln 3, Col 8\]/) || undefined,
    30000,
  );
  await shot(page, '5-cross-file');
});

test('Verify Layouts with rustc confirms the estimates in the hover', async () => {
  const { page, workspace } = ed;
  // Undo the previous test's edit so the crate compiles again.
  writeFileSync(
    join(workspace, 'src', 'types.rs'),
    readFileSync(join(ROOT, 'test', 'fixtures', 'e2e-workspace', 'src', 'types.rs'), 'utf8'),
  );
  await openFile(page, 'types.rs');
  await command(page, 'File: Revert File');
  await page.waitForTimeout(500);
  await command(page, 'Alloc Lens: Verify Layouts with rustc');
  const toast = page.locator('.notifications-toasts', { hasText: 'confirmed by rustc' });
  await until(
    'the verification to finish',
    async () => ((await toast.count()) > 0 ? true : undefined),
    120000,
  );
  const msg = await toast.first().innerText();
  assert.doesNotMatch(msg, /could not build/);
  assert.match(msg, /[1-9]\d* layouts confirmed by rustc; 0 differ from the estimates/);
  await shot(page, '6-verified');
  await openFile(page, 'errors.rs');
  await goTo(page, 2, 12);
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+I');
  const hover = page.locator('.monaco-hover:not(.hidden)');
  await until(
    'a rustc-confirmed hover',
    async () =>
      ((await hover.count()) > 0 && /rustc-confirmed/.test(await hover.first().innerText())) ||
      undefined,
    20000,
  );
  await shot(page, '7-confirmed-hover');
});

test('Show Layout of Type... lists the types of the crate opened as the folder itself', async () => {
  const { page } = ed;
  await command(page, 'Alloc Lens: Show Layout of Type...');
  const rows = page.locator('.quick-input-list .monaco-list-row');
  await until(
    'the type list',
    async () =>
      ((await rows.count()) > 0 && /DistriErr/.test((await rows.allTextContents()).join('\n'))) ||
      undefined,
    20000,
  );
  const text = (await rows.allTextContents()).join('\n');
  assert.match(text, /Packet/);
  await shot(page, '8-show-layout');
  await page.locator('.quick-input-widget input').fill('DistriErr');
  await page.waitForTimeout(300);
  await page.keyboard.press('Enter');
  await until(
    'the layout preview',
    async () => (await page.locator('.tab', { hasText: 'DistriErr' }).count()) > 0 || undefined,
    20000,
  );
  // The preview (a webview) keeps the keyboard focus: give it back to the workbench.
  await page.locator('.part.sidebar .title').first().click();
});

test('Explain Layout opens a read-only document with the layout and leaves no Untitled tab', async () => {
  const { page } = ed;
  await openFile(page, 'errors.rs');
  await goTo(page, 2, 12);
  await command(page, 'Alloc Lens: Explain Layout');
  const tab = page.locator('.tab.active', { hasText: /DistriErr\.md/ });
  await until('the layout document', async () => (await tab.count()) > 0 || undefined, 20000);
  const text = await until(
    'the layout in the editor',
    async () => {
      const t = (
        await page
          .locator('.editor-group-container.active .monaco-editor .view-lines')
          .first()
          .innerText()
          .catch(() => '')
      ).replace(/\u00a0/g, ' ');
      return /DistriErr/.test(t) && /size = \d/.test(t) ? t : undefined;
    },
    20000,
  );
  assert.match(text, /size = 24 \(0x18\), align = 8/);
  const tabs = await page.locator('.tab').allTextContents();
  assert.ok(!tabs.some(t => /Untitled/.test(t)), `tabs: ${tabs.join(' | ')}`);
  // Read-only: typing into it changes nothing.
  await page.keyboard.type('x');
  await page.waitForTimeout(300);
  assert.ok(
    !(await page.locator('.tab.active.dirty').count()),
    'the layout document is not editable',
  );
  await shot(page, '9-explain-layout');
});
