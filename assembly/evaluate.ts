// The evaluation kernel (softmaxEvalLabels in src/backend/kernels.ts): per row with label y, the softmax
// cross-entropy exactly as softmaxCrossEntropyLabels (s = 1, no smoothing), the rank of the true class
// (#{j : x_j > x_y}, counted up to k), the prediction (y when nothing is above x_y, else the first index of the max),
// max_j p_j, Σ_j p_j² for the Brier score and p_y.
//
// Float32 rows (SIMD build): one pass that is expSum32 of softmax.ts (the same blocks, lanes and order, so S and
// hence the loss are bit-for-bit those of softmaxCrossEntropyLabels, and the next row's max found along the same
// way) with Σ e² riding along; log Σ exp goes through logFromSum, as there (a confident row takes the precise pass).
// Only a row whose label is below its max then takes two short scans: the count of entries above x_y, which stops
// at k, and the search for the first max, which starts at the block where the previous row's pass saw the running
// max last rise. (Counting inside the exp pass measured slower: it is compute-bound, the scans are not.)
// Float64 rows (and the scalar build): rowLogSum as softmaxCrossEntropyLabels, then one pass for the rest.

import { exp64, expNeg2d } from './math';
import { hsum4, LOG2E_F32, EXP2_CONSTS, exp2NegK } from './math32';
import { at, get, ld2, hsum2, BLOCK } from './lanes';
import { endHints, foundNext, hintNext, rowMax, rowHasNaN, rowLogSum, logFromSum, takeHint } from './softmax';

/** Results of the row passes: Σ e², #{x_j > x_y} (evalRest: all of them), first index of the max (-1: none). */
let eQ: f64 = 0;
let eAbove: i32 = 0;
let eTop: i32 = -1;

/**
 * Where the scan for the first max of the hinted next row may start (topRow: that row; 0 when none): evalPass32
 * records the start of the 128-element block in which the next row's running max last rose, so that row's scan
 * covers one block instead of half the row. Reset at the end of each kernel call, as the hints are.
 */
let topRow: usize = 0;
let topFrom: i32 = 0;

/** First j in [j0, j1) with x_j == X, or -1. */
function firstEqual<T>(p: usize, j0: i32, j1: i32, X: f64): i32 {
  for (let j = j0; j < j1; j++) if (get<T>(p, j) == X) return j;
  return -1;
}

/**
 * First j >= j0 with x_j == X in a float32 row, or -1: a scan that stops at the first 16 elements holding X
 * (comparing every element with X inside the exp pass measured slower).
 */
function firstMax32(p: usize, cols: i32, X: f32, j0: i32): i32 {
  let Xv = f32x4.splat(X);
  let j = j0;
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
 * Float32 rows: returns S = Σ exp(x_j - X) exactly as expSum32 (softmax.ts) computes it for s = 1, with
 * eQ = Σ exp(x_j - X)² (the same f32 terms squared, one f32 accumulator per block flushed to float64) riding along,
 * and the next row's max found along as expSum32 finds it (the same vectors in the same order), with the block
 * where its running max last rose (topRow, topFrom). The rank and the first max are left to short scans after
 * (countAbove32, firstMax32), and only for rows whose label is below the max: counting in this loop cost more.
 */
function evalPass32(p: usize, cols: i32, X: f64): f64 {
  let Xv = f32x4.splat(<f32>X), c = f32x4.splat(LOG2E_F32);
  const K = EXP2_CONSTS;
  let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
  let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96), one = v128.load(K, 112);
  let sum: f64 = 0, sumQ: f64 = 0;
  let j = 0;
  let pn = takeHint(p);
  let na = f32x4.splat(-Infinity), nb = na;
  let best: f32 = -Infinity, rose = 0;
  while (j + 32 <= cols) {
    let j0 = j;
    let end = min(cols, j + 128);
    let a0 = f32x4.splat(0), a1 = a0, q0 = a0;
    for (; j + 32 <= end; j += 32) {
      let q = p + (<usize>j << 2), qn = pn + (<usize>j << 2);
      na = f32x4.pmax(f32x4.pmax(na, v128.load(qn)), f32x4.pmax(v128.load(qn, 16), v128.load(qn, 32)));
      nb = f32x4.pmax(f32x4.pmax(nb, v128.load(qn, 48)), f32x4.pmax(v128.load(qn, 64), v128.load(qn, 80)));
      na = f32x4.pmax(na, f32x4.pmax(v128.load(qn, 96), v128.load(qn, 112)));
      let e = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e); q0 = f32x4.add(q0, f32x4.mul(e, e));
      e = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 16), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a1 = f32x4.add(a1, e); q0 = f32x4.add(q0, f32x4.mul(e, e));
      e = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 32), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e); q0 = f32x4.add(q0, f32x4.mul(e, e));
      e = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 48), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a1 = f32x4.add(a1, e); q0 = f32x4.add(q0, f32x4.mul(e, e));
      e = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 64), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e); q0 = f32x4.add(q0, f32x4.mul(e, e));
      e = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 80), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a1 = f32x4.add(a1, e); q0 = f32x4.add(q0, f32x4.mul(e, e));
      e = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 96), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e); q0 = f32x4.add(q0, f32x4.mul(e, e));
      e = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 112), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a1 = f32x4.add(a1, e); q0 = f32x4.add(q0, f32x4.mul(e, e));
    }
    sum += hsum4(a0) + hsum4(a1);
    sumQ += hsum4(q0);
    // The next row's running max (NaN skipped, as pmax does): its first max is at or after the start of the block
    // where that last rose.
    let m = f32x4.pmax(na, nb);
    m = f32x4.pmax(m, v128.shuffle<u32>(m, m, 2, 3, 0, 1));
    let mv = max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
    if (mv > best) { best = mv; rose = j0; }
  }
  foundNext(p, pn, cols, j, na, nb);
  if (pn != p) {
    topRow = pn;
    topFrom = rose; // (a max first met after the blocks is found by the scan from there too)
  }
  if (j + 4 <= cols) {
    let a0 = f32x4.splat(0), q0 = a0;
    for (; j + 4 <= cols; j += 4) {
      let e = exp2NegK(f32x4.mul(f32x4.sub(v128.load(p + (<usize>j << 2)), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e);
      q0 = f32x4.add(q0, f32x4.mul(e, e));
    }
    sum += hsum4(a0);
    sumQ += hsum4(q0);
  }
  for (; j < cols; j++) {
    let e = exp64(<f64>load<f32>(p + (<usize>j << 2)) - X);
    sum += e;
    sumQ += e * e;
  }
  eQ = sumQ;
  return sum;
}

/** min(#{j : x_j > xy}, k) for a float32 row: a scan that stops once k entries above xy are found. */
function countAbove32(p: usize, cols: i32, xy: f32, k: i32): i32 {
  let yv = f32x4.splat(xy);
  let n = 0;
  let j = 0;
  for (; j + 16 <= cols; j += 16) {
    let q = p + (<usize>j << 2);
    let h = i32x4.add(i32x4.add(f32x4.gt(v128.load(q), yv), f32x4.gt(v128.load(q, 16), yv)),
                      i32x4.add(f32x4.gt(v128.load(q, 32), yv), f32x4.gt(v128.load(q, 48), yv)));
    if (v128.any_true(h)) {
      n -= i32x4.extract_lane(h, 0) + i32x4.extract_lane(h, 1) + i32x4.extract_lane(h, 2) + i32x4.extract_lane(h, 3);
      if (n >= k) return k;
    }
  }
  for (; j < cols; j++) if (load<f32>(p + (<usize>j << 2)) > xy && ++n >= k) return k;
  return n;
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
  x: usize, rows: i32, cols: i32, labels: usize, k: i32,
  nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize, pY: usize,
): void {
  const simd32 = ASC_FEATURE_SIMD && sizeof<T>() == 4;
  for (let r = 0; r < rows; r++) {
    let o = <usize>r << 3, o4 = <usize>r << 2;
    let y = load<i32>(labels + o4);
    hintNext<T>(x, r, rows, cols);
    if (y < 0) {
      store<f64>(nll + o, 0);
      store<i32>(above + o4, 0);
      store<i32>(top + o4, 0);
      store<f64>(maxP + o, 0);
      store<f64>(sumSq + o, 0);
      store<f64>(pY + o, 0);
      continue;
    }
    let p = at<T>(x, r * cols);
    // Where this row's first max lies, when the previous row's pass found its max (read before that pass moves on).
    let from = p == topRow ? topFrom : 0;
    let X = rowMax<T>(p, cols);
    let xy = get<T>(p, y);
    let S: f64 = NaN, lg: f64 = NaN, loss: f64;
    if (X > -Infinity && X < Infinity) {
      let exact = xy > -Infinity ? X - xy : 0;
      if (simd32) {
        S = evalPass32(p, cols, X);
        lg = logFromSum<T>(S, p, cols, X, 1, exact);
      } else {
        lg = rowLogSum<T>(p, cols, X, 1, exact);
        evalRest<T>(p, cols, X, xy);
        S = exp64(lg);
      }
      loss = xy == -Infinity ? (isNaN(lg) ? lg : Infinity) : (X - xy) + lg;
    } else {
      // No finite max: the loss as softmaxCrossEntropyLabels (+Infinity for an all -Infinity row, NaN with a NaN;
      // NaN with +Infinity); maxP and Σ p² NaN (from S and lg); the rank and argmax as for any row (evalRest's sum
      // is dropped).
      if (!simd32) evalRest<T>(p, cols, X, xy);
      loss = X == Infinity || rowHasNaN<T>(p, cols) ? NaN : Infinity;
    }
    if (simd32) {
      eAbove = 0;
      if (xy < X) { // else nothing is above the label and the label is the prediction
        eAbove = countAbove32(p, cols, <f32>xy, k);
        eTop = firstMax32(p, cols, <f32>X, from);
      }
    }
    let n = min(eAbove, k);
    store<f64>(nll + o, loss);
    store<i32>(above + o4, n);
    store<i32>(top + o4, n > 0 ? eTop : y);
    store<f64>(maxP + o, exp64(-lg));
    store<f64>(sumSq + o, eQ / (S * S));
    store<f64>(pY + o, exp64(-loss));
  }
  endHints();
  topRow = 0;
}

export function softmaxEvalLabels_f32(x: usize, rows: i32, cols: i32, labels: usize, k: i32, nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize, pY: usize): void {
  softmaxEvalLabels<f32>(x, rows, cols, labels, k, nll, above, top, maxP, sumSq, pY);
}

export function softmaxEvalLabels_f64(x: usize, rows: i32, cols: i32, labels: usize, k: i32, nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize, pY: usize): void {
  softmaxEvalLabels<f64>(x, rows, cols, labels, k, nll, above, top, maxP, sumSq, pY);
}
