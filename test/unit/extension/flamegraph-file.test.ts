import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  containingFolder,
  prepareSpeedscopeFile,
  speedscopeAssets,
} from '../../../src/extension/flamegraph-file';
import { isWebviewMessage, timingText } from '../../../src/extension/webview-protocol';

const root = join(__dirname, '..', '..', '..', '..');

test("speedscope's packaged index.html names one stylesheet and one script, found without hard-coded hashes", () => {
  const html = readFileSync(
    join(root, 'node_modules', 'speedscope', 'dist', 'release', 'index.html'),
    'utf8',
  );
  const a = speedscopeAssets(html);
  assert.equal(a.css.length, 1);
  assert.equal(a.js.length, 1);
  assert.match(a.css[0], /^speedscope-\w+\.css$/);
  assert.match(a.js[0], /^speedscope-\w+\.js$/);
  assert.throws(
    () => speedscopeAssets('<script src="https://evil.example/x.js"></script>'),
    /unexpected asset/,
  );
  assert.throws(() => speedscopeAssets('<html></html>'), /no script/);
});

test('containingFolder accepts only absolute paths strictly inside a folder', () => {
  const folders = ['/w/a', '/w/b'];
  assert.equal(containingFolder('/w/a/src/main.rs', folders), '/w/a');
  assert.equal(containingFolder('/w/b/x.rs', folders), '/w/b');
  assert.equal(containingFolder('/w/a/../c/x.rs', folders), undefined);
  assert.equal(containingFolder('/w/ab/x.rs', folders), undefined);
  assert.equal(containingFolder('/w/a', folders), undefined);
  assert.equal(containingFolder('src/main.rs', folders), undefined);
  assert.equal(containingFolder('/etc/passwd', folders), undefined);
});

test('prepareSpeedscopeFile resolves relative frame files and hot lines against the JSON file', () => {
  const json = {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    name: 'demo',
    shared: {
      frames: [
        { name: 'main', file: 'src/main.rs', line: 3 },
        { name: 'malloc' },
        { name: 'x', file: '/abs/y.rs' },
      ],
    },
    profiles: [
      {
        type: 'sampled',
        name: 'All samples',
        unit: 'none',
        startValue: 0,
        endValue: 1,
        samples: [[0, 1]],
        weights: [1],
      },
    ],
    allocLensHotLines: [
      { file: 'src/main.rs', line: 3, label: 'src/main.rs:3  malloc 100%' },
      { file: 7, line: 1 },
    ],
  };
  const p = prepareSpeedscopeFile(json, '/w/a/profile.speedscope.json');
  assert.equal(p.title, 'demo');
  const s = p.speedscope as typeof json;
  assert.deepEqual(s.shared.frames, [
    { name: 'main', file: '/w/a/src/main.rs', line: 3 },
    { name: 'malloc' },
    { name: 'x', file: '/abs/y.rs' },
  ]);
  assert.equal('allocLensHotLines' in s, false);
  assert.deepEqual(p.hotLines, [
    { file: '/w/a/src/main.rs', line: 3, label: 'src/main.rs:3  malloc 100%' },
  ]);
  // The input is not modified.
  assert.equal(json.shared.frames[0].file, 'src/main.rs');
  assert.equal(prepareSpeedscopeFile({ profiles: [] }, '/w/p.json').title, 'p.json');
  assert.throws(
    () => prepareSpeedscopeFile({ shared: {} }, '/w/p.json'),
    /not a speedscope JSON file/,
  );
});

test('the e2e fixture profile has the three views with frames in the fixture crate', () => {
  const dir = join(root, 'test', 'fixtures', 'e2e-profile');
  const p = prepareSpeedscopeFile(
    JSON.parse(readFileSync(join(dir, 'profile.speedscope.json'), 'utf8')),
    join(dir, 'profile.speedscope.json'),
  );
  const s = p.speedscope as {
    profiles: { name: string; samples: number[][]; weights: number[] }[];
    shared: { frames: { file?: string; line?: number }[] };
  };
  assert.deepEqual(
    s.profiles.map(x => x.name),
    ['All samples', 'Allocator samples', 'Copy samples (memcpy/memmove)'],
  );
  for (const prof of s.profiles) assert.equal(prof.samples.length, prof.weights.length);
  const src = readFileSync(join(dir, 'src', 'main.rs'), 'utf8').split('\n');
  for (const f of s.shared.frames)
    if (f.file) assert.match(src[f.line! - 1], /fn |derive/, `${f.file}:${f.line}`);
  assert.match(src[p.hotLines[0].line - 1], /out\.push\(r\.clone\(\)\)/);
});

test('webview messages are validated', () => {
  assert.ok(isWebviewMessage({ type: 'ready' }));
  assert.ok(isWebviewMessage({ type: 'open', file: '/w/a.rs', line: 3 }));
  assert.ok(isWebviewMessage({ type: 'open', file: '/w/a.rs', line: 3, toSide: true }));
  assert.ok(!isWebviewMessage({ type: 'open', file: '/w/a.rs', line: '3' }));
  assert.ok(!isWebviewMessage({ type: 'open', file: '/w/a.rs', line: Infinity }));
  assert.ok(!isWebviewMessage({ type: 'eval', code: '1' }));
  assert.ok(!isWebviewMessage(null));
  assert.ok(isWebviewMessage({ type: 'theme', dark: false }));
  assert.ok(isWebviewMessage({ type: 'shown', profileIndex: 2, profileName: 'Copy' }));
});

test('first-draw timing: marks are validated and printed step by step in time order', () => {
  assert.ok(isWebviewMessage({ type: 'timing', marks: { command: 1, drawn: 900 } }));
  assert.ok(!isWebviewMessage({ type: 'timing', marks: { command: '1' } }));
  assert.ok(!isWebviewMessage({ type: 'timing', marks: { drawn: NaN } }));
  assert.ok(!isWebviewMessage({ type: 'timing' }));
  assert.equal(
    timingText({ drawn: 1900, command: 0, ready: 700, data: 20 }),
    '1,900 ms from command to drawn: data +20, ready +680, drawn +1200',
  );
});
