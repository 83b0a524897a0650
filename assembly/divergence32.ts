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
// Terms with p = 0 have b = q. Rows holding anything else (q <= 2^-125 or huge, subnormal or negative p, NaN,
// ±Infinity) are left to the float64 path: klRow32 reports them through klOk.

import { atanhTail4, hsum4 } from './math32';

const LN2F = reinterpret<f32>(0x3F317218); // 0.693147182 (ln 2 rounded to float32)
export let klOk: bool = true;

/** Bregman terms b of four lanes (d = p - q); lanes with p = 0 give q. */
// @ts-ignore: decorator
@inline function bregman4(p: v128, q: v128, d: v128): v128 {
  let db = i32x4.sub(p, q);
  let near = i32x4.lt_u(i32x4.add(db, i32x4.splat(0x00733333)), i32x4.splat(0x00E66666)); // |db| < 0.9·2^23
  let k = v128.andnot(i32x4.shr_s(i32x4.add(db, i32x4.splat(0x00400000)), 23), near);
  let p2 = i32x4.sub(p, i32x4.shl(k, 23));
  let s = f32x4.div(f32x4.sub(p2, q), f32x4.add(p2, q));
  let st = f32x4.mul(s, atanhTail4(s));
  let far = f32x4.sub(f32x4.mul(p, f32x4.add(f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(k), f32x4.splat(LN2F)),
    f32x4.add(s, s)), st)), d);
  let b = v128.bitselect(f32x4.add(f32x4.mul(d, s), f32x4.mul(p, st)), far, near);
  return v128.bitselect(q, b, f32x4.eq(p, f32x4.splat(0)));
}

/** Lanes where the fast form is valid: q in [2^-125, 2^126), p zero or normal (see the file header). */
// @ts-ignore: decorator
@inline function valid4(p: v128, q: v128): v128 {
  let okp = v128.or(i32x4.lt_u(i32x4.sub(p, i32x4.splat(0x00800000)), i32x4.splat(0x7F000000)), f32x4.eq(p, f32x4.splat(0)));
  return v128.and(okp, i32x4.lt_u(i32x4.sub(q, i32x4.splat(0x01000000)), i32x4.splat(0x7D800000)));
}

/**
 * p - q of four lanes widened and added to an f64x2 accumulator. d is exact where p/q is in [1/2, 2]; elsewhere
 * the same rounded d enters b = p·log(p/q) - d, so its rounding cancels in b + d.
 */
// @ts-ignore: decorator
@inline function addD(acc: v128, d: v128): v128 {
  return f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(d), f64x2.promote_low_f32x4(i64x2.shuffle(d, d, 1, 0))));
}

/** Σ_j rel_entr(p_j, q_j) over the first n4 (a multiple of 4) float32 elements; klOk = false: unusable (see above). */
export function klRow32(pp: usize, qp: usize, n4: i32): f64 {
  let good = i32x4.splat(-1);
  let sumB: f64 = 0, sumD = f64x2.splat(0);
  let j = 0;
  while (j < n4) {
    let end = min(n4, j + 64);
    let acc = f32x4.splat(0), accD = f64x2.splat(0);
    // Two vectors per iteration: V8 adds a stack check and bounds arithmetic to every loop iteration.
    for (; j + 8 <= end; j += 8) {
      let o = <usize>j << 2;
      let p0 = v128.load(pp + o), q0 = v128.load(qp + o), p1 = v128.load(pp + o, 16), q1 = v128.load(qp + o, 16);
      good = v128.and(good, v128.and(valid4(p0, q0), valid4(p1, q1)));
      let d0 = f32x4.sub(p0, q0), d1 = f32x4.sub(p1, q1);
      acc = f32x4.add(acc, f32x4.add(bregman4(p0, q0, d0), bregman4(p1, q1, d1)));
      accD = addD(addD(accD, d0), d1);
    }
    for (; j < end; j += 4) {
      let o = <usize>j << 2;
      let p0 = v128.load(pp + o), q0 = v128.load(qp + o);
      good = v128.and(good, valid4(p0, q0));
      let d0 = f32x4.sub(p0, q0);
      acc = f32x4.add(acc, bregman4(p0, q0, d0));
      accD = addD(accD, d0);
    }
    sumB += hsum4(acc);
    sumD = f64x2.add(sumD, accD);
  }
  klOk = i32x4.all_true(good);
  return sumB + (f64x2.extract_lane(sumD, 0) + f64x2.extract_lane(sumD, 1));
}
