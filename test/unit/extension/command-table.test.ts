// One command table (#18): the commands package.json contributes, the ones the extension
// registers, the server's WORKSPACE_COMMANDS (registered by the extension, executed by the server)
// and every command a menu, a welcome view, the walkthrough or a server reply names are the same
// list. A command added in one place only fails here, not as "command not found" in an editor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WORKSPACE_COMMANDS } from '../../../src/lsp/protocol';
import { EXPLAIN_COMMAND, EXPLAIN_FUTURE_COMMAND } from '../../../src/lsp/features';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  contributes: {
    commands: { command: string }[];
    menus: Record<string, { command: string }[]>;
    viewsWelcome: { contents: string }[];
    views: Record<string, { id: string }[]>;
  };
};
const contributed = pkg.contributes.commands.map(c => c.command);
const src = (...p: string[]) => fs.readFileSync(path.join(REPO, 'src', ...p), 'utf8');
const extensionFiles = fs
  .readdirSync(path.join(REPO, 'src', 'extension'))
  .filter(f => f.endsWith('.ts'))
  .map(f => src('extension', f));
/** Not for users: read by the e2e tests (responsiveness numbers), so not in the palette. */
const INTERNAL = /^allocLens\.internal\./;
/** Commands VS Code defines for a contributed view (`<view id>.focus`). */
const viewCommands = Object.values(pkg.contributes.views)
  .flat()
  .map(v => `${v.id}.focus`);

/** Every `registerCommand('id', ...)` of the extension, plus the WORKSPACE_COMMANDS loop. */
function registered(): string[] {
  const ids = extensionFiles.flatMap(t =>
    [...t.matchAll(/registerCommand\(\s*'([^']+)'/g)].map(m => m[1]),
  );
  const loop = extensionFiles.filter(t =>
    /for \(const (\w+) of WORKSPACE_COMMANDS\)[\s\S]{0,200}?registerCommand\(\1,/.test(t),
  );
  assert.equal(loop.length, 1, 'the extension registers WORKSPACE_COMMANDS in one loop');
  return [...ids, ...WORKSPACE_COMMANDS];
}

test('package.json contributes exactly the commands the extension registers, each once', () => {
  const reg = registered();
  assert.equal(new Set(reg).size, reg.length, `registered twice: ${reg.join(', ')}`);
  assert.equal(new Set(contributed).size, contributed.length, 'contributed twice');
  assert.deepEqual(
    reg.filter(c => !INTERNAL.test(c)).sort(),
    [...contributed].sort(),
    'registered (left) vs package.json contributes.commands (right)',
  );
});

test('the server executes exactly WORKSPACE_COMMANDS, and the commands of its replies exist', () => {
  const server = src('lsp', 'server.ts');
  const start = server.indexOf('conn.onExecuteCommand(');
  const body = server.slice(start, server.indexOf('default:', start));
  const consts: Record<string, string> = { EXPLAIN_COMMAND, EXPLAIN_FUTURE_COMMAND };
  const handled = [...body.matchAll(/^\s*case (?:'([^']+)'|(\w+)):/gm)].map(
    m => m[1] ?? consts[m[2]] ?? `unknown constant ${m[2]}`,
  );
  assert.deepEqual(handled.sort(), [...WORKSPACE_COMMANDS].sort());
  // Code actions (Explain layout / future) and the hot-function CodeLens name these.
  for (const c of [EXPLAIN_COMMAND, EXPLAIN_FUTURE_COMMAND, 'allocLens.openFlamegraph'])
    assert.ok(contributed.includes(c), c);
  assert.match(server, /command: init\.client === 'vscode' \? 'allocLens\.openFlamegraph'/);
});

test('menus, the welcome view and the walkthrough only name commands that exist', () => {
  const known = new Set([...contributed, ...viewCommands]);
  const named = [
    ...Object.values(pkg.contributes.menus)
      .flat()
      .map(m => m.command),
    ...pkg.contributes.viewsWelcome.flatMap(w =>
      [...w.contents.matchAll(/\(command:(allocLens\.[\w.]+)/g)].map(m => m[1]),
    ),
    ...fs
      .readdirSync(path.join(REPO, 'media', 'walkthrough'))
      .flatMap(f =>
        [
          ...fs
            .readFileSync(path.join(REPO, 'media', 'walkthrough', f), 'utf8')
            .matchAll(/command:(allocLens\.[\w.]+)/g),
        ].map(m => m[1]),
      ),
    ...[...JSON.stringify(pkg.contributes).matchAll(/command:(allocLens\.[\w.]+)/g)].map(m => m[1]),
  ];
  assert.ok(named.length >= 15, `${named.length} references found`);
  const unknown = named.filter(c => !known.has(c));
  assert.deepEqual(unknown, []);
});
