/**
 * Focal losses (Lin et al., 2017): cross-entropy scaled by (1 - p_t)^γ so that easy examples count less.
 *
 * The per-element cross-entropy comes from the existing kernels (binaryCrossEntropy / sigmoidCrossEntropy,
 * softmax / logSoftmax); the focal factor and the α weights are a small TypeScript loop that runs identically on
 * both backends. Fused kernels `binaryFocal(x, t, rows, cols, fromLogits, clip, smoothing, gamma, alphaPos,
 * alphaNeg, w, wFull, out, elementwise)` and `softmaxFocal(x, t | labels, rows, cols, s, gamma, alpha, out)` would
 * replace the loops (one pass instead of two).
 */
import { kernels } from '../backend/select.js';
import type { FloatArray } from '../backend/kernels.js';
import { floatsOf } from '../core/dtype.js';
import { XentError, show } from '../core/errors.js';
import {
  type CompatOptions, type LossReduction, clipBounds, countNonzero, divisorOf, epsOption, explainWeighted, lossReduction,
  notOpposed, presetOf, weightOption,
} from '../core/compat.js';
import {
  type BatchOptions, type HalfOptions, type Result, type UnitOptions, booleanOption, checkKeys, dtypeOf, integerOption,
  numberIn, ownOptions, unitOf,
} from '../core/options.js';
import { ldexpResult, reduce, total, unscaled } from '../core/reduce.js';
import {
  type Batch, type Labels, type Vector, asLabels, asMatrix, asMatrixLike, isFloat32, isLabelTarget, weights,
} from '../core/shape.js';
import { checkDistribution, checkInfiniteRows, checkUnitInterval, toleranceOf } from '../core/validate.js';
import { type BinaryOptions, type BinaryResult, binary } from './binary.js';

/** What the predictions are. */
export type FocalFrom = 'logits' | 'probs';

export interface BinaryFocalOptions extends BinaryOptions {
  /** 'probs' (default, as Keras) or 'logits' (as torchvision's sigmoid_focal_loss). */
  from?: FocalFrom;
  /** Focusing parameter γ >= 0 (default 2): the factor is (1 - p_t)^γ. */
  gamma?: number;
  /** Weight of the positive class when `classBalancing` (default 0.25); the negative class gets 1 - α. */
  alpha?: number;
  /**
   * Apply the α weighting (default false, as Keras' apply_class_balancing; compat 'torch': true, as torchvision's
   * sigmoid_focal_loss, whose alpha applies unless negative).
   */
  classBalancing?: boolean;
  /** Probabilities only: clip to [eps, 1 - eps] inside the log (default 0; compat 'keras' 1e-7). */
  eps?: number;
}

export interface CategoricalFocalOptions extends Omit<BatchOptions, 'reduction'>, UnitOptions, CompatOptions, HalfOptions {
  /** 'mean' (default), 'sum', 'none', or a named mean (see LossReduction). */
  reduction?: LossReduction;
  /** 'probs' (default, as Keras) or 'logits' (softmax first). */
  from?: FocalFrom;
  /** Focusing parameter γ >= 0 (default 2): each class term is scaled by (1 - p_j)^γ. */
  gamma?: number;
  /** α, a number or one weight per class (default 0.25, as Keras' CategoricalFocalCrossentropy). */
  alpha?: number | Vector;
  /** Apply α (default true: Keras always does). */
  classBalancing?: boolean;
  /** Per-row weights (length N, or one number for every row). */
  sampleWeight?: number | Vector;
  /** Rows with this label count for nothing (integer-label targets). */
  ignoreIndex?: number;
  /** ε: targets become (1 - ε)·t + ε / C. */
  labelSmoothing?: number;
  /** Probabilities: clip to [eps, 1 - eps] (default 0; compat 'keras' 1e-7, also after a softmax). */
  eps?: number;
  /** Probabilities: divide rows by their sums (default false; compat 'keras' true). */
  normalize?: boolean;
  /** Probabilities: how far a row sum may be from 1. */
  tolerance?: number;
}

function fromOf(v: unknown): FocalFrom {
  if (v === undefined) return 'probs';
  if (v === 'logits' || v === 'probs') return v;
  throw new XentError('INVALID_OPTION', `from must be 'logits' or 'probs', got ${show(v)}`);
}

/**
 * Binary focal cross-entropy, elementwise α_t (1 - p_t)^γ · BCE(p, t'), p_t = t' p + (1 - t')(1 - p),
 * α_t = α t' + (1 - α)(1 - t') when `classBalancing` (Keras' BinaryFocalCrossentropy, torchvision's
 * sigmoid_focal_loss). Shapes, weights and reductions as binaryCrossEntropy.
 */
export function binaryFocalCrossEntropy<X extends number | Batch, O extends BinaryFocalOptions = {}>(
  pred: X, target: number | Batch, options?: O,
): BinaryResult<X, O> {
  const o = ownOptions(options, 'binaryFocalCrossEntropy');
  const preset = presetOf(o.compat);
  const from = fromOf(o.from);
  const logits = from === 'logits';
  const gamma = numberIn(o.gamma, 'gamma', 0, Infinity, 2, true);
  const alpha = numberIn(o.alpha, 'alpha', 0, 1, 0.25);
  const balancing = o.classBalancing === undefined ? preset.focalBalancing : booleanOption(o.classBalancing, 'classBalancing');
  if (logits && o.eps !== undefined) throw new XentError('INVALID_OPTION', "eps applies to from: 'probs' only");
  const [lo, hi] = logits ? [0, 1] : clipBounds(preset, epsOption(o.eps), isFloat32(pred));
  return binary('binaryFocalCrossEntropy', pred, target, options,
    ['from', 'gamma', 'alpha', 'classBalancing', 'eps'], logits ? 'logits' : 'probs', !logits,
    (k, X, T, smoothing, w, wFull, out, elementwise) => {
      const n = X.rows * X.cols;
      const bce = new Float64Array(n);
      if (logits) k.sigmoidCrossEntropy(X.data, T.data, X.rows, X.cols, smoothing, null, false, null, bce, true);
      else k.binaryCrossEntropy(X.data, T.data, X.rows, X.cols, lo, hi, smoothing, null, false, bce, true);
      focalScale(floatsOf(k, X.data, true), floatsOf(k, T.data, true), X.rows, X.cols, logits, smoothing, gamma,
        balancing ? alpha : -1, w, wFull, bce);
      if (elementwise) out.set(bce);
      else for (let r = 0, i = 0; r < X.rows; r++) {
        let s = 0;
        for (let j = 0; j < X.cols; j++, i++) s += bce[i];
        out[r] = s;
      }
    },
  ) as BinaryResult<X, O>;
}

/** Multiplies each element's cross-entropy by w · α_t · (1 - p_t)^γ (alpha < 0: no α). */
function focalScale(
  x: FloatArray, t: FloatArray, rows: number, cols: number, logits: boolean, smoothing: number, gamma: number,
  alpha: number, w: FloatArray | null, wFull: boolean, ce: Float64Array,
): void {
  for (let r = 0, i = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++, i++) {
      const v = x[i];
      // p and 1 - p without cancellation: from logits both are sigmoids
      const p = logits ? 1 / (1 + Math.exp(-v)) : v;
      const q = logits ? 1 / (1 + Math.exp(v)) : 1 - v;
      const tt = t[i] * (1 - smoothing) + smoothing / 2;
      const miss = tt * q + (1 - tt) * p; // 1 - p_t
      let m = gamma === 0 ? 1 : miss ** gamma;
      if (alpha >= 0) m *= alpha * tt + (1 - alpha) * (1 - tt);
      if (w !== null) m *= wFull ? w[i] : w[j];
      ce[i] = m === 0 ? 0 : ce[i] * m;
    }
  }
}

/**
 * Categorical focal cross-entropy, per row Σ_j α_j (1 - p_j)^γ · (-t_j log p_j) (Keras'
 * CategoricalFocalCrossentropy), from probabilities or logits, with integer labels or dense targets.
 */
export function categoricalFocalCrossEntropy<X extends Batch, O extends CategoricalFocalOptions = {}>(
  pred: X, target: number | Labels | Batch, options?: O,
): Result<X, O> {
  const o = checkKeys(options, ['classes', 'reduction', 'base', 'compat', 'from', 'gamma', 'alpha', 'classBalancing',
    'sampleWeight', 'ignoreIndex', 'labelSmoothing', 'eps', 'normalize', 'tolerance', 'dtype'],
    'categoricalFocalCrossEntropy');
  const preset = presetOf(o.compat);
  const { reduction, rule } = lossReduction(o.reduction);
  const unit = unitOf(o.base);
  const logits = fromOf(o.from) === 'logits';
  const name = logits ? 'logits' : 'probs';
  const gamma = numberIn(o.gamma, 'gamma', 0, Infinity, 2, true);
  const smoothing = numberIn(o.labelSmoothing, 'labelSmoothing', 0, 1, 0);
  const balancing = o.classBalancing === undefined ? true : booleanOption(o.classBalancing, 'classBalancing');
  const ignoreIndex = o.ignoreIndex === undefined ? preset.ignoreIndex : integerOption(o.ignoreIndex, 'ignoreIndex');
  const f32 = isFloat32(pred);
  const [lo, hi] = clipBounds(preset, epsOption(o.eps), f32);
  const dtype = dtypeOf(o.dtype);
  const k = kernels();
  let X = asMatrix(pred, name, o.classes, f32, dtype);
  if (X.cols === 0) throw new XentError('EMPTY_INPUT', `${name} has no classes`);
  const C = X.cols;
  let alpha64: Float64Array | null = null;
  if (balancing) {
    if (typeof o.alpha === 'number' || o.alpha === undefined) {
      const a = numberIn(o.alpha, 'alpha', 0, Infinity, 0.25, true);
      alpha64 = new Float64Array(C).fill(a);
    } else alpha64 = weights(o.alpha, 'alpha', C);
  }
  // α and the sample weights with their scales taken out (as the categorical losses' weights): 2^ae·α', 2^se·sw'
  const { w: sw, e: se } = unscaled(o.sampleWeight === undefined ? null
    : weightOption(o.sampleWeight, 'sampleWeight', X.rows, false, preset) as Float64Array);
  const { w: alpha, e: ae } = unscaled(alpha64);

  // probabilities p and their logs
  let p: FloatArray;
  let logp: FloatArray | null = null;
  if (logits) {
    p = new (f32 ? Float32Array : Float64Array)(X.data.length);
    k.softmax(X.data, X.rows, C, 1, p);
    logp = new (f32 ? Float32Array : Float64Array)(X.data.length);
    k.logSoftmax(X.data, X.rows, C, 1, logp);
  } else {
    const tolerance = toleranceOf(o.tolerance);
    const normalize = o.normalize === undefined ? preset.normalize : booleanOption(o.normalize, 'normalize');
    X = checkDistribution(k, { name, m: X }, tolerance, normalize, f32);
    p = floatsOf(k, X.data, f32);
  }

  const labelTarget = X.batch ? isLabelTarget(target, X.rows, C, dtype) : typeof target === 'number';
  const labels = labelTarget
    ? asLabels(typeof target === 'number' ? [target] : target, 'target', X.rows, C, ignoreIndex) : null;
  let T: FloatArray | null = null;
  if (!labelTarget) {
    const Tm = asMatrixLike(target, 'target', X, name, f32, dtype);
    checkUnitInterval(k, { name: 'target', m: Tm });
    T = floatsOf(k, Tm.data, f32);
  }

  const values = new Float64Array(X.rows);
  const rowWeight = new Float64Array(X.rows);
  const clipping = lo > 0 || hi < 1;
  let counted = 0;
  for (let r = 0; r < X.rows; r++) {
    const y = labels === null ? -2 : labels[r];
    if (y === -1) continue;
    counted++;
    rowWeight[r] = sw === null ? 1 : sw[r];
    let s = 0;
    for (let j = 0, i = r * C; j < C; j++, i++) {
      const t0 = labels === null ? T![i] : j === y ? 1 : 0;
      const tt = (1 - smoothing) * t0 + smoothing / C;
      if (tt === 0) continue;
      let pj = p[i];
      // 1 - p_j: exact from probabilities (Sterbenz above 1/2); from logits, where p_j rounds towards 1, it is
      // -expm1(log p_j) (1 - p_j would keep only the rounding of p_j: 0 at logit 40, 3e-4 off at logit 30)
      let miss: number;
      if (pj < lo || pj > hi) {
        pj = pj < lo ? lo : hi;
        miss = 1 - pj;
      } else miss = logp !== null && pj > 0.5 ? -Math.expm1(logp[i]) : 1 - pj;
      const lp = logp === null || clipping ? Math.log(pj) : logp[i];
      let m = gamma === 0 ? 1 : miss ** gamma;
      if (alpha !== null) m *= alpha[j];
      if (m !== 0) s -= m * tt * lp;
    }
    values[r] = s;
  }
  const L = { name, m: X };
  if (logits) checkInfiniteRows(values, L);
  const denominator = divisorOf(rule ?? preset.mean, total(rowWeight), counted, () => countNonzero(rowWeight));
  const res = reduce(
    { values, rows: X.rows, k: 1, mult: sw, denominator }, reduction, unit, X.batch,
    (i) => explainWeighted(i, [L, ...(T === null ? [] : [{ name: 'target', m: { ...X, data: T } }])], [sw], logits ? L : undefined),
  );
  // α is in every value, never in the divisor; the sample weights are in the divisor of the exact mean
  const back = reduction === 'mean' && (rule ?? preset.mean) === 'weights' ? ae : ae + se;
  return (reduction === 'mean' && denominator === 0 ? preset.emptyMean / unit
    : notOpposed(ldexpResult(res, back), false)) as Result<X, O>;
}
