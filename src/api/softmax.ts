import { kernels } from '../backend/select.js';
import type { FloatArray } from '../backend/kernels.js';
import { XentError } from '../core/errors.js';
import { checkKeys, scaleOf } from '../core/options.js';
import { type Batch, type Matrix, asMatrix, isFloat32 } from '../core/shape.js';
import { explainNaN } from '../core/validate.js';

/** Options of the softmax family. */
export interface SoftmaxOptions {
  /** Classes per row when a batch is given as one flat vector. */
  classes?: number;
  /** Divide the logits by T before anything else (default 1). */
  temperature?: number;
}

/** logSumExp's result: a number for one vector, a Float64Array per row for a batch. */
export type LseResult<X, O> = X extends readonly (readonly number[] | Float32Array | Float64Array)[]
  ? Float64Array
  : O extends { classes: number } ? Float64Array : number;

/** softmax's result: the input's dtype (number[] gives Float64Array), one flat row-major array for a batch. */
export type SoftmaxResult<X> = X extends Float32Array | readonly Float32Array[] ? Float32Array : Float64Array;

const KEYS = ['classes', 'temperature'] as const;

function logitsOf(x: unknown, options: SoftmaxOptions | undefined, fn: string): { m: Matrix; s: number } {
  const o = checkKeys(options, KEYS, fn);
  const s = scaleOf(o.temperature);
  const m = asMatrix(x, 'x', o.classes, isFloat32(x));
  if (m.cols === 0) throw new XentError('EMPTY_INPUT', 'x has no entries');
  return { m, s };
}

/**
 * log Σ exp(x / T) of each row, computed with the max shift so it never overflows. -Infinity entries are masks;
 * a row of only -Infinity gives -Infinity, a row holding +Infinity gives Infinity.
 */
export function logSumExp<X extends Batch, O extends SoftmaxOptions>(x: X, options?: O): LseResult<X, O> {
  const { m, s } = logitsOf(x, options, 'logSumExp');
  const out = new Float64Array(m.rows);
  kernels().logSumExp(m.data, m.rows, m.cols, s, out);
  for (let r = 0; r < m.rows; r++) {
    if (out[r] !== out[r]) {
      // NaN in the row is an error; +Infinity (the only other cause) makes the sum infinite.
      for (let i = r * m.cols; i < (r + 1) * m.cols; i++) if (Number.isNaN(m.data[i])) explainNaN(r, [{ name: 'x', m }]);
      out[r] = Infinity;
    }
  }
  return (m.batch ? out : out[0]) as LseResult<X, O>;
}

function rowwise(fn: 'softmax' | 'logSoftmax', x: unknown, options: SoftmaxOptions | undefined): FloatArray {
  const { m, s } = logitsOf(x, options, fn);
  const out = new (m.data instanceof Float32Array ? Float32Array : Float64Array)(m.data.length);
  kernels()[fn](m.data, m.rows, m.cols, s, out);
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== out[i]) explainNaN(Math.floor(i / m.cols), [{ name: 'x', m }], { name: 'x', m });
  }
  return out;
}

/**
 * Softmax of each row, exp(x / T - logSumExp(x / T)). Output keeps the input's dtype (number[] gives
 * Float64Array); a batch gives one flat row-major array. -Infinity entries get probability 0.
 */
export function softmax<X extends Batch>(x: X, options?: SoftmaxOptions): SoftmaxResult<X> {
  return rowwise('softmax', x, options) as SoftmaxResult<X>;
}

/** Log-softmax of each row, x / T - logSumExp(x / T), computed without forming the softmax (no log 0). */
export function logSoftmax<X extends Batch>(x: X, options?: SoftmaxOptions): SoftmaxResult<X> {
  return rowwise('logSoftmax', x, options) as SoftmaxResult<X>;
}
