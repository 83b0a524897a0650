// Entry of the Pool's workers (dist/parallel-worker.js), in Node (worker_threads) and in browsers (module Web
// Workers). A worker imports the main entry (dist/index.js), starts the kernels the main thread runs, then answers
// each task (blocks.ts) with its per-row losses, its input buffer given back, or with the error's text: the pool then
// lets the one-thread call name the error, so that errors are the same as without workers.
import { init } from '../index.js';
import { runTask } from './blocks.js';
import { type SharedExports, instantiate } from './memory.js';
import type { BlockReply, BlockTask, Start } from './protocol.js';

interface Port {
  post(m: BlockReply, transfer: ArrayBuffer[]): void;
  listen(f: (m: unknown) => void): void;
}

async function port(): Promise<Port> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (isNode) {
    const { parentPort } = await import('node:worker_threads');
    return { post: (m, t) => parentPort!.postMessage(m, t), listen: (f) => parentPort!.on('message', f) };
  }
  const scope = globalThis as unknown as { postMessage(m: unknown, t: ArrayBuffer[]): void; onmessage: unknown };
  return {
    post: (m, t) => scope.postMessage(m, t),
    listen: (f) => {
      scope.onmessage = (e: MessageEvent) => f(e.data);
    },
  };
}

const p = await port();
let ready: Promise<unknown> | null = null;
/** This worker's instance of the pool's shared-memory kernels (null: the pool has none, or it failed here). */
let ex: SharedExports | null = null;
p.listen((m) => {
  if (ready === null) {
    const { shared } = m as Start;
    ready = init((m as Start).init).then(() => {
      try {
        if (shared) ex = instantiate(shared);
      } catch {
        // In-place tasks then fail here, and the pool computes their call on one thread.
      }
    });
    return;
  }
  const t = m as BlockTask;
  ready.then(() => {
    const values = runTask(t, ex);
    if (t.claim) p.post({ id: t.id, values }, []);
    else p.post({ id: t.id, values, input: t.buffer as ArrayBuffer }, [values!.buffer as ArrayBuffer, t.buffer as ArrayBuffer]);
  }).catch((e: unknown) => p.post({ id: t.id, error: e instanceof Error ? e.message : String(e) }, []));
});
