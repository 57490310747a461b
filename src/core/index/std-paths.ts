/**
 * Names the standard library makes visible, and normalisation of std paths to one canonical
 * `std::` path per type (the path the layout table is keyed by).
 */

export const PRIMITIVES = new Set([
  'bool',
  'char',
  'str',
  'u8',
  'u16',
  'u32',
  'u64',
  'u128',
  'usize',
  'i8',
  'i16',
  'i32',
  'i64',
  'i128',
  'isize',
  'f16',
  'f32',
  'f64',
  'f128',
]);

/** The std prelude (edition 2021): name -> canonical path. Traits are marked with a `trait:` value. */
export const PRELUDE: Record<string, string> = {
  Option: 'std::option::Option',
  Result: 'std::result::Result',
  Vec: 'std::vec::Vec',
  String: 'std::string::String',
  Box: 'std::boxed::Box',
  Copy: 'trait:std::marker::Copy',
  Clone: 'trait:std::clone::Clone',
  Send: 'trait:std::marker::Send',
  Sync: 'trait:std::marker::Sync',
  Sized: 'trait:std::marker::Sized',
  Unpin: 'trait:std::marker::Unpin',
  Drop: 'trait:std::ops::Drop',
  Fn: 'trait:std::ops::Fn',
  FnMut: 'trait:std::ops::FnMut',
  FnOnce: 'trait:std::ops::FnOnce',
  Default: 'trait:std::default::Default',
  Iterator: 'trait:std::iter::Iterator',
  IntoIterator: 'trait:std::iter::IntoIterator',
  ToString: 'trait:std::string::ToString',
  ToOwned: 'trait:std::borrow::ToOwned',
  From: 'trait:std::convert::From',
  Into: 'trait:std::convert::Into',
  TryFrom: 'trait:std::convert::TryFrom',
  TryInto: 'trait:std::convert::TryInto',
  AsRef: 'trait:std::convert::AsRef',
  AsMut: 'trait:std::convert::AsMut',
  PartialEq: 'trait:std::cmp::PartialEq',
  Eq: 'trait:std::cmp::Eq',
  PartialOrd: 'trait:std::cmp::PartialOrd',
  Ord: 'trait:std::cmp::Ord',
  Extend: 'trait:std::iter::Extend',
  FromIterator: 'trait:std::iter::FromIterator',
  DoubleEndedIterator: 'trait:std::iter::DoubleEndedIterator',
  ExactSizeIterator: 'trait:std::iter::ExactSizeIterator',
};

/**
 * Alternative paths of std types (re-exports, `core`/`alloc` modules) -> canonical path.
 * Keys and values are written without the crate root; `core::`/`alloc::` are rewritten to `std::`
 * before lookup.
 */
const ALIASES: Record<string, string> = {
  'std::collections::hash_map::HashMap': 'std::collections::HashMap',
  'std::collections::hash_set::HashSet': 'std::collections::HashSet',
  'std::collections::btree_map::BTreeMap': 'std::collections::BTreeMap',
  'std::collections::btree_set::BTreeSet': 'std::collections::BTreeSet',
  'std::collections::vec_deque::VecDeque': 'std::collections::VecDeque',
  'std::collections::binary_heap::BinaryHeap': 'std::collections::BinaryHeap',
  'std::collections::linked_list::LinkedList': 'std::collections::LinkedList',
  'std::collections::hash_map::RandomState': 'std::hash::RandomState',
  'std::collections::hash_map::DefaultHasher': 'std::hash::DefaultHasher',
  'std::sync::mpsc::Sender': 'std::sync::mpsc::Sender',
  'std::sync::Weak': 'std::sync::Weak',
  'std::rc::Weak': 'std::rc::Weak',
  'std::ffi::c_str::CString': 'std::ffi::CString',
  'std::ffi::c_str::CStr': 'std::ffi::CStr',
  'std::ffi::os_str::OsString': 'std::ffi::OsString',
  'std::ffi::os_str::OsStr': 'std::ffi::OsStr',
  'std::task::Poll': 'std::task::Poll',
  'std::mem::ManuallyDrop': 'std::mem::ManuallyDrop',
  'std::mem::MaybeUninit': 'std::mem::MaybeUninit',
  'std::str::Utf8Error': 'std::str::Utf8Error',
  'std::num::NonZero': 'std::num::NonZero',
  'std::io::error::Error': 'std::io::Error',
  'std::string::FromUtf8Error': 'std::string::FromUtf8Error',
  'std::vec::IntoIter': 'std::vec::IntoIter',
  'std::ops::range::Range': 'std::ops::Range',
  'std::net::ip_addr::IpAddr': 'std::net::IpAddr',
  'std::cell::once::OnceCell': 'std::cell::OnceCell',
  'std::sync::once_lock::OnceLock': 'std::sync::OnceLock',
  'std::sync::atomic::Ordering': 'std::sync::atomic::Ordering',
  'std::sync::nonpoison::Mutex': 'std::sync::Mutex',
  'std::alloc::layout::Layout': 'std::alloc::Layout',
  'std::ptr::non_null::NonNull': 'std::ptr::NonNull',
  'std::boxed::ThinBox': 'std::boxed::ThinBox',
  'std::os::unix::io::RawFd': 'std::os::fd::RawFd',
  'std::os::unix::prelude::RawFd': 'std::os::fd::RawFd',
  'std::os::fd::raw::RawFd': 'std::os::fd::RawFd',
  'std::os::unix::io::OwnedFd': 'std::os::fd::OwnedFd',
  'std::os::unix::io::BorrowedFd': 'std::os::fd::BorrowedFd',
};

const STD_ROOTS = new Set(['std', 'core', 'alloc']);

/**
 * Crates of the sysroot whose types the std table holds: std/core/alloc, and `proc_macro`
 * (proc-macro2 wraps its `Span`, `Ident`, ...), whose paths stay `proc_macro::..`.
 */
export function isStdRoot(name: string): boolean {
  return STD_ROOTS.has(name) || name === 'proc_macro';
}

/** `core::num::NonZeroU32` -> `std::num::NonZeroU32`; `alloc::collections::...` likewise. */
export function canonicalStdPath(segments: string[]): string {
  const s = [...segments];
  if (STD_ROOTS.has(s[0])) s[0] = 'std';
  const joined = s.join('::');
  return ALIASES[joined] ?? joined;
}
