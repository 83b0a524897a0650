// The float32 softmax family finds each row's max while the previous row's exps are summed (one loop over two rows,
// see softmax.ts). A batch must therefore give exactly the bits that rows evaluated one call at a time give, with
// ignored rows, masked and special values, widths that are and are not multiples of the loop's 32, and calls of
// other kernels in between (nothing found for one call may be used by the next).
import { expect, it } from 'vitest';
import {
  logSoftmax, logSumExp, softmax, softmaxCrossEntropy, softmaxCrossEntropyWithGrad,
} from '../src/index.js';
import { kernels } from '../src/backend/select.js';
import { describeBackends, prng } from './helpers.js';

/** Every output of the evaluation kernel for the rows of x, as plain arrays (k = 3). */
function evalRows(x: Float32Array, rows: number, cols: number, labels: number[]) {
  const out = {
    nll: new Float64Array(rows), above: new Int32Array(rows), top: new Int32Array(rows),
    maxP: new Float64Array(rows), sumSq: new Float64Array(rows), pY: new Float64Array(rows),
  };
  kernels().softmaxEvalLabels(x, rows, cols, Int32Array.from(labels), 3, out.nll, out.above, out.top, out.maxP, out.sumSq, out.pY);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v)]));
}

function batch(rows: number, cols: number, seed: number): Float32Array {
  const r = prng(seed);
  const x = Float32Array.from({ length: rows * cols }, () => 12 * r() - 6);
  // Special rows: a masked logit, a +0/-0 tie at the max, a row masked but for one logit, a huge logit.
  if (rows > 6 && cols >= 4) {
    x[1 * cols + (3 % cols)] = -Infinity;
    if (cols > 1) x[1 * cols] = 0.5;
    x.fill(0, 2 * cols, 3 * cols);
    x[3 * cols - 1] = -0;
    x.fill(-Infinity, 3 * cols, 4 * cols);
    x[3 * cols + ((5 * cols) >> 3)] = 2;
    x[6 * cols + (2 % cols)] = 1e4;
  }
  return x;
}

const row = (x: Float32Array, r: number, cols: number) => x.slice(r * cols, (r + 1) * cols);

describeBackends('batch rows equal single rows, bit for bit', () => {
  for (const cols of [1, 5, 32, 37, 64, 100, 1000]) {
    it(`${cols} classes`, () => {
      const rows = 9;
      const x = batch(rows, cols, cols);
      const y = batch(rows, cols, cols + 1);
      const labels = Array.from({ length: rows }, (_, r) => (r === 7 || r === rows - 1 ? -100 : (r * 7) % cols));
      // Rows whose label is defined (a masked label logit costs +Infinity, which the API rejects).
      const ok = (r: number) => Number.isFinite(x[r * cols + Math.max(0, labels[r])]) && Number.isFinite(y[r * cols + Math.max(0, labels[r])]);
      const nll = (v: Float32Array, r: number) =>
        softmaxCrossEntropy(row(v, r, cols), [labels[r]], { classes: cols, reduction: 'none', ignoreIndex: -100 })[0];
      const kept = Array.from({ length: rows }, (_, r) => r).filter(ok);
      const xb = Float32Array.from(kept.flatMap((r) => Array.from(row(x, r, cols))));
      const lb = kept.map((r) => labels[r]);
      const each = kept.map((r) => nll(x, r));
      const yb = Float32Array.from(kept.flatMap((r) => Array.from(row(y, r, cols))));
      const lg = lb.map((l) => Math.max(l, 0));
      const gRows = kept.map((r, i) => softmaxCrossEntropyWithGrad(row(y, r, cols), [lg[i]], { classes: cols, reduction: 'none' }));
      const whole = softmaxCrossEntropy(xb, lb, { classes: cols, reduction: 'none', ignoreIndex: -100 });
      // Another kernel on other data right after: it must not see anything the batch above left behind. Its rows
      // include those the batch ignored (the batch found the max of such a row but never used it).
      const g = softmaxCrossEntropyWithGrad(yb, lg, { classes: cols, reduction: 'none' });
      expect(Array.from(whole)).toEqual(each);
      expect(Array.from(g.loss)).toEqual(gRows.map((e) => e.loss[0]));
      expect(Array.from(g.grad)).toEqual(gRows.flatMap((e) => Array.from(e.grad)));
      // The evaluation kernel (which also finds each row's first max from the previous row's pass), every row
      // (no API validation here), before and after a call on other data.
      const ev = (v: Float32Array) => evalRows(v, rows, cols, labels.map((l) => (l < 0 ? -1 : l)));
      const evEach = (v: Float32Array) => {
        const parts = Array.from({ length: rows }, (_, r) => evalRows(row(v, r, cols), 1, cols, [labels[r] < 0 ? -1 : labels[r]]));
        return Object.fromEntries(Object.keys(parts[0]).map((k) => [k, parts.flatMap((p) => p[k])]));
      };
      expect(ev(x)).toEqual(evEach(x));
      expect(ev(y)).toEqual(evEach(y));
      const lse = logSumExp(x, { classes: cols });
      expect(Array.from(lse)).toEqual(Array.from({ length: rows }, (_, r) => logSumExp(row(x, r, cols))));
      for (const f of [softmax, logSoftmax]) {
        const all = f(y, { classes: cols });
        const each = Array.from({ length: rows }, (_, r) => Array.from(f(row(y, r, cols)))).flat();
        expect(Array.from(all)).toEqual(each);
      }
    });
  }
});
