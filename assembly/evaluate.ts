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
// Float64 rows (and the scalar build): one pass that is expRest of softmax.ts (bit for bit, again) with Σ e², the
// count above x_y and the block holding the first max riding along.
// Half-precision rows (softmaxEvalLabels_f16 / _bf16): the float32 row code on a float32 copy of each row, which the
// previous row's evalPass32 widened while it ran (halfRow in softmax.ts): the same results as float32 input.

import { exp64, expNeg2d, log1p64 } from './math';
import { hsum4, LOG2E_F32, EXP2_CONSTS, exp2NegK } from './math32';
import { at, get, hsum2, BLOCK } from './lanes';
import {
  endHints, foundNext, halfBF, halfBegin, halfEnd, halfFresh, halfRow, halfSrc, hintNext, logFromSum, nextCounted,
  nextOf, rowMax, rowHasNaN, tinyRest,
} from './softmax';
import { BFloat16Bits, Float16Bits, HALF_CONSTS, widen32, widenTail } from './half';

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
function evalPass32<H>(p: usize, cols: i32, X: f64): f64 {
  let Xv = f32x4.splat(<f32>X), c = f32x4.splat(LOG2E_F32);
  const K = EXP2_CONSTS;
  let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
  let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96), one = v128.load(K, 112);
  let sum: f64 = 0, sumQ: f64 = 0;
  let j = 0;
  let src = halfSrc;
  let pn = nextOf<H>(p);
  let h0 = sizeof<H>() == 2 && !isSigned<H>() ? v128.load(HALF_CONSTS) : v128.splat<i32>(0);
  let h1 = sizeof<H>() == 2 && !isSigned<H>() ? v128.load(HALF_CONSTS, 16) : h0;
  let h2 = sizeof<H>() == 2 && !isSigned<H>() ? v128.load(HALF_CONSTS, 32) : h0;
  let h3 = sizeof<H>() == 2 && !isSigned<H>() ? v128.load(HALF_CONSTS, 48) : h0;
  let na = f32x4.splat(-Infinity), nb = na;
  let best: f32 = -Infinity, rose = 0;
  while (j + 32 <= cols) {
    let j0 = j;
    let end = min(cols, j + 128);
    let a0 = f32x4.splat(0), a1 = a0, q0 = a0;
    for (; j + 32 <= end; j += 32) {
      let q = p + (<usize>j << 2), qn = pn + (<usize>j << 2);
      if (sizeof<H>() == 2) widen32<H>(src + (<usize>j << 1), qn, h0, h1, h2, h3);
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
  if (sizeof<H>() == 2) widenTail<H>(src, pn, j, cols);
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
export function countAbove32(p: usize, cols: i32, xy: f32, k: i32): i32 {
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

/**
 * Every row but a float32 row of the SIMD build (that is: float64 rows, and every row of the scalar build): returns
 * what expRest<T> (softmax.ts) returns for s = 1, (k - 1) + Σ_{d_j != 0} exp(d_j), through the same operations in
 * the same order (so the loss is softmaxCrossEntropyLabels' to the bit), and sets eQ = Σ_j exp(d_j)² (the same terms
 * squared, the k ones included), eAbove = #{x_j > x_y} and eTop = the first index of X, in the same pass. For a row
 * without a finite max only eAbove and eTop mean anything.
 */
function evalRest<T>(p: usize, cols: i32, X: f64, xy: f64): f64 {
  let sum: f64 = 0, sumQ: f64 = 0;
  let k: i32 = 0, above: i32 = 0, top: i32 = -1;
  let j = 0;
  let Xt = <T>X;
  if (ASC_FEATURE_SIMD) { // float64 rows only: expRest's f64x2 loop
    let Xv = f64x2.splat(X), yv = f64x2.splat(xy);
    let cnt = i64x2.splat(0), up = cnt;
    while (j + 2 <= cols) {
      let j0 = j;
      let end = min(cols, j + BLOCK);
      let acc = f64x2.splat(0), acc1 = acc, sq = acc, hit = acc;
      for (; j + 4 <= end; j += 4) {
        let q = at<T>(p, j);
        let v0 = v128.load(q), v1 = v128.load(q, 16);
        let d0 = f64x2.sub(v0, Xv), z0 = f64x2.eq(d0, f64x2.splat(0));
        let d1 = f64x2.sub(v1, Xv), z1 = f64x2.eq(d1, f64x2.splat(0));
        let e0 = v128.andnot(expNeg2d(d0), z0), e1 = v128.andnot(expNeg2d(d1), z1);
        acc = f64x2.add(acc, e0);
        acc1 = f64x2.add(acc1, e1);
        sq = f64x2.add(sq, f64x2.add(f64x2.mul(e0, e0), f64x2.mul(e1, e1)));
        cnt = i64x2.add(cnt, i64x2.add(z0, z1));
        up = i64x2.add(up, i64x2.add(f64x2.gt(v0, yv), f64x2.gt(v1, yv)));
        hit = v128.or(hit, v128.or(f64x2.eq(v0, Xv), f64x2.eq(v1, Xv)));
      }
      for (; j + 2 <= end; j += 2) {
        let v = v128.load(at<T>(p, j));
        let d = f64x2.sub(v, Xv), z = f64x2.eq(d, f64x2.splat(0));
        let e = v128.andnot(expNeg2d(d), z);
        acc = f64x2.add(acc, e);
        sq = f64x2.add(sq, f64x2.mul(e, e));
        cnt = i64x2.add(cnt, z);
        up = i64x2.add(up, f64x2.gt(v, yv));
        hit = v128.or(hit, f64x2.eq(v, Xv));
      }
      acc = f64x2.add(acc, acc1);
      sum += f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      sumQ += hsum2(sq);
      if (top < 0 && v128.any_true(hit)) top = firstEqual<T>(p, j0, j, X);
    }
    k = -<i32>(i64x2.extract_lane(cnt, 0) + i64x2.extract_lane(cnt, 1));
    above = -<i32>(i64x2.extract_lane(up, 0) + i64x2.extract_lane(up, 1));
  }
  for (; j < cols; j++) {
    let v = load<T>(at<T>(p, j));
    let d = <f64>(<T>(v - Xt));
    if (d == 0) k++;
    else {
      let e = exp64(d);
      sum += e;
      sumQ += e * e;
    }
    if (v > <T>xy) above++;
    if (top < 0 && v == Xt) top = j;
  }
  eQ = sumQ + <f64>k; eAbove = above; eTop = top;
  // As expRest: a rest that is the whole answer is redone in float64 with the full-range exp (its Σ e² is not).
  if (k == 1 && sum < (sizeof<T>() == 4 ? 0.01 : 1e-290)) return tinyRest<T>(p, cols, X, 1);
  return <f64>(k - 1) + sum;
}

/** One counted row (label y >= 0) of softmaxEvalLabels; the output pointers are the row's. */
function evalRow<T>(
  p: usize, cols: i32, y: i32, k: i32, nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize, pY: usize,
): void {
  const simd32 = ASC_FEATURE_SIMD && sizeof<T>() == 4;
  // Where this row's first max lies, when the previous row's pass found its max (read before that pass moves on).
  let from = p == topRow ? topFrom : 0;
  let X = rowMax<T>(p, cols);
  let xy = get<T>(p, y);
  // S and lg stay NaN for a row without a finite max: maxP and Σ p² are NaN there.
  let S: f64 = NaN, lg: f64 = NaN, loss: f64;
  let finite = X > -Infinity && X < Infinity;
  if (simd32) {
    if (finite) {
      S = !halfSrc ? evalPass32<f32>(p, cols, X)
        : halfBF ? evalPass32<BFloat16Bits>(p, cols, X) : evalPass32<Float16Bits>(p, cols, X);
      lg = logFromSum<T>(S, p, cols, X, 1, xy > -Infinity ? X - xy : 0);
    }
  } else {
    let rest = evalRest<T>(p, cols, X, xy);
    if (finite) {
      lg = log1p64(rest);
      S = 1 + rest;
    }
  }
  if (finite) {
    loss = xy == -Infinity ? (isNaN(lg) ? lg : Infinity) : (X - xy) + lg;
  } else {
    // No finite max: the loss as softmaxCrossEntropyLabels (+Infinity for an all -Infinity row, NaN with a NaN;
    // NaN with +Infinity).
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
  store<f64>(nll, loss);
  store<i32>(above, n);
  store<i32>(top, n > 0 ? eTop : y);
  store<f64>(maxP, exp64(-lg));
  store<f64>(sumSq, eQ / (S * S));
  store<f64>(pY, exp64(-loss));
}

/** The outputs of an ignored row: all 0. */
function evalIgnored(o: usize, o4: usize, nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize, pY: usize): void {
  store<f64>(nll + o, 0);
  store<i32>(above + o4, 0);
  store<i32>(top + o4, 0);
  store<f64>(maxP + o, 0);
  store<f64>(sumSq + o, 0);
  store<f64>(pY + o, 0);
}

export function softmaxEvalLabels<T>(
  x: usize, rows: i32, cols: i32, labels: usize, k: i32,
  nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize, pY: usize,
): void {
  for (let r = 0; r < rows; r++) {
    let o = <usize>r << 3, o4 = <usize>r << 2;
    let y = load<i32>(labels + o4);
    hintNext<T>(x, r, rows, cols);
    if (y < 0) {
      evalIgnored(o, o4, nll, above, top, maxP, sumSq, pY);
      continue;
    }
    evalRow<T>(at<T>(x, r * cols), cols, y, k, nll + o, above + o4, top + o4, maxP + o, sumSq + o, pY + o);
  }
  endHints();
  topRow = 0;
}

/** softmaxEvalLabels on half-precision logits (H: see half.ts), widened row by row in the exp pass. */
function softmaxEvalLabelsHalf<H>(
  x: usize, rows: i32, cols: i32, labels: usize, k: i32,
  nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize, pY: usize, scratch: usize,
): void {
  halfBegin<H>(scratch, cols);
  let next = nextCounted(labels, -1, rows);
  for (let r = 0; r < rows; r++) {
    let o = <usize>r << 3, o4 = <usize>r << 2;
    if (r != next) {
      evalIgnored(o, o4, nll, above, top, maxP, sumSq, pY);
      continue;
    }
    next = nextCounted(labels, r, rows);
    let p = halfRow<H>(x, r, next, cols);
    if (halfFresh) topRow = 0; // a block found for an earlier row in this buffer
    evalRow<f32>(p, cols, load<i32>(labels + o4), k, nll + o, above + o4, top + o4, maxP + o, sumSq + o, pY + o);
  }
  halfEnd();
  topRow = 0;
}

export function softmaxEvalLabels_f32(x: usize, rows: i32, cols: i32, labels: usize, k: i32, nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize, pY: usize): void {
  softmaxEvalLabels<f32>(x, rows, cols, labels, k, nll, above, top, maxP, sumSq, pY);
}

export function softmaxEvalLabels_f64(x: usize, rows: i32, cols: i32, labels: usize, k: i32, nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize, pY: usize): void {
  softmaxEvalLabels<f64>(x, rows, cols, labels, k, nll, above, top, maxP, sumSq, pY);
}

export function softmaxEvalLabels_f16(x: usize, rows: i32, cols: i32, labels: usize, k: i32, nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize, pY: usize, scratch: usize): void {
  softmaxEvalLabelsHalf<Float16Bits>(x, rows, cols, labels, k, nll, above, top, maxP, sumSq, pY, scratch);
}

export function softmaxEvalLabels_bf16(x: usize, rows: i32, cols: i32, labels: usize, k: i32, nll: usize, above: usize, top: usize, maxP: usize, sumSq: usize, pY: usize, scratch: usize): void {
  softmaxEvalLabelsHalf<BFloat16Bits>(x, rows, cols, labels, k, nll, above, top, maxP, sumSq, pY, scratch);
}
