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
  readonly stacks: Map<string, StackRecord>;
}

export class ProfileData {
  readonly frames: FrameInfo[] = [];
  readonly events = new Map<string, EventProfile>();
  private readonly frameIds = new Map<string, number>();
  /** Interned frames (the perf script parser hands out the same object for the same frame). */
  private readonly byObject = new Map<RawFrame, number>();
  /** Event names in order of first appearance. */
  readonly eventOrder: string[] = [];
  truncatedStacks = 0;
  readonly warnings: string[] = [];

  private frameId(f: RawFrame): number {
    const known = this.byObject.get(f);
    if (known !== undefined) return known;
    const id = this.frameIdByKey(f);
    if (this.byObject.size < 1_000_000) this.byObject.set(f, id);
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
    const ids = new Array<number>(s.frames.length);
    for (let i = 0; i < s.frames.length; i++) ids[i] = this.frameId(s.frames[i]);
    const last = s.frames[s.frames.length - 1];
    if (last && last.sym === '[unknown]' && (last.ip === 'ffffffffffffffff' || last.ip === '0')) this.truncatedStacks++;
    const key = `${s.comm}\u0000${ids.join(',')}`;
    const n = s.count ?? 1;
    const rec = ev.stacks.get(key);
    if (rec) {
      rec.count += n;
      rec.weight += s.period;
    } else ev.stacks.set(key, { frames: ids, comm: s.comm, count: n, weight: s.period });
    ev.samples += n;
    ev.weight += s.period;
    if (ev.samples > Number.MAX_SAFE_INTEGER) {
      throw new ProfileInputError(`the sample counts of ${s.event} add up to more than 2^53: they cannot be counts of samples`);
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
