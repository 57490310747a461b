/**
 * The dependency graph of a workspace: `cargo metadata --offline --locked` when the workspace
 * is trusted and cargo is installed (authoritative: cargo's own resolution, features and
 * paths; never builds, never touches the network, never writes Cargo.lock), else Cargo.lock
 * plus the manifests (`resolveGraph`).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cfgTarget, type CfgTarget } from './cfg';
import { buildScriptCfgs } from './build-script';
import {
  newPackage,
  resolveGraph,
  type CrateGraph,
  type FeatureRequest,
  type ResolvedPackage,
} from './graph';
import { readManifest } from './manifest';

export interface GraphOptions extends FeatureRequest {
  target?: string;
  trusted?: boolean;
  /** Run `cargo metadata` when trusted (default true); tests turn it off to test the lockfile path. */
  cargoMetadata?: boolean;
  signal?: AbortSignal;
}

export interface GraphResult {
  graph: CrateGraph;
  target: CfgTarget;
  notices: string[];
}

interface Meta {
  packages: { id: string; name: string; version: string; manifest_path: string }[];
  workspace_members: string[];
  resolve: {
    nodes: {
      id: string;
      deps: { name: string; pkg: string; dep_kinds: { kind: string | null }[] }[];
      features: string[];
    }[];
  } | null;
}

function runCargoMetadata(manifest: string, opts: GraphOptions, triple: string): Promise<Meta> {
  const args = [
    'metadata',
    '--format-version',
    '1',
    '--offline',
    '--locked',
    '--manifest-path',
    manifest,
    '--filter-platform',
    triple,
  ];
  if (opts.allFeatures) args.push('--all-features');
  if (opts.noDefaultFeatures) args.push('--no-default-features');
  if (opts.features?.length) args.push('--features', opts.features.join(','));
  return new Promise((resolve, reject) => {
    // Argument array, no shell; 60 s bound so a wedged cargo cannot hang the analysis.
    execFile(
      'cargo',
      args,
      { cwd: path.dirname(manifest), timeout: 60_000, maxBuffer: 256 << 20, signal: opts.signal },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(
              (err as NodeJS.ErrnoException).code === 'ENOENT'
                ? 'cargo is not installed'
                : String(stderr).trim().split('\n').pop() || err.message,
            ),
          );
        else {
          try {
            resolve(JSON.parse(stdout) as Meta);
          } catch (e) {
            reject(e as Error);
          }
        }
      },
    );
  });
}

function fromMetadata(meta: Meta, rootDirs: string[], target: CfgTarget): CrateGraph {
  const dirOf = new Map(meta.packages.map(p => [p.id, path.dirname(p.manifest_path)]));
  const packages = new Map<string, ResolvedPackage>();
  const members = new Set(meta.workspace_members);
  for (const node of meta.resolve?.nodes ?? []) {
    const dir = dirOf.get(node.id)!;
    const manifest = readManifest(dir);
    let buildCfgs = new Map<string, 'yes' | 'maybe'>();
    const build = manifest.targets.find(t => t.kind === 'build');
    if (build) {
      try {
        buildCfgs = buildScriptCfgs(
          fs.readFileSync(build.root, 'utf8'),
          target.triple,
          new Set(node.features),
        );
      } catch {
        buildCfgs = new Map([['*', 'maybe']]);
      }
    }
    const p = newPackage(dir, manifest, members.has(node.id), new Set(node.features), buildCfgs);
    for (const d of node.deps) {
      const to = dirOf.get(d.pkg)!;
      if (d.dep_kinds.some(k => k.kind === null)) p.deps.set(d.name, to);
      else if (d.dep_kinds.some(k => k.kind === 'dev')) p.devDeps.set(d.name, to);
    }
    packages.set(dir, p);
  }
  return { packages, roots: rootDirs, missing: [], source: 'cargo-metadata' };
}

export async function resolveCrateGraph(
  rootDirs: string[],
  opts: GraphOptions = {},
): Promise<GraphResult> {
  const target = cfgTarget(opts.target);
  const notices: string[] = [];
  if (opts.trusted && opts.cargoMetadata !== false && rootDirs.length > 0) {
    try {
      const meta = await runCargoMetadata(
        path.join(rootDirs[0], 'Cargo.toml'),
        opts,
        target.triple,
      );
      const graph = fromMetadata(meta, rootDirs, target);
      if (rootDirs.every(d => graph.packages.has(d))) return { graph, target, notices };
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      // Expected without a Cargo.lock or offline registry: the lockfile path is used instead.
      notices.push(
        `cargo metadata unavailable (${(e as Error).message}); dependencies resolved from Cargo.lock and manifests`,
      );
    }
  }
  const graph = resolveGraph(rootDirs, target, opts);
  return { graph, target, notices };
}
