/** Helpers shared by the TypeScript kernels (js.ts) and their gradient twins (js-gradients.ts). */
import type { FloatArray } from './kernels.js';

/**
 * Long row sums add blocks of this many terms, then the blocks: the rounding error grows with the block count plus
 * the block length rather than with the row length (a plain sum over 50,257 terms drifts by ~1e-12 relative).
 */
export const BLOCK = 512;

/**
 * max_j x[j] over one row: X, the raw maximum (the scale s > 0 does not move it). The kernels then form
 * d_j = (x_j - X)·s, subtracting before scaling as the wasm kernels do, so that d stays finite where s·x_j would
 * overflow. NaN is skipped here on purpose: the exp-sum pass that follows always sees it.
 */
export function rowMax(x: FloatArray, off: number, n: number): number {
  let m = -Infinity;
  for (let j = off, end = off + n; j < end; j++) {
    const v = x[j];
    if (v > m) m = v;
  }
  return m;
}
