/**
 * `compat` presets: the rules by which another system computes the same quantity. xent's default, 'exact', is
 * exact mathematics; each preset changes only what that system does differently (clipping, renormalisation, the
 * divisor of a weighted mean, the empty-mean result, the default ignore label, KL reductions). An option given
 * explicitly always wins over the preset. The README section "Matching PyTorch / Keras / TF.js / scikit-learn" has the table and the sources.
 */
import { XentError, show } from './errors.js';

export type Compat = 'exact' | 'torch' | 'keras' | 'tfjs' | 'sklearn' | 'scipy';

export const COMPATS: readonly Compat[] = ['exact', 'torch', 'keras', 'tfjs', 'sklearn', 'scipy'];

/** Options of every function that takes a `compat` preset. */
export interface CompatOptions {
  /**
   * Whose rules to reproduce: 'exact' (default: exact mathematics), 'torch', 'keras', 'tfjs', 'sklearn' or
   * 'scipy'. Options given explicitly override the preset (see the README).
   */
  compat?: Compat;
}

/**
 * What a weighted mean divides by:
 * - 'weights': the sum of the weights actually applied (exact, scikit-learn's np.average, PyTorch's class weights);
 * - 'count': the number of counted rows (elements for the binary losses), weights or not (Keras losses'
 *   sum_over_batch_size, PyTorch's BCE `weight`);
 * - 'nonzero': the number of non-zero weights (TF.js' default Reduction.SUM_BY_NONZERO_WEIGHTS).
 */
export type MeanRule = 'weights' | 'count' | 'nonzero';

/** How binary cross-entropy from probabilities takes its logarithms. */
export type BinaryLogRule =
  | 'exact'
  /** PyTorch's binary_cross_entropy: each log clamped at >= -100. */
  | 'clamp'
  /** TF.js' losses.logLoss: -(t log(p + eps) + (1 - t) log(1 - p + eps)), no clipping. */
  | 'additive';

export interface Preset {
  compat: Compat;
  /** Probabilities are clipped to [clip, 1 - clip] before the log; 'dtype' is the input dtype's machine epsilon. */
  clip: number | 'dtype';
  /** Probability rows are divided by their sums (Keras, TF.js layers, SciPy). */
  normalize: boolean;
  /** Only the second distribution (the prediction q) is renormalised (Keras' categorical_crossentropy). */
  normalizeQOnly: boolean;
  binaryLog: BinaryLogRule;
  /** The additive epsilon of binaryLog 'additive'. */
  additiveEps: number;
  /** Divisor of the categorical losses' weighted mean. */
  mean: MeanRule;
  /** Divisor of the binary losses' weighted mean. */
  binaryMean: MeanRule;
  /** With dense targets, do class weights enter the mean's divisor (exact: Σ_j w_j t_j per row)? PyTorch: no. */
  denseClassWeightsInMean: boolean;
  /** The result of a mean over zero total weight / zero counted rows. */
  emptyMean: number;
  /** Default label of ignored rows (PyTorch: -100). */
  ignoreIndex: number | undefined;
  /** KL: both distributions clipped to [klClip, 1] first (Keras, TF.js); 0 for none. */
  klClip: number;
  /** KL reduction 'mean' divides by the number of elements, not rows (PyTorch's kl_div). */
  klMeanOverElements: boolean;
  /** Binary focal loss: is the alpha class balancing applied by default (torchvision: yes; Keras: no)? */
  focalBalancing: boolean;
}

const EXACT: Preset = {
  compat: 'exact',
  clip: 0,
  normalize: false,
  normalizeQOnly: false,
  binaryLog: 'exact',
  additiveEps: 0,
  mean: 'weights',
  binaryMean: 'weights',
  denseClassWeightsInMean: true,
  emptyMean: NaN,
  ignoreIndex: undefined,
  klClip: 0,
  klMeanOverElements: false,
  focalBalancing: false,
};

/** Keras' backend.epsilon() and TF.js' epsilon(): 1e-7. */
export const KERAS_EPSILON = 1e-7;

const PRESETS: Record<Compat, Preset> = {
  exact: EXACT,
  // torch.nn.functional: cross_entropy / nll_loss (ignore_index=-100; class-weighted mean Σ w_y; soft targets
  // divide by N), binary_cross_entropy (log clamp -100; `weight` only rescales: mean over numel), kl_div.
  torch: {
    ...EXACT, compat: 'torch', binaryLog: 'clamp', binaryMean: 'count', denseClassWeightsInMean: false,
    ignoreIndex: -100, klMeanOverElements: true, focalBalancing: true,
  },
  // keras.losses (Keras 3): renormalise + clip to [1e-7, 1 - 1e-7]; 'sum_over_batch_size' divides by the
  // number of rows whatever the sample weights (masked rows excluded, divide_no_nan: empty mean 0).
  keras: {
    ...EXACT, compat: 'keras', clip: KERAS_EPSILON, normalize: true, normalizeQOnly: true, mean: 'count',
    binaryMean: 'count', emptyMean: 0, klClip: KERAS_EPSILON,
  },
  // tf.losses (tfjs-core) with the default Reduction.SUM_BY_NONZERO_WEIGHTS; logLoss adds eps = 1e-7 inside the
  // log; tfjs-layers' categoricalCrossentropy renormalises and clips; metrics.kullbackLeiblerDivergence clips.
  tfjs: {
    ...EXACT, compat: 'tfjs', clip: KERAS_EPSILON, normalize: true, normalizeQOnly: true, binaryLog: 'additive',
    additiveEps: KERAS_EPSILON, mean: 'nonzero', binaryMean: 'nonzero', klClip: KERAS_EPSILON,
  },
  // sklearn.metrics.log_loss: clip at the dtype's machine epsilon, np.average(loss, weights=sample_weight).
  sklearn: { ...EXACT, compat: 'sklearn', clip: 'dtype' },
  // scipy.stats.entropy / scipy.spatial.distance.jensenshannon renormalise their arguments.
  scipy: { ...EXACT, compat: 'scipy', normalize: true },
};

/** Validates the `compat` option and returns its preset. */
export function presetOf(v: unknown): Preset {
  if (v === undefined) return EXACT;
  if (typeof v === 'string' && (COMPATS as readonly string[]).includes(v)) return PRESETS[v as Compat];
  throw new XentError('INVALID_OPTION', `compat must be one of ${COMPATS.map((c) => `'${c}'`).join(', ')}, got ${show(v)}`);
}

/** The clip a preset applies for an input of the given dtype (float32 machine epsilon is 2^-23). */
export function clipOf(p: Preset, f32: boolean): number {
  if (p.clip === 'dtype') return f32 ? 2 ** -23 : 2 ** -52;
  return p.clip;
}

/**
 * The divisor of a weighted mean under `rule`: `weights` holds each counted unit's weight (0 for ignored units),
 * `counted` the number of counted units.
 */
export function divisorOf(rule: MeanRule, weightSum: number, counted: number, nonzero: () => number): number {
  if (rule === 'count') return counted;
  if (rule === 'nonzero') return nonzero();
  return weightSum;
}

/** Number of non-zero entries. */
export function countNonzero(a: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) n++;
  return n;
}
