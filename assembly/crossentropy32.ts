// Float32 dense-target softmax cross-entropy pass in f32x4 lanes (the SIMD build's path for float32 rows): one read
// of the logits and targets after the max pass, gathering S = Σ exp(z - m) (ones included, as expSum32 in
// softmax.ts), A = Σ c_j (X - x_j), C = Σ c_j and R = Σ w_j t_j. A's and C's terms are >= 0 (c_j >= 0), so f32
// lane sums over 64-element blocks, flushed into float64, keep float32 relative accuracy.

import { exp2Neg4, hsum4 } from './math32';

/** Results of denseRow32. */
export let denseS: f64 = 0;
export let denseA: f64 = 0;
export let denseC: f64 = 0;
export let denseR: f64 = 0;

/** c·v with c = 0 giving 0 even where v is ±Infinity (a masked logit); NaN in v still propagates. */
// @ts-ignore: decorator
@inline function coef4(c: v128, v: v128): v128 {
  return v128.andnot(f32x4.mul(c, v), v128.and(f32x4.eq(c, f32x4.splat(0)), f32x4.eq(v, v)));
}

/**
 * Elements [0, n4) of one float32 row (n4 a multiple of 4), X the row's max (min when s < 0), c_j = w_j·(a1·t_j + a0)
 * with w_j = 1 when w = 0. Sets denseS, denseA, denseC, denseR; the caller adds the tail elements.
 */
export function denseRow32(p: usize, tp: usize, n4: i32, X: f64, s: f64, a1: f64, a0: f64, w: usize): void {
  let Xv = f32x4.splat(<f32>X), cv = f32x4.splat(<f32>(s * 1.4426950408889634)); // s·log2 e
  let va1 = f32x4.splat(<f32>a1), va0 = f32x4.splat(<f32>a0);
  let S: f64 = 0, A: f64 = 0, C: f64 = 0, R: f64 = 0;
  let j = 0;
  while (j < n4) {
    let end = min(n4, j + 64);
    let aS = f32x4.splat(0), aA = aS, aC = aS, aR = aS;
    for (; j < end; j += 4) {
      let o = <usize>j << 2;
      let x = v128.load(p + o), t = v128.load(tp + o);
      let d = f32x4.sub(x, Xv);
      aS = f32x4.add(aS, exp2Neg4(f32x4.mul(d, cv)));
      let c = f32x4.add(f32x4.mul(va1, t), va0);
      if (w) {
        let wv = v128.load(w + o);
        c = f32x4.mul(c, wv);
        t = f32x4.mul(t, wv);
      }
      aA = f32x4.add(aA, coef4(c, d)); // Σ c·(x - X) = -A
      aC = f32x4.add(aC, c);
      aR = f32x4.add(aR, t);
    }
    S += hsum4(aS); A -= hsum4(aA); C += hsum4(aC); R += hsum4(aR);
  }
  denseS = S; denseA = A; denseC = C; denseR = R;
}
