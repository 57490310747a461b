/**
 * Results of future sizing (`alloc-lens futures`, the `large-future` rule, hovers).
 */

import type { CoroutineShape } from './coroutine';

export type FutureKind = 'async-fn' | 'async-block' | 'async-closure';

/**
 * - `estimate`: every awaitee and saved local was sized, but liveness and the types of
 *   inferred locals come from syntax;
 * - `lower-bound`: an awaitee is unknown (named in `unknown`) or unsized, counted as 0 bytes;
 * - `exact`: rustc's `-Zprint-type-sizes` confirmed the size (`--exact`).
 */
export type FutureStatus = 'estimate' | 'lower-bound' | 'exact';

/** A local saved across a suspension point. */
export interface HeldLocal {
  name: string;
  /** Its type as written or inferred (`[u8; 16384]`), `?` when unknown (8 bytes assumed). */
  type: string;
  size: number;
  /** 1-based line of its declaration. */
  line: number;
  /** Its part in the coroutine layout (`FutureInfo.layout.shape`). */
  key?: string;
  /** Offsets of its `let` statement and of its uses in the body (for the box-local fix). */
  declStart?: number;
  declEnd?: number;
  uses?: number[];
}

export interface AwaitInfo {
  /** 1-based line and column of the `.await` (or of the `join!`/`select!` macro). */
  line: number;
  column: number;
  kind: 'await' | 'join' | 'select';
  /** What is awaited: `crate::conn::read_frame`, `tokio::sync::Mutex::lock`, `.recv()`. */
  callee: string;
  /** Size of the awaited future (`__awaitee`); null when unknown. */
  size: number | null;
  align: number;
  status: FutureStatus;
  /** Definition of the awaited future, when it is in the workspace. */
  target?: { file: string; line: number; column: number };
  /** The callee awaits (directly or not) the future being sized: it needs boxing. */
  recursive?: boolean;
  /** Locals held across this suspension point. */
  held: HeldLocal[];
  /** Offsets of the await expression in its file (for quick fixes). */
  startOffset: number;
  endOffset: number;
  /** Offsets of the awaited expression. */
  operandStart: number;
  operandEnd: number;
  /** Its part in the coroutine layout (`FutureInfo.layout.shape`). */
  key?: string;
  /** The awaited future, when it was sized from its definition (not enumerable: no JSON). */
  future?: FutureInfo;
}

/** rustc's coroutine layout of the parts, for Explain Future Size and the boxing fixes. */
export interface FutureLayout {
  /** Bytes of the prefix: upvars, the state tag and promoted locals. */
  prefix: number;
  /** Size of each suspend variant (one per entry of `awaits`), prefix included. */
  variantSizes: number[];
  /** Keys of the locals promoted to the prefix (saved in several variants, or overlapping). */
  promoted: string[];
  shape: CoroutineShape;
}

export interface FutureInfo {
  /** `crate::mod::name`; blocks and closures: the enclosing fn's path + `::{async block}`. */
  fn: string;
  /** Absolute path of the file. */
  file: string;
  /** 1-based line/column of the fn name, or of the `async` keyword of a block/closure. */
  line: number;
  column: number;
  kind: FutureKind;
  size: number;
  align: number;
  status: FutureStatus;
  awaits: AwaitInfo[];
  /** Captured arguments / upvars. */
  upvars: { name: string; type: string; size: number }[];
  /** The largest contributor, e.g. `__awaitee at src/conn.rs:88 (read_frame: 16,400 B)`. */
  largest?: string;
  /** Names of awaitees that could not be sized (why the status is lower-bound). */
  unknown?: string[];
  /** The future awaits itself (directly or through callees): it does not compile unboxed. */
  recursive?: boolean;
  /** The fn has non-lifetime generic parameters (rustc only sizes instantiations). */
  generic: boolean;
  /** Offsets of the coroutine node (fn item, async block, closure) in its file. */
  startOffset: number;
  endOffset: number;
  /** rustc's size when exact mode ran and mapped this future (drift = size - rustcSize). */
  rustcSize?: number;
  /** 1-based position of the body's `{` (how rustc names async closures and `#[async_trait]` bodies). */
  bodyLine: number;
  bodyColumn: number;
  /** The `#[async_trait]` method whose boxed body this is. */
  asyncTrait?: boolean;
  /** How the size was laid out (not enumerable: no JSON). */
  layout?: FutureLayout;
}
