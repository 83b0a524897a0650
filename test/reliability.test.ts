// Memory pressure, traps and concurrent init: the library reports OUT_OF_MEMORY and INTERNAL as XentErrors,
// rebuilds what it must, and the next call returns correct values.
import { describe, expect, it, vi } from 'vitest';
import { allocate, backend, init, logSumExp, softmaxCrossEntropy, XentError } from '../src/index.js';
import { kernels } from '../src/backend/select.js';
import { WasmKernels } from '../src/backend/wasm.js';
import { prng } from './helpers.js';

const MiB = 1 << 20;

function batch(rows: number, cols: number, seed: number) {
  const r = prng(seed);
  const x = Float32Array.from({ length: rows * cols }, () => 4 * r() - 2);
  const y = Int32Array.from({ length: rows }, () => Math.floor(r() * cols));
  return { x, y };
}

/** Reference: the same batch on the TypeScript backend. */
async function onJs<T>(f: () => T): Promise<T> {
  await init({ backend: 'js' });
  try {
    return f();
  } finally {
    await init({ backend: 'wasm' });
  }
}

describe('reliability', () => {
  it('100 concurrent init() calls compile the module at most once', async () => {
    const compile = vi.spyOn(WebAssembly, 'compile');
    const names = await Promise.all(Array.from({ length: 100 }, () => init()));
    expect(new Set(names)).toEqual(new Set(['wasm-simd']));
    expect(compile.mock.calls.length).toBeLessThanOrEqual(1);
    compile.mockRestore();
  });

  it('a capped memory gives OUT_OF_MEMORY for what cannot fit, streams what can, and keeps working', async () => {
    await init({ backend: 'wasm', maxMemory: 4 * MiB });
    const { x, y } = batch(4096, 1000, 1); // 16 MB of logits through a 4 MiB cap
    const got = softmaxCrossEntropy(x, y, { classes: 1000 });
    const k = kernels() as WasmKernels;
    expect(k.buffer().byteLength).toBeLessThanOrEqual(4 * MiB);
    let thrown: unknown;
    try {
      allocate('float32', 2 * MiB); // 8 MB cannot fit under the cap
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(XentError);
    expect((thrown as XentError).code).toBe('OUT_OF_MEMORY');
    expect(softmaxCrossEntropy(x, y, { classes: 1000 })).toBe(got);
    const want = await onJs(() => softmaxCrossEntropy(x, y, { classes: 1000 }));
    expect(Math.abs(got - want) / want).toBeLessThan(1e-6);
    await init({ backend: 'wasm' });
  });

  it('a trapping kernel surfaces as INTERNAL, the instance is rebuilt, the next call is correct', async () => {
    await init({ backend: 'wasm' });
    const k = kernels() as WasmKernels;
    const before = logSumExp([1, 2, 3]);
    const kept = allocate('float64', 8);
    // An out-of-bounds pointer makes the kernel trap, as a bug in it would.
    const trap = () => (k as unknown as { run(n: string, f32: boolean, rows: number, args: unknown[]): void })
      .run('logSumExp', false, 1, [0x7fff_fff0, 1, 4, 1, { a: new Float64Array(1), per: 1, out: true }]);
    let thrown: unknown;
    try {
      trap();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(XentError);
    expect((thrown as XentError).code).toBe('INTERNAL');
    expect(backend()).toBe('wasm-simd');
    expect(logSumExp([1, 2, 3])).toBe(before);
    expect(() => kept.view()).toThrow(/rebuilt/);
  });

  it('many calls of mixed sizes leave wasm memory and the JS heap flat', async () => {
    await init({ backend: 'wasm' });
    const k = kernels() as WasmKernels;
    const sizes = [1, 3, 17, 1000, 4096];
    const inputs = sizes.map((c, i) => batch(8, c, i + 10));
    const round = (n: number) => {
      for (let i = 0; i < n; i++) {
        const { x, y } = inputs[i % sizes.length];
        softmaxCrossEntropy(x, y, { classes: sizes[i % sizes.length] });
      }
    };
    round(5_000); // warm-up: the arena reaches its working size
    const wasmBefore = k.buffer().byteLength;
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    round(100_000);
    globalThis.gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    expect(k.buffer().byteLength).toBe(wasmBefore);
    // Without --expose-gc the heap figure includes uncollected garbage: allow a generous margin, not growth per call.
    expect(heapAfter - heapBefore).toBeLessThan(64 * MiB);
    console.log(`100k calls: wasm memory ${wasmBefore} → ${k.buffer().byteLength} bytes, heap ${(heapBefore / MiB).toFixed(1)} → ${(heapAfter / MiB).toFixed(1)} MiB`);
  });
});
