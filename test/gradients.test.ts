/**
 * Gradients: central finite differences (Richardson-extrapolated, float64) of the very loss functions the
 * gradients belong to, over every option combination, on random inputs with extreme logits, masked logits and
 * ignored rows; float32 against float64; the published TF.js and PyTorch gradient values; `out`; errors.
 *
 * The finite-difference error is measured normwise per case: max_i |g_i - fd_i| / max_i |fd_i| <= 1e-7.
 */
import { describe, expect, it } from 'vitest';
import {
  klDivergence, klDivergenceWithGrad, logSoftmax, logSoftmaxBackward, sigmoidCrossEntropy,
  sigmoidCrossEntropyWithGrad, softmax, softmaxBackward, softmaxCrossEntropy, softmaxCrossEntropyWithGrad,
} from '../src/index.js';
import { describeBackends, expectClose, expectXent, prng } from './helpers.js';

const ROWS = 4;
const COLS = 5;

/** Richardson-extrapolated central difference of f at every coordinate of x (skipping infinite entries). */
function numericGrad(f: (x: Float64Array) => number, x0: Float64Array): Float64Array {
  const g = new Float64Array(x0.length);
  const x = Float64Array.from(x0);
  const d = (i: number, h: number) => {
    x[i] = x0[i] + h;
    const a = f(x);
    x[i] = x0[i] - h;
    const b = f(x);
    x[i] = x0[i];
    return (a - b) / (2 * h);
  };
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x0[i])) continue;
    const h = 1e-3 * Math.max(1, Math.abs(x0[i]) / 100);
    g[i] = (4 * d(i, h / 2) - d(i, h)) / 3;
  }
  return g;
}

function normwise(g: ArrayLike<number>, ref: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(g[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return scale === 0 ? err : err / scale;
}

const sumOf = (v: number | Float64Array): number => (typeof v === 'number' ? v : v.reduce((a, b) => a + b, 0));

/** Random logits in [-4, 4], with extreme rows: a confident row, ±500 logits, one masked (-Infinity) entry. */
function logitsFor(rnd: () => number, masked: boolean): Float64Array {
  const x = new Float64Array(ROWS * COLS);
  for (let i = 0; i < x.length; i++) x[i] = 8 * rnd() - 4;
  x[COLS + 2] = 40; // row 1: confident in class 2
  x[2 * COLS] = 500; // row 2: huge logits
  x[2 * COLS + 3] = -500;
  if (masked) x[3 * COLS + 4] = -Infinity; // row 3, class 4: masked
  return x;
}

function softTargets(rnd: () => number): Float64Array {
  const t = new Float64Array(ROWS * COLS);
  for (let r = 0; r < ROWS; r++) {
    let s = 0;
    for (let j = 0; j < COLS; j++) s += t[r * COLS + j] = j === 4 && r === 3 ? 0 : rnd();
    for (let j = 0; j < COLS; j++) t[r * COLS + j] /= s;
  }
  return t;
}

const F_BOUND = 1e-7;
const F32_BOUND = 1e-5;

describeBackends('softmaxCrossEntropyWithGrad', () => {
  const rnd = prng(7);
  const labelsPlain = [0, 2, 1, 3];
  const labelsIgnored = [0, -100, 1, 3];
  const weight = [0.5, 2, 1, 0, 1.5];
  const sampleWeight = [1, 0.25, 2, 3];
  let worst = 0;
  const cases: Record<string, unknown>[] = [];
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    for (const w of [false, true]) {
      for (const sw of [false, true]) {
        for (const labelSmoothing of [0, 0.1]) {
          for (const temperature of [1, 2.5]) {
            for (const target of ['labels', 'ignored', 'dense'] as const) {
              for (const compat of ['exact', 'torch', 'keras'] as const) {
                if (compat !== 'exact' && (temperature !== 1 || labelSmoothing !== 0)) continue;
                cases.push({ reduction, w, sw, labelSmoothing, temperature, target, compat });
              }
            }
          }
        }
      }
    }
  }

  it(`matches central differences to ${F_BOUND} (normwise) over ${cases.length} option combinations`, () => {
    for (const c of cases) {
      const dense = c.target === 'dense';
      const x = logitsFor(rnd, true);
      const target = dense ? softTargets(rnd) : c.target === 'ignored' ? labelsIgnored : labelsPlain;
      const opts: Record<string, unknown> = {
        classes: COLS, reduction: c.reduction, labelSmoothing: c.labelSmoothing, temperature: c.temperature,
        compat: c.compat, ...(c.w ? { weight } : {}), ...(c.sw ? { sampleWeight } : {}),
      };
      if (c.target === 'ignored') opts.ignoreIndex = -100;
      // Masked class 4 of row 3 must carry no target mass: label 3 there; weight[4] = 1.5 with smoothing would make
      // the loss infinite, so smoothing cases unmask it.
      if (c.labelSmoothing !== 0 || dense) x[3 * COLS + 4] = -2;
      const { loss, grad } = softmaxCrossEntropyWithGrad(x, target, opts as never);
      const f = (z: Float64Array) => sumOf(softmaxCrossEntropy(z, target as never, opts as never) as number | Float64Array);
      expectClose(sumOf(loss as number | Float64Array), f(x), 1e-13, 0, `loss ${JSON.stringify(c)}`);
      const fd = numericGrad(f, x);
      const e = normwise(grad, fd);
      worst = Math.max(worst, e);
      expect(e, JSON.stringify(c)).toBeLessThanOrEqual(F_BOUND);
      if (c.target === 'ignored') for (let j = COLS; j < 2 * COLS; j++) expect(grad[j]).toBe(0);
      if (!Number.isFinite(x[3 * COLS + 4])) expect(grad[3 * COLS + 4]).toBe(0);
      // float32: the same values rounded, against float64 on those values.
      const x32 = Float32Array.from(x);
      const t32 = dense ? Float32Array.from(target as Float64Array) : target;
      const g32 = softmaxCrossEntropyWithGrad(x32, t32 as never, opts as never).grad;
      expect(g32).toBeInstanceOf(Float32Array);
      const g64 = softmaxCrossEntropyWithGrad(Float64Array.from(x32), dense ? Float64Array.from(t32 as Float32Array) : target, opts as never).grad;
      expect(normwise(g32, g64), `f32 ${JSON.stringify(c)}`).toBeLessThanOrEqual(F32_BOUND);
    }
    console.log(`softmaxCrossEntropyWithGrad: worst normwise FD error ${worst.toExponential(2)}`);
  });

  it('keeps the tiny gradient of a confident row accurate elementwise', () => {
    const x = [30, 0, -5];
    const { grad } = softmaxCrossEntropyWithGrad(x, 0);
    const S = 1 + Math.exp(-30) + Math.exp(-35);
    expectClose(grad, [-(Math.exp(-30) + Math.exp(-35)) / S, Math.exp(-30) / S, Math.exp(-35) / S], 1e-14);
  });

  it('writes into out and returns it; out may be the logits themselves', () => {
    const x = Float64Array.from([1, 2, 3, 4, 0, -1]);
    const out = new Float64Array(6);
    const r = softmaxCrossEntropyWithGrad(x, [2, 0], { classes: 3, out });
    expect(r.grad).toBe(out);
    const expected = softmaxCrossEntropyWithGrad(x, [2, 0], { classes: 3 }).grad;
    expectClose(out, expected, 0, 0);
    const y = Float64Array.from(x);
    const inPlace = softmaxCrossEntropyWithGrad(y, [2, 0], { classes: 3, out: y });
    expect(inPlace.grad).toBe(y);
    expectClose(y, expected, 1e-15, 1e-17);
    const yd = Float64Array.from(x);
    const dense = softmaxCrossEntropyWithGrad(yd, [0.2, 0.3, 0.5, 1, 0, 0], { classes: 3, out: yd });
    expectClose(dense.grad, softmaxCrossEntropyWithGrad(x, [0.2, 0.3, 0.5, 1, 0, 0], { classes: 3 }).grad, 1e-15, 1e-17);
  });

  it('rejects a bad out, bad shapes and NaN', () => {
    const x = Float64Array.from([1, 2, 3, 4, 0, -1]);
    expectXent(() => softmaxCrossEntropyWithGrad(x, [2, 0], { classes: 3, out: new Float32Array(6) }), 'INVALID_TYPE', 'out');
    expectXent(() => softmaxCrossEntropyWithGrad(x, [2, 0], { classes: 3, out: new Float64Array(5) }), 'SHAPE_MISMATCH', 'out');
    expectXent(() => softmaxCrossEntropyWithGrad(x, [2, 0, 1], { classes: 3 }), 'SHAPE_MISMATCH');
    expectXent(() => softmaxCrossEntropyWithGrad(x, [3, 0], { classes: 3 }), 'LABEL_OUT_OF_RANGE');
    expectXent(() => softmaxCrossEntropyWithGrad([1, NaN, 0], 0), 'NON_FINITE', 'logits[1]');
    expectXent(() => softmaxCrossEntropyWithGrad([1, Infinity, 0], 0), 'NON_FINITE');
    expectXent(() => softmaxCrossEntropyWithGrad([1, 2], 0, { bogus: 1 } as never), 'INVALID_OPTION');
  });

  it('an empty mean gives NaN (PyTorch) or 0 (keras) and a zero gradient', () => {
    const r = softmaxCrossEntropyWithGrad([[1, 2], [3, 4]], [-100, -100], { ignoreIndex: -100 });
    expect(r.loss).toBeNaN();
    expect(Array.from(r.grad)).toEqual([0, 0, 0, 0]);
    expect(softmaxCrossEntropyWithGrad([[1, 2]], [-100], { compat: 'keras', ignoreIndex: -100 }).loss).toBe(0);
  });
});

describeBackends('sigmoidCrossEntropyWithGrad', () => {
  const rnd = prng(11);
  it(`matches central differences to ${F_BOUND} over every option combination`, () => {
    let worst = 0;
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      for (const weight of ['none', 'class', 'full'] as const) {
        for (const sw of [false, true]) {
          for (const pw of [false, true]) {
            for (const labelSmoothing of [0, 0.2]) {
              for (const compat of ['exact', 'torch', 'tfjs'] as const) {
                const x = new Float64Array(ROWS * COLS);
                const t = new Float64Array(ROWS * COLS);
                for (let i = 0; i < x.length; i++) {
                  x[i] = 10 * rnd() - 5;
                  t[i] = i % 3 === 0 ? rnd() : i % 2;
                }
                x[1] = 40; t[1] = 1; x[2] = -500; t[2] = 0; x[3] = 30; t[3] = 0;
                const opts: Record<string, unknown> = { classes: COLS, reduction, labelSmoothing, compat };
                if (weight === 'class') opts.weight = [1, 0.5, 2, 0, 1];
                if (weight === 'full') opts.weight = Array.from({ length: ROWS * COLS }, () => 2 * rnd());
                if (sw) opts.sampleWeight = [1, 2, 0, 0.5];
                if (pw) opts.posWeight = [3, 1, 0.5, 2, 1];
                const { loss, grad } = sigmoidCrossEntropyWithGrad(x, t, opts as never);
                const f = (z: Float64Array) => sumOf(sigmoidCrossEntropy(z, t, opts as never) as number | Float64Array);
                expectClose(sumOf(loss as number | Float64Array), f(x), 1e-13);
                const e = normwise(grad as Float64Array, numericGrad(f, x));
                worst = Math.max(worst, e);
                expect(e, JSON.stringify(opts)).toBeLessThanOrEqual(F_BOUND);
                const g32 = sigmoidCrossEntropyWithGrad(Float32Array.from(x), Float32Array.from(t), opts as never).grad;
                const g64 = sigmoidCrossEntropyWithGrad(Float64Array.from(Float32Array.from(x)),
                  Float64Array.from(Float32Array.from(t)), opts as never).grad;
                expect(normwise(g32 as Float32Array, g64 as Float64Array)).toBeLessThanOrEqual(F32_BOUND);
              }
            }
          }
        }
      }
    }
    console.log(`sigmoidCrossEntropyWithGrad: worst normwise FD error ${worst.toExponential(2)}`);
  });

  it("PyTorch's test_bce_with_logits_with_pos_weight_has_correct_grad_at_zero: 0.5", () => {
    const { grad } = sigmoidCrossEntropyWithGrad([[0], [0], [0]], [[0], [0], [0]], { posWeight: [1], reduction: 'sum' });
    expect(Array.from(grad)).toEqual([0.5, 0.5, 0.5]);
    expect(sigmoidCrossEntropyWithGrad(0, 0, { reduction: 'sum' }).grad).toBe(0.5);
  });

  it('keeps a confident logit\'s tiny gradient, and ±Infinity logits give the limit', () => {
    const { grad } = sigmoidCrossEntropyWithGrad([50, -50, Infinity, -Infinity], [1, 0, 0, 0], { reduction: 'sum' });
    expectClose(grad, [-Math.exp(-50) / (1 + Math.exp(-50)), Math.exp(-50) / (1 + Math.exp(-50)), 1, 0], 1e-15);
  });
});

describeBackends('klDivergenceWithGrad', () => {
  const rnd = prng(5);
  it('matches central differences and klDivergence', () => {
    let worst = 0;
    for (const reduction of ['mean', 'batchmean', 'sum', 'none'] as const) {
      for (const temperature of [1, 3]) {
        const p = softTargets(rnd);
        const z = new Float64Array(ROWS * COLS);
        for (let i = 0; i < z.length; i++) z[i] = 6 * rnd() - 3;
        z[7] = 60;
        const opts = { classes: COLS, reduction, temperature };
        const { loss, grad } = klDivergenceWithGrad(p, z, opts);
        const f = (v: Float64Array) => {
          const q = softmax(v, { classes: COLS, temperature }) as Float64Array;
          return sumOf(klDivergence(p, q, { classes: COLS, reduction }) as number | Float64Array);
        };
        expectClose(sumOf(loss as number | Float64Array), f(z), 1e-12);
        const e = normwise(grad, numericGrad(f, z));
        worst = Math.max(worst, e);
        expect(e).toBeLessThanOrEqual(F_BOUND);
        const g32 = klDivergenceWithGrad(Float32Array.from(p), Float32Array.from(z), opts).grad;
        const g64 = klDivergenceWithGrad(Float64Array.from(Float32Array.from(p)), Float64Array.from(Float32Array.from(z)), opts).grad;
        expect(normwise(g32, g64)).toBeLessThanOrEqual(F32_BOUND);
      }
    }
    console.log(`klDivergenceWithGrad: worst normwise FD error ${worst.toExponential(2)}`);
  });
});

describeBackends('softmaxBackward and logSoftmaxBackward', () => {
  const rnd = prng(3);
  it('are the vector-Jacobian products of softmax and logSoftmax', () => {
    for (const temperature of [1, 0.5]) {
      const x = new Float64Array(ROWS * COLS);
      const dy = new Float64Array(ROWS * COLS);
      for (let i = 0; i < x.length; i++) {
        x[i] = 6 * rnd() - 3;
        dy[i] = 2 * rnd() - 1;
      }
      const o = { classes: COLS, temperature };
      const dot = (a: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * dy[i], 0);
      const fs = (v: Float64Array) => dot(softmax(v, o) as Float64Array);
      const fl = (v: Float64Array) => dot(logSoftmax(v, o) as Float64Array);
      const gs = softmaxBackward(softmax(x, o) as Float64Array, dy, o);
      const gl = logSoftmaxBackward(logSoftmax(x, o) as Float64Array, dy, o);
      expect(normwise(gs, numericGrad(fs, x))).toBeLessThanOrEqual(F_BOUND);
      expect(normwise(gl, numericGrad(fl, x))).toBeLessThanOrEqual(F_BOUND);
      const y32 = softmax(Float32Array.from(x), o) as Float32Array;
      const g32 = softmaxBackward(y32, Float32Array.from(dy), o);
      expect(g32).toBeInstanceOf(Float32Array);
      expect(normwise(g32, softmaxBackward(Float64Array.from(y32), Float64Array.from(Float32Array.from(dy)), o)))
        .toBeLessThanOrEqual(F32_BOUND);
    }
  });

  it("TF.js' log-softmax 1D gradient test: x = [1, 2, 10], dy = [1, 2, 3]", () => {
    const dx = logSoftmaxBackward(logSoftmax([1, 2, 10]) as Float64Array, [1, 2, 3]);
    // TF.js computes in float32 and prints 8 significant digits: agreement to 1e-6 absolute is all they state.
    expectClose(dx, [0.9992599, 1.9979881, -2.9972477], 0, 1e-6);
  });

  it('writes into out; rejects mismatched shapes and NaN', () => {
    const out = new Float64Array(3);
    expect(softmaxBackward([0.2, 0.3, 0.5], [1, 0, 0], { out })).toBe(out);
    expectXent(() => softmaxBackward([0.2, 0.3, 0.5], [1, 0]), 'SHAPE_MISMATCH', 'dy');
    expectXent(() => logSoftmaxBackward([0, NaN], [1, 0]), 'NON_FINITE', 'y[1]');
    expectXent(() => softmaxBackward([0.5, 0.5], [1, 0], { out: new Float32Array(2) }), 'INVALID_TYPE', 'out');
  });
});

describe('gradients agree across backends', () => {
  it('wasm and js give the same gradient to 1e-13', async () => {
    const { init } = await import('../src/index.js');
    const rnd = prng(99);
    const x = new Float64Array(64 * 37);
    for (let i = 0; i < x.length; i++) x[i] = 20 * rnd() - 10;
    const labels = Array.from({ length: 64 }, (_, i) => (i * 7) % 37);
    const opts = { classes: 37, labelSmoothing: 0.05, weight: Array.from({ length: 37 }, (_, j) => 1 + (j % 3)) };
    await init({ backend: 'js' });
    const a = softmaxCrossEntropyWithGrad(x, labels, opts);
    await init({ backend: 'wasm' });
    const b = softmaxCrossEntropyWithGrad(x, labels, opts);
    expectClose(b.loss, a.loss as number, 1e-13);
    expect(normwise(b.grad, a.grad)).toBeLessThanOrEqual(1e-13);
  });
});

describeBackends('float32 softmax cross-entropy gradient on wide rows', () => {
  // The wasm float32 path stores the exps in its summing pass, 32 at a time, then 4, then one by one: widths around
  // those steps, with masked (-Infinity) and far-below-the-max (-1e9) logits, whose gradient must be exactly 0.
  for (const cols of [3, 4, 5, 31, 32, 33, 37, 100, 1000, 1003]) {
    it(`${cols} classes: the loss is softmaxCrossEntropy's, the gradient softmax - onehot, exact zeros where masked`, () => {
      const rows = 6;
      const rnd = prng(cols);
      const x = Float32Array.from({ length: rows * cols }, () => 16 * rnd() - 8);
      const labels = Array.from({ length: rows }, (_, r) => (r * 13 + 1) % cols);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++) {
          if (j !== labels[r] && (r * cols + j) % 7 === 3) x[r * cols + j] = r % 2 ? -Infinity : -1e9;
        }
      }
      const g = softmaxCrossEntropyWithGrad(x, labels, { classes: cols, reduction: 'none' });
      const loss = softmaxCrossEntropy(x, labels, { classes: cols, reduction: 'none' });
      // Each is within the float32 bound (1e-6) of a float64 reference; the fused pass and the loss kernel agree far
      // closer (on the SIMD build the wide rows take the same sum, bit for bit).
      expectClose(g.loss, loss, 1e-8);
      for (let r = 0; r < rows; r++) {
        const z = Array.from(x.subarray(r * cols, (r + 1) * cols), Number);
        const m = Math.max(...z);
        const S = z.reduce((s, v) => s + Math.exp(v - m), 0);
        const ref = z.map((v, j) => Math.exp(v - m) / S - (j === labels[r] ? 1 : 0));
        const got = g.grad.subarray(r * cols, (r + 1) * cols);
        expect(normwise(got, ref), `row ${r}`).toBeLessThanOrEqual(F32_BOUND);
        for (let j = 0; j < cols; j++) if (z[j] < m - 200) expect(got[j], `row ${r} class ${j}`).toBe(0);
      }
    });
  }
});
