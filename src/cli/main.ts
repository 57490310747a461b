/**
 * `alloc-lens`: the command-line front end over the analysis core and the profile importer.
 */
import { UsageError, type CliIo } from './io';
import { runLayout } from './commands/layout';

const USAGE = `alloc-lens: where your Rust program allocates and copies memory, and why

usage:
  alloc-lens layout <file-or-dir> [--json] [--exact]
      Layout (size, align, niche, field offsets, variant sizes) of every struct, enum, union
      and type alias defined in the path. --exact builds the crate with rustc
      (RUSTC_BOOTSTRAP=1 -Zprint-type-sizes) and reports where the estimates differ.
  alloc-lens futures <file-or-dir> [--json] [--features a,b] [--exact]
      Size of every async fn, async block and async closure (the state machine rustc
      builds), largest first, with the biggest awaitee or local held across an .await.
      --exact confirms them with rustc (-Zprint-type-sizes).
  alloc-lens check <path> [--format text|json|sarif] [--config <clippy.toml>] [--fail-on warning|error]
      Allocation-hotspot findings (large-error, large-enum-variant, large-move,
      async-trait-box, clone-hotspot).
  alloc-lens profile <perf.data|perf-script.txt[.gz]|stacks.folded[.gz]> [--root <workspace>]
                     [--json] [--top N] [--stacks N] [--folded <out>] [--folded-demangled <out>]
                     [--speedscope <out.json>] [--event <name>] [--remap FROM=TO[,FROM=TO]] [--check] [--perf <exe>]
      Imports a perf profile, charges allocator (malloc/free) and copy (memcpy) samples to the
      workspace source lines they come from and ranks them. --check confirms the static
      findings with the measured cost; --folded writes FlameGraph folded stacks
      (stackcollapse-perf.pl's output byte for byte; --folded-demangled: Rust names demangled),
      --speedscope a speedscope JSON file.
  alloc-lens lsp [--stdio]
      Language server over stdio: diagnostics, hover, code actions, inlay hints, CodeLens and
      profile import for any LSP editor (README "Other editors").

exit codes: 0 ok / clean, 1 findings at or above --fail-on, 2 usage or input error
`;

type Command = (args: string[], io: CliIo) => Promise<number>;

async function lazy(modulePath: string, fn: string): Promise<Command> {
  // Commands are loaded on demand so `layout` does not pay for the profile importer and back.
  const mod = (await import(modulePath)) as Record<string, Command>;
  return mod[fn];
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'layout':
        return await runLayout(rest, io);
      case 'futures':
        return await (
          await lazy('./commands/futures', 'runFutures')
        )(rest, io);
      case 'check':
        return await (
          await lazy('./commands/check', 'runCheck')
        )(rest, io);
      case 'profile':
        return await (
          await lazy('./commands/profile', 'runProfile')
        )(rest, io);
      case 'lsp':
        return await (
          await lazy('./commands/lsp', 'runLsp')
        )(rest, io);
      case '--version':
      case '-V':
        io.stdout.write(`alloc-lens ${require('../../../package.json').version}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        io.stderr.write(`alloc-lens: unknown command \`${cmd}\`\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`alloc-lens: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
