/**
 * The relaxed-SIMD build against the SIMD build, kernel only: each build's own instance holds the workload in its
 * linear memory (zero-copy), and each round times the same kernel (repeated for about 40 ms) on the SIMD build and
 * on the relaxed build, alternating which goes first. Prints, per workload and kernel, the median of the per-round ratios
 * (SIMD time / relaxed time: above 1, the relaxed build is faster) and their quartiles.
 * With `--against=FILE`, the same race between another .wasm (say, a copy of build/xent.wasm made before a change)
 * and build/xent.wasm: ratio = that file's time / build/xent.wasm's (above 1, the current build is faster).
 * W5-f16 runs softmax CE on the W5 logits rounded to float16, as float16 and as bfloat16 bits (the fused half
 * kernels), and as float32 values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WasmKernels } from '../src/backend/wasm.js';
import { type FloatArray } from '../src/backend/kernels.js';
import { type FloatData, HalfArray } from '../src/core/dtype.js';
import { type Floats, type WorkloadSpec, buildWorkload } from './workloads.js';

const SPECS: WorkloadSpec[] = [
  { id: 'W1', title: 'softmax CE 4096 × 1000', kind: 'softmax', f32: true, rows: 4096, cols: 1000 },
  { id: 'W2', title: 'softmax CE 256 × 50,257', kind: 'softmax', f32: true, rows: 256, cols: 50_257 },
  { id: 'W5', title: 'softmax CE 512 × 151,936', kind: 'softmax', f32: true, rows: 512, cols: 151_936 },
  { id: 'W5-f16', title: 'softmax CE 512 × 151,936, half', kind: 'softmax', f32: true, half: true, rows: 512, cols: 151_936 },
  { id: 'W3', title: 'sigmoid CE 4M', kind: 'sigmoid', f32: true, rows: 1, cols: 4_000_000 },
  { id: 'W4', title: 'KL 4096 × 1000', kind: 'kl', f32: true, rows: 4096, cols: 1000 },
];

/** One kernel call on resident arrays; returns a number so that the call cannot be skipped. */
type Call = (k: WasmKernels, x: FloatData, y: FloatArray | null) => number;
/** Half workloads: the input each call takes (the float32 values, or their float16 / bfloat16 bits). */
type Input = 'x' | 'f16' | 'bf16';

function calls(spec: WorkloadSpec, labels: Int32Array | undefined): [string, Call, Input][] {
  const { rows, cols } = spec;
  const out = new Float64Array(rows);
  const sum = () => out.reduce((a, b) => a + b, 0);
  const ce: Call = (k, x) => (k.softmaxCrossEntropyLabels(x, rows, cols, 1, labels!, null, out, null), sum());
  if (spec.half) return [['CE float32', ce, 'x'], ['CE float16', ce, 'f16'], ['CE bfloat16', ce, 'bf16']];
  if (spec.kind === 'softmax') {
    return [
      ['softmax CE', ce, 'x'],
      ['logSumExp', (k, x) => (k.logSumExp(x, rows, cols, 1, out), sum()), 'x'],
    ];
  }
  if (spec.kind === 'sigmoid') {
    return [['sigmoid CE', (k, x, y) => (k.sigmoidCrossEntropy(x as FloatArray, y!, rows, cols, 0, null, false, null, out, false), sum()), 'x']];
  }
  return [['KL', (k, x, y) => (k.klDivergence(x as FloatArray, y!, rows, cols, out), sum()), 'x']];
}

/** The bfloat16 bits nearest the float32 values (round to nearest even; the workloads hold no NaN). */
function bfloat16Bits(x: Float32Array): Uint16Array {
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  return Uint16Array.from(u, (b) => (b + 0x7fff + ((b >>> 16) & 1)) >>> 16);
}

/** A copy of `a` placed in k's linear memory; the view is re-made per call (a grow would detach it). */
function resident<A extends Floats | Uint16Array>(k: WasmKernels, a: A): () => A {
  const ptr = k.allocate(a.byteLength);
  const Ctor = a.constructor as new (b: ArrayBuffer, o: number, n: number) => A;
  new Ctor(k.buffer(), ptr, a.length).set(a as never);
  return () => new Ctor(k.buffer(), ptr, a.length);
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** `wasmDir`: the folder holding xent.wasm and xent-relaxed.wasm (the project's build/). */
export function main(args: string[], wasmDir: string): void {
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 15);
  const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
  const against = args.find((a) => a.startsWith('--against='))?.slice(10);
  const load = (f: string) => new WebAssembly.Module(readFileSync(join(wasmDir, f)));
  // The ratio is simd's time / relaxed's: with --against, the other file's time / build/xent.wasm's.
  const builds = against
    ? { simd: new WebAssembly.Module(readFileSync(against)), relaxed: load('xent.wasm') }
    : { simd: load('xent.wasm'), relaxed: load('xent-relaxed.wasm') };
  const [A, B] = against ? ['other', 'build'] : ['SIMD', 'relaxed'];
  console.log(`node ${process.version}, ${rounds} rounds per kernel, ratio = ${A} time / ${B} time (median [q1, q3])`);
  for (const spec of SPECS.filter((s) => !only || only.includes(s.id))) {
    const w = buildWorkload(spec);
    const ks = { simd: new WasmKernels(builds.simd), relaxed: new WasmKernels(builds.relaxed) };
    if (!against && ks.relaxed.name !== 'wasm-relaxed-simd') throw new Error(`build/xent-relaxed.wasm runs as ${ks.relaxed.name}`);
    const bf = w.halfBits ? bfloat16Bits(w.x as Float32Array) : null;
    const views = Object.fromEntries(Object.entries(ks).map(([n, k]) => {
      const f16 = w.halfBits ? resident(k, w.halfBits) : null;
      const bf16 = bf ? resident(k, bf) : null;
      const x: Record<Input, () => FloatData> = {
        x: resident(k, w.x),
        f16: () => new HalfArray(f16!(), 'float16'),
        bf16: () => new HalfArray(bf16!(), 'bfloat16'),
      };
      return [n, { x, y: w.y ? resident(k, w.y) : null }];
    }));
    for (const [name, call, input] of calls(spec, w.labels)) {
      let reps = 1;
      const time = (b: 'simd' | 'relaxed') => {
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) {
          const v = call(ks[b], views[b].x[input](), views[b].y?.() ?? null);
          if (!Number.isFinite(v)) throw new Error(`${spec.id} ${name} on ${b}: ${v}`);
        }
        return (performance.now() - t0) / reps;
      };
      time('simd'); time('relaxed'); // warm-up (tier-up, page faults)
      // Each sample repeats the call for about 40 ms, so that one descheduling on this shared host weighs less.
      reps = Math.max(1, Math.round(40 / Math.min(time('simd'), time('relaxed'))));
      const ratios: number[] = [];
      const ns: Record<string, number[]> = { simd: [], relaxed: [] };
      for (let r = 0; r < rounds; r++) {
        const order: ('simd' | 'relaxed')[] = r % 2 ? ['relaxed', 'simd'] : ['simd', 'relaxed'];
        const t: Record<string, number> = {};
        for (const b of order) t[b] = time(b);
        ratios.push(t.simd / t.relaxed);
        for (const b of order) ns[b].push((t[b] * 1e6) / w.elements);
      }
      const q = median(ratios), a = median(ns.simd), b = median(ns.relaxed);
      console.log(
        `${spec.id} ${name.padEnd(11)} ${q(0.5).toFixed(3)}x [${q(0.25).toFixed(3)}, ${q(0.75).toFixed(3)}]` +
          `   ns/element: ${A} ${a(0.5).toFixed(3)}, ${B} ${b(0.5).toFixed(3)}`,
      );
    }
  }
}
