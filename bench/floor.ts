// The memory-bandwidth floor of the bench: a plain SIMD sum over the bytes a workload reads. No kernel that has
// to read those bytes can be faster. Compiled at bench start by bench/run.mjs:
//   npx asc bench/floor.ts --enable simd --runtime stub -O3 -o bench/build/floor.wasm

/** First free byte of linear memory: the bench copies workload data from here on. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

/** Sum of n float32 values at ptr (16-byte aligned), four f32x4 accumulators to hide add latency. */
export function sumF32(ptr: usize, n: i32): f64 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const end = ptr + (<usize>(n & ~15) << 2);
  let p = ptr;
  while (p < end) {
    a0 = f32x4.add(a0, v128.load(p));
    a1 = f32x4.add(a1, v128.load(p, 16));
    a2 = f32x4.add(a2, v128.load(p, 32));
    a3 = f32x4.add(a3, v128.load(p, 48));
    p += 64;
  }
  const a = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  let s = <f64>f32x4.extract_lane(a, 0) + <f64>f32x4.extract_lane(a, 1)
        + <f64>f32x4.extract_lane(a, 2) + <f64>f32x4.extract_lane(a, 3);
  for (let i = n & ~15; i < n; i++) s += <f64>load<f32>(ptr + (<usize>i << 2));
  return s;
}

/** Sum of n float64 values at ptr (16-byte aligned), four f64x2 accumulators. */
export function sumF64(ptr: usize, n: i32): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  const end = ptr + (<usize>(n & ~7) << 3);
  let p = ptr;
  while (p < end) {
    a0 = f64x2.add(a0, v128.load(p));
    a1 = f64x2.add(a1, v128.load(p, 16));
    a2 = f64x2.add(a2, v128.load(p, 32));
    a3 = f64x2.add(a3, v128.load(p, 48));
    p += 64;
  }
  const a = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  for (let i = n & ~7; i < n; i++) s += load<f64>(ptr + (<usize>i << 3));
  return s;
}
