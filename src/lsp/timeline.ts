/**
 * Where the language server's time goes from its process start to the first published results:
 * named marks with the wall-clock ms since the process started (`performance.now()`, whose origin
 * is the process start) and the process's CPU ms at that moment. On a loaded machine the wall
 * clock includes the wait for a core; the CPU column does not, so the two together say whether a
 * phase was slow or starved. Logged as one line by the server (`timeline: ...`).
 */
export interface Mark {
  readonly name: string;
  /** ms since the process started. */
  readonly atMs: number;
  /** CPU ms (user + system) of the whole process at that moment. */
  readonly cpuMs: number;
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export class Timeline {
  private readonly list: Mark[] = [];

  /** A timeline whose first marks are node's own start-up and the module load up to `now`. */
  static ofProcess(): Timeline {
    const t = new Timeline();
    // bootstrapComplete: node is ready to run the entry script; what follows is module evaluation.
    t.list.push({ name: 'node', atMs: performance.nodeTiming.bootstrapComplete, cpuMs: NaN });
    t.mark('modules');
    return t;
  }

  mark(name: string): void {
    this.list.push({ name, atMs: performance.now(), cpuMs: cpuNow() });
  }

  get marks(): readonly Mark[] {
    return this.list;
  }

  /** `node 140, modules 190 (cpu 95), initialize 230 (cpu 101), ...`: ms since the process started. */
  format(): string {
    return this.list
      .map(
        m =>
          `${m.name} ${m.atMs.toFixed(0)}${Number.isNaN(m.cpuMs) ? '' : ` (cpu ${m.cpuMs.toFixed(0)})`}`,
      )
      .join(', ');
  }
}
