/**
 * Rust symbol demangling for profiles: legacy (`_ZN...E`) and v0 (`_R...`) symbols become
 * hash-free names (rustc-demangle's `{:#}` form), and names another demangler left half-done
 * (`Vec$LT$T$GT$::push::h0123456789abcdef`) are repaired. Never throws: input that is not a
 * valid Rust symbol comes back unchanged. No dependencies, no `vscode` import.
 */
import { demangleV0 } from './demangle-v0';
import { isSymbolSuffix } from './demangle-v0-lex';

/** Symbols longer than this are shown as they are, not demangled. */
export const MAX_SYMBOL = 64 * 1024;

/**
 * The demangled, hash-free name of a Rust symbol (`_ZN`/`ZN`/`__ZN` legacy, `_R`/`R`/`__R` v0;
 * a `.llvm.1234` or other `.suffix` is accepted and dropped, as c++filt does); any other name
 * goes through {@link fixPartiallyDemangled}.
 */
export function demangle(sym: string): string {
  // Real symbols stay under a few KB (the longest in a tokio binary: 3.9 KB); longer text is not
  // a symbol worth the work, and the v0 grammar recurses.
  if (sym.length > MAX_SYMBOL) return sym;
  const c = sym.charCodeAt(0);
  if (c === 95 /* _ */ || c === 90 /* Z */ || c === 82 /* R */) {
    const r = demangleRust(sym);
    if (r !== undefined) return r;
    // An invalid (e.g. truncated) mangled name stays as it is; a bare `R...` is too common a start.
    if (/^(?:_{0,2}ZN|_{1,2}R)/.test(sym)) return sym;
  }
  return fixPartiallyDemangled(sym);
}

/** The demangled name when `sym` is a valid mangled Rust symbol, else undefined. */
export function demangleRust(sym: string): string | undefined {
  if (sym.startsWith('_ZN')) return demangleLegacy(sym, 3);
  if (sym.startsWith('ZN')) return demangleLegacy(sym, 2);
  if (sym.startsWith('__ZN')) return demangleLegacy(sym, 4);
  if (sym.startsWith('_R')) return sym.length > 2 ? demangleV0(sym.slice(2)) : undefined;
  if (sym.startsWith('R')) return sym.length > 1 ? demangleV0(sym.slice(1)) : undefined;
  if (sym.startsWith('__R')) return sym.length > 3 ? demangleV0(sym.slice(3)) : undefined;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Legacy mangling: `_ZN` (<decimal length><element>)+ `E`, the last element usually `h<16 hex>`.

function demangleLegacy(sym: string, start: number): string | undefined {
  const n = sym.length;
  const elements: string[] = [];
  let i = start;
  for (;;) {
    if (i >= n) return undefined;
    let c = sym.charCodeAt(i);
    if (c === 69 /* E */) break;
    if (c < 48 || c > 57) return undefined;
    let len = 0;
    while (c >= 48 && c <= 57) {
      len = len * 10 + (c - 48);
      if (len > n) return undefined;
      c = sym.charCodeAt(++i);
    }
    if (i + len > n) return undefined;
    const el = sym.slice(i, i + len);
    for (let k = 0; k < len; k++) if (el.charCodeAt(k) >= 128) return undefined;
    elements.push(el);
    i += len;
  }
  if (elements.length === 0) return undefined;
  if (i + 1 < n && !isSymbolSuffix(sym.slice(i + 1))) return undefined;
  let count = elements.length;
  if (count > 1 && isLegacyHash(elements[count - 1])) count--;
  let out = '';
  for (let k = 0; k < count; k++) {
    if (k > 0) out += '::';
    out += unescapeElement(elements[k], false) ?? elements[k];
  }
  return out;
}

/** `h` + 16 lowercase hex digits. */
function isLegacyHash(s: string, from = 0): boolean {
  if (s.length - from !== 17 || s.charCodeAt(from) !== 104 /* h */) return false;
  for (let k = from + 1; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * Legacy mangling's fixed escapes (`$LT$` -> `<`). A Map, not an object literal: `$constructor$`
 * must not decode through Object.prototype. Shared with folded.ts's inferno-compatible repair.
 */
export const LEGACY_ESCAPES = new Map<string, string>([
  ['SP', '@'],
  ['BP', '*'],
  ['RF', '&'],
  ['LT', '<'],
  ['GT', '>'],
  ['LP', '('],
  ['RP', ')'],
  ['C', ','],
]);

/**
 * Decodes one legacy path element: `$LT$`-style and `$u7b$` escapes, `..` -> `::`, and the `_`
 * the mangler put before a leading `$`. An unknown escape leaves the rest of the element as it is,
 * or, when `strict`, makes the whole element invalid (undefined).
 */
function unescapeElement(el: string, strict: boolean): string | undefined {
  // One left-to-right pass (repeated indexOf over the rest was quadratic on `$$$$...`).
  const from = el.charCodeAt(0) === 95 && el.charCodeAt(1) === 36 ? 1 : 0;
  let out = '';
  let run = from;
  let i = from;
  while (i < el.length) {
    const c = el.charCodeAt(i);
    if (c === 46 /* . */) {
      out += el.slice(run, i);
      const double = el.charCodeAt(i + 1) === 46;
      out += double ? '::' : '.';
      i += double ? 2 : 1;
      run = i;
    } else if (c === 36 /* $ */) {
      out += el.slice(run, i);
      // Escapes are at most `$u10ffff$` (9 chars): look no further, so a `$` without its closing
      // `$` costs O(1), not a scan to the end.
      const end = el.indexOf('$', i + 1);
      const ch = end < 0 || end - i > 8 ? undefined : legacyEscape(el.slice(i + 1, end));
      if (ch === undefined) return strict ? undefined : out + el.slice(i);
      out += ch;
      i = end + 1;
      run = i;
    } else i++;
  }
  return out + el.slice(run);
}

function legacyEscape(code: string): string | undefined {
  const fixed = LEGACY_ESCAPES.get(code);
  if (fixed !== undefined) return fixed;
  if (code.length < 2 || code.length > 7 || code.charCodeAt(0) !== 117 /* u */) return undefined;
  let v = 0;
  for (let k = 1; k < code.length; k++) {
    const c = code.charCodeAt(k);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return undefined;
    v = v * 16 + d;
  }
  if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || v < 0x20 || (v >= 0x7f && v < 0xa0))
    return undefined;
  return String.fromCodePoint(v);
}

// ---------------------------------------------------------------------------------------------
// Half-demangled names.

/** Whether `name` ends in `::h<16 hex>` (a legacy hash a demangler left in place). */
function endsWithHash(name: string): boolean {
  const n = name.length;
  return (
    n >= 19 &&
    name.charCodeAt(n - 19) === 58 &&
    name.charCodeAt(n - 18) === 58 &&
    isLegacyHash(name, n - 17)
  );
}

/**
 * Start of the trailing run of ` [clone .x]` groups (`body.length` when there is none): a scan
 * from the end, each group checked once (the regex it replaces was quadratic on long names).
 */
function cloneSuffixStart(body: string): number {
  let end = body.length;
  for (;;) {
    if (body.charCodeAt(end - 1) !== 93 /* ] */) return end;
    // ` [clone .x]`, `x` without `]` or space
    let i = end - 2;
    while (i >= 0 && body.charCodeAt(i) !== 93 && body.charCodeAt(i) !== 32) i--;
    if (i < 7 || body.charCodeAt(i) !== 32 || body.charCodeAt(i + 1) !== 46 || i + 2 > end - 2)
      return end;
    if (!body.startsWith(' [clone ', i - 7)) return end;
    end = i - 7;
  }
}

/**
 * Repairs a Rust name a C++ demangler (or perf) only half demangled, as inferno does:
 * `_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$core..ops..drop..Drop$GT$::drop::h0123456789abcdef`
 * -> `<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop`. Drops the `::h<16 hex>` hash and a
 * trailing ` [clone .llvm.123]` the C++ demangler added. Without a hash, the escapes are decoded only
 * in a `::` path (not a raw `_Z` name) whose every `$...$` is a valid legacy escape. Other names (C, C++, demangled Rust,
 * Java's `Outer$Inner`) come back unchanged; names with neither `$` nor a hash are one scan.
 */
export function fixPartiallyDemangled(name: string): string {
  const hasDollar = name.indexOf('$') >= 0;
  let body = name;
  if (body.charCodeAt(body.length - 1) === 93 /* ] */) {
    // c++filt prints LLVM's `.llvm.N` / `.cold.N` clones as ` [clone .llvm.N]`.
    const at = cloneSuffixStart(body);
    if (at < body.length && endsWithHash(body.slice(0, at))) body = body.slice(0, at);
  }
  const hashed = endsWithHash(body);
  if (!hashed && !hasDollar) return name;
  // Without a hash, only a name some demangler already split into a `::` path qualifies
  // (never a raw `_Z...` C++ mangled name).
  if (!hashed && (name.indexOf('::') < 0 || name.startsWith('_Z'))) return name;
  if (hashed) body = body.slice(0, body.length - 19);
  if (!hasDollar && body.indexOf('..') < 0) return body;
  const parts = body.split('::');
  for (let k = 0; k < parts.length; k++) {
    const fixed = unescapeElement(parts[k], !hashed);
    if (fixed === undefined) return name;
    parts[k] = fixed;
  }
  return parts.join('::');
}
