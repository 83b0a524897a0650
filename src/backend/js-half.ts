/**
 * Half-precision input for the TypeScript kernels: every method receives its HalfArray arguments decoded into
 * Float32Arrays (exact; the kernels compute in float64 numbers whatever the array type), so the kernels themselves
 * are written for float arrays only (FloatKernels) and a new kernel needs nothing here.
 */
import { HalfArray, decodeHalf } from '../core/dtype.js';
import type { FloatKernels, Kernels } from './kernels.js';

const widened = (a: unknown): unknown => (a instanceof HalfArray ? decodeHalf(a.bits, a.format, new Float32Array(a.length)) : a);

export function withHalf(k: FloatKernels): Kernels {
  const out: Record<string, unknown> = {
    widen: (x: HalfArray, dst: Float32Array) => decodeHalf(x.bits, x.format, dst),
  };
  for (const [name, v] of Object.entries(k)) {
    const f = v as (...a: unknown[]) => unknown;
    out[name] = typeof v === 'function' ? (...a: unknown[]) => f(...a.map(widened)) : v;
  }
  return out as unknown as Kernels;
}
