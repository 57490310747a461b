/**
 * Boundaries that ESLint's import-x/no-cycle does not see: it skips `import type`, and it has no
 * notion of folders. Here every relative import counts (type-only included): no file-level cycle
 * anywhere under src/, `vscode` only under src/extension/, and folder-level cycles only where
 * listed (the list must match exactly, so a fixed cycle is removed from it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.join(__dirname, '..', '..', '..', 'src');
/**
 * Folder cycles allowed: none. The last one (config <-> fixes <-> rules, all through types) was
 * broken by giving fixes their own types (fixes/types.ts) and the rules their settings type.
 */
const KNOWN_FOLDER_CYCLES: string[] = [];

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^;'"]*?\bfrom\s+'([^']+)'|\brequire\(\s*'([^']+)'\s*\)|\bimport\(\s*'([^']+)'\s*\)/g;

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(c)) return c;
  return undefined;
}

/** Tarjan's strongly connected components with more than one node (or a self-loop). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || graph.get(v)?.has(v)) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const files = tsFiles(SRC);
const rel = (f: string) => path.relative(SRC, f).split(path.sep).join('/');
const graph = new Map<string, Set<string>>();
for (const f of files) {
  const deps = new Set<string>();
  for (const spec of importsOf(f)) {
    const target = resolveLocal(f, spec);
    if (target) deps.add(rel(target));
  }
  graph.set(rel(f), deps);
}

test('no import cycle between files under src/ (type-only imports count)', () => {
  assert.ok(graph.size > 80, `${graph.size} files`);
  assert.deepEqual(
    cycles(graph).map(c => c.join(' -> ')),
    [],
  );
});

test('only src/extension/ imports vscode', () => {
  const bad = files
    .filter(f => !rel(f).startsWith('extension/') && importsOf(f).includes('vscode'))
    .map(rel);
  assert.deepEqual(bad, []);
});

test('folder-level import cycles between the parts of core/ (index, layout, rules, fixes...) are exactly the known ones', () => {
  // Nodes are sub-folders (core/rules); the shared files directly in core/ (model.ts, parser.ts)
  // are the common base, not a part.
  const part = (f: string) => (f.split('/').length >= 3 ? path.posix.dirname(f) : undefined);
  const folders = new Map<string, Set<string>>();
  for (const [f, deps] of graph) {
    const from = part(f);
    if (!from) continue;
    const set = folders.get(from) ?? new Set<string>();
    for (const d of deps) {
      const to = part(d);
      if (to && to !== from) set.add(to);
    }
    folders.set(from, set);
  }
  assert.deepEqual(
    cycles(folders).map(c => c.join(' <-> ')),
    KNOWN_FOLDER_CYCLES,
  );
});

test('the cycle finder finds cycles (checked on a made-up graph)', () => {
  const g = new Map([
    ['a', new Set(['b'])],
    ['b', new Set(['c'])],
    ['c', new Set(['a'])],
    ['d', new Set(['a'])],
  ]);
  assert.deepEqual(cycles(g), [['a', 'b', 'c']]);
});
