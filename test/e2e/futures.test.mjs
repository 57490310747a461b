// Real-editor test of Explain Future Size on the example async service (test/fixtures/futures-service):
// from the command palette with the cursor in an async fn, from the light bulb of a large-future
// finding, and from the light bulb on an async fn's signature. Each opens a read-only markdown
// editor with the prefix, one row per .await, the sum, the awaitee tree and what boxing leaves.
// The numbers are cross-checked against the CLI (`alloc-lens futures --json` on the same copy of
// the workspace) and against rustc's own layout of the same bodies (-Zprint-type-sizes, committed
// in test/fixtures/futures-truth/futures-service.txt).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { command, goTo, openFile, ROOT, shot, startEditor, poller } from './harness.mjs';

let ed;
let cli;
const until = poller(() => ed?.page);

const fmt = n => n.toLocaleString('en-US');

/** rustc's size of `{async fn body of <path>()}` from the committed -Zprint-type-sizes output. */
function rustcSize(path) {
  const text = readFileSync(
    join(ROOT, 'test', 'fixtures', 'futures-truth', 'futures-service.txt'),
    'utf8',
  );
  const m = new RegExp(
    `^print-type-size type: \`\\{async fn body of ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\(\\)\\}\`: (\\d+) bytes`,
    'm',
  ).exec(text);
  assert.ok(m, `rustc's layout of ${path} is in futures-service.txt`);
  return Number(m[1]);
}

const future = name => {
  const f = cli.futures.find(x => x.fn === `futures_service::${name}`);
  assert.ok(f, `the CLI lists futures_service::${name}`);
  return f;
};

/** The text of the active editor (a tall viewport renders every line of these documents). */
async function activeText(page, re) {
  return until(
    `the future document (${re})`,
    async () => {
      const t = (
        await page
          .locator('.editor-group-container.active .monaco-editor .view-lines')
          .first()
          .innerText()
          .catch(() => '')
      ).replace(/\u00a0/g, ' ');
      return re.test(t) ? t : undefined;
    },
    30000,
  );
}

/** Waits for the document tab `title`, reads it, checks it is read-only and leaves no Untitled tab. */
async function readExplanation(page, title, re) {
  await until(
    `the ${title} tab`,
    async () => (await page.locator('.tab.active', { hasText: title }).count()) > 0 || undefined,
    30000,
  );
  const text = await activeText(page, re);
  const tabs = await page.locator('.tab').allTextContents();
  assert.ok(!tabs.some(t => /Untitled/.test(t)), `tabs: ${tabs.join(' | ')}`);
  await page.keyboard.type('x');
  await page.waitForTimeout(300);
  assert.equal(await page.locator('.tab.active.dirty').count(), 0, `${title} is not editable`);
  return text;
}

/** Runs the light bulb's "Explain future size" at line:column. */
async function explainFromLightBulb(page, line, column) {
  await goTo(page, line, column);
  const menu = page.locator('.action-widget');
  const item = menu.locator('.monaco-list-row', { hasText: 'Explain future size' });
  // The server may still be analysing right after the editor opens: ask again until it is offered.
  await until(
    `"Explain future size" in the light bulb at ${line}:${column}`,
    async () => {
      if (!(await menu.isVisible().catch(() => false))) await page.keyboard.press('Control+.');
      await menu.waitFor({ state: 'visible', timeout: 5000 });
      if ((await item.count()) > 0) return true;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
      return undefined;
    },
    60000,
  );
  const entries = await menu.locator('.monaco-list-row').allTextContents();
  assert.equal(entries.filter(e => /Explain future size/.test(e)).length, 1, entries.join(' | '));
  return entries;
}

/** Chooses "Explain future size" in the open light bulb menu with the keyboard, as a user would. */
async function chooseExplain(page) {
  const focused = page.locator('.action-widget .monaco-list-row.focused');
  for (let i = 0; i < 10; i++) {
    if (/Explain future size/.test((await focused.textContent().catch(() => '')) ?? '')) {
      await page.keyboard.press('Enter');
      return;
    }
    await page.keyboard.press('ArrowDown');
    await page.waitForTimeout(100);
  }
  throw new Error('"Explain future size" could not be focused in the light bulb menu');
}

before(async () => {
  ed = await startEditor('futures-service');
  // The CLI on the same copy of the workspace the editor analyses.
  cli = JSON.parse(
    execFileSync(
      process.execPath,
      [join(ROOT, 'bin', 'alloc-lens.js'), 'futures', '--json', ed.workspace],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    ),
  );
  // Every line of a future document fits on screen, unwrapped.
  await ed.page.setViewportSize({ width: 1900, height: 1500 });
});

after(async () => {
  await ed?.cleanup();
});

test("Explain Future Size from the palette: echo's state machine, its awaits and the awaitee tree, as the CLI and rustc size them", async () => {
  const { page } = ed;
  const echo = future('conn::echo');
  assert.equal(echo.size, rustcSize('conn::echo'));
  await until(
    'the status bar count',
    async () => /Alloc Lens: [1-9]/.test(await page.locator('.statusbar').innerText()) || undefined,
    90000,
  );
  await openFile(page, 'src/conn.rs');
  // Inside the loop body: the cursor anywhere in the fn explains the fn.
  await goTo(page, 28, 9);
  await command(page, 'Alloc Lens: Explain Future Size');
  const text = await readExplanation(page, 'future-echo.md', /To shrink it[\s\S]*Box::pin/);
  await shot(page, 'future-1-palette-echo');
  assert.match(text, /^\*\*Future of `echo`\*\* \(async fn, src\/conn\.rs:24\)/);
  assert.equal(echo.line, 24);
  // The size, as the CLI and rustc say.
  const size = /^\/\/ size = ([\d,]+) \(0x([0-9A-F]+)\), align = (\d+)$/m.exec(text);
  assert.ok(size, text);
  assert.equal(size[1], fmt(echo.size));
  assert.equal(parseInt(size[2], 16), echo.size);
  assert.equal(Number(size[3]), echo.align);
  // The sum: prefix + the largest suspend variant = the size (rounded up to the alignment).
  const flat = text.replace(/\s+/g, ' ');
  const sum =
    /prefix ([\d,]+) B \(captured [\d,]+ B \+ 1 B state tag[^)]*\) \+ largest suspend variant ([\d,]+) B \(`\.await` at line (\d+), ([\w:]+)\) = ([\d,]+) B → ([\d,]+) B at align (\d+)\./.exec(
      flat,
    );
  assert.ok(sum, flat);
  const num = s => Number(s.replace(/,/g, ''));
  assert.equal(num(sum[1]) + num(sum[2]), num(sum[5]));
  assert.equal(Math.ceil(num(sum[5]) / echo.align) * echo.align, echo.size);
  assert.equal(num(sum[6]), echo.size);
  // One suspend variant per .await of the CLI, with the awaited future's size the CLI gives it.
  const rows = [
    ...text.matchAll(/^(?:▶ )?Suspend(\d+) +(\d+) +(\S+) +([\d,]+|unknown) +(.+?) +([\d,]+)$/gm),
  ];
  assert.equal(rows.length, echo.awaits.length, text);
  for (const a of echo.awaits) {
    const r = rows.find(x => Number(x[2]) === a.line);
    assert.ok(r, `a suspend variant for the .await at line ${a.line}\n${text}`);
    assert.ok(a.callee.endsWith(r[3]), `${a.callee} vs ${r[3]}`);
    assert.equal(r[4], fmt(a.size));
  }
  // The largest variant (▶) is the one the sum names; read_frame's future is rustc's size too.
  assert.match(text, new RegExp(`^▶ Suspend\\d+ +${sum[3]} `, 'm'));
  assert.equal(echo.awaits.find(a => a.line === 27).size, rustcSize('conn::read_frame'));
  // The awaitee tree descends into read_frame and shows the 16 KB buffer it holds.
  assert.match(text, new RegExp(`^echo: ≈ ${fmt(echo.size)} B$`, 'm'));
  assert.match(
    text,
    new RegExp(
      `^├─ line 27 \\.await conn::read_frame: ${fmt(rustcSize('conn::read_frame'))} B \\[src/conn\\.rs:11\\]`,
      'm',
    ),
  );
  assert.match(
    text,
    /^│ {2}├─ line 13 \.await AsyncReadExt::read: \d+ B, holding buf \(16,384 B\)/m,
  );
  assert.match(
    text,
    new RegExp(
      `^└─ line 31 \\.await conn::write_frame: ${fmt(echo.awaits.find(a => a.line === 31).size)} B \\[src/conn\\.rs:18\\]`,
      'm',
    ),
  );
  // What boxing the biggest awaitee leaves: the next largest variant.
  const box =
    /^- `Box::pin\(conn::read_frame\(\.\.\)\)\.await` at line 27: ([\d,]+) B → ≈ ([\d,]+) B$/m.exec(
      text,
    );
  assert.ok(box, text);
  assert.equal(num(box[1]), echo.size);
  const suspend1 = rows.find(x => Number(x[2]) === 31);
  assert.equal(box[2], suspend1[6]);
});

test('Explain Future Size from the light bulb of a large-future finding: connect_and_echo, a lower bound naming the unknown awaitee', async () => {
  const { page } = ed;
  const f = future('conn::connect_and_echo');
  assert.equal(f.status, 'lower-bound');
  assert.deepEqual(f.unknown, ['TcpStream::connect']);
  await openFile(page, 'src/conn.rs');
  // The finding: awaiting echo (16,520 B) stores its future in connect_and_echo's (line 38).
  const entries = await explainFromLightBulb(page, 38, 5);
  assert.ok(
    entries.some(e => /Box the awaited future: `Box::pin\(echo\(stream\)\)\.await`/.test(e)),
    entries.join(' | '),
  );
  await shot(page, 'future-2-lightbulb-finding');
  await chooseExplain(page);
  const text = await readExplanation(
    page,
    'future-connect_and_echo.md',
    /To shrink it[\s\S]*Box::pin/,
  );
  await shot(page, 'future-3-connect-and-echo');
  // At least the CLI's size, which rustc confirms to the byte (connect's future is counted as 0).
  assert.equal(f.size, rustcSize('conn::connect_and_echo'));
  assert.match(
    text,
    new RegExp(
      `^// size = ≥ ${fmt(f.size)} \\(0x${f.size.toString(16).toUpperCase()}\\), align = ${f.align}$`,
      'm',
    ),
  );
  assert.match(text, /^at least: unknown awaitees counted as 0 B: `TcpStream::connect`$/m);
  assert.match(text, /^Suspend\d+ +37 +TcpStream::connect +unknown /m);
  assert.match(
    text,
    new RegExp(`^▶ Suspend\\d+ +38 +conn::echo +${fmt(rustcSize('conn::echo'))} `, 'm'),
  );
  // The tree goes two levels down, to the buffer read_frame holds.
  assert.match(text, new RegExp(`^connect_and_echo: at least ${fmt(f.size)} B$`, 'm'));
  assert.match(text, /^│ {2}├─ line 27 \.await conn::read_frame: 16,432 B \[src\/conn\.rs:11\]/m);
  assert.match(
    text,
    /^│ {2}│ {2}├─ line 13 \.await AsyncReadExt::read: \d+ B, holding buf \(16,384 B\)/m,
  );
  assert.match(
    text,
    new RegExp(
      `^- \`Box::pin\\(conn::echo\\(\\.\\.\\)\\)\\.await\` at line 38: ${fmt(f.size)} B → ≈ \\d+ B$`,
      'm',
    ),
  );
});

test('Explain Future Size from the light bulb on an async fn signature: read_frame holds its 16 KB buffer across both awaits', async () => {
  const { page } = ed;
  const f = future('conn::read_frame');
  await openFile(page, 'src/conn.rs');
  // No finding on this line: the action comes from the signature itself.
  const entries = await explainFromLightBulb(page, 11, 14);
  assert.ok(!entries.some(e => /Suppress/.test(e)), entries.join(' | '));
  await chooseExplain(page);
  const text = await readExplanation(
    page,
    'future-read_frame.md',
    /To shrink it[\s\S]*box the local/,
  );
  await shot(page, 'future-4-signature-read-frame');
  assert.match(
    text,
    new RegExp(
      `^// size = ${fmt(rustcSize('conn::read_frame'))} \\(0x[0-9A-F]+\\), align = 8$`,
      'm',
    ),
  );
  assert.match(text, new RegExp(`^// size = ${fmt(f.size)} `, 'm'));
  assert.match(text, /^promoted local +buf +\[u8; 16384\] +16,384$/m);
  assert.equal(f.largest, 'buf: [u8; 16384] held across .await at line 13');
  assert.match(text, /^Largest contributor: `buf: \[u8; 16384\] held across \.await at line 13`$/m);
  assert.match(
    text,
    /^- box the local `buf` \(line 12, `let buf = Box::new\(\.\.\)`\): 16,432 B → ≈ \d+ B$/m,
  );
});

test('hover on an async fn names its future size and biggest awaitee, linked to the callee; inlay hints follow the signatures of large futures', async () => {
  const { page } = ed;
  await openFile(page, 'src/conn.rs');
  // Inlay hints after the signature of every conn.rs future of 1 KiB or more, as the CLI sizes them.
  const large = cli.futures.filter(
    f => f.file === 'src/conn.rs' && f.kind === 'async-fn' && f.size >= 1024,
  );
  assert.deepEqual(
    large.map(f => f.line).sort((a, b) => a - b),
    [11, 24, 36],
  );
  await goTo(page, 1, 1);
  const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines');
  const hintText = f =>
    f.status === 'lower-bound' ? `future at least ${fmt(f.size)} B` : `future ≈ ${fmt(f.size)} B`;
  const shown = await until(
    'the future inlay hints',
    async () => {
      const t = (await lines.first().innerText()).replace(/\u00a0/g, ' ');
      return large.every(f => t.includes(hintText(f))) ? t : undefined;
    },
    30000,
  );
  for (const f of large) {
    const line = shown.split('\n').find(l => l.includes(hintText(f)));
    // On the fn's own line, after the signature (before its `{`).
    assert.ok(
      line.includes(`async fn ${f.fn.split('::').pop()}(`) &&
        line.indexOf(hintText(f)) > line.indexOf(')'),
      line,
    );
  }
  // Small futures get none (locked_add's is a few dozen bytes).
  assert.ok(!shown.split('\n').some(l => /async fn locked_add/.test(l) && /future/.test(l)), shown);
  await shot(page, 'future-5-inlay-hints');
  // The hover on echo's name.
  const echo = future('conn::echo');
  await goTo(page, 24, 15);
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+I');
  const hover = page.locator('.monaco-hover:not(.hidden)');
  const text = await until(
    'the future hover',
    async () => {
      const t = (await hover.count()) > 0 ? await hover.first().innerText() : '';
      return /future of `?echo`?/.test(t) && /biggest awaitees/.test(t) ? t : undefined;
    },
    20000,
  );
  assert.match(
    text,
    new RegExp(`future of \`?echo\`?: ≈ ${fmt(echo.size)} B, align ${echo.align} \\(estimate\\)`),
  );
  assert.match(text, /line 27: `?futures_service::conn::read_frame`? 16,432 B/);
  await shot(page, 'future-6-hover');
  // The awaitee links to read_frame's definition: following it puts the cursor on line 11.
  const link = hover.first().locator('a', { hasText: 'futures_service::conn::read_frame' }).first();
  assert.match(
    (await link.getAttribute('data-href')) ?? (await link.getAttribute('href')) ?? '',
    /conn\.rs#L11$/,
  );
  await link.click();
  await until(
    'the cursor on read_frame',
    async () => /Ln 11,/.test(await page.locator('.statusbar').innerText()) || undefined,
    15000,
  );
});
