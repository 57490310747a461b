// Real-editor test of workspace trust: code-server with trust enabled and the folder left
// untrusted (Restricted Mode). Static analysis works; Record Profile and Verify Layouts refuse and
// run nothing. `cargo`, `perf` and `rustc` are shims first on code-server's PATH that log every
// call, so "nothing ran" is read from that log. Then the folder is trusted through VS Code's own
// Workspace Trust editor, and Record Profile does call perf and cargo (the shims do catch a run).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, shot, startEditor, poller, statusCounts } from './harness.mjs';

let ed;
let shims;
const until = poller(() => ed?.page);
const execLog = () => join(shims, 'exec.log');
const calls = () =>
  existsSync(execLog()) ? readFileSync(execLog(), 'utf8').split('\n').filter(Boolean) : [];

before(async () => {
  shims = mkdtempSync(join(tmpdir(), 'alloc-lens-e2e-shims-'));
  for (const tool of ['cargo', 'perf', 'rustc']) {
    const p = join(shims, tool);
    // Logs the call; `perf --version` succeeds (so a trusted Record Profile goes on to cargo), the rest fail.
    writeFileSync(
      p,
      `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> '${execLog()}'\n[ "${tool} $1" = "perf --version" ] && exit 0\necho "${tool}: e2e shim" >&2\nexit 101\n`,
    );
    chmodSync(p, 0o755);
  }
  // VSCODE_CLI=1: the server then skips resolving the user's login-shell environment for the
  // extension host (vs/platform/shell/node/shellEnv.ts), which would put the real PATH back.
  ed = await startEditor('e2e-workspace', {
    trust: true,
    env: { PATH: `${shims}:${process.env.PATH}`, VSCODE_CLI: '1' },
  });
});

after(async () => {
  await ed?.cleanup();
  if (shims) rmSync(shims, { recursive: true, force: true });
});

test('untrusted folder: the analysis runs, Record Profile and Verify Layouts refuse and run nothing', async () => {
  const { page, workspace } = ed;
  // Restricted Mode, and the static analysis working in it.
  await until(
    'the Restricted Mode indicator',
    async () => /Restricted Mode/.test(await page.locator('.statusbar').innerText()) || undefined,
    60000,
  );
  const counts = await until(
    'the Problems count to equal the status bar count',
    async () => {
      const s = await statusCounts(page);
      return s && s.allocLens > 0 && s.problems === s.allocLens ? s : undefined;
    },
    90000,
  );
  // e2e-workspace: large-error, large-enum-variant and async-trait-box (the CLI's check finds the same 3).
  assert.equal(counts.allocLens, 3);
  await command(page, 'Alloc Lens: Record Profile...');
  const refusal = page.locator('.notifications-toasts', {
    hasText: 'Record Profile builds and runs the program',
  });
  await until(
    'the Record Profile refusal',
    async () => ((await refusal.count()) > 0 ? true : undefined),
    30000,
  );
  assert.match(
    await refusal.first().innerText(),
    /Trust this workspace to allow it; static analysis keeps working without/,
  );
  // No target list, no arguments box: nothing was asked.
  assert.equal(await page.locator('.quick-input-widget').isVisible(), false);
  await shot(page, 'trust-1-record-refused');
  await command(page, 'Alloc Lens: Verify Layouts with rustc');
  const verify = page.locator('.notifications-toasts', {
    hasText: 'verifying layouts builds the crate with rustc',
  });
  await until(
    'the Verify Layouts refusal',
    async () => ((await verify.count()) > 0 ? true : undefined),
    30000,
  );
  // Give a wrongly started build or recording time to show up in the log.
  await page.waitForTimeout(3000);
  assert.deepEqual(calls(), [], 'no cargo, perf or rustc ran in the untrusted folder');
  assert.ok(!existsSync(join(workspace, 'target')), 'nothing was built or recorded into target/');
});

test('once the folder is trusted, Record Profile does run perf and cargo (the shims see it)', async () => {
  const { page } = ed;
  await command(page, 'Notifications: Clear All Notifications').catch(() => undefined);
  await command(page, 'Workspaces: Manage Workspace Trust');
  const trust = page
    .locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ })
    .first();
  await trust.waitFor({ state: 'visible', timeout: 20000 });
  await shot(page, 'trust-2-manage-trust');
  await trust.click();
  await until(
    'Restricted Mode to end',
    async () => !/Restricted Mode/.test(await page.locator('.statusbar').innerText()) || undefined,
    30000,
  );
  await command(page, 'Alloc Lens: Record Profile...');
  await until(
    'perf and cargo to be called',
    async () => {
      const c = calls();
      return c.includes('perf --version') && c.some(l => /^cargo metadata /.test(l))
        ? c
        : undefined;
    },
    60000,
  );
  const failed = page.locator('.notifications-toasts', {
    hasText: 'cargo metadata failed (exit code 101)',
  });
  await until(
    "the shim's failure reported",
    async () => ((await failed.count()) > 0 ? true : undefined),
    30000,
  );
  await shot(page, 'trust-3-trusted-runs');
  // The server restarted when trust was granted: its findings are back in the Problems panel, and
  // the status bar count is theirs.
  const c = await until(
    'the Problems count to equal the status bar count after the restart',
    async () => {
      const s = await statusCounts(page);
      return s && s.allocLens > 0 && s.problems === s.allocLens ? s : undefined;
    },
    60000,
  );
  assert.equal(c.problems, 3);
});
