/**
 * The CLI under hostile input, and SIGINT: `node dist/cli.js eval` in child processes, on real files written to a
 * temp dir. Every malformed input (each format: CSV, TSV, JSON Lines, .npy) must end with exit code 2, a message
 * on stderr naming the file and the place (file:line:column for text, `row R, column C` or `byte offset N` for
 * .npy; the file alone for file-level problems: missing, a directory, a FIFO, unreadable), nothing on stdout and no
 * report file — run with `--threads 1` and `--threads 2` (the data is 3000 rows and the defects sit past the middle,
 * so with two threads they are found by the second worker), and both runs must print the same message. Inputs that
 * are odd but valid (quoted cells, a byte-order mark, CRLF, -inf masks, a row wider than the 1 MiB read buffer)
 * must give the library's numbers. Ctrl-C stops a long run promptly: no result, no report, "interrupted" on
 * stderr, death by SIGINT, the progress bar erased.
 */
import { type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync,
  writeFileSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Evaluator } from '../src/index.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'xent-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `xent ...` in `dir`, asynchronously (the table's cases run a few at a time). */
function xent(args: string[], options: SpawnOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    c.on('error', reject);
    c.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const file = (name: string, content: string | Uint8Array): string => {
  writeFileSync(join(dir, name), content);
  return name;
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A .npy file: header text as given (padded as NumPy pads it), then the data. */
function npyRaw(header: string, data: Uint8Array, version = 1): Buffer {
  const pre = version === 1 ? 10 : 12;
  let h = header + ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n';
  const b = Buffer.alloc(pre);
  b[0] = 0x93;
  b.write('NUMPY', 1, 'latin1');
  b[6] = version;
  if (version === 1) b.writeUInt16LE(h.length, 8);
  else b.writeUInt32LE(h.length, 8);
  return Buffer.concat([b, Buffer.from(h, 'latin1'), data]);
}

const npyHeader = (descr: string, shape: number[]) =>
  `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;

function npy(descr: string, shape: number[], data: ArrayBufferView): Buffer {
  return npyRaw(npyHeader(descr, shape), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Byte offset of a key of the header in a file made by npyRaw (version 1). */
const keyAt = (header: string, key: string) => 10 + header.indexOf(`'${key}'`);

// 3000 rows × 4 classes of logits that print exactly (multiples of 1/40), labels in [0, 4).
const R = 3000;
const C = 4;
/** The row (0-based) holding a defect: past the middle, so that `--threads 2` finds it in the second part. */
const D = 2500;
type Cell = number | string;
const LOGITS: number[][] = Array.from({ length: R }, (_, i) => Array.from({ length: C }, (_, j) => ((i * 37 + j * 11) % 200) / 40 - 2.5));
// The first label is not 0: a label file whose first line is 0 may carry pandas' header "0" (see layout.ts).
const LABELS: number[] = Array.from({ length: R }, (_, i) => (i * 7 + (i >> 3) + 1) % C);

const withCell = (rows: Cell[][], r: number, c: number, v: Cell): Cell[][] =>
  rows.map((row, i) => (i === r ? row.map((x, j) => (j === c ? v : x)) : row));
const withRow = (rows: Cell[][], r: number, row: Cell[]): Cell[][] => rows.map((x, i) => (i === r ? row : x));
const column = (labels: Cell[]): Cell[][] => labels.map((y) => [y]);

type TextFormat = 'csv' | 'tsv' | 'jsonl';
const DELIM: Record<TextFormat, string> = { csv: ',', tsv: '\t', jsonl: ',' };

/** One line of a text format (cells verbatim: a string cell is written as is). */
function line(fmt: TextFormat, row: Cell[]): string {
  const text = row.map(String).join(DELIM[fmt]);
  return fmt === 'jsonl' ? (row.length === 1 ? text : `[${text}]`) : text;
}
const text = (fmt: TextFormat, rows: Cell[][], header?: string) =>
  [...(header === undefined ? [] : [header]), ...rows.map((r) => line(fmt, r))].join('\n') + '\n';

/** 1-based column where field `k` (0-based) of a text line starts. */
function colOf(fmt: TextFormat, row: Cell[], k: number): number {
  const before = row.slice(0, k).map(String).join(DELIM[fmt]);
  return (fmt === 'jsonl' && row.length > 1 ? 1 : 0) + before.length + (k > 0 ? 1 : 0) + 1;
}

interface Case {
  name: string;
  /** Writes the files (named from `base`, the case's slug); returns the CLI arguments after `eval`. */
  args: (base: string) => string[];
  /** The whole message after "xent: error: ": the location and what is wrong. */
  message: RegExp;
  /**
   * The defect is in the data, past the middle of a 3000-row input: run with `--threads 1` and `--threads 2` (the
   * second worker finds it). Otherwise (file-level problems, headers, empty or oversized input: found before any
   * split) one run, with one or two threads in alternation.
   */
  split: boolean;
}

/** A slug for file names. */
const slug = (s: string) => s.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '').toLowerCase();
const cases: Case[] = [];
/** Adds a case; `message` gets the case's slug (its files' base name). */
function add(name: string, split: boolean, args: (base: string) => string[], message: (base: string) => RegExp): void {
  cases.push({ name, args, message: message(slug(name)), split });
}

// ---- Text formats: CSV, TSV, JSON Lines ----
for (const fmt of ['csv', 'tsv', 'jsonl'] as const) {
  // Shared by the cases (which run concurrently): written once, here.
  const labelFile = file(`labels-${fmt}.${fmt}`, text(fmt, column(LABELS)));
  const labels = () => labelFile;
  const pred = (base: string, rows: Cell[][], header?: string) => file(`${base}.${fmt}`, text(fmt, rows, header));
  /** The start of a message: file:line:column. */
  const at = (base: string, lineNo: number, col: number) => `^${escape(`${base}.${fmt}`)}:${lineNo}:${col}: `;
  /** PRED and TARGET, TARGET being the case's file. */
  const withLabels = (labelRows: Cell[][]) => (base: string) => [
    file(`pred-${base}.${fmt}`, text(fmt, LOGITS)),
    file(`${base}.${fmt}`, text(fmt, labelRows)),
  ];
  const short = LOGITS[D].slice(0, 3);
  add(`${fmt}: a ragged row, one value short`, true, (b) => [pred(b, withRow(LOGITS, D, short)), labels()],
    (b) => new RegExp(`${at(b, D + 1, fmt === 'jsonl' ? 1 : line(fmt, short).length + 1)}ragged row: 3 values, earlier rows have 4`));
  const long = [...LOGITS[D], 0.5];
  add(`${fmt}: a ragged row, one value too many`, true, (b) => [pred(b, withRow(LOGITS, D, long)), labels()],
    (b) => new RegExp(`${at(b, D + 1, fmt === 'jsonl' ? 1 : colOf(fmt, long, 4))}ragged row: 5 values, earlier rows have 4`));
  {
    // The file cut off in the middle of its last row: two of the four values left.
    const full = text(fmt, LOGITS);
    const last = line(fmt, LOGITS[R - 1]);
    const d = DELIM[fmt];
    const keep = last.indexOf(d, last.indexOf(d) + 1);
    const cut = full.length - 1 - last.length + keep;
    add(`${fmt}: the last line truncated`, true, (b) => [file(`${b}.${fmt}`, full.slice(0, cut)), labels()],
      (b) => new RegExp(`${at(b, R, keep + 1)}${fmt === 'jsonl' ? 'not valid JSON' : 'ragged row: 2 values, earlier rows have 4'}`));
  }
  const nan = withCell(LOGITS, D, 2, fmt === 'jsonl' ? 'NaN' : 'nan');
  add(`${fmt}: NaN`, true, (b) => [pred(b, nan), labels()], (b) => new RegExp(`${at(b, D + 1, colOf(fmt, nan[D], 2))}this value is NaN`));
  const inf = withCell(LOGITS, D, 1, fmt === 'jsonl' ? 'Infinity' : 'inf');
  add(`${fmt}: +Infinity`, true, (b) => [pred(b, inf), labels()],
    (b) => new RegExp(`${at(b, D + 1, colOf(fmt, inf[D], 1))}this value is Infinity \\(only -Infinity, a mask, is allowed\\)`));
  add(`${fmt}: an empty file (0 bytes)`, false, (b) => [file(`${b}.${fmt}`, ''), labels()], (b) => new RegExp(`${at(b, 1, 1)}no rows`));
  add(`${fmt}: an empty TARGET`, false, (b) => [file(`pred-${b}.${fmt}`, text(fmt, LOGITS)), file(`${b}.${fmt}`, '')],
    (b) => new RegExp(`^${escape(`pred-${b}.${fmt}`)}:1:1: PRED has more rows than TARGET \\(${escape(`${b}.${fmt}`)} ends after 0 rows\\)`));
  // Labels: one value per line, so TSV would repeat CSV.
  if (fmt !== 'tsv') {
    add(`${fmt}: a label out of range`, true, withLabels(withCell(column(LABELS), D, 0, 4)),
      (b) => new RegExp(`${at(b, D + 1, 1)}label 4 is out of range: labels are integers in \\[0, 4\\)`));
    add(`${fmt}: a negative label`, true, withLabels(withCell(column(LABELS), D, 0, -1)), (b) => new RegExp(`${at(b, D + 1, 1)}label -1 is out of range`));
    add(`${fmt}: a non-integer label`, true, withLabels(withCell(column(LABELS), D, 0, 1.5)), (b) => new RegExp(`${at(b, D + 1, 1)}label 1\\.5 is out of range`));
    add(`${fmt}: two values per row in a single-label TARGET`, true, withLabels(column(LABELS).map((r) => [r[0], 0])),
      (b) => new RegExp(`${at(b, 1, 1)}2 values per row; single-label targets are one integer label per row`));
  }

  if (fmt !== 'jsonl') {
    const d = DELIM[fmt];
    const abc = withCell(LOGITS, D, 1, 'abc');
    add(`${fmt}: a non-numeric cell`, true, (b) => [pred(b, abc), labels()],
      (b) => new RegExp(`${at(b, D + 1, colOf(fmt, abc[D], 1))}"abc" is not a number \\(field 2\\)`));
    const empty = withCell(LOGITS, D, 2, '');
    add(`${fmt}: an empty cell`, true, (b) => [pred(b, empty), labels()],
      (b) => new RegExp(`${at(b, D + 1, colOf(fmt, empty[D], 2))}an empty cell \\(field 3\\)`));
    const twice = withCell(LOGITS, D, 0, '1.5.2');
    add(`${fmt}: a cell with text after the number`, true, (b) => [pred(b, twice), labels()],
      (b) => new RegExp(`${at(b, D + 1, 1)}"1\\.5\\.2" is not a number \\(field 1\\)`));
    // Numbers are decimal: a cell of spaces is not 0, nor 0x10 sixteen (JavaScript's Number() takes both).
    const spaces = withCell(LOGITS, D, 1, '   ');
    add(`${fmt}: a cell of only spaces`, true, (b) => [pred(b, spaces), labels()],
      (b) => new RegExp(`${at(b, D + 1, colOf(fmt, spaces[D], 1))}a cell of only spaces \\(field 2\\)`));
    for (const [what, cell] of [['hexadecimal', '0x10'], ['binary', '0b11'], ['octal', '0o17']]) {
      const other = withCell(LOGITS, D, 2, cell);
      add(`${fmt}: a ${what} number`, true, (b) => [pred(b, other), labels()],
        (b) => new RegExp(`${at(b, D + 1, colOf(fmt, other[D], 2))}"${cell}" is not a decimal number \\(field 3\\)`));
    }
    const x = withCell(LOGITS, D, 3, '0.5x');
    add(`${fmt}: a header, then a non-numeric cell`, true, (b) => [pred(b, x, ['a', 'b', 'c', 'd'].join(d)), labels()],
      (b) => new RegExp(`${at(b, D + 2, colOf(fmt, x[D], 3))}"0\\.5x" is not a number \\(field 4\\)`));
    add(`${fmt}: a header naming 3 columns over rows of 4`, false, (b) => [pred(b, LOGITS, ['a', 'b', 'c'].join(d)), labels()],
      (b) => new RegExp(`${at(b, 2, colOf(fmt, LOGITS[0], 3))}ragged row: 4 values, but the header \\(line 1\\) names 3 columns`));
    add(`${fmt}: a header only`, false, (b) => [file(`${b}.${fmt}`, ['a', 'b', 'c', 'd'].join(d) + '\n'), labels()],
      (b) => new RegExp(`${at(b, 2, 1)}no rows`));
  } else {
    const x = withCell(LOGITS, D, 1, 'x');
    add('jsonl: invalid JSON', true, (b) => [pred(b, x), labels()],
      (b) => new RegExp(`${at(b, D + 1, colOf(fmt, x[D], 1))}not valid JSON: Unexpected token 'x'`));
    add('jsonl: a trailing comma', true, (b) => [file(`${b}.jsonl`, text(fmt, LOGITS).replace(/\]\n$/, ',]\n')), labels()],
      (b) => new RegExp(`${at(b, R, line(fmt, LOGITS[R - 1]).length + 1)}not valid JSON`));
    add('jsonl: an object, not an array', true, (b) => [pred(b, withRow(LOGITS, D, ['{"logits": [1, 2, 3, 4]}'])), labels()],
      (b) => new RegExp(`${at(b, D + 1, 1)}expected a number or an array of numbers, got an object`));
    add('jsonl: nested arrays', true, (b) => [pred(b, withRow(LOGITS, D, ['[1, 2]', '[3, 4]'])), labels()],
      (b) => new RegExp(`${at(b, D + 1, 2)}element 1 is \\[1,2\\], not a number`));
    const str = withCell(LOGITS, D, 3, '"0.25"');
    add('jsonl: a string value', true, (b) => [pred(b, str), labels()],
      (b) => new RegExp(`${at(b, D + 1, colOf(fmt, str[D], 3))}element 4 is "0\\.25", not a number`));
    add('jsonl: null for a label', true, withLabels(withCell(column(LABELS), D, 0, 'null')),
      (b) => new RegExp(`${at(b, D + 1, 1)}expected a number or an array of numbers, got null`));
    add('jsonl: a million nested arrays', false, (b) => [file(`${b}.jsonl`, `${'['.repeat(1e6)}${']'.repeat(1e6)}\n`), labels()],
      (b) => new RegExp(`${at(b, 1, 2)}element 1 is \\[…\\] \\(nested too deep\\), not a number`));
    add('jsonl: a million unclosed brackets', false, (b) => [file(`${b}.jsonl`, `${'['.repeat(1e6)}\n`), labels()],
      (b) => new RegExp(`${at(b, 1, 1e6 + 1)}not valid JSON: Unexpected end of JSON input`));
    add('jsonl: a string label', true, withLabels(withCell(column(LABELS), D, 0, '"2"')),
      (b) => new RegExp(`${at(b, D + 1, 1)}expected a number or an array of numbers, got a string "2"`));
  }
}

// ---- NumPy .npy ----
{
  const f32 = Float32Array.from(LOGITS.flat());
  const rowBytes = 4 * C;
  const labelFile = file('labels-npy.npy', npy('<i4', [R], Int32Array.from(LABELS)));
  const labels = () => labelFile;
  const good = npy('<f4', [R, C], f32);
  const dataAt = good.length - f32.byteLength;
  const at = (base: string) => `^${escape(`${base}.npy`)}: `;
  /** A case whose PRED is the case's .npy file, holding `bytes`. */
  const bad = (name: string, split: boolean, bytes: () => Uint8Array, message: string) =>
    add(name, split, (b) => [file(`${b}.npy`, bytes()), labels()], (b) => new RegExp(`${at(b)}${message}`));

  // Cut inside row 2501, after its second value and one byte of the third.
  bad('npy: truncated data', false, () => good.subarray(0, dataAt + D * rowBytes + 9),
    `row ${D + 1}, column 3: truncated \\.npy: the header promises 3000 × 4 <f4 \\(48000 bytes of data\\) but the file holds ${D * rowBytes + 9}`);
  bad('npy: truncated header', false, () => good.subarray(0, 40), 'byte offset 40: truncated \\.npy header \\(118 bytes promised, 30 present\\)');
  bad('npy: truncated magic', false, () => good.subarray(0, 8), 'byte offset 8: truncated \\.npy header \\(the file ends after 8 bytes\\)');
  bad('npy: bad magic (a zip file)', false, () => Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), good.subarray(4)]), 'byte offset 0: not a NumPy \\.npy file');
  bad('npy: a CSV file named .npy', false, () => Buffer.from(text('csv', LOGITS)), 'byte offset 0: not a NumPy \\.npy file');
  bad('npy: an empty file (0 bytes)', false, () => new Uint8Array(0), 'byte offset 0: an empty file \\(0 bytes\\), not a NumPy \\.npy file');
  bad('npy: format version 9', false, () => {
    const b = Buffer.from(good);
    b[6] = 9;
    return b;
  }, 'byte offset 6: \\.npy format version 9\\.0 is not supported');
  bad('npy: a header length of 3 GB', false, () => {
    const b = Buffer.from(npyRaw(npyHeader('<f4', [R, C]), new Uint8Array(f32.buffer), 2));
    b.writeUInt32LE(3_000_000_000, 8);
    return b;
  }, 'byte offset 8: the header length says 3000000000 bytes; xent reads \\.npy headers of at most 65536');
  bad('npy: the header promises more rows than the data holds', false, () => npy('<f4', [R + 5, C], f32),
    `row ${R + 1}, column 1: truncated \\.npy: the header promises 3005 × 4`);
  const fewer = npy('<f4', [R - 1, C], f32);
  bad('npy: the header promises fewer rows than the data holds', false, () => fewer,
    `byte offset ${fewer.length - rowBytes}: the header's shape \\(2999, 4\\) of <f4 accounts for 47984 bytes of data but the file holds 48000`);
  const narrow = npy('<f4', [R, 3], f32);
  bad('npy: the header promises 3 columns over data of 4', false, () => narrow,
    `byte offset ${narrow.length - R * 4}: the header's shape \\(3000, 3\\) of <f4 accounts for 36000 bytes`);
  const dtypes: [string, string, number, string][] = [
    ['complex', '<c16', 16, 'dtype <c16 \\(complex numbers\\) is not supported'],
    ['big-endian float32', '>f4', 4, "dtype >f4 is big-endian, which is not supported: save little-endian data \\(a\\.astype\\('<f4'\\)\\)"],
    ['object', '|O', 8, 'dtype \\|O \\(Python objects\\) is not supported'],
    ['raw 2-byte records (bfloat16 without --dtype)', '|V2', 2, 'dtype \\|V2 \\(raw 2-byte records\\) is not a number type: for bfloat16 saved by ml_dtypes, pass --dtype bfloat16'],
  ];
  for (const [what, descr, size, message] of dtypes) {
    const h = npyHeader(descr, [R, C]);
    bad(`npy: dtype ${what} (${descr})`, false, () => npyRaw(h, new Uint8Array(R * C * size)), `byte offset ${keyAt(h, 'descr')}: ${message}`);
  }
  {
    const h = `{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (${R},), }`;
    bad('npy: a structured dtype', false, () => npyRaw(h, new Uint8Array(8 * R)), `byte offset ${keyAt(h, 'descr')}: structured dtypes \\(records\\) are not supported`);
  }
  {
    const h = npyHeader('<f4', [R, 2, 2]);
    bad('npy: a 3-D array', false, () => npyRaw(h, new Uint8Array(f32.buffer)), `byte offset ${keyAt(h, 'shape')}: shape \\(3000, 2, 2\\) holds sequences of token positions: evaluate a language model's logits with --task lm`);
  }
  {
    const h = npyHeader('<f4', [R, C]).replace('False', 'True');
    bad('npy: Fortran order', false, () => npyRaw(h, new Uint8Array(f32.buffer)),
      `byte offset ${keyAt(h, 'fortran_order')}: Fortran-order \\(column-major\\) arrays are not supported`);
  }
  {
    // NumPy keeps the last of a key given twice: a second fortran_order would silently transpose.
    const h = "{'descr': '<f4', 'fortran_order': False, 'shape': (3000, 4), 'fortran_order': True, }";
    bad('npy: a key given twice', false, () => npyRaw(h, new Uint8Array(f32.buffer)),
      `byte offset ${10 + h.lastIndexOf("'fortran_order'")}: unreadable \\.npy header: the key 'fortran_order' is given twice`);
    const f = "{'descr': '<f4', 'fortran_order': False, 'shape': (3000, 4.0), }";
    bad('npy: a float in the shape', false, () => npyRaw(f, new Uint8Array(f32.buffer)),
      `byte offset ${10 + f.indexOf('4.0')}: unreadable \\.npy header: a shape entry that is not a non-negative integer: "4\\.0"`);
    const x = "{'descr': '<f4', 'fortran_order': False, 'shape': (3000, 4), 'extra': 1, }";
    bad('npy: an unknown key', false, () => npyRaw(x, new Uint8Array(f32.buffer)),
      `byte offset ${10 + x.indexOf("'extra'")}: unreadable \\.npy header: an unknown key 'extra'`);
  }
  bad('npy: a header without a shape', false, () => npyRaw("{'descr': '<f4', 'fortran_order': False, }", new Uint8Array(f32.buffer)),
    'byte offset 10: unreadable \\.npy header');
  {
    const h = npyHeader('<f4', [0, C]);
    bad('npy: zero rows', false, () => npyRaw(h, new Uint8Array(0)), `byte offset ${keyAt(h, 'shape')}: no rows`);
  }
  const nan = Float32Array.from(f32);
  nan[D * C + 1] = NaN;
  bad('npy: NaN', true, () => npy('<f4', [R, C], nan), `row ${D + 1}, column 2: this value is NaN`);
  const inf = Float64Array.from(f32);
  inf[D * C + 3] = Infinity;
  bad('npy: +Infinity (float64)', true, () => npy('<f8', [R, C], inf), `row ${D + 1}, column 4: this value is Infinity`);

  /** A case whose TARGET is the case's .npy file. */
  const badLabels = (name: string, split: boolean, bytes: () => Uint8Array, message: string) =>
    add(name, split, (b) => [file(`pred-${b}.npy`, good), file(`${b}.npy`, bytes())], (b) => new RegExp(`${at(b)}${message}`));
  badLabels('npy: a label out of range', true, () => npy('<i8', [R], BigInt64Array.from(LABELS.map((y, i) => BigInt(i === D ? 4 : y)))),
    `row ${D + 1}, column 1: label 4 is out of range`);
  badLabels('npy: a negative label', true, () => npy('<i4', [R], Int32Array.from(LABELS.map((y, i) => (i === D ? -3 : y)))),
    `row ${D + 1}, column 1: label -3 is out of range`);
  badLabels('npy: a non-integer label', true, () => npy('<f8', [R], Float64Array.from(LABELS.map((y, i) => (i === D ? 2.5 : y)))),
    `row ${D + 1}, column 1: label 2\\.5 is out of range`);
  badLabels('npy: labels of shape (rows, 2)', true, () => npy('<i4', [R, 2], new Int32Array(2 * R)),
    'row 1: 2 values per row; single-label targets are one integer label per row');
  {
    const h = npyHeader('>i4', [R]);
    badLabels('npy: big-endian labels', true, () => npyRaw(h, new Uint8Array(4 * R)), `byte offset ${keyAt(h, 'descr')}: dtype >i4 is big-endian`);
  }
}

// ---- Row counts that disagree, in each pair of formats ----
{
  type F = 'csv' | 'jsonl' | 'npy';
  const write = (name: string, fmt: F, rows: Cell[][], kind: 'pred' | 'labels') => {
    if (fmt !== 'npy') return file(name, text(fmt, rows));
    return file(name, kind === 'pred'
      ? npy('<f8', [rows.length, C], Float64Array.from(rows.flat() as number[]))
      : npy('<i4', [rows.length], Int32Array.from(rows.flat() as number[])));
  };
  const loc = (fmt: F, row: number) => (fmt === 'npy' ? `: row ${row}` : `:${row}:1`);
  for (const pf of ['csv', 'jsonl', 'npy'] as const) {
    for (const tf of ['csv', 'jsonl', 'npy'] as const) {
      const p = (b: string) => `pred-${b}.${pf}`;
      const t = (b: string) => `${b}.${tf}`;
      add(`rows: PRED (${pf}) longer than TARGET (${tf})`, true,
        (b) => [write(p(b), pf, LOGITS, 'pred'), write(t(b), tf, column(LABELS.slice(0, R - 1)), 'labels')],
        (b) => new RegExp(`^${escape(p(b))}${loc(pf, R)}: PRED has more rows than TARGET \\(${escape(t(b))} ends after ${R - 1} rows\\)`));
      add(`rows: TARGET (${tf}) longer than PRED (${pf})`, true,
        (b) => [write(p(b), pf, LOGITS, 'pred'), write(t(b), tf, column([...LABELS, 0]), 'labels')],
        (b) => new RegExp(`^${escape(t(b))}${loc(tf, R + 1)}: TARGET has more rows than PRED \\(${escape(p(b))} has ${R} rows\\)`));
      // A third of the rows: with two threads the second part gets no TARGET rows at all.
      if (pf === tf || tf === 'npy') {
        add(`rows: TARGET (${tf}) a third of PRED (${pf})`, true,
          (b) => [write(p(b), pf, LOGITS, 'pred'), write(t(b), tf, column(LABELS.slice(0, 1000)), 'labels')],
          (b) => new RegExp(`^${escape(p(b))}${loc(pf, 1001)}: PRED has more rows than TARGET \\(${escape(t(b))} ends after 1000 rows\\)`));
      }
    }
  }
}

// ---- Files that are not readable files ----
add('a directory as PRED', false, (b) => {
  mkdirSync(join(dir, `${b}.csv`), { recursive: true });
  return [`${b}.csv`, file(`labels-${b}.csv`, text('csv', column(LABELS)))];
}, (b) => new RegExp(`^${b}\\.csv: not a regular file but a directory; xent reads regular files`));
add('a missing TARGET', false, (b) => [file(`pred-${b}.csv`, text('csv', LOGITS)), `${b}.csv`], (b) => new RegExp(`^${b}\\.csv: no such file or directory`));
add('a FIFO as PRED', false, (b) => {
  const fifo = join(dir, `${b}.csv`);
  if (!existsSync(fifo)) expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  return [`${b}.csv`, file(`labels-${b}.csv`, text('csv', column(LABELS)))];
}, (b) => new RegExp(`^${b}\\.csv: not a regular file but a FIFO \\(named pipe\\); xent reads regular files`));
add('/dev/null as PRED', false, (b) => ['/dev/null', file(`labels-${b}.csv`, text('csv', column(LABELS))), '--pred-format', 'csv'],
  () => /^\/dev\/null: not a regular file but a character device/);
add('UTF-16 text', false, (b) => [
  file(`${b}.csv`, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text('csv', LOGITS), 'utf16le')])),
  file(`labels-${b}.csv`, text('csv', column(LABELS))),
], (b) => new RegExp(`^${b}\\.csv:1:1: UTF-16 text is not supported: save the file as UTF-8`));

// ---- Wider than the CLI reads: a 100 MB single line, and one value more than 2^20 ----
for (const fmt of ['csv', 'tsv', 'jsonl'] as const) {
  add(`a 100 MB single line (${fmt})`, false, (b) => {
    const data = Buffer.alloc(100 << 20, fmt === 'jsonl' ? '0.1, ' : `0.1${DELIM[fmt]}`);
    if (fmt === 'jsonl') data[0] = 0x5b; // '['
    return [file(`${b}.${fmt}`, data), file(`labels-${b}.${fmt}`, '0\n')];
  }, (b) => new RegExp(`^${b}\\.${fmt}:1:${(32 << 20) + 1}: this line is longer than 32 MiB, the most xent eval reads as one row`));
}
add('a row of 2^20 + 1 values', false, (b) => {
  const data = Buffer.alloc(2 * ((1 << 20) + 1), '0,');
  data[data.length - 1] = 0x0a;
  return [file(`${b}.csv`, data), file(`labels-${b}.csv`, '0\n')];
}, (b) => new RegExp(`^${b}\\.csv:1:${2 * (1 << 20) + 1}: 1048577 values per row: xent eval reads at most 1048576 classes per row`));
add('an .npy of 2^20 + 1 columns', false, (b) => [
  file(`${b}.npy`, npyRaw(npyHeader('<f4', [1, (1 << 20) + 1]), new Uint8Array(4 * ((1 << 20) + 1)))),
  file(`labels-${b}.csv`, '0\n'),
], (b) => new RegExp(`^${b}\\.npy: row 1, column 1048577: 1048577 values per row: xent eval reads at most 1048576 classes per row`));

describe('xent eval on malformed input: exit 2, the place on stderr, nothing on stdout, no report', () => {
  it('the table covers every format and kind of defect', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
    expect(new Set(cases.map((c) => slug(c.name))).size).toBe(cases.length);
  });

  // The output format only matters once a result exists; the runs rotate through the three.
  const FORMATS = ['table', 'json', 'csv'] as const;
  it.concurrent.for(cases.map((c, i) => [c.name, c, i] as const))('%s', async ([, c, i], { expect }) => {
    const args = c.args(slug(c.name));
    const runs: Run[] = [];
    for (const threads of c.split ? [1, 2] : [1 + (i % 2)]) {
      const report = `report-${i}-${threads}.html`;
      const format = FORMATS[(i + threads) % 3];
      const r = await xent(['eval', ...args, '--threads', String(threads), '--format', format, '--report', report]);
      expect(r.stdout, `stdout, --threads ${threads} --format ${format}`).toBe('');
      expect(existsSync(join(dir, report)), `a report file, --threads ${threads}`).toBe(false);
      expect(r.stderr.startsWith('xent: error: '), r.stderr).toBe(true);
      expect(r.stderr.slice('xent: error: '.length)).toMatch(c.message);
      expect(r.stderr.split('\n').length, 'one line').toBe(2);
      expect({ code: r.code, signal: r.signal }).toEqual({ code: 2, signal: null });
      runs.push(r);
    }
    // The first error in file order, whichever worker found it.
    if (runs.length === 2) expect(runs[1].stderr).toBe(runs[0].stderr);
  });
});

describe('a report that cannot be written', () => {
  it('is exit 2 naming the report, with nothing on stdout', async () => {
    file('pred-report.csv', text('csv', LOGITS));
    file('labels-report.csv', text('csv', column(LABELS)));
    const r = await xent(['eval', 'pred-report.csv', 'labels-report.csv', '--report', 'no-such-dir/r.html', '--format', 'json']);
    expect(r.stderr).toBe('xent: error: no-such-dir/r.html: no such file or directory\n');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('an unreadable file', () => {
  it('is exit 2 with "permission denied", run as an unprivileged user when the tests run as root', async (ctx) => {
    const sub = join(dir, 'perm');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'pred.csv'), text('csv', LOGITS));
    writeFileSync(join(sub, 'locked.csv'), text('csv', LOGITS));
    writeFileSync(join(sub, 'labels.csv'), text('csv', column(LABELS)));
    chmodSync(join(sub, 'locked.csv'), 0o000);
    // root reads a mode-000 file: run the CLI as `nobody` (65534), who can traverse the temp dir.
    const asUser: SpawnOptions = process.getuid?.() === 0 ? { uid: 65534, gid: 65534, cwd: sub } : { cwd: sub };
    if (asUser.uid !== undefined) for (const d of [dir, sub]) chmodSync(d, 0o755);
    // The control: the same user evaluates a readable file (so a failure below is the permission, not the setup).
    // (When the Node binary itself is out of that user's reach, spawn fails: that too means the check cannot run here.)
    const control = await xent(['eval', 'pred.csv', 'labels.csv', '--format', 'csv'], asUser).catch(
      (e: Error): Run => ({ code: null, signal: null, stdout: '', stderr: e.message }),
    );
    if (control.code !== 0) {
      const why = `the CLI cannot run as uid ${asUser.uid ?? process.getuid?.()} here: ${control.stderr.trim().slice(0, 200)}`;
      console.warn(`skipped: ${why}`);
      ctx.skip(why);
    }
    expect(control.stdout).toMatch(/^metric,value\ncount,3000\n/);
    for (const threads of ['1', '2']) {
      const r = await xent(['eval', 'locked.csv', 'labels.csv', '--threads', threads, '--report', 'r.html'], asUser);
      expect(r.stderr).toBe('xent: error: locked.csv: permission denied\n');
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(existsSync(join(sub, 'r.html'))).toBe(false);
      const t = await xent(['eval', 'pred.csv', 'locked.csv', '--threads', threads], asUser);
      expect(t.stderr).toBe('xent: error: locked.csv: permission denied\n');
      expect(t.code).toBe(2);
    }
  });
});

describe('odd but valid text: the library numbers', () => {
  const labels = file('labels-valid.csv', text('csv', column(LABELS)));
  const want = new Evaluator({ classes: C }).update(LOGITS, LABELS).result();
  const crlf = (s: string) => s.replace(/\n/g, '\r\n');
  const BOM = '\ufeff';
  const quoted = LOGITS.map((r) => r.map((v) => `"${v}"`));
  const masked = LOGITS.map((r, i) => (i % 10 === 0 ? r.map((v, j) => (j === 3 && LABELS[i] !== 3 ? '-inf' : v)) : r));
  const maskedNumbers = masked.map((r) => r.map((v) => (v === '-inf' ? -Infinity : (v as number))));
  const valid: [string, () => string[], number[][]][] = [
    ['CRLF line ends', () => [file('crlf.csv', crlf(text('csv', LOGITS))), labels], LOGITS],
    ['a byte-order mark', () => [file('bom.csv', BOM + text('csv', LOGITS)), labels], LOGITS],
    ['a byte-order mark, a quoted header, CRLF', () => [file('bom-header.csv', BOM + crlf(text('csv', LOGITS, '"a","b","c","d"'))), labels], LOGITS],
    ['a quoted header naming a column with a comma', () => [file('comma-header.csv', text('csv', LOGITS, '"x, y",b,c,d')), labels], LOGITS],
    ['quoted cells', () => [file('quoted.csv', text('csv', quoted)), labels], LOGITS],
    ['TSV with CRLF and labels in JSON Lines with a BOM', () => [file('crlf.tsv', crlf(text('tsv', LOGITS))), file('bom-labels.jsonl', BOM + text('jsonl', column(LABELS)))], LOGITS],
    ['no newline at the end, then trailing blank lines in TARGET', () => [file('no-eol.csv', text('csv', LOGITS).trimEnd()), file('blank-end.csv', text('csv', column(LABELS)) + '\n\r\n  \n')], LOGITS],
    ['-inf masks in CSV', () => [file('mask.csv', text('csv', masked)), labels], maskedNumbers],
    ['blank lines between rows and at the start', () => {
      const lines = text('csv', LOGITS).split('\n');
      lines.splice(D, 0, '', '  \t');
      return [file('blank-lines.csv', '\n' + lines.join('\n')), labels];
    }, LOGITS],
    ['-Infinity masks in JSON Lines (Python json.dumps)', () => [file('mask.jsonl', text('jsonl', masked.map((r) => r.map((v) => (v === '-inf' ? '-Infinity' : v))))), labels], maskedNumbers],
  ];
  it.concurrent.for(valid)('%s', async ([, args, rows], { expect }) => {
    const lib = rows === LOGITS ? want : new Evaluator({ classes: C }).update(rows, LABELS).result();
    for (const threads of ['1', '2']) {
      const r = await xent(['eval', ...args(), '--format', 'json', '--threads', threads]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const got = JSON.parse(r.stdout) as { count: number; nats: number; accuracy: number };
      expect(got.count).toBe(R);
      expect(Math.abs(got.nats - lib.nats)).toBeLessThanOrEqual(1e-12 * lib.nats);
      expect(got.accuracy).toBe(lib.accuracy);
    }
  });

  it('a row of 200,000 values (longer than the 1 MiB read buffer) is read whole', async () => {
    const K = 200_000;
    const rows = [0, 1, 2].map((r) => Array.from({ length: K }, (_, j) => ((j * 7 + r * 13) % 400) / 40 - 5));
    const y = [0, 123_457, K - 1];
    file('wide.csv', text('csv', rows));
    file('wide-labels.csv', y.join('\n') + '\n');
    const r = await xent(['eval', 'wide.csv', 'wide-labels.csv', '--format', 'json']);
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as { count: number; nats: number };
    const lib = new Evaluator({ classes: K }).update(rows, y).result();
    expect(got.count).toBe(3);
    expect(Math.abs(got.nats - lib.nats)).toBeLessThanOrEqual(1e-12 * lib.nats);
  });
});

describe('SIGINT', () => {
  // 200 MB of float32 logits, 8 classes: 6.5 million rows, several seconds of work on a 2-core machine.
  const ROWS = 6_553_600;
  const K = 8;
  const big = join(dir, 'big.npy');
  const bigLabels = join(dir, 'big-labels.npy');
  afterAll(() => {
    rmSync(big, { force: true });
    rmSync(bigLabels, { force: true });
  });

  function writeBig(): void {
    if (existsSync(big)) return;
    const chunkRows = 1 << 17;
    const logits = new Float32Array(chunkRows * K);
    let s = 7;
    for (let i = 0; i < logits.length; i++) logits[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 8 - 4;
    const y = Int32Array.from({ length: chunkRows }, (_, i) => (i * 5 + (i >> 4)) % K);
    const head = npy('<f4', [ROWS, K], new Float32Array(0));
    const headLabels = npy('<i4', [ROWS], new Int32Array(0));
    for (const [path, h, block] of [[big, head, logits], [bigLabels, headLabels, y]] as const) {
      const fd = openSync(path, 'w');
      try {
        writeSync(fd, h);
        const bytes = new Uint8Array(block.buffer);
        for (let done = 0; done < ROWS; done += chunkRows) writeSync(fd, bytes);
      } finally {
        closeSync(fd);
      }
    }
  }

  /** Processes still running whose command line names this test's temp dir (the CLI or a leftover of it). */
  function leftovers(): string[] {
    const found: string[] = [];
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        if (cmd.includes(dir) && !cmd.includes('vitest') && Number(pid) !== process.pid) found.push(`${pid}: ${cmd}`);
      } catch {
        // The process ended while being read.
      }
    }
    return found;
  }

  /**
   * Until the CLI has `file` open (its SIGINT handler is set before it opens its inputs: a signal sent earlier, on a
   * loaded host, would meet Node's default handler), where /proc shows it; elsewhere, 700 ms.
   */
  async function whenReading(pid: number, file: string): Promise<void> {
    const fds = `/proc/${pid}/fd`;
    if (!existsSync(fds)) return new Promise((r) => setTimeout(r, 700));
    const target = realpathSync(file);
    for (const t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 20))) {
      // An fd closed between the listing and its readlink (the CLI opens and closes files while it loads) is not
      // the end of the process: only a listing that fails is.
      const is = (fd: string) => {
        try {
          return readlinkSync(join(fds, fd)) === target;
        } catch {
          return false;
        }
      };
      try {
        if (readdirSync(fds).some(is)) return;
      } catch {
        return; // the process ended: the check after this says so
      }
    }
  }

  it.each(['1', '2'])('--threads %s: stops within 3 s, exit by SIGINT, no result, no report, "interrupted"', async (threads) => {
    writeBig();
    const report = join(dir, `interrupted-${threads}.html`);
    const c = spawn(process.execPath, [CLI, 'eval', big, bigLabels, '--threads', threads, '--report', report], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => c.on('close', (code, signal) => resolve({ code, signal })));
    await whenReading(c.pid!, big);
    // Still working: otherwise this test would show nothing.
    expect(c.exitCode, `finished before the signal: ${stdout.slice(0, 200)}`).toBe(null);
    const t0 = Date.now();
    c.kill('SIGINT');
    const end = await closed;
    const took = Date.now() - t0;
    expect(end).toEqual({ code: null, signal: 'SIGINT' });
    expect(took).toBeLessThan(3000);
    expect(stdout).toBe('');
    expect(stderr).toBe('xent: interrupted\n');
    expect(existsSync(report)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('Ctrl-C in a terminal: the progress bar is erased, then "interrupted"; the shell sees 130', async (ctx) => {
    const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
    if (script.status !== 0 || !/util-linux/.test(script.stdout)) {
      const why = 'util-linux `script` (to run the CLI in a pseudo-terminal) is not installed';
      console.warn(`skipped: ${why}`);
      ctx.skip(why);
    }
    writeBig();
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const cmd = [process.execPath, CLI, 'eval', big, bigLabels, '--threads', '2'].map(q).join(' ');
    // script: -q quiet, -e its exit status is the command's, -f flush, -c the command; its stdin is the terminal's keyboard.
    const c = spawn('script', ['-qefc', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
    const closed = new Promise<number | null>((resolve) => c.on('close', (code) => resolve(code)));
    const t0 = Date.now();
    while (!screen.includes(' %') && Date.now() - t0 < 15_000 && c.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    expect(screen, 'a progress bar on the terminal').toMatch(/[█░]+ +\d+ % +[\d.]+ [kMG]? ?rows\/s +ETA \d+ s/);
    await new Promise((r) => setTimeout(r, 300));
    expect(c.exitCode).toBe(null);
    const t1 = Date.now();
    c.stdin.write('\x03');
    const code = await closed;
    expect(Date.now() - t1).toBeLessThan(3000);
    expect(code).toBe(130);
    // After the last bar: the line is erased (CR, erase to end of line), then the message; no result.
    const afterBar = screen.slice(screen.lastIndexOf(' ETA '));
    expect(afterBar).toMatch(/\r\x1b\[Kxent: interrupted\r\n$/);
    expect(screen).not.toMatch(/cross-entropy|accuracy/);
    expect(leftovers()).toEqual([]);
  });
});
