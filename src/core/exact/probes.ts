/**
 * Complete exact mode: rustc only lays out (and `-Zprint-type-sizes` only prints) the types the
 * crate happens to use; on single-file crates 394 of 817 concrete types were missing. A scratch
 * copy of the crate gets a probe after every concrete type definition,
 *
 *     const _: usize = ::core::mem::size_of::<Name<'static>>();
 *
 * in the type's own module (so private types are nameable), which makes rustc lay each one out.
 * Generic types (type or const parameters), unsized types, types the engine knows to be
 * infinitely recursive, types compiled out by `#[cfg]` and items inside macro bodies are left
 * out with the reason.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WorkspaceIndex } from '../index/workspace';
import type { LayoutEngine } from '../layout/engine';
import type { TypeDefItem } from '../model';

export interface ProbePlan {
  /** New text per source file (absolute path of the original). */
  texts: Map<string, string>;
  /** Concrete types that got a probe. */
  probed: TypeDefItem[];
  /** Types without a probe, and why. */
  skipped: { item: TypeDefItem; reason: string }[];
}

/** Plans one probe per concrete type defined in `files` (all indexed files by default). */
export function planProbes(
  index: WorkspaceIndex,
  engine: LayoutEngine,
  files?: string[],
): ProbePlan {
  const wanted = files ? new Set(files) : undefined;
  const owners = index.items.filter(i => i.kind === 'impl' || i.kind === 'trait');
  const inserts = new Map<string, { at: number; text: string }[]>();
  const probed: TypeDefItem[] = [];
  const skipped: { item: TypeDefItem; reason: string }[] = [];
  for (const item of index.typeDefs()) {
    const file = item.span.file;
    if (wanted && !wanted.has(file)) continue;
    const skip = (reason: string) => skipped.push({ item, reason });
    if (item.generics.some(g => g.kind !== 'lifetime')) {
      skip('generic');
      continue;
    }
    if (item.viaMacro) {
      skip(`inside ${item.viaMacro}!`);
      continue;
    }
    if (item.kind === 'type') {
      // rustc prints an alias under its target's name (or not at all for primitives).
      skip('type alias');
      continue;
    }
    if (
      owners.some(
        o =>
          o.span.file === file &&
          o.span.startOffset < item.span.startOffset &&
          o.span.endOffset >= item.span.endOffset,
      )
    ) {
      skip('associated type');
      continue;
    }
    if (index.isActive && item.attrs.length && !index.isActive(item.module, item.attrs)) {
      skip('compiled out by #[cfg]');
      continue;
    }
    const l = engine.layoutOfItem(item);
    if (l.error) {
      skip(l.error);
      continue;
    }
    if (l.unsized) {
      skip('unsized');
      continue;
    }
    const lts = item.generics.filter(g => g.kind === 'lifetime').map(() => "'static");
    const ty = lts.length ? `${item.name}<${lts.join(', ')}>` : item.name;
    const list = inserts.get(file) ?? inserts.set(file, []).get(file)!;
    // Same line as the item's end: later line numbers (closure and async block names) stay put.
    list.push({
      at: item.span.endOffset,
      text: ` const _: usize = ::core::mem::size_of::<${ty}>();`,
    });
    probed.push(item);
  }
  const texts = new Map<string, string>();
  for (const [file, list] of inserts) {
    let text = index.fileText(file);
    if (text === undefined) continue;
    for (const ins of list.sort((a, b) => b.at - a.at))
      text = text.slice(0, ins.at) + ins.text + text.slice(ins.at);
    texts.set(file, text);
  }
  return { texts, probed, skipped };
}

const SKIP_DIRS = new Set(['target', '.git', 'node_modules']);

/**
 * The scratch copy lives in a private per-user directory keyed by the crate's path, so
 * repeated runs reuse cargo's build of the dependencies.
 */
export function probeScratchDir(crateRoot: string): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const base = path.join(os.tmpdir(), `alloc-lens-probes-${uid}`);
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  return path.join(
    base,
    crypto.createHash('sha256').update(path.resolve(crateRoot)).digest('hex').slice(0, 16),
  );
}

/** Copies `crateRoot` to `scratch` (sources, manifests, `.cargo/`) with the probes applied. */
export function writeProbedCopy(crateRoot: string, scratch: string, plan: ProbePlan): void {
  fs.rmSync(scratch, { recursive: true, force: true });
  const copy = (from: string, to: string) => {
    fs.mkdirSync(to, { recursive: true, mode: 0o700 });
    for (const e of fs.readdirSync(from, { withFileTypes: true })) {
      const s = path.join(from, e.name);
      const d = path.join(to, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) copy(s, d);
      } else if (e.isFile()) {
        const probed = plan.texts.get(s);
        if (probed !== undefined) fs.writeFileSync(d, probed);
        else fs.copyFileSync(s, d);
      }
    }
  };
  copy(crateRoot, scratch);
}
