/**
 * Half-precision test data: a decoder written for the tests (IEEE binary16 by its formula, bfloat16 by its
 * definition; held to NumPy's table by half-convert.test.ts), an encoder, and generators of logits, distributions
 * and targets as bit patterns. Nothing here comes from src/.
 */
import { prng } from './helpers.js';

export type Format = 'float16' | 'bfloat16';

/** The ways half input is passed: a Float16Array (where the runtime has one), or a Uint16Array with `dtype`. */
export interface HalfKind {
  name: string;
  format: Format;
  /** The argument carrying these bits. */
  make(bits: Uint16Array): unknown;
  /** The options that say how to read it. */
  opts: { dtype?: Format };
}

type F16Ctor = new (b: ArrayBufferLike, o: number, n: number) => ArrayLike<number>;
export const Float16 = (globalThis as { Float16Array?: F16Ctor }).Float16Array;

export const KINDS: HalfKind[] = [
  ...(Float16 ? [{
    name: 'Float16Array', format: 'float16' as Format, opts: {},
    make: (b: Uint16Array) => new Float16(b.buffer, b.byteOffset, b.length),
  }] : []),
  { name: "Uint16Array 'float16'", format: 'float16', make: (b) => b, opts: { dtype: 'float16' } },
  { name: "Uint16Array 'bfloat16'", format: 'bfloat16', make: (b) => b, opts: { dtype: 'bfloat16' } },
];

const word = new Uint32Array(1);
const single = new Float32Array(word.buffer);

/** The value of a half pattern. */
export function decode(h: number, format: Format): number {
  if (format === 'bfloat16') {
    word[0] = h << 16;
    return single[0];
  }
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

const tables: Partial<Record<Format, Float32Array>> = {};

/** The values of many patterns (through a table of decode's 65,536 values). */
export function decodeAll(bits: Uint16Array, format: Format): Float32Array {
  const t = (tables[format] ??= Float32Array.from({ length: 65536 }, (_, h) => decode(h, format)));
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]];
  return out;
}

/** The nearest half pattern to v (ties to even; ±Infinity kept; finite v within float16's range). */
export function encode(v: number, format: Format): number {
  single[0] = v;
  const u = word[0];
  if (format === 'bfloat16') return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
  const sign = (u >>> 16) & 0x8000;
  const a = Math.abs(single[0]);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) {
    const m = a / 2 ** -24;
    const r = Math.round(m);
    return sign | (r - m === 0.5 && r % 2 ? r - 1 : r);
  }
  let e = ((u >>> 23) & 0xff) - 112;
  let m = (u & 0x7fffff) >>> 13;
  const rest = u & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) m++;
  if (m === 0x400) {
    m = 0;
    e++;
  }
  return sign | (e << 10) | m;
}

/** Patterns of the special values, by format. */
export const SPECIAL = {
  float16: { zero: 0x0000, negZero: 0x8000, tiny: 0x0001, negSub: 0x83ff, negInf: 0xfc00, inf: 0x7c00, nan: 0x7e00 },
  bfloat16: { zero: 0x0000, negZero: 0x8000, tiny: 0x0001, negSub: 0x807f, negInf: 0xff80, inf: 0x7f80, nan: 0x7fc0 },
};

/**
 * rows × cols logits in (-8, 8), and where `special`: per row ±0, the smallest subnormal, a negative subnormal,
 * a -Infinity mask and a tie with the row's max, at row-dependent places.
 */
export function logitBits(rows: number, cols: number, format: Format, seed: number, special = true): Uint16Array {
  const rand = prng(seed);
  const bits = new Uint16Array(rows * cols);
  const s = SPECIAL[format];
  for (let r = 0, i = 0; r < rows; r++) {
    let best = i;
    let max = -Infinity;
    for (let j = 0; j < cols; j++, i++) {
      const v = (rand() - 0.5) * 16;
      bits[i] = encode(v, format);
      if (v > max) [max, best] = [v, i];
    }
    if (!special || cols < 8) continue;
    const at = (k: number) => r * cols + ((r * 7 + k * 5) % cols);
    // the max is positive, so the specials (none above 0) leave it where it is
    bits[at(0)] = s.zero;
    bits[at(1)] = s.negZero;
    bits[at(2)] = s.tiny;
    bits[at(3)] = s.negSub;
    bits[at(4)] = s.negInf;
    bits[at(5) === best ? at(6) : at(5)] = bits[best];
  }
  return bits;
}

/** rows × cols probability rows of multiples of 1/256 summing to 1 exactly (in both formats), zeros included. */
export function distributionBits(rows: number, cols: number, format: Format, seed: number): Uint16Array {
  const rand = prng(seed);
  const bits = new Uint16Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let left = 256;
    for (let k = 0; k < 12 && left > 0; k++) {
      const m = k === 11 ? left : Math.min(left, 1 + Math.floor(rand() * 64));
      const j = r * cols + Math.floor(rand() * cols);
      const v = decode(bits[j], format) * 256 + m;
      bits[j] = encode(v / 256, format);
      left -= m;
    }
  }
  return bits;
}

/** rows × cols values in (0, 1) (probabilities of independent events). */
export function unitBits(rows: number, cols: number, format: Format, seed: number): Uint16Array {
  const rand = prng(seed);
  return Uint16Array.from({ length: rows * cols }, () => encode(0.001 + 0.998 * rand(), format));
}

/** rows × cols 0/1 targets. */
export function binaryBits(rows: number, cols: number, format: Format, seed: number): Uint16Array {
  const rand = prng(seed);
  const one = encode(1, format);
  return Uint16Array.from({ length: rows * cols }, () => (rand() < 0.4 ? one : 0));
}

/** Rows of a flat array as number[][]. */
export const rowsOf = (x: ArrayLike<number>, cols: number): number[][] =>
  Array.from({ length: x.length / cols }, (_, r) => Array.from(x).slice(r * cols, (r + 1) * cols));
