/**
 * Markdown rendering of a layout for hovers and "Explain layout" (pure, no vscode import).
 *
 * Shaped like rust-analyzer's layout hover: one compact line first
 * (`size = 50,008 (0xC358), align = 8, niches = 253`), then the tables. The tables are fenced
 * text with padded columns, not markdown tables: VS Code's hover renders markdown tables with no
 * cell padding, so `8` and `252 invalid values` ran together.
 */
import type { TypeDefItem } from '../model';
import type { TypeLayout } from './types';

const n = (x: number) => x.toLocaleString('en-US');

export function sizeLabel(l: TypeLayout): string {
  if (l.error) return 'error';
  if (l.status === 'unknown') return 'unknown';
  return `${l.status === 'lower-bound' ? '≥ ' : ''}${n(l.size)} B`;
}

/**
 * A niche count a person can read: `253`, `65,535`, `2^64 − 2`, `2^32 − 1,114,112` (`char`). Counts
 * within 1/1024 of a power of two are written from it; others over a million as `≈ 1.2e9`.
 */
export function nicheCount(v: bigint): string {
  if (v < 1_000_000n) return n(Number(v));
  const bits = v.toString(2).length;
  for (const k of [bits - 1, bits]) {
    const p = 1n << BigInt(k);
    const m = p - v;
    if (m >= 0n && m * 1024n <= p) return m === 0n ? `2^${k}` : `2^${k} − ${n(Number(m))}`;
  }
  return `≈ ${Number(v).toPrecision(2).replace('e+', 'e')}`;
}

/** Markdown-safe inline code: backticks cannot be escaped inside a code span, so they are swapped. */
function code(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

/** Padded text table (first column left-aligned, numbers right-aligned). */
export function table(head: string[], rows: string[][], right: boolean[]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return ['```text', fmt(head), ...rows.map(fmt), '```'];
}

/** The compact first line, as rust-analyzer prints it. */
export function layoutSummary(l: TypeLayout): string {
  if (l.error) return `error: ${l.error}`;
  if (l.status === 'unknown') return 'size = unknown';
  const atLeast = l.status === 'lower-bound' ? '≥ ' : '';
  const parts = [
    `size = ${atLeast}${n(l.size)} (0x${l.size.toString(16).toUpperCase()})`,
    `align = ${l.align}`,
  ];
  if (l.niche) parts.push(`niches = ${nicheCount(l.niche.available)}`);
  if (l.unsized) parts.push('unsized');
  return parts.join(', ');
}

/** Share of the whole a contributor path carries, from the size in its text (`: [u8; 300]`). */
function largestLine(l: TypeLayout): string | undefined {
  if (!l.largest || l.size === 0) return undefined;
  // A largest field of a pointer's size in a big type is no cause: the size is spread out.
  const fields = l.fields ?? [];
  const top = fields.reduce((m, f) => Math.max(m, f.size), 0);
  if (fields.length > 3 && top * 4 < l.size)
    return `No single large contributor: ${fields.length} fields, the largest ${n(top)} B.`;
  return `Largest contributor: ${code(l.largest)}`;
}

export function layoutMarkdown(
  item: TypeDefItem,
  l: TypeLayout,
  opts: { title?: string } = {},
): string {
  const out: string[] = [];
  out.push(`**${opts.title ?? item.path}** (${item.kind}) — Alloc Lens`);
  out.push('');
  if (l.error) {
    out.push(`⚠ ${l.error}`);
    return out.join('\n');
  }
  out.push('```rust', `// ${layoutSummary(l)}`, '```');
  const status = l.confirmed
    ? '✔ rustc-confirmed'
    : l.status === 'exact'
      ? 'exact (rustc 1.95 layout rules, x86_64)'
      : l.status === 'lower-bound'
        ? 'at least: some parts are unknown and counted as 0 B'
        : 'unknown';
  const extra: string[] = [];
  if (l.niche)
    extra.push(
      `niche: ${nicheCount(l.niche.available)} invalid values in ${l.niche.bytes} B at offset ${l.niche.offset}`,
    );
  if (l.padding !== undefined && l.padding > 0) extra.push(`padding: ${n(l.padding)} B`);
  out.push(`${status}${extra.length ? ` · ${extra.join(' · ')}` : ''}`);
  const largest = largestLine(l);
  if (largest) out.push('', largest);
  if (l.unknownParts?.length) out.push('', `Unknown parts: ${l.unknownParts.map(code).join(', ')}`);
  if (l.fields?.length) {
    const fs = [...l.fields].sort((a, b) => a.offset - b.offset);
    out.push(
      '',
      ...table(
        ['offset', 'size', 'field', 'type'],
        fs.slice(0, 24).map(f => [n(f.offset), n(f.size), f.name, f.type]),
        [true, true, false, false],
      ),
    );
    if (fs.length > 24) out.push(`… ${fs.length - 24} more fields`);
  }
  if (l.variants?.length) {
    const tag = l.tag ? `tag: ${l.tag.size} B at offset ${l.tag.offset}` : 'no tag (niche-encoded)';
    const rows = l.variants
      .slice(0, 24)
      .map(v => [
        `${v.name}${v.uninhabited ? ' (uninhabited)' : ''}`,
        n(v.size),
        n(v.fieldsSize),
        v.fields.map(f => f.type).join(', '),
      ]);
    out.push(
      '',
      tag,
      ...table(['variant', 'size', 'fields', 'types'], rows, [false, true, true, false]),
    );
    if (l.variants.length > 24) out.push(`… ${l.variants.length - 24} more variants`);
  }
  return out.join('\n');
}
