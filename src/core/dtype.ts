/**
 * Element types: the float arrays the kernels compute on, and half-precision input, which they widen themselves.
 *
 * Half precision is a dtype, not a conversion step: a Float16Array, or a Uint16Array of raw bits with `dtype:
 * 'float16' | 'bfloat16'`, becomes a HalfArray (the bits, no copy) in core/shape, and travels to the kernels as it
 * is. The WebAssembly backend copies the bits into its memory (two bytes an element) and widens them in SIMD lanes
 * inside its kernels' passes; the TypeScript backend decodes them into a Float32Array with `decodeHalf` below. Half
 * input computes as float32 input does (float32 arithmetic, float64 sums); see `isFloat32` in core/shape.
 */

export type FloatArray = Float32Array | Float64Array;

/** The half-precision formats: IEEE binary16, and bfloat16 (the upper 16 bits of a float32). */
export type HalfFormat = 'float16' | 'bfloat16';

/**
 * A Float16Array (ES2025: Node 24, Deno, recent browsers), described by its shape so that xent's types do not need
 * the `esnext.float16` lib: a real Float16Array is assignable to it.
 */
export interface Float16ArrayLike extends ArrayBufferView {
  readonly length: number;
  readonly [index: number]: number;
  readonly [Symbol.toStringTag]: 'Float16Array';
}

/** The runtime's Float16Array constructor, where it has one. */
export const Float16 = (globalThis as { Float16Array?: new (...a: never[]) => Float16ArrayLike }).Float16Array;

/** Half-precision data as stored: the 16-bit patterns and their format. Read elements with `elem`. */
export class HalfArray {
  constructor(
    readonly bits: Uint16Array,
    readonly format: HalfFormat,
  ) {}

  get length(): number {
    return this.bits.length;
  }
}

/** What a kernel input may be: a float array, or half bits that the kernel widens to its float type. */
export type FloatData = FloatArray | HalfArray;

const word = new Uint32Array(1);
const asFloat = new Float32Array(word.buffer);

/**
 * The float32 bit pattern of a float16: exact for every pattern (a NaN keeps its payload, as NumPy's conversion
 * does). Subnormals m·2^-24 are normalised with clz32; the wasm kernels build them another way (a float multiply
 * that never touches a float32 subnormal), and the exhaustive test holds both to NumPy's table.
 */
function float16Bits(h: number): number {
  const em = h & 0x7fff;
  const sign = (h & 0x8000) << 16;
  if (em >= 0x7c00) return (sign | 0x7f800000 | ((em & 0x3ff) << 13)) >>> 0;
  if (em >= 0x400) return (sign | ((em << 13) + 0x38000000)) >>> 0;
  if (em === 0) return sign >>> 0;
  const top = 31 - Math.clz32(em); // em = 2^top · 1.f, top in 0..9
  return (sign | ((top + 103) << 23) | ((em << (23 - top)) & 0x7fffff)) >>> 0;
}

/** Decodes `bits` into `out` (same length), bit-exact: the TypeScript backend's half input. */
export function decodeHalf(bits: Uint16Array, format: HalfFormat, out: Float32Array): Float32Array {
  const o = new Uint32Array(out.buffer, out.byteOffset, out.length);
  if (format === 'bfloat16') for (let i = 0; i < bits.length; i++) o[i] = bits[i] << 16;
  else for (let i = 0; i < bits.length; i++) o[i] = float16Bits(bits[i]);
  return out;
}

/** Element i of any kernel input, as a number (half patterns decoded one at a time: error paths, per-row reads). */
export function elem(d: FloatData, i: number): number {
  if (!(d instanceof HalfArray)) return d[i];
  const h = d.bits[i];
  word[0] = d.format === 'bfloat16' ? h << 16 : float16Bits(h);
  return asFloat[0];
}

/**
 * The values of `d` as a float array of the call's type, for the few computations that are TypeScript loops
 * (focal factors, calibration, compat rules): half data is widened by the kernels (in wasm lanes on the wasm
 * backends), then promoted when the call runs float64.
 */
export function floatsOf(k: { widen(x: HalfArray, out: Float32Array): void }, d: FloatData, f32: boolean): FloatArray {
  if (!(d instanceof HalfArray)) return d;
  const out = new Float32Array(d.length);
  k.widen(d, out);
  return f32 ? out : new Float64Array(out);
}
