// Float32 KL divergence in f32x4 lanes (the SIMD build's path for float32 rows).
//
// Each term is split as rel_entr(p, q) = b + (p - q), b = p·log(p/q) - (p - q) = q·h(p/q - 1) >= 0 (a Bregman
// term, h(δ) = (1 + δ)·log1p(δ) - δ). The b are all >= 0 and computed to float32 relative accuracy, so their f32
// lane sums (64-element blocks into float64) keep it; the differences p - q, where the cancellation of KL lives,
// are summed in float64. For p ≈ q both p·log(p/q) and p - q are about q·δ while b is about q·δ²/2, so summing
// p·log(p/q) in float32 would lose everything.
//
// log(p/q) = k·ln 2 + 2·atanh(s), s = (p' - q)/(p' + q), p' = p·2^-k, one division. k is read from the bit patterns
// (bits(p) - bits(q) ≈ 2^23·log2(p/q) to within 0.086): k = 0 while |bits(p) - bits(q)| < 0.9·2^23, i.e. while
// p/q ∈ [0.505, 1.98], so p - q is exact (Sterbenz), s = d/(p + q) with |s| <= 0.33 and b = d·s + p·s·tail(s)
// (d·s >= 0, and |p·s·tail| <= 15% of it); otherwise k = round(log2(p/q) approx),
// |s| <= 0.21 and b = p·(k·ln2 + 2s + s·tail) - d, where |log(p/q)| >= 0.56 keeps b >= p·|log(p/q)|/4.2: the
// float32 rounding of log(p/q) (~1.5e-7) costs at most ~6e-7 relative on such a b.
// Terms with p = 0 have b = q (through the far form, see bregman4). Rows holding anything else (q < 2^-96 or
// >= 2^120, p >= 2^89, negative or -0 p, NaN, ±Infinity) are left to the float64 path: klRow32 reports them
// through klOk.

import { hsum4, log4, T0, T1, T2, T3 } from './math32';
import { hsum2 } from './lanes';
import { madd4, select4 } from './fused';

const LN2F = reinterpret<f32>(0x33B17218); // 8.26295832e-8: ln 2 rounded to float32 (0x3F317218), times 2^-23
export let klOk: bool = true;

/**
 * Bregman terms b of four lanes (d = p - q). Near lanes (k = 0): b = s·(d + p·T), all terms >= 0. Far lanes:
 * b = p·(k·ln2 + s·(2 + T)) - d. T = (2·atanh(s) - 2s)/s (math32's T polynomial), so s·(2 + T) = 2·atanh(s).
 * A lane with p = 0 is a far lane (bits(p) - bits(q) = -bits(q)) whose bracket is finite, so b = 0 - d = q
 * exactly: no select needed.
 */
// @ts-ignore: decorator
@inline function bregman4(p: v128, q: v128, d: v128): v128 {
  // Constants are read from KL_CONSTS at each use: a load is one instruction, a v128.const several, and holding
  // them in registers would spill the loop's accumulators (V8 has 16 vector registers).
  const K = KL_CONSTS;
  let db = i32x4.sub(p, q);
  let near = i32x4.gt_s(v128.load(K, 96), i32x4.abs(db)); // |db| < 0.9·2^23
  // k·2^23 (k = round((bits(p) - bits(q))·2^-23), 0 in near lanes): the low 23 bits cleared, no shifts
  let k = v128.andnot(v128.and(i32x4.add(db, v128.load(K, 112)), v128.load(K, 144)), near);
  let p2 = i32x4.sub(p, k);
  let s = f32x4.div(f32x4.sub(p2, q), f32x4.add(p2, q));
  let z = f32x4.mul(s, s);
  let t = madd4(v128.load(K), z, v128.load(K, 16));
  t = madd4(t, z, v128.load(K, 32));
  t = f32x4.mul(madd4(t, z, v128.load(K, 48)), z);
  // (k·2^23)·(ln2·2^-23): the same product as k·ln2, both factors exact
  let far = f32x4.sub(f32x4.mul(p, madd4(f32x4.convert_i32x4_s(k), v128.load(K, 64), f32x4.mul(s, f32x4.add(t, v128.load(K, 80))))), d);
  return select4(f32x4.mul(s, madd4(p, t, d)), far, near);
}

const NEAR = reinterpret<f32>(0x00733333); // bits: 0.9·2^23, the bound on |bits(p) - bits(q)| of near lanes
const HALF_EXP = reinterpret<f32>(0x00400000); // bits: 2^22, rounds (bits(p) - bits(q))·2^-23 to nearest
const Q_MIN = reinterpret<f32>(0x0F800000); // 2^-96: Q_OFF, see valid4
const HIGH9 = reinterpret<f32>(0xFF800000); // bits: the sign and exponent fields
const KL_CONSTS = memory.data<f32>([
  T3, T3, T3, T3, T2, T2, T2, T2, T1, T1, T1, T1, T0, T0, T0, T0, LN2F, LN2F, LN2F, LN2F, 2, 2, 2, 2,
  NEAR, NEAR, NEAR, NEAR, HALF_EXP, HALF_EXP, HALF_EXP, HALF_EXP, Q_MIN, Q_MIN, Q_MIN, Q_MIN,
  HIGH9, HIGH9, HIGH9, HIGH9,
], 16);

/**
 * Validity of four lanes folded into a running unsigned max: the row is usable when every lane of the max is below
 * VALID_MAX, i.e. bits(p) < 0x6C000000 (0 <= p < 2^89; negatives, -0, NaN and ±Infinity have larger bits) and
 * bits(q) - 0x0F800000 < 0x6C000000 (2^-96 <= q < 2^120; q = 0, subnormal or negative wraps to a large value).
 * Subnormal p passes: its bit difference is about -bits(q), so it is treated like p = 0 except that the bracket
 * k·ln2 + 2·atanh(s) is off from log(p/q) by less than 16; p·16 < 2^-122 is below 2^-26 of b ≈ q >= 2^-96.
 */
const Q_OFF = 0x0F800000; // bits of 2^-96
const VALID_MAX = 0x6C000000; // bits of 2^89 = bits(2^120) - Q_OFF
// @ts-ignore: decorator
@inline function valid4(acc: v128, p: v128, q: v128): v128 {
  return i32x4.max_u(acc, i32x4.max_u(p, i32x4.sub(q, v128.load(KL_CONSTS, 128)) /* Q_OFF */));
}

/**
 * p - q of four lanes widened and added to an f64x2 accumulator. d is exact where p/q is in [1/2, 2]; elsewhere
 * the same rounded d enters b = p·log(p/q) - d, so its rounding cancels in b + d.
 */
// @ts-ignore: decorator
@inline function addD(acc: v128, d: v128): v128 {
  return f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(d), f64x2.promote_low_f32x4(i64x2.shuffle(d, d, 1, 0))));
}

/**
 * From klRow32 with `checked`: the row sums of p and q, each within klSumErr of the exact sum (q's summed in float32
 * lanes, p's as q's plus Σ(p - q)), and whether every p, q is in [+0, 1]. A sum is accepted only when it passes the
 * tolerance by more than klSumErr, so that a row accepted here passes checkDistribution's float64 test too; the
 * rows in between are left to that test.
 */
export let klSumP: f64 = 0;
export let klSumQ: f64 = 0;
export let klSumErr: f64 = 0;
export let klUnit: bool = true;

/**
 * Σ_j rel_entr(p_j, q_j) over the first n4 (a multiple of 4) float32 elements; klOk = false: unusable (see above).
 * With `checked`, the same pass also takes what checkDistribution tests (klSumP, klSumQ, klUnit), so a call that
 * validates its inputs reads them once.
 */
export function klRow32(pp: usize, qp: usize, n4: i32, checked: bool = false): f64 {
  return checked ? klPass(pp, qp, n4, true) : klPass(pp, qp, n4, false);
}

/**
 * klRow32's pass, specialised by `checked` (a constant at each call: two loops, each holding only its own
 * accumulators; V8 has 16 vector registers, and on this loop its vector ports, not loads, are the limit).
 * Checked: one unsigned max of p and q tests [+0, 1] (which bounds them above as klOk asks), one unsigned min of q
 * its lower bound; q is summed in float32 lanes over 64-element blocks (16 nonnegative terms a lane: within
 * 15·2^-24 of the block's sum), and Σp = Σq + Σ(p - q) (the latter in float64, as without `checked`): one widening
 * sum a step instead of two.
 */
// @ts-ignore: decorator
@inline function klPass(pp: usize, qp: usize, n4: i32, checked: bool): f64 {
  let vmax = i32x4.splat(0), qmin = i32x4.splat(-1);
  let sumB: f64 = 0, sumQ: f64 = 0, sumD = f64x2.splat(0);
  let j = 0;
  while (j < n4) {
    let end = min(n4, j + 64);
    let acc = f32x4.splat(0), accQ = acc;
    for (; j < end; j += 4) {
      let o = <usize>j << 2;
      let p0 = v128.load(pp + o), q0 = v128.load(qp + o);
      let d0 = f32x4.sub(p0, q0);
      if (checked) {
        vmax = i32x4.max_u(vmax, i32x4.max_u(p0, q0));
        qmin = i32x4.min_u(qmin, q0);
        accQ = f32x4.add(accQ, q0);
      } else {
        vmax = valid4(vmax, p0, q0);
      }
      sumD = addD(sumD, d0);
      acc = f32x4.add(acc, bregman4(p0, q0, d0));
    }
    sumB += hsum4(acc);
    if (checked) sumQ += hsum4(accQ);
  }
  let d = hsum2(sumD);
  if (checked) {
    // bits(x) <= bits(1): x in [+0, 1] (-0, negatives and NaN have larger bits); q >= 2^-96 as klOk asks.
    klUnit = i32x4.all_true(i32x4.le_u(vmax, i32x4.splat(0x3F800000)));
    klOk = klUnit && i32x4.all_true(i32x4.ge_u(qmin, i32x4.splat(Q_OFF)));
    klSumQ = sumQ;
    klSumP = sumQ + d;
    // |error| <= 15·2^-24·Σq (q's lanes) + 2^-24·Σ|p - q| (far lanes' rounded d) + float64 roundings
    klSumErr = (sumQ + abs(klSumP)) * 1.9073486328125e-6 + 9.094947017729282e-13; // 2^-19, 2^-40
  } else {
    klOk = i32x4.all_true(i32x4.lt_u(vmax, i32x4.splat(VALID_MAX)));
  }
  return sumB + d;
}

// --- entropy ---

export let entOk: bool = true;

/**
 * Σ_j p_j·log p_j over the first n4 (a multiple of 4) float32 elements of a row (log4, <= 2 ulp; p = 0 gives
 * 0·finite = 0). All terms are <= 0 when every p is in [0, 1], so f32 lane sums over 64-element blocks, flushed
 * into float64, keep float32 relative accuracy. entOk = false when some p is outside {0} ∪ [2^-126, 1] (negative,
 * subnormal, > 1, NaN): the caller then uses the float64 path.
 */
export function entropyRow32(pp: usize, n4: i32): f64 {
  let vmax = i32x4.splat(0), vmin = i32x4.splat(-1);
  let sum: f64 = 0;
  let j = 0;
  while (j < n4) {
    let end = min(n4, j + 64);
    let acc = f32x4.splat(0), acc1 = acc;
    for (; j + 8 <= end; j += 8) {
      let o = <usize>j << 2;
      let p0 = v128.load(pp + o), p1 = v128.load(pp + o, 16);
      vmax = i32x4.max_u(vmax, i32x4.max_u(p0, p1));
      vmin = i32x4.min_u(vmin, i32x4.min_u(i32x4.sub(p0, i32x4.splat(1)), i32x4.sub(p1, i32x4.splat(1))));
      acc = f32x4.add(acc, f32x4.mul(p0, log4(p0)));
      acc1 = f32x4.add(acc1, f32x4.mul(p1, log4(p1)));
    }
    for (; j < end; j += 4) {
      let p0 = v128.load(pp + (<usize>j << 2));
      vmax = i32x4.max_u(vmax, p0);
      vmin = i32x4.min_u(vmin, i32x4.sub(p0, i32x4.splat(1)));
      acc = f32x4.add(acc, f32x4.mul(p0, log4(p0)));
    }
    sum += hsum4(f32x4.add(acc, acc1));
  }
  // bits(p) <= bits(1); bits(p) - 1 >= 0x007FFFFF unless p is subnormal (p = 0 wraps to 0xFFFFFFFF).
  entOk = i32x4.all_true(v128.and(i32x4.le_u(vmax, i32x4.splat(0x3F800000)), i32x4.ge_u(vmin, i32x4.splat(0x007FFFFF))));
  return sum;
}
