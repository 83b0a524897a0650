/**
 * The first rows of a text file, as cells: what the layout decides from. The delimiter is sniffed (`,` `;` tab `|`:
 * the one that splits every line into the same number of fields, more than one, and the most numbers), and whether
 * the first line is a header is decided from what its cells are against the cells below them (see header()).
 */
import { openBytes } from './bytes.js';
import { isNanText, parseBool, parseNumber, unquote } from './cells.js';
import { fromJson, parseJsonLine } from './json.js';
import { LABEL_NAMES, PRED_NAMES, isIndexName, lower } from './names.js';
import { MAX_LINE, fieldCount } from './text.js';
import { type Cell, InputError, PROBE_CELLS, PROBE_ROWS, type Table } from './types.js';

/** Bytes read for the probe at most: the rows probed, or a line's limit (wide rows). */
const PROBE_MAX = MAX_LINE + (1 << 20);
const DELIMITERS = [',', '\t', ';', '|'];

interface Line {
  text: string;
  line: number;
}

/** The first lines of a file (blank ones dropped), and the number of the line after the last one read. */
async function headLines(path: string): Promise<{ lines: Line[]; end: number }> {
  const src = await openBytes(path);
  const parts: Buffer[] = [];
  let length = 0;
  let eof = false;
  let newlines = 0;
  try {
    // 64 KiB at a time, until the rows probed are complete (wide rows: three lines and 1 MiB), or a line's limit.
    const buf = Buffer.allocUnsafe(1 << 16);
    while (length < PROBE_MAX && newlines <= PROBE_ROWS + 1 && !(newlines >= 3 && length >= 1 << 20)) {
      const n = await src.read(buf, buf.length);
      if (n === 0) {
        eof = true;
        break;
      }
      for (let i = buf.indexOf(10); i >= 0 && i < n && newlines <= PROBE_ROWS + 1; i = buf.indexOf(10, i + 1)) newlines++;
      parts.push(Buffer.from(buf.subarray(0, n)));
      length += n;
    }
  } finally {
    src.close();
  }
  const bytes = Buffer.concat(parts);
  if (!eof && newlines === 0) {
    throw new InputError(
      `${path}:1:${bytes.subarray(0, MAX_LINE).toString('utf8').length + 1}`,
      `this line is longer than ${MAX_LINE >> 20} MiB, the most xent eval reads as one row (a row holds at most 2^20 values)`,
    );
  }
  const all = bytes.toString('utf8').split('\n');
  if (!eof || all[all.length - 1] === '') all.pop();
  const lines: Line[] = [];
  all.forEach((text, i) => {
    const t = text.replace(/\r$/, '');
    if (t.trim() !== '') lines.push({ text: t, line: i + 1 });
  });
  return { lines: lines.slice(0, PROBE_ROWS + 1), end: all.length + 1 };
}

/** The fields of a line: split at delimiters outside double quotes. */
export function splitCells(text: string, delim: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === delim && !quoted) {
      out.push(text.slice(from, i));
      from = i + 1;
    }
  }
  out.push(text.slice(from));
  return out;
}

/** A text cell as probing sees it. */
function cellOf(raw: string): Cell {
  const v = parseNumber(raw);
  if (v === v || isNanText(raw)) return v;
  const b = parseBool(raw);
  if (b !== undefined) return b === 1;
  const t = unquote(raw);
  return t === '' ? null : t;
}

/** The delimiter that splits every probed line into the same number of fields (more than one), most of them numbers. */
function sniff(lines: Line[]): string {
  let best = ',';
  let bestScore = -1;
  const some = lines.slice(0, 50);
  for (const d of DELIMITERS) {
    const n = fieldCount(some[0].text, d);
    if (n < 2 || !some.every((l) => fieldCount(l.text, d) === n)) continue;
    const cells = some.slice(1).flatMap((l) => splitCells(l.text, d));
    const numbers = cells.filter((c) => typeof cellOf(c) === 'number').length;
    const score = (cells.length === 0 ? 0 : numbers / cells.length) * 1e6 + n;
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

const known = (name: string) => isIndexName(name) || LABEL_NAMES.includes(lower(name)) || lower(name) in PRED_NAMES;

/**
 * Whether the first line is a header: true when one of its cells is text (or empty) over a column of numbers or
 * booleans, or when its cells are the integers 0, 1, … (pandas' names of unnamed columns) over a column of text or
 * over values that are not all integers. False when its cells are
 * like the cells below. null when it cannot be told: text over text that is not a known column name nor one of the
 * values below, or 0, 1, … over integers (a label file whose first label is 0 looks the same with and without
 * pandas' header "0").
 */
function header(first: string[], below: string[][]): boolean | null {
  if (below.length === 0) return first.every((c) => typeof cellOf(c) === 'string' || cellOf(c) === null) && first.some((c) => cellOf(c) !== null);
  // pandas' names of unnamed columns: 0, 1, …
  const sequence = first.every((c, j) => unquote(c) === String(j));
  let unsure = false;
  for (let j = 0; j < first.length; j++) {
    const top = cellOf(first[j]);
    const kinds = new Set(below.map((r) => cellOf(r[j] ?? '')).filter((c) => c !== null).map((c) => typeof c));
    if (kinds.size === 0) continue;
    const typed = !kinds.has('string');
    if ((top === null || typeof top === 'string') && typed) return true;
    if (sequence && kinds.size === 1 && kinds.has('string')) return true;
    if (typeof top === 'string' && !typed) {
      if (known(top)) return true;
      if (!below.some((r) => unquote(r[j] ?? '') === top)) unsure = true;
    }
  }
  if (sequence) {
    const integers = below.every((r) => r.every((c) => Number.isInteger(cellOf(c)) || typeof cellOf(c) !== 'number'));
    return integers ? null : true;
  }
  return unsure ? null : false;
}

/**
 * Probes a CSV / TSV file: delimiter, header, column names and the first rows' cells. `forced` overrides what is
 * sniffed (--delimiter, --header / --no-header, the .tsv format).
 */
export async function probeDelimited(path: string, forced: { delimiter?: string; header?: boolean }): Promise<Table> {
  const { lines, end } = await headLines(path);
  if (lines.length === 0) {
    return { columns: [], sample: [], rows: null, empty: true, dialect: { delimiter: forced.delimiter ?? ',', header: false }, firstRow: `${path}:${end}:1` };
  }
  const delimiter = forced.delimiter ?? sniff(lines);
  const split = lines.map((l) => splitCells(l.text, delimiter));
  // --header makes a header of a first line that may be one (not of one that reads as numbers only); --no-header
  // makes every first line a row.
  const found = header(split[0], split.slice(1, 101));
  const isHeader = forced.header === false ? false : forced.header === true ? found !== false : found;
  // An undecided header is decided later (by row counts); meanwhile the first line is probed as a header when its
  // cells are the column names 0, 1, … so that the sample holds values only.
  const skip = isHeader === true || (isHeader === null && split.length > 1) ? 1 : 0;
  const names = skip === 1 ? split[0].map(unquote) : null;
  const rows = split.slice(skip);
  const width = rows.length > 0 ? rows[0].length : split[0].length;
  if (names !== null && rows.length > 0 && names.length !== width) {
    const text = lines[1].text;
    const cut = splitCells(text, delimiter).slice(0, names.length).join(delimiter).length;
    throw new InputError(
      `${path}:${lines[1].line}:${width > names.length ? cut + 2 : text.length + 1}`,
      `ragged row: ${width} values, but the header (line ${lines[0].line}) names ${names.length} columns`,
    );
  }
  const limit = Math.max(2, Math.min(PROBE_ROWS, Math.floor(PROBE_CELLS / width)));
  const sample: Cell[][] = [];
  for (const r of rows.slice(0, limit)) {
    if (r.length !== width) break;
    sample.push(r.map(cellOf));
  }
  const first = lines[skip]?.line ?? end;
  return {
    columns: Array.from({ length: width }, (_, j) => ({ name: names === null ? null : names[j], list: false })),
    sample,
    rows: null,
    empty: rows.length === 0,
    dialect: { delimiter, header: isHeader },
    firstRow: `${path}:${first}:1`,
  };
}

/** Probes a JSON Lines file: objects give a column per key (of the first object); arrays one list column. */
export async function probeJsonLines(path: string): Promise<Table> {
  const { lines, end } = await headLines(path);
  const sample: Cell[][] = [];
  let keys: string[] | null = null;
  let list = false;
  for (const { text, line } of lines.slice(0, PROBE_ROWS)) {
    let v: unknown;
    try {
      v = fromJson(parseJsonLine(text, (c) => `${path}:${line}:${c}`));
    } catch {
      break; // the reader reports it, with its place
    }
    if (sample.length === 0) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) keys = Object.keys(v);
      list = Array.isArray(v);
    }
    if (keys !== null) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) break;
      sample.push(keys.map((k) => jsonCell((v as Record<string, unknown>)[k])));
    } else sample.push([jsonCell(v)]);
  }
  const columns = keys !== null
    ? keys.map((name, j) => ({ name, list: sample.length > 0 && Array.isArray(sample[0][j]) }))
    : [{ name: null, list }];
  return {
    columns: lines.length === 0 ? [] : columns,
    sample,
    rows: null,
    empty: lines.length === 0,
    dialect: { delimiter: ',', header: false },
    firstRow: `${path}:${lines[0]?.line ?? end}:1`,
  };
}

function jsonCell(v: unknown): Cell {
  v = fromJson(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => (typeof fromJson(x) === 'number' ? (fromJson(x) as number) : NaN));
  return null;
}

/** Rows of a text file (non-blank lines, less a header): to decide an undecided header by the other file's count. */
export async function countTextRows(path: string): Promise<number> {
  const src = await openBytes(path);
  const buf = Buffer.allocUnsafe(1 << 20);
  let rows = 0;
  let blank = true;
  try {
    for (let n = await src.read(buf, buf.length); n > 0; n = await src.read(buf, buf.length)) {
      for (let i = 0; i < n; i++) {
        const c = buf[i];
        if (c === 10) {
          if (!blank) rows++;
          blank = true;
        } else if (blank && c !== 32 && c !== 9 && c !== 13) {
          blank = false;
          const nl = buf.indexOf(10, i);
          i = (nl < 0 || nl >= n ? n : nl) - 1;
        }
      }
    }
  } finally {
    src.close();
  }
  return blank ? rows : rows + 1;
}
