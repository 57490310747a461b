/**
 * Equality of two items as their position-free JSON signatures (`signature` in workspace.ts)
 * would compare them, without building the strings. A fuzzed 50,000-line file (primitives.rs
 * repeated) defines each of its type names thousands of times: comparing every definition with
 * the first through sorted-key JSON cost 1,033 ms of its 4,293 ms index build (load 3); this
 * walk allocates nothing and stops at the first difference.
 */
import type { Attribute, Item } from '../model';

/** Keys the signature leaves out (positions). */
const POSITION_KEYS = new Set([
  'span',
  'nameSpan',
  'signatureSpan',
  'startOffset',
  'endOffset',
  'line',
  'column',
  'endLine',
  'endColumn',
]);

/** What JSON.stringify (with the signature's bigint replacer) writes for a value; `undefined`: left out. */
function norm(v: unknown): unknown {
  switch (typeof v) {
    case 'bigint':
      return String(v);
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      return v;
  }
}

/** A value JSON leaves out of an object (after `norm`). */
const absent = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/**
 * Values equal as their JSON texts (object keys in any order, position keys left out). `for in`
 * rather than `Object.keys`: items are plain literals (no inherited keys) and the key arrays
 * were most of the walk's garbage.
 */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b && typeof a !== 'number') return true;
  a = norm(a);
  b = norm(b);
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  // A `toJSON` (Date) serialises otherwise than its keys; items have none. Unequal is the safe
  // side: two definitions that differ are an undecided alias, never an exact layout.
  if (
    typeof (a as { toJSON?: unknown }).toJSON === 'function' ||
    typeof (b as { toJSON?: unknown }).toJSON === 'function'
  )
    return false;
  const arrA = Array.isArray(a);
  if (arrA !== Array.isArray(b)) return false;
  if (arrA) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      // In an array, a left-out value is written as null.
      const p = x[i];
      const q = y[i];
      if (!jsonEqual(absent(p) ? null : p, absent(q) ? null : q)) return false;
    }
    return true;
  }
  return objectEqual(a as Record<string, unknown>, b as Record<string, unknown>, false);
}

/** Objects equal as JSON; `top`: the item itself, whose cfg and doc attributes do not count. */
function objectEqual(
  x: Record<string, unknown>,
  y: Record<string, unknown>,
  top: boolean,
): boolean {
  let n = 0;
  for (const k in x) {
    if (POSITION_KEYS.has(k) || absent(x[k])) continue;
    n++;
    if (!Object.prototype.hasOwnProperty.call(y, k) || absent(y[k])) return false;
    if (top && k === 'attrs') {
      if (!attrsEqual(x[k] as Attribute[], y[k] as Attribute[])) return false;
    } else if (!jsonEqual(x[k], y[k])) return false;
  }
  let m = 0;
  for (const k in y) if (!POSITION_KEYS.has(k) && !absent(y[k])) m++;
  return n === m;
}

const shaping = (a: Attribute) => a.name !== 'cfg' && a.name !== 'doc';

/** The attribute lists without cfg and doc ones are equal (without building them). */
function attrsEqual(x: Attribute[], y: Attribute[]): boolean {
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < x.length && !shaping(x[i])) i++;
    while (j < y.length && !shaping(y[j])) j++;
    if (i === x.length || j === y.length) return i === x.length && j === y.length;
    if (!jsonEqual(x[i], y[j])) return false;
    i++;
    j++;
  }
}

/**
 * The two definitions have the same shape: spans, docs and cfg attributes aside (what
 * `signature({ ...i, attrs: <without cfg and doc> })` gives equal strings for).
 */
export function sameDefinition(a: Item, b: Item): boolean {
  return objectEqual(
    a as unknown as Record<string, unknown>,
    b as unknown as Record<string, unknown>,
    true,
  );
}
