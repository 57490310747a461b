/**
 * Rust symbol demangling for profiles: legacy (`_ZN...E`) and v0 (`_R...`) symbols become
 * hash-free names (rustc-demangle's `{:#}` form), and names another demangler left half-done
 * (`Vec$LT$T$GT$::push::h0123456789abcdef`) are repaired. Never throws: input that is not a
 * valid Rust symbol comes back unchanged. No dependencies, no `vscode` import.
 */
import { demangleV0 } from './demangle-v0';
import { isSymbolSuffix } from './demangle-v0-lex';

/**
 * The demangled, hash-free name of a Rust symbol (`_ZN`/`ZN`/`__ZN` legacy, `_R`/`R`/`__R` v0;
 * a `.llvm.1234` or other `.suffix` is accepted and dropped, as c++filt does); any other name
 * goes through {@link fixPartiallyDemangled}.
 */
export function demangle(sym: string): string {
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

const ESCAPES: Record<string, string> = { SP: '@', BP: '*', RF: '&', LT: '<', GT: '>', LP: '(', RP: ')', C: ',' };

/**
 * Decodes one legacy path element: `$LT$`-style and `$u7b$` escapes, `..` -> `::`, and the `_`
 * the mangler put before a leading `$`. An unknown escape leaves the rest of the element as it is,
 * or, when `strict`, makes the whole element invalid (undefined).
 */
function unescapeElement(el: string, strict: boolean): string | undefined {
  let rest = el.charCodeAt(0) === 95 && el.charCodeAt(1) === 36 ? el.slice(1) : el;
  let out = '';
  for (;;) {
    const dollar = rest.indexOf('$');
    const dot = rest.indexOf('.');
    const at = dollar < 0 ? dot : dot < 0 ? dollar : Math.min(dollar, dot);
    if (at < 0) return out + rest;
    out += rest.slice(0, at);
    rest = rest.slice(at);
    if (at === dot) {
      const double = rest.charCodeAt(1) === 46;
      out += double ? '::' : '.';
      rest = rest.slice(double ? 2 : 1);
      continue;
    }
    const end = rest.indexOf('$', 1);
    const ch = end < 0 ? undefined : legacyEscape(rest.slice(1, end));
    if (ch === undefined) return strict ? undefined : out + rest;
    out += ch;
    rest = rest.slice(end + 1);
  }
}

function legacyEscape(code: string): string | undefined {
  const fixed = ESCAPES[code];
  if (fixed !== undefined) return fixed;
  if (code.length < 2 || code.length > 7 || code.charCodeAt(0) !== 117 /* u */) return undefined;
  let v = 0;
  for (let k = 1; k < code.length; k++) {
    const c = code.charCodeAt(k);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return undefined;
    v = v * 16 + d;
  }
  if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || v < 0x20 || (v >= 0x7f && v < 0xa0)) return undefined;
  return String.fromCodePoint(v);
}

// ---------------------------------------------------------------------------------------------
// Half-demangled names.

/** Whether `name` ends in `::h<16 hex>` (a legacy hash a demangler left in place). */
function endsWithHash(name: string): boolean {
  const n = name.length;
  return n >= 19 && name.charCodeAt(n - 19) === 58 && name.charCodeAt(n - 18) === 58 && isLegacyHash(name, n - 17);
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
    const clone = /( \[clone \.[^\] ]+\])+$/.exec(body);
    if (clone && endsWithHash(body.slice(0, clone.index))) body = body.slice(0, clone.index);
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
