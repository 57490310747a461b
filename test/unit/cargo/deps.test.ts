import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diskHost, loadWorkspace, type SourceHost } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import { CargoFileError } from '../../../src/core/cargo/toml';
import { buildScriptCfgs } from '../../../src/core/cargo/build-script';
import { cfgIfBranches } from '../../../src/core/index/cfg-if';
import { bestMatch, satisfies } from '../../../src/core/cargo/semver';
import type { StructItem, TypeDefItem } from '../../../src/core/model';
import { runRules } from '../../../src/core/rules/run';
import { defaultSettings } from '../../../src/core/config/settings';

/** Write a tree of files under a fresh temp dir; returns its path. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-lens-cargo-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const pkg = (name: string, version: string, extra = '') =>
  `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\n${extra}`;

function layoutOf(index: Awaited<ReturnType<typeof loadWorkspace>>, name: string) {
  const item = index.typeDefs().find(t => t.name === name) as TypeDefItem | undefined;
  assert.ok(item, `type ${name} not indexed`);
  return new LayoutEngine(index).layoutOfItem(item);
}

test('registry siblings: highest matching version, features with dep: and ?, optional deps; modules read lazily', async () => {
  const reg = tree({
    'app-0.1.0/Cargo.toml': pkg(
      'app',
      '0.1.0',
      '[dependencies]\ndep = { version = "1.1", default-features = false, features = ["big"] }\n',
    ),
    'app-0.1.0/src/lib.rs': 'pub struct App { pub a: dep::used::Big, pub b: u8 }\n',
    'dep-1.0.0/Cargo.toml': pkg('dep', '1.0.0'),
    'dep-1.0.0/src/lib.rs': 'pub mod used { pub struct Big(u8); }\n',
    'dep-1.2.0/Cargo.toml': pkg(
      'dep',
      '1.2.0',
      '[features]\ndefault = ["huge"]\nhuge = []\nbig = ["dep:extra", "extra2?/wide"]\n[dependencies]\nextra = { version = "0.3", optional = true }\nextra2 = { version = "0.3", optional = true }\n',
    ),
    'dep-1.2.0/src/lib.rs': 'pub mod used;\npub mod unused;\n',
    'dep-1.2.0/src/used.rs':
      '#[cfg(feature = "huge")] pub struct Big([u64; 100]);\n#[cfg(not(feature = "huge"))] pub struct Big { a: extra::Word, b: [u64; 3] }\n',
    'dep-1.2.0/src/unused.rs': 'pub struct Never(u8);\n',
    'extra-0.3.1/Cargo.toml': pkg('extra', '0.3.1'),
    'extra-0.3.1/src/lib.rs': 'pub struct Word(pub u64);\n',
    'extra-0.2.0/Cargo.toml': pkg('extra', '0.2.0'),
    'extra-0.2.0/src/lib.rs': 'pub struct Word(pub u8);\n',
  });
  const reads: string[] = [];
  const host: SourceHost = {
    read: f => (reads.push(f), diskHost.read(f)),
    exists: diskHost.exists,
  };
  const index = await loadWorkspace(path.join(reg, 'app-0.1.0'), { host });
  const l = layoutOf(index, 'App');
  // dep 1.2.0 without `huge` (default features off): Big = Word(u64) + [u64; 3] = 32; + u8 -> 40.
  assert.equal(l.status, 'exact', JSON.stringify(l.unknownParts));
  assert.equal(l.size, 40);
  assert.ok(reads.some(f => f.endsWith(path.join('dep-1.2.0', 'src', 'used.rs'))));
  assert.ok(!reads.some(f => f.endsWith('unused.rs')), 'a module no path leads into is never read');
  assert.ok(
    !reads.some(f => f.includes('dep-1.0.0')),
    'a version below the requirement is not used',
  );
  const big = index.resolveItem('app', ['dep', 'used', 'Big'])!;
  assert.deepEqual(index.originOf(big), {
    kind: 'dependency',
    crate: 'dep',
    package: 'dep',
    version: '1.2.0',
  });
  assert.deepEqual(index.originOf(index.typeDefs().find(t => t.name === 'App')!), {
    kind: 'workspace',
    crate: 'app',
  });
  // With default features of dep on (`--features dep/huge` is the same as enabling it): 800 + 1 -> 808.
  const huge = await loadWorkspace(path.join(reg, 'app-0.1.0'), { features: ['dep/huge'] });
  assert.equal(layoutOf(huge, 'App').size, 808);
});

test('Cargo.lock pins the version; a missing source is one warning naming it and a lower bound', async () => {
  const reg = tree({
    'app-0.1.0/Cargo.toml': pkg('app', '0.1.0', '[dependencies]\ndep = "1"\ngone = "2"\n'),
    'app-0.1.0/Cargo.lock':
      'version = 3\n[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = ["dep", "gone"]\n[[package]]\nname = "dep"\nversion = "1.0.0"\n[[package]]\nname = "gone"\nversion = "2.0.0"\n',
    'app-0.1.0/src/lib.rs': 'pub struct App { pub a: dep::Big, pub g: gone::Thing, pub b: u8 }\n',
    'dep-1.0.0/Cargo.toml': pkg('dep', '1.0.0'),
    'dep-1.0.0/src/lib.rs': 'pub struct Big(u16);\n',
    'dep-1.5.0/Cargo.toml': pkg('dep', '1.5.0'),
    'dep-1.5.0/src/lib.rs': 'pub struct Big(u64);\n',
  });
  const index = await loadWorkspace(path.join(reg, 'app-0.1.0'));
  assert.equal(index.notices.length, 1);
  assert.match(index.notices[0], /not found.*gone 2/);
  const l = layoutOf(index, 'App');
  assert.equal(l.status, 'lower-bound');
  assert.equal(l.size, 4, 'dep 1.0.0 (locked): u16 + u8, padded');
  assert.ok(l.unknownParts?.some(p => p.includes('gone::Thing')));
});

test('directory source replacement (vendor/), path dependencies and workspace members', async () => {
  const ws = tree({
    'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\n[workspace.dependencies]\nv = "0.4"\n',
    '.cargo/config.toml':
      '[source.crates-io]\nreplace-with = "vendored"\n[source.vendored]\ndirectory = "vendor"\n',
    'crates/app/Cargo.toml': pkg(
      'app',
      '0.1.0',
      '[dependencies]\nv = { workspace = true }\nlocal = { path = "../local" }\n',
    ),
    'crates/app/src/lib.rs': 'pub struct App { pub v: v::V, pub l: local::L }\n',
    'crates/local/Cargo.toml': pkg('local', '0.1.0'),
    'crates/local/src/lib.rs': 'pub struct L(pub [u8; 3]);\n',
    'vendor/v/Cargo.toml': pkg('v', '0.4.2'),
    'vendor/v/src/lib.rs': 'pub struct V(pub u32);\n',
  });
  const index = await loadWorkspace(ws);
  const l = layoutOf(index, 'App');
  assert.equal(l.status, 'exact', JSON.stringify(l.unknownParts));
  assert.equal(l.size, 8);
  assert.deepEqual(index.notices, []);
});

test('malformed Cargo.toml and Cargo.lock are errors naming the file and line', async () => {
  const bad = tree({
    'Cargo.toml': '[package]\nname = "x"\nversion = "0.1.0"\n[dependencies\nfoo = "1"\n',
    'src/lib.rs': '',
  });
  await assert.rejects(
    loadWorkspace(bad),
    (e: Error) =>
      e instanceof CargoFileError && e.message.startsWith(`${path.join(bad, 'Cargo.toml')}:4:`),
  );
  const badLock = tree({
    'Cargo.toml': pkg('x', '0.1.0', '[dependencies]\ny = "1"\n'),
    'Cargo.lock': 'version = 3\n[[package]]\nname = "x\n',
    'src/lib.rs': '',
  });
  await assert.rejects(
    loadWorkspace(badLock),
    (e: Error) =>
      e instanceof CargoFileError && e.message.startsWith(`${path.join(badLock, 'Cargo.lock')}:3:`),
  );
});

test('cfg: target triple, cfg_if with mod declarations, #[path], cfg_attr repr, build-script cfgs stay uncertain', async () => {
  const dir = tree({
    'Cargo.toml': pkg('app', '0.1.0'),
    'build.rs':
      'fn main() {\n    if std::env::var("FAST").is_ok() {\n        println!("cargo:rustc-cfg=fast");\n    }\n}\n',
    'src/lib.rs': [
      'cfg_if::cfg_if! {',
      '    if #[cfg(windows)] {',
      '        #[path = "win.rs"] mod imp;',
      '    } else if #[cfg(unix)] {',
      '        #[path = "unix.rs"] mod imp;',
      '    } else {',
      '        mod imp;',
      '    }',
      '}',
      'pub struct Os { pub s: imp::Sys }',
      '#[cfg_attr(target_arch = "x86_64", repr(align(128)))]',
      'pub struct Padded(u8);',
      'pub struct Tuned { pub a: u32, #[cfg(fast)] pub extra: [u8; 64] }',
      '#[cfg(fast)] pub struct Alt(u8);',
      '#[cfg(not(fast))] pub struct Alt(u64);',
      'pub struct UsesAlt { pub a: Alt }',
      '#[cfg_attr(unix, inline(never))]',
      // Private: exported API is not flagged (clippy's avoid-breaking-exported-api).
      'fn takes(big: [u8; 4096]) -> usize { big.len() }',
    ].join('\n'),
    'src/win.rs': 'pub struct Sys(pub [u8; 12]);\n',
    'src/unix.rs': 'pub struct Sys(pub [u8; 20]);\n',
    'src/imp.rs': 'pub struct Sys(pub u8);\n',
  });
  const linux = await loadWorkspace(dir, { target: 'x86_64-unknown-linux-gnu' });
  assert.equal(layoutOf(linux, 'Os').size, 20);
  assert.equal(layoutOf(linux, 'Os').status, 'exact');
  assert.equal(layoutOf(linux, 'Padded').align, 128);
  const win = await loadWorkspace(dir, { target: 'x86_64-pc-windows-msvc' });
  assert.equal(layoutOf(win, 'Os').size, 12);
  const tuned = layoutOf(linux, 'Tuned');
  assert.equal(tuned.status, 'lower-bound');
  assert.ok(
    tuned.unknownParts?.some(p => /cfg\(fast\).*build script/.test(p)),
    JSON.stringify(tuned.unknownParts),
  );
  const alt = layoutOf(linux, 'UsesAlt');
  assert.notEqual(alt.status, 'exact');
  assert.ok(
    alt.unknownParts?.some(p => /2 definitions.*build script/.test(p)),
    JSON.stringify(alt.unknownParts),
  );
  // A fn whose attributes a cfg_attr expanded keeps its signature (the rules read it).
  const findings = runRules(linux, new LayoutEngine(linux), defaultSettings());
  assert.ok(
    findings.some(f => f.code === 'large-move' && f.message.includes('4,096')),
    JSON.stringify(findings.map(f => f.message)),
  );
  await assert.rejects(loadWorkspace(dir, { target: 'i686-unknown-linux-gnu' }), /64-bit/);
});

test('cargo targets: tests, benches, examples, bins and build.rs are crate roots (no unreachable warnings)', async () => {
  const dir = tree({
    'Cargo.toml': pkg('app', '0.1.0', '[[example]]\nname = "demo"\npath = "demos/demo.rs"\n'),
    'build.rs': 'struct B(u8);\nfn main() {}\n',
    'src/lib.rs': 'pub struct L(u8);\n',
    'src/main.rs': 'struct M(u8);\nfn main() {}\n',
    'src/bin/tool/main.rs': 'mod helper;\nfn main() {}\n',
    'src/bin/tool/helper.rs': 'pub struct H(u8);\n',
    'tests/it.rs': 'mod common;\nstruct T(app::L);\n',
    'tests/common/mod.rs': 'pub struct C(u8);\n',
    'benches/b.rs': 'struct Bn(u8);\n',
    'demos/demo.rs': 'struct D(u8);\nfn main() {}\n',
  });
  const index = await loadWorkspace(dir);
  const kinds = index.targets.map(t => `${t.kind}:${path.relative(dir, t.root)}`).sort();
  assert.deepEqual(kinds, [
    'bench:benches/b.rs',
    'bin:src/bin/tool/main.rs',
    'bin:src/main.rs',
    'build:build.rs',
    'example:demos/demo.rs',
    'lib:src/lib.rs',
    'test:tests/it.rs',
  ]);
  for (const f of [
    'build.rs',
    'src/bin/tool/helper.rs',
    'tests/common/mod.rs',
    'benches/b.rs',
    'demos/demo.rs',
  ])
    assert.ok(index.hasFile(path.join(dir, f)), f);
  assert.deepEqual(index.warnings, []);
  const t = index.typeDefs().find(x => x.name === 'T') as StructItem;
  assert.equal(
    new LayoutEngine(index).layoutOfItem(t).status,
    'exact',
    'a test target sees its own library',
  );
});

test('build scripts read without running them: target and version conditions decide, the rest is maybe', () => {
  const cfgs = buildScriptCfgs(
    [
      'fn main() {',
      '    let target = env::var("TARGET").unwrap();',
      '    if target.starts_with("wasm") { autocfg::emit("is_wasm"); }',
      '    if rustc_minor_ver >= 25 || dep { println!("cargo:rustc-cfg=has_align"); }',
      '    if rustc_minor_ver < 20 { println!("cargo:rustc-cfg=old"); } else { println!("cargo:rustc-cfg=new"); }',
      '    match arch.as_str() { "x86_64" => { println!("cargo:rustc-cfg=wide"); } _ => {} }',
      '    if ac.probe_rustc_version(1, 52) { } else { autocfg::emit("lib_no_addr_of"); }',
      '    helper();',
      '}',
      'fn helper() { println!("cargo:rustc-cfg=from_helper"); }',
    ].join('\n'),
    'x86_64-unknown-linux-gnu',
  );
  assert.deepEqual(Object.fromEntries(cfgs), {
    has_align: 'yes',
    new: 'yes',
    wide: 'maybe',
    from_helper: 'maybe',
  });
});

test('semver requirements and cfg_if branch predicates', () => {
  assert.ok(satisfies('1.2.3', '1.2') && satisfies('1.9.0', '^1.2') && !satisfies('2.0.0', '1.2'));
  assert.ok(
    satisfies('0.2.9', '0.2') &&
      !satisfies('0.3.0', '0.2') &&
      satisfies('1.2.5', '~1.2') &&
      !satisfies('1.3.0', '~1.2'),
  );
  assert.ok(
    satisfies('1.5.0', '>=1.0, <2') && !satisfies('1.0.0-beta', '1') && satisfies('3.0.0', '*'),
  );
  assert.equal(bestMatch(['0.4.1', '0.4.17', '0.3.9', '1.0.0'], '0.4'), '0.4.17');
  const b = cfgIfBranches(
    'if #[cfg(unix)] { mod a; } else if #[cfg(windows)] { mod b; /* } */ } else { mod c; }',
  )!;
  assert.deepEqual(
    b.map(x => x.pred),
    ['unix', 'all(windows, not(any(unix)))', 'not(any(unix, windows))'],
  );
});

test('trusted: cargo metadata is the graph when it works; without cargo the lockfile path is used', async () => {
  const ws = tree({
    'Cargo.toml': pkg('app', '0.1.0', '[dependencies]\nlocal = { path = "local" }\n'),
    'src/lib.rs': 'pub struct App { pub l: local::L, pub b: u8 }\n',
    'local/Cargo.toml': pkg('local', '0.1.0', '[features]\nbig = []\n'),
    'local/src/lib.rs':
      '#[cfg(feature = "big")] pub struct L(pub [u64; 2]);\n#[cfg(not(feature = "big"))] pub struct L(pub u16);\n',
  });
  const { execFileSync } = await import('node:child_process');
  execFileSync('cargo', ['generate-lockfile', '--offline'], { cwd: ws, stdio: 'ignore' });
  const viaCargo = await loadWorkspace(ws, { trusted: true, features: ['local/big'] });
  assert.equal(viaCargo.dependencySource, 'cargo-metadata', viaCargo.notes.join('; '));
  assert.equal(layoutOf(viaCargo, 'App').size, 24);
  const savedPath = process.env.PATH;
  process.env.PATH = fs.mkdtempSync(path.join(os.tmpdir(), 'no-cargo-'));
  try {
    const noCargo = await loadWorkspace(ws, { trusted: true, features: ['local/big'] });
    assert.equal(noCargo.dependencySource, 'lockfile');
    assert.match(noCargo.notes.join('; '), /cargo is not installed/);
    assert.equal(layoutOf(noCargo, 'App').size, 24);
  } finally {
    process.env.PATH = savedPath;
  }
  const untrusted = await loadWorkspace(ws, { features: ['local/big'] });
  assert.equal(untrusted.dependencySource, 'lockfile', 'an untrusted workspace never runs cargo');
});
