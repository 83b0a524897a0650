// WebAssembly memory at its limits: addresses at and above 2 GiB (up to wasm32's 4 GiB), OUT_OF_MEMORY past the
// limit or the cap with the instance and earlier allocations still usable, and stale views (detached by memory
// growth, also across an await and a switch of backend) refused with INVALID_TYPE on every backend, never read as
// empty arrays.
import { describe, expect, it } from 'vitest';
import {
  Evaluator, LanguageModelEvaluator, allocate, backend, init, logSumExp, scoreTokens, sigmoidCrossEntropy, softmax,
  softmaxCrossEntropy, softmaxCrossEntropyWithGrad, XentError,
} from '../src/index.js';
import { kernels } from '../src/backend/select.js';
import type { WasmKernels } from '../src/backend/wasm.js';
import { describeBackends, expectXent, prng } from './helpers.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Bit-identical arrays (a plain loop: vitest's deep equality is slow on a million elements). */
function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function logits(n: number, seed: number): Float32Array {
  const r = prng(seed);
  return Float32Array.from({ length: n }, () => 6 * r() - 3);
}

/** The code of what `f` throws (or 'none'); the error itself must be a XentError. */
function codeOf(f: () => unknown): string {
  try {
    f();
    return 'none';
  } catch (e) {
    expect(e).toBeInstanceOf(XentError);
    return (e as XentError).code;
  }
}

/** allocate(), or null where this machine cannot give wasm that much memory (the test is then skipped). */
function tryAllocate(dtype: 'float32' | 'float64', length: number) {
  try {
    return allocate(dtype, length);
  } catch (e) {
    if (e instanceof XentError && e.code === 'OUT_OF_MEMORY') return null;
    throw e;
  }
}

describe('wasm memory above 2 GiB', () => {
  it('allocations and copied batches at addresses past 2^31 work; past 4 GiB is OUT_OF_MEMORY, and everything recovers', async (ctx) => {
    await init({ backend: 'wasm' }); // a fresh instance: its memory is dropped with it at the end
    const rows = 512;
    const cols = 1000; // 2 MB of float32: the copied batch fills a whole arena window
    const x = logits(rows * cols, 1);
    const y = Int32Array.from({ length: rows }, (_, i) => (i * 7) % cols);
    const before = softmaxCrossEntropy(x, y, { classes: cols, reduction: 'none' });
    const big = tryAllocate('float32', (2 * GiB + 64 * MiB) / 4);
    if (big === null) return ctx.skip();
    const k = kernels() as WasmKernels;
    expect(k.buffer().byteLength).toBeGreaterThan(2 * GiB);
    // the last element of the big block, above 2 GiB, holds what is written there
    const last = big.length - 1;
    big.view()[last] = 0.25;
    expect(big.view()[last]).toBe(0.25);

    // a copied batch now streams through an arena above 2 GiB: the same bits as before
    expect(softmaxCrossEntropy(x, y, { classes: cols, reduction: 'none' })).toEqual(before);
    // a zero-copy array placed above 2 GiB is read in place (its pointer is past 2^31)
    const small = allocate('float32', rows * cols);
    expect(small.view().byteOffset).toBeGreaterThan(2 * GiB);
    small.view().set(x);
    expect(softmaxCrossEntropy(small.view(), y, { classes: cols, reduction: 'none' })).toEqual(before);
    const g = softmaxCrossEntropyWithGrad(small.view(), y, { classes: cols });
    expect(same(g.grad, softmaxCrossEntropyWithGrad(x, y, { classes: cols }).grad)).toBe(true);
    const scored = scoreTokens(small.view(), y, { classes: cols, topK: 3 });
    const copied = scoreTokens(x, y, { classes: cols, topK: 3 });
    expect(same(scored.logprob, copied.logprob) && same(scored.topLogprobs!, copied.topLogprobs!)).toBe(true);

    // past wasm32's 4 GiB: OUT_OF_MEMORY, nothing lost, the next call right
    expect(codeOf(() => allocate('float32', GiB))).toBe('OUT_OF_MEMORY');
    expect(codeOf(() => allocate('float64', 2 ** 40))).toBe('OUT_OF_MEMORY');
    expect(same(small.view(), x)).toBe(true);
    expect(big.view()[last]).toBe(0.25);
    expect(softmaxCrossEntropy(small.view(), y, { classes: cols, reduction: 'none' })).toEqual(before);
    small.free();
    big.free();
    await init({ backend: 'wasm' });
  });

  it('under a maxMemory cap above 2 GiB: the block fits, the next one is OUT_OF_MEMORY naming the cap', async (ctx) => {
    await init({ backend: 'wasm', maxMemory: 2 * GiB + 128 * MiB });
    const big = tryAllocate('float64', (2 * GiB) / 8);
    if (big === null) {
      await init({ backend: 'wasm' });
      return ctx.skip();
    }
    big.view()[big.length - 1] = -3;
    let thrown: unknown;
    try {
      allocate('float32', 64 * MiB);
    } catch (e) {
      thrown = e;
    }
    expect((thrown as XentError).code).toBe('OUT_OF_MEMORY');
    expect((thrown as XentError).message).toMatch(/cap/);
    expect(big.view()[big.length - 1]).toBe(-3);
    expect(logSumExp([1, 2, 3])).toBeCloseTo(3.40760596444438, 14);
    big.free();
    await init({ backend: 'wasm' });
  });

  it('a cap beyond 4 GiB is wasm32\'s 4 GiB: a larger allocation fails at once, without growing memory', async () => {
    await init({ backend: 'wasm', maxMemory: 2 ** 50 });
    const k = kernels() as WasmKernels;
    const size = k.buffer().byteLength;
    expect(codeOf(() => allocate('float32', 2 ** 31))).toBe('OUT_OF_MEMORY');
    expect(k.buffer().byteLength).toBe(size);
    expect(softmax([0, 0])).toEqual(new Float64Array([0.5, 0.5]));
    await init({ backend: 'wasm' });
  });
});

/** A typed array whose buffer is detached (as memory growth leaves a view of wasm memory). */
function detachedLike<T extends Float32Array | Float64Array | Int32Array | Uint16Array>(a: T): T {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
  expect(a.length).toBe(0);
  return a;
}

describeBackends('a stale view (its buffer detached)', () => {
  it('is INVALID_TYPE in every argument position, never read as an empty array', () => {
    const stale32 = () => detachedLike(new Float32Array(6));
    const stale64 = () => detachedLike(new Float64Array(6));
    const cases: [string, () => unknown][] = [
      ['logits', () => softmaxCrossEntropy(stale32(), [0, 1], { classes: 3 })],
      ['a row', () => softmaxCrossEntropy([new Float64Array([1, 2]), stale64()], [0, 1])],
      ['labels', () => softmaxCrossEntropy([[1, 2], [3, 4]], detachedLike(new Int32Array(2)))],
      ['float labels', () => softmaxCrossEntropy([[1, 2], [3, 4]], stale64())],
      ['target', () => sigmoidCrossEntropy(new Float64Array(6), stale64())],
      ['weight', () => softmaxCrossEntropy([[1, 2], [3, 4]], [0, 1], { weight: stale64() })],
      ['sampleWeight', () => softmaxCrossEntropy([[1, 2], [3, 4]], [0, 1], { sampleWeight: stale64() })],
      ['b', () => logSumExp([1, 2], { b: stale64() })],
      ['softmax', () => softmax(stale32(), { classes: 3 })],
      ['out', () => softmaxCrossEntropyWithGrad(new Float64Array(6), [0, 1], { classes: 3, out: stale64() })],
      ['half-precision bits', () => softmaxCrossEntropy(detachedLike(new Uint16Array(6)), [0, 1], { classes: 3, dtype: 'float16' })],
      ['scoreTokens logits', () => scoreTokens(stale32(), [0, 1], { classes: 3 })],
      ['scoreTokens targets', () => scoreTokens([[1, 2], [3, 4]], detachedLike(new Int32Array(2)))],
      ['scoreTokens sequenceIds', () => scoreTokens([[1, 2], [3, 4]], [0, 1], { sequenceIds: detachedLike(new Int32Array(2)) })],
      ['LanguageModelEvaluator.update', () => new LanguageModelEvaluator({ classes: 3 }).update(stale32(), [0, 1])],
    ];
    for (const [what, f] of cases) {
      let thrown: unknown;
      try {
        f();
      } catch (e) {
        thrown = e;
      }
      expect(thrown, what).toBeInstanceOf(XentError);
      expect((thrown as XentError).code, what).toBe('INVALID_TYPE');
      expect((thrown as XentError).message, what).toMatch(/view\(\) again/);
    }
  });

  it('an Evaluator refuses it and counts nothing', () => {
    const ev = new Evaluator({ classes: 3 });
    expectXent(() => ev.update(detachedLike(new Float32Array(6)), [0, 1]), 'INVALID_TYPE', 'view() again');
    expectXent(() => ev.update(detachedLike(new Float32Array(0)), []), 'INVALID_TYPE', 'detached');
    expect(ev.result().count).toBe(0);
    ev.update(new Float32Array(6), [0, 1]);
    expect(ev.result().count).toBe(2);
  });

  it('an empty array that is not detached is still an empty input', () => {
    expect(softmaxCrossEntropy(new Float32Array(0), new Int32Array(0), { classes: 3 })).toBeNaN();
  });
});

describe('stale views of wasm memory', () => {
  const n = 3000;
  const x = logits(n, 2);
  const labels = Int32Array.from({ length: n / 3 }, (_, i) => i % 3);

  it('after memory grew, also across an await: INVALID_TYPE; a fresh view() gives the value', async () => {
    await init({ backend: 'wasm' });
    const X = allocate('float32', n);
    X.view().set(x);
    const stale = X.view();
    const grow = async () => {
      await Promise.resolve();
      return allocate('float32', 16 * MiB); // more than the arena held: memory grows, old views detach
    };
    const other = await grow();
    expectXent(() => softmaxCrossEntropy(stale, labels, { classes: 3 }), 'INVALID_TYPE', 'view() again');
    const ev = new Evaluator({ classes: 3 });
    expectXent(() => ev.update(stale, labels), 'INVALID_TYPE', 'view() again');
    expect(ev.result().count).toBe(0);
    expect(softmaxCrossEntropy(X.view(), labels, { classes: 3 })).toBe(softmaxCrossEntropy(x, labels, { classes: 3 }));
    other.free();
    X.free();
  });

  it('after switching backends with init(): a stale view is refused by the TypeScript backend too; a fresh one is read', async () => {
    await init({ backend: 'wasm' });
    const X = allocate('float32', n);
    X.view().set(x);
    const stale = X.view();
    const other = allocate('float32', 16 * MiB);
    await init({ backend: 'js' });
    expect(backend()).toBe('js');
    expectXent(() => softmaxCrossEntropy(stale, labels, { classes: 3 }), 'INVALID_TYPE', 'view() again');
    // the array itself still lives in the old instance's memory: a fresh view is copied like any Float32Array
    const want = softmaxCrossEntropy(x, labels, { classes: 3 });
    expect(softmaxCrossEntropy(X.view(), labels, { classes: 3 })).toBe(want);
    await init({ backend: 'wasm' }); // a new instance: the old array is still readable (copied in)
    expect(softmaxCrossEntropy(X.view(), labels, { classes: 3 })).toBeCloseTo(want, 6);
    other.free();
    X.free();
  });
});
