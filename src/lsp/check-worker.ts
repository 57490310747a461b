/**
 * The second core for the first analysis: a worker thread indexes the same folder (the index
 * holds tree-sitter trees, which cannot cross threads, so each thread builds its own) and checks
 * its share of the files, while the server's thread checks the rest. The findings come back as
 * plain data (structured clone). Indexing twice costs CPU but not time: on tokio 1.24.2 the rules
 * are 55 % of the analysis' CPU (timeline: 2.0 of 3.6 s), so splitting them over two threads saves
 * about a quarter of the wall-clock time.
 *
 * This module is also the worker's entry: the same file (dist/server.js in the bundle) runs in
 * the worker, which finds `workerData.kind === WORKER_KIND` and checks instead of serving LSP.
 */
import * as fs from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadWorkspace } from '../core/index/workspace';
import { LayoutEngine } from '../core/layout/engine';
import { resolveSettings } from '../core/config/settings';
import { selectFiles } from '../core/config/files';
import { runRules } from '../core/rules/run';
import type { EditorSettings } from '../core/config/editor-settings';
import type { Finding } from '../core/rules/types';

const WORKER_KIND = 'alloc-lens-check';

interface Job {
  kind: typeof WORKER_KIND;
  root: string;
  editor: EditorSettings;
  trusted: boolean;
  /** The files this worker checks (a share of `selectFiles`' answer). */
  files: string[];
}

type Reply = { findings: Finding[] } | { error: string };

/**
 * Splits `files` into `n` shares of about equal bytes (the rules' cost grows with the text):
 * largest first, each to the lightest share. Share 0 is the caller's own.
 */
export function shareFiles(files: readonly string[], n: number): string[][] {
  const shares = Array.from({ length: n }, () => ({ bytes: 0, files: [] as string[] }));
  const sized = files.map(f => {
    let bytes = 0;
    try {
      bytes = fs.statSync(f).size;
    } catch {
      // Gone: it costs nothing to check.
    }
    return { f, bytes };
  });
  sized.sort((a, b) => b.bytes - a.bytes || (a.f < b.f ? -1 : a.f > b.f ? 1 : 0));
  for (const { f, bytes } of sized) {
    let min = shares[0];
    for (const s of shares) if (s.bytes < min.bytes) min = s;
    min.bytes += bytes;
    min.files.push(f);
  }
  return shares.map(s => s.files);
}

/** A worker checking `job`'s files; `terminate()` stops it (cancellation). */
export class CheckWorker {
  private readonly worker: Worker;
  readonly result: Promise<Finding[]>;

  constructor(job: Omit<Job, 'kind'>) {
    this.worker = new Worker(__filename, {
      workerData: { ...job, kind: WORKER_KIND } satisfies Job,
      // The worker logs nothing; its stderr would interleave with the server's protocol stream.
      stdout: true,
      stderr: true,
    });
    this.result = new Promise<Finding[]>((resolve, reject) => {
      this.worker.once('message', (r: Reply) =>
        'error' in r ? reject(new Error(r.error)) : resolve(r.findings),
      );
      this.worker.once('error', reject);
      this.worker.once('exit', code => reject(new Error(`check worker exited with code ${code}`)));
    });
    this.result.then(
      () => void this.worker.terminate(),
      () => void this.worker.terminate(),
    );
  }

  terminate(): void {
    void this.worker.terminate();
  }
}

/** The worker's side: index the folder as the server does, check the given files. */
async function runJob(job: Job): Promise<Finding[]> {
  const index = await loadWorkspace(job.root, { ...job.editor.cargo, trusted: job.trusted });
  const settings = resolveSettings({ dir: job.root, overrides: job.editor.overrides });
  // Every file is indexed as on the server's thread (a file outside the module trees may name
  // types the share uses), then only the share is checked.
  const all = new Set(selectFiles(index, job.root, job.editor.exclude));
  const files = job.files.filter(f => all.has(f));
  return runRules(index, new LayoutEngine(index), settings, files);
}

if (!isMainThread && (workerData as Job | undefined)?.kind === WORKER_KIND) {
  runJob(workerData as Job).then(
    findings => parentPort!.postMessage({ findings } satisfies Reply),
    (e: unknown) =>
      parentPort!.postMessage({
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      } satisfies Reply),
  );
}
