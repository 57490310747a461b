/** Markdown rendering of a layout for hovers and "Explain layout" (pure, no vscode import). */
import type { TypeDefItem } from '../model';
import type { TypeLayout } from './types';

const n = (x: number) => x.toLocaleString('en-US');

export function sizeLabel(l: TypeLayout): string {
  if (l.error) return 'error';
  if (l.status === 'unknown') return 'unknown';
  return `${l.status === 'lower-bound' ? '≥ ' : ''}${n(l.size)} B`;
}

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/`/g, "'");
}

export function layoutMarkdown(item: TypeDefItem, l: TypeLayout, opts: { title?: string } = {}): string {
  const out: string[] = [];
  out.push(`**${opts.title ?? item.path}** (${item.kind}) — Alloc Lens`);
  out.push('');
  if (l.error) {
    out.push(`⚠ ${l.error}`);
    return out.join('\n');
  }
  const status = l.confirmed ? 'rustc-confirmed' : l.status === 'exact' ? 'exact (rustc 1.95 rules, x86_64)' : l.status === 'lower-bound' ? 'at least (some parts unknown, counted as 0)' : 'unknown';
  const niche = l.niche ? `${l.niche.available.toString()} invalid values @${l.niche.offset} (${l.niche.bytes} B)` : 'none';
  out.push('| size | align | niche | padding | status |', '|---:|---:|---|---:|---|');
  out.push(`| ${sizeLabel(l)} | ${l.align} | ${niche} | ${l.padding ?? '–'} | ${status} |`);
  if (l.largest) out.push('', `Largest contributor: \`${esc(l.largest)}\``);
  if (l.unknownParts?.length) out.push('', `Unknown parts: ${l.unknownParts.map(u => `\`${esc(u)}\``).join(', ')}`);
  if (l.fields?.length) {
    out.push('', '| field | type | offset | size |', '|---|---|---:|---:|');
    for (const f of [...l.fields].sort((a, b) => a.offset - b.offset).slice(0, 24)) out.push(`| ${esc(f.name)} | \`${esc(f.type)}\` | ${f.offset} | ${n(f.size)} |`);
  }
  if (l.variants?.length) {
    out.push('', `| variant | size | field bytes |${l.tag ? ` tag ${l.tag.size} B @${l.tag.offset} |` : ' niche-encoded |'}`, '|---|---:|---:|---|');
    for (const v of l.variants.slice(0, 24)) out.push(`| ${esc(v.name)}${v.uninhabited ? ' (uninhabited)' : ''} | ${n(v.size)} | ${n(v.fieldsSize)} | ${v.fields.map(f => `\`${esc(f.type)}\``).join(', ')} |`);
  }
  return out.join('\n');
}
