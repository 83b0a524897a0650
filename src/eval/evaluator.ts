import type { FloatArray } from '../backend/kernels.js';
import { type Compat, presetOf } from '../core/compat.js';
import { XentError, show } from '../core/errors.js';
import {
  type HalfOptions, booleanOption, checkKeys, dtypeOf, integerOption, numberIn, ownOptions, unitName, unitOf,
} from '../core/options.js';
import { type Batch, type Labels, type Vector, asLabels, asMatrix, asVectorOption, checkWeights, isFloat32 } from '../core/shape.js';
import { type ReliabilityBin, expectedCalibrationError, reliability } from './calibration.js';
import { type BootstrapOptions, type MeanIntervals, bootstrapOf, macroF1Interval, meanIntervals, ratioInterval } from './bootstrap.js';
import { Z95, weightedStandardError } from './estimate.js';
import { PER_DECADE, SLOTS, quantile, slotBounds } from './quantiles.js';
import { multiLabel, singleLabel } from './rows.js';
import { type ReportFigures, classScoreErrors, classScores, reportFigures } from './scores.js';
import { type EvalSettings, EvalState, type StateJSON, packedLength } from './state.js';

/** Options of an Evaluator. */
export interface EvaluatorOptions {
  /** Classes per row (labels per row for multi-label input). Required. */
  classes: number;
  /** What `pred` holds: logits (default) or probabilities. */
  from?: 'logits' | 'probs';
  /** Independent binary labels per class (sigmoid / binary cross-entropy per element) instead of one label per row. */
  multiLabel?: boolean;
  /** Unit of the reported losses: 2 (bits), Math.E (nats, default), 10 (bans). nats and bits are always reported. */
  base?: number;
  /** Rows whose label equals this value are skipped (single-label only). */
  ignoreIndex?: number;
  /**
   * Whose rules the per-row losses follow (clipping, renormalisation, log clamps): 'exact' (default), 'torch',
   * 'keras', 'tfjs', 'sklearn' or 'scipy', as for the losses. Means are always Σ w·l / Σ w over counted rows (the
   * metric convention), whatever the preset.
   */
  compat?: Compat;
  /** k of the top-k accuracy (default 5, capped at classes). */
  topK?: number;
  /**
   * Probabilities (single-label, `from: 'probs'`) only: rescale each row by its sum instead of requiring it to sum
   * to 1, as `categoricalCrossEntropy`'s `normalize`; every figure then uses the rescaled row.
   */
  normalize?: boolean;
  /** Probabilities only: how far a row's sum may be from 1 (default 1e-6 float64 rows, 1e-4 float32, 1e-3 float16, 1e-2 bfloat16). */
  tolerance?: number;
  /**
   * Keep the per-class figures (`perClass` of the result): default true up to PER_CLASS_LIMIT (1024) classes, false
   * above, where fifteen numbers per class would make the state large (a vocabulary of 151,936 tokens: megabytes of
   * JSON). With it, the state grows with the classes actually seen.
   */
  perClass?: boolean;
  /**
   * A Poisson bootstrap of the loss, perplexity, accuracy and Brier score: `{ resamples, seed }` (README:
   * "Comparing models" for the generator). Rows are resampled (a multi-label row with all its labels, per-element
   * means within it). The state keeps four sums per resample, and for the macro F1's interval (with per-class
   * figures, up to 32 classes or labels) two per class per resample.
   */
  bootstrap?: BootstrapOptions | boolean | null;
}

export interface UpdateOptions extends HalfOptions {
  /** Per-row weights (length N, finite, >= 0): every sum is weighted. */
  sampleWeight?: Vector;
  /**
   * The global index of the batch's first row, which keys the bootstrap's draws (shards fed apart pass theirs).
   * Default: the rows this evaluator has seen (ignored ones included).
   */
  offset?: number;
}

export interface ClassResult {
  class: number;
  /** Single-label: Σ weight of the rows with this label. Multi-label: Σ weight·target (positives). */
  support: number;
  /** Mean loss over the class's rows (multi-label: over every row, of this label's binary loss), in `unit`. */
  loss: number;
  /** Single-label: fraction of the class's rows predicted right (recall). Multi-label: accuracy of this label. */
  accuracy: number;
  /** Single-label: mean predicted probability of the true class over the class's rows. Multi-label: mean p. */
  meanProbability: number;
  /** Σ weight of the rows predicted as this class (multi-label: with p >= 0.5). */
  predicted: number;
  /**
   * Precision, recall and F1 of the top-1 prediction (a tie with the label goes to the label, as for accuracy;
   * multi-label: of p >= 0.5), 0 where a denominator is 0 (as scikit-learn's default). Null for a state merged
   * from a version 1 or 2 state, which lacked the true positives.
   */
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /**
   * The standard error of each figure above, rows taken as independent draws. loss, accuracy and meanProbability:
   * weighted means over the class's rows (multi-label: over every row), with the headline means' formula
   * (weightedStandardError in estimate.ts). precision, recall and F1: the delta method on the weighted counts
   * (classScoreErrors in scores.ts). Null where undefined: a class with no rows or only one (effective) row, an
   * infinite mean, or a state merged from one written before these sums were kept (version 3 and older).
   */
  standardErrors: ClassErrors;
}

export interface ClassErrors {
  loss: number | null;
  accuracy: number | null;
  meanProbability: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

/** The bootstrap's 95% intervals: the loss, perplexity, accuracy and (null for a state written before it was kept) Brier score. */
export interface EvalIntervals extends MeanIntervals {
  brier: [number, number] | null;
  /**
   * The macro F1 of `averages.macro.f1`: each resample's per-class F1 = 2·TP / (support + predicted) from its
   * resampled sums, averaged over the classes with a label or a prediction among the resample's rows (multi-label:
   * every label, 0 where both are 0), as the point estimate. Null above 32 classes (labels), without per-class
   * figures, or for a state with a part written before these sums were kept.
   */
  macroF1: [number, number] | null;
}

export interface EvalResult extends ReportFigures {
  /** Rows evaluated (ignored rows excluded), rows ignored, and Σ sampleWeight over the evaluated rows. */
  count: number;
  ignored: number;
  weight: number;
  /** 'nats', 'bits', 'bans' or 'log base b': the unit of `loss`, the quantiles and the per-class losses. */
  unit: string;
  /** Mean cross-entropy in `unit`, in nats and in bits (multi-label: mean over every element). */
  loss: number;
  nats: number;
  bits: number;
  /** exp(mean loss in nats). */
  perplexity: number;
  /** Top-1 accuracy (a tie with the true class counts as right); multi-label: fraction of labels right at p >= 0.5. */
  accuracy: number;
  /** Top-k accuracy (single-label only). */
  topK: { k: number; accuracy: number } | null;
  /** Brier score: mean over rows of Σ_j (p_j − y_j)² (multiclass sum); multi-label: mean over elements of (p − t)². */
  brier: number;
  /** Expected calibration error, 15 equal-width bins (torchmetrics' binning, l1 norm). */
  ece: number;
  reliability: ReliabilityBin[];
  /** Per-row loss quantiles (q = 0.1 … 0.99), within 1.2% relative; exact min and max. In `unit`. */
  quantiles: { q: number; loss: number }[];
  min: number;
  max: number;
  /** Per-row loss histogram, 10 log bins per decade, non-empty bins only, bounds in `unit`. */
  histogram: { lo: number; hi: number; weight: number }[];
  /** One entry per class, or none when the evaluator keeps no per-class figures (option `perClass`). */
  perClass: ClassResult[];
  /**
   * The standard error of each mean above (weighted means: weightedStandardError in estimate.ts; NaN below two
   * rows, or for a state written before these were kept), rows taken as independent draws.
   */
  standardErrors: { loss: number; nats: number; bits: number; accuracy: number; topK: number | null; brier: number };
  /** The 95% interval of the perplexity: exp(mean nats ± 1.96 SE), the mean's interval carried through exp. */
  perplexityInterval95: [number, number];
  /**
   * With the `bootstrap` option: 95% percentile intervals of the loss, perplexity, accuracy, Brier score and (up to
   * 32 classes) macro F1 (rows resampled; a multi-label row with all its labels); else null.
   */
  bootstrap: EvalIntervals | null;
}

const QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99];
const OPTION_KEYS = [
  'classes', 'from', 'multiLabel', 'base', 'ignoreIndex', 'compat', 'topK', 'normalize', 'tolerance', 'perClass',
  'bootstrap',
];

/** Up to this many classes an Evaluator keeps per-class figures unless told otherwise. */
export const PER_CLASS_LIMIT = 1024;

function settingsOf(options: unknown): EvalSettings {
  if (options === undefined) throw new XentError('INVALID_OPTION', 'new Evaluator needs options with `classes`');
  const o = checkKeys(options, OPTION_KEYS, 'Evaluator');
  const classes = o.classes;
  if (typeof classes !== 'number' || !Number.isInteger(classes) || classes < 1) {
    throw new XentError('INVALID_OPTION', `classes must be a positive integer, got ${show(classes)}`);
  }
  const from = o.from ?? 'logits';
  if (from !== 'logits' && from !== 'probs') {
    throw new XentError('INVALID_OPTION', `from must be 'logits' or 'probs', got ${show(from)}`);
  }
  const multi = booleanOption(o.multiLabel, 'multiLabel');
  const base = o.base ?? Math.E;
  unitOf(base);
  const ignoreIndex = integerOption(o.ignoreIndex, 'ignoreIndex') ?? null;
  if (multi && ignoreIndex !== null) throw new XentError('INVALID_OPTION', 'ignoreIndex applies to single-label input only');
  const compat = presetOf(o.compat).compat;
  const topK = integerOption(o.topK, 'topK') ?? 5;
  if (topK < 1) throw new XentError('INVALID_OPTION', `topK must be an integer >= 1, got ${topK}`);
  const normalize = booleanOption(o.normalize, 'normalize');
  const tolerance = o.tolerance === undefined ? null : numberIn(o.tolerance, 'tolerance', 0, Infinity, 0);
  if ((normalize || tolerance !== null) && (from !== 'probs' || multi)) {
    throw new XentError('INVALID_OPTION', `${normalize ? 'normalize' : 'tolerance'} applies to single-label probabilities (from: 'probs') only`);
  }
  const perClass = o.perClass === undefined ? classes <= PER_CLASS_LIMIT : booleanOption(o.perClass, 'perClass');
  const bootstrap = bootstrapOf(o.bootstrap);
  return {
    classes, from, multiLabel: multi, base: base as number, ignoreIndex, compat, topK: Math.min(topK, classes), normalize,
    tolerance, perClass, bootstrap,
  };
}

/**
 * Builds a state: a typed array the runtime cannot allocate (huge `classes`) is OUT_OF_MEMORY, and a caller's state
 * object whose reading throws (a getter, a Proxy) is INVALID_TYPE, never a raw RangeError or TypeError.
 */
function allocating<T>(classes: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof XentError) throw e;
    const why = e instanceof Error ? e.message : show(e);
    if (e instanceof RangeError) {
      throw new XentError('OUT_OF_MEMORY', `the evaluator's state${classes ? ` for ${classes} classes` : ''} cannot be allocated (${why})`);
    }
    throw new XentError('INVALID_TYPE', `reading the evaluator state threw: ${why}`);
  }
}

const stateFor = (s: EvalSettings): EvalState => allocating(s.classes, () => new EvalState(s));

/**
 * The losses take each call's weights apart from their scale (so 1e308 or 5e-324 are right there); an evaluator
 * adds weights up across calls and merges, so it bounds them instead: 0, or within [2^-256, 2^256], where no sum
 * of weighted losses overflows nor any weighted term leaves the normal range.
 */
const W_MIN = 2 ** -256;
const W_MAX = 2 ** 256;
function weightsInRange<W extends ArrayLike<number>>(w: W): W {
  for (let i = 0; i < w.length; i++) {
    const v = w[i];
    if (v !== 0 && !(v >= W_MIN && v <= W_MAX)) {
      throw new XentError('INVALID_OPTION', `sampleWeight[${i}] is ${show(v)}; an Evaluator takes weights of 0 or within ` +
        '[2^-256, 2^256] (8.6e-78 to 1.2e77), since it adds them up across batches: scale them (its means do not depend on the scale)');
    }
  }
  return w;
}

/**
 * Streaming evaluation of a classifier: feed batches with `update`, read the figures with `result`. The state is
 * sums and counts, so any chunking, and merging shards' states (`merge`, `toJSON` / `fromJSON`) in any order, give
 * the same result up to float64 rounding.
 */
export class Evaluator {
  private state: EvalState;
  /** Where a batch accumulates before it is added to `state` (kept empty between calls). */
  private scratch: EvalState | null = null;

  constructor(options: EvaluatorOptions) {
    this.state = stateFor(settingsOf(options));
  }

  /** The settings in force (defaults filled in). */
  get options(): Readonly<EvalSettings> {
    return this.state.settings;
  }

  /**
   * Adds a batch. `pred`: N × C logits or probabilities (rows, or flat). `target`: N integer labels, or for
   * multi-label input an N × C matrix of 0/1 (or soft) targets. Nothing is added when the batch is invalid.
   */
  update(pred: Batch, target: Labels | Batch, options?: UpdateOptions): this {
    const o = checkKeys(options, ['sampleWeight', 'dtype', 'offset'], 'Evaluator.update');
    const s = this.state.settings;
    const f32 = isFloat32(pred);
    const dtype = dtypeOf(o.dtype);
    const X = asMatrix(pred, 'pred', s.classes, f32, dtype);
    if (X.cols !== s.classes) {
      throw new XentError('SHAPE_MISMATCH', `pred has ${X.cols} entries per row but classes is ${s.classes}`);
    }
    const w = o.sampleWeight === undefined ? null
      : weightsInRange(checkWeights(asVectorOption(o.sampleWeight, 'sampleWeight', X.rows, false), 'sampleWeight'));
    // Accumulate into a scratch state first: a batch that fails validation half-way adds nothing.
    const scratch = (this.scratch ??= stateFor(s));
    const offset = integerOption(o.offset, 'offset') ?? this.state.rows + this.state.ignored;
    if (offset < 0) throw new XentError('INVALID_OPTION', `offset must be an integer >= 0, got ${offset}`);
    scratch.origin = offset;
    try {
      if (s.multiLabel) {
        const T = asMatrix(target, 'target', s.classes, f32, dtype);
        if (T.rows !== X.rows) throw new XentError('SHAPE_MISMATCH', `target has ${T.rows} rows but pred has ${X.rows}`);
        if (X.rows > 0) multiLabel(scratch, X.data, T.data, X.rows, X.cols, w as FloatArray | null);
      } else {
        const labels = asLabels(target, 'target', X.rows, X.cols, s.ignoreIndex ?? undefined);
        if (X.rows > 0) singleLabel(scratch, X.data, X.rows, X.cols, labels, w as FloatArray | null, s.topK);
      }
    } catch (e) {
      scratch.clear();
      throw e;
    }
    scratch.drainInto(this.state);
    return this;
  }

  /**
   * Adds another evaluator's state (same settings): the shards of one evaluation, in any order. The worst rows'
   * numbers count `other`'s rows after this one's: merge in row order for numbers in the whole input.
   */
  merge(other: Evaluator): this {
    if (!(other instanceof Evaluator)) throw new XentError('INVALID_TYPE', `merge takes an Evaluator, got ${show(other)}`);
    this.state.add(other.state);
    return this;
  }

  /** Forgets everything added so far. */
  reset(): this {
    this.state.clear();
    return this;
  }

  /** The state as plain JSON (sums and counts), for `Evaluator.fromJSON` elsewhere. */
  toJSON(): StateJSON {
    return this.state.toJSON();
  }

  /** An evaluator holding a state produced by `toJSON` (an object or its JSON text). */
  static fromJSON(json: unknown): Evaluator {
    const st = allocating(0, () => EvalState.fromJSON(json, (settings) => {
      if (settings === null || typeof settings !== 'object') throw new XentError('INVALID_TYPE', 'state.settings must be an object');
      // null stands for an absent option; states written before normalize and tolerance existed lack them. Own
      // fields only: a polluted Object.prototype must not fill one in.
      const o = Object.fromEntries(Object.entries(ownOptions(settings, 'Evaluator.fromJSON')).filter(([, v]) => v !== null));
      return settingsOf(o);
    }));
    const ev = new Evaluator({ classes: st.settings.classes });
    ev.state = st;
    return ev;
  }

  result(): EvalResult {
    const st = this.state;
    const s = st.settings;
    const u = Math.log(s.base);
    const W = st.weight;
    const nats = st.loss / W;
    const se = (sum: number, s1: number, s2: number) => weightedStandardError(sum / W, W, st.w2, s1, s2);
    const seNats = se(st.loss, st.loss1, st.loss2);
    const perClass: ClassResult[] = [];
    const known = (v: number) => (Number.isFinite(v) ? v : null);
    for (let j = 0; j < st.support.length; j++) {
      const d = s.multiLabel ? W : st.support[j];
      const d2 = s.multiLabel ? st.w2 : st.classW2[j];
      const cse = (sum: number, s1: number, s2: number) => known(weightedStandardError(sum / d, d, d2, s1, s2));
      const sc = classScores(st, j);
      const ec = classScoreErrors(st, j);
      const lossSE = cse(st.classLoss[j], st.classLoss1[j], st.classLoss2[j]);
      perClass.push({
        class: j,
        support: st.support[j],
        loss: st.classLoss[j] / d / u,
        accuracy: st.classCorrect[j] / d,
        meanProbability: st.classProb[j] / d,
        predicted: st.predicted[j],
        precision: sc?.precision ?? null,
        recall: sc?.recall ?? null,
        f1: sc?.f1 ?? null,
        standardErrors: {
          loss: lossSE === null ? null : lossSE / u,
          accuracy: cse(st.classCorrect[j], st.classCorrect1[j], st.classCorrect1[j]),
          meanProbability: cse(st.classProb[j], st.classProb1[j], st.classProb2[j]),
          precision: ec?.precision ?? null,
          recall: ec?.recall ?? null,
          f1: ec?.f1 ?? null,
        },
      });
    }
    const histogram: EvalResult['histogram'] = [];
    const group = PER_DECADE / 10;
    for (let i = 0; i < SLOTS; ) {
      const n = i === 0 || i === SLOTS - 1 ? 1 : group;
      let weight = 0;
      for (let k = i; k < i + n; k++) weight += st.hist[k];
      if (weight > 0) histogram.push({ lo: slotBounds(i)[0] / u, hi: slotBounds(i + n - 1)[1] / u, weight });
      i += n;
    }
    return {
      count: st.rows,
      ignored: st.ignored,
      weight: W,
      unit: unitName(s.base),
      loss: nats / u,
      nats,
      bits: nats / Math.LN2,
      perplexity: Math.exp(nats),
      accuracy: st.correct / W,
      topK: s.multiLabel ? null : { k: s.topK, accuracy: st.topK / W },
      brier: st.brier / W,
      ece: expectedCalibrationError(st.eceWeight, st.eceConf, st.eceCorrect),
      reliability: reliability(st.eceWeight, st.eceConf, st.eceCorrect),
      quantiles: QUANTILES.map((q) => ({ q, loss: quantile(st.hist, q, st.min, st.max) / u })),
      min: W > 0 ? st.min / u : NaN,
      max: W > 0 ? st.max / u : NaN,
      histogram,
      perClass,
      ...reportFigures(st),
      standardErrors: {
        loss: seNats / u,
        nats: seNats,
        bits: seNats / Math.LN2,
        accuracy: se(st.correct, st.correct1, st.correct2),
        topK: s.multiLabel ? null : se(st.topK, st.topK1, st.topK2),
        brier: se(st.brier, st.brier1, st.brier2),
      },
      perplexityInterval95: [Math.exp(nats - Z95 * seNats), Math.exp(nats + Z95 * seNats)],
      bootstrap: s.bootstrap === null ? null : {
        ...meanIntervals(st.bootW, st.bootLoss, st.bootCorrect, u),
        brier: st.bootBrier.some(Number.isNaN) ? null : ratioInterval(st.bootBrier, st.bootW),
        macroF1: macroF1Interval(st.bootW, st.bootHits, st.bootCounts, s.multiLabel),
      },
    };
  }
}

/** An evaluator's private state, for the functions below (bracket access: TypeScript's soft privacy allows it). */
const stateOf = (ev: Evaluator): EvalState => ev['state'];

/**
 * The evaluator's state packed into one Float64Array (no JSON, no per-number objects): how the CLI's worker threads
 * send their block states, whose buffers can be transferred rather than copied. Not part of the package's API.
 */
export function packState(ev: Evaluator): Float64Array<ArrayBuffer> {
  const st = stateOf(ev);
  const out = new Float64Array(packedLength(st.settings));
  st.packInto(out, 0);
  return out;
}

/** ev.merge() of a state packed by packState from an evaluator with the same settings: bit-identical sums. */
export function mergePacked(ev: Evaluator, packed: Float64Array): void {
  const st = stateOf(ev);
  const n = packedLength(st.settings);
  if (packed.length !== n) {
    throw new XentError('SHAPE_MISMATCH', `a packed state of ${st.settings.classes} classes has ${n} numbers, got ${packed.length}`);
  }
  st.addPacked(packed, 0);
}
