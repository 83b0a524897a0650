/**
 * Concurrency. Eight worker threads, each loading the built library (dist/index.js: its own wasm instance), evaluate
 * different batches at the same moment, repeatedly; every result must be bit-identical to a single-threaded wasm
 * run of the same batch, and right against the TypeScript backend and the float64 reference (test/reference.ts).
 * Then the CLI: `xent eval --threads 1 to 8` on the same .npy and CSV input: bit-identical reports.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import * as ref from './reference.js';
import { softmaxLossGrad } from './fuzz/grad-reference.js';
import { AUTO_WASM } from './helpers.js';

const DIST = new URL('../dist/index.js', import.meta.url);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const THREADS = 8;
const REPS = 12;

/**
 * The work of one thread, as plain JavaScript text: the workers evaluate it, and so does this thread (with the same
 * built library), so that both run exactly the same code on the same batch. `work(x, seed, reps)` draws a batch from
 * `seed` (its shape depends on the seed) and evaluates five kinds of call `reps` times; a digest of every number's
 * bits stands for the big results (the gradient).
 */
const WORK = String.raw`
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function digest(a) {
  const f = new Float64Array(1), w = new Uint32Array(f.buffer);
  let h1 = 0x811c9dc5, h2 = 0x01000193;
  for (let i = 0; i < a.length; i++) {
    f[0] = a[i];
    h1 = Math.imul(h1 ^ w[0], 0x01000193) ^ Math.imul(h2, 31);
    h2 = Math.imul(h2 ^ w[1], 0x5bd1e995) ^ (h1 >>> 7);
  }
  return a.length + ':' + (h1 >>> 0).toString(16) + ':' + (h2 >>> 0).toString(16);
}
function batch(seed) {
  const r = prng(seed);
  const rows = 400 + 37 * (seed % 8), cols = 5 + 9 * (seed % 6);
  const z = Float32Array.from({ length: rows * cols }, () => 8 * r() - 4);
  const y = Int32Array.from({ length: rows }, () => Math.floor(r() * cols));
  const t = Float32Array.from({ length: rows * cols }, () => (r() < 0.3 ? 1 : 0));
  const dist = () => {
    const m = Float64Array.from({ length: rows * cols }, () => r() + 1e-3);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += m[i * cols + j];
      for (let j = 0; j < cols; j++) m[i * cols + j] /= s;
    }
    return m;
  };
  return { rows, cols, z, y, t, p: dist(), q: dist() };
}
function work(x, seed, reps) {
  const b = batch(seed), classes = b.cols;
  const out = [];
  for (let i = 0; i < reps; i++) {
    const ev = new x.Evaluator({ classes }).update(b.z, b.y).result();
    const g = x.softmaxCrossEntropyWithGrad(b.z, b.y, { classes });
    out.push({
      softmaxCrossEntropy: x.softmaxCrossEntropy(b.z, b.y, { classes }),
      klDivergence: x.klDivergence(b.p, b.q, { classes }),
      sigmoidCrossEntropy: x.sigmoidCrossEntropy(b.z, b.t, { classes }),
      evaluatorNats: ev.nats, evaluatorAccuracy: ev.accuracy, evaluatorCount: ev.count,
      gradLoss: g.loss, grad: digest(g.grad),
    });
  }
  return out;
}
`;

interface Row {
  softmaxCrossEntropy: number;
  klDivergence: number;
  sigmoidCrossEntropy: number;
  evaluatorNats: number;
  evaluatorAccuracy: number;
  evaluatorCount: number;
  gradLoss: number;
  grad: string;
}
interface Batch {
  rows: number;
  cols: number;
  z: Float32Array;
  y: Int32Array;
  t: Float32Array;
  p: Float64Array;
  q: Float64Array;
}
type Lib = typeof import('../src/index.js');
const shared = new Function(`${WORK}; return { work, batch, digest };`)() as {
  work: (x: Lib, seed: number, reps: number) => Row[];
  batch: (seed: number) => Batch;
  digest: (a: ArrayLike<number>) => string;
};

/** The worker: load the library, init, wait for the start signal (all workers at once), work, post. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
${WORK}
(async () => {
  const x = await import(workerData.dist);
  const backend = await x.init({ backend: 'wasm' });
  const go = new Int32Array(workerData.go);
  parentPort.postMessage({ type: 'ready', backend });
  Atomics.wait(go, 0, 0);
  const start = performance.timeOrigin + performance.now();
  const rows = work(x, workerData.seed, workerData.reps);
  const end = performance.timeOrigin + performance.now();
  parentPort.postMessage({ type: 'done', rows, start, end });
})().catch((e) => parentPort.postMessage({ type: 'error', message: String(e && e.stack || e) }));
`;

interface Done {
  seed: number;
  backend: string;
  rows: Row[];
  start: number;
  end: number;
}

async function runWorkers(seeds: number[]): Promise<Done[]> {
  const go = new SharedArrayBuffer(4);
  const ready: Promise<string>[] = [];
  const done: Promise<Done>[] = [];
  const workers = seeds.map((seed) => {
    const w = new Worker(WORKER, { eval: true, workerData: { dist: DIST.href, seed, reps: REPS, go } });
    let onReady!: (b: string) => void;
    ready.push(new Promise((r) => (onReady = r)));
    done.push(new Promise((resolve, reject) => {
      let backend = '';
      w.on('message', (m: { type: string; backend?: string; message?: string } & Omit<Done, 'seed' | 'backend'>) => {
        if (m.type === 'ready') onReady((backend = m.backend!));
        else if (m.type === 'done') resolve({ seed, backend, rows: m.rows, start: m.start, end: m.end });
        else reject(new Error(m.message));
      });
      w.on('error', reject);
    }));
    return w;
  });
  try {
    await Promise.all(ready);
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
    return await Promise.all(done);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('8 worker threads at once', () => {
  it('each thread\'s results, every repetition, equal a single-threaded wasm run bit for bit and the references', async () => {
    const seeds = Array.from({ length: THREADS }, (_, i) => 1000 + i);
    const results = await runWorkers(seeds);
    // They ran at the same time: every thread started before any finished.
    const lastStart = Math.max(...results.map((r) => r.start));
    const firstEnd = Math.min(...results.map((r) => r.end));
    console.log(`${THREADS} threads: last start ${(lastStart - Math.min(...results.map((r) => r.start))).toFixed(0)} ms after the first, `
      + `first end ${(firstEnd - lastStart).toFixed(0)} ms after the last start`);
    expect(lastStart).toBeLessThan(firstEnd);

    const lib = (await import(DIST.href)) as Lib;
    for (const { seed, backend, rows } of results) {
      expect(backend).toBe(AUTO_WASM);
      expect(rows).toHaveLength(REPS);
      // the same batch on this thread's wasm instance, once
      await lib.init({ backend: 'wasm' });
      const [single] = shared.work(lib, seed, 1);
      for (const r of rows) expect(r, `seed ${seed}`).toEqual(single);
      // the TypeScript backend: float32 input, float32 kernels on wasm → within 1e-6
      await lib.init({ backend: 'js' });
      const [js] = shared.work(lib, seed, 1);
      for (const k of ['softmaxCrossEntropy', 'sigmoidCrossEntropy', 'evaluatorNats', 'gradLoss'] as const) {
        expect(rel(single[k], js[k]), `${k}, seed ${seed}`).toBeLessThan(1e-6);
      }
      expect(rel(single.klDivergence, js.klDivergence), `klDivergence (float64), seed ${seed}`).toBeLessThan(1e-13);
      expect(js.evaluatorAccuracy).toBe(single.evaluatorAccuracy);
      await lib.init({ backend: 'wasm' });

      // the float64 reference, from the float32 values the batch holds
      const b = shared.batch(seed);
      const Z = Array.from({ length: b.rows }, (_, i) => Array.from(b.z.subarray(i * b.cols, (i + 1) * b.cols)));
      const P = Array.from({ length: b.rows }, (_, i) => Array.from(b.p.subarray(i * b.cols, (i + 1) * b.cols)));
      const Q = Array.from({ length: b.rows }, (_, i) => Array.from(b.q.subarray(i * b.cols, (i + 1) * b.cols)));
      const sce = ref.softmaxCrossEntropy(Z, Array.from(b.y)) as number;
      expect(rel(single.softmaxCrossEntropy, sce)).toBeLessThan(1e-6);
      expect(rel(single.evaluatorNats, sce)).toBeLessThan(1e-6);
      expect(rel(single.gradLoss, sce)).toBeLessThan(1e-6);
      expect(single.evaluatorCount).toBe(b.rows);
      const correct = Z.filter((z, i) => z.every((v) => v <= z[b.y[i]])).length;
      expect(single.evaluatorAccuracy).toBe(correct / b.rows);
      const kl = ref.accurateSum(P.map((p, i) => ref.klDivergence(p, Q[i]).value)) / b.rows;
      expect(rel(single.klDivergence, kl)).toBeLessThan(1e-13);
      const sig = ref.accurateSum(Z.flatMap((z, i) => z.map((v, j) => ref.sigmoidCrossEntropy(v, b.t[i * b.cols + j])))) / (b.rows * b.cols);
      expect(rel(single.sigmoidCrossEntropy, sig)).toBeLessThan(1e-6);
      // the gradient: (softmax(z) − onehot(y)) / rows, elementwise within the float32 bound
      const g = lib.softmaxCrossEntropyWithGrad(b.z, b.y, { classes: b.cols }).grad;
      expect(shared.digest(g)).toBe(single.grad);
      Z.forEach((z, i) => {
        const e = softmaxLossGrad(z, 1, z.map((_, j) => (j === b.y[i] ? 1 : 0)), 1 / b.rows);
        e.g.forEach((v, j) => expect(Math.abs(g[i * b.cols + j] - v)).toBeLessThanOrEqual(1e-6 * e.scale[j] + 2 ** -24 * Math.abs(v) + 1e-30));
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The CLI: one input, 1 to 8 threads.

const dir = mkdtempSync(join(tmpdir(), 'xent-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function npy(descr: string, shape: number[], data: ArrayBufferView): Buffer {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre[0] = 0x93;
  pre.write('NUMPY', 1, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(h.length, 8);
  return Buffer.concat([pre, Buffer.from(h, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

type Report = Record<string, unknown> & {
  count: number; nats: number; loss: number; bits: number; perplexity: number; brier: number; ece: number;
  accuracy: number; perClass: Record<string, number>[]; reliability: Record<string, number>[]; state: Record<string, unknown>;
};

function evalJson(pred: string, target: string, threads: number): { text: string; report: Report } {
  const r = spawnSync(process.execPath, [CLI, 'eval', pred, target, '--threads', String(threads), '--format', 'json', '--quiet'],
    { encoding: 'utf8', cwd: dir });
  expect(r.stderr, `--threads ${threads}`).toBe('');
  expect(r.status).toBe(0);
  // The run's metadata aside (its date and command line differ between runs; the figures may not).
  const text = r.stdout.replace(/\n {2}"run": \{[\s\S]*?\n {2}\},/, '');
  expect(text).not.toBe(r.stdout);
  return { text, report: JSON.parse(text) as Report };
}

describe('xent eval --threads', () => {
  // 600,000 rows × 10 classes (three grid blocks of 262,144 rows), logits with 3 decimals (exact in CSV as in .npy)
  const R = 600_000;
  const C = 10;
  let seed = 99;
  const r = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const rows = Array.from({ length: R }, () => Array.from({ length: C }, () => Math.round((8 * r() - 4) * 1000) / 1000));
  const labels = rows.map((z) => (r() < 0.6 ? z.indexOf(Math.max(...z)) : Math.floor(r() * C)));
  const files = {
    npy: [join(dir, 'pred.npy'), join(dir, 'labels.npy')],
    csv: [join(dir, 'pred.csv'), join(dir, 'labels.csv')],
    // with header lines: the cuts (line numbers and byte offsets) move by one line
    tsv: [join(dir, 'pred.tsv'), join(dir, 'labels-header.csv')],
  };
  writeFileSync(files.npy[0], npy('<f8', [R, C], Float64Array.from(rows.flat())));
  writeFileSync(files.npy[1], npy('<i4', [R], Int32Array.from(labels)));
  writeFileSync(files.csv[0], rows.map((z) => z.join(',')).join('\n') + '\n');
  writeFileSync(files.csv[1], labels.join('\n') + '\n');
  const names = Array.from({ length: C }, (_, j) => `c${j}`);
  writeFileSync(files.tsv[0], [names.join('\t'), ...rows.map((z) => z.join('\t'))].join('\n') + '\n');
  writeFileSync(files.tsv[1], ['label', ...labels].join('\n') + '\n');

  it('1, 2, 3, 4 and 8 threads on .npy, 1 to 3 on CSV / TSV: bit-identical reports (the cuts lie on the summation grid)', () => {
    const reports: { label: string; report: Report }[] = [];
    for (const format of ['npy', 'csv', 'tsv'] as const) {
      for (const threads of format === 'npy' ? [1, 2, 3, 4, 8] : format === 'csv' ? [1, 3] : [2]) {
        reports.push({ label: `${format} --threads ${threads}`, report: evalJson(files[format][0], files[format][1], threads).report });
      }
    }
    const one = reports[0].report;
    // the float64 reference of the headline figure
    const nll = rows.map((z, i) => ref.negLogSoftmax(z)[labels[i]]);
    expect(rel(one.nats, ref.accurateSum(nll) / R)).toBeLessThan(1e-13);
    // Every thread count adds the same grid blocks' sums in the same order as one thread: the whole report is
    // identical, not just close (the file names aside: .npy and CSV are read in the same blocks too).
    for (const { label, report } of reports) expect({ ...report, pred: '', target: '' }, label).toEqual({ ...one, pred: '', target: '' });
  });

  it('the same thread count twice gives byte-identical output (the merge order is fixed)', () => {
    for (const threads of [3, 8]) {
      const a = evalJson(files.npy[0], files.npy[1], threads).text;
      const b = evalJson(files.npy[0], files.npy[1], threads).text;
      expect(b).toBe(a);
    }
  });
});
