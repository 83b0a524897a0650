// The `xent/parallel` entry: one large batch on several cores (see pool.ts). The one-thread functions, init() and
// the rest are the main entry's; init() there chooses the kernels the pool's workers run.
export { Pool, createPool, sharedArray } from './pool.js';
export type { ParallelSoftmaxCrossEntropyOptions, PoolOptions } from './pool.js';
