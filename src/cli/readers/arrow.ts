/**
 * Apache Arrow IPC input, read by hand (no dependency): the file format (`ARROW1` magic and a footer indexing the
 * record batches; Feather v2 is this format) and the stream format (encapsulated messages, with or without the
 * 0xFFFFFFFF continuation marker of Arrow >= 0.15), little-endian, uncompressed.
 *
 * Columns: Int (8/16/32/64 bits, signed or unsigned), FloatingPoint (half, single, double) and Bool, and lists of
 * these: FixedSizeList, and List / LargeList whose lists all have the same length. Layout: a file whose only
 * column is a list has one row per list (a row of logits, probabilities or 0/1 targets); otherwise every column
 * must be a number and each column is one value of the row (one column per class; a single integer column holds
 * the labels). Float32 values stay Float32Array (the float32 kernels); everything else becomes Float64Array.
 *
 * Rejected with an InputError: null values (naming the row and column), compressed bodies, dictionary-encoded
 * columns, other column types (strings, decimals, dates, structs…), big-endian data, and truncated or corrupt
 * files.
 *
 * Rows are streamed: the record batches are indexed when the file is opened (their metadata only), and `next`
 * reads just the byte ranges of the requested rows from each buffer, so memory stays bounded by the block size
 * whatever the size of a file or of one of its record batches.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type Block, InputError, type Range, type Reader } from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Flatbuffers: just enough to read tables, structs, vectors and unions, every access bounds-checked.

/** Thrown by Flat on an out-of-bounds access; turned into an InputError naming the file. */
class Corrupt extends Error {}

class Flat {
  private readonly v: DataView;
  constructor(bytes: Uint8Array) {
    this.v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private at(p: number, n: number): number {
    if (!Number.isInteger(p) || p < 0 || p + n > this.v.byteLength) throw new Corrupt();
    return p;
  }
  u8(p: number): number { return this.v.getUint8(this.at(p, 1)); }
  i16(p: number): number { return this.v.getInt16(this.at(p, 2), true); }
  u16(p: number): number { return this.v.getUint16(this.at(p, 2), true); }
  i32(p: number): number { return this.v.getInt32(this.at(p, 4), true); }
  u32(p: number): number { return this.v.getUint32(this.at(p, 4), true); }
  i64(p: number): number {
    const n = this.v.getBigInt64(this.at(p, 8), true);
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Corrupt();
    return Number(n);
  }
  /** The root table. */
  root(): number {
    return this.u32(0);
  }
  /** Position of field `i` of the table at `t`, or 0 when the field is absent (default value). */
  slot(t: number, i: number): number {
    const vt = t - this.i32(t);
    const size = this.u16(vt);
    const o = 4 + 2 * i;
    if (o + 2 > size) return 0;
    const off = this.u16(vt + o);
    return off === 0 ? 0 : t + off;
  }
  int(t: number, i: number, bytes: 1 | 2 | 4 | 8, dflt = 0): number {
    const p = this.slot(t, i);
    if (p === 0) return dflt;
    return bytes === 1 ? this.u8(p) : bytes === 2 ? this.i16(p) : bytes === 4 ? this.i32(p) : this.i64(p);
  }
  table(t: number, i: number): number | null {
    const p = this.slot(t, i);
    return p === 0 ? null : p + this.u32(p);
  }
  /** A vector: position of its first element and its length (elements of `size` bytes inline). */
  vector(t: number, i: number, size: number): { start: number; length: number } | null {
    const p = this.slot(t, i);
    if (p === 0) return null;
    const v = p + this.u32(p);
    const length = this.u32(v);
    this.at(v + 4, length * size);
    return { start: v + 4, length };
  }
  /** Element `k` of a vector of tables. */
  tableAt(start: number, k: number): number {
    const p = start + 4 * k;
    return p + this.u32(p);
  }
  string(t: number, i: number): string | null {
    const v = this.vector(t, i, 1);
    if (v === null) return null;
    return new TextDecoder().decode(new Uint8Array(this.v.buffer, this.v.byteOffset + v.start, v.length));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The schema: which columns, of which types, and how they make rows.

/** Type ids of the Schema.fbs `Type` union, for the names in messages. */
const TYPE_NAMES = [
  'NONE', 'Null', 'Int', 'FloatingPoint', 'Binary', 'Utf8', 'Bool', 'Decimal', 'Date', 'Time', 'Timestamp',
  'Interval', 'List', 'Struct', 'Union', 'FixedSizeBinary', 'FixedSizeList', 'Map', 'Duration', 'LargeBinary',
  'LargeUtf8', 'LargeList', 'RunEndEncoded', 'BinaryView', 'Utf8View', 'ListView', 'LargeListView',
];
const T_INT = 2, T_FLOAT = 3, T_BOOL = 6, T_LIST = 12, T_FIXED_LIST = 16, T_LARGE_LIST = 21;
/** Message header types (Message.fbs `MessageHeader`). */
const H_SCHEMA = 1, H_DICTIONARY = 2, H_RECORD_BATCH = 3;
const HEADER_NAMES = ['NONE', 'Schema', 'DictionaryBatch', 'RecordBatch', 'Tensor', 'SparseTensor'];

/** A number type: its width in bytes (0 for bit-packed Bool) and how to read one value. */
interface Prim {
  name: string;
  bytes: number;
  f32: boolean;
  read: (v: DataView, o: number) => number;
}

function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m === 0 ? s * Infinity : NaN;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const INTS: Record<string, Prim> = {
  i8: { name: 'int8', bytes: 1, f32: false, read: (v, o) => v.getInt8(o) },
  u8: { name: 'uint8', bytes: 1, f32: false, read: (v, o) => v.getUint8(o) },
  i16: { name: 'int16', bytes: 2, f32: false, read: (v, o) => v.getInt16(o, true) },
  u16: { name: 'uint16', bytes: 2, f32: false, read: (v, o) => v.getUint16(o, true) },
  i32: { name: 'int32', bytes: 4, f32: false, read: (v, o) => v.getInt32(o, true) },
  u32: { name: 'uint32', bytes: 4, f32: false, read: (v, o) => v.getUint32(o, true) },
  i64: { name: 'int64', bytes: 8, f32: false, read: (v, o) => Number(v.getBigInt64(o, true)) },
  u64: { name: 'uint64', bytes: 8, f32: false, read: (v, o) => Number(v.getBigUint64(o, true)) },
};
const FLOATS: Prim[] = [
  { name: 'float16', bytes: 2, f32: false, read: (v, o) => half(v.getUint16(o, true)) },
  { name: 'float32', bytes: 4, f32: true, read: (v, o) => v.getFloat32(o, true) },
  { name: 'float64', bytes: 8, f32: false, read: (v, o) => v.getFloat64(o, true) },
];
const BOOL: Prim = { name: 'bool', bytes: 0, f32: false, read: () => 0 };

/**
 * One column of the file. Nodes and buffers of a record batch follow the schema's fields depth-first: a number
 * column has one node and buffers [validity, values]; a list column has its node and buffers [validity] (fixed
 * size) or [validity, offsets], then its child's node and [validity, values].
 */
interface Column {
  name: string;
  prim: Prim;
  list: 'fixed' | 'list' | 'large' | null;
  listSize: number;
  node: number;
  buffer: number;
}

interface Schema {
  columns: Column[];
  nodes: number;
  buffers: number;
}

function describeType(f: Flat, field: number): string {
  const id = f.int(field, 2, 1);
  const t = f.table(field, 3);
  if (id === T_INT) return `Int(bitWidth ${t === null ? 0 : f.int(t, 0, 4)})`;
  if (id === T_FLOAT) return `FloatingPoint(precision ${t === null ? 0 : f.int(t, 0, 2)})`;
  return TYPE_NAMES[id] ?? `type #${id}`;
}

function numberType(f: Flat, field: number): Prim | null {
  const id = f.int(field, 2, 1);
  const t = f.table(field, 3);
  if (id === T_INT) {
    const width = t === null ? 0 : f.int(t, 0, 4);
    const signed = t !== null && f.int(t, 1, 1) !== 0;
    return INTS[`${signed ? 'i' : 'u'}${width}`] ?? null;
  }
  if (id === T_FLOAT) return FLOATS[t === null ? 0 : f.int(t, 0, 2)] ?? null;
  if (id === T_BOOL) return BOOL;
  return null;
}

function parseSchema(path: string, f: Flat, schema: number): Schema {
  if (f.int(schema, 0, 2) !== 0) throw new InputError(path, 'big-endian Arrow data is not supported; write it on a little-endian machine');
  const fields = f.vector(schema, 1, 4);
  if (fields === null || fields.length === 0) throw new InputError(path, 'the Arrow schema has no columns');
  const columns: Column[] = [];
  let nodes = 0;
  let buffers = 0;
  const supported = 'xent reads Int, FloatingPoint and Bool columns, or one FixedSizeList / List / LargeList column of these';
  for (let k = 0; k < fields.length; k++) {
    const field = f.tableAt(fields.start, k);
    const name = f.string(field, 0) ?? '';
    const label = `column ${k + 1} (${JSON.stringify(name)})`;
    if (f.table(field, 4) !== null) {
      throw new InputError(
        path,
        `${label} is dictionary-encoded, which is not supported; write plain values`,
      );
    }
    const id = f.int(field, 2, 1);
    let prim = numberType(f, field);
    if (prim !== null) {
      columns.push({ name, prim, list: null, listSize: 1, node: nodes, buffer: buffers });
      nodes += 1;
      buffers += 2;
      continue;
    }
    if (id !== T_LIST && id !== T_LARGE_LIST && id !== T_FIXED_LIST) {
      throw new InputError(path, `${label} has type ${describeType(f, field)}; ${supported}`);
    }
    const children = f.vector(field, 5, 4);
    if (children === null || children.length !== 1) throw new InputError(path, `${label}: a list type needs exactly one child field`);
    const child = f.tableAt(children.start, 0);
    if (f.table(child, 4) !== null) throw new InputError(path, `${label}: dictionary-encoded list values are not supported`);
    prim = numberType(f, child);
    if (prim === null) throw new InputError(path, `${label} is a list of ${describeType(f, child)}; ${supported}`);
    let listSize = 0;
    if (id === T_FIXED_LIST) {
      const t = f.table(field, 3);
      listSize = t === null ? 0 : f.int(t, 0, 4);
      if (listSize <= 0) throw new InputError(path, `${label}: FixedSizeList of size ${listSize}`);
    }
    const list = id === T_FIXED_LIST ? 'fixed' : id === T_LIST ? 'list' : 'large';
    columns.push({ name, prim, list, listSize, node: nodes, buffer: buffers });
    nodes += 2;
    buffers += list === 'fixed' ? 3 : 4;
  }
  if (columns.length > 1) {
    const l = columns.findIndex((c) => c.list !== null);
    if (l >= 0) {
      throw new InputError(
        path,
        `column ${l + 1} (${JSON.stringify(columns[l].name)}) is a list, but the file has ${columns.length} columns: ` +
          'either one list column (one row per list) or only number columns (one value per column)',
      );
    }
  }
  return { columns, nodes, buffers };
}

// ---------------------------------------------------------------------------------------------------------------
// The file: messages, the footer, the index of record batches.

const MAGIC = 'ARROW1';
const CONTINUATION = 0xffffffff;

/** Where a record batch is: its metadata (the flatbuffer) and its body, and its rows in the file. */
interface BatchRef {
  meta: number;
  metaLength: number;
  body: number;
  bodyLength: number;
  rows: number;
  start: number;
}

/** A record batch's nodes (length, null count) and buffers (offset in the body, length). */
interface Batch {
  ref: BatchRef;
  nodes: Float64Array;
  buffers: Float64Array;
}

class ArrowFile {
  readonly fd: number;
  readonly size: number;
  schema!: Schema;
  batches: BatchRef[] = [];
  rows = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      this.size = fstatSync(this.fd).size;
      const head = this.bytes(0, Math.min(8, this.size));
      if (head.length >= 6 && Buffer.from(head.subarray(0, 6)).toString('latin1') === MAGIC) this.openFile();
      else this.openStream();
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** `length` bytes at `pos`, or an InputError when the file ends first. */
  bytes(pos: number, length: number, what = 'Arrow data'): Uint8Array {
    if (!(pos >= 0 && length >= 0 && pos + length <= Number.MAX_SAFE_INTEGER)) {
      throw new InputError(this.path, `corrupt Arrow IPC: ${what} at byte ${pos} of ${length} bytes`);
    }
    const out = new Uint8Array(length);
    const got = length === 0 ? 0 : readSync(this.fd, out, 0, length, pos);
    if (got < length) {
      throw new InputError(
        this.path,
        `truncated Arrow IPC file: ${what} at byte ${pos} needs ${length} bytes, the file ends at ${this.size}`,
      );
    }
    return out;
  }

  /** Runs `read`, turning an out-of-bounds flatbuffer access into a clear error. */
  guard<T>(what: string, read: () => T): T {
    try {
      return read();
    } catch (e) {
      if (e instanceof Corrupt) throw new InputError(this.path, `corrupt Arrow IPC ${what} (its flatbuffer points outside itself)`);
      throw e;
    }
  }

  /** Parses a flatbuffer. */
  flat<T>(bytes: Uint8Array, what: string, read: (f: Flat) => T): T {
    return this.guard(what, () => read(new Flat(bytes)));
  }

  /**
   * The encapsulated message at `pos`: a 0xFFFFFFFF continuation and an int32 metadata length (or the length
   * alone, before Arrow 0.15), the Message flatbuffer, then the body. Null at the end-of-stream marker or at EOF.
   */
  message(pos: number): { meta: number; metaLength: number; body: number } | null {
    if (pos === this.size) return null;
    if (pos > this.size) {
      throw new InputError(
        this.path,
        `truncated Arrow IPC stream: a message body ends at byte ${pos}, the file at ${this.size}`,
      );
    }
    const pre = this.bytes(pos, Math.min(8, this.size - pos), 'a message prefix');
    if (pre.length < 4) throw new InputError(this.path, `truncated Arrow IPC stream: ${pre.length} stray bytes at byte ${pos}`);
    const dv = new DataView(pre.buffer);
    let meta = pos + 4;
    let len = dv.getInt32(0, true);
    if (dv.getUint32(0, true) === CONTINUATION) {
      if (pre.length < 8) throw new InputError(this.path, `truncated Arrow IPC stream: the message at byte ${pos} lacks its length`);
      len = dv.getInt32(4, true);
      meta = pos + 8;
    }
    if (len === 0) return null;
    if (len < 0 || meta + len > this.size) {
      throw new InputError(
        this.path,
        `truncated or corrupt Arrow IPC: the message at byte ${pos} claims ${len} bytes of metadata, past the end of the file (${this.size} bytes)`,
      );
    }
    return { meta, metaLength: len, body: meta + len };
  }

  /** Reads a message's flatbuffer: its header type, header table and body length. */
  header(meta: number, metaLength: number): { f: Flat; type: number; table: number | null; bodyLength: number; version: number } {
    const bytes = this.bytes(meta, metaLength, 'a message');
    return this.flat(bytes, 'message', (f) => {
      const m = f.root();
      return { f, type: f.int(m, 1, 1), table: f.table(m, 2), bodyLength: f.int(m, 3, 8), version: f.int(m, 0, 2) };
    });
  }

  private checkVersion(version: number): void {
    if (version < 3) {
      throw new InputError(
        this.path,
        `Arrow metadata version V${version + 1} is too old (V4 or later, Arrow >= 0.8, is read)`,
      );
    }
  }

  private schemaOf(f: Flat, table: number | null): Schema {
    if (table === null) throw new InputError(this.path, 'corrupt Arrow IPC: the schema is missing');
    return this.guard('schema', () => parseSchema(this.path, f, table));
  }

  private addBatch(meta: number, metaLength: number, body: number): void {
    const h = this.header(meta, metaLength);
    this.checkVersion(h.version);
    if (h.type === H_DICTIONARY) {
      throw new InputError(
        this.path,
        'dictionary batches are not supported; write plain (not dictionary-encoded) columns',
      );
    }
    if (h.type !== H_RECORD_BATCH || h.table === null) {
      throw new InputError(
        this.path,
        `unexpected Arrow IPC message ${HEADER_NAMES[h.type] ?? `#${h.type}`} at byte ${meta} (expected a RecordBatch)`,
      );
    }
    const rows = this.guard('record batch', () => h.f.int(h.table!, 0, 8));
    if (rows < 0 || h.bodyLength < 0) {
      throw new InputError(
        this.path,
        `corrupt Arrow IPC: a record batch of ${rows} rows and ${h.bodyLength} bytes`,
      );
    }
    if (body + h.bodyLength > this.size) {
      throw new InputError(
        `${this.path}: row ${this.rows + 1}`,
        `truncated Arrow IPC: the record batch of rows ${this.rows + 1}–${this.rows + rows} ends at byte ${body + h.bodyLength}, the file at ${this.size}`,
      );
    }
    this.batches.push({ meta, metaLength, body, bodyLength: h.bodyLength, rows, start: this.rows });
    this.rows += rows;
  }

  /** The file format: magic, (stream), footer flatbuffer, its int32 length, magic. */
  private openFile(): void {
    const tail = this.size >= 16 ? this.bytes(this.size - 10, 10) : new Uint8Array(0);
    if (tail.length < 10 || Buffer.from(tail.subarray(4)).toString('latin1') !== MAGIC) {
      throw new InputError(
        this.path,
        `truncated Arrow IPC file: it starts with ${MAGIC} but does not end with the footer and ${MAGIC} (${this.size} bytes)`,
      );
    }
    const len = new DataView(tail.buffer).getInt32(0, true);
    const start = this.size - 10 - len;
    if (len <= 0 || start < 8) {
      throw new InputError(
        this.path,
        `corrupt Arrow IPC file: footer length ${len} does not fit in ${this.size} bytes`,
      );
    }
    const footer = this.bytes(start, len, 'the footer');
    const blocks = this.flat(footer, 'footer', (f) => {
      const root = f.root();
      this.checkVersion(f.int(root, 0, 2));
      this.schema = this.schemaOf(f, f.table(root, 1));
      const dicts = f.vector(root, 2, 24);
      if (dicts !== null && dicts.length > 0) {
        throw new InputError(
          this.path,
          'dictionary batches are not supported; write plain (not dictionary-encoded) columns',
        );
      }
      const rb = f.vector(root, 3, 24);
      const out: { offset: number; metaLength: number; bodyLength: number }[] = [];
      for (let k = 0; rb !== null && k < rb.length; k++) {
        const p = rb.start + 24 * k;
        out.push({ offset: f.i64(p), metaLength: f.i32(p + 8), bodyLength: f.i64(p + 16) });
      }
      return out;
    });
    for (const b of blocks) {
      if (b.offset < 8 || b.metaLength <= 0 || b.offset + b.metaLength > start) {
        throw new InputError(
          this.path,
          `corrupt Arrow IPC file: the footer points to a record batch at byte ${b.offset} (${b.metaLength} bytes of metadata) outside the file`,
        );
      }
      const m = this.message(b.offset);
      if (m === null || m.body > b.offset + b.metaLength) {
        throw new InputError(
          this.path,
          `corrupt Arrow IPC file: no record batch at byte ${b.offset}`,
        );
      }
      this.addBatch(m.meta, m.metaLength, b.offset + b.metaLength);
    }
  }

  /** The stream format: a Schema message, then record batches, up to the end-of-stream marker or EOF. */
  private openStream(): void {
    const bad = () => new InputError(this.path, `not an Arrow IPC file or stream (no ${MAGIC} magic and no Schema message at the start)`);
    // After a continuation marker, the bytes are a stream and their errors are told as such; without one (a legacy
    // stream, or not Arrow at all), any failure to read a first Schema message means "not Arrow".
    const pre = this.bytes(0, Math.min(4, this.size));
    const marked = pre.length === 4 && new DataView(pre.buffer).getUint32(0, true) === CONTINUATION;
    const orBad = <T>(read: () => T): T => {
      try {
        return read();
      } catch (e) {
        if (e instanceof InputError && !marked) throw bad();
        throw e;
      }
    };
    const first = orBad(() => this.message(0));
    if (first === null) throw bad();
    const h = orBad(() => this.header(first.meta, first.metaLength));
    if (h.type !== H_SCHEMA) throw bad();
    if (h.bodyLength < 0) throw new InputError(this.path, `corrupt Arrow IPC: a Schema message with a body of ${h.bodyLength} bytes`);
    this.checkVersion(h.version);
    this.schema = this.schemaOf(h.f, h.table);
    let pos = first.body + h.bodyLength;
    for (;;) {
      const m = this.message(pos);
      if (m === null) break;
      const before = this.batches.length;
      this.addBatch(m.meta, m.metaLength, m.body);
      pos = m.body + this.batches[before].bodyLength;
    }
  }

  /** A record batch's nodes and buffers, checked against the schema and the body. */
  load(ref: BatchRef): Batch {
    const h = this.header(ref.meta, ref.metaLength);
    const where = `${this.path}: row ${ref.start + 1}`;
    return this.guard('record batch', () => {
      const f = h.f;
      const t = h.table!;
      if (f.table(t, 3) !== null) {
        throw new InputError(this.path, 'LZ4/ZSTD-compressed Arrow IPC is not supported; write uncompressed');
      }
      const nv = f.vector(t, 1, 16);
      const bv = f.vector(t, 2, 16);
      const s = this.schema;
      if (nv === null || bv === null || nv.length !== s.nodes || bv.length !== s.buffers) {
        throw new InputError(
          where,
          `corrupt Arrow IPC: the record batch has ${nv?.length ?? 0} nodes and ${bv?.length ?? 0} buffers, the schema needs ${s.nodes} and ${s.buffers}`,
        );
      }
      const nodes = new Float64Array(2 * nv.length);
      for (let k = 0; k < nodes.length; k++) nodes[k] = f.i64(nv.start + 8 * k);
      const buffers = new Float64Array(2 * bv.length);
      for (let k = 0; k < buffers.length; k++) buffers[k] = f.i64(bv.start + 8 * k);
      for (let k = 0; k < bv.length; k++) {
        if (buffers[2 * k] < 0 || buffers[2 * k + 1] < 0 || buffers[2 * k] + buffers[2 * k + 1] > ref.bodyLength) {
          throw new InputError(where, `corrupt Arrow IPC: buffer ${k + 1} of the record batch lies outside its body`);
        }
      }
      const batch = { ref, nodes, buffers };
      for (const c of s.columns) this.checkColumn(batch, c, where);
      return batch;
    });
  }

  /** Node lengths and buffer sizes of one column (so that reads of rows never fall outside a buffer). */
  private checkColumn(b: Batch, c: Column, where: string): void {
    const rows = b.ref.rows;
    const bad = (what: string) => new InputError(where, `corrupt Arrow IPC: column ${JSON.stringify(c.name)}: ${what}`);
    if (b.nodes[2 * c.node] !== rows) throw bad(`${b.nodes[2 * c.node]} values in a record batch of ${rows} rows`);
    let values = rows;
    let leaf = c.node;
    let valueBuf = c.buffer + 1;
    if (c.list !== null) {
      leaf = c.node + 1;
      valueBuf = c.buffer + (c.list === 'fixed' ? 2 : 3);
      if (c.list === 'fixed') values = rows * c.listSize;
      else {
        const width = c.list === 'list' ? 4 : 8;
        if (rows > 0 && b.buffers[2 * (c.buffer + 1) + 1] < (rows + 1) * width) throw bad('the list offsets buffer is too short');
        values = b.nodes[2 * leaf];
      }
      if (b.nodes[2 * leaf] < values) throw bad(`the list values hold ${b.nodes[2 * leaf]} values, ${values} are needed`);
    }
    const need = c.prim.bytes === 0 ? Math.ceil(values / 8) : values * c.prim.bytes;
    if (b.buffers[2 * valueBuf + 1] < need) throw bad(`the values buffer holds ${b.buffers[2 * valueBuf + 1]} bytes, ${need} are needed`);
  }
}

/** Rows in an Arrow IPC file or stream, from its record batches' metadata (the bodies are not read). */
export function arrowRows(path: string): number {
  const f = new ArrowFile(path);
  f.close();
  return f.rows;
}

// ---------------------------------------------------------------------------------------------------------------
// The reader.

export class ArrowReader implements Reader {
  private readonly file: ArrowFile;
  private readonly columns: Column[];
  private readonly f32: boolean;
  private readonly first: number;
  private readonly last: number;
  private readonly rowBytes: number;
  private row: number;
  private blockStart = 0;
  private batchIndex = 0;
  private batch: Batch | null = null;
  readonly cols: number | null;
  readonly total: number;

  constructor(readonly path: string, range: Range = {}) {
    this.file = new ArrowFile(path);
    try {
      this.columns = this.file.schema.columns;
      this.f32 = this.columns.every((c) => c.prim.f32);
      this.first = this.row = Math.min(range.rowStart ?? 0, this.file.rows);
      this.last = Math.max(this.first, Math.min(range.rowEnd ?? this.file.rows, this.file.rows));
      this.cols = this.listColumns();
      const c0 = this.columns[0];
      const valueBytes = (c: Column) => (c.prim.bytes === 0 ? 1 / 8 : c.prim.bytes);
      this.rowBytes = c0.list === null
        ? this.columns.reduce((s, c) => s + valueBytes(c), 0)
        : (this.cols ?? 0) * valueBytes(c0) + (c0.list === 'list' ? 4 : c0.list === 'large' ? 8 : 0);
      this.total = (this.last - this.first) * this.rowBytes;
    } catch (e) {
      this.file.close();
      throw e;
    }
  }

  /** Rows in the file. */
  get rows(): number {
    return this.file.rows;
  }

  get done(): number {
    return (this.row - this.first) * this.rowBytes;
  }

  /** Values per row: the column count, the FixedSizeList size, or the length of the first list of a List column. */
  private listColumns(): number | null {
    const c = this.columns[0];
    if (c.list === null) return this.columns.length;
    if (c.list === 'fixed') return c.listSize;
    const k = this.file.batches.findIndex((b) => b.rows > 0);
    if (k < 0) return null;
    const b = this.file.load(this.file.batches[k]);
    const o = this.offsets(b, c, 0, 1);
    const n = o[1] - o[0];
    const where = `${this.path}: row ${b.ref.start + 1}`;
    if (n < 0 || o[0] < 0 || o[1] > b.nodes[2 * (c.node + 1)]) {
      throw new InputError(where, 'corrupt Arrow IPC: list offsets outside the list values');
    }
    if (n === 0) throw new InputError(where, 'an empty list; every row needs at least one value');
    return n;
  }

  where(i: number, c?: number): string {
    return `${this.path}: row ${this.blockStart + i + 1}${c === undefined ? '' : `, column ${c + 1}`}`;
  }

  /** The record batch holding row `row` of the file (batches are visited in order; the first one is searched). */
  private batchFor(row: number): Batch {
    const list = this.file.batches;
    if (this.batch === null) {
      let lo = 0;
      let hi = list.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (list[mid].start <= row) lo = mid;
        else hi = mid - 1;
      }
      this.batchIndex = lo;
    }
    while (list[this.batchIndex].start + list[this.batchIndex].rows <= row) {
      this.batchIndex++;
      this.batch = null;
    }
    this.batch ??= this.file.load(list[this.batchIndex]);
    return this.batch;
  }

  next(maxRows: number): Block | null {
    const rows = Math.min(maxRows, this.last - this.row);
    if (rows <= 0) return null;
    const cols = this.cols!;
    // The first batch is loaded (and checked against the schema) before the block is allocated.
    this.batchFor(this.row);
    const data = this.f32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
    let filled = 0;
    while (filled < rows) {
      const b = this.batchFor(this.row);
      const local = this.row - b.ref.start;
      const n = Math.min(rows - filled, b.ref.rows - local);
      this.readRows(b, local, local + n, data, filled * cols, cols);
      filled += n;
      this.row += n;
    }
    this.blockStart = this.row - rows;
    return { data, rows, cols };
  }

  /** Rows [r0, r1) of batch `b` into `out` from `at`, row-major with `cols` values per row. */
  private readRows(b: Batch, r0: number, r1: number, out: Float32Array | Float64Array, at: number, cols: number): void {
    const c0 = this.columns[0];
    if (c0.list === null) {
      for (let k = 0; k < this.columns.length; k++) {
        const c = this.columns[k];
        this.checkNulls(b, c.node, c.buffer, r0, r1, (e) => [e, k], c);
        this.values(b, c, c.buffer + 1, r0, r1, out, at + k, cols);
      }
      return;
    }
    this.checkNulls(b, c0.node, c0.buffer, r0, r1, (e) => [e, undefined], c0);
    let e0 = r0 * c0.listSize;
    if (c0.list !== 'fixed') {
      const o = this.offsets(b, c0, r0, r1);
      for (let r = 0; r < r1 - r0; r++) {
        const n = o[r + 1] - o[r];
        if (n < 0) throw new InputError(`${this.path}: row ${b.ref.start + r0 + r + 1}`, 'corrupt Arrow IPC: decreasing list offsets');
        if (n !== cols) {
          throw new InputError(
            `${this.path}: row ${b.ref.start + r0 + r + 1}`,
            `a list of ${n} values, but the first row has ${cols}; a List column must hold equally long lists (or write a FixedSizeList)`,
          );
        }
      }
      e0 = o[0];
      if (e0 < 0 || e0 + (r1 - r0) * cols > b.nodes[2 * (c0.node + 1)]) {
        throw new InputError(`${this.path}: row ${b.ref.start + r0 + 1}`, 'corrupt Arrow IPC: list offsets point past the list values');
      }
    }
    const e1 = e0 + (r1 - r0) * cols;
    const valueBuf = c0.buffer + (c0.list === 'fixed' ? 1 : 2);
    this.checkNulls(b, c0.node + 1, valueBuf, e0, e1, (e) => [r0 + Math.floor((e - e0) / cols), (e - e0) % cols], c0);
    this.values(b, c0, valueBuf + 1, e0, e1, out, at, 1);
  }

  /** Bytes [start, start + length) of buffer `buf` of batch `b`. */
  private slice(b: Batch, buf: number, start: number, length: number): Uint8Array {
    return this.file.bytes(b.ref.body + b.buffers[2 * buf] + start, length, 'a record batch buffer');
  }

  /** Offsets r0..r1 (inclusive) of a List / LargeList column. */
  private offsets(b: Batch, c: Column, r0: number, r1: number): number[] {
    const width = c.list === 'large' ? 8 : 4;
    const bytes = this.slice(b, c.buffer + 1, r0 * width, (r1 - r0 + 1) * width);
    const v = new DataView(bytes.buffer);
    const out: number[] = [];
    for (let k = 0; k <= r1 - r0; k++) out.push(width === 4 ? v.getInt32(k * width, true) : Number(v.getBigInt64(k * width, true)));
    return out;
  }

  /**
   * Throws at the first null among values [e0, e1) of node `node` (validity bitmap: buffer `buf`); `at` maps a
   * value index to its row in the batch and its column (undefined for a null list).
   */
  private checkNulls(
    b: Batch, node: number, buf: number, e0: number, e1: number, at: (e: number) => [number, number | undefined], c: Column,
  ): void {
    if (b.nodes[2 * node + 1] === 0 || e1 <= e0) return;
    const len = b.buffers[2 * buf + 1];
    const first = Math.floor(e0 / 8);
    const bits = this.slice(b, buf, first, Math.max(0, Math.min(Math.ceil(e1 / 8), len) - first));
    for (let e = e0; e < e1; e++) {
      const byte = (e >> 3) - first;
      if (byte < bits.length && (bits[byte] >> (e & 7)) & 1) continue;
      const [r, col] = at(e);
      const row = b.ref.start + r + 1;
      const name = JSON.stringify(c.name);
      if (col === undefined) throw new InputError(`${this.path}: row ${row}, column 1`, `null list in ${name}; every row needs its values`);
      const what = c.list === null ? `null value in ${name}` : `null value in the list ${name}`;
      throw new InputError(`${this.path}: row ${row}, column ${col + 1}`, `${what}; every value must be present`);
    }
  }

  /** Values [e0, e1) of column `c` (values buffer `buf`) into `out[at + k * stride]`. */
  private values(
    b: Batch, c: Column, buf: number, e0: number, e1: number, out: Float32Array | Float64Array, at: number, stride: number,
  ): void {
    const n = e1 - e0;
    const p = c.prim;
    if (p.bytes === 0) {
      const first = e0 >> 3;
      const bits = this.slice(b, buf, first, Math.ceil(e1 / 8) - first);
      for (let k = 0; k < n; k++) {
        const e = e0 + k;
        out[at + k * stride] = (bits[(e >> 3) - first] >> (e & 7)) & 1;
      }
      return;
    }
    const direct = stride === 1 && ((p.f32 && out instanceof Float32Array) || (p.name === 'float64' && out instanceof Float64Array));
    if (direct) {
      const dst = new Uint8Array(out.buffer, out.byteOffset + at * out.BYTES_PER_ELEMENT, n * p.bytes);
      const pos = b.ref.body + b.buffers[2 * buf] + e0 * p.bytes;
      const got = readSync(this.file.fd, dst, 0, dst.length, pos);
      if (got < dst.length) throw new InputError(this.path, 'truncated Arrow IPC file (it shrank while being read)');
      return;
    }
    const bytes = this.slice(b, buf, e0 * p.bytes, n * p.bytes);
    const v = new DataView(bytes.buffer);
    for (let k = 0; k < n; k++) out[at + k * stride] = p.read(v, k * p.bytes);
  }

  close(): void {
    this.file.close();
  }
}
