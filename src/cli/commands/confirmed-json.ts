/**
 * The fields of a profile-confirmed finding that the perf and heap JSON outputs share (their
 * public schemas then add the measure: `samples` for perf, `amount` for heap).
 */
import * as path from 'node:path';
import type { Confirmation } from '../../profile/confirm';

export function confirmedFindingJson(root: string, c: Confirmation) {
  return {
    code: c.finding.code,
    file: path.relative(root, c.finding.range.file).split(path.sep).join('/'),
    line: c.finding.range.line,
    column: c.finding.range.column,
    severity: c.severity,
    staticSeverity: c.finding.severity,
    confirmed: c.confirmed,
  };
}
