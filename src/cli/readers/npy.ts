/**
 * NumPy .npy (format versions 1–3), streamed by rows: float32 stays Float32Array (the float32 kernels), every other
 * dtype (float64, signed and unsigned integers, bool) becomes Float64Array. C order only; 1-D arrays are one value
 * per row.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DTYPES, type Dtype } from './npy-dtypes.js';
import { type Block, InputError, type Range, type Reader } from './types.js';

export interface NpyHeader {
  rows: number;
  cols: number;
  descr: string;
  dataOffset: number;
  rowBytes: number;
}

export function readNpyHeader(path: string): NpyHeader {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const pre = Buffer.alloc(12);
    const got = readSync(fd, pre, 0, 12, 0);
    if (got < 10 || pre.readUInt8(0) !== 0x93 || pre.toString('latin1', 1, 6) !== 'NUMPY') {
      throw new InputError(path, 'not a NumPy .npy file (bad magic string)');
    }
    const major = pre[6];
    const wide = major >= 2;
    if (wide && got < 12) throw new InputError(path, 'truncated .npy header');
    const len = wide ? pre.readUInt32LE(8) : pre.readUInt16LE(8);
    const start = wide ? 12 : 10;
    if (start + len > size) throw new InputError(path, `truncated .npy header (${len} bytes promised, ${size - start} present)`);
    const hb = Buffer.alloc(len);
    readSync(fd, hb, 0, len, start);
    const h = hb.toString(major >= 3 ? 'utf8' : 'latin1');
    const descr = /'descr'\s*:\s*'([^']+)'/.exec(h)?.[1];
    const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(h)?.[1];
    const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(h)?.[1];
    if (descr === undefined || fortran === undefined || shapeText === undefined) {
      throw new InputError(path, `unreadable .npy header: ${h.trim().slice(0, 120)}`);
    }
    if (fortran === 'True') throw new InputError(path, 'Fortran-order (column-major) arrays are not supported; save with np.ascontiguousarray');
    const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
    if (dims.length === 0 || dims.length > 2 || dims.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new InputError(path, `shape (${shapeText}) is not supported: expected (rows,) or (rows, classes)`);
    }
    const key = descr.slice(1);
    const dt = DTYPES[key];
    if (dt === undefined || descr[0] === '>' || (descr[0] !== '<' && descr[0] !== '|' && descr[0] !== '=')) {
      throw new InputError(path, `dtype ${descr} is not supported (little-endian float32/float64/int/uint/bool only)`);
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
    return { rows, cols, descr, dataOffset, rowBytes };
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
  readonly cols: number;
  readonly total: number;

  constructor(readonly path: string, range: Range = {}) {
    this.h = readNpyHeader(path);
    this.dt = DTYPES[this.h.descr.slice(1)];
    this.cols = this.h.cols;
    this.first = this.row = range.rowStart ?? 0;
    this.last = Math.min(range.rowEnd ?? this.h.rows, this.h.rows);
    this.total = (this.last - this.first) * this.h.rowBytes;
    this.fd = openSync(path, 'r');
  }

  /** Rows in the file. */
  get rows(): number {
    return this.h.rows;
  }

  get done(): number {
    return (this.row - this.first) * this.h.rowBytes;
  }

  where(i: number, c?: number): string {
    return `${this.path}: row ${this.blockStart + i + 1}${c === undefined ? '' : `, column ${c + 1}`}`;
  }

  next(maxRows: number): Block | null {
    const rows = Math.min(maxRows, this.last - this.row);
    if (rows <= 0) return null;
    const bytes = rows * this.h.rowBytes;
    const n = rows * this.cols;
    const buf = new ArrayBuffer(bytes);
    const got = readSync(this.fd, new Uint8Array(buf), 0, bytes, this.h.dataOffset + this.row * this.h.rowBytes);
    if (got < bytes) throw new InputError(this.where(Math.floor(got / this.h.rowBytes)), 'truncated .npy (the file shrank while being read)');
    this.blockStart = this.row;
    this.row += rows;
    if (this.dt.f32) return { data: new Float32Array(buf), rows, cols: this.cols };
    if (this.h.descr.slice(1) === 'f8') return { data: new Float64Array(buf), rows, cols: this.cols };
    const view = new DataView(buf);
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = this.dt.read(view, i * this.dt.size);
    return { data, rows, cols: this.cols };
  }

  close(): void {
    closeSync(this.fd);
  }
}
