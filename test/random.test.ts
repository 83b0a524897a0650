/**
 * Property tests (fast-check, fixed seed): random shapes and values, each backend against test/reference.ts
 * within the accuracy bounds, and the two backends against each other.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import * as xent from '../src/index.js';
import { describeBackendsDtypes, type Dtype, expectClose, flat, heldRows, REL, rows } from './helpers.js';
import * as ref from './reference.js';

const SEED = 20240611;
const RUNS = 150;
const opts = { seed: SEED, numRuns: RUNS };

const logitsArb = (range: number) => fc.double({ min: -range, max: range, noNaN: true, noDefaultInfinity: true });

/** A batch: N rows × C columns of logits, with labels in [0, C). */
const batchArb = (range: number, maxC = 40) =>
  fc.record({ N: fc.integer({ min: 1, max: 6 }), C: fc.integer({ min: 1, max: maxC }) }).chain(({ N, C }) =>
    fc.record({
      x: fc.array(fc.array(logitsArb(range), { minLength: C, maxLength: C }), { minLength: N, maxLength: N }),
      y: fc.array(fc.integer({ min: 0, max: C - 1 }), { minLength: N, maxLength: N }),
      w: fc.array(fc.double({ min: 0.01, max: 5, noNaN: true }), { minLength: C, maxLength: C }),
      flatLayout: fc.boolean(),
    }));

/** Rows of probability distributions (some exact zeros), normalised in float64. */
const distArb = fc.record({ N: fc.integer({ min: 1, max: 5 }), C: fc.integer({ min: 1, max: 30 }) }).chain(({ N, C }) => {
  const row = fc.array(fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 1, noNaN: true })), { minLength: C, maxLength: C })
    .map((r) => {
      const s = r.reduce((a, b) => a + b, 0);
      return s === 0 ? r.map((_, j) => (j === 0 ? 1 : 0)) : r.map((v) => v / s);
    });
  return fc.record({ p: fc.array(row, { minLength: N, maxLength: N }), q: fc.array(row, { minLength: N, maxLength: N }) });
});

function input(x: number[][], d: Dtype, flatLayout: boolean): { data: unknown; o: { classes?: number } } {
  return flatLayout ? { data: flat(x, d), o: { classes: x[0].length } } : { data: rows(x, d), o: {} };
}

describeBackendsDtypes('random inputs against the reference', (_b, d) => {
  it('softmaxCrossEntropy per row, moderate logits', () => {
    fc.assert(fc.property(batchArb(20), ({ x, y, w, flatLayout }) => {
      const h = heldRows(x, d);
      const { data, o } = input(x, d, flatLayout);
      const e = ref.softmaxCrossEntropy(h, y, { reduction: 'none', weight: w, labelSmoothing: 0.1 }) as number[];
      const r = xent.softmaxCrossEntropy(data as any, y, { ...o, reduction: 'none', weight: w, labelSmoothing: 0.1 });
      expectClose(r, e, REL[d], 1e-300);
    }), opts);
  });

  it('softmaxCrossEntropy, wide logits (±1e4): never NaN, per-row bound', () => {
    fc.assert(fc.property(batchArb(1e4, 12), ({ x, y, flatLayout }) => {
      const h = heldRows(x, d);
      const { data, o } = input(x, d, flatLayout);
      const e = ref.softmaxCrossEntropy(h, y, { reduction: 'none' }) as number[];
      const r = xent.softmaxCrossEntropy(data as any, y, { ...o, reduction: 'none' }) as Float64Array;
      expect(r.some(Number.isNaN)).toBe(false);
      expectClose(r, e, REL[d], 1e-300);
    }), opts);
  });

  it('logSumExp, softmax and logSoftmax', () => {
    fc.assert(fc.property(batchArb(50), fc.double({ min: 0.1, max: 10, noNaN: true }), ({ x, flatLayout }, T) => {
      const h = heldRows(x, d);
      const { data, o } = input(x, d, flatLayout);
      const C = x[0].length;
      const lse = xent.logSumExp(data as any, { ...o, temperature: T } as any);
      const sm = xent.softmax(data as any, { ...o, temperature: T } as any);
      const ls = xent.logSoftmax(data as any, { ...o, temperature: T } as any);
      const f32 = d === 'Float32Array';
      h.forEach((row, r) => {
        const s = 1 / T;
        const scale = Math.max(1, ...row.map((v) => Math.abs(v * s)));
        // log-sum-exp may cancel (m + log1p(rest)): bound relative to |m| + log1p(rest)
        const lr = (lse as Float64Array)[r];
        expectClose(lr, ref.logSumExp(row, s), REL[d], REL[d] * ref.logSumExpScale(row, s), `lse row ${r}`);
        // elementwise: the argument's rounding (~ulp(max|z|)) is amplified by exp; outputs are rounded to the dtype
        expectClose(sm.slice(r * C, (r + 1) * C), ref.softmax(row, s), REL[d] * scale + (f32 ? 2 ** -24 : 0), f32 ? 1e-37 : 1e-300, `softmax row ${r}`);
        expectClose(ls.slice(r * C, (r + 1) * C), ref.logSoftmax(row, s), REL[d] + (f32 ? 2 ** -24 : 0), REL[d] * scale, `logSoftmax row ${r}`);
      });
    }), opts);
  });

  it('entropy, crossEntropy, klDivergence, jsDivergence per row', () => {
    fc.assert(fc.property(distArb, ({ p, q }) => {
      const hp = heldRows(p, d);
      const hq = heldRows(q, d);
      const P = rows(p, d) as any;
      const Q = rows(q, d);
      expectClose(xent.entropy(P, { reduction: 'none' }), hp.map(ref.entropy), REL[d], 1e-300);
      expectClose(xent.crossEntropy(P, Q, { reduction: 'none' }), hp.map((r, i) => ref.crossEntropy(r, hq[i])), REL[d], 1e-300);
      const kl = xent.klDivergence(P, Q, { reduction: 'none' }) as Float64Array;
      const js = xent.jsDivergence(P, Q, { reduction: 'none' }) as Float64Array;
      hp.forEach((r, i) => {
        // terms of both signs: the bound is relative to Σ|terms|
        const k = ref.klDivergence(r, hq[i]);
        expectClose(kl[i], k.value, REL[d], REL[d] * k.scale, `kl row ${i}`);
        const j = ref.jsDivergence(r, hq[i]);
        expectClose(js[i], j.value, REL[d], REL[d] * j.scale, `js row ${i}`);
      });
    }), opts);
  });

  it('binaryCrossEntropy and sigmoidCrossEntropy elementwise', () => {
    const arb = fc.record({ N: fc.integer({ min: 1, max: 5 }), C: fc.integer({ min: 1, max: 9 }) }).chain(({ N, C }) => fc.record({
      p: fc.array(fc.array(fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: C, maxLength: C }), { minLength: N, maxLength: N }),
      x: fc.array(fc.array(logitsArb(60), { minLength: C, maxLength: C }), { minLength: N, maxLength: N }),
      t: fc.array(fc.array(fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: C, maxLength: C }), { minLength: N, maxLength: N }),
      pw: fc.array(fc.double({ min: 0.1, max: 5, noNaN: true }), { minLength: C, maxLength: C }),
      sm: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
    }));
    fc.assert(fc.property(arb, ({ p, x, t, pw, sm }) => {
      const hp = heldRows(p, d);
      const hx = heldRows(x, d);
      // a float32 call holds its targets (and posWeight) in float32 too
      const ht = heldRows(t, d);
      const hpw = heldRows([pw], d)[0];
      const eb = hp.flatMap((r, i) => r.map((v, j) => ref.binaryCrossEntropy(v, ht[i][j], 0, sm)));
      const es = hx.flatMap((r, i) => r.map((v, j) => ref.sigmoidCrossEntropy(v, ht[i][j], sm, hpw[j])));
      const rb = xent.binaryCrossEntropy(rows(p, d) as any, t, { reduction: 'none', labelSmoothing: sm });
      const rs = xent.sigmoidCrossEntropy(rows(x, d) as any, t, { reduction: 'none', labelSmoothing: sm, posWeight: pw });
      expectClose(rb, eb, REL[d], 1e-300, 'bce');
      expectClose(rs, es, REL[d], 1e-300, 'sigmoid');
    }), opts);
  });
});

it('wasm and js agree (float64 within 2e-13, float32 within 2e-6, relative)', async () => {
  await fc.assert(fc.asyncProperty(batchArb(30), fc.constantFrom<Dtype>('Float64Array', 'Float32Array'), async ({ x, y, w, flatLayout }, d) => {
    const { data, o } = input(x, d, flatLayout);
    const run = () => ({
      sce: xent.softmaxCrossEntropy(data as any, y, { ...o, reduction: 'none', weight: w, labelSmoothing: 0.05 }) as Float64Array,
      lse: xent.logSumExp(data as any, o as any),
      ls: xent.logSoftmax(data as any, o as any),
    });
    await xent.init({ backend: 'wasm' });
    const a = run();
    await xent.init({ backend: 'js' });
    const b = run();
    const tol = 2 * REL[d];
    expectClose(a.sce, Array.from(b.sce), tol, 1e-300, 'sce');
    const scale = Math.max(1, ...x.flat().map(Math.abs));
    if (typeof a.lse === 'number') expectClose(a.lse, b.lse as number, tol, tol * scale, 'lse');
    else expectClose(a.lse, Array.from(b.lse as Float64Array), tol, tol * scale, 'lse');
    expectClose(a.ls, Array.from(b.ls), tol + (d === 'Float32Array' ? 2 ** -23 : 0), tol * scale, 'logSoftmax');
  }), { seed: SEED, numRuns: 200 });
});
