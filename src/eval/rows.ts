/**
 * The evaluator's per-row statistics, accumulated straight into an EvalState.
 *
 * Single-label logits take one kernel call, softmaxEvalLabels: per row the softmax cross-entropy (exactly as
 * softmaxCrossEntropy computes it), the rank of the true class (#{z_j > z_y}, counted up to k), the predicted
 * class and Σ p² (for the Brier score), from one exp pass per row (the max pass rides along with the previous
 * row's); the input is validated as softmaxCrossEntropy does.
 * Probabilities go through categoricalCrossEntropy (which validates them) and one lean pass here for the rank,
 * the top-1 entry and Σ p².
 */
import type { FloatArray, FloatData } from '../backend/kernels.js';
import { floatsOf } from '../core/dtype.js';
import { binaryCrossEntropy, sigmoidCrossEntropy } from '../api/binary.js';
import { categoricalCrossEntropy } from '../api/losses.js';
import { full } from '../backend/full.js';
import { kernels } from '../backend/select.js';
import { presetOf } from '../core/compat.js';
import { type Named, checkInfiniteRows, explainNaN } from '../core/validate.js';
import { binOf } from './calibration.js';
import { poissonWeights, rowKey } from './bootstrap.js';
import { slotOf } from './quantiles.js';
import type { EvalState } from './state.js';

/** Resolved data handed back to a public function: core/shape takes a HalfArray as it is. */
const input = (d: FloatData) => d as unknown as Float32Array;

/** Adds one row's headline figures (losses in nats); y and predicted: its label and top-1 class. */
function addRow(
  st: EvalState, w: number, loss: number, correct: number, topK: number, brier: number, conf: number, y: number, predicted: number,
): void {
  const row = st.rows + st.ignored;
  // Rows come in order, ignored ones counted as they pass: this row's global index, for the bootstrap's draws.
  if (st.bootW.length > 0 && w !== 0) addDraws(st, st.origin + st.rows + st.ignored, w, loss, correct, brier, y, predicted);
  st.rows++;
  if (w === 0) return;
  st.detail.offer(row, loss);
  st.weight += w;
  st.loss += w * loss;
  st.correct += w * correct;
  st.topK += w * topK;
  st.brier += w * brier;
  const ww = w * w;
  st.w2 += ww;
  st.loss1 += ww * loss;
  st.loss2 += ww * loss * loss;
  st.correct1 += ww * correct;
  st.correct2 += ww * correct * correct;
  st.topK1 += ww * topK;
  st.topK2 += ww * topK * topK;
  st.brier1 += ww * brier;
  st.brier2 += ww * brier * brier;
  if (loss < st.min) st.min = loss;
  if (loss > st.max) st.max = loss;
  st.hist[slotOf(loss)] += w;
  const b = binOf(conf);
  st.eceWeight[b] += w;
  st.eceConf[b] += w * conf;
  st.eceCorrect[b] += w * correct;
}

/** The draws of one row (reused: one array per resample count). */
let drawn = new Uint8Array(0);

/**
 * Adds the row of global index `row` (weight w; a multi-label row with its means over its labels, resampled as one)
 * to the bootstrap sums with its Poisson weights, and (single-label, y >= 0, when the state keeps them) to the macro
 * F1's sums of its label y and its predicted class. The draws stay in `drawn` for addLabelDraws.
 */
function addDraws(st: EvalState, row: number, w: number, loss: number, correct: number, brier: number, y = -1, predicted = -1): void {
  if (drawn.length !== st.bootW.length) drawn = new Uint8Array(st.bootW.length);
  poissonWeights(rowKey(st.settings.bootstrap!.seed, row), drawn);
  const B = drawn.length;
  // Class c's macro F1 sums of the B resamples lie together, at c·B + b (label = -1: none to add).
  const f1 = y >= 0 && st.bootHits.length > 0;
  const label = y * B;
  const pred = predicted * B;
  for (let b = 0; b < B; b++) {
    const n = drawn[b];
    if (n === 0) continue;
    st.bootW[b] += w * n;
    st.bootLoss[b] += w * n * loss;
    st.bootCorrect[b] += w * n * correct;
    st.bootBrier[b] += w * n * brier;
    if (f1) {
      st.bootCounts[label + b] += w * n;
      st.bootCounts[pred + b] += w * n;
      if (pred === label) st.bootHits[label + b] += w * n;
    }
  }
}

/**
 * Adds a multi-label row (weight w), drawn by the addDraws just before, to the macro F1's sums: per label c,
 * hits[c] = t·pos and counts[c] = t + pos (labels with counts 0 add nothing).
 */
function addLabelDraws(st: EvalState, w: number, hits: Float64Array, counts: Float64Array): void {
  const B = drawn.length;
  if (active.length < counts.length) active = new Int32Array(counts.length);
  let m = 0;
  for (let c = 0; c < counts.length; c++) if (counts[c] !== 0) active[m++] = c;
  for (let b = 0; b < B; b++) {
    const n = drawn[b];
    if (n === 0) continue;
    const wn = w * n;
    for (let k = 0; k < m; k++) {
      const c = active[k];
      st.bootCounts[c * B + b] += wn * counts[c];
      st.bootHits[c * B + b] += wn * hits[c];
    }
  }
}

/** The labels a multi-label row adds to (addLabelDraws; reused). */
let active = new Int32Array(0);

/** Adds the per-class figures of a single-label row (when the state keeps them). */
function addClass(st: EvalState, w: number, y: number, predicted: number, loss: number, correct: number, py: number): void {
  if (w === 0 || !st.settings.perClass) return;
  st.support[y] += w;
  st.classLoss[y] += w * loss;
  st.classCorrect[y] += w * correct;
  st.classProb[y] += w * py;
  st.predicted[predicted] += w;
  const ww = w * w;
  st.classW2[y] += ww;
  st.classLoss1[y] += ww * loss;
  st.classLoss2[y] += ww * loss * loss;
  st.classCorrect1[y] += ww * correct;
  st.classProb1[y] += ww * py;
  st.classProb2[y] += ww * py * py;
  st.predictedW2[predicted] += ww;
  if (predicted === y) {
    st.hitsW2[y] += ww;
    st.hitsT2[y] += ww;
  }
  st.detail.addLabel(w, y, predicted);
}

/** Integer labels (-1 = ignored) against logits or probabilities, rows × cols. */
export function singleLabel(
  st: EvalState, data: FloatData, rows: number, cols: number, labels: Int32Array, w: FloatArray | null, k: number,
): void {
  if (st.settings.from === 'logits') {
    logitsLabel(st, data, rows, cols, labels, w, k);
    return;
  }
  const { compat, normalize, tolerance } = st.settings;
  // Absent rather than false: an explicit normalize: false would override the preset's.
  const opts = {
    classes: cols, reduction: 'none', ignoreIndex: -1, compat, normalize: normalize || undefined, tolerance: tolerance ?? undefined,
  } as const;
  const nll = categoricalCrossEntropy(input(data), labels, opts);
  const x = floatsOf(kernels(), data, true);
  // Rows the loss rescaled (normalize, or a preset that renormalises) are rescaled here too, in float64.
  const rescale = normalize || presetOf(compat).normalize;
  for (let r = 0; r < rows; r++) {
    const y = labels[r];
    if (y < 0) {
      st.ignored++;
      continue;
    }
    const b = r * cols;
    const e = b + cols;
    let s = 1;
    if (rescale) {
      s = 0;
      for (let j = b; j < e; j++) s += x[j];
    }
    const zy = x[b + y] / s;
    // Rank of the true class and the top-1 entry: only entries above z_y can change either (ties go to the label).
    let m = zy;
    let am = b + y;
    let rank = 0;
    let sumSq = 0;
    for (let j = b; j < e; j++) {
      const v = x[j] / s;
      sumSq += v * v;
      if (v > zy) {
        rank++;
        if (v > m) {
          m = v;
          am = j;
        }
      }
    }
    const loss = nll[r];
    const correct = rank === 0 ? 1 : 0;
    const wr = w === null ? 1 : w[r];
    addRow(st, wr, loss, correct, rank < k ? 1 : 0, Math.max(0, sumSq - 2 * zy + 1), m, y, am - b);
    addClass(st, wr, y, am - b, loss, correct, zy);
    if (cols === 2 && wr !== 0) st.detail.addProbability(wr, y === 1 ? zy : 1 - zy, y);
  }
}

/**
 * Integer labels against logits: one fused kernel call (softmaxEvalLabels: loss, rank up to k, prediction, Σ p²)
 * and the same validation as softmaxCrossEntropy (a +Infinity logit or an all -Infinity row, then NaN, reported as
 * XentError).
 */
function logitsLabel(
  st: EvalState, x: FloatData, rows: number, cols: number, labels: Int32Array, w: FloatArray | null, k: number,
): void {
  const nll = new Float64Array(rows);
  const above = new Int32Array(rows);
  const top = new Int32Array(rows);
  const maxP = new Float64Array(rows);
  const sq = new Float64Array(rows);
  const pY = new Float64Array(rows);
  full().softmaxEvalLabels(x, rows, cols, labels, k, nll, above, top, maxP, sq, pY);
  const L: Named = { name: 'logits', m: { data: x, rows, cols, batch: true } };
  checkInfiniteRows(nll, L);
  for (let r = 0; r < rows; r++) if (nll[r] !== nll[r]) explainNaN(r, [L], L);
  // Nothing below reads x: a batch bigger than the cache would miss on every row.
  for (let r = 0; r < rows; r++) {
    const y = labels[r];
    if (y < 0) {
      st.ignored++;
      continue;
    }
    const loss = nll[r];
    const rank = above[r];
    const py = pY[r];
    const correct = rank === 0 ? 1 : 0;
    const wr = w === null ? 1 : w[r];
    addRow(st, wr, loss, correct, rank < k ? 1 : 0, Math.max(0, sq[r] - 2 * py + 1), maxP[r], y, top[r]);
    addClass(st, wr, y, top[r], loss, correct, py);
    if (cols === 2 && wr !== 0) st.detail.addProbability(wr, y === 1 ? py : 1 - py, y);
  }
}

/** 0/1 (or soft) targets against per-label logits or probabilities: binary statistics per element. */
export function multiLabel(
  st: EvalState, xData: FloatData, tData: FloatData, rows: number, cols: number, w: FloatArray | null,
): void {
  // Flat, without classes: one value per element under every preset (Keras' row means are for multi-label rows).
  const opts = { reduction: 'none', compat: st.settings.compat } as const;
  const logits = st.settings.from === 'logits';
  const perClass = st.settings.perClass;
  const [xIn, tIn] = [input(xData), input(tData)];
  const loss = logits ? sigmoidCrossEntropy(xIn, tIn, opts) : binaryCrossEntropy(xIn, tIn, opts);
  const x = floatsOf(kernels(), xData, true);
  const t = floatsOf(kernels(), tData, true);
  const d = st.detail;
  const moments = d.moments.length > 0;
  // The row's per-label true positives and support-plus-predictions, for the bootstrap's macro F1.
  const f1 = st.bootHits.length > 0;
  const rowHits = new Float64Array(f1 ? cols : 0);
  const rowCounts = new Float64Array(f1 ? cols : 0);
  for (let r = 0; r < rows; r++) {
    const wr = w === null ? 1 : w[r];
    let rowLoss = 0;
    let rowCorrect = 0;
    let rowBrier = 0;
    for (let j = 0; j < cols; j++) {
      const i = r * cols + j;
      const p = logits ? 1 / (1 + Math.exp(-x[i])) : x[i];
      const ti = t[i];
      const l = loss[i];
      const pos = p >= 0.5 ? 1 : 0;
      const correct = pos === (ti >= 0.5 ? 1 : 0) ? 1 : 0;
      rowLoss += l;
      rowCorrect += correct;
      rowBrier += (p - ti) * (p - ti);
      if (f1) {
        rowHits[j] = ti * pos;
        rowCounts[j] = ti + pos;
      }
      if (wr === 0) continue;
      // Binary calibration as torchmetrics: confidence p of the positive class against the target.
      const bin = binOf(p);
      st.eceWeight[bin] += wr;
      st.eceConf[bin] += wr * p;
      st.eceCorrect[bin] += wr * ti;
      if (logits) st.detail.addScore(wr, x[i], ti);
      else st.detail.addProbability(wr, p, ti);
      if (!perClass) continue;
      st.support[j] += wr * ti;
      st.classLoss[j] += wr * l;
      st.classCorrect[j] += wr * correct;
      st.classProb[j] += wr * p;
      st.predicted[j] += wr * pos;
      st.detail.hits[j] += wr * ti * pos;
      const ww = wr * wr;
      st.classW2[j] += ww * ti * ti;
      st.classLoss1[j] += ww * l;
      st.classLoss2[j] += ww * l * l;
      st.classCorrect1[j] += ww * correct;
      st.classProb1[j] += ww * p;
      st.classProb2[j] += ww * p * p;
      st.predictedW2[j] += ww * pos;
      st.hitsW2[j] += ww * ti * pos;
      st.hitsT2[j] += ww * ti * ti * pos;
      if (moments) d.momentEntries(j, ti, pos);
    }
    if (moments && wr !== 0) d.addMoments(wr * wr);
    const row = st.rows;
    st.rows++;
    if (wr === 0) continue;
    const l = rowLoss / cols;
    st.detail.offer(row, l);
    const c = rowCorrect / cols;
    const b = rowBrier / cols;
    if (st.bootW.length > 0) addDraws(st, st.origin + row, wr, l, c, b);
    if (f1) addLabelDraws(st, wr, rowHits, rowCounts);
    st.weight += wr;
    st.loss += wr * l;
    st.correct += (wr * rowCorrect) / cols;
    st.brier += (wr * rowBrier) / cols;
    const ww = wr * wr;
    st.w2 += ww;
    st.loss1 += ww * l;
    st.loss2 += ww * l * l;
    st.correct1 += ww * c;
    st.correct2 += ww * c * c;
    st.brier1 += ww * b;
    st.brier2 += ww * b * b;
    if (l < st.min) st.min = l;
    if (l > st.max) st.max = l;
    st.hist[slotOf(l)] += wr;
  }
}
