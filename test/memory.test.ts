// Zero-copy arrays and the scratch arena: batches written into wasm memory evaluate in place and give the same
// numbers as copied ones; views are re-created after memory grows; big batches stream through the arena.
import { describe, expect, it } from 'vitest';
import {
  allocate, init, klDivergence, logSoftmax, sigmoidCrossEntropy, sigmoidCrossEntropyWithGrad, softmaxCrossEntropy,
  XentError,
} from '../src/index.js';
import { describeBackends, prng as rng } from './helpers.js';

function logits(rows: number, cols: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: rows * cols }, () => 6 * r() - 3);
}

describeBackends('allocate', (b) => {
  it('evaluates an allocated batch in place, equal to the copied batch', () => {
    const rows = 300;
    const cols = 257;
    const x = logits(rows, cols, 7);
    const labels = Array.from({ length: rows }, (_, i) => (i * 31) % cols);
    const batch = allocate('float32', x.length);
    expect(batch.resident).toBe(b !== 'js');
    batch.view().set(x);
    const copied = softmaxCrossEntropy(x, labels, { classes: cols, reduction: 'none' });
    const inPlace = softmaxCrossEntropy(batch.view(), labels, { classes: cols, reduction: 'none' });
    expect(inPlace).toEqual(copied);
    expect(batch.view()).toEqual(x); // read, never written
    batch.free();
  });

  it('survives memory growth: a fresh view after a call that grew memory still holds the data', () => {
    const a = allocate('float64', 1000);
    a.view().set(Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i)));
    const before = Float64Array.from(a.view());
    // A batch bigger than the arena window grows memory (and detaches old views).
    const big = logits(2048, 1000, 3);
    softmaxCrossEntropy(big, new Int32Array(2048), { classes: 1000 });
    const b2 = allocate('float32', 1 << 20); // places another block, growing memory again
    expect(a.view()).toEqual(before);
    expect(sigmoidCrossEntropy(a.view(), new Float64Array(1000))).toBeCloseTo(
      sigmoidCrossEntropy(before, new Float64Array(1000)), 14,
    );
    b2.free();
    a.free();
  });

  it('two resident views in one call: the call does not grow memory under the second while it reads the first', () => {
    const rows = 2048;
    const cols = 1000; // 8 MB each: more than the arena window, so a copy-based call would have grown memory
    const r = rng(5);
    const raw = (n: number) => Float32Array.from({ length: n }, () => r() + 1e-3);
    const normalise = (x: Float32Array) => {
      for (let i = 0; i < rows; i++) {
        const row = x.subarray(i * cols, (i + 1) * cols);
        let s = 0;
        for (const v of row) s += v;
        for (let j = 0; j < cols; j++) row[j] /= s;
      }
      return x;
    };
    const p = normalise(raw(rows * cols));
    const q = normalise(raw(rows * cols));
    const P = allocate('float32', p.length);
    const Q = allocate('float32', q.length);
    P.view().set(p);
    Q.view().set(q);
    const opts = { classes: cols, normalize: true };
    expect(klDivergence(P.view(), Q.view(), opts)).toBe(klDivergence(p, q, opts));
    Q.free();
    P.free();
  });

  it('rejects use after free and bad arguments', () => {
    const a = allocate('float32', 4);
    a.free();
    if (b !== 'js') expect(() => a.view()).toThrow(XentError);
    expect(() => allocate('int8' as 'float32', 4)).toThrow(/dtype/);
    expect(() => allocate('float32', -1)).toThrow(/length/);
  });
});

describe('resident arrays next to copied ones (fresh wasm instance, small memory)', () => {
  const n = 1 << 22; // one 16 MB row: too long to chunk, so each copied companion needs 16 MB of arena
  const r = rng(11);
  const x = Float32Array.from({ length: n }, () => 8 * r() - 4);
  const y = Float32Array.from({ length: n }, () => (r() < 0.5 ? 0 : 1));

  it('a resident row with a copied target and a resident gradient: no growth detaches them, same numbers', async () => {
    await init({ backend: 'wasm' });
    const expected = sigmoidCrossEntropyWithGrad(x, y);
    const X = allocate('float32', n);
    const G = allocate('float32', n);
    X.view().set(x);
    expect(sigmoidCrossEntropy(X.view(), y)).toBe(sigmoidCrossEntropy(x, y));
    const got = sigmoidCrossEntropyWithGrad(X.view(), y, { out: G.view() });
    expect(got.loss).toBe(expected.loss);
    expect(G.view()).toEqual(expected.grad);
    X.free();
    G.free();
  });

  it('a call that grows memory under a resident row still reads it right (its offset is taken first)', async () => {
    await init({ backend: 'wasm' });
    const expected = sigmoidCrossEntropyWithGrad(x, y, { weight: y });
    const X = allocate('float32', n);
    X.view().set(x);
    // Target, per-element weight and gradient all copied: three 16 MB companions, more than allocate() reserved.
    const got = sigmoidCrossEntropyWithGrad(X.view(), y, { weight: y, out: new Float32Array(n) });
    expect(got.loss).toBe(expected.loss);
    expect(got.grad).toEqual(expected.grad);
    X.free();
  });

  it('a stale view (taken before memory grew) is refused with XentError, never read as empty', async () => {
    await init({ backend: 'wasm' });
    const X = allocate('float32', 1024);
    const stale = X.view();
    const big = allocate('float32', n); // grows memory: stale is detached
    expect(stale.length).toBe(0);
    const e = (() => {
      try {
        sigmoidCrossEntropyWithGrad(X.view(), new Float32Array(1024), { out: stale });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(XentError);
    expect((e as XentError).message).toMatch(/detached/);
    big.free();
    X.free();
    await init({ backend: 'wasm' });
  });
});

describe('arena', () => {
  it('a batch far larger than the 512 KiB window gives the same rows as evaluating it in pieces', async () => {
    await init({ backend: 'wasm' });
    const rows = 1500;
    const cols = 1000; // 6 MB of float32: eleven windows and a partial one
    const x = logits(rows, cols, 11);
    const whole = logSoftmax(x, { classes: cols });
    const parts = [logSoftmax(x.subarray(0, 700 * cols), { classes: cols }), logSoftmax(x.subarray(700 * cols), { classes: cols })];
    const joined = new Float32Array(whole.length);
    joined.set(parts[0]);
    joined.set(parts[1], parts[0].length);
    let mismatches = 0; // a manual loop: deep equality of million-element arrays is slow in the test runner
    for (let i = 0; i < whole.length; i++) if (!Object.is(whole[i], joined[i])) mismatches++;
    expect(mismatches).toBe(0);
  });
});
