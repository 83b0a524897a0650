// Float32 dense-target softmax cross-entropy pass in f32x4 lanes (the SIMD build's path for float32 rows): one read
// of the logits and targets after the max pass, gathering S = Σ exp(z - m) (ones included, as expSum32 in
// softmax.ts), A = Σ c_j (X - x_j), C = Σ c_j and R = Σ w_j t_j. A's and C's terms are >= 0 (c_j >= 0), so f32
// lane sums over 64-element blocks, flushed into float64, keep float32 relative accuracy.

import { EXP2_CONSTS, exp2NegK, hsum4, log4 } from './math32';

/** Results of denseRow32. */
export let denseS: f64 = 0;
export let denseA: f64 = 0;
export let denseC: f64 = 0;
export let denseR: f64 = 0;

/** c·v with c = 0 giving 0 even where v is ±Infinity (a masked logit); NaN in v still propagates. */
// @ts-ignore: decorator
@inline function coef4(c: v128, v: v128, zero: v128): v128 {
  return v128.andnot(f32x4.mul(c, v), v128.and(f32x4.eq(c, zero), f32x4.eq(v, v)));
}

/**
 * Elements [0, n4) of one float32 row (n4 a multiple of 4), X the row's max, c_j = w_j·(a1·t_j + a0)
 * with w_j = 1 when w = 0. Sets denseS, denseA, denseC, denseR; the caller adds the tail elements. Returns false
 * when some c_j is positive but below float32's normal range (2^-126: subnormal targets or weights): the lanes
 * round it to a multiple of 2^-149, a large relative error when such terms are all a row has (or when a large
 * logit gap multiplies them), so the caller redoes the row in float64 lanes. (R's terms w_j·t_j round alike; they
 * matter only where R is tiny, which the caller tests.)
 */
export function denseRow32(p: usize, tp: usize, n4: i32, X: f64, s: f64, a1: f64, a0: f64, w: usize): bool {
  let Xv = f32x4.splat(<f32>X), cv = f32x4.splat(<f32>(s * 1.4426950408889634)); // s·log2 e
  let va1 = f32x4.splat(<f32>a1), va0 = f32x4.splat(<f32>a0);
  const K = EXP2_CONSTS;
  let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
  let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96), one = v128.load(K, 112);
  let S: f64 = 0, A: f64 = 0, C: f64 = 0, R: f64 = 0;
  let j = 0;
  // The unsigned min of bits(c) - 1 over the lanes is below 0x007F0000 when some c (>= 0, or NaN) is a positive
  // subnormal below 0.99·2^-126 (those above keep 22 bits or more). Both constants come from the bits of 1.0f
  // (0x3F800000 >> 29 and >> 7): a v128.const costs 18 bytes each.
  // (and 0 as 1 - 1: a v128.const costs 18 bytes each)
  let one1 = i32x4.shr_u(one, 29), low = one, zero = f32x4.sub(one, one);
  while (j < n4) {
    let end = min(n4, j + 64);
    let aS = zero, aA = aS, aC = aS, aR = aS;
    for (; j < end; j += 4) {
      let o = <usize>j << 2;
      let x = v128.load(p + o), t = v128.load(tp + o);
      let d = f32x4.sub(x, Xv);
      aS = f32x4.add(aS, exp2NegK(f32x4.mul(d, cv), lo, sh, c5, c4, c3, c2, c1, one));
      let c = f32x4.add(f32x4.mul(va1, t), va0);
      if (w) {
        let wv = v128.load(w + o);
        c = f32x4.mul(c, wv);
        t = f32x4.mul(t, wv);
      }
      aA = f32x4.add(aA, coef4(c, d, zero)); // Σ c·(x - X) = -A
      aC = f32x4.add(aC, c);
      aR = f32x4.add(aR, t);
      low = i32x4.min_u(low, i32x4.sub(c, one1));
    }
    S += hsum4(aS); A -= hsum4(aA); C += hsum4(aC); R += hsum4(aR);
  }
  denseS = S; denseA = A; denseC = C; denseR = R;
  return !v128.any_true(i32x4.lt_u(low, i32x4.shr_u(one, 7)));
}

// --- cross-entropy over probabilities ---

export let ceOk: bool = true;

/**
 * Σ_j a_j·log q_j over the first n4 (a multiple of 4) float32 elements of a row, a_j = t_j·w_j (t = 0: 1; w = 0: 1),
 * log4 (<= 2 ulp). Terms are <= 0 when every q is in [0, 1] and every a >= 0, so f32 lane sums over 64-element
 * blocks, flushed into float64, keep float32 relative accuracy; a = 0 gives 0 (log4 is finite at q = 0). ceOk =
 * false when some a is negative, -0, infinite or NaN, some q is outside [0, 1] or NaN, t > 0 meets q < 2^-126
 * (log4 is not valid there; the float64 path gives log 0 = -Infinity and subnormal logs), or a weighted w·t > 0
 * falls below 2^-126 (float64 keeps that coefficient).
 */
export function ceRow32(tp: usize, qp: usize, w: usize, n4: i32): f64 {
  // 1.0f from memory and 2^-126 (0x00800000) from its bits: an inline v128.const costs 18 bytes per use
  let one = v128.load(EXP2_CONSTS, 112), minN = i32x4.shl(i32x4.shr_u(one, 29), 23);
  let amax = i32x4.splat(0), qmax = amax, bad = amax;
  let sum: f64 = 0;
  let j = 0;
  while (j < n4) {
    let end = min(n4, j + 64);
    let acc = f32x4.splat(0);
    for (; j < end; j += 4) {
      let o = <usize>j << 2;
      let q = v128.load(qp + o);
      let t = tp ? v128.load(tp + o) : one;
      let wv = w ? v128.load(w + o) : one;
      let a = f32x4.mul(t, wv);
      amax = i32x4.max_u(amax, a);
      qmax = i32x4.max_u(qmax, q);
      // To float64 where q is subnormal or 0 under t > 0, or where w·t (w > 0) falls below float32's normal range:
      // float64 keeps that coefficient, which float32 would round to 0 or coarsen.
      let lost = v128.or(f32x4.lt(q, minN), v128.and(f32x4.lt(a, minN), f32x4.gt(wv, f32x4.splat(0))));
      bad = v128.or(bad, v128.and(lost, f32x4.gt(t, f32x4.splat(0))));
      acc = f32x4.add(acc, f32x4.mul(a, log4(q)));
    }
    sum += hsum4(acc);
  }
  ceOk = !v128.any_true(bad) && i32x4.all_true(v128.and(i32x4.lt_u(amax, i32x4.splat(0x7F800000)),
    i32x4.le_u(qmax, one)));
  return sum;
}
