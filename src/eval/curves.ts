/**
 * ROC and precision-recall curves of binary scores (a binary task's P(label = 1); multi-label: every label's p,
 * pooled, as scikit-learn's average='micro') from a bounded, mergeable histogram: Σ w·t and Σ w·(1 − t) per bin of
 * the score's logit, 64 bins per unit over [−16, 16) and one below and above. Merging adds the bins.
 *
 * Only rows in the same bin are not ordered, so the figures carry exact error bounds against the exact values
 * (scikit-learn's roc_auc_score and average_precision_score on the same rows):
 * - AUROC counts a positive-negative pair in one bin as half right: |AUROC − exact| <= ½ Σ_b P_b N_b / (P N);
 * - AP takes the bin's precision at its end; inside a bin the precision lies between tp / (tp + fp + N_b) and
 *   (tp + P_b) / (tp + P_b + fp) (tp, fp before the bin), so |AP − exact| <= Σ_b (P_b / P) (that range's width).
 */

/** Bins per unit of logit, and the logit range binned finely. */
const PER_UNIT = 64;
const RANGE = 16;
export const SCORE_BINS = 2 * RANGE * PER_UNIT + 2;

/** The bin of a score given by its logit (±Infinity for p = 0 or 1). */
export function scoreBin(logit: number): number {
  if (logit < -RANGE) return 0;
  if (logit >= RANGE) return SCORE_BINS - 1;
  return 1 + Math.floor((logit + RANGE) * PER_UNIT);
}

/** The logit of a probability (for scores given as probabilities). */
export const logitOf = (p: number) => Math.log(p) - Math.log1p(-p);

/** The probability at a bin's lower edge (0 for the lowest bin). */
function binThreshold(b: number): number {
  if (b === 0) return 0;
  return 1 / (1 + Math.exp(-((b - 1) / PER_UNIT - RANGE)));
}

export interface CurvePoint {
  /** The threshold: rows scoring at least this are predicted positive (the lower edge of a bin, as p). */
  threshold: number;
  fpr: number;
  tpr: number;
  precision: number;
}

export interface Curves {
  /** Area under the ROC curve, and the bound of its error against the exact value on the same rows. */
  auroc: number;
  aurocError: number;
  /** Average precision (scikit-learn's step sum Σ (R_n − R_{n−1}) P_n), and its error bound. */
  averagePrecision: number;
  averagePrecisionError: number;
  /** The curves' points, highest threshold first, one per non-empty bin (recall is tpr). */
  points: CurvePoint[];
}

/** The curves of the histogram, or null when the positives or the negatives weigh nothing. */
export function curvesOf(pos: Float64Array, neg: Float64Array): Curves | null {
  let P = 0;
  let N = 0;
  for (let b = 0; b < pos.length; b++) {
    P += pos[b];
    N += neg[b];
  }
  if (!(P > 0 && N > 0)) return null;
  let tp = 0;
  let fp = 0;
  let auc = 0;
  let ties = 0;
  let ap = 0;
  let apError = 0;
  const points: CurvePoint[] = [];
  for (let b = pos.length - 1; b >= 0; b--) {
    const pb = pos[b];
    const nb = neg[b];
    if (pb === 0 && nb === 0) continue;
    // Negatives of this bin rank below every positive seen so far, and tie with this bin's positives.
    auc += nb * (tp + pb / 2);
    ties += pb * nb;
    if (pb > 0) {
      const lo = tp + fp + nb > 0 ? tp / (tp + fp + nb) : 0;
      const hi = (tp + pb) / (tp + pb + fp);
      apError += (pb / P) * (hi - lo);
    }
    tp += pb;
    fp += nb;
    const precision = tp / (tp + fp);
    ap += (pb / P) * precision;
    points.push({ threshold: binThreshold(b), fpr: fp / N, tpr: tp / P, precision });
  }
  return { auroc: auc / (P * N), aurocError: ties / 2 / (P * N), averagePrecision: ap, averagePrecisionError: apError, points };
}
