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
 * p is first clipped to [lo, hi]. A term whose coefficient is 0 contributes 0.
 *
 * Replaced by a fused kernel `binaryCrossEntropyRule(p, t, rows, cols, lo, hi, logFloor, additiveEps, smoothing, w,
 * wFull, out, elementwise)`: the existing binaryCrossEntropy kernel with a log floor and an additive epsilon.
 */
export function binaryCrossEntropyLoop(
  p: FloatArray, t: FloatArray, rows: number, cols: number, lo: number, hi: number, additive: number,
  smoothing: number, w: FloatArray | null, wFull: boolean, out: Float64Array, elementwise: boolean,
): void {
  for (let r = 0, i = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < cols; j++, i++) {
      const x = Math.min(Math.max(p[i], lo), hi);
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

/**
 * KL terms with log-space inputs (PyTorch's kl_div: `input` = log q, `log_target`): per element
 * p·(log p - log q), with p = exp(lp) where `logP` (lp = log p) and log q = lq where `logQ`; p = 0 contributes 0,
 * p > 0 against log q = -Infinity gives +Infinity. Written per element (`elementwise`) or summed per row. Replaced
 * by a `klDivergenceLog(p, q, rows, cols, logP, logQ, out, elementwise)` kernel.
 */
export function klLogLoop(
  p: FloatArray, q: FloatArray, rows: number, cols: number, logP: boolean, logQ: boolean, out: Float64Array,
  elementwise: boolean,
): void {
  for (let r = 0, i = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < cols; j++, i++) {
      const pp = logP ? Math.exp(p[i]) : p[i];
      const term = pp === 0 ? 0 : pp * ((logP ? p[i] : Math.log(p[i])) - (logQ ? q[i] : Math.log(q[i])));
      if (elementwise) out[i] = term;
      else s += term;
    }
    if (!elementwise) out[r] = s;
  }
}
