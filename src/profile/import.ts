/**
 * Imports a profile file of any supported format into `ProfileData`, streaming, with progress,
 * cancellation and warnings.
 */
import { spawn } from 'node:child_process';
import { FoldedCollapser, foldedToSample, parseFoldedLine, type FoldOptions } from './folded';
import { ProfileData } from './model';
import { PerfScriptParser } from './perf-script';
import { CancelledError, ProfileInputError, fileLines, sniffFile, streamLines, type InputFormat } from './source';
import type { ImportOptions, PerfSample, RawFrame } from './types';

export interface ImportResult {
  readonly data: ProfileData;
  readonly format: InputFormat;
  readonly gzip: boolean;
  readonly bytes: number;
  readonly lines: number;
  /** Present when `fold` was requested. */
  readonly folded?: FoldedCollapser;
}

export interface ProfileImportOptions extends ImportOptions {
  /** Also collapse into FlameGraph folded stacks (perf script input only). */
  readonly fold?: FoldOptions;
  /** `perf` executable for perf.data input. */
  readonly perf?: string;
}

/** The `perf script` fields Alloc Lens asks for when it runs perf itself. */
export const PERF_SCRIPT_ARGS = ['script', '-F', 'comm,pid,tid,time,period,event,ip,sym,dso,srcline', '--full-source-path', '--header'];

export async function importProfile(file: string, opts: ProfileImportOptions = {}): Promise<ImportResult> {
  const sn = await sniffFile(file);
  const data = new ProfileData();
  const folded = opts.fold ? new FoldedCollapser(opts.fold) : undefined;
  const warn = (m: string) => {
    if (data.warnings.length < 50) data.warnings.push(m);
    opts.onWarning?.(m);
  };
  let samples = 0;
  let bytes = 0;
  let lastReport = 0;
  const progress = (b: number) => {
    bytes = b;
    if (opts.onProgress && b - lastReport >= 4 << 20) {
      lastReport = b;
      opts.onProgress({ bytesRead: b, bytesTotal: sn.format === 'perf-data' ? undefined : sn.size, samples });
    }
  };
  const onSample = (s: PerfSample) => {
    samples++;
    data.add(s);
    folded?.add(s);
  };
  let lines = 0;
  if (sn.format === 'folded') {
    let bad = 0;
    const intern = new Map<string, RawFrame>();
    await fileLines(file, sn.gzip, line => {
      lines++;
      if (line.length === 0 || line.startsWith('#')) return;
      const p = parseFoldedLine(line);
      if (!p) {
        if (bad++ < 20) warn(`line ${lines}: not a folded stack (\`a;b;c 12\`), skipped: ${line.slice(0, 100)}`);
        return;
      }
      onSample(foldedToSample(p.frames, p.count, intern));
    }, { signal: opts.signal, onBytes: progress, onWarning: warn });
  } else if (sn.format === 'perf-script') {
    const parser = new PerfScriptParser(onSample, warn);
    await fileLines(file, sn.gzip, l => {
      parser.line(l);
      folded?.line(l);
    }, { signal: opts.signal, onBytes: progress, onWarning: warn });
    parser.end();
    lines = parser.lines;
  } else {
    const parser = new PerfScriptParser(onSample, warn);
    await runPerfScript(file, opts.perf ?? 'perf', l => {
      parser.line(l);
      folded?.line(l);
    }, { signal: opts.signal, onBytes: progress, onWarning: warn });
    parser.end();
    lines = parser.lines;
  }
  if (samples === 0) throw new ProfileInputError(`${file}: no samples found (${lines} lines read). Record with \`perf record -g --call-graph dwarf\` and export with \`perf script\`.`);
  opts.onProgress?.({ bytesRead: bytes, bytesTotal: sn.format === 'perf-data' ? undefined : sn.size, samples });
  return { data, format: sn.format, gzip: sn.gzip, bytes, lines, folded };
}

/** Runs `perf script` on a perf.data file (argument array, no shell) and streams its output. */
export function runPerfScript(file: string, perf: string, onLine: (l: string) => void, opts: { signal?: AbortSignal; onBytes?: (n: number) => void; onWarning?: (m: string) => void }): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new CancelledError());
    const child = spawn(perf, [...PERF_SCRIPT_ARGS, '-i', file], { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 16384) stderr += c.toString('utf8');
    });
    let spawnError: Error | undefined;
    child.on('error', e => {
      spawnError = (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? new ProfileInputError(`\`${perf}\` was not found: reading perf.data needs Linux perf (Debian/Ubuntu: apt-get install linux-perf / linux-tools-$(uname -r)). Or run \`perf script -F ${PERF_SCRIPT_ARGS[2]} --full-source-path > profile.txt\` where perf is installed and import the text.`)
        : new ProfileInputError(`cannot run ${perf}: ${e.message}`);
    });
    const exited = new Promise<number | null>(r => {
      child.on('close', code => r(code));
      child.on('error', () => r(-1));
    });
    const kill = () => child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', kill, { once: true });
    streamLines(child.stdout, onLine, { signal: opts.signal, onBytes: opts.onBytes, what: `perf script -i ${file}` }).then(
      async () => {
        const code = await exited;
        opts.signal?.removeEventListener('abort', kill);
        if (spawnError) return reject(spawnError);
        if (code !== 0) {
          const msg = stderr.trim().split('\n').filter(l => l.trim()).slice(-3).join(' / ');
          return reject(new ProfileInputError(`perf script failed on ${file} (exit ${code}): ${msg || 'no message'}`));
        }
        for (const w of perfWarnings(stderr)) opts.onWarning?.(`perf: ${w}`);
        resolve();
      },
      async e => {
        kill();
        opts.signal?.removeEventListener('abort', kill);
        await exited;
        reject(spawnError ?? e);
      },
    );
  });
}

/**
 * perf's warnings from its stderr. perf prints `Warning:` alone on a line and the text on the
 * next lines (`Processed 1234 events and lost 5 chunks!`): keep that text, up to a blank line.
 */
export function perfWarnings(stderr: string): string[] {
  const out: string[] = [];
  let cur: string[] | undefined;
  for (const raw of stderr.split('\n')) {
    const l = raw.trim();
    const head = /^(?:Warning|warning):/.exec(l);
    if (head) {
      if (cur) out.push(cur.join(' '));
      cur = [l];
    } else if (cur && l.length > 0) cur.push(l);
    else if (cur) {
      out.push(cur.join(' '));
      cur = undefined;
    }
  }
  if (cur) out.push(cur.join(' '));
  return out.filter(w => w.length > 'Warning:'.length);
}
