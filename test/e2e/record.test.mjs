// Real-editor test of Record Profile on examples/ddsplit, where perf works: pick the cargo target
// and its arguments, cargo builds it (release, line tables through CARGO_PROFILE_RELEASE_DEBUG,
// Cargo.toml untouched), perf records it with DWARF call graphs, the recording is imported (line
// heat, confirmations, the view). Then a long recording is cancelled from the progress notification.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { command, goTo, openFile, ROOT, shot, startEditor, poller } from './harness.mjs';

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
  ed = await startEditor(join(ROOT, 'examples', 'ddsplit'));
});

after(async () => {
  await ed?.cleanup();
});

/** Runs Record Profile: the target `ddsplit (binary)`, then `args` in the input box. */
async function startRecording(page, args) {
  await command(page, 'Alloc Lens: Record Profile...');
  const rowOf = page.locator('.quick-input-list .monaco-list-row', { hasText: 'ddsplit' });
  await until(
    'the cargo target list',
    async () => ((await rowOf.count()) > 0 ? true : undefined),
    120000,
  );
  assert.match(await rowOf.first().innerText(), /ddsplit\s*binary · ddsplit\s*src\/main\.rs/);
  await shot(page, 'record-1-targets');
  await rowOf.first().click();
  const input = page.locator('.quick-input-widget input');
  await until(
    'the arguments box',
    async () =>
      /Arguments for ddsplit/.test(await page.locator('.quick-input-widget').innerText()) ||
      undefined,
    20000,
  );
  await input.fill(args);
  await page.keyboard.press('Enter');
}

test('Record Profile builds the example with line tables, records it with perf and imports it', async () => {
  const { page, workspace } = ed;
  const manifest = readFileSync(join(workspace, 'Cargo.toml'), 'utf8');
  // Analysis first (the import needs the workspace's index).
  await until(
    'the status bar count',
    async () => /Alloc Lens: [1-9]/.test(await page.locator('.statusbar').innerText()) || undefined,
    90000,
  );
  await startRecording(page, '3000');
  const progress = page.locator('.notifications-toasts', { hasText: 'recording ddsplit' });
  await until(
    'the progress notification',
    async () => ((await progress.count()) > 0 ? true : undefined),
    30000,
  );
  await shot(page, 'record-2-building');
  // A cold release build of tokio + async-trait on a loaded machine: minutes.
  const toast = page.locator('.notifications-toasts', { hasText: 'samples; memcpy' });
  await until(
    'the recording to be imported',
    async () => ((await toast.count()) > 0 ? true : undefined),
    600000,
  );
  const msg = await toast.first().innerText();
  assert.match(
    msg,
    /[\d,]+ samples; memcpy \d+\.\d%, allocator \d+\.\d%\. Hottest: src\/(main|proto|split)\.rs:\d+/,
  );
  const dir = join(workspace, 'target', 'alloc-lens');
  const files = readdirSync(dir).filter(f => /^perf-ddsplit-\d{8}-\d{6}\.data$/.test(f));
  assert.equal(files.length, 1, readdirSync(dir).join(', '));
  assert.ok(statSync(join(dir, files[0])).size > 100_000);
  // The user's manifest is untouched; the binary has line tables (perf found src/ lines).
  assert.equal(readFileSync(join(workspace, 'Cargo.toml'), 'utf8'), manifest);
  // The release binary exists, and perf's own header records the command line.
  // (Not read off the Output panel: it shows only its last lines, and perf's "lost chunks"
  // warnings on a loaded machine scrolled the build's lines out of view in CI.)
  assert.ok(
    existsSync(join(workspace, 'target', 'release', 'ddsplit')),
    'the release binary was built',
  );
  const header = spawnSync('perf', ['report', '--header-only', '-i', join(dir, files[0])], {
    encoding: 'utf8',
  }).stdout;
  assert.match(
    header,
    /# cmdline : \S*perf record -F 2000 -g --call-graph dwarf,65528 -o \S+perf-ddsplit-\S+\.data -- \S+\/target\/release\/ddsplit 3000/,
  );
  // The hottest line the import names gets its note in the editor.
  const hottest = /Hottest: (src\/\w+\.rs):(\d+)/.exec(msg);
  await openFile(page, hottest[1]);
  await goTo(page, Number(hottest[2]), 1);
  await until(
    'line heat from the recording',
    async () => /memcpy \d+\.\d%/.test(await cssText(page)) || undefined,
    30000,
  );
  await shot(page, 'record-3-imported');
});

test('a recording is cancelled from the progress notification', async () => {
  const { page, workspace } = ed;
  await command(page, 'Notifications: Clear All Notifications').catch(() => undefined);
  const before = readdirSync(join(workspace, 'target', 'alloc-lens')).length;
  // 100 million rounds: far longer than the test; the build is cached from the test above.
  await startRecording(page, '100000000');
  const progress = page
    .locator('.notifications-toasts .notification-toast', { hasText: 'recording ddsplit' })
    .first();
  await until(
    'perf to be running',
    async () =>
      /perf record ddsplit 100000000/.test(await progress.innerText().catch(() => '')) || undefined,
    120000,
  );
  await page.waitForTimeout(1500);
  await progress.hover();
  await progress.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
  const toast = page.locator('.notifications-toasts', { hasText: 'recording cancelled' });
  await until(
    'the cancel message',
    async () => ((await toast.count()) > 0 ? true : undefined),
    30000,
  );
  await shot(page, 'record-4-cancelled');
  // No program left running, and the half recording neither imported nor left behind.
  await until(
    'the workload to stop',
    async () =>
      !readdirSync('/proc').some(
        p =>
          /^\d+$/.test(p) &&
          (() => {
            try {
              return /target\/release\/ddsplit\u0000100000000/.test(
                readFileSync(`/proc/${p}/cmdline`, 'latin1'),
              );
            } catch {
              return false;
            }
          })(),
      ) || undefined,
    20000,
  );
  assert.equal(readdirSync(join(workspace, 'target', 'alloc-lens')).length, before);
  assert.ok(existsSync(join(workspace, 'Cargo.toml')));
});
