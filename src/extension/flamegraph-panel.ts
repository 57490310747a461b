/**
 * The flamegraph panel: speedscope's packaged web app (npm `speedscope`, dist/release, unmodified)
 * in a webview, with a small shim (media/flamegraph.js) that loads the profile sent by postMessage,
 * a view switch (All / Allocator / Copy) and a list of hot source lines. See media/README.md for
 * the loading approach and the Content Security Policy.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { prepareSpeedscopeFile, speedscopeAssets } from './flamegraph-file';
import { resolveWorkspaceFile } from '../core/secure/workspace-path';
import { escapeLinkedText } from '../core/secure/escape';
import { errorText, log } from './log';
import {
  type HostMessage,
  type HotLineItem,
  isWebviewMessage,
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
  private data: FlamegraphData;
  private ready = false;
  /** The profile index the webview shows (kept across page reloads, e.g. after a theme change). */
  private shownIndex: number | undefined;
  private disposed = false;

  /** Shows `data` in the one flamegraph panel (revealed, and updated, if it is already open). */
  static show(extensionUri: vscode.Uri, data: FlamegraphData): FlamegraphPanel {
    const cur = FlamegraphPanel.current;
    if (cur && !cur.disposed) {
      cur.update(data);
      cur.panel.reveal(undefined, false);
      return cur;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      data.title,
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
    FlamegraphPanel.current = new FlamegraphPanel(panel, extensionUri, data);
    return FlamegraphPanel.current;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    data: FlamegraphData,
  ) {
    this.data = data;
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
    panel.webview.onDidReceiveMessage(m => this.onMessage(m), undefined, this.disposables);
    void this.render();
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

  private async render(): Promise<void> {
    try {
      this.ready = false;
      this.panel.webview.html = await this.html();
    } catch (e) {
      log().error(`flamegraph panel: ${errorText(e)}`);
      this.panel.webview.html = `<!DOCTYPE html><html><body><p>Cannot show the flamegraph: ${escapeHtml((e as Error).message)}</p></body></html>`;
    }
  }

  private async html(): Promise<string> {
    const webview = this.panel.webview;
    const dir = speedscopeDir(this.extensionUri);
    const index = new TextDecoder().decode(
      await vscode.workspace.fs.readFile(vscode.Uri.joinPath(dir, 'index.html')),
    );
    const assets = speedscopeAssets(index);
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
    // script must stay the last element; the shim's bootstrap runs before it (the hash and the color
    // scheme are read once when the bundle initialises).
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(this.data.title)}</title>
${assets.css.map(c => `<link rel="stylesheet" href="${uri(vscode.Uri.joinPath(dir, c))}">`).join('\n')}
<link rel="stylesheet" href="${media('flamegraph.css')}">
</head>
<body>
<div class="al-ui al-toolbar" id="al-toolbar" role="toolbar" aria-label="Profile views"></div>
<div class="al-ui al-side" id="al-side" aria-label="Hot source lines"></div>
<script nonce="${n}" src="${media('flamegraph.js')}"></script>
${assets.js.map(j => `<script nonce="${n}" src="${uri(vscode.Uri.joinPath(dir, j))}"></script>`).join('\n')}
</body>
</html>`;
  }

  private post(): void {
    const d = this.data;
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
        await this.render();
        return;
      case 'shown':
        this.shownIndex = m.profileIndex;
        log().debug(`flamegraph panel: showing profile ${m.profileIndex} (${m.profileName})`);
        return;
      case 'error':
        log().error(`flamegraph webview: ${m.message}`);
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
        try {
          const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
          FlamegraphPanel.show(
            ctx.extensionUri,
            prepareSpeedscopeFile(JSON.parse(text), uri.fsPath),
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
