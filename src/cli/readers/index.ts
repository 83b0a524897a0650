/**
 * The readers by format. Arrow and Parquet pull in their decoders (apache-arrow, hyparquet and their codecs): those
 * modules are imported only when such a file is read, so that `xent eval` on text or .npy starts as fast as ever.
 */
import { NpyReader, npyRows, probeNpy } from './npy.js';
import { countTextRows, probeDelimited, probeJsonLines } from './probe-text.js';
import { TextReader } from './text.js';
import { type Format, type Reader, type Source, type Table } from './types.js';

const arrow = () => import('./arrow.js');
const parquet = () => import('./parquet.js');

/** What the user says about how to read a file (overriding what probing finds). */
export interface ReadHints {
  delimiter?: string;
  header?: boolean;
  half?: Source['half'];
}

/** The columns and first rows of a file. */
export async function probe(path: string, format: Format, hints: ReadHints): Promise<Table> {
  switch (format) {
    case 'npy': return probeNpy(path, hints.half);
    case 'arrow': return (await arrow()).probeArrow(path);
    case 'parquet': return (await parquet()).probeParquet(path);
    case 'jsonl': return probeJsonLines(path);
    case 'tsv': return probeDelimited(path, { ...hints, delimiter: '\t' });
    default: return probeDelimited(path, hints);
  }
}

/** Rows of a file: from the metadata of binary formats, by a scan of text (less `header` lines). */
export async function countRows(path: string, format: Format, header: boolean): Promise<number> {
  switch (format) {
    case 'npy': return npyRows(path);
    case 'arrow': return (await arrow()).arrowRows(path);
    case 'parquet': return (await parquet()).parquetRows(path);
    default: return (await countTextRows(path)) - (header ? 1 : 0);
  }
}

/**
 * Opens a reader of the source's selection. `stage`: rows per block that an .npy reader reads straight into the
 * kernels' memory (see NpyReader).
 */
export async function openReader(src: Source, stage = 0): Promise<Reader> {
  switch (src.format) {
    case 'npy': return new NpyReader(src, stage);
    case 'arrow': return new (await arrow()).ArrowReader(src);
    case 'parquet': return new (await parquet()).ParquetReader(src);
    default: {
      const dialect = src.dialect ?? { delimiter: src.format === 'tsv' ? '\t' : ',', header: false };
      return TextReader.open(src.path, src.format === 'jsonl' ? 'jsonl' : 'text', src.select, dialect, src.keys ?? null, src.range);
    }
  }
}

export { type Block, type Format, InputError, type Range, type Reader, type Source, formatOf, isGzip } from './types.js';
