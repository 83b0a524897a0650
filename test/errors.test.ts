/** Every XentError code, with the argument (and index / value) named in the message; inputs never mutated. */
import { expect, it } from 'vitest';
import * as xent from '../src/index.js';
import {
  binaryCrossEntropy, categoricalCrossEntropy, crossEntropy, entropy, information, init, jsDivergence, klDivergence,
  logSoftmax, logSumExp, nllLoss, perplexity, sigmoidCrossEntropy, softmax, softmaxCrossEntropy, XentError,
} from '../src/index.js';
import { describeBackendsDtypes, expectXent, flat, prng, rows, snapshot, vec } from './helpers.js';

it('XentError is exported, is an Error, and carries its code (INTERNAL included)', () => {
  const e = new XentError('INTERNAL', 'kernel returned an impossible value');
  expect(e).toBeInstanceOf(Error);
  expect(e).toBeInstanceOf(XentError);
  expect(e.code).toBe('INTERNAL');
  expect(e.message).toContain('impossible');
});

it('init rejects an unknown backend name with INVALID_OPTION', async () => {
  let err: any;
  try {
    await init({ backend: 'gpu' as any });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(XentError);
  expect(err.code).toBe('INVALID_OPTION');
  expect(err.message).toContain('backend');
});

describeBackendsDtypes('errors', (_b, d) => {
  const X = [[0.5, 1, -1, 2, 0, 3, 1], [1, 2, 3, 4, 5, 6, 7], [0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1]];
  const P = [[0.25, 0.25, 0.5], [0.1, 0.2, 0.7]];

  it('NON_FINITE: NaN anywhere, named with its index', () => {
    const bad = X.map((r) => [...r]);
    bad[2][5] = NaN;
    const idx = /\[2\]\s*\[5\]|\[2,\s*5\]|19/;
    expectXent(() => softmaxCrossEntropy(rows(bad, d) as any, [0, 1, 2, 3]), 'NON_FINITE', 'logits', idx);
    expectXent(() => softmaxCrossEntropy(flat(bad, d) as any, [0, 1, 2, 3], { classes: 7 }), 'NON_FINITE', 'logits', idx);
    expectXent(() => logSumExp(vec([1, 2, NaN], d) as any), 'NON_FINITE', 'x', '2');
    expectXent(() => softmax(rows(bad, d) as any), 'NON_FINITE', idx);
    expectXent(() => entropy(vec([0.5, NaN, 0.5], d) as any), 'NON_FINITE', 'p', '1');
    expectXent(() => crossEntropy(vec([0.5, 0.5], d) as any, vec([NaN, 1], d)), 'NON_FINITE', 'q', '0');
    expectXent(() => binaryCrossEntropy(vec([0.5, 0.5], d) as any, [1, NaN]), 'NON_FINITE', 'target');
    expectXent(() => sigmoidCrossEntropy(vec([0.5, NaN], d) as any, [1, 0]), 'NON_FINITE', 'logits', '1');
    expectXent(() => categoricalCrossEntropy(vec([0.5, 0.5], d) as any, 0, { weight: [1, NaN] }), 'NON_FINITE', 'weight');
  });

  it('NON_FINITE: +Infinity logits', () => {
    expectXent(() => softmaxCrossEntropy(vec([0, Infinity, 1], d) as any, 0), 'NON_FINITE', 'logits', '1');
    // log Σ exp is defined there (+Infinity); the softmax is not.
    expect(logSumExp(vec([0, Infinity], d) as any)).toBe(Infinity);
    expectXent(() => softmax(vec([0, Infinity], d) as any), 'NON_FINITE', 'x', '1');
  });

  it('NON_FINITE: a row of only −Infinity in softmax / logSoftmax / softmaxCrossEntropy', () => {
    expectXent(() => logSoftmax(vec([-Infinity, -Infinity], d) as any), 'NON_FINITE', 'x');
    expectXent(() => softmax(rows([[0, 1], [-Infinity, -Infinity]], d) as any), 'NON_FINITE', 'x');
    expectXent(() => softmaxCrossEntropy(rows([[0, 1], [-Infinity, -Infinity]], d) as any, [0, 1]), 'NON_FINITE', 'logits');
  });

  it('EMPTY_INPUT: zero classes', () => {
    expectXent(() => softmax(vec([], d) as any), 'EMPTY_INPUT', 'x');
    expectXent(() => logSoftmax(vec([], d) as any), 'EMPTY_INPUT', 'x');
    expectXent(() => entropy(vec([], d) as any), 'EMPTY_INPUT', 'p');
    expectXent(() => softmaxCrossEntropy(vec([], d) as any, 0), 'EMPTY_INPUT', 'logits');
  });

  it('LABEL_OUT_OF_RANGE: negative, too large, non-integer; ignoreIndex only exempts its own value', () => {
    expectXent(() => softmaxCrossEntropy(rows(X, d) as any, [0, 1, 7, 3]), 'LABEL_OUT_OF_RANGE', 'target', '7');
    expectXent(() => softmaxCrossEntropy(rows(X, d) as any, [0, -1, 2, 3]), 'LABEL_OUT_OF_RANGE', 'target', '-1');
    expectXent(() => softmaxCrossEntropy(rows(X, d) as any, [0, 1, 2.5, 3]), 'LABEL_OUT_OF_RANGE', 'target', '2.5');
    expectXent(() => softmaxCrossEntropy(vec(X[0], d) as any, 9), 'LABEL_OUT_OF_RANGE', 'target', '9');
    expectXent(() => softmaxCrossEntropy(rows(X, d) as any, [0, -100, -5, 3], { ignoreIndex: -100 }), 'LABEL_OUT_OF_RANGE', 'target', '-5');
    expectXent(() => categoricalCrossEntropy(rows(P, d) as any, [0, 3]), 'LABEL_OUT_OF_RANGE', 'target', '3');
    expectXent(() => nllLoss(rows(P, d) as any, [0, NaN]), 'LABEL_OUT_OF_RANGE', 'target');
    expectXent(() => perplexity(rows(X, d) as any, [0, 1, 2, 70]), 'LABEL_OUT_OF_RANGE', 'labels', '70');
  });

  it('SHAPE_MISMATCH: lengths that do not agree', () => {
    expectXent(() => crossEntropy(vec([0.5, 0.5], d) as any, vec([0.2, 0.3, 0.5], d)), 'SHAPE_MISMATCH', 'q');
    expectXent(() => klDivergence(rows(P, d) as any, rows([P[0]], d)), 'SHAPE_MISMATCH', 'q');
    expectXent(() => softmaxCrossEntropy(rows(X, d) as any, [0, 1, 2]), 'SHAPE_MISMATCH', 'target');
    expectXent(() => softmaxCrossEntropy(rows(X, d) as any, [0, 1, 2, 3], { weight: [1, 2] }), 'SHAPE_MISMATCH', 'weight');
    expectXent(() => softmaxCrossEntropy(rows(X, d) as any, [0, 1, 2, 3], { sampleWeight: [1, 2, 3] }), 'SHAPE_MISMATCH', 'sampleWeight');
    expectXent(() => softmaxCrossEntropy(rows(X, d) as any, rows([[1, 0, 0]], d)), 'SHAPE_MISMATCH', 'target');
    expectXent(() => softmax(rows([[1, 2, 3], [1, 2]], d) as any), 'SHAPE_MISMATCH', 'x');
    expectXent(() => binaryCrossEntropy(vec([0.5, 0.5, 0.5], d) as any, [1, 0]), 'SHAPE_MISMATCH', 'target');
    expectXent(() => sigmoidCrossEntropy(rows(P, d) as any, [[1, 0, 1], [0, 0, 1]], { posWeight: [1, 2] }), 'SHAPE_MISMATCH', 'posWeight');
    expectXent(() => binaryCrossEntropy(rows(P, d) as any, [[1, 0, 1], [0, 0, 1]], { weight: [1, 2, 3, 4] }), 'SHAPE_MISMATCH', 'weight');
  });

  it('INVALID_PROBABILITY: out of [0, 1], rows not summing to 1', () => {
    expectXent(() => crossEntropy(vec([0.5, 0.6], d) as any, vec([0.5, 0.5], d)), 'INVALID_PROBABILITY', 'p');
    expectXent(() => klDivergence(vec([0.5, 0.5], d) as any, vec([1.5, -0.5], d)), 'INVALID_PROBABILITY', 'q');
    expectXent(() => jsDivergence(rows(P, d) as any, rows([[0.2, 0.2, 0.2], P[1]], d)), 'INVALID_PROBABILITY', 'q');
    expectXent(() => categoricalCrossEntropy(rows([[0.5, 0.6, 0], P[1]], d) as any, [0, 1]), 'INVALID_PROBABILITY', 'probs');
    expectXent(() => binaryCrossEntropy(vec([0.5, 1.5], d) as any, [1, 0]), 'INVALID_PROBABILITY', 'probs');
    expectXent(() => information(vec([0.5, -0.1], d) as any), 'INVALID_PROBABILITY', 'p');
  });

  it('INVALID_OPTION: bad option values', () => {
    const x = rows(X, d) as any;
    const y = [0, 1, 2, 3];
    expectXent(() => categoricalCrossEntropy(rows(P, d) as any, [0, 1], { eps: -1e-7 }), 'INVALID_OPTION', 'eps');
    expectXent(() => softmaxCrossEntropy(x, y, { labelSmoothing: 1.5 }), 'INVALID_OPTION', 'labelSmoothing');
    expectXent(() => softmaxCrossEntropy(x, y, { labelSmoothing: -0.1 }), 'INVALID_OPTION', 'labelSmoothing');
    for (const base of [0, 1, -2]) expectXent(() => entropy(rows(P, d) as any, { base }), 'INVALID_OPTION', 'base');
    expectXent(() => softmaxCrossEntropy(x, y, { reduction: 'avg' as any }), 'INVALID_OPTION', 'reduction');
    expectXent(() => softmax(vec([1, 2, 3, 4, 5], d) as any, { classes: 2 }), 'INVALID_OPTION', 'classes');
    expectXent(() => logSumExp(vec([1, 2], d) as any, { temperature: 0 }), 'INVALID_OPTION', 'temperature');
  });

  it('INVALID_TYPE: wrong argument types', () => {
    expectXent(() => softmax('1,2,3' as any), 'INVALID_TYPE', 'x');
    expectXent(() => logSumExp({ length: 2 } as any), 'INVALID_TYPE', 'x');
    expectXent(() => crossEntropy(vec([0.5, 0.5], d) as any, 'q' as any), 'INVALID_TYPE', 'q');
    expectXent(() => softmaxCrossEntropy(rows(X, d) as any, 'abc' as any), 'INVALID_TYPE', 'target');
    expectXent(() => entropy(null as any), 'INVALID_TYPE', 'p');
  });

  it('inputs are never mutated (arguments and options)', () => {
    const cases: [string, unknown[]][] = [
      ['softmaxCrossEntropy', [rows(X, d), [0, 1, 2, 3], { weight: [1, 2, 3, 4, 5, 6, 7], sampleWeight: [1, 1, 2, 0], labelSmoothing: 0.1, temperature: 2 }]],
      ['softmaxCrossEntropy', [flat(X, d), flat(X.map(() => [1, 0, 0, 0, 0, 0, 0]), d), { classes: 7, labelSmoothing: 0.2 }]],
      ['categoricalCrossEntropy', [rows([[0, 1, 0], [0.2, 0.3, 0.5]], d), [1, 2], { eps: 1e-3 }]],
      ['categoricalCrossEntropy', [rows([[2, 1, 1], [1, 1, 2]], d), [1, 2], { normalize: true }]],
      ['nllLoss', [rows([[-1, -2], [-0.5, -3]], d), [0, 1]]],
      ['binaryCrossEntropy', [flat(P, d), [1, 0, 1, 0, 1, 1], { classes: 3, eps: 0.1, weight: [1, 2, 3], labelSmoothing: 0.1 }]],
      ['sigmoidCrossEntropy', [rows(X, d), X.map((r) => r.map((v) => (v > 0 ? 1 : 0))), { posWeight: [1, 2, 3, 4, 5, 6, 7] }]],
      ['softmax', [rows(X, d), { temperature: 0.5 }]],
      ['logSoftmax', [flat(X, d), { classes: 7 }]],
      ['logSumExp', [vec(X[1], d)]],
      ['entropy', [rows([[2, 2], [1, 3]], d), { normalize: true }]],
      ['crossEntropy', [rows(P, d), rows([[0, 0.5, 0.5], [0.3, 0.3, 0.4]], d), { eps: 1e-6 }]],
      ['klDivergence', [rows(P, d), rows([[1, 1, 2], [1, 1, 1]], d), { normalize: true }]],
      ['klDivergence', [flat(P, d), flat([[0.5, 0.25, 0.25], P[0]], d), { classes: 3 }]],
      ['jsDivergence', [rows(P, d), rows(P, d)]],
      ['information', [vec([0.5, 0.25], d)]],
      ['binaryEntropy', [vec([0.5, 0.25], d)]],
      ['perplexity', [rows(X, d), [0, 1, 2, 3]]],
    ];
    for (const [fn, args] of cases) {
      const before = snapshot(args);
      (xent as any)[fn](...args);
      expect(args, fn).toEqual(before);
    }
  });
});

describeBackendsDtypes('klDivergence validation', (_b, d) => {
  // klDivergence and entropy(p, q) may validate within the kernel's pass (the js backend does); jsDivergence always
  // validates before its kernel. The same input must fail the same way on every path: code, argument, index, value.
  const P = [[0.25, 0.25, 0.5], [0.125, 0.375, 0.5]];
  const Q = [[0.5, 0.25, 0.25], [0.25, 0.25, 0.5]];
  const failure = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return `${(e as XentError).code}: ${(e as Error).message}`;
    }
    return 'no error';
  };
  const set = (x: number[][], r: number, c: number, v: number): number[][] =>
    x.map((row, i) => (i === r ? row.map((u, j) => (j === c ? v : u)) : [...row]));
  const tiny = 2 ** -100; // exact in both dtypes; far below either tolerance
  const over = 1 + 2 ** -20; // exact in both dtypes; a row [over, 0, 0] sums to 1 within either tolerance
  const cases: [string, number[][], number[][], string][] = [
    ['NaN in p', set(P, 1, 2, NaN), Q, 'NON_FINITE: p[1][2] is NaN'],
    ['NaN in q', P, set(Q, 0, 1, NaN), 'NON_FINITE: q[0][1] is NaN'],
    ['NaN after a value > 1 in its row', set(set(P, 1, 0, 1.5), 1, 2, NaN), Q, 'NON_FINITE: p[1][2] is NaN'],
    ['negative in p', set(P, 0, 1, -0.25), Q, 'INVALID_PROBABILITY: p[0][1] is -0.25; probabilities must be in [0, 1]'],
    ['tiny negative in q', P, set(set(Q, 1, 0, -tiny), 1, 2, 0.75),
      `INVALID_PROBABILITY: q[1][0] is ${-tiny}; probabilities must be in [0, 1]`],
    ['> 1 in p, row sum within tolerance', set([[over, 0, 0], P[1]], 0, 1, 0), Q,
      `INVALID_PROBABILITY: p[0][0] is ${over}; probabilities must be in [0, 1]`],
    ['> 1 in q', P, set(Q, 1, 1, 1.5), 'INVALID_PROBABILITY: q[1][1] is 1.5; probabilities must be in [0, 1]'],
    ['Infinity in q', P, set(Q, 0, 0, Infinity), 'INVALID_PROBABILITY: q[0][0] is Infinity; probabilities must be in [0, 1]'],
    ['-Infinity in p', set(P, 1, 1, -Infinity), Q, 'INVALID_PROBABILITY: p[1][1] is -Infinity; probabilities must be in [0, 1]'],
    ['row sum of p', set(P, 1, 0, 0.625), Q, 'INVALID_PROBABILITY: p[1] sums to 1.5, not 1'],
    ['row sum of q', P, set(Q, 1, 2, 0), 'INVALID_PROBABILITY: q[1] sums to 0.5, not 1'],
    ["p's row sum before q's NaN in an earlier row", set(P, 1, 0, 0.625), set(Q, 0, 0, NaN), 'INVALID_PROBABILITY: p[1] sums to 1.5'],
    ["p's values before q's", set(P, 1, 1, -0.25), set(Q, 0, 0, 1.5), 'INVALID_PROBABILITY: p[1][1] is -0.25'],
    ['-0 is 0', [[-0, 0.5, 0.5], P[1]], [[-0, 0.25, 0.75], Q[1]], 'no error'],
  ];
  it.each(cases)('%s', (_title, p, q, expected) => {
    const kl = failure(() => klDivergence(rows(p, d) as any, rows(q, d)));
    expect(kl.startsWith(expected), kl).toBe(true);
    expect(failure(() => klDivergence(flat(p, d) as any, flat(q, d), { classes: 3 }))).toBe(kl);
    expect(failure(() => entropy(rows(p, d) as any, rows(q, d)))).toBe(kl);
    expect(failure(() => jsDivergence(rows(p, d) as any, rows(q, d)))).toBe(kl);
    // One vector: the index without the row.
    const one = failure(() => klDivergence(vec(p[1], d) as any, vec(q[1], d)));
    expect(one).toBe(failure(() => jsDivergence(vec(p[1], d) as any, vec(q[1], d))));
  });

  it('row sums at the edge of the tolerance pass or fail as on the validate-first path', () => {
    const rand = prng(7);
    const tol = d === 'Float32Array' ? 1e-4 : 1e-6;
    let failures = 0;
    for (let t = 0; t < 200; t++) {
      const row = (): number[] => {
        const w = Array.from({ length: 7 }, () => rand() + 0.01);
        const s = w.reduce((a, b) => a + b) / (1 + tol * (2 * rand() - 1) * 1.02);
        return w.map((v) => v / s);
      };
      const p = [row(), row()];
      const q = [row(), row()];
      const kl = failure(() => klDivergence(rows(p, d) as any, rows(q, d)));
      expect(kl).toBe(failure(() => jsDivergence(rows(p, d) as any, rows(q, d))));
      if (kl !== 'no error') failures++;
    }
    expect(failures).toBeGreaterThan(0); // both outcomes were exercised
    expect(failures).toBeLessThan(200);
  });

  it("p's values are reported before q's shape, as when validation comes first", () => {
    const bad = rows(set(P, 0, 2, NaN), d) as any;
    expect(failure(() => klDivergence(bad, rows([Q[0]], d)))).toBe('NON_FINITE: p[0][2] is NaN');
    expect(failure(() => klDivergence(bad, 'q' as any))).toBe('NON_FINITE: p[0][2] is NaN');
    expectXent(() => klDivergence(rows(P, d) as any, rows([Q[0]], d)), 'SHAPE_MISMATCH', 'q');
  });
});
