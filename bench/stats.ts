/**
 * The bench's arithmetic, kept free of timing and I/O so that it is unit-tested (test/bench.test.ts): quantiles,
 * per-round ratios of two contenders and their summary, and the relative error of a mean.
 */

/**
 * The q-quantile (0 ≤ q ≤ 1) of values already sorted ascending, by linear interpolation between order statistics
 * (Hyndman and Fan's type 7: NumPy's default `method='linear'`, R's default). NaN for an empty list.
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export interface Spread {
  /** Rounds the summary is taken over. */
  n: number;
  median: number;
  /** First and third quartiles: their distance is the interquartile range. */
  q1: number;
  q3: number;
}

/** Median and quartiles of the finite values (NaN and ±Infinity are rounds that did not run); null when none are. */
export function spread(values: readonly (number | null)[]): Spread | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return { n: v.length, median: quantileSorted(v, 0.5), q1: quantileSorted(v, 0.25), q3: quantileSorted(v, 0.75) };
}

/**
 * Per-round ratios a[r] / b[r] of two contenders' times in the same rounds. A round that either one sat out (null,
 * or not a positive finite time) gives null, so that a ratio only ever compares calls made in the same round.
 */
export function roundRatios(a: readonly (number | null)[], b: readonly (number | null)[]): (number | null)[] {
  const ok = (t: number | null | undefined): t is number => typeof t === 'number' && Number.isFinite(t) && t > 0;
  return a.map((t, r) => (ok(t) && ok(b[r]) ? t / b[r]! : null));
}

/** Summary of a over b: the median and quartiles of the per-round ratios (null when no round has both). */
export function ratioSpread(a: readonly (number | null)[], b: readonly (number | null)[]): Spread | null {
  return spread(roundRatios(a, b));
}

/**
 * Every how many rounds a contender whose calls take `callMs` runs (rounds r with r % stride = 0), so that its
 * timed calls add up to about `budgetMs` over `rounds` rounds. Strides are powers of two, or `rounds` itself (round
 * 0 alone): any two contenders then share every round of the one with the longer stride, so that a ratio between
 * two slow contenders has as many rounds as the slower one runs.
 */
export function stride(callMs: number, rounds: number, budgetMs: number): number {
  const need = Math.ceil((callMs * rounds) / budgetMs);
  let k = 1;
  while (k < need) k *= 2;
  return k < rounds ? k : Math.max(1, rounds);
}

/**
 * The order of the contenders in round `round`: a permutation of 0 … n − 1, shuffled (Fisher–Yates) by a generator
 * seeded with the round, so that every run takes the same orders. Shuffled rather than rotated: under a rotation
 * each contender always follows the same one, and work a call leaves behind (a peer's spinning thread pool, the
 * garbage collector's threads after an allocating contender) would always fall on the same successor.
 */
export function roundOrder(n: number, round: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let x = (round + 1) * 0x9e3779b9;
  const next = () => {
    x = (x + 0x6d2b79f5) | 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * The rounds of one race: at least `rounds`; more, up to 4 × `rounds`, while the whole race (raceTime(n): every
 * contender's calls over n rounds, each at its stride) stays within `raceMs`. A 4 ms call's time on this shared host
 * moves by tens of percent from round to round, so a median over 9 such rounds is itself noisy, while a race of
 * calls of seconds has no time for more (raceMs = 0: always `rounds`).
 */
export function raceRounds(rounds: number, raceMs: number, raceTime: (n: number) => number): number {
  for (let n = 4 * rounds; n > rounds; n--) if (raceTime(n) <= raceMs) return n;
  return rounds;
}

/**
 * |value − reference| / |reference|: the relative error of a contender's mean against the float64 reference.
 * NaN when the value is NaN or infinite (a wrong answer must not read as a small error); an absolute error when
 * the reference is 0.
 */
export function relativeError(value: number, reference: number): number {
  if (!Number.isFinite(value)) return NaN;
  const d = Math.abs(value - reference);
  return reference === 0 ? d : d / Math.abs(reference);
}

/** A relative error as the tables print it. */
export const errText = (e: number): string => (Number.isNaN(e) ? 'NaN' : e === 0 ? '0' : e.toExponential(1));
