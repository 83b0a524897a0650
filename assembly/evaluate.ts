// The evaluation kernel (softmaxEvalLabels in src/backend/kernels.ts): per row with label y, the softmax
// cross-entropy exactly as softmaxCrossEntropyLabels (s = 1, no smoothing), the rank of the true class
// (#{j : x_j > x_y}), the first index of the max, max_j p_j and Σ_j p_j² for the Brier score.
//
// Float32 rows (SIMD build): the max pass, then one pass that is expSum32 of softmax.ts (the same blocks, lanes and
// order, so S and hence the loss are bit-for-bit those of softmaxCrossEntropyLabels) with the comparison count
// and Σ e² riding along; then a scan for the first index of the max that stops there. log Σ exp goes through
// logFromSum, as there (a confident row takes the precise pass).
// Float64 rows (and the scalar build): rowLogSum as softmaxCrossEntropyLabels, then one pass for the rest.

import { exp64, expNeg2d } from './math';
import { hsum4, LOG2E_F32, EXP2_CONSTS, exp2NegK } from './math32';
import { at, get, ld2, hsum2, BLOCK } from './lanes';
import { rowMax, rowHasNaN, rowLogSum, logFromSum } from './softmax';

/** Results of the row passes: Σ e², #{x_j > x_y}, first index of the max (-1: none). */
let eQ: f64 = 0;
let eAbove: i32 = 0;
let eTop: i32 = -1;

/** First j in [j0, j1) with x_j == X, or -1. */
function firstEqual<T>(p: usize, j0: i32, j1: i32, X: f64): i32 {
  for (let j = j0; j < j1; j++) if (get<T>(p, j) == X) return j;
  return -1;
}

/**
 * First j with x_j == X in a float32 row, or -1: a scan that stops at the first 16 elements holding X (tracking
 * the index in the exp pass, or block maxima in the max pass, measured slower; this is half a row of compares on
 * average, the row being in cache).
 */
function firstMax32(p: usize, cols: i32, X: f32): i32 {
  let Xv = f32x4.splat(X);
  let j = 0;
  for (; j + 16 <= cols; j += 16) {
    let q = p + (<usize>j << 2);
    let h = v128.or(v128.or(f32x4.eq(v128.load(q), Xv), f32x4.eq(v128.load(q, 16), Xv)),
                    v128.or(f32x4.eq(v128.load(q, 32), Xv), f32x4.eq(v128.load(q, 48), Xv)));
    if (v128.any_true(h)) break;
  }
  for (; j < cols; j++) if (load<f32>(p + (<usize>j << 2)) == X) return j;
  return -1;
}

/**
 * Float32 rows: returns S = Σ exp(x_j - X) exactly as expSum32 (softmax.ts) computes it for s = 1, and sets eQ =
 * Σ exp(x_j - X)² (the same f32 terms squared, f32 lane sums flushed to float64 per block), eAbove, eTop.
 */
function evalPass32(p: usize, cols: i32, X: f64, xy: f64): f64 {
  let Xv = f32x4.splat(<f32>X), c = f32x4.splat(LOG2E_F32), yv = f32x4.splat(<f32>xy);
  const K = EXP2_CONSTS;
  let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
  let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96), one = v128.load(K, 112);
  let sum: f64 = 0, sumQ: f64 = 0;
  let cnt = i32x4.splat(0);
  let j = 0;
  while (j + 32 <= cols) {
    let end = min(cols, j + 128);
    let a0 = f32x4.splat(0), a1 = a0, q0 = a0, q1 = a0;
    for (; j + 32 <= end; j += 32) {
      let q = p + (<usize>j << 2);
      let v = v128.load(q), e = exp2NegK(f32x4.mul(f32x4.sub(v, Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e); q0 = f32x4.add(q0, f32x4.mul(e, e));
      cnt = i32x4.add(cnt, f32x4.gt(v, yv));
      v = v128.load(q, 16); e = exp2NegK(f32x4.mul(f32x4.sub(v, Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a1 = f32x4.add(a1, e); q1 = f32x4.add(q1, f32x4.mul(e, e));
      cnt = i32x4.add(cnt, f32x4.gt(v, yv));
      v = v128.load(q, 32); e = exp2NegK(f32x4.mul(f32x4.sub(v, Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e); q0 = f32x4.add(q0, f32x4.mul(e, e));
      cnt = i32x4.add(cnt, f32x4.gt(v, yv));
      v = v128.load(q, 48); e = exp2NegK(f32x4.mul(f32x4.sub(v, Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a1 = f32x4.add(a1, e); q1 = f32x4.add(q1, f32x4.mul(e, e));
      cnt = i32x4.add(cnt, f32x4.gt(v, yv));
      v = v128.load(q, 64); e = exp2NegK(f32x4.mul(f32x4.sub(v, Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e); q0 = f32x4.add(q0, f32x4.mul(e, e));
      cnt = i32x4.add(cnt, f32x4.gt(v, yv));
      v = v128.load(q, 80); e = exp2NegK(f32x4.mul(f32x4.sub(v, Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a1 = f32x4.add(a1, e); q1 = f32x4.add(q1, f32x4.mul(e, e));
      cnt = i32x4.add(cnt, f32x4.gt(v, yv));
      v = v128.load(q, 96); e = exp2NegK(f32x4.mul(f32x4.sub(v, Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e); q0 = f32x4.add(q0, f32x4.mul(e, e));
      cnt = i32x4.add(cnt, f32x4.gt(v, yv));
      v = v128.load(q, 112); e = exp2NegK(f32x4.mul(f32x4.sub(v, Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a1 = f32x4.add(a1, e); q1 = f32x4.add(q1, f32x4.mul(e, e));
      cnt = i32x4.add(cnt, f32x4.gt(v, yv));
    }
    sum += hsum4(a0) + hsum4(a1);
    sumQ += hsum4(q0) + hsum4(q1);
  }
  if (j + 4 <= cols) {
    let a0 = f32x4.splat(0), q0 = a0;
    for (; j + 4 <= cols; j += 4) {
      let v = v128.load(p + (<usize>j << 2));
      let e = exp2NegK(f32x4.mul(f32x4.sub(v, Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e);
      q0 = f32x4.add(q0, f32x4.mul(e, e));
      cnt = i32x4.add(cnt, f32x4.gt(v, yv));
     
    }
    sum += hsum4(a0);
    sumQ += hsum4(q0);
  }
  let above = -(i32x4.extract_lane(cnt, 0) + i32x4.extract_lane(cnt, 1) + i32x4.extract_lane(cnt, 2) + i32x4.extract_lane(cnt, 3));
  for (; j < cols; j++) {
    let v = <f64>load<f32>(p + (<usize>j << 2));
    let e = exp64(v - X);
    sum += e;
    sumQ += e * e;
    if (v > xy) above++;
  }
  eQ = sumQ; eAbove = above; eTop = firstMax32(p, cols, <f32>X);
  return sum;
}

/** Σ exp(2(x_j - X)) in float64 (f64x2 lanes when SIMD), #{x_j > x_y}, first index of X: eQ, eAbove, eTop. */
function evalRest<T>(p: usize, cols: i32, X: f64, xy: f64): void {
  let sumQ: f64 = 0;
  let above: i32 = 0;
  let top: i32 = -1;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    let Xv = f64x2.splat(X), yv = f64x2.splat(xy), two = f64x2.splat(2);
    let cnt = i64x2.splat(0);
    while (j + 2 <= cols) {
      let j0 = j;
      let end = min(cols, j + BLOCK);
      let acc = f64x2.splat(0);
      let hit = acc;
      for (; j + 2 <= end; j += 2) {
        let v = ld2<T>(p, j);
        acc = f64x2.add(acc, expNeg2d(f64x2.mul(f64x2.sub(v, Xv), two)));
        cnt = i64x2.add(cnt, f64x2.gt(v, yv));
        hit = v128.or(hit, f64x2.eq(v, Xv));
      }
      sumQ += hsum2(acc);
      if (top < 0 && v128.any_true(hit)) top = firstEqual<T>(p, j0, j, X);
    }
    above = -<i32>(i64x2.extract_lane(cnt, 0) + i64x2.extract_lane(cnt, 1));
  }
  for (; j < cols; j++) {
    let v = get<T>(p, j);
    sumQ += exp64(2 * (v - X));
    if (v > xy) above++;
    if (top < 0 && v == X) top = j;
  }
  eQ = sumQ; eAbove = above; eTop = top;
}

export function softmaxEvalLabels<T>(
  x: usize, rows: i32, cols: i32, labels: usize, nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize,
): void {
  for (let r = 0; r < rows; r++) {
    let o = <usize>r << 3, o4 = <usize>r << 2;
    let y = load<i32>(labels + o4);
    if (y < 0) {
      store<f64>(nll + o, 0);
      store<i32>(above + o4, 0);
      store<i32>(top + o4, 0);
      store<f64>(maxP + o, 0);
      store<f64>(sumSq + o, 0);
      continue;
    }
    let p = at<T>(x, r * cols);
    let X = rowMax<T>(p, cols);
    let xy = get<T>(p, y);
    if (X == -Infinity || X == Infinity) {
      // No finite max: the loss as softmaxCrossEntropyLabels (+Infinity for an all -Infinity row, NaN with a NaN;
      // NaN with +Infinity), Σ p² undefined.
      let n: i32 = 0, t: i32 = -1;
      for (let j = 0; j < cols; j++) {
        let v = get<T>(p, j);
        if (v > xy) n++;
        if (t < 0 && v == X) t = j;
      }
      eAbove = n; eTop = t;
      let bad = rowHasNaN<T>(p, cols);
      store<f64>(nll + o, X == Infinity || bad ? NaN : Infinity);
      store<i32>(above + o4, eAbove);
      store<i32>(top + o4, eTop);
      store<f64>(maxP + o, NaN);
      store<f64>(sumSq + o, NaN);
      continue;
    }
    let exact = xy > -Infinity ? X - xy : 0;
    let lg: f64, S: f64;
    if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
      S = evalPass32(p, cols, X, xy);
      lg = logFromSum<T>(S, p, cols, X, 1, exact);
    } else {
      lg = rowLogSum<T>(p, cols, X, 1, exact);
      evalRest<T>(p, cols, X, xy);
      S = exp64(lg);
    }
    store<f64>(nll + o, xy == -Infinity ? (isNaN(lg) ? lg : Infinity) : (X - xy) + lg);
    store<i32>(above + o4, eAbove);
    store<i32>(top + o4, eTop);
    store<f64>(maxP + o, exp64(-lg));
    store<f64>(sumSq + o, eQ / (S * S));
  }
}

export function softmaxEvalLabels_f32(x: usize, rows: i32, cols: i32, labels: usize, nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize): void {
  softmaxEvalLabels<f32>(x, rows, cols, labels, nll, above, top, maxP, sumSq);
}

export function softmaxEvalLabels_f64(x: usize, rows: i32, cols: i32, labels: usize, nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize): void {
  softmaxEvalLabels<f64>(x, rows, cols, labels, nll, above, top, maxP, sumSq);
}
