// Comparing two models (ComparisonKernels.compareRows in src/backend/kernels.ts): per row, the base logits a and the
// candidate logits b of the same position, with target y, in one fused sweep of three passes over both rows (max
// and top-1; the two exp sums; the divergence terms). Float32 rows in the SIMD builds take the float32 lanes of
// compare32.ts (see there: each row's KL and JS within 3e-6 relative + 4e-12 absolute of the float64 reference)
// unless they hold masks, logits beyond ±1e30 or maxima far apart; the rest (float64 rows, the scalar build, those
// rows) use float64 arithmetic on every element and float64 sums, as follows.
//
// With lp_j, lq_j the two log-probabilities, P = max(p_j, q_j), p = min, t = |lq_j - lp_j| and φ(x) = e^x - 1 - x,
//   KL(p ‖ q) = Σ_j p_j φ(lq_j - lp_j)   (the Σ_j (q_j - p_j) = 0 added in makes every term >= 0),
// so the term of the more likely side is P·φ(-t) and the other's p·φ(t) = P - p - p·t. φ is a degree-6 Taylor
// polynomial for t < 0.01 (truncation below t^7/5040, 4e-14 of φ there), else e^-t - 1 + t from p/P, whose rounding
// is below 1e-11 of φ >= 5e-5. A term with p = 0 is P (the limit). Each term is clamped at 0 (its exact value is
// >= 0, so clamping only removes rounding): a row's KL is a sum of non-negative numbers, never negative.
// Jensen–Shannon, with ε = p/P - 1 (the same polynomial for expm1(-t) when t < 0.01) and m = (P + p)/2 = P(1 + ε/2):
//   JS_j = ½ (P log(P/m) + p log(p/m)) = ½ (-(P + p)·log1p(ε/2) - p·t), clamped at 0 likewise (relative rounding
//   about 1e-16 / t: the two parts cancel to P t²/4).
// Float64 lanes (SIMD build) run passes 2 and 3 two elements at a time with the same forms (both branches computed,
// one selected), the scalar code takes the odd last element; the scalar build runs it for every element.

import { exp64, expNeg2d, log1p2d, log1p64, log64 } from './math';
import { get, hsum2, ld2 } from './lanes';
import { logFromSum } from './softmax';
import {
  SHIFT32, expStore, scan32, scanMaxA, scanMaxB, scanMin, scanTopA, scanTopB, sumAB, sumBA, sumJS, terms32,
} from './compare32';

/** Float32 rows whose logits all lie within ±RANGE32 take the float32 lanes (compare32.ts). */
const RANGE32: f64 = 1e30;

const SMALL: f64 = 0.01;

/** Adds the terms of one element with log-probabilities la (base) and lb (candidate). */
// @ts-ignore: decorator
@inline
function addTerms(la: f64, lb: f64): void {
  let pa = exp64(la), pb = exp64(lb);
  if (pa == 0 && pb == 0) return;
  let aBig = pa >= pb;
  let P = aBig ? pa : pb, p = aBig ? pb : pa;
  let t = aBig ? la - lb : lb - la;
  let big: f64, small: f64, eps: f64;
  if (t < SMALL) {
    // e^-t - 1 + t and e^t - 1 - t by their Taylor series; expm1(-t) likewise.
    let t2 = t * t;
    let odd = t2 * t * (1.0 / 6 + t2 * (1.0 / 120));
    let even = t2 * (0.5 + t2 * (1.0 / 24 + t2 * (1.0 / 720)));
    big = P * (even - odd);
    small = p * (even + odd);
    eps = even - odd - t;
  } else {
    eps = p / P - 1;
    big = P * (eps + t);
    small = p == 0 ? P : P - p - p * t;
  }
  big = max(big, 0);
  small = max(small, 0);
  if (aBig) {
    sumAB += big;
    sumBA += small;
  } else {
    sumAB += small;
    sumBA += big;
  }
  let js = -(P + p) * log1p64(eps * 0.5);
  if (p > 0) js -= p * t;
  sumJS += max(0.5 * js, 0);
}

/** addTerms on elements [0, cols & ~1) in f64x2 lanes, adding to sumAB, sumBA, sumJS. */
function termPass<T>(pa: usize, pb: usize, cols: i32, Ma: f64, La: f64, Mb: f64, Lb: f64): void {
  let ma = f64x2.splat(Ma), la = f64x2.splat(La), mb = f64x2.splat(Mb), lb = f64x2.splat(Lb);
  let zero = f64x2.splat(0), one = f64x2.splat(1), half = f64x2.splat(0.5), small = f64x2.splat(SMALL);
  let c6 = f64x2.splat(1.0 / 6), c120 = f64x2.splat(1.0 / 120), c24 = f64x2.splat(1.0 / 24), c720 = f64x2.splat(1.0 / 720);
  let ab = zero, ba = zero, js = zero;
  for (let j = 0; j + 2 <= cols; j += 2) {
    let xa = f64x2.sub(f64x2.sub(ld2<T>(pa, j), ma), la);
    let xb = f64x2.sub(f64x2.sub(ld2<T>(pb, j), mb), lb);
    let ea = expNeg2d(xa), eb = expNeg2d(xb);
    let aBig = f64x2.ge(ea, eb);
    let P = v128.bitselect(ea, eb, aBig), p = v128.bitselect(eb, ea, aBig);
    let t = f64x2.abs(f64x2.sub(xa, xb));
    let t2 = f64x2.mul(t, t);
    let odd = f64x2.mul(f64x2.mul(t2, t), f64x2.add(c6, f64x2.mul(t2, c120)));
    let even = f64x2.mul(t2, f64x2.add(half, f64x2.mul(t2, f64x2.add(c24, f64x2.mul(t2, c720)))));
    let pZero = f64x2.eq(p, zero);
    let epsE = f64x2.sub(f64x2.div(p, P), one);
    let pt = v128.andnot(f64x2.mul(p, t), pZero);
    let bigE = f64x2.mul(P, f64x2.add(epsE, t));
    let smallE = v128.bitselect(P, f64x2.sub(f64x2.sub(P, p), pt), pZero);
    let tiny = f64x2.lt(t, small);
    let eps = v128.bitselect(f64x2.sub(f64x2.sub(even, odd), t), epsE, tiny);
    let big = f64x2.pmax(v128.bitselect(f64x2.mul(P, f64x2.sub(even, odd)), bigE, tiny), zero);
    let sm = f64x2.pmax(v128.bitselect(f64x2.mul(p, f64x2.add(even, odd)), smallE, tiny), zero);
    // Lanes where both probabilities are 0 (masked or underflowed on both sides) contribute nothing.
    let live = f64x2.gt(P, zero);
    ab = f64x2.add(ab, v128.and(v128.bitselect(big, sm, aBig), live));
    ba = f64x2.add(ba, v128.and(v128.bitselect(sm, big, aBig), live));
    let d = f64x2.sub(f64x2.neg(f64x2.mul(f64x2.add(P, p), log1p2d(f64x2.mul(eps, half)))), pt);
    js = f64x2.add(js, v128.and(f64x2.pmax(f64x2.mul(half, d), zero), live));
  }
  sumAB += hsum2(ab);
  sumBA += hsum2(ba);
  sumJS += hsum2(js);
}

/** scratch: cols + 4 floats (float32 path: the base's exps, then 16 bytes the candidate's overwrite; else unused). */
function compareRows<T>(a: usize, b: usize, rows: i32, cols: i32, labels: usize, out: usize, ints: usize, scratch: usize): void {
  // The row whose pass 1 the previous row's pass 3 ran (float32 lanes), else -1.
  let scanned = -1;
  for (let r = 0; r < rows; r++) {
    let pa = a + ((<usize>r * <usize>cols) << alignof<T>());
    let pb = b + ((<usize>r * <usize>cols) << alignof<T>());
    let o = out + (<usize>r * 6 << 3);
    let io = ints + (<usize>r * 4 << 2);
    let y = load<i32>(labels + (<usize>r << 2));
    if (y < 0) {
      memory.fill(o, 0, 48);
      store<i64>(io, -1);
      store<i64>(io, 0, 8);
      continue;
    }
    let ay = get<T>(pa, y), by = get<T>(pb, y);
    // Pass 1: the maxima and the first index of each (then whether an entry lies above the target's: all the caller
    // asks is whether the target holds the max).
    let Ma: f64 = -Infinity, Mb: f64 = -Infinity;
    let ta: i32 = -1, tb: i32 = -1;
    let n4 = ASC_FEATURE_SIMD && sizeof<T>() == 4 ? cols & ~3 : 0;
    let low: f64 = Infinity;
    if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
      if (scanned != r) scan32(pa, pb, n4);
      Ma = scanMaxA; Mb = scanMaxB; ta = scanTopA; tb = scanTopB; low = scanMin;
    }
    for (let j = n4; j < cols; j++) {
      let va = get<T>(pa, j), vb = get<T>(pb, j);
      if (va > Ma) { Ma = va; ta = j; }
      if (vb > Mb) { Mb = vb; tb = j; }
      low = min(low, min(va, vb));
    }
    store<i32>(io, ta); store<i32>(io, tb, 4); store<i32>(io, <i32>(Ma > ay), 8); store<i32>(io, <i32>(Mb > by), 12);
    // Float32 rows within ±1e30 (no masks), maxima at most SHIFT32 apart: the float32 lanes of compare32.ts.
    let lanes32 = ASC_FEATURE_SIMD && sizeof<T>() == 4 && low > -RANGE32 && Ma < RANGE32 && Mb < RANGE32 && abs(Ma - Mb) <= SHIFT32;
    let ea = scratch, eb = scratch + (<usize>n4 << 2);
    let La: f64, Lb: f64;
    if (ASC_FEATURE_SIMD && lanes32) {
      La = logFromSum<f32>(expStore(pa, cols, Ma, ea, -1), pa, cols, Ma, 1, Ma - ay);
      Lb = logFromSum<f32>(expStore(pb, cols, Mb, eb, 0), pb, cols, Mb, 1, Mb - by);
    } else {
      // Pass 2: the exp sums (NaN, a +Infinity logit or an all -Infinity row make them NaN: the API explains it).
      let Sa: f64 = 0, Sb: f64 = 0;
      let j0 = 0;
      if (ASC_FEATURE_SIMD) {
        let ma = f64x2.splat(Ma), mb = f64x2.splat(Mb), sa = f64x2.splat(0), sb = sa;
        for (; j0 + 2 <= cols; j0 += 2) {
          sa = f64x2.add(sa, expNeg2d(f64x2.sub(ld2<T>(pa, j0), ma)));
          sb = f64x2.add(sb, expNeg2d(f64x2.sub(ld2<T>(pb, j0), mb)));
        }
        Sa = hsum2(sa);
        Sb = hsum2(sb);
      }
      for (let j = j0; j < cols; j++) {
        Sa += exp64(get<T>(pa, j) - Ma);
        Sb += exp64(get<T>(pb, j) - Mb);
      }
      La = log64(Sa);
      Lb = log64(Sb);
    }
    let nllA = (Ma - ay) + La, nllB = (Mb - by) + Lb;
    store<f64>(o, nllA);
    store<f64>(o, nllB, 8);
    // A NaN sum gives a NaN log (a sum is never negative).
    if (!(La == La && Lb == Lb)) {
      for (let i: usize = 16; i < 48; i += 8) store<f64>(o + i, NaN);
      continue;
    }
    // Pass 3: the divergence terms; the elements past the lanes' last one here.
    let j1: i32;
    if (ASC_FEATURE_SIMD && lanes32) {
      // with pass 1 of the next row, if any
      let next = <usize>cols << 2;
      terms32(pa, pb, ea, n4, Ma, La, Mb, Lb, r + 1 < rows ? pa + next : 0, pb + next);
      scanned = r + 1;
      j1 = n4;
    } else {
      sumAB = 0; sumBA = 0; sumJS = 0;
      if (ASC_FEATURE_SIMD) termPass<T>(pa, pb, cols, Ma, La, Mb, Lb);
      j1 = ASC_FEATURE_SIMD ? cols & ~1 : 0;
    }
    for (let j = j1; j < cols; j++) addTerms((get<T>(pa, j) - Ma) - La, (get<T>(pb, j) - Mb) - Lb);
    store<f64>(o, sumAB, 16);
    store<f64>(o, sumBA, 24);
    store<f64>(o, sumJS, 32);
    store<f64>(o, exp64(-nllB) - exp64(-nllA), 40);
  }
}

export function compareRows_f32(a: usize, b: usize, rows: i32, cols: i32, labels: usize, out: usize, ints: usize, scratch: usize): void {
  compareRows<f32>(a, b, rows, cols, labels, out, ints, scratch);
}

export function compareRows_f64(a: usize, b: usize, rows: i32, cols: i32, labels: usize, out: usize, ints: usize, scratch: usize): void {
  compareRows<f64>(a, b, rows, cols, labels, out, ints, scratch);
}
