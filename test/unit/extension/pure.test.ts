import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutMarkdown, nicheCount, sizeLabel } from '../../../src/core/layout/markdown';
import { buildIndexFromSources } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import { defaultSettings } from '../../../src/core/config/settings';
import { reanalyzeFile } from '../../../src/core/incremental';
import { runRules } from '../../../src/core/rules/run';

test('hover markdown shows size, align, niche, fields, variants and the largest contributor', () => {
  const idx = buildIndexFromSources(
    [
      {
        path: '/v/lib.rs',
        text: 'pub enum E { Big([u8; 300]), Small(u8) }\npub struct S<T> { a: u8, t: T }',
      },
    ],
    { crateName: 'c' },
  );
  const eng = new LayoutEngine(idx);
  const e = idx.typeDefs().find(t => t.name === 'E')!;
  const md = layoutMarkdown(e, eng.layoutOfItem(e));
  assert.match(md, /^\/\/ size = 301 \(0x12D\), align = 1, niches = 254$/m);
  assert.match(md, /Largest contributor: `E::Big\.0: \[u8; 300\]`/);
  // Padded columns: the variant table lines up (name, size, field bytes, types).
  assert.ok(
    md.includes(
      'variant  size  fields  types\nBig       301     300  [u8; 300]\nSmall       2       1  u8\n',
    ),
    md,
  );
  const s = idx.typeDefs().find(t => t.name === 'S')!;
  assert.equal(sizeLabel(eng.layoutOfItem(s)), '≥ 1 B');
});

test('incremental re-analysis re-checks files that use a type that grew', () => {
  const files = [
    { path: '/v/src/lib.rs', text: 'pub mod types;\npub mod api;\n' },
    { path: '/v/src/types.rs', text: 'pub struct Packet { pub id: u64 }\n' },
    {
      path: '/v/src/api.rs',
      text: 'use crate::types::Packet;\npub fn send() -> Result<(), Packet> { Ok(()) }\n',
    },
  ];
  const idx = buildIndexFromSources(files, { crateName: 'c' });
  const eng = new LayoutEngine(idx);
  assert.equal(runRules(idx, eng, defaultSettings()).length, 0);
  const r = reanalyzeFile(
    idx,
    eng,
    defaultSettings(),
    '/v/src/types.rs',
    'pub struct Packet { pub id: u64, pub big: [u8; 4096] }\n',
  );
  assert.deepEqual([...r.changedItems], ['c::types::Packet']);
  assert.ok(r.files.has('/v/src/api.rs'));
  assert.deepEqual(
    r.findings.map(f => [f.code, f.range.file, f.range.line]),
    [['large-error', '/v/src/api.rs', 2]],
  );
});

test('niche counts read like numbers people use; big structs without a dominant field say so', () => {
  assert.equal(nicheCount(253n), '253');
  assert.equal(nicheCount(18446744073709551614n), '2^64 − 2');
  assert.equal(nicheCount(4294967296n), '2^32');
  assert.equal(nicheCount(4294967295n - 1114111n), '2^32 − 1,114,112');
  assert.equal(nicheCount(123456789012n), '≈ 1.2e11');
  const idx = buildIndexFromSources(
    [
      {
        path: '/v/lib.rs',
        text: 'pub struct P { a: Box<u8>, b: u64, c: u64, d: u64, e: u64, f: u64 }',
      },
    ],
    { crateName: 'c' },
  );
  const p = idx.typeDefs().find(t => t.name === 'P')!;
  const md = layoutMarkdown(p, new LayoutEngine(idx).layoutOfItem(p));
  assert.match(md, /size = 48 \(0x30\), align = 8, niches = 1\b/);
  assert.match(md, /No single large contributor: 6 fields, the largest 8 B\./);
  assert.match(md, /^offset {2}size {2}field {2}type$/m);
});
