/**
 * The plain-JavaScript peers: the loop tutorials write, and a tuned loop (typed arrays, float64 sums). Each returns
 * the mean loss, so the bench can check its accuracy. Data preparation (number[][] rows) happens in `setup`,
 * outside the timed region. The libraries (TF.js, transformers.js, onnxruntime) are in libraries.ts.
 */
import { type Impl, notApplicable } from './impl.js';
import type { Floats, WorkloadInfo } from './workloads.js';

/**
 * A copy of `f` with its own feedback and optimised code. The tuned loops run on Float32Array and on Float64Array;
 * one shared function would go polymorphic and measure worse than a user's single-dtype loop would.
 */
function fresh<F extends (...args: never[]) => number>(f: F): F {
  return new Function(`return (${f.toString()})`)() as F;
}

// ---------------------------------------------------------------------------------------------------------------
// The tutorial loop: number[][] rows, Math.max(...row), a softmax array via map, then -log.

function tutorialSoftmax(rows: number[][], labels: number[]): number {
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const max = Math.max(...row);
    const exps = row.map((v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    const probs = exps.map((e) => e / sum);
    total += -Math.log(probs[labels[i]]);
  }
  return total / rows.length;
}

function tutorialSigmoid(logits: number[], targets: number[]): number {
  const probs = logits.map((v) => 1 / (1 + Math.exp(-v)));
  let total = 0;
  for (let i = 0; i < probs.length; i++) {
    total += -(targets[i] * Math.log(probs[i]) + (1 - targets[i]) * Math.log(1 - probs[i]));
  }
  return total / probs.length;
}

function tutorialKL(p: number[][], q: number[][]): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    total += p[i].reduce((s, pi, j) => s + pi * Math.log(pi / q[i][j]), 0);
  }
  return total / p.length;
}

const toRows = (a: Floats, rows: number, cols: number): number[][] =>
  Array.from({ length: rows }, (_, r) => Array.from(a.subarray(r * cols, (r + 1) * cols)));

/** `skip`: the reason to leave it out of this race (seconds a call, in --quick). */
export function tutorial(s: WorkloadInfo, skip?: string): Impl {
  const name = 'tutorial JS';
  // Spreading a row into Math.max throws RangeError (call stack) somewhere above ~120,000 arguments.
  if (s.kind === 'softmax' && s.cols > 100_000) return notApplicable(name, `Math.max(...row) overflows the call stack at ${s.cols} arguments`);
  if (skip) return notApplicable(name, skip);
  const impl: Impl = { name, fn: () => NaN };
  impl.setup = (w) => {
    if (w.kind === 'softmax') {
      const rows = toRows(w.x, w.rows, w.cols);
      const labels = Array.from(w.labels!);
      impl.fn = () => tutorialSoftmax(rows, labels);
    } else if (w.kind === 'sigmoid') {
      const x = Array.from(w.x), y = Array.from(w.y!);
      impl.fn = () => tutorialSigmoid(x, y);
    } else {
      const p = toRows(w.x, w.rows, w.cols), q = toRows(w.y!, w.rows, w.cols);
      impl.fn = () => tutorialKL(p, q);
    }
  };
  impl.teardown = () => { impl.fn = () => NaN; };
  return impl;
}

// ---------------------------------------------------------------------------------------------------------------
// Tuned JS: typed arrays, a max pass then an exp-sum pass, float64 accumulation.

function tunedSoftmax(x: Floats, labels: Int32Array, rows: number, cols: number): number {
  let total = 0;
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    let m = -Infinity;
    for (let j = o; j < o + cols; j++) if (x[j] > m) m = x[j];
    let s = 0;
    for (let j = o; j < o + cols; j++) s += Math.exp(x[j] - m);
    total += Math.log(s) + m - x[o + labels[r]];
  }
  return total / rows;
}

function tunedSigmoid(x: Floats, y: Floats): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    total += (v > 0 ? v : 0) - v * y[i] + Math.log1p(Math.exp(-Math.abs(v)));
  }
  return total / x.length;
}

function tunedKL(p: Floats, q: Floats, rows: number): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) total += p[i] * Math.log(p[i] / q[i]);
  return total / rows;
}

const tunedLoops = { f32: [tunedSoftmax, tunedSigmoid, tunedKL].map(fresh), f64: [tunedSoftmax, tunedSigmoid, tunedKL].map(fresh) };

export function tuned(s: WorkloadInfo): Impl {
  const [softmax, sigmoid, kl] = (s.f32 ? tunedLoops.f32 : tunedLoops.f64) as [
    typeof tunedSoftmax, typeof tunedSigmoid, typeof tunedKL,
  ];
  const fn: Impl['fn'] =
    s.kind === 'softmax' ? (w) => softmax(w.x, w.labels!, w.rows, w.cols)
    : s.kind === 'sigmoid' ? (w) => sigmoid(w.x, w.y!)
    : (w) => kl(w.x, w.y!, w.rows);
  return { name: 'tuned JS', fn };
}
