/**
 * Entry of the language server as a node module (dist/server.js, started by the VS Code client
 * with `--node-ipc`) and of `alloc-lens lsp` (stdio by default). An exception that escapes a
 * handler is logged and the server keeps serving the other files and requests.
 */
import {
  createConnection,
  ProposedFeatures,
  StreamMessageReader,
  StreamMessageWriter,
  type Connection,
} from 'vscode-languageserver/node';
import { isMainThread } from 'node:worker_threads';
import { startServer } from './server';
import { Timeline } from './timeline';

export function runServer(argv: string[] = process.argv): Connection {
  // Node's start-up and the module load, before anything else runs.
  const timeline = Timeline.ofProcess();
  // createConnection() picks the transport from --node-ipc / --stdio / --socket=N / --pipe=NAME.
  const explicit = argv.some(a => /^--(node-ipc|stdio|socket|pipe)/.test(a));
  let conn: Connection;
  if (explicit) conn = createConnection(ProposedFeatures.all);
  else {
    const reader = new StreamMessageReader(process.stdin);
    const writer = new StreamMessageWriter(process.stdout);
    // A body that is not JSON gets JSON-RPC's Parse error (id null); the stream goes on.
    reader.onError(
      e =>
        void writer.write({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32700, message: `Parse error: ${e.message}` },
        } as never),
    );
    conn = createConnection(ProposedFeatures.all, reader, writer);
    // The stdin-end exit of createConnection(streams) is kept: the client went away.
    process.stdin.on('end', () => process.exit(0));
  }
  const survive = (kind: string) => (e: unknown) => {
    try {
      conn.console.error(`${kind}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    } catch {
      process.stderr.write(`alloc-lens lsp: ${kind}: ${String(e)}\n`);
    }
  };
  process.on('uncaughtException', survive('uncaught exception'));
  process.on('unhandledRejection', survive('unhandled rejection'));
  startServer(conn, timeline);
  return conn;
}

// Not in a worker: the bundle is also the check worker's entry (check-worker.ts).
if (require.main === module && isMainThread) runServer();
