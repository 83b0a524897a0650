import type { Compat } from '../core/compat.js';
import { XentError, show } from '../core/errors.js';
import { ECE_BINS } from './calibration.js';
import { CONFUSION_LIMIT, DetailSums } from './detail.js';
import type { BootstrapSettings } from './bootstrap.js';
import { dec, enc, expectSameSettings, expectState, stateObject } from './json.js';
import { SLOTS } from './quantiles.js';

/** The evaluator's settings that shape its state; two states merge only when these agree. */
export interface EvalSettings {
  classes: number;
  from: 'logits' | 'probs';
  multiLabel: boolean;
  base: number;
  ignoreIndex: number | null;
  compat: Compat;
  topK: number;
  /** Probability rows rescaled by their sums; the tolerance of a row sum (null: the dtype's default). */
  normalize: boolean;
  tolerance: number | null;
  /** Whether the per-class sums are kept (their arrays are empty otherwise). */
  perClass: boolean;
  /** The Poisson bootstrap's settings (null: none; absent from states written before it existed). */
  bootstrap: BootstrapSettings | null;
}

/**
 * Everything an Evaluator knows, as sums and counts (never means), so updating in any chunking and merging in any
 * order agree up to float64 rounding. Losses are in nats; weights are sampleWeight (1 when absent). For single-label
 * input a "unit" is a row; for multi-label input the row's values are means over its C labels, except the per-class
 * sums which are per label.
 */
export class EvalState {
  /** Rows evaluated (ignored rows excluded) and rows ignored. */
  rows = 0;
  ignored = 0;
  /** Σ w over evaluated rows. */
  weight = 0;
  /** Σ w·loss, Σ w·correct, Σ w·[true class in the top k], Σ w·Brier. */
  loss = 0;
  correct = 0;
  topK = 0;
  brier = 0;
  /**
   * For the standard errors of the weighted means: Σ w², and Σ w²·x and Σ w²·x² of each headline figure x (see
   * weightedStandardError in estimate.ts). NaN in a state read from JSON that lacks them (written before they
   * existed): unknown.
   */
  w2 = 0;
  loss1 = 0;
  loss2 = 0;
  correct1 = 0;
  correct2 = 0;
  topK1 = 0;
  topK2 = 0;
  brier1 = 0;
  brier2 = 0;
  /** Exact extremes of the per-row loss (nats). */
  min = Infinity;
  max = -Infinity;
  /** Per-row loss histogram (see quantiles.ts): Σ w per slot. */
  hist = new Float64Array(SLOTS);
  /** ECE bins: Σ w, Σ w·confidence, Σ w·correct. */
  eceWeight = new Float64Array(ECE_BINS);
  eceConf = new Float64Array(ECE_BINS);
  eceCorrect = new Float64Array(ECE_BINS);
  /**
   * Per class (empty arrays when settings.perClass is false). Single-label: over the rows whose label is the class —
   * Σ w (support), Σ w·loss, Σ w·correct, Σ w·p(true class); and Σ w over the rows predicted as the class.
   * Multi-label: support Σ w·t, and over every row Σ w·loss, Σ w·correct, Σ w·p, Σ w·[p >= 0.5].
   */
  support: Float64Array;
  classLoss: Float64Array;
  classCorrect: Float64Array;
  classProb: Float64Array;
  predicted: Float64Array;
  /**
   * Per class, for the standard errors of the per-class figures (state version 4; empty without per-class figures;
   * NaN in a state read from a version 3 or older one: unknown). With t the row's target for the class (single-label:
   * 1 for the class's rows, else 0) and pos whether the row is predicted as the class: Σ w²·t² (classW2), and over
   * the rows of classLoss / classCorrect / classProb Σ w²·loss, Σ w²·loss², Σ w²·correct, Σ w²·p, Σ w²·p²; Σ w²·pos,
   * Σ w²·t·pos and Σ w²·t²·pos for precision, recall and F1 (scores.ts).
   */
  classW2: Float64Array;
  classLoss1: Float64Array;
  classLoss2: Float64Array;
  classCorrect1: Float64Array;
  classProb1: Float64Array;
  classProb2: Float64Array;
  predictedW2: Float64Array;
  hitsW2: Float64Array;
  hitsT2: Float64Array;
  /** Precision's true positives, the confusion matrix and the worst rows (detail.ts). */
  detail: DetailSums;

  /**
   * Bootstrap sums per resample: Σ w·n_b, Σ w·n_b·loss, Σ w·n_b·correct, Σ w·n_b·Brier (n_b the row's Poisson
   * weight; a multi-label row's loss, correct and Brier are its means over its labels). bootBrier is NaN in a state
   * written before it was kept.
   */
  bootW: Float64Array;
  bootLoss: Float64Array;
  bootCorrect: Float64Array;
  bootBrier: Float64Array;
  /**
   * For the bootstrap's macro F1 (when keepsBootstrapF1; else empty), per class c and resample b at c·B + b:
   * bootHits Σ w·n_b·t·pos (the true positives) and bootCounts Σ w·n_b·(t + pos) (the class's support plus its
   * predictions), t the row's target for the class (single-label: 1 for its label) and pos whether it is predicted
   * as the class (single-label: its top-1; multi-label: p >= 0.5). NaN in a state written before they were kept.
   */
  bootHits: Float64Array;
  bootCounts: Float64Array;
  /** Not a sum: the global index of the current update's first row (set by Evaluator.update), keying the draws. */
  origin = 0;

  constructor(readonly settings: EvalSettings) {
    this.detail = new DetailSums(settings);
    const B = settings.bootstrap?.resamples ?? 0;
    this.bootW = new Float64Array(B);
    this.bootLoss = new Float64Array(B);
    this.bootCorrect = new Float64Array(B);
    this.bootBrier = new Float64Array(B);
    const f1 = keepsBootstrapF1(settings) ? B * settings.classes : 0;
    this.bootHits = new Float64Array(f1);
    this.bootCounts = new Float64Array(f1);
    const c = settings.perClass ? settings.classes : 0;
    this.support = new Float64Array(c);
    this.classLoss = new Float64Array(c);
    this.classCorrect = new Float64Array(c);
    this.classProb = new Float64Array(c);
    this.predicted = new Float64Array(c);
    this.classW2 = new Float64Array(c);
    this.classLoss1 = new Float64Array(c);
    this.classLoss2 = new Float64Array(c);
    this.classCorrect1 = new Float64Array(c);
    this.classProb1 = new Float64Array(c);
    this.classProb2 = new Float64Array(c);
    this.predictedW2 = new Float64Array(c);
    this.hitsW2 = new Float64Array(c);
    this.hitsT2 = new Float64Array(c);
  }

  /** Adds another state's sums into this one. */
  add(o: EvalState): void {
    expectSameSettings(this.settings, o.settings);
    this.detail.add(o.detail, this.rows + this.ignored);
    this.addScalars(o);
    for (const k of ARRAYS) addInto(this[k], o[k], 0);
  }

  /**
   * Adds this state's sums into `into` (a state with the same settings object) and leaves this one empty: what
   * `into.add(this)` then `clear()` do, but touching only the nonzero array entries, so that draining a batch's
   * scratch state costs what the batch touched rather than the number of classes. (Skipping a zero entry changes
   * nothing: a sum that starts at +0 is never -0.)
   */
  drainInto(into: EvalState): void {
    into.detail.drain(this.detail, into.rows + into.ignored);
    into.addScalars(this);
    this.clearScalars();
    for (const k of ARRAYS) moveInto(into[k], this[k]);
  }

  /** Forgets everything: every sum and count back to its empty value. */
  clear(): void {
    this.clearScalars();
    for (const k of ARRAYS) this[k].fill(0);
    this.detail.clear();
  }

  /** The scalar half of add(). */
  private addScalars(o: EvalState): void {
    this.rows += o.rows;
    this.ignored += o.ignored;
    this.weight += o.weight;
    this.loss += o.loss;
    this.correct += o.correct;
    this.topK += o.topK;
    this.brier += o.brier;
    this.min = Math.min(this.min, o.min);
    this.max = Math.max(this.max, o.max);
    for (const k of SPREAD) this[k] += o[k];
  }

  private clearScalars(): void {
    this.rows = this.ignored = this.weight = this.loss = this.correct = this.topK = this.brier = 0;
    for (const k of SPREAD) this[k] = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  /**
   * Writes the state's numbers at out[at ..] (packedLength of them): the scalars, then every array. A compact form
   * for sending block states between threads; addPacked merges it back exactly as add() merges the state.
   */
  packInto(out: Float64Array, at: number): void {
    for (const k of SCALARS) out[at++] = this[k];
    for (const k of SPREAD) out[at++] = this[k];
    for (const k of ARRAYS) {
      out.set(this[k], at);
      at += this[k].length;
    }
    this.detail.packInto(out, at);
  }

  /** add() of a state packed by packInto with the same settings: the same additions in the same order. */
  addPacked(p: Float64Array, at: number): void {
    const offset = this.rows + this.ignored;
    // The scalars in SCALARS order.
    this.rows += p[at];
    this.ignored += p[at + 1];
    this.weight += p[at + 2];
    this.loss += p[at + 3];
    this.correct += p[at + 4];
    this.topK += p[at + 5];
    this.brier += p[at + 6];
    this.min = Math.min(this.min, p[at + 7]);
    this.max = Math.max(this.max, p[at + 8]);
    at += SCALARS.length;
    for (const k of SPREAD) this[k] += p[at++];
    for (const k of ARRAYS) {
      addInto(this[k], p, at);
      at += this[k].length;
    }
    this.detail.addPacked(p, at, offset);
  }

  /**
   * The state as JSON, version 5: the scalars, the loss histogram and the ECE bins, the per-class sums (when
   * kept) as columns over the classes that have any: `perClass: { class: [...], support: [...], ... }` (new in
   * version 4: the columns of the per-class standard errors, null where unknown), and (new in version 3) `detail`,
   * the sums of detail.ts (new in version 5: its confusion2 and moments, for the averages' standard errors), and
   * with the bootstrap its sums per resample: weight, loss, correct, brier and (when keepsBootstrapF1) classHits and
   * classCounts, B per class, class by class (brier and the last two absent from states written before they were
   * kept, which read with them unknown).
   */
  toJSON(): StateJSON {
    const out: Record<string, unknown> = { format: FORMAT, version: 5, settings: { ...this.settings } };
    for (const k of SCALARS) out[k] = enc(this[k]);
    for (const k of SPREAD) out[k] = Number.isNaN(this[k]) ? null : enc(this[k]);
    for (const k of ECE) out[k] = Array.from(this[k], enc);
    const hist: [number, number | string][] = [];
    for (let i = 0; i < this.hist.length; i++) if (this.hist[i] !== 0) hist.push([i, enc(this.hist[i])]);
    out.hist = hist;
    if (this.settings.perClass) {
      const cols: Record<string, (number | string | null)[]> = { class: [] };
      for (const k of [...CLASS, ...CLASS_SPREAD]) cols[k] = [];
      for (let j = 0; j < this.settings.classes; j++) {
        if (CLASS.every((k) => this[k][j] === 0)) continue;
        cols.class.push(j);
        for (const k of CLASS) cols[k].push(enc(this[k][j]));
        for (const k of CLASS_SPREAD) cols[k].push(encOrNull(this[k][j]));
      }
      out.perClass = cols;
    }
    out.detail = this.detail.toJSON();
    if (this.settings.bootstrap !== null) {
      out.bootstrap = {
        weight: Array.from(this.bootW, enc), loss: Array.from(this.bootLoss, enc), correct: Array.from(this.bootCorrect, enc),
        brier: Array.from(this.bootBrier, encOrNull),
        ...(this.bootHits.length ? { classHits: Array.from(this.bootHits, encOrNull), classCounts: Array.from(this.bootCounts, encOrNull) } : {}),
      };
    }
    return out as unknown as StateJSON;
  }

  /**
   * Parses a state; `check` validates its settings (the Evaluator's option rules). Reads version 5, version 4 (no
   * sums for the averages' standard errors: those are then bounds or unknown, averages.ts), version 3 (nor per-class
   * standard-error sums: those errors are then unknown), version 2 (nor detail sums: those figures are
   * then unknown) and version 1 (the same, and dense per-class arrays, which such a state always has).
   */
  static fromJSON(json: unknown, check: (settings: unknown) => EvalSettings): EvalState {
    const j = stateObject(json, FORMAT, [1, 2, 3, 4, 5], 'evaluator');
    const v1 = j.version === 1;
    const raw = j.settings;
    if (raw === null || typeof raw !== 'object') {
      throw new XentError('INVALID_TYPE', 'state.settings must be an object');
    }
    const st = new EvalState(check(v1 ? { ...raw, perClass: true } : raw));
    for (const k of SCALARS) st[k] = dec(j[k], k);
    // Not in every version 2 or 3 state (added later): a state without them has unknown standard errors.
    for (const k of SPREAD) st[k] = j[k] === undefined || j[k] === null ? NaN : dec(j[k], k);
    for (const k of v1 ? V1_ARRAYS : ECE) {
      if (k === 'hist') continue;
      const a = j[k];
      if (!Array.isArray(a) || a.length !== st[k].length) {
        throw new XentError('SHAPE_MISMATCH', `state.${k} must be an array of length ${st[k].length}`);
      }
      for (let i = 0; i < a.length; i++) st[k][i] = dec(a[i], `${k}[${i}]`);
    }
    if (!Array.isArray(j.hist)) throw new XentError('INVALID_TYPE', 'state.hist must be an array of [slot, count]');
    for (const pair of j.hist as unknown[]) {
      const [i, c] = Array.isArray(pair) ? pair : [];
      if (!Number.isInteger(i) || i < 0 || i >= SLOTS) throw new XentError('INVALID_TYPE', `state.hist has a bad slot ${show(i)}`);
      st.hist[i as number] = dec(c, 'hist');
    }
    const version = j.version as number;
    if (version < 4) for (const k of CLASS_SPREAD) st[k].fill(NaN);
    if (!v1 && st.settings.perClass) st.readPerClass(j.perClass, version >= 4);
    st.detail.read(version >= 3 ? (j.detail ?? null) : undefined, version >= 5);
    if (st.settings.bootstrap !== null) st.readBootstrap(j.bootstrap);
    checkMeaning(st);
    return st;
  }

  /** The bootstrap sums of a state with the bootstrap on. */
  private readBootstrap(v: unknown): void {
    const o = v as Record<string, unknown> | null;
    if (o === null || typeof o !== 'object') throw new XentError('INVALID_TYPE', 'state.bootstrap must be an object');
    // brier, classHits and classCounts: absent from states written before they were kept (their intervals are then
    // unknown); the last two are absent too where the settings keep none (keepsBootstrapF1).
    const later: ReadonlySet<string> = new Set(['brier', 'classHits', 'classCounts']);
    const sums = [
      ['weight', this.bootW], ['loss', this.bootLoss], ['correct', this.bootCorrect], ['brier', this.bootBrier],
      ['classHits', this.bootHits], ['classCounts', this.bootCounts],
    ] as const;
    for (const [key, into] of sums) {
      const a = o[key];
      if (later.has(key) && a === undefined) {
        into.fill(NaN);
        continue;
      }
      if (!Array.isArray(a) || a.length !== into.length) {
        throw new XentError('SHAPE_MISMATCH', `state.bootstrap.${key} must be an array of ${into.length} numbers`);
      }
      for (let b = 0; b < a.length; b++) into[b] = later.has(key) ? decOrNull(a[b], `bootstrap.${key}[${b}]`) : dec(a[b], `bootstrap.${key}[${b}]`);
    }
  }

  /** The per-class columns of a version 2 to 5 state (`spread`: with the standard errors' columns, version 4 on). */
  private readPerClass(p: unknown, spread: boolean): void {
    const cols = p as Record<string, unknown> | null;
    if (cols === null || typeof cols !== 'object' || !Array.isArray(cols.class)) {
      throw new XentError('INVALID_TYPE', 'state.perClass must be an object of columns (class, support, ...)');
    }
    const ids = cols.class as unknown[];
    const keys = spread ? [...CLASS, ...CLASS_SPREAD] : CLASS;
    for (const k of keys) {
      if (!Array.isArray(cols[k]) || (cols[k] as unknown[]).length !== ids.length) {
        throw new XentError('SHAPE_MISMATCH', `state.perClass.${k} must be an array as long as state.perClass.class`);
      }
    }
    let last = -1;
    ids.forEach((c, i) => {
      if (!Number.isInteger(c) || (c as number) <= last || (c as number) >= this.settings.classes) {
        throw new XentError('INVALID_TYPE', `state.perClass.class[${i}] must be a class, in increasing order: ${show(c)}`);
      }
      last = c as number;
      for (const k of CLASS) this[k][c as number] = dec((cols[k] as unknown[])[i], `perClass.${k}[${i}]`);
      if (spread) for (const k of CLASS_SPREAD) this[k][c as number] = decOrNull((cols[k] as unknown[])[i], `perClass.${k}[${i}]`);
    });
  }
}

const FORMAT = 'xent-eval-state';
const SCALARS = ['rows', 'ignored', 'weight', 'loss', 'correct', 'topK', 'brier', 'min', 'max'] as const;
const SPREAD = ['w2', 'loss1', 'loss2', 'correct1', 'correct2', 'topK1', 'topK2', 'brier1', 'brier2'] as const;
const ECE = ['eceWeight', 'eceConf', 'eceCorrect'] as const;
const CLASS = ['support', 'classLoss', 'classCorrect', 'classProb', 'predicted'] as const;
const CLASS_SPREAD = [
  'classW2', 'classLoss1', 'classLoss2', 'classCorrect1', 'classProb1', 'classProb2', 'predictedW2', 'hitsW2', 'hitsT2',
] as const;
const V1_ARRAYS = ['hist', ...ECE, ...CLASS] as const;
const ARRAYS = [...V1_ARRAYS, ...CLASS_SPREAD, 'bootW', 'bootLoss', 'bootCorrect', 'bootBrier', 'bootHits', 'bootCounts'] as const;
/** Arrays that may hold NaN (unknown: a part read from a state written before they were kept). */
const MAYBE_UNKNOWN: ReadonlySet<string> = new Set([...CLASS_SPREAD, 'bootBrier', 'bootHits', 'bootCounts']);

/**
 * Up to this many classes (labels) a state with the bootstrap and per-class figures keeps the sums of the macro
 * F1's interval: 2·C·B numbers (20,000 at 10 classes and 1,000 resamples), as many as the confusion matrix's limit.
 */
export const BOOTSTRAP_F1_LIMIT = CONFUSION_LIMIT;
export const keepsBootstrapF1 = (s: EvalSettings) => s.bootstrap !== null && s.perClass && s.classes <= BOOTSTRAP_F1_LIMIT;

/** enc, with NaN (an unknown sum) as null. */
const encOrNull = (v: number): number | string | null => (Number.isNaN(v) ? null : enc(v));
/** The inverse of encOrNull. */
const decOrNull = (v: unknown, name: string): number => (v === null ? NaN : dec(v, name));

/** x[i] += y[at + i] for every i of x: one small loop that the JIT optimizes after a few calls (a state has 9 arrays). */
function addInto(x: Float64Array, y: Float64Array, at: number): void {
  const n = x.length;
  for (let i = 0; i < n; i++) x[i] += y[at + i];
}

/** x[i] += y[i] and y[i] = 0 for every nonzero y[i]. */
function moveInto(x: Float64Array, y: Float64Array): void {
  const n = y.length;
  for (let i = 0; i < n; i++) {
    const v = y[i];
    if (v !== 0) {
      x[i] += v;
      y[i] = 0;
    }
  }
}

/** Numbers in the packed form of a state with these settings (packInto). */
export function packedLength(settings: EvalSettings): number {
  return SCALARS.length + SPREAD.length + SLOTS + 3 * ECE_BINS +
    (settings.perClass ? (CLASS.length + CLASS_SPREAD.length) * settings.classes : 0) +
    DetailSums.packedLength(settings) + 4 * (settings.bootstrap?.resamples ?? 0) +
    (keepsBootstrapF1(settings) ? 2 * settings.bootstrap!.resamples * settings.classes : 0);
}

/** The JSON form of a state (non-finite numbers as the strings "Infinity" and "-Infinity", and -0 as "-0"). */
export interface StateJSON {
  format: 'xent-eval-state';
  version: 5;
  settings: EvalSettings;
  [key: string]: unknown;
}
/**
 * Checks that a parsed state means something: counts are non-negative integers, sums of weights non-negative, and
 * no part exceeds its whole (correct rows ≤ rows' weight, a bin's confidence ≤ its weight, ...), within a relative
 * 1e-6 for sums added in another order. A state that fails (hand-edited, or from another program) would give an
 * accuracy above 1 or a NaN: INVALID_STATE.
 */
function checkMeaning(st: EvalState): void {
  const bad = (what: string): void => expectState(false, what);
  const le = (a: number, b: number): boolean => a <= b + 1e-6 * Math.abs(b);
  const sum = (a: Float64Array): number => a.reduce((x, y) => x + y, 0);
  for (const k of ['rows', 'ignored'] as const) {
    if (!Number.isSafeInteger(st[k]) || st[k] < 0) bad(`${k} must be a count (an integer >= 0), got ${show(st[k])}`);
  }
  for (const k of ['weight', 'correct', 'topK', 'brier'] as const) {
    if (!(st[k] >= 0 && st[k] < Infinity)) bad(`${k} must be a finite sum >= 0, got ${show(st[k])}`);
  }
  for (const k of ARRAYS) {
    // Losses may be slightly negative under compat 'tfjs' (log(p + eps)), and infinite (a target of probability 0).
    if (k === 'classLoss' || k === 'bootLoss' || k === 'classLoss1') continue;
    const a = st[k];
    const unknown = MAYBE_UNKNOWN.has(k);
    // Σ w²·loss² is infinite with the loss.
    const top = k === 'classLoss2' ? Infinity : Number.MAX_VALUE;
    for (let i = 0; i < a.length; i++) {
      if (!(a[i] >= 0 && a[i] <= top) && !(unknown && Number.isNaN(a[i]))) bad(`${k}[${i}] must be finite and >= 0, got ${show(a[i])}`);
    }
  }
  const W = st.weight;
  if (st.rows === 0 && W !== 0) bad(`weight is ${W} but no row was evaluated`);
  if (!le(st.correct, W)) bad(`correct (${st.correct}) exceeds the rows' weight (${W})`);
  if (!le(st.topK, W)) bad(`topK (${st.topK}) exceeds the rows' weight (${W})`);
  if (!le(st.brier, 2 * W)) bad(`brier (${st.brier}) exceeds twice the rows' weight (${W})`);
  if (W > 0 && !(st.min <= st.max)) bad(`min (${st.min}) is above max (${st.max})`);
  const hist = sum(st.hist);
  if (!le(hist, W) || !le(W, hist)) bad(`the loss histogram holds ${hist} of the rows' weight ${W}`);
  const units = st.settings.multiLabel ? W * st.settings.classes : W;
  const ece = sum(st.eceWeight);
  if (!le(ece, units) || !le(units, ece)) bad(`the calibration bins hold ${ece}, expected ${units}`);
  for (let b = 0; b < st.eceWeight.length; b++) {
    if (!le(st.eceConf[b], st.eceWeight[b]) || !le(st.eceCorrect[b], st.eceWeight[b])) {
      bad(`calibration bin ${b} holds more confidence or correct weight than weight`);
    }
  }
  // Per class: single-label sums are parts of the class's support (and the supports parts of the weight);
  // multi-label sums are over every row, parts of the weight.
  const multi = st.settings.multiLabel;
  for (let j = 0; j < st.support.length; j++) {
    const whole = multi ? W : st.support[j];
    if (!le(st.classCorrect[j], whole) || !le(st.classProb[j], whole) || (multi && !le(st.support[j], W))) {
      bad(`class ${j} holds more correct or probability weight than its ${multi ? 'rows' : 'support'}`);
    }
    if (multi && !le(st.predicted[j], W)) bad(`class ${j} is predicted with more weight than the rows'`);
  }
  if (!multi && (!le(sum(st.support), W) || !le(sum(st.predicted), W))) {
    bad('the classes hold more support or predictions than the rows\' weight');
  }
  // A class's true positives count in its support and its predictions alike (unknown sums, NaN, are not checked).
  st.bootHits.forEach((h, i) => {
    const n = st.bootCounts[i];
    if (h === h && n === n && !le(2 * h, n)) bad(`bootstrap.classHits[${i}] (${h}) is above half of classCounts[${i}] (${n})`);
  });
  // Last: the sums of squares are checked against sums already found sound.
  checkSpread(st, le, bad);
  // Σ w² of a confusion cell lies between 0 and the square of its Σ w (a negative sum of squares among the moments
  // gives at worst an error of 0, never a NaN: the variance is clamped at 0).
  const d = st.detail;
  d.confusion2.forEach((v, i) => expectState(v >= 0 && le(v, d.confusion[i] ** 2), `detail.confusion2[${i}] must lie in [0, confusion[${i}]²]`));
}

/**
 * The standard errors' sums against the sums they go with: Σ w² ≤ (Σ w)² ≤ rows·Σ w², and Cauchy–Schwarz
 * (Σ w²x)² ≤ Σ w² · Σ w²x² for every figure; for figures in [0, 1] also Σ w²x² ≤ Σ w²x ≤ Σ w². Unknown (NaN) sums
 * are not checked.
 */
function checkSpread(st: EvalState, le: (a: number, b: number) => boolean, bad: (what: string) => void): void {
  const unknown = (...v: number[]) => v.some(Number.isNaN);
  const cs = (s1: number, w2: number, s2: number) => unknown(s1, w2, s2) || le(s1 * s1, w2 * s2);
  const unit = (s1: number, w2: number, s2: number) => cs(s1, w2, s2) && (unknown(s1, w2, s2) || (le(s2, s1) && le(s1, w2)));
  const W = st.weight;
  const w2 = st.w2;
  if (!unknown(w2) && !(w2 >= 0 && le(w2, W * W) && le(W * W, st.rows * w2))) {
    bad(`w2 (${w2}) must lie between weight² / rows and weight² (${W * W})`);
  }
  if (!cs(st.loss1, w2, st.loss2) || !unit(st.correct1, w2, st.correct2) || !unit(st.topK1, w2, st.topK2) ||
    !cs(st.brier1, w2, st.brier2)) bad('a sum of squares is below the square of its sum (loss2, correct2, topK2 or brier2)');
  const multi = st.settings.multiLabel;
  for (let j = 0; j < st.classW2.length; j++) {
    // The per-class means' Σ w²: over every row (multi-label) or the class's rows (Σ w²·t² with t = 1).
    const cw = multi ? w2 : st.classW2[j];
    const c1 = st.classCorrect1[j];
    if (!cs(st.classLoss1[j], cw, st.classLoss2[j]) || !unit(st.classProb1[j], cw, st.classProb2[j]) || !unit(c1, cw, c1) ||
      !(unknown(st.classW2[j], w2) || le(st.classW2[j], w2)) || !unit(st.hitsW2[j], st.predictedW2[j], st.hitsT2[j]) ||
      !(unknown(st.predictedW2[j], w2) || le(st.predictedW2[j], w2))) {
      bad(`class ${j}: a sum of squares contradicts its sum (Cauchy–Schwarz), or a part exceeds its whole`);
    }
  }
}
