/**
 * The evaluator's detail sums, kept beside the headline sums of EvalState (state version 3): what precision, recall
 * and F1 need (Σ w over the rows whose predicted class is their label: the true positives), the confusion matrix of
 * few classes, and the rows of highest loss. Self-contained: their own merge, packed form and JSON.
 *
 * The worst rows are an exact top-N (by loss, ties to the lower row number): merging two keeps the top N of their
 * union, so any cut of the rows into blocks or shards gives the same list. Row numbers count the rows of a state
 * (ignored ones included) in order; merging `b` into `a` numbers `b`'s rows after `a`'s: states are merged in row
 * order, as the CLI's blocks and shards are.
 */
import { XentError, show } from '../core/errors.js';
import { dec, enc } from './json.js';
import { SCORE_BINS, logitOf, scoreBin } from './curves.js';
import type { EvalSettings } from './state.js';

/** Rows of highest loss kept. */
export const WORST_ROWS = 10;
/** Up to this many classes a single-label evaluator keeping per-class figures keeps the whole confusion matrix. */
export const CONFUSION_LIMIT = 32;

/** Whether a state with these settings keeps the confusion matrix. */
export const keepsConfusion = (s: EvalSettings) => s.perClass && !s.multiLabel && s.classes <= CONFUSION_LIMIT;
/** Whether a state with these settings keeps the score histogram of the ROC and PR curves: binary and multi-label tasks. */
export const keepsCurves = (s: EvalSettings) => s.multiLabel || s.classes === 2;

/**
 * Above CONFUSION_LIMIT classes (single-label, per-class figures kept), the misclassified rows' (label, predicted)
 * pairs go to a count-min sketch: PAIR_DEPTH rows of PAIR_WIDTH sums, a pair adding its weight to one cell of each
 * row (a fixed multiplicative hash per row). Sums only, so it merges by addition like the rest; a pair's estimate,
 * the least of its cells, is never below its weight.
 */
export const PAIR_DEPTH = 4;
export const PAIR_WIDTH = 1024;
export const keepsPairs = (s: EvalSettings) => s.perClass && !s.multiLabel && s.classes > CONFUSION_LIMIT;
/** Odd multipliers of the sketch's hashes (Knuth's multiplicative hashing: the top 10 bits of key × a mod 2³²). */
const HASH = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f];
export const pairCell = (d: number, key: number) => d * PAIR_WIDTH + (Math.imul(key + 1, HASH[d]) >>> 22);

/**
 * Up to this many labels a multi-label evaluator keeping per-class figures keeps the second moments of its rows'
 * per-label vectors (`moments`): (3C + 1)(3C + 2) / 2 sums, 1,225 at 16 labels.
 */
export const MOMENT_LIMIT = 16;
export const keepsMoments = (s: EvalSettings) => s.perClass && s.multiLabel && s.classes <= MOMENT_LIMIT;
/** Dimension of a multi-label row's vector v = (t, pos, t·pos, 1) over the labels (averages.ts). */
export const momentDim = (classes: number) => 3 * classes + 1;
/** Index of v_a·v_b (a <= b) in the packed upper triangle of the moment matrix of dimension d. */
export const momentCell = (d: number, a: number, b: number) => a * d - (a * (a - 1)) / 2 + (b - a);

/** The sums kept as arrays, in their packed order. */
const FIRST = ['hits', 'confusion', 'pos', 'neg', 'pairs'] as const;
/** The sums of state version 5 (averages' standard errors): unknown in a part read from an older state. */
const SECOND = ['confusion2', 'moments'] as const;
const SUMS = [...FIRST, ...SECOND] as const;

export class DetailSums {
  /**
   * False when a part of the state came from a version 1 or 2 state, which had no detail sums: the figures built
   * from them (precision, recall, F1, the confusion matrix, the worst rows) are then unknown.
   */
  known = true;
  /** Per class (when per-class figures are kept): Σ w over the class's rows predicted as the class (multi-label: Σ w·t·[p >= 0.5]). */
  hits: Float64Array;
  /** confusion[y·C + k]: Σ w over the rows of label y predicted as k (empty unless keepsConfusion). */
  confusion: Float64Array;
  /** The score histogram (curves.ts): Σ w·t and Σ w·(1 − t) per bin of the score (empty unless keepsCurves). */
  pos: Float64Array;
  neg: Float64Array;
  /** The count-min sketch of misclassified (label, predicted) pairs (empty unless keepsPairs). */
  pairs: Float64Array;
  /**
   * For the standard errors of the macro and weighted averages (state version 5; averages.ts). confusion2[y·C + k]:
   * Σ w² over the rows of label y predicted as k (with the confusion matrix). moments: Σ w²·v_a·v_b over the rows,
   * the packed upper triangle (momentCell) of the moment matrix of v = (t, pos, t·pos, 1) over the labels
   * (multi-label, keepsMoments).
   */
  confusion2: Float64Array;
  moments: Float64Array;
  /** False when a part came from a state older than version 5, which lacked confusion2 and moments. */
  secondKnown = true;
  /** The worst rows, highest loss first: loss in nats (−Infinity when the slot is empty) and row number (−1). */
  worstLoss = new Float64Array(WORST_ROWS).fill(-Infinity);
  worstRow = new Float64Array(WORST_ROWS).fill(-1);

  constructor(readonly settings: EvalSettings) {
    this.hits = new Float64Array(settings.perClass ? settings.classes : 0);
    const c = keepsConfusion(settings) ? settings.classes : 0;
    this.confusion = new Float64Array(c * c);
    this.confusion2 = new Float64Array(c * c);
    const d = keepsMoments(settings) ? momentDim(settings.classes) : 0;
    this.moments = new Float64Array((d * (d + 1)) / 2);
    this.vIndex = new Int32Array(d);
    this.vValue = new Float64Array(d);
    const bins = keepsCurves(settings) ? SCORE_BINS : 0;
    this.pos = new Float64Array(bins);
    this.neg = new Float64Array(bins);
    this.pairs = new Float64Array(keepsPairs(settings) ? PAIR_DEPTH * PAIR_WIDTH : 0);
  }

  /** Numbers in the packed form. */
  static packedLength(s: EvalSettings): number {
    const c = keepsConfusion(s) ? s.classes : 0;
    const d = keepsMoments(s) ? momentDim(s.classes) : 0;
    return 2 + 2 * WORST_ROWS + (s.perClass ? s.classes : 0) + 2 * c * c + (keepsCurves(s) ? 2 * SCORE_BINS : 0)
      + (keepsPairs(s) ? PAIR_DEPTH * PAIR_WIDTH : 0) + (d * (d + 1)) / 2;
  }

  /** A binary score, given as its logit, with target t in [0, 1] and weight w. */
  addScore(w: number, logit: number, t: number): void {
    const b = scoreBin(logit);
    this.pos[b] += w * t;
    this.neg[b] += w * (1 - t);
  }

  /** The same for a score given as a probability. */
  addProbability(w: number, p: number, t: number): void {
    this.addScore(w, logitOf(p), t);
  }

  /** A single-label row of weight w > 0, label y, predicted class k (the top-1; a tie with the label goes to the label, as for accuracy). */
  addLabel(w: number, y: number, k: number): void {
    if (!this.settings.perClass) return;
    if (k === y) this.hits[y] += w;
    if (this.confusion.length) {
      this.confusion[y * this.settings.classes + k] += w;
      this.confusion2[y * this.settings.classes + k] += w * w;
    } else if (k !== y && this.pairs.length) {
      const key = y * this.settings.classes + k;
      for (let d = 0; d < PAIR_DEPTH; d++) this.pairs[pairCell(d, key)] += w;
    }
  }

  /**
   * A multi-label row's nonzero entries of v, gathered label by label (momentEntries) in three runs, of t at
   * [0, nT), of pos at [C, C + nP), of t·pos at [2C, 2C + nU): each run in index order.
   */
  private vIndex: Int32Array;
  private vValue: Float64Array;
  private nT = 0;
  private nP = 0;
  private nU = 0;

  /** Label j of the current multi-label row: its target t and prediction pos (0 or 1). */
  momentEntries(j: number, t: number, pos: number): void {
    const C = this.settings.classes;
    if (t !== 0) {
      this.vIndex[this.nT] = j;
      this.vValue[this.nT++] = t;
    }
    if (pos !== 0) {
      this.vIndex[C + this.nP] = C + j;
      this.vValue[C + this.nP++] = pos;
      if (t !== 0) {
        this.vIndex[2 * C + this.nU] = 2 * C + j;
        this.vValue[2 * C + this.nU++] = t * pos;
      }
    }
  }

  /** Adds w²·v_a·v_b (a <= b) to the moments for the current row's entries (plus the constant 1), and clears them. */
  addMoments(ww: number): void {
    const C = this.settings.classes;
    const [index, value] = [this.vIndex, this.vValue];
    // The runs side by side, then the 1: every entry in index order (short runs: plain loops).
    let n = this.nT;
    for (let i = C; i < C + this.nP; i++) {
      index[n] = index[i];
      value[n++] = value[i];
    }
    for (let i = 2 * C; i < 2 * C + this.nU; i++) {
      index[n] = index[i];
      value[n++] = value[i];
    }
    index[n] = 3 * C;
    value[n++] = 1;
    this.nT = this.nP = this.nU = 0;
    const m = this.moments;
    const d = momentDim(C);
    for (let i = 0; i < n; i++) {
      const wa = ww * value[i];
      const row = momentCell(d, index[i], 0);
      for (let k = i; k < n; k++) m[row + index[k]] += wa * value[k];
    }
  }

  /** Offers row number `row` with this loss (nats) to the worst rows. */
  offer(row: number, loss: number): void {
    const L = this.worstLoss;
    const R = this.worstRow;
    // Rows arrive in increasing order: an equal loss already kept wins the tie.
    if (!(loss > L[WORST_ROWS - 1])) return;
    let i = WORST_ROWS - 1;
    for (; i > 0 && loss > L[i - 1]; i--) {
      L[i] = L[i - 1];
      R[i] = R[i - 1];
    }
    L[i] = loss;
    R[i] = row;
  }

  /** Adds o's sums, o's rows numbered after `offset` rows. */
  add(o: DetailSums, offset: number): void {
    this.known &&= o.known;
    this.secondKnown &&= o.secondKnown;
    for (const k of SUMS) addInto(this[k], o[k], 0);
    this.mergeWorst(o.worstLoss, o.worstRow, 0, offset);
  }

  /** add() and leave o empty, touching only o's nonzero sums (a batch's scratch state). */
  drain(o: DetailSums, offset: number): void {
    this.known &&= o.known;
    this.secondKnown &&= o.secondKnown;
    o.known = o.secondKnown = true;
    for (const k of SUMS) moveInto(this[k], o[k]);
    this.mergeWorst(o.worstLoss, o.worstRow, 0, offset);
    o.worstLoss.fill(-Infinity);
    o.worstRow.fill(-1);
  }

  clear(): void {
    this.known = this.secondKnown = true;
    for (const k of SUMS) this[k].fill(0);
    this.worstLoss.fill(-Infinity);
    this.worstRow.fill(-1);
  }

  /** The top N of this list and `loss`/`row` at p[at ..] (row numbers shifted by offset): ties to the lower row. */
  private mergeWorst(loss: Float64Array, row: Float64Array, at: number, offset: number): void {
    const all: [number, number][] = [];
    for (let i = 0; i < WORST_ROWS; i++) {
      if (this.worstRow[i] >= 0) all.push([this.worstLoss[i], this.worstRow[i]]);
      if (row[at + i] >= 0) all.push([loss[at + i], row[at + i] + offset]);
    }
    all.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (let i = 0; i < WORST_ROWS; i++) {
      this.worstLoss[i] = i < all.length ? all[i][0] : -Infinity;
      this.worstRow[i] = i < all.length ? all[i][1] : -1;
    }
  }

  packInto(out: Float64Array, at: number): void {
    out[at++] = this.known ? 1 : 0;
    out[at++] = this.secondKnown ? 1 : 0;
    out.set(this.worstLoss, at);
    out.set(this.worstRow, at + WORST_ROWS);
    at += 2 * WORST_ROWS;
    for (const k of SUMS) {
      out.set(this[k], at);
      at += this[k].length;
    }
  }

  addPacked(p: Float64Array, at: number, offset: number): void {
    this.known &&= p[at] === 1;
    this.secondKnown &&= p[at + 1] === 1;
    const loss = p.subarray(at + 2, at + 2 + WORST_ROWS);
    const row = p.subarray(at + 2 + WORST_ROWS, at + 2 + 2 * WORST_ROWS);
    at += 2 + 2 * WORST_ROWS;
    for (const k of SUMS) {
      addInto(this[k], p, at);
      at += this[k].length;
    }
    this.mergeWorst(loss, row, 0, offset);
  }

  /**
   * The JSON form: sparse [index, sum] pairs, and the worst rows as [row, loss] pairs; confusion2 and moments null
   * when unknown.
   */
  toJSON(): DetailJSON {
    const pairs = (a: Float64Array) => {
      const out: [number, number | string][] = [];
      for (let i = 0; i < a.length; i++) if (a[i] !== 0) out.push([i, enc(a[i])]);
      return out;
    };
    const worst: [number, number | string][] = [];
    for (let i = 0; i < WORST_ROWS && this.worstRow[i] >= 0; i++) worst.push([this.worstRow[i], enc(this.worstLoss[i])]);
    return {
      known: this.known, hits: pairs(this.hits), confusion: pairs(this.confusion), pos: pairs(this.pos), neg: pairs(this.neg),
      pairs: pairs(this.pairs), worst,
      confusion2: this.secondKnown ? pairs(this.confusion2) : null, moments: this.secondKnown ? pairs(this.moments) : null,
    };
  }

  /**
   * Reads `detail` of a version 3, 4 or 5 state (`second`: version 5, with confusion2 and moments, null when
   * unknown); undefined (older versions) leaves the sums unknown.
   */
  read(j: unknown, second: boolean): void {
    this.secondKnown = false;
    if (j === undefined) {
      this.known = false;
      return;
    }
    const o = j as Record<string, unknown> | null;
    if (o === null || typeof o !== 'object' || typeof o.known !== 'boolean') {
      throw new XentError('INVALID_TYPE', 'state.detail must be an object { known, hits, confusion, pos, neg, pairs, worst }');
    }
    this.known = o.known;
    this.secondKnown = second && o.moments !== null;
    for (const k of this.secondKnown ? SUMS : FIRST) readPairs(o[k], this[k], k);
    if (!Array.isArray(o.worst) || o.worst.length > WORST_ROWS) {
      throw new XentError('INVALID_TYPE', `state.detail.worst must be an array of at most ${WORST_ROWS} [row, loss] pairs`);
    }
    const loss = new Float64Array(WORST_ROWS).fill(-Infinity);
    const row = new Float64Array(WORST_ROWS).fill(-1);
    o.worst.forEach((pair: unknown, i) => {
      const [r, l] = Array.isArray(pair) ? pair : [];
      if (!Number.isSafeInteger(r) || (r as number) < 0) throw new XentError('INVALID_TYPE', `state.detail.worst[${i}] has a bad row ${show(r)}`);
      row[i] = r as number;
      loss[i] = dec(l, `detail.worst[${i}]`);
    });
    this.worstLoss.fill(-Infinity);
    this.worstRow.fill(-1);
    this.mergeWorst(loss, row, 0, 0);
  }
}

export interface DetailJSON {
  known: boolean;
  hits: [number, number | string][];
  confusion: [number, number | string][];
  pos: [number, number | string][];
  neg: [number, number | string][];
  pairs: [number, number | string][];
  worst: [number, number | string][];
  confusion2: [number, number | string][] | null;
  moments: [number, number | string][] | null;
}

function readPairs(v: unknown, into: Float64Array, name: string): void {
  if (!Array.isArray(v)) throw new XentError('INVALID_TYPE', `state.detail.${name} must be an array of [index, sum] pairs`);
  for (const pair of v as unknown[]) {
    const [i, s] = Array.isArray(pair) ? pair : [];
    if (!Number.isInteger(i) || i < 0 || i >= into.length) {
      throw new XentError('INVALID_TYPE', `state.detail.${name} has a bad index ${show(i)} (${into.length} entries)`);
    }
    into[i as number] = dec(s, `detail.${name}`);
  }
}

function addInto(x: Float64Array, y: Float64Array, at: number): void {
  const n = x.length;
  for (let i = 0; i < n; i++) x[i] += y[at + i];
}

/** x[i] += y[i] and y[i] = 0 for every nonzero y[i]: a batch touches few classes. */
function moveInto(x: Float64Array, y: Float64Array): void {
  const n = y.length;
  for (let i = 0; i < n; i++) {
    if (y[i] !== 0) {
      x[i] += y[i];
      y[i] = 0;
    }
  }
}
