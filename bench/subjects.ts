/**
 * xent's contenders, imported from src/ (the bench measures the current source): the default backend with the
 * caller's arrays copied in, zero-copy (allocate()), the TypeScript backend, each wasm build chosen through init()
 * options, the fused loss and gradient, the Evaluator, and — where the source has them — half-precision input,
 * scoreTokens and the LanguageModelEvaluator (feature-detected, so the bench runs before and after they land).
 * The floors (a plain SIMD sum over the bytes a workload reads, and the copy of those bytes into wasm memory) come
 * from bench/floor.ts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as api from '../src/index.js';
import {
  Evaluator, type InitOptions, allocate, backend, init, klDivergence, sigmoidCrossEntropy, sigmoidCrossEntropyWithGrad,
  softmaxCrossEntropy, softmaxCrossEntropyWithGrad,
} from '../src/index.js';
import { halfTable } from './half.js';
import { type Impl, Unavailable, notApplicable } from './impl.js';
import { type Floats, type Workload, type WorkloadInfo, inputsOf } from './workloads.js';

type Evaluate = (x: Floats, w: Workload) => number;

function loss(s: WorkloadInfo): Evaluate {
  return s.kind === 'softmax' ? (x, w) => softmaxCrossEntropy(x, w.labels!, { classes: w.cols }) as number
    : s.kind === 'sigmoid' ? (x, w) => sigmoidCrossEntropy(x, w.y!) as number
    : (x, w) => klDivergence(x, w.y!, { classes: w.cols }) as number;
}

/** Starts a backend and checks which one runs: a contender must not silently measure another build. */
async function start(options: InitOptions, is: (name: string) => boolean): Promise<string> {
  await init(options);
  const name = backend();
  if (!is(name)) throw new Error(`init(${JSON.stringify(options)}) runs ${name}`);
  return name;
}

const isWasm = (name: string) => name.startsWith('wasm');

type Which = 'default' | 'js';

/** `await init()` (which must pick a wasm build), or the TypeScript backend. */
const startOn = (which: Which) => (which === 'js' ? start({ backend: 'js' }, (b) => b === 'js') : start({}, isWasm));

/** Setup of the contenders that run on xent's default wasm build. */
const onWasm = async () => {
  await startOn('default');
};

/** xent as a user calls it: `await init()` (it must pick a wasm build), or the TypeScript backend. */
export function xent(s: WorkloadInfo, which: Which): Impl {
  const run = loss(s);
  let ran = '';
  return {
    name: which === 'js' ? 'xent, TypeScript backend' : 'xent',
    setup: async () => {
      ran = await startOn(which);
    },
    fn: (w) => run(w.x, w),
    note: () => (which === 'js' ? undefined : `init() chose ${ran}`),
  };
}

/**
 * A wasm build of xent, chosen by init() options; `options` lists candidate option sets (`--build=NAME={json}` may
 * name another spelling): the first that starts a backend whose name matches `backend` wins.
 */
export interface Build {
  name: string;
  options: InitOptions[];
  /** What backend() must say once it runs (plain data: a build travels to the contender's thread). */
  backend: RegExp;
}

/** The builds raced against each other (zero-copy: the kernels alone). `--build=NAME={json}` adds or replaces one. */
export const BUILDS: Build[] = [
  { name: 'SIMD', options: [{ backend: 'wasm', simd: true, relaxedSimd: false }], backend: /^wasm-simd$/ },
  { name: 'scalar', options: [{ backend: 'wasm', simd: false }], backend: /^wasm$/ },
  { name: 'relaxed SIMD', options: [{ backend: 'wasm', relaxedSimd: true }], backend: /^wasm-relaxed-simd$/ },
];

async function startBuild(build: Build): Promise<string> {
  const tried: string[] = [];
  for (const options of build.options) {
    try {
      return await start(options, (b) => build.backend.test(b));
    } catch (e) {
      tried.push((e as Error).message);
    }
  }
  throw new Unavailable(`no ${build.name} build here: ${tried.join('; ')}`);
}

const buildName = (b: Build) => `xent ${b.name} build, zero-copy`;

/**
 * xent with the batch already in wasm memory (allocate(): the documented zero-copy path): the kernel's own cost,
 * without the copy of the user's arrays. Without a build, the one init() picks by default.
 */
export function xentZeroCopy(s: WorkloadInfo, build?: Build): Impl {
  const run = loss(s);
  let ran = '';
  let x: api.WasmArray | null = null;
  let y: api.WasmArray | null = null;
  return {
    name: build ? buildName(build) : 'xent, zero-copy',
    setup: async (w) => {
      ran = build ? await startBuild(build) : await startOn('default');
      const dtype = s.f32 ? 'float32' : 'float64';
      x = allocate(dtype, w.x.length);
      x.view().set(w.x);
      y = w.y ? allocate(dtype, w.y.length) : null;
      y?.view().set(w.y!);
    },
    // Views are taken per call: memory may grow between calls and detach older ones.
    fn: (w) => run(x!.view(), { ...w, y: y?.view() }),
    note: () => (build ? `backend() says ${ran}` : `init() chose ${ran}`),
  };
}

/**
 * xent's fused loss and gradient (softmaxCrossEntropyWithGrad, sigmoidCrossEntropyWithGrad) into a caller's `out`;
 * the report sets it against the loss alone on the same backend. KL's gradient is taken with respect to q's logits,
 * a different input, so W4 has none. `resident`: the inputs and `out` in wasm memory (allocate()).
 */
export function xentGrad(s: WorkloadInfo, which: Which, resident = false): Impl {
  const name = `xent loss+grad${which === 'js' ? ', TypeScript backend' : resident ? ', zero-copy' : ''}`;
  if (s.kind === 'kl') return notApplicable(name, 'the KL gradient is taken with respect to logits, not q');
  let call: (w: Workload) => number = () => NaN;
  return {
    name,
    setup: async (w) => {
      await startOn(which);
      const dtype = s.f32 ? 'float32' : 'float64';
      const wasmCopy = (a: Floats) => {
        const m = allocate(dtype, a.length);
        m.view().set(a);
        return m;
      };
      const wx = resident ? wasmCopy(w.x) : null;
      const wy = resident && w.y ? wasmCopy(w.y) : null;
      const wg = resident ? allocate(dtype, w.x.length) : null;
      const plain = s.f32 ? new Float32Array(w.x.length) : new Float64Array(w.x.length);
      const out = () => wg?.view() ?? plain;
      call = s.kind === 'softmax'
        ? (t) => softmaxCrossEntropyWithGrad(wx?.view() ?? t.x, t.labels!, { classes: t.cols, out: out() }).loss as number
        : (t) => sigmoidCrossEntropyWithGrad(wx?.view() ?? t.x, wy?.view() ?? t.y!, { out: out() }).loss as number;
    },
    fn: (w) => call(w),
  };
}

/**
 * The streaming Evaluator's reset() and update() on a softmax workload; the report sets it against
 * softmaxCrossEntropy alone on the same backend: what the evaluation's extra figures cost. `resident`: the logits
 * in wasm memory.
 */
export function xentEvaluator(s: WorkloadInfo, which: Which, resident = false): Impl {
  const name = `xent Evaluator${which === 'js' ? ', TypeScript backend' : resident ? ', zero-copy' : ''}`;
  if (s.kind !== 'softmax') return notApplicable(name, 'the Evaluator takes logits or probabilities with labels');
  let ev: Evaluator | null = null;
  let wx: api.WasmArray | null = null;
  // Only the first (untimed) call reads result(), for the accuracy check.
  let first = true;
  return {
    name,
    setup: async (w) => {
      await startOn(which);
      if (resident) {
        wx = allocate(s.f32 ? 'float32' : 'float64', w.x.length);
        wx.view().set(w.x);
      }
      ev = new Evaluator({ classes: s.cols });
    },
    fn: (w) => {
      ev!.reset().update(wx?.view() ?? w.x, w.labels!);
      if (!first) return 0;
      first = false;
      return ev!.result().loss;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// APIs that other work adds, found by their exports or by what a call accepts.

type Fn = (...a: unknown[]) => unknown;
const exported = (name: string): Fn | undefined => {
  const v = (api as Record<string, unknown>)[name];
  return typeof v === 'function' ? (v as Fn) : undefined;
};

/** Whether softmaxCrossEntropy takes half input (a Uint16Array of half bits with `dtype: 'float16'`). */
export function takesHalf(): boolean {
  try {
    // Logits [1, 0] (half bits 0x3c00, 0), label 0: log(1 + e^-1).
    const v = softmaxCrossEntropy(new Uint16Array([0x3c00, 0]) as never, new Int32Array([0]), { classes: 2, dtype: 'float16' } as never);
    return Math.abs((v as number) - Math.log1p(Math.exp(-1))) < 1e-6;
  } catch {
    return false;
  }
}

/** The float16 race's contenders: half bits, Float16Array, and widening in JavaScript before a float32 call. */
export function halfContenders(s: WorkloadInfo): Impl[] {
  const options = { classes: s.cols, dtype: 'float16' } as never;
  const F16 = (globalThis as { Float16Array?: new (b: ArrayBuffer, o: number, n: number) => ArrayLike<number> }).Float16Array;
  const bits: Impl = {
    name: 'xent, float16 bits (Uint16Array)',
    setup: onWasm,
    fn: (w) => softmaxCrossEntropy(w.halfBits as never, w.labels!, options) as number,
  };
  const f16: Impl = F16
    ? {
      name: 'xent, Float16Array',
      setup: onWasm,
      fn: (w) => softmaxCrossEntropy(new F16(w.halfBits!.buffer as ArrayBuffer, w.halfBits!.byteOffset, w.halfBits!.length) as never, w.labels!, { classes: s.cols }) as number,
    }
    : notApplicable('xent, Float16Array', 'this runtime has no Float16Array');
  let wide = new Float32Array(0);
  const widen: Impl = {
    name: 'widen in JS (table), then xent',
    setup: async () => {
      await start({}, isWasm);
      wide = new Float32Array(s.rows * s.cols);
    },
    fn: (w) => {
      // Into an array allocated once, as a careful caller would; a 65,536-entry table is exact and fast.
      const table = halfTable(), h = w.halfBits!;
      for (let i = 0; i < h.length; i++) wide[i] = table[h[i]];
      return softmaxCrossEntropy(wide, w.labels!, { classes: s.cols }) as number;
    },
  };
  return [bits, f16, widen];
}

/** scoreTokens (issue 18) on a softmax workload: the mean of −logprob, so that its accuracy is checked too. */
export function xentScoreTokens(s: WorkloadInfo): Impl {
  const name = 'xent scoreTokens';
  const scoreTokens = exported('scoreTokens');
  if (!scoreTokens) return notApplicable(name, 'no scoreTokens export yet');
  if (s.kind !== 'softmax') return notApplicable(name, 'softmax only');
  return {
    name,
    setup: onWasm,
    fn: (w) => {
      const lp = (scoreTokens(w.x, w.labels, { classes: s.cols }) as { logprob: ArrayLike<number> }).logprob;
      let total = 0;
      for (let i = 0; i < lp.length; i++) total -= lp[i];
      return total / lp.length;
    },
  };
}

/** The mean negative log-likelihood in a LanguageModelEvaluator result, under the names an API might give it. */
function meanNll(result: unknown): number | undefined {
  const r = result as Record<string, unknown>;
  for (const k of ['meanNll', 'nll', 'crossEntropy', 'loss']) {
    const v = r[k];
    if (typeof v === 'number') return v;
    if (v && typeof (v as { mean?: unknown }).mean === 'number') return (v as { mean: number }).mean;
  }
  return undefined;
}

/** LanguageModelEvaluator.update (issue 18) on a softmax workload, its state reset (or a new one) before each call. */
export function xentLanguageModelEvaluator(s: WorkloadInfo): Impl {
  const name = 'xent LanguageModelEvaluator';
  type LmEvaluator = { update(x: unknown, t: unknown): unknown; result(): unknown; reset?(): unknown };
  const Ctor = exported('LanguageModelEvaluator') as unknown as (new (o: object) => LmEvaluator) | undefined;
  if (!Ctor) return notApplicable(name, 'no LanguageModelEvaluator export yet');
  if (s.kind !== 'softmax') return notApplicable(name, 'softmax only');
  let ev: LmEvaluator | null = null;
  let first = true;
  let unnamed = false;
  return {
    name,
    setup: onWasm,
    fn: (w) => {
      if (ev?.reset) ev.reset();
      else ev = new Ctor({ classes: s.cols });
      ev.update(w.x, w.labels);
      if (!first) return 0;
      first = false;
      const v = meanNll(ev.result());
      unnamed = v === undefined;
      return v;
    },
    note: () => (unnamed ? 'result() has no mean NLL under a name meanNll() knows: its accuracy is not checked' : undefined),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The floors.

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

/** Places arrays of these sizes back to back from the heap base, growing memory as needed; returns the views. */
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

export function floors(s: WorkloadInfo): Impl[] {
  let sumFn: () => number = () => NaN;
  const sum: Impl = {
    name: 'floor: wasm SIMD sum',
    floor: true,
    setup: (w) => {
      const inputs = inputsOf(w);
      const { ptr, count, views } = place(inputs);
      views.forEach((v, i) => v.set(inputs[i]));
      const ex = floorModule!;
      sumFn = s.f32 ? () => ex.sumF32(ptr, count) : () => ex.sumF64(ptr, count);
    },
    fn: () => sumFn(),
  };
  let views: Floats[] = [];
  const copy: Impl = {
    name: 'floor: copy into wasm',
    floor: true,
    setup: (w) => void (views = place(inputsOf(w)).views),
    fn: (w) => {
      const inputs = inputsOf(w);
      for (let i = 0; i < views.length; i++) views[i].set(inputs[i]);
      return NaN;
    },
  };
  return [sum, copy];
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing two models (issue 22): Comparison.update on a softmax workload against the two plain loss calls it
// replaces. The candidate is the workload's logits plus seeded uniform noise, made once in setup: of width 0.02 (on
// W1 a mean KL of 1.6e-5 nats from the base; every log-probability within 1/8 of the base's, the kernel's near
// blocks), and for a second Comparison contender of width 0.6 (mean KL 0.014 nats on W1, the size llama.cpp's
// contributors report for 4-bit quantizations, e.g. about 0.01 for a Q4_K_M Mistral 7B in its pull request 4739;
// most 64-element blocks then hold log-probabilities 1/8 or more apart: the kernel's far blocks).

/** The candidate logits of a workload: x + uniform noise of the given width, the same every run. */
function candidateOf(x: Floats, width = 0.02): Floats {
  const out = x instanceof Float32Array ? new Float32Array(x.length) : new Float64Array(x.length);
  let a = 0x2545f491;
  for (let i = 0; i < x.length; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = x[i] + (a / 2 ** 32 - 0.5) * width;
  }
  return out;
}

/** Two softmaxCrossEntropy calls (base, then candidate): the mean of the base's, for the accuracy column. */
export function xentTwoCalls(s: WorkloadInfo): Impl {
  const name = 'xent, two calls (base and candidate)';
  if (s.kind !== 'softmax' || s.half) return notApplicable(name, 'softmax only');
  let cand: Floats = new Float32Array(0);
  return {
    name,
    setup: async (w) => {
      await onWasm();
      cand = candidateOf(w.x);
    },
    fn: (w) => {
      const a = softmaxCrossEntropy(w.x, w.labels!, { classes: w.cols }) as number;
      softmaxCrossEntropy(cand, w.labels!, { classes: w.cols });
      return a;
    },
    teardown: () => {
      cand = new Float32Array(0);
    },
  };
}

/**
 * Comparison.update of the same two models (a new state per call), the candidate's noise of the given width. Only
 * the first (untimed) call reads result(), the base's mean loss, for the accuracy column: the goal is the update's
 * cost, as for the Evaluator.
 */
export function xentComparison(s: WorkloadInfo, width = 0.02): Impl {
  const name = width === 0.02 ? 'xent Comparison' : `xent Comparison, candidate noise ${width} wide`;
  type Cmp = { update(a: unknown, b: unknown, t: unknown): Cmp; result(): { base: { nats: { value: number } } } };
  const Ctor = exported('Comparison') as unknown as (new (o: object) => Cmp) | undefined;
  if (!Ctor) return notApplicable(name, 'no Comparison export yet');
  if (s.kind !== 'softmax' || s.half) return notApplicable(name, 'softmax only');
  let cand: Floats = new Float32Array(0);
  let first = true;
  return {
    name,
    setup: async (w) => {
      await onWasm();
      cand = candidateOf(w.x, width);
    },
    fn: (w) => {
      const c = new Ctor({ classes: w.cols }).update(w.x, cand, w.labels!);
      if (!first) return 0;
      first = false;
      return c.result().base.nats.value;
    },
    teardown: () => {
      cand = new Float32Array(0);
    },
  };
}
