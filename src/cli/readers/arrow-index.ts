/**
 * The messages of an Arrow IPC file or stream, from their metadata alone (no body is read): the schema, the
 * dictionary batches and the record batches with their rows, checked against the file (arrow-verify.ts checks the
 * metadata's vectors before apache-arrow decodes them), and a record batch decoded from its own bytes.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MessageHeader, type RecordBatch, RecordBatchReader, type Schema } from 'apache-arrow';
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { Message } from 'apache-arrow/ipc/metadata/message';
import { verifyFooter, verifyMessage } from './arrow-verify.js';
import { InputError } from './types.js';

/** A message of the file: where its bytes are, and what it is. */
export interface Msg {
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

export const corrupt = (path: string, offset: number, what: string) => new InputError(`${path}: byte offset ${offset}`, what);

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
export function loadBatch(path: string, fd: number, index: ArrowIndex, k: number): RecordBatch {
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
