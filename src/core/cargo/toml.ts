/**
 * Reads Cargo.toml / Cargo.lock / .cargo/config.toml with a full TOML parser (smol-toml), so a
 * malformed file is an error that names the file and the line instead of a silent misread.
 */
import * as fs from 'node:fs';
import { parse, TomlError } from 'smol-toml';

export class CargoFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${detail}`);
  }
}

export type TomlTable = Record<string, unknown>;

/** Parse a TOML file; throws `CargoFileError` (file:line: reason) when it is malformed. */
export function readTomlFile(file: string): TomlTable {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CargoFileError(
      file,
      undefined,
      `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return parseTomlText(text, file);
}

export function parseTomlText(text: string, file: string): TomlTable {
  try {
    return parse(text) as TomlTable;
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split('\n')[0].replace(/^Invalid TOML document:\s*/, '');
      throw new CargoFileError(file, e.line, `malformed TOML: ${first}`);
    }
    throw new CargoFileError(file, undefined, `malformed TOML: ${(e as Error).message}`);
  }
}

export function table(v: unknown): TomlTable | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as TomlTable) : undefined;
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
