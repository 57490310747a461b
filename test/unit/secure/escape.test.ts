/**
 * Profile-derived text (symbol names, frames, file names) must stay literal wherever it is
 * rendered: the hover markdown, quick picks and notifications. Checked with hostile names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  escapeIcons,
  escapeLinkedText,
  escapeMarkdown,
  markdownCode,
  markdownCodeBlock,
} from '../../../src/core/secure/escape';
import { profileHoverMarkdown } from '../../../src/profile/hover-markdown';

const HOSTILE =
  'evil[click](https://evil.example/x) ![t](https://evil.example/t.png) <img src=x> www.evil.example **b** `c`';

/** The markdown text a CommonMark reader would show for backslash escapes (a tiny unescaper). */
function unescape(md: string): string {
  return md.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

test('escapeMarkdown: no link, image, html or autolink syntax survives, and the text reads back', () => {
  const e = escapeMarkdown(HOSTILE);
  assert.doesNotMatch(e, /(^|[^\\])\[/, 'an unescaped [ starts a link');
  assert.doesNotMatch(e, /(^|[^\\])</, 'an unescaped < starts html');
  assert.doesNotMatch(e, /https:\/\//, 'a bare https:// autolinks');
  assert.doesNotMatch(e, /www\.evil/, 'a bare www. autolinks');
  assert.equal(unescape(e), HOSTILE);
  assert.equal(escapeMarkdown('a\nb\r\nc'), 'a b c');
});

test('markdownCode and markdownCodeBlock: fences longer than any backtick run inside', () => {
  assert.equal(markdownCode('plain'), '`plain`');
  assert.equal(markdownCode('a`b'), '``a`b``');
  assert.equal(markdownCode('`x'), '`` `x ``');
  const block = markdownCodeBlock('x\n```\n[l](https://e)');
  assert.ok(block.startsWith('\n````text\n') && block.endsWith('\n````\n'), block);
});

test('the profile hover escapes symbol names and frames', () => {
  const md = profileHoverMarkdown({
    rel: 'src/[a](https://e).rs',
    line: 3,
    functionLevel: false,
    countsLine: '10 samples (1.0% of all)',
    fn: 'f`](https://evil.example)',
    stacks: [{ samples: 5, frames: [HOSTILE, '```', 'main'], userFrame: 0 }],
  });
  // Outside the code block and the code span, no link syntax; the block is not closed by a frame.
  const fence = md.match(/\n(`{3,})text\n/)![1];
  assert.ok(fence.length >= 4, 'a frame of three backticks must not close the block');
  const [head] = md.split(`\n${fence}text\n`);
  assert.doesNotMatch(head.replace(/``[^]*?``/g, ''), /[^\\]\[|\]\(/);
  assert.match(head, /in ``f`\]\(https:\/\/evil\.example\)``/);
  assert.ok(head.includes(`${escapeMarkdown('src/[a](https://e).rs')}:3`), head);
});

test('quick-pick text shows $(icon) literally; notifications show [x](url) literally', () => {
  assert.equal(escapeIcons('$(alert) x $(flame)'), '\\$(alert) x \\$(flame)');
  const n = escapeLinkedText('Hottest: [x](command:workbench.action.quit)');
  assert.doesNotMatch(n, /\]\(/);
  assert.equal(n.replace(/\u200b/g, ''), 'Hottest: [x](command:workbench.action.quit)');
});
