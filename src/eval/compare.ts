/**
 * Comparing two models on the same inputs: feed the base's and the candidate's logits for the same positions with
 * `update`, read the paired figures with `result`. For classifiers (one row per example) and language models (token
 * positions, with the shift and sequence options of the LanguageModelEvaluator) alike. The state is sums, counts,
 * bounded sketches and, with the bootstrap, B sums per figure: it does not grow with the vocabulary or the rows, and
 * shards merge in any order.
 */
import { DEFAULT_IGNORE_INDEX, type SequenceOptions } from '../api/tokens.js';
import { comparing } from '../backend/comparing.js';
import { scoring } from '../backend/scoring.js';
import { XentError, show } from '../core/errors.js';
import { booleanOption, checkKeys, dtypeOf, integerOption, unitOf } from '../core/options.js';
import { type Batch, type Labels, type Matrix, asLabels, asMatrix, isFloat32, reading } from '../core/shape.js';
import { scoredTargets, sequenceStarts } from '../core/sequences.js';
import { type Named, checkInfiniteRows, explainNaN } from '../core/validate.js';
import { type BootstrapOptions, bootstrapOf, poissonWeights, rowKey } from './bootstrap.js';
import { type ComparisonResult, comparisonResult } from './compare-result.js';
import { type ComparisonSettings, ComparisonState, type Disagreement, WORST, bootSums, worstOf } from './compare-state.js';
import { expectSameSettings, stateObject } from './json.js';
import { slotOf } from './quantiles.js';

export type { ComparisonSettings, Disagreement } from './compare-state.js';
export type { ComparisonResult } from './compare-result.js';

/** Options of a Comparison. */
export interface ComparisonOptions {
  /** Classes (vocabulary size): logits per row. Required. */
  classes: number;
  /** Targets equal to this are not scored (padding, prompt tokens). Default -100, as Hugging Face and PyTorch. */
  ignoreIndex?: number;
  /**
   * k of the top-k overlap |top-k(base) ∩ top-k(candidate)| / k (default 1, capped at classes). k > 1 costs one
   * more scan of each model's rows.
   */
  topK?: number;
  /** Unit of losses and divergences: Math.E (nats, default), 2 (bits), 10. */
  base?: number;
  /** A paired Poisson bootstrap of the loss and accuracy differences (see README: "Comparing models"). */
  bootstrap?: BootstrapOptions | boolean | null;
}

/** Options of Comparison.update. `dtype` applies to both models' Uint16Array logits. */
export interface ComparisonUpdateOptions extends SequenceOptions {
  /**
   * The global index of this update's first position: a scored target's global position (offset plus its position
   * in the update) keys the bootstrap's draws, so that shards of one evaluation, fed separately and merged, draw the
   * same resamples as one run. Default: the positions this state has seen, which is right when one state sees every
   * position in order.
   */
  offset?: number;
}

const OPTION_KEYS = ['classes', 'ignoreIndex', 'topK', 'base', 'bootstrap'];
const UPDATE_KEYS = ['shift', 'sequenceLength', 'sequenceIds', 'dtype', 'offset'];
/** The `format` of a Comparison's JSON state. */
export const COMPARISON_FORMAT = 'xent-comparison-state';
const FORMAT = COMPARISON_FORMAT;

function settingsOf(options: unknown): ComparisonSettings {
  if (options === undefined) {
    throw new XentError('INVALID_OPTION', 'new Comparison needs options with `classes` (classes or vocabulary size)');
  }
  const o = checkKeys(options, OPTION_KEYS, 'Comparison');
  const classes = o.classes;
  if (typeof classes !== 'number' || !Number.isInteger(classes) || classes < 1) {
    throw new XentError('INVALID_OPTION', `classes must be a positive integer, got ${show(classes)}`);
  }
  const base = o.base ?? Math.E;
  unitOf(base);
  const topK = integerOption(o.topK, 'topK') ?? 1;
  if (topK < 1) throw new XentError('INVALID_OPTION', `topK must be an integer >= 1, got ${topK}`);
  const ignoreIndex = integerOption(o.ignoreIndex, 'ignoreIndex') ?? DEFAULT_IGNORE_INDEX;
  return { classes, ignoreIndex, topK: Math.min(topK, classes), base: base as number, bootstrap: bootstrapOf(o.bootstrap) };
}


/** The NON_FINITE (or INTERNAL) error for a row whose kernel outputs hold NaN. */
function explainRow(r: number, A: Named, B: Named, out: Float64Array): never {
  if (Number.isNaN(out[6 * r])) explainNaN(r, [A], A);
  if (Number.isNaN(out[6 * r + 1])) explainNaN(r, [B], B);
  explainNaN(r, [A, B]);
}

/** Both models' logits at the same element type: float64 if either is, else as given (half stays half). */
function sameType(A: Matrix, B: Matrix): void {
  if (A.data instanceof Float64Array && B.data instanceof Float32Array) B.data = new Float64Array(B.data);
  if (B.data instanceof Float64Array && A.data instanceof Float32Array) A.data = new Float64Array(A.data);
}

/**
 * A paired comparison of two models (base and candidate) on the same rows: both models' loss, accuracy and
 * perplexity with standard errors; the paired difference of the losses and of the accuracies (with McNemar's exact
 * test and, optionally, a paired Poisson bootstrap); the perplexity ratio; KL divergence both ways with percentiles,
 * Jensen–Shannon, Δp of the target, top-1 agreement and top-k overlap.
 */
export class Comparison {
  private state: ComparisonState;

  constructor(options: ComparisonOptions) {
    this.state = new ComparisonState(settingsOf(options));
  }

  /** The settings in force (defaults filled in). */
  get options(): Readonly<ComparisonSettings> {
    return this.state.settings;
  }

  /**
   * Adds rows: `base` and `candidate` hold one row of `classes` logits per position (rows, or flat), for the same
   * positions; `targets` one class (token id) per position. Nothing is added when the input is invalid.
   */
  update(base: Batch, candidate: Batch, targets: Labels, options?: ComparisonUpdateOptions): this {
    const o = checkKeys(options, UPDATE_KEYS, 'Comparison.update');
    const s = this.state.settings;
    const dtype = dtypeOf(o.dtype);
    const A = asMatrix(base, 'base', s.classes, isFloat32(base), dtype);
    const B = asMatrix(candidate, 'candidate', s.classes, isFloat32(candidate), dtype);
    for (const [M, name] of [[A, 'base'], [B, 'candidate']] as const) {
      if (M.cols !== s.classes) {
        throw new XentError('SHAPE_MISMATCH', `${name} has ${M.cols} entries per row but classes is ${s.classes}`);
      }
    }
    if (B.rows !== A.rows) {
      throw new XentError('SHAPE_MISMATCH', `candidate has ${B.rows} rows but base has ${A.rows}`);
    }
    const offset = integerOption(o.offset, 'offset') ?? this.state.positions;
    if (offset < 0) throw new XentError('INVALID_OPTION', `offset must be an integer >= 0, got ${offset}`);
    const n = A.rows;
    const starts = sequenceStarts(n, o.sequenceLength, o.sequenceIds);
    const labels = asLabels(targets, 'targets', n, s.classes, s.ignoreIndex);
    const shift = booleanOption(o.shift, 'shift');
    const scored = scoredTargets(labels, starts, shift);
    // Row r of logits scores the target at position r (r + 1 under the shift): rows are named by that position.
    const at = offset + (shift ? 1 : 0);
    sameType(A, B);
    const out = new Float64Array(6 * n);
    const ints = new Int32Array(4 * n);
    comparing().compareRows(A.data, B.data, n, s.classes, scored, out, ints);
    const NA: Named = { name: 'base', m: A };
    const NB: Named = { name: 'candidate', m: B };
    let infinite = false;
    for (let r = 0; r < n; r++) {
      if (scored[r] < 0) continue;
      for (let i = 6 * r; i < 6 * r + 6; i++) if (out[i] !== out[i]) explainRow(r, NA, NB, out);
      if (out[6 * r] === Infinity || out[6 * r + 1] === Infinity) infinite = true;
    }
    if (infinite) {
      // An infinite loss: the logit that makes it, named (rows in order, the base's first).
      checkInfiniteRows(Float64Array.from({ length: n }, (_, r) => out[6 * r]), NA);
      checkInfiniteRows(Float64Array.from({ length: n }, (_, r) => out[6 * r + 1]), NB);
    }
    const k = s.topK;
    let topA: Int32Array | null = null;
    let topB: Int32Array | null = null;
    if (k > 1) {
      const score = (M: Matrix) => {
        const ids = new Int32Array(n * k);
        scoring().scoreTokens(M.data, n, s.classes, 1, scored, 1, new Float64Array(n), new Int32Array(n),
          new Float64Array(n), k, ids, new Float64Array(n * k));
        return ids;
      };
      topA = score(A);
      topB = score(B);
    }
    // The batch's sums add in locals first, then into the state: the same additions as merging the batches' states
    // in order, so a fixed grid of blocks gives the same bits however it is run. Counts of the sketches and
    // histograms are whole numbers and their extremes exact, so those go straight into the state.
    const st = this.state;
    const R = st.boot ? s.bootstrap!.resamples : 0;
    const boot = st.boot && bootSums(R);
    const draws = boot ? new Uint8Array(R) : null;
    // Candidates for the rows of largest KL, cut to WORST now and then (rows come in index order, so a later row
    // that only ties the WORST-th loses the tie).
    let worst: Disagreement[] = [];
    let fresh: Disagreement[] = [];
    let floor = -Infinity;
    let rowsN = 0, correctA = 0, correctB = 0, onlyA = 0, onlyB = 0, agreeN = 0;
    let lossA = 0, lossA2 = 0, lossB = 0, lossB2 = 0, dSum = 0, d2 = 0, klAB = 0, klAB2 = 0, klBA = 0, klBA2 = 0;
    let jsSum = 0, js2 = 0, dpSum = 0, dp2 = 0, overlap = 0, overlap2 = 0;
    const { skAB, skBA, skDp, histA, histB } = st;
    for (let r = 0; r < n; r++) {
      const y = scored[r];
      if (y < 0) continue;
      const o6 = 6 * r;
      const la = out[o6];
      const lb = out[o6 + 1];
      const ab = out[o6 + 2];
      const ba = out[o6 + 3];
      const js = out[o6 + 4];
      const dp = out[o6 + 5];
      const i4 = 4 * r;
      const topA0 = ints[i4];
      const topB0 = ints[i4 + 1];
      const okA = ints[i4 + 2] === 0 ? 1 : 0;
      const okB = ints[i4 + 3] === 0 ? 1 : 0;
      const d = lb - la;
      rowsN++;
      lossA += la;
      lossA2 += la * la;
      lossB += lb;
      lossB2 += lb * lb;
      dSum += d;
      d2 += d * d;
      correctA += okA;
      correctB += okB;
      onlyA += okA & (1 - okB);
      onlyB += okB & (1 - okA);
      const agree = topA0 === topB0 ? 1 : 0;
      agreeN += agree;
      klAB += ab;
      klAB2 += ab * ab;
      klBA += ba;
      klBA2 += ba * ba;
      jsSum += js;
      js2 += js * js;
      dpSum += dp;
      dp2 += dp * dp;
      let ov = agree;
      if (topA !== null) {
        let common = 0;
        for (let i = r * k; i < r * k + k; i++) {
          for (let j = r * k; j < r * k + k; j++) if (topA[i] === topB![j]) common++;
        }
        ov = common / k;
      }
      overlap += ov;
      overlap2 += ov * ov;
      skAB.add(ab);
      skBA.add(ba);
      skDp.add(dp);
      histA[slotOf(la)]++;
      histB[slotOf(lb)]++;
      if (ab > floor) {
        fresh.push({ row: at + r, target: y, kl: ab, baseTop: topA0, candidateTop: topB0, baseLoss: la, candidateLoss: lb });
        if (fresh.length > 4 * WORST) {
          worst = worstOf(worst, fresh);
          fresh = [];
          floor = worst[WORST - 1].kl;
        }
      }
      if (boot) {
        poissonWeights(rowKey(s.bootstrap!.seed, at + r), draws!);
        for (let b = 0; b < R; b++) {
          const w = draws![b];
          if (w === 0) continue;
          boot.w[b] += w;
          boot.lossA[b] += w * la;
          boot.lossB[b] += w * lb;
          boot.correctA[b] += w * okA;
          boot.correctB[b] += w * okB;
        }
      }
    }
    st.addSums({
      positions: n, rows: rowsN, correctA, correctB, onlyA, onlyB, agree: agreeN, lossA, lossA2, lossB, lossB2,
      d: dSum, d2, klAB, klAB2, klBA, klBA2, js: jsSum, js2, dp: dpSum, dp2, overlap, overlap2,
    }, boot);
    st.keepWorst(worstOf(worst, fresh));
    return this;
  }

  /** Adds another comparison's state (same settings): the shards of one evaluation, in any order. */
  merge(other: Comparison): this {
    if (!(other instanceof Comparison)) throw new XentError('INVALID_TYPE', `merge takes a Comparison, got ${show(other)}`);
    expectSameSettings(this.state.settings, other.state.settings);
    this.state.add(other.state);
    return this;
  }

  /** Forgets everything added so far. */
  reset(): this {
    this.state = new ComparisonState(this.state.settings);
    return this;
  }

  /** The state as plain JSON, for `fromJSON` elsewhere (B numbers per bootstrap sum; the rest a few KB). */
  toJSON(): ComparisonStateJSON {
    const s = this.state.settings;
    return {
      format: FORMAT,
      version: 1,
      settings: { ...s, bootstrap: s.bootstrap && { ...s.bootstrap } },
      ...this.state.toJSON(),
    };
  }

  /** A comparison holding a state produced by `toJSON` (an object or its JSON text); its meaning is checked. */
  static fromJSON(json: unknown): Comparison {
    // a state may be a Proxy or hold getters: what reading it throws becomes a XentError
    return reading('the state', json, () => Comparison.read(json));
  }

  private static read(json: unknown): Comparison {
    const j = stateObject(json, FORMAT, [1], 'comparison');
    const c = new Comparison(j.settings as ComparisonOptions);
    c.state = ComparisonState.fromJSON(j, c.state.settings);
    return c;
  }

  result(): ComparisonResult {
    return comparisonResult(this.state);
  }
}

/** The JSON form of a Comparison's state (non-finite sums as the strings "Infinity"). */
export interface ComparisonStateJSON {
  format: typeof FORMAT;
  version: 1;
  settings: ComparisonSettings;
  [key: string]: unknown;
}
