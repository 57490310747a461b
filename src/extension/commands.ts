/**
 * Palette commands whose UI lives in VS Code: Show Layout of Type..., Explain Layout (a read-only
 * virtual document, no Untitled tab), the drift report, Open Log. The layouts come from the server.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { log } from './log';

const SCHEME = 'alloc-lens-layout';

/** Read-only markdown documents (`alloc-lens-layout:/DistriErr.md`), shown in an editor. */
export class LayoutDocuments implements vscode.TextDocumentContentProvider {
  private readonly docs = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private n = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.toString()) ?? '';
  }

  async show(title: string, markdown: string): Promise<void> {
    // One document per title; a counter in the query keeps reopened ones fresh.
    const uri = vscode.Uri.from({
      scheme: SCHEME,
      path: `/${title.replace(/[^\w.-]+/g, '_')}.md`,
      query: String(++this.n),
    });
    // Bounded: documents of earlier explanations are dropped (a preview keeps its own copy).
    if (this.docs.size >= 20) this.docs.delete(this.docs.keys().next().value!);
    this.docs.set(uri.toString(), markdown);
    // A read-only markdown editor, not the markdown preview: a preview reused for a new document
    // stayed blank in code-server (CI e2e of stop 20, 20 s after Explain Layout). The preview is
    // one click away (the editor's "Open Preview" button).
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  dispose(): void {
    this.changed.dispose();
  }
}

interface TypeRow {
  name: string;
  path: string;
  size: string;
  uri: string;
  line: number;
  character: number;
  relative: string;
}

export interface ExplainResult {
  markdown?: string;
  title?: string;
  message?: string;
}

/**
 * Middleware of the server's `allocLens.explainLayout` and `allocLens.explainFuture`: fills in the
 * cursor when run from the palette, and shows the markdown the server returns in a read-only
 * virtual document.
 */
export async function explainLayout(
  layouts: LayoutDocuments,
  args: unknown[],
  next: (args: unknown[]) => Promise<ExplainResult | undefined>,
  noCursor = 'Alloc Lens: place the cursor on a type name to explain its layout.',
): Promise<ExplainResult | undefined> {
  let [uri, pos] = args as [unknown, unknown];
  const ed = vscode.window.activeTextEditor;
  if (!uri && ed) {
    uri = ed.document.uri;
    pos = ed.selection.active;
  }
  if (!uri || !pos) {
    void vscode.window.showInformationMessage(noCursor);
    return undefined;
  }
  const p = pos as { line: number; character: number };
  const res = await next([
    uri instanceof vscode.Uri ? uri.toString() : uri,
    { line: p.line, character: p.character },
  ]);
  if (res?.markdown) await layouts.show(res.title ?? 'layout', res.markdown);
  else if (res?.message) void vscode.window.showInformationMessage(res.message);
  return res;
}

export function registerCommands(
  ctx: vscode.ExtensionContext,
  client: LanguageClient,
  layouts: LayoutDocuments,
): void {
  ctx.subscriptions.push(
    layouts,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, layouts),
    vscode.commands.registerCommand('allocLens.openLog', () => log().show()),
    vscode.commands.registerCommand('allocLens.showLayout', async () => {
      const rows = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Alloc Lens: listing types' },
        () => client.sendRequest<TypeRow[]>('allocLens/types'),
      );
      if (rows.length === 0) {
        void vscode.window.showInformationMessage(
          'Alloc Lens: no Rust types found in this workspace (is there a Cargo.toml?).',
        );
        return;
      }
      const items = rows.map(r => ({
        label: r.name,
        description: r.size,
        detail: `${r.path}  ${r.relative}`,
        r,
      }));
      const pick = await vscode.window.showQuickPick(items, {
        placeHolder: 'Type to lay out',
        matchOnDetail: true,
      });
      if (!pick) return;
      // The server's explainLayout command (shown by the client middleware, see explainLayout).
      await vscode.commands.executeCommand('allocLens.explainLayout', pick.r.uri, {
        line: pick.r.line,
        character: pick.r.character,
      });
    }),
    vscode.commands.registerCommand('allocLens.showDrift', async () => {
      await layouts.show('drift-report', await client.sendRequest<string>('allocLens/drift'));
    }),
  );
}
