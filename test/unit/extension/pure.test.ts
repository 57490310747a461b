import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutMarkdown, sizeLabel } from '../../../src/core/layout/markdown';
import { buildIndexFromSources } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import { defaultSettings } from '../../../src/core/config/settings';
import { reanalyzeFile } from '../../../src/core/incremental';
import { runRules } from '../../../src/core/rules/run';

test('hover markdown shows size, align, niche, fields, variants and the largest contributor', () => {
  const idx = buildIndexFromSources([{ path: '/v/lib.rs', text: 'pub enum E { Big([u8; 300]), Small(u8) }\npub struct S<T> { a: u8, t: T }' }], { crateName: 'c' });
  const eng = new LayoutEngine(idx);
  const e = idx.typeDefs().find(t => t.name === 'E')!;
  const md = layoutMarkdown(e, eng.layoutOfItem(e));
  assert.match(md, /\| 301 B \| 1 \|/);
  assert.match(md, /Largest contributor: `E::Big\.0: \[u8; 300\]`/);
  assert.match(md, /\| Big \| 301 \| 300 \|/);
  const s = idx.typeDefs().find(t => t.name === 'S')!;
  assert.equal(sizeLabel(eng.layoutOfItem(s)), '≥ 1 B');
});

test('incremental re-analysis re-checks files that use a type that grew', () => {
  const files = [
    { path: '/v/src/lib.rs', text: 'pub mod types;\npub mod api;\n' },
    { path: '/v/src/types.rs', text: 'pub struct Packet { pub id: u64 }\n' },
    { path: '/v/src/api.rs', text: 'use crate::types::Packet;\npub fn send() -> Result<(), Packet> { Ok(()) }\n' },
  ];
  const idx = buildIndexFromSources(files, { crateName: 'c' });
  const eng = new LayoutEngine(idx);
  assert.equal(runRules(idx, eng, defaultSettings()).length, 0);
  const r = reanalyzeFile(idx, eng, defaultSettings(), '/v/src/types.rs', 'pub struct Packet { pub id: u64, pub big: [u8; 4096] }\n');
  assert.deepEqual([...r.changedItems], ['c::types::Packet']);
  assert.ok(r.files.has('/v/src/api.rs'));
  assert.deepEqual(r.findings.map(f => [f.code, f.range.file, f.range.line]), [['large-error', '/v/src/api.rs', 2]]);
});
