/** What the CLI's readers share: tables probed, blocks of rows, and errors that name the file, line and column. */

export type Format = 'csv' | 'tsv' | 'jsonl' | 'npy' | 'arrow' | 'parquet';
export const FORMATS: readonly Format[] = ['csv', 'tsv', 'jsonl', 'npy', 'arrow', 'parquet'];

/** A bad input file: reported as `file:line:col: message` (binary formats: `file: row R, column C: message`). */
export class InputError extends Error {
  constructor(readonly where: string, readonly detail: string) {
    super(`${where}: ${detail}`);
    this.name = 'InputError';
  }
}

/** Up to `maxRows` rows of one file, row-major: the selected columns' values. */
export interface Block {
  data: Float32Array | Float64Array | Uint16Array;
  rows: number;
  cols: number;
  /** Set when `data` holds 2-byte floats as their bits (a Source with `halfBits`): pass it as the `dtype` option. */
  half?: 'float16' | 'bfloat16';
}

/** Rows probed at most, and cells (a very wide file is probed on fewer rows, at least two). */
export const PROBE_ROWS = 1000;
export const PROBE_CELLS = 1 << 15;

/** A value of a table as probing sees it: a number, a boolean, text, a list of numbers, or null (empty, missing). */
export type Cell = number | boolean | string | readonly number[] | null;

export interface Column {
  /** The column's name; null when the file names none (headerless text, .npy, JSON arrays). */
  name: string | null;
  /** A list per row (an Arrow or Parquet list, a JSON array): it gives all its values to the row. */
  list: boolean;
  /** The categories of a dictionary-encoded (categorical) column, in code order. */
  dictionary?: readonly string[];
  /** How many categories a categorical column has, when only their count is stored (pandas' Parquet metadata). */
  categories?: number;
}

/** What probing a file found: its columns and its first rows. */
export interface Table {
  columns: Column[];
  /** The first rows (up to a few thousand cells), one Cell per column. */
  sample: Cell[][];
  /** Rows in the file, when the format says without reading them all (.npy, Arrow, Parquet). */
  rows: number | null;
  /** The file has no rows at all (a header alone, blank lines, a 0-row array). */
  empty: boolean;
  /** Text: the delimiter, and whether the first line is a header (null: it cannot be told from the file alone). */
  dialect?: { delimiter: string; header: boolean | null };
  /** Columns the writer marked as its index (pandas' metadata in Arrow and Parquet files). */
  indexColumns?: readonly string[];
  /** Where the first row is (for an empty table: where its reader stops), for messages about the table as a whole. */
  firstRow: string;
}

/** Which columns of a table make a row, and how cells that are not numbers are read. */
export interface Selection {
  /** Table columns, in order; a list column gives its whole list. */
  columns: number[];
  /** Text cells (class-name labels) read as their index here; null: text is an error. */
  names: ReadonlyMap<string, number> | null;
  /** True / False cells read as 1 / 0 (targets). */
  bools: boolean;
}

/** Text files: the delimiter, and whether the first non-blank line is a header. */
export interface Dialect {
  delimiter: string;
  header: boolean;
}

/** A file to read, and how. */
export interface Source {
  path: string;
  format: Format;
  select: Selection;
  dialect?: Dialect;
  /** JSON Lines of objects: the keys, by column (the selection's columns index them). */
  keys?: string[];
  /** 2-byte .npy values: IEEE half (float16, the default for `<f2`) or bfloat16 (`<u2` / `|V2` with --dtype). */
  half?: 'float16' | 'bfloat16';
  /**
   * 2-byte floats come as their bits (a Uint16Array, the Block's `half` naming the format) for the library to widen
   * in wasm, rather than widened here: for predictions, not labels.
   */
  halfBits?: boolean;
  range?: Range;
}

export interface Reader {
  readonly path: string;
  /** Bytes consumed so far and in total (of this reader's range), for progress. */
  readonly done: number;
  readonly total: number;
  /** Values per row, once known (from the header or schema for binary formats, else after the first row). */
  readonly cols: number | null;
  /** Reads up to `maxRows` rows; null at the end. The block's data may be overwritten by the next call. */
  next(maxRows: number): Block | null | Promise<Block | null>;
  /** Location of row `i` of the last block (column `c`, 0-based, of the selection, when given), for messages. */
  where(i: number, c?: number): string;
  /** Where a reader that found no rows stopped. */
  endWhere(): string;
  close(): void;
}

/** A part of a file for one worker: rows [rowStart, rowEnd) (binary formats) or bytes [byteStart, byteEnd) (text). */
export interface Range {
  rowStart?: number;
  rowEnd?: number;
  byteStart?: number;
  byteEnd?: number;
  /** Line number of the first line at byteStart (1-based). */
  firstLine?: number;
}

/** Extensions of each format (a `.gz` after any text one is read through gunzip). */
const EXTENSIONS: Record<string, Format> = {
  csv: 'csv', txt: 'csv', tsv: 'tsv', tab: 'tsv', jsonl: 'jsonl', ndjson: 'jsonl', npy: 'npy',
  arrow: 'arrow', arrows: 'arrow', feather: 'arrow', ipc: 'arrow', parquet: 'parquet', pq: 'parquet',
};

/** Whether a path names gzip-compressed text. */
export const isGzip = (path: string): boolean => /\.gz$/i.test(path);

export function formatOf(path: string, forced?: string): Format {
  if (forced !== undefined) {
    if (!(FORMATS as readonly string[]).includes(forced)) throw new InputError(path, `unknown format ${JSON.stringify(forced)} (known: ${FORMATS.join(', ')})`);
    return forced as Format;
  }
  const ext = path.toLowerCase().replace(/\.gz$/, '').match(/\.([a-z]+)$/)?.[1] ?? '';
  const format = EXTENSIONS[ext];
  if (format === undefined) {
    throw new InputError(path, `cannot tell the format from the extension ${JSON.stringify(ext)}; use .csv, .tsv, .jsonl (each optionally .gz), .npy, .arrow / .feather, .parquet or --pred-format / --target-format`);
  }
  if (isGzip(path) && (format === 'npy' || format === 'arrow' || format === 'parquet')) {
    throw new InputError(path, `a gzip-compressed ${format} file is not read: decompress it (gunzip), or save the ${format} file with its own compression`);
  }
  return format;
}
