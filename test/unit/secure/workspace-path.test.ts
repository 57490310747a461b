/**
 * Opening a source from the flamegraph: the real path (symlinks resolved) must lie inside the
 * real path of a workspace folder. Checked on real symlinks in a temp dir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveWorkspaceFile } from '../../../src/core/secure/workspace-path';

test('a symlink inside the workspace that points outside is refused; real files inside open', () => {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'al-wspath-')));
  try {
    const ws = path.join(base, 'ws');
    const outside = path.join(base, 'secret');
    fs.mkdirSync(path.join(ws, 'src'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(ws, 'src', 'main.rs'), 'fn main() {}\n');
    fs.writeFileSync(path.join(outside, 'key'), 'x');
    fs.symlinkSync(outside, path.join(ws, 'link'));
    fs.symlinkSync(path.join(outside, 'key'), path.join(ws, 'key.rs'));
    fs.symlinkSync(path.join(ws, 'src', 'main.rs'), path.join(ws, 'alias.rs'));
    // A workspace opened through a symlinked path still contains its own files.
    fs.symlinkSync(ws, path.join(base, 'ws-link'));

    assert.deepEqual(resolveWorkspaceFile(path.join(ws, 'src', 'main.rs'), [ws]), {
      ok: true,
      real: path.join(ws, 'src', 'main.rs'),
      folder: ws,
    });
    assert.deepEqual(resolveWorkspaceFile(path.join(ws, 'link', 'key'), [ws]), {
      ok: false,
      reason: 'outside',
    });
    assert.deepEqual(resolveWorkspaceFile(path.join(ws, 'key.rs'), [ws]), {
      ok: false,
      reason: 'outside',
    });
    assert.deepEqual(resolveWorkspaceFile(path.join(ws, 'alias.rs'), [ws]), {
      ok: true,
      real: path.join(ws, 'src', 'main.rs'),
      folder: ws,
    });
    const viaLink = path.join(base, 'ws-link');
    assert.deepEqual(resolveWorkspaceFile(path.join(viaLink, 'src', 'main.rs'), [viaLink]), {
      ok: true,
      real: path.join(ws, 'src', 'main.rs'),
      folder: viaLink,
    });
    assert.deepEqual(resolveWorkspaceFile(path.join(ws, 'nope.rs'), [ws]), {
      ok: false,
      reason: 'missing',
    });
    assert.deepEqual(resolveWorkspaceFile('src/main.rs', [ws]), { ok: false, reason: 'relative' });
    assert.deepEqual(
      resolveWorkspaceFile(ws, [ws]),
      { ok: false, reason: 'outside' },
      'the folder itself is not a file in it',
    );
    assert.deepEqual(resolveWorkspaceFile(path.join(ws, '..', 'secret', 'key'), [ws]), {
      ok: false,
      reason: 'outside',
    });
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
