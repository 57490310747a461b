/**
 * Parser for rustc's `-Zprint-type-sizes` output (nightly flag, `RUSTC_BOOTSTRAP=1` on stable).
 *
 * rustc prints one block per type, largest first:
 *
 *     print-type-size type: `E`: 104 bytes, alignment: 4 bytes
 *     print-type-size     discriminant: 1 bytes
 *     print-type-size     variant `C`: 7 bytes
 *     print-type-size         padding: 3 bytes
 *     print-type-size         field `.0`: 4 bytes, alignment: 4 bytes
 *     print-type-size     end padding: 3 bytes
 *
 * Fields are listed in memory order; a field's offset is only printed when it is not the running
 * offset (unions, coroutine upvars), so the parser recomputes offsets the way rustc printed them:
 * each variant starts after the discriminant, `padding: N` advances, a field ends at offset + size.
 */

/** What kind of member a line describes (`field`, or `upvar`/`local` in closures and coroutines). */
export type ExactMemberKind = 'field' | 'upvar' | 'local';

/** One member of a type or variant, with its offset as rustc laid it out. */
export interface ExactField {
  kind: ExactMemberKind;
  /** Name without the leading dot: `payload`, `0`, `__awaitee`. */
  name: string;
  offset: number;
  size: number;
  /** Alignment, when rustc printed it (only when it caused padding or the offset is explicit). */
  align?: number;
  /** Type name, when rustc printed it (coroutine locals). */
  typeName?: string;
  /** Padding bytes rustc printed just before this member. */
  paddingBefore: number;
}

/** One variant of an enum, union or coroutine. */
export interface ExactVariant {
  name: string;
  size: number;
  fields: ExactField[];
}

/** Where the type comes from, judged from its printed name. */
export type ExactTypeKind = 'adt' | 'closure' | 'async' | 'std';

/** One `print-type-size type:` block. */
export interface ExactType {
  /** The name exactly as printed: `proto::Query`, `Wrapper<u16>`, `{closure@src/main.rs:3:5: 3:9}`. */
  name: string;
  size: number;
  align: number;
  kind: ExactTypeKind;
  /** Struct fields (structs and closures); empty for enums, unions and coroutines. */
  fields: ExactField[];
  /** Variants, for enums, unions (one variant named like the union) and coroutines. */
  variants?: ExactVariant[];
  /** Size of the printed discriminant (tag) in bytes; absent when none was printed (niche or no tag). */
  discriminant?: number;
  /** Bytes after the last member. */
  endPadding: number;
  /** All padding rustc printed inside the type (between members and at the end, variants included). */
  padding: number;
}

/** All types of one compilation. */
export interface ExactParse {
  /** ADTs (the crate's own types and instantiations of library types), largest first as printed. */
  types: ExactType[];
  /** Closures (`{closure@file:line:col: line:col}`). */
  closures: ExactType[];
  /** Async state machines (`{async fn body of f()}`, `{async block@...}`, coroutines). */
  asyncBodies: ExactType[];
  /** Lines that did not match the grammar (kept for diagnostics, never silently dropped). */
  unparsed: string[];
}

const PREFIX = 'print-type-size ';
const TYPE_RE = /^type: `(.*)`: (\d+) bytes, alignment: (\d+) bytes$/;
const MEMBER_RE =
  /^(field|upvar|local) `\.([^`]*)`: (\d+) bytes(?:, offset: (\d+) bytes)?(?:, alignment: (\d+) bytes)?(?:, type: (.*))?$/;
const VARIANT_RE = /^variant `([^`]*)`: (\d+) bytes$/;
const PAD_RE = /^padding: (\d+) bytes$/;
const END_PAD_RE = /^end padding: (\d+) bytes$/;
const DISCR_RE = /^discriminant: (\d+) bytes$/;

const STD_CRATES = [
  'std::',
  'core::',
  'alloc::',
  'proc_macro::',
  'unwind::',
  'hashbrown::',
  'std_detect::',
  'compiler_builtins::',
];

/** Classifies a printed type name. */
export function classifyTypeName(name: string): ExactTypeKind {
  if (name.startsWith('<')) name = name.slice(1);
  if (name.startsWith('{closure@')) return 'closure';
  if (name.startsWith('{async') || name.startsWith('{coroutine') || name.startsWith('{gen'))
    return 'async';
  if (STD_CRATES.some(p => name.startsWith(p))) return 'std';
  return 'adt';
}

/**
 * Incremental parser: feed lines (or chunks) as the compiler prints them, then `finish()`.
 * Lines without the `print-type-size ` prefix (warnings, cargo progress) are ignored.
 */
export class PrintTypeSizesParser {
  private readonly out: ExactParse = { types: [], closures: [], asyncBodies: [], unparsed: [] };
  private cur: ExactType | undefined;
  private variant: ExactVariant | undefined;
  private next = 0;
  private pad = 0;
  private rest = '';

  /** Feeds a chunk of text (may split lines anywhere). */
  push(chunk: string): void {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (const l of lines) this.line(l);
  }

  /** Feeds one complete line. */
  line(raw: string): void {
    const l = raw.replace(/\r$/, '');
    if (!l.startsWith(PREFIX)) return;
    const body = l.slice(PREFIX.length).trim();
    let m: RegExpExecArray | null;
    if ((m = TYPE_RE.exec(body))) {
      this.close();
      this.cur = {
        name: m[1],
        size: +m[2],
        align: +m[3],
        kind: classifyTypeName(m[1]),
        fields: [],
        endPadding: 0,
        padding: 0,
      };
      this.next = 0;
      this.pad = 0;
      return;
    }
    const t = this.cur;
    if (!t) return void this.out.unparsed.push(l);
    if ((m = DISCR_RE.exec(body))) {
      t.discriminant = +m[1];
      this.next = t.discriminant;
    } else if ((m = VARIANT_RE.exec(body))) {
      this.variant = { name: m[1], size: +m[2], fields: [] };
      (t.variants ??= []).push(this.variant);
      this.next = t.discriminant ?? 0;
      this.pad = 0;
    } else if ((m = END_PAD_RE.exec(body))) {
      t.endPadding = +m[1];
      t.padding += t.endPadding;
      this.variant = undefined;
    } else if ((m = PAD_RE.exec(body))) {
      this.pad += +m[1];
      this.next += +m[1];
      t.padding += +m[1];
    } else if ((m = MEMBER_RE.exec(body))) {
      const offset = m[4] !== undefined ? +m[4] : this.next;
      const f: ExactField = {
        kind: m[1] as ExactMemberKind,
        name: m[2],
        offset,
        size: +m[3],
        paddingBefore: this.pad,
      };
      if (m[5] !== undefined) f.align = +m[5];
      if (m[6] !== undefined) f.typeName = m[6];
      this.pad = 0;
      this.next = offset + f.size;
      (this.variant ? this.variant.fields : t.fields).push(f);
    } else {
      this.out.unparsed.push(l);
    }
  }

  /** Flushes the last partial line and returns everything parsed. */
  finish(): ExactParse {
    if (this.rest) this.line(this.rest);
    this.rest = '';
    this.close();
    return this.out;
  }

  private close(): void {
    const t = this.cur;
    if (!t) return;
    if (t.kind === 'closure') this.out.closures.push(t);
    else if (t.kind === 'async') this.out.asyncBodies.push(t);
    else this.out.types.push(t);
    this.cur = undefined;
    this.variant = undefined;
  }
}

/**
 * Source location of a closure or async block as rustc names it:
 * `{closure@src/main.rs:3:5: 3:9}` -> `{ file: 'src/main.rs', line: 3, column: 5 }` (the file as
 * passed to rustc, relative to the crate root for cargo builds). `{async fn body of f()}` has none.
 */
export function closureLocation(
  name: string,
): { file: string; line: number; column: number } | undefined {
  const m =
    /^\{(?:closure|async block|async closure|coroutine|gen block|async gen block)@(.+?):(\d+):(\d+): \d+:\d+\}$/.exec(
      name,
    );
  return m ? { file: m[1], line: +m[2], column: +m[3] } : undefined;
}

/** Parses a whole `-Zprint-type-sizes` output. */
export function parsePrintTypeSizes(text: string): ExactParse {
  const p = new PrintTypeSizesParser();
  p.push(text);
  return p.finish();
}
