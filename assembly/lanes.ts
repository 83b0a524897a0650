// Memory helpers shared by the kernels: element addressing, float32 <-> float64 lane moves, horizontal sums.
// Float32 data that needs float64 arithmetic is promoted two elements at a time (exactly), so one f64x2 body
// serves both element types.

/** Address of element i of a T array at p. */
// @ts-ignore: decorator
@inline export function at<T>(p: usize, i: i32): usize {
  return p + (<usize>i << alignof<T>());
}

/** Element i as f64. */
// @ts-ignore: decorator
@inline export function get<T>(p: usize, i: i32): f64 {
  return <f64>load<T>(at<T>(p, i));
}

/** Elements i, i+1 of a T array as f64x2. */
// @ts-ignore: decorator
@inline export function ld2<T>(p: usize, i: i32): v128 {
  if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(v128.load64_zero(at<T>(p, i)));
  return v128.load(at<T>(p, i));
}

/** Store an f64x2 as elements i, i+1 of a T array (rounded to f32 for f32 arrays). */
// @ts-ignore: decorator
@inline export function st2<T>(p: usize, i: i32, v: v128): void {
  if (sizeof<T>() == 4) v128.store64_lane(at<T>(p, i), f32x4.demote_f64x2_zero(v), 0);
  else v128.store(at<T>(p, i), v);
}

/** Store an f64 as element i of a T array. */
// @ts-ignore: decorator
@inline export function put<T>(p: usize, i: i32, v: f64): void {
  store<T>(at<T>(p, i), <T>v);
}

/** Sum of the two lanes of an f64x2. */
// @ts-ignore: decorator
@inline export function hsum2(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Adds the four f32 lanes of v, promoted, to the f64x2 accumulator acc. */
// @ts-ignore: decorator
@inline export function addPromoted(acc: v128, v: v128): v128 {
  return f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 0))));
}

/** a · v, except that a zero coefficient times ±Infinity gives 0 (NaN in v still propagates). */
// @ts-ignore: decorator
@inline export function coef2(a: v128, v: v128): v128 {
  let kill = v128.and(f64x2.eq(a, f64x2.splat(0)), f64x2.eq(v, v));
  return v128.andnot(f64x2.mul(a, v), kill);
}

/** Scalar twin of coef2. */
// @ts-ignore: decorator
@inline export function coef(a: f64, v: f64): f64 {
  return a == 0 && v == v ? 0 : a * v;
}

/**
 * Row sums run in blocks of BLOCK elements: each block is summed in the vector lanes, then its total is added to the
 * row's float64 accumulator. A sequential sum of n terms has a worst-case relative error of about n·2^-53 (2e-13 at
 * n = 50,257 in practice); blocks bound it by (BLOCK/2 + n/BLOCK)·2^-53 ≈ 4e-14 at n = 50,257, in a fixed order.
 */
export const BLOCK: i32 = 512;
