/**
 * The "Alloc Lens" view in the activity bar: findings grouped by root cause (the type, trait or
 * awaited fn behind them), each node with its static size and the loaded profile's measured
 * evidence, sortable by measured cost or size, filterable by rule and severity. After Compare
 * Profiles a "Compared with" node lists the totals and the lines that changed most. The tree is
 * the server's `allocLens/findingsTree`, fetched again on every `allocLens/status`.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { CauseFinding, CauseGroup, ComparisonView, FindingsTree } from '../lsp/protocol';
import { errorText, log } from './log';

type Node =
  | { t: 'group'; g: CauseGroup }
  | { t: 'finding'; f: CauseFinding; g: CauseGroup }
  | { t: 'compare'; c: ComparisonView }
  | { t: 'total'; text: string }
  | { t: 'line'; l: ComparisonView['lines'][number]; bytes?: boolean };

const SEVERITIES = ['error', 'warning', 'info', 'hint'] as const;
const RULES = [
  'large-error',
  'large-enum-variant',
  'large-move',
  'async-trait-box',
  'clone-hotspot',
  'large-future',
  // a heap profile's own findings
  'heap-churn',
  'heap-growth',
  'heap-peak',
  'heap-leak',
];

const ICON: Record<string, string> = {
  enum: 'symbol-enum',
  struct: 'symbol-struct',
  union: 'symbol-struct',
  type: 'symbol-class',
  trait: 'symbol-interface',
  future: 'symbol-event',
  site: 'location',
};
const SEVERITY_COLOR: Record<CauseFinding['severity'], string> = {
  error: 'list.errorForeground',
  warning: 'list.warningForeground',
  info: 'editorInfo.foreground',
  hint: 'descriptionForeground',
};

function location(uri: string, line: number, character: number): vscode.Command {
  const pos = new vscode.Position(line, character);
  return {
    title: 'Open',
    command: 'vscode.open',
    arguments: [
      vscode.Uri.parse(uri),
      { selection: new vscode.Range(pos, pos), preserveFocus: false },
    ],
  };
}

export class FindingsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private tree: FindingsTree = { groups: [] };
  private sort: 'cost' | 'size' = 'cost';
  private rules: Set<string> | undefined;
  private severities: Set<string> | undefined;
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<Node>;
  private pending: Promise<void> | undefined;
  private again = false;

  constructor(private readonly client: LanguageClient) {
    this.view = vscode.window.createTreeView('allocLens.findings', {
      treeDataProvider: this,
      showCollapseAll: true,
    });
    void vscode.commands.executeCommand('setContext', 'allocLens.findings.sort', this.sort);
  }

  /** Fetches the tree again (coalesced: at most one request in flight, one queued). */
  refresh(): void {
    if (this.pending) {
      this.again = true;
      return;
    }
    this.pending = this.client
      .sendRequest<FindingsTree>('allocLens/findingsTree')
      .then(
        t => {
          this.tree = t;
          this.render();
        },
        e => log().warn(`findings view: ${errorText(e)}`),
      )
      .finally(() => {
        this.pending = undefined;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }

  private render(): void {
    const n = this.groups().reduce((s, g) => s + g.findings.length, 0);
    const all = this.tree.groups.reduce((s, g) => s + g.findings.length, 0);
    const filtered = n !== all ? ` (${all - n} filtered out)` : '';
    // The badge and the status bar count every finding; VS Code's Problems panel leaves out hints
    // (ddsplit: 9 findings, 8 in Problems: the guessed `Rc<String>` clone-hotspot is a hint).
    const hints = this.tree.groups.reduce(
      (s, g) => s + g.findings.filter(f => f.severity === 'hint').length,
      0,
    );
    const hinted = hints > 0 ? `; ${hints} hint${hints === 1 ? '' : 's'}, not in Problems` : '';
    this.view.description = this.tree.profile
      ? `${this.tree.profile}${this.tree.baseline ? ` vs ${this.tree.baseline}` : ''}`
      : undefined;
    this.view.message =
      all === 0
        ? undefined
        : `${n} finding${n === 1 ? '' : 's'} from ${this.groups().length} root cause${this.groups().length === 1 ? '' : 's'}${filtered}, sorted by ${this.sort === 'cost' ? (this.tree.profile ? 'measured cost' : 'findings and size (no profile loaded)') : 'size'}${hinted}`;
    this.view.badge = all > 0 ? { value: all, tooltip: `${all} Alloc Lens findings` } : undefined;
    this.changed.fire(undefined);
  }

  setSort(s: 'cost' | 'size'): void {
    this.sort = s;
    void vscode.commands.executeCommand('setContext', 'allocLens.findings.sort', s);
    this.render();
  }

  async pickFilter(): Promise<void> {
    const items = [
      ...RULES.map(r => ({
        label: r,
        description: 'rule',
        picked: !this.rules || this.rules.has(r),
        what: 'rule' as const,
      })),
      ...SEVERITIES.map(s => ({
        label: s,
        description: 'severity',
        picked: !this.severities || this.severities.has(s),
        what: 'severity' as const,
      })),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      canPickMany: true,
      placeHolder: 'Rules and severities to show',
    });
    if (!picked) return;
    const rules = new Set(picked.filter(p => p.what === 'rule').map(p => p.label));
    const sev = new Set(picked.filter(p => p.what === 'severity').map(p => p.label));
    this.rules = rules.size === RULES.length ? undefined : rules;
    this.severities = sev.size === SEVERITIES.length ? undefined : sev;
    void vscode.commands.executeCommand(
      'setContext',
      'allocLens.findings.filtered',
      !!(this.rules || this.severities),
    );
    this.render();
  }

  clearFilter(): void {
    this.rules = undefined;
    this.severities = undefined;
    void vscode.commands.executeCommand('setContext', 'allocLens.findings.filtered', false);
    this.render();
  }

  /** The groups after the filter, in the chosen order. */
  groups(): CauseGroup[] {
    const keep = (f: CauseFinding) =>
      (!this.rules || this.rules.has(f.code)) &&
      (!this.severities || this.severities.has(f.severity));
    const gs = this.tree.groups
      .map(g => ({ ...g, findings: g.findings.filter(keep) }))
      .filter(g => g.findings.length > 0);
    if (this.sort === 'size')
      return gs.sort(
        (a, b) =>
          (b.size ?? 0) - (a.size ?? 0) || b.cost - a.cost || a.label.localeCompare(b.label),
      );
    return gs; // the server's order: measured cost, then number of findings, then size
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      const c = this.tree.comparison;
      return [
        ...(c ? [{ t: 'compare' as const, c }] : []),
        ...this.groups().map(g => ({ t: 'group' as const, g })),
      ];
    }
    if (node.t === 'group') {
      const fs = [...node.g.findings];
      if (this.sort === 'size') fs.sort((a, b) => (b.size ?? 0) - (a.size ?? 0) || b.cost - a.cost);
      return fs.map(f => ({ t: 'finding', f, g: node.g }));
    }
    if (node.t === 'compare')
      return [
        ...node.c.totals.map(text => ({ t: 'total' as const, text })),
        ...node.c.lines
          .slice(0, 10)
          .map(l => ({ t: 'line' as const, l, bytes: node.c.measure === 'bytes' })),
      ];
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.t) {
      case 'group': {
        const g = node.g;
        const it = new vscode.TreeItem(
          g.kind === 'site' ? `${g.label} · ${g.where ?? ''}` : g.label,
          vscode.TreeItemCollapsibleState.Expanded,
        );
        it.id = g.id;
        const count = `${g.findings.length} finding${g.findings.length === 1 ? '' : 's'}`;
        it.description = [g.sizeLabel, count, g.delta ?? g.evidence].filter(Boolean).join(' · ');
        const md = new vscode.MarkdownString();
        md.appendMarkdown(
          `**${g.label}**${g.itemKind ? ` (${g.itemKind})` : g.kind === 'trait' ? ' (trait)' : ''}${g.path ? ` \`${g.path}\`` : ''}\n\n`,
        );
        if (g.sizeLabel) md.appendMarkdown(`Static size: ${g.sizeLabel}\n\n`);
        if (g.evidence) md.appendMarkdown(`Measured (${this.tree.profile}): ${g.evidence}\n\n`);
        if (g.delta) md.appendMarkdown(`Compared with ${this.tree.baseline}: ${g.delta}\n\n`);
        md.appendMarkdown(
          `${count} caused by it; a line shared by several findings is counted once.`,
        );
        it.tooltip = md;
        it.iconPath = new vscode.ThemeIcon(
          g.confirmed ? 'flame' : (ICON[g.itemKind ?? g.kind] ?? 'symbol-misc'),
          new vscode.ThemeColor(SEVERITY_COLOR[g.severity]),
        );
        it.contextValue = g.kind === 'type' && g.uri ? 'allocLens.cause.type' : 'allocLens.cause';
        if (g.uri && g.line !== undefined) it.command = location(g.uri, g.line, g.character ?? 0);
        return it;
      }
      case 'finding': {
        const f = node.f;
        const it = new vscode.TreeItem(
          `${f.code}  ${f.where}`,
          vscode.TreeItemCollapsibleState.None,
        );
        it.id = `${node.g.id}\0${f.code}\0${f.where}:${f.character}`;
        it.description = f.delta ?? f.evidence ?? f.message;
        const md = new vscode.MarkdownString();
        md.appendText(f.message);
        if (f.evidence)
          md.appendMarkdown(
            `\n\nMeasured: ${f.evidence}${f.confirmed ? ' (confirmed by the profile)' : ''}`,
          );
        if (f.delta) md.appendMarkdown(`\n\nCompared: ${f.delta}`);
        md.appendMarkdown(
          `\n\n${f.fixes > 0 ? `${f.fixes} quick fix${f.fixes === 1 ? '' : 'es'}: right-click → Show Quick Fixes` : 'Right-click → Show Quick Fixes (suppress, explain layout)'}`,
        );
        it.tooltip = md;
        it.iconPath = new vscode.ThemeIcon(
          f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'info',
          new vscode.ThemeColor(SEVERITY_COLOR[f.severity]),
        );
        it.contextValue = f.fixes > 0 ? 'allocLens.finding.fixable' : 'allocLens.finding';
        it.command = location(f.uri, f.line, f.character);
        return it;
      }
      case 'compare': {
        const it = new vscode.TreeItem(
          `Compared with ${basename(node.c.baseline)}`,
          vscode.TreeItemCollapsibleState.Expanded,
        );
        it.id = 'allocLens.compare';
        it.description = node.c.totals[0];
        it.tooltip = `${node.c.baseline} → ${node.c.current}\n${node.c.measure === 'bytes' ? 'Bytes and blocks allocated in each run.' : 'Shares of all samples of each profile.'}`;
        it.iconPath = new vscode.ThemeIcon('diff');
        it.contextValue = 'allocLens.compare';
        return it;
      }
      case 'total': {
        const it = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        it.iconPath = new vscode.ThemeIcon('graph');
        return it;
      }
      case 'line': {
        const l = node.l;
        const it = new vscode.TreeItem(
          `${l.label}${l.presence === 'gone' ? ' (gone)' : l.presence === 'new' ? ' (new)' : ''}`,
          vscode.TreeItemCollapsibleState.None,
        );
        it.description = l.note;
        it.tooltip = `${l.label}: ${l.note} (${node.bytes ? 'bytes and blocks allocated in each run' : 'share of all samples of each profile'})`;
        it.iconPath = new vscode.ThemeIcon(
          (node.bytes ? /\(−/ : /→ 0\.0%/).test(l.note) ? 'arrow-down' : 'arrow-swap',
        );
        it.command = location(l.uri, l.line, 0);
        return it;
      }
    }
  }

  dispose(): void {
    this.view.dispose();
    this.changed.dispose();
  }
}

function basename(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

/** Opens the finding and asks VS Code for its quick fixes (the server's code actions). */
export async function quickFixAt(node: Node | undefined): Promise<void> {
  if (node?.t !== 'finding') return;
  const f = node.f;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(f.uri));
  const ed = await vscode.window.showTextDocument(doc, { preserveFocus: false });
  const range = new vscode.Range(f.line, f.character, f.endLine, f.endCharacter);
  ed.selection = new vscode.Selection(range.start, range.start);
  ed.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  await vscode.commands.executeCommand('editor.action.quickFix');
}

/** Explain Layout of a cause's type (the server's command, shown by the client middleware). */
export async function explainCause(node: Node | undefined): Promise<void> {
  if (node?.t !== 'group' || !node.g.uri || node.g.line === undefined) return;
  await vscode.commands.executeCommand('allocLens.explainLayout', node.g.uri, {
    line: node.g.line,
    character: node.g.character ?? 0,
  });
}
