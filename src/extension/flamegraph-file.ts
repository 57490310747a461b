/**
 * Pure helpers of the flamegraph panel (no `vscode` import, unit-tested): reading speedscope's
 * index.html, checking that a path lies in a workspace folder, and preparing a speedscope JSON
 * file opened from disk.
 */
import * as path from 'node:path';
import type { HotLineItem } from './webview-protocol';

/** The stylesheets and scripts of speedscope's index.html (their names carry build hashes). */
export function speedscopeAssets(indexHtml: string): { css: string[]; js: string[] } {
  const css = [...indexHtml.matchAll(/<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"/g)].map(
    m => m[1],
  );
  const js = [...indexHtml.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map(m => m[1]);
  const bad = [...css, ...js].find(n => !/^[\w.-]+$/.test(n));
  if (bad) throw new Error(`unexpected asset reference in speedscope's index.html: ${bad}`);
  if (js.length === 0) throw new Error("speedscope's index.html references no script");
  return { css, js };
}

/** The workspace folder containing `file` (an absolute path), if any. */
export function containingFolder(file: string, folders: readonly string[]): string | undefined {
  if (!path.isAbsolute(file)) return undefined;
  const f = path.resolve(file);
  return folders.find(root => {
    const rel = path.relative(root, f);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  });
}

/**
 * A speedscope JSON file read from `jsonPath`: frame `file`s that are relative are made absolute
 * against the file's directory (so Ctrl/Cmd+click can open them), and an optional top-level
 * `allocLensHotLines` array (an Alloc Lens addition that speedscope ignores) becomes the hot-line
 * list, its relative paths resolved the same way.
 */
export function prepareSpeedscopeFile(
  json: unknown,
  jsonPath: string,
): { title: string; speedscope: object; hotLines: HotLineItem[] } {
  if (
    typeof json !== 'object' ||
    json === null ||
    !Array.isArray((json as { profiles?: unknown }).profiles)
  ) {
    throw new Error('not a speedscope JSON file (no profiles[])');
  }
  const dir = path.dirname(path.resolve(jsonPath));
  const abs = (f: string) =>
    path.isAbsolute(f) || /^[a-z][\w+.-]*:/i.test(f) ? f : path.resolve(dir, f);
  const { allocLensHotLines, ...file } = json as Record<string, unknown> & {
    allocLensHotLines?: unknown;
  };
  const shared = file.shared as { frames?: unknown } | undefined;
  if (shared && Array.isArray(shared.frames)) {
    file.shared = {
      ...shared,
      frames: shared.frames.map(f =>
        f && typeof f === 'object' && typeof (f as { file?: unknown }).file === 'string'
          ? { ...f, file: abs((f as { file: string }).file) }
          : f,
      ),
    };
  }
  const hotLines: HotLineItem[] = [];
  if (Array.isArray(allocLensHotLines)) {
    for (const h of allocLensHotLines as Partial<HotLineItem>[]) {
      if (!h || typeof h.file !== 'string' || typeof h.line !== 'number') continue;
      hotLines.push({
        file: abs(h.file),
        line: h.line,
        label: typeof h.label === 'string' ? h.label : `${h.file}:${h.line}`,
        ...(typeof h.detail === 'string' ? { detail: h.detail } : {}),
      });
    }
  }
  const name = file.name;
  return {
    title: typeof name === 'string' && name ? name : path.basename(jsonPath),
    speedscope: file,
    hotLines,
  };
}
