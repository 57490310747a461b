/**
 * pprof heap and allocation profiles (`*.pb.gz`: gzip-compressed profile.proto), decoded with
 * the `pprof-format` package. Sample types read: alloc_space, alloc_objects (totals),
 * inuse_space, inuse_objects (live when the profile was written). A location's `line` list is
 * innermost first (the last entry is the function the others were inlined into).
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { demangle } from '../demangle';
import { ProfileInputError } from '../source';
import { HeapProfile, type HeapCounts } from './model';

export const PPROF_TYPES = [
  'alloc_space',
  'alloc_objects',
  'inuse_space',
  'inuse_objects',
] as const;
const FIELD: Record<(typeof PPROF_TYPES)[number], keyof HeapCounts> = {
  alloc_space: 'bytes',
  alloc_objects: 'blocks',
  inuse_space: 'endBytes',
  inuse_objects: 'endBlocks',
};
/** A pprof file larger than this (decompressed) is refused rather than decoded in memory. */
const MAX_DECODED = 1 << 30;

const n = (v: number | bigint | undefined) => (v === undefined ? 0 : Number(v));

export async function importPprof(file: string): Promise<HeapProfile> {
  let buf: Buffer = await readFile(file);
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf, { maxOutputLength: MAX_DECODED });
    } catch (e) {
      throw new ProfileInputError(
        `${file}: the gzip data is corrupt or truncated (${(e as Error).message})`,
      );
    }
  }
  let p: Profile;
  try {
    p = Profile.decode(buf);
  } catch (e) {
    throw new ProfileInputError(
      `${file}: not a pprof profile (protobuf decoding failed: ${(e as Error).message})`,
    );
  }
  const str = (i: number | bigint) => p.stringTable.strings[n(i)] ?? '';
  const types = p.sampleType.map(t => str(t.type));
  const cols: { col: number; field: keyof HeapCounts }[] = [];
  types.forEach((t, col) => {
    if (t in FIELD) cols.push({ col, field: FIELD[t as (typeof PPROF_TYPES)[number]] });
  });
  if (cols.length === 0) {
    throw new ProfileInputError(
      `${file}: pprof sample types ${types.map(t => JSON.stringify(t)).join(', ') || '(none)'} are not heap data; Alloc Lens reads ${PPROF_TYPES.join(', ')} (a CPU pprof profile is not supported: use perf)`,
    );
  }
  const heap = new HeapProfile('pprof');
  const fns = new Map<number, { name: string; file: string }>();
  for (const f of p.function)
    fns.set(n(f.id), { name: str(f.name) || str(f.systemName), file: str(f.filename) });
  const locs = new Map<number, number[]>();
  for (const l of p.location) {
    const frames: number[] = [];
    for (const ln of l.line) {
      const f = fns.get(n(ln.functionId));
      const raw = f?.name ?? '';
      frames.push(
        heap.frame(
          raw === '' ? '[unknown]' : demangle(raw),
          f?.file || undefined,
          n(ln.line) || undefined,
        ),
      );
    }
    if (frames.length === 0) frames.push(heap.frame(`[unknown 0x${n(l.address).toString(16)}]`));
    locs.set(n(l.id), frames);
  }
  let missing = 0;
  for (const s of p.sample) {
    const stack: number[] = [];
    for (const id of s.locationId) {
      const fr = locs.get(n(id));
      if (fr) stack.push(...fr);
      else missing++;
    }
    const c: Partial<HeapCounts> = {};
    for (const { col, field } of cols) (c as Record<string, number>)[field] = n(s.value[col]);
    heap.add(stack, c);
  }
  if (missing > 0)
    heap.warn(`${missing} sample frames refer to locations the profile does not define; dropped`);
  for (const { field } of cols)
    heap.measures.add(field === 'bytes' ? 'bytes' : field === 'blocks' ? 'blocks' : 'endBytes');
  heap.liveIsExit = false;
  return heap;
}
