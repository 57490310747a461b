/**
 * Layouts of standard-library types on x86_64-unknown-linux-gnu, rustc 1.95 (see
 * shared/notes/research-static.md section 5, and `npm run gen:std-layouts`, which checks the
 * fixed sizes against the installed rustc). Generic types are computed from their arguments with
 * the same algorithm rustc uses for their definitions.
 */
import { enumLayout, univariant } from './abi';
import { combineStatus, fixed, noNiche, unknownLay, type LazyArg, type Lay } from './lay';
import stdFixed = require('./std-fixed.json');

const N1 = (offset = 0, bytes = 8) => ({ offset, bytes, available: 1n });
const CAP = { offset: 0, bytes: 8, available: 1n << 63n };

/**
 * Fixed-size std types: [size, align, niche?], keyed by canonical `std::` path. The numbers live
 * in std-fixed.json, regenerated from the installed toolchain by `npm run gen:std-layouts`.
 */
export const FIXED: Record<string, [number, number, Lay['niche']?]> = Object.fromEntries(
  (
    stdFixed as {
      types: {
        path: string;
        size: number;
        align: number;
        niche?: { offset: number; bytes: number; available: string };
      }[];
    }
  ).types.map(t => [
    t.path,
    [
      t.size,
      t.align,
      t.niche
        ? { offset: t.niche.offset, bytes: t.niche.bytes, available: BigInt(t.niche.available) }
        : undefined,
    ],
  ]),
);

/** Generic std types computed from their arguments in `stdLayout`. */
const GENERIC_PATHS = [
  'std::option::Option',
  'std::result::Result',
  'std::io::Result',
  'std::fmt::Result',
  'std::thread::Result',
  'std::task::Poll',
  'std::ops::ControlFlow',
  'std::borrow::Cow',
  'std::marker::PhantomData',
  'std::mem::ManuallyDrop',
  'std::pin::Pin',
  'std::num::Wrapping',
  'std::num::Saturating',
  'std::cmp::Reverse',
  'std::panic::AssertUnwindSafe',
  'std::mem::Discriminant',
  'std::num::NonZero',
  'std::mem::MaybeUninit',
  'std::cell::Cell',
  'std::cell::UnsafeCell',
  'std::cell::SyncUnsafeCell',
  'std::cell::RefCell',
  'std::cell::OnceCell',
  'std::sync::Mutex',
  'std::sync::RwLock',
  'std::sync::OnceLock',
  'std::sync::LazyLock',
  'std::cell::LazyCell',
  'std::collections::HashMap',
  'std::collections::HashSet',
  'std::hash::BuildHasherDefault',
  'std::ops::Range',
  'std::ops::RangeInclusive',
  'std::ops::RangeFrom',
  'std::ops::RangeTo',
  'std::ops::RangeToInclusive',
  'std::ops::RangeFull',
  'std::convert::Infallible',
  'std::boxed::Box',
  'std::rc::Rc',
  'std::sync::Arc',
  'std::rc::Weak',
  'std::sync::Weak',
  'std::ptr::NonNull',
  'std::ptr::Unique',
  // Iterator adapters and other generic wrappers (fields as in library/core, rustc 1.95).
  'std::option::IntoIter',
  'std::iter::Once',
  'std::iter::Repeat',
  'std::iter::Empty',
  'std::iter::Map',
  'std::iter::Filter',
  'std::iter::FilterMap',
  'std::iter::Inspect',
  'std::iter::MapWhile',
  'std::iter::Cloned',
  'std::iter::Copied',
  'std::iter::Rev',
  'std::iter::Enumerate',
  'std::iter::Take',
  'std::iter::Skip',
  'std::iter::StepBy',
  'std::iter::TakeWhile',
  'std::iter::SkipWhile',
  'std::iter::Fuse',
  'std::iter::Chain',
  'std::iter::Zip',
  'std::iter::Cycle',
  'std::iter::Flatten',
  'std::collections::btree_map::Entry',
  'std::collections::btree_map::VacantEntry',
  'std::collections::btree_map::OccupiedEntry',
  'std::collections::hash_map::Entry',
  'std::collections::hash_map::VacantEntry',
  'std::collections::hash_map::OccupiedEntry',
  'std::io::BufReader',
  'std::io::BufWriter',
  'std::io::LineWriter',
  'std::io::Cursor',
  'std::io::Take',
  'std::io::Chain',
  'std::sync::mpsc::SendError',
  'std::sync::mpsc::TrySendError',
  'std::sync::PoisonError',
  'std::sync::TryLockError',
  'std::ops::Bound',
];

/** Types that are dynamically sized like `str`. */
export const UNSIZED_STD = new Set(['std::path::Path', 'std::ffi::OsStr', 'std::ffi::CStr']);
/** std types declared `<T: ?Sized>` whose last field holds a T: as unsized as their argument. */
export const UNSIZED_WRAPPERS = new Set([
  'std::mem::ManuallyDrop',
  'std::cell::Cell',
  'std::cell::UnsafeCell',
  'std::cell::SyncUnsafeCell',
  'std::cell::RefCell',
  'std::sync::Mutex',
  'std::sync::RwLock',
]);
/** Table types declared `<'a, T: ?Sized>` that point at their T (sizes in the table are for a sized T). */
const GUARDS = new Set([
  'std::sync::MutexGuard',
  'std::sync::RwLockReadGuard',
  'std::sync::RwLockWriteGuard',
  'std::cell::Ref',
  'std::cell::RefMut',
]);
const KNOWN = new Set([...GENERIC_PATHS, ...UNSIZED_STD]);

/** Whether `path` (canonical) is a std type the table knows; the resolver uses it for `use std::x::*`. */
export function isStdTablePath(path: string): boolean {
  return path in FIXED || KNOWN.has(path);
}

let MODULES: Set<string> | undefined;
/** Whether `path` (canonical) is a std module holding a type of the table (`std::num`, `std::sync::mpsc`). */
export function isStdTableModule(path: string): boolean {
  if (!MODULES) {
    MODULES = new Set();
    for (const p of [...Object.keys(FIXED), ...KNOWN]) {
      const segs = p.split('::');
      for (let i = 1; i < segs.length; i++) MODULES.add(segs.slice(0, i).join('::'));
    }
  }
  return MODULES.has(path);
}

const PTR_ALIASES = new Set([
  'std::boxed::Box',
  'std::rc::Rc',
  'std::sync::Arc',
  'std::rc::Weak',
  'std::sync::Weak',
  'std::ptr::NonNull',
  'std::ptr::Unique',
]);

function withText(l: Lay, text: string): Lay {
  return { ...l, text, key: text };
}

export function structOf(text: string, parts: Lay[]): Lay {
  const st = univariant(parts, { inhibitReorder: false }, { kind: 'always' });
  return {
    text,
    key: text,
    size: st.size,
    align: st.align,
    niche: st.niche,
    uninhabited: st.uninhabited,
    ...combineStatus(parts),
  };
}

export function enumOf(text: string, variants: Lay[][]): Lay {
  const e = enumLayout(
    variants,
    variants.map((_, i) => BigInt(i)),
    { c: false },
    false,
  );
  return {
    text,
    key: text,
    size: e.size,
    align: e.align,
    niche: e.niche,
    uninhabited: e.uninhabited,
    ...combineStatus(variants.flat()),
  };
}

/** A (thin or fat) non-null pointer to `pointee`. */
export function pointerTo(text: string, pointee: LazyArg | undefined, nonNull: boolean): Lay {
  const u = pointee ? pointee.unsized() : false;
  const size = u ? 16 : 8;
  // A raw pointer may be null, but the vtable pointer of `*const dyn Trait` may not: a niche.
  const tail = u && !nonNull ? pointee!.tail?.() : undefined;
  const l = fixed(text, size, 8, nonNull ? N1() : tail === 'dyn' ? N1(8) : undefined);
  if (u === undefined)
    return { ...l, status: 'lower-bound', unknownParts: [`${pointee!.text} (may be unsized)`] };
  if (u && !nonNull && !tail)
    return {
      ...l,
      status: 'lower-bound',
      unknownParts: [`${pointee!.text} (unsized, metadata unknown)`],
    };
  return l;
}

const U32: Lay = fixed('u32', 4, 4);
const BOOL: Lay = fixed('bool', 1, 1, { offset: 0, bytes: 1, available: 254n });
const I64 = fixed('isize', 8, 8);
const USIZE = fixed('usize', 8, 8);
const U64 = fixed('u64', 8, 8);
const NONNULL = fixed('NonNull', 8, 8, N1());
/** btree's `Handle { node: NodeRef { height: usize, node: NonNull }, idx: usize }`. */
const BTREE_HANDLE = structOf('Handle', [structOf('NodeRef', [USIZE, NONNULL]), USIZE]);

/**
 * Layout of a std type by canonical path with lazily evaluated generic arguments; undefined
 * when the type is not in the table.
 */
export function stdLayout(path: string, args: LazyArg[], text: string): Lay | undefined {
  const f = FIXED[path];
  if (f) {
    const l = fixed(text, f[0], f[1], f[2]);
    // `MutexGuard<'_, dyn Trait>` holds a fat pointer: the table's size is for a sized argument.
    if (GUARDS.has(path) && args[0] && args[0].unsized() !== false)
      return { ...l, status: 'lower-bound', unknownParts: [`${args[0].text} (may be unsized)`] };
    return l;
  }
  const a = (i: number): Lay =>
    args[i] ? args[i].lay() : unknownLay(`${text} (missing generic argument)`);
  switch (path) {
    case 'std::option::Option':
      return enumOf(text, [[], [a(0)]]);
    case 'std::result::Result':
      return enumOf(text, [[a(0)], [a(1)]]);
    case 'std::io::Result':
      return enumOf(text, [[a(0)], [fixed('std::io::Error', 8, 8, N1())]]);
    case 'std::fmt::Result':
      return enumOf(text, [[fixed('()', 0, 1)], [fixed('std::fmt::Error', 0, 1)]]);
    case 'std::thread::Result':
      return enumOf(text, [[a(0)], [fixed('Box<dyn Any + Send>', 16, 8, N1())]]);
    case 'std::task::Poll':
      return enumOf(text, [[a(0)], []]);
    case 'std::ops::ControlFlow':
      return enumOf(text, [[a(1)], [a(0)]]);
    case 'std::borrow::Cow': {
      const b = args[0];
      if (!b) return unknownLay(text);
      const borrowed = pointerTo(`&${b.text}`, b, true);
      const owned =
        b.text === 'str'
          ? fixed('String', 24, 8, CAP)
          : /^\[.*\]$/.test(b.text)
            ? fixed('Vec', 24, 8, CAP)
            : b.text === 'Path' || b.text === 'std::path::Path'
              ? fixed('PathBuf', 24, 8, CAP)
              : b.text === 'OsStr'
                ? fixed('OsString', 24, 8, CAP)
                : b.text === 'CStr'
                  ? fixed('CString', 16, 8, N1())
                  : b.lay();
      return enumOf(text, [[borrowed], [owned]]);
    }
    case 'std::marker::PhantomData':
      return fixed(text, 0, 1);
    case 'std::mem::ManuallyDrop':
    case 'std::pin::Pin':
    case 'std::num::Wrapping':
    case 'std::num::Saturating':
    case 'std::cmp::Reverse':
    case 'std::panic::AssertUnwindSafe':
    case 'std::mem::Discriminant':
      return withText(a(0), text);
    case 'std::num::NonZero': {
      const inner = a(0);
      return { ...inner, text, key: text, niche: { offset: 0, bytes: inner.size, available: 1n } };
    }
    case 'std::mem::MaybeUninit':
    case 'std::cell::Cell':
    case 'std::cell::UnsafeCell':
    case 'std::cell::SyncUnsafeCell':
      return withText(noNiche(a(0)), text);
    case 'std::cell::RefCell':
      return structOf(text, [I64, noNiche(a(0))]);
    case 'std::cell::OnceCell':
      return withText(noNiche(enumOf(text, [[], [a(0)]])), text);
    case 'std::sync::Mutex':
      return structOf(text, [U32, { ...BOOL, niche: undefined }, noNiche(a(0))]);
    case 'std::sync::RwLock':
      return structOf(text, [fixed('futex', 8, 4), { ...BOOL, niche: undefined }, noNiche(a(0))]);
    case 'std::sync::OnceLock':
      return structOf(text, [U32, noNiche(a(0))]);
    case 'std::sync::LazyLock':
    case 'std::cell::LazyCell': {
      const v = a(0);
      const data = {
        ...v,
        size: Math.max(v.size, 8),
        align: Math.max(v.align, 8),
        niche: undefined,
      };
      return path === 'std::sync::LazyLock'
        ? structOf(text, [U32, data])
        : withText(noNiche(enumOf(text, [[data], [], []])), text);
    }
    case 'std::collections::HashMap':
    case 'std::collections::HashSet': {
      const hasherIdx = path.endsWith('HashMap') ? 2 : 1;
      const hasher = args[hasherIdx] ? args[hasherIdx].lay() : fixed('RandomState', 16, 8);
      return structOf(text, [hasher, fixed('RawTable', 32, 8, N1())]);
    }
    case 'std::hash::BuildHasherDefault':
      return fixed(text, 0, 1);
    case 'std::ops::Range':
      return structOf(text, [a(0), a(0)]);
    case 'std::ops::RangeInclusive':
      return structOf(text, [a(0), a(0), BOOL]);
    case 'std::ops::RangeFrom':
    case 'std::ops::RangeTo':
    case 'std::ops::RangeToInclusive':
      return withText(a(0), text);
    case 'std::ops::RangeFull':
      return fixed(text, 0, 1);
    case 'std::convert::Infallible':
      return { ...fixed(text, 0, 1), uninhabited: true };
    // `Option<T>`'s and `Once<T>`'s iterators hold an `Option<T>`; `Repeat<T>` a `T`.
    case 'std::option::IntoIter':
    case 'std::iter::Once':
      return withText(enumOf(text, [[], [a(0)]]), text);
    case 'std::iter::Repeat':
    case 'std::iter::Cloned':
    case 'std::iter::Copied':
    case 'std::iter::Rev':
    case 'std::sync::mpsc::SendError':
    case 'std::sync::PoisonError':
      return withText(a(0), text);
    case 'std::iter::Empty':
      return fixed(text, 0, 1);
    // `{ iter: I, f: F }` (F is a fn pointer or a named type: closures have no name to write).
    case 'std::iter::Map':
    case 'std::iter::Filter':
    case 'std::iter::FilterMap':
    case 'std::iter::Inspect':
    case 'std::iter::MapWhile':
      return structOf(text, [a(0), a(1)]);
    case 'std::iter::TakeWhile':
    case 'std::iter::SkipWhile':
      return structOf(text, [a(0), BOOL, a(1)]);
    case 'std::iter::Enumerate':
    case 'std::iter::Take':
    case 'std::iter::Skip':
      return structOf(text, [a(0), USIZE]);
    case 'std::iter::StepBy':
      return structOf(text, [a(0), USIZE, BOOL]);
    case 'std::iter::Fuse':
      return withText(enumOf(text, [[], [a(0)]]), text);
    case 'std::iter::Chain':
      return structOf(text, [enumOf('Option', [[], [a(0)]]), enumOf('Option', [[], [a(1)]])]);
    case 'std::iter::Zip':
      return structOf(text, [a(0), a(1), USIZE, USIZE]);
    case 'std::iter::Cycle':
      return structOf(text, [a(0), a(0)]);
    // btree_map: `VacantEntry { key: K, handle: Option<Handle>, dormant_map, alloc }`,
    // `OccupiedEntry { handle: Handle<NodeRef, KV>, dormant_map, alloc }`.
    case 'std::collections::btree_map::VacantEntry':
      return structOf(text, [a(0), enumOf('Option<Handle>', [[], [BTREE_HANDLE]]), NONNULL]);
    case 'std::collections::btree_map::OccupiedEntry':
      return structOf(text, [BTREE_HANDLE, NONNULL]);
    case 'std::collections::btree_map::Entry':
      return enumOf(text, [
        [structOf('VacantEntry', [a(0), enumOf('Option<Handle>', [[], [BTREE_HANDLE]]), NONNULL])],
        [structOf('OccupiedEntry', [BTREE_HANDLE, NONNULL])],
      ]);
    // hash_map (hashbrown's rustc entries): `VacantEntry { hash: u64, key: K, table: &mut }`,
    // `OccupiedEntry { elem: Bucket, table: &mut }`.
    case 'std::collections::hash_map::VacantEntry':
      return structOf(text, [U64, a(0), NONNULL]);
    case 'std::collections::hash_map::OccupiedEntry':
      return structOf(text, [NONNULL, NONNULL]);
    case 'std::collections::hash_map::Entry':
      return enumOf(text, [
        [structOf('OccupiedEntry', [NONNULL, NONNULL])],
        [structOf('VacantEntry', [U64, a(0), NONNULL])],
      ]);
    // `BufReader { buf: Buffer { buf: Box<[MaybeUninit<u8>]>, pos, filled, initialized }, inner: R }`.
    case 'std::io::BufReader':
      return structOf(text, [
        structOf('Buffer', [fixed('Box<[u8]>', 16, 8, N1()), USIZE, USIZE, USIZE]),
        a(0),
      ]);
    // `BufWriter { buf: Vec<u8>, panicked: bool, inner: W }`; `LineWriter { inner: BufWriter<W> }`.
    case 'std::io::BufWriter':
    case 'std::io::LineWriter':
      return withText(structOf(text, [fixed('Vec<u8>', 24, 8, CAP), BOOL, a(0)]), text);
    case 'std::io::Cursor':
      return structOf(text, [a(0), U64]);
    // `Take { inner: T, len: u64, limit: u64 }`.
    case 'std::io::Take':
      return structOf(text, [a(0), U64, U64]);
    case 'std::io::Chain':
      return structOf(text, [a(0), a(1), BOOL]);
    case 'std::sync::mpsc::TrySendError':
      return enumOf(text, [[a(0)], [a(0)]]);
    case 'std::sync::TryLockError':
      return enumOf(text, [[a(0)], []]);
    case 'std::ops::Bound':
      return enumOf(text, [[a(0)], [a(0)], []]);
    default:
      if (PTR_ALIASES.has(path)) return pointerTo(text, args[0], true);
      if (path === 'std::sync::atomic::AtomicPtr') return fixed(text, 8, 8);
      return undefined;
  }
}
