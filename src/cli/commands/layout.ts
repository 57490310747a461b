/**
 * `alloc-lens layout <file-or-dir> [--json]`: the layout of every type defined in a path. The
 * enclosing crate is analysed so that types from other files resolve.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  loadWorkspace,
  type LoadOptions,
  type TypeOrigin,
  type WorkspaceIndex,
} from '../../core/index/workspace';
import { CargoFileError } from '../../core/cargo/toml';
import { cargoLoadOptions, CARGO_BOOL_FLAGS, CARGO_USAGE, CARGO_VALUE_FLAGS } from '../cargo-flags';
import { LayoutEngine } from '../../core/layout/engine';
import type { TypeDefItem } from '../../core/model';
import type { TypeLayout } from '../../core/layout/types';
import { listRustFiles, enclosingPackage } from '../../core/index/crates';
import { fmtBytes, parseArgs, UsageError, type CliIo } from '../io';

/** One entry of the JSON output (`{"root", "types": [...]}`); documented in README. */
export interface LayoutJsonType {
  name: string;
  path: string;
  kind: TypeDefItem['kind'];
  file: string;
  line: number;
  column: number;
  size: number | null;
  align: number | null;
  status: TypeLayout['status'];
  niche?: { offset: number; bytes: number; available: string };
  padding?: number;
  largest?: string;
  unknownParts?: string[];
  error?: string;
  viaMacro?: string;
  generic: boolean;
  fields?: { name: string; type: string; offset: number; size: number; align: number }[];
  variants?: {
    name: string;
    size: number;
    fieldsSize: number;
    discriminant?: string;
    uninhabited: boolean;
    fields: { name: string; type: string; offset: number; size: number }[];
  }[];
  tag?: { offset: number; size: number };
  /** Where the type is defined: a workspace crate, or a dependency package and version. */
  origin?: TypeOrigin;
  /** Why the status is not `exact` (the unknown parts, or the error); absent when exact. */
  reason?: string;
}

/** Load the workspace; a malformed Cargo.toml/Cargo.lock is a usage error naming file and line. */
export async function loadWorkspaceOrFail(
  target: string,
  opts: LoadOptions,
): Promise<WorkspaceIndex> {
  try {
    return await loadWorkspace(target, opts);
  } catch (e) {
    if (e instanceof CargoFileError) throw new UsageError(e.message);
    throw e;
  }
}

/** Resolve the CLI path argument to the files whose types are reported. */
export function rustFilesFor(target: string): { files: string[]; root: string } {
  const abs = path.resolve(target);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new UsageError(`${target}: no such file or directory`);
  }
  if (st.isFile()) {
    if (!abs.endsWith('.rs')) throw new UsageError(`${target}: not a Rust source file (.rs)`);
    return { files: [abs], root: enclosingPackage(abs) ?? path.dirname(abs) };
  }
  const files = listRustFiles(abs);
  if (files.length === 0) throw new UsageError(`${target}: no Rust source files (.rs) found`);
  return { files, root: enclosingPackage(abs) ?? abs };
}

export function layoutJson(
  item: TypeDefItem,
  l: TypeLayout,
  root: string,
  origin?: TypeOrigin,
): LayoutJsonType {
  const known = l.status !== 'unknown';
  return {
    name: item.name,
    path: item.path,
    kind: item.kind,
    file: path.relative(root, item.span.file) || path.basename(item.span.file),
    line: item.nameSpan.line,
    column: item.nameSpan.column,
    size: known ? l.size : null,
    align: known ? l.align : null,
    status: l.status,
    niche: l.niche
      ? { offset: l.niche.offset, bytes: l.niche.bytes, available: l.niche.available.toString() }
      : undefined,
    padding: l.padding,
    largest: l.largest,
    unknownParts: l.unknownParts,
    error: l.error,
    viaMacro: item.viaMacro,
    generic: item.generics.some(g => g.kind !== 'lifetime'),
    fields: l.fields?.map(f => ({
      name: f.name,
      type: f.type,
      offset: f.offset,
      size: f.size,
      align: f.align,
    })),
    variants: l.variants?.map(v => ({
      name: v.name,
      size: v.size,
      fieldsSize: v.fieldsSize,
      discriminant: v.discriminant?.toString(),
      uninhabited: v.uninhabited,
      fields: v.fields.map(f => ({ name: f.name, type: f.type, offset: f.offset, size: f.size })),
    })),
    tag: l.tag,
    origin,
    reason:
      l.status === 'exact' && !l.error
        ? undefined
        : (l.error ??
          (l.unknownParts?.length
            ? `unknown (counted as 0): ${l.unknownParts.join('; ')}`
            : 'unknown')),
  };
}

function sizeText(l: TypeLayout): string {
  if (l.error) return `error: ${l.error}`;
  if (l.status === 'unknown') return 'size unknown';
  const s = `${fmtBytes(l.size)} B, align ${l.align}`;
  return l.status === 'lower-bound' ? `at least ${s}` : s;
}

function renderText(t: LayoutJsonType, l: TypeLayout): string {
  const lines = [
    `${t.path}  (${t.kind}, ${t.file}:${t.line})  ${sizeText(l)}${t.viaMacro ? `  [in ${t.viaMacro}!]` : ''}`,
  ];
  if (l.largest) lines.push(`  largest: ${l.largest}`);
  if (l.unknownParts?.length) lines.push(`  unknown (counted as 0): ${l.unknownParts.join(', ')}`);
  for (const f of l.fields ?? [])
    lines.push(`  @${String(f.offset).padEnd(6)} ${f.name}: ${f.type}  (${fmtBytes(f.size)} B)`);
  if (l.tag) lines.push(`  tag @${l.tag.offset}: ${l.tag.size} B`);
  for (const v of l.variants ?? []) {
    lines.push(`  ${v.name}: ${fmtBytes(v.size)} B${v.uninhabited ? ' (uninhabited)' : ''}`);
    for (const f of v.fields)
      lines.push(
        `    @${String(f.offset).padEnd(6)} ${f.name}: ${f.type}  (${fmtBytes(f.size)} B)`,
      );
  }
  return lines.join('\n');
}

export async function runLayout(args: string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(args, CARGO_VALUE_FLAGS, [
    'json',
    'exact',
    ...CARGO_BOOL_FLAGS,
  ]);
  if (positional.length !== 1)
    throw new UsageError(
      `usage: alloc-lens layout <file-or-dir> [--json] [--exact] ${CARGO_USAGE}`,
    );
  const { files, root } = rustFilesFor(positional[0]);
  if (flags.has('exact')) return runExactLayout(positional[0], root, files, flags.has('json'), io);
  const index = await loadWorkspaceOrFail(positional[0], cargoLoadOptions(flags));
  const wanted = new Set(files);
  index.ensureFiles(files);
  const engine = new LayoutEngine(index);
  const defs = index
    .typeDefs()
    .filter(t => wanted.has(t.span.file))
    .sort(
      (a, b) => a.span.file.localeCompare(b.span.file) || a.span.startOffset - b.span.startOffset,
    );
  const results = defs.map(item => ({ item, l: engine.layoutOfItem(item) }));
  for (const n of index.notices) io.stderr.write(`alloc-lens: warning: ${n}\n`);
  for (const w of index.warnings)
    if (wanted.has(w.file))
      io.stderr.write(
        `alloc-lens: warning: ${path.relative(root, w.file)}${w.line ? `:${w.line}` : ''}: ${w.message}\n`,
      );
  if (flags.has('json')) {
    io.stdout.write(
      JSON.stringify(
        { root, types: results.map(r => layoutJson(r.item, r.l, root, index.originOf(r.item))) },
        null,
        2,
      ) + '\n',
    );
  } else {
    if (results.length === 0)
      io.stdout.write('no struct, enum, union or type alias defined here\n');
    io.stdout.write(
      results.map(r => renderText(layoutJson(r.item, r.l, root), r.l)).join('\n\n') + '\n',
    );
  }
  return 0;
}

/** `--exact`: ask rustc (-Zprint-type-sizes) and report the drift against the estimates. */
async function runExactLayout(
  target: string,
  root: string,
  files: string[],
  json: boolean,
  io: CliIo,
): Promise<number> {
  const { exactLayoutReport, exactJson, renderExactText } = await import('../../core/exact/index');
  const abs = path.resolve(target);
  const isFile = fs.statSync(abs).isFile();
  const hasManifest = fs.existsSync(path.join(root, 'Cargo.toml'));
  try {
    const report = await exactLayoutReport(
      hasManifest
        ? { crateDir: root, onProgress: m => io.stderr.write(`alloc-lens: ${m}\n`) }
        : { file: isFile ? abs : files[0], onProgress: m => io.stderr.write(`alloc-lens: ${m}\n`) },
    );
    io.stdout.write(
      json ? JSON.stringify(exactJson(report), null, 2) + '\n' : renderExactText(report),
    );
    return 0;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
