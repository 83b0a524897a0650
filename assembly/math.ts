// Elementary functions for the kernels: f64 scalar and f64x2 versions sharing one algorithm (so SIMD bodies and
// their scalar tails agree), and a fast f32x4 exp for the float32 softmax sums. No tables, no allocation.
//
// exp: fdlibm e_exp.c (Sun Microsystems, 1993; as in musl and AssemblyScript's std/assembly/math.ts).
//   x = k ln2 + r, |r| <= ln2/2 (Cody–Waite split of ln2 into LN2_HI + LN2_LO, LN2_HI with 21 trailing zero bits so
//   k·LN2_HI is exact for |k| < 2^21), exp(r) = 1 + r + r·c/(2 - c) with c = r - r²·P(r²), P a degree-5 Remez
//   polynomial (|error of the rational approximation| < 2^-59). Result error < 1 ulp.
//   k is found by adding and subtracting 1.5·2^52 (faster than `nearest` in V8); 2^k is built from integer bits.
// log: fdlibm e_log.c. x = 2^k (1 + f), 1 + f in [√½, √2); s = f/(2 + f), log(1 + f) = f - f²/2 + s(f²/2 + R(s²)),
//   R the Lg1..Lg7 Remez polynomial (|error| < 2^-58.45). Result error < 1 ulp.
// log1p: fdlibm s_log1p.c. u = 1 + x rounded, c = the rounding error of u divided by u (first-order correction),
//   then the log kernel above on u. Error < 1 ulp + 2^-60 relative; exact x for |x| < 2^-54.
// expNegK (f32x4, arguments <= 0 only): Cephes expf (S. Moshier) degree-7 polynomial on |r| <= ln2/2 with a Cody–Waite
//   reduction; measured max error 1 ulp over [-88, 0] against float64 exp, stated bound 2 ulp. Arguments below -88
//   give exactly 0 (results below 2^-126 are flushed to 0: harmless in sums that include a 1).
//
// The lane forms take their multiply-adds from fused.ts: in the relaxed-SIMD build they are fused (one rounding),
// so there the lanes and the scalar forms (wasm has no scalar fused multiply-add) may differ in the last bit; both
// stay within the bounds above. Elsewhere the lanes equal the scalar forms bit for bit.

import { madd2, madd4, nmadd2, nmadd4 } from './fused';

// --- constants (fdlibm) ---
const LN2_HI = reinterpret<f64>(0x3FE62E42FEE00000); // 6.93147180369123816490e-01
const LN2_LO = reinterpret<f64>(0x3DEA39EF35793C76); // 1.90821492927058770002e-10
const INVLN2 = reinterpret<f64>(0x3FF71547652B82FE); // 1.44269504088896338700e+00
const P1 = reinterpret<f64>(0x3FC555555555553E); //  1.66666666666666019037e-01
const P2 = reinterpret<f64>(0xBF66C16C16BEBD93); // -2.77777777770155933842e-03
const P3 = reinterpret<f64>(0x3F11566AAF25DE2C); //  6.61375632143793436117e-05
const P4 = reinterpret<f64>(0xBEBBBD41C5D26BF1); // -1.65339022054652515390e-06
const P5 = reinterpret<f64>(0x3E66376972BEA4D0); //  4.13813679705723846039e-08
const Lg1 = reinterpret<f64>(0x3FE5555555555593); // 6.666666666666735130e-01
const Lg2 = reinterpret<f64>(0x3FD999999997FA04); // 3.999999999940941908e-01
const Lg3 = reinterpret<f64>(0x3FD2492494229359); // 2.857142874366239149e-01
const Lg4 = reinterpret<f64>(0x3FCC71C51D8E78AF); // 2.222219843214978396e-01
const Lg5 = reinterpret<f64>(0x3FC7466496CB03DE); // 1.818357216161805012e-01
const Lg6 = reinterpret<f64>(0x3FC39A09D078C69F); // 1.531383769920937332e-01
const Lg7 = reinterpret<f64>(0x3FC2F112DF3E5244); // 1.479819860511658591e-01
const SHIFT = reinterpret<f64>(0x4338000000000000); // 1.5·2^52: x + SHIFT - SHIFT rounds x to an integer
const EXP_LO: f64 = -746.0; // exp(-746) < 2^-1075/2: rounds to 0; clamping keeps k small
const EXP_HI: f64 = 710.0; // exp(710) > DBL_MAX: overflows to +Infinity
const NEG_LO: f64 = -709.0; // expNeg: k = -1023 here, whose 2^k bits are +0
const MIN_NORMAL = reinterpret<f64>(0x0010000000000000); // 2^-1022
const TWO54 = reinterpret<f64>(0x4350000000000000); // 2^54, scales subnormals into the normal range
// Adding this to the bits of x moves the exponent boundary from 1 to √½ (musl: 0x3ff00000 - 0x3fe6a09e in the high word).
const LOG_OFF: i64 = 0x00095F6200000000;
const SQRTH_BITS: i64 = 0x3FE6A09E00000000; // high word of √½
const MANT: i64 = 0x000FFFFFFFFFFFFF;
const TWO52_BITS: i64 = 0x4330000000000000; // bits of 2^52: OR-ing a small integer in gives 2^52 + that integer

// --- scalar f64 ---

/** exp(x), < 1 ulp, full range (subnormal results, overflow to +Infinity, NaN preserved). */
export function exp64(x: f64): f64 {
  let xc = min(max(x, EXP_LO), EXP_HI);
  let t = xc * INVLN2 + SHIFT;
  let k = t - SHIFT;
  let hi = xc - k * LN2_HI;
  let lo = k * LN2_LO;
  let r = hi - lo;
  let rr = r * r;
  let c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
  let y = 1.0 + ((r * c) / (2.0 - c) - lo + hi);
  // 2^k as two normal factors so that k in [-1076, 1025] never leaves the exponent range.
  let n = reinterpret<i64>(t) - reinterpret<i64>(SHIFT);
  let n1 = n >> 1;
  let n2 = n - n1;
  return y * reinterpret<f64>((n1 + 1023) << 52) * reinterpret<f64>((n2 + 1023) << 52);
}

/** log(u) + c for u > 0 finite (c a small correction), < 1 ulp. */
// @ts-ignore: decorator
@inline function logCore64(u: f64, c: f64): f64 {
  let kadj: f64 = 0;
  if (u < MIN_NORMAL) { u *= TWO54; kadj = -54; }
  let ix = reinterpret<i64>(u) + LOG_OFF;
  let dk = <f64>(<i32>(ix >>> 52) - 1023) + kadj;
  let f = reinterpret<f64>((ix & MANT) + SQRTH_BITS) - 1.0;
  let hfsq = 0.5 * f * f;
  let s = f / (2.0 + f);
  let z = s * s;
  let w = z * z;
  let t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  let t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  return s * (hfsq + (t2 + t1)) + (dk * LN2_LO + c) - hfsq + f + dk * LN2_HI;
}

/** log(x), < 1 ulp; log 0 = -Infinity, log(x < 0) = NaN. */
export function log64(x: f64): f64 {
  if (!(x > 0) || x == Infinity) return x == 0 ? -Infinity : (x < 0 ? NaN : x);
  return logCore64(x, 0);
}

/** log(1 + x), < 1 ulp; -1 gives -Infinity, x < -1 NaN. */
export function log1p64(x: f64): f64 {
  if (!(x > -1) || x == Infinity) return x == -1 ? -Infinity : (x < -1 ? NaN : x);
  let u = 1.0 + x;
  let c = x < 1 ? x - (u - 1.0) : 1.0 - (u - x); // exact rounding error of u (Sterbenz), see file header
  return logCore64(u, c / u);
}

// --- f64x2 (same algorithms, lane-wise) ---

// @ts-ignore: decorator
@inline function pow2x2(n: v128): v128 {
  return i64x2.shl(i64x2.add(n, i64x2.splat(1023)), 52);
}

// @ts-ignore: decorator
@inline function expPoly2(xc: v128, t: v128): v128 {
  let k = f64x2.sub(t, f64x2.splat(SHIFT));
  let hi = nmadd2(k, f64x2.splat(LN2_HI), xc); // k·LN2_HI is exact: fused or not, the same hi
  let lo = f64x2.mul(k, f64x2.splat(LN2_LO));
  let r = f64x2.sub(hi, lo);
  let rr = f64x2.mul(r, r);
  let p = madd2(rr, f64x2.splat(P5), f64x2.splat(P4));
  p = madd2(rr, p, f64x2.splat(P3));
  p = madd2(rr, p, f64x2.splat(P2));
  p = madd2(rr, p, f64x2.splat(P1));
  let c = nmadd2(rr, p, r);
  let q = f64x2.div(f64x2.mul(r, c), f64x2.sub(f64x2.splat(2.0), c));
  return f64x2.add(f64x2.splat(1.0), f64x2.add(f64x2.sub(q, lo), hi));
}

/** exp lane-wise, as exp64 (bit-identical except in the relaxed-SIMD build, see above). */
export function exp2d(x: v128): v128 {
  let xc = f64x2.pmin(f64x2.pmax(x, f64x2.splat(EXP_LO)), f64x2.splat(EXP_HI)); // NaN passes through
  let t = madd2(xc, f64x2.splat(INVLN2), f64x2.splat(SHIFT));
  let y = expPoly2(xc, t);
  let n = i64x2.sub(t, f64x2.splat(SHIFT));
  let n1 = i64x2.shr_s(n, 1);
  let n2 = i64x2.sub(n, n1);
  return f64x2.mul(f64x2.mul(y, pow2x2(n1)), pow2x2(n2));
}

/** exp for x <= 0 (or NaN): as exp64 except that results below 2^-1022 may be flushed to 0 (x < -708.4). */
export function expNeg2d(x: v128): v128 {
  let xc = f64x2.pmax(x, f64x2.splat(NEG_LO));
  let t = madd2(xc, f64x2.splat(INVLN2), f64x2.splat(SHIFT));
  let y = expPoly2(xc, t);
  // bits(t) = bits(SHIFT) + k, and bits(SHIFT) << 52 wraps to 0; k = -1023 gives the bits of +0.
  return f64x2.mul(y, i64x2.add(i64x2.shl(t, 52), i64x2.splat(0x3FF0000000000000)));
}

/** log(u) + c lane-wise for u > 0 finite (other lanes: garbage, callers select). */
// @ts-ignore: decorator
@inline function logCore2(u: v128, c: v128): v128 {
  let sub = f64x2.lt(u, f64x2.splat(MIN_NORMAL));
  u = v128.bitselect(f64x2.mul(u, f64x2.splat(TWO54)), u, sub);
  let kadj = v128.and(sub, f64x2.splat(-54.0));
  let ix = i64x2.add(u, i64x2.splat(LOG_OFF));
  // exponent as f64 without an i64 -> f64 conversion: bits 2^52 | e, minus 2^52.
  let e = f64x2.sub(v128.or(i64x2.shr_u(ix, 52), i64x2.splat(TWO52_BITS)), f64x2.splat(4503599627370496.0));
  let dk = f64x2.add(f64x2.sub(e, f64x2.splat(1023.0)), kadj);
  let f = f64x2.sub(i64x2.add(v128.and(ix, i64x2.splat(MANT)), i64x2.splat(SQRTH_BITS)), f64x2.splat(1.0));
  let hfsq = f64x2.mul(f64x2.mul(f64x2.splat(0.5), f), f);
  let s = f64x2.div(f, f64x2.add(f64x2.splat(2.0), f));
  let z = f64x2.mul(s, s);
  let w = f64x2.mul(z, z);
  let t1 = f64x2.mul(w, madd2(w, madd2(w, f64x2.splat(Lg6), f64x2.splat(Lg4)), f64x2.splat(Lg2)));
  let t2 = madd2(w, f64x2.splat(Lg7), f64x2.splat(Lg5));
  t2 = f64x2.mul(z, madd2(w, madd2(w, t2, f64x2.splat(Lg3)), f64x2.splat(Lg1)));
  let a = f64x2.mul(s, f64x2.add(hfsq, f64x2.add(t2, t1)));
  a = f64x2.add(a, madd2(dk, f64x2.splat(LN2_LO), c));
  return madd2(dk, f64x2.splat(LN2_HI), f64x2.add(f64x2.sub(a, hfsq), f)); // dk·LN2_HI exact
}

/** Lanes where log's argument a is not in (0, Infinity) get the IEEE special value (edge = the pole, 0 for log). */
// @ts-ignore: decorator
@inline function logSpecial2(r: v128, a: v128, edge: f64): v128 {
  let ok = v128.and(f64x2.gt(a, f64x2.splat(edge)), f64x2.lt(a, f64x2.splat(Infinity)));
  let sp = v128.bitselect(f64x2.splat(NaN), a, f64x2.lt(a, f64x2.splat(edge)));
  sp = v128.bitselect(f64x2.splat(-Infinity), sp, f64x2.eq(a, f64x2.splat(edge)));
  return v128.bitselect(r, sp, ok);
}

/** log lane-wise, as log64. */
export function log2d(x: v128): v128 {
  return logSpecial2(logCore2(x, f64x2.splat(0)), x, 0);
}

/** log1p lane-wise, as log1p64. */
export function log1p2d(x: v128): v128 {
  let one = f64x2.splat(1.0);
  let u = f64x2.add(one, x);
  let c = v128.bitselect(f64x2.sub(x, f64x2.sub(u, one)), f64x2.sub(one, f64x2.sub(u, x)), f64x2.lt(x, one));
  return logSpecial2(logCore2(u, f64x2.div(c, u)), u, 0);
}

/** log(u) + c lane-wise for callers that guarantee u in [2^-1022, Infinity) (KL's ratio path). */
export function logPlus2d(u: v128, c: v128): v128 {
  return logCore2(u, c);
}

/** log(u) + c for u normal positive finite (scalar twin of logPlus2d). */
export function logPlus64(u: f64, c: f64): f64 {
  return logCore64(u, c);
}

// --- f32x4 ---

const INVLN2F = reinterpret<f32>(0x3FB8AA3B); // 1.44269502e+00
const LN2F_HI = reinterpret<f32>(0x3F318000); // 6.93359375e-01 (Cephes C1, 9 significant bits: k·C1 exact)
const LN2F_LO = reinterpret<f32>(0xB95E8083); // -2.12194440e-04 (Cephes C2)
const SHIFTF = reinterpret<f32>(0x4B400000); // 1.5·2^23
const Q0 = reinterpret<f32>(0x3F000000); // 5.0000001201e-1 (Cephes; rounds to 0.5 in f32)
const Q1 = reinterpret<f32>(0x3E2AAAAA); // 1.6666665459e-1
const Q2 = reinterpret<f32>(0x3D2AA9C1); // 4.1665795894e-2
const Q3 = reinterpret<f32>(0x3C088908); // 8.3334519073e-3
const Q4 = reinterpret<f32>(0x3AB743CE); // 1.3981999507e-3
const Q5 = reinterpret<f32>(0x39506967); // 1.9875691500e-4

/**
 * expNegK's constants as one data segment (1.0 doubles as the integer 0x3F800000). A loop loads them once into
 * locals and passes them in: an inline v128.const costs 18 bytes of .wasm at each use.
 */
export const EXPNEG_CONSTS = memory.data<f32>([
  -88, -88, -88, -88, INVLN2F, INVLN2F, INVLN2F, INVLN2F, SHIFTF, SHIFTF, SHIFTF, SHIFTF,
  LN2F_HI, LN2F_HI, LN2F_HI, LN2F_HI, LN2F_LO, LN2F_LO, LN2F_LO, LN2F_LO, Q5, Q5, Q5, Q5, Q4, Q4, Q4, Q4,
  Q3, Q3, Q3, Q3, Q2, Q2, Q2, Q2, Q1, Q1, Q1, Q1, Q0, Q0, Q0, Q0, 1, 1, 1, 1,
], 16);

/**
 * exp for x <= 0 (or NaN) in f32 lanes, its constants passed in (EXPNEG_CONSTS, in order); x < -88 gives 0
 * (k = -127, whose 2^k bits are +0). <= 2 ulp.
 */
// @ts-ignore: decorator
@inline export function expNegK(
  x: v128, lo: v128, il: v128, sh: v128, hi: v128, lw: v128, q5: v128, q4: v128, q3: v128, q2: v128, q1: v128,
  q0: v128, one: v128,
): v128 {
  let xc = f32x4.pmax(x, lo);
  let t = madd4(xc, il, sh);
  let k = f32x4.sub(t, sh);
  let r = nmadd4(k, lw, nmadd4(k, hi, xc)); // k·hi exact; fused, k·lw is not rounded either
  let rr = f32x4.mul(r, r);
  let p = madd4(q5, r, q4);
  p = madd4(p, r, q3);
  p = madd4(p, r, q2);
  p = madd4(p, r, q1);
  p = madd4(p, r, q0);
  let y = f32x4.add(madd4(p, rr, r), one);
  return f32x4.mul(y, i32x4.add(i32x4.shl(t, 23), one));
}

