/**
 * CSV (any one-byte delimiter: the layout sniffs `,` `;` tab `|`), TSV and JSON Lines, streamed: a 1 MiB buffer of
 * bytes (through gunzip for `.gz`), cut at the last newline, split into lines. Blank lines are skipped anywhere; a
 * header line (the dialect says whether there is one) is skipped and must name as many columns as the rows have.
 * LF or CRLF line ends, an optional UTF-8 byte-order mark; cells may be quoted ("1.5", "a, b"). Numbers are
 * decimal (cells.ts); `nan` cells (and NaN / Infinity / -Infinity in JSON Lines, as Python's json module writes
 * them) are read as values, for the evaluator to accept or reject with their row and column. The selection picks
 * the columns (JSON objects: keys) that make a row; the others are skipped unread. A line longer than MAX_LINE
 * bytes is an InputError: memory stays bounded.
 */
import { type ByteSource, openBytes } from './bytes.js';
import { fastNumber, isNanText, notANumber, parseBool, parseNumber, stop, unquote } from './cells.js';
import { describe, fromJson, jsonColumn, keyColumn, parseJsonLine, short } from './json.js';
import { type Block, type Dialect, InputError, type Range, type Reader, type Selection } from './types.js';

const BUF = 1 << 20;
const NL = 10;
const QUOTE = 34;
const EMPTY = Buffer.alloc(0);

/**
 * The longest line read, in bytes: 2^20 classes (the CLI's limit) in any usual notation (up to 24 characters and a
 * delimiter per value) fit; a longer line is refused before it is held in memory.
 */
export const MAX_LINE = 32 << 20;

/** Only spaces, tabs, CR and LF in bytes [s, e). */
function isBlank(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== 32 && b[i] !== 9 && b[i] !== 13 && b[i] !== NL) return false;
  return true;
}

/** End of the field starting at `a` (before `e`): the next delimiter outside double quotes, or `e`. */
function fieldEnd(b: Buffer, a: number, e: number, delim: number): number {
  let from = a;
  if (b[a] === QUOTE) {
    let q = b.indexOf(QUOTE, a + 1);
    while (q >= 0 && q < e && b[q + 1] === QUOTE) q = b.indexOf(QUOTE, q + 2);
    if (q >= 0 && q < e) from = q + 1;
  }
  const f = b.indexOf(delim, from);
  return f < 0 || f > e ? e : f;
}

/** Fields of a line: delimiters outside double quotes, plus one. */
export function fieldCount(text: string, delim: string): number {
  let n = 1;
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (ch === delim && !quoted) n++;
  }
  return n;
}

/** 1-based character column where field k (0-based) of a line starts. */
function columnOf(text: string, k: number, delim: string): number {
  let at = 0;
  let quoted = false;
  let field = 0;
  for (let i = 0; i < text.length && field < k; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === delim && !quoted) {
      field++;
      at = i + 1;
    }
  }
  return field < k ? text.length + 1 : at + 1;
}

export class TextReader implements Reader {
  private buf = Buffer.allocUnsafe(BUF);
  /** Offset in the text of the next byte to read (gzip: of the decompressed text). */
  private pos: number;
  /** Complete lines (each ending in \n) and the read position in them; `carry` holds an incomplete last line. */
  private bytes: Buffer = EMPTY;
  private bi = 0;
  private bytesAt = 0;
  private carry: Buffer[] = [];
  private carryLength = 0;
  private eof = false;
  private line: number;
  private header: boolean;
  /** Fields of the header line and its number, once it is skipped (the first row must have as many fields). */
  private headerFields: number | null = null;
  private headerLine = 0;
  /** Fields per line, once the first row is read. */
  private fields: number | null = null;
  /** Each row of the last block: the buffer holding its line, where the line starts and ends, and its number. */
  /** (Typed arrays, reused: a few arrays growing by a push per row cost a third of the reading in garbage.) */
  private bufs: Buffer[] = [];
  private rowBuf = new Int32Array(0);
  private rowStart = new Int32Array(0);
  private rowEnd = new Int32Array(0);
  private rowLine = new Float64Array(0);
  private rowAt = new Float64Array(0);
  private readonly delim: number;
  private readonly delimText: string;
  /** For each field of a line: its place in the row, or -1 (skipped). null: every field, in order (the fast path). */
  private roles: Int32Array | null = null;
  /** JSON objects: the selected keys, in order. */
  private readonly keys: string[] | null;
  cols: number | null = null;

  private constructor(
    readonly path: string,
    private readonly kind: 'text' | 'jsonl',
    private readonly src: ByteSource,
    private readonly select: Selection,
    dialect: Dialect,
    keys: string[] | null,
    range: Range,
  ) {
    this.pos = range.byteStart ?? 0;
    this.line = range.firstLine ?? 1;
    this.header = dialect.header && this.pos === 0;
    this.delimText = dialect.delimiter;
    this.delim = dialect.delimiter.charCodeAt(0);
    this.keys = keys;
  }

  /**
   * @param keys JSON Lines of objects: the keys, by column (the selection's columns index them); null for lines of
   *   arrays or numbers.
   */
  static async open(path: string, kind: 'text' | 'jsonl', select: Selection, dialect: Dialect, keys: string[] | null, range: Range = {}): Promise<TextReader> {
    const src = await openBytes(path, range.byteStart ?? 0, range.byteEnd);
    return new TextReader(path, kind, src, select, dialect, keys, range);
  }

  get done(): number {
    return this.src.done;
  }

  get total(): number {
    return this.src.total;
  }

  /** [start, end) of the next line in this.bytes (without \n or \r\n), or null when the buffered lines are used up. */
  private nextLine(): [number, number] | null {
    if (this.bi >= this.bytes.length) return null;
    const start = this.bi;
    let nl = this.bytes.indexOf(NL, start);
    if (nl < 0) nl = this.bytes.length;
    this.bi = nl + 1;
    return [start, nl > start && this.bytes[nl - 1] === 13 ? nl - 1 : nl];
  }

  private async fill(): Promise<void> {
    const n = await this.src.read(this.buf, BUF);
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
      if (this.carryLength + n > MAX_LINE) this.tooLong(this.buf.subarray(0, n));
      this.carry.push(Buffer.from(this.buf.subarray(0, n)));
      this.carryLength += n;
      this.bytes = EMPTY;
      return;
    }
    if (this.carryLength + first > MAX_LINE) this.tooLong(this.buf.subarray(0, first));
    const last = this.buf.lastIndexOf(NL, n - 1);
    this.bytes = this.carryLength > 0
      ? Buffer.concat([...this.carry, this.buf.subarray(0, last + 1)])
      : Buffer.from(this.buf.subarray(0, last + 1));
    this.carry = [Buffer.from(this.buf.subarray(last + 1, n))];
    this.carryLength = n - last - 1;
  }

  /** A line longer than MAX_LINE (its bytes so far: the carry, then `more`): an InputError where it passes the limit. */
  private tooLong(more: Buffer): never {
    const b = Buffer.concat([...this.carry, more]).subarray(0, MAX_LINE);
    throw new InputError(
      `${this.path}:${this.line}:${b.toString('utf8').length + 1}`,
      `this line is longer than ${MAX_LINE >> 20} MiB, the most xent eval reads as one row (a row holds at most 2^20 values)`,
    );
  }

  private text(i: number): string {
    return this.bufs[this.rowBuf[i]].toString('utf8', this.rowStart[i], this.rowEnd[i]);
  }

  where(i: number, c?: number): string {
    const line = this.rowLine[i];
    if (c === undefined) return `${this.path}:${line}:1`;
    const text = this.text(i);
    if (this.kind === 'jsonl') {
      if (this.keys === null) return `${this.path}:${line}:${jsonColumn(text, c)}`;
      return `${this.path}:${line}:${keyColumn(text, this.keys[this.select.columns[Math.min(c, this.select.columns.length - 1)]])}`;
    }
    const field = this.roles === null ? c : this.roles.indexOf(c);
    return `${this.path}:${line}:${columnOf(text, Math.max(0, field), this.delimText)}`;
  }

  /** The byte offset and line number of row i of the last block (where a `--threads` part can start). */
  position(i: number): { offset: number; line: number } {
    return { offset: this.rowAt[i], line: this.rowLine[i] };
  }

  endWhere(): string {
    return `${this.path}:${this.line}:1`;
  }

  /** A cell that fastNumber did not read: a number in other notation, NaN, a boolean or a class name; else an error. */
  private cell(cell: string, line: number, column: () => number, field: string): number {
    const v = parseNumber(cell);
    if (v === v || isNanText(cell)) return v;
    const { names, bools } = this.select;
    if (bools) {
      const t = parseBool(cell);
      if (t !== undefined) return t;
    }
    if (names !== null) {
      const k = names.get(unquote(cell));
      if (k !== undefined) return k;
    }
    throw new InputError(`${this.path}:${line}:${column()}`, `${this.cellProblem(cell)} (${field})`);
  }

  private cellProblem(cell: string): string {
    const { names, bools } = this.select;
    const t = unquote(cell);
    if (names !== null && t !== '') {
      const known = [...names.keys()];
      return `${JSON.stringify(t.slice(0, 30))} is not one of the class names (${known.slice(0, 5).join(', ')}${known.length > 5 ? ', …' : ''})`;
    }
    const problem = notANumber(cell);
    return bools && t !== '' && !/^[+-]?[\d.]/.test(t) ? `${problem}: class-name labels need --class-names (or PRED's header naming the classes)` : problem;
  }

  /** Parses the fields of bytes [s, e) into out[offset …] (the selected ones); returns the number of fields. */
  private row(b: Buffer, s: number, e: number, line: number, out: Float64Array, offset: number): number {
    const roles = this.roles;
    const cols = this.cols!;
    const delim = this.delim;
    let k = 0;
    let a = s;
    for (;;) {
      const role = roles === null ? k : k < roles.length ? roles[k] : -1;
      let f: number;
      if (role >= 0) {
        let v = fastNumber(b, a, e);
        f = stop;
        if (v !== v || (f !== e && b[f] !== delim)) {
          f = fieldEnd(b, a, e, delim);
          v = this.cell(b.toString('utf8', a, f), line, () => b.toString('utf8', s, a).length + 1, `field ${k + 1}`);
        }
        if (role < cols) out[offset + role] = v;
      } else f = fieldEnd(b, a, e, delim);
      k++;
      if (f >= e) return k;
      a = f + 1;
    }
  }

  /** The values of a JSON line, in selection order. */
  private jsonValues(text: string, line: number): number[] {
    const at = (column: number) => `${this.path}:${line}:${column}`;
    const v = fromJson(parseJsonLine(text, at));
    const out: number[] = [];
    if (this.keys === null) {
      this.jsonValue(v, out, text, line, -1);
      return out;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new InputError(at(1), `expected an object with the keys ${this.select.columns.map((c) => JSON.stringify(this.keys![c])).join(', ')}, got ${describe(v)}`);
    }
    for (const c of this.select.columns) {
      const key = this.keys[c];
      const value = (v as Record<string, unknown>)[key];
      if (value === undefined) throw new InputError(at(1), `no key ${JSON.stringify(key)} in this object`);
      this.jsonValue(fromJson(value), out, text, line, c);
    }
    return out;
  }

  /** Appends one JSON value (a number, a list of numbers, a boolean or class name where allowed) to `out`. */
  private jsonValue(v: unknown, out: number[], text: string, line: number, column: number): void {
    const at = () => `${this.path}:${line}:${column < 0 ? 1 : keyColumn(text, this.keys![column])}`;
    const what = column < 0 ? '' : ` for ${JSON.stringify(this.keys![column])}`;
    if (typeof v === 'number') out.push(v);
    else if (typeof v === 'boolean' && this.select.bools) out.push(v ? 1 : 0);
    else if (typeof v === 'string' && this.select.names !== null && this.select.names.has(v)) out.push(this.select.names.get(v)!);
    else if (Array.isArray(v)) {
      for (let k = 0; k < v.length; k++) {
        const x = fromJson(v[k]);
        if (typeof x !== 'number') {
          const col = column < 0 ? jsonColumn(text, k) : keyColumn(text, this.keys![column]);
          throw new InputError(`${this.path}:${line}:${col}`, `element ${k + 1}${what} is ${short(x)}, not a number`);
        }
        out.push(x);
      }
    } else if (typeof v === 'string') {
      throw new InputError(at(), `expected a number or an array of numbers${what}, got ${describe(v)}; ${this.select.names === null
        ? 'class-name labels need --class-names (or PRED\'s header naming the classes)'
        : `it is not one of the class names`}`);
    } else throw new InputError(at(), `expected a number or an array of numbers${what}, got ${describe(v)}`);
  }

  /** The block being read: its values and rows so far. */
  private data: Float64Array | null = null;
  private rows = 0;

  async next(maxRows: number): Promise<Block | null> {
    this.data = null;
    this.rows = 0;
    this.bufs = [];
    if (this.rowBuf.length < maxRows) {
      const n = Math.max(1, maxRows);
      this.rowBuf = new Int32Array(n);
      this.rowStart = new Int32Array(n);
      this.rowEnd = new Int32Array(n);
      this.rowLine = new Float64Array(n);
      this.rowAt = new Float64Array(n);
    }
    // The rows are parsed by a synchronous method (take), which V8 optimizes while it runs; an async function is
    // not, and reading a large block inside one makes text input about 1.5 times slower.
    while (!this.take(maxRows) && !this.eof) await this.fill();
    const data = this.data as Float64Array | null;
    const rows = this.rows;
    if (rows === 0 || data === null) return null;
    return { data: data.subarray(0, rows * this.cols!), rows, cols: this.cols! };
  }

  /** Parses the buffered lines into the block, up to `maxRows` rows; true when the block is full. */
  private take(maxRows: number): boolean {
    let data = this.data;
    let rows = this.rows;
    while (rows < maxRows) {
      const span = this.nextLine();
      if (span === null) break;
      const [s, e] = span;
      const b = this.bytes;
      const line = this.line++;
      if (isBlank(b, s, e)) continue;
      if (this.header) {
        this.header = false;
        this.headerFields = fieldCount(b.toString('utf8', s, e), this.delimText);
        this.headerLine = line;
        continue;
      }
      if (this.kind === 'jsonl') {
        const values = this.jsonValues(b.toString('utf8', s, e), line);
        if (this.fields === null) this.first(b, s, e, line, values.length);
        if (values.length !== this.cols) this.ragged(b, s, e, line, values.length);
        data ??= this.data = new Float64Array(Math.max(1, maxRows) * this.cols!);
        data.set(values, rows * this.cols!);
      } else {
        if (this.fields === null) this.first(b, s, e, line, fieldCount(b.toString('utf8', s, e), this.delimText));
        data ??= this.data = new Float64Array(Math.max(1, maxRows) * this.cols!);
        const n = this.row(b, s, e, line, data, rows * this.cols!);
        if (n !== this.fields) this.ragged(b, s, e, line, n);
      }
      if (this.bufs.length === 0 || this.bufs[this.bufs.length - 1] !== b) this.bufs.push(b);
      this.rowBuf[rows] = this.bufs.length - 1;
      this.rowStart[rows] = s;
      this.rowEnd[rows] = e;
      this.rowLine[rows] = line;
      this.rowAt[rows] = this.bytesAt + s;
      this.rows = ++rows;
    }
    return rows >= maxRows;
  }

  /** The first row: its width fixes the table's, checked against the header and the selection. */
  private first(b: Buffer, s: number, e: number, line: number, n: number): void {
    const text = b.toString('utf8', s, e);
    if (this.headerFields !== null && n !== this.headerFields && this.kind !== 'jsonl') {
      throw new InputError(
        `${this.path}:${line}:${n > this.headerFields ? columnOf(text, this.headerFields, this.delimText) : text.length + 1}`,
        `ragged row: ${n} values, but the header (line ${this.headerLine}) names ${this.headerFields} columns`,
      );
    }
    this.fields = n;
    if (this.kind === 'jsonl') {
      this.cols = n;
      return;
    }
    const cols = this.select.columns;
    const identity = cols.length === n && cols.every((c, i) => c === i);
    if (!identity) {
      this.roles = new Int32Array(n).fill(-1);
      cols.forEach((c, i) => {
        if (c >= n) throw new InputError(`${this.path}:${line}:${text.length + 1}`, `${n} values in this row, but column ${c + 1} is to be read`);
        this.roles![c] = i;
      });
    }
    this.cols = cols.length;
  }

  private ragged(b: Buffer, s: number, e: number, line: number, n: number): never {
    const text = b.toString('utf8', s, e);
    const want = this.kind === 'jsonl' ? this.cols! : this.fields!;
    const col = this.kind === 'jsonl' ? 1 : n > want ? columnOf(text, want, this.delimText) : text.length + 1;
    throw new InputError(`${this.path}:${line}:${col}`, `ragged row: ${n} values, earlier rows have ${want}`);
  }

  close(): void {
    this.src.close();
  }
}
