/**
 * McNemar's exact test: of the n rows where exactly one of two classifiers is right, the base alone is right on b
 * and the candidate alone on c; under "equally accurate" b ~ Binomial(n, 1/2). The two-sided p-value is SciPy's
 * `binomtest(b, n, 0.5).pvalue`, which for p = 1/2 is min(1, 2·P(X <= min(b, c))).
 */

/** P(X <= k) for X ~ Binomial(n, 1/2), summed downward from k in log space (exact to ~1e-12 relative). */
function lowerTail(k: number, n: number): number {
  if (k >= n) return 1;
  let lc = 0; // log C(n, k)
  for (let i = 0; i < k; i++) lc += Math.log((n - i) / (i + 1));
  let t = Math.exp(lc - n * Math.LN2);
  let sum = 0;
  for (let i = k; i >= 0 && t > 0; i--) {
    sum += t;
    if (t < sum * 1e-17) break;
    t *= i / (n - i + 1);
  }
  return sum;
}

/** The exact two-sided McNemar p-value for b and c discordant rows (1 when there are none). */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  return Math.min(1, 2 * lowerTail(Math.min(b, c), n));
}
