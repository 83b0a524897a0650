/**
 * One evaluation over a pair of files (or a pair of ranges of them, in a worker): PRED and TARGET are read in
 * lock-step, block by block, checked with file:line:column locations, and fed to an Evaluator.
 */
import { type Stats, closeSync, openSync, statSync } from 'node:fs';
import { Evaluator, type EvaluatorOptions, packState } from '../eval/evaluator.js';
import { XentError } from '../core/errors.js';
import { type Format, InputError, type Range, type Reader, openReader } from './readers/index.js';

export interface Source {
  path: string;
  format: Format;
  range?: Range;
}

/** Progress of a job: bytes of PRED read and in total (of its range), and rows evaluated. */
export type ProgressFn = (done: number, total: number, rows: number) => void;

export interface Job {
  pred: Source;
  target: Source;
  options: EvaluatorOptions;
  /** Rows of PRED before this part (workers): for messages, and a multiple of gridRows. */
  firstRow?: number;
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
 * rowsPerBlock rows, and adds the block sums in file order. `--threads` cuts the input on this grid, so that every
 * thread count (and one thread) adds the same numbers in the same order: bit-identical results.
 */
export function gridRows(cols: number): number {
  // Eight read blocks (~32 MB of values) and at least 4096 rows: a block's state (~5 numbers per class) is then
  // well under 1% of its data, and merging the blocks' states costs little against evaluating them.
  return Math.max(8 * rowsPerBlock(cols), 4096);
}

/** What a path is when it is not a regular file, for messages. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** The reason of a failed file system call, without Node's "ENOENT: ..., open 'path'" decoration. */
export function fsReason(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    case 'ENOTDIR': return 'a part of the path is not a directory';
    case 'ELOOP': return 'too many levels of symbolic links';
    case 'ENAMETOOLONG': return 'file name too long';
    default: return e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  }
}

/**
 * PRED and TARGET must be readable regular files: the readers seek (a header probe, then the data; `--threads`
 * splits by byte offsets), which pipes and devices cannot do.
 */
export function checkFile(path: string): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw new InputError(path, fsReason(e as NodeJS.ErrnoException));
  }
  if (!st.isFile()) {
    const kind = kindOf(st);
    throw new InputError(path, `${kind === 'not a regular file' ? kind : `not a regular file but ${kind}`}; xent eval reads regular files`);
  }
  try {
    closeSync(openSync(path, 'r'));
  } catch (e) {
    throw new InputError(path, fsReason(e as NodeJS.ErrnoException));
  }
}

/** Where a reader that produced no rows stopped (line / byte of the readers that know it, else the file). */
function endOf(r: Reader): string {
  return (r as Reader & { endWhere?: () => string }).endWhere?.() ?? r.path;
}

function tooWide(r: Reader, cols: number): InputError {
  return new InputError(
    r.where(0, MAX_CLASSES),
    `${cols} values per row: xent eval reads at most ${MAX_CLASSES} classes per row`,
  );
}

/** Values per row of PRED: from the .npy header, or the first data row of a text file. */
export function probeClasses(src: Source): number {
  const r = openReader(src.path, src.format, src.range);
  try {
    if (r.cols !== null && r.cols > MAX_CLASSES) throw tooWide(r, r.cols);
    const b = r.next(1);
    if (b === null) throw new InputError(endOf(r), 'no rows');
    if (b.cols > MAX_CLASSES) throw tooWide(r, b.cols);
    return b.cols;
  } finally {
    r.close();
  }
}

/** The "no rows" error of a source (after a `--threads` run found none): located where its reader stops. */
export function noRows(src: Source): InputError {
  const r = openReader(src.path, src.format, src.range);
  try {
    while (r.next(65536) !== null);
    return new InputError(endOf(r), 'no rows');
  } finally {
    r.close();
  }
}

/** Rewrites an error the library raised for a block into one that names the file, row and column. */
function locate(e: unknown, pred: Reader, target: Reader): never {
  if (!(e instanceof XentError)) throw e;
  const m = /\b(\w+)\[(\d+)\](?:\[(\d+)\])?/.exec(e.message);
  if (m === null) throw new InputError(pred.path, e.message);
  const reader = m[1] === 'target' ? target : pred;
  const row = +m[2];
  const col = m[3] === undefined ? undefined : +m[3];
  const what = col === undefined ? 'this row' : 'this value';
  throw new InputError(reader.where(row, col), e.message.replace(m[0], what));
}

/**
 * The evaluation as steps of one block each (a generator, so that the single-thread CLI can yield to the event
 * loop between blocks and stay responsive to SIGINT); returns the Evaluator.
 */
function* jobSteps(
  job: Job, emit: (block: Evaluator) => void, progress?: ProgressFn, allowEmpty = false,
): Generator<void, void, void> {
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
  const pred = openReader(job.pred.path, job.pred.format, job.pred.range, inPlace ? per : 0);
  let target: Reader | null = null;
  try {
    target = openReader(job.target.path, job.target.format, job.target.range);
    // Readers that know their width before reading (.npy, Arrow) are checked before a block is allocated.
    if (pred.cols !== null && pred.cols !== classes) throw new InputError(pred.where(0), wrongWidth(pred.cols));
    if (target.cols !== null && target.cols !== want) throw new InputError(target.where(0), wrongTarget(target.cols));
    const ignore = options.ignoreIndex;
    let rows = job.firstRow ?? 0;
    const start = rows;
    for (;;) {
      const pb = pred.next(per);
      if (pb === null) {
        if (target.next(1) !== null) {
          throw new InputError(target.where(0), `TARGET has more rows than PRED (${pred.path} has ${rows} rows)`);
        }
        break;
      }
      if (pb.cols !== classes) throw new InputError(pred.where(0), wrongWidth(pb.cols));
      const tb = target.next(pb.rows);
      const got = tb === null ? 0 : tb.rows;
      if (got < pb.rows) {
        throw new InputError(pred.where(got), `PRED has more rows than TARGET (${target.path} ends after ${rows + got} rows)`);
      }
      if (tb!.cols !== want) throw new InputError(target.where(0), wrongTarget(tb!.cols));
      const t = tb!.data;
      if (!multi) {
        for (let i = 0; i < t.length; i++) {
          const v = t[i];
          if (v === ignore) continue;
          if (!Number.isInteger(v) || v < 0 || v >= classes) {
            throw new InputError(
              target.where(i, 0),
              `label ${v} is out of range: labels are integers in [0, ${classes})${ignore === undefined ? '' : ` or the ignore index ${ignore}`}`,
            );
          }
        }
      }
      try {
        ev.update(pb.data, t);
      } catch (e) {
        locate(e, pred, target);
      }
      rows += pb.rows;
      if (rows % grid === 0) {
        emit(ev);
        ev = new Evaluator(options);
      }
      progress?.(pred.done, pred.total, rows - start);
      yield;
    }
    if (rows === start && !allowEmpty) throw new InputError(endOf(pred), 'no rows');
    if (rows % grid !== 0) emit(ev);
  } finally {
    pred.close();
    target?.close();
  }
}

/** Runs the job; every grid block is merged, in file order, into one Evaluator. */
export function runJob(job: Job, progress?: ProgressFn, allowEmpty = false): Evaluator {
  const total = new Evaluator(job.options);
  const steps = jobSteps(job, (block) => total.merge(block), progress, allowEmpty);
  while (steps.next().done !== true);
  return total;
}

/**
 * Runs a worker's part: the packed states of its grid blocks (packState), in file order, for the main thread to
 * merge in order.
 */
export function runBlocks(job: Job, progress?: ProgressFn): Float64Array<ArrayBuffer>[] {
  const blocks: Float64Array<ArrayBuffer>[] = [];
  const steps = jobSteps(job, (block) => blocks.push(packState(block)), progress, true);
  while (steps.next().done !== true);
  return blocks;
}

/** When the main thread last yielded to the event loop (for a SIGINT, and the workers' messages). */
let yielded = Date.now();

/** Runs the steps, yielding to the event loop whenever ~50 ms have passed since it last did, even in an earlier job. */
async function drain(steps: Generator<void, void, void>): Promise<void> {
  while (steps.next().done !== true) {
    if (Date.now() - yielded >= 50) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      yielded = Date.now();
    }
  }
}

/** runJob on the main thread: yields to the event loop every ~50 ms, so that a SIGINT is handled promptly. */
export async function runJobAsync(job: Job, progress?: ProgressFn): Promise<Evaluator> {
  const total = new Evaluator(job.options);
  await drain(jobSteps(job, (block) => total.merge(block), progress));
  return total;
}

/** runBlocks on the main thread (a part of a `--threads` run), yielding to the event loop as runJobAsync does. */
export async function runBlocksAsync(job: Job, progress?: ProgressFn): Promise<Float64Array<ArrayBuffer>[]> {
  const blocks: Float64Array<ArrayBuffer>[] = [];
  await drain(jobSteps(job, (block) => blocks.push(packState(block)), progress, true));
  return blocks;
}
