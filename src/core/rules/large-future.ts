/**
 * `large-future`: an `.await` whose awaited future is at least `future-size-threshold` bytes
 * (clippy `large_futures`, default 16 KiB). The awaited future lives inside the caller's own
 * state machine, so the caller grows by that much and every move of it (spawn, select!, join!,
 * return) copies it. Between the lower level (default 2 KiB: tokio boxes spawned futures above
 * it) and the threshold the finding is informational.
 */
import type { FnItem, Item } from '../model';
import { FutureAnalyzer } from '../future/analyze';
import type { FutureInfo } from '../future/types';
import { editAt } from '../fixes/edits';
import { lineStarts, spanAt } from '../index/syntax';
import { boxLocalFix, boxSpawnFix } from '../fixes/box-future';
import { fmt, isAllowed, wanted, type RuleContext, type RuleModule } from './context';
import type { Finding, Fix } from './types';

/** tokio's `BOX_FUTURE_THRESHOLD` (tokio 1.24 `runtime::task`): spawned futures above are boxed. */
export const TOKIO_BOX_THRESHOLD = 2048;

function enclosingFn(ctx: RuleContext, f: FutureInfo): Item | undefined {
  let p = f.fn.replace(/::\{async (block|closure)\}$/, '');
  for (;;) {
    const it = ctx.index.itemByPath(p);
    if (it?.kind === 'fn') return it;
    if (!p.includes('::')) return undefined;
    p = p.slice(0, p.lastIndexOf('::'));
  }
}

/**
 * Sizing a coroutine costs about 0.7 ms (liveness walk over its body through tree-sitter). The
 * largest real file seen (tokio, 1.24.2) has under 100 `async` bodies; a file with more than
 * MAX_ASYNC_PER_FILE (a generated or fuzzed file: 50,000 lines of repeated async fns took 0.7 s)
 * is not analysed for this rule, and the index says so: no finding is better than a hang.
 */
const MAX_ASYNC_PER_FILE = 400;

function withinBudget(ctx: RuleContext, file: string): boolean {
  const text = ctx.index.fileText(file);
  if (!text) return true;
  let n = 0;
  for (
    let i = text.indexOf('async');
    i >= 0 && n <= MAX_ASYNC_PER_FILE;
    i = text.indexOf('async', i + 5)
  )
    n++;
  if (n <= MAX_ASYNC_PER_FILE) return true;
  ctx.index.warnings.push({
    file,
    message: `large-future: more than ${MAX_ASYNC_PER_FILE} \`async\` in this file: its futures were not sized (analysis budget)`,
  });
  return false;
}

/**
 * Offsets whose findings the run drops (test code with `testCode: off`), as `ctx.skipLines` says
 * by line. A finding lies at an await or spawn argument inside its body, so a body wholly in
 * test code yields none: tokio 1.24.2 has 1,022 async bodies, 876 of them in tests/ and
 * `#[cfg(test)]` code, and sizing them was most of the rule's time.
 */
function skipOffsets(
  ctx: RuleContext,
): ((file: string, start: number, end: number) => boolean) | undefined {
  const skipLines = ctx.skipLines;
  if (!skipLines) return undefined;
  return (file, start, end) => {
    const text = ctx.index.fileText(file);
    if (text === undefined) return false;
    const s = spanAt(
      { file, offset: 0, lines: ctx.index.lineStarts(file) ?? lineStarts(text) },
      start,
      end,
    );
    return skipLines(file, s.line, s.endLine);
  };
}

export function largeFuture(ctx: RuleContext): Extract<Finding, { code: 'large-future' }>[] {
  const threshold = ctx.settings.futureSizeThreshold ?? 16384;
  const low = Math.min(ctx.settings.futureBoxThreshold ?? TOKIO_BOX_THRESHOLD, threshold);
  const files = ctx.index.fileNames().filter(f => wanted(ctx, f) && withinBudget(ctx, f));
  const analyzer = new FutureAnalyzer(ctx.index, ctx.engine);
  const skip = skipOffsets(ctx);
  const futures = analyzer.all(files, skip);
  const out: Extract<Finding, { code: 'large-future' }>[] = [];
  for (const f of futures) {
    const owner = enclosingFn(ctx, f);
    for (const a of f.awaits) {
      if (a.size === null || a.size < low || a.kind !== 'await') continue;
      const text = ctx.index.fileText(f.file);
      if (!text) continue;
      const operand = text.slice(a.operandStart, a.operandEnd);
      if (/^Box::pin\s*\(/.test(operand)) continue;
      if (owner && isAllowed(ctx, owner as FnItem, 'large-future')) continue;
      const big = a.size >= threshold;
      const atLeast = a.status === 'lower-bound' ? 'at least ' : '';
      const fix: Fix = {
        title: `Box the awaited future: \`Box::pin(${operand.length > 40 ? operand.slice(0, 37) + '...' : operand}).await\``,
        preferred: true,
        edits: [editAt(f.file, text, a.operandStart, a.operandEnd, `Box::pin(${operand})`)],
      };
      const local = a.future && boxLocal(ctx, a.future);
      const range = editAt(f.file, text, a.operandStart, a.endOffset, '').range;
      out.push({
        code: 'large-future',
        severity: big ? 'warning' : 'info',
        message: `awaiting \`${a.callee}\` stores its ${atLeast}${fmt(a.size)}-byte future in this future`,
        notes: [
          `\`${f.fn.split('::').slice(-1)[0]}\`'s own future is ${fmt(f.size)} bytes, and every spawn, \`select!\`, \`join!\` and return moves it`,
          big
            ? `the threshold is ${fmt(threshold)} bytes (clippy \`future-size-threshold\`)`
            : `above tokio's ${fmt(low)}-byte boxing level (tokio boxes spawned futures larger than that)`,
          'box it with `Box::pin(..).await` so only a pointer is stored',
        ],
        range,
        related: a.target
          ? [
              {
                range: {
                  file: a.target.file,
                  line: a.target.line,
                  column: a.target.column,
                  endLine: a.target.line,
                  endColumn: a.target.column + 1,
                },
                message: `\`${a.callee}\`'s future is defined here (${fmt(a.size)} bytes)`,
              },
            ]
          : [],
        fixes: local ? [fix, local] : [fix],
        data: {
          awaiteeSize: a.size,
          futureSize: f.size,
          threshold,
          exact: false,
          callee: a.callee,
        },
      });
    }
  }
  for (const file of files) out.push(...spawnFindings(ctx, analyzer, file, threshold, low, skip));
  return out;
}

/** Boxing the big local of future `f` (in its own file), when that shrinks it by half or more. */
function boxLocal(ctx: RuleContext, f: FutureInfo): Fix | undefined {
  const text = ctx.index.fileText(f.file);
  const tree = ctx.index.tree(f.file);
  return text !== undefined && tree ? boxLocalFix(f.file, text, tree, f) : undefined;
}

function fnContaining(ctx: RuleContext, file: string, offset: number): FnItem | undefined {
  let best: FnItem | undefined;
  for (const it of ctx.index.itemsInFile(file)) {
    if (it.kind !== 'fn' || it.span.startOffset > offset || it.span.endOffset <= offset) continue;
    if (!best || it.span.startOffset >= best.span.startOffset) best = it as FnItem;
  }
  return best;
}

/**
 * A large future handed to `tokio::spawn` (or `spawn_local`, `JoinSet::spawn`, ...) is moved by
 * value through the spawn functions into the task (tokio 1.24 boxes it only in debug builds,
 * above 2 KiB). Fixes: box it at the spawn site, or box the big local that makes it large.
 */
function spawnFindings(
  ctx: RuleContext,
  analyzer: FutureAnalyzer,
  file: string,
  threshold: number,
  low: number,
  skip: ((file: string, start: number, end: number) => boolean) | undefined,
): Extract<Finding, { code: 'large-future' }>[] {
  const text = ctx.index.fileText(file);
  if (!text) return [];
  const out: Extract<Finding, { code: 'large-future' }>[] = [];
  for (const s of analyzer.spawnSites(file, skip)) {
    if (s.size < low) continue;
    const owner = fnContaining(ctx, file, s.callStart);
    if (owner && isAllowed(ctx, owner, 'large-future')) continue;
    const big = s.size >= threshold;
    const local = s.future && boxLocal(ctx, s.future);
    const name = s.callee.split('::').pop();
    out.push({
      code: 'large-future',
      severity: big ? 'warning' : 'info',
      message: `spawning \`${name}\` moves its ${fmt(s.size)}-byte future into the task`,
      notes: [
        `\`${s.spawn}\` takes the future by value and moves it on into the task's heap cell (tokio boxes it first only in debug builds, above ${fmt(TOKIO_BOX_THRESHOLD)} bytes)`,
        big
          ? `the threshold is ${fmt(threshold)} bytes (clippy \`future-size-threshold\`)`
          : `above tokio's ${fmt(low)}-byte boxing level`,
        'box it at the spawn site with `Box::pin(..)` so only a pointer is moved',
      ],
      range: editAt(file, text, s.argStart, s.argEnd, '').range,
      related: s.future
        ? [
            {
              range: {
                file: s.future.file,
                line: s.future.line,
                column: s.future.column,
                endLine: s.future.line,
                endColumn: s.future.column + 1,
              },
              message: `the spawned future is defined here (${fmt(s.size)} bytes)`,
            },
          ]
        : [],
      fixes: [
        boxSpawnFix(file, text, s.argStart, s.argEnd, s.size, true),
        ...(local ? [local] : []),
      ],
      data: { awaiteeSize: s.size, futureSize: s.size, threshold, exact: false, callee: s.callee },
    });
  }
  return out;
}

export const largeFutureRule: RuleModule<'large-future'> = {
  code: 'large-future',
  summary:
    "An awaited future is large: it is stored inside the caller's own future and moved with it.",
  clippyLint: 'clippy::large_futures',
  settings: {
    editor: ['allocLens.futureSizeThreshold', 'allocLens.futureBoxThreshold'],
    clippyToml: ['future-size-threshold'],
  },
  profile: { measure: 'copy' },
  check: largeFuture,
};
