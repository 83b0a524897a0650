import {
  backend, binaryCrossEntropy, categoricalCrossEntropy, crossEntropy, entropy, information, init, klDivergence,
  softmaxCrossEntropy,
} from '../index.js';

type Print = (line: string) => void;
const f = (v: number, digits = 3) => v.toFixed(digits);

/** The worked examples of the cross-entropy family, each computed by the library. */
function examples(print: Print): void {
  const p = [0.1, 0.4, 0.5];
  const q = [0.8, 0.15, 0.05];
  const bits = { base: 2 };
  print('Distributions p = [0.10, 0.40, 0.50], q = [0.80, 0.15, 0.05], in bits:');
  print(`  H(p, q) = ${f(crossEntropy(p, q, bits))}   H(q, p) = ${f(crossEntropy(q, p, bits))}`);
  print(`  H(p) = ${f(entropy(p, bits))}   H(q) = ${f(entropy(q, bits))}   KL(p || q) = ${f(klDivergence(p, q, bits))}`);
  print(`  H(p) + KL(p || q) = ${f(entropy(p, bits) + klDivergence(p, q, bits))} = H(p, q)`);
  const u = [0.25, 0.25, 0.25, 0.25];
  print('Uniform p over 4 outcomes, in bits:');
  print(`  H(p, p) = ${f(crossEntropy(u, u, bits))}   H(p, [1/4, 1/2, 1/8, 1/8]) = ${f(crossEntropy(u, [0.25, 0.5, 0.125, 0.125], bits))}`);
  print(`  H(p, [1/4, 1/4, 1/8, 3/8]) = ${f(crossEntropy(u, [0.25, 0.25, 0.125, 0.375], bits))} = (10 - log2 3) / 4`);
  print(`Self-information in nats of 0.7, 0.2, 0.1: ${Array.from(information([0.7, 0.2, 0.1]), (v) => f(v, 2)).join(', ')}`);
  const labels = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
  const probs = [0.8, 0.9, 0.9, 0.6, 0.8, 0.1, 0.4, 0.2, 0.1, 0.3];
  const perExample = binaryCrossEntropy(probs, labels, { reduction: 'none' });
  print(`Binary cross-entropy of 10 predictions: mean ${f(binaryCrossEntropy(probs, labels))} nats`);
  print(`  per example: ${Array.from(perExample, (v) => f(v)).join(', ')}`);
  print(`One-hot [0, 1, 0] against [0.3, 0.6, 0.1]: ${f(categoricalCrossEntropy([0.3, 0.6, 0.1], 1))} nats`);
  print(`Multi-label [0, 1, 1] against sigmoid outputs [0.1, 0.7, 0.8]: ${f(binaryCrossEntropy([0.1, 0.7, 0.8], [0, 1, 1], { reduction: 'sum' }))} nats`);
  const rows = [[0.96, 0.02, 0.01, 0.01], [0.1, 0.8, 0.02, 0.08], [0.2, 0.1, 0.1, 0.6], [0.7, 0.1, 0.1, 0.1], [0.001, 0.009, 0.8, 0.19]];
  print(`Likelihood of labels [0, 1, 3, 0, 2]: summed cross-entropy ${f(categoricalCrossEntropy(rows, [0, 1, 3, 0, 2], { reduction: 'sum' }), 4)} nats`);
}

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

async function speed(print: Print): Promise<void> {
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

export async function demo(print: Print): Promise<void> {
  examples(print);
  await speed(print);
}
