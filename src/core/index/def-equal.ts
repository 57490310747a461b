/**
 * Equality of two items as their position-free JSON signatures (`signature` in workspace.ts)
 * would compare them, without building the strings. A fuzzed 50,000-line file (primitives.rs
 * repeated) defines each of its type names thousands of times: comparing every definition with
 * the first through sorted-key JSON cost 1,033 ms of its 4,293 ms index build (load 3); this
 * walk allocates nothing and stops at the first difference.
 */
import type { Item } from '../model';

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

/** Values equal as their JSON texts (object keys in any order, position keys left out). */
function jsonEqual(a: unknown, b: unknown): boolean {
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
      const p = norm(x[i]);
      const q = norm(y[i]);
      if (!jsonEqual(p === undefined ? null : p, q === undefined ? null : q)) return false;
    }
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k of Object.keys(x)) {
    if (POSITION_KEYS.has(k) || norm(x[k]) === undefined) continue;
    n++;
    if (!Object.prototype.hasOwnProperty.call(y, k) || norm(y[k]) === undefined) return false;
    if (!jsonEqual(x[k], y[k])) return false;
  }
  let m = 0;
  for (const k of Object.keys(y)) if (!POSITION_KEYS.has(k) && norm(y[k]) !== undefined) m++;
  return n === m;
}

const shapeAttrs = (i: Item) => i.attrs.filter(x => x.name !== 'cfg' && x.name !== 'doc');

/**
 * The two definitions have the same shape: spans, docs and cfg attributes aside (what
 * `signature({ ...i, attrs: <without cfg and doc> })` gives equal strings for).
 */
export function sameDefinition(a: Item, b: Item): boolean {
  return jsonEqual({ ...a, attrs: shapeAttrs(a) }, { ...b, attrs: shapeAttrs(b) });
}
