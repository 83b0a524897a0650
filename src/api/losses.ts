import { kernels } from '../backend/select.js';
import type { FloatArray, Kernels } from '../backend/kernels.js';
import { elem } from '../core/dtype.js';
import { XentError } from '../core/errors.js';
import {
  type BatchOptions, type HalfOptions, type Reduction, type Result, type UnitOptions,
  booleanOption, checkKeys, dtypeOf, integerOption, numberIn, scaleOf, unitOf,
} from '../core/options.js';
import { ldexp, ldexpResult, reduce, total, unscaled } from '../core/reduce.js';
import {
  type CompatOptions, type LossReduction, type MeanRule, type Preset, checkTargets, clipBounds, countNonzero,
  divisorOf, epsOption, explainWeighted, lossReduction, notOpposed, presetOf, weightOption,
} from '../core/compat.js';
import {
  type Batch, type Labels, type Matrix, type Vector, asLabels, asMatrix, asMatrixLike, isFloat32, isLabelTarget,
} from '../core/shape.js';
import { type Named, checkDistribution, checkInfiniteRows, toleranceOf } from '../core/validate.js';

/** Options of the categorical losses (softmax cross-entropy, categorical cross-entropy, NLL). */
export interface CategoricalOptions extends Omit<BatchOptions, 'reduction'>, UnitOptions, CompatOptions, HalfOptions {
  /** 'mean' (default), 'sum', 'none', or a named mean (see LossReduction). */
  reduction?: LossReduction;
  /** Per-class weights (length C, or one number for every class), as PyTorch's `weight`. */
  weight?: number | Vector;
  /** Per-row weights (length N, or one number for every row), as Keras' and scikit-learn's `sample_weight`. */
  sampleWeight?: number | Vector;
  /** Rows whose label equals this value are ignored (no default: every label must be a class; compat 'torch': -100). */
  ignoreIndex?: number;
  /** ε: targets become (1 - ε)·t + ε / C (PyTorch's and Keras' rule). Default 0. */
  labelSmoothing?: number;
}

export interface SoftmaxCrossEntropyOptions extends CategoricalOptions {
  /** Divide the logits by T first (default 1). */
  temperature?: number;
}

export interface CategoricalCrossEntropyOptions extends CategoricalOptions {
  /** Clip probabilities to [eps, 1 - eps] before the logarithm (default 0: exact). */
  eps?: number;
  /** Divide each row by its sum instead of rejecting rows that do not sum to 1 (default false). */
  normalize?: boolean;
  /** How far a row sum may be from 1 (default 1e-6 for float64 input, 1e-4 float32, 1e-3 float16, 1e-2 bfloat16). */
  tolerance?: number;
}

export type Target = number | Labels | Batch;

const CAT_KEYS = [
  'classes', 'reduction', 'base', 'weight', 'sampleWeight', 'ignoreIndex', 'labelSmoothing', 'compat', 'dtype',
];

export interface Categorical {
  k: Kernels;
  X: Matrix;
  f32: boolean;
  reduction: Reduction;
  /** The divisor of a mean named by `reduction` (null: the preset's). */
  rule: MeanRule | null;
  unit: number;
  eps: number;
  w: FloatArray | null;
  sw: FloatArray | null;
  /** Integer labels (-1 for ignored rows), or null for dense targets. */
  labels: Int32Array | null;
  /** Dense targets, checked to lie in [0, 1], or null for labels. */
  T: Matrix | null;
  o: Record<string, unknown>;
  preset: Preset;
  /** The powers of two taken out of the class and sample weights (`unscaled`): w = 2^we·w', sw = 2^se·sw'. */
  we: number;
  se: number;
}

/** Resolves the inputs and options common to the categorical losses (and their gradients). */
export function categorical(
  fn: string, x: unknown, target: unknown, options: object | undefined, extra: readonly string[], name: string,
  prepare?: (k: Kernels, X: Matrix, o: Record<string, unknown>, f32: boolean) => Matrix,
): Categorical {
  const o = checkKeys(options, [...CAT_KEYS, ...extra], fn);
  const preset = presetOf(o.compat);
  const { reduction, rule } = lossReduction(o.reduction);
  const unit = unitOf(o.base);
  const eps = numberIn(o.labelSmoothing, 'labelSmoothing', 0, 1, 0);
  const ignoreIndex = o.ignoreIndex === undefined ? preset.ignoreIndex : integerOption(o.ignoreIndex, 'ignoreIndex');
  const input32 = isFloat32(x);
  const dtype = dtypeOf(o.dtype);
  const k = kernels();
  let X = asMatrix(x, name, o.classes, input32, dtype);
  if (X.cols === 0) throw new XentError('EMPTY_INPUT', `${name} has no classes`);
  if (prepare) X = prepare(k, X, o, input32);
  // the kernels' dtype: the input's (half computes as float32), but float64 for rows prepare normalized
  const f32 = input32 && !(X.data instanceof Float64Array);
  // Weights are read in float64 and handed to the kernels with their scale taken out (see unscaled).
  const W = unscaled(o.weight === undefined ? null
    : weightOption(o.weight, 'weight', X.cols, false, preset) as Float64Array, f32);
  const S = unscaled(o.sampleWeight === undefined ? null
    : weightOption(o.sampleWeight, 'sampleWeight', X.rows, false, preset) as Float64Array);
  const w = W.w;
  const sw = S.w;
  const labelTarget = X.batch ? isLabelTarget(target, X.rows, X.cols, dtype) : typeof target === 'number';
  let labels: Int32Array | null = null;
  let T: Matrix | null = null;
  if (labelTarget) {
    labels = asLabels(typeof target === 'number' ? [target] : target, 'target', X.rows, X.cols, ignoreIndex);
  } else {
    T = asMatrixLike(target, 'target', X, name, f32, dtype);
    const real = preset.realTargets === 'all' || (preset.realTargets === 'logits' && name === 'logits');
    checkTargets(k, { name: 'target', m: T }, real);
  }
  return { k, X, f32, reduction, rule, unit, eps, w, sw, labels, T, o, preset, we: W.e, se: S.e };
}

/**
 * The power of two a result computed from the scaled weights is multiplied by: a sum or elementwise value holds
 * both weights; a mean divides out those in its divisor (all of them under the exact rule, none under a count).
 */
export function weightExp(c: Categorical): number {
  const all = c.we + c.se;
  if (c.reduction !== 'mean' || (c.rule ?? c.preset.mean) !== 'weights') return all;
  return c.labels !== null || classWeightsInMean(c) ? 0 : c.we;
}

/**
 * The divisor of a labelled batch's mean: Σ sampleWeight·w_y over counted rows, or the named mean's or the preset's
 * rule. Keras' metric mean (its 'weighted_mean' without sample weights) also counts the ignored rows, with weight 1.
 */
export function labelDenominator(c: Categorical): number {
  const { X, labels, w, sw, preset } = c;
  const rule = c.rule ?? preset.mean;
  const keepIgnored = rule === 'weights' && c.rule !== null && preset.meanCountsIgnored && sw === null;
  const rowWeight = new Float64Array(X.rows);
  let counted = 0;
  for (let r = 0; r < X.rows; r++) {
    const y = labels![r];
    if (y < 0) {
      if (keepIgnored) rowWeight[r] = ldexp(1, -c.we); // weight 1, in the units of the scaled class weights
      continue;
    }
    counted++;
    const wy = w === null ? 1 : w[y];
    rowWeight[r] = sw === null ? wy : wy * sw[r];
  }
  return divisorOf(rule, total(rowWeight), counted, () => countNonzero(rowWeight));
}

/**
 * Combines per-row NLL and smoothing terms of labelled rows into the loss, in place, PyTorch's rule:
 * l = (1 - ε)·w_y·nll + (ε / C)·Σ_j w_j·(-log p_j).
 */
export function combineLabelled(c: Categorical, nll: Float64Array, smooth: Float64Array | null): Float64Array {
  const { X, labels, w, eps } = c;
  const a = 1 - eps;
  const b = eps / X.cols;
  for (let r = 0; r < X.rows; r++) {
    const y = labels![r];
    if (y < 0) continue;
    const wy = w === null ? 1 : w[y];
    // A zero coefficient contributes 0 even when the log-probability it would scale is -Infinity.
    const term = wy === 0 || a === 0 ? 0 : a * wy * nll[r];
    nll[r] = smooth === null || b === 0 ? term : term + b * smooth[r];
  }
  return nll;
}

function labelled(c: Categorical, nll: Float64Array, smooth: Float64Array | null, inputs: Named[], logits?: Named) {
  return finish(c, combineLabelled(c, nll, smooth), labelDenominator(c), inputs, logits);
}

/** Do a dense batch's class weights enter its mean's divisor: in every named mean, and in the preset's unless PyTorch's. */
export const classWeightsInMean = (c: Categorical): boolean => c.rule !== null || c.preset.denseClassWeightsInMean;

/**
 * The divisor of a dense-target batch's mean: Σ sampleWeight·Σ_j w_j t_j, where `rowWeight` holds Σ_j w_j t_j
 * (null without class weights), or the named mean's or the preset's rule; PyTorch's default mean divides by N
 * whatever the class weights. Scales `rowWeight`.
 */
export function denseDenominator(c: Categorical, rowWeight: Float64Array | null): number {
  const { X, sw, preset } = c;
  const rw = classWeightsInMean(c) ? rowWeight : null;
  let weights: ArrayLike<number> | null;
  if (rw === null) weights = sw;
  else {
    if (sw !== null) for (let r = 0; r < X.rows; r++) rw[r] *= sw[r];
    weights = rw;
  }
  return divisorOf(c.rule ?? preset.mean, weights === null ? X.rows : total(weights), X.rows,
    () => (weights === null ? X.rows : countNonzero(weights)));
}

function dense(c: Categorical, loss: Float64Array, rowWeight: Float64Array | null, inputs: Named[], logits?: Named) {
  return finish(c, loss, denseDenominator(c, rowWeight), inputs, logits);
}

/** Reduces per-row losses; a mean over zero weight is the preset's empty mean (NaN, or Keras' 0). */
export function finish(c: Categorical, values: Float64Array, denominator: number, inputs: Named[], logits?: Named) {
  const r = reduce(
    { values, rows: c.X.rows, k: 1, mult: c.sw, denominator },
    c.reduction,
    c.unit,
    c.X.batch,
    (i) => explainWeighted(i, inputs, [c.w, c.sw], logits),
  );
  // Keras' divide_no_nan: an empty mean is 0 there; NaN (PyTorch's answer) everywhere else.
  return c.reduction === 'mean' && denominator === 0 ? c.preset.emptyMean / c.unit
    : notOpposed(ldexpResult(r, weightExp(c)), false);
}

/**
 * Softmax cross-entropy from logits (PyTorch's cross_entropy, Keras' (Sparse)CategoricalCrossentropy with
 * from_logits): per row lse(z) - z_y for a label y, or Σ_j t_j (lse(z) - z_j) for dense targets (one-hot or soft),
 * fused in one kernel, never forming the softmax.
 */
export function softmaxCrossEntropy<X extends Batch, O extends SoftmaxCrossEntropyOptions = {}>(
  logits: X, target: Target, options?: O,
): Result<X, O> {
  const c = categorical('softmaxCrossEntropy', logits, target, options, ['temperature'], 'logits');
  const s = scaleOf(c.o.temperature, c.f32);
  const { k, X, w, eps } = c;
  const L: Named = { name: 'logits', m: X };
  if (c.labels) {
    const nll = new Float64Array(X.rows);
    const smooth = eps > 0 ? new Float64Array(X.rows) : null;
    k.softmaxCrossEntropyLabels(X.data, X.rows, X.cols, s, c.labels, w, nll, smooth);
    checkInfiniteRows(nll, L);
    return labelled(c, nll, smooth, [L], L) as Result<X, O>;
  }
  const out = new Float64Array(X.rows);
  const rowWeight = w === null ? null : new Float64Array(X.rows);
  k.softmaxCrossEntropyDense(X.data, c.T!.data, X.rows, X.cols, s, eps, w, out, rowWeight);
  checkInfiniteRows(out, L);
  return dense(c, out, rowWeight, [L, { name: 'target', m: c.T! }], L) as Result<X, O>;
}

/**
 * Categorical cross-entropy from probabilities: -log p_y for a label y, -Σ_j t_j log p_j for dense targets.
 * Rows of probs must sum to 1 (within `tolerance`) unless `normalize`; `eps` clips as Keras does.
 */
export function categoricalCrossEntropy<X extends Batch, O extends CategoricalCrossEntropyOptions = {}>(
  probs: X, target: Target, options?: O,
): Result<X, O> {
  let lo = 0;
  let hi = 1;
  const c = categorical('categoricalCrossEntropy', probs, target, options, ['eps', 'normalize', 'tolerance'], 'probs',
    (k, X, o, f32) => {
      const preset = presetOf(o.compat);
      [lo, hi] = clipBounds(preset, epsOption(o.eps), f32);
      const tolerance = toleranceOf(o.tolerance);
      const normalize = o.normalize === undefined ? preset.normalize : booleanOption(o.normalize, 'normalize');
      return checkDistribution(k, { name: 'probs', m: X }, tolerance, normalize, f32);
    });
  const { k, X, w, eps } = c;
  const P: Named = { name: 'probs', m: X };
  const smooth = eps > 0 ? new Float64Array(X.rows) : null;
  if (smooth) k.crossEntropy(null, X.data, X.rows, X.cols, lo, hi, w, smooth);
  if (c.labels) {
    const nll = new Float64Array(X.rows);
    for (let r = 0; r < X.rows; r++) {
      const y = c.labels[r];
      if (y < 0) continue;
      nll[r] = -Math.log(Math.min(Math.max(elem(X.data, r * X.cols + y), lo), hi));
    }
    return labelled(c, nll, smooth, [P]) as Result<X, O>;
  }
  const out = new Float64Array(X.rows);
  k.crossEntropy(c.T!.data, X.data, X.rows, X.cols, lo, hi, w, out);
  return dense(c, mix(out, smooth, eps, X.cols), rowWeightOf(c), [P, { name: 'target', m: c.T! }]) as Result<X, O>;
}

/** Negative log-likelihood from log-probabilities (PyTorch's nll_loss): -logp_y, or -Σ_j t_j logp_j. */
export function nllLoss<X extends Batch, O extends CategoricalOptions = {}>(
  logProbs: X, target: Target, options?: O,
): Result<X, O> {
  const c = categorical('nllLoss', logProbs, target, options, [], 'logProbs');
  const { k, X, w, eps } = c;
  const L: Named = { name: 'logProbs', m: X };
  const smooth = eps > 0 ? new Float64Array(X.rows) : null;
  if (smooth) {
    k.dot(null, X.data, X.rows, X.cols, w, smooth);
    negate(smooth);
  }
  if (c.labels) {
    const nll = new Float64Array(X.rows);
    for (let r = 0; r < X.rows; r++) if (c.labels[r] >= 0) nll[r] = -elem(X.data, r * X.cols + c.labels[r]);
    return labelled(c, nll, smooth, [L]) as Result<X, O>;
  }
  const out = new Float64Array(X.rows);
  k.dot(c.T!.data, X.data, X.rows, X.cols, w, out);
  negate(out);
  return dense(c, mix(out, smooth, eps, X.cols), rowWeightOf(c), [L, { name: 'target', m: c.T! }]) as Result<X, O>;
}

function negate(a: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] = -a[i];
}

/** Smoothed dense loss by linearity: (1 - ε)·L(t) + (ε / C)·L(1). */
function mix(out: Float64Array, smooth: Float64Array | null, eps: number, cols: number): Float64Array {
  if (smooth === null) return out;
  // A zero coefficient contributes 0 (ε = 1: the original targets' Infinity must not make 0·Infinity).
  const a = 1 - eps;
  const b = eps / cols;
  for (let r = 0; r < out.length; r++) out[r] = (a === 0 ? 0 : a * out[r]) + (b === 0 ? 0 : b * smooth[r]);
  return out;
}

/** Σ_j w_j t_j per row, when class weights are given (the dense rows' weights in the mean). */
function rowWeightOf(c: Categorical): Float64Array | null {
  if (c.w === null) return null;
  const out = new Float64Array(c.X.rows);
  c.k.dot(null, c.T!.data, c.X.rows, c.X.cols, c.w, out);
  return out;
}

/** exp(mean softmax cross-entropy in nats) over the counted rows: the model's effective branching factor. */
export function perplexity(
  logits: Batch, labels: number | Labels,
  options?: Pick<SoftmaxCrossEntropyOptions, 'classes' | 'ignoreIndex' | 'weight' | 'sampleWeight' | 'temperature' | 'dtype'>,
): number {
  checkKeys(options, ['classes', 'ignoreIndex', 'weight', 'sampleWeight', 'temperature', 'dtype'], 'perplexity');
  return Math.exp(softmaxCrossEntropy(logits, labels, { ...options, reduction: 'mean' }) as number);
}
