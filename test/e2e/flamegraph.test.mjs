// Real-editor test of the flamegraph panel: speedscope (packaged, unmodified) in a webview of
// code-server, loaded by the shim in media/flamegraph.js; view switch, hot lines, Ctrl+click.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { command, shot, startEditor, poller, pickFileInDialog } from './harness.mjs';

let ed;
/** Console messages and page errors of every frame (the webview's included). */
const messages = [];

const until = poller(() => ed?.page);

/** The frame that holds the panel's page (the inner iframe of the webview). */
async function panelFrame(page) {
  return until('the flamegraph webview frame', async () => {
    for (const f of page.frames()) {
      if (
        (await f
          .locator('#al-toolbar')
          .count()
          .catch(() => 0)) > 0
      )
        return f;
    }
    return undefined;
  });
}

/** speedscope's root element (the body's <div> that is not the panel's own UI). */
const speedscopeRoot = f => f.locator('body > div:not(.al-ui)');

/** Page coordinates of a point given in the frame's own coordinates. */
async function toPage(frame, x, y) {
  const box = await (await frame.frameElement()).boundingBox();
  return { x: box.x + x, y: box.y + y };
}

/** The text of speedscope's hover tip after moving the mouse to frame point (x, y), or ''. */
async function hoverTip(page, frame, x, y) {
  const p = await toPage(frame, x, y);
  await page.mouse.move(p.x - 3, p.y);
  await page.mouse.move(p.x, p.y);
  await page.waitForTimeout(150);
  // The tip: <div><span>30 (24%)</span> name<div>file:line</div></div>.
  return frame.evaluate(() => {
    for (const d of document.querySelectorAll('body > div:not(.al-ui) div')) {
      const s = d.firstElementChild;
      if (s && s.tagName === 'SPAN' && /^\S+ \(\d+(\.\d+)?%\)$/.test(s.textContent.trim()))
        return d.innerText.replace(/\s+/g, ' ');
    }
    return '';
  });
}

/** The flamechart (not the minimap): speedscope's lowest overlay canvas. */
async function flamechartRect(frame) {
  return frame.evaluate(() => {
    const cs = [...document.querySelectorAll('body > div:not(.al-ui) canvas')]
      .map(c => c.getBoundingClientRect())
      .filter(r => r.height > 0 && r.width < innerWidth + 1);
    cs.sort((a, b) => b.top - a.top);
    const r = cs[0];
    return { left: r.left, top: r.top, width: r.width, height: r.height };
  });
}

/** Scans down the flamechart at x until the hover tip matches `re`; returns the point and tip. */
async function findFrame(page, frame, x, re) {
  const r = await flamechartRect(frame);
  for (let y = r.top + 4; y < r.top + 160; y += 6) {
    const tip = await hoverTip(page, frame, r.left + x, y);
    if (re.test(tip)) return { x: r.left + x, y, tip };
  }
  return undefined;
}

/** Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's screenshots are). */
function decodePng(buf) {
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth');
      channels = { 2: 3, 6: 4 }[data[9]];
      assert.ok(channels && data[12] === 0, 'RGB(A), not interlaced');
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? px[y * stride + i - channels] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = i >= channels && y > 0 ? px[(y - 1) * stride + i - channels] : 0;
      const p = a + b - c;
      const pred =
        f === 0
          ? 0
          : f === 1
            ? a
            : f === 2
              ? b
              : f === 3
                ? (a + b) >> 1
                : Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
                  ? a
                  : Math.abs(p - b) <= Math.abs(p - c)
                    ? b
                    : c;
      px[y * stride + i] = (line[i] + pred) & 255;
    }
  }
  return { width, height, channels, px };
}

/**
 * What the user sees of the flamechart: distinct colors in a screenshot of its area, and the
 * share of near-white pixels (a blank band there was a layout bug; see media/flamegraph.css).
 */
async function flamechartPixels(page, frame) {
  const r = await flamechartRect(frame);
  const p = await toPage(frame, r.left, r.top);
  const png = decodePng(
    await page.screenshot({ clip: { x: p.x, y: p.y, width: r.width, height: r.height } }),
  );
  const colors = new Set();
  let white = 0;
  for (let i = 0; i < png.px.length; i += png.channels) {
    colors.add((png.px[i] << 16) | (png.px[i + 1] << 8) | png.px[i + 2]);
    if (png.px[i] > 240 && png.px[i + 1] > 240 && png.px[i + 2] > 240) white++;
  }
  return { colors: colors.size, whiteShare: white / (png.width * png.height) };
}

async function statusLine(page) {
  return until(
    'the cursor position in the status bar',
    async () => {
      const t = await page
        .locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ })
        .first()
        .innerText();
      return t || undefined;
    },
    10000,
  );
}

before(async () => {
  ed = await startEditor('e2e-profile');
  ed.page.on('console', m => messages.push(`[${m.type()}] ${m.text()}`));
  ed.page.on('pageerror', e => messages.push(`[pageerror] ${e.message}`));
});

after(async () => {
  await ed?.cleanup();
});

test('Open Flamegraph from speedscope JSON shows the profile in speedscope, with the hot lines', async () => {
  const { page, workspace } = ed;
  await command(page, 'Alloc Lens: Open Flamegraph from speedscope JSON');
  await pickFileInDialog(page, join(workspace, 'profile.speedscope.json'), 'Open Flamegraph');
  const f = await panelFrame(page);
  // speedscope's own toolbar names the profile shown: the first of three.
  await until(
    'speedscope showing "All samples (1/3)"',
    async () => /All samples\s*\(1\/3\)/.test(await speedscopeRoot(f).innerText()) || undefined,
  );
  assert.equal(await f.locator('.al-view[data-view=all]').getAttribute('aria-pressed'), 'true');
  assert.deepEqual(await f.locator('.al-view').allInnerTexts(), ['All', 'Allocator', 'Copy']);
  assert.match(await f.locator('.al-title').innerText(), /e2e-profile demo/);
  // The WebGL canvas has frames drawn on it, and hit-testing finds them: the hover tip names a
  // frame of the file with its absolute path and line.
  assert.ok((await speedscopeRoot(f).locator('canvas').count()) >= 3);
  const rect = await flamechartRect(f);
  assert.ok(rect.height > 300, `flamechart height ${rect.height}`);
  const before = await flamechartPixels(page, f);
  assert.ok(before.colors >= 8, `only ${before.colors} colors in the flamechart: nothing drawn?`);
  const build = await findFrame(page, f, 30, /e2e_profile::build_rows/);
  assert.ok(build, 'no build_rows frame under the mouse');
  assert.ok(build.tip.includes(`${join(workspace, 'src', 'main.rs')}:8`), build.tip);
  const leaf = await findFrame(page, f, 30, /core::fmt::write|__memmove/);
  assert.match(leaf?.tip ?? '', /core::fmt::write/);
  // Still drawn after hovering, with no blank band.
  const hovered = await flamechartPixels(page, f);
  assert.ok(hovered.colors >= 8 && hovered.whiteShare < 0.02, JSON.stringify(hovered));
  // Hot lines from the file's allocLensHotLines.
  const rows = await f.locator('.al-hot-line .al-hot-label').allInnerTexts();
  assert.deepEqual(rows, ['src/main.rs:19  memcpy 36.0%', 'src/main.rs:11  malloc 20.0%']);
  await page.mouse.move(10, 10);
  await shot(page, 'flamegraph-all');
});

test('the Copy button shows the copy profile', async () => {
  const { page } = ed;
  const f = await panelFrame(page);
  await f.locator('.al-view[data-view=copy]').click();
  await until(
    'speedscope showing the copy profile (3/3)',
    async () =>
      /Copy samples \(memcpy\/memmove\)\s*\(3\/3\)/.test(await speedscopeRoot(f).innerText()) ||
      undefined,
    10000,
  );
  assert.equal(await f.locator('.al-view[data-view=copy]').getAttribute('aria-pressed'), 'true');
  assert.equal(await f.locator('.al-view[data-view=all]').getAttribute('aria-pressed'), 'false');
  // The same place of the flamechart now holds the copy routine, not core::fmt::write.
  const leaf = await findFrame(page, f, 30, /core::fmt::write|__memmove/);
  assert.match(leaf?.tip ?? '', /__memmove_avx_unaligned_erms/);
  assert.doesNotMatch(await hoverTip(page, f, leaf.x, leaf.y), /fmt::write/);
  await shot(page, 'flamegraph-copy');
  await f.locator('.al-view[data-view=alloc]').click();
  await until(
    'speedscope showing the allocator profile (2/3)',
    async () =>
      /Allocator samples\s*\(2\/3\)/.test(await speedscopeRoot(f).innerText()) || undefined,
    10000,
  );
  const alloc = await findFrame(page, f, 30, /malloc|__memmove|fmt::write/);
  assert.match(alloc?.tip ?? '', /malloc/);
  await page.mouse.move(10, 10);
  await shot(page, 'flamegraph-alloc');
});

test('clicking a hot line opens the file at that line', async () => {
  const { page } = ed;
  const f = await panelFrame(page);
  await f.locator('.al-hot-line', { hasText: 'src/main.rs:19' }).click();
  await page.locator('.tab.active', { hasText: 'main.rs' }).first().waitFor({ timeout: 10000 });
  await until(
    'the cursor on line 19',
    async () => /^Ln 19, Col 9\b/.test(await statusLine(page)) || undefined,
    10000,
  );
  // The panel stays open next to the source.
  assert.ok((await page.locator('.tab', { hasText: 'e2e-profile demo' }).count()) > 0);
  assert.match(
    await page
      .locator('.monaco-editor .view-line', { hasText: 'out.push(r.clone());' })
      .first()
      .innerText(),
    /out\.push/,
  );
  await shot(page, 'flamegraph-hotline-open');
});

test('Ctrl+click on a flamegraph frame opens its source line', async () => {
  const { page } = ed;
  await page.locator('.tab', { hasText: 'e2e-profile demo' }).first().click();
  const f = await panelFrame(page);
  await f.locator('.al-view[data-view=all]').click();
  await until(
    'speedscope showing "All samples (1/3)"',
    async () => /All samples\s*\(1\/3\)/.test(await speedscopeRoot(f).innerText()) || undefined,
    10000,
  );
  const build = await findFrame(page, f, 30, /e2e_profile::build_rows/);
  assert.ok(build, 'no build_rows frame under the mouse');
  const p = await toPage(f, build.x, build.y);
  await page.keyboard.down('Control');
  await page.mouse.click(p.x, p.y);
  await page.keyboard.up('Control');
  await until(
    'the cursor on line 8 (fn build_rows)',
    async () => /^Ln 8, Col 1\b/.test(await statusLine(page)) || undefined,
    10000,
  );
  await page.locator('.tab.active', { hasText: 'main.rs' }).first().waitFor({ timeout: 5000 });
  await shot(page, 'flamegraph-ctrl-click');
});

test('switching to a light theme reloads speedscope in its light scheme, on the same view', async () => {
  const { page } = ed;
  await page.locator('.tab', { hasText: 'e2e-profile demo' }).first().click();
  let f = await panelFrame(page);
  await f.locator('.al-view[data-view=copy]').click();
  await until(
    'the copy profile',
    async () => /\(3\/3\)/.test(await speedscopeRoot(f).innerText()) || undefined,
    10000,
  );
  const textColor = fr => speedscopeRoot(fr).evaluate(el => getComputedStyle(el).color);
  assert.equal(await f.evaluate(() => localStorage.getItem('speedscope-color-scheme')), 'DARK');
  const darkColor = await textColor(f);
  await f.evaluate(() => (window.beforeThemeChange = true));
  // Focus the workbench (not the webview), then switch to the preferred light theme.
  await page.locator('.part.sidebar .title').first().click();
  await command(page, 'Preferences: Toggle between Light/Dark Themes');
  await page.locator('.monaco-workbench.vs').first().waitFor({ timeout: 10000 });
  f = await until(
    'the reloaded panel in the light scheme',
    async () => {
      const fr = await panelFrame(page);
      return (await fr.evaluate(
        () =>
          !window.beforeThemeChange &&
          document.body.classList.contains('vscode-light') &&
          localStorage.getItem('speedscope-color-scheme') === 'LIGHT',
      )) && /Copy samples .*\(3\/3\)/.test(await speedscopeRoot(fr).innerText())
        ? fr
        : undefined;
    },
    20000,
  );
  assert.notEqual(await textColor(f), darkColor);
  assert.equal(await f.locator('.al-view[data-view=copy]').getAttribute('aria-pressed'), 'true');
  const px = await flamechartPixels(page, f);
  assert.ok(px.colors >= 8, JSON.stringify(px));
  await shot(page, 'flamegraph-light');
});

test('the webview logged no CSP violation and no error', () => {
  const bad = messages.filter(m =>
    /Content Security Policy|CSP violation|Refused to|\[pageerror\]|alloc-lens\] /i.test(m),
  );
  assert.deepEqual(bad, []);
  // speedscope did run in the webview (its console lines reach the page's console).
  assert.ok(
    messages.some(m => /speedscope v\d/.test(m)),
    messages.join('\n'),
  );
  assert.ok(messages.some(m => /Importing as speedscope json file/.test(m)));
});
