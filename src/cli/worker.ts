// Entry of the `--threads` workers (dist/cli-worker.js): one part of the input, its own wasm instance and
// Evaluator per grid block; replies with progress and the blocks' JSON states, in file order.
import { parentPort, workerData } from 'node:worker_threads';
import { type Job, runBlocks } from './pipeline.js';
import { InputError } from './readers/index.js';
import type { WorkerReply } from './threads.js';

const post = (m: WorkerReply) => parentPort!.postMessage(m);
let last = 0;
try {
  const blocks = runBlocks(workerData as Job, (done, _total, rows) => {
    const now = Date.now();
    if (now - last > 100) {
      last = now;
      post({ type: 'progress', done, rows });
    }
  });
  post({ type: 'done', blocks });
} catch (e) {
  if (e instanceof InputError) post({ type: 'error', message: e.message, where: e.where, detail: e.detail });
  else post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
