// The module's exports: for each Kernels method `name`, `name_f32` and `name_f64` (arrays as pointers, 0 for null;
// rows, cols, n and booleans as i32; other numbers as f64), plus heapBase and the SIMD flag. See src/backend/kernels.ts.
// Some kernels also take half-precision logits as bits: `name_f16` / `name_bf16`, the arguments of `name_f32` and a
// scratch pointer last (room for two rows of float32, each rounded up to 16 bytes).

import { logSumExp, softmax, logSoftmax } from './softmax';
import { softmaxCrossEntropyLabels, softmaxCrossEntropyLabelsHalf, softmaxCrossEntropyDense, crossEntropy, dot } from './crossentropy';
import { BFloat16Bits, Float16Bits } from './half';
import { entropy, klDivergence, klDivergenceChecked, jsDivergence, rowStats } from './divergence';
import { binaryCrossEntropy, sigmoidCrossEntropy, binaryEntropy } from './binary';
import { madd2, madd4 } from './fused';

/** True when this build uses SIMD (release target); false in the scalar build. */
export const HAS_SIMD: bool = ASC_FEATURE_SIMD;

export function hasSimd(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

/** 1 in the relaxed-SIMD build (fused multiply-adds in the exp and log helpers, assembly/fused.ts), else 0. */
export function hasRelaxedSimd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/**
 * a·b + c through the kernels' own multiply-add helpers (lane 0 of madd4 / madd2), for the loader to see whether
 * this runtime fuses them (src/backend/select.ts): the arguments come from JavaScript, so nothing is folded here.
 */
export function probeMadd32(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_SIMD) return f32x4.extract_lane(madd4(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  return a * b + c;
}

export function probeMadd64(a: f64, b: f64, c: f64): f64 {
  if (ASC_FEATURE_SIMD) return f64x2.extract_lane(madd2(f64x2.splat(a), f64x2.splat(b), f64x2.splat(c)), 0);
  return a * b + c;
}

/** Start of free memory: the wrapper's scratch arena begins here (the kernels allocate nothing). */
export function heapBase(): usize {
  return __heap_base;
}

export function logSumExp_f32(x: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  logSumExp<f32>(x, rows, cols, s, out);
}

export function logSumExp_f64(x: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  logSumExp<f64>(x, rows, cols, s, out);
}

export function softmax_f32(x: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  softmax<f32>(x, rows, cols, s, out);
}

export function softmax_f64(x: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  softmax<f64>(x, rows, cols, s, out);
}

export function logSoftmax_f32(x: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  logSoftmax<f32>(x, rows, cols, s, out);
}

export function logSoftmax_f64(x: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  logSoftmax<f64>(x, rows, cols, s, out);
}

export function softmaxCrossEntropyLabels_f32(x: usize, rows: i32, cols: i32, s: f64, labels: usize, w: usize, nll: usize, smooth: usize): void {
  softmaxCrossEntropyLabels<f32>(x, rows, cols, s, labels, w, nll, smooth);
}

export function softmaxCrossEntropyLabels_f64(x: usize, rows: i32, cols: i32, s: f64, labels: usize, w: usize, nll: usize, smooth: usize): void {
  softmaxCrossEntropyLabels<f64>(x, rows, cols, s, labels, w, nll, smooth);
}

export function softmaxCrossEntropyLabels_f16(x: usize, rows: i32, cols: i32, s: f64, labels: usize, w: usize, nll: usize, smooth: usize, scratch: usize): void {
  softmaxCrossEntropyLabelsHalf<Float16Bits>(x, rows, cols, s, labels, w, nll, smooth, scratch);
}

export function softmaxCrossEntropyLabels_bf16(x: usize, rows: i32, cols: i32, s: f64, labels: usize, w: usize, nll: usize, smooth: usize, scratch: usize): void {
  softmaxCrossEntropyLabelsHalf<BFloat16Bits>(x, rows, cols, s, labels, w, nll, smooth, scratch);
}

export function softmaxCrossEntropyDense_f32(x: usize, t: usize, rows: i32, cols: i32, s: f64, eps: f64, w: usize, out: usize, rowWeight: usize): void {
  softmaxCrossEntropyDense<f32>(x, t, rows, cols, s, eps, w, out, rowWeight);
}

export function softmaxCrossEntropyDense_f64(x: usize, t: usize, rows: i32, cols: i32, s: f64, eps: f64, w: usize, out: usize, rowWeight: usize): void {
  softmaxCrossEntropyDense<f64>(x, t, rows, cols, s, eps, w, out, rowWeight);
}

export function crossEntropy_f32(t: usize, q: usize, rows: i32, cols: i32, lo: f64, hi: f64, w: usize, out: usize): void {
  crossEntropy<f32>(t, q, rows, cols, lo, hi, w, out);
}

export function crossEntropy_f64(t: usize, q: usize, rows: i32, cols: i32, lo: f64, hi: f64, w: usize, out: usize): void {
  crossEntropy<f64>(t, q, rows, cols, lo, hi, w, out);
}

export function dot_f32(t: usize, x: usize, rows: i32, cols: i32, w: usize, out: usize): void {
  dot<f32>(t, x, rows, cols, w, out);
}

export function dot_f64(t: usize, x: usize, rows: i32, cols: i32, w: usize, out: usize): void {
  dot<f64>(t, x, rows, cols, w, out);
}

export function entropy_f32(p: usize, rows: i32, cols: i32, out: usize): void {
  entropy<f32>(p, rows, cols, out);
}

export function entropy_f64(p: usize, rows: i32, cols: i32, out: usize): void {
  entropy<f64>(p, rows, cols, out);
}

export function klDivergence_f32(p: usize, q: usize, rows: i32, cols: i32, out: usize): void {
  klDivergence<f32>(p, q, rows, cols, out);
}

export function klDivergence_f64(p: usize, q: usize, rows: i32, cols: i32, out: usize): void {
  klDivergence<f64>(p, q, rows, cols, out);
}

export function klDivergenceChecked_f32(p: usize, q: usize, rows: i32, cols: i32, tol: f64, out: usize): i32 {
  return klDivergenceChecked<f32>(p, q, rows, cols, tol, out);
}

export function klDivergenceChecked_f64(p: usize, q: usize, rows: i32, cols: i32, tol: f64, out: usize): i32 {
  return klDivergenceChecked<f64>(p, q, rows, cols, tol, out);
}

export function jsDivergence_f32(p: usize, q: usize, rows: i32, cols: i32, out: usize): void {
  jsDivergence<f32>(p, q, rows, cols, out);
}

export function jsDivergence_f64(p: usize, q: usize, rows: i32, cols: i32, out: usize): void {
  jsDivergence<f64>(p, q, rows, cols, out);
}

export function rowStats_f32(x: usize, rows: i32, cols: i32, sum: usize, min: usize, max: usize): void {
  rowStats<f32>(x, rows, cols, sum, min, max);
}

export function rowStats_f64(x: usize, rows: i32, cols: i32, sum: usize, min: usize, max: usize): void {
  rowStats<f64>(x, rows, cols, sum, min, max);
}

export function binaryCrossEntropy_f32(p: usize, t: usize, rows: i32, cols: i32, lo: f64, hi: f64, smoothing: f64, w: usize, wFull: i32, out: usize, elementwise: i32): void {
  binaryCrossEntropy<f32>(p, t, rows, cols, lo, hi, smoothing, w, wFull != 0, out, elementwise != 0);
}

export function binaryCrossEntropy_f64(p: usize, t: usize, rows: i32, cols: i32, lo: f64, hi: f64, smoothing: f64, w: usize, wFull: i32, out: usize, elementwise: i32): void {
  binaryCrossEntropy<f64>(p, t, rows, cols, lo, hi, smoothing, w, wFull != 0, out, elementwise != 0);
}

export function sigmoidCrossEntropy_f32(x: usize, t: usize, rows: i32, cols: i32, smoothing: f64, w: usize, wFull: i32, posWeight: usize, out: usize, elementwise: i32): void {
  sigmoidCrossEntropy<f32>(x, t, rows, cols, smoothing, w, wFull != 0, posWeight, out, elementwise != 0);
}

export function sigmoidCrossEntropy_f64(x: usize, t: usize, rows: i32, cols: i32, smoothing: f64, w: usize, wFull: i32, posWeight: usize, out: usize, elementwise: i32): void {
  sigmoidCrossEntropy<f64>(x, t, rows, cols, smoothing, w, wFull != 0, posWeight, out, elementwise != 0);
}

export function sigmoidCrossEntropyChecked_f32(x: usize, t: usize, rows: i32, cols: i32, smoothing: f64, w: usize, wFull: i32, posWeight: usize, out: usize, elementwise: i32): i32 {
  return sigmoidCrossEntropy<f32>(x, t, rows, cols, smoothing, w, wFull != 0, posWeight, out, elementwise != 0, 0, 0, true);
}

export function sigmoidCrossEntropyChecked_f64(x: usize, t: usize, rows: i32, cols: i32, smoothing: f64, w: usize, wFull: i32, posWeight: usize, out: usize, elementwise: i32): i32 {
  return sigmoidCrossEntropy<f64>(x, t, rows, cols, smoothing, w, wFull != 0, posWeight, out, elementwise != 0, 0, 0, true);
}

export function binaryEntropy_f32(p: usize, n: i32, out: usize): void {
  binaryEntropy<f32>(p, n, out);
}

export function binaryEntropy_f64(p: usize, n: i32, out: usize): void {
  binaryEntropy<f64>(p, n, out);
}

export {
  softmaxCrossEntropyLabelsGrad_f32, softmaxCrossEntropyLabelsGrad_f64,
  softmaxCrossEntropyDenseGrad_f32, softmaxCrossEntropyDenseGrad_f64,
  sigmoidCrossEntropyGrad_f32, sigmoidCrossEntropyGrad_f64,
  softmaxBackward_f32, softmaxBackward_f64, logSoftmaxBackward_f32, logSoftmaxBackward_f64,
} from './gradients';

export { softmaxEvalLabels_f32, softmaxEvalLabels_f64, softmaxEvalLabels_f16, softmaxEvalLabels_bf16 } from './evaluate';

// Half precision (assembly/half.ts): the widening the wrapper applies to half input of kernels without a fused
// half variant (`<name>_f16` / `<name>_bf16`, above).
export { widen_f32, widen_f64 } from './half';

export { scoreTokens_f32, scoreTokens_f64 } from './score';

// Comparing two models (assembly/compare.ts): half input is widened per chunk by the wrapper.
export { compareRows_f32, compareRows_f64 } from './compare';
