/**
 * The one view-model of findings (#18). Every finding the server knows is stored here once, with
 * its evidence from a loaded profile: the static findings as the analysis publishes them (with the
 * profile's confirmation of each), and the findings only a profile can make (heap churn, growth,
 * peak holders, leaks). Everything the editor shows about findings is derived from this store:
 *
 * - the LSP diagnostics (`diagnostics(file)`, pushed or pulled),
 * - the status count (`count()`: `allocLens/status`),
 * - the findings view (`allocLens/findingsTree`, causes.ts) and the ranked list
 *   (`allocLens/rankedFindings`), from `entries()`, `confirmations()` and `profileFindings()`.
 *
 * Before this store the view re-ran the profile confirmation on every refresh (one per status,
 * i.e. per keystroke) while the diagnostics carried the confirmation made at publish time, and
 * the status added heap diagnostics the view did not list. Hot-line notes (`profile-hot-line`
 * hints for editors without decorations) are annotations, not findings: they are published with
 * the diagnostics but neither counted nor listed.
 */
import type { Diagnostic } from 'vscode-languageserver';
import type { Finding, Severity } from '../core/rules/types';
import type { Confirmation } from '../profile/confirm';
import type { ProfileEvidence } from './analysis';
import { SOURCE, toDiagnostic, toSeverity } from './convert';

/** A finding only a profile makes (a heap diagnostic): a whole line, no static `Finding` behind it. */
export interface ProfileFinding {
  /** Absolute path. */
  readonly file: string;
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** 0-based line; the range covers the whole line (`endCharacter` = its length). */
  readonly line: number;
  readonly endCharacter: number;
  /** Documentation of the code. */
  readonly href: string;
}

/** A static finding as published, with what the loaded profile says about it. */
export interface StoredFinding {
  readonly file: string;
  readonly finding: Finding;
  readonly evidence: ProfileEvidence | undefined;
}

/** The severity every rendering shows: raised when the profile confirms the finding. */
export function severityOf(f: Finding, e: ProfileEvidence | undefined): Severity {
  return e?.confirmed ? e.severity : f.severity;
}

/** The profile's confirmations carry their evidence lines (both confirmers store them). */
export function isConfirmation(e: ProfileEvidence | undefined): e is Confirmation {
  return (
    !!e && Array.isArray((e as Partial<Confirmation>).evidence) && 'measure' in e && 'finding' in e
  );
}

interface FileFindings {
  readonly findings: readonly Finding[];
  readonly evidence: ReadonlyMap<Finding, ProfileEvidence> | undefined;
}

export class FindingsStore {
  private readonly statics = new Map<string, FileFindings>();
  private profile = new Map<string, ProfileFinding[]>();
  private notes = new Map<string, Diagnostic[]>();
  /** Diagnostics per file, rendered once per change (a pull client asks for them repeatedly). */
  private readonly rendered = new Map<string, Diagnostic[]>();

  constructor(private readonly docsBase: () => string) {}

  /** The analysis published `findings` for `file` (an empty list clears it). */
  setFindings(
    file: string,
    findings: readonly Finding[],
    evidence: ReadonlyMap<Finding, ProfileEvidence> | undefined,
  ): void {
    if (findings.length === 0) this.statics.delete(file);
    else this.statics.set(file, { findings, evidence });
    this.rendered.delete(file);
  }

  /**
   * A profile was loaded, compared or cleared: its findings and its hot-line notes replace the
   * previous ones. Returns every file whose diagnostics changed (to publish them again).
   */
  setProfile(
    findings: readonly ProfileFinding[],
    notes: ReadonlyMap<string, Diagnostic[]>,
  ): string[] {
    const touched = new Set([...this.profile.keys(), ...this.notes.keys()]);
    this.profile = new Map();
    for (const f of findings) this.profile.set(f.file, [...(this.profile.get(f.file) ?? []), f]);
    this.notes = new Map(notes);
    for (const f of [...this.profile.keys(), ...this.notes.keys()]) touched.add(f);
    for (const f of touched) this.rendered.delete(f);
    return [...touched];
  }

  /** Files with any diagnostic (findings or notes). */
  files(): string[] {
    return [...new Set([...this.statics.keys(), ...this.profile.keys(), ...this.notes.keys()])];
  }

  /** The diagnostics of `file`: its findings (static, then the profile's), then the hot-line notes. */
  diagnostics(file: string): Diagnostic[] {
    const done = this.rendered.get(file);
    if (done) return done;
    const s = this.statics.get(file);
    const out: Diagnostic[] = [
      ...(s?.findings.map(f => toDiagnostic(f, s.evidence?.get(f), this.docsBase())) ?? []),
      ...(this.profile.get(file) ?? []).map(profileDiagnostic),
      ...(this.notes.get(file) ?? []),
    ];
    this.rendered.set(file, out);
    return out;
  }

  /** The status count: every finding, static or the profile's; hot-line notes are not findings. */
  count(): number {
    let n = 0;
    for (const s of this.statics.values()) n += s.findings.length;
    for (const p of this.profile.values()) n += p.length;
    return n;
  }

  /** Every static finding with its evidence, file by file in publish order. */
  *entries(): Iterable<StoredFinding> {
    for (const [file, s] of this.statics)
      for (const finding of s.findings) yield { file, finding, evidence: s.evidence?.get(finding) };
  }

  /** The findings only the profile makes. */
  profileFindings(): ProfileFinding[] {
    return [...this.profile.values()].flat();
  }

  /**
   * The loaded profile's confirmations of the stored findings, most measured first (the order
   * `confirmFindings` gives): the same objects the diagnostics were rendered from.
   */
  confirmations(): Confirmation[] {
    const out: Confirmation[] = [];
    for (const e of this.entries()) if (isConfirmation(e.evidence)) out.push(e.evidence);
    return out.sort((x, y) => Number(y.confirmed) - Number(x.confirmed) || y.share - x.share);
  }
}

function profileDiagnostic(f: ProfileFinding): Diagnostic {
  return {
    range: {
      start: { line: f.line, character: 0 },
      end: { line: f.line, character: f.endCharacter },
    },
    message: f.message,
    severity: toSeverity(f.severity),
    source: SOURCE,
    code: f.code,
    codeDescription: { href: f.href },
  };
}

/** Whether a published diagnostic is a finding (counted and listed), not a hot-line note. */
export function isFindingDiagnostic(d: Diagnostic): boolean {
  return d.source === SOURCE && d.code !== 'profile-hot-line';
}
