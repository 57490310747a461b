import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRust } from '../../../src/core/parser';
import { listRustFiles } from '../../../src/core/index/crates';
import { typeExprOf } from '../../../src/core/index/syntax';
import { crateDir } from '../helpers/registry';
import { parseFnSignature, parseTypeText } from '../../../src/core/index/type-text';

const OWNERS = new Set([
  'field_declaration',
  'parameter',
  'type_item',
  'const_item',
  'static_item',
  'function_item',
  'function_signature_item',
]);

/** The text parser must agree with the tree-based conversion on every type of a real crate. */
test('text type parser agrees with the tree on every type in tokio', () => {
  const TOKIO = path.join(crateDir('tokio-1.24.2'), 'src');
  let n = 0;
  const bad: string[] = [];
  for (const f of listRustFiles(TOKIO)) {
    const src = fs.readFileSync(f, 'utf8');
    const c = parseRust(src).walk();
    const visit = (): void => {
      const field = c.currentFieldName;
      if ((field === 'type' || field === 'return_type') && c.nodeIsNamed) {
        const node = c.currentNode;
        if (!node.hasError && node.parent && OWNERS.has(node.parent.type)) {
          n++;
          const a = JSON.stringify(typeExprOf(node));
          const b = JSON.stringify(parseTypeText(src.slice(node.startIndex, node.endIndex)));
          if (a !== b && bad.length < 5) bad.push(`${f}: ${node.text}\n tree: ${a}\n text: ${b}`);
        }
      }
      if (c.gotoFirstChild()) {
        do visit();
        while (c.gotoNextSibling());
        c.gotoParent();
      }
    };
    visit();
  }
  assert.ok(n > 5000, `expected thousands of types, saw ${n}`);
  assert.deepEqual(bad, []);
});

test('parses types and signatures from text', () => {
  const ty = (s: string) => parseTypeText(s);
  assert.equal(ty('[u8; 4 * N]')?.kind, 'array');
  assert.equal((ty('[u8; { N + 1 }]') as { len: string }).len, 'N + 1');
  assert.equal(ty('(u8,)')?.kind, 'tuple');
  assert.equal(ty('(u8)')?.kind, 'path');
  assert.equal(ty("Box<dyn Fn(u8) -> u8 + Send + 'static>")?.kind, 'path');
  assert.equal(ty('::std::vec::Vec<u8>')?.kind, 'path');
  assert.equal(ty('Vec<Vec<u8>>')?.text, 'Vec<Vec<u8>>');
  assert.equal(ty('not a type ('), undefined);
  const sig = parseFnSignature(
    "pub async fn f<'a, T: ?Sized>(&'a self, mut x: [u8; 4]) -> Result<(), E> where T: Send",
  );
  assert.ok(sig);
  assert.equal(sig.name, 'f');
  assert.deepEqual(sig.modifiers, ['async']);
  assert.deepEqual(
    sig.params.map(p => [p.pattern, p.isSelf, p.type?.text]),
    [
      ["&'a self", true, undefined],
      ['mut x', false, '[u8; 4]'],
    ],
  );
  assert.equal(sig.returnType?.text, 'Result<(), E>');
  assert.deepEqual(sig.where, [{ name: 'T', bounds: ['Send'] }]);
});
