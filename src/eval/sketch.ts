/**
 * Mergeable quantile sketches for the comparison's per-row divergences: log-spaced histograms of weighted counts,
 * as the Evaluator's loss histogram (quantiles.ts), over a wider range. State is counts, so merging adds them and
 * chunking changes nothing; the exact minimum and maximum are kept beside and clamp every quantile.
 *
 * Precision: a quantile is interpolated geometrically inside its bin, so it is within one bin of the exact value of
 * the sample quantile it stands for: relative error <= 10^(1/100) - 1 = 2.33% for magnitudes in [1e-12, 1e4),
 * absolute error <= 1e-12 below. (A sample quantile here is the value at rank q·n, the inverse of the empirical
 * distribution; the minimum and maximum are exact.)
 */
import { XentError } from '../core/errors.js';
import { dec, decCount, enc } from './json.js';
import { LogGrid } from './loggrid.js';

export const PER_DECADE = 100;
export const LO_EXP = -12;
export const HI_EXP = 4;
// pure: a bundle that never reads a histogram leaves it out
const GRID = /* @__PURE__ */ new LogGrid(PER_DECADE, LO_EXP, HI_EXP);
export const BINS = (HI_EXP - LO_EXP) * PER_DECADE;
/** Slots: [0] [0, 1e-12), [1 .. BINS] the log bins, [BINS + 1] [1e4, Infinity]. */
export const SLOTS = BINS + 2;

/** The slot of a magnitude >= 0 (or Infinity). */
export const slotOf = (v: number): number => GRID.slot(v);

/** [lo, hi) of a slot. */
export const slotBounds = (slot: number): [number, number] => GRID.bounds(slot);

/** Geometric interpolation at fraction f of [lo, hi] (linear in the first slot, whose lo is 0). */
function inside(lo: number, hi: number, f: number): number {
  const v = lo > 0 && Number.isFinite(hi) ? lo * (hi / lo) ** f : lo + (hi - lo) * f;
  return Number.isNaN(v) ? hi : v;
}

/**
 * A histogram of signed values: magnitudes of negative values in `neg`, of the others (0 included) in `pos`. The
 * order of the values is the negative slots from the largest magnitude down, then the non-negative ones up.
 */
export class Sketch {
  neg = new Float64Array(SLOTS);
  pos = new Float64Array(SLOTS);
  min = Infinity;
  max = -Infinity;
  count = 0;

  add(v: number): void {
    if (v < 0) this.neg[GRID.slot(-v)]++;
    else this.pos[GRID.slot(v)]++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.count++;
  }

  merge(o: Sketch): void {
    for (let i = 0; i < SLOTS; i++) {
      this.neg[i] += o.neg[i];
      this.pos[i] += o.pos[i];
    }
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    this.count += o.count;
  }

  /** The q-quantile (0 <= q <= 1), clamped to [min, max]; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    const target = q * this.count;
    let cum = 0;
    const clamp = (v: number) => Math.min(Math.max(v, this.min), this.max);
    for (let i = SLOTS - 1; i >= 0; i--) {
      const c = this.neg[i];
      if (c === 0) continue;
      if (cum + c >= target) {
        const [lo, hi] = slotBounds(i);
        return clamp(-inside(lo, hi, 1 - (target - cum) / c));
      }
      cum += c;
    }
    for (let i = 0; i < SLOTS; i++) {
      const c = this.pos[i];
      if (c === 0) continue;
      if (cum + c >= target) {
        const [lo, hi] = slotBounds(i);
        return clamp(inside(lo, hi, Math.min(1, Math.max(0, (target - cum) / c))));
      }
      cum += c;
    }
    return this.max;
  }

  /** Sparse JSON: [slot, count] pairs for each side, and the extremes. */
  toJSON(): Record<string, unknown> {
    const sparse = (a: Float64Array) => {
      const out: number[][] = [];
      for (let i = 0; i < SLOTS; i++) if (a[i] > 0) out.push([i, a[i]]);
      return out;
    };
    return { neg: sparse(this.neg), pos: sparse(this.pos), min: enc(this.min), max: enc(this.max) };
  }

  /** Reads a sketch back, checking that its counts add up to `count` and its extremes agree with its sides. */
  static fromJSON(j: unknown, name: string, count: number): Sketch {
    const s = new Sketch();
    const o = j as Record<string, unknown> | null;
    if (o === null || typeof o !== 'object') throw new XentError('INVALID_TYPE', `state.${name} must be an object`);
    for (const side of ['neg', 'pos'] as const) {
      const a = o[side];
      if (!Array.isArray(a)) throw new XentError('INVALID_TYPE', `state.${name}.${side} must be an array of [slot, count]`);
      for (const e of a as unknown[]) {
        const [i, c] = Array.isArray(e) ? e : [];
        if (!Number.isInteger(i) || i < 0 || i >= SLOTS || s[side][i] > 0) {
          throw new XentError('INVALID_TYPE', `state.${name}.${side} has a bad or repeated slot ${JSON.stringify(i)}`);
        }
        s[side][i] = decCount(c, `${name}.${side}[${i}]`);
        s.count += s[side][i];
      }
    }
    s.min = dec(o.min, `${name}.min`);
    s.max = dec(o.max, `${name}.max`);
    const ok = s.count === count && (s.count === 0 ? s.min === Infinity && s.max === -Infinity : s.min <= s.max);
    if (!ok) {
      throw new XentError('INVALID_STATE', `not a meaningful state: ${name} holds ${s.count} values, not ${count}, or bad extremes`);
    }
    return s;
  }
}

/** The percentiles reported for a per-row figure: max and min exact, the others from the sketch. */
export interface Percentiles {
  max: number;
  p99_9: number;
  p99: number;
  p95: number;
  p90: number;
  median: number;
  p10: number;
  p5: number;
  p1: number;
  min: number;
}

export function percentiles(s: Sketch): Percentiles {
  return {
    max: s.count ? s.max : NaN,
    p99_9: s.quantile(0.999),
    p99: s.quantile(0.99),
    p95: s.quantile(0.95),
    p90: s.quantile(0.9),
    median: s.quantile(0.5),
    p10: s.quantile(0.1),
    p5: s.quantile(0.05),
    p1: s.quantile(0.01),
    min: s.count ? s.min : NaN,
  };
}
