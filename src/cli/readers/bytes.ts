/**
 * The bytes of a text file, in order: straight from the file (a range of it, for a `--threads` part) or, for a
 * `.gz` file, streamed through node:zlib's gunzip (multi-member files too), so memory stays bounded either way.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError, isGzip } from './types.js';

/** Node's streams and zlib, loaded for gzip input only (loading them costs every other run ~10 ms of start-up). */
const streams = async () => ({ ...(await import('node:zlib')), createReadStream: (await import('node:fs')).createReadStream });

export interface ByteSource {
  /** Reads up to `length` bytes into `buf` (from 0); 0 at the end. */
  read(buf: Buffer, length: number): number | Promise<number>;
  /** Bytes of the file consumed so far (compressed bytes for gzip) and in total (of the range). */
  readonly done: number;
  readonly total: number;
  /** The first bytes, for the byte-order mark (the first `n` bytes of the text; may be fewer). */
  head(n: number): Buffer | Promise<Buffer>;
  close(): void;
}

class FileBytes implements ByteSource {
  private fd: number;
  private pos: number;
  private readonly start: number;
  private readonly end: number;

  constructor(path: string, start: number, end: number | undefined) {
    this.fd = openSync(path, 'r');
    const size = fstatSync(this.fd).size;
    this.start = this.pos = start;
    this.end = Math.min(end ?? size, size);
  }

  get done(): number {
    return this.pos - this.start;
  }

  get total(): number {
    return this.end - this.start;
  }

  head(n: number): Buffer {
    const b = Buffer.alloc(n);
    return b.subarray(0, readSync(this.fd, b, 0, n, 0));
  }

  /** Moves the start past `n` bytes (a byte-order mark). */
  skip(n: number): void {
    this.pos += n;
  }

  read(buf: Buffer, length: number): number {
    const want = Math.min(length, this.end - this.pos);
    const n = want > 0 ? readSync(this.fd, buf, 0, want, this.pos) : 0;
    this.pos += n;
    return n;
  }

  close(): void {
    closeSync(this.fd);
  }
}

class GzipBytes implements ByteSource {
  private file: import('node:fs').ReadStream;
  private chunks: AsyncIterator<Buffer>;
  private pending: Buffer | null = null;
  private ended = false;
  readonly total: number;

  constructor(private readonly path: string, { createReadStream, createGunzip }: Awaited<ReturnType<typeof streams>>) {
    this.total = statSize(path);
    this.file = createReadStream(path);
    const gunzip = createGunzip();
    this.file.on('error', (e) => gunzip.destroy(e));
    this.chunks = this.file.pipe(gunzip)[Symbol.asyncIterator]();
  }

  get done(): number {
    return this.file.bytesRead;
  }

  async head(n: number): Promise<Buffer> {
    await this.more();
    return this.pending === null ? Buffer.alloc(0) : this.pending.subarray(0, n);
  }

  /** Moves past `n` bytes of the decompressed text (a byte-order mark, which head() returned). */
  skip(n: number): void {
    if (this.pending !== null) this.pending = this.pending.subarray(n);
  }

  private async more(): Promise<void> {
    while (!this.ended && (this.pending === null || this.pending.length === 0)) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.chunks.next();
      } catch (e) {
        throw new InputError(this.path, `not valid gzip data (${(e as Error).message})`);
      }
      if (r.done === true) this.ended = true;
      else this.pending = r.value;
    }
  }

  async read(buf: Buffer, length: number): Promise<number> {
    await this.more();
    if (this.pending === null || this.pending.length === 0) return 0;
    const n = Math.min(length, this.pending.length);
    this.pending.copy(buf, 0, 0, n);
    this.pending = this.pending.subarray(n);
    return n;
  }

  close(): void {
    this.file.destroy();
  }
}

function statSize(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/**
 * The bytes of `path` from `start` to `end` (a `.gz` file: all of its text), past a UTF-8 byte-order mark at the
 * start of the file; UTF-16 text is an InputError.
 */
export async function openBytes(path: string, start = 0, end?: number): Promise<ByteSource> {
  const src = isGzip(path) ? new GzipBytes(path, await streams()) : new FileBytes(path, start, end);
  if (start > 0) return src;
  try {
    const head = await src.head(3);
    if (head.length === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) src.skip(3);
    else if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) {
      throw new InputError(`${path}:1:1`, 'UTF-16 text is not supported: save the file as UTF-8');
    }
  } catch (e) {
    src.close();
    throw e;
  }
  return src;
}
