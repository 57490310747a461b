import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parseHeader, PerfScriptParser, splitSymDso } from '../../../src/profile/perf-script';
import { rng } from '../helpers/profile-fuzz';
import type { PerfSample } from '../../../src/profile/types';

function parse(text: string): { samples: PerfSample[]; warnings: string[] } {
  const samples: PerfSample[] = [];
  const warnings: string[] = [];
  const p = new PerfScriptParser(
    s => samples.push(s),
    w => warnings.push(w),
  );
  for (const l of text.split('\n')) p.line(l.replace(/\r$/, ''));
  p.end();
  return { samples, warnings };
}

test('headers: comm with spaces, pid/tid, lone pid, cpu, time, period, events with colons and payloads', () => {
  const cases: [string, Partial<ReturnType<typeof parseHeader>>][] = [
    [
      'V8 WorkerThread 24636/25607 [000] 94564.109216: cycles:',
      {
        comm: 'V8 WorkerThread',
        pid: 24636,
        tid: 25607,
        cpu: 0,
        time: 94564.109216,
        event: 'cycles',
        period: 1,
      },
    ],
    [
      'vote   913    72.176760:     257597 cycles:uppp:',
      { comm: 'vote', pid: 913, period: 257597, event: 'cycles:uppp' },
    ],
    [
      'pool 1 4242/4243  10.5: 1000 cpu-clock:ppp: ',
      { comm: 'pool 1', pid: 4242, tid: 4243, period: 1000, event: 'cpu-clock:ppp' },
    ],
    ['app  7/7  1.000001:  cpu_core/cycles:Pu/: ', { comm: 'app', event: 'cpu_core/cycles:Pu/' }],
    [
      'app 7/7 1.5: probe_libc:malloc: (7f12ab) size=0x40',
      { event: 'probe_libc:malloc', payload: '(7f12ab) size=0x40' },
    ],
    [
      'tokio-runtime-w 11650/11651 cpu-clock:',
      { comm: 'tokio-runtime-w', pid: 11650, tid: 11651, time: undefined, event: 'cpu-clock' },
    ],
    [
      '  12345/12346 [003] 6487.282573: 250000 cycles:',
      { comm: '', pid: 12345, tid: 12346, cpu: 3, period: 250000 },
    ],
  ];
  for (const [line, want] of cases) {
    const h = parseHeader(line);
    assert.ok(h, line);
    for (const [k, v] of Object.entries(want as object))
      assert.deepEqual((h as unknown as Record<string, unknown>)[k], v, `${line}: ${k}`);
  }
  assert.equal(parseHeader('just some words'), undefined);
});

test('frames: offsets, DSOs with spaces and (deleted), inlined, unknown, generics with parentheses', () => {
  assert.deepEqual(splitSymDso('main+0x1f (/usr/bin/my app)'), {
    sym: 'main+0x1f',
    dso: '/usr/bin/my app',
  });
  assert.deepEqual(splitSymDso('foo (/tmp/x (deleted))'), { sym: 'foo', dso: '/tmp/x (deleted)' });
  assert.deepEqual(splitSymDso('<F as core::ops::FnOnce<()>>::call_once{{vtable.shim}}'), {
    sym: '<F as core::ops::FnOnce<()>>::call_once{{vtable.shim}}',
  });
  assert.deepEqual(splitSymDso('std::function<int (int, int)>::operator() (/bin/x)'), {
    sym: 'std::function<int (int, int)>::operator()',
    dso: '/bin/x',
  });
  const { samples } = parse(
    [
      'app 1/1 1.0: 1 cycles:',
      '\t    55d0c7a1b2c3 alloc::vec::Vec<T,A>::push (inlined)',
      '\t    55d0c7a1b2c3 app::main+0x53 (/home/dev/app/target/release/app)',
      '\t               0 [unknown] ([unknown])',
      '',
    ].join('\n'),
  );
  assert.equal(samples.length, 1);
  const [push, main, unk] = samples[0].frames;
  assert.equal(push.inlined, true);
  assert.equal(push.dso, undefined);
  assert.equal(main.sym, 'app::main');
  assert.equal(main.dso, '/home/dev/app/target/release/app');
  assert.equal(unk.sym, '[unknown]');
});

test('srcline continuation lines of every shape', () => {
  const { samples } = parse(
    [
      'app 1/1 1.0: cpu-clock:',
      '\t  1 a (/bin/app)',
      '  /home/dev/app/src/lib.rs:88',
      '\t  2 b',
      '  src/main.rs:19 (inlined)',
      '\t  3 c (/bin/app)',
      '  c+123',
      '\t  4 d (/lib/libc.so.6)',
      '  libc.so.6[abc]',
      '\t  5 e (/bin/app)',
      '  ??:0',
      '\t  6 f (/bin/app)',
      '  :0',
    ].join('\n'),
  );
  const f = samples[0].frames;
  assert.deepEqual([f[0].file, f[0].line], ['/home/dev/app/src/lib.rs', 88]);
  assert.deepEqual([f[1].file, f[1].line, f[1].inlined], ['src/main.rs', 19, true]);
  for (const i of [2, 3, 4, 5]) assert.equal(f[i].file, undefined, f[i].sym);
  assert.equal(f.length, 6);
});

test('bad and odd input: no blank line between events, CRLF, comments, weird lines warn but do not abort', () => {
  const { samples, warnings } = parse(
    [
      '# ========',
      '# cmdline : perf record',
      'a 1/1 1.0: 1 cycles:',
      '\t  1 x (/bin/a)',
      'a 1/1 1.1: 1 cycles:',
      '\t  2 y (/bin/a)',
      '\tTHIS IS NOT A FRAME',
      '',
      '',
      'garbage header without event',
      'b 2/2 1.2: 1 cycles:\r',
      '\t  3 z (/bin/b)\r',
    ].join('\n'),
  );
  assert.deepEqual(
    samples.map(s => s.frames.map(f => f.sym).join(',')),
    ['x', 'y', 'z'],
  );
  assert.equal(warnings.length, 2, warnings.join('\n'));
});

test('single-line stacks (no -g) with right-aligned comms', () => {
  const { samples } = parse(
    '           false 39654 19115.489713:          1 cycles:u:  ffffffff9b201293 [unknown] ([unknown])\n           false 39654 19115.489719:          1 cycles:      7fa68b1f2d84 _dl_start+0x4 (/usr/lib/ld-2.31.so)\n',
  );
  assert.equal(samples.length, 2);
  assert.equal(samples[1].frames[0].sym, '_dl_start');
  assert.equal(samples[1].comm, 'false');
});

test('byte input (feed) gives the same samples, warnings and counts as decoded lines, on every real recording', async () => {
  const { parseBothWays, corpus } = await import('../helpers/profile-fuzz');
  const dir = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'realprof');
  const inputs = [
    ...corpus(),
    ...fs
      .readdirSync(dir)
      .filter(f => f.endsWith('.txt.gz'))
      .map(f => ({ name: f, data: zlib.gunzipSync(fs.readFileSync(path.join(dir, f))) })),
  ];
  assert.ok(inputs.length >= 25);
  for (const { name, data } of inputs) assert.equal(parseBothWays(data), undefined, name);
});

test('byte input: crafted lines (CRLF, blank-ish lines in stacks, bad frames, non-ASCII comms, single-line stacks) agree with decoded lines', async () => {
  const { parseBothWays } = await import('../helpers/profile-fuzz');
  const stack = '\t7f01 a (/bin/x)\n  src/a.rs:3\n\t7f02 b (/bin/x)\n';
  const texts = [
    `p 1/1 1.5: 10 cycles:\n${stack}\np 1/1 1.6: 10 cycles:\n${stack}\n`.replace(/\n/g, '\r\n'),
    `p 1/1 1.5: 10 cycles:\n${stack}   \n${stack}\np 1/1 1.6: 10 cycles:\n${stack}\n`,
    `p 1/1 1.5: 10 cycles:\n\tnot a frame\n${stack}\np 1/1 1.6: 10 cycles:\n\tnot a frame\n${stack}\n`,
    `Wörker 7/8 [001] 2.25: 3 cpu-clock:\n${stack}\nWörker 7/8 [001] 2.5: 3 cpu-clock:\n${stack}\n`,
    `V8 WorkerThread 7/8 99999999999999999.5: 12345678901234567890 cpu-clock:\n${stack}\n`,
    `p 1 1.5: cycles:  7f01 main+0x1 (/bin/x)\np 1 1.6: cycles:  7f01 main+0x1 (/bin/x)\n`,
    `# cmdline : /usr/bin/perf record -g ./x\np 1/1 1.5: 10 cycles:\n${stack}\np 1/1 1.5: 10 cycles:\n${stack}# cmdline : /usr/bin/perf record --call-graph dwarf ./x\n\n`,
    `PERF_RECORD_X\np 1/1 1.5: 10 cycles:\n${stack}\n\n\n\tstray 1 (x)\n-5/-6 1.5: 1 e:\n${stack}`,
    `p 1/1 1.5: 10 cycles:\n${stack}\np 1/1 1.5: 10 cycles:\n${stack}`,
  ];
  for (const t of texts)
    for (let seed = 1; seed < 20; seed++)
      assert.equal(
        parseBothWays(Buffer.from(t), rng(seed)),
        undefined,
        `${JSON.stringify(t.slice(0, 60))} seed ${seed}`,
      );
});

test('import: the byte reader (plain and gzip files) and the text reader (taken when folding) build the same profile', async () => {
  const { importProfile } = await import('../../../src/profile/import');
  const dir = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'realprof');
  const tmp = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'alloc-lens-bytes-'));
  const dump = (r: Awaited<ReturnType<typeof importProfile>>) =>
    JSON.stringify({
      frames: r.data.frames,
      events: [...r.data.events.values()].map(e => ({ ...e, stacks: [...e.stacks.values()] })),
      warnings: r.data.warnings,
      lines: r.lines,
      trunc: r.data.truncatedStacks,
    });
  try {
    for (const f of fs
      .readdirSync(dir)
      .filter(
        f =>
          f.endsWith('-srcline.perf-script.txt.gz') || f.endsWith('-nosrcline.perf-script.txt.gz'),
      )) {
      const gz = path.join(dir, f);
      const plain = path.join(tmp, f.replace(/\.gz$/, ''));
      fs.writeFileSync(plain, zlib.gunzipSync(fs.readFileSync(gz)));
      const text = dump(await importProfile(plain, { fold: {} }));
      assert.equal(dump(await importProfile(plain)), text, `${f} plain`);
      assert.equal(dump(await importProfile(gz)), text, `${f} gzip`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
