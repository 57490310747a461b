/**
 * "Explain Future Size" (pure markdown, no vscode import): for one async fn, async block or async
 * closure, the state machine rustc builds and where its bytes come from:
 *
 * - the prefix: captured arguments/upvars, the 1-byte state tag and the locals promoted to it
 *   (saved across more than one `.await`, or overlapping another variant's);
 * - one suspend variant per `.await` (or `join!`/`select!`): the awaited future (`__awaitee`) and
 *   the locals held across it, laid out after the prefix; variants overlap, so the size is the
 *   prefix plus the largest variant, rounded up to the alignment;
 * - the awaitee tree: what each awaited future holds in turn, through workspace callees;
 * - what boxing the biggest awaitee or the biggest held local would leave (same layout rules).
 */
import * as path from 'node:path';
import { table } from '../layout/markdown';
import { relayout } from './coroutine';
import type { AwaitInfo, FutureInfo, HeldLocal } from './types';

const n = (x: number) => x.toLocaleString('en-US');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const short = (callee: string) =>
  /^[\w:]+$/.test(callee) ? callee.split('::').slice(-2).join('::') : callee;

function sizeText(f: FutureInfo): string {
  if (f.status === 'lower-bound') return `at least ${n(f.size)} B`;
  return f.status === 'exact' ? `${n(f.size)} B (rustc)` : `≈ ${n(f.size)} B`;
}

function awaiteeSize(a: AwaitInfo): string {
  if (a.size === null) return 'unknown';
  return `${a.status === 'lower-bound' ? '≥ ' : ''}${n(a.size)}`;
}

function heldText(h: HeldLocal[]): string {
  return h.length
    ? [...h]
        .sort((a, b) => b.size - a.size)
        .map(x => `${x.name}: ${x.type} (${n(x.size)})`)
        .join(', ')
    : '—';
}

function where(root: string, file: string, line: number): string {
  return `${path.relative(root, file).split(path.sep).join('/') || path.basename(file)}:${line}`;
}

/** The awaitee tree as text lines (`├─`), through workspace callees, `depth` levels deep. */
function tree(
  f: FutureInfo,
  root: string,
  depth: number,
  prefix: string,
  seen: Set<FutureInfo>,
  out: string[],
): void {
  const awaits = [...f.awaits].sort((a, b) => (b.size ?? 0) - (a.size ?? 0));
  const shown = awaits.slice(0, 8);
  shown.forEach((a, i) => {
    const last = i === shown.length - 1 && awaits.length === shown.length;
    const sub = a.future;
    const held = a.held.length
      ? `, holding ${[...a.held]
          .sort((x, y) => y.size - x.size)
          .slice(0, 3)
          .map(h => `${h.name} (${n(h.size)} B)`)
          .join(', ')}${a.held.length > 3 ? ', …' : ''}`
      : '';
    const def = sub ? ` [${where(root, sub.file, sub.line)}]` : '';
    const rec = a.recursive ? ' ⚠ recursive' : '';
    out.push(
      `${prefix}${last ? '└─' : '├─'} line ${a.line} ${a.kind === 'await' ? '.await' : `${a.kind}!`} ${short(a.callee)}: ${awaiteeSize(a)} B${def}${held}${rec}`,
    );
    if (sub && depth > 1 && !seen.has(sub) && sub.awaits.length) {
      seen.add(sub);
      tree(sub, root, depth - 1, `${prefix}${last ? '   ' : '│  '}`, seen, out);
      seen.delete(sub);
    }
  });
  if (awaits.length > shown.length)
    out.push(`${prefix}└─ … ${awaits.length - shown.length} smaller awaits`);
}

/** Markdown explaining future `f`; `root` makes file names relative. */
export function explainFutureMarkdown(f: FutureInfo, root: string): string {
  const name = f.kind === 'async-fn' ? f.fn.split('::').pop()! : f.fn;
  const kind =
    f.kind === 'async-fn' ? 'async fn' : f.kind === 'async-block' ? 'async block' : 'async closure';
  const out: string[] = [];
  out.push(
    `**Future of ${code(name)}** (${kind}, ${where(root, f.file, f.line)}) — Alloc Lens`,
    '',
  );
  out.push(
    '```rust',
    `// size = ${f.status === 'lower-bound' ? '≥ ' : ''}${n(f.size)} (0x${f.size.toString(16).toUpperCase()}), align = ${f.align}`,
    '```',
  );
  const status =
    f.status === 'exact'
      ? '✔ rustc-confirmed'
      : f.status === 'lower-bound'
        ? `at least: ${f.unknown?.length ? `unknown awaitees counted as 0 B: ${f.unknown.map(code).join(', ')}` : 'some parts are unknown'}`
        : 'estimate: sizes from the index, liveness from the syntax, rustc 1.95 coroutine layout rules';
  out.push(status);
  if (f.asyncTrait)
    out.push(
      '',
      `\`#[async_trait]\` boxes this body on every call: callers hold a 16 B \`Pin<Box<dyn Future + Send>>\`, and each call allocates ${sizeText(f)} on the heap.`,
    );
  if (f.recursive)
    out.push(
      '',
      '⚠ recursive: this future contains itself and does not compile unboxed; `Box::pin` the recursive call.',
    );
  if (f.generic)
    out.push(
      '',
      'The fn is generic: rustc sizes each instantiation; this is the size with the parameters as written.',
    );
  if (f.largest) out.push('', `Largest contributor: ${code(f.largest)}`);
  const layout = f.layout;
  if (layout) {
    const upvarBytes = f.upvars.reduce((s, u) => s + u.size, 0);
    const heldByKey = new Map<string, HeldLocal>();
    for (const a of f.awaits) for (const h of a.held) if (h.key) heldByKey.set(h.key, h);
    const promoted = layout.promoted.map(
      k => heldByKey.get(k)?.name ?? f.awaits.find(a => a.key === k)?.callee ?? k,
    );
    const big = layout.variantSizes.reduce((m, v, i) => (v > layout.variantSizes[m] ? i : m), 0);
    out.push('', '**State machine**');
    if (!f.awaits.length) {
      out.push(
        '',
        `No \`.await\`: only the prefix, ${n(layout.prefix)} B, rounded up to align ${f.align} = ${n(f.size)} B.`,
      );
    } else {
      const v = layout.variantSizes[big];
      const a = f.awaits[big];
      out.push(
        '',
        `prefix ${n(layout.prefix)} B (captured ${n(upvarBytes)} B + 1 B state tag${promoted.length ? ` + promoted ${promoted.map(code).join(', ')}` : ''}) + largest suspend variant ${n(v - layout.prefix)} B (\`.await\` at line ${a.line}, ${short(a.callee)}) = ${n(v)} B → ${n(f.size)} B at align ${f.align}.`,
      );
    }
    const captured = f.kind === 'async-block' ? 'upvar' : 'argument';
    const rows: string[][] = f.upvars.map(u => [captured, u.name, u.type, n(u.size)]);
    rows.push(['state tag', '', 'u8', '1']);
    for (const k of layout.promoted) {
      const h = heldByKey.get(k);
      if (h) rows.push(['promoted local', h.name, h.type, n(h.size)]);
    }
    out.push(
      '',
      'Prefix (kept in every state):',
      ...table(['part', 'name', 'type', 'size'], rows, [false, false, false, true]),
    );
    if (f.awaits.length) {
      const vrows = f.awaits.map((a, i) => [
        `${i === big ? '▶ ' : ''}Suspend${i}`,
        String(a.line),
        short(a.callee),
        awaiteeSize(a),
        heldText(a.held.filter(h => !h.key || !layout.promoted.includes(h.key))),
        n(layout.variantSizes[i] ?? 0),
      ]);
      out.push(
        '',
        'Suspend variants (one per `.await`):',
        ...table(['variant', 'line', 'awaits', '__awaitee', 'held across it (B)', 'size'], vrows, [
          false,
          true,
          false,
          true,
          false,
          true,
        ]),
      );
      out.push(
        'Each variant starts after the prefix; variants overlap, so the largest (▶) sets the size.',
      );
    }
  }
  if (f.awaits.some(a => a.future?.awaits.length)) {
    const lines = [`${name}: ${sizeText(f)}`];
    tree(f, root, 4, '', new Set([f]), lines);
    out.push('', '**Awaitee tree**', '', '```text', ...lines, '```');
  }
  if (layout && f.awaits.length) {
    const tips: string[] = [];
    const biggestAwait = [...f.awaits]
      .filter(a => a.size !== null && a.key)
      .sort((a, b) => b.size! - a.size!)[0];
    if (biggestAwait && biggestAwait.size! >= 256) {
      const after = relayout(layout.shape, biggestAwait.key!, 8, 8).size;
      if (after < f.size)
        tips.push(
          `\`Box::pin(${short(biggestAwait.callee)}(..)).await\` at line ${biggestAwait.line}: ${n(f.size)} B → ≈ ${n(after)} B`,
        );
    }
    const locals = [
      ...new Map(
        f.awaits
          .flatMap(a => a.held)
          .filter(h => h.key)
          .map(h => [h.key!, h]),
      ).values(),
    ].sort((a, b) => b.size - a.size);
    if (locals[0] && locals[0].size >= 256) {
      const after = relayout(layout.shape, locals[0].key!, 8, 8).size;
      if (after < f.size)
        tips.push(
          `box the local \`${locals[0].name}\` (line ${locals[0].line}, \`let ${locals[0].name} = Box::new(..)\`): ${n(f.size)} B → ≈ ${n(after)} B`,
        );
    }
    if (tips.length) out.push('', '**To shrink it**', '', ...tips.map(t => `- ${t}`));
  }
  return out.join('\n');
}
