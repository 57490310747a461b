import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { PathResolver, parseRemap } from '../../../src/profile/paths';
import { allocatorOf, frameKind, isKernelFrame } from '../../../src/profile/classify';

const ROOT = '/work/ws';
const FILES = [
  'src/main.rs',
  'src/lib.rs',
  'crates/net/src/lib.rs',
  'crates/net/src/conn.rs',
  'target/debug/build/x/out/gen.rs',
].map(f => path.join(ROOT, f));

test('paths: inside the root, crate-relative, foreign absolute by suffix, remaps, basenames, library code', () => {
  const r = new PathResolver({
    root: ROOT,
    files: FILES,
    remaps: [parseRemap('/build/app=.')],
    locate: sym =>
      sym.startsWith('net::')
        ? { file: path.join(ROOT, 'crates/net/src/lib.rs'), line: 3, path: sym }
        : undefined,
  });
  assert.equal(r.resolve('/work/ws/src/main.rs'), 'src/main.rs');
  assert.equal(r.resolve('src/main.rs'), 'src/main.rs');
  assert.equal(r.resolve('./src/main.rs'), 'src/main.rs');
  assert.equal(r.resolve('/home/ci/checkout/crates/net/src/conn.rs'), 'crates/net/src/conn.rs');
  assert.equal(r.resolve('/build/app/src/lib.rs'), 'src/lib.rs');
  assert.equal(r.resolve('conn.rs'), 'crates/net/src/conn.rs');
  assert.equal(r.resolve('lib.rs'), undefined, 'ambiguous basename without a symbol');
  assert.equal(r.resolve('lib.rs', 'net::Conn::open'), 'crates/net/src/lib.rs');
  assert.equal(
    r.resolve('/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/alloc/src/lib.rs'),
    undefined,
  );
  assert.equal(
    r.resolve(
      '/home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/tokio-1.0.0/src/lib.rs',
    ),
    undefined,
  );
  assert.equal(
    r.resolve('./string/../sysdeps/x86_64/multiarch/memmove-vec-unaligned-erms.S'),
    undefined,
  );
  assert.equal(
    r.resolve('/work/ws/target/debug/build/x/out/gen.rs'),
    undefined,
    'build output is not workspace code',
  );
  assert.equal(
    r.resolve('/elsewhere/main.rs'),
    undefined,
    'a bare basename match from a foreign dir is not enough',
  );
  assert.throws(() => parseRemap('nonsense'), /FROM=TO/);
  // a crate-relative path that two crates share is decided by the symbol's definition
  const two = new PathResolver({
    root: ROOT,
    files: ['crates/a/src/main.rs', 'crates/b/src/main.rs'].map(f => path.join(ROOT, f)),
    locate: sym =>
      sym.startsWith('b::')
        ? { file: path.join(ROOT, 'crates/b/src/main.rs'), line: 1, path: sym }
        : undefined,
  });
  assert.equal(two.resolve('src/main.rs', 'b::main'), 'crates/b/src/main.rs');
  assert.equal(two.resolve('src/main.rs', 'c::main'), undefined);
});

test('classify: allocator, free and copy families; kernel frames; allocator detection', () => {
  for (const s of [
    'malloc',
    '__libc_malloc',
    '__GI___libc_malloc',
    '_int_malloc',
    'calloc',
    'realloc',
    '_int_realloc',
    'sysmalloc',
    '__rust_alloc',
    '__rust_realloc',
    '__rdl_alloc',
    'alloc::alloc::alloc',
    'alloc::alloc::exchange_malloc',
    '_rjem_mallocx',
    '_rjem_je_malloc_default',
    'mi_malloc',
    'mi_heap_malloc_small',
    'malloc@plt',
    'alloc::raw_vec::finish_grow',
    '<alloc::raw_vec::RawVecInner>::grow_one',
    '<alloc::raw_vec::RawVec<u8>>::grow_one',
    '<alloc::alloc::Global>::alloc_impl',
    'hashbrown::raw::RawTableInner::fallible_with_capacity',
    '<alloc::raw_vec::RawVec<alloc::vec::Vec<u8>>>::grow_one',
  ])
    assert.equal(frameKind(s), 'alloc', s);
  // rustc 1.95's shim names (examples/realprof: the leaf of 67 samples in its 6 recordings, 'other' before)
  for (const s of [
    '__rustc::__rust_alloc',
    '__rustc::__rust_realloc',
    '__rustc::__rdl_alloc',
    '__rustc::__rdl_realloc',
    '__rustc::__rust_no_alloc_shim_is_unstable_v2',
  ])
    assert.equal(frameKind(s), 'alloc', s);
  for (const s of ['__rustc::__rust_dealloc', '__rustc::__rdl_dealloc'])
    assert.equal(frameKind(s), 'free', s);
  // hash-table growth hashes and moves entries: its own kind (its malloc children stay alloc)
  for (const s of [
    'hashbrown::raw::RawTable<T,A>::reserve_rehash',
    '<hashbrown::raw::RawTableInner>::reserve_rehash',
    'hashbrown::raw::RawTableInner::rehash_in_place',
    'hashbrown::raw::RawTable<T,A>::resize',
    'hashbrown::raw::inner::RawTable<T,A>::reserve_rehash',
  ])
    assert.equal(frameKind(s), 'rehash', s);
  for (const s of [
    'free',
    'cfree@GLIBC_2.2.5',
    '__GI___libc_free',
    '_int_free',
    '_int_free_merge_chunk',
    '__rust_dealloc',
    'alloc::alloc::dealloc',
    '_rjem_sdallocx',
    'mi_free',
  ])
    assert.equal(frameKind(s), 'free', s);
  for (const s of [
    'memcpy',
    'memmove',
    '__memcpy_avx512_unaligned_erms',
    '__memmove_avx_unaligned_erms',
    '__memmove_evex_unaligned_erms_rtm',
    '__memcpy_sse2_unaligned',
    'memcpy@plt',
    '__memcpy_chk',
  ])
    assert.equal(frameKind(s), 'copy', s);
  for (const s of [
    '__memset_avx512_unaligned_erms',
    'main',
    'ddsplit::main',
    'core::ptr::drop_in_place<alloc::string::String>',
    '<alloc::vec::Vec<T> as core::clone::Clone>::clone',
    'malloc_usable_size_helper',
    'my_malloc_wrapper',
    '<alloc::vec::Vec<u8>>::push',
    '<alloc::raw_vec::RawVec<T> as core::ops::Drop>::drop',
  ])
    assert.equal(frameKind(s), 'other', s);
  assert.equal(isKernelFrame('[kernel.kallsyms]', 'ffffffff8158c7c0'), true);
  assert.equal(isKernelFrame('/usr/lib/x86_64-linux-gnu/libc.so.6', '16db75'), false);
  assert.equal(allocatorOf('_int_malloc', '/usr/lib/x86_64-linux-gnu/libc.so.6'), 'glibc');
  assert.equal(allocatorOf('malloc', '/usr/lib/x86_64-linux-gnu/libc.so.6'), 'glibc');
  assert.equal(allocatorOf('_rjem_mallocx', '/app/target/release/app'), 'jemalloc');
  assert.equal(allocatorOf('mi_malloc', '/app/target/release/app'), 'mimalloc');
  assert.equal(allocatorOf('malloc', '/lib/ld-musl-x86_64.so.1'), 'musl');
  assert.equal(allocatorOf('ddsplit::main', undefined), undefined);
});
