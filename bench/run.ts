/**
 * The benchmark: every implementation on every workload, timed with tinybench (median latency), checked against a
 * float64 reference, printed as tables and written to bench/RESULTS.md. Started by bench/run.mjs, which builds the
 * wasm and bundles this file first.
 *
 *   npm run bench                     full run (a few minutes)
 *   npm run bench -- --quick          fewer iterations (under a minute)
 *   npm run bench -- --only=W1,W3     some workloads; RESULTS.md is not written
 *   npm run bench -- --impl=tuned,xent   implementations whose name contains one of these; likewise
 *
 * Each cell (one implementation on one workload) runs in a worker thread of its own. Sharing a thread lets one
 * implementation slow the next: V8's feedback and optimised code are per isolate, and on x86-64 the upper halves of
 * the vector registers are per thread. Once they are left dirty (Node's SIMD base64 routines can do that), every
 * Math.exp and Math.log on the thread runs about 2.4× slower, which would have been charged to whichever peer
 * happened to run next.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Bench } from 'tinybench';
import { type Impl, notApplicable, tfjsPeers, tuned, tutorial } from './peers.js';
import { type Cell, type Results, printTables, resultsMarkdown } from './report.js';
import { floors, loadFloor, xent, xentEvaluator, xentGrad, xentZeroCopy } from './subjects.js';
import { WORKLOADS, type Workload, buildWorkload } from './workloads.js';

interface Settings {
  /** Time a task aims to spend in timed iterations, in ms. */
  budgetMs: number;
  minIterations: number;
  maxIterations: number;
}

const FULL: Settings = { budgetMs: 1500, minIterations: 5, maxIterations: 500 };
const QUICK: Settings = { budgetMs: 120, minIterations: 2, maxIterations: 40 };

/** A task whose first call takes longer than this (TF.js cpu, the tutorial on W2) gets at least 3 iterations, not 5. */
const SLOW_MS = 1000;

/** In quick mode a task whose first call takes longer than this is timed by that call alone. */
const QUICK_SLOW_MS = 300;

let sink = 0;

/** Median over `rounds` of the time of f over the time of g, the two called one after the other each round. */
function alternate(f: () => number, g: () => number, rounds: number): number {
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    sink += g();
    const t1 = performance.now();
    sink += f();
    ratios.push((performance.now() - t1) / (t1 - t0));
  }
  return ratios.sort((a, b) => a - b)[rounds >> 1];
}

/**
 * One implementation on one workload. The first call is untimed: it gives the value checked for accuracy, warms
 * the JIT, and sizes the run (iterations ≈ budget / its time, within the settings' bounds). In quick mode, a slow
 * task (TF.js cpu, the tutorial loop on W2) is timed by that first call alone: one sample, JIT warm-up included.
 */
async function measure(impl: Impl, w: Workload, s: Settings, quick: boolean): Promise<Cell> {
  if (impl.na) return { na: impl.na };
  try {
    await impl.setup?.();
    const t0 = performance.now();
    const value = impl.fn();
    const first = performance.now() - t0;
    const relErr = impl.floor ? undefined : Math.abs(value - w.reference) / Math.abs(w.reference);
    if (quick && first > QUICK_SLOW_MS) {
      const cell: Cell = { ns: (first * 1e6) / w.elements, samples: 1, value, relErr };
      if (impl.baseline) cell.gradRatio = alternate(impl.fn, impl.baseline, 3);
      return cell;
    }
    const least = first > SLOW_MS ? Math.min(3, s.minIterations) : s.minIterations;
    const iterations = Math.min(s.maxIterations, Math.max(least, Math.round(s.budgetMs / first)));
    const bench = new Bench({
      iterations,
      time: 0,
      warmup: first < 50,
      warmupIterations: 3,
      warmupTime: 0,
      throws: true,
    });
    bench.add(impl.name, () => {
      sink += impl.fn();
    });
    await bench.run();
    const r = bench.tasks[0].result;
    if (r.state !== 'completed') throw r.state === 'errored' ? r.error : new Error(`task ${r.state}`);
    const cell: Cell = { ns: (r.latency.p50 * 1e6) / w.elements, samples: r.latency.samplesCount, value, relErr };
    if (impl.baseline) cell.gradRatio = alternate(impl.fn, impl.baseline, quick ? 7 : 21);
    return cell;
  } catch (e) {
    const err = e as Error;
    return { error: `${err.name}: ${err.message}`.split('\n')[0] };
  } finally {
    try {
      impl.teardown?.();
    } catch {
      // A failed setup may leave nothing to tear down.
    }
  }
}

function implementations(w: Workload, quick: boolean): Impl[] {
  // TF.js cpu takes seconds per call on W2 (and twice that to set up): --quick leaves it out there.
  const cpu = quick && w.id === 'W2'
    ? tfjsPeers(w, 'cpu').map((i) => notApplicable(i.name, 'skipped in --quick'))
    : tfjsPeers(w, 'cpu');
  return [
    xent(w, 'wasm'), xentZeroCopy(w), xent(w, 'js'), tutorial(w), tuned(w), ...tfjsPeers(w, 'wasm'), ...cpu, ...floors(w),
    xentGrad(w, 'wasm'), xentGrad(w, 'wasm', true), xentGrad(w, 'js'),
    xentEvaluator(w, 'wasm'), xentEvaluator(w, 'wasm', true), xentEvaluator(w, 'js'),
  ];
}

function machine(): string {
  const cpus = os.cpus();
  const gib = (os.totalmem() / 2 ** 30).toFixed(0);
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${gib} GiB memory, ${os.platform()} ${os.arch()}`;
}

export async function main(argv: string[], paths: { floorWasm: string; results: string }): Promise<void> {
  const started = performance.now();
  const loadAtStart = os.loadavg()[0];
  const quick = argv.includes('--quick');
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const impls = argv.find((a) => a.startsWith('--impl='))?.slice('--impl='.length).split(',');

  const specs = WORKLOADS.filter((w) => !only || only.includes(w.id));
  const results: Results = new Map();
  const done: Workload[] = [];
  console.log(`xent bench (${quick ? 'quick' : 'full'}) on ${machine()}, Node ${process.version}, load ${loadAtStart.toFixed(2)}`);
  for (const spec of specs) {
    const tb = performance.now();
    const w = buildWorkload(spec);
    console.log(`\n${w.id} ${w.title} (data ${((performance.now() - tb) / 1000).toFixed(1)} s)`);
    for (const impl of implementations(w, quick).filter((i) => !impls || impls.some((s) => i.name.includes(s)))) {
      const ti = performance.now();
      const cell = impl.na ? { na: impl.na } : await inWorker({ w, name: impl.name, quick, floorWasm: paths.floorWasm });
      if (!results.has(impl.name)) results.set(impl.name, new Map());
      results.get(impl.name)!.set(w.id, cell);
      const what = cell.na ? `n/a (${cell.na})` : cell.error ? cell.error
        : `${cell.ns!.toFixed(3)} ns/element  (${cell.samples} iterations${cell.relErr === undefined ? '' : `, rel. error ${cell.relErr.toExponential(1)}`})`;
      console.log(`  ${impl.name.padEnd(30)} ${what}  [${((performance.now() - ti) / 1000).toFixed(1)} s]`);
    }
    // Keep the workload's reference and shape for the report, not its arrays.
    done.push({ ...w, x: new Float32Array(0), y: undefined, labels: undefined });
  }

  const wallSeconds = (performance.now() - started) / 1000;
  printTables(results, done);
  if (!only && !impls) {
    const info = { machine: machine(), node: process.version, date: new Date().toISOString(), mode: quick ? 'quick (--quick)' : 'full', wallSeconds,
      load: `${loadAtStart.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}`,
    };
    writeFileSync(paths.results, resultsMarkdown(results, done, info));
    console.log(`\nwrote ${paths.results}`);
  }
  console.log(`wall time ${wallSeconds.toFixed(1)} s`);
}

interface CellJob {
  w: Workload;
  name: string;
  quick: boolean;
  floorWasm: string;
}

/** Measures one cell in a fresh worker thread (this bundle, entered below); the workload's arrays are copied in. */
function inWorker(job: CellJob): Promise<Cell> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { benchCell: job } });
    let cell: Cell | null = null;
    worker.on('message', (c: Cell) => (cell = c));
    worker.on('error', (e) => (cell = { error: `${e.name}: ${e.message}`.split('\n')[0] }));
    worker.on('exit', (code) => resolve(cell ?? { error: `worker exited with code ${code}` }));
  });
}

async function runCell(job: CellJob): Promise<void> {
  // TF.js greets Node users on the console when its backends start; the bench's output is the tables.
  const warn = console.warn;
  console.warn = (...a: unknown[]) => {
    if (!String(a[0]).includes('TensorFlow.js')) warn(...a);
  };
  loadFloor(job.floorWasm);
  const impl = implementations(job.w, job.quick).find((i) => i.name === job.name)!;
  const cell = await measure(impl, job.w, job.quick ? QUICK : FULL, job.quick);
  parentPort!.postMessage(cell);
  if (sink === 42) console.log('');
}

if (!isMainThread && (workerData as { benchCell?: CellJob } | null)?.benchCell) {
  void runCell((workerData as { benchCell: CellJob }).benchCell);
}
