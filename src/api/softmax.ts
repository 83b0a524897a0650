import { kernels } from '../backend/select.js';
import type { FloatArray } from '../backend/kernels.js';
import { elem, floatsOf } from '../core/dtype.js';
import { XentError } from '../core/errors.js';
import { type HalfOptions, type IfOption, booleanOption, checkKeys, dtypeOf, scaleOf } from '../core/options.js';
import {
  type Batch, type HalfVector, type Matrix, type Row, type Vector, asMatrix, asVectorOption, isFloat32, lengthOf,
} from '../core/shape.js';
import { explainNaN } from '../core/validate.js';
import { ldexp } from '../core/reduce.js';

/** Options of the softmax family. */
export interface SoftmaxOptions extends HalfOptions {
  /** Classes per row when a batch is given as one flat vector. */
  classes?: number;
  /** Divide the logits by T before anything else (default 1). */
  temperature?: number;
}

/** Options of logSumExp: SciPy's `b` and `return_sign`. */
export interface LogSumExpOptions extends SoftmaxOptions {
  /**
   * Per-element scale factors (scipy.special.logsumexp's `b`): log Σ b_j exp(x_j). Length C (broadcast over
   * rows) or N·C. Entries with b = 0 are left out, whatever x is; negative entries need `returnSign`.
   */
  b?: Vector;
  /**
   * Return `{ value, sign }`: value = log |Σ b exp(x)|, sign = ±1 (0 when the sum is 0, value then -Infinity).
   * Without it a negative sum is an INVALID_OPTION error (SciPy returns NaN).
   */
  returnSign?: boolean;
}

/** logSumExp's value: a number for one vector, a Float64Array per row for a batch. */
export type LseValue<X, O> = X extends readonly Row[]
  ? Float64Array
  : IfOption<O, 'classes', number, Float64Array, number>;

/** A signed log-sum-exp: the log of the absolute sum and its sign (+1, -1 or 0). */
export interface SignedLogSumExp<V> {
  value: V;
  sign: V;
}

/** logSumExp's result: the value, or `{ value, sign }` with `returnSign: true`. */
export type LseResult<X, O> = IfOption<O, 'returnSign', true, SignedLogSumExp<LseValue<X, O>>, LseValue<X, O>>;

/**
 * softmax's result: the input's dtype (number[] gives Float64Array; half precision Float32Array), one flat row-major
 * array for a batch.
 */
export type SoftmaxResult<X> = X extends Float32Array | HalfVector | readonly (Float32Array | HalfVector)[]
  ? Float32Array : Float64Array;

const KEYS = ['classes', 'temperature', 'dtype'] as const;

/** logSumExp's options without its own (`b`, `returnSign`), for logitsOf. */
const plainOptions = ({ classes, temperature, dtype }: Record<string, unknown>) => ({ classes, temperature, dtype }) as SoftmaxOptions;

function logitsOf(x: unknown, options: SoftmaxOptions | undefined, fn: string, empty = false): { m: Matrix; s: number } {
  const o = checkKeys(options, KEYS, fn);
  const f32 = isFloat32(x);
  const s = scaleOf(o.temperature, f32);
  const m = asMatrix(x, 'x', o.classes, f32, dtypeOf(o.dtype));
  if (m.cols === 0 && !empty) throw new XentError('EMPTY_INPUT', 'x has no entries');
  return { m, s };
}

/**
 * log Σ exp(x / T) of each row, computed with the max shift so it never overflows. -Infinity entries are masks;
 * a row of only -Infinity gives -Infinity, a row holding +Infinity gives Infinity. A row with no entries is the
 * log of an empty sum, -Infinity (as SciPy's and PyTorch's logsumexp).
 */
export function logSumExp<X extends Batch, O extends LogSumExpOptions = {}>(x: X, options?: O): LseResult<X, O> {
  const o = checkKeys(options, [...KEYS, 'b', 'returnSign'], 'logSumExp');
  const returnSign = booleanOption(o.returnSign, 'returnSign');
  if (o.b !== undefined || returnSign) return scaledLogSumExp(x, o, returnSign) as LseResult<X, O>;
  const { m, s } = logitsOf(x, plainOptions(o), 'logSumExp', true);
  const out = new Float64Array(m.rows);
  if (m.cols === 0) out.fill(-Infinity);
  else kernels().logSumExp(m.data, m.rows, m.cols, s, out);
  for (let r = 0; r < m.rows; r++) {
    if (out[r] !== out[r]) {
      // NaN in the row is an error; +Infinity (the only other cause) makes the sum infinite.
      for (let i = r * m.cols; i < (r + 1) * m.cols; i++) if (Number.isNaN(elem(m.data, i))) explainNaN(r, [{ name: 'x', m }]);
      out[r] = Infinity;
    }
  }
  return (m.batch ? out : out[0]) as LseResult<X, O>;
}

function rowwise(fn: 'softmax' | 'logSoftmax', x: unknown, options: SoftmaxOptions | undefined): FloatArray {
  const { m, s } = logitsOf(x, options, fn);
  const out = new (m.data instanceof Float64Array ? Float64Array : Float32Array)(m.data.length);
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

/**
 * log |Σ_j b_j exp(x_j / T)| per row with its sign, SciPy's logsumexp(a, b, return_sign): the max shift is taken
 * over the entries with b != 0, and the shifted sum accumulates in float64. A small loop in TypeScript, identical
 * on every backend; a fused kernel `logSumExpScaled(x, b, rows, cols, s, bFull, value, sign)` would replace it.
 */
function scaledLogSumExp(x: unknown, o: Record<string, unknown>, returnSign: boolean): number | Float64Array | SignedLogSumExp<number | Float64Array> {
  const { m, s } = logitsOf(x, plainOptions(o), 'logSumExp', true);
  const data = floatsOf(kernels(), m.data, true);
  const len = lengthOf(o.b);
  const bFull = len !== undefined && len !== m.cols && len === m.rows * m.cols;
  let b = o.b === undefined ? null : asVectorOption(o.b, 'b', bFull ? m.rows * m.cols : m.cols, false);
  // b's scale is taken out (a power of two 2^be, exact) and added back as be·ln 2: Σ b·exp(x) then neither
  // overflows for b near Number.MAX_VALUE nor loses the digits of subnormal b.
  let be = 0;
  if (b !== null) {
    let top = 0;
    for (let i = 0; i < b.length; i++) {
      if (Number.isNaN(b[i])) throw new XentError('NON_FINITE', `b[${i}] is NaN`);
      top = Math.max(top, Math.abs(b[i]));
    }
    if (top > 0 && top < Infinity && !(top >= 1 && top < 2)) {
      be = Math.floor(Math.log2(top));
      b = b.map((v) => ldexp(v, -be));
    }
  }
  const value = new Float64Array(m.rows);
  const sign = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    const base = r * m.cols;
    const bAt = (j: number): number => (b === null ? 1 : b[bFull ? base + j : j]);
    let mx = -Infinity;
    for (let j = 0; j < m.cols; j++) {
      const v = data[base + j];
      if (Number.isNaN(v)) explainNaN(r, [{ name: 'x', m }]);
      if (bAt(j) !== 0 && s * v > mx) mx = s * v;
    }
    let sum = 0;
    if (mx === Infinity) sum = NaN;
    else if (mx > -Infinity) for (let j = 0; j < m.cols; j++) {
      const bj = bAt(j);
      if (bj !== 0) sum += bj * Math.exp(s * data[base + j] - mx);
    }
    if (Number.isNaN(sum)) {
      // a +Infinity entry: the sum is ±Infinity by the sign of its b (NaN, an error, if they disagree)
      let sg = 0;
      for (let j = 0; j < m.cols; j++) {
        if (data[base + j] === Infinity && bAt(j) !== 0) {
          const t = Math.sign(bAt(j));
          if (sg !== 0 && t !== sg) throw new XentError('NON_FINITE', `Σ b·exp(x) of row ${r} is Infinity - Infinity`);
          sg = t;
        }
      }
      value[r] = Infinity;
      sign[r] = sg;
      continue;
    }
    sign[r] = Math.sign(sum);
    value[r] = mx + (Math.log(Math.abs(sum)) + be * Math.LN2);
    if (sum === 0) value[r] = -Infinity;
    if (sum < 0 && !returnSign) {
      const where = m.batch ? `row ${r}` : 'x';
      throw new XentError('INVALID_OPTION', `Σ b·exp(x) of ${where} is negative (log ${value[r]}); pass returnSign: true`);
    }
  }
  if (!returnSign) return m.batch ? value : value[0];
  return m.batch ? { value, sign } : { value: value[0], sign: sign[0] };
}
