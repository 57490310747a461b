/** In-memory stdout/stderr for running the CLI's `main` in a test. */
export function capture() {
  let out = '';
  let err = '';
  const mk = (f: (s: string) => void) =>
    ({
      write: (s: string | Uint8Array) => (f(String(s)), true),
    }) as unknown as NodeJS.WritableStream;
  return {
    io: { stdout: mk(s => (out += s)), stderr: mk(s => (err += s)) },
    out: () => out,
    err: () => err,
  };
}
