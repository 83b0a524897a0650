/** Messages between a Pool (pool.ts) and its workers (worker.ts), and the block loop both run (blocks.ts). */
import type { InitOptions } from '../index.js';
import type { InPlace, SharedKernels } from './memory.js';

/**
 * A softmaxCrossEntropy call's rows, or some of them: per-row losses in nats, as reduction 'none' gives them.
 * With `claim`, the logits are shared and every thread of the call takes `block` rows at a time (Atomics.add on
 * claim[0]) and writes their losses into the shared `out`; without, the task is one block whose losses are returned.
 */
export interface BlockTask {
  id: number;
  /** The logits' memory: shared (read in place) or a copy of this block transferred to the worker. */
  buffer: ArrayBufferLike;
  /** Where the task's first row starts in `buffer`, in bytes. */
  byteOffset: number;
  f32: boolean;
  rows: number;
  cols: number;
  labels: Int32Array;
  temperature: number | undefined;
  ignoreIndex: number | undefined;
  claim?: Int32Array;
  block?: number;
  out?: Float64Array;
  /** Logits in the pool's shared wasm memory: the shared kernels read them in place and write losses there. */
  inPlace?: InPlace;
}

/** A task's losses (null: written into its `out`) and its input buffer given back (a block task's), or the error's text. */
export type BlockReply =
  | { id: number; values: Float64Array | null; input?: ArrayBuffer }
  | { id: number; error: string };

/** The first message a worker gets: init()'s options for the kernels the main thread runs. */
export interface Start {
  init: InitOptions;
  /** The pool's shared-memory kernels, which the worker instantiates for in-place tasks (none: it copies). */
  shared?: SharedKernels;
}
