// The float32 path of compareRows (assembly/compare.ts) in the SIMD builds: float32 and half rows (half widened to
// float32 by the wrapper) whose logits are finite and below 1e30 in magnitude. Float32 arithmetic in f32x4 lanes,
// float64 sums (f32 lane sums over 64-element blocks, each block's total added in float64: every term is >= 0).
//
// Pass 1 (scan32): both rows' maxima, the first index of each, how many entries lie above the target's, and the
// smallest entry of both (the caller's range test), in lanes; the elements past the last multiple of 4 by the caller.
// Pass 2 (expSums32): Σ exp(x - M) of both rows as 2^((x - M)·log2 e) (exp2NegK, <= 2.2e-7 per term), as
// softmaxCrossEntropy on float32 does; the caller turns each sum into log S with logFromSum (precise passes for
// confident rows), so each model's loss has the float32 loss's accuracy.
// Pass 3 (terms32): with lp = la - lb (the log-probability difference), t = |lp| and P = the larger probability,
//   KL term of the larger side   P·f1(t), f1(t) = e^-t - 1 + t            (= P·φ(-t), φ(x) = e^x - 1 - x)
//   KL term of the smaller side  P·f2(t), f2(t) = 1 - e^-t·(1 + t)        (= p·φ(t), p = P·e^-t)
//   Jensen–Shannon term          P·f3(t), f3(t) = ½((1 + r)·log(2/(1 + r)) - r·t), r = e^-t
// every f_i >= 0. For t < 1 each f_i is t²·g_i(t) with g_i a degree-5 polynomial (relative error <= 3e-7 in float32
// Horner, fitted below), so a term is a product of non-negative numbers: never negative, exactly 0 where t = 0. For
// t >= 1 the closed forms above from r = exp2NegK(-t·log2 e) and log4(1 + r), cancelling at most 3.5-fold at t = 1
// (<= 1.5e-6 relative), each clamped at 0 (its exact value is >= 0, so clamping only removes rounding). lp is formed
// as (xa - xb) - C with xa - xb split exactly (TwoSum) and C = (Ma + La) - (Mb + Lb) as two floats, so t keeps its
// relative accuracy however close the rows are (C to about 1e-12 absolute: rows whose maxima lie more than SHIFT32
// apart take the float64 path); P = 2^(l·log2 e) with l = ((x - M) - L_hi) - L_lo.
//
// Accuracy against the float64 reference (measured and tested on fixtures, the bench's rows, huge gaps, identical
// rows, half input and 262,144-wide rows): each row's KL and JS within 3e-6 relative + 4e-12 absolute; identical
// rows give exactly 0. The rounding of l (about |l|·1.2e-7 relative on P) dominates: its weight is the entropy.
//
// Coefficients: minimax of the relative error of g_i on [0, 1] (scipy.optimize.linprog / HiGHS against mpmath at 60
// digits, 2000 Chebyshev nodes), rounded to float32; errors measured with float32 Horner evaluation.

import { madd4 } from './fused';
import { EXP2_CONSTS, exp2NegK, hsum4, log4 } from './math32';

/** g1, g2, g3 (lowest degree first, 6 each), then 1, ½, ln 2, log2 e, 2^-126. */
const TERM_CONSTS = memory.data<f32>([
  // g1(t) = (e^-t - 1 + t)/t²: 1.5e-7
  reinterpret<f32>(0x3F000000), reinterpret<f32>(0xBE2AAAA9), reinterpret<f32>(0x3D2AA6A1),
  reinterpret<f32>(0xBC081CD6), reinterpret<f32>(0x3AAE3938), reinterpret<f32>(0xB91103D4),
  // g2(t) = (1 - e^-t·(1 + t))/t²: 2.9e-7
  reinterpret<f32>(0x3EFFFFFE), reinterpret<f32>(0xBEAAAA04), reinterpret<f32>(0x3DFFE2C0),
  reinterpret<f32>(0xBD079476), reinterpret<f32>(0x3BD4C823), reinterpret<f32>(0xBA49408F),
  // g3(t) = f3(t)/t²: 2.0e-7
  reinterpret<f32>(0x3E000000), reinterpret<f32>(0xBD7FFF7E), reinterpret<f32>(0x3C7FE86F),
  reinterpret<f32>(0xBB292FBF), reinterpret<f32>(0x39CE1196), reinterpret<f32>(0xB85B3ACC),
  1.0, 0.5, reinterpret<f32>(0x3F317218), reinterpret<f32>(0x3FB8AA3B), reinterpret<f32>(0x00800000),
], 16);

/** The largest |Ma - Mb| of rows that take terms32. */
export const SHIFT32: f64 = 4096;

/** Results of scan32 (per row: a = base, b = candidate). */
export let scanMaxA: f64 = 0;
export let scanMaxB: f64 = 0;
export let scanMin: f64 = 0;
export let scanTopA: i32 = 0;
export let scanTopB: i32 = 0;
export let scanUpA: i32 = 0;
export let scanUpB: i32 = 0;

/** The largest lane of m. */
// @ts-ignore: decorator
@inline function laneTop(m: v128): f64 {
  let a = f32x4.pmax(m, i64x2.shuffle(m, m, 1, 0));
  return max(<f64>f32x4.extract_lane(a, 0), <f64>f32x4.extract_lane(a, 1));
}

/** The lowest index among the lanes of m equal to M (their first occurrences), -1 when M is -Infinity. */
// @ts-ignore: decorator
@inline function laneIndex(m: v128, idx: v128, M: f64): i32 {
  let best: i32 = -1;
  let hit = f32x4.eq(m, f32x4.splat(<f32>M));
  let masked = v128.bitselect(idx, i32x4.splat(0x7FFFFFFF), hit);
  let a = i32x4.min_s(masked, i32x4.shuffle(masked, masked, 2, 3, 0, 1));
  a = i32x4.min_s(a, i32x4.shuffle(a, a, 1, 0, 3, 2));
  let v = i32x4.extract_lane(a, 0);
  if (M > -Infinity) best = v;
  return best;
}

/** Pass 1 over elements [0, n4) of both rows (n4 a multiple of 4); sets the scan results. */
export function scan32(pa: usize, pb: usize, n4: i32, ay: f32, by: f32): void {
  let ma = f32x4.splat(-Infinity), mb = ma, lo = f32x4.splat(Infinity);
  let ia = i32x4.splat(-1), ib = ia, ua = i32x4.splat(0), ub = ua;
  let jv = i32x4(0, 1, 2, 3), four = i32x4.splat(4);
  let yav = f32x4.splat(ay), ybv = f32x4.splat(by);
  for (let j = 0; j < n4; j += 4) {
    let o = <usize>j << 2;
    let xa = v128.load(pa + o), xb = v128.load(pb + o);
    let ga = f32x4.gt(xa, ma), gb = f32x4.gt(xb, mb);
    ma = v128.bitselect(xa, ma, ga);
    mb = v128.bitselect(xb, mb, gb);
    ia = v128.bitselect(jv, ia, ga);
    ib = v128.bitselect(jv, ib, gb);
    ua = i32x4.sub(ua, f32x4.gt(xa, yav));
    ub = i32x4.sub(ub, f32x4.gt(xb, ybv));
    lo = f32x4.pmin(lo, f32x4.pmin(xa, xb));
    jv = i32x4.add(jv, four);
  }
  let Ma = laneTop(ma), Mb = laneTop(mb);
  scanMaxA = Ma;
  scanMaxB = Mb;
  scanTopA = laneIndex(ma, ia, Ma);
  scanTopB = laneIndex(mb, ib, Mb);
  scanUpA = i32x4.extract_lane(ua, 0) + i32x4.extract_lane(ua, 1) + i32x4.extract_lane(ua, 2) + i32x4.extract_lane(ua, 3);
  scanUpB = i32x4.extract_lane(ub, 0) + i32x4.extract_lane(ub, 1) + i32x4.extract_lane(ub, 2) + i32x4.extract_lane(ub, 3);
  let m = f32x4.pmin(lo, i64x2.shuffle(lo, lo, 1, 0));
  scanMin = min(<f64>f32x4.extract_lane(m, 0), <f64>f32x4.extract_lane(m, 1));
}

/** Results of expSums32. */
export let sumA: f64 = 0;
export let sumB: f64 = 0;

/** Pass 2: Σ exp(x - M) over elements [0, n4) of both rows (n4 a multiple of 4). */
export function expSums32(pa: usize, pb: usize, n4: i32, Ma: f64, Mb: f64): void {
  const K = EXP2_CONSTS;
  let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
  let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96), one = v128.load(K, 112);
  let l2e = v128.load32_splat(TERM_CONSTS, 84);
  let mav = f32x4.splat(<f32>Ma), mbv = f32x4.splat(<f32>Mb);
  let Sa: f64 = 0, Sb: f64 = 0;
  let j = 0;
  while (j < n4) {
    let end = min(n4, j + 128);
    let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0;
    for (; j + 8 <= end; j += 8) {
      let q = pa + (<usize>j << 2), r = pb + (<usize>j << 2);
      a0 = f32x4.add(a0, exp2NegK(f32x4.mul(f32x4.sub(v128.load(q), mav), l2e), lo, sh, c5, c4, c3, c2, c1, one));
      b0 = f32x4.add(b0, exp2NegK(f32x4.mul(f32x4.sub(v128.load(r), mbv), l2e), lo, sh, c5, c4, c3, c2, c1, one));
      a1 = f32x4.add(a1, exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 16), mav), l2e), lo, sh, c5, c4, c3, c2, c1, one));
      b1 = f32x4.add(b1, exp2NegK(f32x4.mul(f32x4.sub(v128.load(r, 16), mbv), l2e), lo, sh, c5, c4, c3, c2, c1, one));
    }
    for (; j < end; j += 4) {
      a0 = f32x4.add(a0, exp2NegK(f32x4.mul(f32x4.sub(v128.load(pa + (<usize>j << 2)), mav), l2e), lo, sh, c5, c4, c3, c2, c1, one));
      b0 = f32x4.add(b0, exp2NegK(f32x4.mul(f32x4.sub(v128.load(pb + (<usize>j << 2)), mbv), l2e), lo, sh, c5, c4, c3, c2, c1, one));
    }
    Sa += hsum4(f32x4.add(a0, a1));
    Sb += hsum4(f32x4.add(b0, b1));
  }
  sumA = Sa;
  sumB = Sb;
}

/** Results of terms32: Σ terms of KL(a ‖ b), KL(b ‖ a), JS over the elements it covered. */
export let termAB: f64 = 0;
export let termBA: f64 = 0;
export let termJS: f64 = 0;

/** Two floats hi + lo = v (hi = v rounded to float32). */
// @ts-ignore: decorator
@inline function lowPart(v: f64): f32 {
  return <f32>(v - <f64><f32>v);
}

/** c0 + t·(c1 + t·(... + t·c5)) with the six coefficients at TERM_CONSTS + off. */
// @ts-ignore: decorator
@inline function poly5(t: v128, off: usize): v128 {
  const K = TERM_CONSTS;
  let p = madd4(v128.load32_splat(K + off, 20), t, v128.load32_splat(K + off, 16));
  p = madd4(p, t, v128.load32_splat(K + off, 12));
  p = madd4(p, t, v128.load32_splat(K + off, 8));
  p = madd4(p, t, v128.load32_splat(K + off, 4));
  return madd4(p, t, v128.load32_splat(K + off, 0));
}

/**
 * Pass 3 over elements [0, n4) of both rows (n4 a multiple of 4), each row's max M and log Σ exp(x - M) L (the
 * caller keeps |Ma - Mb| <= SHIFT32). Sets termAB, termBA, termJS.
 */
export function terms32(pa: usize, pb: usize, n4: i32, Ma: f64, La: f64, Mb: f64, Lb: f64): void {
  const K = EXP2_CONSTS;
  let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
  let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96), one = v128.load(K, 112);
  const T = TERM_CONSTS;
  let half = v128.load32_splat(T, 76), ln2 = v128.load32_splat(T, 80), l2e = v128.load32_splat(T, 84);
  let minN = v128.load32_splat(T, 88), zero = f32x4.splat(0);
  // C = (Ma - Mb) + (La - Lb) to about 2^-52·(SHIFT32 + |La - Lb|) (Ma - Mb of two floats is exact or tiny-relative).
  let C = (Ma - Mb) + (La - Lb);
  let chi = f32x4.splat(<f32>C), clo = f32x4.splat(lowPart(C));
  let mav = f32x4.splat(<f32>Ma), lah = f32x4.splat(<f32>La), lal = f32x4.splat(lowPart(La));
  let mbv = f32x4.splat(<f32>Mb), lbh = f32x4.splat(<f32>Lb), lbl = f32x4.splat(lowPart(Lb));
  let AB: f64 = 0, BA: f64 = 0, JS: f64 = 0;
  let j = 0;
  while (j < n4) {
    let end = min(n4, j + 64);
    let ab = zero, ba = zero, js = zero;
    for (; j < end; j += 4) {
      let o = <usize>j << 2;
      let xa = v128.load(pa + o), xb = v128.load(pb + o);
      // lp = (xa - xb) - C, with xa - xb = s + e exactly (TwoSum) and C = chi + clo.
      let s = f32x4.sub(xa, xb);
      let bv = f32x4.sub(s, xa);
      let e = f32x4.sub(f32x4.sub(xa, f32x4.sub(s, bv)), f32x4.add(xb, bv));
      let lp = f32x4.add(f32x4.sub(s, chi), f32x4.sub(e, clo));
      let aBig = f32x4.ge(lp, zero);
      let t = f32x4.abs(lp);
      let l = v128.bitselect(f32x4.sub(f32x4.sub(f32x4.sub(xa, mav), lah), lal),
        f32x4.sub(f32x4.sub(f32x4.sub(xb, mbv), lbh), lbl), aBig);
      let P = exp2NegK(f32x4.mul(l, l2e), lo, sh, c5, c4, c3, c2, c1, one);
      let Pt2 = f32x4.mul(P, f32x4.mul(t, t));
      let big = f32x4.mul(Pt2, poly5(t, 0));
      let small = f32x4.mul(Pt2, poly5(t, 24));
      let d = f32x4.mul(Pt2, poly5(t, 48));
      let far = f32x4.ge(t, one);
      if (v128.any_true(far)) {
        // t >= 1: the closed forms (lanes where both probabilities are below 2^-126 count nothing).
        let r = exp2NegK(f32x4.neg(f32x4.mul(t, l2e)), lo, sh, c5, c4, c3, c2, c1, one);
        let rt = f32x4.mul(r, t);
        let live = v128.and(far, f32x4.gt(P, minN));
        let opr = f32x4.add(one, r);
        let f1 = f32x4.add(f32x4.sub(r, one), t);
        let f2 = f32x4.sub(f32x4.sub(one, r), rt);
        let f3 = f32x4.mul(half, f32x4.sub(f32x4.mul(opr, f32x4.sub(ln2, log4(opr))), rt));
        big = v128.bitselect(f32x4.pmax(f32x4.mul(P, f1), zero), v128.andnot(big, far), live);
        small = v128.bitselect(f32x4.pmax(f32x4.mul(P, f2), zero), v128.andnot(small, far), live);
        d = v128.bitselect(f32x4.pmax(f32x4.mul(P, f3), zero), v128.andnot(d, far), live);
      }
      ab = f32x4.add(ab, v128.bitselect(big, small, aBig));
      ba = f32x4.add(ba, v128.bitselect(small, big, aBig));
      js = f32x4.add(js, d);
    }
    AB += hsum4(ab);
    BA += hsum4(ba);
    JS += hsum4(js);
  }
  termAB = AB;
  termBA = BA;
  termJS = JS;
}
