/**
 * Losses with their gradients, for training: one fused kernel per row computes the loss and writes the gradient
 * with respect to the logits (no separate softmax pass), plus the softmax / log-softmax backward passes for people
 * composing layers.
 *
 * The gradient is that of the returned loss: it includes the reduction (a mean divides by the same divisor as the
 * loss), the weights, the temperature (chain rule: ∂/∂x = (1 / T)·∂/∂z) and the unit (`base`). With
 * `reduction: 'none'` row r of the gradient is ∂loss[r] / ∂logits[r] (rows are independent), i.e. the gradient of
 * the sum. Rows that count for nothing (ignored, zero weight, a mean over zero weight) get a zero gradient.
 * The gradient has the logits' dtype (Float32Array for Float32Array input, else Float64Array), one flat row-major
 * array; `out` writes it into a caller's array of that type and length instead (and returns that array).
 */
import { full } from '../backend/full.js';
import type { FloatArray, FloatData, Kernels } from '../backend/kernels.js';
import { HalfArray } from '../core/dtype.js';
import { XentError, detached, isDetached, show } from '../core/errors.js';
import {
  type HalfOptions, type Reduction, type Result, checkKeys, dtypeOf, reductionOf, scaleOf, unitOf,
} from '../core/options.js';
import { ldexp, reduce } from '../core/reduce.js';
import {
  type Batch, type HalfVector, type Matrix, asMatrix, asMatrixLike, asVectorOption, checkWeights, isFloat32,
} from '../core/shape.js';
import {
  type Named, checkDistribution, checkInfiniteRows, explainNaN, toleranceOf,
} from '../core/validate.js';
import {
  type SoftmaxCrossEntropyOptions, type Target, categorical, classWeightsInMean, combineLabelled, denseDenominator, finish,
  labelDenominator, weightExp,
} from './losses.js';
import {
  type BinaryResult, type SigmoidCrossEntropyOptions, binaryCall, binaryDenominator, binaryExp, binaryFinish,
  rowMultipliers,
} from './binary.js';
import type { KlDivergenceOptions } from './information.js';

/** The `out` option of the gradient functions. */
export interface GradientOptions {
  /** Write the gradient into this array (the logits' dtype, length rows·cols) and return it as `grad`. */
  out?: Float32Array | Float64Array;
}

/**
 * The gradient's type: the input's dtype (number[] gives Float64Array; half precision Float32Array), one flat
 * row-major array.
 */
export type GradientArray<X> = X extends Float32Array | HalfVector | readonly (Float32Array | HalfVector)[]
  ? Float32Array : Float64Array;

export interface LossAndGradient<L, G> {
  loss: L;
  grad: G;
}

export type SoftmaxCrossEntropyGradOptions = SoftmaxCrossEntropyOptions & GradientOptions;
export type SigmoidCrossEntropyGradOptions = SigmoidCrossEntropyOptions & GradientOptions;
export interface KlDivergenceGradOptions
  extends Omit<KlDivergenceOptions, 'compat' | 'reduction' | 'sampleWeight' | 'logP' | 'logQ'>, GradientOptions {
  /** 'mean' (default) and 'batchmean' divide by the rows; 'sum'; 'none' (per row). */
  reduction?: Reduction | 'batchmean';
  /** Divide q's logits by T first (default 1): the distillation temperature. */
  temperature?: number;
}
export interface BackwardOptions extends GradientOptions, HalfOptions {
  /** Classes per row when a batch is given as one flat vector. */
  classes?: number;
  /** The temperature of the forward pass (default 1): the result is multiplied by 1 / T. */
  temperature?: number;
}

/** The gradient buffer: a fresh array, or the caller's `out` after checking its type and length. */
function gradOut(out: unknown, length: number, f32: boolean): FloatArray {
  const Ctor = f32 ? Float32Array : Float64Array;
  if (out === undefined) return new Ctor(length);
  if (!(out instanceof Ctor)) {
    throw new XentError('INVALID_TYPE', `out must be a ${Ctor.name} (the logits' dtype), got ${show(out)}`);
  }
  if (isDetached(out)) throw detached('out');
  if (out.length !== length) {
    throw new XentError('SHAPE_MISMATCH', `out has length ${out.length}, expected ${length} (rows × classes)`);
  }
  return out;
}

/**
 * The array the kernel writes: `out`, or a scratch array when `out` shares memory with an input (the logits
 * themselves, which the README allows): the checks after the kernel read the inputs, so such an `out` is filled
 * only once they have passed (settle).
 */
function unaliased(out: FloatArray, inputs: readonly (FloatData | null | undefined)[]): FloatArray {
  for (const d of inputs) {
    const a = d instanceof HalfArray ? d.bits : d;
    if (a && a.buffer === out.buffer && a.byteOffset < out.byteOffset + out.byteLength
      && out.byteOffset < a.byteOffset + a.byteLength) return new (out instanceof Float32Array ? Float32Array : Float64Array)(out.length);
  }
  return out;
}

function settle(out: FloatArray, grad: FloatArray): FloatArray {
  if (grad !== out) out.set(grad);
  return out;
}

/**
 * Softmax cross-entropy and its gradient with respect to the logits, with every option of softmaxCrossEntropy
 * (same loss). Per row, with p = softmax(z), z = x / T, c the (smoothed, class-weighted) target coefficients and
 * C = Σ_j c_j: ∂l/∂z_j = C·p_j - c_j (labels: c_j = (1 - ε)·w_y·[j = y] + (ε / C)·w_j).
 */
export function softmaxCrossEntropyWithGrad<X extends Batch, O extends SoftmaxCrossEntropyGradOptions = {}>(
  logits: X, target: Target, options?: O,
): LossAndGradient<Result<X, O>, GradientArray<X>> {
  full(); // the gradient kernels: categorical() below then takes the full build's
  const c = categorical('softmaxCrossEntropyWithGrad', logits, target, options, ['temperature', 'out'], 'logits');
  const s = scaleOf(c.o.temperature, c.f32);
  const { k, X, w, sw, eps, reduction, unit } = c;
  const { rows, cols } = X;
  const out = gradOut(c.o.out, rows * cols, c.f32);
  const grad = unaliased(out, [X.data, c.T?.data]);
  const L: Named = { name: 'logits', m: X };
  const inputs: Named[] = [L];
  const scale = new Float64Array(rows);
  let values: Float64Array;
  let denominator: number;
  // The mean's divisor needs only the targets and weights: known before the kernel, so the kernel scales the
  // gradient as it writes it (no second pass over it).
  if (c.labels) {
    denominator = labelDenominator(c);
    fillScale(scale, c.labels, sw, reduction, denominator, ldexp(s / unit, weightExp(c)));
    // A row whose label weighs 0 (no smoothing) counts for nothing: its loss does not read its logits (as in
    // softmaxCrossEntropy), and its gradient is 0, even where they are NaN.
    if (w !== null && eps === 0) for (let r = 0; r < rows; r++) if (c.labels[r] >= 0 && w[c.labels[r]] === 0) scale[r] = 0;
    const nll = new Float64Array(rows);
    const smooth = eps > 0 ? new Float64Array(rows) : null;
    const back = tameScale(scale, c.f32);
    k.softmaxCrossEntropyLabelsGrad(X.data, rows, cols, s, c.labels, w, eps, scale, nll, smooth, grad);
    restoreScale(grad, back, cols);
    checkInfiniteRows(nll, L);
    values = combineLabelled(c, nll, smooth);
  } else {
    const T = c.T!;
    inputs.push({ name: 'target', m: T });
    let rowWeight: Float64Array | null = null;
    if (w !== null && classWeightsInMean(c)) {
      rowWeight = new Float64Array(rows);
      k.dot(null, T.data, rows, cols, w, rowWeight);
    }
    denominator = denseDenominator(c, rowWeight);
    fillScale(scale, null, sw, reduction, denominator, ldexp(s / unit, weightExp(c)));
    values = new Float64Array(rows);
    const back = tameScale(scale, c.f32);
    k.softmaxCrossEntropyDenseGrad(X.data, T.data, rows, cols, s, eps, w, scale, values, grad);
    restoreScale(grad, back, cols);
    checkInfiniteRows(values, L);
  }
  // Rows that count for nothing (scale 0, or all coefficients 0: loss 0) get a zero gradient; the wasm kernels fill
  // a row that holds no finite logit with NaN before they look at its scale or coefficients.
  for (let r = 0; r < rows; r++) {
    if ((scale[r] === 0 || values[r] === 0) && grad[r * cols] !== grad[r * cols]) grad.fill(0, r * cols, (r + 1) * cols);
  }
  const loss = finish(c, values, denominator, inputs, L);
  return { loss: loss as Result<X, O>, grad: settle(out, grad) as GradientArray<X> };
}

/**
 * The float32 SIMD kernels scale a row in float32 lanes (range ~3.4e38): a row scale beyond 2^64 (a mean over a total
 * weight below ~1e-19, a tiny temperature) is divided by a power of two for the kernel and the row's gradient
 * multiplied back after it (restoreScale). Returns those factors, or null when none is needed.
 */
function tameScale(scale: Float64Array, f32: boolean): Float64Array | null {
  if (!f32) return null;
  let back: Float64Array | null = null;
  for (let r = 0; r < scale.length; r++) {
    const a = Math.abs(scale[r]);
    if (a > 2 ** 64 && a < Infinity) {
      back ??= new Float64Array(scale.length).fill(1);
      back[r] = 2 ** (Math.floor(Math.log2(a)) - 60);
      scale[r] /= back[r];
    }
  }
  return back;
}

function restoreScale(grad: FloatArray, back: Float64Array | null, cols: number): void {
  if (back === null) return;
  for (let r = 0; r < back.length; r++) {
    if (back[r] !== 1) for (let i = r * cols; i < (r + 1) * cols; i++) grad[i] *= back[r];
  }
}

/** scale[r] = f · (row's sample weight) · (1 / divisor for 'mean'); 0 for ignored rows and for an empty mean. */
function fillScale(
  scale: Float64Array, labels: Int32Array | null, sw: ArrayLike<number> | null, reduction: string,
  denominator: number, f: number,
): void {
  const mean = reduction === 'mean';
  const c = mean ? (denominator === 0 ? 0 : f / denominator) : f;
  for (let r = 0; r < scale.length; r++) {
    scale[r] = labels !== null && labels[r] < 0 ? 0 : sw === null ? c : c * sw[r];
  }
}


/**
 * Binary cross-entropy from logits and its gradient (the loss of sigmoidCrossEntropy, same shapes and options):
 * per element ∂l/∂x = w·(c·σ(x) - pw·t'), c = 1 + (pw - 1)·t' (σ(x) - t' without posWeight). A number input gives a
 * number gradient.
 */
export function sigmoidCrossEntropyWithGrad<X extends number | Batch, O extends SigmoidCrossEntropyGradOptions = {}>(
  logits: X, target: number | Batch, options?: O,
): LossAndGradient<BinaryResult<X, O>, X extends number ? number : GradientArray<X>> {
  full(); // the gradient kernels: binaryCall() below then takes the full build's
  const b = binaryCall('sigmoidCrossEntropyWithGrad', logits, target, options, ['posWeight', 'out'], 'logits', false);
  const { k, X, T, w, wFull, f32 } = b;
  const { rows, cols } = X;
  const pw = b.o.posWeight === undefined ? null
    : checkWeights(asVectorOption(b.o.posWeight, 'posWeight', cols, f32), 'posWeight');
  // The divisor is known before the kernel, so the kernel writes the gradient already scaled.
  const denominator = binaryDenominator(b);
  const scale = new Float64Array(rows);
  fillScale(scale, null, rowMultipliers(b), b.reduction, denominator, ldexp(1 / b.unit, binaryExp(b)));
  const elementwise = b.reduction === 'none' && b.batch && !b.rowMean;
  const out = new Float64Array(elementwise ? rows * cols : rows);
  const dst = gradOut(b.o.out, rows * cols, f32);
  const grad = unaliased(dst, [X.data, T.data]);
  k.sigmoidCrossEntropyGrad(X.data, T.data, rows, cols, b.smoothing, w, wFull, pw, scale, out, elementwise, grad);
  const loss = binaryFinish(b, out, elementwise, denominator);
  const g = settle(dst, grad);
  return { loss, grad: b.scalar ? g[0] : g } as LossAndGradient<BinaryResult<X, O>, X extends number ? number : GradientArray<X>>;
}

/**
 * KL(p ‖ softmax(logitsQ / T)) per row and its gradient with respect to q's logits (knowledge distillation):
 * ∂KL/∂z_j = q_j - p_j (Σ p = 1). p is a probability distribution per row (validated as klDivergence does, or
 * `normalize`). Reductions: 'mean' and 'batchmean' divide by the rows, 'sum', 'none'. Computed as
 * H(p, q) - H(p) from the fused softmax cross-entropy kernel: accurate to about 1e-16·H(p) absolute.
 */
export function klDivergenceWithGrad<X extends Batch, O extends KlDivergenceGradOptions = {}>(
  p: Batch, logitsQ: X, options?: O,
): LossAndGradient<Result<X, O>, GradientArray<X>> {
  const o = checkKeys(options, ['classes', 'reduction', 'base', 'normalize', 'tolerance', 'temperature', 'out', 'dtype'],
    'klDivergenceWithGrad');
  const batchmean = o.reduction === 'batchmean';
  const reduction = batchmean ? 'mean' : reductionOf(o.reduction);
  const unit = unitOf(o.base);
  const f32 = isFloat32(logitsQ);
  const s = scaleOf(o.temperature, f32);
  const tolerance = toleranceOf(o.tolerance);
  const normalize = o.normalize === undefined ? false : o.normalize;
  if (typeof normalize !== 'boolean') throw new XentError('INVALID_OPTION', `normalize must be a boolean, got ${show(normalize)}`);
  const dtype = dtypeOf(o.dtype);
  const k = full();
  const Q = asMatrix(logitsQ, 'logitsQ', o.classes, f32, dtype);
  if (Q.cols === 0) throw new XentError('EMPTY_INPUT', 'logitsQ has no classes');
  let P = checkDistribution(k, { name: 'p', m: asMatrixLike(p, 'p', Q, 'logitsQ', f32, dtype) }, tolerance, normalize, f32);
  // normalized rows come back float64; the kernel takes p in the logits' dtype
  if (f32 && normalize) P = { ...P, data: new Float32Array(P.data as Float64Array) };
  const { rows, cols } = Q;
  const out = gradOut(o.out, rows * cols, f32);
  const grad = unaliased(out, [Q.data, P.data]);
  const scale = new Float64Array(rows).fill(reduction === 'mean' ? s / unit / rows : s / unit);
  const ce = new Float64Array(rows);
  const back = tameScale(scale, f32);
  k.softmaxCrossEntropyDenseGrad(Q.data, P.data, rows, cols, s, 0, null, scale, ce, grad);
  restoreScale(grad, back, cols);
  const L: Named = { name: 'logitsQ', m: Q };
  checkInfiniteRows(ce, L);
  const h = new Float64Array(rows);
  k.entropy(P.data, rows, cols, h);
  for (let r = 0; r < rows; r++) {
    const v = ce[r] - h[r];
    ce[r] = v < 0 ? 0 : v; // KL >= 0: a rounding below 0 is 0 (NaN passes)
  }
  const loss = reduce({ values: ce, rows, k: 1, mult: null, denominator: rows }, reduction, unit, Q.batch,
    (i) => explainNaN(i, [{ name: 'p', m: P }, L], L));
  return { loss: loss as Result<X, O>, grad: settle(out, grad) as GradientArray<X> };
}

function backward(
  fn: string, y: unknown, dy: unknown, options: BackwardOptions | undefined,
  kernel: (k: Kernels, Y: Matrix, D: Matrix, s: number, out: FloatArray) => void,
): FloatArray {
  const o = checkKeys(options, ['classes', 'temperature', 'out', 'dtype'], fn);
  const f32 = isFloat32(y);
  const s = scaleOf(o.temperature, f32);
  const dtype = dtypeOf(o.dtype);
  const Y = asMatrix(y, 'y', o.classes, f32, dtype);
  if (Y.cols === 0) throw new XentError('EMPTY_INPUT', 'y has no entries');
  const D = asMatrixLike(dy, 'dy', Y, 'y', f32, dtype);
  const dst = gradOut(o.out, Y.rows * Y.cols, f32);
  const out = unaliased(dst, [Y.data, D.data]);
  kernel(full(), Y, D, s, out);
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== out[i]) explainNaN(Math.floor(i / Y.cols), [{ name: 'y', m: Y }, { name: 'dy', m: D }]);
  }
  return settle(dst, out);
}

/**
 * Backward pass of softmax: given y = softmax(x / T) and dy = ∂L/∂y, returns ∂L/∂x = (1 / T)·y ⊙ (dy - Σ_j y_j dy_j)
 * per row, in y's dtype (one flat row-major array).
 */
export function softmaxBackward<X extends Batch>(y: X, dy: Batch, options?: BackwardOptions): GradientArray<X> {
  return backward('softmaxBackward', y, dy, options,
    (k, Y, D, s, out) => k.softmaxBackward(Y.data, D.data, Y.rows, Y.cols, s, out)) as GradientArray<X>;
}

/**
 * Backward pass of log-softmax: given y = logSoftmax(x / T) and dy = ∂L/∂y, returns
 * ∂L/∂x = (1 / T)·(dy - exp(y)·Σ_j dy_j) per row, in y's dtype (one flat row-major array).
 */
export function logSoftmaxBackward<X extends Batch>(y: X, dy: Batch, options?: BackwardOptions): GradientArray<X> {
  return backward('logSoftmaxBackward', y, dy, options,
    (k, Y, D, s, out) => k.logSoftmaxBackward(Y.data, D.data, Y.rows, Y.cols, s, out)) as GradientArray<X>;
}
