/**
 * Small TypeScript loops for the few `compat` rules that no kernel computes yet. They run identically on every
 * backend (float64 arithmetic on the values the input holds), so results agree across backends exactly.
 *
 * Each names the fused kernel that would replace it (to be added to src/backend/kernels.ts and both backends).
 */
import type { FloatArray } from '../backend/kernels.js';

/** PyTorch clamps each log at -100: log p < -100 exactly when p < e^-100. */
export const LOG_CLAMP_BELOW = Math.exp(-100);

/**
 * Binary cross-entropy from probabilities under PyTorch's or TF.js' log rule, with the kernel's layout
 * (see Kernels.binaryCrossEntropy for `w`, `wFull`, `out`, `elementwise`; t' = t (1 - smoothing) + smoothing / 2):
 * - `additive >= 0` (TF.js losses.logLoss): l = -(t' log(p + eps) + (1 - t') log(1 - p + eps)), eps = additive;
 * - `additive < 0` (PyTorch binary_cross_entropy): l = -(t' max(log p, -100) + (1 - t') max(log(1 - p), -100)).
 * p is first clipped to [clip, 1 - clip] when clip > 0. A term whose coefficient is 0 contributes 0.
 *
 * Replaced by a fused kernel `binaryCrossEntropyRule(p, t, rows, cols, clip, logFloor, additiveEps, smoothing, w,
 * wFull, out, elementwise)`: the existing binaryCrossEntropy kernel with a log floor and an additive epsilon.
 */
export function binaryCrossEntropyLoop(
  p: FloatArray, t: FloatArray, rows: number, cols: number, clip: number, additive: number, smoothing: number,
  w: FloatArray | null, wFull: boolean, out: Float64Array, elementwise: boolean,
): void {
  const hi = 1 - clip;
  for (let r = 0, i = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < cols; j++, i++) {
      let x = p[i];
      if (clip > 0) x = x < clip ? clip : x > hi ? hi : x;
      const tt = t[i] * (1 - smoothing) + smoothing / 2;
      let lp: number;
      let lq: number;
      if (additive >= 0) {
        lp = Math.log(x + additive);
        lq = Math.log(1 - x + additive);
      } else {
        lp = Math.max(Math.log(x), -100);
        lq = Math.max(Math.log1p(-x), -100);
      }
      const a = tt === 0 ? 0 : tt * lp;
      const b = tt === 1 ? 0 : (1 - tt) * lq;
      const wv = w === null ? 1 : wFull ? w[i] : w[j];
      const l = wv === 0 ? 0 : -(a + b) * wv;
      if (elementwise) out[i] = l;
      else s += l;
    }
    if (!elementwise) out[r] = s;
  }
}

/**
 * Copies `x` with every entry clipped to [lo, hi] (Keras' and TF.js' KL divergence clip both distributions to
 * [1e-7, 1]). Replaced by a `clip` argument on the klDivergence kernel.
 */
export function clipped(x: FloatArray, lo: number, hi: number): FloatArray {
  const out = new (x.constructor as Float64ArrayConstructor)(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}
