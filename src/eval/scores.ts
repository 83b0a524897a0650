/**
 * The figures a classification report adds to the headline ones, read from an EvalState: precision, recall and F1
 * per class with their macro and weighted averages (scikit-learn's `precision_recall_fscore_support` and
 * `classification_report` definitions, 0 where a ratio's denominator is 0, as its default `zero_division`), the
 * baselines (the loss of the label prior and of the uniform distribution) with the skill score 1 − CE / CE_prior
 * (`d2_log_loss_score`), the confusion matrix of few classes and the worst rows.
 */
import { type AverageErrors, type AverageFigure, averageErrors } from './averages.js';
import { type Curves, curvesOf } from './curves.js';
import { PAIR_DEPTH, PAIR_WIDTH, pairCell } from './detail.js';
import type { EvalState } from './state.js';

/** Precision, recall and F1 of one class (true positives: rows of the class whose top-1 prediction is the class). */
export interface Scores {
  precision: number;
  recall: number;
  f1: number;
}

/** An average over the classes of a report: the scores and the mean loss, in the result's unit. */
export interface AverageResult extends Scores {
  loss: number;
  /**
   * The standard error of each figure, rows taken as independent draws: the delta method on the state's sums
   * (averages.ts), the supports of the weighted average random too. Null below two (effective) rows or where the
   * state lacks the sums (a part from a version 3 or older state; multi-label: the weighted loss, and precision,
   * recall and F1 above 16 labels or with a part from a version 4 state).
   */
  standardErrors: AverageErrors;
  /**
   * The figures whose standard error is a conservative upper bound instead (single-label: the state keeps no Σ w²
   * per confusion cell above 32 classes, or a part came from a version 4 state: averages.ts).
   */
  bounds: AverageFigure[];
}

export interface ReportFigures {
  /**
   * Macro (unweighted mean over the classes) and weighted (by support) averages of the per-class figures, over the
   * classes that occur as a label or a prediction (multi-label: every label), as scikit-learn's classification_report.
   * Null without per-class figures, or when a merged state of version 1 or 2 had no true-positive sums.
   */
  averages: { macro: AverageResult; weighted: AverageResult } | null;
  /**
   * The loss of predicting the same distribution for every row, in the result's unit: the label prior (the
   * weighted label frequencies; multi-label: each label's positive rate) and the uniform one (ln C; ln 2 per label).
   * `skill` is 1 − loss / prior (scikit-learn's d2_log_loss_score): 0 for the prior, 1 for a perfect model. prior
   * and skill need per-class figures; skill is null also with fewer than two rows (as scikit-learn) or a prior of 0.
   */
  baselines: { uniform: number; prior: number | null; skill: number | null };
  /**
   * Single-label with per-class figures and at most CONFUSION_LIMIT (32) classes: confusion[y][k] = Σ weight of the
   * rows of label y predicted as k, as scikit-learn's confusion_matrix (the prediction is the top-1; a tie with the
   * label goes to the label, as for accuracy, where scikit-learn's argmax takes the first). Else null.
   */
  confusion: number[][] | null;
  /**
   * The 10 most confused (label, predicted) pairs, heaviest first (ties to the lower label, then predicted), with
   * Σ weight of their rows. Up to 32 classes, from the confusion matrix: exact, `error` 0. Above (single-label, per-class
   * figures kept), from a count-min sketch of the misclassified rows' pairs (4 × 1024 sums, merged by addition):
   * every weight given is at least the true one and at most the least of the label's misclassified weight and the
   * predicted class's wrongly predicted weight; it exceeds the true weight by at most `error` (e/1024 of the
   * misclassified weight) with probability 1 − e⁻⁴ ≈ 98 % per pair (the count-min bound). The pairs are sought among
   * the 20 labels with the most misclassified weight × the 20 classes most often predicted wrongly: every pair
   * heavier than both the 21st of either list is among them. Null otherwise.
   */
  confused: { pairs: { label: number; predicted: number; weight: number }[]; error: number } | null;
  /**
   * The rows of highest loss (at most 10, highest first, ties to the lower row), their row numbers counting from 0
   * the rows given (ignored rows included), rows of weight 0 left out; null when a merged part had no such list.
   */
  worst: { row: number; loss: number }[] | null;
  /**
   * Binary tasks (two classes, or one label) and multi-label ones (every label's p pooled: scikit-learn's
   * average='micro'): ROC and precision-recall curves with AUROC and average precision, from a score histogram, with
   * bounds of their error against the exact values (curves.ts). Null otherwise, or without positives or negatives.
   */
  curves: Curves | null;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/** Per-class scores, or null when not known (no per-class figures, or a part from an older state). */
export function classScores(st: EvalState, j: number): Scores | null {
  if (!st.settings.perClass || !st.detail.known) return null;
  const tp = st.detail.hits[j];
  return { precision: ratio(tp, st.predicted[j]), recall: ratio(tp, st.support[j]), f1: ratio(2 * tp, st.support[j] + st.predicted[j]) };
}

/** Standard errors of a class's precision, recall and F1 (null where undefined: see classScoreErrors). */
export interface ScoreErrors {
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

/**
 * The delta-method standard error of a ratio R = Σ w·a / Σ w·b over independent rows (the ratio estimator's
 * linearisation): SE² = Σ w² (a − R b)² / D², D = Σ w·b, from Σ w²a², Σ w²ab and Σ w²b². Null when D = 0, when the
 * ratio rests on at most one row (Kish's effective count D² / Σ w²b² ≤ 1), or when a sum is unknown (NaN).
 */
function ratioError(R: number, D: number, aa: number, ab: number, bb: number): number | null {
  if (!(D > 0) || !((D * D) / bb > 1)) return null;
  const se = Math.sqrt(Math.max(0, aa - 2 * R * ab + R * R * bb)) / D;
  return Number.isFinite(se) ? se : null;
}

/**
 * The standard errors of class j's precision, recall and F1 by the delta method on the counts. A row has a target
 * t for the class (single-label: 1 when its label is the class, else 0; multi-label: its 0/1 or soft target) and
 * pos = 1 when it is predicted as the class; TP = Σ w·t·pos, support S = Σ w·t, predicted P = Σ w·pos. Then
 *   precision = Σ w·(t·pos) / Σ w·pos,   recall = Σ w·(t·pos) / Σ w·t,   F1 = Σ w·(2 t·pos) / Σ w·(pos + t),
 * each a ratio Σ w·a / Σ w·b (ratioError), whose sums of squares come from the state's Σ w²·pos, Σ w²·t²,
 * Σ w²·t·pos and Σ w²·t²·pos:
 *   F1: Σ w²a² = 4 Σ w²t²pos, Σ w²ab = 2 Σ w²t·pos + 2 Σ w²t²pos, Σ w²b² = Σ w²pos + 2 Σ w²t·pos + Σ w²t².
 * With unit weights and 0/1 targets, F1's is the multinomial delta method on (TP, FP, FN, TN):
 *   Var F1 = 4 TP (FP + FN) (TP + FP + FN) / (2 TP + FP + FN)⁴ = [4 TP (1 − F1)² + (FP + FN) F1²] / (2 TP + FP + FN)²
 * (F1 is homogeneous of degree 0 in the counts, so the multinomial covariance's rank-one term drops out), and a
 * proportion's is p (1 − p) / n (the delta method: no n / (n − 1), unlike the per-class means' errors).
 * scripts/eval_se_fixtures.py checks these against a NumPy bootstrap of the rows.
 */
export function classScoreErrors(st: EvalState, j: number): ScoreErrors | null {
  const sc = classScores(st, j);
  if (sc === null) return null;
  const tt = st.classW2[j];
  const pos = st.predictedW2[j];
  const tpos = st.hitsW2[j];
  const ttpos = st.hitsT2[j];
  return {
    precision: ratioError(sc.precision, st.predicted[j], ttpos, tpos, pos),
    recall: ratioError(sc.recall, st.support[j], ttpos, ttpos, tt),
    f1: ratioError(sc.f1, st.support[j] + st.predicted[j], 4 * ttpos, 2 * tpos + 2 * ttpos, pos + 2 * tpos + tt),
  };
}

/** Mean loss of class j in nats (NaN when it has no rows). */
const classNats = (st: EvalState, j: number) => st.classLoss[j] / (st.settings.multiLabel ? st.weight : st.support[j]);

export function reportFigures(st: EvalState): ReportFigures {
  const s = st.settings;
  const u = Math.log(s.base);
  const C = s.classes;
  let averages: ReportFigures['averages'] = null;
  let prior: number | null = null;
  if (s.perClass) {
    const macro = { precision: 0, recall: 0, f1: 0, loss: 0 };
    const weighted = { precision: 0, recall: 0, f1: 0, loss: 0 };
    let n = 0;
    const set: number[] = [];
    let lossN = 0;
    let support = 0;
    let entropy = 0;
    const total = s.multiLabel ? st.weight : st.support.reduce((a, b) => a + b, 0);
    for (let j = 0; j < C; j++) {
      const sj = st.support[j];
      const pj = total > 0 ? sj / total : 0;
      entropy += s.multiLabel ? binaryEntropy(pj) : pj > 0 ? -pj * Math.log(pj) : 0;
      if (!s.multiLabel && sj === 0 && st.predicted[j] === 0) continue;
      n++;
      set.push(j);
      support += sj;
      const sc = classScores(st, j);
      const l = classNats(st, j);
      if (l === l) {
        lossN++;
        macro.loss += l;
        weighted.loss += sj * l;
      }
      if (sc === null) continue;
      for (const k of ['precision', 'recall', 'f1'] as const) {
        macro[k] += sc[k];
        weighted[k] += sj * sc[k];
      }
    }
    if (st.detail.known && n > 0) {
      // The loss in nats, for the errors' gradients.
      const values = {
        macro: { precision: macro.precision / n, recall: macro.recall / n, f1: macro.f1 / n, loss: macro.loss / lossN },
        weighted: {
          precision: ratio(weighted.precision, support), recall: ratio(weighted.recall, support), f1: ratio(weighted.f1, support),
          loss: ratio(weighted.loss, support),
        },
      };
      const e = averageErrors(st, set, values);
      const inUnit = (a: AverageResult['standardErrors'], v: typeof values.macro, bounds: AverageFigure[]): AverageResult => ({
        ...v, loss: v.loss / u, standardErrors: { ...a, loss: a.loss === null ? null : a.loss / u }, bounds,
      });
      averages = { macro: inUnit(e.macro, values.macro, e.bounds.macro), weighted: inUnit(e.weighted, values.weighted, e.bounds.weighted) };
    }
    if (total > 0) prior = (s.multiLabel ? entropy / C : entropy) / u;
  }
  const nats = st.loss / st.weight;
  const skill = prior === null || prior === 0 || st.rows < 2 || !(st.weight > 0) ? null : 1 - nats / (prior * u);
  return {
    averages,
    baselines: { uniform: (s.multiLabel ? Math.LN2 : Math.log(C)) / u, prior, skill },
    confusion: confusionOf(st),
    confused: confusedOf(st),
    worst: worstOf(st, u),
    curves: st.detail.known && st.detail.pos.length ? curvesOf(st.detail.pos, st.detail.neg) : null,
  };
}

function binaryEntropy(p: number): number {
  return (p > 0 ? -p * Math.log(p) : 0) + (p < 1 ? -(1 - p) * Math.log1p(-p) : 0);
}

function confusionOf(st: EvalState): number[][] | null {
  const m = st.detail.confusion;
  const C = st.settings.classes;
  if (m.length === 0 || !st.detail.known) return null;
  return Array.from({ length: C }, (_, y) => Array.from(m.subarray(y * C, (y + 1) * C)));
}

/** Pairs listed, and the labels and predicted classes searched for them in the sketch. */
const CONFUSED_PAIRS = 10;
const CANDIDATES = 20;

type Pair = { label: number; predicted: number; weight: number };
const heaviest = (a: Pair, b: Pair) => b.weight - a.weight || a.label - b.label || a.predicted - b.predicted;

/** The classes of the `n` largest values of v (ties to the lower class). */
function top(v: Float64Array, n: number): number[] {
  return Array.from(v.keys()).filter((j) => v[j] > 0).sort((a, b) => v[b] - v[a] || a - b).slice(0, n);
}

function confusedOf(st: EvalState): ReportFigures['confused'] {
  const d = st.detail;
  if (!d.known) return null;
  const C = st.settings.classes;
  const pairs: Pair[] = [];
  if (d.confusion.length) {
    for (let y = 0; y < C; y++) {
      for (let k = 0; k < C; k++) if (k !== y && d.confusion[y * C + k] > 0) pairs.push({ label: y, predicted: k, weight: d.confusion[y * C + k] });
    }
    return { pairs: pairs.sort(heaviest).slice(0, CONFUSED_PAIRS), error: 0 };
  }
  if (!d.pairs.length) return null;
  // Misclassified weight per label and wrongly predicted weight per class: each bounds its pairs' weights.
  const missed = st.support.map((s, j) => Math.max(0, s - d.hits[j]));
  const wrong = st.predicted.map((p, j) => Math.max(0, p - d.hits[j]));
  const predictedWrong = top(wrong, CANDIDATES);
  for (const y of top(missed, CANDIDATES)) {
    for (const k of predictedWrong) {
      if (k === y) continue;
      let est = Math.min(missed[y], wrong[k]);
      for (let r = 0; r < PAIR_DEPTH; r++) est = Math.min(est, d.pairs[pairCell(r, y * C + k)]);
      if (est > 0) pairs.push({ label: y, predicted: k, weight: est });
    }
  }
  const off = missed.reduce((a, b) => a + b, 0);
  return { pairs: pairs.sort(heaviest).slice(0, CONFUSED_PAIRS), error: (Math.E * off) / PAIR_WIDTH };
}

function worstOf(st: EvalState, u: number): ReportFigures['worst'] {
  const d = st.detail;
  if (!d.known) return null;
  const out: { row: number; loss: number }[] = [];
  for (let i = 0; i < d.worstRow.length && d.worstRow[i] >= 0; i++) out.push({ row: d.worstRow[i], loss: d.worstLoss[i] / u });
  return out;
}
