/**
 * Float64 references for token scoring and the language-model figures: plain loops over one row, written for being
 * obviously right rather than fast, nothing from src/. Float32 inputs are passed as the values the array holds.
 *
 * Accuracy choices: log Σ exp = m + log1p(rest) with rest summed ascending (a confident row keeps its relative
 * accuracy), and the entropy as log1p(rest) + Σ p_j (m - z_j), two sums of terms >= 0 (no cancellation).
 */

export interface TokenRef {
  logprob: number;
  rank: number;
  entropy: number;
  topIds: number[];
  topLogprobs: number[];
}

/** A sum of non-negative terms, smallest first (a typed array's numeric sort: fast on 262,144 terms). */
function sum(terms: number[]): number {
  const t = Float64Array.from(terms).sort();
  let s = 0;
  for (let i = 0; i < t.length; i++) s += t[i];
  return s;
}

/** The k largest entries' indices, descending, ties in index order: one pass keeping a sorted list. */
function topIndices(x: ArrayLike<number>, k: number): number[] {
  const top: number[] = [];
  for (let j = 0; j < x.length; j++) {
    if (top.length === k && !(x[j] > x[top[k - 1]])) continue;
    let i = top.length;
    while (i > 0 && x[top[i - 1]] < x[j]) i--;
    top.splice(i, 0, j);
    if (top.length > k) top.pop();
  }
  return top;
}

/** One row x (raw logits) scored against target y at scale s = 1 / temperature, with the k most likely entries. */
export function scoreRow(x: ArrayLike<number>, y: number, k = 0, s = 1): TokenRef {
  const n = x.length;
  const z = Array.from(x, (v) => v * s);
  let m = -Infinity;
  let first = -1;
  for (let j = 0; j < n; j++) {
    if (z[j] > m) {
      m = z[j];
      first = j;
    }
  }
  const rest = sum(z.filter((_, j) => j !== first).map((v) => Math.exp(v - m)));
  const lg = Math.log1p(rest);
  const S = 1 + rest;
  // p_j (m - z_j), with 0 for a masked entry (p = 0) and for the maxima (m - z = 0).
  const spread = sum(z.map((v) => (v === m || v === -Infinity ? 0 : (Math.exp(v - m) / S) * (m - v))));
  const logp = (v: number) => v - m - lg;
  let rank = 0;
  for (let j = 0; j < n; j++) if (x[j] > x[y]) rank++;
  const top = topIndices(x, k);
  return {
    logprob: logp(z[y]),
    rank,
    entropy: lg + spread,
    topIds: top,
    topLogprobs: top.map((j) => logp(z[j])),
  };
}
