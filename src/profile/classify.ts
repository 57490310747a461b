/**
 * Frame classification: allocator entry points (alloc / free), copy routines, kernel, library
 * code; and detection of the allocator a binary uses.
 */

/**
 * `rehash`: a hash table growing in place or into a new table (hashbrown's `reserve_rehash`,
 * `rehash_in_place`, `resize`): it hashes keys and moves entries, which is not allocator work,
 * though its `malloc`/`realloc` children are. Counted apart so it neither inflates the allocator
 * share (one real line: 3,236 "alloc" samples instead of 246) nor disappears.
 */
export type FrameKind = 'alloc' | 'free' | 'copy' | 'rehash' | 'other';

export type AllocatorName =
  'glibc' | 'jemalloc' | 'mimalloc' | 'musl' | 'tcmalloc' | 'snmalloc' | 'system' | 'unknown';

// glibc, musl and the generic C names
const C_ALLOC =
  /^(?:__libc_|__GI___libc_|_int_|__)?(?:malloc|calloc|realloc|reallocarray|memalign|aligned_alloc|posix_memalign|valloc|pvalloc)(?:_impl)?$|^(?:sysmalloc|malloc_consolidate|tcache_init|_int_realloc|__libc_malloc_impl|alloc_slot|alloc_group|__malloc_alloc_meta)$/;
const C_FREE =
  /^(?:__libc_|__GI___libc_|_int_|__)?(?:free|cfree)(?:_impl|_merge_chunk|_maybe_consolidate)?$|^(?:_int_free\w*|__free_\w+|unlink_chunk|__libc_free|munmap_chunk)$/;
// glibc's copy routines: __memmove_avx_unaligned_erms, __memcpy_evex_unaligned, memcpy@plt, ...
const COPY =
  /^(?:__)?(?:mem(?:cpy|move)|__memcpy_chk|__memmove_chk|wmemcpy|wmemmove)(?:_[a-z0-9]+)*$/;
// jemalloc (tikv-jemallocator prefixes everything with _rjem_), mimalloc, tcmalloc, snmalloc
const JE_ALLOC =
  /^(?:_rjem_)?(?:je_)?(?:mallocx|rallocx|xallocx|malloc|calloc|realloc|aligned_alloc|posix_memalign|je_malloc_default|imalloc\w*|arena_malloc\w*|tcache_alloc\w*)$/;
const JE_FREE =
  /^(?:_rjem_)?(?:je_)?(?:sdallocx|dallocx|free|free_default|ifree|isfree|arena_dalloc\w*|tcache_dalloc\w*)$/;
const MI_ALLOC =
  /^_?mi_(?:malloc|zalloc|calloc|realloc|rezalloc|recalloc|heap_malloc|heap_zalloc|heap_realloc|malloc_aligned|zalloc_aligned|realloc_aligned|page_malloc|malloc_generic|new)\w*$/;
const MI_FREE = /^_?mi_free\w*$/;
// Rust's allocation shims (rustc >= 1.9x names them `__rustc::__rust_alloc`...; alloc::alloc::alloc
// calls `__rust_no_alloc_shim_is_unstable_v2` first) and the std paths that only allocate
const RUST_ALLOC =
  /^(?:__rustc::)?(?:__rust_alloc|__rust_alloc_zeroed|__rust_realloc|__rdl_alloc|__rdl_alloc_zeroed|__rdl_realloc|__rg_alloc|__rg_alloc_zeroed|__rg_realloc|__rust_alloc_error_handler|__rust_no_alloc_shim_is_unstable(?:_v\d+)?)$|^alloc::alloc::(?:alloc|alloc_zeroed|realloc|exchange_malloc|Global::alloc_impl|Global::grow_impl)|^<alloc::alloc::Global as core::alloc::Allocator>::(?:allocate|allocate_zeroed|grow|grow_zeroed)|^<std::alloc::System as core::alloc::global::GlobalAlloc>::(?:alloc|alloc_zeroed|realloc)|^alloc::raw_vec::(?:finish_grow|RawVec(?:Inner)?(?:<.*>)?::(?:grow_one|grow_amortized|grow_exact|reserve::do_reserve_and_handle|try_allocate_in|allocate_in|with_capacity_in))|^hashbrown::raw::(?:inner::)?RawTable(?:Inner)?(?:<.*>)?::(?:fallible_with_capacity|new_uninitialized)/;
const REHASH =
  /^hashbrown::raw::(?:inner::)?RawTable(?:Inner)?(?:<.*>)?::(?:reserve_rehash|reserve_rehash_inner|rehash_in_place|resize|resize_inner)$/;
const RUST_FREE =
  /^(?:__rustc::)?(?:__rust_dealloc|__rdl_dealloc|__rg_dealloc)$|^alloc::alloc::(?:dealloc|box_free)|^<alloc::alloc::Global as core::alloc::Allocator>::deallocate|^<std::alloc::System as core::alloc::global::GlobalAlloc>::dealloc/;

/** Symbol without a `@GLIBC_2.2.5` / `@plt` version suffix, ThinLTO `.llvm.123` or `.cold`. */
export function bareSymbol(sym: string): string {
  let s = sym;
  const at = s.indexOf('@');
  if (at > 0) s = s.slice(0, at);
  // v0 demangling prints inherent impls as `<alloc::raw_vec::RawVecInner>::grow_one`; legacy as
  // `alloc::raw_vec::RawVecInner::grow_one`. Match both by dropping the brackets of `<Type>::`.
  if (s.startsWith('<')) {
    let depth = 0;
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '<') depth++;
      else if (s[i] === '>' && --depth === 0) {
        if (s.startsWith('::', i + 1) && !s.slice(1, i).includes(' as '))
          s = s.slice(1, i) + s.slice(i + 1);
        break;
      }
    }
  }
  const dot = s.search(/\.(?:llvm\.\d+|cold(?:\.\d+)?|isra\.\d+|part\.\d+|constprop\.\d+)$/);
  if (dot > 0) s = s.slice(0, dot);
  return s;
}

const kindCache = new Map<string, FrameKind>();

/** What a frame with this (demangled) symbol does. Cached: symbols repeat millions of times. */
export function frameKind(sym: string): FrameKind {
  const hit = kindCache.get(sym);
  if (hit !== undefined) return hit;
  const s = bareSymbol(sym);
  let k: FrameKind = 'other';
  if (COPY.test(s)) k = 'copy';
  else if (C_ALLOC.test(s) || JE_ALLOC.test(s) || MI_ALLOC.test(s) || RUST_ALLOC.test(s))
    k = 'alloc';
  else if (C_FREE.test(s) || JE_FREE.test(s) || MI_FREE.test(s) || RUST_FREE.test(s)) k = 'free';
  else if (REHASH.test(s)) k = 'rehash';
  if (kindCache.size > 200_000) kindCache.clear();
  kindCache.set(sym, k);
  return k;
}

/** True for frames of the kernel (`[kernel.kallsyms]`, vmlinux, modules). */
export function isKernelFrame(dso: string | undefined, ip: string | undefined): boolean {
  if (dso !== undefined)
    return (
      dso.startsWith('[kernel') ||
      dso.endsWith('vmlinux') ||
      /\/vmlinux-[^/]*$/.test(dso) ||
      dso.endsWith('.ko') ||
      dso === '[vdso]'
    );
  return ip !== undefined && ip.length === 16 && ip.startsWith('ffff') && ip !== 'ffffffffffffffff';
}

/** Which allocator a symbol/DSO pair belongs to, if it is an allocator frame at all. */
export function allocatorOf(sym: string, dso: string | undefined): AllocatorName | undefined {
  const s = bareSymbol(sym);
  const d = dso ?? '';
  if (
    s.startsWith('_rjem_') ||
    /^je_|^(?:mallocx|sdallocx|rallocx)$/.test(s) ||
    /libjemalloc/.test(d)
  )
    return 'jemalloc';
  if (/^_?mi_/.test(s) || /libmimalloc/.test(d)) return 'mimalloc';
  if (/tcmalloc/.test(s) || /libtcmalloc/.test(d)) return 'tcmalloc';
  if (/^sn_|snmalloc/.test(s)) return 'snmalloc';
  if (
    /^(?:__libc_malloc_impl|alloc_slot|alloc_group|__malloc_alloc_meta)$/.test(s) ||
    /ld-musl|libc\.musl|musl/.test(d)
  ) {
    if (C_ALLOC.test(s) || C_FREE.test(s)) return 'musl';
  }
  if (
    (C_ALLOC.test(s) || C_FREE.test(s)) &&
    (/libc[.-]/.test(d) ||
      /^_int_|^__libc_|^__GI___libc_|^sysmalloc$|^malloc_consolidate$|^unlink_chunk/.test(s))
  )
    return 'glibc';
  if (C_ALLOC.test(s) || C_FREE.test(s))
    return dso === undefined ? 'unknown' : /libc/.test(d) ? 'glibc' : 'unknown';
  return undefined;
}
