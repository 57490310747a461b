import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadWorkspace } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import { runExact } from '../../../src/core/exact/run';

const REG = '/usr/share/cargo/registry';

// A user crate whose types hold a real dependency's types (Debian's bytes 1.2.1, found through
// a `directory` source replacement as a vendored project has it): before dependencies were
// read these were "at least 1 B"; now they are sized, and rustc confirms every number.
test(
  'dependency types from a real crate are sized exactly, as rustc says',
  { timeout: 240_000 },
  async () => {
    assert.ok(
      fs.existsSync(path.join(REG, 'bytes-1.2.1')),
      'Debian crate bytes 1.2.1 missing: run scripts/ci-deps.sh (apt-get install librust-bytes-dev)',
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-lens-deps-rustc-'));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.mkdirSync(path.join(dir, '.cargo'));
    fs.writeFileSync(
      path.join(dir, '.cargo', 'config.toml'),
      `[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "${REG}"\n`,
    );
    fs.writeFileSync(
      path.join(dir, 'Cargo.toml'),
      '[package]\nname = "user_app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nbytes = "1"\n',
    );
    fs.writeFileSync(
      path.join(dir, 'src', 'lib.rs'),
      [
        'use bytes::{Bytes, BytesMut};',
        'pub struct Frame { pub head: Bytes, pub body: BytesMut, pub kind: u8 }',
        'pub enum Payload { Shared(Bytes), Owned(BytesMut), Empty }',
        'pub struct Chunked { pub parts: Vec<Bytes>, pub last: Option<bytes::Bytes> }',
        'pub fn keep(_: &Frame, _: &Payload, _: &Chunked) {}',
      ].join('\n'),
    );
    const index = await loadWorkspace(dir, { trusted: false });
    const engine = new LayoutEngine(index);
    const exact = await runExact({ crateDir: dir, noCache: true });
    for (const name of ['Frame', 'Payload', 'Chunked']) {
      const item = index.typeDefs().find(t => t.name === name)!;
      const l = engine.layoutOfItem(item);
      const r = exact.types.find(t => t.name === name);
      assert.ok(r, `rustc printed no layout for ${name}`);
      assert.equal(l.status, 'exact', `${name}: ${JSON.stringify(l.unknownParts)}`);
      assert.deepEqual({ size: l.size, align: l.align }, { size: r.size, align: r.align }, name);
    }
    const bytes = index.resolveItem('user_app', ['bytes', 'Bytes'])!;
    assert.deepEqual(index.originOf(bytes), {
      kind: 'dependency',
      crate: 'bytes',
      package: 'bytes',
      version: '1.2.1',
    });
    fs.rmSync(dir, { recursive: true, force: true });
  },
);
