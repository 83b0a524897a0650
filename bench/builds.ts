/**
 * The relaxed-SIMD build against the SIMD build, kernel only: each build's own instance holds the workload in its
 * linear memory (zero-copy), and each round times the same kernel (repeated for about 40 ms) on the SIMD build and
 * on the relaxed build, alternating which goes first. Prints, per workload and kernel, the median of the per-round ratios
 * (SIMD time / relaxed time: above 1, the relaxed build is faster) and their quartiles.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WasmKernels } from '../src/backend/wasm.js';
import { type FloatArray } from '../src/backend/kernels.js';
import { type Floats, type WorkloadSpec, buildWorkload } from './workloads.js';

const SPECS: WorkloadSpec[] = [
  { id: 'W1', title: 'softmax CE 4096 × 1000', kind: 'softmax', f32: true, rows: 4096, cols: 1000 },
  { id: 'W2', title: 'softmax CE 256 × 50,257', kind: 'softmax', f32: true, rows: 256, cols: 50_257 },
  { id: 'W5', title: 'softmax CE 512 × 151,936', kind: 'softmax', f32: true, rows: 512, cols: 151_936 },
  { id: 'W3', title: 'sigmoid CE 4M', kind: 'sigmoid', f32: true, rows: 1, cols: 4_000_000 },
  { id: 'W4', title: 'KL 4096 × 1000', kind: 'kl', f32: true, rows: 4096, cols: 1000 },
];

/** One kernel call on resident arrays; returns a number so that the call cannot be skipped. */
type Call = (k: WasmKernels, x: FloatArray, y: FloatArray | null) => number;

function calls(spec: WorkloadSpec, labels: Int32Array | undefined): [string, Call][] {
  const { rows, cols } = spec;
  const out = new Float64Array(rows);
  const sum = () => out.reduce((a, b) => a + b, 0);
  if (spec.kind === 'softmax') {
    return [
      ['softmax CE', (k, x) => (k.softmaxCrossEntropyLabels(x, rows, cols, 1, labels!, null, out, null), sum())],
      ['logSumExp', (k, x) => (k.logSumExp(x, rows, cols, 1, out), sum())],
    ];
  }
  if (spec.kind === 'sigmoid') {
    return [['sigmoid CE', (k, x, y) => (k.sigmoidCrossEntropy(x, y!, rows, cols, 0, null, false, null, out, false), sum())]];
  }
  return [['KL', (k, x, y) => (k.klDivergence(x, y!, rows, cols, out), sum())]];
}

/** A copy of `a` placed in k's linear memory; the view is re-made per call (a grow would detach it). */
function resident(k: WasmKernels, a: Floats): () => FloatArray {
  const ptr = k.allocate(a.byteLength);
  const Ctor = a.constructor as new (b: ArrayBuffer, o: number, n: number) => FloatArray;
  new Ctor(k.buffer(), ptr, a.length).set(a);
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
  const load = (f: string) => new WebAssembly.Module(readFileSync(join(wasmDir, f)));
  const builds = { simd: load('xent.wasm'), relaxed: load('xent-relaxed.wasm') };
  console.log(`node ${process.version}, ${rounds} rounds per kernel, ratio = SIMD time / relaxed time (median [q1, q3])`);
  for (const spec of SPECS.filter((s) => !only || only.includes(s.id))) {
    const w = buildWorkload(spec);
    const ks = { simd: new WasmKernels(builds.simd), relaxed: new WasmKernels(builds.relaxed) };
    if (ks.relaxed.name !== 'wasm-relaxed-simd') throw new Error(`build/xent-relaxed.wasm runs as ${ks.relaxed.name}`);
    const views = Object.fromEntries(Object.entries(ks).map(([n, k]) => [n, { x: resident(k, w.x), y: w.y ? resident(k, w.y) : null }]));
    for (const [name, call] of calls(spec, w.labels)) {
      let reps = 1;
      const time = (b: 'simd' | 'relaxed') => {
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) {
          const v = call(ks[b], views[b].x(), views[b].y?.() ?? null);
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
          `   ns/element: SIMD ${a(0.5).toFixed(3)}, relaxed ${b(0.5).toFixed(3)}`,
      );
    }
  }
}
