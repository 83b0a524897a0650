/**
 * xent/parallel's Pool on a softmax workload: the logits in shared memory (sharedArray(), filled in the untimed
 * setup, as the zero-copy contenders fill wasm memory), each worker copying its block of rows into its own wasm
 * memory within the timed call. With `caller`, the calling thread is one more thread of each call. The workers run
 * dist/parallel-worker.js: `npm run build` first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { init } from '../src/index.js';
import { type Pool, createPool, sharedArray } from '../src/parallel/index.js';
import { type Impl, Unavailable, notApplicable } from './impl.js';
import type { WorkloadInfo } from './workloads.js';

// This module is bundled into bench/build/run.bundle.mjs: dist/ is two folders up from it.
const WORKER = new URL('../../dist/parallel-worker.js', import.meta.url);

export function xentWorkers(s: WorkloadInfo, workers: number, big: boolean, caller = false): Impl {
  const name = `xent, ${workers} worker${workers > 1 ? 's' : ''}${caller ? ' + caller' : ''}`;
  if (s.kind !== 'softmax' || s.half || !big) return notApplicable(name, 'raced on W5');
  let pool: Pool | null = null;
  let x: Float32Array | Float64Array | null = null;
  return {
    name,
    setup: async (w) => {
      if (!existsSync(fileURLToPath(WORKER))) throw new Unavailable('dist/parallel-worker.js is missing: npm run build');
      await init();
      pool ??= await createPool({ workers, caller, workerUrl: WORKER });
      x = sharedArray(w.x.length, s.f32 ? 'float32' : 'float64');
      x.set(w.x);
    },
    fn: (w) => pool!.softmaxCrossEntropy(x!, w.labels!, { classes: w.cols }) as Promise<number>,
    teardown: () => {
      void pool?.close();
      pool = null;
    },
  };
}
