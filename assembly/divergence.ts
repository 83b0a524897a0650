// Entropy, KL (SciPy rel_entr terms), Jensen-Shannon, and row statistics; float64 lanes, float32 data promoted
// exactly, so float32 rows get float64 accuracy (KL of near-equal rows needs it: its terms cancel to first order).

import { log2d, log64, logPlus2d, logPlus64 } from './math';
import { klRow32, klOk, klSumErr, klSumP, klSumQ, klUnit, entropyRow32, entOk } from './divergence32';
import { at, get, ld2, hsum2, coef2, coef, addPromoted, BLOCK } from './lanes';

const MIN_NORMAL = reinterpret<f64>(0x0010000000000000); // 2^-1022

/**
 * rel_entr(p, q): p log(p/q) for p, q > 0 (log1p((p - q)/q) when |p - q| < q/2, where p - q is exact by Sterbenz;
 * log p - log q when p/q is subnormal or overflows), 0 for p = 0 <= q, +Infinity for p > 0 = q or a negative input.
 */
export function relEntr64(p: f64, q: f64): f64 {
  if (p == 0 && q >= 0) return 0;
  if (isNaN(p) || isNaN(q)) return p + q;
  if (p < 0 || q <= 0) return Infinity;
  let diff = p - q;
  if (abs(diff) < 0.5 * q) {
    let delta = diff / q;
    let u = 1 + delta;
    return p * logPlus64(u, (delta - (u - 1)) / u);
  }
  let ratio = p / q;
  if (ratio >= MIN_NORMAL && ratio < Infinity) return p * logPlus64(ratio, 0);
  return p * (log64(p) - log64(q));
}

/**
 * ½ rel_entr(p, m) + ½ rel_entr(q, m), m = (p + q) / 2. Where one side is 0 the term is exactly ½ (p + q) ln 2:
 * computing m would round a subnormal p / 2 to 0 and turn the term into Infinity.
 */
export function jsTerm64(p: f64, q: f64): f64 {
  if (p == 0 || q == 0) {
    if (isNaN(p) || isNaN(q)) return p + q;
    if (p < 0 || q < 0) return Infinity;
    return 0.5 * (p + q) * Math.LN2;
  }
  let m = (p + q) * 0.5;
  return 0.5 * (relEntr64(p, m) + relEntr64(q, m));
}

/** Lane-wise relEntr64: one log per lane on the common path; lanes off it are recomputed by the scalar form. */
function relEntr2(p: v128, q: v128): v128 {
  let one = f64x2.splat(1);
  let diff = f64x2.sub(p, q);
  let near = f64x2.lt(f64x2.abs(diff), f64x2.mul(f64x2.splat(0.5), q));
  let delta = f64x2.div(diff, q);
  let u1 = f64x2.add(one, delta);
  let c = v128.and(f64x2.div(f64x2.sub(delta, f64x2.sub(u1, one)), u1), near);
  let ratio = f64x2.div(p, q);
  let u = v128.bitselect(u1, ratio, near);
  let term = f64x2.mul(p, logPlus2d(u, c));
  let ratioOk = v128.and(f64x2.ge(ratio, f64x2.splat(MIN_NORMAL)), f64x2.lt(ratio, f64x2.splat(Infinity)));
  let pos = v128.and(f64x2.gt(p, f64x2.splat(0)), f64x2.gt(q, f64x2.splat(0)));
  let zero = v128.and(f64x2.eq(p, f64x2.splat(0)), f64x2.ge(q, f64x2.splat(0)));
  term = v128.andnot(term, zero);
  if (!i64x2.all_true(v128.or(v128.and(pos, v128.or(near, ratioOk)), zero))) {
    term = f64x2.replace_lane(term, 0, relEntr64(f64x2.extract_lane(p, 0), f64x2.extract_lane(q, 0)));
    term = f64x2.replace_lane(term, 1, relEntr64(f64x2.extract_lane(p, 1), f64x2.extract_lane(q, 1)));
  }
  return term;
}

export function entropy<T>(p: usize, rows: i32, cols: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    let pp = at<T>(p, r * cols);
    let sum: f64 = 0;
    let j = 0;
    if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
      // Float32 rows in f32 lanes (divergence32.ts); rows it cannot take go through the float64 lanes below.
      let n4 = cols & ~3;
      sum = entropyRow32(pp, n4);
      if (entOk) j = n4; else sum = 0;
    }
    if (ASC_FEATURE_SIMD) {
      while (j + 2 <= cols) {
        let end = min(cols, j + BLOCK);
        let acc = f64x2.splat(0);
        for (; j + 2 <= end; j += 2) {
          let pv = ld2<T>(pp, j);
          acc = f64x2.add(acc, coef2(pv, log2d(pv)));
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
        let pj = get<T>(pp, j);
        sum += coef(pj, log64(pj));
      }
      sum = sumBefore + sum;
    }
    store<f64>(out + (<usize>r << 3), 0 - sum); // 0 - sum: a one-hot row gives +0, not -0
  }
}

/** One row of KL (js false) or Jensen-Shannon (js true) in float64 lanes (not inlined: one copy serves both). */
function divRow<T>(pp: usize, qp: usize, cols: i32, js: bool): f64 {
  let sum: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    let half = f64x2.splat(0.5);
    while (j + 2 <= cols) {
      let end = min(cols, j + BLOCK);
      let acc = f64x2.splat(0);
      if (!js) {
        let acc1 = acc;
        for (; j + 4 <= end; j += 4) { // two vectors per iteration (V8's per-iteration overhead)
          acc = f64x2.add(acc, relEntr2(ld2<T>(pp, j), ld2<T>(qp, j)));
          acc1 = f64x2.add(acc1, relEntr2(ld2<T>(pp, j + 2), ld2<T>(qp, j + 2)));
        }
        acc = f64x2.add(acc, acc1);
      }
      for (; j + 2 <= end; j += 2) {
        let pv = ld2<T>(pp, j), qv = ld2<T>(qp, j);
        if (js) {
          let m = f64x2.mul(f64x2.add(pv, qv), half);
          let term = f64x2.mul(half, f64x2.add(relEntr2(pv, m), relEntr2(qv, m)));
          let zero = f64x2.splat(0);
          if (v128.any_true(v128.or(f64x2.eq(pv, zero), f64x2.eq(qv, zero)))) {
            term = f64x2.replace_lane(term, 0, jsTerm64(f64x2.extract_lane(pv, 0), f64x2.extract_lane(qv, 0)));
            term = f64x2.replace_lane(term, 1, jsTerm64(f64x2.extract_lane(pv, 1), f64x2.extract_lane(qv, 1)));
          }
          acc = f64x2.add(acc, term);
        } else {
          acc = f64x2.add(acc, relEntr2(pv, qv));
        }
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
      let pj = get<T>(pp, j), qj = get<T>(qp, j);
      if (js) {
        sum += jsTerm64(pj, qj);
      } else {
        sum += relEntr64(pj, qj);
      }
    }
    sum = sumBefore + sum;
  }
  return sum;
}

/**
 * KL divergence per row. With `checked`, the rows must also pass checkDistribution's tests (rowStats' sums and
 * extremes, see the API): the result is the number of leading rows that pass, whose values are in out, and the
 * caller checks the rest. Float32 rows on the SIMD build take the tests in klRow32's pass (a row outside [+0, 1],
 * -0 included, is left to the caller); the others take them from the row just read, while it is in cache.
 */
function klRows<T>(p: usize, q: usize, rows: i32, cols: i32, tol: f64, out: usize, checked: bool): i32 {
  for (let r = 0; r < rows; r++) {
    let pp = at<T>(p, r * cols), qp = at<T>(q, r * cols);
    let sum: f64;
    if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
      // Float32 KL in f32 lanes (divergence32.ts); rows it cannot take go through the float64 lanes below.
      let n4 = cols & ~3;
      sum = klRow32(pp, qp, n4, checked);
      if (checked) {
        let ok = klUnit;
        for (let j = n4; j < cols; j++) {
          let a = get<T>(pp, j), b = get<T>(qp, j);
          ok = ok && a >= 0 && a <= 1 && b >= 0 && b <= 1;
        }
        // klSumErr bounds the sums' error: a row within it of the tolerance is left to the caller's float64 test.
        let t = tol - klSumErr;
        if (!ok || !near1(tailSum<T>(pp, n4, cols, klSumP), t) || !near1(tailSum<T>(qp, n4, cols, klSumQ), t)) return r;
      }
      if (klOk) {
        for (let j = n4; j < cols; j++) sum += relEntr64(get<T>(pp, j), get<T>(qp, j));
      } else {
        sum = divRow<T>(pp, qp, cols, false);
      }
    } else {
      if (checked && (!isDistribution<T>(pp, cols, tol) || !isDistribution<T>(qp, cols, tol))) return r;
      sum = divRow<T>(pp, qp, cols, false);
    }
    store<f64>(out + (<usize>r << 3), sum);
  }
  return rows;
}

export function klDivergence<T>(p: usize, q: usize, rows: i32, cols: i32, out: usize): void {
  klRows<T>(p, q, rows, cols, 0, out, false);
}

export function klDivergenceChecked<T>(p: usize, q: usize, rows: i32, cols: i32, tol: f64, out: usize): i32 {
  return klRows<T>(p, q, rows, cols, tol, out, true);
}

export function jsDivergence<T>(p: usize, q: usize, rows: i32, cols: i32, out: usize): void {
  for (let r = 0; r < rows; r++) store<f64>(out + (<usize>r << 3), divRow<T>(at<T>(p, r * cols), at<T>(q, r * cols), cols, true));
}

// @ts-ignore: decorator
@inline function near1(s: f64, tol: f64): bool {
  return abs(s - 1) <= tol;
}

/** Results of stats: the row's sum, min and max. */
let stSum: f64 = 0;
let stLo: f64 = 0;
let stHi: f64 = 0;

/**
 * Row sum (float64), and min / max with pmin/pmax (one instruction each): a NaN they skip still makes the sum NaN,
 * which is what callers test first.
 */
function stats<T>(p: usize, cols: i32): void {
  let s: f64 = 0, lo: f64 = Infinity, hi: f64 = -Infinity;
  let j = 0;
  if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
    // Float32 rows: four per step, the sum exact in float64 lanes.
    let vlo = f32x4.splat(Infinity), vhi = f32x4.splat(-Infinity);
    let acc = f64x2.splat(0);
    for (; j + 4 <= cols; j += 4) {
      let v = v128.load(p + (<usize>j << 2));
      acc = addPromoted(acc, v);
      vlo = f32x4.pmin(vlo, v);
      vhi = f32x4.pmax(vhi, v);
    }
    s = hsum2(acc);
    lo = min(min(<f64>f32x4.extract_lane(vlo, 0), <f64>f32x4.extract_lane(vlo, 1)),
      min(<f64>f32x4.extract_lane(vlo, 2), <f64>f32x4.extract_lane(vlo, 3)));
    hi = max(max(<f64>f32x4.extract_lane(vhi, 0), <f64>f32x4.extract_lane(vhi, 1)),
      max(<f64>f32x4.extract_lane(vhi, 2), <f64>f32x4.extract_lane(vhi, 3)));
  } else if (ASC_FEATURE_SIMD) {
    let vlo = f64x2.splat(Infinity), vhi = f64x2.splat(-Infinity);
    while (j + 2 <= cols) {
      let end = min(cols, j + BLOCK);
      let acc = f64x2.splat(0);
      for (; j + 2 <= end; j += 2) {
        let v = ld2<T>(p, j);
        acc = f64x2.add(acc, v);
        vlo = f64x2.pmin(vlo, v);
        vhi = f64x2.pmax(vhi, v);
      }
      s += hsum2(acc);
    }
    lo = min(f64x2.extract_lane(vlo, 0), f64x2.extract_lane(vlo, 1));
    hi = max(f64x2.extract_lane(vhi, 0), f64x2.extract_lane(vhi, 1));
  }
  stSum = tailSum<T>(p, j, cols, s);
  for (; j < cols; j++) {
    let v = get<T>(p, j);
    lo = min(lo, v);
    hi = max(hi, v);
  }
  stLo = lo;
  stHi = hi;
}

/** s plus elements [j, cols), blocked like the vector loops so that the scalar build sums long rows as accurately. */
function tailSum<T>(p: usize, j: i32, cols: i32, s: f64): f64 {
  while (j < cols) {
    let end = min(cols, j + BLOCK);
    let b: f64 = 0;
    for (; j < end; j++) b += get<T>(p, j);
    s = s + b;
  }
  return s;
}

export function rowStats<T>(x: usize, rows: i32, cols: i32, sum: usize, mn: usize, mx: usize): void {
  for (let r = 0; r < rows; r++) {
    stats<T>(at<T>(x, r * cols), cols);
    let o = <usize>r << 3;
    store<f64>(sum + o, stSum);
    if (mn) store<f64>(mn + o, stLo);
    if (mx) store<f64>(mx + o, stHi);
  }
}

/** stats' test of a distribution: entries in [0, 1] (no NaN), the sum within tol of 1. */
function isDistribution<T>(p: usize, cols: i32, tol: f64): bool {
  stats<T>(p, cols);
  return stLo >= 0 && stHi <= 1 && near1(stSum, tol);
}
