/**
 * The oracle of one fuzz case: either a set of acceptable error codes (derived from the defects put into the input)
 * or a check of the returned value against the float64 reference (test/reference.ts) within the stated bound.
 */
import type { Code, Dtype } from './gen.js';

export type Expect =
  | { codes: readonly Code[] }
  | { check: (out: unknown) => string | null };

export interface Case {
  fn: string;
  args: unknown[];
  call: (...args: unknown[]) => unknown;
  expect: Expect;
  /** What was put in (defect names, shape): for the repro line. */
  note: string;
}

/** Relative bound of a dtype (float64 1e-13, float32 1e-6), as test/helpers.ts. */
export const REL = (d: Dtype): number => (d === 'Float32Array' ? 1e-6 : 1e-13);

/** |a − e| ≤ rel·|e| + abs; infinities must match; NaN never matches (a NaN result is a failure). */
export function close(a: unknown, e: number, rel: number, abs = 0): string | null {
  if (typeof a !== 'number') return `expected a number, got ${typeof a}`;
  if (Number.isNaN(a)) return `got NaN, expected ${e}`;
  if (Number.isNaN(e)) return `reference is NaN (oracle bug), got ${a}`;
  if (!Number.isFinite(e) || !Number.isFinite(a)) return a === e ? null : `got ${a}, expected ${e}`;
  const err = Math.abs(a - e);
  const bound = rel * Math.abs(e) + abs;
  return err <= bound ? null : `got ${a}, expected ${e}: error ${err.toExponential(3)} > bound ${bound.toExponential(3)}`;
}

/** Elementwise close() over a typed array result; `abs` may differ per element. */
export function closeAll(
  a: unknown, e: readonly number[], rel: number, abs: number | ((i: number) => number) = 0, type?: Function,
): string | null {
  if (!(a instanceof Float64Array || a instanceof Float32Array)) return `expected a typed array, got ${String(a)}`;
  if (type && !(a instanceof type)) return `expected ${type.name}, got ${a.constructor.name}`;
  if (a.length !== e.length) return `length ${a.length}, expected ${e.length}`;
  for (let i = 0; i < e.length; i++) {
    const m = close(a[i], e[i], rel, typeof abs === 'number' ? abs : abs(i));
    if (m) return `[${i}] ${m}`;
  }
  return null;
}

/** The documented empty mean: NaN is the right answer for a 'mean' over nothing. */
export function emptyMean(a: unknown): string | null {
  return typeof a === 'number' && Number.isNaN(a) ? null : `expected NaN (the documented empty mean), got ${String(a)}`;
}
