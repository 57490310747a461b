#!/usr/bin/env node
// Writes a pprof heap profile (*.pb.gz; sample types alloc_objects, alloc_space, inuse_objects,
// inuse_space) from a heaptrack recording, with its own small reader of heaptrack's text format
// (not Alloc Lens's importer), so that tests can compare the two importers on one program.
// "inuse" here = still allocated at exit. Usage: node scripts/heaptrack-to-pprof.mjs in.zst out.pb.gz
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync, gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { decompress } = require('fzstd');
const {
  Profile,
  ValueType,
  Sample,
  Location,
  Line,
  Function: Fn,
  StringTable,
} = require('pprof-format');

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: heaptrack-to-pprof.mjs <heaptrack.*.zst|.gz> <out.pb.gz>');
  process.exit(2);
}
const raw = readFileSync(input);
const text = Buffer.from(raw[0] === 0x1f ? gunzipSync(raw) : decompress(raw)).toString('utf8');
const strings = [''];
const ips = [null];
const traces = [null];
const infos = [];
for (const line of text.split('\n')) {
  const p = line.split(' ');
  const h = s => parseInt(s, 16);
  switch (p[0]) {
    case 's':
      strings.push(line.slice(line.indexOf(' ', 2) + 1));
      break;
    case 'i': {
      const frames = [];
      for (let j = 3; j < p.length; j += 3)
        frames.push({
          fn: h(p[j]),
          file: p[j + 1] ? h(p[j + 1]) : 0,
          line: p[j + 2] ? h(p[j + 2]) : 0,
        });
      ips.push(frames);
      break;
    }
    case 't':
      traces.push({ ip: h(p[1]), parent: h(p[2]) });
      break;
    case 'a':
      infos.push({ size: h(p[1]), trace: h(p[2]), n: 0, live: 0 });
      break;
    case '+':
      infos[h(p[1])].n++;
      infos[h(p[1])].live++;
      break;
    case '-':
      infos[h(p[1])].live--;
      break;
    default:
      break;
  }
}
const st = new StringTable();
const fnIds = new Map();
const functions = [];
const fnOf = (name, file) => {
  const key = `${name}\0${file}`;
  let id = fnIds.get(key);
  if (!id) {
    id = functions.length + 1;
    functions.push(
      new Fn({ id, name: st.dedup(name), systemName: st.dedup(name), filename: st.dedup(file) }),
    );
    fnIds.set(key, id);
  }
  return id;
};
const locations = [];
const locOfIp = new Map();
const locOf = ipIdx => {
  let id = locOfIp.get(ipIdx);
  if (!id) {
    id = locations.length + 1;
    const lines = (ips[ipIdx] ?? []).map(
      f => new Line({ functionId: fnOf(strings[f.fn] ?? '', strings[f.file] ?? ''), line: f.line }),
    );
    locations.push(new Location({ id, line: lines }));
    locOfIp.set(ipIdx, id);
  }
  return id;
};
const samples = [];
for (const a of infos) {
  if (a.n === 0) continue;
  const locs = [];
  for (let t = a.trace; t > 0; t = traces[t].parent) locs.push(locOf(traces[t].ip));
  samples.push(
    new Sample({ locationId: locs, value: [a.n, a.n * a.size, a.live, a.live * a.size] }),
  );
}
const vt = (t, u) => new ValueType({ type: st.dedup(t), unit: st.dedup(u) });
const profile = new Profile({
  sampleType: [
    vt('alloc_objects', 'count'),
    vt('alloc_space', 'bytes'),
    vt('inuse_objects', 'count'),
    vt('inuse_space', 'bytes'),
  ],
  sample: samples,
  location: locations,
  function: functions,
  stringTable: st,
});
writeFileSync(output, gzipSync(profile.encode()));
console.log(`${output}: ${samples.length} samples, ${locations.length} locations`);
