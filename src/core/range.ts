/** Source ranges of findings and of fix edits. */

/** A source range: 1-based lines, 1-based columns (UTF-16 code units), end exclusive. */
export interface Range {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}
