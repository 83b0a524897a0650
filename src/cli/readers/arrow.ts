/**
 * Apache Arrow IPC input (the file format, Feather v2, and the stream format, with or without the continuation
 * marker of Arrow >= 0.15), decoded by the apache-arrow package with LZ4-frame (lz4js) and ZSTD (fzstd) codecs for
 * compressed bodies: every column type Arrow has, dictionaries (categorical labels) and null bitmaps.
 *
 * Record batches are read one at a time: the file is indexed once from its messages' metadata (never the bodies;
 * arrow-index.ts), and a batch is decoded from its own bytes behind the schema and the dictionary batches before it. Memory
 * is one record batch (pyarrow writes up to 64 Ki rows a batch by default), whatever the size of the file, and a
 * `--threads` part decodes only the batches its rows are in.
 *
 * Columns: numbers (Int, Float including half, Bool) give one value each (half floats as their bits when every
 * selected column is half and the source takes bits: predictions, widened in the kernels); lists (List, LargeList, FixedSizeList of
 * numbers) give their whole list (all lists of a column must have the same length); text and dictionary columns are
 * class-name labels, read through the selection's names. A null in a selected column is an InputError naming its
 * row and column.
 */
import { closeSync, openSync } from 'node:fs';
import {
  type Data, DataType, Precision, type RecordBatch, type Schema, compressionRegistry, CompressionType, makeVector,
} from 'apache-arrow';
import { decompress as zstd } from 'fzstd';
import * as lz4 from 'lz4js';
import { type ArrowIndex, corrupt, indexArrow, loadBatch } from './arrow-index.js';
import { halfToNumber } from './npy-dtypes.js';

export { arrowRows } from './arrow-index.js';
import {
  type Block, type Cell, type Column, InputError, PROBE_CELLS,
  PROBE_ROWS, type Reader, type Selection, type Source, type Table,
} from './types.js';

/** A decoded buffer at offset 0 of its own memory: apache-arrow views it as 64-bit numbers, which must be aligned. */
const aligned = (b: Uint8Array) => (b.byteOffset % 8 === 0 ? b : b.slice());
compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (b: Uint8Array) => aligned(lz4.decompress(b)) });
compressionRegistry.set(CompressionType.ZSTD, { decode: (b: Uint8Array) => aligned(zstd(b)) });

/** Whether a column's buffers hold its rows (a corrupt or compressed batch may claim more than it has). */
function holds(d: Data): boolean {
  const end = d.offset + d.length;
  const t = d.type;
  if (DataType.isBool(t)) return (d.values as Uint8Array).length * 8 >= end;
  if (isNumber(t)) return (d.values as ArrayLike<unknown>).length >= end;
  if (DataType.isFixedSizeList(t)) return d.children[0] !== undefined && d.children[0].offset + d.children[0].length >= end * (t as unknown as { listSize: number }).listSize && holds(d.children[0]);
  if (isList(t)) {
    const off = d.valueOffsets as ArrayLike<number | bigint> | undefined;
    return off !== undefined && off.length > end && d.children[0] !== undefined && Number(off[end]) <= d.children[0].offset + d.children[0].length && holds(d.children[0]);
  }
  return true;
}

const isList = (t: DataType) => DataType.isList(t) || DataType.isFixedSizeList(t) || DataType.isLargeList(t);
const isNumber = (t: DataType) => DataType.isInt(t) || DataType.isFloat(t) || DataType.isBool(t);

const isHalf = (t: DataType) => DataType.isFloat(t) && (t as unknown as { precision: Precision }).precision === Precision.HALF;

/**
 * A reader of the numbers of a column's data (a column or a list's values): value at logical index i. `bits`: half
 * floats as their bits (for the kernels to widen), not widened.
 */
function numbers(d: Data, bits = false): (i: number) => number {
  const t = d.type;
  const v = d.values as ArrayLike<number | bigint>;
  const o = d.offset;
  if (DataType.isBool(t)) return (i) => ((d.values as Uint8Array)[(o + i) >> 3] >> ((o + i) & 7)) & 1;
  if (isHalf(t) && !bits) return (i) => halfToNumber(v[o + i] as number);
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return (i) => Number(v[o + i]);
  return (i) => v[o + i] as number;
}

function typeName(t: DataType): string {
  return String(t).replace(/<.*$/s, '');
}

/** Where the pandas metadata says the index columns are. */
function pandasIndex(schema: Schema): string[] {
  try {
    const meta = JSON.parse(schema.metadata.get('pandas') ?? '{}') as { index_columns?: unknown[] };
    return (meta.index_columns ?? []).filter((c): c is string => typeof c === 'string');
  } catch {
    return [];
  }
}

/** A column's cell at row i, as probing sees it. */
function cellAt(d: Data, i: number): Cell {
  if (d.nullCount > 0 && !d.getValid(i)) return null;
  const t = d.type;
  if (isNumber(t)) {
    const v = numbers(d)(i);
    return DataType.isBool(t) ? v === 1 : v;
  }
  if (isList(t)) {
    const { start, end, child } = listSpan(d, i);
    if (!isNumber(child.type)) return null;
    const get = numbers(child);
    return Array.from({ length: end - start }, (_, k) => get(start + k));
  }
  const v = makeVector(d).get(i) as unknown;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : typeof v === 'bigint' ? Number(v) : null;
}

/** The span of list i in its child data. */
function listSpan(d: Data, i: number): { start: number; end: number; child: Data } {
  const child = d.children[0];
  if (DataType.isFixedSizeList(d.type)) {
    const n = (d.type as unknown as { listSize: number }).listSize;
    return { start: (d.offset + i) * n, end: (d.offset + i + 1) * n, child };
  }
  const off = d.valueOffsets as ArrayLike<number | bigint>;
  return { start: Number(off[d.offset + i]), end: Number(off[d.offset + i + 1]), child };
}

/** Probes an Arrow file: its columns (names, lists, dictionaries, pandas' index) and its first rows. */
export function probeArrow(path: string): Table {
  const index = indexArrow(path);
  const fields = index.schema.fields;
  const columns: Column[] = fields.map((f) => ({ name: f.name, list: isList(f.type) }));
  const sample: Cell[][] = [];
  const fd = openSync(path, 'r');
  try {
    let limit = PROBE_ROWS;
    for (let k = 0; k < index.batches.length && sample.length < limit; k++) {
      const batch = loadBatch(path, fd, index, k);
      if (batch.numRows === 0) continue;
      const cols = fields.map((_, j) => batch.data.children[j]);
      cols.forEach((d, j) => {
        if (columns[j].dictionary === undefined && DataType.isDictionary(d.type) && d.dictionary !== undefined) {
          columns[j].dictionary = Array.from(d.dictionary.toArray() as ArrayLike<unknown>, (v) => String(v));
        }
      });
      const width = cols.reduce((a, d, j) => a + (columns[j].list ? Math.max(1, listSpan(d, 0).end - listSpan(d, 0).start) : 1), 0);
      limit = Math.min(limit, Math.max(2, Math.floor(PROBE_CELLS / width)));
      for (let i = 0; i < batch.numRows && sample.length < limit; i++) sample.push(cols.map((d) => cellAt(d, i)));
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw corrupt(path, 0, `corrupt Arrow data (${(e as Error).message})`);
  } finally {
    closeSync(fd);
  }
  return { columns, sample, rows: index.rows, empty: index.rows === 0, indexColumns: pandasIndex(index.schema), firstRow: index.rows === 0 ? path : `${path}: row 1` };
}

/** Copies one selected column of a batch into rows of `out`; returns the values per row it gives. */
type Copier = (from: number, rows: number, out: Out, stride: number, at: number) => void;
type Out = Float32Array | Float64Array | Uint16Array;

export class ArrowReader implements Reader {
  readonly path: string;
  private fd: number;
  private index: ArrowIndex;
  private readonly select: Selection;
  private readonly first: number;
  private readonly last: number;
  /** The next row to read, the batch holding it (loaded), and the first row of the last block. */
  private row: number;
  private k = -1;
  private batch: RecordBatch | null = null;
  private copiers: Copier[] = [];
  private widths: number[] = [];
  private blockStart = 0;
  private out: Out = new Float64Array(0);
  private readonly f32: boolean;
  /** Half-precision columns handed on as their bits (a Source with `halfBits` whose selected columns are all half). */
  private readonly half: 'float16' | undefined;
  readonly total: number;
  cols: number | null = null;

  constructor(src: Source) {
    this.path = src.path;
    this.select = src.select;
    this.index = indexArrow(src.path);
    const fields = this.index.schema.fields;
    const valueType = (c: number) => {
      const f = fields[c];
      if (f === undefined) throw new InputError(this.path, `column ${c + 1} is to be read, but the schema has ${fields.length} columns`);
      const t = isList(f.type) ? f.type.children[0]?.type : f.type;
      if (t === undefined) throw corrupt(this.path, 0, `corrupt Arrow schema: the list column ${JSON.stringify(f.name)} has no value type`);
      return t;
    };
    for (const c of src.select.columns) {
      if (!isNumber(valueType(c)) && src.select.names === null && !src.select.bools) {
        throw new InputError(`${this.path}: column ${JSON.stringify(fields[c].name)}`, `a column of ${typeName(fields[c].type)} is not numbers`);
      }
    }
    // Half floats go on as their bits when the source takes them (the kernels widen them), else are widened exactly
    // to float32; float32 stays float32 (the float32 kernels); anything else is float64.
    const cols = src.select.columns;
    this.half = src.halfBits === true && cols.length > 0 && cols.every((c) => isHalf(valueType(c))) ? 'float16' : undefined;
    this.f32 = cols.every((c) => {
      const t = valueType(c);
      return DataType.isFloat(t) && (t as unknown as { precision: Precision }).precision !== Precision.DOUBLE;
    });
    const range = src.range ?? {};
    this.first = this.row = this.blockStart = range.rowStart ?? 0;
    this.last = Math.min(range.rowEnd ?? this.index.rows, this.index.rows);
    const bytes = this.index.batches.reduce((a, b) => a + b.msg.length, 0);
    this.total = this.index.rows === 0 ? 0 : Math.round((bytes * (this.last - this.first)) / this.index.rows);
    this.fd = openSync(src.path, 'r');
  }

  get done(): number {
    return this.index.rows === 0 ? 0 : Math.round((this.total * (this.row - this.first)) / Math.max(1, this.last - this.first));
  }

  endWhere(): string {
    return `${this.path}: row 1`;
  }

  where(i: number, c?: number): string {
    if (c === undefined) return `${this.path}: row ${this.blockStart + i + 1}`;
    // c is a value of the row: find the column giving it.
    let j = 0;
    while (j < this.widths.length - 1 && c >= this.widths[j]) c -= this.widths[j++];
    const name = this.index.schema.fields[this.select.columns[j]]?.name ?? '';
    const list = this.widths[j] > 1 || isList(this.index.schema.fields[this.select.columns[j]].type);
    return `${this.path}: row ${this.blockStart + i + 1}, column ${JSON.stringify(name)}${list ? `[${c}]` : ''}`;
  }

  /** Makes the batch holding `row` current. */
  private seek(row: number): void {
    if (this.k >= 0 && row >= this.index.batches[this.k].firstRow && row < this.index.batches[this.k].firstRow + this.index.batches[this.k].msg.rows) return;
    let k = this.index.batches.findIndex((b) => row >= b.firstRow && row < b.firstRow + b.msg.rows);
    if (k < 0) k = this.index.batches.length - 1;
    this.k = k;
    this.batch = loadBatch(this.path, this.fd, this.index, k);
    const base = this.index.batches[k].firstRow;
    this.copiers = [];
    const widths: number[] = [];
    for (const c of this.select.columns) {
      const d = this.batch.data.children[c];
      if (d === undefined || d.length < this.batch.numRows || !holds(d)) {
        throw corrupt(this.path, this.index.batches[k].msg.offset, `corrupt Arrow record batch: column ${JSON.stringify(this.index.schema.fields[c]?.name)} does not hold its ${this.batch.numRows} rows`);
      }
      const { copy, width } = this.copier(d, c, base);
      this.copiers.push(copy);
      widths.push(width);
    }
    if (this.cols !== null && widths.some((w, j) => w !== this.widths[j])) {
      const j = widths.findIndex((w, i) => w !== this.widths[i]);
      throw new InputError(`${this.path}: row ${base + 1}, column ${JSON.stringify(this.index.schema.fields[this.select.columns[j]].name)}`,
        `lists of ${widths[j]} values, earlier rows have ${this.widths[j]}`);
    }
    this.widths = widths;
    this.cols = widths.reduce((a, b) => a + b, 0);
  }

  /** How to copy column c of this batch (whose first row is `base`) into rows of a block. */
  private copier(d: Data, c: number, base: number): { copy: Copier; width: number } {
    const name = JSON.stringify(this.index.schema.fields[c].name);
    const at = (i: number, k?: number) => `${this.path}: row ${base + i + 1}, column ${name}${k === undefined ? '' : `[${k}]`}`;
    const valid = (x: Data, i: number, where: () => string) => {
      if (x.nullCount > 0 && !x.getValid(i)) throw new InputError(where(), 'a null (missing) value');
    };
    const t = d.type;
    const bits = this.half !== undefined;
    if (isList(t)) {
      const child = d.children[0];
      const get = numbers(child, bits);
      const first = d.length > 0 ? listSpan(d, 0) : { start: 0, end: 0 };
      const width = first.end - first.start;
      return {
        width,
        copy: (from, rows, out, stride, o) => {
          for (let i = from; i < from + rows; i++) {
            valid(d, i, () => at(i));
            const { start, end } = listSpan(d, i);
            if (end - start !== width) throw new InputError(at(i), `a list of ${end - start} values, earlier rows have ${width}`);
            let p = o + (i - from) * stride;
            for (let s = start; s < end; s++) {
              valid(child, s, () => at(i, s - start));
              out[p++] = get(s);
            }
          }
        },
      };
    }
    if (isNumber(t)) {
      const get = numbers(d, bits);
      return {
        width: 1,
        copy: (from, rows, out, stride, o) => {
          for (let i = from; i < from + rows; i++) {
            valid(d, i, () => at(i));
            out[o + (i - from) * stride] = get(i);
          }
        },
      };
    }
    // Labels: text or dictionary-encoded text, through the names.
    const vector = makeVector(d);
    const names = this.select.names;
    return {
      width: 1,
      copy: (from, rows, out, stride, o) => {
        for (let i = from; i < from + rows; i++) {
          valid(d, i, () => at(i));
          const v = vector.get(i) as unknown;
          const k = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' && this.select.bools ? Number(v) : names?.get(String(v));
          if (k === undefined) {
            throw new InputError(at(i), names === null
              ? `${JSON.stringify(String(v))} is a class name: pass --class-names (in PRED's column order), or name the classes in PRED's columns`
              : `${JSON.stringify(String(v))} is not one of the class names`);
          }
          out[o + (i - from) * stride] = k;
        }
      },
    };
  }

  next(maxRows: number): Block | null {
    try {
      return this.read(maxRows);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`${this.path}: row ${this.row + 1}`, `corrupt Arrow data (${(e as Error).message})`);
    }
  }

  private read(maxRows: number): Block | null {
    if (this.row >= this.last) return null;
    this.blockStart = this.row;
    this.seek(this.row);
    const cols = this.cols!;
    const want = Math.min(maxRows, this.last - this.row);
    if (this.out.length < want * cols) {
      this.out = this.half !== undefined ? new Uint16Array(want * cols) : this.f32 ? new Float32Array(want * cols) : new Float64Array(want * cols);
    }
    let rows = 0;
    while (rows < want) {
      this.seek(this.row);
      if (this.cols !== cols) {
        throw new InputError(this.where(rows), `rows of ${this.cols} values, earlier rows have ${cols}`);
      }
      const b = this.index.batches[this.k];
      const from = this.row - b.firstRow;
      const n = Math.min(want - rows, b.msg.rows - from);
      let o = rows * cols;
      this.copiers.forEach((copy, j) => {
        copy(from, n, this.out, cols, o);
        o += this.widths[j];
      });
      rows += n;
      this.row += n;
    }
    return { data: this.out.subarray(0, rows * cols), rows, cols, ...(this.half === undefined ? {} : { half: this.half }) };
  }

  close(): void {
    closeSync(this.fd);
  }
}
