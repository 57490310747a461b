/**
 * Findings grouped by root cause, for the editor's "Alloc Lens" view: the type (or trait, or
 * awaited fn) behind each finding, with every finding it causes under it. A `large-error` return,
 * the `large-move` of a `Result<_, DistriErr>` and the `large-enum-variant` of `DistriErr` are one
 * cause: boxing `DistriErr::Corrupt` fixes all of them.
 *
 * Pure functions of the analysis state and the loaded profile's per-line counts. A group's measured
 * evidence sums the distinct lines of its findings' evidence, so a line two findings share is
 * counted once, and (one workspace line per sample) groups never exceed 100 % of the run.
 */
import * as path from 'node:path';
import { sizeLabel } from '../core/layout/markdown';
import type { TypeDefItem, TypeExpr } from '../core/model';
import type { Finding, Severity } from '../core/rules/types';
import type { Confirmation } from '../profile/confirm';
import type { FolderState } from './analysis';
import { fileUri } from './convert';
import { severityOf, type ProfileFinding } from './findings-store';
import type { CauseGroup, CauseFinding, FindingsTree } from './protocol';

/** What a group or finding's profile lines measure (CPU samples or heap bytes). */
export interface LineCounts {
  /** CPU profile: copy / allocator (malloc+free) / all samples; heap: bytes in `total`. */
  copy: number;
  allocator: number;
  total: number;
}

/** The loaded profile as the view needs it: counts per `rel:line`, and how to print them. */
export interface ProfileLines {
  readonly kind: 'cpu' | 'heap';
  readonly totals: LineCounts;
  line(rel: string, line: number): LineCounts | undefined;
  /** A baseline to compare with (CPU only): the same lines in the older profile. */
  readonly baseline?: {
    readonly totals: LineCounts;
    line(rel: string, line: number): LineCounts | undefined;
    readonly name: string;
  };
}

interface Cause {
  id: string;
  label: string;
  kind: CauseGroup['kind'];
  item?: TypeDefItem;
  /** Where clicking the group goes when there is no type definition. */
  at?: { file: string; line: number; column: number };
}

const n = (x: number) => x.toLocaleString('en-US');
export const pctOf = (x: number, total: number) => {
  if (total <= 0 || x <= 0) return '0.0%';
  const v = (x / total) * 100;
  return v < 0.05 ? '<0.1%' : `${v.toFixed(1)}%`;
};

/** The workspace type that holds most of the bytes of `expr` (descending through `Result`, `Option`, tuples, arrays). */
export function dominantType(
  folder: FolderState,
  expr: TypeExpr,
  module: string,
  depth = 0,
): TypeDefItem | undefined {
  if (depth > 6) return undefined;
  const size = (e: TypeExpr) => {
    const l = folder.engine.layoutOfType(e, module);
    return l.error || l.status === 'unknown' ? 0 : l.size;
  };
  if (expr.kind === 'path') {
    if (expr.segments.length === 0) return undefined;
    const r = folder.index.resolveType(module, expr);
    if (r.kind === 'item') return r.item;
    // std wrappers and generics: the argument that carries at least half of the size.
    const args = expr.segments[expr.segments.length - 1].args.flatMap(a =>
      a.kind === 'type' ? [a.type] : [],
    );
    return viaLargest(folder, args, size(expr), module, depth);
  }
  if (expr.kind === 'tuple') return viaLargest(folder, expr.elems, size(expr), module, depth);
  if (expr.kind === 'array') return dominantType(folder, expr.elem, module, depth + 1);
  return undefined;
}

function viaLargest(
  folder: FolderState,
  parts: TypeExpr[],
  whole: number,
  module: string,
  depth: number,
): TypeDefItem | undefined {
  let best: { e: TypeExpr; size: number } | undefined;
  for (const e of parts) {
    const l = folder.engine.layoutOfType(e, module);
    const s = l.error || l.status === 'unknown' ? 0 : l.size;
    if (!best || s > best.size) best = { e, size: s };
  }
  if (!best || best.size === 0 || best.size * 2 < whole) return undefined;
  return dominantType(folder, best.e, module, depth + 1);
}

function typeCause(item: TypeDefItem): Cause {
  return { id: `type:${item.path}`, label: item.name, kind: 'type', item };
}

/** The root cause of one finding: a type, a trait, an awaited fn, or (none found) the finding's own site. */
export function causeOf(folder: FolderState, f: Finding): Cause {
  const { file, line, column } = f.range;
  const own: Cause = {
    id: `site:${file}:${line}:${column}:${f.code}`,
    label: f.code,
    kind: 'site',
    at: { file, line, column },
  };
  const parse = (text: string | undefined) => (text ? folder.index.parseType?.(text) : undefined);
  const module = folder.index.moduleAt(file, line);
  switch (f.code) {
    case 'large-error': {
      const item = f.data.errPath ? folder.index.itemByPath(f.data.errPath) : undefined;
      if (item && ['struct', 'enum', 'union', 'type'].includes(item.kind))
        return typeCause(item as TypeDefItem);
      const e = parse(f.data.errType);
      const d = e && dominantType(folder, e, module);
      return d
        ? typeCause(d)
        : { ...own, id: `err:${f.data.errType}`, label: f.data.errType, kind: 'type' };
    }
    case 'large-enum-variant': {
      const item = folder.index.typeDefAt(file, line, column);
      return item ? typeCause(item) : { ...own, label: f.data.type, kind: 'type' };
    }
    case 'large-move': {
      const e = parse(f.data.type);
      const d = e && dominantType(folder, e, module);
      return d
        ? typeCause(d)
        : f.data.type
          ? { ...own, id: `moved:${module}:${f.data.type}`, label: f.data.type, kind: 'type' }
          : own;
    }
    case 'async-trait-box': {
      const text = folder.index
        .fileText(file)
        ?.split('\n')
        [line - 1]?.slice(column - 1, f.range.endLine === line ? f.range.endColumn - 1 : undefined);
      const name = /^[A-Za-z_]\w*/.exec(text ?? '')?.[0] ?? 'trait';
      return {
        id: `trait:${module}::${name}`,
        label: name,
        kind: 'trait',
        at: { file, line, column },
      };
    }
    case 'clone-hotspot': {
      // `Rc<String>`-like double allocations: one cause per pattern (every field and local of that type).
      if (f.data.kind !== 'double-alloc') return own;
      const ty = /`([^`]+)`/.exec(f.message)?.[1];
      return ty
        ? { id: `double-alloc:${ty}`, label: ty, kind: 'type', at: { file, line, column } }
        : own;
    }
    case 'large-future':
      return {
        id: `future:${module}::${f.data.callee}`,
        label: `${f.data.callee}(..).await`,
        kind: 'future',
        at: { file, line, column },
      };
    default:
      return own;
  }
}

type Kind = 'copy' | 'allocator';
const KINDS: Record<Confirmation['measure'], Kind[]> = {
  copy: ['copy'],
  allocator: ['allocator'],
  'alloc+copy': ['copy', 'allocator'],
};

/** One (line, kind) of the profile a finding claims as its evidence. */
interface Claim {
  key: string;
  rel: string;
  line: number;
  kind: Kind;
}

/** The (line, kind) pairs a finding's confirmations (current and baseline) name as evidence. */
function claimsOf(cs: readonly (Confirmation | undefined)[]): Claim[] {
  const out = new Map<string, Claim>();
  for (const c of cs) {
    if (!c) continue;
    for (const e of c.evidence)
      for (const kind of KINDS[c.measure])
        out.set(`${e.file}:${e.line}:${kind}`, {
          key: `${e.file}:${e.line}:${kind}`,
          rel: e.file,
          line: e.line,
          kind,
        });
  }
  return [...out.values()];
}

function sum(
  claims: readonly Claim[],
  get: (rel: string, line: number) => LineCounts | undefined,
): LineCounts {
  const out = { copy: 0, allocator: 0, total: 0 };
  const lines = new Set<string>();
  for (const c of claims) {
    const x = get(c.rel, c.line);
    if (!x) continue;
    out[c.kind] += x[c.kind];
    if (!lines.has(`${c.rel}:${c.line}`)) {
      lines.add(`${c.rel}:${c.line}`);
      out.total += x.total;
    }
  }
  return out;
}

/** `memcpy 1,638 · allocator 12 samples (36.3% of all)` or `54.5 MB (99.0% of allocated bytes)`. */
export function evidenceText(p: ProfileLines, c: LineCounts): string {
  if (p.kind === 'heap')
    return c.total > 0
      ? `${bytes(c.total)} allocated (${pctOf(c.total, p.totals.total)})`
      : 'no allocations measured';
  const parts = [
    c.copy > 0 ? `memcpy ${n(c.copy)}` : '',
    c.allocator > 0 ? `allocator ${n(c.allocator)}` : '',
  ].filter(Boolean);
  const mem = c.copy + c.allocator;
  if (parts.length === 0)
    return c.total > 0
      ? `${n(c.total)} samples (${pctOf(c.total, p.totals.total)} of all), no memcpy/allocator`
      : 'no samples';
  return `${parts.join(' · ')} samples (${pctOf(mem, p.totals.total)} of all)`;
}

/** `memcpy 36.0% → 0.4% of all samples` between the baseline and the current profile. */
export function deltaText(
  p: ProfileLines,
  before: LineCounts,
  after: LineCounts,
): string | undefined {
  const b = p.baseline;
  if (!b) return undefined;
  const kinds = [
    ['memcpy', before.copy, after.copy],
    ['allocator', before.allocator, after.allocator],
  ] as const;
  const moved = kinds.filter(([, x, y]) => x > 0 || y > 0);
  if (moved.length === 0) return 'no memcpy/allocator samples in either profile';
  return (
    moved
      .map(([label, x, y]) => `${label} ${pctOf(x, b.totals.total)} → ${pctOf(y, p.totals.total)}`)
      .join(' · ') + ' of all samples'
  );
}

function bytes(b: number): string {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = b;
  let i = 0;
  while (v >= 1000 && i < u.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${b} B` : `${v.toFixed(1)} ${u[i]}`;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

/**
 * The view's tree: findings of every folder grouped by cause. `confirmations` (of the loaded
 * profile, if any) give each finding's evidence lines and its raised severity; the profile's own
 * findings (`profileFindings`: heap churn, peak holders...) are one group each, at their line.
 * The caller passes what findings-store.ts holds, so the tree lists what the diagnostics publish.
 */
export function findingsTree(
  folders: readonly FolderState[],
  findingsOf: (root: string) => Finding[],
  confirmations: readonly Confirmation[],
  profile: ProfileLines | undefined,
  profileName?: string,
  baselineConfirmations: readonly Confirmation[] = [],
  profileFindings: readonly ProfileFinding[] = [],
): FindingsTree {
  const byFinding = new Map(confirmations.map(c => [c.finding, c]));
  const baseByFinding = new Map(baselineConfirmations.map(c => [c.finding, c]));
  const groups = new Map<
    string,
    {
      cause: Cause;
      folder: FolderState;
      findings: { f: Finding; c?: Confirmation; claims: Claim[] }[];
    }
  >();
  for (const folder of folders) {
    for (const f of findingsOf(folder.root)) {
      const cause = causeOf(folder, f);
      const key = `${folder.root}\0${cause.id}`;
      const g = groups.get(key) ?? { cause, folder, findings: [] };
      const c = byFinding.get(f);
      g.findings.push({ f, c, claims: claimsOf([c, baseByFinding.get(f)]) });
      groups.set(key, g);
    }
  }
  // Each (line, kind) of the profile is counted under one finding only, so neither a group nor the
  // whole view counts a sample twice. The owner: the finding on that very line, else one that
  // measures exactly that kind, else the most specific (fewest evidence lines), else the largest.
  const owner = new Map<string, Finding>();
  {
    const bids = new Map<
      string,
      { f: Finding; own: boolean; exact: boolean; lines: number; size: number; where: string }[]
    >();
    for (const g of groups.values()) {
      for (const { f, c, claims } of g.findings) {
        if (!c) continue;
        const lines = new Set(claims.map(x => `${x.rel}:${x.line}`)).size;
        const rel = path.relative(g.folder.root, f.range.file).split(path.sep).join('/');
        for (const cl of claims) {
          const own = cl.rel === rel && cl.line >= f.range.line && cl.line <= f.range.endLine;
          const list = bids.get(cl.key) ?? [];
          list.push({
            f,
            own,
            exact: KINDS[c.measure].length === 1,
            lines,
            size: sizeOfFinding(f) ?? 0,
            where: `${rel}:${f.range.line}:${f.range.column}`,
          });
          bids.set(cl.key, list);
        }
      }
    }
    for (const [key, list] of bids) {
      list.sort(
        (a, b) =>
          Number(b.own) - Number(a.own) ||
          Number(b.exact) - Number(a.exact) ||
          a.lines - b.lines ||
          b.size - a.size ||
          a.where.localeCompare(b.where),
      );
      owner.set(key, list[0].f);
    }
  }
  const out: CauseGroup[] = [];
  for (const { cause, folder, findings } of groups.values()) {
    const rel = (file: string) => path.relative(folder.root, file).split(path.sep).join('/');
    const groupClaims: Claim[] = [];
    const children: CauseFinding[] = findings.map(({ f, c, claims }) => {
      const mine = claims.filter(x => owner.get(x.key) === f);
      groupClaims.push(...mine);
      const counts = profile ? sum(mine, (r, l) => profile.line(r, l)) : undefined;
      const before = profile?.baseline
        ? sum(mine, (r, l) => profile.baseline!.line(r, l))
        : undefined;
      const shared = claims.length - mine.length;
      return {
        code: f.code,
        severity: severityOf(f, c),
        message: f.message,
        uri: fileUri(f.range.file),
        line: f.range.line - 1,
        character: f.range.column - 1,
        endLine: f.range.endLine - 1,
        endCharacter: f.range.endColumn - 1,
        where: `${rel(f.range.file)}:${f.range.line}`,
        evidence:
          profile && counts
            ? evidenceText(profile, counts) +
              (shared > 0 && mine.length === 0
                ? ' (its evidence is counted under another finding)'
                : '')
            : undefined,
        delta: profile && counts && before ? deltaText(profile, before, counts) : undefined,
        cost: profile && counts ? costOf(profile, counts) : 0,
        confirmed: c?.confirmed ?? false,
        fixes: f.fixes.length,
        size: sizeOfFinding(f),
      };
    });
    const counts = profile ? sum(groupClaims, (r, l) => profile.line(r, l)) : undefined;
    const before = profile?.baseline
      ? sum(groupClaims, (r, l) => profile.baseline!.line(r, l))
      : undefined;
    const layout = cause.item ? folder.engine.layoutOfItem(cause.item) : undefined;
    const at = cause.item
      ? {
          file: cause.item.nameSpan.file,
          line: cause.item.nameSpan.line,
          column: cause.item.nameSpan.column,
        }
      : cause.at;
    children.sort(
      (a, b) =>
        b.cost - a.cost ||
        RANK[a.severity] - RANK[b.severity] ||
        a.where.localeCompare(b.where, 'en', { numeric: true }),
    );
    out.push({
      id: `${folder.root}\0${cause.id}`,
      label: cause.label,
      kind: cause.kind,
      itemKind: cause.item?.kind,
      path: cause.item?.path,
      size:
        layout && !layout.error && layout.status !== 'unknown'
          ? layout.size
          : Math.max(0, ...children.map(c => c.size ?? 0)) || undefined,
      sizeLabel: layout ? sizeLabel(layout) : undefined,
      uri: at ? fileUri(at.file) : undefined,
      line: at ? at.line - 1 : undefined,
      character: at ? at.column - 1 : undefined,
      where: at ? `${rel(at.file)}:${at.line}` : undefined,
      evidence: profile && counts ? evidenceText(profile, counts) : undefined,
      delta: profile && counts && before ? deltaText(profile, before, counts) : undefined,
      cost: profile && counts ? costOf(profile, counts) : 0,
      confirmed: children.some(c => c.confirmed),
      severity: children.reduce<Severity>(
        (s, c) => (RANK[c.severity] < RANK[s] ? c.severity : s),
        'hint',
      ),
      findings: children,
    });
  }
  for (const p of profileFindings) out.push(profileGroup(folders, p));
  out.sort(
    (a, b) =>
      b.cost - a.cost ||
      b.findings.length - a.findings.length ||
      (b.size ?? 0) - (a.size ?? 0) ||
      a.label.localeCompare(b.label),
  );
  return {
    profile: profileName,
    baseline: profile?.baseline?.name,
    unit: profile?.kind === 'heap' ? 'bytes' : profile ? 'samples' : undefined,
    groups: out,
  };
}

/**
 * A finding of the profile itself (a heap diagnostic) as its own group: it is measured, so it
 * counts as confirmed; its bytes are in its message, not summed with the static findings' lines.
 */
function profileGroup(folders: readonly FolderState[], p: ProfileFinding): CauseGroup {
  const folder = folders.find(x => p.file.startsWith(x.root + path.sep));
  const rel = folder ? path.relative(folder.root, p.file).split(path.sep).join('/') : p.file;
  const where = `${rel}:${p.line + 1}`;
  const uri = fileUri(p.file);
  return {
    id: `${folder?.root ?? ''}\0profile:${where}:${p.code}`,
    label: p.code,
    kind: 'site',
    uri,
    line: p.line,
    character: 0,
    where,
    cost: 0,
    confirmed: true,
    severity: p.severity,
    findings: [
      {
        code: p.code,
        severity: p.severity,
        message: p.message,
        uri,
        line: p.line,
        character: 0,
        endLine: p.line,
        endCharacter: p.endCharacter,
        where,
        cost: 0,
        confirmed: true,
        fixes: 0,
      },
    ],
  };
}

/** Share of the run a group/finding costs: allocator + memcpy samples (CPU) or bytes (heap). */
function costOf(p: ProfileLines, c: LineCounts): number {
  if (p.totals.total <= 0) return 0;
  return p.kind === 'heap' ? c.total / p.totals.total : (c.copy + c.allocator) / p.totals.total;
}

/** The static size a finding is about (bytes), when its rule records one. */
function sizeOfFinding(f: Finding): number | undefined {
  switch (f.code) {
    case 'large-error':
      return f.data.resultSize;
    case 'large-enum-variant':
      return f.data.enumSize;
    case 'large-move':
      return f.data.size;
    case 'large-future':
      return f.data.awaiteeSize;
    default:
      return undefined;
  }
}
