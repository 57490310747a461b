/**
 * Runs the compiler with `-Zprint-type-sizes` (exact mode) on a Cargo crate or a single file,
 * parses what it prints and caches the result per (rustc version, source contents).
 *
 * Cargo crates are built with `cargo rustc --offline -j1 -p PKG --lib|--bin NAME -- -Zprint-type-sizes`
 * (the lib target when there is one, else the first bin)
 * into a separate, private target directory under the user's cache dir (secure/private-dir.ts),
 * after `cargo clean -p NAME` there, so the crate itself is always recompiled and the user's own
 * `target/` is never touched.
 */
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExactParse, PrintTypeSizesParser } from './print-type-sizes';
import { privateCacheDir } from '../secure/private-dir';

/** Options of {@link runExact}: exactly one of `crateDir` and `file`. */
export interface ExactOptions {
  /** Directory holding `Cargo.toml`. */
  crateDir?: string;
  /** A single `.rs` file compiled as a library. */
  file?: string;
  signal?: AbortSignal;
  onProgress?(msg: string): void;
  /** Cache directory; defaults to `$XDG_CACHE_HOME/alloc-lens/exact` (or `~/.cache/...`). */
  cacheDir?: string;
  /** Cargo features to enable (`--features a,b`). */
  features?: string[];
  /** Skip the cache (neither read nor written). */
  noCache?: boolean;
}

/** What exact mode produced. */
export interface ExactResult extends ExactParse {
  /** Name of the compiled crate (`ddsplit`), used to strip local paths when mapping. */
  crateName: string;
  /** Names (underscored) of the crate's direct dependencies: their types are not the crate's own. */
  externCrates?: string[];
  /** First line of `rustc -vV` (`rustc 1.95.0 (... )`). */
  rustcVersion: string;
  /** True when the result came from the cache. */
  cached: boolean;
  /** Milliseconds spent compiling (0 when cached). */
  millis: number;
}

/** A build that failed; `message` is the compiler's first error. */
export class ExactBuildError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = 'ExactBuildError';
  }
}

interface Proc {
  code: number | null;
  stderr: string;
}

function run(
  cmd: string,
  args: string[],
  o: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    signal?: AbortSignal;
    onStdout?(s: string): void;
    onStderr?(s: string): void;
  },
): Promise<Proc> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new Error('exact mode cancelled'));
    // Own process group, so cancelling also stops the rustc processes cargo started.
    const child = spawn(cmd, args, {
      cwd: o.cwd,
      env: o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    let stderr = '';
    const abort = () => {
      try {
        if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, 'SIGTERM');
        else child.kill('SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    };
    o.signal?.addEventListener('abort', abort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (s: string) => o.onStdout?.(s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      o.onStderr?.(s);
    });
    child.on('error', e => {
      o.signal?.removeEventListener('abort', abort);
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', code => {
      o.signal?.removeEventListener('abort', abort);
      if (o.signal?.aborted) reject(new Error('exact mode cancelled'));
      else resolve({ code, stderr });
    });
  });
}

async function capture(
  cmd: string,
  args: string[],
  cwd?: string,
  signal?: AbortSignal,
): Promise<string> {
  let out = '';
  const p = await run(cmd, args, { cwd, signal, onStdout: s => (out += s) });
  if (p.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed: ${firstError(p.stderr) || p.stderr.trim()}`);
  return out;
}

/** The compiler's first error (the `error...` line and its snippet up to the next blank line). */
export function firstError(stderr: string): string {
  const lines = stderr.split('\n');
  const i = lines.findIndex(l => /^error(\[E\d+\])?:/.test(l));
  if (i < 0) return '';
  const out: string[] = [];
  for (let j = i; j < lines.length && (j === i || lines[j].trim() !== ''); j++) out.push(lines[j]);
  return out.join('\n').trim();
}

function defaultCacheDir(): string {
  return privateCacheDir('exact');
}

const SKIP_DIRS = new Set(['target', '.git', 'node_modules']);

/** Files whose contents decide the layouts: Rust sources, manifests, lock file, cargo config. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs
      .readdirSync(d, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p);
      } else if (
        e.isFile() &&
        (e.name.endsWith('.rs') ||
          e.name === 'Cargo.toml' ||
          e.name === 'Cargo.lock' ||
          e.name === 'config.toml')
      )
        out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * The separate cargo target directory exact mode uses for a crate (the user's `target/` is
 * untouched): private to the user (see secure/private-dir.ts), created and checked here.
 */
export function exactTargetDir(crateRoot: string): string {
  const hash = crypto
    .createHash('sha256')
    .update(path.resolve(crateRoot))
    .digest('hex')
    .slice(0, 16);
  return privateCacheDir('exact-target', hash);
}

/** Cache key: rustc version + mode + relative path and contents of every source file. */
export function cacheKey(rustcVV: string, mode: string, root: string, files: string[]): string {
  const h = crypto.createHash('sha256').update(rustcVV).update('\0').update(mode).update('\0');
  for (const f of files)
    h.update(path.relative(root, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 40);
}

interface Target {
  name: string;
  kind: string[];
  crate_types: string[];
}

async function cargoTarget(
  crateDir: string,
  signal?: AbortSignal,
): Promise<{ crateName: string; packageName: string; args: string[]; externCrates: string[] }> {
  const meta = JSON.parse(
    await capture(
      'cargo',
      ['metadata', '--no-deps', '--offline', '--format-version', '1'],
      crateDir,
      signal,
    ),
  ) as {
    packages: {
      name: string;
      manifest_path: string;
      targets: Target[];
      dependencies: { name: string; rename?: string | null }[];
    }[];
  };
  const manifest = fs.realpathSync(path.join(crateDir, 'Cargo.toml'));
  const pkg =
    meta.packages.find(p => fs.realpathSync(p.manifest_path) === manifest) ?? meta.packages[0];
  if (!pkg) throw new ExactBuildError(`no package in ${crateDir}`, '');
  const lib = pkg.targets.find(t =>
    t.kind.some(k => k === 'lib' || k === 'rlib' || k === 'proc-macro'),
  );
  const bin = pkg.targets.find(t => t.kind.includes('bin'));
  const t = lib ?? bin;
  if (!t) throw new ExactBuildError(`package ${pkg.name} has neither a lib nor a bin target`, '');
  const externCrates = pkg.dependencies.map(d => (d.rename || d.name).replace(/-/g, '_'));
  return {
    crateName: t.name.replace(/-/g, '_'),
    packageName: pkg.name,
    args: t === lib ? ['--lib'] : ['--bin', t.name],
    externCrates,
  };
}

/**
 * Compiles with `-Zprint-type-sizes` and returns the parsed types. Throws {@link ExactBuildError}
 * with the compiler's first error when the build fails, and an `Error('exact mode cancelled')`
 * when `signal` aborts (the child process is killed).
 */
export async function runExact(opts: ExactOptions): Promise<ExactResult> {
  if (!!opts.crateDir === !!opts.file)
    throw new Error('runExact: give exactly one of crateDir and file');
  const progress = opts.onProgress ?? (() => undefined);
  const vv = await capture('rustc', ['-vV'], undefined, opts.signal);
  const rustcVersion = vv.split('\n')[0].trim();
  const root = path.resolve(opts.crateDir ?? path.dirname(opts.file!));
  const files = opts.crateDir ? sourceFiles(root) : [path.resolve(opts.file!)];
  const key = cacheKey(
    vv,
    opts.crateDir ? `crate ${(opts.features ?? []).join(',')}` : 'file',
    root,
    files,
  );
  const cacheFile = path.join(opts.cacheDir ?? defaultCacheDir(), `${key}.json`);
  if (!opts.noCache && fs.existsSync(cacheFile)) {
    try {
      const r = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as ExactResult;
      if (
        !Array.isArray(r.types) ||
        r.types.length + r.closures.length + r.asyncBodies.length === 0
      )
        throw new Error('empty cache entry');
      progress(`exact: cached result for ${root}`);
      return { ...r, cached: true, millis: 0 };
    } catch {
      // A corrupt cache entry is rebuilt below.
    }
  }
  const parser = new PrintTypeSizesParser();
  const env = { ...process.env, RUSTC_BOOTSTRAP: '1', CARGO_INCREMENTAL: '0' };
  const started = Date.now();
  let crateName: string;
  let externCrates: string[] = [];
  let proc: Proc;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-lens-exact-'));
  try {
    if (opts.crateDir) {
      const t = await cargoTarget(root, opts.signal);
      crateName = t.crateName;
      externCrates = t.externCrates;
      const targetDir = exactTargetDir(root);
      progress(`exact: cargo clean -p ${t.packageName}`);
      // Without the clean, cargo would consider the crate fresh and rustc would print nothing.
      const clean = await run(
        'cargo',
        ['clean', '--offline', '-p', t.packageName, '--target-dir', targetDir],
        { cwd: root, env, signal: opts.signal },
      );
      if (clean.code !== 0)
        throw new ExactBuildError(
          `cargo clean -p ${t.packageName} failed: ${clean.stderr.trim().split('\n').pop()}`,
          clean.stderr,
        );
      progress(`exact: cargo rustc ${t.args.join(' ')} -- -Zprint-type-sizes`);
      proc = await run(
        'cargo',
        [
          'rustc',
          '--offline',
          '-j1',
          '-p',
          t.packageName,
          ...t.args,
          ...(opts.features?.length ? ['--features', opts.features.join(',')] : []),
          '--target-dir',
          targetDir,
          '--message-format',
          'human',
          '--',
          '-Zprint-type-sizes',
        ],
        {
          cwd: root,
          env,
          signal: opts.signal,
          onStdout: s => parser.push(s),
          onStderr: s => {
            for (const l of s.split('\n'))
              if (/^\s*Compiling /.test(l)) progress(`exact: ${l.trim()}`);
          },
        },
      );
    } else {
      const file = path.resolve(opts.file!);
      crateName = path.basename(file, '.rs').replace(/[^A-Za-z0-9_]/g, '_');
      progress(`exact: rustc --crate-type lib -Zprint-type-sizes ${file}`);
      proc = await run(
        'rustc',
        [
          '--crate-type',
          'lib',
          '--edition',
          '2021',
          '--crate-name',
          crateName,
          '-Zprint-type-sizes',
          '--out-dir',
          tmp,
          path.basename(file),
        ],
        {
          cwd: path.dirname(file),
          env,
          signal: opts.signal,
          onStdout: s => parser.push(s),
        },
      );
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (proc.code !== 0)
    throw new ExactBuildError(
      firstError(proc.stderr) ||
        `build failed (exit ${proc.code}): ${proc.stderr.trim().split('\n').slice(-3).join('\n')}`,
      proc.stderr,
    );
  const result: ExactResult = {
    ...parser.finish(),
    crateName,
    externCrates,
    rustcVersion,
    cached: false,
    millis: Date.now() - started,
  };
  // An empty result (nothing was compiled) is never cached.
  if (
    !opts.noCache &&
    result.types.length + result.closures.length + result.asyncBodies.length > 0
  ) {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    fs.writeFileSync(cacheFile + '.tmp', JSON.stringify(result));
    fs.renameSync(cacheFile + '.tmp', cacheFile);
  }
  progress(
    `exact: ${result.types.length} types, ${result.closures.length} closures, ${result.asyncBodies.length} async bodies in ${result.millis} ms`,
  );
  return result;
}
