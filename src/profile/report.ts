/**
 * The profile report: summary (samples, allocator and copy shares, allocator) and hot lines ranked
 * by allocation + copy samples, each with its top stacks. JSON schema: README "profile --json".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rankLines, type Attribution, type HotLine, type SampleCounts } from './attribute';
import type { AllocatorName } from './classify';
import type { ProfileData, StackRecord } from './model';

export interface StackJson {
  samples: number;
  /** Leaf first: `name (file:line)` */
  frames: string[];
  /** Index in `frames` of the workspace frame the samples are charged to. */
  userFrame: number;
}

export interface HotLineJson {
  file: string;
  line: number;
  precision: 'line' | 'function' | 'item';
  function: string;
  samples: SampleCounts;
  /** Share of all samples of that kind in the profile (0..1). */
  share: { alloc: number; copy: number; free: number; total: number };
  stacks: StackJson[];
}

export interface AllocatorInfo {
  /** From allocator symbols in the samples. */
  fromSymbols?: AllocatorName;
  /** `#[global_allocator]` declarations in the workspace sources. */
  fromSource: { file: string; line: number; type: string }[];
  /** Allocator + free samples / all samples. */
  share: number;
}

export interface ProfileReportJson {
  schema: 'alloc-lens/profile@1';
  input: string;
  format: string;
  event: string;
  events: { name: string; samples: number }[];
  samples: SampleCounts & { attributed: number; truncatedStacks: number };
  shares: { alloc: number; free: number; copy: number; allocator: number; rehash: number };
  allocator: AllocatorInfo;
  hotLines: HotLineJson[];
  warnings: string[];
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/** A line's share of all samples of each kind in the profile. */
export function lineShare(c: SampleCounts, totals: SampleCounts): HotLineJson['share'] {
  return {
    alloc: ratio(c.alloc, totals.alloc),
    copy: ratio(c.copy, totals.copy),
    free: ratio(c.free, totals.free),
    total: ratio(c.total, totals.total),
  };
}

export function frameLabel(data: ProfileData, a: Attribution, id: number): string {
  const f = data.frames[id];
  const site = a.site(id);
  if (site) return `${f.name} (${site.file}:${site.line})`;
  if (f.file) return `${f.name} (${shortPath(f.file)}:${f.line})`;
  return f.dso && f.name.startsWith('[')
    ? f.name
    : f.dso
      ? `${f.name} [${path.basename(f.dso)}]`
      : f.name;
}

function shortPath(p: string): string {
  const m = /\/library\/(\w+)\/src\/(.*)$/.exec(p);
  if (m) return `${m[1]}/${m[2]}`;
  const r = /\/registry\/(?:src\/[^/]+\/)?([^/]+)\/(.*)$/.exec(p);
  if (r) return `${r[1]}/${r[2]}`;
  return p;
}

export function topStacks(
  data: ProfileData,
  a: Attribution,
  hl: HotLine,
  n: number,
  callers = 4,
): StackJson[] {
  const list = [...hl.stacks.entries()].sort((x, y) => y[1] - x[1]).slice(0, n);
  return list.map(([rec, count]: [StackRecord, number]) => {
    const user = a.stackInfo.get(rec)?.user ?? rec.frames.length - 1;
    const end = Math.min(rec.frames.length, user + 1 + callers);
    return {
      samples: count,
      frames: rec.frames.slice(0, end).map(id => frameLabel(data, a, id)),
      userFrame: Math.min(user, end - 1),
    };
  });
}

export function findGlobalAllocators(
  files: readonly string[],
  root: string,
): AllocatorInfo['fromSource'] {
  const out: AllocatorInfo['fromSource'] = [];
  for (const f of files) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    if (!text.includes('global_allocator')) continue;
    const re =
      /#\s*\[\s*global_allocator\s*\]\s*(?:#\s*\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?static\s+\w+\s*:\s*([^=;]+?)\s*=/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const line = text.slice(0, m.index).split('\n').length;
      out.push({
        file: path.relative(root, f).split(path.sep).join('/'),
        line,
        type: m[1].replace(/\s+/g, ' '),
      });
    }
  }
  return out;
}

export function buildReport(
  data: ProfileData,
  a: Attribution,
  opts: {
    input: string;
    format: string;
    top: number;
    stacks?: number;
    files: readonly string[];
    root: string;
    warnings?: string[];
  },
): ProfileReportJson {
  const t = a.totals;
  let fromSymbols: AllocatorName | undefined;
  let best = 0;
  for (const [name, n] of a.allocators) if (n > best) [fromSymbols, best] = [name, n];
  const lines = rankLines(a).slice(0, opts.top > 0 ? opts.top : undefined);
  return {
    schema: 'alloc-lens/profile@1',
    input: opts.input,
    format: opts.format,
    event: a.event,
    events: data.eventOrder.map(e => ({ name: e, samples: data.events.get(e)!.samples })),
    samples: { ...t, attributed: a.attributed, truncatedStacks: data.truncatedStacks },
    shares: {
      alloc: ratio(t.alloc, t.total),
      free: ratio(t.free, t.total),
      copy: ratio(t.copy, t.total),
      allocator: ratio(t.alloc + t.free, t.total),
      rehash: ratio(t.rehash, t.total),
    },
    allocator: {
      fromSymbols,
      fromSource: findGlobalAllocators(opts.files, opts.root),
      share: ratio(t.alloc + t.free, t.total),
    },
    hotLines: lines.map(l => ({
      file: l.file,
      line: l.line,
      precision: l.precision,
      function: l.function,
      samples: { ...l.samples },
      share: lineShare(l.samples, t),
      stacks: topStacks(data, a, l, opts.stacks ?? 3),
    })),
    warnings: [...data.warnings, ...(opts.warnings ?? [])],
  };
}

export const pct = (x: number) => (x > 0 && x < 0.0005 ? '<0.1%' : `${(x * 100).toFixed(1)}%`);

/** `memcpy 49.6% · malloc 0.1%`: the line's share of all copy and allocator samples. */
export function lineNote(l: { samples: SampleCounts; share: HotLineJson['share'] }): string {
  const parts: string[] = [];
  if (l.samples.copy > 0) parts.push(`memcpy ${pct(l.share.copy)}`);
  if (l.samples.alloc > 0) parts.push(`malloc ${pct(l.share.alloc)}`);
  if (l.samples.free > 0) parts.push(`free ${pct(l.share.free)}`);
  if (parts.length === 0) parts.push(`${pct(l.share.total)} of samples`);
  return parts.join(' · ');
}

export function renderText(r: ProfileReportJson): string {
  const s = r.samples;
  const out: string[] = [];
  out.push(
    `${r.input}: ${s.total.toLocaleString('en-US')} samples of ${r.event}${
      r.events.length > 1
        ? ` (also: ${r.events
            .filter(e => e.name !== r.event)
            .map(e => `${e.name} ${e.samples}`)
            .join(', ')})`
        : ''
    }`,
  );
  const alloc =
    r.allocator.fromSource.length > 0
      ? `${r.allocator.fromSource.map(g => `${g.type} (#[global_allocator] ${g.file}:${g.line})`).join(', ')}${r.allocator.fromSymbols ? `; samples show ${r.allocator.fromSymbols}` : ''}`
      : r.allocator.fromSymbols
        ? `${r.allocator.fromSymbols} (from symbols)`
        : 'not seen in the samples';
  out.push(`  allocator:   ${alloc}`);
  out.push(
    `  allocation:  ${pct(r.shares.allocator)} of samples (malloc ${s.alloc.toLocaleString('en-US')}, free ${s.free.toLocaleString('en-US')})`,
  );
  out.push(`  memcpy:      ${pct(r.shares.copy)} of samples (${s.copy.toLocaleString('en-US')})`);
  if (s.rehash > 0)
    out.push(
      `  hash growth: ${pct(r.shares.rehash)} of samples (${s.rehash.toLocaleString('en-US')}; hashbrown rehashing, not counted as allocation)`,
    );
  out.push(
    `  attributed:  ${pct(s.total > 0 ? s.attributed / s.total : 0)} of samples have a workspace frame${s.truncatedStacks > 0 ? `; ${s.truncatedStacks.toLocaleString('en-US')} stacks end in an unknown frame (unwinding stopped early)` : ''}`,
  );
  out.push('');
  if (r.hotLines.length === 0)
    out.push(
      'no samples were attributed to workspace source lines (is --root the crate the binary was built from?)',
    );
  else out.push('hot lines by allocation + copy samples:');
  r.hotLines.forEach((l, i) => {
    out.push(
      `${String(i + 1).padStart(3)}. ${l.file}:${l.line}${l.precision === 'function' ? ' (fn)' : l.precision === 'item' ? ' (derive)' : ''}  ${lineNote(l)}  [${l.samples.total} samples: ${l.samples.copy} copy, ${l.samples.alloc} alloc, ${l.samples.free} free]`,
    );
    out.push(`     in ${l.function}`);
    for (const st of l.stacks.slice(0, 2)) {
      // leaf .. workspace frame .. one caller; locations only for workspace frames
      const shown = st.frames
        .slice(0, st.userFrame + 2)
        .map((f, i) =>
          i === st.userFrame || i === st.userFrame + 1 ? f : f.replace(/ \([^()]*\)$/, ''),
        );
      out.push(
        `     ${st.samples} × ${shown.join(' <- ')}${st.frames.length > shown.length ? ' <- ...' : ''}`,
      );
    }
  });
  for (const w of r.warnings) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}
