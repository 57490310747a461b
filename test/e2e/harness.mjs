// Starts a fresh code-server on loopback with the packaged VSIX installed, opens a copy of a
// fixture workspace in Chromium, and cleans up every process and directory it created.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { chromium } from 'playwright-core';
import { provision } from '../../scripts/e2e/provision.mjs';

export const ROOT = join(import.meta.dirname, '..', '..');
export const SHOTS = join(ROOT, '.e2e', 'screenshots');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitHttp(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok || r.status === 302) return;
    } catch {
      // not up yet
    }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer at ${url} within ${ms} ms`);
}

/**
 * `opts.trust`: workspace trust enabled with the folder left untrusted (Restricted Mode, no startup
 * prompt); by default trust is disabled, so every folder is trusted. `opts.env`: extra environment
 * of code-server (and so of the extension host and the language server).
 */
export async function startEditor(fixture, opts = {}) {
  const { codeServer, chromium: chromiumPath } = provision();
  const tmp = mkdtempSync(join(tmpdir(), 'alloc-lens-e2e-'));
  const userData = join(tmp, 'user-data');
  const extensions = join(tmp, 'extensions');
  const workspace = join(tmp, 'workspace');
  // A fixture name under test/fixtures, or an absolute directory (its target/ is not copied).
  const src = isAbsolute(fixture) ? fixture : join(ROOT, 'test', 'fixtures', fixture);
  cpSync(src, workspace, {
    recursive: true,
    filter: f => !/(^|[\\/])target([\\/]|$)/.test(f.slice(src.length)),
  });
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'files.autoSave': 'off',
      'files.hotExit': 'off',
      'workbench.tips.enabled': false,
      'security.workspace.trust.enabled': opts.trust === true,
      'security.workspace.trust.startupPrompt': 'never',
      'editor.hover.delay': 200,
      'allocLens.debounceMs': 100,
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'telemetry.telemetryLevel': 'off',
      'workbench.colorTheme': 'Default Dark Modern',
    }),
  );
  const vsix = process.env.ALLOC_LENS_VSIX ?? join(ROOT, 'dist', 'alloc-lens.vsix');
  const inst = spawnSync(
    codeServer,
    ['--install-extension', vsix, '--extensions-dir', extensions, '--user-data-dir', userData],
    { encoding: 'utf8' },
  );
  if (inst.status !== 0)
    throw new Error(`installing the VSIX failed:\n${inst.stdout}\n${inst.stderr}`);
  const port = await freePort();
  const trustArgs = opts.trust === true ? [] : ['--disable-workspace-trust'];
  const server = spawn(
    codeServer,
    [
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...trustArgs,
      '--user-data-dir',
      userData,
      '--extensions-dir',
      extensions,
      workspace,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } },
  );
  let serverLog = '';
  server.stdout.on('data', d => (serverLog += d));
  server.stderr.on('data', d => (serverLog += d));
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const cleanup = async () => {
    await browser.close().catch(() => undefined);
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await new Promise(r => setTimeout(r, 300));
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await waitHttp(`http://127.0.0.1:${port}/healthz`, 30000);
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    mkdirSync(SHOTS, { recursive: true });
    return { page, workspace, userData, cleanup, serverLog: () => serverLog };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** Run a command from the command palette. */
export async function command(page, title) {
  const input = page.locator('.quick-input-widget input');
  // A key pressed while the workbench is still starting (a loaded machine) is lost: press again.
  for (let i = 0; ; i++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      break;
    } catch (e) {
      if (i >= 6) throw e;
    }
  }
  await input.fill(`>${title}`);
  // Until the extensions are registered the palette fuzzy-matches other commands (`...JSON` ran
  // "Open User Settings (JSON)"): wait until the first row is the command asked for.
  const first = page.locator('.quick-input-list .monaco-list-row').first();
  const end = Date.now() + 30000;
  for (;;) {
    const label =
      (await first.getAttribute('aria-label', { timeout: 5000 }).catch(() => null)) ?? '';
    if (label.replace(/\s+/g, ' ').includes(title)) break;
    if (Date.now() > end)
      throw new Error(`the command palette does not offer "${title}" (first row: "${label}")`);
    // The palette computes its command list when it opens: close it and open it again.
    await page.keyboard.press('Escape');
    await page.waitForTimeout(500);
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 5000 }).catch(() => undefined);
    await input.fill(`>${title}`);
  }
  await page.keyboard.press('Enter');
}

export async function openFile(page, relPath) {
  const name = relPath.split('/').pop();
  const input = page.locator('.quick-input-widget input');
  // A webview that holds the keyboard focus (a layout preview, the flamegraph) can swallow Ctrl+P
  // or the Enter that follows (CI run of stop 19: the Explain Layout test after Show Layout). So the
  // whole open is retried, from a workbench that has the focus again, and fails only after three tries.
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press('Control+P');
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(relPath);
      // Wait until the list is filtered to the file (the recent-files list shows first).
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: name })
        .first()
        .waitFor({ timeout: 10000 });
      await page.waitForTimeout(150);
      await page.keyboard.press('Enter');
      await page.locator('.tab.active', { hasText: name }).first().waitFor({ timeout: 10000 });
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
      await page.keyboard.press('Escape');
      await page
        .locator('.part.sidebar .title')
        .first()
        .click({ timeout: 5000 })
        .catch(() => undefined);
      await page.waitForTimeout(500);
    }
  }
  await page.waitForTimeout(300);
}

export async function goTo(page, line, column) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(200);
}

/** Open the Problems panel (Ctrl+Shift+M toggles, so only when it is not showing). */
export async function showProblems(page) {
  if (
    !(await page
      .locator('.markers-panel')
      .isVisible()
      .catch(() => false))
  )
    await page.keyboard.press('Control+Shift+M');
  await page.locator('.markers-panel').waitFor({ state: 'visible', timeout: 10000 });
}

/** Text of every row of the Problems panel (whitespace folded). */
export async function problems(page) {
  return (await page.locator('.markers-panel .monaco-list-row').allTextContents()).map(t =>
    t.replace(/alloc-lens/g, ' alloc-lens ').replace(/\s+/g, ' '),
  );
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/**
 * A poller for the tests of one editor: `until(what, fn, ms)` calls `fn` until it returns a truthy
 * value (a throw counts as "not yet"), else screenshots the page and fails naming `what`.
 */
export function poller(getPage) {
  return async function until(what, fn, ms = 30000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const last = await Promise.resolve()
        .then(fn)
        .catch(() => undefined);
      if (last) return last;
      await new Promise(r => setTimeout(r, 250));
    }
    const page = getPage();
    if (page) await shot(page, `timeout-${what.replace(/\W+/g, '-')}`).catch(() => undefined);
    throw new Error(`timed out waiting for ${what}`);
  };
}

/**
 * Accepts `file` in code-server's quick-input open dialog. The dialog fills in the folder it lists
 * once it has read it, which can overwrite text typed earlier: type until the value sticks.
 */
export async function pickFileInDialog(page, file, acceptLabel) {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 15000 });
  const end = Date.now() + 15000;
  for (;;) {
    await input.fill(file);
    await page.waitForTimeout(400);
    if ((await input.inputValue()) === file) break;
    if (Date.now() > end) throw new Error(`the open dialog did not take the path ${file}`);
  }
  await page.keyboard.press('Enter');
  await page.waitForTimeout(500);
  const accept = page.locator('.quick-input-widget .monaco-button', { hasText: acceptLabel });
  if (acceptLabel && (await accept.isVisible().catch(() => false))) await accept.click();
}

/**
 * The workbench's own problem count (the status bar item: errors + warnings + infos; hints are
 * not counted) and Alloc Lens's count in its status bar item, or undefined while either is missing.
 */
export async function statusCounts(page) {
  const problemsText = await page
    .locator('[id="status.problems"]')
    .first()
    .innerText({ timeout: 2000 })
    .catch(() => undefined);
  const ours = /Alloc Lens: (\d+)/.exec(
    await page
      .locator('.statusbar')
      .innerText()
      .catch(() => ''),
  );
  if (problemsText === undefined || !ours) return undefined;
  const problems = (problemsText.match(/\d+/g) ?? []).reduce((s, n) => s + Number(n), 0);
  return { problems, allocLens: Number(ours[1]) };
}
