/**
 * `normText` (type text normalisation) is one pass over the text, and a long type's nested texts
 * are slices of its normalised text (issue #14: indexing linear in nesting). Both must give what
 * the regexes gave, level by level.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normText, typeExprOf } from '../../../src/core/index/syntax';
import { parseRust } from '../../../src/core/parser';
import type { TypeExpr } from '../../../src/core/model';
import { rng } from '../../fuzz/analysis-fuzz';

/** The regular expressions normText used before (the reference). */
function reference(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/\s*([<>,;()[\]])\s*/g, (_m, c: string) => (c === ',' || c === ';' ? `${c} ` : c))
    .trim();
}

test('normText equals the regex reference on 200,000 random texts of spaces, separators and Unicode', () => {
  const r = rng(14);
  const alphabet = [
    ' ',
    '  ',
    '\t',
    '\n',
    '\r',
    '\u00a0',
    '\u2028',
    '\ufeff',
    'a',
    'u8',
    '<',
    '>',
    ',',
    ';',
    '(',
    ')',
    '[',
    ']',
    '&',
    'é',
    '\ud800',
    ':',
    '/* x */',
  ];
  for (let n = 0; n < 200_000; n++) {
    let t = '';
    for (let i = Math.floor(r() * (n % 2 ? 30 : 8)); i > 0; i--)
      t += alphabet[Math.floor(r() * alphabet.length)];
    assert.equal(normText(t), reference(t), JSON.stringify(t));
  }
});

test('a deep type: the text of each of its 100 analysed levels is that level normalised alone', () => {
  const r = rng(1402);
  const ws = () => ['', ' ', '  ', '\n\t', ' /* a , b */ '][Math.floor(r() * 5)];
  // Built inside out: raws[i] is the text of level i from the innermost.
  const raws = ['u8'];
  for (let d = 0; d < 400; d++) {
    const inner = raws[raws.length - 1];
    const k = d % 3;
    raws.push(
      k === 0
        ? `Option${ws()}<${ws()}${inner}${ws()}>`
        : k === 1
          ? `[${ws()}${inner}${ws()};${ws()}1${ws()}]`
          : `(${ws()}u8${ws()},${ws()}${inner}${ws()},${ws()})`,
    );
  }
  const top = raws[raws.length - 1];
  assert.ok(top.length > 2_000, `${top.length} chars: long enough for the sliced path`);
  const node = parseRust(`struct S { a: ${top} }`)
    .rootNode.descendantsOfType('field_declaration')[0]
    .childForFieldName('type')!;
  let t: TypeExpr | undefined = typeExprOf(node);
  let levels = 0;
  for (let i = raws.length - 1; t && t.kind !== 'unknown'; i--) {
    assert.equal(t.text, reference(raws[i]), `level ${levels}`);
    levels++;
    t =
      t.kind === 'path'
        ? (t.segments[t.segments.length - 1].args[0] as { type: TypeExpr }).type
        : t.kind === 'array'
          ? t.elem
          : t.kind === 'tuple'
            ? t.elems[1]
            : undefined;
  }
  assert.equal(levels, 100);
  assert.equal(t?.kind, 'unknown');
  assert.ok(t?.error, 'deeper than 100 levels: an error, not a size');
});
