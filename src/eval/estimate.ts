/** Means with their standard errors, from the sums a state keeps. */

/** The 0.975 quantile of the standard normal: a 95% interval is the estimate ± Z95 standard errors. */
export const Z95 = 1.959963984540054;

/** An estimate and its standard error. */
export interface Estimate {
  value: number;
  /** The standard error of the estimate: NaN where it is undefined (fewer than two values, an infinite mean). */
  standardError: number;
}

/**
 * The mean of n values from Σx and Σx², with the standard error of a mean sqrt(s² / n), s² the sample variance
 * (Σx² - Σx·mean) / (n - 1). The mean of no values is NaN.
 */
export function estimate(sum: number, sum2: number, n: number): Estimate {
  const mean = sum / n;
  if (!(n >= 2) || !Number.isFinite(mean)) return { value: mean, standardError: NaN };
  const v = Math.max(0, (sum2 - sum * mean) / (n - 1));
  return { value: mean, standardError: Math.sqrt(v / n) };
}

/** A proportion k / n with its binomial standard error sqrt(p (1 - p) / n) (NaN for n = 0). */
export function proportion(k: number, n: number): Estimate {
  const p = k / n;
  return { value: p, standardError: n > 0 ? Math.sqrt((p * (1 - p)) / n) : NaN };
}

/**
 * The standard error of a weighted mean m = Σ w x / W (W = Σ w) from Σ w², Σ w² x and Σ w² x², as the ratio
 * estimator's linearised variance Σ w² (x − m)² / W² with the small-sample factor n' / (n' − 1), n' = W² / Σ w² the
 * effective sample size (Kish): with unit weights exactly estimate()'s sqrt(s² / n). NaN below n' = 1, for an
 * infinite mean, or when the sums are unknown (NaN).
 */
export function weightedStandardError(mean: number, W: number, w2: number, s1: number, s2: number): number {
  const neff = (W * W) / w2;
  if (!(neff > 1) || !Number.isFinite(mean)) return NaN;
  const spread = Math.max(0, s2 - 2 * mean * s1 + mean * mean * w2);
  return Math.sqrt((spread / (W * W)) * (neff / (neff - 1)));
}
