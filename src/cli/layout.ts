/**
 * What the files hold, decided once before any row is evaluated, from the first rows (readers/probe-*) and the
 * options: which columns are the predictions and which the labels, an index or id column to skip, whether a text
 * file's first line is a header, class names, logits or probabilities, and the binary task of one probability
 * column. Everything decided without being told is said in a note (stderr); what cannot be decided safely is an
 * InputError naming the option that says it. Nothing is guessed silently.
 */
import { type Format, InputError, type Source, countRows, probe } from './readers/index.js';
import { LABEL_NAMES, PRED_NAMES, isIndexName, lower } from './readers/names.js';
import type { Cell, Column, Table } from './readers/types.js';

/** What the command line says about the files' layout. */
export interface LayoutOptions {
  /** --columns / --pred-key: the prediction columns (names, 1-based numbers, ranges a-b). */
  columns?: string[];
  /** --label-column / --label-key. */
  labelColumn?: string;
  /** --id-column: columns to skip. */
  idColumns: string[];
  classNames?: string[];
  from?: 'logits' | 'probs';
  multiLabel: boolean;
  ignoreIndex?: number;
  normalize: boolean;
  header?: boolean;
  delimiter?: string;
  half?: Source['half'];
}

export interface Layout {
  pred: Source;
  target: Source;
  from: 'logits' | 'probs';
  /** Multi-label (also a binary task given as one column, with `binary`). */
  multiLabel: boolean;
  binary: boolean;
  /** Values per row of PRED. */
  classes: number;
  classNames: string[] | null;
  notes: string[];
}

/** A table and where it comes from. */
interface Input {
  role: 'PRED' | 'TARGET';
  path: string;
  format: Format;
  table: Table;
}

const isNum = (c: Cell): c is number => typeof c === 'number';
const label = (t: Input, j: number): string => {
  const name = t.table.columns[j].name;
  return name === null ? `column ${j + 1}` : name === '' ? `column ${j + 1} (unnamed)` : `column ${JSON.stringify(name)}`;
};
const fail = (t: Input, message: string): never => {
  throw new InputError(t.path, message);
};
const column = (t: Input, j: number): Cell[] => t.table.sample.map((r) => r[j]);

/** Column `spec` of a table: a name (exact, then in any case), or a 1-based number; -1 when absent. */
function find(t: Input, spec: string): number {
  const cols = t.table.columns;
  let j = cols.findIndex((c) => c.name === spec);
  if (j < 0) j = cols.findIndex((c) => c.name !== null && lower(c.name) === lower(spec));
  if (j < 0 && /^\d+$/.test(spec) && +spec >= 1 && +spec <= cols.length) j = +spec - 1;
  return j;
}

function resolve(t: Input, spec: string, flag: string): number {
  const j = find(t, spec);
  if (j < 0) {
    const names = t.table.columns.map((c, i) => (c.name === null ? String(i + 1) : JSON.stringify(c.name)));
    fail(t, `${flag} ${JSON.stringify(spec)}: ${t.role} has no such column (its columns: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})`);
  }
  return j;
}

/** --columns: names, 1-based numbers and ranges (2-11) of numbers, in order. */
function resolveColumns(t: Input, specs: string[]): number[] {
  const out: number[] = [];
  for (const spec of specs) {
    const range = /^(\d+)-(\d+)$/.exec(spec);
    if (range !== null && find(t, spec) < 0) {
      const [a, b] = [+range[1], +range[2]];
      if (a < 1 || b < a || b > t.table.columns.length) fail(t, `--columns ${spec}: ${t.role} has columns 1 to ${t.table.columns.length}`);
      for (let j = a; j <= b; j++) out.push(j - 1);
    } else out.push(resolve(t, spec, '--columns'));
  }
  return out;
}

/** A column of consecutive integers from 0 or 1 (a row number written without a name). */
function rowNumbers(cells: Cell[]): boolean {
  if (cells.length < 3 || !isNum(cells[0]) || (cells[0] !== 0 && cells[0] !== 1)) return false;
  return cells.every((c, i) => c === (cells[0] as number) + i);
}

/** Columns to skip: named with --id-column, pandas' index, index-like names; unnamed row numbers are an error. */
function idColumns(t: Input, o: LayoutOptions, notes: string[], keep: Set<number>): Set<number> {
  const ids = new Set<number>();
  for (const spec of o.idColumns) {
    const j = find(t, spec);
    if (j >= 0) ids.add(j);
  }
  const cols = t.table.columns;
  cols.forEach((c, j) => {
    if (ids.has(j) || keep.has(j) || c.name === null || c.list) return;
    const pandas = t.table.indexColumns?.includes(c.name) === true;
    if (!pandas && !isIndexName(c.name)) return;
    ids.add(j);
    const cells = column(t, j).filter((x) => x !== null);
    const what = rowNumbers(cells) ? `the row numbers ${cells.slice(0, 3).join(', ')}, …` : cells.every(isNum) ? 'integer ids' : 'ids';
    notes.push(`${t.path}: ${label(t, j)} holds ${what}${pandas ? " (pandas' index)" : ''}: skipped (--columns chooses the columns read)`);
  });
  // A headerless first column of row numbers: an index written without its name.
  if (cols.length > 1 && cols[0].name === null && !ids.has(0) && !keep.has(0) && rowNumbers(column(t, 0))) {
    const rest = t.table.sample.some((r) => r.slice(1).some((c) => isNum(c) && !Number.isInteger(c)));
    if (rest || t.role === 'TARGET') {
      fail(t, `column 1 holds the row numbers ${column(t, 0).slice(0, 3).join(', ')}, … (an index?): pass --id-column 1 to skip it, or --columns to choose the ${t.role === 'PRED' ? 'prediction columns' : 'label column (--label-column)'}`);
    }
  }
  return ids;
}

/** The label column of a table, by --label-column or by name; -1 if none. */
function labelColumn(t: Input, o: LayoutOptions): number {
  if (o.labelColumn !== undefined) return resolve(t, o.labelColumn, '--label-column');
  return namedLabel(t);
}

/** The first column named like labels (label, target, y, …); -1 if none. */
function namedLabel(t: Input): number {
  for (const name of LABEL_NAMES) {
    const j = t.table.columns.findIndex((c) => c.name !== null && lower(c.name) === name);
    if (j >= 0) return j;
  }
  return -1;
}

/** The prediction columns of PRED (given the ids and the label column to leave out). */
function predColumns(t: Input, o: LayoutOptions, skip: Set<number>, notes: string[]): number[] {
  if (o.columns !== undefined) return resolveColumns(t, o.columns);
  const cols = t.table.columns;
  const free = cols.map((_, j) => j).filter((j) => !skip.has(j));
  const lists = free.filter((j) => cols[j].list);
  if (lists.length > 0) {
    const named = lists.filter((j) => lower(cols[j].name) in PRED_NAMES);
    const pick = named.length > 0 ? named[0] : lists.length === 1 ? lists[0] : -1;
    if (pick < 0) fail(t, `PRED has several list columns (${lists.map((j) => label(t, j)).join(', ')}): name the predictions with --pred-key`);
    const rest = free.filter((j) => j !== pick);
    if (rest.length > 0) notes.push(`${t.path}: ${label(t, pick)} holds the predictions; ${rest.map((j) => label(t, j)).join(', ')} not read`);
    return [pick];
  }
  for (const j of free) {
    const cells = column(t, j).filter((c) => c !== null);
    // One odd cell is left to the reader, which names its line and column.
    if (cells.length > 1 && cells.every((c) => typeof c === 'string')) {
      fail(t, `PRED's ${label(t, j)} holds text (${JSON.stringify(cells[0])}), not predictions: pass --id-column ${cols[j].name ?? j + 1} to skip it, or --columns to choose the prediction columns`);
    }
  }
  return free;
}

/** Values per row of a selection (a list column gives its length, from the first row). */
function width(t: Input, columns: number[]): number {
  const first = t.table.sample[0];
  return columns.reduce((a, j) => a + (t.table.columns[j].list ? (Array.isArray(first?.[j]) ? (first[j] as number[]).length : 0) : 1), 0);
}

/** The sample's rows restricted to the selection, as numbers (rows holding anything else are left out). */
function valueRows(t: Input, columns: number[]): number[][] {
  const out: number[][] = [];
  for (const r of t.table.sample) {
    const row: number[] = [];
    let ok = true;
    for (const j of columns) {
      const c = r[j];
      if (Array.isArray(c)) row.push(...c);
      else if (isNum(c)) row.push(c);
      else ok = false;
    }
    if (ok && row.length > 0 && row.every((v) => v === v)) out.push(row);
  }
  return out;
}

/** Class names from PRED's column names: the names less a prefix they all share (prob_cat → cat), when unique. */
function namesOfColumns(cols: Column[], columns: number[]): string[] | null {
  if (columns.length < 2 || columns.some((j) => cols[j].list || cols[j].name === null || cols[j].name === '')) return null;
  const names = columns.map((j) => cols[j].name!.trim());
  if (names.every((n, i) => n === String(i) || n === String(i + 1))) return null;
  let prefix = names[0];
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const bare = names.map((n) => n.slice(prefix.length));
  return prefix !== '' && bare.every((n) => n !== '') && new Set(bare).size === bare.length ? bare : names;
}

/** A header of pandas' names of unnamed columns: 0, 1, … (after an unnamed index column, if any). */
function pandasNames(t: Input): boolean {
  const names = t.table.columns.map((c) => c.name);
  const rest = names[0] === '' ? names.slice(1) : names;
  return t.table.dialect?.header === true && rest.length > 0 && rest.every((n, j) => n === String(j));
}

/**
 * Decides an undecided header of a text file (its first line reads as a row too) by the rows of the other file:
 * as many rows as the other file, no header; one more, a header when the other file has pandas' numbered header too
 * (the same writer). Anything else is the user's to say: guessing wrong would shift every label by a row.
 */
async function decideHeaders(pred: Input, target: Input | null, o: LayoutOptions, notes: string[]): Promise<void> {
  const open = [pred, target].filter((t): t is Input => t !== null && t.table.dialect?.header === null);
  if (open.length === 0) return;
  const ask = (t: Input, why: string) => fail(t, `${why}: pass --header if the first line of ${t.path} names the columns, --no-header if it is a row`);
  if (target === null || target.path === pred.path || open.length === 2) ask(open[0], 'cannot tell whether the first line is a header (it reads as a row too)');
  const t = open[0];
  const other = t === pred ? target! : pred;
  const lines = await countRows(t.path, t.format, false);
  const rows = await countRows(other.path, other.format, other.table.dialect?.header === true);
  let header = false;
  if (lines === rows + 1) {
    if (!pandasNames(other)) ask(t, `${t.path} has one line more than ${other.path} has rows, and its first line reads as a header (as pandas writes 0, 1, … for unnamed columns) or as a row`);
    header = true;
    notes.push(`${t.path}: the first line is read as a header (numbered columns, as pandas writes them, like ${other.path}'s)`);
  }
  t.table = await probe(t.path, t.format, { delimiter: o.delimiter, header, half: o.half });
}

/** Reads the first rows of PRED and TARGET (or of PRED alone, holding both) and decides how to read them. */
export async function layout(predPath: string, predFormat: Format, targetPath: string | null, targetFormat: Format | null, o: LayoutOptions): Promise<Layout> {
  const notes: string[] = [];
  const hints = { delimiter: o.delimiter, header: o.header, half: o.half };
  const pred: Input = { role: 'PRED', path: predPath, format: predFormat, table: await probe(predPath, predFormat, hints) };
  const same = targetPath === null || (targetPath === predPath && targetFormat === predFormat);
  const target: Input | null = same ? null : { role: 'TARGET', path: targetPath!, format: targetFormat!, table: await probe(targetPath!, targetFormat!, hints) };
  await decideHeaders(pred, target, o, notes);
  if (pred.table.empty) throw new InputError(pred.table.firstRow, 'no rows');

  // PRED: ids, the label column (when PRED holds the labels), the predictions.
  const predLabel = same ? labelColumn(pred, o) : o.labelColumn !== undefined ? find(pred, o.labelColumn) : namedLabel(pred);
  if (same && predLabel < 0) {
    fail(pred, `no TARGET given, and PRED has no label column (one named ${LABEL_NAMES.slice(0, 4).join(', ')}, …): give TARGET, or name the column with --label-column`);
  }
  const keepPred = new Set(o.columns !== undefined ? resolveColumns(pred, o.columns) : []);
  if (predLabel >= 0) keepPred.add(predLabel);
  const predIds = idColumns(pred, o, notes, keepPred);
  if (!same && predLabel >= 0 && o.columns === undefined && !predIds.has(predLabel)) {
    fail(pred, `PRED has a label ${label(pred, predLabel)} and TARGET is given too: pass --columns to choose the prediction columns, or give PRED alone to use its labels`);
  }
  const skip = new Set([...predIds, ...(predLabel >= 0 ? [predLabel] : [])]);
  let columns = predColumns(pred, o, skip, notes);

  // TARGET: its label column (or, multi-label, its 0/1 columns).
  let t: Input;
  let targetColumns: number[];
  if (same) {
    t = pred;
    targetColumns = [predLabel];
  } else {
    t = target!;
    // --label-column names PRED's column when PRED holds one, else TARGET's.
    const tl = o.labelColumn !== undefined && (predLabel < 0 || find(t, o.labelColumn) >= 0) ? resolve(t, o.labelColumn, '--label-column') : namedLabel(t);
    const ids = idColumns(t, o, notes, new Set(tl >= 0 ? [tl] : []));
    const free = t.table.columns.map((_, j) => j).filter((j) => !ids.has(j));
    if (o.multiLabel) targetColumns = free;
    else if (tl >= 0) targetColumns = [tl];
    else if (free.length <= 1 || t.table.columns.length === 0) targetColumns = free.length === 1 ? free : [0];
    else {
      throw new InputError(t.table.firstRow, `${free.length} values per row; single-label targets are one integer label per row (--label-column to choose a column, --multi-label for 0/1 targets)`);
    }
  }

  // The labels: numbers, booleans, or class names (text).
  const labelCol = o.multiLabel ? undefined : t.table.columns[targetColumns[0]];
  const text = labelCol === undefined ? [] : t.table.sample.map((r) => r[targetColumns[0]]).filter((c): c is string => typeof c === 'string');
  const dictionary = labelCol?.dictionary ?? null;

  // A categorical label column lists the classes: the prediction columns are the ones it names (others, such as
  // a weight, are not classes). Parquet keeps only the categories' count: the labels seen must name that many.
  const categories = dictionary ?? (labelCol?.categories !== undefined ? [...new Set(text)] : null);
  if (categories !== null && o.columns === undefined) {
    const named = columns.filter((j) => categories.includes(pred.table.columns[j].name ?? '\0'));
    if (named.length === (dictionary?.length ?? labelCol?.categories) && named.length < columns.length) {
      const rest = columns.filter((j) => !named.includes(j));
      notes.push(`${pred.path}: the categories of ${label(t, targetColumns[0])} name the prediction columns; ${rest.map((j) => label(pred, j)).join(', ')} not read`);
      columns = named;
    }
  }
  const classes = width(pred, columns);
  const binaryGuess = classes === 1 && !o.multiLabel;
  let classNames: string[] | null = o.classNames ?? namesOfColumns(pred.table.columns, columns) ?? null;
  if (classNames === null && text.length > 0 && dictionary !== null) {
    classNames = [...dictionary];
    notes.push(`${t.path}: the labels are the categories of ${label(t, targetColumns[0])}, class k being its k-th category (${classNames.slice(0, 4).join(', ')}${classNames.length > 4 ? ', …' : ''})`);
  }
  const wantNames = binaryGuess ? 2 : classes;
  if (o.classNames !== undefined && o.classNames.length !== wantNames) {
    fail(pred, `--class-names names ${o.classNames.length} classes, but PRED has ${binaryGuess ? 'one column (a binary task: name its 2 classes, negative first)' : `${classes} per row`}`);
  }
  if (text.length > 0) {
    if (classNames === null) {
      throw new InputError(t.table.firstRow, `the labels are class names (${[...new Set(text)].slice(0, 3).map((s) => JSON.stringify(s)).join(', ')}, …), but PRED's columns do not name the classes: pass --class-names with the names in PRED's column order`);
    }
    const unknown = text.find((s) => !classNames!.includes(s));
    if (unknown !== undefined) {
      throw new InputError(t.table.firstRow, `the label ${JSON.stringify(unknown)} is not one of the class names (${classNames.slice(0, 6).join(', ')}${classNames.length > 6 ? ', …' : ''})`);
    }
  }
  const names = text.length > 0 && classNames !== null ? new Map(classNames.map((n, i) => [n, i])) : null;

  // Logits or probabilities.
  let from = o.from;
  if (from === undefined) {
    const named = columns.length === 1 ? PRED_NAMES[lower(pred.table.columns[columns[0]].name)] : undefined;
    if (named !== undefined && named !== null) from = named ? 'probs' : 'logits';
  }
  const independent = o.multiLabel || binaryGuess;
  if (from === undefined) {
    const rows = valueRows(pred, columns);
    const inUnit = rows.length > 0 && rows.every((r) => r.every((v) => v >= 0 && v <= 1));
    const sumsToOne = rows.every((r) => Math.abs(r.reduce((a, b) => a + b, 0) - 1) <= 1e-3);
    if (inUnit && (independent || o.normalize || sumsToOne)) {
      from = 'probs';
      notes.push(`${pred.path}: read as probabilities: every value of its first ${rows.length} rows is in [0, 1]${independent || o.normalize ? '' : ' and every row sums to 1'} (--from logits reads logits)`);
    } else from = 'logits';
  }
  if (o.normalize && (from !== 'probs' || independent)) {
    fail(pred, `--normalize rescales probability rows of a single-label task; PRED is read as ${independent ? 'independent (binary) columns' : 'logits'}`);
  }
  if (binaryGuess) {
    notes.push(`${pred.path}: one column: a binary task, the column being ${from === 'probs' ? 'P(label = 1)' : 'the logit of label 1'} per row`);
    if (o.ignoreIndex !== undefined) fail(pred, '--ignore-index does not apply to a binary task given as one column');
  }

  const source = (i: Input, select: number[], names2: ReadonlyMap<string, number> | null, bools: boolean): Source => ({
    path: i.path,
    format: i.format,
    select: { columns: select, names: names2, bools },
    dialect: i.table.dialect === undefined ? undefined : { delimiter: i.table.dialect.delimiter, header: i.table.dialect.header === true },
    keys: i.format === 'jsonl' && i.table.columns.some((c) => c.name !== null) ? i.table.columns.map((c) => c.name!) : undefined,
    half: o.half,
  });
  return {
    pred: { ...source(pred, columns, null, false), halfBits: true },
    target: source(t, targetColumns, names, true),
    from,
    multiLabel: independent,
    binary: binaryGuess,
    classes,
    classNames: binaryGuess ? null : classNames,
    notes,
  };
}
