// Fast f32x4 elementary functions for the float32 kernels, each accurate to a few 1e-7 relative (float32 precision),
// no tables, at most one division. Their callers keep sums in float64 so that these per-term errors do not grow with n.
//
// Polynomial coefficients were fitted for this file: minimax of the relative error on a dense grid (a linear
// program, scipy.optimize.linprog / HiGHS, against mpmath at 40 digits), then rounded to float32; the bounds quoted
// are measured with float32 Horner evaluation over the whole interval.
//
// V8 notes (see PERF-NOTES): pmax/pmin are one instruction each, nearest/trunc_sat are slow, so rounding is done by
// adding and subtracting 1.5·2^23 and 2^k is built from the integer bits of that sum.

import { madd4, nmadd4 } from './fused';

// 1.5·2^23: t + EXP2_SHIFT rounds t to an integer k (|t| < 2^22) and leaves 2^22 + k in the low mantissa bits, so
// shifting the bits left by 23 gives k << 23 (the higher bits are shifted out). Adding that to the bits of a float
// in [1/2, 2) multiplies it by 2^k as an integer add (a port the float multiplies do not compete for), exactly
// while the result is normal; for k >= -126 an underflow only gives another positive number below 2^-126.
export const EXP2_SHIFT = reinterpret<f32>(0x4B400000); // 12582912.0
export const LOG2E_F32 = reinterpret<f32>(0x3FB8AA3B); // 1.44269502 (log2 e rounded to float32, rel. error 1.3e-8)
// 2^f = 1 + f·(E1 + f·(E2 + f·(E3 + f·(E4 + f·E5)))) on |f| <= 1/2: LP error 6.8e-8, with float32 rounding
// 2.2e-7 relative (measured over 200,001 points).
export const E1 = reinterpret<f32>(0x3F31720E); // 0.693146586
export const E2 = reinterpret<f32>(0x3E75FCAB); // 0.240221664
export const E3 = reinterpret<f32>(0x3D635EF3); // 0.0555104725
export const E4 = reinterpret<f32>(0x3C1E83B1); // 0.00967495237
export const E5 = reinterpret<f32>(0x3AAD0DDB); // 0.00132029818

/**
 * 2^t lane-wise for t <= 0 (NaN propagates), the polynomial above on the reduced argument. t is clamped at -126
 * (so 2^k stays a normal float32: results below 2^-126 come out as exactly 2^-126, harmless wherever they are added
 * to something >= 1e-30, and callers that need a zero test for it). Error <= 2.2e-7 relative; 2^0 is exactly 1.
 * Its constants come in as arguments, loaded from EXP2_CONSTS once per row: an inline v128.const costs 18 bytes of
 * .wasm per use, and a load per use is slow (V8 does not hoist it).
 */
export const EXP2_CONSTS = memory.data<f32>([
  -126, -126, -126, -126, EXP2_SHIFT, EXP2_SHIFT, EXP2_SHIFT, EXP2_SHIFT, E5, E5, E5, E5, E4, E4, E4, E4,
  E3, E3, E3, E3, E2, E2, E2, E2, E1, E1, E1, E1, 1, 1, 1, 1,
], 16);

// @ts-ignore: decorator
@inline export function exp2NegK(t: v128, lo: v128, sh: v128, c5: v128, c4: v128, c3: v128, c2: v128, c1: v128, one: v128): v128 {
  t = f32x4.pmax(t, lo);
  let u = f32x4.add(t, sh);
  let f = f32x4.sub(t, f32x4.sub(u, sh)); // t - k, exact, in [-1/2, 1/2]
  let p = madd4(c5, f, c4);
  p = madd4(p, f, c3);
  p = madd4(p, f, c2);
  p = madd4(p, f, c1);
  p = madd4(p, f, one);
  return i32x4.add(p, i32x4.shl(u, 23));
}

// 2·atanh(s) = 2s + s³·(T0 + z·(T1 + z·(T2 + z·T3))), z = s², on |s| <= 0.335: relative error of the cubic part
// 4.1e-7, i.e. <= 1.5e-8 relative on 2·atanh(s) (the cubic part is at most 3.7% of it there). The tail
// z·(T0 + z·(T1 + z·(T2 + z·T3))) = (2·atanh(s) - 2s)/s is evaluated in divergence32 (KL) and binary32 (log1p).
export const T0 = reinterpret<f32>(0x3F2AAAA6); // 0.666666389
export const T1 = reinterpret<f32>(0x3ECCD739); // 0.400079519
export const T2 = reinterpret<f32>(0x3E908354); // 0.282251954
export const T3 = reinterpret<f32>(0x3E89E18B); // 0.269298881

/** Adds the four f32 lanes of v, widened, to an f64 scalar (block totals). */
// @ts-ignore: decorator
@inline export function hsum4(v: v128): f64 {
  let lo = f64x2.promote_low_f32x4(v);
  let hi = f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 0));
  let s = f64x2.add(lo, hi);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

// log(1 + f) = 2·atanh(s), s = f/(2 + f), for f in [√½ - 1, √2 - 1] (|s| <= 0.1716):
// 2·atanh(s) = 2s + s·T, T = z·(L0 + z·(L1 + z·L2)), z = s². LP fit of T's relative error on |s| <= 0.17175
// (2.5e-7; T is at most 1% of 2·atanh(s) there, so it adds <= 2.5e-9 relative).
const L0 = reinterpret<f32>(0x3F2AAAAD); // 0.666666806
const L1 = reinterpret<f32>(0x3ECCBE91); // 0.399891406
const L2 = reinterpret<f32>(0x3E976908); // 0.295723200
const LN2F_HI = reinterpret<f32>(0x3F318000); // 0.693359375 (Cephes C1, 9 significant bits: e·C1 exact)
const LN2F_LO = reinterpret<f32>(0xB95E8083); // -2.12194440e-4 (Cephes C2; C1 + C2 = ln 2 to 2^-33)

/**
 * log x lane-wise for normal positive finite x, <= 2 ulp (measured max 0.98 ulp over 600,000 points spread over
 * [2^-126, 1] and every float32 in [1 - 2^-9, 1 + 2^-9]). x = 2^e·m, m in [√½, √2) from the bits (e = (bits(x) -
 * bits(√½)) >> 23), f = m - 1 exact; log x = e·C1 + (f + ((s·T - s·f) + e·C2)), using 2s = f - s·f so that f is
 * added last, unrounded. One division. x = +0 gives -127·ln 2 (finite: callers multiply it by a zero coefficient);
 * subnormal, negative, NaN and infinite x give garbage, which callers must exclude.
 */
// @ts-ignore: decorator
@inline export function log4(x: v128): v128 {
  let e = i32x4.shr_s(i32x4.sub(x, i32x4.splat(0x3F3504F3)), 23);
  let f = f32x4.sub(i32x4.sub(x, i32x4.shl(e, 23)), f32x4.splat(1.0));
  let s = f32x4.div(f, f32x4.add(f, f32x4.splat(2.0)));
  let z = f32x4.mul(s, s);
  let t = f32x4.mul(madd4(madd4(f32x4.splat(L2), z, f32x4.splat(L1)), z, f32x4.splat(L0)), z);
  let ef = f32x4.convert_i32x4_s(e);
  let r = madd4(ef, f32x4.splat(LN2F_LO), nmadd4(s, f, f32x4.mul(s, t)));
  return madd4(ef, f32x4.splat(LN2F_HI), f32x4.add(f, r));
}
