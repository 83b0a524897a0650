/**
 * The pure-TypeScript token-scoring kernel (ScoringKernels.scoreTokens), used by scoring.ts when the TypeScript
 * backend is active. Same conventions as
 * js.ts: float64 JS numbers whatever the array type, index loops, nothing allocated per row. One pass per row after
 * the max gathers the exp sum (ones apart, in blocks, as logSumShifted), Σ e·d for the entropy and the rank; the
 * k most likely entries take one more pass, over the raw values (a scan against the current k-th value).
 */
import { HalfArray, decodeHalf } from '../core/dtype.js';
import type { FloatArray, ScoringKernels } from './kernels.js';
import { BLOCK, rowMax } from './js-common.js';

/**
 * Inserts (id, v) into the list of n raw values sorted descending (capacity k) after every entry >= v, so that ties
 * keep id order; returns the new length.
 */
function insertTop(
  ids: Int32Array, vals: Float64Array, at: number, n: number, k: number, id: number, v: number,
): number {
  let i = n < k ? n : k - 1;
  while (i > 0 && vals[at + i - 1] < v) {
    vals[at + i] = vals[at + i - 1];
    ids[at + i] = ids[at + i - 1];
    i--;
  }
  vals[at + i] = v;
  ids[at + i] = id;
  return n < k ? n + 1 : k;
}

/** The k largest entries of x[off .. off + cols) as ids and raw values at ids[at ..], vals[at ..]. */
function selectTop(
  x: FloatArray, off: number, cols: number, k: number, ids: Int32Array, vals: Float64Array, at: number,
): void {
  let n = 0;
  for (let j = 0; j < k; j++) n = insertTop(ids, vals, at, n, k, j, x[off + j]);
  let thr = vals[at + k - 1];
  for (let j = k; j < cols; j++) {
    const v = x[off + j];
    if (v > thr) {
      insertTop(ids, vals, at, k, k, j, v);
      thr = vals[at + k - 1];
    }
  }
}

export const jsScoring: ScoringKernels = {
  scoreTokens(data, rows, cols, s, labels, cap, logprob, rank, entropy, k, topIds, topLogprobs) {
    // Half input is decoded first, exactly (the wasm kernels widen it in their own lanes).
    const x = data instanceof HalfArray
      ? decodeHalf(data.bits.subarray(0, rows * cols), data.format, new Float32Array(rows * cols))
      : data;
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      const y = labels[r];
      const at = r * k;
      if (y < 0) {
        logprob[r] = 0;
        rank[r] = -1;
        entropy[r] = 0;
        if (topIds !== null) topIds.fill(-1, at, at + k);
        if (topLogprobs !== null) topLogprobs.fill(0, at, at + k);
        continue;
      }
      const end = off + cols;
      const m = rowMax(x, off, cols);
      const xy = x[off + y];
      let above = 0;
      let ones = 0;
      let rest = 0;
      let sumT = 0;
      for (let b = off; b < end; b += BLOCK) {
        let part = 0;
        let partT = 0;
        for (let j = b, e = Math.min(b + BLOCK, end); j < e; j++) {
          const v = x[j];
          if (v > xy) above++;
          if (v === m) ones++;
          else {
            const d = (v - m) * s; // subtracted before scaling, so d stays finite where s·v would overflow
            const ed = Math.exp(d); // NaN lands here and poisons the row
            part += ed;
            if (ed > 0) partT += ed * d; // a masked entry (e = 0, d = -Infinity) contributes 0
          }
        }
        rest += part;
        sumT += partT;
      }
      rank[r] = Math.min(above, cap);
      let lg = NaN;
      if (m === Infinity || m === -Infinity) {
        // No finite max: the loss's rule (an all -Infinity row: -Infinity; NaN with a NaN or a +Infinity).
        logprob[r] = m === Infinity || rest !== rest ? NaN : -Infinity;
        entropy[r] = NaN;
      } else {
        lg = Math.log1p(ones - 1 + rest);
        logprob[r] = -((m - xy) * s + lg);
        entropy[r] = lg - sumT / (ones + rest);
      }
      if (k === 0) continue;
      if (topIds === null) {
        topLogprobs![at] = -lg;
        continue;
      }
      selectTop(x, off, cols, k, topIds, topLogprobs!, at);
      for (let i = at; i < at + k; i++) topLogprobs![i] = (topLogprobs![i] - m) * s - lg;
    }
  },
};
