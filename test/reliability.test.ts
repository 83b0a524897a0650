// Memory pressure, traps and concurrent init: the library reports OUT_OF_MEMORY and INTERNAL as XentErrors,
// rebuilds what it must, and the next call returns correct values. One million calls leave memory flat; results do
// not depend on the wasm row chunking nor on how an Evaluator is fed; the gradient cases the fuzzer found.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import * as x from '../src/index.js';
import {
  allocate, backend, init, klDivergence, logSoftmax, logSumExp, sigmoidCrossEntropy, softmaxCrossEntropy,
  softmaxCrossEntropyWithGrad, XentError,
} from '../src/index.js';
import { full } from '../src/backend/full.js';
import { kernels } from '../src/backend/select.js';
import { CHUNK_BYTES, WasmKernels } from '../src/backend/wasm.js';
import { AUTO_WASM, prng } from './helpers.js';

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

/** A full garbage collection: --expose-gc's, else V8's own, exposed for this process (a process-wide flag). */
function gcFunction(): (() => void) | null {
  if (typeof globalThis.gc === 'function') return globalThis.gc as () => void;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

/** A digest of every number's bits (typed arrays and objects walked): equal digests mean bit-identical results. */
function bits(v: unknown): string {
  const f = new Float64Array(1);
  const w = new Uint32Array(f.buffer);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  let n = 0;
  const num = (x: number) => {
    f[0] = x;
    h1 = Math.imul(h1 ^ w[0], 0x01000193) ^ Math.imul(h2, 31);
    h2 = Math.imul(h2 ^ w[1], 0x5bd1e995) ^ (h1 >>> 7);
    n++;
  };
  const walk = (x: unknown): void => {
    if (typeof x === 'number') num(x);
    else if (ArrayBuffer.isView(x)) {
      const a = x as unknown as ArrayLike<number>;
      num(a.length);
      for (let i = 0; i < a.length; i++) num(a[i]);
    } else if (Array.isArray(x)) {
      num(x.length);
      x.forEach(walk);
    } else if (typeof x === 'string') for (let i = 0; i < x.length; i++) num(x.charCodeAt(i));
    else if (x !== null && typeof x === 'object') {
      for (const [k, e] of Object.entries(x)) {
        walk(k);
        walk(e);
      }
    }
  };
  walk(v);
  return `${n}:${(h1 >>> 0).toString(16)}:${(h2 >>> 0).toString(16)}`;
}

const U = 2 ** -53;

describe('reliability', () => {
  it('100 concurrent init() calls compile the module at most once', async () => {
    const compile = vi.spyOn(WebAssembly, 'compile');
    const names = await Promise.all(Array.from({ length: 100 }, () => init()));
    expect(new Set(names)).toEqual(new Set([AUTO_WASM]));
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
    const k = full() as WasmKernels; // the instance allocate() places arrays in
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
    expect(backend()).toBe(AUTO_WASM);
    expect(logSumExp([1, 2, 3])).toBe(before);
    expect(() => kept.view()).toThrow(/rebuilt/);
  });

  it('one million calls of mixed sizes leave wasm memory and the JS heap flat', async () => {
    await init({ backend: 'wasm' });
    const k = kernels() as WasmKernels;
    // Mostly small batches (4 rows of 1 to 17 classes), one call in four of 64 to 4,096 classes; five functions, the
    // softmax cross-entropy in five calls of eight.
    const sizes = [1, 3, 17, 2, 5, 64, 1, 3, 17, 256, 2, 9, 1000, 1, 3, 4096];
    const inputs = sizes.map((c, i) => {
      const { x: z, y } = batch(4, c, i + 10);
      const p = logSoftmax(z, { classes: c }).map(Math.exp);
      return { z, y, c, t: z.map((v) => (v > 0 ? 1 : 0)), p, q: p.slice().reverse() };
    });
    const call = (i: number): number => {
      const a = inputs[i % sizes.length];
      const f = (i >> 4) & 7;
      if (f === 5) return sigmoidCrossEntropy(a.z, a.t, { classes: a.c });
      if (f === 6) return klDivergence(a.p, a.q, { classes: a.c, tolerance: 1e-3 });
      if (f === 7) return softmaxCrossEntropyWithGrad(a.z, a.y, { classes: a.c }).loss;
      return softmaxCrossEntropy(a.z, a.y, { classes: a.c });
    };
    const first = Array.from({ length: 128 }, (_, i) => call(i));
    for (let i = 0; i < 10_000; i++) call(i); // warm-up: the arena reaches its working size
    const gc = gcFunction();
    gc?.();
    const wasmBefore = k.buffer().byteLength;
    const heapBefore = process.memoryUsage().heapUsed;
    const wasmSeen = new Set<number>();
    const t0 = performance.now();
    for (let i = 0; i < 1_000_000; i++) {
      call(i);
      if (i % 100_000 === 0) wasmSeen.add(k.buffer().byteLength);
    }
    const seconds = (performance.now() - t0) / 1000;
    gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    const wasmAfter = k.buffer().byteLength;
    console.log(`1M calls in ${seconds.toFixed(1)} s: wasm memory ${wasmBefore} → ${wasmAfter} bytes (every 100k: ${[...wasmSeen].join(', ')}), `
      + `heap ${(heapBefore / MiB).toFixed(1)} → ${(heapAfter / MiB).toFixed(1)} MiB (${gc ? 'after a full GC' : 'no GC available'})`);
    expect(wasmAfter).toBe(wasmBefore);
    expect([...wasmSeen]).toEqual([wasmBefore]);
    // After a full GC the heap holds only what the calls keep: a leak of even 8 bytes a call would show as 8 MB.
    expect(heapAfter - heapBefore).toBeLessThan((gc ? 4 : 64) * MiB);
    // and the millionth call computes what the first did
    expect(Array.from({ length: 128 }, (_, i) => call(i))).toEqual(first);
  });
});

describe('determinism', () => {
  /** A batch with every kind of row: logits (some masked), distributions, labels, dense and binary targets. */
  function inputs(rows: number, cols: number, f32: boolean, seed: number) {
    const r = prng(seed);
    const F = (n: number, f: (i: number) => number): Float32Array | Float64Array =>
      (f32 ? Float32Array.from({ length: n }, (_, i) => f(i)) : Float64Array.from({ length: n }, (_, i) => f(i)));
    const z = F(rows * cols, (i) => (i % 97 === 5 && i % cols !== 0 ? -Infinity : 8 * r() - 4));
    const p = x.softmax(z, { classes: cols });
    const q = x.softmax(F(rows * cols, () => 6 * r() - 3), { classes: cols });
    const y = Int32Array.from({ length: rows }, (_, i) => (z[i * cols] === -Infinity ? 0 : Math.floor(r() * cols)));
    for (let i = 0; i < rows; i++) if (z[i * cols + y[i]] === -Infinity) y[i] = 0;
    const t = F(rows * cols, () => (r() < 0.3 ? 1 : 0));
    const soft = x.softmax(F(rows * cols, () => 2 * r()), { classes: cols });
    const dy = F(rows * cols, () => 2 * r() - 1);
    const w = F(cols, (j) => 0.5 + (j % 3));
    const sw = Float64Array.from({ length: rows }, (_, i) => (i % 5) / 2);
    return { z, p, q, y, t, soft, dy, w, sw, logp: p.map(Math.log), cols };
  }

  /** Every function that reduces over rows (and the per-row ones), on the same batch. */
  function everything(a: ReturnType<typeof inputs>): Record<string, () => unknown> {
    const classes = a.cols;
    const finite = a.z.map((v) => (v === -Infinity ? -30 : v));
    return {
      softmaxCrossEntropy: () => x.softmaxCrossEntropy(a.z, a.y, { classes, weight: a.w, sampleWeight: a.sw, labelSmoothing: 0.1 }),
      'softmaxCrossEntropy dense': () => x.softmaxCrossEntropy(finite, a.soft, { classes, temperature: 2 }),
      categoricalCrossEntropy: () => x.categoricalCrossEntropy(a.p, a.y, { classes }),
      nllLoss: () => x.nllLoss(a.logp, a.y, { classes, reduction: 'sum' }),
      perplexity: () => x.perplexity(a.z, a.y, { classes }),
      entropy: () => x.entropy(a.p, { classes }),
      crossEntropy: () => x.crossEntropy(a.q, a.p, { classes, reduction: 'sum' }),
      klDivergence: () => x.klDivergence(a.q, a.p, { classes, reduction: 'batchmean' }),
      jsDivergence: () => x.jsDivergence(a.p, a.q, { classes }),
      jsDistance: () => x.jsDistance(a.p, a.q, { classes, reduction: 'none' }),
      logSumExp: () => x.logSumExp(a.z, { classes }),
      softmax: () => x.softmax(a.z, { classes }),
      logSoftmax: () => x.logSoftmax(a.z, { classes }),
      binaryEntropy: () => x.binaryEntropy(a.p),
      binaryCrossEntropy: () => x.binaryCrossEntropy(a.p, a.t, { classes, sampleWeight: a.sw }),
      sigmoidCrossEntropy: () => x.sigmoidCrossEntropy(finite, a.t, { classes, posWeight: a.w }),
      binaryFocalCrossEntropy: () => x.binaryFocalCrossEntropy(a.p, a.t, { classes }),
      categoricalFocalCrossEntropy: () => x.categoricalFocalCrossEntropy(a.p, a.y, { classes }),
      brierScore: () => x.brierScore(a.p, a.y, { classes }),
      calibrationError: () => x.calibrationError(a.p, a.y, { classes }),
      softmaxCrossEntropyWithGrad: () => x.softmaxCrossEntropyWithGrad(a.z, a.y, { classes, weight: a.w, labelSmoothing: 0.1 }),
      sigmoidCrossEntropyWithGrad: () => x.sigmoidCrossEntropyWithGrad(finite, a.t, { classes, reduction: 'sum' }),
      klDivergenceWithGrad: () => x.klDivergenceWithGrad(a.q, finite, { classes, temperature: 2 }),
      softmaxBackward: () => x.softmaxBackward(a.p, a.dy, { classes }),
      logSoftmaxBackward: () => x.logSoftmaxBackward(a.logp, a.dy, { classes }),
      Evaluator: () => new x.Evaluator({ classes }).update(a.z, a.y, { sampleWeight: a.sw }).result(),
    };
  }

  it('every result is bit-identical whatever the wasm row-chunk size and memory cap', async () => {
    for (const f32 of [true, false]) {
      // 600 × 1000 float32 (300 × 1000 float64) logits: 2.4 MB, five windows of the default 512 KiB
      const rows = f32 ? 600 : 300;
      const calls = everything(inputs(rows, 1000, f32, f32 ? 41 : 42));
      await init({ backend: 'wasm' });
      const k = full() as WasmKernels; // the full build's instance, which the gradients and the Evaluator need
      const want = Object.fromEntries(Object.entries(calls).map(([name, f]) => [name, bits(f())]));
      const settings: [string, number][] = [['1 row a chunk', 1], ['~200 KB', 200_003], ['64 MiB', 64 * MiB]];
      // the knob is the one the kernels' row loop reads: one row a chunk is one kernel call a row
      const invoke = vi.spyOn(k as unknown as { invoke: (...a: unknown[]) => void }, 'invoke');
      k.chunkBytes = 1;
      calls.softmaxCrossEntropy();
      expect(invoke.mock.calls.length).toBe(rows);
      invoke.mockRestore();
      try {
        for (const [label, bytes] of settings) {
          k.chunkBytes = bytes;
          for (const [name, f] of Object.entries(calls)) expect(bits(f()), `${name}, ${label}, float${f32 ? 32 : 64}`).toBe(want[name]);
        }
      } finally {
        k.chunkBytes = CHUNK_BYTES;
      }
      await init({ backend: 'wasm', maxMemory: 8 * MiB });
      for (const [name, f] of Object.entries(calls)) expect(bits(f()), `${name}, maxMemory 8 MiB`).toBe(want[name]);
      await init({ backend: 'wasm' });
    }
  });

  it('Evaluator: updates of 1 row at a time equal one update bit for bit; of 7 or 1000 rows, within the rounding of the sums', async () => {
    await init({ backend: 'wasm' });
    const rows = 5000;
    const classes = 10;
    const r = prng(7);
    const z = Float64Array.from({ length: rows * classes }, () => 6 * r() - 3);
    const y = Int32Array.from({ length: rows }, () => Math.floor(r() * classes));
    const one = new x.Evaluator({ classes, topK: 3 }).update(z, y).result();
    const chunked = (n: number) => {
      const ev = new x.Evaluator({ classes, topK: 3 });
      for (let i = 0; i < rows; i += n) ev.update(z.subarray(i * classes, Math.min(rows, i + n) * classes), y.subarray(i, i + n));
      return ev.result();
    };
    // One row at a time adds each row's figures to the totals in the same order as one update does.
    expect(bits(chunked(1))).toBe(bits(one));
    for (const n of [7, 1000]) {
      const got = chunked(n);
      // Counts and sums of integers (unweighted rows) are exact: identical.
      for (const key of ['count', 'ignored', 'weight', 'accuracy', 'min', 'max'] as const) expect(got[key], `${key}, chunks of ${n}`).toBe(one[key]);
      expect(got.topK).toEqual(one.topK);
      expect(bits(got.quantiles)).toBe(bits(one.quantiles));
      expect(bits(got.histogram)).toBe(bits(one.histogram));
      expect(got.perClass.map((c) => [c.support, c.predicted, c.accuracy])).toEqual(one.perClass.map((c) => [c.support, c.predicted, c.accuracy]));
      // Sums of non-negative terms (losses, Brier terms, probabilities) added in another grouping: each total is within
      // (n - 1)·u of the exact sum, so two groupings differ by at most 2n·u relative (u = 2^-53), and ECE (a sum of
      // |Σ confidence − Σ correct| over bins, divided by the weight) by at most 2n·u absolute.
      const rel = 2 * rows * U;
      const near = (a: number, b: number, what: string) => expect(Math.abs(a - b), `${what}, chunks of ${n}`).toBeLessThanOrEqual(rel * Math.abs(b));
      for (const key of ['loss', 'nats', 'bits', 'brier'] as const) near(got[key], one[key], key);
      // exp(nats): a relative change δ of nats moves it by nats·δ, plus its own rounding
      expect(Math.abs(got.perplexity - one.perplexity)).toBeLessThanOrEqual(one.perplexity * (one.nats * rel + 4 * U));
      expect(Math.abs(got.ece - one.ece)).toBeLessThanOrEqual(rel);
      got.perClass.forEach((c, j) => {
        near(c.loss, one.perClass[j].loss, `perClass[${j}].loss`);
        near(c.meanProbability, one.perClass[j].meanProbability, `perClass[${j}].meanProbability`);
      });
      got.reliability.forEach((b, i) => {
        expect(b.weight).toBe(one.reliability[i].weight);
        if (b.weight === 0) expect(b.confidence).toBeNaN();
        else near(b.confidence, one.reliability[i].confidence, `reliability[${i}]`);
      });
    }
  });
});

describe.each(['wasm', 'js'] as const)('gradients: cases the fuzzer found [%s]', (b) => {
  const code = (f: () => unknown): string => {
    try {
      f();
      return 'no error';
    } catch (e) {
      return `${(e as XentError).code}: ${(e as Error).message}`;
    }
  };
  const softmaxRow = (z: number[]) => {
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, v) => a + v, 0);
    return e.map((v) => v / s);
  };

  it('out = the logits (allowed): errors are found as without out, and values are the same', async () => {
    await init({ backend: b });
    // a row of only -Infinity gave loss Infinity and a NaN gradient: the checks read logits already overwritten
    const masked = () => new Float64Array([-Infinity, -Infinity, -Infinity, 1, 2, 3]);
    let a = masked();
    expect(code(() => softmaxCrossEntropyWithGrad(a, [0, 1], { classes: 3, out: a }))).toMatch(/^NON_FINITE: logits\[0\] is -Infinity everywhere/);
    a = new Float64Array([-Infinity, -Infinity, -Infinity]);
    expect(code(() => x.klDivergenceWithGrad([1, 0, 0], a, { out: a }))).toMatch(/^NON_FINITE: logitsQ is -Infinity everywhere/);
    a = new Float64Array([Infinity, 0, 1, 1, 2, 3]);
    expect(code(() => softmaxCrossEntropyWithGrad(a, [0, 1], { classes: 3, out: a }))).toMatch(/^NON_FINITE: logits\[0\]\[0\] is Infinity/);
    // NaN under a zero weight gave INTERNAL ("a kernel produced NaN from valid input")
    a = new Float64Array([NaN, 20, 0, 0]);
    expect(code(() => x.sigmoidCrossEntropyWithGrad(a, new Float64Array(4), { classes: 1, weight: [0], reduction: 'sum', out: a })))
      .toMatch(/^NON_FINITE: logits\[0\]\[0\] is NaN/);
    // valid input: in place equals a fresh gradient, bit for bit, and the logits were read before being overwritten
    const z = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i) * 5);
    const fresh = softmaxCrossEntropyWithGrad(z, [1, 2, 3, 4], { classes: 10, labelSmoothing: 0.1 });
    const inPlace = z.slice();
    const r = softmaxCrossEntropyWithGrad(inPlace, [1, 2, 3, 4], { classes: 10, labelSmoothing: 0.1, out: inPlace });
    expect(r.grad).toBe(inPlace);
    expect(r.loss).toBe(fresh.loss);
    expect(Array.from(inPlace)).toEqual(Array.from(fresh.grad));
  });

  it('a float32 mean over a total target weight below 1e-38 has a finite gradient (its scale overflowed float32 lanes)', async () => {
    await init({ backend: b });
    const z = [0.5, -Infinity, 0, 1];
    const t = new Float32Array([0, 0, 0, 1e-40]); // with class weights the mean divides by Σ w·t = 1e-40
    const { loss, grad } = softmaxCrossEntropyWithGrad(new Float32Array(z), t, { classes: 4, weight: [1, 1, 1, 1] });
    // d/dz of Σ_j t_j (−log p_j) / Σ t = p − t / Σ t
    const p = softmaxRow(z);
    const want = p.map((v, j) => v - (j === 3 ? 1 : 0));
    expect(grad).toBeInstanceOf(Float32Array);
    Array.from(grad).forEach((g, j) => expect(Math.abs(g - want[j]), `grad[${j}] = ${g}`).toBeLessThanOrEqual(1e-6 * Math.abs(want[j]) + 1e-30));
    expect(Math.abs(loss - -Math.log(p[3]))).toBeLessThan(1e-6);
  });

  it('rows that count for nothing get a zero gradient, even where their logits are NaN or all -Infinity', async () => {
    await init({ backend: b });
    // labels: row 0's class weighs 0, so its loss does not read its logits (as softmaxCrossEntropy): gradient 0, not NaN
    const z1 = [1, 2, 3];
    const r = softmaxCrossEntropyWithGrad([[NaN, 0, 1], z1], [1, 2], { weight: [1, 0, 1] });
    const p = softmaxRow(z1);
    expect(r.loss).toBeCloseTo(-Math.log(p[2]), 14);
    expect(Array.from(r.grad.subarray(0, 3))).toEqual([0, 0, 0]);
    Array.from(r.grad.subarray(3)).forEach((g, j) => expect(g).toBeCloseTo(p[j] - (j === 2 ? 1 : 0), 14));
    // dense targets: a row of only -Infinity whose targets are all 0 adds 0 to the loss; its gradient is 0 (wasm gave NaN)
    const d = softmaxCrossEntropyWithGrad([[-Infinity, -Infinity, -Infinity], z1], [[0, 0, 0], [0, 0, 1]], { reduction: 'sum' });
    expect(d.loss).toBeCloseTo(-Math.log(p[2]), 14);
    expect(Array.from(d.grad.subarray(0, 3))).toEqual([0, 0, 0]);
    Array.from(d.grad.subarray(3)).forEach((g, j) => expect(g).toBeCloseTo(p[j] - (j === 2 ? 1 : 0), 14));
  });
});
