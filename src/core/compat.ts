/**
 * `compat` presets: the rules by which another system computes the same quantity. xent's default, 'exact', is
 * exact mathematics; each preset changes only what that system does differently (clipping, renormalisation, the
 * divisor of a weighted mean, the empty-mean result, the default ignore label, KL reductions). An option given
 * explicitly always wins over the preset. The README section "Matching PyTorch / Keras / TF.js / scikit-learn" has the table and the sources.
 */
import { type FloatArray, elem } from './dtype.js';
import { XentError, at, show } from './errors.js';
import { type Reduction, numberIn } from './options.js';
import { asVectorOption } from './shape.js';
import { type CheckKernels, type Named, checkUnitInterval, explainNaN } from './validate.js';

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

/** The means a loss's `reduction` can name, each by its divisor, winning over the preset's default 'mean'. */
export type MeanReduction = 'weighted_mean' | 'sum_over_batch_size' | 'sum_by_nonzero_weights';

/**
 * A weighted loss's reduction: 'mean' (default: the preset's mean), 'sum', 'none', or a mean named by its divisor,
 * which wins over the preset's: 'weighted_mean' (Σ w·l / Σ w), 'sum_over_batch_size' (Σ w·l / counted rows or
 * elements), 'sum_by_nonzero_weights' (Σ w·l / number of non-zero weights).
 */
export type LossReduction = Reduction | MeanReduction;

const MEAN_REDUCTIONS: Record<MeanReduction, MeanRule> = {
  weighted_mean: 'weights',
  sum_over_batch_size: 'count',
  sum_by_nonzero_weights: 'nonzero',
};

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
  /** Clip bounds (and logLoss' epsilon) are float32 numbers, whatever the input: Keras and TF.js compute in float32. */
  clip32: boolean;
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
  /** Divisor of klDivergence's mean (its units are elements where `klElementwise`). */
  klMean: MeanRule;
  /** With dense targets, do class weights enter the mean's divisor (exact: Σ_j w_j t_j per row)? PyTorch: no. */
  denseClassWeightsInMean: boolean;
  /** The result of a mean over zero total weight / zero counted rows. */
  emptyMean: number;
  /** Default label of ignored rows (PyTorch: -100). */
  ignoreIndex: number | undefined;
  /**
   * Targets (binary, and dense categorical) may be any finite number, not only [0, 1]: 'all' losses, 'logits' the
   * losses from logits only (PyTorch checks binary_cross_entropy's targets), 'none'. The formulas are linear in t.
   */
  realTargets: 'all' | 'logits' | 'none';
  /** Weights may be negative: every framework only multiplies by them. */
  negativeWeights: boolean;
  /** The binary losses average each row first (Keras: a mean over the last axis), then reduce the rows. */
  binaryRowMean: boolean;
  /**
   * 'weighted_mean' of labelled rows without sample weights keeps ignored rows in its divisor (keras.metrics.Mean
   * counts every row it is given; its loss function zeroes the ignored ones and masks only given sample weights).
   */
  meanCountsIgnored: boolean;
  /**
   * The domain of klDivergence's rows: 'distribution' (sum to 1 within tolerance, unless normalize), 'clip' (any
   * value, clipped to [klClip, 1]: Keras, TF.js), 'nonnegative' (any p, q >= 0: PyTorch's kl_div).
   */
  klDomain: 'distribution' | 'clip' | 'nonnegative';
  /** KL: both distributions clipped to [klClip, 1] first (Keras, TF.js); 0 for none. */
  klClip: number;
  /** KL is elementwise (PyTorch's kl_div): 'none' gives one value per element, and the mean's units are elements. */
  klElementwise: boolean;
  /** Binary focal loss: is the alpha class balancing applied by default (torchvision: yes; Keras: no)? */
  focalBalancing: boolean;
}

const EXACT: Preset = {
  compat: 'exact',
  clip: 0,
  clip32: false,
  normalize: false,
  normalizeQOnly: false,
  binaryLog: 'exact',
  additiveEps: 0,
  mean: 'weights',
  binaryMean: 'weights',
  klMean: 'weights',
  denseClassWeightsInMean: true,
  emptyMean: NaN,
  ignoreIndex: undefined,
  realTargets: 'none',
  negativeWeights: false,
  binaryRowMean: false,
  meanCountsIgnored: false,
  klDomain: 'distribution',
  klClip: 0,
  klElementwise: false,
  focalBalancing: false,
};

/** Keras' backend.epsilon() and TF.js' epsilon(): 1e-7. */
export const KERAS_EPSILON = 1e-7;

/** What every preset shares beyond exact mathematics: the frameworks multiply by any weight. */
const FRAMEWORK = { negativeWeights: true } as const;

const PRESETS: Record<Compat, Preset> = {
  exact: EXACT,
  // torch.nn.functional: cross_entropy / nll_loss (ignore_index=-100; class-weighted mean Σ w_y; soft targets
  // divide by N), binary_cross_entropy (log clamp -100; targets checked in [0, 1]; `weight` only rescales: mean over
  // numel), binary_cross_entropy_with_logits (any target), kl_div (elementwise xlogy(p, p) - p·input, any p >= 0).
  torch: {
    ...EXACT, ...FRAMEWORK, compat: 'torch', binaryLog: 'clamp', binaryMean: 'count', klMean: 'count',
    denseClassWeightsInMean: false, ignoreIndex: -100, realTargets: 'logits', klDomain: 'nonnegative',
    klElementwise: true, focalBalancing: true,
  },
  // keras.losses (Keras 3), in float32: renormalise + clip to [1e-7, 1 - 1e-7]; 'sum_over_batch_size' divides by
  // the number of rows whatever the sample weights (masked rows excluded, divide_no_nan: empty mean 0); binary
  // losses are means over the last axis; kl_divergence clips both to [1e-7, 1].
  keras: {
    ...EXACT, ...FRAMEWORK, compat: 'keras', clip: KERAS_EPSILON, clip32: true, normalize: true, normalizeQOnly: true,
    mean: 'count', binaryMean: 'count', klMean: 'count', emptyMean: 0, realTargets: 'all', binaryRowMean: true,
    meanCountsIgnored: true, klDomain: 'clip', klClip: KERAS_EPSILON,
  },
  // tf.losses (tfjs-core) with the default Reduction.SUM_BY_NONZERO_WEIGHTS; logLoss adds eps = 1e-7 inside the
  // log; tfjs-layers' categoricalCrossentropy renormalises and clips; metrics.kullbackLeiblerDivergence clips.
  tfjs: {
    ...EXACT, ...FRAMEWORK, compat: 'tfjs', clip: KERAS_EPSILON, clip32: true, normalize: true, normalizeQOnly: true,
    binaryLog: 'additive', additiveEps: KERAS_EPSILON, mean: 'nonzero', binaryMean: 'nonzero', klMean: 'nonzero',
    realTargets: 'all', klDomain: 'clip', klClip: KERAS_EPSILON,
  },
  // sklearn.metrics.log_loss: clip at the dtype's machine epsilon, np.average(loss, weights=sample_weight).
  sklearn: { ...EXACT, ...FRAMEWORK, compat: 'sklearn', clip: 'dtype' },
  // scipy.stats.entropy / scipy.spatial.distance.jensenshannon renormalise their arguments (in float64).
  scipy: { ...EXACT, compat: 'scipy', normalize: true },
};

/** Validates the `compat` option and returns its preset. */
export function presetOf(v: unknown): Preset {
  if (v === undefined) return EXACT;
  if (typeof v === 'string' && (COMPATS as readonly string[]).includes(v)) return PRESETS[v as Compat];
  throw new XentError('INVALID_OPTION', `compat must be one of ${COMPATS.map((c) => `'${c}'`).join(', ')}, got ${show(v)}`);
}

/** A number as the preset computes it: rounded to float32 under Keras and TF.js. */
export const inPreset = (p: Preset, x: number): number => (p.clip32 ? Math.fround(x) : x);

/**
 * The clip bounds [lo, hi] a preset applies to probabilities of the given dtype, or those of an explicit `eps`
 * ([eps, 1 - eps]); [0, 1] is no clipping. Float32 machine epsilon is 2^-23. Keras and TF.js clip in float32:
 * [fround(1e-7), fround(1 - 1e-7)] = [1e-7 + 1.2e-15, 1 - 2^-23], so a clipped 1 costs 15.942 nats, not 16.118.
 */
export function clipBounds(p: Preset, eps: number | undefined, f32: boolean): [number, number] {
  const c = eps ?? (p.clip === 'dtype' ? (f32 ? 2 ** -23 : 2 ** -52) : p.clip);
  return c === 0 ? [0, 1] : [inPreset(p, c), inPreset(p, 1 - c)];
}

/** The `eps` option (clip to [eps, 1 - eps]), or undefined for the preset's. */
export const epsOption = (v: unknown): number | undefined => (v === undefined ? undefined : numberIn(v, 'eps', 0, 0.5, 0, true));

/**
 * Parses a weighted loss's `reduction`: 'mean' (the preset's mean), 'sum', 'none' or a named mean. Returns the
 * reduction to apply ('mean' for every mean) and the named mean's divisor rule (null: the preset's). `also` names
 * the function's own further reductions, for the error message (klDivergence's 'batchmean', which it parses).
 */
export function lossReduction(v: unknown, also: readonly string[] = []): { reduction: Reduction; rule: MeanRule | null } {
  if (v === undefined || v === 'mean' || v === 'sum' || v === 'none') return { reduction: v ?? 'mean', rule: null };
  if (typeof v === 'string' && Object.hasOwn(MEAN_REDUCTIONS, v)) {
    return { reduction: 'mean', rule: MEAN_REDUCTIONS[v as MeanReduction] };
  }
  const names = ['mean', 'sum', 'none', ...also, ...Object.keys(MEAN_REDUCTIONS)];
  throw new XentError('INVALID_OPTION', `reduction must be one of ${names.map((n) => `'${n}'`).join(', ')}, got ${show(v)}`);
}

/**
 * The divisor of a weighted mean under `rule`: `weightSum` the sum of each counted unit's weight (0 for ignored
 * units), `counted` the number of counted units, `nonzero()` the number of counted units of non-zero weight.
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

/**
 * A weight option (`weight`, `sampleWeight`): a number (every entry that weight, as Keras' sample_weight=2.3) or a
 * vector of `length`, in the kernels' dtype. Entries must be finite; negative ones only under a framework preset
 * (the frameworks only multiply by them; exact mathematics has no negative weight).
 */
export function weightOption(v: unknown, name: string, length: number, f32: boolean, p: Preset): FloatArray {
  const check = (x: number, where: string): void => {
    if (x !== x) throw new XentError('NON_FINITE', `${where} is NaN`);
    if (!(x >= 0 || (p.negativeWeights && x > -Infinity)) || x === Infinity) {
      const allowed = p.negativeWeights ? 'finite' : "finite and >= 0 (negative weights need a compat preset other than 'exact')";
      throw new XentError('INVALID_OPTION', `${where} must be ${allowed}, got ${show(x)}`);
    }
  };
  if (typeof v === 'number') {
    check(v, name);
    return new (f32 ? Float32Array : Float64Array)(length).fill(v);
  }
  const w = asVectorOption(v, name, length, f32);
  for (let i = 0; i < w.length; i++) check(w[i], `${name}[${i}]`);
  return w;
}

/** Weights of both signs (the framework presets take them) meeting infinite losses: Infinity - Infinity. */
const opposed = (): XentError => new XentError('NON_FINITE',
  'weights of both signs meet infinite losses: their weighted sum is Infinity - Infinity');

/**
 * explainNaN for a weighted result: a NaN that no input explains, where some weight is negative, is Infinity -
 * Infinity (NON_FINITE, said so), not INTERNAL.
 */
export function explainWeighted(row: number, inputs: readonly Named[], weights: readonly (ArrayLike<number> | null)[], logits?: Named): never {
  try {
    return explainNaN(row, inputs, logits);
  } catch (e) {
    if ((e as XentError).code === 'INTERNAL' && weights.some((w) => w !== null && Array.prototype.some.call(w, (v: number) => v < 0))) throw opposed();
    throw e;
  }
}

/** A reduced value that is NaN though its mean was not empty: its weighted rows summed Infinity - Infinity. */
export function notOpposed<R>(r: R, emptyMean: boolean): R {
  if (r !== r && !emptyMean) throw opposed();
  return r;
}

/**
 * Checks targets against the preset's domain: [0, 1] (INVALID_PROBABILITY otherwise), or any finite number where
 * `real` (the frameworks' formulas are linear in t; ±Infinity is INVALID_PROBABILITY, NaN NON_FINITE).
 */
export function checkTargets(k: CheckKernels, T: Named, real: boolean): void {
  if (!real) {
    checkUnitInterval(k, T);
    return;
  }
  const { m } = T;
  const sum = new Float64Array(m.rows);
  k.rowStats(m.data, m.rows, m.cols, sum, null, null);
  for (let r = 0; r < m.rows; r++) {
    if (Number.isFinite(sum[r])) continue;
    for (let i = r * m.cols; i < (r + 1) * m.cols; i++) {
      const v = elem(m.data, i);
      if (v !== v) throw new XentError('NON_FINITE', `${at(T.name, i, m.cols, m.batch)} is NaN`);
      if (!Number.isFinite(v)) throw new XentError('INVALID_PROBABILITY', `${at(T.name, i, m.cols, m.batch)} is ${show(v)}; targets must be finite`);
    }
  }
}
