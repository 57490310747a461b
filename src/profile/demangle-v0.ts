/**
 * Demangler for Rust "v0" symbols (RFC 2603, `_R...`), written from the RFC's grammar. Prints
 * the form rustc-demangle prints with `{:#}`: no crate disambiguators (`core`, not
 * `core[c1f1a4ba060b9bfa]`) and no type suffixes on integer consts (`<16, 5>`, not `<16: usize, 5: usize>`).
 *
 * Parsing and printing happen in one pass; any error makes the whole symbol invalid (the caller then
 * keeps the raw name). Recursion depth and output size are bounded, so hostile input cannot blow the
 * stack or memory (backrefs can otherwise expand exponentially).
 */

import {
  BASIC_TYPES,
  INVALID,
  V0Lexer,
  identText,
  isLower,
  isSymbolSuffix,
  isUpper,
  quoted,
  smallUint,
  uintText,
  utf8,
} from './demangle-v0-lex';

/** The v0 grammar, printing as it parses. */
class Printer extends V0Lexer {
  path(inValue: boolean): void {
    this.push();
    const tag = this.next();
    switch (tag) {
      case 'C': {
        this.disambiguator();
        this.print(identText(this.ident()));
        break;
      }
      case 'N': {
        const ns = this.next().charCodeAt(0);
        if (!isUpper(ns) && !isLower(ns)) throw INVALID;
        this.path(inValue);
        const dis = this.disambiguator();
        const name = this.ident();
        const named = name.ascii !== '' || name.punycode !== '';
        if (isUpper(ns)) {
          const kind = ns === 67 ? 'closure' : ns === 83 ? 'shim' : String.fromCharCode(ns);
          this.print(`::{${kind}${named ? `:${identText(name)}` : ''}#${dis}}`);
        } else if (named) {
          this.print(`::${identText(name)}`);
        }
        break;
      }
      case 'M':
      case 'X':
      case 'Y': {
        if (tag !== 'Y') {
          this.disambiguator();
          this.skip(() => this.path(false));
        }
        this.print('<');
        this.type();
        if (tag !== 'M') {
          this.print(' as ');
          this.path(false);
        }
        this.print('>');
        break;
      }
      case 'I': {
        this.path(inValue);
        this.print(inValue ? '::<' : '<');
        this.list(() => this.genericArg(), ', ');
        this.print('>');
        break;
      }
      case 'B':
        this.backref(() => this.path(inValue));
        break;
      default:
        throw INVALID;
    }
    this.pop();
  }

  private genericArg(): void {
    if (this.eat('L')) this.lifetime(this.integer62());
    else if (this.eat('K')) this.constant(false);
    else this.type();
  }

  private type(): void {
    const tag = this.next();
    const basic = BASIC_TYPES[tag];
    if (basic !== undefined) return this.print(basic);
    this.push();
    switch (tag) {
      case 'R':
      case 'Q': {
        this.print('&');
        if (this.eat('L')) {
          const lt = this.integer62();
          if (lt !== 0) {
            this.lifetime(lt);
            this.print(' ');
          }
        }
        if (tag === 'Q') this.print('mut ');
        this.type();
        break;
      }
      case 'P':
      case 'O':
        this.print(tag === 'P' ? '*const ' : '*mut ');
        this.type();
        break;
      case 'A':
      case 'S':
        this.print('[');
        this.type();
        if (tag === 'A') {
          this.print('; ');
          this.constant(true);
        }
        this.print(']');
        break;
      case 'T': {
        this.print('(');
        if (this.list(() => this.type(), ', ') === 1) this.print(',');
        this.print(')');
        break;
      }
      case 'F':
        this.binder(() => this.fnSig());
        break;
      case 'D': {
        this.print('dyn ');
        this.binder(() => void this.list(() => this.dynTrait(), ' + '));
        if (!this.eat('L')) throw INVALID;
        const lt = this.integer62();
        if (lt !== 0) {
          this.print(' + ');
          this.lifetime(lt);
        }
        break;
      }
      case 'B':
        this.backref(() => this.type());
        break;
      case 'W':
        this.type();
        this.print(' is ');
        this.pattern();
        break;
      default:
        this.pos--; // a path type: let `path` see the tag
        this.path(false);
    }
    this.pop();
  }

  private fnSig(): void {
    const isUnsafe = this.eat('U');
    let abi: string | undefined;
    if (this.eat('K')) {
      if (this.eat('C')) abi = 'C';
      else {
        const id = this.ident();
        if (id.ascii === '' || id.punycode !== '') throw INVALID;
        abi = id.ascii.replace(/_/g, '-'); // the mangler replaced `-` with `_`
      }
    }
    if (isUnsafe) this.print('unsafe ');
    if (abi !== undefined) this.print(`extern "${abi}" `);
    this.print('fn(');
    this.list(() => this.type(), ', ');
    this.print(')');
    if (!this.eat('u')) {
      this.print(' -> ');
      this.type();
    }
  }

  /** A path whose `<...>` is left open when it has generic args, so assoc bindings can follow. */
  private pathMaybeOpenGenerics(): boolean {
    if (this.eat('B')) return this.backref(() => this.pathMaybeOpenGenerics()) ?? false;
    if (this.eat('I')) {
      this.path(false);
      this.print('<');
      this.list(() => this.genericArg(), ', ');
      return true;
    }
    this.path(false);
    return false;
  }

  private dynTrait(): void {
    let open = this.pathMaybeOpenGenerics();
    while (this.eat('p')) {
      this.print(open ? ', ' : '<');
      open = true;
      this.print(`${identText(this.ident())} = `);
      if (this.eat('K')) this.constant(false);
      else this.type();
    }
    if (open) this.print('>');
  }

  /** Pattern types: `u32 is 1..=9`, `u32 is 1..=2 | 5..=6`, `!null`. */
  private pattern(): void {
    const tag = this.next();
    if (tag === 'R') {
      this.constant(false);
      this.print('..=');
      this.constant(false);
    } else if (tag === 'O') {
      this.push();
      this.pattern();
      while (!this.eat('E')) {
        this.print(' | ');
        this.pattern();
      }
      this.pop();
    } else if (tag === 'N') {
      this.print('!null');
    } else {
      throw INVALID;
    }
  }

  /** A const; outside another const's value, non-literals are wrapped in `{...}`. */
  private constant(inValue: boolean): void {
    const tag = this.next();
    this.push();
    let braced = false;
    const openBrace = () => {
      if (!inValue) {
        braced = true;
        this.print('{');
      }
    };
    switch (tag) {
      case 'p':
        this.print('_');
        break;
      case 'h':
      case 't':
      case 'm':
      case 'y':
      case 'o':
      case 'j':
        this.print(uintText(this.hexNibbles()));
        break;
      case 'a':
      case 's':
      case 'l':
      case 'x':
      case 'n':
      case 'i': {
        const neg = this.eat('n');
        this.print((neg ? '-' : '') + uintText(this.hexNibbles()));
        break;
      }
      case 'b': {
        const v = smallUint(this.hexNibbles());
        if (v !== 0 && v !== 1) throw INVALID;
        this.print(v === 1 ? 'true' : 'false');
        break;
      }
      case 'c': {
        const v = smallUint(this.hexNibbles());
        if (v === undefined || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw INVALID;
        this.print(quoted("'", String.fromCodePoint(v)));
        break;
      }
      case 'e':
        openBrace();
        this.print('*'); // a str literal is a `&str`; `*` gets back to `str`
        this.print(quoted('"', utf8(this.hexNibbles())));
        break;
      case 'R':
      case 'Q':
        if (tag === 'R' && this.eat('e')) {
          this.print(quoted('"', utf8(this.hexNibbles())));
        } else {
          openBrace();
          this.print(tag === 'R' ? '&' : '&mut ');
          this.constant(true);
        }
        break;
      case 'A':
        openBrace();
        this.print('[');
        this.list(() => this.constant(true), ', ');
        this.print(']');
        break;
      case 'T':
        openBrace();
        this.print('(');
        if (this.list(() => this.constant(true), ', ') === 1) this.print(',');
        this.print(')');
        break;
      case 'V': {
        openBrace();
        this.path(true);
        const kind = this.next();
        if (kind === 'T') {
          this.print('(');
          this.list(() => this.constant(true), ', ');
          this.print(')');
        } else if (kind === 'S') {
          this.print(' { ');
          this.list(() => {
            this.disambiguator();
            this.print(`${identText(this.ident())}: `);
            this.constant(true);
          }, ', ');
          this.print(' }');
        } else if (kind !== 'U') {
          throw INVALID;
        }
        break;
      }
      case 'B':
        this.backref(() => this.constant(inValue));
        break;
      default:
        throw INVALID;
    }
    if (braced) this.print('}');
    this.pop();
  }

  /** The instantiating crate after the main path: parsed for validity, not printed. */
  skipPath(): void {
    this.skip(() => this.path(false));
  }
}

/**
 * Demangles the part of a v0 symbol after its `_R` / `R` / `__R` prefix; undefined when it is not a
 * valid v0 symbol. A trailing `.suffix` is accepted and dropped.
 */
export function demangleV0(inner: string): string | undefined {
  if (!isUpper(inner.charCodeAt(0))) return undefined;
  for (let i = 0; i < inner.length; i++) if (inner.charCodeAt(i) >= 128) return undefined;
  const p = new Printer(inner);
  try {
    p.path(true);
    if (isUpper(inner.charCodeAt(p.pos))) p.skipPath();
  } catch {
    return undefined; // INVALID, or anything unexpected: never let a symbol break the caller
  }
  if (p.pos < inner.length && !isSymbolSuffix(inner.slice(p.pos))) return undefined;
  return p.out;
}
