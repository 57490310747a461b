/**
 * Futures of tokio 1.24, futures 0.3 and std whose size the workspace index cannot compute
 * (dependency sources are not indexed). Measured with `size_of_val` on rustc 1.95,
 * x86_64-unknown-linux-gnu, tokio 1.24.2 with `full` (the probe is
 * `scripts/measure-futures.mjs --probe`); generic ones are for small `T` (u64).
 */

export interface KnownFuture {
  size: number;
  align: number;
  status: 'estimate' | 'lower-bound';
  callee: string;
}

type Sized = { size: number; align: number; status: string; callee: string };

/** Fixed-size futures by full path (`tokio::time::sleep`) or method (`tokio::sync::Mutex::lock`). */
const FIXED: Record<string, [number, number]> = {
  'tokio::time::sleep': [640, 128],
  'tokio::time::sleep_until': [640, 128],
  'tokio::time::Sleep': [640, 128],
  'tokio::task::yield_now': [2, 1],
  'tokio::spawn': [8, 8],
  'tokio::task::spawn': [8, 8],
  'tokio::task::spawn_blocking': [8, 8],
  'tokio::task::spawn_local': [8, 8],
  'tokio::task::JoinHandle': [8, 8],
  'tokio::sync::Mutex::lock': [96, 8],
  'tokio::sync::Mutex::lock_owned': [96, 8],
  'tokio::sync::RwLock::read': [80, 8],
  'tokio::sync::RwLock::write': [80, 8],
  'tokio::sync::Semaphore::acquire': [80, 8],
  'tokio::sync::Semaphore::acquire_owned': [80, 8],
  'tokio::sync::Semaphore::acquire_many': [80, 8],
  'tokio::sync::Notify::notified': [64, 8],
  'tokio::sync::mpsc::Receiver::recv': [32, 8],
  'tokio::sync::mpsc::UnboundedReceiver::recv': [32, 8],
  'tokio::sync::mpsc::Sender::send': [128, 8],
  'tokio::sync::mpsc::Sender::reserve': [96, 8],
  'tokio::sync::oneshot::Receiver': [8, 8],
  'tokio::sync::broadcast::Receiver::recv': [64, 8],
  'tokio::sync::watch::Receiver::changed': [88, 8],
  'tokio::sync::watch::Sender::closed': [88, 8],
  'tokio::sync::Barrier::wait': [144, 8],
  'tokio::sync::OnceCell::get_or_init': [136, 8],
  'tokio::net::TcpStream::connect': [184, 8],
  'tokio::net::TcpListener::bind': [56, 8],
  'tokio::net::TcpListener::accept': [152, 8],
  'tokio::net::TcpSocket::connect': [120, 8],
  'tokio::fs::read': [80, 8],
  'tokio::fs::write': [120, 8],
  'tokio::fs::read_to_string': [80, 8],
  'tokio::fs::File::open': [80, 8],
  'tokio::fs::File::create': [80, 8],
  'tokio::signal::ctrl_c': [88, 8],
  'futures::future::ready': [16, 8],
  'futures::future::pending': [0, 1],
  'std::future::ready': [16, 8],
  'std::future::pending': [0, 1],
};

/**
 * Methods by name alone, used when the receiver's type is not known (`stream.read_u32()`):
 * only names that mean one future in practice (tokio's extension traits and sync types).
 */
const BY_METHOD: Record<string, [string, number, number]> = {
  lock: ['tokio::sync::Mutex::lock', 96, 8],
  notified: ['tokio::sync::Notify::notified', 64, 8],
  acquire: ['tokio::sync::Semaphore::acquire', 80, 8],
  acquire_owned: ['tokio::sync::Semaphore::acquire_owned', 80, 8],
  recv: ['tokio::sync::mpsc::Receiver::recv', 32, 8],
  send: ['tokio::sync::mpsc::Sender::send', 128, 8],
  reserve: ['tokio::sync::mpsc::Sender::reserve', 96, 8],
  changed: ['tokio::sync::watch::Receiver::changed', 88, 8],
  accept: ['tokio::net::TcpListener::accept', 152, 8],
  read: ['tokio::io::AsyncReadExt::read', 24, 8],
  read_exact: ['tokio::io::AsyncReadExt::read_exact', 40, 8],
  read_u8: ['tokio::io::AsyncReadExt::read_u8', 8, 8],
  read_u32: ['tokio::io::AsyncReadExt::read_u32', 16, 8],
  read_u64: ['tokio::io::AsyncReadExt::read_u64', 24, 8],
  read_to_end: ['tokio::io::AsyncReadExt::read_to_end', 32, 8],
  read_to_string: ['tokio::io::AsyncReadExt::read_to_string', 56, 8],
  read_buf: ['tokio::io::AsyncReadExt::read_buf', 16, 8],
  read_line: ['tokio::io::AsyncBufReadExt::read_line', 48, 8],
  write: ['tokio::io::AsyncWriteExt::write', 24, 8],
  write_all: ['tokio::io::AsyncWriteExt::write_all', 24, 8],
  write_u8: ['tokio::io::AsyncWriteExt::write_u8', 16, 8],
  write_u32: ['tokio::io::AsyncWriteExt::write_u32', 16, 8],
  write_u64: ['tokio::io::AsyncWriteExt::write_u64', 24, 8],
  flush: ['tokio::io::AsyncWriteExt::flush', 8, 8],
  shutdown: ['tokio::io::AsyncWriteExt::shutdown', 8, 8],
};

/** Non-future types of tokio that are often held across awaits (guards, handles). */
const TYPES: Record<string, [number, number]> = {
  'tokio::sync::MutexGuard': [8, 8],
  'tokio::sync::OwnedMutexGuard': [16, 8],
  'tokio::sync::RwLockReadGuard': [16, 8],
  'tokio::sync::RwLockWriteGuard': [24, 8],
  'tokio::sync::SemaphorePermit': [16, 8],
  'tokio::sync::OwnedSemaphorePermit': [16, 8],
  'tokio::net::TcpStream': [32, 8],
  'tokio::net::TcpListener': [32, 8],
  'tokio::sync::mpsc::Sender': [8, 8],
  'tokio::sync::mpsc::Receiver': [8, 8],
  'tokio::sync::mpsc::UnboundedSender': [8, 8],
  'tokio::sync::mpsc::UnboundedReceiver': [8, 8],
  'tokio::sync::oneshot::Sender': [8, 8],
  'tokio::sync::oneshot::Receiver': [8, 8],
  'tokio::task::JoinHandle': [8, 8],
  'tokio::time::Sleep': [640, 128],
  'tokio::time::Instant': [16, 8],
  'bytes::Bytes': [32, 8],
  'bytes::BytesMut': [32, 8],
};

/** `tokio::sync::mutex::Mutex` and re-export spellings to the documented path. */
function normalise(p: string): string {
  return (
    p
      .replace(/^tokio::sync::(mutex|rwlock|semaphore|notify|barrier|once_cell)::/, 'tokio::sync::')
      .replace(/^tokio::runtime::task::join::/, 'tokio::task::')
      // Definition paths of dependency types read from tokio's sources, to the documented ones.
      .replace(/^tokio::net::tcp::(?:socket|stream|listener)::/, 'tokio::net::')
      .replace(/^tokio::sync::mpsc::(?:bounded|unbounded)::/, 'tokio::sync::mpsc::')
      .replace(/^tokio::fs::file::/, 'tokio::fs::')
      .replace(/^tokio::time::sleep::Sleep/, 'tokio::time::Sleep')
      .replace(/^futures_util::/, 'futures::')
      .replace(/^core::future::/, 'std::future::')
  );
}

export function knownTypeSize(p: string | undefined): { size: number; align: number } | undefined {
  if (!p) return undefined;
  const t = TYPES[normalise(p)];
  return t ? { size: t[0], align: t[1] } : undefined;
}

/**
 * The future returned by calling `p` (a path or `.method`). `args` lazily size the argument
 * futures, for wrappers such as `tokio::time::timeout(d, fut)`.
 */
export function knownFuture(p: string, args: (() => Sized)[]): KnownFuture | undefined {
  if (p.startsWith('.')) {
    const m = BY_METHOD[p.slice(1)];
    return m ? { size: m[1], align: m[2], status: 'estimate', callee: m[0] } : undefined;
  }
  const n = normalise(p);
  if (
    (n === 'futures::future::select' ||
      n === 'futures::future::join' ||
      n === 'futures::future::try_join') &&
    args.length === 2
  ) {
    // Select<A, B> = Option<(A, B)>; Join<A, B> keeps both (as MaybeDone).
    const a = args[0]();
    const b = args[1]();
    const align = Math.max(a.align, b.align, 1);
    const lb = a.status === 'lower-bound' || b.status === 'lower-bound';
    return {
      size: alignUp(alignUp(a.size, b.align) + b.size, align),
      align,
      status: lb ? 'lower-bound' : 'estimate',
      callee: n,
    };
  }
  if (n === 'tokio::time::timeout' && args[1]) {
    // Timeout<F> = { value: F, delay: Sleep }.
    const f = args[1]();
    const align = Math.max(128, f.align);
    return {
      size: alignUp(alignUp(f.size, 128) + 640, align),
      align,
      status: f.status === 'lower-bound' ? 'lower-bound' : 'estimate',
      callee: n,
    };
  }
  const f = FIXED[n];
  return f ? { size: f[0], align: f[1], status: 'estimate', callee: n } : undefined;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * `join!(a, b)`: tokio/futures keep every branch in a `MaybeDone` (the future, then its
 * output) side by side and poll them through a small `poll_fn` future.
 */
export function joinSize(futs: Sized[]): { size: number; align: number } {
  let size = 0;
  let align = 8;
  for (const f of futs) {
    align = Math.max(align, f.align);
    size = alignUp(size, f.align) + Math.max(f.size, 8);
  }
  return { size: alignUp(size + 8, align), align };
}

/** `select!`: all branch futures side by side, plus the disabled-branch mask. */
export function selectSize(futs: Sized[]): { size: number; align: number } {
  let size = 0;
  let align = 1;
  for (const f of futs) {
    align = Math.max(align, f.align);
    size = alignUp(size, f.align) + f.size;
  }
  return { size: alignUp(size + 8, align), align };
}

/** Top-level comma-separated parts of a token-tree body. */
function splitTop(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inStr) {
      cur += ch;
      if (ch === '\\') cur += text[++i] ?? '';
      else if (ch === '"') inStr = false;
      continue;
    }
    if (ch === '"') inStr = true;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    if (depth === 0 && text.startsWith(sep, i)) {
      out.push(cur.trim());
      cur = '';
      i += sep.length - 1;
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** `join!(a(), b())` -> `['a()', 'b()']`. */
export function splitJoinArgs(inner: string): string[] {
  return splitTop(inner, ',').filter(s => s !== '');
}

/**
 * `select! { a = f() => x, b = g(), if c => { .. } else => .. }` -> `['f()', 'g()']`: the
 * expression between the first top-level `=` and `=>` (or `, if`) of every branch.
 */
export function splitSelectFutures(inner: string): string[] {
  const out: string[] = [];
  const parts = splitTop(inner.replace(/^\s*biased\s*;/, ''), '=>');
  for (let i = 0; i < parts.length - 1; i++) {
    // Each part but the first starts with the previous branch's handler: drop up to its end.
    let head = parts[i];
    if (i > 0) {
      const h = head.trimStart();
      if (h.startsWith('{')) {
        let depth = 0;
        let j = 0;
        for (; j < h.length; j++) {
          if (h[j] === '{') depth++;
          else if (h[j] === '}' && --depth === 0) break;
        }
        head = h.slice(j + 1).replace(/^\s*,/, '');
      } else {
        const segs = splitTop(h, ',');
        head = segs.slice(1).join(',');
      }
    }
    head = head.trim();
    if (head === 'else' || head === '') continue;
    const eq = splitTop(head, '=');
    if (eq.length < 2) continue;
    const fut = splitTop(eq.slice(1).join('='), ', if')[0];
    out.push(fut.trim());
  }
  return out;
}
