/**
 * The half-precision paths against each other and against float32 input, a diagnostic beside the bench's W5-f16 race
 * (bench/run.ts): every contender once per round in one process, ratios taken within the round, medians reported,
 * CPU time (see `time`). Started by bench/half-paths.mjs, which bundles this file with the current src/.
 *
 * Contenders, softmax cross-entropy with labels (and the Evaluator's update) on the same logits:
 * - float32: a Float32Array, copied into wasm memory by the call;
 * - float16 / bfloat16: a Uint16Array of bits with `dtype`, copied as bits, widened in the kernel's own pass;
 * - float16, widened per chunk: the same with the fused variant turned off (the generic path every other kernel takes);
 * - float16, widened in JS first: what a caller had to do before (decode into a reused Float32Array, then call);
 *   with a Float16Array (Node 24) `Float32Array.prototype.set` converts, else a table lookup loop;
 * - zero-copy: float32 and float16 arrays from allocate(), read in place.
 */
import {
  Evaluator, allocate, backend, init, softmaxCrossEntropy,
} from '../src/index.js';
import { kernels } from '../src/backend/select.js';
import type { WasmKernels } from '../src/backend/wasm.js';
import { halfTable } from './half.js';
import { WORKLOADS, buildWorkload } from './workloads.js';

let sink = 0;
/**
 * The process's CPU time for one call, in ms: on a host shared with other work, wall time also counts the time
 * the thread waited for a core, which CPU time does not.
 */
const time = (f: () => number): number => {
  const t0 = process.cpuUsage();
  sink += f();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
};
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];

export async function main(args: string[]): Promise<void> {
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 11);
  const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
  await init({ backend: 'wasm' });
  const k = kernels() as WasmKernels;
  const F16 = (globalThis as { Float16Array?: new (b: ArrayBufferLike, o: number, n: number) => ArrayLike<number> }).Float16Array;
  console.log(`${backend()}, Node ${process.versions.node}, ${rounds} rounds; JS widening: ${F16 ? 'Float16Array → Float32Array.set' : 'table loop'}`);
  const table = halfTable();
  for (const id of ['W2', 'W5']) {
    if (only && !only.includes(id)) continue;
    // The bench's logits for this shape, rounded to float16 (as its W5-f16 workload is); bfloat16 rounds the same.
    const w = buildWorkload({ ...WORKLOADS.find((s) => s.id === id)!, half: true });
    const { rows, cols } = w;
    const n = rows * cols;
    const f16 = w.halfBits!;
    const f32 = w.x as Float32Array;
    const labels = w.labels!;
    const bf16 = new Uint16Array(n);
    const u32 = new Uint32Array(f32.buffer, f32.byteOffset, n);
    for (let i = 0; i < n; i++) bf16[i] = (u32[i] + 0x7fff + ((u32[i] >>> 16) & 1)) >>> 16;
    const o = { classes: cols };
    const widenedJs = new Float32Array(n);
    const asF16 = F16 ? new F16(f16.buffer, 0, n) : null;
    const zc32 = allocate('float32', n);
    zc32.view().set(f32);
    const zc16 = allocate('float16', n);
    zc16.view().set(f16);
    const zcb = allocate('bfloat16', n);
    zcb.view().set(bf16);
    const ev = new Evaluator({ classes: cols });
    /** The call with the fused half kernels turned off: every chunk widened first, as for kernels without them. */
    const unfused = (f: () => number): number => {
      k.fuseHalf = false;
      try {
        return f();
      } finally {
        k.fuseHalf = true;
      }
    };
    const contenders: [string, () => number][] = [
      ['float32', () => softmaxCrossEntropy(f32, labels, o) as number],
      ['float16', () => softmaxCrossEntropy(f16, labels, { ...o, dtype: 'float16' }) as number],
      ['bfloat16', () => softmaxCrossEntropy(bf16, labels, { ...o, dtype: 'bfloat16' }) as number],
      ['float16, widened per chunk', () => unfused(() => softmaxCrossEntropy(f16, labels, { ...o, dtype: 'float16' }) as number)],
      ['float16, widened in JS first', () => {
        if (asF16) widenedJs.set(asF16);
        else for (let i = 0; i < n; i++) widenedJs[i] = table[f16[i]];
        return softmaxCrossEntropy(widenedJs, labels, o) as number;
      }],
      ['float32, zero-copy', () => softmaxCrossEntropy(zc32.view(), labels, o) as number],
      ['float16, zero-copy', () => softmaxCrossEntropy(zc16.view(), labels, o) as number],
      ['float16, zero-copy, per chunk', () => unfused(() => softmaxCrossEntropy(zc16.view(), labels, o) as number)],
      ['bfloat16, zero-copy', () => softmaxCrossEntropy(zcb.view(), labels, o) as number],
      // (update alone: result() walks every class, which is not what is compared here)
      ['Evaluator.update float32', () => (ev.reset().update(f32, labels), 0)],
      ['Evaluator.update float16', () => (ev.reset().update(f16, labels, { dtype: 'float16' }), 0)],
    ];
    // Same values in, same answer out: the float16 paths must equal the float32 call on the decoded values.
    const want = contenders[0][1]();
    for (const [name, f] of contenders) {
      if (name.startsWith('bfloat16') || name.startsWith('Evaluator')) continue;
      const got = f();
      if (got !== want) console.log(`  ${name}: ${got} differs from float32's ${want}`);
    }
    const times = contenders.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) contenders.forEach(([, f], i) => times[i].push(time(f)));
    console.log(`\n${id} ${rows} × ${cols}: median CPU ns per element, and the median over rounds of time / float32's`);
    contenders.forEach(([name], i) => {
      const ratios = times[i].map((t, r) => t / times[0][r]);
      console.log(`  ${name.padEnd(30)} ${((median(times[i]) * 1e6) / n).toFixed(3).padStart(7)} ns   ${median(ratios).toFixed(3)}×`);
    });
    const at = (name: string) => times[contenders.findIndex(([c]) => c === name)];
    const evRatio = median(at('Evaluator.update float16').map((t, r) => t / at('Evaluator.update float32')[r]));
    const jsRatio = median(at('float16, widened in JS first').map((t, r) => t / at('float16')[r]));
    console.log(`  Evaluator float16 / float32: ${evRatio.toFixed(3)}×; widened in JS first / float16: ${jsRatio.toFixed(2)}×`);
    zc32.free();
    zc16.free();
    zcb.free();
  }
  if (sink === 42) console.log('');
}
