// `xent bench` without a source checkout: the quick speed comparison that used to close `xent demo`.
import { backend, init, softmaxCrossEntropy } from '../index.js';

type Print = (line: string) => void;

/** A batch of logits with a reproducible pseudo-random generator (so runs are comparable). */
function sampleLogits(rows: number, cols: number): { logits: Float32Array; labels: Int32Array } {
  let s = 0x9e3779b9;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const logits = new Float32Array(rows * cols);
  for (let i = 0; i < logits.length; i++) logits[i] = 8 * next() - 4;
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) labels[r] = Math.floor(next() * cols);
  return { logits, labels };
}

/** The loop most tutorials write: number[][] rows, Math.max(...row), a softmax array, then -log. */
function tutorialSoftmaxCrossEntropy(rows: number[][], labels: ArrayLike<number>): number {
  let total = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const m = Math.max(...row);
    const exps = row.map((v) => Math.exp(v - m));
    const sum = exps.reduce((a, b) => a + b, 0);
    total += -Math.log(exps[labels[r]] / sum);
  }
  return total / rows.length;
}

function median(run: () => void, reps: number): number {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    run();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[reps >> 1];
}

export async function speed(print: Print): Promise<void> {
  const rows = 1024;
  const cols = 1000;
  const { logits, labels } = sampleLogits(rows, cols);
  const nested = Array.from({ length: rows }, (_, r) => Array.from(logits.subarray(r * cols, (r + 1) * cols)));
  const n = rows * cols;
  const results: [string, number, number][] = [];
  let value = 0;
  const tutorial = median(() => (value = tutorialSoftmaxCrossEntropy(nested, labels)), 5);
  results.push(['plain JS (number[][], tutorial loop)', tutorial, value]);
  for (const b of ['js', 'wasm'] as const) {
    const name = await init({ backend: b });
    const t = median(() => (value = softmaxCrossEntropy(logits, labels, { classes: cols })), 15);
    results.push([`xent on ${name}`, t, value]);
  }
  await init();
  print(`\nSoftmax cross-entropy, ${rows} × ${cols} float32 logits, integer labels (median of repeated runs):`);
  for (const [name, ms, v] of results) {
    const ns = (ms * 1e6) / n;
    print(`  ${name.padEnd(38)} ${ns.toFixed(2).padStart(7)} ns/element  ${(tutorial / ms).toFixed(1).padStart(5)}× tutorial  mean ${v.toFixed(6)}`);
  }
  print(`Backend in use: ${backend()}. For the full comparison against the peers: npm run bench.`);
}

