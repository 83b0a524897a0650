/**
 * CSV, TSV and JSON Lines, streamed: a 1 MiB buffer of bytes, cut at the last newline, split into lines. A header
 * (a first line with no number in it) is skipped, and must name as many columns as the rows have; empty lines are
 * allowed only at the end. LF or CRLF line ends, an optional UTF-8 byte-order mark; CSV cells may be quoted
 * ("1.5"), but a quoted cell holding the delimiter is not split. `nan` cells (and NaN / Infinity / -Infinity in
 * JSON Lines, as Python's json module writes them) are read as values, for the evaluator to accept or reject with
 * their row and column. A line longer than MAX_LINE bytes is an InputError: memory stays bounded.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type Block, InputError, type Range, type Reader } from './types.js';

const BUF = 1 << 20;
const NL = 10;

/**
 * The longest line read, in bytes: 2^20 classes (the CLI's limit) in any usual notation (up to 24 characters and a
 * delimiter per value) fit; a longer line is refused before it is held in memory.
 */
export const MAX_LINE = 32 << 20;

/** A cell as a number: plain JS syntax, plus inf / infinity in any case; NaN for anything else (see isNanText). */
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

/** A cell that spells NaN: read as NaN (the evaluator reports it with its row and column). */
const isNanText = (s: string) => /^\s*"?\s*nan\s*"?\s*$/i.test(s);

const isNumeric = (s: string) => {
  const v = parseCell(s);
  return v === v || isNanText(s);
};

/** Fields of a header line: delimiters outside double quotes, plus one. */
function headerFields(text: string, delim: string): number {
  let n = 1;
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (ch === delim && !quoted) n++;
  }
  return n;
}

/** JSON with Python's NaN, Infinity and -Infinity tokens (outside strings) made parseable: NaN becomes NAN_MARK. */
const NAN_MARK = '\u0000NaN';
function pythonJson(text: string): string | null {
  let out = '';
  let from = 0;
  let str = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (str) {
      if (ch === '\\') i++;
      else if (ch === '"') str = false;
      continue;
    }
    if (ch === '"') str = true;
    else if (ch === 'N' && text.startsWith('NaN', i)) {
      out += text.slice(from, i) + JSON.stringify(NAN_MARK);
      from = i += 3;
      i--;
    } else if (ch === 'I' && text.startsWith('Infinity', i)) {
      out += text.slice(from, i) + '1e999';
      from = i += 8;
      i--;
    }
  }
  return from === 0 ? null : out + text.slice(from);
}

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
  /** Complete lines (each ending in \n) and the read position in them; `carry` holds an incomplete last line. */
  private bytes: Buffer = Buffer.alloc(0);
  private bi = 0;
  private bytesAt = 0;
  private carry: Buffer[] = [];
  private carryLength = 0;
  private eof = false;
  private line: number;
  private header: boolean | null;
  /** Fields of the header line, once one is seen (the first data row must have as many). */
  private headerCols: number | null = null;
  /** The file's size (a `--threads` part ends before it). */
  private readonly size: number;
  /** Line number and file offset of each row of the last block (the line is re-read for messages). */
  private blockLines: number[] = [];
  private blockOffsets: number[] = [];
  private readonly delim: number;
  cols: number | null = null;
  readonly total: number;

  constructor(readonly path: string, private readonly kind: 'csv' | 'tsv' | 'jsonl', range: Range = {}) {
    this.fd = openSync(path, 'r');
    const size = (this.size = fstatSync(this.fd).size);
    this.pos = range.byteStart ?? 0;
    this.end = Math.min(range.byteEnd ?? size, size);
    if (this.pos === 0) {
      const head = Buffer.alloc(3);
      const n = readSync(this.fd, head, 0, 3, 0);
      if (n === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) this.pos = 3;
      else if (n >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) {
        closeSync(this.fd);
        throw new InputError(`${path}:1:1`, 'UTF-16 text is not supported: save the file as UTF-8');
      }
    }
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
    const at = this.pos - this.carryLength;
    this.pos += n;
    this.bi = 0;
    this.bytesAt = at;
    if (n === 0) {
      this.eof = true;
      this.bytes = Buffer.concat(this.carry, this.carryLength);
      this.carry = [];
      this.carryLength = 0;
      return;
    }
    const first = this.buf.indexOf(NL, 0);
    if (first < 0 || first >= n) {
      if (this.carryLength + n > MAX_LINE) this.tooLong(at);
      this.carry.push(Buffer.from(this.buf.subarray(0, n)));
      this.carryLength += n;
      this.bytes = Buffer.alloc(0);
      return;
    }
    if (this.carryLength + first > MAX_LINE) this.tooLong(at);
    const last = this.buf.lastIndexOf(NL, n - 1);
    this.bytes = this.carryLength > 0
      ? Buffer.concat([...this.carry, this.buf.subarray(0, last + 1)])
      : Buffer.from(this.buf.subarray(0, last + 1));
    this.carry = [Buffer.from(this.buf.subarray(last + 1, n))];
    this.carryLength = n - last - 1;
  }

  /** A line longer than MAX_LINE starting at byte `at`: an InputError at the column where it passes the limit. */
  private tooLong(at: number): never {
    const b = Buffer.alloc(MAX_LINE);
    const n = readSync(this.fd, b, 0, MAX_LINE, at);
    const col = b.toString('utf8', 0, n).length + 1;
    throw new InputError(
      `${this.path}:${this.line}:${col}`,
      `this line is longer than ${MAX_LINE >> 20} MiB, the most xent eval reads as one row (a row holds at most 2^20 values)`,
    );
  }

  where(i: number, c?: number): string {
    const line = this.blockLines[i];
    if (c === undefined) return `${this.path}:${line}:1`;
    const text = this.readLine(this.blockOffsets[i]);
    return `${this.path}:${line}:${this.kind === 'jsonl' ? jsonColumn(text, c) : this.columnOf(text, c)}`;
  }

  /** Where a reader that found no rows stopped: the line after the last one read. */
  endWhere(): string {
    return `${this.path}:${this.line}:1`;
  }

  /** The text of the line at a file offset (for messages only). */
  private readLine(offset: number): string {
    const parts: Buffer[] = [];
    const b = Buffer.alloc(1 << 16);
    for (let pos = offset, length = 0; length <= MAX_LINE; ) {
      const n = readSync(this.fd, b, 0, b.length, pos);
      const nl = b.indexOf(NL);
      const stop = nl >= 0 && nl < n ? nl : n;
      parts.push(Buffer.from(b.subarray(0, stop)));
      if (stop < n || n === 0) break;
      pos += n;
      length += n;
    }
    return Buffer.concat(parts).toString('utf8').replace(/\r$/, '');
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
        if (v !== v && !isNanText(cell)) {
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
      const python = pythonJson(text);
      try {
        if (python === null) throw e;
        v = JSON.parse(python);
      } catch {
        const reason = (e as Error).message.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
        throw new InputError(`${this.path}:${line}:${jsonErrorAt(text) + 1}`, `not valid JSON: ${reason}`);
      }
    }
    if (v === NAN_MARK) return [NaN];
    if (typeof v === 'number') return [v];
    if (!Array.isArray(v)) throw new InputError(`${this.path}:${line}:1`, `expected a number or an array of numbers, got ${describe(v)}`);
    for (let k = 0; k < v.length; k++) {
      if (v[k] === NAN_MARK) v[k] = NaN;
      else if (typeof v[k] !== 'number') {
        throw new InputError(`${this.path}:${line}:${jsonColumn(text, k)}`, `element ${k + 1} is ${short(v[k])}, not a number`);
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
        const delim = this.kind === 'tsv' ? '\t' : ',';
        if (this.header === null) this.header = this.kind !== 'jsonl' && !text.split(delim).some(isNumeric);
        if (this.header) {
          this.headerCols = headerFields(text, delim);
          continue;
        }
      }
      let n: number;
      let cells: number[] | null = null;
      if (this.kind === 'jsonl') {
        cells = this.jsonCells(this.bytes.toString('utf8', s, e), line);
        n = cells.length;
      } else n = this.row(s, e, line, data, rows * (this.cols ?? 0));
      if (this.cols === null) {
        if (this.headerCols !== null && n !== this.headerCols) {
          const text = this.bytes.toString('utf8', s, e);
          throw new InputError(
            `${this.path}:${line}:${n > this.headerCols ? this.columnOf(text, this.headerCols) : text.length + 1}`,
            `ragged row: ${n} values, but the header (line ${line - 1}) names ${this.headerCols} columns`,
          );
        }
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

  /**
   * True when nothing but whitespace remains in the file (trailing empty lines are fine): in this reader's range,
   * and after it when the range is a part (`--threads`) that ends before the end of the file.
   */
  private restIsBlank(): boolean {
    for (;;) {
      while (this.bi < this.bytes.length) {
        const span = this.nextLine()!;
        this.line++;
        if (!isBlank(this.bytes, span[0], span[1])) return false;
      }
      if (this.eof) break;
      this.fill();
    }
    const b = Buffer.allocUnsafe(1 << 16);
    for (let pos = this.end; pos < this.size; ) {
      const n = readSync(this.fd, b, 0, Math.min(b.length, this.size - pos), pos);
      if (n === 0) break;
      if (!isBlank(b, 0, n)) return false;
      pos += n;
    }
    return true;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Only spaces, tabs, CR and LF in bytes [s, e). */
function isBlank(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== 32 && b[i] !== 9 && b[i] !== 13 && b[i] !== NL) return false;
  return true;
}

/**
 * Index of the first character of `text` at which JSON.parse fails (V8's messages do not always say): a scanner of
 * the JSON grammar, iterative (a line of a million '[' must not overflow the stack), for messages only.
 */
export function jsonErrorAt(text: string): number {
  let i = 0;
  const closers: string[] = [];
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const expect = (ch: string) => {
    if (text[i] !== ch) fail();
    i++;
  };
  const string = () => {
    expect('"');
    for (;;) {
      if (i >= text.length || text.charCodeAt(i) < 32) fail();
      const ch = text[i++];
      if (ch === '"') return;
      if (ch !== '\\') continue;
      if (text[i] === 'u') {
        i++;
        for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail();
      } else if (i < text.length && '"\\/bfnrt'.includes(text[i])) i++;
      else fail();
    }
  };
  const key = () => {
    ws();
    string();
    ws();
    expect(':');
  };
  const scalar = () => {
    const ch = text[i];
    if (ch === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (ch === word[0]) {
        for (const w of word) expect(w);
        return;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m === null) fail();
    i += m![0].length;
  };
  try {
    for (;;) {
      // A value starts here.
      ws();
      const open = text[i];
      if (open === '[' || open === '{') {
        i++;
        ws();
        const close = open === '[' ? ']' : '}';
        if (text[i] !== close) {
          closers.push(close);
          if (close === '}') key();
          continue;
        }
        i++;
      } else scalar();
      // After a value: close containers, or a comma and the next value.
      for (;;) {
        ws();
        if (closers.length === 0) {
          if (i < text.length) fail();
          return 0;
        }
        const close = closers[closers.length - 1];
        if (text[i] === close) {
          i++;
          closers.pop();
        } else if (text[i] === ',') {
          i++;
          if (close === '}') key();
          break;
        } else fail();
      }
    }
  } catch (at) {
    if (typeof at === 'number') return Math.min(at, text.length);
    throw at;
  }
}

/** A JSON value as text for a message, at most 40 characters (a nesting too deep for JSON.stringify is said so). */
function short(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v);
  } catch {
    s = Array.isArray(v) ? '[…] (nested too deep)' : '{…} (nested too deep)';
  }
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}

/** What a JSON value is, for "expected a number, got …". */
function describe(v: unknown): string {
  if (v === null) return 'null';
  return `${typeof v === 'object' && !Array.isArray(v) ? 'an object ' : typeof v === 'string' ? 'a string ' : ''}${short(v)}`;
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

/**
 * Byte offsets of the starts of lines first + k·step (k = 0, 1, …) that start at or before byte `end` (line `first`
 * is always included): where a text file can be cut on a grid of rows, found in one scan up to `end`.
 */
export function gridLineOffsets(path: string, first: number, step: number, end: number): number[] {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(BUF);
  const out: number[] = first === 1 ? [0] : [];
  let line = 1;
  let next = first === 1 ? 1 + step : first;
  try {
    for (let pos = 0; pos < size && (out.length === 0 || pos <= end); ) {
      const got = readSync(fd, buf, 0, Math.min(BUF, size - pos), pos);
      if (got === 0) break;
      for (let i = buf.indexOf(NL, 0); i >= 0 && i < got; i = buf.indexOf(NL, i + 1)) {
        if (++line !== next) continue;
        const at = pos + i + 1;
        if (out.length > 0 && (at > end || at >= size)) return out;
        out.push(at);
        next += step;
      }
      pos += got;
    }
  } finally {
    closeSync(fd);
  }
  return out;
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
