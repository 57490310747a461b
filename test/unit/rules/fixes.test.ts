import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyse, rustcLib, rustcSizesOf } from './helpers';
import { applyEdits, byFile } from '../../../src/core/fixes/edits';
import { requireRustc } from '../layout/rustc-oracle';
import type { Finding, Fix } from '../../../src/core/rules/types';

const FIXES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'fixes');

function applyFix(file: string, text: string, fix: Fix): string {
  const edits = byFile(fix.edits);
  assert.deepEqual([...edits.keys()], [file], 'single-file fixture');
  return applyEdits(text, edits.get(file)!);
}

function fixOf(findings: Finding[], code: string, title: RegExp): Fix {
  const f = findings.find(x => x.code === code && x.fixes.some(y => title.test(y.title)));
  assert.ok(
    f,
    `no ${code} finding with a fix matching ${title}: ${JSON.stringify(findings.map(x => [x.code, x.range.line, x.fixes.map(y => y.title)]))}`,
  );
  return f.fixes.find(y => title.test(y.title))!;
}

test('boxing the large variants compiles, rewrites every construction site and shrinks the error', () => {
  requireRustc();
  const file = path.join(FIXES, 'box_variant.rs');
  const text = fs.readFileSync(file, 'utf8');
  const before = analyse([{ path: file, text }]);
  const fix = fixOf(before.findings, 'large-error', /^Box /);
  assert.ok(fix.preferred);
  const fixed = applyFix(file, text, fix);
  assert.equal(rustcLib(fixed), undefined, `fixed code must compile:\n${fixed}`);
  assert.match(fixed, /Corrupt\(Box<\[u8; 50000\]>\)/);
  assert.match(fixed, /Err\(DistriErr::Corrupt\(Box::new\(\*block\)\)\)/);
  assert.match(fixed, /Err\(Corrupt\(Box::new\(\[7; 50000\]\)\)\)/);
  assert.match(fixed, /Self::Corrupt\(Box::new\(b\)\)/);
  assert.match(fixed, /Partial \{ head: 1, block: Box::new\(block\) \}/);
  const [sizeBefore, sizeAfter] = [
    rustcSizesOf(text, ['err::DistriErr'])[0],
    rustcSizesOf(fixed, ['err::DistriErr'])[0],
  ];
  assert.equal(sizeBefore, 50008);
  assert.ok(sizeAfter < 128, `after: ${sizeAfter}`);
  const after = analyse([{ path: file, text: fixed }]);
  const item = after.index.typeDefs().find(t => t.name === 'DistriErr')!;
  assert.equal(
    after.engine.layoutOfItem(item).size,
    sizeAfter,
    'engine agrees with rustc after the fix',
  );
  assert.equal(
    after.findings.filter(f => f.code === 'large-error' || f.code === 'large-enum-variant').length,
    0,
  );
});

test('large-enum-variant fix boxes only the largest variant (clippy shape)', () => {
  requireRustc();
  const file = path.join(FIXES, 'box_variant.rs');
  const text = fs.readFileSync(file, 'utf8');
  const fix = fixOf(analyse([{ path: file, text }]).findings, 'large-enum-variant', /^Box /);
  const fixed = applyFix(file, text, fix);
  assert.equal(rustcLib(fixed), undefined, fixed);
  assert.match(fixed, /Corrupt\(Box<\[u8; 50000\]>\)/);
  assert.match(fixed, /block: \[u8; 30000\]/);
  assert.ok(rustcSizesOf(fixed, ['err::DistriErr'])[0] < rustcSizesOf(text, ['err::DistriErr'])[0]);
});

test('Box<E> fix compiles, keeps ? working, and shrinks the Result', () => {
  requireRustc();
  const file = path.join(FIXES, 'box_error.rs');
  const text = fs.readFileSync(file, 'utf8');
  const fix = fixOf(analyse([{ path: file, text }]).findings, 'large-error', /Box<Big>/);
  const fixed = applyFix(file, text, fix);
  assert.equal(rustcLib(fixed), undefined, fixed);
  assert.match(fixed, /pub fn parse\(x: u32\) -> Result<u32, Box<Big>>/);
  assert.equal((fixed.match(/Err\(Box::new\(Big/g) ?? []).length, 2);
  const [b, a] = [
    rustcSizesOf(text, ['Result<u32, Big>'])[0],
    rustcSizesOf(fixed, ['Result<u32, Box<Big>>'])[0],
  ];
  assert.ok(a < b && a === 16, `${b} -> ${a}`);
});

test('no Box<E> fix when a caller matches on the error', () => {
  const text =
    'pub struct Big([u8; 300]);\npub fn f() -> Result<(), Big> { Ok(()) }\npub fn g() -> usize { match f() { Err(b) => b.0.len(), Ok(()) => 0 } }\n';
  const { findings } = analyse([{ path: '/v/lib.rs', text }]);
  const f = findings.find(x => x.code === 'large-error');
  assert.ok(f);
  assert.equal(f.fixes.length, 0);
});

test('borrow instead of clone: offered only when the clone is only borrowed, and the result compiles', () => {
  requireRustc();
  const file = path.join(FIXES, 'borrow_clone.rs');
  const text = fs.readFileSync(file, 'utf8');
  const findings = analyse([{ path: file, text }]).findings.filter(
    f => f.code === 'clone-hotspot' && f.data.kind === 'clone' && f.data.borrow,
  );
  assert.deepEqual(
    findings.map(f => [f.range.line, f.severity]),
    [
      [5, 'warning'],
      [9, 'info'],
    ],
  );
  let fixed = text;
  for (const f of [...findings].reverse()) fixed = applyFix(file, fixed, f.fixes[0]);
  assert.equal(rustcLib(fixed), undefined, fixed);
  assert.match(fixed, /let copy = &n;/);
  assert.match(fixed, /let t = &title;/);
  assert.match(fixed, /let kept = v\.clone\(\);/);
});

test('enums whose variants are compiled out by #[cfg] are judged on the compiled variants', () => {
  const text =
    'pub enum E {\n    #[cfg(windows)]\n    Win([u8; 4096]),\n    Unix([u8; 4096]),\n}\npub enum F {\n    #[cfg(test)]\n    T(u8),\n    A([u8; 300]),\n    B(u8),\n}\n';
  const findings = analyse([{ path: '/v/lib.rs', text }]).findings.filter(
    f => f.code === 'large-enum-variant',
  );
  assert.deepEqual(
    findings.map(f => [f.range.line, f.related.map(r => r.range.line)]),
    [[6, [9, 10]]],
  );
});
