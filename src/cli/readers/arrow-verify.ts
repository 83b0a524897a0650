/**
 * Arrow metadata checked before apache-arrow decodes it. Flatbuffers are read without bounds checks, so a corrupt
 * byte can make a vector claim millions of entries that the decoder then walks for minutes: every vector length is
 * checked to fit in the metadata's bytes first (the schema's fields, recursively; a batch's nodes and buffers; the
 * footer's blocks). A problem is returned as text for an InputError.
 */
import { MessageHeader } from 'apache-arrow';
import { DictionaryBatch as FbDictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import type { Field as FbField } from 'apache-arrow/fb/field';
import { Footer as FbFooter } from 'apache-arrow/fb/footer';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { ByteBuffer } from 'flatbuffers';

/** The deepest nesting of fields read (lists of lists of …). */
const MAX_DEPTH = 64;

function checker(bytes: Uint8Array) {
  const fits = (count: number, size: number) => Number.isSafeInteger(count) && count >= 0 && count * size <= bytes.length;
  let budget = bytes.length;
  const field = (f: FbField | null, depth: number): boolean => {
    if (f === null) return true;
    if (depth > MAX_DEPTH || --budget < 0) return false;
    const n = f.childrenLength();
    if (!fits(n, 4) || !fits(f.customMetadataLength(), 4)) return false;
    for (let i = 0; i < n; i++) if (!field(f.children(i), depth + 1)) return false;
    return true;
  };
  const schema = (s: FbSchema | null): boolean => {
    if (s === null) return true;
    const n = s.fieldsLength();
    if (!fits(n, 4) || !fits(s.customMetadataLength(), 4) || !fits(s.featuresLength(), 8)) return false;
    for (let i = 0; i < n; i++) if (!field(s.fields(i), 0)) return false;
    return true;
  };
  const batch = (b: FbRecordBatch | null): boolean =>
    b === null || (fits(b.nodesLength(), 16) && fits(b.buffersLength(), 16) && fits(b.variadicBufferCountsLength(), 8));
  return { fits, schema, batch };
}

/** A message's metadata: null when its vectors fit, else what is wrong. */
export function verifyMessage(meta: Uint8Array): string | null {
  try {
    const c = checker(meta);
    const m = FbMessage.getRootAsMessage(new ByteBuffer(meta));
    if (!c.fits(m.customMetadataLength(), 4)) return 'its custom metadata';
    switch (m.headerType()) {
      case MessageHeader.Schema: return c.schema(m.header(new FbSchema())) ? null : 'its schema';
      case MessageHeader.RecordBatch: return c.batch(m.header(new FbRecordBatch())) ? null : 'its record batch';
      case MessageHeader.DictionaryBatch: {
        const d = m.header(new FbDictionaryBatch()) as FbDictionaryBatch | null;
        return d === null || c.batch(d.data()) ? null : 'its dictionary batch';
      }
      default: return null;
    }
  } catch (e) {
    return (e as Error).message;
  }
}

/** The file format's footer: null when its vectors fit, else what is wrong. */
export function verifyFooter(bytes: Uint8Array): string | null {
  try {
    const c = checker(bytes);
    const f = FbFooter.getRootAsFooter(new ByteBuffer(bytes));
    if (!c.fits(f.dictionariesLength(), 24) || !c.fits(f.recordBatchesLength(), 24) || !c.fits(f.customMetadataLength(), 4)) return 'its block lists';
    return c.schema(f.schema()) ? null : 'its schema';
  } catch (e) {
    return (e as Error).message;
  }
}
