/**
 * One evaluation over a pair of sources (or a pair of ranges of them, in a worker): PRED and TARGET are read in
 * lock-step, block by block, checked with file:line:column locations, and fed to an Evaluator, one state per grid
 * block of rows.
 */
import { Evaluator, type EvaluatorOptions, packState } from '../eval/evaluator.js';
import { LanguageModelEvaluator, type LanguageModelSettings, packLmState } from '../eval/lm.js';
import { Comparison, type ComparisonOptions, type ComparisonStateJSON } from '../eval/compare.js';
import { XentError } from '../core/errors.js';
import { InputError, type Reader, type Source, openReader } from './readers/index.js';

/** Progress of a job: bytes of PRED read and in total (of its range), and rows evaluated. */
export type ProgressFn = (done: number, total: number, rows: number) => void;

export interface Job {
  pred: Source;
  target: Source;
  /** The classifier's options (for a language model's job, `classes` is the vocabulary). */
  options: EvaluatorOptions;
  /** Rows of PRED before this part (workers, shards): for messages, and a multiple of gridOf(job). */
  firstRow?: number;
  /** A language model's job (--task lm): PRED's rows are token positions, TARGET holds their token ids. */
  lm?: LmSpec;
  /** A comparison's job (xent compare): PRED is BASE, and CANDIDATE is read in lock-step with it. */
  compare?: CompareSpec;
}

/** How two models' rows are compared. */
export interface CompareSpec {
  candidate: Source;
  options: ComparisonOptions;
  /** The global index of the input's first row (--offset), added to the rows' own. */
  offset: number;
}

/**
 * A grid block's state as a part hands it on: packed sums (packState, packLmState), or a Comparison's JSON (its
 * sketches are not sums).
 */
export type Block = Float64Array | ComparisonStateJSON;

/** How a language model's positions are scored. */
export interface LmSpec {
  settings: LanguageModelSettings;
  /** Positions per sequence (the whole input when it is one sequence). */
  length: number;
  shift: boolean;
  /** Values per row of TARGET: the sequence length for [N, T] token ids, 1 for [N·T]. */
  targetCols: number;
}

/** Bytes of PRED per block: bounded memory whatever the file size. */
const BLOCK_BYTES = 4 << 20;

/**
 * The widest rows `xent eval` reads. The evaluator keeps per-class sums and the reports list every class, so memory
 * grows with the class count: 2^20 (more than any vocabulary) keeps it bounded; wider rows are an InputError.
 */
export const MAX_CLASSES = 1 << 20;

export function rowsPerBlock(cols: number): number {
  const n = Math.max(1, Math.min(65536, Math.floor(BLOCK_BYTES / (8 * cols))));
  return 2 ** Math.floor(Math.log2(n)); // a power of two, so that it divides gridRows
}

/**
 * Rows per grid block: the evaluation sums each block of rows [k·G, (k + 1)·G) from zero, in blocks of
 * rowsPerBlock rows, and adds the block sums in file order. `--threads`, `--shard` and `xent merge` cut the input on
 * this grid, so that every way of running it adds the same numbers in the same order: bit-identical results.
 */
export function gridRows(cols: number): number {
  // Eight read blocks (~32 MB of values) and at least 4096 rows: a block's state (~5 numbers per class) is then
  // well under 1% of its data, and merging the blocks' states costs little against evaluating them.
  return Math.max(8 * rowsPerBlock(cols), 4096);
}

/**
 * Sequences per read block of a language model's job: whole sequences (the shift and the per-sequence figures need
 * them whole), BLOCK_BYTES of float32 logits or one sequence when that is more.
 */
function sequencesPerBlock(lm: LmSpec): number {
  return Math.max(1, Math.floor(BLOCK_BYTES / (4 * lm.length * lm.settings.classes)));
}

/**
 * Positions per read within a sequence too long for a block (16 MB of float32 logits, at least 2): such a sequence
 * is fed to its evaluator a chunk at a time (`open`), so that memory is bounded by a chunk, not by the sequence.
 */
export function chunkRows(lm: LmSpec): number {
  return Math.max(2, Math.floor((4 * BLOCK_BYTES) / (4 * lm.settings.classes)));
}

/**
 * Rows per grid block of a job (see gridRows). A language model's grid block is one read block: its state is a few
 * hundred numbers whatever the vocabulary, nothing beside a block's logits.
 */
export function gridOf(job: Pick<Job, 'options' | 'lm' | 'compare'>): number {
  if (job.lm !== undefined) return sequencesPerBlock(job.lm) * job.lm.length;
  return gridRows(job.compare === undefined ? job.options.classes : 2 * job.options.classes);
}

function tooWide(where: string, cols: number): InputError {
  return new InputError(where, `${cols} values per row: xent eval reads at most ${MAX_CLASSES} classes per row`);
}

/** Values per row of PRED: from the .npy header, or the first row. */
export async function probeClasses(src: Source): Promise<number> {
  const r = await openReader(src);
  try {
    if (r.cols !== null && r.cols > MAX_CLASSES) throw tooWide(r.where(0, MAX_CLASSES), r.cols);
    const b = await r.next(1);
    if (b === null) throw new InputError(r.endWhere(), 'no rows');
    if (b.cols > MAX_CLASSES) throw tooWide(r.where(0, MAX_CLASSES), b.cols);
    return b.cols;
  } finally {
    r.close();
  }
}

/** The "no rows" error of a source (after a `--threads` run found none): located where its reader stops. */
export async function noRows(src: Source): Promise<InputError> {
  const r = await openReader(src);
  try {
    while ((await r.next(65536)) !== null);
    return new InputError(r.endWhere(), 'no rows');
  } finally {
    r.close();
  }
}

/** Hints added to the library's messages, in the CLI's terms. */
function hint(e: XentError): string {
  const m = e.message;
  if (/pass normalize: true to rescale rows/.test(m)) {
    return m.replace(/; pass normalize: true to rescale rows/, '; --normalize rescales each row by its sum, --tolerance T accepts sums within T of 1');
  }
  if (e.code === 'INVALID_PROBABILITY' && /probs\[\d+\]\[\d+\] is/.test(m)) return `${m} (if PRED holds logits, --from logits)`;
  return m;
}

/**
 * Rewrites an error the library raised for a block into one that names the file, row and column. `targetCols`:
 * TARGET's values per row when a target index counts values (a language model's [N, T] token ids).
 */
function locate(e: unknown, pred: Reader, target: Reader, targetCols = 1, predAt = 0, targetAt = 0): never {
  if (!(e instanceof XentError)) throw e;
  const message = hint(e);
  const m = /\b(\w+)\[(\d+)\](?:\[(\d+)\])?/.exec(message);
  if (m === null) throw new InputError(pred.path, message);
  const isTarget = m[1] === 'target' || m[1] === 'targets';
  // predAt, targetAt: the index in the readers' blocks of the library's index 0 (a chunk of a long sequence).
  const k = +m[2] + (isTarget ? targetAt : predAt);
  const at = isTarget && targetCols > 1 ? [Math.floor(k / targetCols), k % targetCols] : [k];
  const col = m[3] === undefined ? at[1] : +m[3];
  const what = col === undefined ? 'this row' : 'this value';
  throw new InputError((isTarget ? target : pred).where(at[0], col), message.replace(m[0], what));
}

/**
 * The first label that is not an integer in [0, classes) nor the ignore index, or -1. A function of its own: a loop
 * in the async run() would not be optimized.
 */
function badLabel(t: ArrayLike<number>, classes: number, ignore: number | undefined): number {
  for (let i = 0; i < t.length; i++) {
    const v = t[i];
    if (v !== ignore && (!Number.isInteger(v) || v < 0 || v >= classes)) return i;
  }
  return -1;
}

/** The evaluation, one block per step; emit() gets each grid block's state, in file order. */
async function run(job: Job, emit: (block: Evaluator) => void, progress: ProgressFn | undefined, allowEmpty: boolean): Promise<void> {
  const { options } = job;
  const classes = options.classes;
  if (classes > MAX_CLASSES) {
    throw new InputError(job.pred.path, `${classes} classes: xent eval reads at most ${MAX_CLASSES} classes per row`);
  }
  const multi = options.multiLabel === true;
  const want = multi ? classes : 1;
  const wrongWidth = (pb: number) => `${pb} values per row, but there are ${classes} classes`;
  const wrongTarget = (tb: number) => multi
    ? `${tb} targets per row, but there are ${classes} labels per row`
    : `${tb} values per row; single-label targets are one integer label per row (--multi-label for 0/1 targets)`;
  const grid = gridRows(classes);
  const per = rowsPerBlock(classes);
  let ev = new Evaluator(options); // the current grid block
  // Single-label logits take one kernel call per block, which copies only the labels and per-row results into the
  // kernels' memory: PRED's blocks can be read there and used in place (see NpyReader).
  const inPlace = !multi && (options.from ?? 'logits') === 'logits';
  await withReaders([job.pred, job.target], inPlace ? per : 0, async ([pred, target]) => {
    // Readers that know their width before reading (.npy) are checked before a block is allocated.
    if (pred.cols !== null && pred.cols !== classes) throw new InputError(pred.where(0), wrongWidth(pred.cols));
    if (target.cols !== null && target.cols !== want) throw new InputError(target.where(0), wrongTarget(target.cols));
    const ignore = options.ignoreIndex;
    let rows = job.firstRow ?? 0;
    const start = rows;
    for (;;) {
      const pb = await pred.next(per);
      if (pb === null) {
        if ((await target.next(1)) !== null) {
          throw new InputError(target.where(0), `TARGET has more rows than PRED (${pred.path} has ${rows} rows)`);
        }
        break;
      }
      if (pb.cols !== classes) throw new InputError(pred.where(0), wrongWidth(pb.cols));
      const tb = await target.next(pb.rows);
      const got = tb === null ? 0 : tb.rows;
      if (got < pb.rows) {
        throw new InputError(pred.where(got), `PRED has more rows than TARGET (${target.path} ends after ${rows + got} rows)`);
      }
      if (tb!.cols !== want) throw new InputError(target.where(0), wrongTarget(tb!.cols));
      const t = tb!.data;
      const bad = multi ? -1 : badLabel(t, classes, ignore);
      if (bad >= 0) {
        throw new InputError(
          target.where(bad, 0),
          `label ${t[bad]} is out of range: labels are integers in [0, ${classes})${ignore === undefined ? '' : ` or the ignore index ${ignore}`}`,
        );
      }
      try {
        ev.update(pb.data, t, pb.half === undefined ? { offset: rows } : { offset: rows, dtype: pb.half });
      } catch (e) {
        locate(e, pred, target);
      }
      rows += pb.rows;
      if (rows % grid === 0) {
        emit(ev);
        ev = new Evaluator(options);
      }
      progress?.(pred.done, pred.total, rows - start);
      await breathe();
    }
    if (rows === start && !allowEmpty) throw new InputError(pred.endWhere(), 'no rows');
    if (rows % grid !== 0) emit(ev);
  });
}

/**
 * Opens the sources in order (the first with `stage` rows read in place, see openReader), runs `body` on their
 * readers, and closes every reader opened, whatever happens.
 */
async function withReaders(sources: Source[], stage: number, body: (readers: Reader[]) => Promise<void>): Promise<void> {
  const readers: Reader[] = [];
  try {
    for (const [i, s] of sources.entries()) readers.push(await openReader(s, i === 0 ? stage : 0));
    await body(readers);
  } finally {
    for (const r of readers) r.close();
  }
}

/** When the main thread last yielded to the event loop (for a SIGINT, and the workers' messages). */
let yielded = Date.now();

/** Yields to the event loop whenever ~50 ms have passed since the last time, even in an earlier job. */
async function breathe(): Promise<void> {
  if (Date.now() - yielded >= 50) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    yielded = Date.now();
  }
}

/**
 * A language model's evaluation, whole sequences per block; emit() gets each block's state, in file order.
 * TARGET's token ids are checked here (integers in [0, vocabulary) or the ignore index), with their location.
 */
async function runLm(job: Job, lm: LmSpec, emit: (block: LanguageModelEvaluator) => void, progress: ProgressFn | undefined, allowEmpty: boolean): Promise<void> {
  if (lm.length > chunkRows(lm)) return runLongLm(job, lm, emit, progress, allowEmpty);
  const { settings, length, shift, targetCols } = lm;
  const per = gridOf(job);
  await withReaders([job.pred, job.target], 0, async ([pred, target]) => {
    let rows = job.firstRow ?? 0;
    const start = rows;
    for (;;) {
      const pb = await pred.next(per);
      if (pb === null) break;
      if (pb.rows % length !== 0) {
        throw new InputError(pred.where(0), `${rows + pb.rows} positions are not whole sequences of ${length}`);
      }
      const tb = await target.next(pb.rows / targetCols);
      const got = tb === null ? 0 : tb.rows * targetCols;
      if (got < pb.rows) {
        throw shortTarget(pred, target, got, rows + got);
      }
      const t = tb!.data;
      checkIds(t, lm, target);
      const ev = new LanguageModelEvaluator(settings);
      try {
        ev.update(pb.data, t, { shift, sequenceLength: length, offset: rows, ...(pb.half === undefined ? {} : { dtype: pb.half }) });
      } catch (e) {
        locate(e, pred, target, targetCols);
      }
      rows += pb.rows;
      emit(ev);
      progress?.(pred.done, pred.total, rows - start);
      await breathe();
    }
    await lmEnd(pred, target, rows, rows === start && !allowEmpty);
  });
}

/** TARGET ends first: located at PRED's row `i` of its block, `ends` positions read from TARGET. */
const shortTarget = (pred: Reader, target: Reader, i: number, ends: number) =>
  new InputError(pred.where(i), `PRED has more positions than TARGET (${target.path} ends after ${ends} positions)`);

/** After a language model's last block: TARGET's positions past PRED's (the last part reads TARGET to its end). */
async function lmEnd(pred: Reader, target: Reader, rows: number, none: boolean): Promise<void> {
  if ((await target.next(1)) !== null) {
    throw new InputError(target.where(0), `TARGET has more positions than PRED (${pred.path} has ${rows} positions)`);
  }
  if (none) throw new InputError(pred.endWhere(), 'no rows');
}

/** Throws for a token id out of range, located in TARGET (ids: its current block). */
function checkIds(ids: ArrayLike<number>, lm: LmSpec, target: Reader): void {
  const { settings, targetCols } = lm;
  const bad = badLabel(ids, settings.classes, settings.ignoreIndex);
  if (bad >= 0) {
    const k = bad;
    throw new InputError(
      target.where(Math.floor(k / targetCols), targetCols > 1 ? k % targetCols : 0),
      `token id ${ids[bad]} is out of range: token ids are integers in [0, ${settings.classes}) or the ignore index ${settings.ignoreIndex}`,
    );
  }
}

/**
 * A language model's evaluation when a sequence is longer than a chunk (chunkRows): each sequence's token ids are
 * read whole (T numbers), its logits a chunk at a time into one evaluator (`open` until its last chunk; under the
 * shift each chunk after the first starts with the previous one's last row, whose logits score the chunk's first
 * target). Every sequence is a grid block, its state emitted in file order: the figures are one update's per
 * sequence, bit for bit, and memory is a chunk's logits whatever the sequence's length.
 */
async function runLongLm(job: Job, lm: LmSpec, emit: (block: LanguageModelEvaluator) => void, progress: ProgressFn | undefined, allowEmpty: boolean): Promise<void> {
  const { settings, length, shift, targetCols } = lm;
  const V = settings.classes;
  const chunk = chunkRows(lm);
  await withReaders([job.pred, job.target], 0, async ([pred, target]) => {
    let rows = job.firstRow ?? 0;
    const start = rows;
    /** Under the shift: the previous chunk's last row, then the next chunk. */
    let joined: Float32Array | Float64Array | Uint16Array | null = null;
    for (;;) {
      let pb = await pred.next(Math.min(chunk, length));
      if (pb === null) break;
      const tb = await target.next(length / targetCols);
      const got = tb === null ? 0 : tb.rows * targetCols;
      if (got < length) {
        throw shortTarget(pred, target, 0, rows + got);
      }
      const ids = tb!.data;
      checkIds(ids, lm, target);
      const ev = new LanguageModelEvaluator(settings);
      for (let done = 0; ;) {
        const n = pb.rows;
        const again = shift && done > 0 ? 1 : 0;
        let data = pb.data;
        if (again === 1) {
          data = joined!.subarray(0, (n + 1) * V);
          data.set(pb.data.subarray(0, n * V), V);
        }
        const open = done + n < length;
        try {
          ev.update(data, ids.subarray(done - again, done + n), {
            shift, open, offset: rows + done - again, ...(pb.half === undefined ? {} : { dtype: pb.half }),
          });
        } catch (e) {
          locate(e, pred, target, targetCols, -again, done - again);
        }
        done += n;
        progress?.(pred.done, pred.total, rows + done - start);
        await breathe();
        if (!open) break;
        if (shift) {
          if (again === 0) {
            const Ctor = pb.data.constructor as new (n: number) => Float32Array | Float64Array | Uint16Array;
            if (joined === null || !(joined instanceof Ctor)) joined = new Ctor((chunk + 1) * V);
            joined.set(pb.data.subarray((n - 1) * V, n * V), 0);
          } else joined!.copyWithin(0, n * V, (n + 1) * V);
        }
        const next = await pred.next(Math.min(chunk, length - done));
        if (next === null) throw new InputError(pred.endWhere(), `${rows + done} positions are not whole sequences of ${length}`);
        pb = next;
      }
      rows += length;
      emit(ev);
    }
    await lmEnd(pred, target, rows, rows === start && !allowEmpty);
  });
}

/**
 * Two models' rows read in lock-step with TARGET's, one Comparison per grid block; emit() gets each, in file order.
 * The library's errors name the file, row and column.
 */
async function runCompare(job: Job, c: CompareSpec, emit: (block: Comparison) => void, progress: ProgressFn | undefined, allowEmpty: boolean): Promise<void> {
  const classes = c.options.classes;
  const per = rowsPerBlock(2 * classes);
  const grid = gridOf(job);
  let block = new Comparison(c.options);
  await withReaders([job.pred, c.candidate, job.target], 0, async ([ra, rb, rt]) => {
    let rows = job.firstRow ?? 0;
    const start = rows;
    for (;;) {
      const pa = await ra.next(per);
      if (pa === null) {
        for (const r of [rb, rt]) {
          if ((await r.next(1)) !== null) throw new InputError(r.where(0), `more rows than BASE (${ra.path} has ${rows} rows)`);
        }
        break;
      }
      if (pa.cols !== classes) throw new InputError(ra.where(0), `${pa.cols} values per row, but there are ${classes} classes`);
      const pb = await rb.next(pa.rows);
      const tb = await rt.next(pa.rows);
      for (const [p, r] of [[pb, rb], [tb, rt]] as const) {
        if (p === null || p.rows < pa.rows) {
          throw new InputError(ra.where(p?.rows ?? 0), `BASE has more rows than ${r.path} (it ends after ${rows + (p?.rows ?? 0)} rows)`);
        }
      }
      if (pb!.cols !== classes) throw new InputError(rb.where(0), `${pb!.cols} values per row, but BASE has ${classes}`);
      if (tb!.cols !== 1) throw new InputError(rt.where(0), `${tb!.cols} values per row; TARGET is one label per row`);
      const half = pa.half ?? pb!.half;
      try {
        block.update(pa.data, pb!.data, tb!.data, { offset: c.offset + rows, ...(half === undefined ? {} : { dtype: half }) });
      } catch (e) {
        if (!(e instanceof XentError)) throw e;
        const m = /\b(base|candidate|targets)\[(\d+)\](?:\[(\d+)\])?/.exec(e.message);
        const r = m === null ? ra : m[1] === 'base' ? ra : m[1] === 'candidate' ? rb : rt;
        throw new InputError(m === null ? r.path : r.where(+m[2], m[3] === undefined ? undefined : +m[3]), e.message);
      }
      rows += pa.rows;
      if (rows % grid === 0) {
        emit(block);
        block = new Comparison(c.options);
      }
      progress?.(ra.done, ra.total, rows - start);
      await breathe();
    }
    if (rows === start && !allowEmpty) throw new InputError(ra.endWhere(), 'no rows');
    if (rows % grid !== 0) emit(block);
  });
}

/**
 * Runs the job: the states of its grid blocks (packState, packLmState for a language model, a Comparison's JSON
 * for a comparison), in file order.
 */
export async function runBlocks<B extends Block = Float64Array<ArrayBuffer>>(job: Job, progress?: ProgressFn, allowEmpty = true): Promise<B[]> {
  const blocks: Block[] = [];
  if (job.lm !== undefined) await runLm(job, job.lm, (block) => blocks.push(packLmState(block)), progress, allowEmpty);
  else if (job.compare !== undefined) await runCompare(job, job.compare, (block) => blocks.push(block.toJSON()), progress, allowEmpty);
  else await run(job, (block) => blocks.push(packState(block)), progress, allowEmpty);
  return blocks as B[];
}
