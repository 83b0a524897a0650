/**
 * IEEE 754 binary16 ("half") bits to and from numbers, for the bench's float16 workload: its logits are the W5
 * logits rounded to half, and "widen in JavaScript, then call xent" decodes them through a 65,536-entry table, as a
 * careful user would on a runtime without Float16Array. Exact both ways (unit-tested over every half).
 */

/** Round to nearest, ties to even, of a non-negative x. */
function roundEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/** The half nearest to v (ties to even), as its 16 bits; NaN gives the quiet NaN 0x7e00. */
export function toHalfBits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  // 65504 is the largest half; halfway to the next binade (65520) and above rounds to infinity.
  if (a >= 65520) return sign | 0x7c00;
  // Subnormals (and zero) count units of 2^-24; a count of 1024 is the smallest normal, whose bits follow on.
  if (a < 2 ** -14) return sign | roundEven(a * 2 ** 24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  // m in [1024, 2048]: 2048 carries into the exponent through the addition, as the bit layout intends.
  const m = roundEven((a / 2 ** e) * 1024);
  return sign | (((e + 15) << 10) + m - 1024);
}

/** The value of 16 half bits. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1024 + m) * 2 ** (e - 25);
}

let table: Float32Array | null = null;

/** Every half's value as float32 (exact: float32 holds every half), indexed by its bits. */
export function halfTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = halfToNumber(h);
  return table;
}
