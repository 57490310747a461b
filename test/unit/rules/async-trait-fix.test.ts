import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyse } from './helpers';
import { applyEdits, byFile } from '../../../src/core/fixes/edits';
import { crateDir, REGISTRY } from '../helpers/registry';
import { fullMessage } from '../../../src/core/rules/types';

const LIB = `use async_trait::async_trait;

pub struct Query(pub u64);

#[async_trait]
pub(crate) trait Splitter {
    async fn split(&self, q: &Query) -> Result<u64, String>;
    async fn weight(&self, q: &Query) -> u64;
    async fn describe(&self) -> String {
        format!("splitter {}", self.weight(&Query(1)).await)
    }
}

pub struct Fast;

#[async_trait]
impl Splitter for Fast {
    async fn split(&self, q: &Query) -> Result<u64, String> {
        Ok(q.0 * 2)
    }
    async fn weight(&self, q: &Query) -> u64 {
        q.0
    }
}

pub async fn run(s: &Fast) -> u64 {
    let w = s.weight(&Query(3)).await;
    let d = s.describe().await;
    s.split(&Query(w)).await.unwrap_or(0) + d.len() as u64
}

fn assert_send<T: Send>(_: T) {}
pub fn futures_are_send(s: &'static Fast) {
    assert_send(run(s));
}
`;

function cargoCheck(dir: string): { ok: boolean; out: string } {
  const r = spawnSync('cargo', ['check', '--offline', '--quiet'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CARGO_TARGET_DIR: path.join(dir, 'target') },
  });
  return { ok: r.status === 0, out: r.stderr };
}

test(
  '#[async_trait] -> native async fn: the rewrite compiles with the real async-trait crate removed from the trait',
  { timeout: 300_000 },
  t => {
    crateDir('async-trait-0.1.56');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-async-'));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.mkdirSync(path.join(dir, '.cargo'));
    fs.writeFileSync(
      path.join(dir, 'Cargo.toml'),
      '[package]\nname = "afit"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nasync-trait = "0.1"\n',
    );
    fs.writeFileSync(
      path.join(dir, '.cargo', 'config.toml'),
      `[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "${REGISTRY}"\n[net]\noffline = true\n`,
    );
    const lib = path.join(dir, 'src', 'lib.rs');
    fs.writeFileSync(lib, LIB);
    const before = cargoCheck(dir);
    assert.ok(before.ok, before.out);
    const { findings } = analyse([{ path: lib, text: LIB }]);
    const f = findings.find(x => x.code === 'async-trait-box');
    assert.ok(f, 'async-trait-box finding');
    assert.match(f.message, /3 async methods/);
    assert.equal(f.fixes.length, 1, f.message);
    const fixed = applyEdits(LIB, byFile(f.fixes[0].edits).get(lib)!);
    assert.doesNotMatch(fixed, /#\[async_trait\]/);
    assert.match(
      fixed,
      /fn split\(&self, q: &Query\) -> impl std::future::Future<Output = Result<u64, String>> \+ Send;/,
    );
    fs.writeFileSync(lib, fixed);
    const after = cargoCheck(dir);
    assert.ok(after.ok, `fixed code must compile:\n${fixed}\n${after.out}`);
    const again = analyse([{ path: lib, text: fixed }]).findings.filter(
      x => x.code === 'async-trait-box',
    );
    assert.equal(again.length, 0);
    fs.rmSync(dir, { recursive: true, force: true });
    void t;
  },
);

test('no native-async fix when the trait is used as dyn', () => {
  const text = LIB.replace(
    'pub async fn run(s: &Fast)',
    'pub fn as_dyn(s: &Fast) -> &dyn Splitter { s }\npub async fn run(s: &Fast)',
  );
  const f = analyse([{ path: '/v/src/lib.rs', text }]).findings.find(
    x => x.code === 'async-trait-box',
  );
  assert.ok(f);
  assert.equal(f.fixes.length, 0);
  assert.match(fullMessage(f), /used as `dyn Splitter`/);
});

test('constructors (`-> io::Result<Self>`) box once per object: not counted; a trait of only constructors is not reported', () => {
  const text = `use async_trait::async_trait;
#[async_trait]
pub(crate) trait Connect: Sized {
    async fn connect(addr: u32) -> std::io::Result<Self>;
    async fn connect_with_bind(addr: u32, bind: Option<u32>) -> std::io::Result<Self>;
}
#[async_trait]
pub(crate) trait Socket: Sized {
    async fn bind(addr: u32) -> std::io::Result<Self>;
    async fn recv_from(&self, buf: &mut [u8]) -> std::io::Result<usize>;
    async fn send_to(&self, buf: &[u8]) -> std::io::Result<usize>;
}
`;
  const fs = analyse([{ path: '/v/src/lib.rs', text }]).findings.filter(
    x => x.code === 'async-trait-box',
  );
  assert.deepEqual(
    fs.map(f => [f.range.line, f.message]),
    [[8, '`#[async_trait]` allocates a boxed future on every call of its 2 async methods']],
  );
  assert.match(fullMessage(fs[0]), /each call of `recv_from`, `send_to` heap-allocates/);
});
