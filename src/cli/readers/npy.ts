/**
 * NumPy .npy (format versions 1–3), streamed by rows: float32 stays Float32Array (the float32 kernels), every other
 * dtype (float64, signed and unsigned integers, bool) becomes Float64Array. C order only; 1-D arrays are one value
 * per row. Errors name the place: `byte offset N` in the header (magic, version, dtype, shape) and for bytes the
 * header's shape does not account for, `row R, column C` in the data (a truncated file, a bad value).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type WasmArray, allocate } from '../../api/memory.js';
import { DTYPES, type Dtype } from './npy-dtypes.js';
import { type Block, InputError, type Range, type Reader } from './types.js';

export interface NpyHeader {
  rows: number;
  cols: number;
  descr: string;
  dataOffset: number;
  rowBytes: number;
  /** Byte offset of the header's 'shape' entry (for messages). */
  shapeAt: number;
}

/** The longest .npy header read (NumPy writes a few hundred bytes, and reads at most 10,000 by default). */
const MAX_HEADER = 1 << 16;

/** Why a descr other than the little-endian numbers of DTYPES is refused. */
function dtypeProblem(descr: string): string {
  const kind = descr.replace(/^[<>|=]/, '')[0];
  if (descr[0] === '>' && DTYPES[descr.slice(1)] !== undefined) {
    return `dtype ${descr} is big-endian, which is not supported: save little-endian data (a.astype('<${descr.slice(1)}'))`;
  }
  const what = kind === 'c' ? 'complex numbers' : kind === 'O' ? 'Python objects' : kind === 'U' || kind === 'S' || kind === 'a'
    ? 'strings' : kind === 'M' || kind === 'm' ? 'dates or time deltas' : kind === 'V' ? 'raw or structured records' : null;
  return `dtype ${descr}${what === null ? '' : ` (${what})`} is not supported: xent reads little-endian float32/float64/int/uint/bool`;
}

export function readNpyHeader(path: string): NpyHeader {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const at = (offset: number) => `${path}: byte offset ${offset}`;
    if (size === 0) throw new InputError(at(0), 'an empty file (0 bytes), not a NumPy .npy file');
    const pre = Buffer.alloc(12);
    const got = readSync(fd, pre, 0, 12, 0);
    const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
    const bad = pre.subarray(0, Math.min(got, 6)).findIndex((b, i) => b !== magic[i]);
    if (bad >= 0) throw new InputError(at(bad), 'not a NumPy .npy file (it does not start with \\x93NUMPY)');
    if (got < 10) throw new InputError(at(got), `truncated .npy header (the file ends after ${size} bytes)`);
    const major = pre[6];
    if (major < 1 || major > 3) throw new InputError(at(6), `.npy format version ${major}.${pre[7]} is not supported (1.0 to 3.0 are)`);
    const wide = major >= 2;
    if (wide && got < 12) throw new InputError(at(got), `truncated .npy header (the file ends after ${size} bytes)`);
    const len = wide ? pre.readUInt32LE(8) : pre.readUInt16LE(8);
    const start = wide ? 12 : 10;
    // NumPy itself refuses headers over 10,000 bytes (np.load's max_header_size); a huge one is not read into memory.
    if (len > MAX_HEADER) throw new InputError(at(8), `the header length says ${len} bytes; xent reads .npy headers of at most ${MAX_HEADER}`);
    if (start + len > size) throw new InputError(at(size), `truncated .npy header (${len} bytes promised, ${size - start} present)`);
    const hb = Buffer.alloc(len);
    readSync(fd, hb, 0, len, start);
    const enc = major >= 3 ? 'utf8' : 'latin1';
    const h = hb.toString(enc);
    /** Byte offset in the file of character `i` of the header text. */
    const pos = (i: number) => start + Buffer.byteLength(h.slice(0, Math.max(0, i)), enc);
    const key = (name: string) => pos(h.indexOf(`'${name}'`));
    if (/'descr'\s*:\s*\[/.test(h)) throw new InputError(at(key('descr')), 'structured dtypes (records) are not supported');
    const descr = /'descr'\s*:\s*'([^']+)'/.exec(h)?.[1];
    const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(h)?.[1];
    const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(h)?.[1];
    if (descr === undefined || fortran === undefined || shapeText === undefined) {
      throw new InputError(at(start), `unreadable .npy header: ${JSON.stringify(h.trim().slice(0, 120))}`);
    }
    if (fortran === 'True') {
      throw new InputError(at(key('fortran_order')), 'Fortran-order (column-major) arrays are not supported; save with np.ascontiguousarray');
    }
    const shapeAt = key('shape');
    const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
    if (dims.length === 0 || dims.length > 2 || dims.some((d) => !Number.isSafeInteger(d) || d < 0) || dims[1] === 0) {
      throw new InputError(at(shapeAt), `shape (${shapeText}) is not supported: expected (rows,) or (rows, classes)`);
    }
    const dt = DTYPES[descr.slice(1)];
    if (dt === undefined || (descr[0] !== '<' && descr[0] !== '|' && descr[0] !== '=')) {
      throw new InputError(at(key('descr')), dtypeProblem(descr));
    }
    const rows = dims[0];
    const cols = dims.length === 2 ? dims[1] : 1;
    const rowBytes = cols * dt.size;
    const dataOffset = start + len;
    const have = size - dataOffset;
    const need = rows * rowBytes;
    if (have < need) {
      const row = Math.floor(have / rowBytes);
      const col = Math.floor((have - row * rowBytes) / dt.size);
      throw new InputError(
        `${path}: row ${row + 1}, column ${col + 1}`,
        `truncated .npy: the header promises ${rows} × ${cols} ${descr} (${need} bytes of data) but the file holds ${have}`,
      );
    }
    if (have > need) {
      throw new InputError(
        at(dataOffset + need),
        `the header's shape (${shapeText}) of ${descr} accounts for ${need} bytes of data but the file holds ${have}: the header does not describe the data`,
      );
    }
    return { rows, cols, descr, dataOffset, rowBytes, shapeAt };
  } finally {
    closeSync(fd);
  }
}

export class NpyReader implements Reader {
  private fd: number;
  private h: NpyHeader;
  private dt: Dtype;
  private row: number;
  private readonly first: number;
  private readonly last: number;
  private blockStart = 0;
  /** The read buffer, reused by every block: a fresh one per block costs page faults and zeroing. */
  private buf = new ArrayBuffer(0);
  /** Float32 / float64 blocks of up to `stage` rows read straight into the kernels' memory (see the constructor). */
  private staged: WasmArray | null = null;
  readonly cols: number;
  readonly total: number;

  /**
   * @param stage when > 0, float32 and float64 blocks of up to `stage` rows are read into an array in the kernels'
   *   memory (allocate()), which the kernels then use in place instead of copying every block in. Its views are
   *   detached when that memory grows, so only for callers whose kernel calls stay within the arena allocate()
   *   reserves.
   */
  constructor(readonly path: string, range: Range = {}, stage = 0) {
    this.h = readNpyHeader(path);
    this.dt = DTYPES[this.h.descr.slice(1)];
    this.cols = this.h.cols;
    this.first = this.row = this.blockStart = range.rowStart ?? 0;
    this.last = Math.min(range.rowEnd ?? this.h.rows, this.h.rows);
    this.total = (this.last - this.first) * this.h.rowBytes;
    const rows = Math.min(stage, this.last - this.first);
    if (rows > 0 && (this.dt.f32 || this.dt.f64)) this.staged = allocate(this.dt.f64 ? 'float64' : 'float32', rows * this.cols);
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      this.staged?.free();
      throw e;
    }
  }

  /** Rows in the file. */
  get rows(): number {
    return this.h.rows;
  }

  get done(): number {
    return (this.row - this.first) * this.h.rowBytes;
  }

  /** Where a file with no rows says so: its header's shape. */
  endWhere(): string {
    return `${this.path}: byte offset ${this.h.shapeAt}`;
  }

  where(i: number, c?: number): string {
    return `${this.path}: row ${this.blockStart + i + 1}${c === undefined ? '' : `, column ${c + 1}`}`;
  }

  next(maxRows: number): Block | null {
    const rows = Math.min(maxRows, this.last - this.row);
    if (rows <= 0) return null;
    const bytes = rows * this.h.rowBytes;
    const n = rows * this.cols;
    if (this.staged !== null && n <= this.staged.length) {
      const data = this.staged.view().subarray(0, n);
      this.read(new Uint8Array(data.buffer, data.byteOffset, bytes), rows);
      return { data, rows, cols: this.cols };
    }
    if (this.buf.byteLength < bytes) this.buf = new ArrayBuffer(bytes);
    const buf = this.buf;
    this.read(new Uint8Array(buf, 0, bytes), rows);
    if (this.dt.f32) return { data: new Float32Array(buf, 0, n), rows, cols: this.cols };
    if (this.dt.f64) return { data: new Float64Array(buf, 0, n), rows, cols: this.cols };
    const view = new DataView(buf);
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = this.dt.read(view, i * this.dt.size);
    return { data, rows, cols: this.cols };
  }

  /** Reads the next `rows` rows into `into` and moves past them. */
  private read(into: Uint8Array, rows: number): void {
    const got = readSync(this.fd, into, 0, into.length, this.h.dataOffset + this.row * this.h.rowBytes);
    if (got < into.length) throw new InputError(this.where(Math.floor(got / this.h.rowBytes)), 'truncated .npy (the file shrank while being read)');
    this.blockStart = this.row;
    this.row += rows;
  }

  close(): void {
    this.staged?.free();
    this.staged = null;
    closeSync(this.fd);
  }
}
