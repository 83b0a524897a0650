/**
 * The Poisson bootstrap: each row gets, for each of B resamples, a weight drawn from Poisson(1) by a counter-based
 * generator keyed by (seed, global row index, resample). A weight depends on nothing else, so resample sums add
 * across chunks, shards and threads like any other sum, and every way of splitting the data gives the same
 * resamples (torchmetrics' BootStrapper(sampling_strategy='poisson') draws the same distribution from a stateful
 * generator, which does not merge).
 *
 * The generator, exactly (scripts/compare_fixtures.py reproduces it):
 *   mix(x)      = Chris Wellons' lowbias32 finalizer on 32-bit words
 *                 (x ^= x >>> 16; x *= 0x7feb352d; x ^= x >>> 15; x *= 0x846ca68b; x ^= x >>> 16),
 *   key(seed,i) = mix(mix(mix(seed) ^ (i mod 2^32)) ^ floor(i / 2^32)),
 *   u(seed,i,b) = mix(key + (b + 1)·0x9e3779b9 mod 2^32), uniform on [0, 2^32),
 *   weight      = #{k : u >= POISSON_CDF[k]}, POISSON_CDF[k] = ceil(2^32 · P(Poisson(1) <= k)): inversion, exact to
 *                 2^-32 in each probability (weights above 12, of probability 1e-10, are cut to 12).
 */
import { XentError, show } from '../core/errors.js';
import { checkKeys } from '../core/options.js';

/** ceil(2^32 · P(X <= k)) for X ~ Poisson(1), k = 0 .. 11 (computed with 60-digit arithmetic). */
const POISSON_CDF = [
  1580030169, 3160060338, 3950075422, 4213413784, 4279248374, 4292415292,
  4294609778, 4294923277, 4294962464, 4294966818, 4294967253, 4294967293,
];
const GOLDEN = 0x9e3779b9;

/** lowbias32: a bijection on 32-bit words with good avalanche. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The generator's key of global row `row` under `seed`. */
export function rowKey(seed: number, row: number): number {
  return mix32(mix32(mix32(seed) ^ row % 0x1_0000_0000) ^ Math.floor(row / 0x1_0000_0000));
}

/** Writes the Poisson(1) weights of the row with key `key` for resamples 0 .. out.length - 1. */
export function poissonWeights(key: number, out: Uint8Array): void {
  for (let b = 0; b < out.length; b++) {
    const u = mix32((key + Math.imul(b + 1, GOLDEN)) >>> 0);
    let w = 0;
    while (w < POISSON_CDF.length && u >= POISSON_CDF[w]) w++;
    out[b] = w;
  }
}

/** Options of the Poisson bootstrap. */
export interface BootstrapOptions {
  /** Resamples B (default 1000). The state keeps B sums per figure. */
  resamples?: number;
  /** Seed of the generator: an integer in [0, 2^32) (default 0). */
  seed?: number;
}

export interface BootstrapSettings {
  resamples: number;
  seed: number;
}

/** The bootstrap settings (null when the option is absent or false). */
export function bootstrapOf(v: unknown): BootstrapSettings | null {
  if (v === undefined || v === false || v === null) return null;
  const o = checkKeys(v === true ? {} : v, ['resamples', 'seed'], 'bootstrap');
  const resamples = o.resamples ?? 1000;
  const seed = o.seed ?? 0;
  if (typeof resamples !== 'number' || !Number.isInteger(resamples) || resamples < 1 || resamples > 100_000) {
    throw new XentError('INVALID_OPTION', `bootstrap.resamples must be an integer in [1, 100000], got ${show(resamples)}`);
  }
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new XentError('INVALID_OPTION', `bootstrap.seed must be an integer in [0, 2^32), got ${show(seed)}`);
  }
  return { resamples, seed };
}

/**
 * The q-quantile of sorted values with NumPy's default ('linear') rule: h = (n - 1)·q, interpolated between the
 * neighbours of h. NaN for no values.
 */
export function sortedQuantile(x: Float64Array, q: number): number {
  const n = x.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return x[lo] + (h - lo) * (x[hi] - x[lo]);
}

/** A bootstrap summary of a statistic: the percentile interval and the two-sided p-value of "no difference". */
export interface BootstrapInterval {
  /** The 2.5th and 97.5th percentiles of the resampled statistic (percentile bootstrap). */
  interval95: [number, number];
  /**
   * 2·min(1 + #{d* <= 0}, 1 + #{d* >= 0}) / (B' + 1), capped at 1: the two-sided percentile-bootstrap p-value of
   * "the difference is 0", with the +1 that keeps it above 0 (B' the resamples with any weight).
   */
  pValue: number;
  /** Resamples that drew at least one row (those with none are left out). */
  resamples: number;
}

/** The summary of resampled differences (NaN entries, from resamples that drew no row, are left out). */
export function summarize(d: Float64Array): BootstrapInterval {
  const v = Float64Array.from(d.filter((x) => x === x)).sort();
  let le = 0;
  let ge = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] <= 0) le++;
    if (v[i] >= 0) ge++;
  }
  return {
    interval95: [sortedQuantile(v, 0.025), sortedQuantile(v, 0.975)],
    pValue: v.length === 0 ? NaN : Math.min(1, (2 * Math.min(le + 1, ge + 1)) / (v.length + 1)),
    resamples: v.length,
  };
}

/** Percentile intervals (95%) of a bootstrap's resampled means. */
export interface MeanIntervals {
  /** Resamples that drew at least one row (those with none are left out). */
  resamples: number;
  /** Mean loss in the unit, perplexity exp(mean nats), accuracy. */
  loss: [number, number];
  perplexity: [number, number];
  accuracy: [number, number];
}

/** The 95% percentile interval (the 2.5th and 97.5th percentiles) of resampled values. */
function interval95(v: number[]): [number, number] {
  const x = Float64Array.from(v).sort();
  return [sortedQuantile(x, 0.025), sortedQuantile(x, 0.975)];
}

/** The 95% percentile interval of the resampled ratios sum[b] / w[b] (resamples with w[b] = 0 left out). */
export function ratioInterval(sum: Float64Array, w: Float64Array): [number, number] {
  const v: number[] = [];
  for (let b = 0; b < w.length; b++) if (w[b] > 0) v.push(sum[b] / w[b]);
  return interval95(v);
}

/**
 * The 95% percentile interval of the resampled macro F1 (resamples with w[b] = 0 left out), from the per-class sums
 * of each resample, at c·B + b (class c's B resamples together): hits = Σ w·n_b·TP and counts = Σ w·n_b·(t + pos)
 * (t: a row's target for class c; pos: whether it is predicted c). Resample b's F1 of class c is 2·hits / counts,
 * averaged as the point estimate averages: over the classes with counts > 0 in the resample (single-label: a class
 * with neither a label nor a prediction among the drawn rows is left out, as the point estimate leaves out such a
 * class), or over every label (`everyClass`, multi-label: F1 0 where counts is 0). Null when the sums are absent or
 * unknown (NaN).
 */
export function macroF1Interval(
  w: Float64Array, hits: Float64Array, counts: Float64Array, everyClass: boolean,
): [number, number] | null {
  if (hits.length === 0 || hits.some(Number.isNaN) || counts.some(Number.isNaN)) return null;
  const B = w.length;
  const v: number[] = [];
  for (let b = 0; b < B; b++) {
    if (!(w[b] > 0)) continue;
    let sum = 0;
    let n = 0;
    for (let i = b; i < hits.length; i += B) {
      if (counts[i] > 0) {
        sum += (2 * hits[i]) / counts[i];
        n++;
      } else if (everyClass) n++;
    }
    v.push(sum / n);
  }
  return interval95(v);
}

/** The intervals from B resample sums Σw, Σw·loss (nats) and Σw·[right]; u = ln of the unit's base. */
export function meanIntervals(w: Float64Array, loss: Float64Array, correct: Float64Array, u: number): MeanIntervals {
  const [lo, hi] = ratioInterval(loss, w);
  const resamples = w.reduce((n, x) => (x > 0 ? n + 1 : n), 0);
  return { resamples, loss: [lo / u, hi / u], perplexity: [Math.exp(lo), Math.exp(hi)], accuracy: ratioInterval(correct, w) };
}
