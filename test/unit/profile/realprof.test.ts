/**
 * Real recordings: three programs of examples/realprof (a tokio service, a serde_json + regex
 * batch job, a rayon pipeline), recorded by `npm run measure:recordings` with `--call-graph
 * dwarf` and with `-g` (frame-pointer build), exported with and without srcline. Ground truth:
 * `perf script --no-inline` stacks + `nm` + `addr2line -i` on the unstripped binaries, computed
 * by that script without Alloc Lens code (test/fixtures/realprof/*.truth.json).
 *
 * The rayon pipeline's workspace code is inlined into rayon/core frames: -g stacks (perf prints
 * one srcline per frame there, no inline chain) name it in 1-59% of its samples; Alloc Lens reads
 * the inline chains from the binary with addr2line (replayed here from the recorded output), and
 * then attributes all of them (its dwarf text without srcline too: 19% from the text alone). Not
 * asserted: the batch job's -g/no-srcline function ranking, which differs.
 * The kind of a sample comes from its physical frames only, as in the truth: allocator code
 * inlined into serde's visitors (RawVec growth checks) counted as allocation and put the derive
 * visitor's line (batch.rs:9) first with 25 samples where the truth ranks it 3rd with 18.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { analyzeProfile, type AnalyzeOptions } from '../../../src/profile/analyze';
import { parseAddr2line } from '../../../src/profile/inline-expand';
import type { HotLineJson, ProfileReportJson } from '../../../src/profile/report';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const DIR = path.join(REPO, 'test', 'fixtures', 'realprof');
const ROOT = path.join(REPO, 'examples', 'realprof');

interface Truth {
  samples: number;
  withWorkspaceFrame: number;
  alloc: number;
  copy: number;
  free: number;
  topCopy: { line: string; samples: number }[];
  topAlloc: { line: string; samples: number }[];
  topCopyFn: { function: string; samples: number }[];
  topAllocFn: { function: string; samples: number }[];
}

type Kind = 'copy' | 'alloc';
const top5 = (m: Map<string, number>) =>
  [...m].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5).map(([k]) => k);
/** Closures share their fn's definition line when there is no srcline: compare them as the fn. */
const fnOf = (f: string) => f.replace(/(?:::\{\{closure\}\})+$/, '');
const sum = (pairs: [string, number][]) => {
  const m = new Map<string, number>();
  for (const [k, n] of pairs) m.set(k, (m.get(k) ?? 0) + n);
  return m;
};
const ourLines = (l: HotLineJson[], k: Kind) => top5(new Map(l.map(h => [`${h.file}:${h.line}`, h.samples[k]])));
const ourFns = (l: HotLineJson[], k: Kind) => top5(sum(l.map(h => [fnOf(h.function), h.samples[k]])));
const truthFns = (t: { function: string; samples: number }[]) => top5(sum(t.map(x => [fnOf(x.function), x.samples])));

/**
 * The inline expansion Alloc Lens runs on a -g recording's binary, replayed from the addr2line
 * output recorded with it (`<prog>-fp.addr2line.txt.gz`); without that file, no expansion (a
 * binary built later is not the recorded one).
 */
function inlineReplay(prog: string, mode = 'fp'): AnalyzeOptions['inline'] | undefined {
  const f = path.join(DIR, `${prog}-${mode}.addr2line.txt.gz`);
  if (!fs.existsSync(f)) return undefined;
  const chains = parseAddr2line(zlib.gunzipSync(fs.readFileSync(f)).toString('utf8'));
  return {
    binaries: dsos => new Map([...dsos].filter(d => d === (mode === 'fp' ? `target/fp/release/${prog}` : `target/release/${prog}`)).map(d => [d, d])),
    chains: async (_bin, addrs) => new Map(addrs.filter(a => chains.has(a)).map(a => [a, chains.get(a)!])),
  };
}

const cache = new Map<string, Promise<ProfileReportJson>>();
function report(name: string): Promise<ProfileReportJson> {
  let p = cache.get(name);
  const [prog, mode] = name.split('-');
  const inline = inlineReplay(prog, mode);
  if (!p) cache.set(name, (p = analyzeProfile(path.join(DIR, `${name}.perf-script.txt.gz`), { root: ROOT, top: 0, ...(inline ? { inline } : { expand: false }) }).then(a => a.report)));
  return p;
}
const truth = (prog: string, mode: string) => JSON.parse(fs.readFileSync(path.join(DIR, `${prog}-${mode}.truth.json`), 'utf8')) as Truth;

test('12 real recordings: sample counts equal, allocation/free/memcpy shares within 5 pp of the truth', async () => {
  for (const prog of ['service', 'batch', 'pipeline']) {
    for (const mode of ['dwarf', 'fp']) {
      const t = truth(prog, mode);
      for (const v of ['srcline', 'nosrcline']) {
        const r = await report(`${prog}-${mode}-${v}`);
        assert.equal(r.samples.total, t.samples, `${prog}-${mode}-${v}`);
        for (const k of ['alloc', 'copy', 'free'] as const) {
          const err = Math.abs(r.samples[k] / r.samples.total - t[k] / t.samples);
          assert.ok(err <= 0.05, `${prog}-${mode}-${v}: ${k} share off by ${(err * 100).toFixed(1)} pp`);
        }
        if (mode === 'fp' && t.copy > 0) assert.ok(r.warnings.some(w => /perf record -g/.test(w)), `${prog}-${mode}-${v}: the -g warning`);
      }
    }
  }
});

test('all 12 texts: >= 90% of the samples with a workspace frame are attributed (the rayon pipeline\'s -g and no-srcline texts through the binary\'s inline chains)', async () => {
  for (const [prog, modes] of [['service', ['dwarf', 'fp']], ['batch', ['dwarf', 'fp']], ['pipeline', ['dwarf', 'fp']]] as const) {
    for (const mode of modes) {
      const t = truth(prog, mode);
      for (const v of ['srcline', 'nosrcline']) {
        const r = await report(`${prog}-${mode}-${v}`);
        assert.ok(r.samples.attributed >= 0.9 * t.withWorkspaceFrame, `${prog}-${mode}-${v}: ${r.samples.attributed} of ${t.withWorkspaceFrame}`);
      }
    }
  }
});

test('dwarf + srcline: memcpy and allocation top-5 lines equal the truth, in order (service, batch, pipeline)', async () => {
  for (const [prog, kinds] of [['service', ['copy', 'alloc']], ['pipeline', ['copy', 'alloc']], ['batch', ['copy', 'alloc']]] as const) {
    const t = truth(prog, 'dwarf');
    const r = await report(`${prog}-dwarf-srcline`);
    for (const k of kinds) assert.deepEqual(ourLines(r.hotLines, k), (k === 'copy' ? t.topCopy : t.topAlloc).map(x => x.line), `${prog} ${k}`);
  }
});

test('without srcline and with -g: the top-5 memcpy/allocation functions equal the truth where the text names them', async () => {
  const cases: [string, string, Kind][] = [
    ['service', 'dwarf-nosrcline', 'copy'],
    ['service', 'dwarf-nosrcline', 'alloc'],
    ['service', 'fp-srcline', 'copy'],
    ['service', 'fp-srcline', 'alloc'],
    ['service', 'fp-nosrcline', 'copy'],
    ['pipeline', 'fp-srcline', 'copy'],
    ['pipeline', 'fp-nosrcline', 'copy'],
  ];
  for (const [prog, variant, k] of cases) {
    const t = truth(prog, variant.split('-')[0]);
    const r = await report(`${prog}-${variant}`);
    assert.deepEqual(ourFns(r.hotLines, k), truthFns(k === 'copy' ? t.topCopyFn : t.topAllocFn), `${prog}-${variant} ${k}`);
  }
});

test('rayon pipeline, -g with and without srcline and dwarf without: inline chains from the binary give the truth\'s memcpy and allocation top-5 lines, in order', async () => {
  const t = truth('pipeline', 'fp');
  // (-g: memcpy keeps no frame, so the truth has allocation lines only)
  assert.ok(t.topAlloc.length >= 1, 'the truth has lines to compare');
  for (const v of ['fp-srcline', 'fp-nosrcline', 'dwarf-nosrcline']) {
    const tv = truth('pipeline', v.split('-')[0]);
    const r = await report(`pipeline-${v}`);
    assert.deepEqual(ourLines(r.hotLines, 'copy'), tv.topCopy.map(x => x.line), `pipeline-${v} copy`);
    assert.deepEqual(ourLines(r.hotLines, 'alloc'), tv.topAlloc.map(x => x.line), `pipeline-${v} alloc`);
    assert.ok(r.warnings.some(w => /ran in target\/(fp\/)?release\/pipeline but no frame named workspace code.*inline chains were read from the binary with addr2line/.test(w)), v);
  }
  // without the binary's chains, the text alone names almost none of them
  const bare = await analyzeProfile(path.join(DIR, 'pipeline-fp-nosrcline.perf-script.txt.gz'), { root: ROOT, top: 0, expand: false });
  assert.ok(bare.report.samples.attributed < 0.1 * t.withWorkspaceFrame, `${bare.report.samples.attributed}`);
});

test('-g rayon pipeline: the inline chains of a rebuilt binary (its functions moved) are not used', async () => {
  const good = inlineReplay('pipeline')!;
  // another build: each address answers with the chain recorded for another address
  const moved: NonNullable<AnalyzeOptions['inline']> = {
    binaries: good.binaries,
    chains: async (bin, addrs) => {
      const m = await good.chains(bin, addrs);
      const keys = [...m.keys()].sort((a, b) => a - b);
      return new Map(keys.map((a, i) => [a, m.get(keys[(i + 7) % keys.length])!]));
    },
  };
  const r = (await analyzeProfile(path.join(DIR, 'pipeline-fp-nosrcline.perf-script.txt.gz'), { root: ROOT, top: 0, inline: moved })).report;
  assert.ok(r.samples.attributed <= 2, `${r.samples.attributed}`);
  assert.ok(r.warnings.some(w => /inline chains were not used: only \d+ of \d+ addresses fall in the function perf names/.test(w)), JSON.stringify(r.warnings));
});
