/**
 * "Alloc Lens: Verify Layouts with rustc": builds each crate with -Zprint-type-sizes (trusted
 * workspaces only: it runs the compiler and build scripts) and keeps the compiler's numbers so
 * hovers and inlay hints show rustc-confirmed sizes and list generic instantiations.
 */
import * as vscode from 'vscode';
import { runExact } from '../core/exact/run';
import { instantiationsOf, mapExactToIndex, type ExactMap } from '../core/exact/map';
import type { TypeDefItem } from '../core/model';
import type { Analysis } from './analysis';
import { errorText, log } from './log';

export class ExactLayouts {
  private readonly maps = new Map<string, ExactMap>();

  /** rustc's size/align for a non-generic item, if verified. */
  confirmed(root: string, item: TypeDefItem): { size: number; align: number } | undefined {
    const m = this.maps.get(root)?.mapped.find(x => x.item === item && x.args === undefined);
    return m ? { size: m.exact.size, align: m.exact.align } : undefined;
  }

  instantiations(root: string, item: TypeDefItem): { text: string; size: number; align: number }[] {
    const map = this.maps.get(root);
    return map ? instantiationsOf(map, item) : [];
  }

  clear(): void {
    this.maps.clear();
  }

  /** Markdown drift report: every type where the estimate and rustc disagree. */
  driftMarkdown(analysis: Analysis): string {
    const rows: string[] = [];
    let compared = 0;
    for (const folder of analysis.allFolders()) {
      const map = this.maps.get(folder.root);
      if (!map) continue;
      const saved = new Map<string, { size: number; align: number }>();
      folder.engine.setExact(saved);
      for (const m of map.mapped) {
        if (!m.item || m.args !== undefined) continue;
        compared++;
        const l = folder.engine.layoutOfItem(m.item);
        if (l.size === m.exact.size && l.align === m.exact.align && l.status === 'exact') continue;
        rows.push(`| \`${m.item.path}\` | ${vscode.workspace.asRelativePath(m.item.span.file)}:${m.item.nameSpan.line} | ${l.status === 'lower-bound' ? '≥ ' : ''}${l.size} / ${l.align} | ${m.exact.size} / ${m.exact.align} |`);
      }
      const sizes = new Map<string, { size: number; align: number }>();
      for (const m of map.mapped) if (m.item && m.args === undefined) sizes.set(m.item.path, { size: m.exact.size, align: m.exact.align });
      folder.engine.setExact(sizes);
    }
    if (compared === 0) return '# Alloc Lens drift report\n\nRun *Alloc Lens: Verify Layouts with rustc* first.';
    return [`# Alloc Lens drift report`, '', `${compared} types compared with rustc; ${rows.length} differ.`, '', ...(rows.length ? ['| type | defined at | estimate (size / align) | rustc (size / align) |', '|---|---|---:|---:|', ...rows] : [])].join('\n');
  }

  async verify(analysis: Analysis): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Alloc Lens: verifying layouts builds the crate with rustc (build scripts and proc macros run). Trust this workspace to allow it; static analysis keeps working without.');
      return;
    }
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Alloc Lens: verifying layouts with rustc', cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let confirmed = 0;
      let disagree = 0;
      for (const folder of analysis.allFolders()) {
        const dirs = [...new Set(folder.index.targets.map(t => t.packageDir))];
        for (const dir of dirs) {
          try {
            const result = await runExact({ crateDir: dir, signal: abort.signal, onProgress: m => progress.report({ message: m }) });
            const map = mapExactToIndex(result, folder.index.typeDefs(), folder.index);
            const prev = this.maps.get(folder.root);
            this.maps.set(folder.root, prev ? { ...map, own: [...prev.own, ...map.own], mapped: [...prev.mapped, ...map.mapped], unmapped: [...prev.unmapped, ...map.unmapped] } : map);
            for (const m of map.mapped) {
              if (!m.item || m.args !== undefined) continue;
              confirmed++;
              const l = folder.engine.layoutOfItem(m.item);
              if (l.size !== m.exact.size || l.align !== m.exact.align) {
                disagree++;
                log().warn(`drift: ${m.item.path} estimated ${l.size}/${l.align} (${l.status}), rustc ${m.exact.size}/${m.exact.align}`);
              }
            }
            log().info(`exact: ${dir}: ${result.types.length} types from ${result.rustcVersion}, ${map.mapped.length}/${map.own.length} mapped`);
          } catch (e) {
            if (abort.signal.aborted) return;
            log().error(`exact: ${dir}: ${errorText(e)}`);
            void vscode.window.showErrorMessage(`Alloc Lens: rustc could not build ${dir}; the estimates stay. ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`, 'Open Log').then(c => c && log().show());
          }
        }
      }
      // Exact numbers replace the estimates everywhere: diagnostics are re-checked with them.
      for (const folder of analysis.allFolders()) {
        const sizes = new Map<string, { size: number; align: number }>();
        for (const m of this.maps.get(folder.root)?.mapped ?? []) if (m.item && m.args === undefined) sizes.set(m.item.path, { size: m.exact.size, align: m.exact.align });
        folder.engine.setExact(sizes);
      }
      analysis.recheckAll();
      void vscode.window.showInformationMessage(`Alloc Lens: ${confirmed} layouts confirmed by rustc; ${disagree} differ from the estimates${disagree ? ' (details in the log)' : ''}.`);
    });
  }
}
