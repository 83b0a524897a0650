import type { Reduction } from './options.js';

/**
 * How per-row values become the result. `values` holds `k` values per row (k = 1 for per-row losses, k = cols for
 * elementwise ones); `mult[r]` (when given) scales row r's values; the mean divides by `denominator`.
 */
export interface Reducible {
  values: Float64Array;
  rows: number;
  k: number;
  mult: ArrayLike<number> | null;
  denominator: number;
}

/**
 * Applies the reduction in a fixed order, in float64, converting nats to the unit (divide by ln base).
 * A weight of 0 removes its row even when the row's value is infinite. Any NaN value is reported through
 * `onNaN(flatIndex)` (which throws) before a result is returned: nothing NaN leaves silently. The documented
 * exception is a mean over zero total weight, which is NaN.
 */
export function reduce(
  { values, rows, k, mult, denominator }: Reducible,
  reduction: Reduction,
  unit: number,
  batch: boolean,
  onNaN: (index: number) => never,
): number | Float64Array {
  const n = rows * k;
  if (reduction === 'none' && batch) {
    const out = new Float64Array(n);
    for (let r = 0, i = 0; r < rows; r++) {
      const m = mult === null ? 1 : mult[r];
      for (let j = 0; j < k; j++, i++) {
        const v = values[i];
        if (v !== v) onNaN(i);
        out[i] = m === 0 ? 0 : (v * m) / unit;
      }
    }
    return out;
  }
  const acc = new Sum();
  for (let r = 0, i = 0; r < rows; r++) {
    const m = mult === null ? 1 : mult[r];
    let s = 0;
    for (let j = 0; j < k; j++, i++) {
      const v = values[i];
      if (v !== v) onNaN(i);
      s += v;
    }
    if (m !== 0) acc.add(m === 1 ? s : s * m);
  }
  const sum = acc.value();
  if (reduction === 'mean') {
    return denominator === 0 ? NaN : sum / denominator / unit;
  }
  return sum / unit;
}

/**
 * Neumaier's compensated sum: the batch total stays within a few ulp however many rows it adds (a plain float64
 * sum of a million equal losses drifts by ~1e-11 relative). Infinite totals skip the compensation, which would
 * turn them into NaN.
 */
export class Sum {
  private s = 0;
  private c = 0;

  add(x: number): void {
    const t = this.s + x;
    this.c += Math.abs(this.s) >= Math.abs(x) ? this.s - t + x : x - t + this.s;
    this.s = t;
  }

  value(): number {
    return Number.isFinite(this.s) ? this.s + this.c : this.s;
  }
}

/** Σ_r w[r] in a fixed order (the denominator of a weighted mean). */
export function total(w: ArrayLike<number>): number {
  const acc = new Sum();
  for (let i = 0; i < w.length; i++) acc.add(w[i]);
  return acc.value();
}

/** x · 2^e, in steps that cannot overflow or underflow before the end (e may exceed one double's exponent range). */
export function ldexp(x: number, e: number): number {
  while (e > 1023) {
    x *= 2 ** 1023;
    e -= 1023;
  }
  while (e < -1022) {
    x *= 2 ** -1022;
    e += 1022;
  }
  return x * 2 ** e;
}

/** ldexp of a result: a number, or every element of a per-row / per-element array (in place). */
export function ldexpResult<R extends number | Float64Array>(r: R, e: number): R {
  if (e === 0) return r;
  if (typeof r === 'number') return ldexp(r, e) as R;
  for (let i = 0; i < r.length; i++) r[i] = ldexp(r[i], e);
  return r;
}

/**
 * A weight vector (read in float64) with its scale taken out: w·2^-e, e chosen so that the largest |entry| lies in
 * [1, 2), in the kernels' dtype (Float32Array when `f32`). A weighted mean does not depend on the scale of its
 * weights, so it is computed from these: their products and sums cannot overflow, subnormal weights become exact
 * normal numbers, and weights of 1e308 or 5e-324 reach float32 kernels as numbers near 1. Sums, elementwise values
 * and means whose divisor holds no weight are multiplied back by 2^e at the end (ldexpResult). Dividing by a power
 * of two is exact for normal numbers, so weights in ordinary ranges give the same bits as without it.
 */
export function unscaled(w: Float64Array | null, f32 = false): { w: Float32Array | Float64Array | null; e: number } {
  if (w === null) return { w, e: 0 };
  let max = 0; // of |w|: the framework presets take negative weights
  for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(w[i]));
  let e = 0;
  if (max > 0 && !(max >= 1 && max < 2)) {
    e = Math.floor(Math.log2(max));
    if (ldexp(max, -e) >= 2) e++; // log2 may round up to the next integer just below a power of two
    else if (ldexp(max, -e) < 1) e--;
  }
  if (e === 0) return { w: f32 ? new Float32Array(w) : w, e };
  const out = new (f32 ? Float32Array : Float64Array)(w.length);
  for (let i = 0; i < w.length; i++) out[i] = ldexp(w[i], -e);
  return { w: out, e };
}
