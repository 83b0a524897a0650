/**
 * The compat rules of issue 19 on every backend and dtype, each at the edge that exposed it: Keras' and TF.js'
 * float32 clip bounds, the named means (an explicit reduction wins over the preset's), Keras' metric mean with
 * ignored rows, each preset's domain (negative weights, targets outside [0, 1], rows that are not distributions),
 * KL as the frameworks offer it (sample weights, elementwise, log-space inputs), relEntr, scalar weights, Keras'
 * per-row binary means, brierScore's scaleByHalf on binary input, SciPy's float64 promotion and the empty
 * logSumExp. Expected values come from test/reference.ts (float64, written apart from the kernels) and the formulas
 * stated in each test; the frameworks' published values are in test/compat.test.ts.
 */
import { expect, it } from 'vitest';
import {
  binaryCrossEntropy, binaryFocalCrossEntropy, brierScore, categoricalCrossEntropy, categoricalFocalCrossEntropy,
  crossEntropy, entropy, jsDistance, klDivergence, logSumExp, nllLoss, relEntr, sigmoidCrossEntropy,
  sigmoidCrossEntropyWithGrad, softmaxCrossEntropy, softmaxCrossEntropyWithGrad,
} from '../src/index.js';
import * as ref from './reference.js';
import { REL, describeBackendsDtypes, expectClose, expectXent, held, heldRows, rows, snapshot, vec } from './helpers.js';

/** Keras' and TF.js' clip bounds: float32(1e-7) and float32(1 - 1e-7) = 1 - 2^-23. */
const LO = Math.fround(1e-7);
const HI = 1 - 2 ** -23;
const sum = (a: readonly number[]): number => ref.accurateSum(a);

describeBackendsDtypes('compat: Keras and TF.js clip in float32, whatever the input', (_b, d) => {
  const rel = REL[d];

  it('binaryCrossEntropy: a clipped 1 costs -log(2^-23) = 15.942, a clipped 0 -log(float32(1e-7)); at the bounds nothing moves', () => {
    const p = [1, 0, HI, LO, 1 - 2 ** -24];
    const t = [0, 1, 0, 1, 0];
    const e = [23 * Math.LN2, -Math.log(LO), 23 * Math.LN2, -Math.log(LO), 23 * Math.LN2];
    expectClose(binaryCrossEntropy(vec(p, d), vec(t, d), { compat: 'keras', reduction: 'none' }), e, rel);
    // exact keeps 1 - 2^-24 unclipped: -log(2^-24)
    expect(binaryCrossEntropy(vec([1 - 2 ** -24], d), vec([0], d))).toBeCloseTo(24 * Math.LN2, 12);
    // an explicit eps is a float32 bound too under Keras
    const e01 = [-Math.log1p(-Math.fround(0.9)), -Math.log(Math.fround(0.1))];
    expectClose(binaryCrossEntropy(vec([1, 0], d), vec([0, 1], d), { compat: 'keras', eps: 0.1, reduction: 'none' }), e01, rel);
  });

  it('TF.js logLoss adds float32(1e-7) inside the logs; tfjs-layers categorical clips at the float32 bounds', () => {
    expectClose(binaryCrossEntropy(vec([1, 0], d), vec([0, 1], d), { compat: 'tfjs', reduction: 'none' }),
      [-Math.log(LO), -Math.log(LO)], rel);
    for (const compat of ['keras', 'tfjs'] as const) {
      // renormalised, then clipped: the label's 0 becomes float32(1e-7), a certain 1 becomes 1 - 2^-23
      expectClose(categoricalCrossEntropy(rows([[1, 0, 0], [1, 0, 0]], d), [1, 0], { compat, reduction: 'none' }),
        [-Math.log(LO), -Math.log(HI)], rel);
      expectClose(crossEntropy(vec([0, 1, 0], d), vec([1, 0, 0], d), { compat }), -Math.log(LO), rel);
    }
  });

  it('Keras KL clips p and q to [float32(1e-7), 1]; focal losses use the same bounds', () => {
    const e = LO * Math.log(LO) + Math.log(1 / LO);
    expectClose(klDivergence(vec([0, 1], d), vec([1, 0], d), { compat: 'keras' }), e, rel);
    // (1 - p_t)^γ takes the unclipped p: 1 here, so the focal loss is the clipped cross-entropy
    expectClose(binaryFocalCrossEntropy(vec([1], d), vec([0], d), { compat: 'keras' }), 23 * Math.LN2, rel);
    expectClose(categoricalFocalCrossEntropy(rows([[0, 1]], d), [0], { compat: 'keras', classBalancing: false, gamma: 0 }),
      -Math.log(LO), rel);
  });

  it("scikit-learn's clip stays the dtype's machine epsilon", () => {
    const eps = d === 'Float32Array' ? 2 ** -23 : 2 ** -52;
    expectClose(categoricalCrossEntropy(rows([[0, 1]], d), [0], { compat: 'sklearn' }), -Math.log(eps), rel);
  });
});

// A batch shared by the reduction tests: 4 rows, 3 classes, an ignored row, class and sample weights (float32-exact).
const X = [[2, 1, 0.5], [0.5, 2.5, -1], [1, 1, 1], [-1, 0, 3]];
const Y = [0, 1, -1, 2];
const W = [1, 2, 0.5];
const SW = [0.5, 0, 2, 3];

describeBackendsDtypes('compat: a named reduction wins over the preset', (_b, d) => {
  const rel = REL[d];
  const nlp = heldRows(X, d).map((r) => ref.negLogSoftmax(r));

  it('softmaxCrossEntropy: weighted_mean, sum_over_batch_size, sum_by_nonzero_weights under every preset', () => {
    const { L, D } = ref.classLossLabels(nlp, Y, { weight: W, sampleWeight: SW, ignoreIndex: -1 });
    const counted = Y.filter((y) => y >= 0).length;
    const nonzero = D.filter((v, r) => Y[r] >= 0 && v !== 0).length;
    const want = { weighted_mean: sum(L) / sum(D), sum_over_batch_size: sum(L) / counted, sum_by_nonzero_weights: sum(L) / nonzero };
    for (const compat of ['exact', 'torch', 'keras', 'tfjs', 'sklearn'] as const) {
      for (const [reduction, e] of Object.entries(want)) {
        const opts = { compat, reduction: reduction as 'weighted_mean', weight: W, sampleWeight: SW, ignoreIndex: -1 };
        expectClose(softmaxCrossEntropy(rows(X, d), Y, opts), e, rel, 0, `${compat} ${reduction}`);
        // the gradient is that of the same mean: the sum's gradient over the same divisor
        const g = softmaxCrossEntropyWithGrad(rows(X, d), Y, opts).grad;
        const gs = softmaxCrossEntropyWithGrad(rows(X, d), Y, { ...opts, reduction: 'sum' }).grad;
        expectClose(g, Array.from(gs, (v) => v * (e / sum(L))), d === 'Float32Array' ? 1e-6 : 1e-12, 1e-12);
      }
    }
  });

  it("Keras' metric mean: without sample weights the ignored rows stay in the divisor; with them they do not", () => {
    const { L } = ref.classLossLabels(nlp, Y, { ignoreIndex: -1 });
    expectClose(softmaxCrossEntropy(rows(X, d), Y, { compat: 'keras', reduction: 'weighted_mean', ignoreIndex: -1 }),
      sum(L) / X.length, rel);
    // the Keras loss (its default mean) divides by the counted rows
    expectClose(softmaxCrossEntropy(rows(X, d), Y, { compat: 'keras', ignoreIndex: -1 }), sum(L) / 3, rel);
    const w = ref.classLossLabels(nlp, Y, { sampleWeight: SW, ignoreIndex: -1 });
    expectClose(softmaxCrossEntropy(rows(X, d), Y, { compat: 'keras', reduction: 'weighted_mean', ignoreIndex: -1, sampleWeight: SW }),
      sum(w.L) / sum(w.D), rel);
    // every row ignored: Keras' divide_no_nan gives 0
    expect(softmaxCrossEntropy(rows(X, d), [-1, -1, -1, -1], { compat: 'keras', ignoreIndex: -1, reduction: 'weighted_mean' })).toBe(0);
  });

  it('dense targets: weighted_mean counts the class weights even under torch, whose default divides by N', () => {
    const T = [[0.7, 0.2, 0.1], [0, 1, 0], [0.3, 0.3, 0.4], [0, 0, 1]];
    const { L, D } = ref.classLossDense(nlp, heldRows(T, d), { weight: W });
    expectClose(softmaxCrossEntropy(rows(X, d), rows(T, d), { compat: 'torch', weight: W, reduction: 'weighted_mean' }),
      sum(L) / sum(D), rel);
    expectClose(softmaxCrossEntropy(rows(X, d), rows(T, d), { compat: 'torch', weight: W }), sum(L) / 4, rel);
  });

  it('binary losses: named means over elements, and over row means under Keras', () => {
    const T = [[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]];
    const hx = heldRows(X, d);
    const l = hx.map((r, i) => r.map((v, j) => ref.sigmoidCrossEntropy(v, T[i][j])));
    const L: number[] = [];
    const D: number[] = [];
    l.forEach((r, i) => r.forEach((v, j) => { L.push(W[j] * SW[i] * v); D.push(W[j] * SW[i]); }));
    const opts = { weight: W, sampleWeight: SW };
    const el = { weighted_mean: sum(L) / sum(D), sum_over_batch_size: sum(L) / 12, sum_by_nonzero_weights: sum(L) / D.filter((v) => v !== 0).length };
    for (const [reduction, e] of Object.entries(el)) {
      expectClose(sigmoidCrossEntropy(rows(X, d), rows(T, d), { ...opts, compat: 'tfjs', reduction: reduction as 'weighted_mean' }), e, rel, 0, reduction);
    }
    // Keras: each row's mean Σ_j w_j l_j / C, weighed by its sample weight
    const rm = l.map((r) => sum(r.map((v, j) => W[j] * v)) / 3);
    const rw = rm.map((v, i) => SW[i] * v);
    const kr = { weighted_mean: sum(rw) / sum(SW), sum_over_batch_size: sum(rw) / 4, sum_by_nonzero_weights: sum(rw) / 3, sum: sum(rw) };
    for (const [reduction, e] of Object.entries(kr)) {
      expectClose(sigmoidCrossEntropy(rows(X, d), rows(T, d), { ...opts, compat: 'keras', reduction: reduction as 'sum' }), e, rel, 0, reduction);
    }
    expectClose(sigmoidCrossEntropy(rows(X, d), rows(T, d), { ...opts, compat: 'keras', reduction: 'none' }), rw, rel);
    // its gradient is the per-element gradient scaled like the row mean
    const g = sigmoidCrossEntropyWithGrad(rows(X, d), rows(T, d), { ...opts, compat: 'keras', reduction: 'none' }).grad;
    const ge = sigmoidCrossEntropyWithGrad(rows(X, d), rows(T, d), { ...opts, reduction: 'none' }).grad;
    expectClose(g, Array.from(ge, (v) => v / 3), d === 'Float32Array' ? 1e-6 : 1e-13, 1e-300);
    // a flat vector is N examples of one label: per element under Keras too
    expectClose(binaryCrossEntropy(vec([0.25, 0.5], d), vec([1, 0], d), { compat: 'keras', reduction: 'none' }),
      [-Math.log(0.25), -Math.log(0.5)], rel);
  });

  it('focal and KL take the named means; names a function does not know are INVALID_OPTION', () => {
    const L = categoricalFocalCrossEntropy(rows(X.map((r) => ref.softmax(r)), d), [0, 1, 2, 2],
      { reduction: 'none', sampleWeight: SW }) as Float64Array;
    expectClose(categoricalFocalCrossEntropy(rows(X.map((r) => ref.softmax(r)), d), [0, 1, 2, 2],
      { reduction: 'sum_by_nonzero_weights', sampleWeight: SW, compat: 'keras' }), sum(Array.from(L)) / 3, rel);
    expectXent(() => softmaxCrossEntropy(rows(X, d), [0, 1, 2, 2], { reduction: 'batchmean' as 'sum' }), 'INVALID_OPTION',
      'reduction', 'sum_by_nonzero_weights');
    expectXent(() => entropy(rows([[0.5, 0.5]], d), { reduction: 'weighted_mean' as 'sum' }), 'INVALID_OPTION', 'reduction');
  });
});

describeBackendsDtypes('compat: each preset accepts its framework\'s domain; exact keeps the strict one', (_b, d) => {
  const rel = REL[d];

  it('negative weights: INVALID_OPTION under exact, multiplied in under the framework presets', () => {
    const p = vec([0.25, 0.5, 0.75], d);
    const t = vec([1, 0, 1], d);
    expectXent(() => binaryCrossEntropy(p, t, { weight: [1, -2, 1] }), 'INVALID_OPTION', 'weight[1]', 'compat');
    // TF.js' logLoss: -(t log(p + eps) + (1 - t) log(1 - p + eps)), eps = float32(1e-7)
    const l = held([0.25, 0.5, 0.75], d).map((v, i) => ([1, 0, 1][i] ? -Math.log(v + LO) : -Math.log(1 - v + LO)));
    const w = [1, -2, 0.5];
    const L = l.map((v, i) => w[i] * v);
    expectClose(binaryCrossEntropy(p, t, { compat: 'tfjs', weight: w }), sum(L) / 3, rel);
    expectClose(binaryCrossEntropy(p, t, { compat: 'tfjs', weight: w, reduction: 'weighted_mean' }), sum(L) / sum(w), rel);
    expectClose(softmaxCrossEntropy(rows(X, d), [0, 1, 2, 0], { compat: 'torch', sampleWeight: [1, -1, 2, 0.5], reduction: 'sum' }),
      sum(heldRows(X, d).map((r, i) => [1, -1, 2, 0.5][i] * ref.negLogSoftmax(r)[[0, 1, 2, 0][i]])), rel);
    expectXent(() => binaryCrossEntropy(p, t, { compat: 'tfjs', weight: [1, -Infinity, 1] }), 'INVALID_OPTION', 'weight[1]');
    // weights of both signs on infinite losses: Infinity - Infinity is NON_FINITE, never INTERNAL or a silent NaN
    expectXent(() => binaryCrossEntropy(rows([[0, 0]], d), rows([[1, 1]], d), { compat: 'tfjs', eps: 0, weight: [1, -1] }),
      'NON_FINITE', 'Infinity - Infinity');
    expectXent(() => klDivergence(rows([[1, 0], [1, 0]], d), rows([[0, 1], [0, 1]], d),
      { compat: 'torch', sampleWeight: [1, -1], reduction: 'sum' }), 'NON_FINITE', 'Infinity - Infinity');
  });

  it('targets outside [0, 1]: the cross-entropies are linear in t under torch (from logits), keras and tfjs', () => {
    const x = [1.5, -0.3, 0.2];
    const t = [1.4, -0.2, 2];
    const e = held(x, d).map((v, i) => ref.sigmoidCrossEntropy(v, t[i]));
    for (const compat of ['torch', 'keras', 'tfjs'] as const) {
      expectClose(sigmoidCrossEntropy(vec(x, d), vec(t, d), { compat, reduction: 'none' }), e, rel, 1e-15, compat);
    }
    expectXent(() => sigmoidCrossEntropy(vec(x, d), vec(t, d)), 'INVALID_PROBABILITY', 'target[0]');
    // PyTorch checks binary_cross_entropy's targets; Keras takes any
    expectXent(() => binaryCrossEntropy(vec([0.5], d), vec([2], d), { compat: 'torch' }), 'INVALID_PROBABILITY', 'target');
    expectClose(binaryCrossEntropy(vec([0.25], d), vec([2], d), { compat: 'keras' }),
      -(2 * Math.log(0.25) - Math.log(0.75)), rel);
    expectXent(() => binaryCrossEntropy(vec([0.5], d), vec([Infinity], d), { compat: 'keras' }), 'INVALID_PROBABILITY', 'finite');
    expectXent(() => binaryCrossEntropy(vec([0.5], d), vec([NaN], d), { compat: 'keras' }), 'NON_FINITE', 'target');
    // the focal factor needs t in [0, 1] under every preset
    expectXent(() => binaryFocalCrossEntropy(vec([0.5], d), vec([2], d), { compat: 'keras' }), 'INVALID_PROBABILITY', 'target');
    // dense categorical targets likewise (TF.js softmaxCrossEntropy takes its labels as given)
    const T = [[1.5, -0.5, 0], [0.2, 0.3, 0.5]];
    const e2 = heldRows(X.slice(0, 2), d).map((r, i) => sum(ref.negLogSoftmax(r).map((v, j) => T[i][j] * v)));
    expectClose(softmaxCrossEntropy(rows(X.slice(0, 2), d), rows(T, d), { compat: 'tfjs', reduction: 'sum' }), sum(e2), rel);
    expectXent(() => softmaxCrossEntropy(rows(X.slice(0, 2), d), rows(T, d)), 'INVALID_PROBABILITY', 'target[0][0]');
  });

  it('scalar weight and sampleWeight: one number for every class or row', () => {
    const opts = { weight: 2.5, sampleWeight: 3, reduction: 'sum' } as const;
    expectClose(softmaxCrossEntropy(rows(X, d), [0, 1, 2, 0], opts),
      softmaxCrossEntropy(rows(X, d), [0, 1, 2, 0], { weight: [2.5, 2.5, 2.5], sampleWeight: [3, 3, 3, 3], reduction: 'sum' }), 1e-15);
    expectClose(binaryCrossEntropy(vec([0.25, 0.5], d), vec([1, 0], d), { compat: 'keras', sampleWeight: 2.3 }),
      2.3 * (-Math.log(0.25) - Math.log(0.5)) / 2, rel);
    expectClose(nllLoss(rows([[-1, -2]], d), [1], { sampleWeight: 0.5, reduction: 'sum' }), 1, rel);
    expectXent(() => softmaxCrossEntropy(rows(X, d), [0, 1, 2, 0], { sampleWeight: NaN }), 'NON_FINITE', 'sampleWeight');
    expectXent(() => softmaxCrossEntropy(rows(X, d), [0, 1, 2, 0], { weight: -1 }), 'INVALID_OPTION', 'weight');
    expectXent(() => sigmoidCrossEntropy(rows(X, d), rows(X.map((r) => r.map(() => 0)), d), { weight: Infinity }), 'INVALID_OPTION', 'weight');
  });

  it('KL of rows that are not distributions: rejected by exact, clipped by keras / tfjs, taken as they are by torch', () => {
    const p = [[0.5, 0, 2], [3, 1, 0.25]];
    const q = [[0.2, 0.7, 0.05], [1.5, 0.1, 4]];
    expectXent(() => klDivergence(rows(p, d), rows(q, d)), 'INVALID_PROBABILITY', 'p[0]');
    const hp = heldRows(p, d);
    const hq = heldRows(q, d);
    const clip = (r: number[]): number[] => r.map((v) => Math.min(Math.max(v, LO), 1));
    const keras = hp.map((r, i) => ref.klDivergence(clip(r), clip(hq[i])).value);
    expectClose(klDivergence(rows(p, d), rows(q, d), { compat: 'keras', reduction: 'none' }), keras, rel);
    const torch = hp.flatMap((r, i) => r.map((v, j) => ref.klDivergence([v], [hq[i][j]]).value));
    expectClose(klDivergence(rows(p, d), rows(q, d), { compat: 'torch', reduction: 'none' }), torch, rel, 1e-300);
    expectXent(() => klDivergence(rows([[-0.5, 1]], d), rows([[0.5, 0.5]], d), { compat: 'torch' }), 'INVALID_PROBABILITY', 'p[0][0]');
    expectXent(() => klDivergence(rows([[0.5, 1]], d), rows([[Infinity, 0.5]], d), { compat: 'torch' }), 'INVALID_PROBABILITY', 'q[0][0]');
    expectXent(() => klDivergence(rows([[NaN, 1]], d), rows([[0.5, 0.5]], d), { compat: 'keras' }), 'NON_FINITE', 'p[0][0]');
  });
});

describeBackendsDtypes('compat: KL as the frameworks offer it', (_b, d) => {
  const rel = REL[d];
  const P = [[0.36, 0.48, 0.16], [0.2, 0.3, 0.5]];
  const Q = [[1 / 3, 1 / 3, 1 / 3], [0.25, 0.25, 0.5]];
  const hp = heldRows(P, d);
  const hq = heldRows(Q, d);
  const terms = hp.map((r, i) => r.map((v, j) => ref.klDivergence([v], [hq[i][j]]).value));
  const rowKl = terms.map(sum);

  it("torch: 'none' per element, 'mean' over elements, 'batchmean' over rows; sampleWeight scales rows", () => {
    const sw = [2, 0.5];
    const o = { compat: 'torch', sampleWeight: sw } as const;
    expectClose(klDivergence(rows(P, d), rows(Q, d), { ...o, reduction: 'none' }), terms.flatMap((r, i) => r.map((v) => sw[i] * v)), rel);
    const total = sum(rowKl.map((v, i) => sw[i] * v));
    expectClose(klDivergence(rows(P, d), rows(Q, d), o), total / 6, rel);
    expectClose(klDivergence(rows(P, d), rows(Q, d), { ...o, reduction: 'batchmean' }), total / 2, rel);
    // one vector: still elementwise under torch
    const one = klDivergence(vec(P[0], d), vec(Q[0], d), { compat: 'torch', reduction: 'none' });
    expectClose(one, terms[0], rel);
    expect(one).toBeInstanceOf(Float64Array);
  });

  it('sampleWeight under each preset: the weighted mean (exact), / N (keras), / non-zero weights (tfjs)', () => {
    const sw = [3, 0];
    expectClose(klDivergence(rows(P, d), rows(Q, d), { sampleWeight: sw }), rowKl[0], rel);
    expectClose(klDivergence(rows(P, d), rows(Q, d), { sampleWeight: sw, compat: 'keras' }), 3 * rowKl[0] / 2, rel);
    expectClose(klDivergence(rows(P, d), rows(Q, d), { sampleWeight: sw, compat: 'tfjs' }), 3 * rowKl[0], rel);
    expectClose(klDivergence(rows(P, d), rows(Q, d), { sampleWeight: 2, reduction: 'sum' }), 2 * sum(rowKl), rel);
    expectClose(klDivergence(rows(P, d), rows(Q, d), { sampleWeight: [0, 0] }), NaN, 0);
  });

  it("log-space inputs: PyTorch's kl_div(input = log q, target, log_target)", () => {
    const lq = hq.map((r) => r.map(Math.log));
    const lp = hp.map((r) => r.map(Math.log));
    // log q and log p are rounded: the error is ~1e-16·|log q| per term, absolute
    const tol = (v: number[]): number => (d === 'Float32Array' ? 1e-6 : 1e-15) * sum(v.map(Math.abs)) + 1e-15;
    expectClose(klDivergence(rows(P, d), rows(lq, d), { logQ: true, reduction: 'none' }), rowKl, 0, tol(rowKl));
    expectClose(klDivergence(rows(lp, d), rows(lq, d), { logP: true, logQ: true, reduction: 'none' }), rowKl, 0, tol(rowKl));
    expectClose(klDivergence(rows(lp, d), rows(Q, d), { logP: true, compat: 'torch', reduction: 'sum' }), sum(rowKl), 0, tol(rowKl));
    // -Infinity is a probability of 0: 0 for p, Infinity for q under p > 0
    expect(klDivergence(vec([0.5, 0.5], d), vec([0, -Infinity], d), { logQ: true })).toBe(Infinity);
    expectClose(klDivergence(vec([-Infinity, 0], d), vec([-Math.LN2, -Math.LN2], d), { logP: true, logQ: true }), Math.LN2, rel);
    // exact: logs of distributions, or normalize (subtracting the log-sum-exp)
    expectXent(() => klDivergence(vec([0.5, 0.5], d), vec([0.1, -1], d), { logQ: true }), 'INVALID_PROBABILITY', 'q[0]', '<= 0');
    expectXent(() => klDivergence(vec([0.5, 0.5], d), vec([-1, -1], d), { logQ: true }), 'INVALID_PROBABILITY', 'sums to');
    expectClose(klDivergence(vec([0.5, 0.5], d), vec([-1, -1 + Math.log(3)], d), { logQ: true, normalize: true }),
      ref.klDivergence([0.5, 0.5], [0.25, 0.75]).value, rel);
    expectXent(() => klDivergence(vec([0.5, 0.5], d), vec([NaN, 0], d), { logQ: true, compat: 'torch' }), 'NON_FINITE', 'q[0]');
    expectXent(() => klDivergence(vec([0.5, 0.5], d), vec([Infinity, 0], d), { logQ: true, compat: 'torch' }), 'INVALID_PROBABILITY', 'q[0]');
    expectXent(() => klDivergence(vec([0.5, 0.5], d), vec([0.5, 0.5], d), { logQ: 'yes' as never }), 'INVALID_OPTION', 'logQ');
  });

  it('inputs are never written, whatever the preset copies', () => {
    const p = rows([[0, 2, 1]], d);
    const q = rows([[0.5, 0, 0.5]], d);
    const before = snapshot([p, q]);
    klDivergence(p, q, { compat: 'keras' });
    klDivergence(p, q, { compat: 'scipy' });
    expect([p, q]).toEqual(before);
  });
});

describeBackendsDtypes("relEntr: SciPy's rel_entr elementwise", (_b, d) => {
  it('p log(p / q), 0 for p = 0 <= q, Infinity for p > 0 = q and for negative inputs (as SciPy)', () => {
    const p = [0.5, 0, 0, 0.25, -0.5, 0.5, 0.3];
    const q = [0.25, 0, 0.5, 0, 0.5, -0.5, 0.3];
    const hp = held(p, d);
    const hq = held(q, d);
    const e = [hp[0] * Math.log(hp[0] / hq[0]), 0, 0, Infinity, Infinity, Infinity, 0];
    expectClose(relEntr(vec(p, d), vec(q, d)), e, REL[d]);
    expectClose(relEntr(rows([[0.5, 0.25], [1, 2]], d), rows([[0.25, 0.5], [1, 1]], d), { base: 2 }),
      [0.5, -0.25, 0, 2], REL[d]);
    expect(relEntr(0.5, 0.25)).toBeCloseTo(0.5 * Math.LN2, 15);
  });

  it('exact where p / q overflows or underflows (SciPy gh-20710 values)', () => {
    if (d === 'Float32Array') return; // outside float32's range (test/compat.test.ts has the float32 run where meaningful)
    expectClose(relEntr(vec([4, 1e-200, 2.22e-308], d), vec([2.22e-308, 1e200, 1e15], d)),
      [2839.139983229607, -9.210340371976183e-198, -1.6493212008074475e-305], 1e-13);
  });

  it('errors name the argument', () => {
    expectXent(() => relEntr(vec([0.5, NaN], d), vec([0.5, 0.5], d)), 'NON_FINITE', 'p[1]');
    expectXent(() => relEntr(vec([Infinity], d), vec([Infinity], d)), 'NON_FINITE', 'both Infinity');
    expectXent(() => relEntr(vec([0.5], d), vec([0.5, 0.5], d)), 'SHAPE_MISMATCH', 'q');
    expectXent(() => relEntr(0.5, vec([0.5], d) as never), 'INVALID_TYPE', 'must both be numbers');
  });
});

describeBackendsDtypes('compat: scipy computes float32 in float64; logSumExp of nothing; brierScore on binary input', (_b, d) => {
  it('jsDistance and entropy(p, q) under scipy match the float64 computation on the stored values to 1e-13', () => {
    const a = [[0.1, 0.002, 0.3, 4], [1, 2, 3, 0.5]];
    const b = [[0.7, 0.1, 0.2, 0.3], [0.25, 0.5, 1, 2]];
    const norm = (r: number[]): number[] => r.map((v) => v / sum(r));
    const ha = heldRows(a, d).map(norm);
    const hb = heldRows(b, d).map(norm);
    const js = ha.map((r, i) => Math.sqrt(ref.jsDivergence(r, hb[i]).value));
    expectClose(jsDistance(rows(a, d), rows(b, d), { compat: 'scipy', reduction: 'none' }), js, 1e-13);
    expectClose(entropy(rows(a, d), rows(b, d), { compat: 'scipy', reduction: 'none' }),
      ha.map((r, i) => ref.klDivergence(r, hb[i]).value), 1e-13);
  });

  it('logSumExp of an empty row is -Infinity (the log of an empty sum), as SciPy and PyTorch', () => {
    expect(logSumExp(vec([], d))).toBe(-Infinity);
    expect(Array.from(logSumExp(rows([[], []], d)) as Float64Array)).toEqual([-Infinity, -Infinity]);
    expect(logSumExp(vec([], d), { b: [] })).toBe(-Infinity);
    expect(logSumExp(vec([], d), { returnSign: true })).toEqual({ value: -Infinity, sign: 0 });
  });

  it("brierScore's scaleByHalf on binary input: scikit-learn's two columns [1 - p, p], halved by default", () => {
    const p = [0.1, 0.9, 0.8, 0.3];
    const t = [0, 1, 1, 0];
    const m = sum(held(p, d).map((v, i) => (v - t[i]) ** 2)) / 4;
    expectClose(brierScore(vec(p, d), t), m, REL[d]);
    expectClose(brierScore(vec(p, d), t, { scaleByHalf: true }), m, REL[d]);
    expectClose(brierScore(vec(p, d), t, { scaleByHalf: false }), 2 * m, REL[d]);
    expectClose(brierScore(vec(p, d), t, { sampleWeight: 2 }), m, REL[d]);
  });
});
