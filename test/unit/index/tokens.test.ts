import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listRustFiles } from '../../../src/core/index/crates';
import { tokenize, type Tok } from '../../../src/core/index/tokens';
import { crateDir } from '../helpers/registry';

/** The regular expression the scanner replaced: the reference for what a token is. */
const TOKEN_RE =
  /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|(::|->|=>|'[A-Za-z_]\w*|r#[A-Za-z_]\w*|[A-Za-z_]\w*|\d[\w.]*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])'|[<>(),[\];&*!+=?{}:#\-/%|^.@])/y;

function reference(src: string): Tok[] | undefined {
  const out: Tok[] = [];
  let pos = 0;
  while (pos < src.length) {
    TOKEN_RE.lastIndex = pos;
    const m = TOKEN_RE.exec(src);
    if (!m) return undefined;
    if (m[1] !== undefined) {
      const t = m[1];
      if (
        (t === 'r' || t === 'br' || t === 'cr') &&
        (src[TOKEN_RE.lastIndex] === '"' || src[TOKEN_RE.lastIndex] === '#')
      )
        return undefined;
      out.push({ t, s: pos + (m[0].length - t.length), e: TOKEN_RE.lastIndex });
    } else if (m[0].startsWith('/*') && m[0].indexOf('/*', 2) !== -1) return undefined;
    pos = TOKEN_RE.lastIndex;
  }
  return out;
}

const EDGES = [
  "fn f<'a>(x: &'a str) -> Result<(), E> where T: ?Sized",
  "'a' 'ab' '\\n' '\\'' '\n' '' '\\",
  '"a\\"b" "unterminated',
  '"line\\\ncontinued"',
  '"multi\nline" x',
  'r"raw" r#"raw"# br"x" cr"x" r#type r#',
  '/* a /* nested */ */ x',
  '/* a */ /*/ b',
  '/* unterminated',
  '// comment\nx // trailing',
  '0x1F_u8 1.5e3 1..2 a::b->c=>d',
  '$crate ~ ` \u00a0 x\u2028y',
  'ident_with_ünicode',
  '',
  '/',
];

test('the scanner splits text exactly as the reference regular expression', () => {
  for (const s of EDGES) assert.deepEqual(tokenize(s), reference(s), JSON.stringify(s));
});

test('the scanner agrees with the reference on every line and every file of real sources', () => {
  const roots = [
    path.join(crateDir('tokio-1.24.2'), 'src'),
    path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures'),
  ];
  let n = 0;
  for (const root of roots) {
    for (const f of listRustFiles(root)) {
      const text = fs.readFileSync(f, 'utf8');
      // Whole files fail early on the first raw string or char literal; lines and paragraphs do not.
      const pieces = [text, ...text.split('\n'), ...text.split(/\n\s*\n/)];
      for (const p of pieces) {
        n++;
        const a = tokenize(p);
        const b = reference(p);
        if (JSON.stringify(a) !== JSON.stringify(b))
          assert.fail(`${f}: ${JSON.stringify(p).slice(0, 200)}`);
      }
    }
  }
  assert.ok(n > 50000, `${n} pieces`);
});
