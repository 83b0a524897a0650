/**
 * CSV, TSV and JSON Lines, streamed: a 1 MiB buffer of bytes, cut at the last newline, split into lines. A header
 * (a first line with no number in it) is skipped; empty lines are allowed only at the end.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type Block, InputError, type Range, type Reader } from './types.js';

const BUF = 1 << 20;
const NL = 10;

/** A cell as a number: plain JS syntax, plus inf / infinity / nan in any case (nan is then rejected). */
function parseCell(s: string): number {
  const v = +s;
  if (v === v && s.length > 0) return v;
  const t = s.trim().toLowerCase().replace(/^"(.*)"$/, '$1');
  if (t === '') return NaN;
  if (t !== s) return parseCell(t);
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return NaN;
}

const isNumeric = (s: string) => {
  const v = parseCell(s);
  return v === v;
};

const P10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Where fastNumber stopped reading. */
let stop = 0;

/**
 * Parses the number starting at byte i of `b` (and ending before `end` or the first byte that cannot continue it,
 * left in `stop`) when it is plain decimal (sign, digits, fraction, exponent) with at most
 * 15 significant digits and a decimal exponent within ±22: then m / 10^k (or m · 10^k) is correctly rounded (Clinger's
 * fast path), so the result equals Number(text). Returns NaN for anything else (the caller falls back to Number).
 */
function fastNumber(b: Buffer, i: number, end: number): number {
  stop = i;
  let neg = false;
  let c = b[i];
  if (c === 45 || c === 43) {
    neg = c === 45;
    c = b[++i];
  }
  let m = 0;
  let digits = 0;
  let frac = 0;
  const start = i;
  while (c >= 48 && c <= 57 && i < end) {
    m = m * 10 + (c - 48);
    digits++;
    c = b[++i];
  }
  if (c === 46 && i < end) {
    c = b[++i];
    while (c >= 48 && c <= 57 && i < end) {
      m = m * 10 + (c - 48);
      digits++;
      frac++;
      c = b[++i];
    }
  }
  if (i === start || digits > 15 || (digits === 0)) return NaN;
  let e = -frac;
  if ((c === 101 || c === 69) && i < end) {
    c = b[++i];
    let eneg = false;
    if (c === 45 || c === 43) {
      eneg = c === 45;
      c = b[++i];
    }
    let x = 0;
    const es = i;
    while (c >= 48 && c <= 57 && i < end) {
      x = x * 10 + (c - 48);
      c = b[++i];
    }
    if (i === es || x > 400) return NaN;
    e += eneg ? -x : x;
  }
  stop = i;
  if (e < -22 || e > 22) return NaN;
  const v = e < 0 ? m / P10[-e] : m * P10[e];
  return neg ? -v : v;
}

export class TextReader implements Reader {
  private fd: number;
  private buf = Buffer.allocUnsafe(BUF);
  private pos: number;
  private end: number;
  /** Complete lines (each ending in \n) and the read position in them; `carry` is an incomplete last line. */
  private bytes: Buffer = Buffer.alloc(0);
  private bi = 0;
  private bytesAt = 0;
  private carry: Buffer = Buffer.alloc(0);
  private eof = false;
  private line: number;
  private header: boolean | null;
  /** Line number and file offset of each row of the last block (the line is re-read for messages). */
  private blockLines: number[] = [];
  private blockOffsets: number[] = [];
  private readonly delim: number;
  cols: number | null = null;
  readonly total: number;

  constructor(readonly path: string, private readonly kind: 'csv' | 'tsv' | 'jsonl', range: Range = {}) {
    this.fd = openSync(path, 'r');
    const size = fstatSync(this.fd).size;
    this.pos = range.byteStart ?? 0;
    this.end = Math.min(range.byteEnd ?? size, size);
    this.total = this.end - this.pos;
    this.line = range.firstLine ?? 1;
    this.header = range.header ?? null;
    this.delim = kind === 'tsv' ? 9 : 44;
  }

  get done(): number {
    return this.total - (this.end - this.pos);
  }

  /** [start, end) of the next line in this.bytes (without \n or \r\n), or null at the end of the range. */
  private nextLine(): [number, number] | null {
    while (this.bi >= this.bytes.length) {
      if (this.eof) return null;
      this.fill();
    }
    const start = this.bi;
    let nl = this.bytes.indexOf(NL, start);
    if (nl < 0) nl = this.bytes.length;
    this.bi = nl + 1;
    return [start, nl > start && this.bytes[nl - 1] === 13 ? nl - 1 : nl];
  }

  private fill(): void {
    const want = Math.min(BUF, this.end - this.pos);
    const n = want > 0 ? readSync(this.fd, this.buf, 0, want, this.pos) : 0;
    const at = this.pos - this.carry.length;
    this.pos += n;
    this.bi = 0;
    this.bytesAt = at;
    if (n === 0) {
      this.eof = true;
      this.bytes = this.carry;
      this.carry = Buffer.alloc(0);
      return;
    }
    const last = this.buf.lastIndexOf(NL, n - 1);
    if (last < 0) {
      this.carry = Buffer.concat([this.carry, this.buf.subarray(0, n)]);
      this.bytes = Buffer.alloc(0);
      return;
    }
    this.bytes = this.carry.length > 0 ? Buffer.concat([this.carry, this.buf.subarray(0, last + 1)]) : Buffer.from(this.buf.subarray(0, last + 1));
    this.carry = Buffer.from(this.buf.subarray(last + 1, n));
  }

  where(i: number, c?: number): string {
    const line = this.blockLines[i];
    if (c === undefined || this.kind === 'jsonl') return `${this.path}:${line}:1`;
    return `${this.path}:${line}:${this.columnOf(this.readLine(this.blockOffsets[i]), c)}`;
  }

  /** The text of the line at a file offset (for messages only). */
  private readLine(offset: number): string {
    const b = Buffer.alloc(1 << 16);
    const n = readSync(this.fd, b, 0, b.length, offset);
    const nl = b.indexOf(NL);
    return b.toString('utf8', 0, nl >= 0 && nl < n ? nl : n).replace(/\r$/, '');
  }

  /** 1-based character column where field c (0-based) of a line starts. */
  private columnOf(text: string, c: number): number {
    const delim = this.kind === 'tsv' ? '\t' : ',';
    let at = 0;
    for (let k = 0; k < c; k++) {
      const n = text.indexOf(delim, at);
      if (n < 0) return text.length + 1;
      at = n + 1;
    }
    return at + 1;
  }

  /** Parses the fields of bytes [s, e) into out[offset …]; returns the number of fields. */
  private row(s: number, e: number, line: number, out: Float64Array | null, offset: number): number {
    const b = this.bytes;
    let k = 0;
    let a = s;
    for (;;) {
      let v = fastNumber(b, a, e);
      let f = stop;
      if (v !== v || (f !== e && b[f] !== this.delim)) {
        f = b.indexOf(this.delim, a);
        if (f < 0 || f > e) f = e;
        const cell = b.toString('utf8', a, f);
        v = parseCell(cell);
        if (v !== v) {
          const what = cell.trim() === '' ? 'an empty cell' : `${JSON.stringify(cell.trim().slice(0, 30))} is not a number`;
          throw new InputError(`${this.path}:${line}:${b.toString('utf8', s, a).length + 1}`, `${what} (field ${k + 1})`);
        }
      }
      if (out !== null && k < this.cols!) out[offset + k] = v;
      k++;
      if (f >= e) return k;
      a = f + 1;
    }
  }

  private jsonCells(text: string, line: number): number[] {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      const col = /position (\d+)/.exec((e as Error).message)?.[1];
      throw new InputError(`${this.path}:${line}:${col === undefined ? 1 : +col + 1}`, 'not valid JSON');
    }
    if (typeof v === 'number') return [v];
    if (!Array.isArray(v)) throw new InputError(`${this.path}:${line}:1`, 'expected a number or an array of numbers');
    for (let k = 0; k < v.length; k++) {
      if (typeof v[k] !== 'number') {
        throw new InputError(`${this.path}:${line}:${jsonColumn(text, k)}`, `element ${k + 1} is ${JSON.stringify(v[k])}, not a number`);
      }
    }
    return v as number[];
  }

  next(maxRows: number): Block | null {
    let data: Float64Array | null = null;
    let rows = 0;
    this.blockLines = [];
    this.blockOffsets = [];
    while (rows < maxRows) {
      const span = this.nextLine();
      if (span === null) break;
      const [s, e] = span;
      const line = this.line++;
      const offset = this.bytesAt + s;
      if (isBlank(this.bytes, s, e)) {
        if (this.restIsBlank()) break;
        throw new InputError(`${this.path}:${line}:1`, 'empty line');
      }
      if (this.header === null || (this.header && line === 1)) {
        const text = this.bytes.toString('utf8', s, e);
        if (this.header === null) this.header = this.kind !== 'jsonl' && !text.split(this.kind === 'tsv' ? '\t' : ',').some(isNumeric);
        if (this.header) continue;
      }
      let n: number;
      let cells: number[] | null = null;
      if (this.kind === 'jsonl') {
        cells = this.jsonCells(this.bytes.toString('utf8', s, e), line);
        n = cells.length;
      } else n = this.row(s, e, line, data, rows * (this.cols ?? 0));
      if (this.cols === null) {
        this.cols = n;
        if (cells === null) {
          data = new Float64Array(Math.max(1, maxRows) * n);
          this.row(s, e, line, data, 0);
        }
      }
      if (n !== this.cols) {
        const text = this.bytes.toString('utf8', s, e);
        const col = n > this.cols ? this.columnOf(text, this.cols) : text.length + 1;
        throw new InputError(
          `${this.path}:${line}:${this.kind === 'jsonl' ? 1 : col}`,
          `ragged row: ${n} values, earlier rows have ${this.cols}`,
        );
      }
      if (data === null) {
        data = new Float64Array(Math.max(1, maxRows) * this.cols);
        if (cells === null) this.row(s, e, line, data, rows * this.cols);
      }
      if (cells !== null) data.set(cells, rows * this.cols);
      this.blockLines.push(line);
      this.blockOffsets.push(offset);
      rows++;
    }
    if (rows === 0 || data === null) return null;
    return { data: data.subarray(0, rows * this.cols!), rows, cols: this.cols! };
  }

  /** True when nothing but whitespace remains in the range (trailing empty lines are fine). */
  private restIsBlank(): boolean {
    for (;;) {
      while (this.bi < this.bytes.length) {
        const span = this.nextLine()!;
        if (!isBlank(this.bytes, span[0], span[1])) return false;
      }
      if (this.eof) return true;
      this.fill();
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

function isBlank(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== 32 && b[i] !== 9 && b[i] !== 13) return false;
  return true;
}

/** 1-based column of element k of a JSON array on one line (top-level commas only; for messages). */
function jsonColumn(text: string, k: number): number {
  let depth = 0;
  let n = 0;
  let str = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (str) {
      if (ch === '\\') i++;
      else if (ch === '"') str = false;
      continue;
    }
    if (ch === '"') str = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1 && k === 0) return i + 2;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1 && ++n === k) return i + 2;
  }
  return 1;
}

/** Byte offsets where lines start, scanning [from, to): for splitting text files between workers. */
export function countLines(path: string, from: number, to: number): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(BUF);
  let n = 0;
  try {
    for (let pos = from; pos < to; ) {
      const got = readSync(fd, buf, 0, Math.min(BUF, to - pos), pos);
      if (got === 0) break;
      for (let i = buf.indexOf(NL, 0); i >= 0 && i < got; i = buf.indexOf(NL, i + 1)) n++;
      pos += got;
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

/** The byte offset just after the next newline at or after `from` (the file size when there is none). */
export function nextLineStart(path: string, from: number): number {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(1 << 16);
  try {
    for (let pos = from; pos < size; ) {
      const got = readSync(fd, buf, 0, buf.length, pos);
      if (got === 0) break;
      const i = buf.indexOf(NL, 0);
      if (i >= 0 && i < got) return pos + i + 1;
      pos += got;
    }
  } finally {
    closeSync(fd);
  }
  return size;
}

/** Byte offsets of the starts of lines number `targets` (1-based, increasing); the file size past the end. */
export function lineOffsets(path: string, targets: number[]): number[] {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(BUF);
  const out: number[] = [];
  let t = 0;
  let line = 1;
  while (t < targets.length && targets[t] <= 1) out[t++] = 0;
  try {
    for (let pos = 0; pos < size && t < targets.length; ) {
      const got = readSync(fd, buf, 0, Math.min(BUF, size - pos), pos);
      if (got === 0) break;
      for (let i = buf.indexOf(NL, 0); i >= 0 && i < got && t < targets.length; i = buf.indexOf(NL, i + 1)) {
        line++;
        while (t < targets.length && targets[t] === line) out[t++] = pos + i + 1;
      }
      pos += got;
    }
  } finally {
    closeSync(fd);
  }
  while (t < targets.length) out[t++] = size;
  return out;
}
