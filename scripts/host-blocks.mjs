#!/usr/bin/env node
// Reads a V8 .cpuprofile of the extension host (ALLOC_LENS_HOST_PROFILE=<file>, written by the
// extension at the end of its first analysis) and lists the longest runs of busy samples (the
// event-loop blocks) with who spent them: an extension (by the outermost extension script on the
// stack), V8's garbage collector, or VS Code / node itself.
// Usage: node scripts/host-blocks.mjs <file.cpuprofile> [top=8]
// Sampling is by wall clock: on a loaded machine a run includes the time the thread waited for a CPU.
import { readFileSync } from 'node:fs';

const where = url =>
  url
    ? url
        .replace(/^.*\/extensions\/([^/]+)\/.*$/, 'ext:$1')
        .replace(/^.*\/lib\/vscode\/out\/.*$/, 'vscode')
    : '(native)';

/** The busy runs of a profile, longest first: `{ ms, atMs, owners: [[who, share]], leaves: [[fn, share]] }`. */
export function hostBlocks(profile) {
  const p = profile;
  const nodes = new Map(p.nodes.map(n => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = id => {
    const fn = nodes.get(id).callFrame.functionName;
    let who = fn === '(garbage collector)' ? 'GC' : where(nodes.get(id).callFrame.url);
    for (let x = id; x !== undefined; x = parent.get(x))
      if (/\/extensions\//.test(nodes.get(x).callFrame.url))
        who = where(nodes.get(x).callFrame.url);
    return who;
  };
  const runs = [];
  let t = p.startTime;
  let cur;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    const fn = nodes.get(p.samples[i]).callFrame.functionName;
    if (fn !== '(idle)' && fn !== '(program)') {
      cur ??= { start: t, end: t, samples: [] };
      cur.end = t + (p.timeDeltas[i + 1] ?? 0);
      cur.samples.push(p.samples[i]);
    } else if (cur) {
      runs.push(cur);
      cur = undefined;
    }
  }
  if (cur) runs.push(cur);
  const shares = keys => {
    const m = new Map();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / keys.length]);
  };
  return runs
    .map(r => ({
      ms: (r.end - r.start) / 1000,
      atMs: (r.start - p.startTime) / 1000,
      owners: shares(r.samples.map(owner)),
      leaves: shares(
        r.samples.map(
          s =>
            `${nodes.get(s).callFrame.functionName || '(anonymous)'} ${where(nodes.get(s).callFrame.url)}`,
        ),
      ),
    }))
    .sort((a, b) => b.ms - a.ms);
}

export function describeBlock(b) {
  const top = l =>
    l
      .slice(0, 3)
      .map(([k, v]) => `${k} ${Math.round(100 * v)} %`)
      .join(', ');
  return `${b.ms.toFixed(1)} ms at +${b.atMs.toFixed(0)} ms: ${top(b.owners)} | ${top(b.leaves)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node scripts/host-blocks.mjs <file.cpuprofile> [top]');
    process.exit(2);
  }
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const runs = hostBlocks(p);
  console.log(
    `${file}: ${((p.endTime - p.startTime) / 1000).toFixed(0)} ms profiled, ${runs.reduce((a, r) => a + r.ms, 0).toFixed(0)} ms busy in ${runs.length} runs`,
  );
  for (const r of runs.slice(0, Number(topArg ?? 8))) console.log(describeBlock(r));
}
