/**
 * Record Profile, the plan: which cargo targets can be recorded, the cargo and perf command lines
 * (argument arrays, never a shell), the environment that gives the build line tables without
 * touching the user's Cargo.toml, and what to say when perf cannot record. Pure: the editor runs
 * the commands (src/extension/record.ts), the tests check the plan.
 */
import * as path from 'node:path';

export type TargetKind = 'bin' | 'example' | 'test' | 'bench' | 'lib';

export interface CargoTarget {
  package: string;
  name: string;
  kind: TargetKind;
  /** The package's Cargo.toml. */
  manifest: string;
  /** The target's root source file. */
  src: string;
}

interface MetadataTarget {
  name?: unknown;
  kind?: unknown;
  src_path?: unknown;
}

/**
 * The recordable targets of `cargo metadata --no-deps --format-version 1`: binaries first, then
 * examples, benches, integration tests and library unit tests (in that order: what users run).
 */
export function cargoTargets(metadata: unknown): CargoTarget[] {
  const pkgs = (metadata as { packages?: unknown } | undefined)?.packages;
  if (!Array.isArray(pkgs)) throw new Error('cargo metadata printed no package list');
  const out: CargoTarget[] = [];
  for (const p of pkgs as { name?: unknown; manifest_path?: unknown; targets?: unknown }[]) {
    if (
      typeof p.name !== 'string' ||
      typeof p.manifest_path !== 'string' ||
      !Array.isArray(p.targets)
    )
      continue;
    for (const t of p.targets as MetadataTarget[]) {
      if (typeof t.name !== 'string' || !Array.isArray(t.kind) || typeof t.src_path !== 'string')
        continue;
      const kinds = t.kind as unknown[];
      const kind: TargetKind | undefined = kinds.includes('bin')
        ? 'bin'
        : kinds.includes('example')
          ? 'example'
          : kinds.includes('bench')
            ? 'bench'
            : kinds.includes('test')
              ? 'test'
              : kinds.some(k => k === 'lib' || k === 'rlib')
                ? 'lib'
                : undefined;
      // Build scripts and proc macros are not programs a user records.
      if (!kind) continue;
      out.push({ package: p.name, name: t.name, kind, manifest: p.manifest_path, src: t.src_path });
    }
  }
  const order: TargetKind[] = ['bin', 'example', 'bench', 'test', 'lib'];
  return out.sort(
    (a, b) =>
      order.indexOf(a.kind) - order.indexOf(b.kind) ||
      a.package.localeCompare(b.package) ||
      a.name.localeCompare(b.name),
  );
}

/** `cargo metadata` (no dependencies resolved: only the workspace's own targets are needed). */
export function metadataArgs(): string[] {
  return ['metadata', '--no-deps', '--format-version', '1'];
}

/**
 * The cargo build of a target, printing JSON messages (the executable's path is in the
 * `compiler-artifact` message). Release profile with line tables (see `recordEnv`).
 */
export function buildArgs(t: CargoTarget): string[] {
  const common = [
    '--manifest-path',
    t.manifest,
    '--package',
    t.package,
    '--message-format',
    'json-render-diagnostics',
  ];
  switch (t.kind) {
    case 'bin':
      return ['build', '--release', '--bin', t.name, ...common];
    case 'example':
      return ['build', '--release', '--example', t.name, ...common];
    case 'test':
      return ['test', '--release', '--no-run', '--test', t.name, ...common];
    case 'bench':
      // `cargo bench` builds with the bench profile, which inherits from release.
      return ['bench', '--no-run', '--bench', t.name, ...common];
    case 'lib':
      return ['test', '--release', '--no-run', '--lib', ...common];
  }
}

/**
 * Line tables for the profile's source lines, through cargo's `CARGO_PROFILE_<name>_DEBUG`
 * environment variables: the user's Cargo.toml is not touched. `line-tables-only` (cargo 1.71+)
 * is enough for perf's srcline and much smaller than full debug info. Frame pointers are not
 * needed: perf unwinds with DWARF (`--call-graph dwarf`).
 */
export function recordEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...base,
    CARGO_PROFILE_RELEASE_DEBUG: 'line-tables-only',
    CARGO_PROFILE_BENCH_DEBUG: 'line-tables-only',
    CARGO_TERM_COLOR: 'never',
  };
}

/** The executable cargo built for `t`, from its JSON messages (the last matching artifact). */
export function executableFromMessages(stdout: string, t: CargoTarget): string | undefined {
  let exe: string | undefined;
  const want = t.kind === 'lib' ? ['lib', 'rlib', 'cdylib', 'dylib', 'staticlib'] : [t.kind];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"compiler-artifact"')) continue;
    let m: {
      reason?: string;
      executable?: string | null;
      target?: { name?: string; kind?: string[] };
    };
    try {
      m = JSON.parse(line) as typeof m;
    } catch {
      continue;
    }
    if (m.reason !== 'compiler-artifact' || !m.executable || m.target?.name !== t.name) continue;
    if (!(m.target.kind ?? []).some(k => want.includes(k))) continue;
    exe = m.executable;
  }
  return exe;
}

export interface RecordOptions {
  /** Sampling frequency (Hz). */
  frequency: number;
  /** Bytes of user stack copied per sample for DWARF unwinding (perf's maximum is 65528). */
  stackBytes: number;
}

/** `perf record` of the built program: DWARF call graphs (Rust release builds have no frame pointers). */
export function perfRecordArgs(
  exe: string,
  programArgs: readonly string[],
  output: string,
  o: RecordOptions,
): string[] {
  const freq = Math.max(1, Math.min(100_000, Math.floor(o.frequency)));
  // perf rounds the dump size to a multiple of 8 and refuses more than 65528.
  const stack = Math.max(1024, Math.min(65528, Math.floor(o.stackBytes / 8) * 8));
  return [
    'record',
    '-F',
    String(freq),
    '-g',
    '--call-graph',
    `dwarf,${stack}`,
    '-o',
    output,
    '--',
    exe,
    ...programArgs,
  ];
}

/** Where a recording goes: under the target directory, which cargo users already ignore. */
export function recordingPath(targetDir: string, t: CargoTarget, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return path.join(
    targetDir,
    'alloc-lens',
    `perf-${t.name.replace(/[^\w.-]+/g, '_')}-${stamp}.data`,
  );
}

/**
 * Program arguments typed in one line: split on whitespace, with '...' and "..." quoting and
 * backslash escapes, like a shell would, but nothing is expanded and no shell runs.
 */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(ch)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in the arguments`);
  if (has) out.push(cur);
  return out;
}

/**
 * Why perf cannot record here, with the fix, or undefined when it can. `paranoid` is
 * /proc/sys/kernel/perf_event_paranoid (undefined when unreadable), `perfFound` whether `perf`
 * runs at all. Sampling one's own user-space program needs paranoid ≤ 2 (Debian's 3 forbids it).
 */
export function perfProblem(o: {
  perfFound: boolean;
  paranoid: number | undefined;
  root: boolean;
  platform: string;
}): string | undefined {
  if (o.platform !== 'linux')
    return `Record Profile uses Linux perf, which is not available on ${o.platform}. Record elsewhere and use Import Profile... (perf script text, folded stacks, DHAT, heaptrack and pprof are accepted).`;
  if (!o.perfFound)
    return 'perf is not installed (or not on PATH). Install it: `sudo apt-get install linux-perf` (Debian), `sudo apt-get install linux-tools-generic linux-tools-$(uname -r)` (Ubuntu), `sudo dnf install perf` (Fedora).';
  if (!o.root && o.paranoid !== undefined && o.paranoid > 2) {
    return `perf may not sample programs here: kernel.perf_event_paranoid is ${o.paranoid}. Allow user-space sampling with \`sudo sysctl kernel.perf_event_paranoid=2\` (add \`kernel.perf_event_paranoid = 2\` to /etc/sysctl.d/ to keep it).`;
  }
  return undefined;
}
