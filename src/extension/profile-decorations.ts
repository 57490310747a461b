/**
 * Line heat from a loaded profile, as the server sends it (`allocLens/profileHotLines`): a gutter
 * bar whose colour and width grow with the line's allocation + copy samples, an overview-ruler
 * mark, and an end-of-line note (`memcpy 49.6% · malloc 0.1%`). The hover comes from the server.
 */
import * as vscode from 'vscode';
import { HEAT_LEVELS, type HotLineNote } from '../lsp/protocol';

function bar(level: number): vscode.Uri {
  const alpha = (0.25 + (0.75 * level) / (HEAT_LEVELS - 1)).toFixed(2);
  const width = 3 + level;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect x="${16 - width - 1}" y="0" width="${width}" height="16" fill="rgb(230,80,40)" fill-opacity="${alpha}"/></svg>`;
  return vscode.Uri.parse(`data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`);
}

export class ProfileDecorations implements vscode.Disposable {
  private readonly levels = Array.from({ length: HEAT_LEVELS }, (_, i) =>
    vscode.window.createTextEditorDecorationType({
      gutterIconPath: bar(i),
      gutterIconSize: 'contain',
      overviewRulerColor: `rgba(230,80,40,${(0.3 + (0.7 * i) / (HEAT_LEVELS - 1)).toFixed(2)})`,
      overviewRulerLane: vscode.OverviewRulerLane.Right,
      isWholeLine: true,
    }),
  );
  private readonly note = vscode.window.createTextEditorDecorationType({
    after: {
      color: new vscode.ThemeColor('editorCodeLens.foreground'),
      margin: '0 0 0 2em',
      fontStyle: 'italic',
    },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private byUri = new Map<string, HotLineNote[]>();

  set(lines: HotLineNote[]): void {
    this.byUri = new Map();
    for (const l of lines) this.byUri.set(l.uri, [...(this.byUri.get(l.uri) ?? []), l]);
    this.refresh();
  }

  refresh(): void {
    for (const ed of vscode.window.visibleTextEditors) {
      const hs = this.byUri.get(ed.document.uri.toString()) ?? [];
      const perLevel: vscode.DecorationOptions[][] = this.levels.map(() => []);
      const notes: vscode.DecorationOptions[] = [];
      for (const h of hs) {
        if (h.line >= ed.document.lineCount) continue;
        const line = ed.document.lineAt(h.line);
        perLevel[Math.min(HEAT_LEVELS - 1, Math.max(0, h.level))].push({ range: line.range });
        notes.push({
          range: new vscode.Range(line.range.end, line.range.end),
          renderOptions: { after: { contentText: h.note } },
        });
      }
      this.levels.forEach((t, i) => ed.setDecorations(t, perLevel[i]));
      ed.setDecorations(this.note, notes);
    }
  }

  dispose(): void {
    for (const t of this.levels) t.dispose();
    this.note.dispose();
  }
}
