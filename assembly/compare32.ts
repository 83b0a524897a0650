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
// every f_i >= 0. Each f_i is v²·k_i(v) with k_i a polynomial in two tiers, so a row's Σ pa·f_i over a tier's lanes is
// Σ_k c_ik·M_k with its moments M_k = Σ pa·v^(k+2) (f32 lanes over 64-element blocks, then float64), never negative
// (see tier), and exactly 0 where every v = 0. Blocks of 64 elements whose every |v| < 1/8 (near models: most) take
// degree 3 (relative error <= 4.3e-7), four moments per lane; the lanes with |v| < 1 of the other blocks take degree
// 7 on [-1, 1] (<= 7.7e-8), eight moments. Lanes with t = |v| >= 1 weigh by P = the larger probability (f_i(t) and
// f_i(-t) over P, the larger side's then the smaller side's): the closed forms from r = exp2NegK(-t·log2 e) and
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
// Coefficients: near-minimax of the relative error (scripts/compare_poly.py), rounded to float32; errors measured as
// the kernel combines them (float64).

import { madd4 } from './fused';
import { addPromoted, hsum2 } from './lanes';
import { exp64 } from './math';
import { EXP2_CONSTS, LOG2E_F32, exp2NegK, hsum4, log4 } from './math32';

// The two tiers of polynomials k_i(v) = f_i(v)/v² in the signed difference v = la - lb (see above), fitted by
// scripts/compare_poly.py: K1x, K2x, K3x of degree 3 on [-1/8, 1/8] (relative error 1.1e-7, 4.3e-7, 1.2e-7) and
// J1x, J2x, J3x of degree 7 on [-1, 1] (1.0e-8, 7.7e-8, 4.5e-9), as the kernel combines them (float64).
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
const J10 = reinterpret<f32>(0x3F000000); // 0.5
const J11 = reinterpret<f32>(0xBE2AAAAB); // -0.166666672
const J12 = reinterpret<f32>(0x3D2AAABD); // 0.041666735
const J13 = reinterpret<f32>(0xBC088870); // -0.00833331048
const J14 = reinterpret<f32>(0x3AB5FFD8); // 0.00138854515
const J15 = reinterpret<f32>(0xB9501466); // -0.000198440248
const J16 = reinterpret<f32>(0x37D4B115); // 2.53548296e-05
const J17 = reinterpret<f32>(0xB63A0B69); // -2.77228014e-06
const J20 = reinterpret<f32>(0x3EFFFFFF); // 0.49999997
const J21 = reinterpret<f32>(0xBEAAAAAD); // -0.333333403
const J22 = reinterpret<f32>(0x3E000026); // 0.125000566
const J23 = reinterpret<f32>(0xBD0887F9); // -0.0333327986
const J24 = reinterpret<f32>(0x3BE37555); // 0.0069414773
const J25 = reinterpret<f32>(0xBA9C280D); // -0.00119137915
const J26 = reinterpret<f32>(0x393B2EA0); // 0.000178510789
const J27 = reinterpret<f32>(0xB7B74340); // -2.18466157e-05
const J30 = reinterpret<f32>(0x3E000000); // 0.125
const J31 = reinterpret<f32>(0xBD7FFFFF); // -0.0624999963
const J32 = reinterpret<f32>(0x3C800000); // 0.015625
const J33 = reinterpret<f32>(0xBB2AAB75); // -0.00260421378
const J34 = reinterpret<f32>(0x39E38F1D); // 0.000434034417
const J35 = reinterpret<f32>(0xB8B5B50E); // -8.66447663e-05
const J36 = reinterpret<f32>(0x3735A1B8); // 1.08260938e-05
const J37 = reinterpret<f32>(0x335EA8EA); // 5.18420293e-08

/** The coefficients (K1x, K2x, K3x, J1x, J2x, J3x), then ½, ln 2, log2 e, 2^-126. */
const TERM_CONSTS = memory.data<f32>([
  K10, K11, K12, K13, K20, K21, K22, K23, K30, K31, K32, K33,
  J10, J11, J12, J13, J14, J15, J16, J17,
  J20, J21, J22, J23, J24, J25, J26, J27,
  J30, J31, J32, J33, J34, J35, J36, J37,
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
 * ka·Σ_k c_k·S_k over n moments (c_k float32 at p, S_k the f64x2 sums at m), clamped at 0: a tier's
 * Σ pa·v²·k_i(v) over its lanes from their moment sums S_k = Σ e_a·v^(k+2) (pa = e_a·ka). k_i(v) >= 0.07 on
 * [-1, 1], the coefficients add up to at most 3.8·min k_i in magnitude (1.5-2.2 on [-1/8, 1/8]), and every
 * |v^(k+2)| <= v²: the sum is never negative but for rounding, which the clamp removes, and the moments' rounding
 * weighs at most 3.8-fold on it.
 */
function tier(p: usize, m: usize, n: i32, ka: f64): f64 {
  let s: f64 = 0;
  for (let k = 0; k < n; k++) s += <f64>load<f32>(p + (<usize>k << 2)) * hsum2(v128.load(m + (<usize>k << 4)));
  return max(ka * s, 0);
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
/** A row's moment sums (f64x2): the near blocks' four, then the far blocks' eight. */
const SUMS = memory.data(192, 16);
const FAR_SUMS = SUMS + 64;
/**
 * farTerms's closed-form sums over a block (three f32x4: KL(a ‖ b), KL(b ‖ a), JS), kept in memory: they are added
 * to only in lanes with |v| >= 1, and the eight moments keep the registers.
 */
const FAR_TERMS = memory.data(48, 16);

/**
 * A block of elements [j, end) that has lanes with |v| >= 1/8: the moments of its lanes with |v| < 1, for the
 * degree-7 tier, added into the row's FAR_SUMS, and the terms of its lanes with t = |v| >= 1 from the closed forms,
 * weighed by P, the larger probability (lanes where both probabilities are below 2^-126 count nothing there), added
 * to sumAB, sumBA, sumJS. The candidate's exps are formed again there as expStore formed them (the same bits).
 * Apart from terms32's loop, which then keeps its vectors in registers.
 */
function farTerms(pa: usize, pb: usize, ea: usize, j: i32, end: i32): void {
  const G = TERM_CONSTS;
  const K = EXP2_CONSTS;
  let chi = f32x4.splat(rowChi), clo = f32x4.splat(rowClo), zero = f32x4.splat(0), one = v128.load(K, 112);
  v128.store(FAR_TERMS, zero);
  v128.store(FAR_TERMS, zero, 16);
  v128.store(FAR_TERMS, zero, 32);
  let m0 = zero, m1 = zero, m2 = zero, m3 = zero, m4 = zero, m5 = zero, m6 = zero, m7 = zero;
  for (; j < end; j += 4) {
    let o = <usize>j << 2;
    let xb = v128.load(pb + o);
    let v = logDiff(v128.load(pa + o), xb, chi, clo);
    let v2 = f32x4.mul(v, v);
    // t >= 1 exactly when v² >= 1 (the float32 squares of |v| < 1 round below 1)
    let far = f32x4.ge(v2, one);
    let w = v128.andnot(f32x4.mul(v128.load(ea + o), v2), far);
    m0 = f32x4.add(m0, w);
    w = f32x4.mul(w, v);
    m1 = f32x4.add(m1, w);
    w = f32x4.mul(w, v);
    m2 = f32x4.add(m2, w);
    w = f32x4.mul(w, v);
    m3 = f32x4.add(m3, w);
    w = f32x4.mul(w, v);
    m4 = f32x4.add(m4, w);
    w = f32x4.mul(w, v);
    m5 = f32x4.add(m5, w);
    w = f32x4.mul(w, v);
    m6 = f32x4.add(m6, w);
    m7 = madd4(w, v, m7);
    if (!v128.any_true(far)) continue;
    let t = f32x4.abs(v);
    let l2e = v128.load32_splat(G, 152), half = v128.load32_splat(G, 144), ln2 = v128.load32_splat(G, 148);
    let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
    let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96);
    let eb = exp2NegK(f32x4.mul(f32x4.sub(xb, f32x4.splat(rowMb)), l2e), lo, sh, c5, c4, c3, c2, c1, one);
    let P = f32x4.pmax(f32x4.mul(v128.load(ea + o), f32x4.splat(rowKa)), f32x4.mul(eb, f32x4.splat(rowKb)));
    let live = v128.and(far, f32x4.gt(P, v128.load32_splat(G, 156)));
    let r = exp2NegK(f32x4.neg(f32x4.mul(t, l2e)), lo, sh, c5, c4, c3, c2, c1, one);
    let rt = f32x4.mul(r, t);
    let opr = f32x4.add(one, r);
    // the larger side's term P·(e^-t - 1 + t), the smaller side's P·(1 - e^-t·(1 + t)), JS's
    let big = v128.and(f32x4.pmax(f32x4.mul(P, f32x4.add(f32x4.sub(r, one), t)), zero), live);
    let small = v128.and(f32x4.pmax(f32x4.mul(P, f32x4.sub(f32x4.sub(one, r), rt)), zero), live);
    let d = f32x4.mul(half, f32x4.sub(f32x4.mul(opr, f32x4.sub(ln2, log4(opr))), rt));
    let aBig = f32x4.ge(v, zero);
    v128.store(FAR_TERMS, f32x4.add(v128.load(FAR_TERMS), v128.bitselect(big, small, aBig)));
    v128.store(FAR_TERMS, f32x4.add(v128.load(FAR_TERMS, 16), v128.bitselect(small, big, aBig)), 16);
    v128.store(FAR_TERMS, f32x4.add(v128.load(FAR_TERMS, 32), v128.and(f32x4.pmax(f32x4.mul(P, d), zero), live)), 32);
  }
  sumAB += hsum4(v128.load(FAR_TERMS));
  sumBA += hsum4(v128.load(FAR_TERMS, 16));
  sumJS += hsum4(v128.load(FAR_TERMS, 32));
  v128.store(FAR_SUMS, addPromoted(v128.load(FAR_SUMS), m0));
  v128.store(FAR_SUMS, addPromoted(v128.load(FAR_SUMS, 16), m1), 16);
  v128.store(FAR_SUMS, addPromoted(v128.load(FAR_SUMS, 32), m2), 32);
  v128.store(FAR_SUMS, addPromoted(v128.load(FAR_SUMS, 48), m3), 48);
  v128.store(FAR_SUMS, addPromoted(v128.load(FAR_SUMS, 64), m4), 64);
  v128.store(FAR_SUMS, addPromoted(v128.load(FAR_SUMS, 80), m5), 80);
  v128.store(FAR_SUMS, addPromoted(v128.load(FAR_SUMS, 96), m6), 96);
  v128.store(FAR_SUMS, addPromoted(v128.load(FAR_SUMS, 112), m7), 112);
}

/**
 * Pass 3 over elements [0, n4) of both rows (n4 a multiple of 4) and the base's exps from expStore (ea), each row's
 * max M and log Σ exp(x - M) L (the caller keeps |Ma - Mb| <= SHIFT32). Sets sumAB, sumBA, sumJS. Every lane adds
 * the near tier's moments in f32 lanes over a 64-element block, kept (added in float64) when the block's largest v²
 * is below 1/64, i.e. every |v| < 1/8 (near models: most blocks). farTerms takes the other blocks again: the far
 * tier's moments and the closed forms. The loop also runs pass 1 (scan32) over the rows at na, nb (the next row of
 * each model, so that no row takes a pass of its own for its maxima), setting scan32's results, unless na is 0.
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
  memory.fill(FAR_SUMS, 0, 128);
  sumAB = 0;
  sumBA = 0;
  sumJS = 0;
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
    } else {
      s0 = addPromoted(s0, m0);
      s1 = addPromoted(s1, m1);
      s2 = addPromoted(s2, m2);
      s3 = addPromoted(s3, m3);
    }
  }
  v128.store(SUMS, s0);
  v128.store(SUMS, s1, 16);
  v128.store(SUMS, s2, 32);
  v128.store(SUMS, s3, 48);
  sumAB += tier(T, SUMS, 4, ka) + tier(T + 48, FAR_SUMS, 8, ka);
  sumBA += tier(T + 16, SUMS, 4, ka) + tier(T + 80, FAR_SUMS, 8, ka);
  sumJS += tier(T + 32, SUMS, 4, ka) + tier(T + 112, FAR_SUMS, 8, ka);
  if (na) scanEnd(na, nb, ma, mb, ia, ib, lo);
}
