/**
 * Accuracy holes a hostile tester found, each a class with its own cases, on every backend, against independent
 * float64 references (test/reference.ts, closed forms written here):
 * - the TypeScript backend's float64 soft-target softmax cross-entropy over 2^20 classes (plain sums drifted to
 *   1.5e-13; now blocked sums, as the wasm kernels);
 * - float32 dense targets whose weighted coefficients are float32 subnormals (the wasm float32 lanes rounded them to
 *   multiples of 2^-149: 1e-5 relative);
 * - categoricalFocalCrossEntropy from logits, whose factor (1 - p)^γ lost all its digits where p rounds to 1;
 * - float32 rows with normalize: true, whose quotients were rounded to float32 (a small divergence off by 1e6×);
 * - jsDivergence of near-identical rows, below 0 on wasm.
 */
import { expect, it } from 'vitest';
import {
  categoricalCrossEntropy, categoricalFocalCrossEntropy, crossEntropy, entropy, jsDistance, jsDivergence, klDivergence,
  softmaxCrossEntropy, softmaxCrossEntropyWithGrad,
} from '../src/index.js';
import { describeBackends, describeBackendsDtypes, expectClose, heldRows, prng, REL } from './helpers.js';
import * as ref from './reference.js';

/** Rows of 50,257 and 2^20 classes with their float64 references, computed once for every backend. */
const LONG = [50_257, 2 ** 20].map((C) => {
  const r = prng(C);
  // wide logits and skewed targets: the terms span orders of magnitude, where plain sums drift most
  const z = Float64Array.from({ length: C }, () => 40 * r() - 20);
  const t = Float64Array.from({ length: C }, () => r() ** 8);
  const w = Float64Array.from({ length: C }, () => 0.5 + r());
  const zs = [Array.from(z)];
  const ts = [Array.from(t)];
  const sum = { reduction: 'sum' } as const; // a mean would divide by Σ t in the reference, by N here
  return {
    C, z, t, w,
    dense: ref.softmaxCrossEntropyDense(zs, ts, sum) as number,
    weighted: ref.softmaxCrossEntropyDense(zs, ts, { ...sum, weight: Array.from(w) }) as number,
    smoothed: ref.softmaxCrossEntropy(zs, [7], { labelSmoothing: 0.1, weight: Array.from(w) }) as number,
  };
});

describeBackends('long float64 rows', () => {
  it('soft targets over 50,257 and 2^20 classes: within 1e-13, labels with smoothing, class weights and the gradient\'s loss too', () => {
    for (const { C, z, t, w, dense, weighted, smoothed } of LONG) {
      const sum = { reduction: 'sum' } as const;
      expectClose(softmaxCrossEntropy([z], [t], sum), dense, 1e-13, 0, `dense ${C}`);
      expectClose(softmaxCrossEntropy([z], [t], { ...sum, weight: w }), weighted, 1e-13, 0, `weighted ${C}`);
      expectClose(softmaxCrossEntropy([z], [7], { labelSmoothing: 0.1, weight: w }), smoothed, 1e-13, 0, `smoothing ${C}`);
      expectClose(softmaxCrossEntropyWithGrad([z], [t], sum).loss, dense, 1e-13, 0, `gradient's loss ${C}`);
    }
  });
});

describeBackendsDtypes('subnormal weighted targets', (_b, d) => {
  // float32 subnormals (below 1.2e-38) as targets, with class weights: every coefficient w·t is subnormal in float32
  const z = [0.5, -1, 2, 0.25, 1, -2, 0.1, 3];
  const cases: [number[], number[]][] = [
    [[1e-40, 0, 0, 0, 0, 0, 0, 0], [0.3, 1, 1, 1, 1, 1, 1, 1]],
    [[1e-40, 2e-40, 3e-41, 1e-39, 5e-40, 1e-41, 1e-42, 3e-40], [0.3, 0.7, 1.3, 0.1, 2.1, 0.9, 0.33, 0.77]],
    [[1e-40, 2e-40, 3e-41, 1e-39, 5e-40, 1e-41, 1e-42, 3e-40], [3e-3, 0.7, 1.3, 1e-5, 2.1, 0.9, 0.33, 0.77]],
    [[0.5, 1e-40, 0.5, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]],
  ];
  const F = d === 'Float32Array' ? Float32Array : Float64Array;

  it('softmax cross-entropy, categorical cross-entropy and the gradient\'s loss: within the dtype\'s bound', () => {
    for (const [t, w] of cases) {
      const hz = heldRows([z], d)[0];
      const ht = heldRows([t], d)[0];
      const hw = heldRows([w], d)[0];
      for (const reduction of ['mean', 'sum'] as const) {
        for (const smoothing of [0, 0.01]) {
          const o = { weight: w, reduction, labelSmoothing: smoothing };
          const e = ref.softmaxCrossEntropyDense([hz], [ht], { ...o, weight: hw }) as number;
          expectClose(softmaxCrossEntropy([F.from(z)], [F.from(t)], o), e, REL[d], 0, `${t} ${reduction} ε ${smoothing}`);
          expectClose(softmaxCrossEntropyWithGrad([F.from(z)], [F.from(t)], o).loss, e, REL[d], 0, `gradient ${t}`);
        }
        const p = F.from(ref.softmax(z));
        const nlp = [Array.from(p, (v) => -Math.log(v))];
        const { L, D } = ref.classLossDense(nlp, [ht], { weight: hw });
        expectClose(categoricalCrossEntropy([p], [F.from(t)], { weight: w, reduction, tolerance: 1e-3 }),
          ref.reduce(L, D, reduction) as number, REL[d], 0, `categorical ${t}`);
      }
    }
  });
});

describeBackendsDtypes('categoricalFocalCrossEntropy from confident logits', (_b, d) => {
  const F = d === 'Float32Array' ? Float32Array : Float64Array;

  it('keeps (1 - p)^γ where p rounds to 1: the closed form α·(r/(1+r))^γ·log1p(r), r = Σ_{j≠y} e^(z_j - z_y)', () => {
    for (const a of [5, 30, 40, 60]) {
      const r = 2 * Math.exp(-Math.fround(a)); // logits [a, 0, 0], label 0
      const exact = 0.25 * (r / (1 + r)) ** 2 * Math.log1p(r);
      const rows = [F.from([a, 0, 0]), F.from([0, a, 0])];
      expectClose(categoricalFocalCrossEntropy(rows, [0, 1], { from: 'logits' }), exact, REL[d], 0, `logit ${a}, labels`);
      expectClose(categoricalFocalCrossEntropy(rows, [F.from([1, 0, 0]), F.from([0, 1, 0])], { from: 'logits' }), exact,
        REL[d], 0, `logit ${a}, one-hot`);
      expectClose(categoricalFocalCrossEntropy(rows, [0, 1], { from: 'logits', gamma: 3, classBalancing: false }),
        (r / (1 + r)) ** 3 * Math.log1p(r), REL[d], 0, `logit ${a}, γ 3`);
    }
    // the wrong class of a confident row: p small, 1 - p ≈ 1 (as before)
    const r = 2 * Math.exp(-30);
    expectClose(categoricalFocalCrossEntropy([F.from([30, 0, 0])], [1], { from: 'logits' }),
      0.25 * (1 / (1 + r) + r / 2 / (1 + r)) ** 2 * (30 + Math.log1p(r)), REL[d], 0, 'wrong class');
  });
});

describeBackends('float32 rows with normalize: true', () => {
  // near-identical rows that do not sum to 1: a divergence of ~1e-14 and a loss of ~1e-6, from float32 input
  const p = Float32Array.from([0.3, 0.30000001, 0.4000001, 1e-7].map((v) => v * 3.7));
  const q = Float32Array.from([0.30000003, 0.3, 0.4, 1.1e-7].map((v) => v * 1.3));
  const norm = (a: Float32Array): number[] => {
    const s = ref.accurateSum(a);
    return Array.from(a, (v) => v / s);
  };
  const pn = norm(p);
  const qn = norm(q);

  it('are divided in float64: KL, JS and cross-entropy within 1e-13 of the terms\' magnitudes', () => {
    const kl = ref.klDivergence(pn, qn);
    expectClose(klDivergence(p, q, { normalize: true }), kl.value, 0, 1e-13 * kl.scale, 'kl');
    expectClose(entropy(p, q, { normalize: true }), kl.value, 0, 1e-13 * kl.scale, 'entropy(p, q)');
    const js = ref.jsDivergence(pn, qn);
    expectClose(jsDivergence(p, q, { normalize: true }), js.value, 0, 1e-13 * js.scale, 'js');
    expectClose(crossEntropy(p, q, { normalize: true }), ref.crossEntropy(pn, qn), 1e-13, 0, 'cross-entropy');
    expectClose(entropy(p, { normalize: true }), ref.entropy(pn), 1e-13, 0, 'entropy');
  });

  it('categorical losses on a small loss: within float32\'s bound (1e-6), not the 6e-8 / 1e-6 of rounded quotients', () => {
    const probs = Float32Array.from([0.999999, 1e-6, 0, 0.999998, 2e-6, 0].map((v) => v * 3));
    const rows = [norm(probs.subarray(0, 3)), norm(probs.subarray(3))];
    const e = (-Math.log(rows[0][0]) - Math.log(rows[1][0])) / 2;
    expectClose(categoricalCrossEntropy(probs, [0, 0], { classes: 3, normalize: true }), e, 1e-6, 0, 'categorical');
    const focal = rows.map((row) => 0.25 * (1 - row[0]) ** 2 * -Math.log(row[0]));
    expectClose(categoricalFocalCrossEntropy(probs, [0, 0], { classes: 3, normalize: true }), (focal[0] + focal[1]) / 2,
      1e-6, 0, 'focal');
  });
});

describeBackendsDtypes('jsDivergence of near-identical rows', (_b, d) => {
  const F = d === 'Float32Array' ? Float32Array : Float64Array;

  it('is never below 0, and within the bound of the reference', () => {
    const r = prng(19);
    for (let i = 0; i < 600; i++) {
      const C = 2 + Math.floor(r() * 6);
      const raw = Array.from({ length: C }, () => r() ** (1 + 30 * r()));
      const s = raw.reduce((a, v) => a + v, 0);
      const p = F.from(raw, (v) => v / s);
      const q = F.from(p, (v) => Math.min(1, v * (1 + (r() - 0.5) * 1e-15)));
      const v = jsDivergence(p, q, { tolerance: 1e-3 });
      expect(v, `row ${Array.from(p)} vs ${Array.from(q)}`).toBeGreaterThanOrEqual(0);
      const e = ref.jsDivergence(Array.from(p), Array.from(q));
      expectClose(v, e.value, 0, REL[d] * e.scale, `row ${i}`);
      expect(jsDistance(p, q, { tolerance: 1e-3 })).toBeGreaterThanOrEqual(0);
    }
  });
});
