/**
 * Messages between the flamegraph webview (media/flamegraph.js) and the extension host
 * (flamegraph-panel.ts). The webview side is plain JS; keep both in step with this file.
 */

/** A source line listed next to the flamegraph; clicking it opens `file` at `line`. */
export interface HotLineItem {
  /** Absolute path. */
  file: string;
  /** 1-based. */
  line: number;
  /** e.g. "src/main.rs:19  memcpy 36.0%" */
  label: string;
  /** Shown as a tooltip and a second line. */
  detail?: string;
}

/** Host -> webview. */
export type HostMessage = {
  type: 'load';
  /** Shown in speedscope's title bar (speedscope's "file name"). */
  title: string;
  /** The speedscope File object, as JSON text (parsed in the webview). */
  speedscopeJson: string;
  /** How many entries `profiles[]` has; view buttons for missing profiles are disabled. */
  profileCount: number;
  /** Index into `profiles[]` to show first. */
  activeProfileIndex: number;
  hotLines: HotLineItem[];
  /** Hot lines per entry of `profiles[]` (All / Allocator / Copy); the list follows the view. */
  hotLinesByView?: HotLineItem[][];
  /** Labels of the view buttons, one per profile (default: All / Allocator / Copy). */
  views?: ViewLabel[];
  /** The host's first-draw timing marks (`Date.now()` ms), completed by the page. */
  marks?: Record<string, number>;
};

/** A view button: short label and tooltip. */
export interface ViewLabel {
  label: string;
  title: string;
}

/** Webview -> host. */
export type WebviewMessage =
  /**
   * The shim is running (sent before speedscope's bundle has loaded: the shim keeps the profile
   * until speedscope mounts, so the host's answer travels while the bundle loads).
   */
  | { type: 'ready' }
  /** Open a source location (a hot line, or Ctrl/Cmd+click on a flamegraph frame). */
  | { type: 'open'; file: string; line: number; column?: number; toSide?: boolean }
  /** The VS Code theme kind changed (body class); the host reloads the page so speedscope picks it up. */
  | { type: 'theme'; dark: boolean }
  /** The webview shows which profile index it displays now (after a view switch). */
  | { type: 'shown'; profileIndex: number; profileName: string }
  /** Something failed in the webview (logged by the host). */
  | { type: 'error'; message: string }
  /** First draw: the host's marks and the page's (`Date.now()` ms; see flamegraph-panel.ts). */
  | { type: 'timing'; marks: Record<string, number> };

export function isWebviewMessage(m: unknown): m is WebviewMessage {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
      return true;
    case 'open':
      return (
        typeof o.file === 'string' &&
        typeof o.line === 'number' &&
        Number.isFinite(o.line) &&
        (o.column === undefined || typeof o.column === 'number') &&
        (o.toSide === undefined || typeof o.toSide === 'boolean')
      );
    case 'theme':
      return typeof o.dark === 'boolean';
    case 'shown':
      return typeof o.profileIndex === 'number' && typeof o.profileName === 'string';
    case 'error':
      return typeof o.message === 'string';
    case 'timing':
      return (
        typeof o.marks === 'object' &&
        o.marks !== null &&
        Object.values(o.marks).every(v => typeof v === 'number' && Number.isFinite(v))
      );
    default:
      return false;
  }
}

/**
 * `1,234 ms from the command to the drawn flamegraph: data 20, panel 5, ...`: each step since the
 * one before, in the order they happened (host and page marks are both `Date.now()`).
 */
export function timingText(marks: Record<string, number>): string {
  const steps = Object.entries(marks).sort((a, b) => a[1] - b[1]);
  if (steps.length === 0) return 'no marks';
  const first = steps[0];
  const last = steps[steps.length - 1];
  const parts = steps.slice(1).map(([k, t], i) => `${k} +${t - steps[i][1]}`);
  return `${(last[1] - first[1]).toLocaleString('en-US')} ms from ${first[0]} to ${last[0]}: ${parts.join(', ')}`;
}
