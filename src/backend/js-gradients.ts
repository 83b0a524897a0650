/**
 * Pure-TypeScript gradient kernels (the loss-and-gradient methods of the Kernels interface), spread into jsKernels.
 * Same conventions as js.ts: float64 JS numbers whatever the array type, index loops, nothing allocated per row.
 *
 * Softmax rows take three passes: the max; one pass that sums the exps and stores e_j = exp(z_j - m) in `grad` (the
 * softmax is formed in the gradient buffer, which is needed anyway); one pass that turns e_j into the gradient
 * scale · (C · e_j / S - c_j) in place. The losses are computed exactly as the loss kernels compute them.
 */
import type { FloatArray, FloatKernels } from './kernels.js';
import { BLOCK, rowMax } from './js-common.js';

type GradientKernels = Pick<
  FloatKernels,
  'softmaxCrossEntropyLabelsGrad' | 'softmaxCrossEntropyDenseGrad' | 'sigmoidCrossEntropyGrad' |
  'softmaxBackward' | 'logSoftmaxBackward'
>;

/** Results of expPass (module state: nothing is allocated per row). */
let passK = 0;
let passRest = 0;
let passArg = -1;

/**
 * Stores e_j = exp(d_j), d_j = (x_j - X)·s, in grad[off..off+n) and sets passK (how many x_j equal the max X),
 * passRest (Σ of the other exps, in blocks) and passArg (the first index at the max). The sum of the row's exps is
 * passK + passRest.
 */
function expPass(x: FloatArray, off: number, n: number, s: number, X: number, grad: FloatArray): void {
  let k = 0;
  let rest = 0;
  let arg = -1;
  for (let b = off, end = off + n; b < end; b += BLOCK) {
    let part = 0;
    for (let j = b, e = Math.min(b + BLOCK, end); j < e; j++) {
      const v = x[j];
      if (v === X) {
        if (k === 0) arg = j;
        k++;
        grad[j] = 1;
      } else {
        const ev = Math.exp((v - X) * s); // NaN lands here and poisons the row
        part += ev;
        grad[j] = ev;
      }
    }
    rest += part;
  }
  passK = k;
  passRest = rest;
  passArg = arg;
}

/**
 * With a single maximum (p_a = 1 / S), C·p_a - c_a cancels when the row is confident; written as
 * ((C - c_a) - c_a·rest) / S it keeps its relative accuracy (C - c_a is exact when c_a >= C / 2, Sterbenz).
 */
function atMax(C: number, c: number, rest: number, S: number): number {
  return (C - c - c * rest) / S;
}

export const gradientKernels: GradientKernels = {
  softmaxCrossEntropyLabelsGrad(x, rows, cols, s, labels, w, eps, scale, nll, smooth, grad) {
    const a = 1 - eps;
    const b = eps / cols;
    let wSum = cols;
    if (w !== null) {
      wSum = 0;
      for (let j = 0; j < cols; j++) wSum += w[j];
    }
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      const end = off + cols;
      const y = labels[r];
      if (y < 0) {
        nll[r] = 0;
        if (smooth !== null) smooth[r] = 0;
        grad.fill(0, off, end);
        continue;
      }
      const X = rowMax(x, off, cols);
      if (X === Infinity) {
        nll[r] = NaN; // as softmaxCrossEntropyLabels: undefined softmax, the API rejects it
        if (smooth !== null) smooth[r] = NaN;
        grad.fill(NaN, off, end);
        continue;
      }
      const dMax = X === -Infinity ? Infinity : 0;
      const xy = x[off + y]; // read before the pass: grad may be x itself
      let acc = 0;
      if (smooth !== null) {
        // Σ_j w_j (X - x_j) in blocks; a zero weight on a masked class is 0, not NaN.
        for (let b = off, c0 = 0; b < end; b += BLOCK, c0 += BLOCK) {
          let a = 0;
          for (let j = b, c = c0, e = Math.min(b + BLOCK, end); j < e; j++, c++) {
            const v = x[j];
            const wj = w === null ? 1 : w[c];
            if (wj !== 0) a += wj * (v === X ? dMax : X - v);
          }
          acc += a;
        }
      }
      expPass(x, off, cols, s, X, grad);
      const k = passK;
      const rest = passRest;
      const l = Math.log1p(k - 1 + rest);
      nll[r] = (xy === X ? dMax : s * (X - xy)) + l;
      if (smooth !== null) smooth[r] = s * acc + wSum * l;
      const sc = scale[r];
      if (sc === 0) {
        grad.fill(0, off, end);
        continue;
      }
      const S = k + rest;
      const wy = w === null ? 1 : w[y];
      const A = a * wy + b * wSum;
      const alpha = (sc * A) / S;
      const beta = sc * b;
      if (w === null) for (let j = off; j < end; j++) grad[j] = alpha * grad[j] - beta;
      else for (let j = off, c = 0; j < end; j++, c++) grad[j] = alpha * grad[j] - beta * w[c];
      grad[off + y] -= sc * a * wy;
      if (k === 1) {
        const ja = passArg - off;
        const ca = b * (w === null ? 1 : w[ja]) + (ja === y ? a * wy : 0);
        grad[passArg] = sc * atMax(A, ca, rest, S);
      }
    }
  },

  softmaxCrossEntropyDenseGrad(x, t, rows, cols, s, eps, w, scale, out, grad) {
    const ta = 1 - eps;
    const tb = eps / cols;
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      const end = off + cols;
      const X = rowMax(x, off, cols);
      if (X === Infinity) {
        out[r] = NaN;
        grad.fill(NaN, off, end);
        continue;
      }
      const dMax = X === -Infinity ? Infinity : 0;
      // Σ_j c_j (X - x_j) and C = Σ_j c_j (in blocks, as the loss kernel), read before the exp pass overwrites grad
      // (which may be x itself).
      let acc = 0;
      let C = 0;
      for (let b = off, i0 = 0; b < end; b += BLOCK, i0 += BLOCK) {
        let a = 0;
        let cs = 0;
        for (let j = b, i = i0, e = Math.min(b + BLOCK, end); j < e; j++, i++) {
          const c = (w === null ? 1 : w[i]) * (ta * t[j] + tb);
          cs += c;
          if (c !== 0) a += c * (x[j] === X ? dMax : X - x[j]);
        }
        acc += a;
        C += cs;
      }
      expPass(x, off, cols, s, X, grad);
      const k = passK;
      const rest = passRest;
      out[r] = s * acc + C * Math.log1p(k - 1 + rest);
      const sc = scale[r];
      if (sc === 0) {
        grad.fill(0, off, end);
        continue;
      }
      const S = k + rest;
      const alpha = (sc * C) / S;
      for (let j = off, i = 0; j < end; j++, i++) {
        grad[j] = alpha * grad[j] - sc * (w === null ? 1 : w[i]) * (ta * t[j] + tb);
      }
      if (k === 1) {
        const ja = passArg - off;
        grad[passArg] = sc * atMax(C, (w === null ? 1 : w[ja]) * (ta * t[passArg] + tb), rest, S);
      }
    }
  },

  sigmoidCrossEntropyGrad(x, t, rows, cols, smoothing, w, wFull, posWeight, scale, out, elementwise, grad) {
    // Loss as sigmoidCrossEntropy in js.ts. Gradient c·σ(x) - pw·t' over the common denominator 1 + e:
    //   x >= 0, e = exp(-x): ((1 - t') - pw·t'·e) / (1 + e);   x < 0, e = exp(x): ((1 - t')·e - pw·t') / (1 + e),
    // so a confident, correct logit keeps its tiny gradient (σ(x) - 1 would round to 0).
    const ta = 1 - smoothing;
    const tb = smoothing / 2;
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      let acc = 0;
      const sc = scale[r];
      for (let j = 0, i = off; j < cols; j++, i++) {
        const v = x[i];
        const ab = Math.abs(v);
        const tp = ta * t[i] + tb;
        const pw = posWeight === null ? 1 : posWeight[j];
        const e = Math.exp(-ab);
        let l = (1 - tp) * (0.5 * v + 0.5 * ab) + pw * tp * (0.5 * ab - 0.5 * v) + (1 + (pw - 1) * tp) * Math.log1p(e);
        if (l !== l) l = sigmoidEdge(v, tp, pw);
        const wv = w === null ? 1 : wFull ? w[i] : w[j];
        if (w !== null) l = wv === 0 && l === Infinity ? 0 : wv * l;
        if (elementwise) out[i] = l;
        else acc += l;
        const g = v >= 0 ? ((1 - tp) - pw * tp * e) / (1 + e) : ((1 - tp) * e - pw * tp) / (1 + e);
        grad[i] = sc === 0 || wv === 0 ? 0 : sc * wv * g;
      }
      if (!elementwise) out[r] = acc;
    }
  },

  softmaxBackward(y, dy, rows, cols, s, out) {
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      const end = off + cols;
      let d = 0;
      for (let j = off; j < end; j++) d += y[j] * dy[j];
      for (let j = off; j < end; j++) out[j] = s * y[j] * (dy[j] - d);
    }
  },

  logSoftmaxBackward(y, dy, rows, cols, s, out) {
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      const end = off + cols;
      let d = 0;
      for (let j = off; j < end; j++) d += dy[j];
      for (let j = off; j < end; j++) out[j] = s * (dy[j] - Math.exp(y[j]) * d);
    }
  },
};

/** As in js.ts: the limit of the binary loss at an infinite logit, NaN for NaN input. */
function sigmoidEdge(x: number, tp: number, pw: number): number {
  if (x !== x || tp !== tp || pw !== pw) return NaN;
  const cp = 1 - tp;
  const cn = pw * tp;
  if (x > 0) return cp === 0 ? 0 : cp * x;
  return cn === 0 ? 0 : cn * -x;
}
