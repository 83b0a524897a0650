/**
 * Float64 reference gradients for the fuzzer, written from the definitions (nothing here comes from src/). Each
 * returns the gradient and, per element, the magnitude its rounding error is relative to: the check is
 * |got − g| ≤ rel·scale + floor. Where the definition subtracts two terms of similar size (softmax(z) − c, the two
 * halves of the sigmoid gradient, dy − Σ…), the scale is the sum of the terms' magnitudes, as for the losses.
 */
import { accurateSum } from '../reference.js';

export interface GradRef {
  g: number[];
  scale: number[];
  /**
   * An absolute allowance per element, where a subnormal factor (y_j, exp(y_j)) multiplies a large one: the
   * subnormal keeps few bits, so the product is only right to about 2^-1074 times the large factor.
   */
  abs?: number[];
}

/** The absolute error of a product whose subnormal factor is rounded, times the other factor (with room). */
const SUBNORMAL = 2 ** -1070;

/**
 * ∂/∂x of k·Σ_j c_j·(−log softmax(s·x)_j): k·s·(C·p_j − c_j), C = Σ_j c_j, p = softmax(s·x). Masked logits
 * (−Infinity) have p_j = 0.
 *
 * At a unique maximum a the softmax is 1 / (1 + rest) (rest = Σ_{j≠a} exp(z_j − z_a)), so
 * C·p_a − c_a = (Σ_{j≠a} c_j − c_a·rest) / (1 + rest): no cancellation against c_a is left to round. The scale there
 * carries 0.1·C as well (a gradient computed from a rounded C loses about one ulp of C, which this bound allows
 * with room: 1e-14·C in float64, 1e-7·C in float32). The exponentials' arguments z_j − z_a are rounded, relative to
 * |z| (a temperature makes z = s·x inexact): the factor A = 1 + 2·max|z| covers that.
 *
 * Absolute allowances: a coefficient w_j·t_j may underflow (to 0 here, or not in another order of the products);
 * float32 kernels (`f32`) stop their exponential at 2^-126 (not 0), which gives that much of p_j, and form the
 * coefficients in float32, where a product below float32's normal range (1.2e-38) keeps only a multiple of 2^-149.
 */
export function softmaxLossGrad(x: readonly number[], s: number, c: readonly number[], k: number, f32 = false): GradRef {
  const z = x.map((v) => v * s);
  let m = -Infinity;
  let a = -1;
  let ties = 0;
  let big = 0;
  for (let j = 0; j < z.length; j++) {
    if (z[j] > m) {
      m = z[j];
      a = j;
      ties = 1;
    } else if (z[j] === m) ties++;
    if (Number.isFinite(z[j])) big = Math.max(big, Math.abs(z[j]));
  }
  const A = 1 + 2 * big;
  const e = z.map((v) => (v === -Infinity ? 0 : Math.exp(v - m)));
  const rest = accurateSum(e.filter((_, j) => j !== a));
  const S = 1 + rest;
  const C = accurateSum(c);
  const f = Math.abs(k * s);
  const g: number[] = [];
  const scale: number[] = [];
  const abs = z.map(() => f * (SUBNORMAL * (1 + Math.abs(C)) + (f32 ? 2 ** -125 * Math.abs(C) + 2 ** -148 * (1 + z.length) : 0)));
  for (let j = 0; j < z.length; j++) {
    if (ties === 1 && j === a) {
      const others = accurateSum(c.filter((_, i) => i !== a));
      g.push((k * s * (others - c[a] * rest)) / S);
      scale.push((f * (Math.abs(others) + A * Math.abs(c[a]) * rest + 0.1 * Math.abs(C))) / S);
    } else {
      const p = e[j] / S;
      g.push(k * s * (C * p - c[j]));
      scale.push(f * (A * Math.abs(C * p) + Math.abs(c[j])));
    }
  }
  return { g, scale, abs };
}

/** σ(x) without cancellation or overflow on either side. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * ∂/∂x of k·l(x), l the binary cross-entropy from a logit with (smoothed) target t' and positive weight pw:
 * k·((1 − t')·σ(x) − pw·t'·σ(−x)). The scale is σ(x) + pw·t'·σ(−x): the two halves, and the rounding of t' (which
 * float32 kernels form in float32) times σ(x).
 */
export function sigmoidLossGrad(x: number, tp: number, pw: number, k: number): { g: number; scale: number } {
  const sp = sigmoid(x);
  const sn = sigmoid(-x);
  const pos = (1 - tp) * sp;
  const neg = pw * tp * sn;
  return { g: k * (pos - neg), scale: Math.abs(k) * (sp + Math.abs(neg)) };
}

/** Softmax's vector-Jacobian product: s·y_j·(dy_j − Σ_k y_k dy_k). */
export function softmaxBackwardRef(y: readonly number[], dy: readonly number[], s: number): GradRef {
  const terms = y.map((v, j) => v * dy[j]);
  const d = accurateSum(terms);
  const dScale = terms.reduce((acc, t) => acc + Math.abs(t), 0);
  const dyScale = dy.reduce((acc, t) => acc + Math.abs(t), 0);
  return {
    g: y.map((v, j) => s * (v * (dy[j] - d))),
    scale: y.map((v, j) => Math.abs(s * v) * (Math.abs(dy[j]) + Math.abs(d) + dScale)),
    abs: y.map((_, j) => SUBNORMAL * Math.abs(s) * (Math.abs(dy[j] - d) + dyScale)),
  };
}

/** Log-softmax's vector-Jacobian product: s·(dy_j − exp(y_j)·Σ_k dy_k). */
export function logSoftmaxBackwardRef(y: readonly number[], dy: readonly number[], s: number): GradRef {
  const d = accurateSum(dy);
  const dScale = dy.reduce((acc, t) => acc + Math.abs(t), 0);
  return {
    g: y.map((v, j) => s * (dy[j] - Math.exp(v) * d)),
    scale: y.map((v, j) => Math.abs(s) * (Math.abs(dy[j]) + Math.exp(v) * (Math.abs(d) + dScale))),
    abs: y.map(() => SUBNORMAL * Math.abs(s) * dScale),
  };
}
