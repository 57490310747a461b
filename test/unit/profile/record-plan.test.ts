// Record Profile's plan: targets from real `cargo metadata` of examples/ddsplit, the cargo and perf
// argument arrays, the line-table environment, the executable from cargo's JSON messages, argument
// splitting without a shell, and the messages that name the fix when perf cannot record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import {
  buildArgs,
  cargoTargets,
  executableFromMessages,
  metadataArgs,
  perfProblem,
  perfRecordArgs,
  recordEnv,
  recordingPath,
  splitArgs,
  type CargoTarget,
} from '../../../src/profile/record-plan';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const EXAMPLE = path.join(REPO, 'examples', 'ddsplit');

test('the targets of real cargo metadata: the ddsplit binary', () => {
  const r = spawnSync('cargo', metadataArgs(), { cwd: EXAMPLE, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const ts = cargoTargets(JSON.parse(r.stdout));
  assert.deepEqual(
    ts.map(t => `${t.kind}:${t.package}:${t.name}`),
    ['bin:ddsplit:ddsplit'],
  );
  assert.equal(ts[0].manifest, path.join(EXAMPLE, 'Cargo.toml'));
  assert.equal(ts[0].src, path.join(EXAMPLE, 'src', 'main.rs'));
});

test('targets are ordered bin, example, bench, test, lib; build scripts and proc macros are left out', () => {
  const t = (name: string, kind: string[]) => ({ name, kind, src_path: `/w/${name}.rs` });
  const ts = cargoTargets({
    packages: [
      {
        name: 'p',
        manifest_path: '/w/Cargo.toml',
        targets: [
          t('build-script-build', ['custom-build']),
          t('p', ['lib']),
          t('it', ['test']),
          t('b', ['bench']),
          t('ex', ['example']),
          t('app', ['bin']),
          t('m', ['proc-macro']),
        ],
      },
    ],
  });
  assert.deepEqual(
    ts.map(x => `${x.kind}:${x.name}`),
    ['bin:app', 'example:ex', 'bench:b', 'test:it', 'lib:p'],
  );
  assert.throws(() => cargoTargets({}), /no package list/);
});

test('cargo and perf command lines are argument arrays; line tables come from the environment', () => {
  const bin: CargoTarget = {
    package: 'p',
    name: 'app',
    kind: 'bin',
    manifest: '/w/Cargo.toml',
    src: '/w/src/main.rs',
  };
  assert.deepEqual(buildArgs(bin), [
    'build',
    '--release',
    '--bin',
    'app',
    '--manifest-path',
    '/w/Cargo.toml',
    '--package',
    'p',
    '--message-format',
    'json-render-diagnostics',
  ]);
  assert.deepEqual(buildArgs({ ...bin, kind: 'test' }).slice(0, 5), [
    'test',
    '--release',
    '--no-run',
    '--test',
    'app',
  ]);
  assert.deepEqual(buildArgs({ ...bin, kind: 'bench' }).slice(0, 4), [
    'bench',
    '--no-run',
    '--bench',
    'app',
  ]);
  assert.deepEqual(buildArgs({ ...bin, kind: 'lib' }).slice(0, 4), [
    'test',
    '--release',
    '--no-run',
    '--lib',
  ]);
  const env = recordEnv({ PATH: '/bin' });
  assert.equal(env.CARGO_PROFILE_RELEASE_DEBUG, 'line-tables-only');
  assert.equal(env.CARGO_PROFILE_BENCH_DEBUG, 'line-tables-only');
  assert.equal(env.PATH, '/bin');
  // A file name with shell syntax stays one argument.
  assert.deepEqual(
    perfRecordArgs('/w/target/release/app', ['$(rm -rf ~)', 'a b'], '/w/out.data', {
      frequency: 2000,
      stackBytes: 65528,
    }),
    [
      'record',
      '-F',
      '2000',
      '-g',
      '--call-graph',
      'dwarf,65528',
      '-o',
      '/w/out.data',
      '--',
      '/w/target/release/app',
      '$(rm -rf ~)',
      'a b',
    ],
  );
  assert.deepEqual(
    perfRecordArgs('/x', [], '/o', { frequency: 0, stackBytes: 100000 }).slice(1, 6),
    ['-F', '1', '-g', '--call-graph', 'dwarf,65528'],
  );
  assert.match(
    recordingPath('/w/target', bin, new Date('2026-12-02T07:08:09.123Z')),
    /^\/w\/target\/alloc-lens\/perf-app-20261202-070809\.data$/,
  );
});

test("the executable is read from cargo's compiler-artifact messages", () => {
  const bin: CargoTarget = {
    package: 'p',
    name: 'app',
    kind: 'bin',
    manifest: '/w/Cargo.toml',
    src: '/w/src/main.rs',
  };
  const msgs = [
    '{"reason":"compiler-artifact","target":{"name":"tokio","kind":["lib"]},"executable":null}',
    'not json',
    '{"reason":"compiler-artifact","target":{"name":"app","kind":["bin"]},"executable":"/w/target/release/app"}',
    '{"reason":"build-finished","success":true}',
  ].join('\n');
  assert.equal(executableFromMessages(msgs, bin), '/w/target/release/app');
  assert.equal(executableFromMessages(msgs, { ...bin, name: 'other' }), undefined);
});

test('arguments are split like a shell would, without one', () => {
  assert.deepEqual(splitArgs(''), []);
  assert.deepEqual(splitArgs('  3000  --input "my file.txt" \'$HOME\' a\\ b ""'), [
    '3000',
    '--input',
    'my file.txt',
    '$HOME',
    'a b',
    '',
  ]);
  assert.throws(() => splitArgs('"open'), /unterminated/);
});

test('when perf cannot record, the message names the fix', () => {
  assert.equal(
    perfProblem({ perfFound: true, paranoid: 2, root: false, platform: 'linux' }),
    undefined,
  );
  assert.equal(
    perfProblem({ perfFound: true, paranoid: 4, root: true, platform: 'linux' }),
    undefined,
  );
  assert.match(
    perfProblem({ perfFound: false, paranoid: 2, root: false, platform: 'linux' })!,
    /apt-get install linux-perf/,
  );
  assert.match(
    perfProblem({ perfFound: true, paranoid: 3, root: false, platform: 'linux' })!,
    /perf_event_paranoid is 3.*sysctl kernel\.perf_event_paranoid=2/,
  );
  assert.match(
    perfProblem({ perfFound: true, paranoid: 2, root: false, platform: 'darwin' })!,
    /Import Profile/,
  );
});
