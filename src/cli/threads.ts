/**
 * `--threads N`: PRED is split into N parts — .npy and Arrow by rows, text at line boundaries, every cut on the
 * evaluation's grid of rows (gridRows) — and TARGET into the matching rows; each part runs in a worker thread with
 * its own wasm instance and returns the states of its grid blocks, which are merged in file order: the same
 * additions in the same order as with one thread, so the results are bit-identical for every N.
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Evaluator } from '../eval/evaluator.js';
import type { StateJSON } from '../eval/state.js';
import { type Job, type ProgressFn, type Source, gridRows, noRows } from './pipeline.js';
import { InputError, type Range } from './readers/index.js';
import { arrowRows } from './readers/arrow.js';
import { readNpyHeader } from './readers/npy.js';
import { TextReader, countLines, lineOffsets, nextLineStart } from './readers/text.js';

export type WorkerReply =
  | { type: 'progress'; done: number; rows: number }
  | { type: 'done'; blocks: StateJSON[] }
  | { type: 'error'; message: string; where?: string; detail?: string };

/** Line number of the first data row of a text file (2 when it has a header). */
function firstDataLine(src: Source): number {
  const r = new TextReader(src.path, src.format as 'csv' | 'tsv' | 'jsonl');
  try {
    return r.next(1) === null ? 1 : +r.where(0).split(':').at(-2)!;
  } finally {
    r.close();
  }
}

/** Rounds the inner cuts down to the grid (rows[0] = 0 and the last bound stay), keeping them in order. */
function onGrid(rows: number[], grid: number): number[] {
  return rows.map((r, i) => (i === 0 || i === rows.length - 1 ? r : Math.floor(r / grid) * grid))
    .map((r, i, a) => (i === 0 ? r : Math.max(r, a[i - 1])));
}

/**
 * Rows of PRED at which the parts start (parts + 1 bounds, the last possibly Infinity) and PRED's ranges. The cuts
 * lie on the evaluation's grid (gridRows), so that the parts sum the same blocks as one thread would.
 */
function splitPred(src: Source, parts: number, grid: number): { rows: number[]; ranges: Range[] } {
  if (src.format === 'npy' || src.format === 'arrow') {
    const n = src.format === 'npy' ? readNpyHeader(src.path).rows : arrowRows(src.path);
    const rows = onGrid(Array.from({ length: parts + 1 }, (_, i) => Math.round((i * n) / parts)), grid);
    return { rows, ranges: rows.slice(0, -1).map((r, i) => ({ rowStart: r, rowEnd: rows[i + 1] })) };
  }
  const size = statSync(src.path).size;
  const first = firstDataLine(src);
  const cuts = [0];
  for (let i = 1; i < parts; i++) cuts.push(Math.max(cuts[i - 1], nextLineStart(src.path, Math.floor((i * size) / parts))));
  cuts.push(size);
  // Rows at even byte cuts, rounded down to the grid; then the byte offsets of those rows.
  const rows: number[] = [0];
  let line = 1;
  for (let i = 0; i < parts; i++) {
    line += countLines(src.path, cuts[i], cuts[i + 1]);
    rows.push(i === parts - 1 ? Infinity : Math.max(0, line - first));
  }
  const aligned = onGrid(rows, grid);
  return { rows: aligned, ranges: splitTarget(src, aligned) };
}

/** TARGET's ranges holding PRED's rows [rows[i], rows[i + 1]). */
function splitTarget(src: Source, rows: number[]): Range[] {
  const parts = rows.length - 1;
  // The last part reads TARGET to its end, so that extra TARGET rows are found.
  if (src.format === 'npy' || src.format === 'arrow') {
    return rows.slice(0, -1).map((r, i) => ({ rowStart: r, rowEnd: i === parts - 1 ? Infinity : rows[i + 1] }));
  }
  const first = firstDataLine(src);
  const starts = rows.slice(1, -1).map((r) => r + first);
  const offsets = lineOffsets(src.path, starts);
  const size = statSync(src.path).size;
  const bytes = [0, ...offsets, size];
  return Array.from({ length: parts }, (_, i) => ({
    byteStart: bytes[i],
    byteEnd: i === parts - 1 ? size : bytes[i + 1],
    firstLine: i === 0 ? 1 : starts[i - 1],
    header: i === 0 ? first > 1 : false,
  }));
}

export async function runThreaded(
  job: Job, threads: number, progress?: ProgressFn,
): Promise<Evaluator> {
  const { rows, ranges } = splitPred(job.pred, threads, gridRows(job.options.classes));
  const targetRanges = splitTarget(job.target, rows);
  const total = statSync(job.pred.path).size;
  const done = new Array<number>(threads).fill(0);
  const rowsDone = new Array<number>(threads).fill(0);
  // A part that fails stops the later parts (their errors come later in the file) but not the earlier ones: the
  // error reported is the first in file order, as with one thread.
  const workers: Worker[] = [];
  const settled = await Promise.allSettled(ranges.map((range, i) => new Promise<unknown>((resolve, rejectOk) => {
    const reject = (e: unknown) => {
      rejectOk(e);
      for (const w of workers.slice(i + 1)) void w.terminate();
    };
    const w = new Worker(new URL('./cli-worker.js', import.meta.url), {
      workerData: {
        pred: { ...job.pred, range },
        target: { ...job.target, range: targetRanges[i] },
        options: job.options,
        firstRow: rows[i],
      } satisfies Job,
    });
    w.on('message', (m: WorkerReply) => {
      if (m.type === 'progress') {
        done[i] = m.done;
        rowsDone[i] = m.rows;
        progress?.(done.reduce((a, b) => a + b, 0), total, rowsDone.reduce((a, b) => a + b, 0));
      } else if (m.type === 'done') resolve(m.blocks);
      else reject(m.where !== undefined ? new InputError(m.where, m.detail!) : new Error(m.message));
    });
    w.on('error', reject);
    w.on('exit', (code) => { if (code !== 0) reject(new Error(`worker ${i} exited with code ${code}`)); });
    workers.push(w);
  })));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  // The grid blocks in file order, merged one by one into an empty evaluator, as runJob does with one thread.
  const ev = new Evaluator(job.options);
  for (const s of settled) for (const block of (s as PromiseFulfilledResult<StateJSON[]>).value) ev.merge(Evaluator.fromJSON(block));
  const r = ev.result();
  if (r.count + r.ignored === 0) throw noRows(job.pred);
  return ev;
}
