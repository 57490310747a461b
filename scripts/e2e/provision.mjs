#!/usr/bin/env node
// Installs what the real-editor tests need, offline-friendly and idempotent:
// Debian chromium, ripgrep and libkrb5-dev (apt), and code-server 4.100.3 (npm) into a cache
// directory outside the repository. Exports `provision()` returning the paths.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';
export const CACHE =
  process.env.ALLOC_LENS_E2E_CACHE ?? join(homedir(), '.cache', 'alloc-lens-e2e');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status}`);
}

function has(cmd) {
  return spawnSync('sh', ['-c', 'command -v "$0"', cmd]).status === 0;
}

export function provision() {
  const apt = [];
  if (!existsSync('/usr/bin/chromium')) apt.push('chromium');
  if (!has('rg')) apt.push('ripgrep');
  if (spawnSync('dpkg', ['-s', 'libkrb5-dev'], { stdio: 'ignore' }).status !== 0)
    apt.push('libkrb5-dev');
  if (apt.length > 0) {
    if (process.getuid?.() !== 0)
      throw new Error(
        `e2e needs Debian packages ${apt.join(', ')}; install them with apt-get (root)`,
      );
    console.log(`e2e: apt-get install ${apt.join(' ')}`);
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', ...apt], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  const dir = join(CACHE, `code-server-${CODE_SERVER_VERSION}`);
  const bin = join(dir, 'node_modules', '.bin', 'code-server');
  if (!existsSync(bin)) {
    console.log(`e2e: installing code-server ${CODE_SERVER_VERSION} into ${dir} (about a minute)`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify(
        {
          name: 'alloc-lens-e2e-provision',
          private: true,
          allowScripts: { 'code-server': true, argon2: true, '@vscode/ripgrep': true },
        },
        null,
        2,
      ),
    );
    // @vscode/ripgrep downloads rg at install time unless its cache holds the archive: give it
    // Debian's rg in the archive name it looks for.
    const rgCache = join(tmpdir(), 'vscode-ripgrep-cache-1.15.11');
    mkdirSync(rgCache, { recursive: true });
    const stage = join(rgCache, 'stage');
    mkdirSync(stage, { recursive: true });
    copyFileSync(
      spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim(),
      join(stage, 'rg'),
    );
    run('tar', [
      '-czf',
      join(rgCache, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz'),
      '-C',
      stage,
      'rg',
    ]);
    run('npm', ['install', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: dir,
      env: { ...process.env, npm_config_yes: 'true', npm_config_unsafe_perm: 'true' },
    });
    if (!existsSync(bin)) throw new Error(`code-server was not installed at ${bin}`);
  }
  return { codeServer: bin, chromium: '/usr/bin/chromium' };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(provision());
}
