/**
 * The imported profile: interned frames and unique stacks per event. Memory grows with the number
 * of unique frames and stacks, not with the number of samples or the input size.
 */
import { demangle } from './demangle';
import { frameKind, isKernelFrame, type FrameKind } from './classify';
import { ProfileInputError } from './source';
import type { PerfSample, RawFrame } from './types';

export interface FrameInfo {
  readonly id: number;
  /** Raw symbol as printed by perf. */
  readonly raw: string;
  /** Demangled, hash-free name. */
  readonly name: string;
  readonly dso?: string;
  readonly file?: string;
  readonly line?: number;
  readonly inlined: boolean;
  readonly kind: FrameKind;
  readonly kernel: boolean;
}

export interface StackRecord {
  /** Frame ids, leaf first. */
  readonly frames: readonly number[];
  /**
   * 1 where a frame is inlined into the next one (perf printed both for the same address: an
   * inline chain of `perf script --inline`/srcline output), else 0. Only the last frame of a
   * chain is a function the CPU was in (a physical frame).
   */
  readonly inlinedIntoNext: Uint8Array;
  /** Thread/process name (the flamegraph root). */
  readonly comm: string;
  /** Number of samples. */
  count: number;
  /** Sum of periods. */
  weight: number;
}

export interface EventProfile {
  readonly name: string;
  samples: number;
  weight: number;
  /** Unique stacks (keys are insertion numbers; the interning is a trie keyed by comm and frame ids). */
  readonly stacks: Map<string, StackRecord>;
}

interface TrieNode {
  kids: Map<number | string, TrieNode>;
  rec?: StackRecord;
  /** On comm nodes: the stack's leaf node for each interned frames array (`PerfSample.sharedFrames`). */
  byFrames?: Map<readonly RawFrame[], TrieNode>;
}

function child(n: TrieNode, k: number | string): TrieNode {
  let c = n.kids.get(k);
  if (!c) {
    c = { kids: new Map() };
    n.kids.set(k, c);
  }
  return c;
}

export class ProfileData {
  private readonly tries = new Map<EventProfile, TrieNode>();
  readonly frames: FrameInfo[] = [];
  readonly events = new Map<string, EventProfile>();
  private readonly frameIds = new Map<string, number>();
  /** Interned frames (the perf script parser hands out the same object for the same frame). */
  private readonly byObject = new Map<RawFrame, number>();
  /** Event names in order of first appearance. */
  readonly eventOrder: string[] = [];
  truncatedStacks = 0;
  readonly warnings: string[] = [];

  /** Distinct frames with an address per DSO (user-space), for inline expansion from the binary. */
  readonly framesByDso = new Map<string, RawFrame[]>();

  private frameId(f: RawFrame): number {
    const known = this.byObject.get(f);
    if (known !== undefined) return known;
    const id = this.frameIdByKey(f);
    if (this.byObject.size < 1_000_000) {
      this.byObject.set(f, id);
      if (f.dso !== undefined && f.ip !== undefined && !f.dso.startsWith('[')) {
        let l = this.framesByDso.get(f.dso);
        if (!l) this.framesByDso.set(f.dso, (l = []));
        if (l.length < 200_000) l.push(f);
      }
    }
    return id;
  }

  private frameIdByKey(f: RawFrame): number {
    const key = `${f.sym}\u0000${f.dso ?? ''}\u0000${f.file ?? ''}\u0000${f.line ?? 0}\u0000${f.inlined ? 1 : 0}`;
    let id = this.frameIds.get(key);
    if (id === undefined) {
      id = this.frames.length;
      const name = f.sym === '' ? `[unknown${f.dso ? ` ${f.dso}` : ''}]` : demangle(f.sym);
      this.frames.push({
        id,
        raw: f.sym,
        name,
        dso: f.dso,
        file: f.file,
        line: f.line,
        inlined: f.inlined,
        kind: frameKind(name),
        kernel: isKernelFrame(f.dso, f.ip),
      });
      this.frameIds.set(key, id);
    }
    return id;
  }

  add(s: PerfSample): void {
    let ev = this.events.get(s.event);
    if (!ev) {
      ev = { name: s.event, samples: 0, weight: 0, stacks: new Map() };
      this.events.set(s.event, ev);
      this.eventOrder.push(s.event);
    }
    const last = s.frames[s.frames.length - 1];
    if (last && last.sym === '[unknown]' && (last.ip === 'ffffffffffffffff' || last.ip === '0'))
      this.truncatedStacks++;
    // Stacks are interned in a trie (comm, then frame ids leaf first): no key string per sample.
    let node = this.tries.get(ev);
    if (!node) {
      node = { kids: new Map() };
      this.tries.set(ev, node);
    }
    node = child(node, s.comm);
    if (s.sharedFrames) {
      // the parser hands out the same array for the same stack text: walk the trie once per array
      const byFrames: Map<readonly RawFrame[], TrieNode> = (node.byFrames ??= new Map());
      let leaf: TrieNode | undefined = byFrames.get(s.frames);
      if (leaf === undefined) {
        leaf = node;
        for (let i = 0; i < s.frames.length; i++) leaf = child(leaf, this.frameId(s.frames[i]));
        if (byFrames.size < 1_000_000) byFrames.set(s.frames, leaf);
      }
      node = leaf;
    } else for (let i = 0; i < s.frames.length; i++) node = child(node, this.frameId(s.frames[i]));
    const n = s.count ?? 1;
    const rec = node.rec;
    if (rec) {
      rec.count += n;
      rec.weight += s.period;
    } else {
      const ids = new Array<number>(s.frames.length);
      for (let i = 0; i < s.frames.length; i++) ids[i] = this.frameId(s.frames[i]);
      const inl = new Uint8Array(s.frames.length);
      for (let i = 0; i + 1 < s.frames.length; i++) {
        const ip = s.frames[i].ip;
        if (ip !== undefined && ip === s.frames[i + 1].ip) inl[i] = 1;
      }
      node.rec = { frames: ids, inlinedIntoNext: inl, comm: s.comm, count: n, weight: s.period };
      ev.stacks.set(String(ev.stacks.size), node.rec);
    }
    ev.samples += n;
    ev.weight += s.period;
    if (ev.samples > Number.MAX_SAFE_INTEGER) {
      throw new ProfileInputError(
        `the sample counts of ${s.event} add up to more than 2^53: they cannot be counts of samples`,
      );
    }
  }

  /** The event to analyse: the requested one, else the one with the most samples. */
  primaryEvent(requested?: string): EventProfile | undefined {
    if (requested !== undefined) {
      const exact = this.events.get(requested);
      if (exact) return exact;
      for (const e of this.events.values()) if (e.name.split(':')[0] === requested) return e;
      return undefined;
    }
    let best: EventProfile | undefined;
    for (const e of this.events.values()) if (!best || e.samples > best.samples) best = e;
    return best;
  }
}
