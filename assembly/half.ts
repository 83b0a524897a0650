// Half-precision input: float16 (IEEE binary16) and bfloat16 bit patterns widened exactly to float32.
//
// Half input reaches memory as it is, two bytes an element (src/backend/wasm.ts). A kernel with a fused half
// variant widens it inside its own exp pass (the row pipeline in softmax.ts: halfRow); any other kernel gets each
// row chunk widened by widen_f32 / widen_f64 right before its float entry runs.
//
// The element type parameter H names the storage: Float16Bits (u16) or BFloat16Bits (i16); isSigned<H>() tells
// them apart at compile time.
//
// bfloat16 is the upper half of a float32: widening is a 16-bit shift, exact for every pattern.
// float16 (1 sign, 5 exponent, 10 mantissa bits, bias 15): exponent E in 1..30 is the float32 with exponent E + 112
// and the mantissa shifted up 13; E = 31 (±Infinity, NaN) keeps its mantissa (a NaN stays NaN with its payload, as
// in NumPy's conversion); E = 0 (±0, subnormals m·2^-24) is the integer m converted to float32 and scaled by 2^-24:
// exact, and normal in float32, so no float32 subnormal is ever formed or read (on x86 each would cost a
// microcode assist; multiplying the shifted bits by 2^112, the usual trick, forms them).

export type Float16Bits = u16;
export type BFloat16Bits = i16;

/** The format codes of the wrapper's calls. */
export const FLOAT16: i32 = 1;
export const BFLOAT16: i32 = 2;

const TWO_M24: f32 = 5.9604644775390625e-8; // 2^-24, the float16 subnormal step

/** The float32 bits of a float16 pattern. */
// @ts-ignore: decorator
@inline export function f16bits(h: u32): u32 {
  let em = h & 0x7FFF;
  let u = em < 0x400 ? reinterpret<u32>(<f32>em * TWO_M24) : (em << 13) + (em > 0x7BFF ? 0x70000000 : 0x38000000);
  return u | ((h & 0x8000) << 16);
}

/** The float32 bits of an H pattern. */
// @ts-ignore: decorator
@inline function bits32<H>(h: u32): u32 {
  return isSigned<H>() ? h << 16 : f16bits(h);
}

/** Four float16 patterns (zero-extended in i32 lanes) as float32, exactly, for every pattern: f16bits in lanes. */
// @ts-ignore: decorator
@inline function f16x4(h: v128): v128 {
  let em = v128.and(h, i32x4.splat(0x7FFF));
  let u = i32x4.add(i32x4.shl(em, 13), i32x4.splat(0x38000000));
  u = i32x4.add(u, v128.and(i32x4.gt_s(em, i32x4.splat(0x7BFF)), i32x4.splat(0x38000000)));
  let sub = f32x4.mul(f32x4.convert_i32x4_s(em), f32x4.splat(TWO_M24));
  u = v128.bitselect(sub, u, i32x4.lt_s(em, i32x4.splat(0x400)));
  return v128.or(u, i32x4.shl(v128.xor(h, em), 16));
}

/** Eight float16 patterns as float32 at dst, every pattern (the path for blocks holding ±0, subnormals, Inf, NaN). */
function exact8(h: v128, dst: usize): void {
  v128.store(dst, f16x4(i32x4.extend_low_i16x8_u(h)));
  v128.store(dst, f16x4(i32x4.extend_high_i16x8_u(h)), 16);
}

/**
 * Eight normal float16 patterns as float32 at dst, in 16-bit lanes: the float32's upper half is sign | (E + 112)
 * | m >> 3 (an arithmetic shift by 3 keeps the sign in bit 15 once bits 12-14 are cleared: c2 = 0x8FFF; c3 =
 * 112 << 7), its lower half (m & 7) << 13; the two interleave into two vectors.
 */
// @ts-ignore: decorator
@inline function normal8(h: v128, dst: usize, c2: v128, c3: v128): void {
  let hi = i16x8.add(v128.and(i16x8.shr_s(h, 3), c2), c3);
  let lo = i16x8.shl(h, 13);
  v128.store(dst, v128.shuffle<u16>(lo, hi, 0, 8, 1, 9, 2, 10, 3, 11));
  v128.store(dst, v128.shuffle<u16>(lo, hi, 4, 12, 5, 13, 6, 14, 7, 15), 16);
}

/**
 * The constants of widen32, as its callers load them once per row (an inline v128.const is rebuilt at every use:
 * V8 does not hoist it out of a loop).
 */
export const HALF_CONSTS = memory.data<u16>([
  0x0800, 0x0800, 0x0800, 0x0800, 0x0800, 0x0800, 0x0800, 0x0800, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
  0x1000, 0x1000, 0x8FFF, 0x8FFF, 0x8FFF, 0x8FFF, 0x8FFF, 0x8FFF, 0x8FFF, 0x8FFF, 0x3800, 0x3800, 0x3800, 0x3800,
  0x3800, 0x3800, 0x3800, 0x3800,
], 16);

/**
 * 32 H patterns at src as float32 at dst (128 bytes); c0..c3 from HALF_CONSTS. float16: a block of normal patterns
 * takes the 16-bit path, a block holding any other (±0, subnormals, ±Infinity, NaN; about 1.6e-5 of real logits
 * are subnormal) the exact one. The test: t = (h << 1) - 0x800 (sign dropped, exponent at the top) is below
 * 0xF000 unsigned exactly for exponents 1..30; over the block, max t + 0x1000 saturates to 0xFFFF exactly when one
 * is not (t is even, so no normal t reaches 0xFFFF).
 */
// @ts-ignore: decorator
@inline export function widen32<H>(src: usize, dst: usize, c0: v128, c1: v128, c2: v128, c3: v128): void {
  let h0 = v128.load(src), h1 = v128.load(src, 16), h2 = v128.load(src, 32), h3 = v128.load(src, 48);
  if (isSigned<H>()) {
    let z = i16x8.splat(0);
    v128.store(dst, v128.shuffle<u16>(z, h0, 0, 8, 1, 9, 2, 10, 3, 11));
    v128.store(dst, v128.shuffle<u16>(z, h0, 4, 12, 5, 13, 6, 14, 7, 15), 16);
    v128.store(dst, v128.shuffle<u16>(z, h1, 0, 8, 1, 9, 2, 10, 3, 11), 32);
    v128.store(dst, v128.shuffle<u16>(z, h1, 4, 12, 5, 13, 6, 14, 7, 15), 48);
    v128.store(dst, v128.shuffle<u16>(z, h2, 0, 8, 1, 9, 2, 10, 3, 11), 64);
    v128.store(dst, v128.shuffle<u16>(z, h2, 4, 12, 5, 13, 6, 14, 7, 15), 80);
    v128.store(dst, v128.shuffle<u16>(z, h3, 0, 8, 1, 9, 2, 10, 3, 11), 96);
    v128.store(dst, v128.shuffle<u16>(z, h3, 4, 12, 5, 13, 6, 14, 7, 15), 112);
    return;
  }
  let t = i16x8.max_u(
    i16x8.max_u(i16x8.sub(i16x8.shl(h0, 1), c0), i16x8.sub(i16x8.shl(h1, 1), c0)),
    i16x8.max_u(i16x8.sub(i16x8.shl(h2, 1), c0), i16x8.sub(i16x8.shl(h3, 1), c0)));
  if (v128.any_true(i16x8.eq(i16x8.add_sat_u(t, c1), i16x8.splat(-1)))) {
    exact8(h0, dst);
    exact8(h1, dst + 32);
    exact8(h2, dst + 64);
    exact8(h3, dst + 96);
  } else {
    normal8(h0, dst, c2, c3);
    normal8(h1, dst + 32, c2, c3);
    normal8(h2, dst + 64, c2, c3);
    normal8(h3, dst + 96, c2, c3);
  }
}

/** Elements [j, n) of H patterns at src as float32 at dst, one at a time (row tails, the scalar build). */
export function widenTail<H>(src: usize, dst: usize, j: i32, n: i32): void {
  for (; j < n; j++) store<u32>(dst + (<usize>j << 2), bits32<H>(<u32>load<u16>(src + (<usize>j << 1))));
}

/** n H patterns at src as float32 at dst. */
export function widenRow<H>(src: usize, dst: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const K = HALF_CONSTS;
    let c0 = v128.load(K), c1 = v128.load(K, 16), c2 = v128.load(K, 32), c3 = v128.load(K, 48);
    for (; j + 32 <= n; j += 32) widen32<H>(src + (<usize>j << 1), dst + (<usize>j << 2), c0, c1, c2, c3);
  }
  widenTail<H>(src, dst, j, n);
}

/** n patterns of `format` (FLOAT16 or BFLOAT16) at src as float32 at dst. */
export function widen_f32(src: usize, n: i32, format: i32, dst: usize): void {
  if (format == BFLOAT16) widenRow<BFloat16Bits>(src, dst, n);
  else widenRow<Float16Bits>(src, dst, n);
}

/**
 * n patterns of `format` at src as float64 at dst: widened to float32 into the upper half of the destination, then
 * promoted front to back (float64 i ends where float32 i + 2 begins at the earliest, so nothing is overwritten
 * before it is read).
 */
export function widen_f64(src: usize, n: i32, format: i32, dst: usize): void {
  let mid = dst + (<usize>n << 2);
  widen_f32(src, n, format, mid);
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 2 <= n; j += 2) {
      v128.store(dst + (<usize>j << 3), f64x2.promote_low_f32x4(v128.load64_zero(mid + (<usize>j << 2))));
    }
  }
  for (; j < n; j++) store<f64>(dst + (<usize>j << 3), <f64>load<f32>(mid + (<usize>j << 2)));
}
