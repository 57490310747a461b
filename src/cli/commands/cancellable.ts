/**
 * The import wrapper shared by `profile` (CPU) and its heap variant: Ctrl-C cancels the import
 * (AbortSignal), a bad input is a usage error (exit 2), a cancelled one exits 130, and the
 * progress line is cleared either way.
 */
import { UsageError, type CliIo } from '../io';
import { CancelledError, ProfileInputError } from '../../profile/source';

/** Runs `work` with a signal that SIGINT aborts; `undefined` when it was cancelled. */
export async function runCancellable<T>(
  io: CliIo,
  showProgress: boolean,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T | undefined> {
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    return await work(ac.signal);
  } catch (e) {
    if (e instanceof ProfileInputError) throw new UsageError(e.message);
    if (e instanceof CancelledError) {
      io.stderr.write('\nalloc-lens: cancelled\n');
      return undefined;
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSig);
    if (showProgress) io.stderr.write('\r\x1b[K');
  }
}

/** `\rimporting <file>: 12/100 MB[, <extra>]` for a TTY. */
export function progressLine(
  io: CliIo,
  input: string,
  pr: { bytesRead: number; bytesTotal?: number },
  extra = '',
): void {
  io.stderr.write(
    `\rimporting ${input}: ${(pr.bytesRead / 1e6).toFixed(0)}${pr.bytesTotal ? `/${(pr.bytesTotal / 1e6).toFixed(0)}` : ''} MB${extra}`,
  );
}
