/**
 * Record Profile (trusted workspaces only): pick a cargo target and its arguments, build it with
 * line tables (`CARGO_PROFILE_RELEASE_DEBUG`, the user's Cargo.toml untouched), run it under
 * `perf record --call-graph dwarf`, then import the recording. Every process is spawned with an
 * argument array (no shell), its output goes to the "Alloc Lens: Record" channel, and the progress
 * notification's Cancel stops it. The command lines come from src/profile/record-plan.ts.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  buildArgs,
  cargoTargets,
  executableFromMessages,
  metadataArgs,
  perfProblem,
  perfRecordArgs,
  recordEnv,
  recordingPath,
  splitArgs,
  type CargoTarget,
} from '../profile/record-plan';

class Cancelled extends Error {}

let channel: vscode.OutputChannel | undefined;
function out(): vscode.OutputChannel {
  return (channel ??= vscode.window.createOutputChannel('Alloc Lens: Record'));
}

/** Runs `cmd args` (no shell) in its own process group; resolves with stdout, rejects on failure or cancel. */
function run(
  cmd: string,
  args: string[],
  opts: {
    cwd: string;
    env?: NodeJS.ProcessEnv;
    token: vscode.CancellationToken;
    echoStdout?: boolean;
  },
): Promise<string> {
  return new Promise((resolve, reject) => {
    out().appendLine(
      `$ ${[cmd, ...args].map(a => (/^[\w./,=:@%+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`,
    );
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      shell: false,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let killed = false;
    const sub = opts.token.onCancellationRequested(() => {
      killed = true;
      try {
        // The whole group: cargo's rustc children, perf's workload.
        process.kill(-child.pid!, 'SIGINT');
        setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // gone
          }
        }, 2000);
      } catch {
        // gone
      }
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      if (opts.echoStdout) out().append(d);
    });
    child.stderr.on('data', (d: string) => out().append(d));
    child.on('error', e => {
      sub.dispose();
      reject(e);
    });
    child.on('close', (code, signal) => {
      sub.dispose();
      if (killed) reject(new Cancelled('cancelled'));
      else if (code === 0) resolve(stdout);
      else
        reject(
          new Error(
            `${path.basename(cmd)} ${args[0]} failed (${signal ?? `exit code ${code}`}); see the "Alloc Lens: Record" output`,
          ),
        );
    });
  });
}

function perfFound(): Promise<boolean> {
  return new Promise(resolve => {
    const c = spawn('perf', ['--version'], { shell: false, stdio: 'ignore' });
    c.on('error', () => resolve(false));
    c.on('close', code => resolve(code === 0));
  });
}

function paranoid(): number | undefined {
  try {
    const v = Number(fs.readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8').trim());
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const KIND_LABEL: Record<CargoTarget['kind'], string> = {
  bin: 'binary',
  example: 'example',
  bench: 'benchmark',
  test: 'integration test',
  lib: 'library unit tests',
};

export class Recorder {
  constructor(private readonly state: vscode.Memento) {}

  async record(): Promise<string | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(
        'Alloc Lens: Record Profile builds and runs the program (build scripts, proc macros and the program itself run). Trust this workspace to allow it; static analysis keeps working without.',
      );
      return undefined;
    }
    const folder = await this.pickFolder();
    if (!folder) return undefined;
    const problem = perfProblem({
      perfFound: await perfFound(),
      paranoid: paranoid(),
      root: process.getuid?.() === 0,
      platform: process.platform,
    });
    if (problem) {
      void vscode.window.showErrorMessage(`Alloc Lens: ${problem}`);
      return undefined;
    }
    const cwd = folder.uri.fsPath;
    const cfg = vscode.workspace.getConfiguration('allocLens.record', folder.uri);
    let output: string | undefined;
    try {
      const targets = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Alloc Lens: reading cargo targets' },
        (_p, token) =>
          run('cargo', metadataArgs(), { cwd, token }).then(s => {
            const meta = JSON.parse(s) as { target_directory?: string };
            return { list: cargoTargets(meta), dir: meta.target_directory };
          }),
      );
      if (targets.list.length === 0) {
        void vscode.window.showInformationMessage(
          'Alloc Lens: this cargo workspace has no binary, example, test or bench target to record.',
        );
        return undefined;
      }
      const lastKey = `record.last:${cwd}`;
      const last = this.state.get<{ target: string; args: string }>(lastKey);
      const items = targets.list.map(t => ({
        label: t.name,
        description: `${KIND_LABEL[t.kind]} · ${t.package}`,
        detail: path.relative(cwd, t.src),
        t,
      }));
      const lastItem = items.find(i => `${i.t.kind}:${i.t.package}:${i.t.name}` === last?.target);
      if (lastItem) items.unshift(...items.splice(items.indexOf(lastItem), 1));
      const pick = await vscode.window.showQuickPick(items, {
        placeHolder: 'Cargo target to build (release, line tables) and record with perf',
        matchOnDescription: true,
      });
      if (!pick) return undefined;
      const argLine = await vscode.window.showInputBox({
        prompt: `Arguments for ${pick.t.name} (split like a shell would, but no shell runs)`,
        placeHolder: 'e.g. --input data.txt 1000',
        value: lastItem === pick ? last?.args : '',
      });
      if (argLine === undefined) return undefined;
      const programArgs = splitArgs(argLine);
      await this.state.update(lastKey, {
        target: `${pick.t.kind}:${pick.t.package}:${pick.t.name}`,
        args: argLine,
      });
      output = recordingPath(targets.dir ?? path.join(cwd, 'target'), pick.t, new Date());
      fs.mkdirSync(path.dirname(output), { recursive: true });
      out().show(true);
      const file = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Alloc Lens: recording ${pick.t.name}`,
          cancellable: true,
        },
        async (progress, token) => {
          progress.report({ message: 'building (release, line tables)...' });
          const messages = await run('cargo', buildArgs(pick.t), {
            cwd,
            env: recordEnv(process.env),
            token,
          });
          const exe = executableFromMessages(messages, pick.t);
          if (!exe) throw new Error(`cargo built no executable for ${pick.t.name}`);
          progress.report({ message: `perf record ${path.basename(exe)} ${argLine}`.trim() });
          await run(
            'perf',
            perfRecordArgs(exe, programArgs, output!, {
              frequency: cfg.get<number>('frequency', 2000),
              stackBytes: cfg.get<number>('dwarfStackBytes', 65528),
            }),
            { cwd, token, echoStdout: true },
          );
          return output!;
        },
      );
      out().appendLine(`recorded ${file}; importing it`);
      await vscode.commands.executeCommand('allocLens.importProfile', file);
      return file;
    } catch (e) {
      if (e instanceof Cancelled) {
        // A cancelled recording is cut short: it is not imported, and not left behind.
        if (output) fs.rmSync(output, { force: true });
        out().appendLine('cancelled');
        void vscode.window.showInformationMessage('Alloc Lens: recording cancelled.');
        return undefined;
      }
      const msg =
        (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'cargo was not found on PATH'
          : (e as Error).message;
      void vscode.window
        .showErrorMessage(`Alloc Lens: Record Profile: ${msg}`, 'Show Output')
        .then(c => c && out().show());
      return undefined;
    }
  }

  private async pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter(f => f.uri.scheme === 'file');
    if (folders.length === 0) {
      void vscode.window.showInformationMessage(
        'Alloc Lens: open a cargo workspace folder to record a profile.',
      );
      return undefined;
    }
    if (folders.length === 1) return folders[0];
    return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Workspace folder to record' });
  }

  dispose(): void {
    channel?.dispose();
    channel = undefined;
  }
}
