/**
 * SARIF 2.1.0 output (https://docs.oasis-open.org/sarif/sarif/v2.1.0/), for code-scanning UIs.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding } from '../../core/rules/types';
import { ALL_RULES, RULE_BY_CODE, ruleHelpUri } from '../../core/rules/registry';
import { fullMessage } from '../../core/rules/types';

function level(s: Finding['severity']): 'error' | 'warning' | 'note' {
  return s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note';
}

export function toSarif(
  findings: Finding[],
  root: string,
  source: (file: string) => string | undefined,
) {
  const rootUri = pathToFileURL(root.endsWith(path.sep) ? root : root + path.sep).href;
  const loc = (r: Finding['range']) => ({
    physicalLocation: {
      artifactLocation: path.relative(root, r.file).startsWith('..')
        ? { uri: pathToFileURL(r.file).href }
        : { uri: path.relative(root, r.file).split(path.sep).join('/'), uriBaseId: 'SRCROOT' },
      region: {
        startLine: r.line,
        startColumn: r.column,
        endLine: r.endLine,
        endColumn: r.endColumn,
      },
    },
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'alloc-lens',
            informationUri: 'https://github.com/alloc-lens/alloc-lens',
            version: '0.1.0',
            rules: ALL_RULES.map(id => ({
              id,
              name: id.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()),
              shortDescription: { text: RULE_BY_CODE[id].summary },
              helpUri: ruleHelpUri(id),
            })),
          },
        },
        originalUriBaseIds: { SRCROOT: { uri: rootUri } },
        results: findings.map(f => ({
          ruleId: f.code,
          ruleIndex: ALL_RULES.indexOf(f.code),
          level: level(f.severity),
          message: { text: fullMessage(f) },
          locations: [loc(f.range)],
          relatedLocations: f.related.map((r, i) => ({
            id: i,
            ...loc(r.range),
            message: { text: r.message },
          })),
          ...(f.fixes.length
            ? {
                fixes: f.fixes.map(x => ({
                  description: { text: x.title },
                  artifactChanges: [...new Set(x.edits.map(e => e.range.file))].map(file => ({
                    artifactLocation: {
                      uri: path.relative(root, file).split(path.sep).join('/'),
                      uriBaseId: 'SRCROOT',
                    },
                    replacements: x.edits
                      .filter(e => e.range.file === file)
                      .map(e => ({
                        deletedRegion: {
                          startLine: e.range.line,
                          startColumn: e.range.column,
                          endLine: e.range.endLine,
                          endColumn: e.range.endColumn,
                        },
                        insertedContent: { text: e.newText },
                      })),
                  })),
                })),
              }
            : {}),
          partialFingerprints: {
            primaryLocationLineHash: hash(
              `${f.code}:${source(f.range.file)?.split('\n')[f.range.line - 1]?.trim() ?? ''}`,
            ),
          },
        })),
      },
    ],
  };
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16).padStart(8, '0') + ':1';
}
