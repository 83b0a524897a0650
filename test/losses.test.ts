/**
 * softmaxCrossEntropy, categoricalCrossEntropy, nllLoss, binaryCrossEntropy, sigmoidCrossEntropy, perplexity:
 * options, reductions, shapes, extreme values and large inputs, against test/reference.ts.
 * Losses are sums of non-negative terms, so their bound is purely relative (no absolute floor except for exact 0).
 */
import { expect, it } from 'vitest';
import {
  binaryCrossEntropy, categoricalCrossEntropy, nllLoss, perplexity, sigmoidCrossEntropy, softmaxCrossEntropy,
} from '../src/index.js';
import { describeBackendsDtypes, expectClose, flat, held, heldRows, prng, REL, rows, vec } from './helpers.js';
import * as ref from './reference.js';

const X = [[2, -1, 0.5, 3], [0.1, 0.2, 0.3, 0.4], [-2, 5, 1, 1], [1e-3, -4, 2.5, -0.5], [0, 0, 0, 0]];
const Y = [3, 0, 1, 2, 1];
const W = [0.5, 2, 1, 3];
const SW = [1, 0.5, 0, 2, 1.5];
const onehot = (y: number[], C: number) => y.map((k) => Array.from({ length: C }, (_, j) => (j === k ? 1 : 0)));

describeBackendsDtypes('softmaxCrossEntropy', (_b, d) => {
  const h = heldRows(X, d);

  it('one vector with an integer label → number; with a dense row → the same number', () => {
    const e = ref.negLogSoftmax(h[0])[3];
    expectClose(softmaxCrossEntropy(vec(X[0], d) as any, 3), e, REL[d]);
    expectClose(softmaxCrossEntropy(vec(X[0], d) as any, vec([0, 0, 0, 1], d)), e, REL[d]);
  });

  it('labels as number[], Int32Array or Float64Array of integers; rows or flat', () => {
    const e = ref.softmaxCrossEntropy(h, Y) as number;
    for (const labels of [Y, Int32Array.from(Y), Float64Array.from(Y), Uint8Array.from(Y)]) {
      expectClose(softmaxCrossEntropy(rows(X, d) as any, labels as any), e, REL[d]);
      expectClose(softmaxCrossEntropy(flat(X, d) as any, labels as any, { classes: 4 }), e, REL[d]);
    }
  });

  it('reductions with class weight and sampleWeight', () => {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const o = { reduction, weight: W, sampleWeight: SW };
      const e = ref.softmaxCrossEntropy(h, Y, o);
      const r = softmaxCrossEntropy(rows(X, d) as any, Y, o);
      if (reduction === 'none') expect(r).toBeInstanceOf(Float64Array);
      expectClose(r, e as any, REL[d], 1e-300, reduction);
    }
  });

  it('ignoreIndex: ignored rows count 0; all rows ignored → mean NaN, sum 0, none zeros', () => {
    const Yi = [3, -100, 1, -100, 1];
    const e = ref.softmaxCrossEntropy(h, Yi, { ignoreIndex: -100, weight: W });
    expectClose(softmaxCrossEntropy(rows(X, d) as any, Yi, { ignoreIndex: -100, weight: W }), e as number, REL[d]);
    const none = softmaxCrossEntropy(rows(X, d) as any, Yi, { ignoreIndex: -100, reduction: 'none' }) as Float64Array;
    expect(none[1]).toBe(0);
    expect(none[3]).toBe(0);
    const all = [-1, -1, -1, -1, -1];
    expect(softmaxCrossEntropy(rows(X, d) as any, all, { ignoreIndex: -1 })).toBeNaN();
    expect(softmaxCrossEntropy(rows(X, d) as any, all, { ignoreIndex: -1, reduction: 'sum' })).toBe(0);
    expect(Array.from(softmaxCrossEntropy(rows(X, d) as any, all, { ignoreIndex: -1, reduction: 'none' }) as Float64Array))
      .toEqual([0, 0, 0, 0, 0]);
    // an ignoreIndex inside [0, C) ignores that class's rows
    expectClose(softmaxCrossEntropy(rows(X, d) as any, Y, { ignoreIndex: 1 }),
      ref.softmaxCrossEntropy(h, Y, { ignoreIndex: 1 }) as number, REL[d]);
  });

  it('label smoothing: integer and one-hot dense targets agree, with and without class weights', () => {
    for (const o of [{ labelSmoothing: 0.1 }, { labelSmoothing: 0.25, weight: W }, { labelSmoothing: 1, weight: W, sampleWeight: SW }]) {
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const e = ref.softmaxCrossEntropy(h, Y, { ...o, reduction });
        const a = softmaxCrossEntropy(rows(X, d) as any, Y, { ...o, reduction });
        const b = softmaxCrossEntropy(rows(X, d) as any, rows(onehot(Y, 4), d), { ...o, reduction });
        expectClose(a, e as any, REL[d], 1e-300, `labels ${JSON.stringify(o)} ${reduction}`);
        expectClose(b, e as any, REL[d], 1e-300, `dense ${JSON.stringify(o)} ${reduction}`);
      }
    }
  });

  it('soft targets: mean divides by Σ sampleWeight · Σ_j weight_j t_j', () => {
    const T = [[0.1, 0.2, 0.3, 0.4], [1, 0, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 0, 1], [0.25, 0.25, 0.25, 0.25]];
    const o = { weight: W, sampleWeight: SW };
    expectClose(softmaxCrossEntropy(rows(X, d) as any, rows(T, d), o),
      ref.softmaxCrossEntropyDense(h, heldRows(T, d), o) as number, REL[d]);
    expectClose(softmaxCrossEntropy(flat(X, d) as any, flat(T, d), { ...o, classes: 4, reduction: 'none' }),
      ref.softmaxCrossEntropyDense(h, heldRows(T, d), { ...o, reduction: 'none' }) as number[], REL[d], 1e-300);
  });

  it('temperature and base', () => {
    for (const T of [0.25, 4]) {
      expectClose(softmaxCrossEntropy(rows(X, d) as any, Y, { temperature: T }),
        ref.softmaxCrossEntropy(h, Y, { temperature: T }) as number, d === 'Float32Array' ? 2e-6 : REL[d]);
    }
    expectClose(softmaxCrossEntropy(rows(X, d) as any, Y, { base: 2 }), (ref.softmaxCrossEntropy(h, Y) as number) / Math.LN2, REL[d]);
  });

  it('one class: the loss is exactly 0; one row: the batch mean is that row', () => {
    expect(softmaxCrossEntropy(vec([5], d) as any, 0)).toBe(0);
    expect(softmaxCrossEntropy(flat([[1], [2]], d) as any, [0, 0], { classes: 1 })).toBe(0);
    expectClose(softmaxCrossEntropy(rows([X[2]], d) as any, [1]), ref.negLogSoftmax(h[2])[1], REL[d]);
  });

  it('a batch of 0 rows: sum 0, none empty, mean NaN', () => {
    const empty = vec([], d);
    expect(softmaxCrossEntropy(empty as any, [], { classes: 4, reduction: 'sum' })).toBe(0);
    const none = softmaxCrossEntropy(empty as any, [], { classes: 4, reduction: 'none' });
    expect(none).toBeInstanceOf(Float64Array);
    expect((none as Float64Array).length).toBe(0);
    expect(softmaxCrossEntropy(empty as any, [], { classes: 4 })).toBeNaN();
  });

  it('extreme logits: ±1e4 finite; a −Infinity mask is fine unless it is the label (+Infinity)', () => {
    const x = [1e4, -1e4, 0, 1e4 - 0.5];
    for (let y = 0; y < 4; y++) {
      const r = softmaxCrossEntropy(vec(x, d) as any, y);
      expectClose(r, ref.negLogSoftmax(held(x, d))[y], REL[d], 1e-300, `label ${y}`);
    }
    expectClose(softmaxCrossEntropy(vec([0, -Infinity, 0], d) as any, 0), Math.LN2, REL[d]);
    expect(softmaxCrossEntropy(vec([0, -Infinity, 0], d) as any, 1)).toBe(Infinity);
    // zero target mass on a masked class contributes 0, not NaN
    expectClose(softmaxCrossEntropy(vec([0, -Infinity, 0], d) as any, vec([0.5, 0, 0.5], d)), Math.LN2, REL[d]);
  });

  it('confident correct prediction: a small loss keeps its relative accuracy', () => {
    for (const x of [[20, 0, 0], [12, -3, 1, 0.5], [35, 0]]) {
      const e = ref.negLogSoftmax(held(x, d))[0];
      expect(e).toBeGreaterThan(0);
      expectClose(softmaxCrossEntropy(vec(x, d) as any, 0), e, REL[d], 0, `x=${x}`);
    }
  });

  it('4 rows × 50,257 classes', () => {
    const rnd = prng(3);
    const C = 50257;
    const x = held(Array.from({ length: 4 * C }, () => (rnd() - 0.5) * 10), d);
    const labels = [0, 17, 50256, 31337];
    const hr = [0, 1, 2, 3].map((r) => x.slice(r * C, (r + 1) * C));
    const e = ref.softmaxCrossEntropy(hr, labels, { reduction: 'none' }) as number[];
    expectClose(softmaxCrossEntropy(vec(x, d) as any, labels, { classes: C, reduction: 'none' }), e, REL[d]);
    expectClose(softmaxCrossEntropy(vec(x, d) as any, labels, { classes: C }), e.reduce((a, b) => a + b) / 4, REL[d]);
  });

  it('1,000,000 rows × 4: the batch mean is accumulated in float64', () => {
    const n = 1_000_000;
    const rnd = prng(5);
    const x = d === 'Float32Array' ? new Float32Array(4 * n) : new Float64Array(4 * n);
    const labels = new Int32Array(n);
    for (let i = 0; i < 4 * n; i++) x[i] = (rnd() - 0.5) * 6;
    for (let r = 0; r < n; r++) labels[r] = Math.floor(rnd() * 4);
    const row = [0, 0, 0, 0];
    const terms = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < 4; j++) row[j] = x[r * 4 + j];
      terms[r] = ref.negLogSoftmax(row)[labels[r]];
    }
    const sum = ref.accurateSum(terms);
    const input = d === 'number[]' ? Array.from(x) : x;
    // the reference sum is compensated (error ~1 ulp), so the bound is the contract's own
    expectClose(softmaxCrossEntropy(input as any, labels, { classes: 4 }), sum / n, REL[d]);
  });

  it('1,000,000 identical rows: the mean equals the row loss (float64 accumulation, no drift)', () => {
    const n = 1_000_000;
    // identical rows: the mean must equal the row's loss (TF.js summed in float32 and drifted by 4%)
    const same = d === 'Float32Array' ? new Float32Array(4 * n) : new Float64Array(4 * n);
    for (let r = 0; r < n; r++) same.set([0.3, -1.2, 2.2, 0.7], r * 4);
    const one = ref.negLogSoftmax(held([0.3, -1.2, 2.2, 0.7], d))[2];
    expectClose(softmaxCrossEntropy(same as any, new Int32Array(n).fill(2), { classes: 4 }), one, REL[d]);
  });
});

describeBackendsDtypes('categoricalCrossEntropy and nllLoss', (_b, d) => {
  const P = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4], [1, 0, 0]];
  const L = [0, 2, 1, 0];
  const hp = heldRows(P, d);
  const nlp = hp.map((r) => r.map((v) => -Math.log(v)));

  it('labels and dense one-hot agree; reductions, weights', () => {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const o = { reduction, weight: [1, 2, 0.5], sampleWeight: [1, 2, 3, 4] };
      const { L: l, D } = ref.classLossLabels(nlp, L, o);
      const e = ref.reduce(l, D, reduction);
      expectClose(categoricalCrossEntropy(rows(P, d) as any, L, o), e as any, REL[d], 1e-300);
      expectClose(categoricalCrossEntropy(flat(P, d) as any, flat(onehot(L, 3), d), { ...o, classes: 3 }), e as any, REL[d], 1e-300);
    }
  });

  it('probabilities exactly 1 and 0: loss 0 and +Infinity', () => {
    expect(categoricalCrossEntropy(vec([1, 0, 0], d) as any, 0)).toBe(0);
    expect(categoricalCrossEntropy(vec([1, 0, 0], d) as any, 1)).toBe(Infinity);
    expect(categoricalCrossEntropy(vec([1, 0, 0], d) as any, vec([0, 0, 1], d))).toBe(Infinity);
  });

  it('eps clips: finite where the exact loss is infinite', () => {
    const r = categoricalCrossEntropy(vec([1, 0, 0], d) as any, 1, { eps: 1e-7 }) as number;
    expectClose(r, -Math.log(1e-7), d === 'Float32Array' ? 1e-6 : 1e-13);
    const r0 = categoricalCrossEntropy(vec([1, 0, 0], d) as any, 0, { eps: 1e-7 }) as number;
    expect(r0).toBeGreaterThan(0);
    expect(r0).toBeLessThan(2e-7);
  });

  it('normalize divides rows by their sums', () => {
    const raw = [[2, 1, 1], [0.5, 0.25, 0.25]];
    const e = -Math.log(0.5);
    expectClose(categoricalCrossEntropy(rows(raw, d) as any, [0, 0], { normalize: true }), e, REL[d] * 2);
  });

  it('label smoothing with class weights follows PyTorch', () => {
    const o = { labelSmoothing: 0.2, weight: [1, 2, 0.5] };
    const { L: l, D } = ref.classLossLabels(nlp.slice(0, 3), L.slice(0, 3), o);
    expectClose(categoricalCrossEntropy(rows(P.slice(0, 3), d) as any, L.slice(0, 3), o), ref.reduce(l, D) as number, REL[d]);
  });

  it('nllLoss: −logProbs[y]; dense −Σ t·logp; −Infinity log-probability of the label → +Infinity', () => {
    const lp = nlp.slice(0, 3).map((r) => r.map((v) => -v));
    const e = ref.reduce(...Object.values(ref.classLossLabels(nlp.slice(0, 3), L.slice(0, 3))) as [number[], number[]], 'sum');
    expectClose(nllLoss(rows(lp, d) as any, L.slice(0, 3), { reduction: 'sum' }), e as number, REL[d]);
    expect(nllLoss(vec([0, -Infinity], d) as any, 1)).toBe(Infinity);
    expect(nllLoss(vec([0, -Infinity], d) as any, 0)).toBe(0);
    expectClose(nllLoss(vec([-0.5, -1.5], d) as any, vec([0.25, 0.75], d)), 0.25 * 0.5 + 0.75 * 1.5, REL[d]);
    expect(nllLoss(vec([0, -Infinity], d) as any, vec([1, 0], d))).toBe(0);
  });
});

describeBackendsDtypes('binaryCrossEntropy and sigmoidCrossEntropy', (_b, d) => {
  const P = [[0.9, 0.2, 0.6], [0.05, 0.5, 0.999], [0.3, 0.7, 0.01]];
  const T = [[1, 0, 1], [0, 1, 1], [0.5, 1, 0]];
  const Xl = [[3, -2, 0.5], [-4, 0, 9], [1e-3, 7, -20]];
  const hp = heldRows(P, d);
  const hx = heldRows(Xl, d);

  it('scalars → number; a flat vector is N independent examples', () => {
    expectClose(binaryCrossEntropy(0.8, 1), -Math.log(0.8), 1e-15);
    expectClose(binaryCrossEntropy(0.8, 0), -Math.log1p(-0.8), 1e-15);
    expectClose(sigmoidCrossEntropy(0, 1), Math.LN2, 1e-15);
    const p = P.flat();
    const t = T.flat();
    const l = held(p, d).map((v, i) => ref.binaryCrossEntropy(v, t[i]));
    expectClose(binaryCrossEntropy(vec(p, d) as any, t), l.reduce((a, b) => a + b) / l.length, REL[d]);
    expectClose(binaryCrossEntropy(vec(p, d) as any, t, { reduction: 'none' }), l, REL[d]);
  });

  it('multi-label N×C: reductions over all elements; weight per class or per element; sampleWeight per row', () => {
    const l = hp.map((r, i) => r.map((v, j) => ref.binaryCrossEntropy(v, T[i][j])));
    const wFull = [0.1, 1, 2, 0.5, 0.5, 0.5, 3, 0, 1];
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      for (const o of [{}, { weight: [1, 2, 0.5] }, { weight: wFull, sampleWeight: [1, 0, 2] }, { sampleWeight: [2, 1, 1] }]) {
        const e = ref.reduceElementwise(l, { ...o, reduction });
        expectClose(binaryCrossEntropy(rows(P, d) as any, T, { ...o, reduction }), e as any, REL[d], 1e-300, `rows ${reduction}`);
        expectClose(binaryCrossEntropy(flat(P, d) as any, T.flat(), { ...o, reduction, classes: 3 }), e as any, REL[d], 1e-300, `flat ${reduction}`);
      }
    }
  });

  it('label smoothing ε/2 and eps clipping', () => {
    const l = hp.map((r, i) => r.map((v, j) => ref.binaryCrossEntropy(v, T[i][j], 0, 0.2)));
    expectClose(binaryCrossEntropy(rows(P, d) as any, T, { labelSmoothing: 0.2 }), ref.reduceElementwise(l, {}) as number, REL[d]);
    expect(binaryCrossEntropy(vec([0, 1], d) as any, [1, 0])).toBe(Infinity);
    const clipped = binaryCrossEntropy(vec([0, 1], d) as any, [1, 0], { eps: 1e-7, reduction: 'none' }) as Float64Array;
    expectClose(clipped, [-Math.log(1e-7), -Math.log(1e-7)], d === 'Float32Array' ? 1e-6 : 1e-9);
  });

  it('probabilities exactly 0 and 1 with agreeing targets: exactly 0, never NaN', () => {
    expect(binaryCrossEntropy(vec([0, 1, 0, 1], d) as any, [0, 1, 0, 1], { reduction: 'sum' })).toBe(0);
    expect(binaryCrossEntropy(0, 0)).toBe(0);
    expect(binaryCrossEntropy(1, 1)).toBe(0);
    expect(binaryCrossEntropy(1, 0.5)).toBe(Infinity);
  });

  it('sigmoid: reference form, posWeight per class, weights and smoothing together', () => {
    for (const o of [{}, { posWeight: [1, 3, 0.5] }, { posWeight: [2, 2, 2], weight: [1, 0.5, 2], sampleWeight: [1, 2, 0], labelSmoothing: 0.1 }]) {
      const pw = (o as any).posWeight as number[] | undefined;
      const sm = (o as any).labelSmoothing ?? 0;
      const l = hx.map((r, i) => r.map((v, j) => ref.sigmoidCrossEntropy(v, T[i][j], sm, pw ? pw[j] : 1)));
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const e = ref.reduceElementwise(l, { ...(o as any), reduction });
        expectClose(sigmoidCrossEntropy(rows(Xl, d) as any, T, { ...o, reduction }), e as any, REL[d], 1e-300, `${JSON.stringify(o)} ${reduction}`);
      }
    }
  });

  it('sigmoid: ±1e4 logits finite and exact; ±Infinity give 0 when the target agrees, +Infinity otherwise', () => {
    const x = [1e4, -1e4, 1e4, -1e4];
    const t = [1, 0, 0, 1];
    expectClose(sigmoidCrossEntropy(vec(x, d) as any, t, { reduction: 'none' }), x.map((v, i) => ref.sigmoidCrossEntropy(v, t[i])), REL[d], 1e-300);
    const inf = sigmoidCrossEntropy(vec([Infinity, -Infinity, Infinity, -Infinity], d) as any, [1, 0, 0, 1], { reduction: 'none' });
    expect(Array.from(inf as Float64Array)).toEqual([0, 0, Infinity, Infinity]);
  });

  it('sigmoid: large |x| with agreeing target keeps relative accuracy (log1p(e^−|x|))', () => {
    const x = [30, -30, 15];
    const t = [1, 0, 1];
    expectClose(sigmoidCrossEntropy(vec(x, d) as any, t, { reduction: 'none' }), held(x, d).map((v, i) => ref.sigmoidCrossEntropy(v, t[i])), REL[d]);
  });
});

describeBackendsDtypes('perplexity', (_b, d) => {
  it('uniform logits over C classes → perplexity C', () => {
    expectClose(perplexity(flat([[0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], d) as any, [2, 4], { classes: 5 }), 5, d === 'Float32Array' ? 1e-6 : 1e-13);
  });

  it('exp of the mean softmax cross-entropy; ignoreIndex', () => {
    const h = heldRows(X, d);
    expectClose(perplexity(rows(X, d) as any, Y), Math.exp(ref.softmaxCrossEntropy(h, Y) as number), REL[d] * 4);
    const Yi = [3, 7, 1, 7, 1];
    expectClose(perplexity(flat(X, d) as any, Yi, { classes: 4, ignoreIndex: 7 }),
      Math.exp(ref.softmaxCrossEntropy(h, Yi, { ignoreIndex: 7 }) as number), REL[d] * 4);
  });
});
