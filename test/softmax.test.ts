/** logSumExp, softmax, logSoftmax. */
import { expect, it } from 'vitest';
import { logSoftmax, logSumExp, softmax } from '../src/index.js';
import { describeBackendsDtypes, type Dtype, expectClose, expectXent, flat, held, heldRows, prng, REL, rows, vec } from './helpers.js';
import * as ref from './reference.js';

const X = [[1, 2, 3, 4], [-1.5, 0.25, 7, -3], [0, 0, 0, 0], [100, -100, 50.5, 99.75]];

/**
 * Softmax-family elementwise bound: exp(z − lse) and z − lse carry the rounding of their argument, which is
 * ~ulp(max|z|); so the relative bound is scaled by max(1, max|z|). (Losses are not scaled: see losses.test.ts.)
 */
const scaleOf = (x: readonly number[], s = 1): number => Math.max(1, ...x.map((v) => Math.abs(v * s)).filter(Number.isFinite));
const outType = (d: Dtype) => (d === 'Float32Array' ? Float32Array : Float64Array);
/** Float32 outputs are rounded to float32: one more half-ulp. */
const outRound = (d: Dtype) => (d === 'Float32Array' ? 2 ** -24 : 0);
/** Underflow floor for outputs (float32 subnormals hold few digits). */
const tiny = (d: Dtype) => (d === 'Float32Array' ? 1e-37 : 1e-300);

describeBackendsDtypes('logSumExp', (_b, d) => {
  it('one vector → number; batch (rows or flat) → Float64Array per row', () => {
    const h = heldRows(X, d);
    const one = logSumExp(vec(X[1], d) as any);
    expect(typeof one).toBe('number');
    expectClose(one, ref.logSumExp(h[1]), REL[d], REL[d] * ref.logSumExpScale(h[1]));
    for (const [input, o] of [[rows(X, d), {}], [flat(X, d), { classes: 4 }]] as const) {
      const r = logSumExp(input as any, o);
      expect(r).toBeInstanceOf(Float64Array);
      expectClose(r, h.map((x) => ref.logSumExp(x)), REL[d], REL[d] * 200);
    }
  });

  it('temperature T: log Σ exp(x / T)', () => {
    const h = heldRows(X, d);
    for (const T of [0.5, 2, 10]) {
      const r = logSumExp(rows(X, d) as any, { temperature: T }) as Float64Array;
      h.forEach((x, i) => expectClose(r[i], ref.logSumExp(x, 1 / T), REL[d], REL[d] * ref.logSumExpScale(x, 1 / T), `T=${T} row ${i}`));
    }
  });

  it('scipy docstring value log Σ exp(0..9) and a cancelling case', () => {
    expectClose(logSumExp(vec([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], d) as any), 9.4586297444267107, REL[d]);
    // log(2 · exp(−ln 2)) = 0: the result cancels exactly; bound relative to |m| + log1p(rest)
    const v = held([-Math.LN2, -Math.LN2], d);
    expectClose(logSumExp(vec(v, d) as any), ref.logSumExp(v), 0, REL[d] * ref.logSumExpScale(v));
  });

  it('−Infinity entries are masks; an all −Infinity row is −Infinity', () => {
    expect(logSumExp(vec([-Infinity, -Infinity], d) as any)).toBe(-Infinity);
    expectClose(logSumExp(vec([-Infinity, 0, -Infinity], d) as any), 0, 0, 1e-300);
    expectClose(logSumExp(vec([-Infinity, 1, 1], d) as any), 1 + Math.LN2, REL[d]);
    const r = logSumExp(rows([[-Infinity, -Infinity], [0, 0]], d) as any) as Float64Array;
    expect(r[0]).toBe(-Infinity);
    expectClose(r[1], Math.LN2, REL[d]);
  });

  it('logits of ±1e4 give finite exact-to-rounding values', () => {
    const x = [1e4, 1e4, -1e4];
    expectClose(logSumExp(vec(x, d) as any), 1e4 + Math.LN2, REL[d]);
    expectClose(logSumExp(vec([-1e4, -1e4 - 1], d) as any), ref.logSumExp([-1e4, -1e4 - 1]), REL[d]);
  });

  it('one class: logSumExp([x]) = x', () => {
    expect(logSumExp(vec([3.5], d) as any)).toBe(3.5);
    expectClose(logSumExp(flat([[1.5], [-2]], d) as any, { classes: 1 }), [1.5, -2], 0, 0);
  });

  it('a row of 50,257 logits', () => {
    const rnd = prng(7);
    const x = held(Array.from({ length: 50257 }, () => (rnd() - 0.5) * 20), d);
    expectClose(logSumExp(vec(x, d) as any), ref.logSumExp(x), REL[d]);
  });
});

describeBackendsDtypes('softmax and logSoftmax', (_b, d) => {
  it('output keeps the dtype (number[] → Float64Array); a batch is one flat row-major array', () => {
    const T = outType(d);
    expect(softmax(vec(X[0], d) as any)).toBeInstanceOf(T);
    expect(logSoftmax(vec(X[0], d) as any)).toBeInstanceOf(T);
    for (const [input, o] of [[rows(X, d), {}], [flat(X, d), { classes: 4 }]] as const) {
      const s = softmax(input as any, o);
      const l = logSoftmax(input as any, o);
      expect(s).toBeInstanceOf(T);
      expect(l).toBeInstanceOf(T);
      expect(s.length).toBe(16);
      expect(l.length).toBe(16);
    }
  });

  it('matches the reference elementwise; rows sum to 1', () => {
    const h = heldRows(X, d);
    for (const [input, o] of [[rows(X, d), {}], [flat(X, d), { classes: 4 }]] as const) {
      const s = softmax(input as any, o);
      const l = logSoftmax(input as any, o);
      h.forEach((x, r) => {
        const sc = scaleOf(x);
        expectClose(s.slice(r * 4, r * 4 + 4), ref.softmax(x), REL[d] * sc + outRound(d), tiny(d), `softmax row ${r}`);
        expectClose(l.slice(r * 4, r * 4 + 4), ref.logSoftmax(x), REL[d] + outRound(d), REL[d] * sc, `logSoftmax row ${r}`);
        let sum = 0;
        for (let j = 0; j < 4; j++) sum += s[r * 4 + j];
        expectClose(sum, 1, 4 * (REL[d] * sc + outRound(d)));
      });
    }
  });

  it('temperature divides the logits', () => {
    const h = heldRows(X, d);
    const T = 3;
    const s = softmax(rows(X, d) as any, { temperature: T });
    const l = logSoftmax(flat(X, d) as any, { classes: 4, temperature: T });
    h.forEach((x, r) => {
      const sc = scaleOf(x, 1 / T);
      expectClose(s.slice(r * 4, r * 4 + 4), ref.softmax(x, 1 / T), REL[d] * sc + outRound(d), tiny(d));
      expectClose(l.slice(r * 4, r * 4 + 4), ref.logSoftmax(x, 1 / T), REL[d] + outRound(d), REL[d] * sc);
    });
  });

  it('SciPy: log_softmax([1000, 1]) = [0, −999] where log(softmax) would give −Infinity', () => {
    expectClose(logSoftmax(vec([1000, 1], d) as any), [0, -999], 0, 1e-300 + REL[d] * 1000);
    const s = softmax(vec([1000, 1], d) as any);
    expect(s[0]).toBe(1);
    expect(s[1]).toBeGreaterThanOrEqual(0);
  });

  it('−Infinity logits get probability exactly 0 (log-probability −Infinity)', () => {
    const s = softmax(vec([0, -Infinity, 0], d) as any);
    expect(Array.from(s)).toEqual([0.5, 0, 0.5]);
    const l = logSoftmax(vec([0, -Infinity, 0], d) as any);
    expect(l[1]).toBe(-Infinity);
    expectClose(l[0], -Math.LN2, REL[d] + outRound(d));
  });

  it('±1e4 logits: finite, no NaN', () => {
    const x = [1e4, -1e4, 1e4 - 1, 0];
    const s = softmax(vec(x, d) as any);
    const l = logSoftmax(vec(x, d) as any);
    expect(Array.from(s).every(Number.isFinite)).toBe(true);
    expect(Array.from(l).every(Number.isFinite)).toBe(true);
    expectClose(s, ref.softmax(x), REL[d] + outRound(d), tiny(d));
    expectClose(l, ref.logSoftmax(x), REL[d] + outRound(d), REL[d] * 1e4);
  });

  it('confident prediction: the top log-probability keeps its relative accuracy', () => {
    const x = [30, 0, 0];
    const e = ref.logSoftmax(x);
    expect(e[0]).toBeLessThan(0);
    expectClose(logSoftmax(vec(x, d) as any)[0], e[0], REL[d] + outRound(d));
  });

  it('one class: softmax = [1], logSoftmax = [0]', () => {
    expect(Array.from(softmax(vec([42], d) as any))).toEqual([1]);
    expect(Array.from(logSoftmax(vec([-3], d) as any))).toEqual([0]);
    expect(Array.from(softmax(flat([[1], [2], [3]], d) as any, { classes: 1 }))).toEqual([1, 1, 1]);
  });

  it('a batch of 4 rows × 50,257 classes', () => {
    const rnd = prng(11);
    const C = 50257;
    const x = held(Array.from({ length: 4 * C }, () => (rnd() - 0.5) * 16), d);
    const l = logSoftmax(vec(x, d) as any, { classes: C });
    const s = softmax(vec(x, d) as any, { classes: C });
    for (let r = 0; r < 4; r++) {
      const row = x.slice(r * C, (r + 1) * C);
      const el = ref.logSoftmax(row);
      const es = ref.softmax(row);
      // spot-check a stride of elements per row, and the row sum
      for (let j = 0; j < C; j += 997) {
        expectClose(l[r * C + j], el[j], REL[d] + outRound(d), REL[d] * 8, `logSoftmax[${r}][${j}]`);
        expectClose(s[r * C + j], es[j], REL[d] * 8 + outRound(d), tiny(d), `softmax[${r}][${j}]`);
      }
      let sum = 0;
      for (let j = 0; j < C; j++) sum += s[r * C + j];
      expectClose(sum, 1, d === 'Float32Array' ? 1e-5 : 1e-12);
    }
  });

  it('an all −Infinity row cannot be normalised: NON_FINITE', () => {
    expectXent(() => softmax(vec([-Infinity, -Infinity], d) as any), 'NON_FINITE', 'x');
    expectXent(() => logSoftmax(rows([[0, 1], [-Infinity, -Infinity]], d) as any), 'NON_FINITE', 'x');
  });
});
