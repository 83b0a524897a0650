/**
 * What the peers are compared with: xent itself (imported from src/, so the bench measures the current source) on
 * each backend, and the floors — a plain SIMD sum over the bytes a workload reads, and the copy of those bytes
 * into wasm memory — from bench/floor.ts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  Evaluator, allocate, backend, init, klDivergence, sigmoidCrossEntropy, sigmoidCrossEntropyWithGrad, softmaxCrossEntropy,
  softmaxCrossEntropyWithGrad,
} from '../src/index.js';
import { type Impl, notApplicable } from './peers.js';
import { type Floats, type Workload, inputsOf } from './workloads.js';

type Evaluate = (x: Floats, y: Floats | undefined) => number;

function evaluator(w: Workload): Evaluate {
  return w.kind === 'softmax' ? (x) => softmaxCrossEntropy(x, w.labels!, { classes: w.cols }) as number
    : w.kind === 'sigmoid' ? (x, y) => sigmoidCrossEntropy(x, y!) as number
    : (x, y) => klDivergence(x, y!, { classes: w.cols }) as number;
}

/** xent on one backend; `setup` fails (and the bench reports it) if that backend cannot start. */
export function xent(w: Workload, which: 'wasm' | 'js'): Impl {
  const run = evaluator(w);
  return {
    name: `xent ${which}`,
    setup: async () => {
      await init({ backend: which });
      const active = backend();
      if (which === 'wasm' && active !== 'wasm-simd') throw new Error(`init({ backend: 'wasm' }) gave ${active}`);
    },
    fn: () => run(w.x, w.y),
  };
}

/**
 * xent on wasm with the batch already in wasm memory (allocate(): the documented zero-copy path): the kernel's
 * own cost, without the copy of the user's arrays.
 */
export function xentZeroCopy(w: Workload): Impl {
  const run = evaluator(w);
  const impl: Impl = { name: 'xent wasm, zero-copy', fn: () => NaN };
  impl.setup = async () => {
    await init({ backend: 'wasm' });
    const dtype = w.f32 ? 'float32' : 'float64';
    const x = allocate(dtype, w.x.length);
    x.view().set(w.x);
    const y = w.y ? allocate(dtype, w.y.length) : null;
    y?.view().set(w.y!);
    // Views are taken per call: memory may grow between calls and detach older ones.
    impl.fn = () => run(x.view(), y?.view());
  };
  return impl;
}

/**
 * xent's fused loss and gradient (softmaxCrossEntropyWithGrad, sigmoidCrossEntropyWithGrad) into a caller's `out`,
 * timed against the loss alone on the same backend; KL's gradient is with respect to q's logits, a different input,
 * so W4 has none. `resident`: the logits and `out` in wasm memory (allocate()), the kernel's own cost.
 */
export function xentGrad(w: Workload, which: 'wasm' | 'js', resident = false): Impl {
  const name = `xent ${which} loss+grad${resident ? ', zero-copy' : ''}`;
  if (w.kind === 'kl') return notApplicable(name, 'the KL gradient is taken with respect to logits, not q');
  const impl: Impl = { name, fn: () => NaN };
  impl.setup = async () => {
    await init({ backend: which });
    const dtype = w.f32 ? 'float32' : 'float64';
    const Ctor = w.f32 ? Float32Array : Float64Array;
    const wx = resident ? allocate(dtype, w.x.length) : null;
    const wg = resident ? allocate(dtype, w.x.length) : null;
    wx?.view().set(w.x);
    const plain = new Ctor(w.x.length);
    const x = () => wx?.view() ?? w.x;
    const out = () => wg?.view() ?? plain;
    const wy = resident && w.y ? allocate(dtype, w.y.length) : null;
    wy?.view().set(w.y!);
    const y = () => wy?.view() ?? w.y!;
    impl.fn = w.kind === 'softmax'
      ? () => softmaxCrossEntropyWithGrad(x(), w.labels!, { classes: w.cols, out: out() }).loss as number
      : () => sigmoidCrossEntropyWithGrad(x(), y(), { out: out() }).loss as number;
    impl.baseline = w.kind === 'softmax'
      ? () => softmaxCrossEntropy(x(), w.labels!, { classes: w.cols }) as number
      : () => sigmoidCrossEntropy(x(), y()) as number;
  };
  return impl;
}

/**
 * The streaming Evaluator's update on a softmax workload, timed against softmaxCrossEntropy alone on
 * the same backend and input: what the evaluation's extra figures (rank, top-1, Σ p², per class, histogram) cost.
 * `resident`: the logits in wasm memory (allocate()).
 */
export function xentEvaluator(w: Workload, which: 'wasm' | 'js', resident = false): Impl {
  const name = `xent ${which} Evaluator${resident ? ', zero-copy' : ''}`;
  if (w.kind !== 'softmax') return notApplicable(name, 'the Evaluator takes logits or probabilities with labels');
  const impl: Impl = { name, fn: () => NaN };
  impl.setup = async () => {
    await init({ backend: which });
    const wx = resident ? allocate(w.f32 ? 'float32' : 'float64', w.x.length) : null;
    wx?.view().set(w.x);
    const x = () => wx?.view() ?? w.x;
    const ev = new Evaluator({ classes: w.cols });
    // The timed call is reset() and update(); only the first (untimed) call reads result(), for the accuracy check.
    let first = true;
    impl.fn = () => {
      ev.reset().update(x(), w.labels!);
      if (!first) return 0;
      first = false;
      return ev.result().loss;
    };
    impl.baseline = () => softmaxCrossEntropy(x(), w.labels!, { classes: w.cols }) as number;
  };
  return impl;
}

interface FloorExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  sumF32(ptr: number, n: number): number;
  sumF64(ptr: number, n: number): number;
}

let floorModule: FloorExports | null = null;

/** Instantiates bench/build/floor.wasm (compiled by bench/run.mjs) with AssemblyScript's loader. */
export function loadFloor(wasmPath: string): void {
  const require = createRequire(import.meta.url);
  const loader = require('@assemblyscript/loader');
  floorModule = loader.instantiateSync(readFileSync(wasmPath)).exports as FloorExports;
}

/** Places the workload's inputs back to back from the heap base, growing memory as needed; returns the views. */
function place(inputs: Floats[]): { ptr: number; count: number; views: Floats[] } {
  const ex = floorModule!;
  const ptr = ex.heapBase();
  const bytes = inputs.reduce((n, a) => n + a.byteLength, 0);
  const have = ex.memory.buffer.byteLength;
  if (ptr + bytes > have) ex.memory.grow(Math.ceil((ptr + bytes - have) / 65536));
  let p = ptr;
  const views = inputs.map((a) => {
    const v = a instanceof Float32Array ? new Float32Array(ex.memory.buffer, p, a.length) : new Float64Array(ex.memory.buffer, p, a.length);
    p += a.byteLength;
    return v;
  });
  return { ptr, count: inputs.reduce((n, a) => n + a.length, 0), views };
}

export function floors(w: Workload): Impl[] {
  const inputs = inputsOf(w);
  const sum: Impl = { name: 'floor: wasm SIMD sum', floor: true, fn: () => NaN };
  sum.setup = () => {
    const { ptr, count, views } = place(inputs);
    views.forEach((v, i) => v.set(inputs[i]));
    const ex = floorModule!;
    sum.fn = w.f32 ? () => ex.sumF32(ptr, count) : () => ex.sumF64(ptr, count);
  };
  const copy: Impl = { name: 'floor: copy into wasm', floor: true, fn: () => NaN };
  copy.setup = () => {
    const { views } = place(inputs);
    copy.fn = () => {
      for (let i = 0; i < views.length; i++) views[i].set(inputs[i]);
      return NaN;
    };
  };
  return [sum, copy];
}
