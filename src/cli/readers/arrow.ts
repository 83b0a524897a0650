/**
 * Apache Arrow IPC input (the file format, Feather v2, and the stream format, with or without the continuation
 * marker of Arrow >= 0.15), decoded by the apache-arrow package with LZ4-frame (lz4js) and ZSTD (fzstd) codecs for
 * compressed bodies: every column type Arrow has, dictionaries (categorical labels) and null bitmaps.
 *
 * Record batches are read one at a time: the file is indexed once by walking its messages' metadata (never the
 * bodies), and a batch is decoded from its own bytes behind the schema and the dictionary batches before it. Memory
 * is one record batch (pyarrow writes up to 64 Ki rows a batch by default), whatever the size of the file, and a
 * `--threads` part decodes only the batches its rows are in.
 *
 * Columns: numbers (Int, Float including half, Bool) give one value each; lists (List, LargeList, FixedSizeList of
 * numbers) give their whole list (all lists of a column must have the same length); text and dictionary columns are
 * class-name labels, read through the selection's names. A null in a selected column is an InputError naming its
 * row and column.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  type Data, DataType, MessageHeader, Precision, type RecordBatch, RecordBatchReader, type Schema, compressionRegistry,
  CompressionType, makeVector,
} from 'apache-arrow';
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { Message } from 'apache-arrow/ipc/metadata/message';
import { decompress as zstd } from 'fzstd';
import { verifyFooter, verifyMessage } from './arrow-verify.js';
import * as lz4 from 'lz4js';
import { halfToNumber } from './npy-dtypes.js';
import { type Block, type Cell, type Column, InputError, type Reader, type Selection, type Source, type Table } from './types.js';

/** A decoded buffer at offset 0 of its own memory: apache-arrow views it as 64-bit numbers, which must be aligned. */
const aligned = (b: Uint8Array) => (b.byteOffset % 8 === 0 ? b : b.slice());
compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (b: Uint8Array) => aligned(lz4.decompress(b)) });
compressionRegistry.set(CompressionType.ZSTD, { decode: (b: Uint8Array) => aligned(zstd(b)) });

/** A message of the file: where its bytes are, and what it is. */
interface Msg {
  offset: number;
  length: number;
  type: MessageHeader;
  /** Record batches: rows. */
  rows: number;
}

/** The messages of an Arrow file, from its metadata alone; schema, dictionaries and record batches. */
export interface ArrowIndex {
  schema: Schema;
  /** The schema as a stream message: where it is in the file, or its bytes (the file format keeps it in the footer). */
  schemaMsg: Msg | Uint8Array;
  /** Dictionary batches and record batches in file order. */
  messages: Msg[];
  batches: { msg: Msg; firstRow: number; dicts: number }[];
  rows: number;
}

const corrupt = (path: string, offset: number, what: string) => new InputError(`${path}: byte offset ${offset}`, what);

/**
 * Indexes an Arrow IPC file (by its footer) or stream (by walking its messages: continuation marker, length,
 * metadata, body). apache-arrow decodes metadata lazily, and throws what it throws on corrupt bytes: anything but an
 * InputError becomes one, at the last offset read.
 */
export function indexArrow(path: string): ArrowIndex {
  const fd = openSync(path, 'r');
  let here = 0;
  try {
    return indexOpen(path, fd, (at) => (here = at));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw corrupt(path, here, `corrupt Arrow metadata (${(e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

function indexOpen(path: string, fd: number, mark: (at: number) => void): ArrowIndex {
  const size = fstatSync(fd).size;
  const read = (at: number, n: number) => {
    mark(at);
    const b = Buffer.alloc(n);
    if (readSync(fd, b, 0, n, at) < n) throw corrupt(path, at, `truncated Arrow data: ${n} bytes wanted here, the file has ${size}`);
    return b;
  };
  if (size === 0) throw corrupt(path, 0, 'an empty file (0 bytes), not Arrow IPC data');
  const magic = size >= 6 ? read(0, 6).toString('latin1') : '';
  if (magic === 'ARROW1' && (size < 14 || read(size - 6, 6).toString('latin1') !== 'ARROW1')) {
    throw corrupt(path, size, 'truncated Arrow IPC file: it does not end with ARROW1 (the footer is missing)');
  }
  if (magic === 'ARROW1') return indexFile(path, size, read);
  let at = 0;
  let schemaMsg: Msg | null = null;
  let schema: Schema | null = null;
  const messages: Msg[] = [];
  const batches: ArrowIndex['batches'] = [];
  let rows = 0;
  while (at + 4 <= size) {
    const start = at;
    const marker = read(at, 4).readInt32LE(0);
    if (marker === 0 || (marker === -1 && at + 8 <= size && read(at + 4, 4).readInt32LE(0) === 0)) break;
    let m: Message;
    try {
      ({ m, body: at } = messageAt(path, start, (o, n) => {
        if (o + n > size) throw corrupt(path, start, `truncated or corrupt Arrow message (${n} bytes of metadata, past the end of the file)`);
        return read(o, n);
      }));
    } catch (e) {
      // A file that starts with neither the magic nor the continuation marker, and no readable message either.
      if (start === 0 && marker !== -1 && e instanceof InputError) throw corrupt(path, 0, 'not Arrow IPC data (no ARROW1 magic, and no message here)');
      throw e;
    }
    const end = at + m.bodyLength;
    if (end > size) throw corrupt(path, start, `truncated Arrow file: a message's body of ${m.bodyLength} bytes runs past the end of the file`);
    const msg: Msg = { offset: start, length: end - start, type: m.headerType, rows: 0 };
    if (m.isSchema()) {
      if (schema !== null) throw corrupt(path, start, 'a second schema in the stream');
      schema = m.header() as Schema;
      schemaMsg = msg;
    } else if (schema === null) throw corrupt(path, start, 'an Arrow message before the schema');
    else if (m.isRecordBatch()) {
      msg.rows = batchRows(path, start, m);
      batches.push({ msg, firstRow: rows, dicts: messages.length });
      rows += msg.rows;
      messages.push(msg);
    } else if (m.isDictionaryBatch()) messages.push(msg);
    at = end;
  }
  if (schema === null || schemaMsg === null) throw corrupt(path, 0, 'not Arrow IPC data: no schema message');
  return { schema, schemaMsg, messages, batches, rows };
}

/**
 * A record batch's rows, checked against its body: uncompressed, every row takes at least a bit, so a length the
 * body cannot hold is corrupt (rather than hours of reading nothing).
 */
function batchRows(path: string, offset: number, m: Message): number {
  const h = m.header() as { length: number; nodes: { length: number }[] };
  const bound = m.compression === null ? 8 * m.bodyLength + 64 : Number.MAX_SAFE_INTEGER;
  for (const n of [h, ...h.nodes]) {
    if (!Number.isSafeInteger(n.length) || n.length < 0 || n.length > bound) {
      throw corrupt(path, offset, `corrupt Arrow record batch: ${n.length} values in a body of ${m.bodyLength} bytes`);
    }
  }
  return h.length;
}

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

/** A message's metadata at `offset` (continuation marker or not, then the length): decoded, and where its body starts. */
function messageAt(path: string, offset: number, read: (at: number, n: number) => Buffer): { m: Message; body: number } {
  let at = offset;
  let len = read(at, 4).readInt32LE(0);
  at += 4;
  if (len === -1) {
    len = read(at, 4).readInt32LE(0);
    at += 4;
  }
  if (len <= 0) throw corrupt(path, offset, `corrupt Arrow message (metadata of ${len} bytes)`);
  const meta = read(at, len);
  const problem = verifyMessage(meta);
  if (problem !== null) throw corrupt(path, offset, `corrupt Arrow message metadata (${problem})`);
  try {
    return { m: Message.decode(meta), body: at + len };
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw corrupt(path, offset, `corrupt Arrow message metadata (${(e as Error).message})`);
  }
}

/** The IPC file format (Feather v2): the footer lists the schema, the dictionary batches and the record batches. */
function indexFile(path: string, size: number, read: (at: number, n: number) => Buffer): ArrowIndex {
  const len = read(size - 10, 4).readInt32LE(0);
  if (len <= 0 || len > size - 18) throw corrupt(path, size - 10, `corrupt Arrow IPC file: a footer of ${len} bytes`);
  let footer: Footer;
  const bytes = read(size - 10 - len, len);
  const problem = verifyFooter(bytes);
  if (problem !== null) throw corrupt(path, size - 10 - len, `corrupt Arrow IPC footer (${problem})`);
  try {
    footer = Footer.decode(bytes);
  } catch (e) {
    throw corrupt(path, size - 10 - len, `corrupt Arrow IPC footer (${(e as Error).message})`);
  }
  const block = (b: { offset: number; metaDataLength: number; bodyLength: number }, type: MessageHeader): Msg => {
    const offset = Number(b.offset);
    const length = b.metaDataLength + Number(b.bodyLength);
    if (!(offset >= 8 && length > 0 && offset + length <= size)) throw corrupt(path, offset, 'truncated or corrupt Arrow IPC file: a block runs past the end');
    const { m } = messageAt(path, offset, read);
    if (m.headerType !== type) throw corrupt(path, offset, `corrupt Arrow IPC file: the footer lists a ${MessageHeader[m.headerType]} message as a ${MessageHeader[type]}`);
    return { offset, length, type, rows: m.isRecordBatch() ? batchRows(path, offset, m) : 0 };
  };
  const messages = [...footer.dictionaryBatches()].map((b) => block(b, MessageHeader.DictionaryBatch));
  const batches: ArrowIndex['batches'] = [];
  let rows = 0;
  for (const b of footer.recordBatches()) {
    const msg = block(b, MessageHeader.RecordBatch);
    batches.push({ msg, firstRow: rows, dicts: messages.length });
    messages.push(msg);
    rows += msg.rows;
  }
  // The schema as a stream message (continuation marker, length, metadata padded to 8 bytes).
  const meta = Message.encode(Message.from(footer.schema));
  const padded = (meta.length + 7) & ~7;
  const schemaMsg = new Uint8Array(8 + padded);
  const view = new DataView(schemaMsg.buffer);
  view.setInt32(0, -1, true);
  view.setInt32(4, padded, true);
  schemaMsg.set(meta, 8);
  return { schema: footer.schema, schemaMsg, messages, batches, rows };
}

/** Rows of an Arrow file (from its metadata). */
export const arrowRows = (path: string): number => indexArrow(path).rows;

/** Decodes record batch `k`: its bytes behind the schema and the dictionary batches before it, as one stream. */
function loadBatch(path: string, fd: number, index: ArrowIndex, k: number): RecordBatch {
  const b = index.batches[k];
  const schema = index.schemaMsg;
  const parts = [...(schema instanceof Uint8Array ? [] : [schema]), ...index.messages.slice(0, b.dicts).filter((m) => m.type === MessageHeader.DictionaryBatch), b.msg];
  const head = schema instanceof Uint8Array ? schema.length : 0;
  const bytes = Buffer.alloc(head + parts.reduce((a, m) => a + m.length, 0) + 8);
  if (schema instanceof Uint8Array) bytes.set(schema, 0);
  let at = head;
  for (const m of parts) {
    readSync(fd, bytes, at, m.length, m.offset);
    at += m.length;
  }
  bytes.writeInt32LE(-1, at); // end of stream
  try {
    const reader = RecordBatchReader.from(bytes);
    const batch = reader.next().value as RecordBatch | undefined;
    if (batch === undefined) throw new Error('no record batch decoded');
    return batch;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw corrupt(path, b.msg.offset, `cannot decode this Arrow record batch: ${(e as Error).message}`);
  }
}

const isList = (t: DataType) => DataType.isList(t) || DataType.isFixedSizeList(t) || DataType.isLargeList(t);
const isNumber = (t: DataType) => DataType.isInt(t) || DataType.isFloat(t) || DataType.isBool(t);

/** A reader of the numbers of a column's data (a column or a list's values): value at logical index i. */
function numbers(d: Data): (i: number) => number {
  const t = d.type;
  const v = d.values as ArrayLike<number | bigint>;
  const o = d.offset;
  if (DataType.isBool(t)) return (i) => ((d.values as Uint8Array)[(o + i) >> 3] >> ((o + i) & 7)) & 1;
  if (DataType.isFloat(t) && (t as unknown as { precision: Precision }).precision === Precision.HALF) return (i) => halfToNumber(v[o + i] as number);
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
    let limit = 1000;
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
      limit = Math.min(limit, Math.max(2, Math.floor((1 << 17) / width)));
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
type Copier = (from: number, rows: number, out: Float32Array | Float64Array, stride: number, at: number) => void;

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
  private out: Float32Array | Float64Array = new Float64Array(0);
  private readonly f32: boolean;
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
    // float32 stays float32 (the float32 kernels), as do half floats, widened exactly; anything else is float64.
    this.f32 = src.select.columns.every((c) => {
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
    if (isList(t)) {
      const child = d.children[0];
      const get = numbers(child);
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
      const get = numbers(d);
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
    if (this.out.length < want * cols) this.out = this.f32 ? new Float32Array(want * cols) : new Float64Array(want * cols);
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
    return { data: this.out.subarray(0, rows * cols), rows, cols };
  }

  close(): void {
    closeSync(this.fd);
  }
}
