/**
 * sigmoidCrossEntropy tests its targets (in [0, 1]) in the loss pass where the backend can: the errors, their order
 * against the weights' errors, and the values must be those of the separate checks, wherever the bad target sits
 * (a vector step, a row's tail, a block the kernel redoes in float64, a later row).
 */
import { expect, it } from 'vitest';
import { sigmoidCrossEntropy } from '../src/index.js';
import { describeBackendsDtypes, expectXent, prng, rows, vec } from './helpers.js';

/** n logits in [-6, 6] with 0/1 targets; `wide` puts |x| > 87 at index 70 (its 64-element block is redone). */
function data(n: number, seed: number, wide = false): { x: number[]; t: number[] } {
  const rand = prng(seed);
  const x = Array.from({ length: n }, () => 12 * rand() - 6);
  if (wide) x[70] = -120;
  return { x, t: x.map((_, i) => (i % 3 === 0 ? 1 : 0)) };
}

/** The plain float64 loss of one element: max(x, 0) - x t + log1p(exp(-|x|)). */
const term = (x: number, t: number) => Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));

describeBackendsDtypes('sigmoidCrossEntropy: targets tested in the loss pass', (_b, d) => {
  const tol = d === 'Float32Array' ? 1e-6 : 1e-12;

  it('a bad target anywhere is named as the separate check names it', () => {
    // 203 elements: vector steps of 8 and 4, and a tail of 3; 70 sits in a block redone in float64.
    for (const at of [0, 5, 37, 70, 131, 200, 202]) {
      const { x, t } = data(203, at, true);
      for (const [v, code, shown] of [
        [1.5, 'INVALID_PROBABILITY', '1.5'], [-0.25, 'INVALID_PROBABILITY', '-0.25'], [NaN, 'NON_FINITE', 'NaN'],
        [Infinity, 'INVALID_PROBABILITY', 'Infinity'], [1 + 2 ** -23, 'INVALID_PROBABILITY', String(1 + 2 ** -23)],
      ] as const) {
        const bad = [...t];
        bad[at] = v;
        const message = code === 'NON_FINITE' ? `target[${at}] is NaN` : `target[${at}] is ${shown}; probabilities must be in [0, 1]`;
        expectXent(() => sigmoidCrossEntropy(vec(x, d) as any, vec(bad, d)), code, message);
      }
    }
  });

  it('a bad target in a later row of a batch is named by row and column', () => {
    const { x, t } = data(3 * 41, 7);
    const X = [x.slice(0, 41), x.slice(41, 82), x.slice(82)];
    const T = [t.slice(0, 41), t.slice(41, 82), t.slice(82)];
    T[2][38] = 2;
    expectXent(() => sigmoidCrossEntropy(rows(X, d) as any, rows(T, d)), 'INVALID_PROBABILITY', 'target[2][38] is 2;');
  });

  it("a bad target is reported before a bad weight, sampleWeight or posWeight, as before", () => {
    const { x, t } = data(40, 3);
    const bad = [...t];
    bad[33] = -1;
    const w = x.map(() => 1);
    w[2] = -1;
    expectXent(() => sigmoidCrossEntropy(vec(x, d) as any, vec(bad, d), { weight: w }), 'INVALID_PROBABILITY', 'target[33]');
    expectXent(() => sigmoidCrossEntropy(vec(x, d) as any, vec(bad, d), { sampleWeight: w }), 'INVALID_PROBABILITY', 'target[33]');
    expectXent(() => sigmoidCrossEntropy(rows([x], d) as any, rows([bad], d), { posWeight: w }), 'INVALID_PROBABILITY', 'target[0][33]');
    // Good targets: the weight's own error.
    expectXent(() => sigmoidCrossEntropy(rows([x], d) as any, rows([t], d), { posWeight: w }), 'INVALID_OPTION', 'posWeight[2]');
  });

  it('targets of -0, 0, 1 and between are accepted: the mean equals a float64 reference', () => {
    const { x } = data(203, 11, true);
    const t = x.map((_, i) => [-0, 0, 1, 0.25, 1 - 2 ** -24][i % 5]);
    const want = x.reduce((s, v, i) => s + term(v, t[i]), 0) / x.length;
    const got = sigmoidCrossEntropy(vec(x, d) as any, vec(t, d)) as number;
    expect(Math.abs(got - want) / want).toBeLessThan(tol);
    const none = sigmoidCrossEntropy(vec(x, d) as any, vec(t, d), { reduction: 'none' }) as Float64Array;
    for (const i of [0, 5, 70, 202]) expect(Math.abs(none[i] - term(x[i], t[i]))).toBeLessThan(tol * (1 + term(x[i], t[i])));
  });
});
