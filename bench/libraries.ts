/**
 * The library peers, loaded from bench/peers/ (see impl.ts): TF.js on its wasm and cpu backends, transformers.js'
 * own `log_softmax` plus a gather, and onnxruntime-node's native CPU kernels running a LogSoftmax → GatherElements
 * → ReduceMean graph (bench/onnx/, built by scripts/onnx_graphs.py). Each returns the mean loss. Inputs a user would
 * already hold in the library's form (tensors, one-hot labels, int64 labels) are made in `setup`, untimed.
 *
 * Only the few calls used here are typed, locally: the bench is not type-checked against the peers' packages.
 */
import { dirname, join } from 'node:path';
import { NOT_INSTALLED, type Impl, hasPeer, notApplicable, peerPath, requirePeer } from './impl.js';
import { type Floats, type WorkloadInfo, referenceSoftmax } from './workloads.js';

// ---------------------------------------------------------------------------------------------------------------
// TF.js. Loaded through require: its packages' Node entries are CommonJS, and the wasm backend's Emscripten glue
// must find its .wasm files next to it (setWasmPaths on the package's dist folder).

interface Tensor {
  dataSync(): Float32Array;
  dispose(): void;
}
type Op = (...a: unknown[]) => Tensor;
interface TF {
  setBackend(name: string): Promise<boolean>;
  tidy<T>(f: () => T): T;
  keep(t: Tensor): Tensor;
  tensor1d(v: ArrayLike<number>, dtype: string): Tensor;
  tensor2d(v: ArrayLike<number>, shape: [number, number], dtype: string): Tensor;
  losses: { softmaxCrossEntropy: Op; sigmoidCrossEntropy: Op };
  oneHot: Op;
  cast: Op;
  neg: Op;
  mean: Op;
  sum: Op;
  mul: Op;
  log: Op;
  div: Op;
  gather: Op;
  reshape: Op;
  logSoftmax: Op;
}

const TF_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm'];
let tfjs: TF | null = null;

function loadTf(): TF {
  if (tfjs) return tfjs;
  const tf = requirePeer<TF>('@tensorflow/tfjs-core');
  requirePeer('@tensorflow/tfjs-backend-cpu');
  const wasm = requirePeer<{ setWasmPaths(p: string): void }>('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(join(peerPath('node_modules', '@tensorflow', 'tfjs-backend-wasm'), 'dist') + '/');
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
 * `skip`: the reason to leave both out of this race (TF.js cpu where one call takes many seconds).
 */
export function tfjsPeers(s: WorkloadInfo, backend: TfBackend, skip?: string): Impl[] {
  const main = `TF.js ${backend}`, gather = `TF.js ${backend} logSoftmax+gather`;
  const na = !TF_PACKAGES.every(hasPeer) ? NOT_INSTALLED : !s.f32 ? 'no float64 dtype in TF.js' : skip;
  if (na) return [notApplicable(main, na), notApplicable(gather, s.kind === 'softmax' ? na : 'softmax only')];
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
  const shape: [number, number] = [s.rows, s.cols];
  /** The library's call on the tensors made in setup (the data is already in TF.js: the turn's views are unused). */
  const call = (f: (tf: TF, t: Tensor[]) => Tensor) => () => {
    const tf = loadTf();
    return scalar(tf, () => f(tf, held));
  };

  if (s.kind === 'softmax') {
    const losses: Impl = {
      name: main,
      setup: (w) => enter((tf) => [
        tf.tensor2d(w.x, shape, 'float32'),
        tf.cast(tf.oneHot(tf.tensor1d(w.labels!, 'int32'), s.cols), 'float32'),
      ]),
      fn: call((tf, [logits, onehot]) => tf.losses.softmaxCrossEntropy(onehot, logits)),
      teardown: leave,
    };
    const gathered: Impl = {
      name: gather,
      setup: (w) => {
        const flatIndex = new Int32Array(s.rows);
        for (let r = 0; r < s.rows; r++) flatIndex[r] = r * s.cols + w.labels![r];
        return enter((tf) => [tf.tensor2d(w.x, shape, 'float32'), tf.tensor1d(flatIndex, 'int32')]);
      },
      fn: call((tf, [logits, index]) => tf.neg(tf.mean(tf.gather(tf.reshape(tf.logSoftmax(logits), [-1]), index)))),
      teardown: leave,
    };
    return [losses, gathered];
  }
  const loss: Impl = s.kind === 'sigmoid'
    ? {
      name: main,
      setup: (w) => enter((tf) => [tf.tensor1d(w.x, 'float32'), tf.tensor1d(w.y!, 'float32')]),
      fn: call((tf, [logits, targets]) => tf.losses.sigmoidCrossEntropy(targets, logits)),
      teardown: leave,
    }
    : {
      name: main,
      setup: (w) => enter((tf) => [tf.tensor2d(w.x, shape, 'float32'), tf.tensor2d(w.y!, shape, 'float32')]),
      fn: call((tf, [p, q]) => tf.mean(tf.sum(tf.mul(p, tf.log(tf.div(p, q))), 1))),
      teardown: leave,
    };
  return [loss, notApplicable(gather, 'softmax only')];
}

// ---------------------------------------------------------------------------------------------------------------
// transformers.js: its own log_softmax (src/utils/maths.js, exported by the package), one row at a time as its
// generation code calls it, then the label's entry.

const TRANSFORMERS = '@huggingface/transformers';

export function transformersLogSoftmax(s: WorkloadInfo): Impl {
  const name = 'transformers.js log_softmax + gather';
  if (s.kind !== 'softmax') return notApplicable(name, 'softmax only');
  if (!hasPeer(TRANSFORMERS)) return notApplicable(name, NOT_INSTALLED);
  let logSoftmax: (row: Floats) => Floats = () => { throw new Error('not set up'); };
  return {
    name,
    setup: () => {
      logSoftmax = requirePeer<{ log_softmax: typeof logSoftmax }>(TRANSFORMERS).log_softmax;
    },
    fn: (w) => {
      let total = 0;
      for (let r = 0, o = 0; r < w.rows; r++, o += w.cols) total -= logSoftmax(w.x.subarray(o, o + w.cols))[w.labels![r]];
      return total / w.rows;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// onnxruntime-node: one session per contender on the graph of the workload's dtype (its dimensions are symbolic),
// with 1 or 2 intra-op threads. Spinning is off: a pool that spins after a run would take the core from the next
// contender in the race. The timed call makes the input tensors over the caller's arrays (no copy), runs the
// session and reads the scalar back.

interface OrtTensor {
  data: ArrayLike<number>;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  Tensor: new (type: string, data: ArrayLike<number> | BigInt64Array, dims: number[]) => OrtTensor;
  InferenceSession: { create(path: string, options: object): Promise<OrtSession> };
}

const ORT = 'onnxruntime-node';

/** The graph for a dtype: bench/onnx/ sits beside bench/peers/. */
const graphPath = (dtype: 'float32' | 'float64') => join(dirname(peerPath('package.json')), '..', 'onnx', `logsoftmax_gather_mean.${dtype}.onnx`);

const run = async (ort: Ort, session: OrtSession, dtype: string, x: Floats, labels: BigInt64Array, rows: number, cols: number) => {
  const out = await session.run({
    logits: new ort.Tensor(dtype, x, [rows, cols]),
    labels: new ort.Tensor('int64', labels, [rows, 1]),
  });
  return -out.mean_logprob.data[0];
};

/**
 * The self-check of the committed graph: a 4 × 7 batch (a wide spread of logits, a masked one, labels at both
 * ends) against the float64 reference, within float32's or float64's rounding. Returns the relative error.
 */
async function selfCheck(ort: Ort, session: OrtSession, dtype: 'float32' | 'float64'): Promise<number> {
  const rows = 4, cols = 7;
  const values = [
    0.5, -1.25, 3, 0, 2.5, -7, 1,
    60, -60, 0.001, 20, -3.5, 11, 0,
    -2, -2, -2, -2, -2, -2, -2,
    1e-3, 5, -Infinity, 4.75, -0.5, 9, -9,
  ];
  const x = dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  const labels = Int32Array.from([6, 1, 3, 0]);
  const want = referenceSoftmax(x, labels, rows, cols);
  const got = await run(ort, session, dtype, x, BigInt64Array.from(labels, BigInt), rows, cols);
  const err = Math.abs(got - want) / Math.abs(want);
  const bound = dtype === 'float32' ? 1e-6 : 1e-13;
  if (!(err <= bound)) throw new Error(`the ONNX graph's self-check failed: ${got} against ${want} (relative error ${err} > ${bound})`);
  return err;
}

export function onnxRuntime(s: WorkloadInfo, threads: 1 | 2): Impl {
  const name = `onnxruntime-node, ${threads} thread${threads > 1 ? 's' : ''}`;
  if (s.kind !== 'softmax') return notApplicable(name, 'softmax only (a LogSoftmax graph)');
  if (!hasPeer(ORT)) return notApplicable(name, NOT_INSTALLED);
  const dtype = s.f32 ? 'float32' : 'float64';
  let ort: Ort | null = null;
  let session: OrtSession | null = null;
  let labels = new BigInt64Array(0);
  let checked = NaN;
  return {
    name,
    setup: async (w) => {
      ort = requirePeer<Ort>(ORT);
      session = await ort.InferenceSession.create(graphPath(dtype), {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
      checked = await selfCheck(ort, session, dtype);
      labels = BigInt64Array.from(w.labels!, BigInt);
    },
    fn: (w) => run(ort!, session!, dtype, w.x, labels, w.rows, w.cols),
    note: () => `graph self-check on a 4 × 7 batch: relative error ${checked === 0 ? '0' : checked.toExponential(1)}`,
    teardown: () => void session?.release(),
  };
}
