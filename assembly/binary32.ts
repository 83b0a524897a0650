// Float32 sigmoid cross-entropy in f32x4 lanes (the SIMD build's path for float32 data). Terms are float32
// (<= 5e-7 relative each, see expNegCWK and log1pUnitK); row sums add 64-element lane blocks into float64.
// Lanes that need the full range (|x| > 87, ±Infinity) make their block be redone by the float64 scalar form.

import { exp64, log1p64 } from './math';
import { hsum4, LOG2E_F32, EXP2_SHIFT, T0, T1, T2, T3 } from './math32';
import { coef } from './lanes';
import { madd4, nmadd4 } from './fused';

const LN2F_HI = reinterpret<f32>(0x3F318000); // 0.693359375 (Cephes C1: 9 significant bits, so k·C1 is exact)
const LN2F_LO = reinterpret<f32>(0xB95E8083); // -2.12194440e-4 (Cephes C2; C1 + C2 = ln 2 to 2^-33)
const BIG: f32 = 87.0; // e^-87 > 2^-126: below it the fast exp stays normal; larger |x| go to the scalar form

// e^r = 1 + r·(X1 + r·(X2 + r·(X3 + r·(X4 + r·X5)))) on |r| <= 0.3467 (ln2/2 plus the rounding of k): LP error
// 7.4e-8, with float32 rounding 1.9e-7 relative (measured over 200,001 points).
const X2 = reinterpret<f32>(0x3EFFFEBE); // 0.499990404 (X1 = 1 exactly)
const X3 = reinterpret<f32>(0x3E2AAB60); // 0.166669369
const X4 = reinterpret<f32>(0x3D2BA7F8); // 0.0419082344
const X5 = reinterpret<f32>(0x3C0868F9); // 0.00832580868

/**
 * The fast path's constants as one data segment, loaded once per row into locals and passed to the inline helpers
 * below (an inline v128.const costs 18 bytes of .wasm at each use, and sigStep is inlined three times). The helpers
 * are written out with their constants as parameters.
 */
const SIG_CONSTS = memory.data<f32>([
  LOG2E_F32, LOG2E_F32, LOG2E_F32, LOG2E_F32, EXP2_SHIFT, EXP2_SHIFT, EXP2_SHIFT, EXP2_SHIFT,
  LN2F_HI, LN2F_HI, LN2F_HI, LN2F_HI, LN2F_LO, LN2F_LO, LN2F_LO, LN2F_LO, X5, X5, X5, X5, X4, X4, X4, X4,
  X3, X3, X3, X3, X2, X2, X2, X2, T3, T3, T3, T3, T2, T2, T2, T2, T1, T1, T1, T1, T0, T0, T0, T0,
], 16);

/**
 * e^{-a} for 0 <= a <= 87 lane-wise: k = round(-a·log2 e), r = -a - k·ln2 by Cody–Waite (exact to about
 * |k|·2^-33), so the argument carries no float32 rounding proportional to a (which would cost up to a·1e-7
 * relative); then 2^k·e^r, 2^k added to the exponent bits (see EXP2_SHIFT). <= 2e-7 relative.
 */
// @ts-ignore: decorator
@inline function expNegCWK(
  a: v128, l2e: v128, sh: v128, hi: v128, lo: v128, x5: v128, x4: v128, x3: v128, x2: v128, one: v128,
): v128 {
  let na = f32x4.neg(a);
  let u = madd4(na, l2e, sh);
  let k = f32x4.sub(u, sh);
  let r = nmadd4(k, lo, nmadd4(k, hi, na)); // k·hi exact; fused, k·lo is not rounded either
  let p = madd4(x5, r, x4);
  p = madd4(p, r, x3);
  p = madd4(p, r, x2);
  p = madd4(p, r, one);
  p = madd4(p, r, one);
  return i32x4.add(p, i32x4.shl(u, 23));
}

/**
 * log(1 + u) lane-wise for u in [0, 1] (NaN propagates) as 2·atanh(s), s = u/(2 + u) in [0, 1/3]: one division and
 * a short polynomial. <= 2.5e-7 relative (two roundings in s, two in s·(2 + tail), the tail's 1.5e-8); u -> 0
 * keeps relative accuracy (2 + u rounds to 2, s = u/2 exactly).
 */
// @ts-ignore: decorator
@inline function log1pUnitK(u: v128, t3: v128, t2: v128, t1: v128, t0: v128, two: v128): v128 {
  let s = f32x4.div(u, f32x4.add(u, two));
  let z = f32x4.mul(s, s);
  let p = madd4(t3, z, t2);
  p = madd4(p, z, t1);
  p = madd4(p, z, t0);
  return f32x4.mul(s, madd4(p, z, two));
}

/** One element in float64 (the contract's form; the scalar tail and the redo of out-of-range blocks). */
// @ts-ignore: decorator
@inline function sigOne(x: f64, t: f64, ts: f64, t0: f64, pw: f64, w: f64): f64 {
  let tq = t * ts + t0;
  let ax = abs(x);
  let g = x >= 0 ? 1 - tq : pw * tq;
  return coef(w, coef(g, ax) + (1 + (pw - 1) * tq) * log1p64(exp64(-ax)));
}

/**
 * Elements [j0, j1) of one row by sigOne; returns their sum (and writes them when elementwise). With gp, also the
 * gradient sc·w·∂l/∂x in float64, rounded once (0 where sc or w is 0).
 */
function sigRange(
  xp: usize, tp: usize, j0: i32, j1: i32, ts: f64, t0: f64, wp: usize, posWeight: usize, op: usize, elementwise: bool,
  gp: usize, sc: f64,
): f64 {
  let sum: f64 = 0;
  for (let j = j0; j < j1; j++) {
    let o = <usize>j << 2;
    let x = <f64>load<f32>(xp + o), t = <f64>load<f32>(tp + o);
    let pw = posWeight ? <f64>load<f32>(posWeight + o) : 1.0, w = wp ? <f64>load<f32>(wp + o) : 1.0;
    let l = sigOne(x, t, ts, t0, pw, w);
    if (elementwise) store<f64>(op + (<usize>j << 3), l); else sum += l;
    if (gp) {
      let tq = t * ts + t0, e = exp64(-abs(x));
      let gr = x >= 0 ? ((1 - tq) - pw * tq * e) / (1 + e) : ((1 - tq) * e - pw * tq) / (1 + e);
      store<f32>(gp + o, <f32>(sc == 0 || w == 0 ? 0 : sc * w * gr));
    }
  }
  return sum;
}

/**
 * Terms of elements j..j+3 of a row (see sigmoidRow32), x and a = |x| already loaded. With gp, also writes their
 * gradient sc·w·(x >= 0 ? (1 - t') - pt·e : (1 - t')·e - pt)/(1 + e), e = e^{-|x|}, pt = pw·t': the float32 lanes'
 * value multiplied by sc·w in float64 and rounded once; +0 where w = 0.
 */
// @ts-ignore: decorator
@inline function sigStep(
  x: v128, a: v128, t: v128, j: i32, tsc: v128, wp: usize, posWeight: usize, gp: usize, scv: v128,
  l2e: v128, sh: v128, hi: v128, lo: v128, x5: v128, x4: v128, x3: v128, x2: v128, k3: v128, k2: v128, k1: v128,
  k0: v128, one: v128, two: v128,
): v128 {
  let o = <usize>j << 2;
  // t' and 1 - t' = (1 - t)·ts + h0 both without cancellation (1 - t' formed directly loses t0 when t' ≈ 1).
  // tsc holds [ts, t0, h0, smooth?]: a smoothing of 0 skips four operations.
  let tq = t;
  let tc = f32x4.sub(one, tq);
  if (i32x4.extract_lane(tsc, 3)) {
    let ts = i32x4.shuffle(tsc, tsc, 0, 0, 0, 0);
    tc = f32x4.add(f32x4.mul(tc, ts), i32x4.shuffle(tsc, tsc, 2, 2, 2, 2));
    tq = f32x4.add(f32x4.mul(tq, ts), i32x4.shuffle(tsc, tsc, 1, 1, 1, 1));
  }
  let neg = f32x4.lt(x, f32x4.splat(0));
  let e = expNegCWK(a, l2e, sh, hi, lo, x5, x4, x3, x2, one);
  let L = log1pUnitK(e, k3, k2, k1, k0, two);
  let g: v128, pt = tq;
  if (posWeight) {
    pt = f32x4.mul(v128.load(posWeight + o), tq);
    g = v128.bitselect(pt, tc, neg);
    L = f32x4.mul(L, f32x4.add(tc, pt)); // c = 1 + (pw - 1)·t' = (1 - t') + pw·t'
  } else {
    g = v128.bitselect(tq, tc, neg);
  }
  let l = f32x4.add(f32x4.mul(g, a), L);
  let wv = one;
  if (wp) {
    wv = v128.load(wp + o);
    l = f32x4.mul(l, wv);
  }
  if (gp) {
    let num = f32x4.sub(f32x4.mul(tc, v128.bitselect(e, one, neg)), f32x4.mul(pt, v128.bitselect(one, e, neg)));
    let gr = f32x4.div(num, f32x4.add(one, e));
    let lo = f64x2.mul(f64x2.mul(f64x2.promote_low_f32x4(gr), f64x2.promote_low_f32x4(wv)), scv);
    let hi = f64x2.mul(f64x2.mul(f64x2.promote_low_f32x4(i64x2.shuffle(gr, gr, 1, 0)),
      f64x2.promote_low_f32x4(i64x2.shuffle(wv, wv, 1, 0))), scv);
    let r = i64x2.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
    v128.store(gp + o, v128.andnot(r, f32x4.eq(wv, f32x4.splat(0))));
  }
  return l;
}

/** Adds l (elements j..j+3) to acc, or stores it widened when elementwise. */
// @ts-ignore: decorator
@inline function sigPut(acc: v128, l: v128, op: usize, j: i32, elementwise: bool): v128 {
  if (!elementwise) return f32x4.add(acc, l);
  let q = op + (<usize>j << 3);
  v128.store(q, f64x2.promote_low_f32x4(l));
  v128.store(q, f64x2.promote_low_f32x4(i64x2.shuffle(l, l, 1, 0)), 16);
  return acc;
}

/**
 * Whether the targets of the last row sigmoidRow32 took all lie in [+0, 1]: their bits as unsigned integers are at
 * most 1.0's (-0, negatives and NaN are above it). One max_u per four targets, in the pass that reads them anyway.
 */
export let sigUnit: bool = true;

/**
 * One float32 row: l = w·(g·|x| + c·log1p(e^{-|x|})), g = 1 - t' (x >= 0) or pw·t' (x < 0), c = 1 + (pw - 1)·t'.
 * wp points at this row's weights (per class or per element) or is 0. Returns the row sum unless elementwise, and
 * sets sigUnit.
 */
export function sigmoidRow32(
  xp: usize, tp: usize, cols: i32, ts: f64, t0: f64, wp: usize, posWeight: usize, op: usize, elementwise: bool,
  gp: usize = 0, sc: f64 = 0,
): f64 {
  let scv = f64x2.splat(sc);
  const K = SIG_CONSTS;
  let l2e = v128.load(K), sh = v128.load(K, 16), hi = v128.load(K, 32), lo = v128.load(K, 48);
  let x5 = v128.load(K, 64), x4 = v128.load(K, 80), x3 = v128.load(K, 96), x2 = v128.load(K, 112);
  let k3 = v128.load(K, 128), k2 = v128.load(K, 144), k1 = v128.load(K, 160), k0 = v128.load(K, 176);
  let one = f32x4.splat(1), two = f32x4.splat(2);
  // h0 = (1 - ts)/2 equals t0 = smoothing/2 up to float64 rounding; it makes t = 1 give the contract's float64
  // 1 - t' even for a smoothing below float64 resolution next to 1.
  let tsc = f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(<f32>ts), 1, <f32>t0), 2, <f32>((1 - ts) / 2));
  tsc = i32x4.replace_lane(tsc, 3, ts != 1 || t0 != 0 ? 1 : 0);
  let big = f32x4.splat(BIG);
  let sum: f64 = 0;
  let umax = f32x4.splat(0);
  let j = 0;
  while (j + 4 <= cols) {
    let j0 = j, end = min(cols, j + 64);
    let acc = f32x4.splat(0), out = acc;
    // Two vectors per iteration: V8 adds a stack check and bounds arithmetic to every loop iteration.
    // Lanes with |x| > BIG are flagged in out (NaN compares false and propagates through the fast path).
    for (; j + 8 <= end; j += 8) {
      let x0 = v128.load(xp + (<usize>j << 2)), x1 = v128.load(xp + (<usize>j << 2), 16);
      let a0 = f32x4.abs(x0), a1 = f32x4.abs(x1);
      out = v128.or(out, f32x4.gt(f32x4.pmax(a0, a1), big));
      let t0v = v128.load(tp + (<usize>j << 2)), t1v = v128.load(tp + (<usize>j << 2), 16);
      umax = i32x4.max_u(umax, i32x4.max_u(t0v, t1v));
      let l0 = sigStep(x0, a0, t0v, j, tsc, wp, posWeight, gp, scv, l2e, sh, hi, lo, x5, x4, x3, x2, k3, k2, k1, k0,
        one, two);
      acc = sigPut(acc, l0, op, j, elementwise);
      let l1 = sigStep(x1, a1, t1v, j + 4, tsc, wp, posWeight, gp, scv, l2e, sh, hi, lo, x5, x4, x3, x2, k3, k2, k1,
        k0, one, two);
      acc = sigPut(acc, l1, op, j + 4, elementwise);
    }
    for (; j + 4 <= end; j += 4) {
      let x0 = v128.load(xp + (<usize>j << 2)), a0 = f32x4.abs(x0);
      out = v128.or(out, f32x4.gt(a0, big));
      let t0v = v128.load(tp + (<usize>j << 2));
      umax = i32x4.max_u(umax, t0v);
      let l0 = sigStep(x0, a0, t0v, j, tsc, wp, posWeight, gp, scv, l2e, sh, hi, lo, x5, x4, x3, x2, k3, k2, k1, k0,
        one, two);
      acc = sigPut(acc, l0, op, j, elementwise);
    }
    if (v128.any_true(out)) {
      let s = sigRange(xp, tp, j0, j, ts, t0, wp, posWeight, op, elementwise, gp, sc);
      if (!elementwise) sum += s;
    } else if (!elementwise) {
      sum += hsum4(acc);
    }
  }
  let unit = i32x4.all_true(i32x4.le_u(umax, i32x4.splat(0x3F800000)));
  for (let i = j; i < cols; i++) unit = unit && load<u32>(tp + (<usize>i << 2)) <= 0x3F800000;
  sigUnit = unit;
  return sum + sigRange(xp, tp, j, cols, ts, t0, wp, posWeight, op, elementwise, gp, sc);
}
