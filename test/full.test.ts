// The default entries embed the core build of the kernels (assembly/core.ts) and move, once, to the full build of the
// same kind when a function whose kernels the core leaves out is called (fused gradients, the Evaluator's kernel,
// token scoring) or allocate() places an array (src/backend/full.ts): same backend name, same answers bit for bit,
// the memory cap kept; where the full build cannot start, the TypeScript kernels answer and fallbackReason() says so.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Evaluator, allocate, backend, fallbackReason, init, scoreTokens, softmaxCrossEntropy, softmaxCrossEntropyWithGrad,
} from '../src/index.js';
import { full } from '../src/backend/full.js';
import { kernels } from '../src/backend/select.js';
import { WasmKernels } from '../src/backend/wasm.js';
import { AUTO_WASM, RELAXED_MISSING, prng } from './helpers.js';

const CLASSES = 37;
const rand = prng(7);
const logits = Float32Array.from({ length: 5 * CLASSES }, () => 4 * rand() - 2);
const labels = [0, 36, 5, 17, 2];
const wasm = () => kernels() as WasmKernels;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the core build and the full build', () => {
  // First in this file: the full module is compiled once per build and kept.
  it('where the full build cannot be compiled, the TypeScript kernels answer, with the reason', async () => {
    await init({ relaxedSimd: false });
    expect(wasm().core).toBe(true);
    const want = softmaxCrossEntropy(logits, labels, { classes: CLASSES });
    vi.spyOn(WebAssembly, 'Module').mockImplementation(function refuse() {
      throw new Error('compiling refused');
    });
    const g = softmaxCrossEntropyWithGrad(logits, labels, { classes: CLASSES });
    expect(backend()).toBe('js');
    expect(fallbackReason()).toMatch(/full SIMD build: compiling refused/);
    expect(Math.abs((g.loss as number) - want) / want).toBeLessThan(1e-6);
  });

  const builds = [['relaxed-simd', { relaxedSimd: true }], ['simd', { relaxedSimd: false }]] as const;
  for (const [build, options] of builds) {
    it.skipIf(build === 'relaxed-simd' && RELAXED_MISSING !== null)(
      `${build}: a loss runs the core build; a gradient moves to the full one, with the same name and answers`,
      async () => {
        await init(options);
        const core = wasm();
        expect([core.core, core.build]).toEqual([true, build]);
        const name = backend();
        const loss = softmaxCrossEntropy(logits, labels, { classes: CLASSES });
        const loss64 = softmaxCrossEntropy(Float64Array.from(logits), labels, { classes: CLASSES });
        expect(wasm()).toBe(core);
        softmaxCrossEntropyWithGrad(logits, labels, { classes: CLASSES });
        const k = wasm();
        expect([k === core, k.core, k.build, backend()]).toEqual([false, false, build, name]);
        expect(fallbackReason()).toBeNull();
        expect(softmaxCrossEntropy(logits, labels, { classes: CLASSES })).toBe(loss);
        expect(softmaxCrossEntropy(Float64Array.from(logits), labels, { classes: CLASSES })).toBe(loss64);
        expect(full()).toBe(k);
      },
    );
  }

  it('the Evaluator, scoreTokens and allocate() each move to the full build', async () => {
    const triggers: Record<string, () => unknown> = {
      Evaluator: () => new Evaluator({ classes: CLASSES }).update(logits, labels).result(),
      scoreTokens: () => scoreTokens(logits, labels, { classes: CLASSES }),
      allocate: () => allocate('float32', 16),
    };
    for (const [name, call] of Object.entries(triggers)) {
      await init();
      expect(wasm().core, name).toBe(true);
      call();
      expect(wasm().core, name).toBe(false);
      expect(backend(), name).toBe(AUTO_WASM);
    }
  });

  it('arrays from allocate() stay usable: they live in the full build, which later calls keep', async () => {
    await init();
    const a = allocate('float32', logits.length);
    a.view().set(logits);
    const k = wasm();
    const want = softmaxCrossEntropyWithGrad(logits, labels, { classes: CLASSES }).loss;
    expect(softmaxCrossEntropyWithGrad(a.view(), labels, { classes: CLASSES }).loss).toBe(want);
    expect(wasm()).toBe(k);
    a.free();
  });

  it('the memory cap carries over to the full build', async () => {
    await init({ maxMemory: 8 * 2 ** 20 });
    full();
    expect(wasm().maxBytes).toBe(8 * 2 ** 20);
  });

  it('the scalar build and the TypeScript kernels are complete already', async () => {
    await init({ simd: false });
    const scalar = wasm();
    expect(scalar.core).toBe(false);
    expect(full()).toBe(scalar);
    await init({ backend: 'js' });
    expect(full()).toBe(kernels());
    expect(backend()).toBe('js');
    await init();
  });
});
