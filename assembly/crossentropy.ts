// Fused softmax cross-entropy (integer labels, dense targets) and cross-entropy / weighted sums over probabilities.
// Softmax cross-entropy reads each logit twice: the max pass (rowMax), then one pass that sums the exps and picks
// up the Σ c_j (m - z_j) terms. Loss = (m - z_y) + log Σ exp(z - m) in float64 scalars (see softmax.ts). With labels,
// half-precision logits (softmaxCrossEntropyLabelsHalf) run the same row code on float32 copies widened in the exp
// pass of the row before (halfRow in softmax.ts).

import { expNeg2d, exp64, log1p64, log64, log2d } from './math';
import { at, get, ld2, hsum2, coef2, coef, BLOCK } from './lanes';
import { endHints, halfBegin, halfEnd, halfRow, hintNext, nextCounted, rowMax, rowHasNaN, rowLogSum, logFromSum } from './softmax';
import { denseRow32, denseS, denseA, denseC, denseR, ceRow32, ceOk } from './crossentropy32';

/** Σ_j w_j (X - x_j) and Σ_j w_j for one row (w = 1 when null); zero weights contribute 0 even at masked logits. */
let smoothW: f64 = 0;
function smoothSum<T>(p: usize, cols: i32, X: f64, w: usize): f64 {
  let sum: f64 = 0, W: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    let Xv = f64x2.splat(X), one = f64x2.splat(1);
    while (j + 2 <= cols) {
      let end = min(cols, j + BLOCK);
      let acc = f64x2.splat(0), accW = f64x2.splat(0);
      for (; j + 2 <= end; j += 2) {
        let wv = w ? ld2<T>(w, j) : one;
        acc = f64x2.add(acc, coef2(wv, f64x2.sub(Xv, ld2<T>(p, j))));
        accW = f64x2.add(accW, wv);
      }
      sum += hsum2(acc);
      W += hsum2(accW);
    }
  }
  // Blocked like the vector loops, so the scalar build sums long rows as accurately.
  while (j < cols) {
    let end = min(cols, j + BLOCK);
    let sumBefore = sum;
    sum = 0;
    for (; j < end; j++) {
      let wj = w ? get<T>(w, j) : 1.0;
      sum += coef(wj, X - get<T>(p, j));
      W += wj;
    }
    sum = sumBefore + sum;
  }
  smoothW = W;
  return sum;
}

/** One counted row (label y >= 0) of softmaxCrossEntropyLabels: writes its nll (and smooth, when not 0). */
function labelsRow<T>(p: usize, cols: i32, s: f64, y: i32, w: usize, nll: usize, smooth: usize): void {
  let X = rowMax<T>(p, cols);
  let m = s * X;
  let xy = get<T>(p, y);
  if (m == -Infinity) {
    // Every logit masked: each term lse - z_j with a nonzero coefficient is +Infinity (as for z_y = -Infinity).
    let bad = rowHasNaN<T>(p, cols);
    store<f64>(nll, bad ? NaN : Infinity);
    if (smooth) {
      smoothSum<T>(p, cols, 0, w);
      store<f64>(smooth, bad ? NaN : (smoothW > 0 ? Infinity : smoothW * 0));
    }
    return;
  }
  // The nll's exact part s·(X - x_y) >= 0 lets the fast sum serve most rows (see logFromSum); the smoothed
  // loss adds log Σ to other terms, so it keeps the plain rule.
  let lg = rowLogSum<T>(p, cols, X, s, smooth != 0 || !(s * xy > -Infinity) ? 0 : s * (X - xy));
  let loss = s * xy == -Infinity ? (isNaN(lg) ? lg : Infinity) : s * (X - xy) + lg;
  store<f64>(nll, loss);
  if (smooth) {
    let a = smoothSum<T>(p, cols, X, w);
    store<f64>(smooth, s * a + smoothW * lg);
  }
}

export function softmaxCrossEntropyLabels<T>(
  x: usize, rows: i32, cols: i32, s: f64, labels: usize, w: usize, nll: usize, smooth: usize,
): void {
  for (let r = 0; r < rows; r++) {
    let o = <usize>r << 3;
    let y = load<i32>(labels + (<usize>r << 2));
    hintNext<T>(x, r, rows, cols);
    if (y < 0) {
      store<f64>(nll + o, 0);
      if (smooth) store<f64>(smooth + o, 0);
      continue;
    }
    labelsRow<T>(at<T>(x, r * cols), cols, s, y, w, nll + o, smooth ? smooth + o : 0);
  }
  endHints();
}

/** softmaxCrossEntropyLabels on half-precision logits (H: see half.ts), widened row by row in the exp pass. */
export function softmaxCrossEntropyLabelsHalf<H>(
  x: usize, rows: i32, cols: i32, s: f64, labels: usize, w: usize, nll: usize, smooth: usize, scratch: usize,
): void {
  halfBegin<H>(scratch, cols);
  let next = nextCounted(labels, -1, rows);
  for (let r = 0; r < rows; r++) {
    let o = <usize>r << 3;
    if (r != next) {
      store<f64>(nll + o, 0);
      if (smooth) store<f64>(smooth + o, 0);
      continue;
    }
    next = nextCounted(labels, r, rows);
    let p = halfRow<H>(x, r, next, cols);
    labelsRow<f32>(p, cols, s, load<i32>(labels + (<usize>r << 2)), w, nll + o, smooth ? smooth + o : 0);
  }
  halfEnd();
}

/**
 * Dense targets. One pass after the max: the exp sum (ones excluded, as in expRest, but in float64 lanes) and
 * A = Σ c_j (X - x_j), C = Σ c_j, R = Σ w_j t_j. out = s·A + C·log1p(rest).
 */
export function softmaxCrossEntropyDense<T>(
  x: usize, t: usize, rows: i32, cols: i32, s: f64, eps: f64, w: usize, out: usize, rowWeight: usize,
): void {
  let a1 = 1 - eps, a0 = eps / <f64>cols;
  for (let r = 0; r < rows; r++) {
    let o = <usize>r << 3;
    let p = at<T>(x, r * cols), tp = at<T>(t, r * cols);
    let X = rowMax<T>(p, cols);
    let m = s * X;
    let masked = m == -Infinity;
    let Xs = masked ? 0 : X; // all masked: the pass only gathers C and R
    let sum: f64 = 0, A: f64 = 0, C: f64 = 0, R: f64 = 0;
    let k: i64 = 0;
    let j = 0;
    // Float32 rows: f32 lanes (crossentropy32.ts), unless a coefficient is a float32 subnormal, or the weighted
    // R = Σ w_j t_j is below 2^-100, where the float32 rounding of its subnormal terms (2^-150 each) would show: then
    // the float64 lanes below redo the row. log Σ exp by logFromSum, the exact part being s·A/C (the loss is
    // C·(s·A/C + log Σ); C = 0 leaves log Σ out of it). The tail elements are added in float64.
    if (ASC_FEATURE_SIMD && sizeof<T>() == 4 && !masked && denseRow32(p, tp, cols & ~3, X, s, a1, a0, w)
      && (!w || denseR >= 7.888609052210118e-31)) {
      let n4 = cols & ~3;
      let S = denseS;
      A = denseA; C = denseC; R = denseR;
      for (j = n4; j < cols; j++) {
        let xj = get<T>(p, j), tj = get<T>(tp, j);
        let wj = w ? get<T>(w, j) : 1.0;
        S += exp64((xj - X) * s);
        let c = wj * (a1 * tj + a0);
        A += coef(c, X - xj);
        C += c;
        R += wj * tj;
      }
      let lg = logFromSum<T>(S, p, cols, X, s, C > 0 ? s * A / C : (C == 0 ? Infinity : 0));
      store<f64>(out + o, s * A + C * lg);
      if (rowWeight) store<f64>(rowWeight + o, R);
      continue;
    }
    if (ASC_FEATURE_SIMD) {
      let Xv = f64x2.splat(Xs), sv = f64x2.splat(s), one = f64x2.splat(1);
      let va1 = f64x2.splat(a1), va0 = f64x2.splat(a0);
      let cnt = i64x2.splat(0);
      while (j + 2 <= cols) {
        let end = min(cols, j + BLOCK);
        let accE = f64x2.splat(0), accA = accE, accC = accE, accR = accE;
        for (; j + 2 <= end; j += 2) {
          let xv = ld2<T>(p, j), tv = ld2<T>(tp, j);
          let wv = w ? ld2<T>(w, j) : one;
          let d = f64x2.mul(f64x2.sub(xv, Xv), sv);
          let z = f64x2.eq(d, f64x2.splat(0));
          accE = f64x2.add(accE, v128.andnot(expNeg2d(d), z));
          cnt = i64x2.add(cnt, z);
          let c = f64x2.mul(wv, f64x2.add(f64x2.mul(va1, tv), va0));
          accA = f64x2.add(accA, coef2(c, f64x2.sub(Xv, xv)));
          accC = f64x2.add(accC, c);
          accR = f64x2.add(accR, f64x2.mul(wv, tv));
        }
        sum += hsum2(accE); A += hsum2(accA); C += hsum2(accC); R += hsum2(accR);
      }
      k = -(i64x2.extract_lane(cnt, 0) + i64x2.extract_lane(cnt, 1));
    }
    // Blocked like the vector loops, so the scalar build sums long rows as accurately.
    while (j < cols) {
      let end = min(cols, j + BLOCK);
      let sumBefore = sum;
      let ABefore = A;
      sum = 0;
      A = 0;
      for (; j < end; j++) {
        let xj = get<T>(p, j), tj = get<T>(tp, j);
        let wj = w ? get<T>(w, j) : 1.0;
        let d = (xj - Xs) * s;
        if (d == 0) k++; else sum += exp64(d);
        let c = wj * (a1 * tj + a0);
        A += coef(c, Xs - xj);
        C += c;
        R += wj * tj;
      }
      sum = sumBefore + sum;
      A = ABefore + A;
    }
    let res: f64;
    if (masked) res = rowHasNaN<T>(p, cols) ? NaN : (C > 0 ? Infinity : C * 0);
    else res = s * A + C * log1p64(<f64>(k - 1) + sum);
    store<f64>(out + o, res);
    if (rowWeight) store<f64>(rowWeight + o, R);
  }
}

/** out[r] = -Σ w_j t_j log(qc_j), qc = q clamped to [lo, hi] unless that is [0, 1]; zero coefficients contribute 0. */
export function crossEntropy<T>(t: usize, q: usize, rows: i32, cols: i32, lo: f64, hi: f64, w: usize, out: usize): void {
  let doClip = lo > 0 || hi < 1;
  for (let r = 0; r < rows; r++) {
    let qp = at<T>(q, r * cols), tp = t ? at<T>(t, r * cols) : 0;
    let sum: f64 = 0;
    let j = 0;
    if (ASC_FEATURE_SIMD && sizeof<T>() == 4 && !doClip) {
      // Float32 rows in f32 lanes (crossentropy32.ts) unless clipped (the clip bounds are float64 values, which
      // float32 lanes would round); rows it cannot take go through the float64 lanes below.
      let n4 = cols & ~3;
      sum = ceRow32(tp, qp, w, n4);
      if (ceOk) j = n4; else sum = 0;
    }
    if (ASC_FEATURE_SIMD) {
      let one = f64x2.splat(1), vlo = f64x2.splat(lo), vhi = f64x2.splat(hi);
      while (j + 2 <= cols) {
        let end = min(cols, j + BLOCK);
        let acc = f64x2.splat(0);
        for (; j + 2 <= end; j += 2) {
          let qv = ld2<T>(qp, j);
          if (doClip) qv = f64x2.pmax(f64x2.pmin(qv, vhi), vlo);
          let a = t ? ld2<T>(tp, j) : one;
          if (w) a = f64x2.mul(a, ld2<T>(w, j));
          acc = f64x2.add(acc, coef2(a, log2d(qv)));
        }
        sum += hsum2(acc);
      }
    }
    // Blocked like the vector loops, so the scalar build sums long rows as accurately.
    while (j < cols) {
      let end = min(cols, j + BLOCK);
      let sumBefore = sum;
      sum = 0;
      for (; j < end; j++) {
        let qj = get<T>(qp, j);
        if (doClip) qj = qj > hi ? hi : (qj < lo ? lo : qj);
        let a = t ? get<T>(tp, j) : 1.0;
        if (w) a *= get<T>(w, j);
        sum += coef(a, log64(qj));
      }
      sum = sumBefore + sum;
    }
    store<f64>(out + (<usize>r << 3), 0 - sum); // 0 - sum: an exact zero loss is +0, not -0
  }
}

/** out[r] = Σ w_j t_j x_j; zero coefficients contribute 0. */
export function dot<T>(t: usize, x: usize, rows: i32, cols: i32, w: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    let xp = at<T>(x, r * cols), tp = t ? at<T>(t, r * cols) : 0;
    let sum: f64 = 0;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      let one = f64x2.splat(1);
      while (j + 2 <= cols) {
        let end = min(cols, j + BLOCK);
        let acc = f64x2.splat(0);
        for (; j + 2 <= end; j += 2) {
          let a = t ? ld2<T>(tp, j) : one;
          if (w) a = f64x2.mul(a, ld2<T>(w, j));
          acc = f64x2.add(acc, coef2(a, ld2<T>(xp, j)));
        }
        sum += hsum2(acc);
      }
    }
    // Blocked like the vector loops, so the scalar build sums long rows as accurately.
    while (j < cols) {
      let end = min(cols, j + BLOCK);
      let sumBefore = sum;
      sum = 0;
      for (; j < end; j++) {
        let a = t ? get<T>(tp, j) : 1.0;
        if (w) a *= get<T>(w, j);
        sum += coef(a, get<T>(xp, j));
      }
      sum = sumBefore + sum;
    }
    store<f64>(out + (<usize>r << 3), sum);
  }
}
