// Multiply-adds for the polynomials and argument reductions of math.ts, math32.ts and the float32 kernels' inline
// helpers. The relaxed-SIMD build (asc --enable relaxed-simd: ASC_FEATURE_RELAXED_SIMD is true) emits
// relaxed_madd / relaxed_nmadd, which a runtime with FMA hardware evaluates with one rounding; the other builds
// emit a multiply and an add, two roundings. Every call site is written once, against these helpers, so the
// builds differ only here. A runtime may also evaluate the relaxed forms unfused (the relaxed-SIMD spec allows
// either): the loader runs that build only where a probe shows fusing, and the error bounds quoted in the math
// files hold for both evaluations.

/** a·b + c in f32 lanes. */
// @ts-ignore: decorator
@inline export function madd4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c - a·b in f32 lanes. */
// @ts-ignore: decorator
@inline export function nmadd4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

/** a·b + c in f64 lanes. */
// @ts-ignore: decorator
@inline export function madd2(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/** c - a·b in f64 lanes. */
// @ts-ignore: decorator
@inline export function nmadd2(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_nmadd(a, b, c);
  return f64x2.sub(c, f64x2.mul(a, b));
}

/**
 * Lanes of a where m is all ones, of b where m is zero. m must be a comparison's result (every lane all ones or
 * zero): relaxed_laneselect may then take one instruction (x64's blendvps) and gives what bitselect gives.
 */
// @ts-ignore: decorator
@inline export function select4(a: v128, b: v128, m: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_laneselect(a, b, m);
  return v128.bitselect(a, b, m);
}
