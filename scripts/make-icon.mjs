#!/usr/bin/env node
// Renders media/icon.svg to media/icon.png (128x128, transparent corners), the extension icon the
// Marketplace and the Extensions view show (they need a PNG). Uses the Chromium the e2e tests use.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { provision } from './e2e/provision.mjs';

const root = join(import.meta.dirname, '..');
const svg = readFileSync(join(root, 'media', 'icon.svg'), 'utf8');
const { chromium: executablePath } = provision();
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({
    viewport: { width: 128, height: 128 },
    deviceScaleFactor: 1,
  });
  await page.setContent(
    `<html><body style="margin:0;background:transparent">${svg.replace('width="256" height="256"', 'width="128" height="128"')}</body></html>`,
  );
  await page.screenshot({
    path: join(root, 'media', 'icon.png'),
    omitBackground: true,
    clip: { x: 0, y: 0, width: 128, height: 128 },
  });
  console.log('wrote media/icon.png');
} finally {
  await browser.close();
}
