/**
 * `--threads N`: PRED is split into parts (PARTS_PER_THREAD per thread) — .npy and Arrow by rows, text at line
 * boundaries, every cut on the evaluation's grid of rows (gridRows) — and TARGET into the matching rows. The main
 * thread and N − 1 worker threads, each with its own instance of the main thread's compiled wasm module, take the
 * parts in turn from a shared queue (the main thread first, while the workers start). A part gives the packed
 * states of its grid blocks, merged in file order: the same additions in the same order as with one thread, so the
 * results are bit-identical for every N.
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { kernelModule } from '../backend/select.js';
import { type Block, type Job, type ProgressFn, gridOf, noRows, runBlocks } from './pipeline.js';
import { InputError, type Range, type Source, countRows, openReader } from './readers/index.js';
import { type RowAt, gridRowOffsets, rowOffsets } from './readers/text-split.js';
import type { TextReader } from './readers/text.js';

export type WorkerReply =
  | { type: 'progress'; part: number; done: number; rows: number }
  | { type: 'part'; part: number; blocks: Block[] }
  | { type: 'error'; part: number; message: string; where?: string; detail?: string };

const isText = (src: Source) => src.format === 'csv' || src.format === 'tsv' || src.format === 'jsonl';

/** Where the first data row of a text file is (past a byte-order mark, blank lines and the header). */
async function dataStart(src: Source): Promise<RowAt> {
  const r = (await openReader({ ...src, range: undefined })) as TextReader;
  try {
    return (await r.next(1)) === null ? { offset: statSync(src.path).size, line: 1 } : r.position(0);
  } finally {
    r.close();
  }
}

/** Moves the inner cuts to the nearest grid row, not past the last (rows[0] = 0 and the end stay), kept in order. */
function onGrid(rows: number[], grid: number): number[] {
  const last = Math.floor(rows[rows.length - 1] / grid) * grid;
  return rows.map((r, i) => (i === 0 || i === rows.length - 1 ? r : Math.min(Math.round(r / grid) * grid, last)))
    .map((r, i, a) => (i === 0 ? r : Math.max(r, a[i - 1])));
}

/**
 * Rows of PRED at which the parts start (parts + 1 bounds, the last possibly Infinity) and PRED's ranges. The cuts
 * lie on the evaluation's grid (gridRows), so that the parts sum the same blocks as one thread would.
 */
export async function splitPred(src: Source, parts: number, grid: number): Promise<{ rows: number[]; ranges: Range[] }> {
  if (!isText(src)) {
    const n = await countRows(src.path, src.format, false);
    const rows = onGrid(Array.from({ length: parts + 1 }, (_, i) => Math.round((i * n) / parts)), grid);
    return { rows, ranges: rows.slice(0, -1).map((r, i) => ({ rowStart: r, rowEnd: rows[i + 1] })) };
  }
  // Each inner cut is the grid row that starts nearest an even byte cut: one scan finds the grid rows' offsets, while
  // the workers start.
  const size = statSync(src.path).size;
  const first = await dataStart(src);
  const at = (i: number) => first.offset + Math.floor((i * (size - first.offset)) / parts);
  const offsets = gridRowOffsets(src.path, first, grid, at(parts - 1));
  const rows = [0];
  const starts: RowAt[] = [{ offset: 0, line: 1 }];
  for (let i = 1, k = 0; i < parts; i++) {
    while (k + 1 < offsets.length && offsets[k + 1].offset <= at(i)) k++;
    // The first grid row past the cut when it is nearer; never before the previous cut.
    const after = k + 1 < offsets.length && offsets[k + 1].offset - at(i) < at(i) - offsets[k].offset;
    const c = Math.max(after ? k + 1 : k, rows[i - 1] / grid);
    rows.push(c * grid);
    starts.push(c === 0 ? starts[0] : offsets[c]);
  }
  rows.push(Infinity);
  return { rows, ranges: textRanges(starts, size) };
}

/** Byte ranges from the parts' starts (the first part from the file's start, so that it reads the header). */
function textRanges(starts: RowAt[], size: number): Range[] {
  return starts.map((s, i) => ({ byteStart: s.offset, byteEnd: i + 1 < starts.length ? starts[i + 1].offset : size, firstLine: s.line }));
}

/**
 * TARGET's ranges holding PRED's rows [rows[i], rows[i + 1]); `per`: PRED's rows per row of TARGET (a language
 * model's [N, T] token ids: T).
 */
async function splitTarget(src: Source, pred: Source, rows: number[], predRanges: Range[], per: number): Promise<Range[]> {
  const parts = rows.length - 1;
  // TARGET in PRED's file (other columns of the same rows): the same ranges.
  if (src.path === pred.path && src.format === pred.format) return predRanges;
  // The last part reads TARGET to its end, so that extra TARGET rows are found.
  if (!isText(src)) {
    return rows.slice(0, -1).map((r, i) => ({ rowStart: r / per, rowEnd: i === parts - 1 ? Infinity : rows[i + 1] / per }));
  }
  const first = await dataStart(src);
  const offsets = rowOffsets(src.path, first, rows.slice(1, -1));
  return textRanges([{ offset: 0, line: 1 }, ...offsets], statSync(src.path).size);
}

/**
 * Parts per thread. More parts than threads, so that the threads finish together: the workers start later than the
 * main thread, and a thread slowed down by another process takes fewer parts. Cuts stay on the grid, so small inputs
 * get fewer non-empty parts.
 */
const PARTS_PER_THREAD = 16;

/** The parts of a job, in file order: `parts` of them, cut on the grid. */
export async function partsOf(job: Job, parts: number): Promise<Job[]> {
  const { rows, ranges } = await splitPred(job.pred, parts, gridOf(job));
  const targets = await splitTarget(job.target, job.pred, rows, ranges, job.lm?.targetCols ?? 1);
  // A comparison's CANDIDATE: the same rows as BASE's, found as TARGET's are.
  const c = job.compare;
  const candidates = c === undefined ? null : await splitTarget(c.candidate, job.pred, rows, ranges, 1);
  return ranges.map((range, i) => ({
    pred: { ...job.pred, range },
    target: { ...job.target, range: targets[i] },
    options: job.options,
    firstRow: rows[i],
    lm: job.lm,
    compare: c === undefined ? undefined : { ...c, candidate: { ...c.candidate, range: candidates![i] } },
  }));
}

/**
 * Which parts remain, shared by all threads: [0] the next part to take, [1] the first part not to start (the one
 * after a failed part: later parts could only report later errors).
 */
export type Queue = Int32Array<SharedArrayBuffer>;

/** Takes the next part: its index, or -1 when none is left to start. */
export function take(q: Queue): number {
  const k = Atomics.add(q, 0, 1);
  return k < Atomics.load(q, 1) ? k : -1;
}

/** Starts no part after part k (which failed). */
export function stopAfter(q: Queue, k: number): void {
  for (let end = Atomics.load(q, 1); end > k; end = Atomics.load(q, 1)) {
    if (Atomics.compareExchange(q, 1, end, k + 1) === end) return;
  }
}

/** What a worker is given: the parts, the shared queue, and the main thread's compiled wasm module (or null). */
export interface WorkerTask {
  parts: Job[];
  queue: Queue;
  module: WebAssembly.Module | null;
}

/** A failed part, kept until the merge, which reports the first in file order. */
interface Failure {
  error: unknown;
}

/** What the parts' block states are merged into: the job's evaluator. */
export interface Total<B extends Block = Float64Array> {
  /** Merges one block state (mergePacked, mergePackedLm, a Comparison's merge). */
  add(block: B): void;
  /** Nothing was read (no rows at all). */
  empty(): boolean;
}

/**
 * The main thread and threads − 1 workers take the parts in turn, so that a worker that starts late (or a thread
 * slowed down) takes fewer; the parts' packed block states are merged into `total` in file order. Returns the
 * blocks merged, in order, when `keep` (--state-out).
 */
export async function runThreaded<B extends Block = Float64Array>(
  job: Job, threads: number, total: Total<B>, progress?: ProgressFn, keep = false,
): Promise<B[]> {
  // Started first, so that their start-up overlaps the split (a scan of text files) and the wasm compilation.
  const workers = Array.from({ length: threads - 1 }, () => new Worker(new URL('./cli-worker.js', import.meta.url)));
  try {
    const parts = await partsOf(job, threads * PARTS_PER_THREAD);
    const results = new Array<B[] | Failure>(parts.length);
    const queue: Queue = new Int32Array(new SharedArrayBuffer(8));
    queue[1] = parts.length;
    const size = statSync(job.pred.path).size;
    const done = new Array<number>(parts.length).fill(0);
    const rows = new Array<number>(parts.length).fill(0);
    const report = (k: number, d: number, r: number) => {
      done[k] = d;
      rows[k] = r;
      progress?.(done.reduce((a, b) => a + b, 0), size, rows.reduce((a, b) => a + b, 0));
    };
    /** The blocks merged, in order, when the caller keeps them (--state-out). */
    const kept: B[] = [];
    let merged = 0;
    /** Merges the parts that are ready, in file order, up to the first missing or failed one; frees their blocks. */
    const mergeReady = () => {
      while (merged < results.length && Array.isArray(results[merged])) {
        for (const block of results[merged] as B[]) {
          total.add(block);
          if (keep) kept.push(block);
        }
        results[merged++] = [];
      }
    };
    // A worker that dies (not an input error: those are replies) ends the run.
    let crash = null as Failure | null;
    let wake = () => {};
    const task: WorkerTask = { parts, queue, module: kernelModule() };
    for (const w of workers) {
      w.on('message', (m: WorkerReply) => {
        if (m.type === 'progress') report(m.part, m.done, m.rows);
        else if (m.type === 'part') results[m.part] = m.blocks as B[];
        else results[m.part] = { error: m.where !== undefined ? new InputError(m.where, m.detail!) : new Error(m.message) };
        wake();
      });
      w.on('error', (error) => {
        crash ??= { error };
        wake();
      });
      w.on('exit', (code) => {
        if (code !== 0) crash ??= { error: new Error(`worker exited with code ${code}`) };
        wake();
      });
      w.postMessage(task);
    }
    for (let k = take(queue); k >= 0; k = take(queue)) {
      try {
        results[k] = await runBlocks<B>(parts[k], (d, _total, r) => report(k, d, r));
      } catch (e) {
        stopAfter(queue, k);
        results[k] = { error: e };
      }
      // Merged once no part is left to take, not now: merging packed states into the total changes how V8 stores
      // its sums, which discards the main thread's compiled evaluation code in the middle of its parts. The states
      // held meanwhile are well under 1% of the data (gridRows).
    }
    // Done when every part before the first failure is in: the parts after it (still running in a worker, perhaps)
    // could only report later errors, so the error reported is the first in file order, as with one thread.
    await new Promise<void>((resolve) => {
      wake = () => {
        mergeReady();
        if (crash !== null || merged === parts.length || results[merged] !== undefined) resolve();
      };
      wake();
    });
    if (crash !== null) throw crash.error;
    if (merged < parts.length) throw (results[merged] as Failure).error;
    if (total.empty()) throw await noRows(job.pred);
    return kept;
  } finally {
    for (const w of workers) void w.terminate();
  }
}
