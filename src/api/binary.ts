import { kernels } from '../backend/select.js';
import type { FloatArray, Kernels } from '../backend/kernels.js';
import { XentError, show } from '../core/errors.js';
import { checkKeys, dtypeOf, numberIn, ownOptions, unitOf } from '../core/options.js';
import { floatsOf } from '../core/dtype.js';
import { ldexpResult, reduce, total, unscaled } from '../core/reduce.js';
import {
  type Batch, type Matrix, asMatrix, asMatrixLike, asVectorOption, checkWeights, isFloat32, isNested, lengthOf,
} from '../core/shape.js';
import { checkUnitInterval } from '../core/validate.js';
import { type HalfOptions, type IfNone, type Reduction, type UnitOptions } from '../core/options.js';
import type { Vector } from '../core/shape.js';
import {
  type CompatOptions, type LossReduction, type MeanRule, type Preset, checkTargets, clipBounds, countNonzero,
  epsOption, explainWeighted, inPreset, lossReduction, notOpposed, presetOf, weightOption,
} from '../core/compat.js';
import { LOG_CLAMP_BELOW, binaryCrossEntropyLoop } from './compat.js';

/** Options of the binary (sigmoid) losses. */
export interface BinaryOptions extends UnitOptions, CompatOptions, HalfOptions {
  /** Labels per row for multi-label input given flat; without it a flat vector is N independent examples. */
  classes?: number;
  /** 'mean' (default), 'sum', 'none', or a named mean (see LossReduction). */
  reduction?: LossReduction;
  /** Per-element weights: length C (broadcast over rows) or N·C, or one number, as PyTorch's `weight`. */
  weight?: number | Vector;
  /** Per-row weights (length N, or one number for every row). */
  sampleWeight?: number | Vector;
  /** ε: targets become t·(1 - ε) + ε / 2. Default 0. */
  labelSmoothing?: number;
}

export interface BinaryCrossEntropyOptions extends BinaryOptions {
  /**
   * Clip probabilities to [eps, 1 - eps] (default 0: exact, a confident wrong prediction gives Infinity; compat
   * 'keras' 1e-7, 'sklearn' the dtype's machine epsilon). Under compat 'tfjs' it is logLoss' additive epsilon
   * (default 1e-7): -(t log(p + eps) + (1 - t) log(1 - p + eps)), no clipping.
   */
  eps?: number;
}

export interface SigmoidCrossEntropyOptions extends BinaryOptions {
  /** Weight of the positive term per class (length C), as PyTorch's `pos_weight`. */
  posWeight?: Vector;
}

/** A binary loss's result: a number, or a Float64Array per element for `reduction: 'none'` on array input. */
export type BinaryResult<X, O> = IfNone<O, X extends number ? number : Float64Array, number>;

const KEYS = ['classes', 'reduction', 'base', 'weight', 'sampleWeight', 'labelSmoothing', 'compat', 'dtype'];

type BinaryKernel = (
  k: Kernels, X: Matrix, T: Matrix, smoothing: number, w: FloatArray | null, wFull: boolean,
  out: Float64Array, elementwise: boolean, call: BinaryCall,
) => void;

/** A binary loss call resolved: shapes, weights and options (shared with the gradient). */
export interface BinaryCall {
  k: Kernels;
  X: Matrix;
  T: Matrix;
  f32: boolean;
  preset: Preset;
  reduction: Reduction;
  /** The divisor of a mean named by `reduction` (null: the preset's). */
  rule: MeanRule | null;
  unit: number;
  smoothing: number;
  w: FloatArray | null;
  wFull: boolean;
  sw: FloatArray | null;
  scalar: boolean;
  /** An array input: 'none' gives one value per element (per row where `rowMean`). */
  batch: boolean;
  /** Rows are averaged before they are reduced (Keras' mean over the last axis): 'none' gives one value per row. */
  rowMean: boolean;
  /** Targets still to be checked (checkTargets, not real): by the kernel's fused test, or after it declines. */
  targetsLater: boolean;
  /** Runs a check that follows the targets' in the errors' order: where the targets wait, they are checked first. */
  later<R>(f: () => R): R;
  o: Record<string, unknown>;
  name: string;
  /** The powers of two taken out of the weights (`unscaled`): w = 2^we·w', sw = 2^se·sw'. */
  we: number;
  se: number;
}

/**
 * Resolves a binary loss's inputs. A number is one example; a flat vector without `classes` is N examples (run
 * as one row of N: long rows are what the kernels are fast at, and the per-example sampleWeight then becomes a
 * per-element weight); rows or `classes` give an N × C multi-label batch.
 */
export function binaryCall(
  fn: string, x: unknown, target: unknown, options: object | undefined, extra: readonly string[],
  name: string, probabilities: boolean, fusedTargets = false,
): BinaryCall {
  const o = checkKeys(options, [...KEYS, ...extra], fn);
  const preset = presetOf(o.compat);
  const { reduction, rule } = lossReduction(o.reduction);
  const unit = unitOf(o.base);
  const smoothing = numberIn(o.labelSmoothing, 'labelSmoothing', 0, 1, 0);
  const k = kernels();
  const scalar = typeof x === 'number';
  if (scalar && typeof target !== 'number') {
    throw new XentError('INVALID_TYPE', `target must be a number when ${name} is a number, got ${show(target)}`);
  }
  const f32 = isFloat32(x);
  const dtype = dtypeOf(o.dtype);
  const multiLabel = o.classes !== undefined || isNested(x);
  const examples = !multiLabel && !scalar;
  const X = asMatrix(scalar ? [x] : x, name, multiLabel ? o.classes : undefined, f32, dtype);
  if (X.cols === 0 && !examples) throw new XentError('EMPTY_INPUT', `${name} has rows with no entries`);
  const T = asMatrixLike(scalar ? [target] : target, 'target', X, name, f32, dtype);
  if (probabilities) checkUnitInterval(k, { name, m: X });
  // The focal factor (1 - p_t)^γ needs t in [0, 1]; the cross-entropies are linear in t.
  const real = fn !== 'binaryFocalCrossEntropy'
    && (preset.realTargets === 'all' || (preset.realTargets === 'logits' && !probabilities));
  // Targets in [0, 1] may be tested in the kernel's pass instead (sigmoidCrossEntropyChecked); later() keeps the
  // errors' order: a bad target is still reported before a bad weight.
  const targetsLater = fusedTargets && !real;
  if (!targetsLater) checkTargets(k, { name: 'target', m: T }, real);
  const later = <R>(f: () => R): R => {
    try {
      return f();
    } catch (e) {
      if (targetsLater) checkTargets(k, { name: 'target', m: T }, false);
      throw e;
    }
  };

  // Weights are read in float64 and handed to the kernels with their scale taken out (see unscaled).
  let w64: Float64Array | null = null;
  let wFull = false;
  if (o.weight !== undefined) {
    const len = later(() => lengthOf(o.weight));
    wFull = len !== X.cols && len === X.rows * X.cols;
    w64 = later(() => weightOption(o.weight, 'weight', wFull ? X.rows * X.cols : X.cols, false, preset)) as Float64Array;
  }
  const sw64 = o.sampleWeight === undefined ? null
    : later(() => weightOption(o.sampleWeight, 'sampleWeight', examples ? X.cols : X.rows, false, preset)) as Float64Array;
  let w: FloatArray | null;
  let sw: FloatArray | null;
  let we: number;
  let se: number;
  if (examples && sw64 !== null) {
    // A flat vector's per-example weights join its per-element ones: the product of the scaled weights, rescaled.
    const a = unscaled(w64);
    const b = unscaled(sw64);
    const merged = new Float64Array(X.cols);
    for (let i = 0; i < merged.length; i++) merged[i] = a.w === null ? b.w![i] : b.w![i] * a.w[i];
    const m = unscaled(merged, f32);
    w = m.w;
    we = m.e + a.e + b.e;
    sw = null;
    se = 0;
  } else {
    ({ w, e: we } = unscaled(w64, f32));
    ({ w: sw, e: se } = unscaled(sw64, f32));
  }
  return {
    k, X, T, f32, preset, reduction, rule, unit, smoothing, w, wFull, sw, scalar, batch: X.batch || examples, o, name,
    rowMean: preset.binaryRowMean && X.batch, we, se, targetsLater, later,
  };
}

/**
 * The power of two a result computed from the scaled weights is multiplied by (see `unscaled`): both weights' for a
 * sum or elementwise values and a mean by count; none for the exact mean, whose divisor holds the same weights,
 * except the element weights where rows are averaged first (its divisor holds only the sample weights).
 */
export function binaryExp(b: BinaryCall): number {
  if (b.reduction !== 'mean' || (b.rule ?? b.preset.binaryMean) !== 'weights') return b.we + b.se;
  return b.rowMean ? b.we : 0;
}

/**
 * The divisor of the mean: the sum of the weights actually applied, or the named mean's or the preset's rule. Where
 * rows are averaged first the units are rows, weighed by their sample weights (element weights only rescale).
 */
export function binaryDenominator({ k, X, preset, rule: named, w, wFull, sw, rowMean }: BinaryCall): number {
  const rule = named ?? preset.binaryMean;
  if (rowMean) {
    if (rule === 'count') return X.rows;
    return sw === null ? X.rows : rule === 'nonzero' ? countNonzero(sw) : total(sw);
  }
  if (rule === 'count') return X.rows * X.cols;
  if (rule === 'nonzero') return nonzeroWeights(w, wFull, sw, X.rows, X.cols);
  if (wFull) {
    const rowSums = new Float64Array(X.rows);
    k.dot(null, w!, X.rows, X.cols, null, rowSums);
    if (sw) for (let r = 0; r < X.rows; r++) rowSums[r] *= sw[r];
    return total(rowSums);
  }
  return (w === null ? X.cols : total(w)) * (sw === null ? X.rows : total(sw));
}

/** Each row's multiplier in the reduction: its sample weight, divided by C where rows are averaged first. */
export function rowMultipliers({ X, sw, rowMean }: BinaryCall): ArrayLike<number> | null {
  if (!rowMean) return sw;
  const m = new Float64Array(X.rows);
  for (let r = 0; r < X.rows; r++) m[r] = (sw === null ? 1 : sw[r]) / X.cols;
  return m;
}

/** Reduces the kernel's values (per element when `elementwise`, else per row); an empty mean is the preset's. */
export function binaryFinish(b: BinaryCall, out: Float64Array, elementwise: boolean, denominator: number) {
  const { X, T, reduction, unit, name } = b;
  const r = reduce(
    { values: out, rows: X.rows, k: elementwise ? X.cols : 1, mult: rowMultipliers(b), denominator },
    reduction,
    unit,
    b.batch,
    (i) => explainWeighted(Math.floor(i / (elementwise ? X.cols : 1)), [{ name, m: X }, { name: 'target', m: T }], [b.w, b.sw]),
  );
  return reduction === 'mean' && denominator === 0 ? b.preset.emptyMean / unit
    : notOpposed(ldexpResult(r, binaryExp(b)), false);
}

/** Shared path of the binary losses: resolve, one kernel call, reduce (over every element, as in PyTorch). */
export function binary(
  fn: string, x: unknown, target: unknown, options: BinaryOptions | undefined, extra: readonly string[],
  name: string, probabilities: boolean, kernel: BinaryKernel, fusedTargets = false,
): number | Float64Array {
  const b = binaryCall(fn, x, target, options, extra, name, probabilities, fusedTargets);
  const elementwise = b.reduction === 'none' && b.batch && !b.rowMean;
  const out = new Float64Array(elementwise ? b.X.rows * b.X.cols : b.X.rows);
  kernel(b.k, b.X, b.T, b.smoothing, b.w, b.wFull, out, elementwise, b);
  return binaryFinish(b, out, elementwise, binaryDenominator(b));
}

/** TF.js' SUM_BY_NONZERO_WEIGHTS divisor: the number of non-zero effective per-element weights. */
export function nonzeroWeights(w: FloatArray | null, wFull: boolean, sw: FloatArray | null, rows: number, cols: number): number {
  if (wFull) {
    let n = 0;
    for (let r = 0, i = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++, i++) if (w![i] !== 0 && (sw === null || sw[r] !== 0)) n++;
    }
    return n;
  }
  return (w === null ? cols : countNonzero(w)) * (sw === null ? rows : countNonzero(sw));
}

/** PyTorch's log clamp changes a result only where p < e^-100 or p = 1 (the kernels' rowStats tell which). */
function clampMatters(k: Kernels, X: Matrix): boolean {
  const sum = new Float64Array(X.rows);
  const min = new Float64Array(X.rows);
  const max = new Float64Array(X.rows);
  k.rowStats(X.data, X.rows, X.cols, sum, min, max);
  for (let r = 0; r < X.rows; r++) if (min[r] < LOG_CLAMP_BELOW || max[r] >= 1) return true;
  return false;
}

/**
 * Binary cross-entropy from probabilities, -(t log p + (1 - t) log(1 - p)) per element (PyTorch's
 * binary_cross_entropy, Keras' BinaryCrossentropy, scikit-learn's log_loss for one column). Exact by default
 * (0 log 0 = 0, a confident wrong prediction gives Infinity); `eps` clips p to [eps, 1 - eps].
 */
export function binaryCrossEntropy<X extends number | Batch, O extends BinaryCrossEntropyOptions = {}>(
  probs: X, target: number | Batch, options?: O,
): BinaryResult<X, O> {
  const o = ownOptions(options, 'binaryCrossEntropy');
  const preset = presetOf(o.compat);
  const eps = epsOption(o.eps);
  // TF.js' logLoss adds its epsilon inside the logs (in float32) instead of clipping.
  const additive = preset.binaryLog === 'additive' ? inPreset(preset, eps ?? preset.additiveEps) : -1;
  const [lo, hi] = additive >= 0 ? [0, 1] : clipBounds(preset, eps, isFloat32(probs));
  return binary('binaryCrossEntropy', probs, target, options, ['eps'], 'probs', true,
    (k, X, T, smoothing, w, wFull, out, elementwise) => {
      if (additive >= 0 || (preset.binaryLog === 'clamp' && clampMatters(k, X))) {
        binaryCrossEntropyLoop(floatsOf(k, X.data, true), floatsOf(k, T.data, true), X.rows, X.cols, lo, hi, additive,
          smoothing, w, wFull, out, elementwise);
      } else {
        k.binaryCrossEntropy(X.data, T.data, X.rows, X.cols, lo, hi, smoothing, w, wFull, out, elementwise);
      }
    },
  ) as BinaryResult<X, O>;
}

/**
 * Binary cross-entropy from logits, max(x, 0) - x·t + log1p(exp(-|x|)) per element (PyTorch's
 * binary_cross_entropy_with_logits, TF's sigmoid_cross_entropy_with_logits), with PyTorch's `posWeight`.
 */
export function sigmoidCrossEntropy<X extends number | Batch, O extends SigmoidCrossEntropyOptions = {}>(
  logits: X, target: number | Batch, options?: O,
): BinaryResult<X, O> {
  const o = ownOptions(options, 'sigmoidCrossEntropy');
  return binary('sigmoidCrossEntropy', logits, target, options, ['posWeight'], 'logits', false,
    (k, X, T, smoothing, w, wFull, out, elementwise, { targetsLater, later }) => {
      const pw = o.posWeight === undefined ? null
        : later(() => checkWeights(asVectorOption(o.posWeight, 'posWeight', X.cols, !(X.data instanceof Float64Array)), 'posWeight'));
      const args = [X.data, T.data, X.rows, X.cols, smoothing, w, wFull, pw, out, elementwise] as const;
      if (targetsLater && k.sigmoidCrossEntropyChecked?.(...args)) return;
      if (targetsLater) checkTargets(k, { name: 'target', m: T }, false);
      k.sigmoidCrossEntropy(...args);
    },
    true,
  ) as BinaryResult<X, O>;
}
