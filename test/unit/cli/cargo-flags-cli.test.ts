import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { capture } from '../helpers/capture';

function reg(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-cargo-cli-'));
  for (const [p, t] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), t);
  }
  return dir;
}

const FILES = {
  'app-0.1.0/Cargo.toml':
    '[package]\nname = "app"\nversion = "0.1.0"\n[features]\nwide = []\n[dependencies]\ndep = "0.2"\nmissing_one = "1"\n',
  'app-0.1.0/src/lib.rs':
    'pub struct A { pub d: dep::D, #[cfg(feature = "wide")] pub w: [u8; 100], #[cfg(windows)] pub win: u64 }\npub struct M(pub missing_one::X, pub u8);\n',
  'dep-0.2.3/Cargo.toml': '[package]\nname = "dep"\nversion = "0.2.3"\n',
  'dep-0.2.3/src/lib.rs': 'pub struct D(pub u32);\n',
};

test('layout --json: --features, --no-default-features, --target, origin and reason; one warning for missing sources', async () => {
  const root = reg(FILES);
  const dir = path.join(root, 'app-0.1.0');
  const run = async (...flags: string[]) => {
    const c = capture();
    assert.equal(await main(['layout', dir, '--json', ...flags], c.io), 0, c.err());
    return {
      json: JSON.parse(c.out()) as {
        types: { name: string; size: number; status: string; origin: unknown; reason?: string }[];
      },
      err: c.err(),
    };
  };
  const plain = await run();
  const a = plain.json.types.find(t => t.name === 'A')!;
  assert.deepEqual([a.size, a.status, a.reason], [4, 'exact', undefined]);
  assert.deepEqual(a.origin, { kind: 'workspace', crate: 'app' });
  const m = plain.json.types.find(t => t.name === 'M')!;
  assert.equal(m.status, 'lower-bound');
  assert.match(m.reason ?? '', /missing_one::X/);
  assert.equal(plain.err.match(/dependency sources not found/g)?.length, 1, plain.err);
  assert.match(plain.err, /missing_one 1/);
  assert.equal((await run('--features', 'wide')).json.types.find(t => t.name === 'A')!.size, 104);
  assert.equal(
    (await run('--features', '', '--no-default-features')).json.types.find(t => t.name === 'A')!
      .size,
    4,
  );
  assert.equal((await run('--all-features')).json.types.find(t => t.name === 'A')!.size, 104);
  assert.equal(
    (await run('--target', 'x86_64-pc-windows-msvc')).json.types.find(t => t.name === 'A')!.size,
    16,
  );
  const c = capture();
  assert.equal(await main(['layout', dir, '--target', 'armv7-unknown-linux-gnueabihf'], c.io), 2);
  assert.match(c.err(), /64-bit/);
});

test('check: a malformed Cargo.toml is an error naming the file and line', async () => {
  const root = reg({
    'x/Cargo.toml': '[package]\nname = "x"\nversion = 0.1.0"\n',
    'x/src/lib.rs': 'pub struct S;\n',
  });
  const c = capture();
  assert.equal(await main(['check', path.join(root, 'x')], c.io), 2);
  assert.match(
    c.err(),
    new RegExp(
      `${path.join(root, 'x', 'Cargo.toml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: malformed TOML`,
    ),
  );
});
