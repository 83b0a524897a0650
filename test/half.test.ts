/**
 * Half precision, every public function: each takes its logits, probabilities, targets, p and q, y and dy as a
 * Float16Array (where the runtime has one), a Uint16Array of float16 bits or one of bfloat16 bits, and answers
 * exactly what it answers for a Float32Array of the decoded values (half computes as float32), which the float64
 * references then check; and the errors half input can raise.
 */
import { expect, it } from 'vitest';
import * as x from '../src/index.js';
import { describeBackends, expectClose, expectXent } from './helpers.js';
import * as ref from './reference.js';
import {
  Float16, KINDS, SPECIAL, binaryBits, decode, decodeAll, distributionBits, encode, logitBits, rowsOf, unitBits,
} from './half-data.js';

const R = 5;
const C = 37; // odd: vector tails
const labels = [0, 36, -100, 17, 5];
const counted = [0, 36, 2, 17, 5];
const weight = Array.from({ length: C }, (_, j) => 0.5 + (j % 3));

/** A function called once with half input (h wraps each half argument) and once with the decoded values. */
interface Case {
  name: string;
  run(h: (bits: Uint16Array) => unknown, o: object): unknown;
}

/** Results compared exactly: numbers and typed arrays by Object.is, objects field by field. */
function plain(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, w]) => [k, plain(w)]));
  return v;
}

function casesFor(format: 'float16' | 'bfloat16'): { cases: Case[]; inputs: Record<string, Uint16Array> } {
  const L = logitBits(R, C, format, 1);
  const P = distributionBits(R, C, format, 2);
  const Q = distributionBits(R, C, format, 3).map((h, i) => (h === 0 && i % 2 ? encode(2 ** -13, format) : h));
  const T = distributionBits(R, C, format, 4);
  const B = unitBits(R, C, format, 5);
  const BT = binaryBits(R, C, format, 6);
  const plainL = logitBits(R, C, format, 7, false);
  const LQ = Q.map((h) => encode(Math.log(decode(h, format)), format)); // log q (log 0 = -Infinity)
  const inputs = { L, P, Q, LQ, T, B, BT, plainL };
  const c = { classes: C };
  const none = { classes: C, reduction: 'none' } as const;
  const tol = { tolerance: 1e-2 }; // Q is smoothed below: its rows no longer sum to 1 exactly
  const A = x as unknown as Record<string, (...a: unknown[]) => unknown>;
  const f = (name: string, ...args: ((h: (b: Uint16Array) => unknown, o: object) => unknown)[]): Case => ({
    name, run: (h, o) => A[name](...args.map((a) => a(h, o))),
  });
  const arg = (b: Uint16Array) => (h: (b: Uint16Array) => unknown) => h(b);
  const opt = (extra: object) => (_h: unknown, o: object) => ({ ...extra, ...o });
  const val = (v: unknown) => () => v;
  const cases: Case[] = [
    f('logSumExp', arg(L), opt(c)),
    f('logSumExp', arg(L), opt({ ...c, b: weight, returnSign: true, temperature: 3 })),
    f('softmax', arg(L), opt({ ...c, temperature: 2 })),
    f('logSoftmax', arg(L), opt(c)),
    f('softmaxCrossEntropy', arg(L), val(labels), opt({ ...none, ignoreIndex: -100 })),
    f('softmaxCrossEntropy', arg(L), val(labels), opt({ ...c, ignoreIndex: -100, labelSmoothing: 0.1, weight })),
    f('softmaxCrossEntropy', arg(L), arg(T), opt({ ...none, weight })),
    f('softmaxCrossEntropy', arg(L), val(decodeAll(T, format)), opt(none)),
    f('categoricalCrossEntropy', arg(P), val(counted), opt({ ...none, eps: 1e-7 })),
    f('categoricalCrossEntropy', arg(P), arg(T), opt({ ...c, labelSmoothing: 0.2 })),
    f('categoricalCrossEntropy', arg(Q), val(counted), opt({ ...c, normalize: true, compat: 'keras' })),
    f('nllLoss', arg(plainL), val(labels), opt({ ...none, ignoreIndex: -100, labelSmoothing: 0.2 })),
    f('nllLoss', arg(plainL), arg(T), opt(c)),
    f('perplexity', arg(plainL), val(labels), opt({ ...c, ignoreIndex: -100 })),
    f('binaryCrossEntropy', arg(B), arg(BT), opt({ ...none, labelSmoothing: 0.1 })),
    f('binaryCrossEntropy', arg(B), arg(BT), opt({ ...c, compat: 'tfjs' })),
    f('binaryCrossEntropy', arg(B), arg(BT), opt({ ...c, compat: 'torch' })),
    f('sigmoidCrossEntropy', arg(plainL), arg(BT), opt({ ...none, posWeight: weight })),
    f('entropy', arg(P), opt(none)),
    f('entropy', arg(P), arg(Q), opt({ ...c, ...tol })),
    f('crossEntropy', arg(P), arg(Q), opt({ ...none, ...tol })),
    f('crossEntropy', arg(P), arg(Q), opt({ ...c, ...tol, compat: 'keras' })),
    f('klDivergence', arg(P), arg(Q), opt({ ...none, ...tol })),
    f('klDivergence', arg(P), arg(Q), opt({ ...c, ...tol, compat: 'tfjs' })),
    f('klDivergence', arg(P), arg(Q), opt({ ...none, compat: 'torch' })),
    f('klDivergence', arg(P), arg(LQ), opt({ ...c, ...tol, logQ: true, sampleWeight: [1, 2, 0, 1, 0.5] })),
    f('relEntr', arg(P), arg(Q), opt({ base: 2 })),
    f('jsDivergence', arg(P), arg(Q), opt({ ...none, ...tol })),
    f('jsDistance', arg(P), arg(Q), opt({ ...c, ...tol, base: 2 })),
    f('information', arg(B.subarray(0, C)), opt({})),
    f('binaryEntropy', arg(B), opt({ base: 2 })),
    f('binaryFocalCrossEntropy', arg(plainL), arg(BT), opt({ ...none, from: 'logits', classBalancing: true })),
    f('binaryFocalCrossEntropy', arg(B), arg(BT), opt({ ...c, gamma: 1.5 })),
    f('categoricalFocalCrossEntropy', arg(P), val(labels), opt({ ...none, ignoreIndex: -100 })),
    f('categoricalFocalCrossEntropy', arg(L), arg(T), opt({ ...c, from: 'logits' })),
    f('brierScore', arg(P), val(counted), opt(none)),
    f('brierScore', arg(B), arg(BT), opt({})),
    f('calibrationError', arg(P), val(counted), opt({ ...c, bins: 10 })),
    f('calibrationError', arg(B), arg(BT), opt({ norm: 'l2' })),
    f('softmaxCrossEntropyWithGrad', arg(L), val(labels), opt({ ...c, ignoreIndex: -100, weight })),
    f('softmaxCrossEntropyWithGrad', arg(L), arg(T), opt({ ...none, temperature: 2 })),
    f('sigmoidCrossEntropyWithGrad', arg(plainL), arg(BT), opt(c)),
    f('klDivergenceWithGrad', arg(P), arg(plainL), opt({ ...c, reduction: 'batchmean' })),
    f('softmaxBackward', arg(P), arg(plainL), opt(c)),
    f('logSoftmaxBackward', arg(plainL), arg(B), opt({ ...c, temperature: 0.5 })),
    {
      name: 'Evaluator.update (logits, probs, multi-label)',
      run: (h, o) => [
        new x.Evaluator({ classes: C, ignoreIndex: -100, topK: 3 }).update(h(L) as Float32Array, labels, o).result(),
        new x.Evaluator({ classes: C, from: 'probs' }).update(h(P) as Float32Array, counted, o).result(),
        new x.Evaluator({ classes: C, multiLabel: true }).update(h(plainL) as Float32Array, h(BT) as Float32Array, o).result(),
      ],
    },
  ];
  return { cases, inputs };
}

describeBackends('half-precision input', () => {
  for (const kind of KINDS) {
    const { cases, inputs } = casesFor(kind.format);
    it(`${kind.name}: every function answers as for a Float32Array of the decoded values`, () => {
      const half = (b: Uint16Array) => kind.make(b);
      const f32 = (b: Uint16Array) => decodeAll(b, kind.format);
      for (const c of cases) {
        const snapshot = Object.values(inputs).map((b) => b.slice());
        const got = c.run(half, kind.opts);
        expect(plain(got), c.name).toEqual(plain(c.run(f32, {})));
        Object.values(inputs).forEach((b, i) => expect(b, `${c.name} wrote its input`).toEqual(snapshot[i]));
      }
    });

    it(`${kind.name}: against the float64 references of the decoded values (float32 bounds)`, () => {
      const { L, P, Q, B, BT } = inputs;
      const h = kind.make;
      const o = { classes: C, reduction: 'none', ...kind.opts } as const;
      const l = rowsOf(decodeAll(L, kind.format), C);
      const p = rowsOf(decodeAll(P, kind.format), C);
      const q = rowsOf(decodeAll(Q, kind.format), C);
      expectClose(x.logSumExp(h(L) as Uint16Array, { classes: C, ...kind.opts }), l.map((r) => ref.logSumExp(r)), 1e-6, 0, 'logSumExp');
      const sm = x.softmax(h(L) as Uint16Array, { classes: C, ...kind.opts });
      expect(sm).toBeInstanceOf(Float32Array);
      expectClose(sm, l.flatMap((r) => ref.softmax(r)), 1e-6 * 8, 1e-37, 'softmax');
      expectClose(x.softmaxCrossEntropy(h(L) as Uint16Array, labels, { ...o, ignoreIndex: -100 }),
        ref.softmaxCrossEntropy(l, labels, { ignoreIndex: -100, reduction: 'none' }) as number[], 1e-6, 0, 'softmaxCrossEntropy');
      expectClose(x.entropy(h(P) as Uint16Array, o), p.map((r) => ref.entropy(r)), 1e-6, 0, 'entropy');
      expectClose(x.klDivergence(h(P) as Uint16Array, h(Q) as Uint16Array, { ...o, tolerance: 1e-2 }),
        p.map((r, i) => ref.klDivergence(r, q[i]).value), 1e-6, 1e-6, 'klDivergence');
      const b = decodeAll(B, kind.format);
      const t = decodeAll(BT, kind.format);
      expectClose(x.binaryCrossEntropy(h(B) as Uint16Array, h(BT) as Uint16Array, o),
        Array.from(b, (v, i) => ref.binaryCrossEntropy(v, t[i])), 1e-6, 0, 'binaryCrossEntropy');
    });
  }

  it('empty and single-row half input behave as float32 input', () => {
    for (const kind of KINDS) {
      const none = kind.make(new Uint16Array(0));
      expectXent(() => x.softmax(none as Uint16Array, kind.opts), 'EMPTY_INPUT');
      expect(x.softmaxCrossEntropy(none as Uint16Array, [], { classes: 3, ...kind.opts })).toBeNaN();
      expect(x.softmax(none as Uint16Array, { classes: 3, ...kind.opts })).toEqual(new Float32Array(0));
      const one = logitBits(1, 9, kind.format, 3);
      expect(x.softmaxCrossEntropy(kind.make(one) as Uint16Array, 4, kind.opts))
        .toBe(x.softmaxCrossEntropy(decodeAll(one, kind.format), 4));
    }
  });

  it('rows given as an array of half arrays are one batch', () => {
    for (const kind of KINDS) {
      const L = logitBits(3, C, kind.format, 8);
      const rowsIn = [0, 1, 2].map((r) => kind.make(L.slice(r * C, (r + 1) * C)));
      expect(x.softmaxCrossEntropy(rowsIn as Uint16Array[], [1, 2, 3], { reduction: 'none', ...kind.opts }))
        .toEqual(x.softmaxCrossEntropy(decodeAll(L, kind.format), [1, 2, 3], { classes: C, reduction: 'none' }));
    }
  });

  it('a half row sum is held to its format\'s default tolerance (1e-3 float16, 1e-2 bfloat16)', () => {
    const row = [0.3, 0.3, 0.4].map((v) => encode(v, 'bfloat16')); // sums to 1.0009765625 in bfloat16
    const bits = Uint16Array.from(row);
    expect(x.entropy(bits, { dtype: 'bfloat16' })).toBeCloseTo(ref.entropy(Array.from(decodeAll(bits, 'bfloat16'))), 12);
    expectXent(() => x.entropy(decodeAll(bits, 'bfloat16')), 'INVALID_PROBABILITY', 'tolerance 0.0001');
    expectXent(() => x.entropy(bits, { dtype: 'bfloat16', tolerance: 1e-4 }), 'INVALID_PROBABILITY', 'tolerance 0.0001');
  });

  it('errors: how to read a Uint16Array, contradictions, NaN and infinities named by index', () => {
    const bits = logitBits(R, C, 'float16', 2);
    expectXent(() => x.softmax(bits, { classes: C }), 'INVALID_TYPE', 'x is a Uint16Array', "dtype: 'float16' or 'bfloat16'");
    expectXent(() => x.softmax(bits, { classes: C, dtype: 'float32' as 'float16' }), 'INVALID_OPTION', 'dtype must be');
    if (Float16) {
      const f16 = new Float16(bits.buffer, 0, bits.length) as unknown as Uint16Array;
      expectXent(() => x.softmax(f16, { classes: C, dtype: 'bfloat16' }), 'INVALID_OPTION', 'Float16Array');
    }
    expectXent(() => x.softmax([bits.subarray(0, C), new Float32Array(C)], { dtype: 'float16' }), 'INVALID_TYPE', 'x[1]');
    // Integer labels may still come as a Uint16Array, with or without dtype.
    const y = Uint16Array.from([1, 2, 3, 4, 5]);
    expect(x.softmaxCrossEntropy(bits, y, { classes: C, dtype: 'float16' }))
      .toBe(x.softmaxCrossEntropy(decodeAll(bits, 'float16'), [1, 2, 3, 4, 5], { classes: C }));
    for (const format of ['float16', 'bfloat16'] as const) {
      const s = SPECIAL[format];
      const b = logitBits(R, C, format, 3);
      const o = { classes: C, dtype: format };
      b[1 * C + 7] = s.nan;
      expectXent(() => x.softmaxCrossEntropy(b, [1, 2, 3, 4, 5], o), 'NON_FINITE', 'logits[1][7] is NaN');
      expectXent(() => x.logSoftmax(b, o), 'NON_FINITE', 'x[1][7] is NaN');
      expectXent(() => new x.Evaluator({ classes: C }).update(b, [1, 2, 3, 4, 5], { dtype: format }), 'NON_FINITE', 'logits[1][7] is NaN');
      b[1 * C + 7] = s.inf;
      expectXent(() => x.softmaxCrossEntropy(b, [1, 2, 3, 4, 5], o), 'NON_FINITE', 'logits[1][7] is Infinity');
      const p = distributionBits(R, C, format, 4);
      p[2 * C + 5] = encode(1.5, format);
      expectXent(() => x.entropy(p, o), 'INVALID_PROBABILITY', 'p[2][5] is 1.5');
      p[2 * C + 5] = s.nan;
      expectXent(() => x.crossEntropy(p, p, o), 'NON_FINITE', 'p[2][5] is NaN');
    }
  });
});
