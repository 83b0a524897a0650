/**
 * NumPy .npy (format versions 1–3), streamed by rows: float32 stays Float32Array (the float32 kernels), float16
 * and bfloat16 (`<u2` or `|V2` read with --dtype bfloat16, as ml_dtypes saves it) are handed on as their bits for
 * the kernels to widen (a Source with `halfBits`: predictions) or else widened to float32 exactly, every other
 * number type (float64, signed and unsigned integers, bool) becomes Float64Array, and strings (`<U`, `|S`:
 * class-name labels) are read through the selection's names. C order only; 1-D arrays are one value per row.
 * Errors name the place: `byte offset N` in the header (magic, version, dtype, shape) and for bytes the header's
 * shape does not account for, `row R, column C` in the data (a truncated file, a bad value).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { type WasmArray, allocate } from '../../api/memory.js';
import { DTYPES, type Dtype } from './npy-dtypes.js';
import { type NpyHeader, readNpyHeader } from './npy-header.js';
import {
  type Block, type Cell, InputError, PROBE_CELLS, PROBE_ROWS,
  type Range, type Reader, type Selection, type Source, type Table,
} from './types.js';

/** How the elements of a file are read. */
interface Elements {
  size: number;
  /** Numbers: the dtype (bfloat16 is a dtype of its own here). */
  dt: Dtype | null;
  /** Strings: 'U' (UTF-32, 4 bytes a character) or 'S' (bytes). */
  text: 'U' | 'S' | null;
}

const BFLOAT16: Dtype = { size: 2, read: (v, o) => new Float32Array(new Uint32Array([v.getUint16(o, true) << 16]).buffer)[0] };

/** Why a descr is refused. */
function dtypeProblem(descr: string): string {
  const kind = descr.replace(/^[<>|=]/, '')[0];
  if (descr[0] === '>' && DTYPES[descr.slice(1)] !== undefined) {
    return `dtype ${descr} is big-endian, which is not supported: save little-endian data (a.astype('<${descr.slice(1)}'))`;
  }
  if (descr === '|V2') return 'dtype |V2 (raw 2-byte records) is not a number type: for bfloat16 saved by ml_dtypes, pass --dtype bfloat16';
  const what = kind === 'c' ? 'complex numbers' : kind === 'O' ? 'Python objects' : kind === 'M' || kind === 'm'
    ? 'dates or time deltas' : kind === 'V' ? 'raw or structured records' : null;
  return `dtype ${descr}${what === null ? '' : ` (${what})`} is not supported: xent reads little-endian float16/32/64, int, uint, bool and string (labels) arrays`;
}

function elementsOf(h: NpyHeader, path: string, half: Source['half']): Elements {
  const { descr } = h;
  const order = descr[0];
  const body = descr.slice(1);
  const little = order === '<' || order === '|' || order === '=';
  // 2-byte values saved as raw bits: bfloat16 (ml_dtypes) or IEEE half, as --dtype says.
  if (half !== undefined && (descr === '<u2' || descr === '|V2')) return { size: 2, dt: half === 'bfloat16' ? BFLOAT16 : DTYPES.f2, text: null };
  const str = /^([US])(\d+)$/.exec(body);
  if (str !== null && (little || str[1] === 'S') && +str[2] > 0) return { size: +str[2] * (str[1] === 'U' ? 4 : 1), dt: null, text: str[1] as 'U' | 'S' };
  const dt = DTYPES[body];
  if (dt === undefined || !little) throw new InputError(`${path}: byte offset ${h.descrAt}`, dtypeProblem(descr));
  return { size: dt.size, dt, text: null };
}

/** The data must be exactly what the header's shape says. */
function checkData(h: NpyHeader, e: Elements, path: string): void {
  const rowBytes = h.cols * e.size;
  const have = h.size - h.dataOffset;
  const need = h.rows * rowBytes;
  const shape = h.dims === 1 ? `${h.rows},` : h.shape.join(', ');
  if (have < need) {
    const row = Math.floor(have / rowBytes);
    const col = Math.floor((have - row * rowBytes) / e.size);
    throw new InputError(
      `${path}: row ${row + 1}, column ${col + 1}`,
      `truncated .npy: the header promises ${h.rows} × ${h.cols} ${h.descr} (${need} bytes of data) but the file holds ${have}`,
    );
  }
  if (have > need) {
    throw new InputError(
      `${path}: byte offset ${h.dataOffset + need}`,
      `the header's shape (${shape}) of ${h.descr} accounts for ${need} bytes of data but the file holds ${have}: the header does not describe the data`,
    );
  }
}

/** The .npy header, with the checks of its dtype and data size. */
export function openNpy(path: string, half?: Source['half']): { h: NpyHeader; e: Elements } {
  const h = readNpyHeader(path);
  const e = elementsOf(h, path, half);
  checkData(h, e, path);
  return { h, e };
}

/** Probes an .npy file: its columns (unnamed) and first rows. */
export function probeNpy(path: string, half?: Source['half']): Table {
  const { h, e } = openNpy(path, half);
  if (h.dims === 3) {
    throw new InputError(`${path}: byte offset ${h.shapeAt}`, `shape (${h.shape.join(', ')}) holds sequences of token positions: evaluate a language model's logits with --task lm`);
  }
  const rows = Math.min(h.rows, Math.max(2, Math.floor(PROBE_CELLS / h.cols)), PROBE_ROWS);
  const bytes = Buffer.alloc(rows * h.cols * e.size);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, bytes, 0, bytes.length, h.dataOffset);
  } finally {
    closeSync(fd);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sample: Cell[][] = [];
  for (let r = 0; r < rows; r++) {
    const row: Cell[] = [];
    for (let c = 0; c < h.cols; c++) {
      const o = (r * h.cols + c) * e.size;
      row.push(e.text !== null ? decodeText(bytes, o, e) : e.dt!.read(view, o));
    }
    sample.push(row);
  }
  return {
    columns: Array.from({ length: h.cols }, () => ({ name: null, list: false })),
    sample,
    rows: h.rows,
    empty: h.rows === 0,
    firstRow: h.rows === 0 ? `${path}: byte offset ${h.shapeAt}` : `${path}: row 1`,
  };
}

/** A string element: UTF-32 or bytes, without NumPy's trailing NULs. */
function decodeText(b: Uint8Array, o: number, e: Elements): string {
  if (e.text === 'S') return Buffer.from(b.buffer, b.byteOffset + o, e.size).toString('latin1').replace(/\0+$/, '');
  let s = '';
  for (let k = 0; k < e.size; k += 4) {
    const cp = b[o + k] | (b[o + k + 1] << 8) | (b[o + k + 2] << 16) | (b[o + k + 3] << 24);
    if (cp === 0) break;
    s += String.fromCodePoint(cp);
  }
  return s;
}

export class NpyReader implements Reader {
  readonly path: string;
  private fd: number;
  private h: NpyHeader;
  private e: Elements;
  private row: number;
  private readonly first: number;
  private readonly last: number;
  private blockStart = 0;
  private readonly rowBytes: number;
  /** The read buffer, reused by every block: a fresh one per block costs page faults and zeroing. */
  private buf = new ArrayBuffer(0);
  /** Blocks of up to `stage` rows read straight into the kernels' memory, as the file holds them (see the constructor). */
  private staged: WasmArray | null = null;
  /** 2-byte floats handed on as bits: their format. */
  private readonly half: 'float16' | 'bfloat16' | undefined;
  /** The selection is every column in order (the data is used as read). */
  private readonly identity: boolean;
  private readonly select: Selection;
  readonly cols: number;
  readonly total: number;

  /**
   * @param stage when > 0, float32, float64 and half-precision (as bits) blocks of up to `stage` rows are read into
   *   an array in the kernels' memory (allocate()), which the kernels then use in place instead of copying every
   *   block in. Its views are detached when that memory grows, so only for callers whose kernel calls stay within
   *   the arena allocate() reserves.
   */
  constructor(src: Source, stage = 0) {
    const range: Range = src.range ?? {};
    this.path = src.path;
    ({ h: this.h, e: this.e } = openNpy(src.path, src.half));
    this.select = src.select;
    this.identity = src.select.columns.length === this.h.cols && src.select.columns.every((c, i) => c === i);
    this.cols = src.select.columns.length;
    this.rowBytes = this.h.cols * this.e.size;
    this.first = this.row = this.blockStart = range.rowStart ?? 0;
    this.last = Math.min(range.rowEnd ?? this.h.rows, this.h.rows);
    this.total = (this.last - this.first) * this.rowBytes;
    const dt = this.e.dt;
    this.half = src.halfBits === true && this.identity ? (dt === BFLOAT16 ? 'bfloat16' : dt?.f16 ? 'float16' : undefined) : undefined;
    const rows = Math.min(stage, this.last - this.first);
    const kind = this.half ?? (dt?.f64 ? 'float64' : dt?.f32 ? 'float32' : undefined);
    if (rows > 0 && this.identity && kind !== undefined) this.staged = allocate(kind, rows * this.cols);
    try {
      this.fd = openSync(src.path, 'r');
    } catch (e) {
      this.staged?.free();
      throw e;
    }
  }

  get done(): number {
    return (this.row - this.first) * this.rowBytes;
  }

  /** Where a file with no rows says so: its header's shape. */
  endWhere(): string {
    return `${this.path}: byte offset ${this.h.shapeAt}`;
  }

  where(i: number, c?: number): string {
    return `${this.path}: row ${this.blockStart + i + 1}${c === undefined ? '' : `, column ${this.select.columns[c] + 1}`}`;
  }

  next(maxRows: number): Block | null {
    const rows = Math.min(maxRows, this.last - this.row);
    if (rows <= 0) return null;
    const bytes = rows * this.rowBytes;
    const n = rows * this.cols;
    const dt = this.e.dt;
    const half = this.half;
    if (this.staged !== null && n <= this.staged.length) {
      const data = this.staged.view().subarray(0, n);
      this.read(new Uint8Array(data.buffer, data.byteOffset, bytes), rows);
      return { data, rows, cols: this.cols, half };
    }
    if (this.buf.byteLength < bytes) this.buf = new ArrayBuffer(bytes);
    const buf = this.buf;
    this.read(new Uint8Array(buf, 0, bytes), rows);
    if (half !== undefined) return { data: new Uint16Array(buf, 0, n), rows, cols: this.cols, half };
    if (this.identity && dt?.f32) return { data: new Float32Array(buf, 0, n), rows, cols: this.cols };
    if (this.identity && dt?.f64) return { data: new Float64Array(buf, 0, n), rows, cols: this.cols };
    const view = new DataView(buf);
    const narrow = dt !== null && (dt.f32 === true || dt.f16 === true || dt === BFLOAT16);
    const data = narrow ? new Float32Array(n) : new Float64Array(n);
    const cols = this.select.columns;
    const size = this.e.size;
    for (let r = 0, i = 0; r < rows; r++) {
      for (const c of cols) {
        const o = (r * this.h.cols + c) * size;
        data[i++] = dt !== null ? dt.read(view, o) : this.label(new Uint8Array(buf), o, r, c);
      }
    }
    return { data, rows, cols: this.cols };
  }

  /** A string element as a class index. */
  private label(b: Uint8Array, o: number, r: number, c: number): number {
    const s = decodeText(b, o, this.e);
    const k = this.select.names?.get(s);
    if (k !== undefined) return k;
    const where = `${this.path}: row ${this.blockStart + r + 1}, column ${c + 1}`;
    throw new InputError(where, this.select.names === null
      ? `${JSON.stringify(s)} is a class name: pass --class-names (in PRED's column order), or name the classes in PRED's header`
      : `${JSON.stringify(s)} is not one of the class names`);
  }

  /** Reads the next `rows` rows into `into` and moves past them. */
  private read(into: Uint8Array, rows: number): void {
    const got = readSync(this.fd, into, 0, into.length, this.h.dataOffset + this.row * this.rowBytes);
    if (got < into.length) throw new InputError(this.where(Math.floor(got / this.rowBytes)), 'truncated .npy (the file shrank while being read)');
    this.blockStart = this.row;
    this.row += rows;
  }

  close(): void {
    this.staged?.free();
    this.staged = null;
    closeSync(this.fd);
  }
}

/** Rows of an .npy file (from its header). */
export const npyRows = (path: string): number => readNpyHeader(path).rows;
