/**
 * Expected calibration error with torchmetrics' binning: 15 equal-width bins of the top-1 confidence (bin b holds
 * b/15 <= confidence < (b+1)/15, confidence 1 in the last bin), and per bin the weight, Σ confidence and Σ correct.
 * ECE is the l1 norm Σ_b |Σ confidence_b − Σ correct_b| / Σ weight = Σ_b (n_b / N)·|accuracy_b − confidence_b|.
 */
export const ECE_BINS = 15;

export function binOf(confidence: number): number {
  const b = Math.floor(confidence * ECE_BINS);
  return b < 0 ? 0 : b >= ECE_BINS ? ECE_BINS - 1 : b;
}

export interface ReliabilityBin {
  lo: number;
  hi: number;
  /** Σ weight of the predictions in the bin. */
  weight: number;
  /** Mean confidence in the bin (NaN when empty). */
  confidence: number;
  /** Fraction correct in the bin (NaN when empty). */
  accuracy: number;
}

export function expectedCalibrationError(weight: Float64Array, conf: Float64Array, correct: Float64Array): number {
  let total = 0;
  let gap = 0;
  for (let b = 0; b < ECE_BINS; b++) {
    total += weight[b];
    gap += Math.abs(conf[b] - correct[b]);
  }
  return total > 0 ? gap / total : NaN;
}

export function reliability(weight: Float64Array, conf: Float64Array, correct: Float64Array): ReliabilityBin[] {
  return Array.from({ length: ECE_BINS }, (_, b) => ({
    lo: b / ECE_BINS,
    hi: (b + 1) / ECE_BINS,
    weight: weight[b],
    confidence: weight[b] > 0 ? conf[b] / weight[b] : NaN,
    accuracy: weight[b] > 0 ? correct[b] / weight[b] : NaN,
  }));
}
