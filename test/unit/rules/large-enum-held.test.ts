/**
 * large-enum-variant reports every enum clippy's `large_enum_variant` reports (same locations),
 * at `warning` only when the crate's declarations show that the bytes matter: values held in bulk
 * (a collection, a slice or array, a channel, a recursive tree, also through the types that hold
 * them) or the enum as a `Result`'s error. An enum held one value at a time (a parser's result,
 * a future's state: the judged corpus's aho-corasick `SearchKind`, reqwest `PendingInner`,
 * sequoia `PacketParserResult`) is an `info` that says boxing may not pay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyse, rustcLib } from './helpers';

const SRC = `#![allow(dead_code)]
use std::collections::HashMap;
use std::sync::mpsc::Sender;

pub struct Teddy { masks: [u8; 256] }
pub enum SearchKind { Teddy(Teddy), RabinKarp }
pub struct Searcher { kind: SearchKind, min: usize }

pub enum Step { Packet([u8; 512]), Eof(u32) }
pub fn next(s: &mut Searcher) -> Step { let _ = s; Step::Eof(0) }

pub enum Value { Sig([u8; 300]), Small(u8) }
pub struct Sub { value: Value, critical: bool }
pub struct Area { packets: Vec<Sub> }

pub enum Node { Leaf([u64; 40]), Branch(Box<Node>, Box<Node>) }

pub enum Msg { Big([u8; 1024]), Ping }
pub struct Worker { tx: Sender<Msg> }

pub enum Cached { Full([u8; 400]), Empty }
pub type Cache = HashMap<u32, Cached>;

pub enum Failure { Corrupt([u8; 4096]), Timeout }
pub fn verify(b: &[u8]) -> Result<u32, Failure> { if b.is_empty() { Err(Failure::Timeout) } else { Ok(1) } }

pub enum Row { Wide([u64; 50]), Narrow(u8) }
pub fn sum(rows: &[Row]) -> usize { rows.len() }
`;

function clippyLines(text: string): number[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-held-'));
  try {
    const f = path.join(dir, 'lib.rs');
    fs.writeFileSync(f, text);
    const r = spawnSync(
      'clippy-driver',
      [
        '--edition',
        '2021',
        '--crate-type',
        'lib',
        '--error-format',
        'json',
        '-A',
        'clippy::all',
        '-W',
        'clippy::large_enum_variant',
        '--out-dir',
        dir,
        f,
      ],
      { encoding: 'utf8' },
    );
    assert.notEqual(r.status, null, 'clippy-driver is not installed (rustup component add clippy)');
    return r.stderr
      .split('\n')
      .filter(l => l.startsWith('{'))
      .map(
        l =>
          JSON.parse(l) as {
            code?: { code: string };
            spans: { is_primary: boolean; line_start: number }[];
          },
      )
      .filter(d => d.code?.code === 'clippy::large_enum_variant')
      .map(d => d.spans.find(s => s.is_primary)!.line_start)
      .sort((a, b) => a - b);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('large-enum-variant: every enum clippy reports; warning when held in bulk or as an error, info when held one at a time', () => {
  assert.equal(rustcLib(SRC), undefined, 'the fixture compiles');
  const lines = SRC.split('\n');
  const lineOf = (name: string) => lines.findIndex(l => l.startsWith(`pub enum ${name} `)) + 1;
  const findings = analyse([{ path: '/v/lib.rs', text: SRC }]).findings.filter(
    f => f.code === 'large-enum-variant',
  );
  // Same enums as the real clippy.
  assert.deepEqual(
    findings.map(f => f.range.line).sort((a, b) => a - b),
    clippyLines(SRC),
  );
  const expected: Record<string, ['warning' | 'info', 'bulk' | 'error' | 'one']> = {
    SearchKind: ['info', 'one'],
    Step: ['info', 'one'],
    Value: ['warning', 'bulk'],
    Node: ['warning', 'bulk'],
    Msg: ['warning', 'bulk'],
    Cached: ['warning', 'bulk'],
    Failure: ['warning', 'error'],
    Row: ['warning', 'bulk'],
  };
  for (const [name, [severity, held]] of Object.entries(expected)) {
    const f = findings.find(x => x.range.line === lineOf(name));
    assert.ok(f, `${name} reported`);
    assert.equal(f.severity, severity, `${name}: ${f.message} ${f.notes?.join('; ')}`);
    assert.equal(f.code === 'large-enum-variant' && f.data.held, held, name);
  }
  const value = findings.find(x => x.range.line === lineOf('Value'))!;
  // The chain up to the collection is named and the collection is a related location.
  assert.match(
    value.notes!.join('\n'),
    /through `Sub\.value: Value`, `Area\.packets: Vec<Sub>` holds many/,
  );
  assert.ok(
    value.related.some(
      r =>
        r.message === 'holds many `Value` values' &&
        lines[r.range.line - 1].includes('packets: Vec<Sub>'),
    ),
  );
  const kind = findings.find(x => x.range.line === lineOf('SearchKind'))!;
  assert.match(
    kind.notes!.join('\n'),
    /held in `Searcher\.kind: SearchKind`.*boxing it adds an allocation per value and saves little/,
  );
  // The quick fix stays offered at info: the user decides.
  assert.ok(kind.fixes.length > 0);
});
