import { type FloatArray, type FloatData, HalfArray, elem, floatsOf } from './dtype.js';
import { XentError, at, show } from './errors.js';
import { numberIn } from './options.js';
import type { Matrix } from './shape.js';

/** The kernels validation runs (backend/kernels' Kernels has them; core does not depend on the backend). */
export interface CheckKernels {
  rowStats(x: FloatData, rows: number, cols: number, sum: Float64Array, min: Float64Array | null, max: Float64Array | null): void;
  widen(x: HalfArray, out: Float32Array): void;
}

/** A named input, for error messages. */
export interface Named {
  name: string;
  m: Matrix;
}

function rowRange(m: Matrix, row: number): [number, number] {
  return row < 0 ? [0, m.rows * m.cols] : [row * m.cols, (row + 1) * m.cols];
}

/** The NON_FINITE error for a +Infinity logit or an all -Infinity row within `row` (-1: anywhere), or null. */
function logitCause({ name, m }: Named, row: number): XentError | null {
  const [a, b] = rowRange(m, row);
  for (let i = a; i < b; i++) {
    if (elem(m.data, i) === Infinity) {
      return new XentError('NON_FINITE', `${at(name, i, m.cols, m.batch)} is Infinity (only -Infinity, a mask, is allowed)`);
    }
  }
  for (let i = a; i < b; i += m.cols) {
    let all = true;
    for (let j = i; j < i + m.cols && all; j++) all = elem(m.data, j) === -Infinity;
    if (all) {
      const where = m.batch ? `${name}[${i / m.cols}]` : name;
      return new XentError('NON_FINITE', `${where} is -Infinity everywhere: its softmax is undefined`);
    }
  }
  return null;
}

/**
 * Explains a NaN that a kernel produced: finds the NaN (or +Infinity logit, or all -Infinity row) in the inputs,
 * looking at `row` first, and throws the matching XentError. A NaN with no cause in the inputs is INTERNAL.
 * Called only on the error path, so it may loop over elements.
 */
export function explainNaN(row: number, inputs: readonly Named[], logits?: Named): never {
  for (const r of row < 0 ? [-1] : [row, -1]) {
    for (const { name, m } of inputs) {
      const [a, b] = rowRange(m, r);
      for (let i = a; i < b; i++) {
        if (Number.isNaN(elem(m.data, i))) throw new XentError('NON_FINITE', `${at(name, i, m.cols, m.batch)} is NaN`);
      }
    }
    const cause = logits ? logitCause(logits, r) : null;
    if (cause) throw cause;
  }
  throw new XentError('INTERNAL', 'a kernel produced NaN from valid input; please report this input');
}

/**
 * A row whose softmax loss is +Infinity is either the mathematics (the target class is masked with -Infinity) or
 * an undefined softmax (a +Infinity logit, a row of only -Infinity): only those rows are scanned, to tell which.
 */
export function checkInfiniteRows(values: Float64Array, logits: Named): void {
  for (let r = 0; r < values.length; r++) {
    if (values[r] === Infinity) {
      const cause = logitCause(logits, r);
      if (cause) throw cause;
    }
  }
}

function firstOutside(m: Matrix, row: number, lo: number, hi: number): number {
  for (let i = row * m.cols; i < (row + 1) * m.cols; i++) {
    const v = elem(m.data, i);
    if (!(v >= lo && v <= hi)) return i;
  }
  return -1;
}

/**
 * Checks every entry of `m` is in [0, 1] (NaN → NON_FINITE, else INVALID_PROBABILITY) using one kernel pass
 * over the rows' sums and extremes. Returns the row sums for further checks.
 */
export function checkUnitInterval(k: CheckKernels, { name, m }: Named, upper = true): Float64Array {
  const sum = new Float64Array(m.rows);
  const min = new Float64Array(m.rows);
  const max = new Float64Array(m.rows);
  k.rowStats(m.data, m.rows, m.cols, sum, min, max);
  for (let r = 0; r < m.rows; r++) {
    // A NaN sum is a NaN entry, or +Infinity and -Infinity together (then the range check below reports them).
    if (Number.isNaN(sum[r]) && firstOutside(m, r, -Infinity, Infinity) >= 0) explainNaN(r, [{ name, m }]);
    if (min[r] < 0 || (upper && max[r] > 1) || Number.isNaN(sum[r])) {
      const i = firstOutside(m, r, 0, upper ? 1 : Infinity);
      const v = elem(m.data, i);
      throw new XentError(
        'INVALID_PROBABILITY',
        `${at(name, i, m.cols, m.batch)} is ${show(v)}; probabilities must be in [0, 1]`,
      );
    }
  }
  return sum;
}

/**
 * Checks each row of `m` is a probability distribution: entries in [0, 1] summing to 1 within `tolerance` (undefined:
 * defaultTolerance of m's dtype). With `normalize`, rows are instead divided by their sums (a copy, float64 whatever
 * the input's dtype: rounding the quotients to float32 would cost up to ~3e-6 of a small divergence, so a call that
 * normalizes runs the float64 kernels, the other input promoted with asFloat64; the input is never written) and only
 * negative entries or rows summing to 0 or Infinity are rejected.
 */
export function checkDistribution(
  k: CheckKernels, named: Named, tol: number | undefined, normalize: boolean, f32: boolean,
): Matrix {
  const { name, m } = named;
  const tolerance = tol ?? defaultTolerance(m.data);
  const sum = checkUnitInterval(k, named, !normalize);
  for (let r = 0; r < m.rows; r++) {
    const s = sum[r];
    const where = m.batch ? `${name}[${r}]` : name;
    if (normalize) {
      if (!(s > 0 && s < Infinity)) {
        throw new XentError('INVALID_PROBABILITY', `${where} sums to ${show(s)} and cannot be normalized`);
      }
    } else if (Math.abs(s - 1) > tolerance) {
      throw new XentError(
        'INVALID_PROBABILITY',
        `${where} sums to ${s}, not 1 (tolerance ${tolerance}); pass normalize: true to rescale rows`,
      );
    }
  }
  return normalize ? { ...m, data: divideRows(floatsOf(k, m.data, f32), m.rows, m.cols, sum) } : m;
}

function divideRows(x: FloatArray, rows: number, cols: number, sum: Float64Array): FloatArray {
  const out = new Float64Array(x.length);
  for (let r = 0, i = 0; r < rows; r++) {
    const s = sum[r];
    for (let j = 0; j < cols; j++, i++) out[i] = x[i] / s;
  }
  return out;
}

/** A matrix as float64: the other input of a call that normalized one (checkDistribution's rows are float64). */
export function asFloat64(k: CheckKernels, m: Matrix): Matrix {
  return m.data instanceof Float64Array ? m : { ...m, data: new Float64Array(floatsOf(k, m.data, false)) };
}

/**
 * Default tolerance of a row sum, for the rounding of the stored values: 1e-6 for float64 input, 1e-4 for float32,
 * 1e-3 for float16 and 1e-2 for bfloat16 (about twice their unit roundoffs 2^-11 and 2^-8, which bound |Σ p - 1|
 * for a row that summed to 1 before it was rounded to half precision).
 */
export function defaultTolerance(d: FloatData): number {
  if (d instanceof HalfArray) return d.format === 'float16' ? 1e-3 : 1e-2;
  return d instanceof Float32Array ? 1e-4 : 1e-6;
}

/** The `tolerance` option: a number >= 0, or undefined for each input's default (defaultTolerance). */
export function toleranceOf(v: unknown): number | undefined {
  return v === undefined ? undefined : numberIn(v, 'tolerance', 0, Infinity, 0);
}
