/** Palette commands: Analyze Workspace, Show Layout of Type..., Explain Layout, Open Log. */
import * as vscode from 'vscode';
import type { Analysis } from './analysis';
import { layoutMarkdown, sizeLabel } from '../core/layout/markdown';
import { log } from './log';
import type { TypeDefItem } from '../core/model';

async function showMarkdown(md: string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: md });
  await vscode.commands.executeCommand('markdown.showPreview', doc.uri).then(undefined, async () => {
    await vscode.window.showTextDocument(doc, { preview: true });
  });
}

export function registerCommands(ctx: vscode.ExtensionContext, analysis: Analysis): void {
  ctx.subscriptions.push(
    vscode.commands.registerCommand('allocLens.analyzeWorkspace', () => analysis.analyzeWorkspace()),
    vscode.commands.registerCommand('allocLens.openLog', () => log().show()),
    vscode.commands.registerCommand('allocLens.showLayout', async () => {
      const items: (vscode.QuickPickItem & { def: TypeDefItem; folder: NonNullable<ReturnType<Analysis['folderFor']>> })[] = [];
      for (const ed of vscode.workspace.workspaceFolders ?? []) {
        const folder = analysis.folderFor(ed.uri.fsPath);
        if (!folder) continue;
        for (const def of folder.index.typeDefs()) {
          const l = folder.engine.layoutOfItem(def);
          items.push({ label: def.name, description: sizeLabel(l), detail: `${def.path}  ${vscode.workspace.asRelativePath(def.span.file)}:${def.nameSpan.line}`, def, folder });
        }
      }
      if (items.length === 0) {
        void vscode.window.showInformationMessage('Alloc Lens: no Rust types indexed yet. Run "Alloc Lens: Analyze Workspace".');
        return;
      }
      const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Type to lay out', matchOnDetail: true });
      if (pick) await showMarkdown(layoutMarkdown(pick.def, pick.folder.engine.layoutOfItem(pick.def)));
    }),
    vscode.commands.registerCommand('allocLens.explainLayout', async (uri?: vscode.Uri, pos?: vscode.Position) => {
      const editor = vscode.window.activeTextEditor;
      const u = uri ?? editor?.document.uri;
      const p = pos ?? editor?.selection.active;
      if (!u || !p) return;
      const folder = analysis.folderFor(u.fsPath);
      if (!folder) return;
      let def = folder.index.typeRefAt(u.fsPath, p.line + 1, p.character + 1)?.item;
      if (!def) {
        // On a function name (large-error): explain its error type.
        const f = analysis.findingsFor(u.fsPath).find(x => x.range.line === p.line + 1 && typeof x.data?.errType === 'string');
        const name = f ? String(f.data!.errType).replace(/<.*$/, '').split('::').pop() : undefined;
        def = folder.index.typeDefs().find(t => t.name === name);
      }
      if (!def) {
        void vscode.window.showInformationMessage('Alloc Lens: place the cursor on a type name to explain its layout.');
        return;
      }
      await showMarkdown(layoutMarkdown(def, folder.engine.layoutOfItem(def)));
    }),
  );
}
