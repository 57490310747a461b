/**
 * The flamegraph panel: speedscope's packaged web app (npm `speedscope`, dist/release, unmodified)
 * in a webview, with a small shim (media/flamegraph.js) that loads the profile sent by postMessage,
 * a view switch (All / Allocator / Copy) and a list of hot source lines. See media/README.md for
 * the loading approach and the Content Security Policy.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { prepareSpeedscopeFile, speedscopeAssets } from './flamegraph-file';
import { resolveWorkspaceFile } from '../core/secure/workspace-path';
import { escapeLinkedText } from '../core/secure/escape';
import { errorText, log } from './log';
import {
  type HostMessage,
  type HotLineItem,
  isWebviewMessage,
  timingText,
  type ViewLabel,
  type WebviewMessage,
} from './webview-protocol';

export type { HotLineItem } from './webview-protocol';

export interface FlamegraphData {
  title: string;
  /** The speedscope File JSON (https://www.speedscope.app/file-format-schema.json). */
  speedscope: object;
  hotLines: HotLineItem[];
  hotLinesByView?: HotLineItem[][];
  /** View button labels (heap profiles: Total / At peak / At exit). */
  views?: ViewLabel[];
}

const VIEW_TYPE = 'allocLens.flamegraph';

/** Where the packaged copy of speedscope's dist/release lives inside the extension (scripts/bundle.mjs). */
function speedscopeDir(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'speedscope');
}

function nonce(): string {
  return randomBytes(18).toString('base64').replace(/[+/=]/g, '');
}

export class FlamegraphPanel {
  static current?: FlamegraphPanel;

  private readonly disposables: vscode.Disposable[] = [];
  /** Undefined until the server's answer arrives (the page loads meanwhile). */
  private data: FlamegraphData | undefined;
  private ready = false;
  /** The profile index the webview shows (kept across page reloads, e.g. after a theme change). */
  private shownIndex: number | undefined;
  private disposed = false;

  /** First-draw timing marks (`Date.now()` ms) of the profile being shown; the page adds its own. */
  private marks: Record<string, number> = {};

  /**
   * Shows `data` in the one flamegraph panel (revealed, and updated, if it is already open).
   * `data` may still be on its way (the server's answer): the panel and speedscope load meanwhile,
   * and the panel closes if it resolves to nothing or fails. `marks`: when the command started.
   */
  static show(
    extensionUri: vscode.Uri,
    data: FlamegraphData | Promise<FlamegraphData | undefined>,
    marks: Record<string, number> = {},
  ): FlamegraphPanel {
    const now = data instanceof Promise ? undefined : data;
    let cur = FlamegraphPanel.current;
    if (cur && !cur.disposed) {
      cur.marks = { ...marks };
      if (now) cur.update(now);
      cur.panel.reveal(undefined, false);
    } else {
      cur = FlamegraphPanel.current = FlamegraphPanel.create(extensionUri, now, marks);
    }
    if (data instanceof Promise) {
      const panel = cur;
      data.then(
        d => {
          if (panel.disposed) return;
          panel.marks.data = Date.now();
          if (d) panel.update(d);
          else panel.dispose();
        },
        () => panel.dispose(),
      );
    }
    return cur;
  }

  private static create(
    extensionUri: vscode.Uri,
    data: FlamegraphData | undefined,
    marks: Record<string, number>,
  ): FlamegraphPanel {
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      data?.title ?? 'Flamegraph',
      vscode.ViewColumn.Active,
      {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [
          speedscopeDir(extensionUri),
          vscode.Uri.joinPath(extensionUri, 'media'),
        ],
      },
    );
    return new FlamegraphPanel(panel, extensionUri, data, { ...marks, panel: Date.now() });
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    data: FlamegraphData | undefined,
    marks: Record<string, number>,
  ) {
    this.data = data;
    this.marks = marks;
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
    panel.webview.onDidReceiveMessage(m => this.onMessage(m), undefined, this.disposables);
    this.render();
  }

  /** Replaces the shown profile and hot lines. */
  update(data: FlamegraphData): void {
    this.data = data;
    this.shownIndex = undefined;
    this.panel.title = data.title;
    if (this.ready) this.post();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (FlamegraphPanel.current === this) FlamegraphPanel.current = undefined;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private render(): void {
    try {
      this.ready = false;
      this.panel.webview.html = this.html();
      this.marks.html ??= Date.now();
    } catch (e) {
      log().error(`flamegraph panel: ${errorText(e)}`);
      this.panel.webview.html = `<!DOCTYPE html><html><body><p>Cannot show the flamegraph: ${escapeHtml((e as Error).message)}</p></body></html>`;
    }
  }

  /**
   * speedscope's index.html (628 bytes, in the extension's own folder), read once per session
   * with node:fs: through `vscode.workspace.fs` (a round trip to the workbench's file service in
   * code-server) the page's HTML was ready 78-315 ms after the panel (e2e, load 6-10), now 1-2 ms.
   */
  private static indexHtml: string | undefined;

  private html(): string {
    const webview = this.panel.webview;
    const dir = speedscopeDir(this.extensionUri);
    FlamegraphPanel.indexHtml ??= fs.readFileSync(
      vscode.Uri.joinPath(dir, 'index.html').fsPath,
      'utf8',
    );
    const assets = speedscopeAssets(FlamegraphPanel.indexHtml);
    const uri = (u: vscode.Uri) => webview.asWebviewUri(u).toString();
    const media = (name: string) => uri(vscode.Uri.joinPath(this.extensionUri, 'media', name));
    const n = nonce();
    // Every relaxation is explained in media/README.md ("Content Security Policy").
    const csp = [
      "default-src 'none'",
      `script-src 'nonce-${n}' 'wasm-unsafe-eval'`,
      `style-src ${webview.cspSource} 'unsafe-inline'`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    // speedscope mounts into <body> in place of its last element child (its own <script>), so its
    // script must be the last element; the shim's bootstrap runs before it (the hash and the color
    // scheme are read once when the bundle initialises). The shim inserts it (`data-speedscope`)
    // after posting `ready`: a bundle in the page's HTML ran first and held that message back
    // (the page's frames share one thread) until it had mounted. The preload starts its download
    // with the page's.
    const scripts = assets.js.map(j => uri(vscode.Uri.joinPath(dir, j)));
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(this.data?.title ?? 'Flamegraph')}</title>
${assets.css.map(c => `<link rel="stylesheet" href="${uri(vscode.Uri.joinPath(dir, c))}">`).join('\n')}
<link rel="stylesheet" href="${media('flamegraph.css')}">
${scripts.map(s => `<link rel="preload" as="script" nonce="${n}" href="${s}">`).join('\n')}
</head>
<body>
<div class="al-ui al-toolbar" id="al-toolbar" role="toolbar" aria-label="Profile views"></div>
<div class="al-ui al-side" id="al-side" aria-label="Hot source lines"></div>
<script nonce="${n}" src="${media('flamegraph.js')}" data-speedscope="${escapeHtml(scripts.join(' '))}"></script>
</body>
</html>`;
  }

  private post(): void {
    const d = this.data;
    if (!d) return;
    const ss = d.speedscope as { profiles?: unknown[]; activeProfileIndex?: number };
    const msg: HostMessage = {
      type: 'load',
      title: d.title,
      speedscopeJson: JSON.stringify(d.speedscope),
      profileCount: Array.isArray(ss.profiles) ? ss.profiles.length : 0,
      activeProfileIndex:
        this.shownIndex ?? (typeof ss.activeProfileIndex === 'number' ? ss.activeProfileIndex : 0),
      hotLines: d.hotLines,
      hotLinesByView: d.hotLinesByView,
      ...(d.views ? { views: d.views } : {}),
      marks: { ...this.marks, posted: Date.now() },
    };
    void this.panel.webview.postMessage(msg);
  }

  /** Sources open next to the panel: in a group that shows a text editor, else in a new group beside it. */
  private sourceColumn(): vscode.ViewColumn {
    const mine = this.panel.viewColumn;
    const other = vscode.window.visibleTextEditors
      .map(e => e.viewColumn)
      .find(c => c !== undefined && c !== mine);
    return other ?? vscode.ViewColumn.Beside;
  }

  private onMessage(m: unknown): void {
    if (!isWebviewMessage(m)) {
      log().warn(`flamegraph panel: ignored message ${JSON.stringify(m)?.slice(0, 200)}`);
      return;
    }
    this.handle(m).catch(e => log().error(`flamegraph panel: ${errorText(e)}`));
  }

  private async handle(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.marks.ready ??= Date.now();
        this.ready = true;
        this.post();
        return;
      case 'open':
        await openSource(
          m.file,
          m.line,
          m.column,
          m.toSide ? vscode.ViewColumn.Beside : this.sourceColumn(),
        );
        return;
      case 'theme':
        // speedscope reads its color scheme once, at start: reload the page (the shim has stored
        // the new scheme; the profile is sent again after the ready handshake).
        this.render();
        return;
      case 'shown':
        this.shownIndex = m.profileIndex;
        log().debug(`flamegraph panel: showing profile ${m.profileIndex} (${m.profileName})`);
        return;
      case 'error':
        log().error(`flamegraph webview: ${m.message}`);
        return;
      case 'timing':
        log().info(`flamegraph first draw: ${timingText(m.marks)}`);
        // A reload (theme change) is timed from its own post, not from the command.
        this.marks = {};
        return;
    }
  }
}

/** Opens `file` at 1-based `line` if it lies inside a workspace folder. */
export async function openSource(
  file: string,
  line: number,
  column?: number,
  viewColumn: vscode.ViewColumn = vscode.ViewColumn.Active,
): Promise<boolean> {
  const folders = (vscode.workspace.workspaceFolders ?? [])
    .filter(f => f.uri.scheme === 'file')
    .map(f => f.uri.fsPath);
  // Symlinks resolved before the check: a link inside the workspace must not open a file outside.
  const where = resolveWorkspaceFile(file, folders);
  if (!where.ok) {
    const why = where.reason === 'missing' ? 'does not exist' : 'is not inside a workspace folder';
    void vscode.window.showWarningMessage(
      escapeLinkedText(`Alloc Lens: ${file} ${why}; not opened.`),
    );
    return false;
  }
  const uri = vscode.Uri.file(where.real);
  const doc = await vscode.workspace.openTextDocument(uri);
  const l = Math.min(Math.max(1, Math.floor(line)), doc.lineCount) - 1;
  const c =
    column !== undefined && column >= 1
      ? Math.floor(column) - 1
      : doc.lineAt(l).firstNonWhitespaceCharacterIndex;
  const pos = new vscode.Position(l, c);
  await vscode.window.showTextDocument(doc, {
    viewColumn,
    selection: new vscode.Range(pos, pos),
    preserveFocus: false,
    preview: true,
  });
  return true;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
}

/**
 * `allocLens.openFlamegraphFile [path]`: shows a speedscope JSON file from disk (a path argument,
 * or an open dialog). Hot lines come from its optional `allocLensHotLines` (see prepareSpeedscopeFile).
 */
export function registerFlamegraphCommands(ctx: vscode.ExtensionContext): void {
  ctx.subscriptions.push(
    vscode.commands.registerCommand(
      'allocLens.openFlamegraphFile',
      async (arg?: string | vscode.Uri) => {
        let uri: vscode.Uri | undefined = typeof arg === 'string' ? vscode.Uri.file(arg) : arg;
        if (!uri) {
          const picked = await vscode.window.showOpenDialog({
            canSelectMany: false,
            openLabel: 'Open Flamegraph',
            filters: { 'speedscope JSON': ['json'], 'All files': ['*'] },
          });
          uri = picked?.[0];
        }
        if (!uri) return;
        const started = Date.now();
        try {
          const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
          FlamegraphPanel.show(
            ctx.extensionUri,
            prepareSpeedscopeFile(JSON.parse(text), uri.fsPath),
            { command: started },
          );
        } catch (e) {
          void vscode.window.showErrorMessage(
            `Alloc Lens: cannot open ${uri.fsPath} as a flamegraph: ${(e as Error).message}`,
          );
        }
      },
    ),
  );
  ctx.subscriptions.push({ dispose: () => FlamegraphPanel.current?.dispose() });
}
