// The float32 path of compareRows (assembly/compare.ts) in the SIMD builds: float32 and half rows (half widened to
// float32 by the wrapper) whose logits are finite and below 1e30 in magnitude. Float32 arithmetic in f32x4 lanes,
// float64 sums (f32 lane sums over 64-element blocks, each block's totals added in float64).
//
// Pass 1 (scan32): both rows' maxima, the first index of each, and the smallest entry of both (the caller's range
// test), in lanes; the elements past the last multiple of 4 by the caller. A row after one that took pass 3 here has
// had it already: pass 3 runs it over the next row in the same loop (the same lanes and blocks, the same results).
// Pass 2 (expStore for each row, then softmax.ts's logFromSum): Σ exp(x - M) of each row, summed exactly as
// softmaxCrossEntropy on float32 sums it (expSum32: the same lanes in the same order), so each loss is that call's;
// the base's exps (float32) go to a scratch area the wrapper provides, for pass 3. The candidate's are not kept
// (pass 3 needs them only in lanes far apart, and forms them again there): a row pair's working set is then its two
// rows and one row of exps, which fits a 2 MB L2 cache for rows up to 174,000 entries.
// Pass 3 (terms32): with v = la - lb (the log-probability difference), r = e^-v, pa the base's probability,
//   KL(a ‖ b) term   pa·f1(v), f1(v) = e^-v - 1 + v                 (= pa·φ(-v), φ(x) = e^x - 1 - x)
//   KL(b ‖ a) term   pa·f2(v), f2(v) = 1 - e^-v·(1 + v)             (= pb·φ(v), pb = pa·e^-v)
//   JS term          pa·f3(v), f3(v) = ½((1 + r)·log(2/(1 + r)) - r·v)
// every f_i >= 0. For |v| < 1/8 (near models: most lanes) each f_i is v²·k_i(v) with k_i a degree-3 polynomial
// (relative error <= 4.8e-7), so the row's Σ pa·f_i over those lanes = Σ_k c_ik·M_k with its moments
// M_k = Σ pa·v^(k+2) (f32 lanes over 64-element blocks, then float64): the c_i0·M0 part dominates it (see moments),
// so it is never negative, and exactly 0 where every v = 0. Lanes with t = |v| >= 1/8 weigh by P = the larger
// probability instead (f_i(t) and f_i(-t) over P, the larger side's then the smaller side's): for t < 1 t²·g_i(t)
// with g_i of degree 5 (relative error <= 3e-7), for t >= 1 the closed forms from r = exp2NegK(-t·log2 e) and
// log4(1 + r), cancelling at most 3.5-fold at t = 1 (<= 1.5e-6 relative), each clamped at 0 (its exact value is
// >= 0, so clamping only removes rounding). v is formed as (xa - xb) - C with xa - xb split exactly (TwoSum) and
// C = (Ma + La) - (Mb + Lb) as two floats, so it keeps its relative accuracy however close the rows are (C to about
// 1e-12 absolute: rows whose maxima lie more than SHIFT32 apart take the float64 path); pa = e_a·e^-La and
// P = max(pa, e_b·e^-Lb) from pass 2's exps e = 2^((x - M)·log2 e) (e_b formed again, the same bits).
//
// Accuracy against the float64 reference (measured and tested on fixtures, the bench's rows, huge gaps, identical
// rows, half input and 262,144-wide rows): each row's KL and JS within 3e-6 relative + 4e-12 absolute; identical
// rows give exactly 0. The rounding of x - M (about |x - M|·1.2e-7 relative on P) dominates: its weight is about
// the entropy.
//
// Coefficients: minimax of the relative error (g_i on [0, 1]: scipy.optimize.linprog / HiGHS against mpmath at 60
// digits, 2000 Chebyshev nodes; k_i: scripts/compare_poly.py), rounded to float32; errors measured with float32
// Horner evaluation.

import { madd4 } from './fused';
import { addPromoted, hsum2 } from './lanes';
import { exp64 } from './math';
import { EXP2_CONSTS, LOG2E_F32, exp2NegK, hsum4, log4 } from './math32';

// Coefficients of g1(t) = (e^-t - 1 + t)/t² (G1x: 1.5e-7), g2(t) = (1 - e^-t·(1 + t))/t² (G2x: 2.9e-7) and
// g3(t) = f3(t)/t² (G3x: 2.0e-7), x the degree.
const G10 = reinterpret<f32>(0x3F000000); // 0.5
const G11 = reinterpret<f32>(0xBE2AAAA9); // -0.166666642
const G12 = reinterpret<f32>(0x3D2AA6A1); // 0.041662816
const G13 = reinterpret<f32>(0xBC081CD6); // -0.00830765627
const G14 = reinterpret<f32>(0x3AAE3938); // 0.0013292199
const G15 = reinterpret<f32>(0xB91103D4); // -0.000138297037
const G20 = reinterpret<f32>(0x3EFFFFFE); // 0.49999994
const G21 = reinterpret<f32>(0xBEAAAA04); // -0.333328366
const G22 = reinterpret<f32>(0x3DFFE2C0); // 0.12494421
const G23 = reinterpret<f32>(0xBD079476); // -0.0331005678
const G24 = reinterpret<f32>(0x3BD4C823); // 0.00649358472
const G25 = reinterpret<f32>(0xBA49408F); // -0.000767716148
const G30 = reinterpret<f32>(0x3E000000); // 0.125
const G31 = reinterpret<f32>(0xBD7FFF7E); // -0.0624995157
const G32 = reinterpret<f32>(0x3C7FE86F); // 0.0156193813
const G33 = reinterpret<f32>(0xBB292FBF); // -0.00258158124
const G34 = reinterpret<f32>(0x39CE1196); // 0.000393044844
const G35 = reinterpret<f32>(0xB85B3ACC); // -5.22684277e-05
// Degree 3 in the signed difference v = la - lb on [-1/8, 1/8] (K1x: 1.7e-7, K2x: 4.8e-7, K3x: 1.8e-7): the base's
// terms over pa·v², K1: (e^-v - 1 + v)/v², K2: (1 - e^-v·(1 + v))/v², K3: ½((1 + r)·log(2/(1 + r)) - r·v)/v², r = e^-v.
// Fitted by scripts/compare_poly.py.
const K10 = reinterpret<f32>(0x3EFFFFFF); // 0.49999997
const K11 = reinterpret<f32>(0xBE2AAAAC); // -0.166666687
const K12 = reinterpret<f32>(0x3D2AC16D); // 0.0416883714
const K13 = reinterpret<f32>(0xBC088CDD); // -0.00833436567
const K20 = reinterpret<f32>(0x3EFFFFF9); // 0.499999791
const K21 = reinterpret<f32>(0xBEAAAAB4); // -0.333333611
const K22 = reinterpret<f32>(0x3E001C6F); // 0.125108466
const K23 = reinterpret<f32>(0xBD087FDD); // -0.0333250649
const K30 = reinterpret<f32>(0x3DFFFFFE); // 0.124999985
const K31 = reinterpret<f32>(0xBD800001); // -0.0625000075
const K32 = reinterpret<f32>(0x3C800E39); // 0.0156317819
const K33 = reinterpret<f32>(0xBB2AB058); // -0.00260450505

/** The coefficients (G1x, G2x, G3x, K1x, K2x, K3x), then ½, ln 2, log2 e, 2^-126. */
const TERM_CONSTS = memory.data<f32>([
  G10, G11, G12, G13, G14, G15, G20, G21, G22, G23, G24, G25, G30, G31, G32, G33, G34, G35,
  K10, K11, K12, K13, K20, K21, K22, K23, K30, K31, K32, K33,
  0.5, reinterpret<f32>(0x3F317218), reinterpret<f32>(0x3FB8AA3B), reinterpret<f32>(0x00800000),
], 16);

/** The largest |Ma - Mb| of rows that take terms32. */
export const SHIFT32: f64 = 4096;

/** Results of scan32 (per row: a = base, b = candidate). */
export let scanMaxA: f64 = 0;
export let scanMaxB: f64 = 0;
export let scanMin: f64 = 0;
export let scanTopA: i32 = 0;
export let scanTopB: i32 = 0;

/** The largest lane of m. */
// @ts-ignore: decorator
@inline function laneTop(m: v128): f64 {
  let a = f32x4.pmax(m, i64x2.shuffle(m, m, 1, 0));
  return max(<f64>f32x4.extract_lane(a, 0), <f64>f32x4.extract_lane(a, 1));
}

/**
 * The first index of M in row p, from the lanes' maxima m and the 64-element block where each lane first reached
 * its maximum (blk): the earliest such block among lanes holding M, searched; -1 when M is -Infinity (or NaN).
 */
function firstIndex(p: usize, m: v128, blk: v128, M: f64): i32 {
  if (!(M > -Infinity)) return -1;
  let mv = f32x4.splat(<f32>M);
  let masked = v128.bitselect(blk, i32x4.splat(0x7FFFFFFF), f32x4.eq(m, mv));
  let a = i32x4.min_s(masked, i32x4.shuffle(masked, masked, 2, 3, 0, 1));
  a = i32x4.min_s(a, i32x4.shuffle(a, a, 1, 0, 3, 2));
  // the block's first vector holding M, then its first lane (blocks start at multiples of 4)
  let j = i32x4.extract_lane(a, 0), k = 0;
  while (!(k = i32x4.bitmask(f32x4.eq(v128.load(p + (<usize>j << 2)), mv)))) j += 4;
  return j + ctz(k);
}

/**
 * Pass 1 over elements [0, n4) of both rows (n4 a multiple of 4): each row's max and first index of it, and the
 * smallest entry of both. Lane maxima per 64-element block, then per lane the block where it first rose (a strict
 * rise keeps the earliest block), so the loop itself only takes maxima and minima. terms32 runs the same scan over
 * the next row (the same blocks, lanes and order: the same results) while it takes the terms of this one.
 */
export function scan32(pa: usize, pb: usize, n4: i32): void {
  let ma = f32x4.splat(-Infinity), mb = ma, lo = f32x4.splat(Infinity);
  let ia = i32x4.splat(0), ib = ia;
  let j = 0;
  while (j < n4) {
    let end = min(n4, j + 64);
    let blk = i32x4.splat(j);
    let ba = f32x4.splat(-Infinity), bb = ba;
    for (; j < end; j += 4) {
      let o = <usize>j << 2;
      let xa = v128.load(pa + o), xb = v128.load(pb + o);
      ba = f32x4.pmax(ba, xa);
      bb = f32x4.pmax(bb, xb);
      lo = f32x4.pmin(lo, f32x4.pmin(xa, xb));
    }
    let ga = f32x4.gt(ba, ma), gb = f32x4.gt(bb, mb);
    ma = v128.bitselect(ba, ma, ga);
    mb = v128.bitselect(bb, mb, gb);
    ia = v128.bitselect(blk, ia, ga);
    ib = v128.bitselect(blk, ib, gb);
  }
  scanEnd(pa, pb, ma, mb, ia, ib, lo);
}

/** Sets scanMaxA, scanMaxB, scanTopA, scanTopB, scanMin from the lanes of a scan of rows pa, pb. */
function scanEnd(pa: usize, pb: usize, ma: v128, mb: v128, ia: v128, ib: v128, lo: v128): void {
  let Ma = laneTop(ma), Mb = laneTop(mb);
  scanMaxA = Ma;
  scanMaxB = Mb;
  scanTopA = firstIndex(pa, ma, ia, Ma);
  scanTopB = firstIndex(pb, mb, ib, Mb);
  let m = f32x4.pmin(lo, i64x2.shuffle(lo, lo, 1, 0));
  scanMin = min(<f64>f32x4.extract_lane(m, 0), <f64>f32x4.extract_lane(m, 1));
}

/**
 * Σ exp(x - M) of row p as softmax.ts's expSum32<f32> forms it (f32 lanes a0, a1 taking alternate vectors of
 * 32-element groups, each 128-element block's total added in float64, then single vectors, then the scalar tail),
 * storing each vector's exps at e + (its byte offset & keep): keep -1 stores them all (elements [0, cols & ~3)),
 * keep 0 writes each over the one before (16 bytes at e that stay in cache: the candidate's exps, which pass 3
 * forms again where it needs them). One row at a time: its vectors fit x64's 16 registers.
 */
export function expStore(p: usize, cols: i32, M: f64, e: usize, keep: usize): f64 {
  const K = EXP2_CONSTS;
  let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
  let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96), one = v128.load(K, 112);
  let xm = f32x4.splat(<f32>M), c = f32x4.splat(LOG2E_F32), zero = f32x4.splat(0);
  let S: f64 = 0;
  let full = cols & ~31, n4 = cols & ~3;
  let j = 0;
  while (j < n4) {
    let pair = j < full;
    let end = pair ? min(full, j + 128) : n4;
    let a0 = zero, a1 = zero;
    for (; j < end; j += 4) {
      let o = <usize>j << 2;
      let x = exp2NegK(f32x4.mul(f32x4.sub(v128.load(p + o), xm), c), lo, sh, c5, c4, c3, c2, c1, one);
      v128.store(e + (o & keep), x);
      let t = f32x4.add(a0, x);
      // two sums taking alternate vectors (full groups: an even count), else one
      if (pair) {
        a0 = a1;
        a1 = t;
      } else a0 = t;
    }
    S += hsum4(a0) + hsum4(a1);
  }
  for (; j < cols; j++) S += exp64(<f64>load<f32>(p + (<usize>j << 2)) - M);
  return S;
}

/** Σ terms of the current row: KL(a ‖ b), KL(b ‖ a), JS (terms32 sets them over the elements it covered). */
export let sumAB: f64 = 0;
export let sumBA: f64 = 0;
export let sumJS: f64 = 0;

/** Two floats hi + lo = v (hi = v rounded to float32). */
// @ts-ignore: decorator
@inline function lowPart(v: f64): f32 {
  return <f32>(v - <f64><f32>v);
}

/**
 * Σ_k c_k·M_k, the four coefficients read from p, clamped at 0: the Σ pa·v²·k_i(v) of a row's lanes with |v| < 1/8
 * from their moments. With every |v| < 1/8, |M_k| <= M0/8^k, and |c_k| <= c_0 (|c_1| <= 2c_0/3), so the first term
 * dominates (the sum is at least 0.9·c_0·M0): never negative but for rounding, which the clamp removes.
 */
function moments(p: usize, M0: f64, M1: f64, M2: f64, M3: f64): f64 {
  let s = <f64>load<f32>(p) * M0 + <f64>load<f32>(p, 4) * M1;
  return max(s + <f64>load<f32>(p, 8) * M2 + <f64>load<f32>(p, 12) * M3, 0);
}

/** c0 + t·(c1 + t·(c2 + t·(c3 + t·(c4 + t·c5)))), the six coefficients read from p. */
// @ts-ignore: decorator
@inline function poly5(t: v128, p: usize): v128 {
  let c = madd4(v128.load32_splat(p, 20), t, v128.load32_splat(p, 16));
  c = madd4(madd4(c, t, v128.load32_splat(p, 12)), t, v128.load32_splat(p, 8));
  return madd4(madd4(c, t, v128.load32_splat(p, 4)), t, v128.load32_splat(p));
}

/** The log-probability difference la - lb = (xa - xb) - (chi + clo), with xa - xb taken exactly (TwoSum). */
// @ts-ignore: decorator
@inline function logDiff(xa: v128, xb: v128, chi: v128, clo: v128): v128 {
  let s = f32x4.sub(xa, xb);
  let bv = f32x4.sub(s, xa);
  let e = f32x4.sub(f32x4.sub(xa, f32x4.sub(s, bv)), f32x4.add(xb, bv));
  return f32x4.add(f32x4.sub(s, chi), f32x4.sub(e, clo));
}

/** The row's constants of pass 3 (float32): C as two floats, e^-La, e^-Lb, the candidate's max. */
let rowChi: f32 = 0;
let rowClo: f32 = 0;
let rowKa: f32 = 0;
let rowKb: f32 = 0;
let rowMb: f32 = 0;
/** farTerms's near lanes' moments (four f32x4). */
const NEAR = memory.data(64, 16);
/** farTerms's sums. */
let farAB: f64 = 0;
let farBA: f64 = 0;
let farJS: f64 = 0;

/**
 * A block of elements [j, end) that has lanes with t = |v| >= 1/8: their terms, weighed by P, the larger
 * probability (the degree-5 polynomials in t, and for t >= 1 the closed forms; lanes where both probabilities are
 * below 2^-126 count nothing there), and the moments of the other lanes, added as terms32 adds them, into NEAR. The
 * candidate's exps are formed again as expStore formed them (the same bits). Apart from terms32's loop, which then
 * keeps its vectors in registers.
 */
function farTerms(pa: usize, pb: usize, ea: usize, j: i32, end: i32): void {
  const G = TERM_CONSTS;
  const K = EXP2_CONSTS;
  let chi = f32x4.splat(rowChi), clo = f32x4.splat(rowClo), ka = f32x4.splat(rowKa), kb = f32x4.splat(rowKb);
  let edge = f32x4.splat(0.015625), zero = f32x4.splat(0), one = v128.load(K, 112);
  let mb = f32x4.splat(rowMb), l2e = v128.load32_splat(G, 128);
  let ab = zero, ba = zero, js = zero;
  let m0 = zero, m1 = zero, m2 = zero, m3 = zero;
  for (; j < end; j += 4) {
    let o = <usize>j << 2;
    let xb = v128.load(pb + o);
    let v = logDiff(v128.load(pa + o), xb, chi, clo);
    let v2 = f32x4.mul(v, v);
    let out = f32x4.ge(v2, edge);
    // the near lanes' moments, as terms32 adds them
    let w = v128.andnot(f32x4.mul(v128.load(ea + o), v2), out);
    m0 = f32x4.add(m0, w);
    w = f32x4.mul(w, v);
    m1 = f32x4.add(m1, w);
    w = f32x4.mul(w, v);
    m2 = f32x4.add(m2, w);
    m3 = madd4(w, v, m3);
    if (!v128.any_true(out)) continue;
    let t = f32x4.abs(v);
    let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
    let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96);
    let eb = exp2NegK(f32x4.mul(f32x4.sub(xb, mb), l2e), lo, sh, c5, c4, c3, c2, c1, one);
    let P = f32x4.pmax(f32x4.mul(v128.load(ea + o), ka), f32x4.mul(eb, kb));
    let Pt2 = f32x4.mul(P, f32x4.mul(t, t));
    let big = f32x4.mul(Pt2, poly5(t, G));
    let small = f32x4.mul(Pt2, poly5(t, G + 24));
    let d = f32x4.mul(Pt2, poly5(t, G + 48));
    let far = f32x4.ge(t, one);
    if (v128.any_true(far)) {
      let half = v128.load32_splat(G, 120), ln2 = v128.load32_splat(G, 124), minN = v128.load32_splat(G, 132);
      let live = v128.and(far, f32x4.gt(P, minN));
      let r = exp2NegK(f32x4.neg(f32x4.mul(t, l2e)), lo, sh, c5, c4, c3, c2, c1, one);
      let rt = f32x4.mul(r, t);
      let opr = f32x4.add(one, r);
      let k1 = f32x4.add(f32x4.sub(r, one), t);
      let k2 = f32x4.sub(f32x4.sub(one, r), rt);
      let k3 = f32x4.mul(half, f32x4.sub(f32x4.mul(opr, f32x4.sub(ln2, log4(opr))), rt));
      big = v128.bitselect(f32x4.pmax(f32x4.mul(P, k1), zero), v128.andnot(big, far), live);
      small = v128.bitselect(f32x4.pmax(f32x4.mul(P, k2), zero), v128.andnot(small, far), live);
      d = v128.bitselect(f32x4.pmax(f32x4.mul(P, k3), zero), v128.andnot(d, far), live);
    }
    let aBig = f32x4.ge(v, zero);
    ab = f32x4.add(ab, v128.and(v128.bitselect(big, small, aBig), out));
    ba = f32x4.add(ba, v128.and(v128.bitselect(small, big, aBig), out));
    js = f32x4.add(js, v128.and(d, out));
  }
  farAB = hsum4(ab);
  farBA = hsum4(ba);
  farJS = hsum4(js);
  v128.store(NEAR, m0);
  v128.store(NEAR, m1, 16);
  v128.store(NEAR, m2, 32);
  v128.store(NEAR, m3, 48);
}

/**
 * Pass 3 over elements [0, n4) of both rows (n4 a multiple of 4) and the base's exps from expStore (ea), each row's
 * max M and log Σ exp(x - M) L (the caller keeps |Ma - Mb| <= SHIFT32). Sets sumAB, sumBA, sumJS. The lanes with
 * |v| < 1/8 (near models: most) add their moments in f32 lanes over 64-element blocks, each block's added in
 * float64, and their terms come from the row's moments (see moments). A block whose largest v² reaches 1/64 has far
 * lanes: farTerms takes it again, its far lanes' terms and its near lanes' moments. The loop also runs pass 1 (scan32) over the rows at na, nb (the next row of each model, so that no
 * row takes a pass of its own for its maxima), setting scan32's results, unless na is 0.
 */
export function terms32(
  pa: usize, pb: usize, ea: usize, n4: i32, Ma: f64, La: f64, Mb: f64, Lb: f64, na: usize, nb: usize,
): void {
  const T = TERM_CONSTS;
  // 1/64: a lane's v² reaches it exactly when |v| >= 1/8 (the float32 squares of |v| < 1/8 round below it)
  let edge = f32x4.splat(0.015625), zero = f32x4.splat(0);
  // C = (Ma - Mb) + (La - Lb) to about 2^-52·(SHIFT32 + |La - Lb|) (Ma - Mb of two floats is exact or tiny-relative).
  let C = (Ma - Mb) + (La - Lb);
  rowChi = <f32>C;
  rowClo = lowPart(C);
  let ka = exp64(-La);
  rowKa = <f32>ka;
  rowKb = <f32>exp64(-Lb);
  rowMb = <f32>Mb;
  let chi = f32x4.splat(rowChi), clo = f32x4.splat(rowClo);
  let AB: f64 = 0, BA: f64 = 0, JS: f64 = 0;
  let s0 = f64x2.splat(0), s1 = s0, s2 = s0, s3 = s0;
  let ma = f32x4.splat(-Infinity), mb = ma, lo = f32x4.splat(Infinity);
  let ia = i32x4.splat(0), ib = ia;
  let j = 0;
  while (j < n4) {
    let j0 = j;
    let end = min(n4, j + 64);
    let ba = f32x4.splat(-Infinity), bb = ba;
    // the block's moments Σ w·v^k, w = e_a·v² (pa = e_a·e^-La: the factor applied to the row's sums), of all its
    // lanes: kept when every |v| < 1/8 (top, the largest v², below 1/64)
    let m0 = zero, m1 = zero, m2 = zero, m3 = zero, top = zero;
    for (; j < end; j += 4) {
      let o = <usize>j << 2;
      let v = logDiff(v128.load(pa + o), v128.load(pb + o), chi, clo);
      let v2 = f32x4.mul(v, v);
      top = f32x4.pmax(top, v2);
      let w = f32x4.mul(v128.load(ea + o), v2);
      m0 = f32x4.add(m0, w);
      w = f32x4.mul(w, v);
      m1 = f32x4.add(m1, w);
      w = f32x4.mul(w, v);
      m2 = f32x4.add(m2, w);
      m3 = madd4(w, v, m3);
      if (na) {
        let xa = v128.load(na + o), xb = v128.load(nb + o);
        ba = f32x4.pmax(ba, xa);
        bb = f32x4.pmax(bb, xb);
        lo = f32x4.pmin(lo, f32x4.pmin(xa, xb));
      }
    }
    let blk = i32x4.splat(j0);
    let ga = f32x4.gt(ba, ma), gb = f32x4.gt(bb, mb);
    ma = v128.bitselect(ba, ma, ga);
    mb = v128.bitselect(bb, mb, gb);
    ia = v128.bitselect(blk, ia, ga);
    ib = v128.bitselect(blk, ib, gb);
    if (v128.any_true(f32x4.ge(top, edge))) {
      farTerms(pa, pb, ea, j0, end);
      AB += farAB;
      BA += farBA;
      JS += farJS;
      m0 = v128.load(NEAR);
      m1 = v128.load(NEAR, 16);
      m2 = v128.load(NEAR, 32);
      m3 = v128.load(NEAR, 48);
    }
    s0 = addPromoted(s0, m0);
    s1 = addPromoted(s1, m1);
    s2 = addPromoted(s2, m2);
    s3 = addPromoted(s3, m3);
  }
  let M0 = ka * hsum2(s0), M1 = ka * hsum2(s1), M2 = ka * hsum2(s2), M3 = ka * hsum2(s3);
  sumAB = AB + moments(T + 72, M0, M1, M2, M3);
  sumBA = BA + moments(T + 88, M0, M1, M2, M3);
  sumJS = JS + moments(T + 104, M0, M1, M2, M3);
  if (na) scanEnd(na, nb, ma, mb, ia, ib, lo);
}
