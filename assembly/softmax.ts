// Log-sum-exp, softmax and log-softmax per row, and the row pass they share with the cross-entropy kernels.
//
// With z = s·x (s > 0) and X the row's max of x, m = s·X and d_j = (x_j - X)·s <= 0. The exps are
// summed without the terms with d_j = 0 (exactly 1; k of them), so log Σ exp(d) = log1p((k - 1) + Σ_others) keeps
// its relative accuracy when a row is confident. Float32 rows sum f32x4 exps in 256-element blocks flushed to float64.
// NaN never reaches the max (pmax skips it) but makes its d, hence the sum, NaN.
// Float32 rows first take a faster pass (expSum32) that sums every exp, ones included; its result S is used when
// the result log S enters is at least ln 2 (log S itself for log-sum-exp, the loss for cross-entropy), where its
// error stays within float32 accuracy; otherwise (confident rows, NaN) the row takes a precise pass (logFromSum).

import { exp2d, expNeg2d, expNegK, EXPNEG_CONSTS, exp64, log1p64, log64 } from './math';
import { exp2NegK, EXP2_CONSTS, hsum4, LOG2E_F32 } from './math32';
import { at, get, ld2, st2, put, BLOCK } from './lanes';
import { BFloat16Bits, Float16Bits, HALF_CONSTS, widen32, widenRow, widenTail } from './half';

/** Results of rowLse: X (raw extreme), m = s·X, and lg = log Σ_j exp(z_j - m). */
export let rowX: f64 = 0;
export let rowM: f64 = 0;
export let rowLog: f64 = 0;

/**
 * The next row's max, found by expSum32 while it sums the exps of the current row (the row loops set nextHint to
 * the next row's address first): the float32 max pass is memory-bound and the exp pass compute-bound, so doing the
 * two in one loop overlaps them. rowMax hands nextMax out once, for that address, within the same kernel call.
 */
export let nextHint: usize = 0;
let nextRow: usize = 0;
let nextMax: f64 = 0;

/** Sets the hint for the row after `r` of a batch (none for the last row). */
// @ts-ignore: decorator
@inline export function hintNext<T>(x: usize, r: i32, rows: i32, cols: i32): void {
  nextHint = r + 1 < rows ? at<T>(x, (r + 1) * cols) : 0;
}

/** Ends a hinted row loop: nothing it found outlives the kernel call (the next call's rows may hold other data). */
// @ts-ignore: decorator
@inline export function endHints(): void {
  nextHint = 0;
  nextRow = 0;
}

/** The row whose max the current exp pass finds along (the hinted next row, else p itself: then it is dropped). */
// @ts-ignore: decorator
@inline export function takeHint(p: usize): usize {
  let pn = nextHint ? nextHint : p;
  nextHint = 0;
  return pn;
}

// --- Half-precision rows (the fused `_f16` / `_bf16` kernels). The kernel keeps the current row widened to float32
// in one scratch buffer; while its exp pass (expSum32, evalPass32 in evaluate.ts) works on it, it widens the next
// row into the other buffer in place of the hint's loads, and finds that row's max along as it does for float32
// rows: the bits are read once, and the widening's integer and shuffle work shares the loop with the exp pass's
// float arithmetic. A row the pass did not reach (the first, or one after a row that took no exp pass) is widened on
// its own, its max found along.

/** The scratch buffers: the current row's float32 copy and the next one's. */
let halfCur: usize = 0;
let halfNxt: usize = 0;
/** bfloat16 (else float16) bits. */
export let halfBF: bool = false;
/** The next row's bits (0: none) for the exp pass to widen into halfNxt, and its index. */
export let halfSrc: usize = 0;
let halfNext: i32 = -1;
/** The index of the row whose copy halfNxt holds (-1: none). */
let halfFilled: i32 = -1;
/** True when halfRow had to widen the row itself: hints from earlier rows are then stale. */
export let halfFresh: bool = false;

/** Starts a fused half kernel: scratch holds two rows of cols float32s, each rounded up to 16 bytes. */
export function halfBegin<H>(scratch: usize, cols: i32): void {
  halfBF = isSigned<H>();
  halfCur = scratch;
  halfNxt = scratch + ((<usize>cols * 4 + 15) & ~15);
  halfFilled = -1;
}

/**
 * The float32 copy of row r of the half matrix x; the exp pass that reads it will widen row `next` (-1: none) into
 * the other buffer, so that the call for row `next` finds it there.
 */
export function halfRow<H>(x: usize, r: i32, next: i32, cols: i32): usize {
  halfFresh = halfFilled != r;
  if (halfFresh) {
    let src = x + (<usize>r * cols << 1);
    if (ASC_FEATURE_SIMD) widenMax<H>(src, halfCur, cols);
    else widenRow<H>(src, halfCur, cols);
  } else {
    let t = halfCur;
    halfCur = halfNxt;
    halfNxt = t;
  }
  halfFilled = -1;
  halfNext = next;
  halfSrc = next >= 0 ? x + (<usize>next * cols << 1) : 0;
  return halfCur;
}

/** The first row after r whose label (i32 at labels) is not negative, or -1. */
export function nextCounted(labels: usize, r: i32, rows: i32): i32 {
  for (let i = r + 1; i < rows; i++) if (load<i32>(labels + (<usize>i << 2)) >= 0) return i;
  return -1;
}

/**
 * Widens a half row into dst and finds its max along, as the exp passes do for the next row (the same vectors in
 * the same order as rowMax, which then hands it out for dst): no second pass over the row for its max.
 */
function widenMax<H>(src: usize, dst: usize, cols: i32): void {
  const K = HALF_CONSTS;
  let h0 = v128.load(K), h1 = v128.load(K, 16), h2 = v128.load(K, 32), h3 = v128.load(K, 48);
  let na = f32x4.splat(-Infinity), nb = na;
  let j = 0;
  for (; j + 32 <= cols; j += 32) {
    let qn = dst + (<usize>j << 2);
    widen32<H>(src + (<usize>j << 1), qn, h0, h1, h2, h3);
    na = f32x4.pmax(f32x4.pmax(na, v128.load(qn)), f32x4.pmax(v128.load(qn, 16), v128.load(qn, 32)));
    nb = f32x4.pmax(f32x4.pmax(nb, v128.load(qn, 48)), f32x4.pmax(v128.load(qn, 64), v128.load(qn, 80)));
    na = f32x4.pmax(na, f32x4.pmax(v128.load(qn, 96), v128.load(qn, 112)));
  }
  widenTail<H>(src, dst, j, cols);
  foundNext(0, dst, cols, j, na, nb);
}

/** Ends a fused half kernel. */
export function halfEnd(): void {
  halfSrc = 0;
  halfFilled = -1;
  endHints();
}

/**
 * Where an exp pass over the current row finds the next row in float32 (the hint's row for float32 input; for half
 * input the buffer it widens halfSrc into, which it then marks filled). Call once per pass, before its loop.
 */
// @ts-ignore: decorator
@inline export function nextOf<H>(p: usize): usize {
  if (sizeof<H>() == 4) return takeHint(p);
  halfSrc = 0;
  halfFilled = halfNext;
  return halfNxt;
}

/** Records the max of row pn from the accumulators of its eight-vector loop (j: where that loop stopped). */
export function foundNext(p: usize, pn: usize, cols: i32, j: i32, a: v128, b: v128): void {
  if (pn == p) return;
  nextMax = maxFinish32(pn, cols, j, a, b);
  nextRow = pn;
}

/**
 * The end of the float32 max pass after its eight-vector loop: single vectors from j, then the two accumulators,
 * the lanes and the scalar tail. Shared by rowMax and expSum32 so that both give the same bits.
 */
function maxFinish32(p: usize, cols: i32, j: i32, a: v128, b: v128): f64 {
  for (; j + 4 <= cols; j += 4) a = f32x4.pmax(a, v128.load(p + (<usize>j << 2)));
  a = f32x4.pmax(a, b);
  let m: f64 = <f64>f32x4.extract_lane(a, 0), v: f64 = <f64>f32x4.extract_lane(a, 1);
  m = m > v ? m : v;
  v = <f64>f32x4.extract_lane(a, 2); m = v > m ? v : m;
  v = <f64>f32x4.extract_lane(a, 3); m = v > m ? v : m;
  for (; j < cols; j++) {
    v = <f64>load<f32>(p + (<usize>j << 2));
    if (v > m) m = v;
  }
  return m;
}

/** Max of the row, NaN ignored; -Infinity for an empty or all-NaN row. */
export function rowMax<T>(p: usize, cols: i32): f64 {
  let m: f64 = -Infinity;
  let j = 0;
  if (ASC_FEATURE_SIMD && sizeof<T>() == 4 && p == nextRow) {
    nextRow = 0;
    return nextMax;
  }
  if (ASC_FEATURE_SIMD) {
    const L = <i32>(16 / sizeof<T>());
    let a = v128.splat<T>(<T>m);
    let b = a;
    // Eight vectors per iteration: with two per iteration V8's loop overhead cost as much as the loads.
    for (; j + 8 * L <= cols; j += 8 * L) {
      let q = at<T>(p, j);
      a = v128.pmax<T>(v128.pmax<T>(a, v128.load(q)), v128.pmax<T>(v128.load(q, 16), v128.load(q, 32)));
      b = v128.pmax<T>(v128.pmax<T>(b, v128.load(q, 48)), v128.pmax<T>(v128.load(q, 64), v128.load(q, 80)));
      a = v128.pmax<T>(a, v128.pmax<T>(v128.load(q, 96), v128.load(q, 112)));
    }
    if (sizeof<T>() == 4) return maxFinish32(p, cols, j, a, b);
    for (; j + L <= cols; j += L) a = v128.pmax<T>(a, v128.load(at<T>(p, j)));
    a = v128.pmax<T>(a, b);
    let v0 = <f64>v128.extract_lane<T>(a, 0), v1 = <f64>v128.extract_lane<T>(a, 1);
    m = v0 > v1 ? v0 : v1;
  }
  for (; j < cols; j++) {
    let v = get<T>(p, j);
    if (v > m) m = v;
  }
  return m;
}

/** True when the row holds a NaN (only used on the rare all-masked path). */
export function rowHasNaN<T>(p: usize, cols: i32): bool {
  for (let j = 0; j < cols; j++) if (isNaN(load<T>(at<T>(p, j)))) return true;
  return false;
}

/** (k - 1) + Σ_{d_j != 0} exp(d_j), d_j = (x_j - X)·s computed in T arithmetic. */
export function expRest<T>(p: usize, cols: i32, X: f64, s: f64): f64 {
  let sum: f64 = 0;
  let k: i32 = 0;
  let j = 0;
  let Xt = <T>X, st = <T>s;
  if (ASC_FEATURE_SIMD) {
    let Xv = v128.splat<T>(Xt), sv = v128.splat<T>(st);
    if (sizeof<T>() == 4) {
      const K = EXPNEG_CONSTS;
      let m88 = v128.load(K), il = v128.load(K, 16), sh = v128.load(K, 32), chi = v128.load(K, 48);
      let clo = v128.load(K, 64), q5 = v128.load(K, 80), q4 = v128.load(K, 96), q3 = v128.load(K, 112);
      let q2 = v128.load(K, 128), q1 = v128.load(K, 144), q0 = v128.load(K, 160), one = v128.load(K, 176);
      let cnt = i32x4.splat(0);
      while (j + 4 <= cols) {
        let end = min(cols, j + 256);
        let acc = f32x4.splat(0);
        for (; j + 16 <= end; j += 16) { // four vectors per iteration: V8's per-iteration overhead is not small
          let q = at<T>(p, j);
          let d0 = f32x4.mul(f32x4.sub(v128.load(q), Xv), sv), z0 = f32x4.eq(d0, f32x4.splat(0));
          let d1 = f32x4.mul(f32x4.sub(v128.load(q, 16), Xv), sv), z1 = f32x4.eq(d1, f32x4.splat(0));
          let e0 = expNegK(d0, m88, il, sh, chi, clo, q5, q4, q3, q2, q1, q0, one);
          let e1 = expNegK(d1, m88, il, sh, chi, clo, q5, q4, q3, q2, q1, q0, one);
          acc = f32x4.add(acc, f32x4.add(v128.andnot(e0, z0), v128.andnot(e1, z1)));
          let d2 = f32x4.mul(f32x4.sub(v128.load(q, 32), Xv), sv), z2 = f32x4.eq(d2, f32x4.splat(0));
          let d3 = f32x4.mul(f32x4.sub(v128.load(q, 48), Xv), sv), z3 = f32x4.eq(d3, f32x4.splat(0));
          let e2 = expNegK(d2, m88, il, sh, chi, clo, q5, q4, q3, q2, q1, q0, one);
          let e3 = expNegK(d3, m88, il, sh, chi, clo, q5, q4, q3, q2, q1, q0, one);
          acc = f32x4.add(acc, f32x4.add(v128.andnot(e2, z2), v128.andnot(e3, z3)));
          cnt = i32x4.add(i32x4.add(cnt, i32x4.add(z0, z1)), i32x4.add(z2, z3));
        }
        for (; j + 4 <= end; j += 4) {
          let d = f32x4.mul(f32x4.sub(v128.load(at<T>(p, j)), Xv), sv);
          let z = f32x4.eq(d, f32x4.splat(0));
          acc = f32x4.add(acc, v128.andnot(expNegK(d, m88, il, sh, chi, clo, q5, q4, q3, q2, q1, q0, one), z));
          cnt = i32x4.add(cnt, z);
        }
        let lo = f64x2.promote_low_f32x4(acc);
        let hi = f64x2.promote_low_f32x4(i64x2.shuffle(acc, acc, 1, 0));
        sum += (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)) +
               (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
      }
      k = -(i32x4.extract_lane(cnt, 0) + i32x4.extract_lane(cnt, 1) + i32x4.extract_lane(cnt, 2) + i32x4.extract_lane(cnt, 3));
    } else {
      let cnt = i64x2.splat(0);
      while (j + 2 <= cols) {
        let end = min(cols, j + BLOCK);
        let acc = f64x2.splat(0), acc1 = acc;
        for (; j + 4 <= end; j += 4) { // two vectors per iteration (V8's per-iteration overhead)
          let q = at<T>(p, j);
          let d0 = f64x2.mul(f64x2.sub(v128.load(q), Xv), sv), z0 = f64x2.eq(d0, f64x2.splat(0));
          let d1 = f64x2.mul(f64x2.sub(v128.load(q, 16), Xv), sv), z1 = f64x2.eq(d1, f64x2.splat(0));
          acc = f64x2.add(acc, v128.andnot(expNeg2d(d0), z0));
          acc1 = f64x2.add(acc1, v128.andnot(expNeg2d(d1), z1));
          cnt = i64x2.add(cnt, i64x2.add(z0, z1));
        }
        for (; j + 2 <= end; j += 2) {
          let d = f64x2.mul(f64x2.sub(v128.load(at<T>(p, j)), Xv), sv);
          let z = f64x2.eq(d, f64x2.splat(0));
          acc = f64x2.add(acc, v128.andnot(expNeg2d(d), z));
          cnt = i64x2.add(cnt, z);
        }
        acc = f64x2.add(acc, acc1);
        sum += f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      }
      k = -<i32>(i64x2.extract_lane(cnt, 0) + i64x2.extract_lane(cnt, 1));
    }
  }
  for (; j < cols; j++) {
    let d = <f64>(<T>((load<T>(at<T>(p, j)) - Xt) * st));
    if (d == 0) k++; else sum += exp64(d);
  }
  // When the rest is the whole answer (a single max; the loss at the argmax is log1p(rest) ≈ rest) it needs full
  // relative accuracy. f64: the fast exp flushes below 2^-1022, so redo rests < 1e-290. f32: a term exp(d) carries
  // the f32 rounding of its argument d, a relative error of about |d|·6e-8; rests < 0.01 (a row more than 99% sure)
  // are redone in float64 with the full-range exp, a third read of such rows only.
  if (k == 1 && sum < (sizeof<T>() == 4 ? 0.01 : 1e-290)) return tinyRest<T>(p, cols, X, s);
  return <f64>(k - 1) + sum;
}

/**
 * Σ_{d_j != 0} exp(d_j) + (k - 1) in float64, d_j = (x_j - X)·s in float64 (exact for float32 data up to the
 * product's rounding), f64x2 lanes with expNeg2d (< 1 ulp). Used for rows whose rest must keep full relative
 * accuracy: a float32 row more than 99% sure, whose loss at the argmax is log1p(rest) ≈ rest. Results below
 * 1e-290 (where expNeg2d flushes) are redone with the full-range scalar exp.
 */
export function tinyRest<T>(p: usize, cols: i32, X: f64, s: f64): f64 {
  let sum: f64 = 0;
  let k: i32 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    let Xv = f64x2.splat(X), sv = f64x2.splat(s);
    let cnt = i64x2.splat(0);
    while (j + 4 <= cols) {
      let end = min(cols, j + BLOCK);
      let acc = f64x2.splat(0), acc1 = acc;
      for (; j + 4 <= end; j += 4) { // two vectors per iteration (V8's per-iteration overhead)
        let d0 = f64x2.mul(f64x2.sub(ld2<T>(p, j), Xv), sv), z0 = f64x2.eq(d0, f64x2.splat(0));
        let d1 = f64x2.mul(f64x2.sub(ld2<T>(p, j + 2), Xv), sv), z1 = f64x2.eq(d1, f64x2.splat(0));
        acc = f64x2.add(acc, v128.andnot(expNeg2d(d0), z0));
        acc1 = f64x2.add(acc1, v128.andnot(expNeg2d(d1), z1));
        cnt = i64x2.add(cnt, i64x2.add(z0, z1));
      }
      acc = f64x2.add(acc, acc1);
      sum += f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
    }
    k = -<i32>(i64x2.extract_lane(cnt, 0) + i64x2.extract_lane(cnt, 1));
  }
  for (; j < cols; j++) {
    let d = (get<T>(p, j) - X) * s;
    if (d == 0) k++; else sum += exp64(d);
  }
  if (k == 1 && sum < 1e-290) {
    sum = 0;
    for (j = 0; j < cols; j++) {
      let d = (get<T>(p, j) - X) * s;
      if (d != 0) sum += exp64(d);
    }
  }
  return <f64>(k - 1) + sum;
}

/**
 * S = Σ_j exp((x_j - X)·s) for a float32 row, as 2^((x_j - X)·(s·log2 e)) in f32 lanes (exp2NegK, <= 2.2e-7 per
 * term, plus the float32 rounding of the argument, about |d|·6e-8 relative, which the precise path has too).
 * Lane sums run over 64-element halves of 128-element blocks (16 adds per lane: <= 16·2^-24 ≈ 1e-6 worst case,
 * about 1.5e-8 for random rounding) and each block's total goes into a float64 sum. H: what the next row is
 * (f32: the hint's float32 row; half: bits to widen on the way, see halfRow).
 */
function expSum32<H>(p: usize, cols: i32, X: f64, s: f64): f64 {
  let Xv = f32x4.splat(<f32>X), c = f32x4.splat(s == 1 ? LOG2E_F32 : <f32>(s * 1.4426950408889634));
  const K = EXP2_CONSTS;
  let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
  let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96), one = v128.load(K, 112);
  let sum: f64 = 0;
  let j = 0;
  // The next row's max as rowMax forms it (the same vectors into na and nb, in the same order); without a next
  // row, the loads go to this row again (cache-resident) and the result is dropped.
  let src = halfSrc;
  let pn = nextOf<H>(p);
  let h0 = sizeof<H>() == 2 && !isSigned<H>() ? v128.load(HALF_CONSTS) : v128.splat<i32>(0);
  let h1 = sizeof<H>() == 2 && !isSigned<H>() ? v128.load(HALF_CONSTS, 16) : h0;
  let h2 = sizeof<H>() == 2 && !isSigned<H>() ? v128.load(HALF_CONSTS, 32) : h0;
  let h3 = sizeof<H>() == 2 && !isSigned<H>() ? v128.load(HALF_CONSTS, 48) : h0;
  let na = f32x4.splat(-Infinity), nb = na;
  while (j + 32 <= cols) {
    let end = min(cols, j + 128);
    let a0 = f32x4.splat(0), a1 = a0;
    for (; j + 32 <= end; j += 32) {
      let q = p + (<usize>j << 2), qn = pn + (<usize>j << 2);
      if (sizeof<H>() == 2) widen32<H>(src + (<usize>j << 1), qn, h0, h1, h2, h3);
      na = f32x4.pmax(f32x4.pmax(na, v128.load(qn)), f32x4.pmax(v128.load(qn, 16), v128.load(qn, 32)));
      nb = f32x4.pmax(f32x4.pmax(nb, v128.load(qn, 48)), f32x4.pmax(v128.load(qn, 64), v128.load(qn, 80)));
      na = f32x4.pmax(na, f32x4.pmax(v128.load(qn, 96), v128.load(qn, 112)));
      a0 = f32x4.add(a0, exp2NegK(f32x4.mul(f32x4.sub(v128.load(q), Xv), c), lo, sh, c5, c4, c3, c2, c1, one));
      a1 = f32x4.add(a1, exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 16), Xv), c), lo, sh, c5, c4, c3, c2, c1, one));
      a0 = f32x4.add(a0, exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 32), Xv), c), lo, sh, c5, c4, c3, c2, c1, one));
      a1 = f32x4.add(a1, exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 48), Xv), c), lo, sh, c5, c4, c3, c2, c1, one));
      a0 = f32x4.add(a0, exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 64), Xv), c), lo, sh, c5, c4, c3, c2, c1, one));
      a1 = f32x4.add(a1, exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 80), Xv), c), lo, sh, c5, c4, c3, c2, c1, one));
      a0 = f32x4.add(a0, exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 96), Xv), c), lo, sh, c5, c4, c3, c2, c1, one));
      a1 = f32x4.add(a1, exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 112), Xv), c), lo, sh, c5, c4, c3, c2, c1, one));
    }
    sum += hsum4(a0) + hsum4(a1);
  }
  if (sizeof<H>() == 2) widenTail<H>(src, pn, j, cols);
  foundNext(p, pn, cols, j, na, nb);
  if (j + 4 <= cols) {
    let a0 = f32x4.splat(0);
    for (; j + 4 <= cols; j += 4) a0 = f32x4.add(a0, exp2NegK(f32x4.mul(f32x4.sub(v128.load(p + (<usize>j << 2)), Xv), c), lo, sh, c5, c4, c3, c2, c1, one));
    sum += hsum4(a0);
  }
  for (; j < cols; j++) sum += exp64((<f64>load<f32>(p + (<usize>j << 2)) - X) * s);
  return sum;
}

// ln 2 rounded down: the fast float32 sum S is accepted when the loss it enters is at least this (see logFromSum).
const LN2_ACCEPT: f64 = 0.6931;

/**
 * log Σ exp(z - m) of a float32 row from its fast sum S (expSum32, error <= about 1e-6 relative worst case, 3e-7
 * in practice): log S is used when the loss it is added to, exact + log S with exact >= 0 computed in float64, is
 * at least ln 2, so that its absolute error (about S's relative error) stays a small part of that loss. Otherwise:
 * S < 1.0099 means one maximum and a rest below 0.01, whose loss ≈ rest needs relative accuracy: one float64 pass
 * (tinyRest); else the precise float32 pass (expRest). NaN or +Infinity S: expRest (it propagates them).
 */
export function logFromSum<T>(S: f64, p: usize, cols: i32, X: f64, s: f64, exact: f64): f64 {
  if (S < Infinity) {
    let lg = log64(S);
    if (lg + exact >= LN2_ACCEPT) return lg;
    if (S < 1.0099) return log1p64(tinyRest<T>(p, cols, X, s));
  }
  return log1p64(expRest<T>(p, cols, X, s));
}

/**
 * log Σ exp(z - m) for a row whose max is finite: for float32 rows from expSum32 (logFromSum; exact is the part of
 * the caller's result added to it, 0 for log-sum-exp itself), else expRest.
 */
export function rowLogSum<T>(p: usize, cols: i32, X: f64, s: f64, exact: f64 = 0): f64 {
  if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
    let S = !halfSrc ? expSum32<f32>(p, cols, X, s)
      : halfBF ? expSum32<BFloat16Bits>(p, cols, X, s) : expSum32<Float16Bits>(p, cols, X, s);
    return logFromSum<T>(S, p, cols, X, s, exact);
  }
  return log1p64(expRest<T>(p, cols, X, s));
}

/** Sets rowX, rowM, rowLog for one row. A row whose max is -Infinity: rowM = -Infinity, rowLog 0 (NaN if any NaN). */
export function rowLse<T>(p: usize, cols: i32, s: f64): void {
  let X = rowMax<T>(p, cols);
  let m = s * X;
  rowX = X;
  rowM = m;
  if (m == -Infinity) {
    rowLog = rowHasNaN<T>(p, cols) ? NaN : 0;
    return;
  }
  rowLog = rowLogSum<T>(p, cols, X, s);
}

export function logSumExp<T>(x: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  for (let r = 0; r < rows; r++) {
    hintNext<T>(x, r, rows, cols);
    rowLse<T>(at<T>(x, r * cols), cols, s);
    // A row holding +Infinity (m = +Infinity) has lse = +Infinity unless it also holds a NaN (its rowLog is NaN).
    let v = rowM == Infinity ? (rowHasNaN<T>(at<T>(x, r * cols), cols) ? NaN : Infinity) : rowM + rowLog;
    store<f64>(out + (<usize>r << 3), v);
  }
  endHints();
}

/** Writes exp((x_j - X)·s - lg) (softmax) or (x_j - X)·s - lg (log-softmax), in float64 arithmetic. */
function rowOut<T>(p: usize, q: usize, cols: i32, X: f64, s: f64, lg: f64, logs: bool): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    let Xv = f64x2.splat(X), sv = f64x2.splat(s), lv = f64x2.splat(lg);
    for (; j + 2 <= cols; j += 2) {
      let a = f64x2.sub(f64x2.mul(f64x2.sub(ld2<T>(p, j), Xv), sv), lv);
      st2<T>(q, j, logs ? a : exp2d(a));
    }
  }
  for (; j < cols; j++) {
    let a = (get<T>(p, j) - X) * s - lg;
    put<T>(q, j, logs ? a : exp64(a));
  }
}

export function softmax<T>(x: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  for (let r = 0; r < rows; r++) {
    let p = at<T>(x, r * cols);
    hintNext<T>(x, r, rows, cols);
    rowLse<T>(p, cols, s);
    rowOut<T>(p, at<T>(out, r * cols), cols, rowX, s, rowLog, false);
  }
  endHints();
}

export function logSoftmax<T>(x: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  for (let r = 0; r < rows; r++) {
    let p = at<T>(x, r * cols);
    hintNext<T>(x, r, rows, cols);
    rowLse<T>(p, cols, s);
    rowOut<T>(p, at<T>(out, r * cols), cols, rowX, s, rowLog, true);
  }
  endHints();
}
