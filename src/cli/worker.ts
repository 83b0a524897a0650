// Entry of the `--threads` workers (dist/cli-worker.js). Started before the input is split, a worker waits for its
// task, instantiates the main thread's compiled wasm module, then takes parts from the shared queue until none is
// left; for each it replies with the packed states of its grid blocks (buffers transferred, not copied) or its error.
import { parentPort } from 'node:worker_threads';
import { init } from '../backend/select.js';
import { type Block, runBlocks } from './pipeline.js';
import { InputError } from './readers/index.js';
import { type WorkerReply, type WorkerTask, stopAfter, take } from './threads.js';

const post = (m: WorkerReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);

parentPort!.once('message', async ({ parts, queue, module }: WorkerTask) => {
  // The main thread's kernels: its module ('wasm': a worker that cannot instantiate it fails rather than run other
  // kernels), or the TypeScript backend when the main thread runs that.
  await init(module !== null ? { module, backend: 'wasm' } : { backend: 'js' });
  let last = 0;
  for (let part = take(queue); part >= 0; part = take(queue)) {
    try {
      const blocks = await runBlocks<Block>(parts[part], (done, _total, rows) => {
        const now = Date.now();
        if (now - last > 100) {
          last = now;
          post({ type: 'progress', part, done, rows });
        }
      });
      post({ type: 'part', part, blocks }, blocks.flatMap((b) => (b instanceof Float64Array ? [b.buffer as ArrayBuffer] : [])));
    } catch (e) {
      stopAfter(queue, part);
      if (e instanceof InputError) post({ type: 'error', part, message: e.message, where: e.where, detail: e.detail });
      else post({ type: 'error', part, message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  }
});
