import type { InitOptions } from '../index.js';

/** Messages between a Pool (pool.ts) and its workers (worker.ts). */

/** One block of rows of a softmaxCrossEntropy call: per-row losses in nats, as reduction 'none' gives them. */
export interface BlockTask {
  id: number;
  /** The logits' memory: shared (read in place) or a copy of this block transferred to the worker. */
  buffer: ArrayBufferLike;
  /** Where the block starts in `buffer`, in bytes. */
  byteOffset: number;
  f32: boolean;
  rows: number;
  cols: number;
  labels: Int32Array;
  temperature: number | undefined;
  ignoreIndex: number | undefined;
}

export type BlockReply =
  | { id: number; values: Float64Array }
  | { id: number; error: string };

/** The first message a worker gets: init()'s options for the kernels the main thread runs. */
export interface Start {
  init: InitOptions;
}
