/**
 * xent/parallel's Pool on a softmax workload: the logits in the pool's shared wasm memory (pool.allocate(), filled
 * in the untimed setup, as the zero-copy contenders fill wasm memory), read in place by every thread of the call
 * (bench/workers-race.mjs races this shape against logits in a SharedArrayBuffer and plain logits, both copied).
 * With `caller`, the calling thread is one more thread of each call. The workers run dist/parallel-worker.js:
 * `npm run build` first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type WasmArray, init } from '../src/index.js';
import { type Pool, createPool } from '../src/parallel/index.js';
import { type Impl, Unavailable, notApplicable } from './impl.js';
import type { WorkloadInfo } from './workloads.js';

// This module is bundled into bench/build/run.bundle.mjs: dist/ is two folders up from it.
const WORKER = new URL('../../dist/parallel-worker.js', import.meta.url);

export function xentWorkers(s: WorkloadInfo, workers: number, big: boolean, caller = false): Impl {
  const name = `xent, ${workers} worker${workers > 1 ? 's' : ''}${caller ? ' + caller' : ''}`;
  if (s.kind !== 'softmax' || s.half || !big) return notApplicable(name, 'raced on W5');
  let pool: Pool | null = null;
  let x: WasmArray<'float32' | 'float64'> | null = null;
  return {
    name,
    setup: async (w) => {
      if (!existsSync(fileURLToPath(WORKER))) throw new Unavailable('dist/parallel-worker.js is missing: npm run build');
      await init();
      pool ??= await createPool({ workers, caller, workerUrl: WORKER, wasmUrl: new URL('../../dist/wasm/', import.meta.url) });
      if (!pool.inPlace) throw new Unavailable('the pool has no shared wasm memory here (its SIMD builds, shared memory)');
      x?.free();
      x = pool.allocate(s.f32 ? 'float32' : 'float64', w.x.length);
      x.view().set(w.x);
    },
    fn: (w) => pool!.softmaxCrossEntropy(x!.view(), w.labels!, { classes: w.cols }) as Promise<number>,
    teardown: () => {
      x = null;
      void pool?.close();
      pool = null;
    },
  };
}
