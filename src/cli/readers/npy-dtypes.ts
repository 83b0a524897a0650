/**
 * The .npy element types xent reads, by their descr without the byte-order mark. No Node API here: the browser
 * playground uses it too.
 */
export interface Dtype {
  size: number;
  read: (view: DataView, offset: number) => number;
  f32?: boolean;
  f64?: boolean;
  /** IEEE half precision: widened to float32 (exactly). */
  f16?: boolean;
}

/** An IEEE half-precision value from its bits. */
export function halfToNumber(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m === 0 ? s * Infinity : NaN;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export const DTYPES: Record<string, Dtype> = {
  f4: { size: 4, read: (v, o) => v.getFloat32(o, true), f32: true },
  f8: { size: 8, read: (v, o) => v.getFloat64(o, true), f64: true },
  f2: { size: 2, read: (v, o) => halfToNumber(v.getUint16(o, true)), f16: true },
  i1: { size: 1, read: (v, o) => v.getInt8(o) },
  u1: { size: 1, read: (v, o) => v.getUint8(o) },
  b1: { size: 1, read: (v, o) => v.getUint8(o) },
  i2: { size: 2, read: (v, o) => v.getInt16(o, true) },
  u2: { size: 2, read: (v, o) => v.getUint16(o, true) },
  i4: { size: 4, read: (v, o) => v.getInt32(o, true) },
  u4: { size: 4, read: (v, o) => v.getUint32(o, true) },
  i8: { size: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
  u8: { size: 8, read: (v, o) => Number(v.getBigUint64(o, true)) },
};
