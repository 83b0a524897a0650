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
