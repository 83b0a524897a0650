/**
 * Calibration helpers that sit next to log loss: the Brier score (scikit-learn's brier_score_loss) and the binned
 * calibration error (torchmetrics' binary/multiclass_calibration_error). Both are small loops over the
 * predictions in TypeScript, identical on every backend; a fused kernel `squaredError(p, t, rows, cols, out)`
 * and a `topLabel(p, rows, cols, conf, argmax)` kernel would replace the loops.
 */
import { kernels } from '../backend/select.js';
import { XentError, show } from '../core/errors.js';
import { type HalfOptions, booleanOption, checkKeys, dtypeOf, reductionOf, type Reduction } from '../core/options.js';
import { type FloatArray, floatsOf } from '../core/dtype.js';
import { Sum, ldexpResult, unscaled } from '../core/reduce.js';
import { type Batch, type Labels, type Matrix, type Vector, asLabels, asMatrix, asMatrixLike, isFloat32 } from '../core/shape.js';
import { presetOf, weightOption } from '../core/compat.js';
import { checkUnitInterval } from '../core/validate.js';

export interface BrierScoreOptions extends HalfOptions {
  /** Classes per row when a multiclass batch is given flat. */
  classes?: number;
  /** Per-example weights (length N, or one number for every example): np.average's weights. */
  sampleWeight?: number | Vector;
  /** 'mean' (default, weighted by sampleWeight), 'sum', or 'none' (one value per example). */
  reduction?: Reduction;
  /**
   * Halve the score Σ_j (p_j - y_j)² to lie in [0, 1]. Default as scikit-learn's 'auto': true for two columns and
   * for binary input (scored as the two columns [1 - p, p]: halved, (p - t)²; not halved, 2 (p - t)²), false for more.
   */
  scaleByHalf?: boolean;
}

/** `norm` of calibrationError: 'l1' the expected calibration error, 'l2' its root-mean-square form, 'max' the maximum. */
export type CalibrationNorm = 'l1' | 'l2' | 'max';

export interface CalibrationErrorOptions extends HalfOptions {
  /** Classes per row when a multiclass batch is given flat. */
  classes?: number;
  /** Number of equal-width bins over [0, 1] (default 15, as torchmetrics). */
  bins?: number;
  /** 'l1' (default, ECE), 'l2' (RMSCE) or 'max' (MCE). */
  norm?: CalibrationNorm;
}

/** A binary input (a number or a flat vector without classes) or a multiclass batch with its target. */
interface Resolved {
  P: Matrix;
  /** P's values (half precision widened). */
  p: FloatArray;
  /** Binary targets in [0, 1] (binary input) or labels (multiclass). */
  binary: boolean;
  t: ArrayLike<number>;
}

function resolve(fn: string, probs: unknown, target: unknown, o: Record<string, unknown>): Resolved {
  const scalar = typeof probs === 'number';
  if (scalar && typeof target !== 'number') {
    throw new XentError('INVALID_TYPE', `target must be a number when probs is a number, got ${show(target)}`);
  }
  const f32 = isFloat32(probs);
  const dtype = dtypeOf(o.dtype);
  const P = asMatrix(scalar ? [probs] : probs, 'probs', o.classes, f32, dtype);
  if (P.rows * P.cols === 0) throw new XentError('EMPTY_INPUT', `probs of ${fn} has no entries`);
  const k = kernels();
  checkUnitInterval(k, { name: 'probs', m: P });
  if (!P.batch) {
    // binary: one example per entry, the probability of the positive class
    const T = asMatrixLike(scalar ? [target] : target, 'target', P, 'probs', false, dtype);
    checkUnitInterval(k, { name: 'target', m: T });
    const p = floatsOf(k, P.data, f32);
    return { P: { data: p, rows: P.cols, cols: 1, batch: true }, p, binary: true, t: floatsOf(k, T.data, false) };
  }
  const t = asLabels(typeof target === 'number' ? [target] : target, 'target', P.rows, P.cols, undefined);
  return { P, p: floatsOf(k, P.data, f32), binary: false, t };
}

/**
 * Brier score: the mean squared difference between predicted probabilities and outcomes (scikit-learn's
 * brier_score_loss). Binary: `probs` are probabilities of the positive class (a number or a flat vector) and
 * `target` the outcomes in [0, 1]: mean (p - t)². Multiclass: rows of probabilities and integer labels:
 * mean Σ_j (p_j - [j = y])², halved for two columns (see `scaleByHalf`).
 */
export function brierScore(probs: number | Batch, target: number | Labels | Vector, options?: BrierScoreOptions): number | Float64Array {
  const o = checkKeys(options, ['classes', 'sampleWeight', 'reduction', 'scaleByHalf', 'dtype'], 'brierScore');
  const reduction = reductionOf(o.reduction);
  const { P, p, binary, t } = resolve('brierScore', probs, target, o);
  const half = o.scaleByHalf === undefined ? binary || P.cols === 2 : booleanOption(o.scaleByHalf, 'scaleByHalf');
  // the weights' scale taken out (a weighted mean does not depend on it; sums are multiplied back by 2^se)
  const { w: sw, e: se } = unscaled(o.sampleWeight === undefined ? null
    : weightOption(o.sampleWeight, 'sampleWeight', P.rows, false, presetOf(undefined)) as Float64Array);
  const per = new Float64Array(P.rows);
  for (let r = 0; r < P.rows; r++) {
    let s = 0;
    // binary: the two columns [1 - p, p] against [1 - t, t] give 2 (p - t)²
    if (binary) s = 2 * (p[r] - t[r]) ** 2;
    else for (let j = 0, i = r * P.cols; j < P.cols; j++, i++) s += (p[i] - (j === t[r] ? 1 : 0)) ** 2;
    per[r] = half ? s / 2 : s;
  }
  if (reduction === 'none') {
    if (sw) for (let r = 0; r < P.rows; r++) per[r] *= sw[r];
    ldexpResult(per, se);
    return typeof probs === 'number' ? per[0] : per;
  }
  const num = new Sum();
  const den = new Sum();
  for (let r = 0; r < P.rows; r++) {
    const w = sw === null ? 1 : sw[r];
    if (w !== 0) num.add(w * per[r]);
    den.add(w);
  }
  if (reduction === 'sum') return ldexpResult(num.value(), se);
  return den.value() === 0 ? NaN : num.value() / den.value();
}

/**
 * Binned calibration error, torchmetrics' binary_calibration_error / multiclass_calibration_error. Binary input
 * (a flat vector of positive-class probabilities with 0/1 targets): confidence p, accuracy t. Multiclass (rows and
 * labels): confidence max_j p_j, accuracy [argmax = label] (the first maximum). Bins are torch.bucketize(conf,
 * linspace(0, 1, bins + 1), right=True) - 1: [i/B, (i+1)/B), with a confidence of exactly 1 in a bin of its own,
 * as in torchmetrics. Per bin the mean accuracy a_i, mean confidence c_i and share b_i of the examples:
 * 'l1' Σ b_i |a_i - c_i|, 'l2' sqrt(Σ b_i (a_i - c_i)²), 'max' max_i |a_i - c_i| over non-empty bins.
 * Boundaries are i / B in float64 (rounded to float32 for Float32Array input); sums accumulate in float64.
 */
export function calibrationError(probs: Batch, target: Labels | Vector, options?: CalibrationErrorOptions): number {
  const o = checkKeys(options, ['classes', 'bins', 'norm', 'dtype'], 'calibrationError');
  const bins = o.bins === undefined ? 15 : o.bins;
  // Any count of bins is fine (only the bins that hold examples are stored); past 2^53 integers are not exact.
  if (typeof bins !== 'number' || !Number.isSafeInteger(bins) || bins < 1) {
    throw new XentError('INVALID_OPTION', `bins must be an integer in [1, 2^53 - 1], got ${show(bins)}`);
  }
  const norm = o.norm === undefined ? 'l1' : o.norm;
  if (norm !== 'l1' && norm !== 'l2' && norm !== 'max') {
    throw new XentError('INVALID_OPTION', `norm must be 'l1', 'l2' or 'max', got ${show(norm)}`);
  }
  const { P, p, binary, t } = resolve('calibrationError', probs, target, o);
  const f32 = p instanceof Float32Array;
  const bound = (i: number): number => (f32 ? Math.fround(i / bins) : i / bins);
  /** Per non-empty bin: count, Σ confidence, Σ accuracy. */
  const sums = new Map<number, [number, number, number]>();
  for (let r = 0; r < P.rows; r++) {
    let c: number;
    let a: number;
    if (binary) {
      c = p[r];
      a = t[r];
    } else {
      let best = 0;
      for (let j = 1, i = r * P.cols + 1; j < P.cols; j++, i++) if (p[i] > p[r * P.cols + best]) best = j;
      c = p[r * P.cols + best];
      a = best === t[r] ? 1 : 0;
    }
    // number of boundaries <= c, minus 1 (bucketize with right=True)
    let lo = 0;
    let hi = bins + 1;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2); // exact up to 2^53: lo + hi may not be
      if (bound(mid) <= c) lo = mid + 1;
      else hi = mid;
    }
    const bin = sums.get(lo - 1);
    if (bin) {
      bin[0]++;
      bin[1] += c;
      bin[2] += a;
    } else sums.set(lo - 1, [1, c, a]);
  }
  let out = 0;
  for (const b of [...sums.keys()].sort((u, v) => u - v)) {
    const [count, conf, acc] = sums.get(b)!;
    const gap = Math.abs(acc / count - conf / count);
    const share = count / P.rows;
    if (norm === 'l1') out += share * gap;
    else if (norm === 'l2') out += share * gap * gap;
    else out = Math.max(out, gap);
  }
  return norm === 'l2' ? Math.sqrt(out) : out;
}
