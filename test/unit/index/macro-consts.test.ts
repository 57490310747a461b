import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadWorkspace } from '../../../src/core/index/workspace';
import { constUnderscoreParts } from '../../../src/core/index/macro-expand';
import { tokenize } from '../../../src/core/index/macro-rules';
import type { Item } from '../../../src/core/model';

// Two macros with the same `const _` items; `with_struct!` also declares a struct, so its
// expansion is parsed, while `check!`'s is read from its tokens (tests/async_send_sync.rs).
const LIB = `
macro_rules! check {
    ($t:ty: $($tok:tt)*) => {
        #[allow(unreachable_code)]
        #[doc = "x"]
        const _: fn() = || { let f: $t = todo!(); $($tok)*; };
        const _: [u8; 2] = [0; 2];
    };
}
macro_rules! with_struct {
    ($t:ty: $($tok:tt)*) => {
        #[allow(unreachable_code)]
        #[doc = "x"]
        const _: fn() = || { let f: $t = todo!(); $($tok)*; };
        const _: [u8; 2] = [0; 2];
        pub struct Marker;
    };
}
pub mod a { check!(Vec<u8>: require_send(&f)); }
pub mod b { with_struct!(Vec<u8>: require_send(&f)); }
`;

test('const _ items of an expansion read from its tokens equal the parsed ones', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-consts-'));
  fs.writeFileSync(path.join(dir, 'Cargo.toml'), '[package]\nname = "m"\nversion = "0.1.0"\n');
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'lib.rs'), LIB);
  try {
    const idx = await loadWorkspace(dir, { dependencies: false });
    const consts = (m: string) =>
      idx.items
        .filter(i => i.kind === 'const' && i.module === m)
        .map(i => {
          const { span: _s, nameSpan: _n, module: _m, path: _p, viaMacro: _v, ...rest } = i as Item;
          return { ...rest, attrs: rest.attrs.map(a => `${a.name}(${a.args})`) };
        });
    const fast = consts('m::a');
    assert.ok(idx.items.some(i => i.module === 'm::a' && i.viaMacro === 'check'));
    assert.equal(fast.length, 2);
    assert.deepEqual(fast, consts('m::b'));
    assert.deepEqual(fast[0].attrs, ['allow(unreachable_code)', 'doc("x")']);
    assert.match(String((fast[0] as { value?: string }).value), /let f: Vec<u8> = todo!\(\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('constUnderscoreParts splits only expansions made of const _ items', () => {
  const parts = constUnderscoreParts(
    tokenize('#[allow(x)] const _: fn() = || { a; b; }; const _: u8 = 1;'),
  );
  assert.deepEqual(parts, [
    { attrs: ['#[allow(x)]'], text: 'const _: fn() = || { a; b; };' },
    { attrs: [], text: 'const _: u8 = 1;' },
  ]);
  assert.equal(constUnderscoreParts(tokenize('const _: u8 = 1; struct S;')), undefined);
  assert.equal(constUnderscoreParts(tokenize('const X: u8 = 1;')), undefined);
  assert.equal(constUnderscoreParts(tokenize('pub const _: u8 = 1;')), undefined);
  assert.equal(constUnderscoreParts(tokenize('const _: u8 = 1')), undefined);
  assert.equal(constUnderscoreParts([]), undefined);
});
