/**
 * "Verify Layouts with rustc" in the server: builds each crate with -Zprint-type-sizes (only on
 * an explicit command, and the VS Code client asks only in trusted workspaces: it runs the
 * compiler and build scripts) and keeps the compiler's numbers, so hovers, inlay hints and the
 * rules use rustc-confirmed sizes.
 */
import * as path from 'node:path';
import { runExact } from '../core/exact/run';
import { instantiationsOf, mapExactToIndex, type ExactMap } from '../core/exact/map';
import type { TypeDefItem } from '../core/model';
import type { WorkspaceAnalysis } from './analysis';

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

  /** Markdown drift report: every type where the estimate and rustc disagree. */
  driftMarkdown(analysis: WorkspaceAnalysis): string {
    const rows: string[] = [];
    let compared = 0;
    for (const folder of analysis.folders) {
      const map = this.maps.get(folder.root);
      if (!map) continue;
      // Compare the estimates themselves: switch the exact sizes off while laying out.
      folder.engine.setExact(new Map());
      for (const m of map.mapped) {
        if (!m.item || m.args !== undefined) continue;
        compared++;
        const l = folder.engine.layoutOfItem(m.item);
        if (l.size === m.exact.size && l.align === m.exact.align && l.status === 'exact') continue;
        const at = `${path.relative(folder.root, m.item.span.file)}:${m.item.nameSpan.line}`;
        rows.push(
          `| \`${m.item.path}\` | ${at} | ${l.status === 'lower-bound' ? '≥ ' : ''}${l.size} / ${l.align} | ${m.exact.size} / ${m.exact.align} |`,
        );
      }
      folder.engine.setExact(this.sizes(folder.root));
    }
    if (compared === 0)
      return '# Alloc Lens drift report\n\nRun *Alloc Lens: Verify Layouts with rustc* first.';
    const table = rows.length
      ? [
          '| type | defined at | estimate (size / align) | rustc (size / align) |',
          '|---|---|---:|---:|',
          ...rows,
        ]
      : [];
    return [
      '# Alloc Lens drift report',
      '',
      `${compared} types compared with rustc; ${rows.length} differ.`,
      '',
      ...table,
    ].join('\n');
  }

  private sizes(root: string): Map<string, { size: number; align: number }> {
    const sizes = new Map<string, { size: number; align: number }>();
    for (const m of this.maps.get(root)?.mapped ?? [])
      if (m.item && m.args === undefined)
        sizes.set(m.item.path, { size: m.exact.size, align: m.exact.align });
    return sizes;
  }

  /** Builds every package of every folder; returns the message for the user. */
  async verify(
    analysis: WorkspaceAnalysis,
    opts: {
      signal?: AbortSignal;
      onProgress?: (m: string) => void;
      log: (level: 'info' | 'warn' | 'error', m: string) => void;
    },
  ): Promise<{ message: string; failures: string[] }> {
    let confirmed = 0;
    let disagree = 0;
    const failures: string[] = [];
    for (const folder of analysis.folders) {
      const dirs = [...new Set(folder.index.targets.map(t => t.packageDir))];
      for (const dir of dirs) {
        try {
          const result = await runExact({
            crateDir: dir,
            signal: opts.signal,
            onProgress: opts.onProgress,
          });
          const map = mapExactToIndex(result, folder.index.typeDefs(), folder.index);
          const prev = this.maps.get(folder.root);
          this.maps.set(
            folder.root,
            prev
              ? {
                  ...map,
                  own: [...prev.own, ...map.own],
                  mapped: [...prev.mapped, ...map.mapped],
                  unmapped: [...prev.unmapped, ...map.unmapped],
                }
              : map,
          );
          for (const m of map.mapped) {
            if (!m.item || m.args !== undefined) continue;
            confirmed++;
            const l = folder.engine.layoutOfItem(m.item);
            if (l.size !== m.exact.size || l.align !== m.exact.align) {
              disagree++;
              opts.log(
                'warn',
                `drift: ${m.item.path} estimated ${l.size}/${l.align} (${l.status}), rustc ${m.exact.size}/${m.exact.align}`,
              );
            }
          }
          opts.log(
            'info',
            `exact: ${dir}: ${result.types.length} types from ${result.rustcVersion}, ${map.mapped.length}/${map.own.length} mapped`,
          );
        } catch (e) {
          if (opts.signal?.aborted) throw e;
          opts.log('error', `exact: ${dir}: ${(e as Error).stack ?? e}`);
          failures.push(
            `rustc could not build ${dir}; the estimates stay. ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`,
          );
        }
      }
    }
    // Exact numbers replace the estimates everywhere: diagnostics are re-checked with them.
    for (const folder of analysis.folders) folder.engine.setExact(this.sizes(folder.root));
    analysis.recheckAll();
    return {
      message: `Alloc Lens: ${confirmed} layouts confirmed by rustc; ${disagree} differ from the estimates${disagree ? ' (details in the log)' : ''}.`,
      failures,
    };
  }
}
