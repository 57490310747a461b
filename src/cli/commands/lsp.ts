/** `alloc-lens lsp [--stdio]`: the language server (for Neovim, Helix, Zed, Emacs, VS Code). */
import type { CliIo } from '../io';
import { UsageError } from '../io';

export async function runLsp(args: string[], _io: CliIo): Promise<number> {
  const bad = args.find(
    a => !/^--(stdio|node-ipc|socket=\d+|pipe=.+|clientProcessId=\d+)$/.test(a),
  );
  if (bad) throw new UsageError(`lsp: unknown option ${bad} (the server talks LSP over stdio)`);
  const { runServer } = await import('../../lsp/main');
  const conn = runServer(['node', 'alloc-lens', ...args]);
  // Resolves when the client sends `exit` (the connection library then ends the process).
  return new Promise<number>(resolve => conn.onExit(() => resolve(0)));
}
