/**
 * One evaluation over a pair of files (or a pair of ranges of them, in a worker): PRED and TARGET are read in
 * lock-step, block by block, checked with file:line:column locations, and fed to an Evaluator.
 */
import { existsSync, statSync } from 'node:fs';
import { Evaluator, type EvaluatorOptions } from '../eval/evaluator.js';
import { XentError } from '../core/errors.js';
import { type Format, InputError, type Range, type Reader, openReader } from './readers/index.js';

export interface Source {
  path: string;
  format: Format;
  range?: Range;
}

export interface Job {
  pred: Source;
  target: Source;
  options: EvaluatorOptions;
  /** Rows of PRED before this part (workers), for messages. */
  firstRow?: number;
}

/** Bytes of PRED per block: bounded memory whatever the file size. */
const BLOCK_BYTES = 4 << 20;

export function rowsPerBlock(cols: number): number {
  return Math.max(16, Math.min(65536, Math.floor(BLOCK_BYTES / (8 * cols))));
}

export function checkFile(path: string): void {
  if (!existsSync(path)) throw new InputError(path, 'no such file');
  if (!statSync(path).isFile()) throw new InputError(path, 'not a regular file');
}

/** Values per row of PRED: from the .npy header, or the first data row of a text file. */
export function probeClasses(src: Source): number {
  const r = openReader(src.path, src.format, src.range);
  try {
    const b = r.next(1);
    if (b === null) throw new InputError(src.path, 'no rows');
    return b.cols;
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

export function runJob(job: Job, progress?: (done: number, total: number) => void, allowEmpty = false): Evaluator {
  const { options } = job;
  const classes = options.classes;
  const ev = new Evaluator(options);
  const pred = openReader(job.pred.path, job.pred.format, job.pred.range);
  let target: Reader | null = null;
  try {
    target = openReader(job.target.path, job.target.format, job.target.range);
    const per = rowsPerBlock(classes);
    const multi = options.multiLabel === true;
    const ignore = options.ignoreIndex;
    let rows = job.firstRow ?? 0;
    const start = rows;
    for (;;) {
      const pb = pred.next(per);
      if (pb === null) {
        if (target.next(1) !== null) throw new InputError(target.where(0), `TARGET has more rows than PRED (PRED has ${rows} rows)`);
        break;
      }
      if (pb.cols !== classes) {
        throw new InputError(pred.where(0), `${pb.cols} values per row, but there are ${classes} classes`);
      }
      const tb = target.next(pb.rows);
      const got = tb === null ? 0 : tb.rows;
      if (got < pb.rows) {
        throw new InputError(pred.where(got), `PRED has more rows than TARGET (TARGET ends after ${rows + got} rows)`);
      }
      const want = multi ? classes : 1;
      if (tb!.cols !== want) {
        throw new InputError(
          target.where(0),
          multi
            ? `${tb!.cols} targets per row, but there are ${classes} labels per row`
            : `${tb!.cols} values per row; single-label targets are one integer label per row (--multi-label for 0/1 targets)`,
        );
      }
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
      progress?.(pred.done, pred.total);
    }
    if (rows === start && !allowEmpty) throw new InputError(job.pred.path, 'no rows');
  } finally {
    pred.close();
    target?.close();
  }
  return ev;
}
