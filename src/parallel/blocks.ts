// The work of a Pool's call, as a worker and the calling thread both run it.
import { softmaxCrossEntropy } from '../index.js';
import { type SharedExports, runInPlace } from './memory.js';
import type { BlockTask } from './protocol.js';

/** Per-row losses (nats) of rows [r0, r1) of a task. */
function losses(t: BlockTask, r0: number, r1: number): Float64Array {
  const Ctor = t.f32 ? Float32Array : Float64Array;
  const logits = new Ctor(t.buffer as ArrayBuffer, t.byteOffset + r0 * t.cols * Ctor.BYTES_PER_ELEMENT, (r1 - r0) * t.cols);
  return softmaxCrossEntropy(logits, t.labels.subarray(r0, r1), {
    classes: t.cols, reduction: 'none', temperature: t.temperature, ignoreIndex: t.ignoreIndex,
  }) as Float64Array;
}

/**
 * Runs a task: a block task's losses are returned; a shared task's blocks are taken one by one until none is left,
 * their losses written into `out` (null returned), or, for an in-place task, by the shared kernels `ex` into the
 * shared memory. A refused block stops the other threads' taking, and throws.
 */
export function runTask(t: BlockTask, ex?: SharedExports | null): Float64Array | null {
  if (!t.claim) return losses(t, 0, t.rows);
  const p = t.inPlace;
  if (p && !ex) throw new Error('this thread has no shared-memory kernels');
  const size = t.block!;
  const count = Math.ceil(t.rows / size);
  for (let b = Atomics.add(t.claim, 0, 1); b < count; b = Atomics.add(t.claim, 0, 1)) {
    const r0 = b * size;
    const r1 = Math.min(t.rows, r0 + size);
    try {
      if (p) runInPlace(ex!, p, t.cols, r0, r1);
      else t.out!.set(losses(t, r0, r1), r0);
    } catch (e) {
      Atomics.store(t.claim, 0, count);
      throw e;
    }
  }
  return null;
}
