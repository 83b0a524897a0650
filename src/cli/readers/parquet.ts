/**
 * Apache Parquet input, decoded by hyparquet with hyparquet-compressors' codecs (snappy, gzip, zstd, brotli, lz4:
 * whatever pyarrow, pandas or Spark write). Streamed by row group: the selected columns of one row group (of a
 * `--threads` part, only its rows) are decoded at a time, so memory is one row group's columns, whatever the size of
 * the file (pyarrow writes row groups of up to 1 Mi rows).
 *
 * Columns: numbers (INT32/64, FLOAT, DOUBLE, BOOLEAN, FLOAT16) give one value each; lists of numbers give their
 * whole list (all of a column's lists the same length); text (and dictionary-encoded text) columns are class-name
 * labels, read through the selection's names. A null in a selected column is an InputError naming its row and
 * column.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type FileMetaData, type SchemaTree, parquetMetadata, parquetRead, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import {
  type Block, type Cell, InputError, PROBE_CELLS, PROBE_ROWS, type Reader, type Selection, type Source, type Table,
} from './types.js';

/** The file as hyparquet reads it: byte ranges, read synchronously. */
function fileOf(path: string): { fd: number; file: { byteLength: number; slice(start: number, end?: number): ArrayBuffer } } {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    fd,
    file: {
      byteLength: size,
      slice(start: number, end = size) {
        const b = new Uint8Array(Math.max(0, end - start));
        readSync(fd, b, 0, b.length, start);
        return b.buffer;
      },
    },
  };
}

function metadataOf(path: string, file: { byteLength: number; slice(start: number, end?: number): ArrayBuffer }): FileMetaData {
  const size = file.byteLength;
  if (size < 12 || Buffer.from(file.slice(0, 4)).toString('latin1') !== 'PAR1' || Buffer.from(file.slice(size - 4)).toString('latin1') !== 'PAR1') {
    throw new InputError(`${path}: byte offset 0`, 'not a Parquet file (it does not start and end with PAR1)');
  }
  const footer = Buffer.from(file.slice(size - 8, size - 4)).readUInt32LE(0);
  if (footer + 8 > size) throw new InputError(`${path}: byte offset ${size - 8}`, `corrupt Parquet footer (its length says ${footer} bytes)`);
  try {
    return parquetMetadata(file.slice(size - 8 - footer));
  } catch (e) {
    throw new InputError(`${path}: byte offset ${size - 8 - footer}`, `corrupt Parquet metadata (${(e as Error).message})`);
  }
}

/** Top-level columns: name, whether it is a list, and its leaf's physical type. */
function columnsOf(meta: FileMetaData): { name: string; list: boolean; leaf: string }[] {
  const leafOf = (t: SchemaTree): SchemaTree => (t.children.length === 0 ? t : leafOf(t.children[0]));
  return parquetSchema(meta).children.map((t) => {
    const leaf = leafOf(t);
    const list = t.children.length > 0 || t.element.repetition_type === 'REPEATED';
    return { name: t.element.name, list, leaf: leaf.element.logical_type?.type === 'FLOAT16' ? 'FLOAT16' : leaf.element.type ?? '' };
  });
}

/** pandas' metadata: the index columns, and the number of categories of each categorical column. */
function pandasMeta(meta: FileMetaData): { index: string[]; categories: Map<string, number> } {
  try {
    const kv = meta.key_value_metadata?.find((k) => k.key === 'pandas');
    const parsed = JSON.parse(kv?.value ?? '{}') as {
      index_columns?: unknown[];
      columns?: { name?: unknown; pandas_type?: unknown; metadata?: { num_categories?: unknown } | null }[];
    };
    const categories = new Map<string, number>();
    for (const c of parsed.columns ?? []) {
      const k = c.metadata?.num_categories;
      if (c.pandas_type === 'categorical' && typeof c.name === 'string' && Number.isSafeInteger(k)) categories.set(c.name, k as number);
    }
    return { index: (parsed.index_columns ?? []).filter((c): c is string => typeof c === 'string'), categories };
  } catch {
    return { index: [], categories: new Map() };
  }
}

/** Rows [start, end) of the named columns, column by column (hyparquet's decoded values). */
async function readRows(path: string, file: ReturnType<typeof fileOf>['file'], meta: FileMetaData, columns: string[], start: number, end: number): Promise<unknown[][]> {
  let rows: unknown[][] = [];
  try {
    await parquetRead({ file, metadata: meta, columns, rowStart: start, rowEnd: end, compressors, rowFormat: 'array', onComplete: (r) => (rows = r) });
  } catch (e) {
    throw new InputError(`${path}: rows ${start + 1} to ${end}`, `cannot decode this Parquet data: ${(e as Error).message}`);
  }
  return rows;
}

function cellOf(v: unknown): Cell {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return Array.from(v as ArrayLike<unknown>, (x) => (typeof x === 'bigint' ? Number(x) : typeof x === 'number' ? x : NaN));
  return null;
}

/** Probes a Parquet file: its columns, pandas' index, and its first rows. */
export async function probeParquet(path: string): Promise<Table> {
  const { fd, file } = fileOf(path);
  try {
    const meta = metadataOf(path, file);
    const cols = columnsOf(meta);
    const rows = Number(meta.num_rows);
    const width = cols.length;
    const n = Math.min(rows, PROBE_ROWS, Math.max(2, Math.floor(PROBE_CELLS / Math.max(1, width))));
    const sample = n === 0 ? [] : (await readRows(path, file, meta, cols.map((c) => c.name), 0, n)).map((r) => r.map(cellOf));
    const pandas = pandasMeta(meta);
    return {
      columns: cols.map((c) => ({ name: c.name, list: c.list, categories: pandas.categories.get(c.name) })),
      sample,
      rows,
      empty: rows === 0,
      indexColumns: pandas.index,
      firstRow: rows === 0 ? path : `${path}: row 1`,
    };
  } finally {
    closeSync(fd);
  }
}

/** Rows of a Parquet file (from its metadata). */
export function parquetRows(path: string): number {
  const { fd, file } = fileOf(path);
  try {
    return Number(metadataOf(path, file).num_rows);
  } finally {
    closeSync(fd);
  }
}

export class ParquetReader implements Reader {
  readonly path: string;
  private fd: number;
  private file: ReturnType<typeof fileOf>['file'];
  private meta: FileMetaData;
  private readonly names: string[];
  private readonly select: Selection;
  private readonly groups: { first: number; rows: number; bytes: number }[];
  private readonly first: number;
  private readonly last: number;
  private row: number;
  /** The decoded rows [loadedAt, loadedAt + loaded.length) (a row group, or the part of it in this reader's range). */
  private loaded: unknown[][] = [];
  private loadedAt = 0;
  private blockStart = 0;
  private widths: number[] | null = null;
  private readonly f32: boolean;
  readonly total: number;
  cols: number | null = null;

  constructor(src: Source) {
    this.path = src.path;
    this.select = src.select;
    ({ fd: this.fd, file: this.file } = fileOf(src.path));
    try {
      this.meta = metadataOf(src.path, this.file);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
    const cols = columnsOf(this.meta);
    this.names = src.select.columns.map((c) => cols[c].name);
    this.f32 = src.select.columns.every((c) => cols[c].leaf === 'FLOAT' || cols[c].leaf === 'FLOAT16');
    let at = 0;
    this.groups = this.meta.row_groups.map((g) => {
      const rows = Number(g.num_rows);
      const first = at;
      at += rows;
      return { first, rows, bytes: Number(g.total_compressed_size ?? g.total_byte_size) };
    });
    const range = src.range ?? {};
    this.first = this.row = range.rowStart ?? 0;
    this.last = Math.min(range.rowEnd ?? at, at);
    const bytes = this.groups.reduce((a, g) => a + g.bytes, 0);
    this.total = at === 0 ? 0 : Math.round((bytes * (this.last - this.first)) / at);
  }

  get done(): number {
    return Math.round((this.total * (this.row - this.first)) / Math.max(1, this.last - this.first));
  }

  endWhere(): string {
    return `${this.path}: row 1`;
  }

  where(i: number, c?: number): string {
    if (c === undefined || this.widths === null) return `${this.path}: row ${this.blockStart + i + 1}`;
    let j = 0;
    while (j < this.widths.length - 1 && c >= this.widths[j]) c -= this.widths[j++];
    return `${this.path}: row ${this.blockStart + i + 1}, column ${JSON.stringify(this.names[j])}${this.widths[j] > 1 ? `[${c}]` : ''}`;
  }

  /** Decodes the rest of the row group holding `this.row` (within the range). */
  private async load(): Promise<void> {
    const g = this.groups.find((x) => this.row >= x.first && this.row < x.first + x.rows)!;
    const end = Math.min(g.first + g.rows, this.last);
    this.loaded = await readRows(this.path, this.file, this.meta, this.names, this.row, end);
    this.loadedAt = this.row;
    if (this.loaded.length !== end - this.row) {
      throw new InputError(`${this.path}: row ${this.row + 1}`, `the row group promises ${end - this.row} rows here, ${this.loaded.length} were decoded`);
    }
  }

  /** One value as a number: numbers, booleans (targets) and class names (labels) through the selection. */
  private value(v: unknown, row: number, j: number, k?: number): number {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    const at = `${this.path}: row ${row + 1}, column ${JSON.stringify(this.names[j])}${k === undefined ? '' : `[${k}]`}`;
    if (v === null || v === undefined) throw new InputError(at, 'a null (missing) value');
    if (typeof v === 'boolean' && this.select.bools) return v ? 1 : 0;
    if (typeof v === 'string') {
      const n = this.select.names?.get(v);
      if (n !== undefined) return n;
      throw new InputError(at, this.select.names === null
        ? `${JSON.stringify(v)} is a class name: pass --class-names (in PRED's column order), or name the classes in PRED's columns`
        : `${JSON.stringify(v)} is not one of the class names`);
    }
    throw new InputError(at, `${cellOf(v) === null ? 'a value' : JSON.stringify(v)} that is not a number`);
  }

  async next(maxRows: number): Promise<Block | null> {
    if (this.row >= this.last) return null;
    this.blockStart = this.row;
    const want = Math.min(maxRows, this.last - this.row);
    let data: Float32Array | Float64Array | null = null;
    let rows = 0;
    while (rows < want) {
      if (this.row >= this.loadedAt + this.loaded.length) await this.load();
      const r = this.loaded[this.row - this.loadedAt];
      if (this.widths === null) {
        this.widths = r.map((v) => (Array.isArray(v) || ArrayBuffer.isView(v) ? (v as ArrayLike<unknown>).length : 1));
        this.cols = this.widths.reduce((a, b) => a + b, 0);
      }
      const cols = this.cols!;
      data ??= this.f32 ? new Float32Array(want * cols) : new Float64Array(want * cols);
      let o = rows * cols;
      for (let j = 0; j < r.length; j++) {
        const v = r[j];
        if (Array.isArray(v) || ArrayBuffer.isView(v)) {
          const list = v as ArrayLike<unknown>;
          if (list.length !== this.widths[j]) {
            throw new InputError(`${this.path}: row ${this.row + 1}, column ${JSON.stringify(this.names[j])}`, `a list of ${list.length} values, earlier rows have ${this.widths[j]}`);
          }
          for (let k = 0; k < list.length; k++) data[o++] = this.value(list[k], this.row, j, k);
        } else {
          if (this.widths[j] !== 1) throw new InputError(`${this.path}: row ${this.row + 1}, column ${JSON.stringify(this.names[j])}`, 'a value where earlier rows have a list');
          data[o++] = this.value(v, this.row, j);
        }
      }
      rows++;
      this.row++;
    }
    return data === null ? null : { data: data.subarray(0, rows * this.cols!), rows, cols: this.cols! };
  }

  close(): void {
    closeSync(this.fd);
  }
}
