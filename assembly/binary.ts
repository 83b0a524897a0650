// Binary cross-entropy from probabilities and from logits, and binary entropy: elementwise terms in float64 lanes
// (float32 data promoted exactly), summed per row in float64 or written per element.

import { exp2d, exp64, log1p2d, log1p64, log2d, log64 } from './math';
import { sigmoidRow32, sigUnit } from './binary32';
import { at, get, put, ld2, st2, hsum2, coef2, coef, BLOCK } from './lanes';

/** w for element (r, j): null -> 1, per class, or per element. */
// @ts-ignore: decorator
@inline function wAt<T>(w: usize, wFull: bool, r: i32, cols: i32, j: i32): f64 {
  return w ? get<T>(w, wFull ? r * cols + j : j) : 1.0;
}
// @ts-ignore: decorator
@inline function wAt2<T>(w: usize, wFull: bool, r: i32, cols: i32, j: i32): v128 {
  return w ? ld2<T>(w, wFull ? r * cols + j : j) : f64x2.splat(1);
}

/**
 * l = -w (t' log pc + (1 - t') log1p(-pc)), pc = p clamped to [lo, hi] unless that is [0, 1]. log1p(-pc) keeps
 * log(1 - p) accurate for small p; w multiplies last, so a subnormal t' at pc = 0 still meets log 0 (w t' would
 * underflow to 0 first).
 */
export function binaryCrossEntropy<T>(
  p: usize, t: usize, rows: i32, cols: i32, lo: f64, hi: f64, smoothing: f64,
  w: usize, wFull: bool, out: usize, elementwise: bool,
): void {
  let doClip = lo > 0 || hi < 1, ts = 1 - smoothing, t0 = smoothing / 2;
  for (let r = 0; r < rows; r++) {
    let pp = at<T>(p, r * cols), tp = at<T>(t, r * cols), op = out + (<usize>(r * cols) << 3);
    let sum: f64 = 0;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      let acc = f64x2.splat(0), one = f64x2.splat(1), vts = f64x2.splat(ts), vt0 = f64x2.splat(t0);
      let vlo = f64x2.splat(lo), vhi = f64x2.splat(hi);
      let blk = f64x2.splat(0);
      for (; j + 2 <= cols; j += 2) {
        let pc = ld2<T>(pp, j);
        if (doClip) pc = f64x2.pmax(f64x2.pmin(pc, vhi), vlo);
        let tq = f64x2.add(f64x2.mul(ld2<T>(tp, j), vts), vt0);
        let l = f64x2.add(coef2(tq, log2d(pc)), coef2(f64x2.sub(one, tq), log1p2d(f64x2.neg(pc))));
        if (w) l = coef2(ld2<T>(w, wFull ? r * cols + j : j), l);
        l = f64x2.sub(f64x2.splat(0), l);
        if (elementwise) v128.store(op + (<usize>j << 3), l); else blk = f64x2.add(blk, l);
        if (((j + 2) & (BLOCK - 1)) == 0) { acc = f64x2.add(acc, blk); blk = f64x2.splat(0); }
      }
      sum = hsum2(f64x2.add(acc, blk));
    }
    // Blocked like the vector loops, so the scalar build sums long rows as accurately.
    while (j < cols) {
      let end = min(cols, j + BLOCK);
      let sumBefore = sum;
      sum = 0;
      for (; j < end; j++) {
        let pc = get<T>(pp, j);
        if (doClip) pc = pc > hi ? hi : (pc < lo ? lo : pc);
        let tq = get<T>(tp, j) * ts + t0;
        let l = coef(tq, log64(pc)) + coef(1 - tq, log1p64(-pc));
        if (w) l = coef(get<T>(w, wFull ? r * cols + j : j), l);
        l = 0 - l;
        if (elementwise) store<f64>(op + (<usize>j << 3), l); else sum += l;
      }
      sum = sumBefore + sum;
    }
    if (!elementwise) store<f64>(out + (<usize>r << 3), sum);
  }
}

/**
 * l = w (g |x| + c log1p(exp(-|x|))), g = 1 - t' for x >= 0 and pw t' for x < 0, c = 1 + (pw - 1) t'.
 * This is the stated softplus form rearranged by the sign of x, so ±Infinity logits give 0·∞ only through a zero
 * coefficient g, which is taken as 0 (the limit), never as NaN.
 *
 * With `checked`, the targets must also be in [0, 1] (checkTargets' test where targets are not merely real): the
 * result is the number of leading rows that pass, whose values are written, and the caller checks the rest. Float32
 * rows on the SIMD build take the test in sigmoidRow32's pass (a row holding -0 is left to the caller); the others
 * test the row first.
 */
export function sigmoidCrossEntropy<T>(
  x: usize, t: usize, rows: i32, cols: i32, smoothing: f64,
  w: usize, wFull: bool, posWeight: usize, out: usize, elementwise: bool, grad: usize = 0, scale: usize = 0,
  checked: bool = false,
): i32 {
  let ts = 1 - smoothing, t0 = smoothing / 2;
  if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
    for (let r = 0; r < rows; r++) {
      let e = <usize>(r * cols);
      let s = sigmoidRow32(x + (e << 2), t + (e << 2), cols, ts, t0, w ? (wFull ? w + (e << 2) : w) : 0, posWeight,
        out + (e << 3), elementwise, grad ? grad + (e << 2) : 0, scale ? load<f64>(scale + (<usize>r << 3)) : 0);
      if (checked && !sigUnit) return r;
      if (!elementwise) store<f64>(out + (<usize>r << 3), s);
    }
    return rows;
  }
  for (let r = 0; r < rows; r++) {
    let xp = at<T>(x, r * cols), tp = at<T>(t, r * cols), op = out + (<usize>(r * cols) << 3);
    if (checked) {
      for (let j = 0; j < cols; j++) {
        let v = get<T>(tp, j);
        if (!(v >= 0 && v <= 1)) return r;
      }
    }
    let gp = grad ? at<T>(grad, r * cols) : 0, sc = scale ? load<f64>(scale + (<usize>r << 3)) : 0;
    let sum: f64 = 0;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      let acc = f64x2.splat(0), one = f64x2.splat(1), vts = f64x2.splat(ts), vt0 = f64x2.splat(t0);
      let blk = f64x2.splat(0), vsc = f64x2.splat(sc), zero = f64x2.splat(0);
      for (; j + 2 <= cols; j += 2) {
        let xv = ld2<T>(xp, j);
        let tq = f64x2.add(f64x2.mul(ld2<T>(tp, j), vts), vt0);
        let pw = posWeight ? ld2<T>(posWeight, j) : one;
        let ax = f64x2.abs(xv);
        let pos = f64x2.ge(xv, zero);
        let tc = f64x2.sub(one, tq), pt = f64x2.mul(pw, tq);
        let g = v128.bitselect(tc, pt, pos);
        let c = f64x2.add(one, f64x2.mul(f64x2.sub(pw, one), tq));
        let ex = exp2d(f64x2.neg(ax));
        let inner = f64x2.add(coef2(g, ax), f64x2.mul(c, log1p2d(ex)));
        let wv = wAt2<T>(w, wFull, r, cols, j);
        let l = coef2(wv, inner);
        if (elementwise) v128.store(op + (<usize>j << 3), l); else blk = f64x2.add(blk, l);
        if (((j + 2) & (BLOCK - 1)) == 0) { acc = f64x2.add(acc, blk); blk = f64x2.splat(0); }
        if (gp) {
          // ∂l/∂x = (x >= 0 ? (1 - t') - pt·e : (1 - t')·e - pt)/(1 + e), e = e^{-|x|}; 0 where sc·w is 0.
          let num = f64x2.sub(f64x2.mul(tc, v128.bitselect(one, ex, pos)), f64x2.mul(pt, v128.bitselect(ex, one, pos)));
          let f = f64x2.mul(vsc, wv);
          let gr = v128.andnot(f64x2.mul(f, f64x2.div(num, f64x2.add(one, ex))), f64x2.eq(f, zero));
          st2<T>(gp, j, gr);
        }
      }
      sum = hsum2(f64x2.add(acc, blk));
    }
    // Blocked like the vector loops, so the scalar build sums long rows as accurately.
    while (j < cols) {
      let end = min(cols, j + BLOCK);
      let sumBefore = sum;
      sum = 0;
      for (; j < end; j++) {
        let xj = get<T>(xp, j);
        let tq = get<T>(tp, j) * ts + t0;
        let pw = posWeight ? get<T>(posWeight, j) : 1.0;
        let ax = abs(xj);
        let g = xj >= 0 ? 1 - tq : pw * tq;
        let ex = exp64(-ax);
        let inner = coef(g, ax) + (1 + (pw - 1) * tq) * log1p64(ex);
        let wv = wAt<T>(w, wFull, r, cols, j);
        let l = coef(wv, inner);
        if (elementwise) store<f64>(op + (<usize>j << 3), l); else sum += l;
        if (gp) {
          let gr = xj >= 0 ? ((1 - tq) - pw * tq * ex) / (1 + ex) : ((1 - tq) * ex - pw * tq) / (1 + ex);
          put<T>(gp, j, sc == 0 || wv == 0 ? 0 : sc * wv * gr);
        }
      }
      sum = sumBefore + sum;
    }
    if (!elementwise) store<f64>(out + (<usize>r << 3), sum);
  }
  return rows;
}

/** out[i] = -(p log p + (1 - p) log1p(-p)), 0 log 0 = 0. */
export function binaryEntropy<T>(p: usize, n: i32, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let one = f64x2.splat(1);
    for (; i + 2 <= n; i += 2) {
      let pv = ld2<T>(p, i);
      let l = f64x2.add(coef2(pv, log2d(pv)), coef2(f64x2.sub(one, pv), log1p2d(f64x2.neg(pv))));
      v128.store(out + (<usize>i << 3), f64x2.sub(f64x2.splat(0), l)); // 0 - l: p = 0 or 1 gives +0, not -0
    }
  }
  for (; i < n; i++) {
    let pi = get<T>(p, i);
    store<f64>(out + (<usize>i << 3), 0 - (coef(pi, log64(pi)) + coef(1 - pi, log1p64(-pi))));
  }
}
