// Alloc Lens's own stretches of the extension host's thread, from its V8 CPU profile
// (ALLOC_LENS_HOST_PROFILE): runs of consecutive samples whose stack holds a frame of the
// extension (its bundle under extensions/alloc-lens...). scripts/host-blocks.mjs measures the
// busy runs, which on a loaded machine merge other extensions' and VS Code's work with ours;
// this counts only ours. `ms` is the wall clock of the run (from the sample before it to its last
// sample); `sampledMs` counts each sample as at most 2 sampling intervals, so that a gap where the
// thread waited for a core (load average above the 2 cores) is not counted as our work.
const OURS = /\/extensions\/alloc-lens\./;

export function ownBlocks(profile, intervalMs = 0.5) {
  const nodes = new Map(profile.nodes.map(n => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ours = new Map();
  const isOurs = id => {
    let r = ours.get(id);
    if (r === undefined) {
      r = false;
      for (let x = id; x !== undefined; x = parent.get(x))
        if (OURS.test(nodes.get(x).callFrame.url)) {
          r = true;
          break;
        }
      ours.set(id, r);
    }
    return r;
  };
  const runs = [];
  let t = profile.startTime;
  let cur;
  for (let i = 0; i < profile.samples.length; i++) {
    // The first delta runs from the profiler's start, not from a previous sample.
    const dt = i === 0 ? intervalMs : profile.timeDeltas[i] / 1000;
    t += profile.timeDeltas[i];
    if (isOurs(profile.samples[i])) {
      cur ??= { atMs: (t - profile.startTime) / 1000 - dt, ms: 0, sampledMs: 0, samples: 0 };
      cur.ms += dt;
      cur.sampledMs += Math.min(dt, 2 * intervalMs);
      cur.samples++;
    } else if (cur) {
      runs.push(cur);
      cur = undefined;
    }
  }
  if (cur) runs.push(cur);
  return runs.sort((a, b) => b.ms - a.ms);
}

export const describeOwn = b =>
  `${b.ms.toFixed(1)} ms wall (${b.sampledMs.toFixed(1)} ms sampled, ${b.samples} samples) at +${b.atMs.toFixed(0)} ms`;
