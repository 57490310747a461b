import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameDefinition } from '../../../src/core/index/def-equal';
import { buildIndexFromSources, loadWorkspace } from '../../../src/core/index/workspace';
import type { Item } from '../../../src/core/model';
import { crateDir } from '../helpers/registry';

/** What workspace.ts compared before `sameDefinition`: sorted-key JSON without positions. */
function reference(i: Item): string {
  const skip = new Set(['span', 'nameSpan', 'signatureSpan', 'startOffset', 'endOffset']);
  for (const k of ['line', 'column', 'endLine', 'endColumn']) skip.add(k);
  const item = { ...i, attrs: i.attrs.filter(x => x.name !== 'cfg' && x.name !== 'doc') };
  return JSON.stringify(item, (k, v) => {
    if (skip.has(k)) return undefined;
    if (typeof v === 'bigint') return String(v);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

function agree(items: Item[]): { pairs: number; equal: number } {
  let pairs = 0;
  let equal = 0;
  for (let i = 0; i < items.length; i++)
    for (const j of [i + 1, i + 7, (i * 31) % items.length]) {
      const a = items[i];
      const b = items[j % items.length];
      const want = reference(a) === reference(b);
      assert.equal(sameDefinition(a, b), want, `${a.path} vs ${b.path}: JSON says ${want}`);
      assert.equal(sameDefinition(b, a), want, `${b.path} vs ${a.path}: JSON says ${want}`);
      pairs++;
      if (want) equal++;
    }
  return { pairs, equal };
}

test('sameDefinition agrees with the JSON signature on edge cases', () => {
  const src = `
/// one
#[cfg(unix)] pub struct A { #[cfg(unix)] a: u8, b: [u8; 1 << 40] }
/// one
#[cfg(windows)] pub struct A { #[cfg(unix)] a: u8, b: [u8; 1 << 40] }
#[cfg(windows)] pub struct A { #[cfg(windows)] a: u8, b: [u8; 1 << 40] }
#[repr(C)] pub struct A { #[cfg(unix)] a: u8, b: [u8; 1 << 40] }
pub struct A { #[cfg(unix)] a: u8, b: [u8; 1 << 41] }
pub struct A { #[cfg(unix)] a: u8 }
pub enum E { A = 1, B } pub enum E { A = 1, B } pub enum E { A = 2, B } pub enum E { A = 1, B, }
pub type T = u8; pub type T = u8; pub type T = u16; pub union U { a: u8 } pub struct U { a: u8 }
`;
  const index = buildIndexFromSources([{ path: '/t/src/lib.rs', text: src }]);
  const { equal } = agree(index.items);
  assert.ok(equal > 0, 'the cases hold equal definitions');
  const [a1, a2, a3, a4, a5, a6] = index.items.filter(i => i.name === 'A');
  assert.equal(sameDefinition(a1, a2), true, 'cfg of the item itself aside');
  assert.equal(sameDefinition(a1, a3), false, 'a field cfg counts');
  assert.equal(sameDefinition(a1, a4), false, 'a repr counts');
  assert.equal(sameDefinition(a1, a5), false, 'an array length counts');
  assert.equal(sameDefinition(a6, a1), false, 'a field more counts');
  // Key order, a bigint against its string, and a left-out value against a missing key.
  const x = { ...a1, extra: 5n, gone: undefined } as unknown as Item;
  const y = { extra: '5', ...a1 } as unknown as Item;
  assert.equal(reference(x), reference(y));
  assert.equal(sameDefinition(x, y), true);
  const z = { ...a1, extra: 6n } as unknown as Item;
  assert.equal(sameDefinition(x, z), false);
});

test('sameDefinition agrees with the JSON signature on every item of tokio', async () => {
  const index = await loadWorkspace(crateDir('tokio-1.24.2'));
  const { pairs, equal } = agree(index.items);
  assert.ok(pairs > 5_000, `${pairs} pairs`);
  assert.ok(equal > 0, `${equal} equal pairs`);
});
