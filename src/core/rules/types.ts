/**
 * Findings produced by the rules, and the text edits of their quick fixes. Shared by the CLI
 * (`alloc-lens check`) and the editor (diagnostics + code actions).
 */

/** Stable kebab-case rule codes. Never rename one: users suppress them by code. */
export type RuleCode =
  | 'large-error'
  | 'large-enum-variant'
  | 'large-move'
  | 'async-trait-box'
  | 'clone-hotspot'
  | 'large-future';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

import type { Range } from '../range';
import type { Fix, TextEdit } from '../fixes/types';

export type { Fix, Range, TextEdit };

export interface RelatedInfo {
  range: Range;
  message: string;
}

/** What each rule records behind its message (JSON output, profile confirmation, editor). */
export interface FindingDataOf {
  'large-error': {
    errSize: number;
    resultSize: number;
    /** Size of the `Ok` type (0 when unknown or `()`). */
    okSize: number;
    threshold: number;
    exact: boolean;
    /** `E` as written in the signature. */
    errType: string;
    /** Canonical path of `E` when it is a workspace type (for "Explain layout"). */
    errPath?: string;
    fn: string;
    closure?: boolean;
  };
  'large-enum-variant': {
    enumSize: number;
    largest: number;
    second: number;
    threshold: number;
    exact: boolean;
    type: string;
    /** How the crate holds its values (rules/held.ts): many at once, as a `Result`'s error, or one at a time. */
    held: 'bulk' | 'error' | 'one';
  };
  'large-move': {
    size: number;
    limit: number;
    kind: 'param' | 'match' | string;
    inLoop?: boolean;
    copy?: boolean;
    /** The moved type as written or inferred (`Query`, `Result<SuccessCode, DistriErr>`): the editor groups findings by the type behind them. */
    type?: string;
  };
  'async-trait-box': {
    methods: number;
    impls?: number;
    dynUses?: number;
    methodNames: string;
    external?: boolean;
  };
  'clone-hotspot':
    | {
        kind: 'clone';
        method: string;
        receiverKind: string;
        guessed: boolean;
        inLoop: boolean;
        borrow?: boolean;
      }
    | { kind: 'double-alloc'; suggest: string; guessed: boolean };
  'large-future': {
    /** Size of the awaited future, stored inside the caller's own future. */
    awaiteeSize: number;
    /** Size of the caller's future (the state machine that holds it). */
    futureSize: number;
    threshold: number;
    exact: boolean;
    callee: string;
  };
}

interface FindingOf<C extends RuleCode> {
  code: C;
  severity: Severity;
  /** Short headline with concrete sizes, like clippy's (`the Err type of this Result is 50,008 bytes`). */
  message: string;
  /** Details, each one line (clippy's `= note:`); shown after the headline. */
  notes?: string[];
  range: Range;
  related: RelatedInfo[];
  fixes: Fix[];
  /** Sizes behind the message, for JSON output and profile confirmation. */
  data: FindingDataOf[C];
}

/** A finding, discriminated by `code`: `data` is typed per rule. */
export type Finding = { [C in RuleCode]: FindingOf<C> }[RuleCode];

/** Headline and notes as one line (the editor's Problems view shows one line). */
export function fullMessage(f: Pick<Finding, 'message' | 'notes'>): string {
  return f.notes?.length ? `${f.message}; ${f.notes.join('; ')}` : f.message;
}

/** Docs page of a rule (relative to the repository root); the editor turns it into a link. */
export function ruleDocPath(code: RuleCode): string {
  return `docs/rules/${code}.md`;
}
