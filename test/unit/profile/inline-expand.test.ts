/**
 * Inline expansion from a workspace binary (addr2line -i): parsing, the agreement guard against a
 * rebuilt binary, return address - 1 for callers, frames perf already expanded left alone, PIE
 * file offsets to virtual addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  buildExpansion,
  elfOffsetToVaddr,
  parseAddr2line,
  type InlineLoc,
} from '../../../src/profile/inline-expand';
import type { RawFrame } from '../../../src/profile/types';

const A2L = `0x0000000000001000
app::leaf_inlined
/w/src/lib.rs:7 (discriminator 2)
dep::outer
/dep/src/x.rs:40
0x0000000000001fff
app::work::{{closure}}
/w/src/main.rs:12
rayon::helper
/dep/rayon/src/plumbing.rs:418
0x0000000000003000
other::fn
??:0
`;

test('parseAddr2line: chains innermost first, discriminators dropped, unknown lines 0', () => {
  const m = parseAddr2line(A2L);
  assert.deepEqual(m.get(0x1000), [
    { fn: 'app::leaf_inlined', file: '/w/src/lib.rs', line: 7 },
    { fn: 'dep::outer', file: '/dep/src/x.rs', line: 40 },
  ]);
  assert.equal(m.get(0x1fff)?.length, 2);
  assert.deepEqual(m.get(0x3000), [{ fn: 'other::fn', file: '??', line: 0 }]);
});

test("expansion: the leaf at its address, callers at address - 1; a physical name that disagrees with perf is not used; perf's own chains stay", async () => {
  const chains = parseAddr2line(A2L);
  const f = (ip: string, sym: string, extra: Partial<RawFrame> = {}): RawFrame => ({
    ip,
    sym,
    dso: '/w/target/app',
    inlined: false,
    ...extra,
  });
  const leaf = f('1000', 'dep::outer');
  const caller = f('2000', 'rayon::helper');
  const stale = f('3001', 'not::what::addr2line::says');
  const byDso = new Map([['/w/target/app', [leaf, caller, stale]]]);
  const asked: number[] = [];
  // (one address of three disagrees: a binary is trusted only when 90% agree, so lower the bar here)
  const x = await buildExpansion(new Map([['/w/target/app', '/w/target/app']]), byDso, {
    minAgreement: 0.5,
    chains: async (_b, addrs) => {
      asked.push(...addrs);
      return new Map(addrs.filter(a => chains.has(a)).map(a => [a, chains.get(a) as InlineLoc[]]));
    },
  });
  assert.ok(x?.usable);
  assert.equal(x.resolved, 3);
  assert.equal(x.agreed, 2);
  assert.ok(asked.includes(0x1000) && asked.includes(0x1fff));
  const out = x.expand([leaf, caller, stale]);
  assert.deepEqual(
    out.map(r => [r.sym, r.file, r.line, r.inlined, r.dso]),
    [
      ['app::leaf_inlined', '/w/src/lib.rs', 7, true, undefined],
      ['dep::outer', '/dep/src/x.rs', 40, false, '/w/target/app'],
      ['app::work::{{closure}}', '/w/src/main.rs', 12, true, undefined],
      ['rayon::helper', '/dep/rayon/src/plumbing.rs', 418, false, '/w/target/app'],
      ['not::what::addr2line::says', undefined, undefined, false, '/w/target/app'],
    ],
  );
  // all frames of a chain keep the address: only the last is physical
  assert.ok(out.slice(0, 2).every(r => r.ip === '1000'));
  // the same array in, the same array out (ProfileData caches per array)
  const stack = [leaf, caller];
  assert.equal(x.expand(stack), x.expand(stack));
  // the caller frame as a leaf is looked up at 0x2000, which addr2line did not resolve: unchanged
  assert.deepEqual(
    x.expand([caller]).map(r => r.sym),
    ['rayon::helper'],
  );
  // frames perf already expanded (same address as the frame before, or marked inlined) stay
  const perfChain = [
    f('1000', 'app::leaf_inlined', { inlined: true, dso: undefined }),
    f('1000', 'dep::outer'),
  ];
  assert.deepEqual(
    x.expand(perfChain).map(r => r.sym),
    ['app::leaf_inlined', 'dep::outer'],
  );
});

test('elfOffsetToVaddr: PIE file offsets map through PT_LOAD like readelf says', () => {
  const bin = process.execPath;
  const r = spawnSync('readelf', ['-lhW', bin], { encoding: 'utf8' });
  if (r.status !== 0) assert.fail('readelf (binutils) is needed');
  const pie = /Type:\s+DYN/.test(r.stdout);
  const to = elfOffsetToVaddr(bin);
  for (const m of r.stdout.matchAll(
    /^\s*LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)/gm,
  )) {
    const off = parseInt(m[1], 16);
    const vaddr = parseInt(m[2], 16);
    const size = parseInt(m[3], 16);
    if (size < 2) continue;
    assert.equal(to(off + 1), pie ? vaddr + 1 : off + 1);
  }
  assert.equal(elfOffsetToVaddr('/nonexistent')(0x1234), 0x1234);
});

test('expansion: a binary where fewer than 90% of the addresses agree with perf is not used at all', async () => {
  const chains = parseAddr2line(A2L);
  const frames = [
    { ip: '1000', sym: 'dep::outer', dso: '/w/target/app', inlined: false },
    { ip: '2000', sym: 'rayon::helper', dso: '/w/target/app', inlined: false },
    { ip: '3001', sym: 'moved::fn', dso: '/w/target/app', inlined: false },
  ];
  const x = await buildExpansion(
    new Map([['/w/target/app', '/w/target/app']]),
    new Map([['/w/target/app', frames]]),
    {
      chains: async (_b, addrs) =>
        new Map(addrs.filter(a => chains.has(a)).map(a => [a, chains.get(a) as InlineLoc[]])),
    },
  );
  assert.equal(x?.usable, false);
  assert.equal(x.expand(frames), frames);
});
