/**
 * The peers xent is measured against: the loop tutorials write, a tuned JS loop, and TF.js on its wasm and cpu
 * backends. Every implementation returns the mean loss, so the bench can check its accuracy. Data preparation
 * (number[][] rows, tensors, one-hot labels) happens in `setup`, outside the timed region.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Floats, Workload } from './workloads.js';

export interface Impl {
  /** Row label in the tables; the same across workloads. */
  name: string;
  /** Not applicable to this workload: the reason, shown instead of a timing. */
  na?: string;
  setup?: () => void | Promise<void>;
  /** The timed call: the mean loss (for the floors, whatever they compute). */
  fn: () => number;
  /** A floor: computes no loss, so it has no accuracy. */
  floor?: boolean;
  /** For a loss+grad or Evaluator cell: the loss alone on the same input, timed alternately with fn (Cell.gradRatio). */
  baseline?: () => number;
  teardown?: () => void;
}

export const notApplicable = (name: string, na: string): Impl => ({ name, na, fn: () => NaN });

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

export function tutorial(w: Workload): Impl {
  const impl: Impl = { name: 'tutorial JS', fn: () => NaN };
  impl.setup = () => {
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

export function tuned(w: Workload): Impl {
  const [softmax, sigmoid, kl] = (w.f32 ? tunedLoops.f32 : tunedLoops.f64) as [
    typeof tunedSoftmax, typeof tunedSigmoid, typeof tunedKL,
  ];
  const fn =
    w.kind === 'softmax' ? () => softmax(w.x, w.labels!, w.rows, w.cols)
    : w.kind === 'sigmoid' ? () => sigmoid(w.x, w.y!)
    : () => kl(w.x, w.y!, w.rows);
  return { name: 'tuned JS', fn };
}

// ---------------------------------------------------------------------------------------------------------------
// TF.js. Loaded through require: its packages' Node entries are CommonJS, and the wasm backend's Emscripten glue
// must find its .wasm files next to it (setWasmPaths on the package's dist folder).

type TF = typeof import('@tensorflow/tfjs-core');
type Tensor = import('@tensorflow/tfjs-core').Tensor;
let tfjs: TF | null = null;

export function loadTf(): TF {
  if (tfjs) return tfjs;
  const require = createRequire(import.meta.url);
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-cpu');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  tfjs = tf;
  return tf;
}

export type TfBackend = 'wasm' | 'cpu';

/** The scalar's value: the timed region includes dataSync(), as a caller reading a loss must. */
function scalar(tf: TF, loss: () => Tensor): number {
  const out = tf.tidy(loss);
  const v = out.dataSync()[0];
  out.dispose();
  return v;
}

/**
 * TF.js on one backend: the library's loss (losses.softmaxCrossEntropy with one-hot labels,
 * losses.sigmoidCrossEntropy, or KL by its formula) and, for softmax CE, logSoftmax + gather of the labels.
 */
export function tfjsPeers(w: Workload, backend: TfBackend): Impl[] {
  const main = `TF.js ${backend}`, gather = `TF.js ${backend} logSoftmax+gather`;
  if (!w.f32) {
    return [notApplicable(main, 'no float64 dtype in TF.js'), notApplicable(gather, 'no float64 dtype in TF.js')];
  }
  // Float32 workloads only from here on.
  const x = w.x as Float32Array, y = w.y as Float32Array;
  let held: Tensor[] = [];
  const enter = async (make: (tf: TF) => Tensor[]) => {
    const tf = loadTf();
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not start`);
    held = tf.tidy(() => make(tf));
    for (const t of held) tf.keep(t);
  };
  const leave = () => {
    for (const t of held) t.dispose();
    held = [];
  };
  const shape: [number, number] = [w.rows, w.cols];

  if (w.kind === 'softmax') {
    const losses: Impl = {
      name: main,
      setup: () => enter((tf) => [
        tf.tensor2d(x, shape, 'float32'),
        tf.cast(tf.oneHot(tf.tensor1d(w.labels!, 'int32'), w.cols), 'float32'),
      ]),
      fn: () => {
        const tf = loadTf();
        const [logits, onehot] = held;
        return scalar(tf, () => tf.losses.softmaxCrossEntropy(onehot, logits));
      },
      teardown: leave,
    };
    const flatIndex = new Int32Array(w.rows);
    for (let r = 0; r < w.rows; r++) flatIndex[r] = r * w.cols + w.labels![r];
    const gathered: Impl = {
      name: gather,
      setup: () => enter((tf) => [tf.tensor2d(x, shape, 'float32'), tf.tensor1d(flatIndex, 'int32')]),
      fn: () => {
        const tf = loadTf();
        const [logits, index] = held;
        return scalar(tf, () => tf.neg(tf.mean(tf.gather(tf.reshape(tf.logSoftmax(logits), [-1]), index))));
      },
      teardown: leave,
    };
    return [losses, gathered];
  }

  if (w.kind === 'sigmoid') {
    return [
      {
        name: main,
        setup: () => enter((tf) => [tf.tensor1d(x, 'float32'), tf.tensor1d(y, 'float32')]),
        fn: () => {
          const tf = loadTf();
          const [logits, targets] = held;
          return scalar(tf, () => tf.losses.sigmoidCrossEntropy(targets, logits));
        },
        teardown: leave,
      },
      notApplicable(gather, 'softmax only'),
    ];
  }

  return [
    {
      name: main,
      setup: () => enter((tf) => [tf.tensor2d(x, shape, 'float32'), tf.tensor2d(y, shape, 'float32')]),
      fn: () => {
        const tf = loadTf();
        const [p, q] = held;
        return scalar(tf, () => tf.mean(tf.sum(tf.mul(p, tf.log(tf.div(p, q))), 1)));
      },
      teardown: leave,
    },
    notApplicable(gather, 'softmax only'),
  ];
}
