/**
 * Extreme but valid numbers in options: weights of 1e308 and 5e-324 (and the two together), temperatures down to
 * 1 / Number.MAX_VALUE, logits whose scaled values overflow, b near the float64 limits, 2^31 or 2^53 - 1 calibration
 * bins, and the like. Each gives the right answer or a clear INVALID_OPTION, never NaN, INTERNAL or a hang.
 *
 * Expected values: test/reference.ts (float64) evaluated with ordinary weights, scaled by the power of two the
 * extreme weights carry (a weighted mean does not change, a sum or an elementwise value is multiplied by it: exact
 * mathematics, and ldexp in float64). Where the reference has no such function (focal loss, gradients) the check is
 * that relation against the same call with the ordinary weights, which the rest of the suite checks.
 */
import { expect, it } from 'vitest';
import {
  Evaluator, binaryCrossEntropy, binaryFocalCrossEntropy, brierScore, calibrationError, categoricalCrossEntropy,
  categoricalFocalCrossEntropy, klDivergence, logSoftmax, logSumExp, nllLoss, perplexity, sigmoidCrossEntropy,
  sigmoidCrossEntropyWithGrad, softmax, softmaxCrossEntropy, softmaxCrossEntropyWithGrad,
} from '../src/index.js';
import { describeBackends, describeBackendsDtypes, expectClose, expectXent, heldRows, REL, rows, vec } from './helpers.js';
import * as ref from './reference.js';

/** x·2^e in float64 without intermediate overflow (the tests' own, apart from the library's). */
function scale(x: number, e: number): number {
  let v = x;
  let k = e;
  for (; k > 1000; k -= 1000) v *= 2 ** 1000;
  for (; k < -1000; k += 1000) v *= 2 ** -1000;
  return v * 2 ** k;
}
const scaled = (v: number | number[], e: number): number | number[] => (typeof v === 'number' ? scale(v, e) : v.map((x) => scale(x, e)));

const X = [[2, -1, 0.5, 3], [0.1, 0.2, 0.3, 0.4], [-2, 5, 1, 1]];
const Y = [3, 0, 1];
const T = [[0.1, 0.2, 0.3, 0.4], [1, 0, 0, 0], [0.25, 0.25, 0.5, 0]];
const P = X.map((r) => ref.softmax(r));
/** Ordinary weights: small integers, so that any power of two times them is exact, subnormals included. */
const W = [1, 2, 3, 5];
const SW = [1, 4, 3];
/** Powers of two carried by (class weight, sample weight): ~1e308 (2^1021 times up to 5), subnormal, and the two together. */
const SCALES: [number, number][] = [[1021, 0], [0, 1021], [-1074, 0], [0, -1074], [1021, -1074], [-1074, 1021], [1021, 1021], [-1074, -1074]];
/** Whether a sum of the scaled weights times losses ~1 is a normal number (else the expectation is 0 or Infinity). */
const normal = (e: number): boolean => e > -1000 && e < 1000;

describeBackendsDtypes('extreme weights', (_b, d) => {
  const h = heldRows(X, d);
  const hp = heldRows(P, d);
  const ht = heldRows(T, d);

  it('categorical losses with labels and dense targets: the mean is the ordinary weights\' mean, a sum 2^e times theirs', () => {
    for (const [we, se] of SCALES) {
      const weight = W.map((v) => scale(v, we));
      const sampleWeight = SW.map((v) => scale(v, se));
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        if (reduction !== 'mean' && !normal(we + se) && we + se < 2000) continue; // underflows: no digits to check
        const o = { weight, sampleWeight, reduction };
        const base = { weight: W, sampleWeight: SW, reduction };
        const e = reduction === 'mean' ? 0 : we + se;
        const label = `weights 2^${we}, 2^${se}, ${reduction}`;
        expectClose(softmaxCrossEntropy(rows(X, d) as never, Y, o), scaled(ref.softmaxCrossEntropy(h, Y, base), e) as never, REL[d], 0, label);
        expectClose(softmaxCrossEntropy(rows(X, d) as never, rows(T, d) as never, o),
          scaled(ref.softmaxCrossEntropyDense(h, ht, base), e) as never, REL[d], 0, `dense ${label}`);
        const nlp = hp.map((r) => r.map((v) => -Math.log(v)));
        expectClose(categoricalCrossEntropy(rows(P, d) as never, Y, { ...o, tolerance: 1e-3 }),
          scaled(ref.reduce(...Object.values(ref.classLossLabels(nlp, Y, base)) as [number[], number[]], reduction), e) as never,
          REL[d], 0, `categoricalCrossEntropy ${label}`);
        expectClose(nllLoss(rows(X.map((r) => ref.logSoftmax(r)), d) as never, Y, o),
          scaled(ref.softmaxCrossEntropy(heldRows(X.map((r) => ref.logSoftmax(r)), d), Y, base), e) as never,
          // the log-softmax rows are rounded to the dtype before nllLoss reads them: their own reference
          d === 'Float32Array' ? 1e-6 : 1e-13, 0, `nllLoss ${label}`);
      }
      expectClose(perplexity(rows(X, d) as never, Y, { weight, sampleWeight }),
        Math.exp(ref.softmaxCrossEntropy(h, Y, { weight: W, sampleWeight: SW }) as number), REL[d], 0, 'perplexity');
    }
  });

  it('binary losses with per-class weights and sample weights, as a batch and as a flat vector of examples', () => {
    const x = [[-1, 2, 0.5], [3, -0.25, 1]];
    const t = [[0, 1, 1], [1, 0, 0.5]];
    const hx = heldRows(x, d);
    const perElement = hx.map((r, i) => r.map((v, j) => ref.sigmoidCrossEntropy(v, t[i][j])));
    const pr = hx.map((r) => r.map((v) => Math.fround(1 / (1 + Math.exp(-v)))));
    const probs = d === 'Float32Array' ? pr : hx.map((r) => r.map((v) => 1 / (1 + Math.exp(-v))));
    const bce = heldRows(probs, d).map((r, i) => r.map((v, j) => ref.binaryCrossEntropy(v, t[i][j])));
    for (const [we, se] of SCALES) {
      const weight = [1, 2, 4].map((v) => scale(v, we));
      const sampleWeight = [3, 1].map((v) => scale(v, se));
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        if (reduction !== 'mean' && !normal(we + se) && we + se < 2000) continue;
        const e = reduction === 'mean' ? 0 : we + se;
        const base = { weight: [1, 2, 4], sampleWeight: [3, 1], reduction };
        const label = `weights 2^${we}, 2^${se}, ${reduction}`;
        expectClose(sigmoidCrossEntropy(rows(x, d) as never, rows(t, d) as never, { weight, sampleWeight, reduction }),
          scaled(ref.reduceElementwise(perElement, base) as never, e) as never, REL[d], 0, `sigmoid ${label}`);
        expectClose(binaryCrossEntropy(rows(probs, d) as never, rows(t, d) as never, { weight, sampleWeight, reduction }),
          scaled(ref.reduceElementwise(bce, base) as never, e) as never, REL[d], 0, `binary ${label}`);
        // one flat vector of 3 examples: sampleWeight per example joins the per-element weight
        expectClose(sigmoidCrossEntropy(vec(x[0], d) as never, vec(t[0], d) as never, { weight, sampleWeight: [sampleWeight[0], sampleWeight[1], sampleWeight[0]], reduction }),
          scaled(ref.reduceElementwise([perElement[0]], { weight: [3, 2, 12], reduction }) as never, e) as never,
          REL[d], 0, `flat ${label}`);
      }
    }
  });

  it('focal losses, the Brier score and the gradients: the same relation against ordinary weights', () => {
    const probs = [[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]];
    for (const [we, se] of SCALES) {
      const sampleWeight = SW.map((v) => scale(v, se));
      for (const reduction of ['mean', 'sum'] as const) {
        if (reduction === 'sum' && !normal(we + se)) continue;
        const e = reduction === 'mean' ? 0 : we + se;
        // α is no weight of the mean (Keras' rule): a mean carries its scale too
        const ae = reduction === 'mean' ? we : e;
        const cf = categoricalFocalCrossEntropy(rows(probs, d) as never, [1, 0, 1], { alpha: [1, 3].map((v) => scale(v, we)), sampleWeight, reduction });
        if (normal(ae)) expectClose(cf, scale(categoricalFocalCrossEntropy(rows(probs, d) as never, [1, 0, 1], { alpha: [1, 3], sampleWeight: SW, reduction }) as number, ae), 1e-15, 0, 'categorical focal');
        const bf = binaryFocalCrossEntropy(rows(probs, d) as never, [[0, 1], [1, 0], [1, 1]], { weight: [1, 3].map((v) => scale(v, we)), sampleWeight, reduction });
        expectClose(bf, scale(binaryFocalCrossEntropy(rows(probs, d) as never, [[0, 1], [1, 0], [1, 1]], { weight: [1, 3], sampleWeight: SW, reduction }) as number, e), 1e-15, 0, 'binary focal');
        const g = softmaxCrossEntropyWithGrad(rows(X, d) as never, Y, { weight: W.map((v) => scale(v, we)), sampleWeight, reduction });
        const g0 = softmaxCrossEntropyWithGrad(rows(X, d) as never, Y, { weight: W, sampleWeight: SW, reduction });
        expectClose(g.loss, scale(g0.loss as number, e), 1e-15, 0, 'softmax grad loss');
        if (normal(e + 40)) expectClose(g.grad, Array.from(g0.grad, (v) => Math.abs(v) > 0 ? scale(v, e) : 0), d === 'Float32Array' ? 1e-6 : 1e-15, 0, 'softmax grad');
        const sg = sigmoidCrossEntropyWithGrad(rows(probs, d) as never, [[0, 1], [1, 0], [1, 1]], { weight: [1, 3].map((v) => scale(v, we)), sampleWeight, reduction });
        const sg0 = sigmoidCrossEntropyWithGrad(rows(probs, d) as never, [[0, 1], [1, 0], [1, 1]], { weight: [1, 3], sampleWeight: SW, reduction });
        expectClose(sg.loss, scale(sg0.loss as number, e), 1e-15, 0, 'sigmoid grad loss');
        if (normal(e + 40)) expectClose(sg.grad, Array.from(sg0.grad, (v) => scale(v, e)), d === 'Float32Array' ? 1e-6 : 1e-15, 0, 'sigmoid grad');
      }
      // klDivergence's sample weights
      const kp = [[0.5, 0.5], [0.2, 0.8], [0.1, 0.9]];
      const kq = [[0.25, 0.75], [0.5, 0.5], [0.3, 0.7]];
      for (const reduction of ['mean', 'sum'] as const) {
        if (reduction === 'sum' && !normal(se)) continue;
        expectClose(klDivergence(rows(kp, d) as never, rows(kq, d) as never, { sampleWeight, reduction }),
          scale(klDivergence(rows(kp, d) as never, rows(kq, d) as never, { sampleWeight: SW, reduction }) as number,
            reduction === 'mean' ? 0 : se), 1e-15, 0, `kl ${reduction} 2^${se}`);
      }
      // Brier: Σ w (p - t)² / Σ w, by hand
      const p = [0.2, 0.9, 0.5];
      const t = [0, 1, 1];
      const br = p.map((v, i) => (v - t[i]) ** 2);
      const hp = d === 'Float32Array' ? p.map(Math.fround) : p;
      const mean = hp.reduce((a, v, i) => a + SW[i] * (v - t[i]) ** 2, 0) / SW.reduce((a, v) => a + v, 0);
      expectClose(brierScore(vec(p, d) as never, t, { sampleWeight }), mean, 1e-15, 0, `brier 2^${se}`);
      if (normal(se)) expectClose(brierScore(vec(p, d) as never, t, { sampleWeight, reduction: 'sum' }), scale(hp.reduce((a, v, i) => a + SW[i] * (v - t[i]) ** 2, 0), se), 1e-15, 0, `brier sum 2^${se}`);
    }
  });

  it('logSumExp with b near Number.MAX_VALUE and subnormal b: log Σ exp(x + log b)', () => {
    const x = [1, 2, -3];
    const hx = heldRows([x], d)[0];
    for (const b of [[1e308, 1.7e308, 5e-324], [5e-324, 1e-323, 0], [1.7976931348623157e308, 1.7976931348623157e308, 1.7976931348623157e308]]) {
      const e = ref.logSumExp(hx.map((v, j) => v + Math.log(b[j])));
      expectClose(logSumExp(vec(x, d) as never, { b }), e, 1e-15, 0, `b = ${b}`);
    }
  });
});

describeBackendsDtypes('extreme temperatures and scaled logits', (_b, d) => {
  it('a temperature whose reciprocal overflows is INVALID_OPTION; just above it, the right answer', () => {
    for (const f of [
      () => softmaxCrossEntropy(vec([1, 2], d) as never, 0, { temperature: 1e-309 }),
      () => softmax(vec([1, 2], d) as never, { temperature: 5e-324 }),
      () => logSumExp(vec([1, 2], d) as never, { temperature: 2 ** -1024 }),
      () => softmaxCrossEntropyWithGrad(vec([1, 2], d) as never, 0, { temperature: 1e-310 }),
      ...(d === 'Float32Array' ? [() => softmax(vec([1, 2], d) as never, { temperature: 2.9e-39 })] : []),
    ]) expectXent(f, 'INVALID_OPTION', 'temperature', '1 / temperature');
    const T = d === 'Float32Array' ? 3e-39 : 6e-309; // 1/T = 3.3e38, the float32 kernels' limit; 1.67e308
    const x = [0, d === 'Float32Array' ? 1e-30 : 1e-300];
    const hx = heldRows([x], d)[0];
    const s = 1 / T;
    expectClose(softmaxCrossEntropy(vec(x, d) as never, 0, { temperature: T }), (hx[1] - hx[0]) * s, REL[d], 0, 'loss');
    expect(softmaxCrossEntropy(vec(x, d) as never, 1, { temperature: T })).toBe(0);
    expect(Array.from(softmax(vec(x, d) as never, { temperature: T }))).toEqual([0, 1]);
  });

  it('logits whose scaled values overflow: softmax and log-softmax exact, the losses right or an honest Infinity', () => {
    const big = d === 'Float32Array' ? 3e38 : 1e308;
    const hb = heldRows([[big]], d)[0][0];
    const x = vec([big, 0], d) as never;
    expect(Array.from(softmax(x, { temperature: 0.5 }))).toEqual([1, 0]);
    expect(Array.from(logSoftmax(x, { temperature: 0.5 }))).toEqual([0, -Infinity]);
    expect(softmaxCrossEntropy(x, 0, { temperature: 0.5 })).toBe(0);
    const lse = 2 * hb; // the true log-sum-exp: Infinity where it leaves float64
    expectClose(logSumExp(x, { temperature: 0.5 }), lse, REL[d], 0, 'lse');
    expectClose(softmaxCrossEntropy(x, 1, { temperature: 0.5 }), lse, REL[d], 0, 'label 1');
    expectClose(softmaxCrossEntropy(x, vec([0.5, 0.5], d) as never, { temperature: 0.5 }), hb, REL[d], 0, 'dense');
    const g = softmaxCrossEntropyWithGrad(x, 1, { temperature: 0.5 });
    expect(Array.from(g.grad)).toEqual([2, -2]);
    const xs = vec([big, -big], d) as never;
    expect(Array.from(logSoftmax(xs))).toEqual([0, -Infinity]);
    expectClose(softmaxCrossEntropy(xs, 1), 2 * hb, REL[d], 0, 'spread');
  });
});

describeBackends('extreme option values elsewhere', () => {
  it('calibrationError with 2^31 and 2^53 - 1 bins: each example in its own bin, at once, in little memory', () => {
    const p = [0.1, 0.35, 0.6, 0.95];
    const t = [0, 1, 1, 0];
    // a bin per example: ECE = mean |accuracy - confidence|, MCE the largest gap
    const gaps = p.map((v, i) => Math.abs(t[i] - v));
    for (const bins of [2 ** 31, 2 ** 53 - 1]) {
      const t0 = performance.now();
      expectClose(calibrationError(p, t, { bins }), gaps.reduce((a, v) => a + v / 4, 0), 1e-15, 0, `${bins} bins`);
      expect(calibrationError(p, t, { bins, norm: 'max' })).toBe(Math.max(...gaps));
      expect(performance.now() - t0).toBeLessThan(1000);
    }
    expectXent(() => calibrationError(p, t, { bins: 2 ** 53 }), 'INVALID_OPTION', 'bins');
    expectXent(() => calibrationError(p, t, { bins: 1e300 }), 'INVALID_OPTION', 'bins');
  });

  it('focal γ of 1e308, a base next to 1 and a labelSmoothing of 5e-324 give finite right values', () => {
    expect(binaryFocalCrossEntropy([0.3, 0.8], [1, 0], { gamma: 1e308 })).toBe(0);
    const nats = softmaxCrossEntropy([[1, 2, 3]], [0]);
    const base = 1 + 2 ** -52;
    expectClose(softmaxCrossEntropy([[1, 2, 3]], [0], { base }), nats / Math.log(base), 1e-15);
    expectClose(softmaxCrossEntropy([[1, 2, 3]], [0], { labelSmoothing: 5e-324 }), nats, 1e-15);
    expectClose(softmaxCrossEntropy([[1, 2, 3]], [0], { base: Number.MAX_VALUE }), nats / Math.log(Number.MAX_VALUE), 1e-15);
  });

  it('Evaluator: sample weights within [2^-256, 2^256] give the unweighted means; beyond, INVALID_OPTION', () => {
    const x = [[1, 2, 3], [3, 1, 2]];
    const plain = new Evaluator({ classes: 3 }).update(x, [2, 1]).result();
    for (const w of [2 ** 256, 2 ** -256, 1e77, 1e-77]) {
      const r = new Evaluator({ classes: 3 }).update(x, [2, 1], { sampleWeight: [w, w] }).result();
      expect(r.count).toBe(2);
      expectClose(r.nats, plain.nats, 1e-15);
      expectClose(r.accuracy, plain.accuracy, 1e-15);
      expectClose(r.brier, plain.brier, 1e-15);
      expectClose(r.ece, plain.ece, 1e-15);
    }
    for (const w of [1e308, 5e-324, 2 ** 257, 1e-78]) {
      expectXent(() => new Evaluator({ classes: 3 }).update(x, [2, 1], { sampleWeight: [1, w] }), 'INVALID_OPTION', 'sampleWeight[1]', '2^256');
    }
  });
});
