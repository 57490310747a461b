/**
 * Line heat from a loaded profile: a gutter bar whose colour grows with the line's allocation +
 * copy samples, an overview-ruler mark, and an end-of-line note (`memcpy 49.6% · malloc 0.1%`).
 * The hover (ProfileHover) lists the line's top stacks.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { memoryCost, type HotLine } from '../profile/attribute';
import { lineNote, lineShare, pct, topStacks } from '../profile/report';
import type { LoadedProfile } from './loaded-profile';
import { profileHoverMarkdown } from '../profile/hover-markdown';

const LEVELS = 5;

function bar(level: number): vscode.Uri {
  const alpha = (0.25 + (0.75 * level) / (LEVELS - 1)).toFixed(2);
  const width = 3 + level;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect x="${16 - width - 1}" y="0" width="${width}" height="16" fill="rgb(230,80,40)" fill-opacity="${alpha}"/></svg>`;
  return vscode.Uri.parse(`data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`);
}

function shareOf(l: LoadedProfile, h: HotLine) {
  return lineShare(h.samples, l.result.attribution.totals);
}

/** Hot lines worth marking: any allocator/copy sample, or at least 0.5% of all samples. */
function marked(l: LoadedProfile): HotLine[] {
  const total = l.result.attribution.totals.total;
  return [...l.result.attribution.lines.values()].filter(h => memoryCost(h.samples) > 0 || h.samples.total >= total * 0.005);
}

export class ProfileDecorations implements vscode.Disposable {
  private readonly levels = Array.from({ length: LEVELS }, (_, i) =>
    vscode.window.createTextEditorDecorationType({
      gutterIconPath: bar(i),
      gutterIconSize: 'contain',
      overviewRulerColor: `rgba(230,80,40,${(0.3 + (0.7 * i) / (LEVELS - 1)).toFixed(2)})`,
      overviewRulerLane: vscode.OverviewRulerLane.Right,
      isWholeLine: true,
    }),
  );
  private readonly note = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em', fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });

  show(l: LoadedProfile): void {
    const lines = marked(l);
    const max = Math.max(1, ...lines.map(h => memoryCost(h.samples) || h.samples.total * 0.01));
    const byFile = new Map<string, HotLine[]>();
    for (const h of lines) {
      const abs = l.result.attribution.resolver.absolute(h.file);
      byFile.set(abs, [...(byFile.get(abs) ?? []), h]);
    }
    for (const ed of vscode.window.visibleTextEditors) {
      const hs = byFile.get(ed.document.uri.fsPath) ?? [];
      const perLevel: vscode.DecorationOptions[][] = this.levels.map(() => []);
      const notes: vscode.DecorationOptions[] = [];
      for (const h of hs) {
        if (h.line > ed.document.lineCount) continue;
        const line = ed.document.lineAt(h.line - 1);
        const weight = memoryCost(h.samples) || h.samples.total * 0.01;
        const level = Math.min(LEVELS - 1, Math.floor(Math.sqrt(weight / max) * LEVELS));
        const range = new vscode.Range(line.range.end, line.range.end);
        perLevel[level].push({ range: line.range });
        notes.push({ range, renderOptions: { after: { contentText: `${lineNote({ samples: h.samples, share: shareOf(l, h) })}${h.precision === 'function' ? ' (fn)' : ''}` } } });
      }
      this.levels.forEach((t, i) => ed.setDecorations(t, perLevel[i]));
      ed.setDecorations(this.note, notes);
    }
  }

  clear(): void {
    for (const ed of vscode.window.visibleTextEditors) {
      for (const t of this.levels) ed.setDecorations(t, []);
      ed.setDecorations(this.note, []);
    }
  }

  dispose(): void {
    for (const t of this.levels) t.dispose();
    this.note.dispose();
  }
}

/** Hover on a hot line: its counts and top stacks. */
export class ProfileHover implements vscode.HoverProvider {
  constructor(private readonly current: () => LoadedProfile | undefined) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const l = this.current();
    if (!l) return undefined;
    const rel = path.relative(l.folder.root, doc.uri.fsPath).split(path.sep).join('/');
    const h = l.result.attribution.lines.get(`${rel}:${pos.line + 1}`);
    if (!h) return undefined;
    const s = h.samples;
    const share = shareOf(l, h);
    const counts = `${s.total.toLocaleString('en-US')} samples (${pct(share.total)} of all): memcpy ${s.copy.toLocaleString('en-US')} (${pct(share.copy)} of memcpy) · malloc ${s.alloc.toLocaleString('en-US')} (${pct(share.alloc)}) · free ${s.free.toLocaleString('en-US')} (${pct(share.free)})`;
    const stacks = topStacks(l.result.data, l.result.attribution, h, 3, 3);
    // Symbol names come from the profile file: escaped (a hostile profile could add links/images).
    const md = new vscode.MarkdownString(profileHoverMarkdown({ rel, line: h.line, functionLevel: h.precision === 'function', countsLine: counts, fn: h.function, stacks }));
    md.supportHtml = false;
    md.isTrusted = false;
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }
}
