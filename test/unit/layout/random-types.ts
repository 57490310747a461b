/**
 * A seeded generator of nested Rust type definitions for differential testing against rustc:
 * structs (with reprs), tuples, enums (payloads, reprs, discriminants), unions, arrays,
 * Option/Result, std types and generic instantiations.
 */

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const LEAVES = [
  'u8',
  'i8',
  'u16',
  'i16',
  'u32',
  'i32',
  'u64',
  'i64',
  'u128',
  'i128',
  'usize',
  'isize',
  'f32',
  'f64',
  'bool',
  'char',
  '()',
  'String',
  'Vec<u8>',
  'Vec<u64>',
  'Box<u8>',
  'Box<str>',
  'Box<[u16]>',
  'Rc<u32>',
  'Rc<str>',
  'Arc<String>',
  "&'static str",
  "&'static [u8]",
  "&'static u8",
  '*const u8',
  '*mut [u8]',
  'fn(u8) -> u8',
  'NonZeroU8',
  'NonZeroU16',
  'NonZeroU32',
  'NonZeroU64',
  'Duration',
  'Cell<u16>',
  'RefCell<u32>',
  'std::io::Error',
  'HashMap<u8, u8>',
  'Option<bool>',
  'std::cmp::Ordering',
  'PhantomData<u64>',
  'ManuallyDrop<u16>',
  'Mutex<u8>',
  'Infallible',
  'Box<dyn std::fmt::Debug>',
  'Option<Box<u8>>',
  "Cow<'static, str>",
  'Instant',
  'VecDeque<u8>',
  'BTreeMap<u8, u8>',
  // Fat pointers (issue #11): raw pointers to slices, str and trait objects, unsized wrappers.
  '*const [u32]',
  '*mut str',
  '*const dyn std::fmt::Debug',
  'Box<Mutex<dyn std::fmt::Debug>>',
  "&'static Mutex<[u8]>",
  'Option<*const [u8]>',
  "std::slice::Iter<'static, u32>",
  "std::sync::MutexGuard<'static, u8>",
  'std::task::Waker',
  'std::net::TcpStream',
];
/** Array lengths: literals, and `size_of`/`align_of` calls (issue #11). */
const LENGTHS = [
  '0',
  '1',
  '2',
  '3',
  'size_of::<u16>()',
  'std::mem::size_of::<u32>()',
  'core::mem::align_of::<u64>()',
  'size_of::<(u8, u32)>() / 4',
  'size_of::<NonZeroU8>()',
];
const COPY_LEAVES = [
  'u8',
  'i8',
  'u16',
  'u32',
  'u64',
  'u128',
  'f32',
  'f64',
  'bool',
  'char',
  '[u8; 3]',
  '[u16; 5]',
  '(u8, u32)',
];

export const PRELUDE = `use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::num::{NonZeroU8, NonZeroU16, NonZeroU32, NonZeroU64};
use std::time::{Duration, Instant};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque, BTreeMap};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::convert::Infallible;
use std::borrow::Cow;
use std::mem::size_of;
`;

export interface Generated {
  source: string;
  names: string[];
}

export function generateTypes(seed: number, count: number): Generated {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const defined: string[] = [];
  const generics: string[] = [];
  const out: string[] = [PRELUDE];
  // Types that (transitively) have repr(align): a packed struct may not contain them.
  const aligned = new Set<string>();
  let forPacked = false;
  const ty = (depth: number): string => {
    const x = r();
    if (depth > 2 || x < 0.35) return pick(LEAVES);
    if (x < 0.5 && defined.length > 0) {
      const choices = defined.slice(-40).filter(d => !forPacked || !aligned.has(d));
      if (choices.length > 0) return pick(choices);
      return pick(LEAVES);
    }
    if (x < 0.58) return `[${ty(depth + 1)}; ${pick(LENGTHS)}]`;
    if (x < 0.68) {
      const n = Math.floor(r() * 4);
      const elems = Array.from({ length: n }, () => ty(depth + 1));
      return n === 1 ? `(${elems[0]},)` : `(${elems.join(', ')})`;
    }
    if (x < 0.8) return `Option<${ty(depth + 1)}>`;
    if (x < 0.88) return `Result<${ty(depth + 1)}, ${ty(depth + 1)}>`;
    if (x < 0.93) return `Box<${ty(depth + 1)}>`;
    if (generics.length > 0 && !forPacked)
      return `${pick(generics)}<${ty(depth + 1)}, ${ty(depth + 1)}>`;
    return pick(LEAVES);
  };
  for (let i = 0; i < count; i++) {
    const name = `T${i}`;
    const kind = r();
    if (kind < 0.3) {
      const reprs = [
        '',
        '',
        '',
        '',
        '',
        '',
        '#[repr(C)] ',
        '#[repr(packed)] ',
        '#[repr(packed(2))] ',
        '#[repr(align(8))] ',
        '#[repr(align(32))] ',
        '#[repr(C, align(16))] ',
      ];
      const n = Math.floor(r() * 6);
      const repr = pick(reprs);
      forPacked = repr.includes('packed');
      const fields = Array.from({ length: n }, (_, j) => `f${j}: ${ty(0)}`);
      forPacked = false;
      out.push(`${repr}struct ${name} { ${fields.join(', ')} }`);
    } else if (kind < 0.62) {
      const reprs = [
        '',
        '',
        '',
        '',
        '',
        '',
        '#[repr(u8)] ',
        '#[repr(i32)] ',
        '#[repr(C)] ',
        '#[repr(C, u8)] ',
        '#[repr(u16)] ',
        '#[repr(align(8))] ',
      ];
      const n = 1 + Math.floor(r() * 5);
      const fieldless = r() < 0.2;
      // Discriminants increase strictly so they never collide; the first may be negative.
      let next = r() < 0.2 ? -Math.floor(r() * 150) : 0;
      const variants = Array.from({ length: n }, (_, j) => {
        if (fieldless) {
          const explicit = j === 0 ? next !== 0 || r() < 0.3 : r() < 0.3;
          if (explicit && j > 0) next += Math.floor(r() * 60);
          const v = explicit ? `V${j} = ${next}` : `V${j}`;
          next++;
          return v;
        }
        const m = Math.floor(r() * 4);
        if (m === 0) return `V${j}`;
        if (r() < 0.5) return `V${j}(${Array.from({ length: m }, () => ty(1)).join(', ')})`;
        return `V${j} { ${Array.from({ length: m }, (_, k) => `g${k}: ${ty(1)}`).join(', ')} }`;
      });
      const maxDiscr = next - 1;
      const minDiscr = variants.some(v => v.includes('= -')) ? -150 : 0;
      let repr = pick(reprs);
      const hasFields = variants.some(v => v.includes('(') || v.includes('{'));
      if (repr.includes('C, u8') && !hasFields) repr = '#[repr(C)] ';
      if (minDiscr < 0 && /u8|u16/.test(repr)) repr = '#[repr(i16)] ';
      if (maxDiscr > 255 && repr.includes('u8')) repr = '';
      out.push(`${repr}enum ${name} { ${variants.join(', ')} }`);
    } else if (kind < 0.68) {
      const n = 1 + Math.floor(r() * 3);
      out.push(
        `${r() < 0.2 ? '#[repr(C)] ' : ''}union ${name} { ${Array.from({ length: n }, (_, j) => `u${j}: ${pick(COPY_LEAVES)}`).join(', ')} }`,
      );
    } else if (kind < 0.72) {
      const g = `G${i}`;
      out.push(`struct ${g}<A, B> { a: A, b: Option<B>, c: u8 }`);
      generics.push(g);
      out.push(`type ${name} = ${g}<${ty(1)}, ${ty(1)}>;`);
    } else {
      out.push(`type ${name} = ${ty(0)};`);
    }
    const def = out[out.length - 1];
    if (
      def.includes('align(') ||
      [...aligned].some(a => new RegExp(`\\b${a}\\b`).test(def)) ||
      /\bG\d+</.test(def)
    )
      aligned.add(name);
    defined.push(name);
  }
  return { source: out.join('\n') + '\n', names: defined };
}
