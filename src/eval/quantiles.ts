/**
 * The distribution of per-row loss as a mergeable log-spaced histogram: 200 bins per decade from 1e-8 to 1e3 nats
 * (2200 bins), plus an underflow bin [0, 1e-8) and an overflow bin [1e3, Infinity]. State is weighted counts, so
 * merging adds and chunking changes nothing.
 *
 * Precision: a quantile is interpolated geometrically inside its bin, so it is within one bin of the exact value:
 * relative error <= 10^(1/200) - 1 = 1.16% for losses in [1e-8, 1e3), absolute error <= 1e-8 below. The exact
 * minimum and maximum are kept beside the histogram and clamp every quantile.
 */
import { LogGrid } from './loggrid.js';

export const PER_DECADE = 200;
export const LO_EXP = -8;
export const HI_EXP = 3;
// pure: a bundle that never reads a histogram leaves it out
const GRID = /* @__PURE__ */ new LogGrid(PER_DECADE, LO_EXP, HI_EXP);
export const BINS = (HI_EXP - LO_EXP) * PER_DECADE;
/** Slots: [0] underflow, [1 .. BINS] the log bins, [BINS + 1] overflow. */
export const SLOTS = BINS + 2;

/** The slot of a loss in nats (>= 0 or Infinity). */
export const slotOf = (loss: number): number => GRID.slot(loss);

/** [lo, hi) of a slot in nats. */
export const slotBounds = (slot: number): [number, number] => GRID.bounds(slot);

/** The q-quantile (0 <= q <= 1) of the weighted histogram, clamped to [min, max]; NaN when it is empty. */
export function quantile(counts: Float64Array, q: number, min: number, max: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (!(total > 0)) return NaN;
  const target = q * total;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c === 0) continue;
    if (cum + c >= target) {
      const f = Math.min(1, Math.max(0, (target - cum) / c));
      let [lo, hi] = slotBounds(i);
      lo = Math.max(lo, min);
      hi = Math.min(hi, max);
      const v = lo > 0 && Number.isFinite(hi) ? lo * (hi / lo) ** f : lo + (hi - lo) * f;
      return Math.min(Math.max(Number.isNaN(v) ? hi : v, min), max);
    }
    cum += c;
  }
  return max;
}
