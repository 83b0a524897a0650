// Token scoring (ScoringKernels.scoreTokens in src/backend/kernels.ts): per row with target y, z = s·x, the
// log-probability of the target z_y - lse, the entropy of softmax(z), the rank of the target (#{j : x_j > x_y},
// counted up to a cap) and, when asked, the k most likely ids with their log-probabilities.
//
// With X the row's max, d_j = (x_j - X)·s <= 0, e_j = exp(d_j) and S = Σ e_j:
//   log p_y = -(s·(X - x_y) + log S),   H = log S + (Σ_j e_j·(-d_j)) / S,
// both parts of H >= 0, so neither cancels. A masked logit (d = -Infinity, e = 0) contributes 0 to the second sum.
//
// Float32 rows (SIMD build): one pass in f32 lanes that is expSum32's (softmax.ts) with Σ e·t riding along
// (t = d·log2 e, as the exp takes it) and the next row's max found along the way. log S and H from that fast sum are
// kept when the result they enter is at least ln 2 (as logFromSum does for the loss): there the sum's error, about
// 2e-6 relative at worst, stays a small part of it. A row whose loss or entropy is smaller, or that holds a masked
// logit, takes one precise pass that serves both: float64 lanes when S < 1.0099 (one max and a rest below 0.01,
// where every term needs its argument in float64), else f32 lanes without the exact ones (restPass32). The rank is
// counted in the fast pass when the cap is large (scoreTokens), else by a scan that stops at the cap (the
// evaluator's top-k), and only for a target below its max.
// Float64 rows (and every row of the scalar build): one pass in float64 lanes with the rank counted along
// (restPass: expRest's float64 pass with Σ e·d and the count added).

import { exp64, expNeg2d, expNegK, EXPNEG_CONSTS, log1p64, log64 } from './math';
import { hsum4, LOG2E_F32, EXP2_CONSTS, exp2NegK } from './math32';
import { madd4 } from './fused';
import { at, get, ld2, hsum2, BLOCK } from './lanes';
import { endHints, foundNext, hintNext, rowMax, rowHasNaN, takeHint, tinyRest } from './softmax';
import { countAbove32 } from './evaluate';

const LN2: f64 = 0.6931471805599453;
// The fast float32 sums are accepted for a loss or an entropy of at least this much (ln 2 rounded down, as in
// softmax.ts), and a row is "one max and a rest below 0.01" below S_TINY.
const ACCEPT: f64 = 0.6931;
const S_TINY: f64 = 1.0099;
// A rank capped at most this high is counted by a scan that stops at the cap (the evaluator's top-k), not in the pass.
const CAP_SCAN: i32 = 64;

/** Σ_j e_j·d_j (<= 0, nats) of the last pass, and the count of entries above the target's (restPass). */
let passT: f64 = 0;
let passAbove: i32 = 0;

/**
 * The relaxed-SIMD build's form of fastPass32's loop (V8 13: 10-12% faster there; V8 11, which runs the SIMD build
 * on Node 20, ran it 5-7% slower than the plain form, so that build keeps the plain one): the rank counted in byte
 * lanes, each group of four vectors compared before its exps, and S in one accumulator (32 adds per lane per block:
 * <= 1.9e-6 relative worst case, about 3e-8 for random rounding; the plain form, two of 16).
 */
const BYTE_COUNT = ASC_FEATURE_RELAXED_SIMD;

/**
 * The masks of x > y for 16 entries (four vectors), narrowed to one byte each (-1 or 0): counting them in byte lanes
 * takes one subtraction per 16 entries, and the narrowing runs on the shuffle unit, beside the exp's arithmetic.
 */
// @ts-ignore: decorator
@inline function above16(v0: v128, v1: v128, v2: v128, v3: v128, y: v128): v128 {
  return i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(f32x4.gt(v0, y), f32x4.gt(v1, y)),
    i16x8.narrow_i32x4_s(f32x4.gt(v2, y), f32x4.gt(v3, y)));
}

/**
 * Float32 rows: S = Σ exp(d_j) with the exps of expSum32 (softmax.ts) and passT = Σ e·d (e·t, one multiply-add)
 * riding along, and with `count` passAbove = #{x_j > xy} too; the next row's max is found as expSum32 finds it.
 * Sums run in f32 lanes over 128-element blocks, flushed to float64 (Σ e·t: one accumulator, 32 adds per lane of
 * terms of one sign; S: see BYTE_COUNT). t is not clamped: a masked logit (t = -Infinity) makes passT -Infinity,
 * and its row takes the precise pass. Inlined at its two call sites, each with a constant `count`.
 */
// @ts-ignore: decorator
@inline
function fastPass32(p: usize, cols: i32, X: f64, s: f64, xy: f64, count: bool): f64 {
  let Xv = f32x4.splat(<f32>X), c = f32x4.splat(s == 1 ? LOG2E_F32 : <f32>(s * 1.4426950408889634));
  let yv = f32x4.splat(<f32>xy);
  const K = EXP2_CONSTS;
  let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
  let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96), one = v128.load(K, 112);
  let sum: f64 = 0, sumT: f64 = 0, tailT: f64 = 0;
  let up = i32x4.splat(0);
  let j = 0;
  let pn = takeHint(p);
  let na = f32x4.splat(-Infinity), nb = na;
  while (j + 32 <= cols) {
    let end = min(cols, j + 128);
    let a0 = f32x4.splat(0), a1 = a0, t0 = a0, n8 = a0;
    for (; j + 32 <= end; j += 32) {
      let q = p + (<usize>j << 2), qn = pn + (<usize>j << 2);
      na = f32x4.pmax(f32x4.pmax(na, v128.load(qn)), f32x4.pmax(v128.load(qn, 16), v128.load(qn, 32)));
      nb = f32x4.pmax(f32x4.pmax(nb, v128.load(qn, 48)), f32x4.pmax(v128.load(qn, 64), v128.load(qn, 80)));
      na = f32x4.pmax(na, f32x4.pmax(v128.load(qn, 96), v128.load(qn, 112)));
      let t: v128, e: v128;
      let v0 = v128.load(q, 0), v1 = v128.load(q, 16), v2 = v128.load(q, 32), v3 = v128.load(q, 48);
      if (count && BYTE_COUNT) n8 = i8x16.sub(n8, above16(v0, v1, v2, v3, yv));
      t = f32x4.mul(f32x4.sub(v0, Xv), c); e = exp2NegK(t, lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e); t0 = madd4(e, t, t0);
      if (count && !BYTE_COUNT) up = i32x4.sub(up, f32x4.gt(v0, yv));
      t = f32x4.mul(f32x4.sub(v1, Xv), c); e = exp2NegK(t, lo, sh, c5, c4, c3, c2, c1, one);
      if (BYTE_COUNT) a0 = f32x4.add(a0, e); else a1 = f32x4.add(a1, e);
      t0 = madd4(e, t, t0);
      if (count && !BYTE_COUNT) up = i32x4.sub(up, f32x4.gt(v1, yv));
      t = f32x4.mul(f32x4.sub(v2, Xv), c); e = exp2NegK(t, lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e); t0 = madd4(e, t, t0);
      if (count && !BYTE_COUNT) up = i32x4.sub(up, f32x4.gt(v2, yv));
      t = f32x4.mul(f32x4.sub(v3, Xv), c); e = exp2NegK(t, lo, sh, c5, c4, c3, c2, c1, one);
      if (BYTE_COUNT) a0 = f32x4.add(a0, e); else a1 = f32x4.add(a1, e);
      t0 = madd4(e, t, t0);
      if (count && !BYTE_COUNT) up = i32x4.sub(up, f32x4.gt(v3, yv));
      let v4 = v128.load(q, 64), v5 = v128.load(q, 80), v6 = v128.load(q, 96), v7 = v128.load(q, 112);
      if (count && BYTE_COUNT) n8 = i8x16.sub(n8, above16(v4, v5, v6, v7, yv));
      t = f32x4.mul(f32x4.sub(v4, Xv), c); e = exp2NegK(t, lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e); t0 = madd4(e, t, t0);
      if (count && !BYTE_COUNT) up = i32x4.sub(up, f32x4.gt(v4, yv));
      t = f32x4.mul(f32x4.sub(v5, Xv), c); e = exp2NegK(t, lo, sh, c5, c4, c3, c2, c1, one);
      if (BYTE_COUNT) a0 = f32x4.add(a0, e); else a1 = f32x4.add(a1, e);
      t0 = madd4(e, t, t0);
      if (count && !BYTE_COUNT) up = i32x4.sub(up, f32x4.gt(v5, yv));
      t = f32x4.mul(f32x4.sub(v6, Xv), c); e = exp2NegK(t, lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e); t0 = madd4(e, t, t0);
      if (count && !BYTE_COUNT) up = i32x4.sub(up, f32x4.gt(v6, yv));
      t = f32x4.mul(f32x4.sub(v7, Xv), c); e = exp2NegK(t, lo, sh, c5, c4, c3, c2, c1, one);
      if (BYTE_COUNT) a0 = f32x4.add(a0, e); else a1 = f32x4.add(a1, e);
      t0 = madd4(e, t, t0);
      if (count && !BYTE_COUNT) up = i32x4.sub(up, f32x4.gt(v7, yv));
    }
    sum += hsum4(a0) + hsum4(a1);
    sumT += hsum4(t0);
    // Each byte of n8 counted at most 8 of the block's 128 entries: widened into the i32 counts once per block.
    if (count && BYTE_COUNT) up = i32x4.add(up, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(n8)));
  }
  foundNext(p, pn, cols, j, na, nb);
  if (j + 4 <= cols) {
    let a0 = f32x4.splat(0), t0 = a0;
    for (; j + 4 <= cols; j += 4) {
      let v = v128.load(p + (<usize>j << 2));
      let t = f32x4.mul(f32x4.sub(v, Xv), c);
      let e = exp2NegK(t, lo, sh, c5, c4, c3, c2, c1, one);
      a0 = f32x4.add(a0, e);
      t0 = madd4(e, t, t0);
      if (count) up = i32x4.sub(up, f32x4.gt(v, yv));
    }
    sum += hsum4(a0);
    sumT += hsum4(t0);
  }
  let above = i32x4.extract_lane(up, 0) + i32x4.extract_lane(up, 1) +
              i32x4.extract_lane(up, 2) + i32x4.extract_lane(up, 3);
  for (; j < cols; j++) {
    let v = <f64>load<f32>(p + (<usize>j << 2));
    let d = (v - X) * s;
    let e = exp64(d);
    sum += e;
    if (e > 0) tailT += e * d;
    if (count && v > xy) above++;
  }
  passT = sumT * LN2 + tailT;
  passAbove = above;
  return sum;
}

/**
 * Float32 rows, the precise pass: (k - 1) + Σ_{d_j != 0} exp(d_j) as expRest's f32 lanes compute it (expNegK, the
 * exact ones left out, 256-element blocks) and passT = Σ e·d over the same terms (d clamped at -88, where expNegK
 * gives 0).
 */
function restPass32(p: usize, cols: i32, X: f64, s: f64): f64 {
  const K = EXPNEG_CONSTS;
  let m88 = v128.load(K), il = v128.load(K, 16), sh = v128.load(K, 32), chi = v128.load(K, 48);
  let clo = v128.load(K, 64), q5 = v128.load(K, 80), q4 = v128.load(K, 96), q3 = v128.load(K, 112);
  let q2 = v128.load(K, 128), q1 = v128.load(K, 144), q0 = v128.load(K, 160), one = v128.load(K, 176);
  let Xv = f32x4.splat(<f32>X), sv = f32x4.splat(<f32>s);
  let sum: f64 = 0, sumT: f64 = 0;
  let cnt = i32x4.splat(0);
  let j = 0;
  while (j + 4 <= cols) {
    let end = min(cols, j + 256);
    let acc = f32x4.splat(0), accT = acc;
    for (; j + 8 <= end; j += 8) {
      let q = p + (<usize>j << 2);
      let d0 = f32x4.pmax(f32x4.mul(f32x4.sub(v128.load(q), Xv), sv), m88), z0 = f32x4.eq(d0, f32x4.splat(0));
      let d1 = f32x4.pmax(f32x4.mul(f32x4.sub(v128.load(q, 16), Xv), sv), m88), z1 = f32x4.eq(d1, f32x4.splat(0));
      let e0 = v128.andnot(expNegK(d0, m88, il, sh, chi, clo, q5, q4, q3, q2, q1, q0, one), z0);
      let e1 = v128.andnot(expNegK(d1, m88, il, sh, chi, clo, q5, q4, q3, q2, q1, q0, one), z1);
      acc = f32x4.add(acc, f32x4.add(e0, e1));
      accT = f32x4.add(accT, f32x4.add(f32x4.mul(e0, d0), f32x4.mul(e1, d1)));
      cnt = i32x4.add(cnt, i32x4.add(z0, z1));
    }
    for (; j + 4 <= end; j += 4) {
      let d = f32x4.pmax(f32x4.mul(f32x4.sub(v128.load(p + (<usize>j << 2)), Xv), sv), m88);
      let z = f32x4.eq(d, f32x4.splat(0));
      let e = v128.andnot(expNegK(d, m88, il, sh, chi, clo, q5, q4, q3, q2, q1, q0, one), z);
      acc = f32x4.add(acc, e);
      accT = f32x4.add(accT, f32x4.mul(e, d));
      cnt = i32x4.add(cnt, z);
    }
    sum += hsum4(acc);
    sumT += hsum4(accT);
  }
  let k = -(i32x4.extract_lane(cnt, 0) + i32x4.extract_lane(cnt, 1) +
            i32x4.extract_lane(cnt, 2) + i32x4.extract_lane(cnt, 3));
  for (; j < cols; j++) {
    let d = <f64>(<f32>((load<f32>(p + (<usize>j << 2)) - <f32>X) * <f32>s));
    if (d == 0) k++;
    else {
      let e = exp64(d);
      sum += e;
      if (e > 0) sumT += e * d;
    }
  }
  passT = sumT;
  return <f64>(k - 1) + sum;
}

/**
 * Every row but a float32 row's fast pass: (k - 1) + Σ_{d_j != 0} exp(d_j) with d_j = (x_j - X)·s in float64 (f64x2
 * lanes, expNeg2d, two vectors per step in BLOCK-element blocks as expRest's float64 pass), passT = Σ e·d over the
 * same terms (d clamped at -709, where expNeg2d gives 0) and passAbove = #{x_j > xy}. A rest below 1e-290 (where
 * expNeg2d flushes) is redone with the full-range exp (tinyRest). For a row without a finite max only passAbove
 * means anything.
 */
function restPass<T>(p: usize, cols: i32, X: f64, s: f64, xy: f64): f64 {
  let sum: f64 = 0, sumT: f64 = 0;
  let k: i32 = 0, above: i32 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    let Xv = f64x2.splat(X), sv = f64x2.splat(s), yv = f64x2.splat(xy), lo = f64x2.splat(-709);
    let cnt = i64x2.splat(0), up = cnt;
    while (j + 2 <= cols) {
      let end = min(cols, j + BLOCK);
      let acc = f64x2.splat(0), acc1 = acc, accT = acc;
      for (; j + 4 <= end; j += 4) {
        let v0 = ld2<T>(p, j), v1 = ld2<T>(p, j + 2);
        let d0 = f64x2.pmax(f64x2.mul(f64x2.sub(v0, Xv), sv), lo), z0 = f64x2.eq(d0, f64x2.splat(0));
        let d1 = f64x2.pmax(f64x2.mul(f64x2.sub(v1, Xv), sv), lo), z1 = f64x2.eq(d1, f64x2.splat(0));
        let e0 = v128.andnot(expNeg2d(d0), z0), e1 = v128.andnot(expNeg2d(d1), z1);
        acc = f64x2.add(acc, e0);
        acc1 = f64x2.add(acc1, e1);
        accT = f64x2.add(accT, f64x2.add(f64x2.mul(e0, d0), f64x2.mul(e1, d1)));
        cnt = i64x2.add(cnt, i64x2.add(z0, z1));
        up = i64x2.add(up, i64x2.add(f64x2.gt(v0, yv), f64x2.gt(v1, yv)));
      }
      for (; j + 2 <= end; j += 2) {
        let v = ld2<T>(p, j);
        let d = f64x2.pmax(f64x2.mul(f64x2.sub(v, Xv), sv), lo), z = f64x2.eq(d, f64x2.splat(0));
        let e = v128.andnot(expNeg2d(d), z);
        acc = f64x2.add(acc, e);
        accT = f64x2.add(accT, f64x2.mul(e, d));
        cnt = i64x2.add(cnt, z);
        up = i64x2.add(up, f64x2.gt(v, yv));
      }
      acc = f64x2.add(acc, acc1);
      sum += f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      sumT += hsum2(accT);
    }
    k = -<i32>(i64x2.extract_lane(cnt, 0) + i64x2.extract_lane(cnt, 1));
    above = -<i32>(i64x2.extract_lane(up, 0) + i64x2.extract_lane(up, 1));
  }
  for (; j < cols; j++) {
    let v = get<T>(p, j);
    let d = (v - X) * s;
    if (d == 0) k++;
    else {
      let e = exp64(d);
      sum += e;
      if (e > 0) sumT += e * d;
    }
    if (v > xy) above++;
  }
  passT = sumT;
  passAbove = above;
  if (k == 1 && sum < 1e-290) return tinyRest<T>(p, cols, X, s);
  return <f64>(k - 1) + sum;
}

/**
 * The k largest entries of a row (k <= cols), descending, ties in id order, into ids[0..k) and vals[0..k) as raw
 * values: a scan in vector steps that only looks closer at a step holding an entry above the current k-th value
 * (strictly above: an equal entry comes later in id order, so it loses the tie). The first k entries fill the list.
 */
function selectTop<T>(p: usize, cols: i32, k: i32, ids: usize, vals: usize): void {
  let n = 0;
  let j = 0;
  for (; j < k; j++) n = insertTop(ids, vals, n, k, j, get<T>(p, j));
  let thr = load<f64>(vals + (<usize>(k - 1) << 3));
  if (ASC_FEATURE_SIMD) {
    const L = <i32>(16 / sizeof<T>());
    let tv = v128.splat<T>(<T>thr);
    for (; j + 4 * L <= cols; j += 4 * L) {
      let q = at<T>(p, j);
      let h = v128.or(v128.or(v128.gt<T>(v128.load(q), tv), v128.gt<T>(v128.load(q, 16), tv)),
                      v128.or(v128.gt<T>(v128.load(q, 32), tv), v128.gt<T>(v128.load(q, 48), tv)));
      if (!v128.any_true(h)) continue;
      for (let i = j; i < j + 4 * L; i++) {
        let v = get<T>(p, i);
        if (v > thr) {
          insertTop(ids, vals, k, k, i, v);
          thr = load<f64>(vals + (<usize>(k - 1) << 3));
        }
      }
      tv = v128.splat<T>(<T>thr);
    }
  }
  for (; j < cols; j++) {
    let v = get<T>(p, j);
    if (v > thr) {
      insertTop(ids, vals, k, k, j, v);
      thr = load<f64>(vals + (<usize>(k - 1) << 3));
    }
  }
}

/** Inserts (id, v) into the sorted list of n entries (capacity k) after every entry >= v; returns the new length. */
function insertTop(ids: usize, vals: usize, n: i32, k: i32, id: i32, v: f64): i32 {
  let i = n < k ? n : k - 1; // the slot that frees up: the end, or the last entry (dropped)
  while (i > 0 && load<f64>(vals + (<usize>(i - 1) << 3)) < v) {
    store<f64>(vals + (<usize>i << 3), load<f64>(vals + (<usize>(i - 1) << 3)));
    store<i32>(ids + (<usize>i << 2), load<i32>(ids + (<usize>(i - 1) << 2)));
    i--;
  }
  store<f64>(vals + (<usize>i << 3), v);
  store<i32>(ids + (<usize>i << 2), id);
  return n < k ? n + 1 : k;
}

export function scoreTokens<T>(
  x: usize, rows: i32, cols: i32, s: f64, labels: usize, cap: i32,
  logprob: usize, rank: usize, entropy: usize, k: i32, topIds: usize, topLogprobs: usize,
): void {
  const simd32 = ASC_FEATURE_SIMD && sizeof<T>() == 4;
  for (let r = 0; r < rows; r++) {
    let o = <usize>r << 3, o4 = <usize>r << 2;
    let ids = topIds + (<usize>(r * k) << 2), vals = topLogprobs + (<usize>(r * k) << 3);
    let y = load<i32>(labels + o4);
    hintNext<T>(x, r, rows, cols);
    if (y < 0) {
      store<f64>(logprob + o, 0);
      store<i32>(rank + o4, -1);
      store<f64>(entropy + o, 0);
      for (let i = 0; i < k; i++) {
        if (topIds) store<i32>(ids + (<usize>i << 2), -1);
        store<f64>(vals + (<usize>i << 3), 0);
      }
      continue;
    }
    let p = at<T>(x, r * cols);
    let X = rowMax<T>(p, cols);
    let xy = get<T>(p, y);
    let finite = X > -Infinity && X < Infinity;
    // lg = log S, H the entropy; both stay NaN for a row without a finite max.
    let lg: f64 = NaN, H: f64 = NaN;
    let above: i32 = 0;
    let exact = s * (X - xy); // +Infinity for a masked target
    if (simd32) {
      if (finite) {
        // The rank: counted in the pass when it may be large, else (capped) by a scan that stops at the cap, only
        // for a target below the max.
        let S: f64;
        if (xy < X && cap > CAP_SCAN) {
          S = fastPass32(p, cols, X, s, xy, true);
          above = min(passAbove, cap);
        } else {
          S = fastPass32(p, cols, X, s, xy, false);
          if (xy < X) above = countAbove32(p, cols, <f32>xy, cap);
        }
        let fine = S < Infinity && passT > -Infinity; // else NaN in the row, or a masked entry
        if (fine) {
          lg = log64(S);
          H = lg - passT / S;
        }
        // With the top list, log S itself is a result (the top log-probability): it must be large enough too.
        if (!fine || lg + exact < ACCEPT || H < ACCEPT || (topIds != 0 && lg < ACCEPT)) {
          let rest = S < S_TINY ? restPass<T>(p, cols, X, s, xy) : restPass32(p, cols, X, s);
          lg = log1p64(rest);
          H = lg - passT / (1 + rest);
        }
      } else {
        above = min(countAbove32(p, cols, <f32>xy, cols), cap);
      }
    } else {
      let rest = restPass<T>(p, cols, X, s, xy);
      if (finite) {
        lg = log1p64(rest);
        H = lg - passT / (1 + rest);
      }
      above = min(passAbove, cap);
    }
    let lp: f64;
    if (finite) lp = xy == -Infinity ? (isNaN(lg) ? lg : -Infinity) : -(exact + lg);
    else lp = X == Infinity || rowHasNaN<T>(p, cols) ? NaN : -Infinity; // as softmaxCrossEntropyLabels' loss
    store<f64>(logprob + o, lp);
    store<i32>(rank + o4, above);
    store<f64>(entropy + o, H);
    if (k == 0) continue;
    if (!topIds) { // k = 1, values only: the top log-probability is -log S
      store<f64>(vals, -lg);
      continue;
    }
    selectTop<T>(p, cols, k, ids, vals);
    for (let i = 0; i < k; i++) {
      let a = vals + (<usize>i << 3);
      store<f64>(a, (load<f64>(a) - X) * s - lg);
    }
  }
  endHints();
}

export function scoreTokens_f32(x: usize, rows: i32, cols: i32, s: f64, labels: usize, cap: i32, logprob: usize, rank: usize, entropy: usize, k: i32, topIds: usize, topLogprobs: usize): void {
  scoreTokens<f32>(x, rows, cols, s, labels, cap, logprob, rank, entropy, k, topIds, topLogprobs);
}

export function scoreTokens_f64(x: usize, rows: i32, cols: i32, s: f64, labels: usize, cap: i32, logprob: usize, rank: usize, entropy: usize, k: i32, topIds: usize, topLogprobs: usize): void {
  scoreTokens<f64>(x, rows, cols, s, labels, cap, logprob, rank, entropy, k, topIds, topLogprobs);
}
