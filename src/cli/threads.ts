/**
 * `--threads N`: PRED is split into N parts — .npy by rows (byte ranges follow), text at line boundaries — and
 * TARGET into the matching rows; each part runs in a worker thread with its own wasm instance and Evaluator, and
 * the workers' JSON states are merged in order.
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Evaluator } from '../eval/evaluator.js';
import { type Job, type Source } from './pipeline.js';
import { InputError, type Range } from './readers/index.js';
import { readNpyHeader } from './readers/npy.js';
import { TextReader, countLines, lineOffsets, nextLineStart } from './readers/text.js';

export type WorkerReply =
  | { type: 'progress'; done: number }
  | { type: 'done'; state: unknown }
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

/** Rows of PRED at which the parts start (parts + 1 bounds, the last possibly Infinity) and PRED's ranges. */
function splitPred(src: Source, parts: number): { rows: number[]; ranges: Range[] } {
  if (src.format === 'npy') {
    const n = readNpyHeader(src.path).rows;
    const rows = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * n) / parts));
    return { rows, ranges: rows.slice(0, -1).map((r, i) => ({ rowStart: r, rowEnd: rows[i + 1] })) };
  }
  const size = statSync(src.path).size;
  const first = firstDataLine(src);
  const cuts = [0];
  for (let i = 1; i < parts; i++) cuts.push(Math.max(cuts[i - 1], nextLineStart(src.path, Math.floor((i * size) / parts))));
  cuts.push(size);
  const rows: number[] = [0];
  const ranges: Range[] = [];
  let line = 1;
  for (let i = 0; i < parts; i++) {
    ranges.push({ byteStart: cuts[i], byteEnd: cuts[i + 1], firstLine: line, header: i === 0 ? first > 1 : false });
    line += countLines(src.path, cuts[i], cuts[i + 1]);
    rows.push(i === parts - 1 ? Infinity : Math.max(0, line - first));
  }
  return { rows, ranges };
}

/** TARGET's ranges holding PRED's rows [rows[i], rows[i + 1]). */
function splitTarget(src: Source, rows: number[]): Range[] {
  const parts = rows.length - 1;
  if (src.format === 'npy') return rows.slice(0, -1).map((r, i) => ({ rowStart: r, rowEnd: rows[i + 1] }));
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
  job: Job, threads: number, progress?: (done: number, total: number) => void,
): Promise<Evaluator> {
  const { rows, ranges } = splitPred(job.pred, threads);
  const targetRanges = splitTarget(job.target, rows);
  const total = statSync(job.pred.path).size;
  const done = new Array<number>(threads).fill(0);
  const states = await Promise.all(ranges.map((range, i) => new Promise<unknown>((resolve, reject) => {
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
        progress?.(done.reduce((a, b) => a + b, 0), total);
      } else if (m.type === 'done') resolve(m.state);
      else reject(m.where !== undefined ? new InputError(m.where, m.detail!) : new Error(m.message));
    });
    w.on('error', reject);
    w.on('exit', (code) => { if (code !== 0) reject(new Error(`worker ${i} exited with code ${code}`)); });
  })));
  const ev = Evaluator.fromJSON(states[0]);
  for (let i = 1; i < states.length; i++) ev.merge(Evaluator.fromJSON(states[i]));
  if (ev.result().count === 0 && rows.at(-1) === 0) throw new InputError(job.pred.path, 'no rows');
  return ev;
}
