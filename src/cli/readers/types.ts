/** What the CLI's readers share: blocks of rows, and errors that name the file, line and column. */

export type Format = 'csv' | 'tsv' | 'jsonl' | 'npy' | 'arrow';
export const FORMATS: readonly Format[] = ['csv', 'tsv', 'jsonl', 'npy', 'arrow'];

/** A bad input file: reported as `file:line:col: message` (binary formats: `file: row R, column C: message`). */
export class InputError extends Error {
  constructor(readonly where: string, readonly detail: string) {
    super(`${where}: ${detail}`);
    this.name = 'InputError';
  }
}

/** Up to `maxRows` rows of one file, row-major. */
export interface Block {
  data: Float32Array | Float64Array;
  rows: number;
  cols: number;
}

export interface Reader {
  readonly path: string;
  /** Bytes consumed so far and in total (of this reader's range), for progress. */
  readonly done: number;
  readonly total: number;
  /** Values per row, once known (after the first row; from the header for .npy). */
  readonly cols: number | null;
  /** Reads up to `maxRows` rows; null at the end. The block's data may be overwritten by the next call. */
  next(maxRows: number): Block | null;
  /** Location of row `i` of the last block (column `c`, 0-based, when given), for messages. */
  where(i: number, c?: number): string;
  close(): void;
}

/** A part of a file for one worker: rows [rowStart, rowEnd) (.npy, Arrow) or bytes [byteStart, byteEnd) (text). */
export interface Range {
  rowStart?: number;
  rowEnd?: number;
  byteStart?: number;
  byteEnd?: number;
  /** Line number of the first line at byteStart (1-based), and whether the file has a header line. */
  firstLine?: number;
  header?: boolean;
}

export function formatOf(path: string, forced?: string): Format {
  if (forced !== undefined) {
    if (!(FORMATS as readonly string[]).includes(forced)) throw new InputError(path, `unknown format ${JSON.stringify(forced)} (known: ${FORMATS.join(', ')})`);
    return forced as Format;
  }
  const ext = path.toLowerCase().match(/\.([a-z]+)$/)?.[1] ?? '';
  if (ext === 'csv' || ext === 'txt') return 'csv';
  if (ext === 'tsv' || ext === 'tab') return 'tsv';
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  if (ext === 'npy') return 'npy';
  if (ext === 'arrow' || ext === 'arrows' || ext === 'feather' || ext === 'ipc') return 'arrow';
  throw new InputError(path, `cannot tell the format from the extension ${JSON.stringify(ext)}; use .csv, .tsv, .jsonl, .npy, .arrow or --pred-format / --target-format`);
}
