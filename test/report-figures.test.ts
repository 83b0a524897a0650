/**
 * The classification-report figures of Evaluator.result() (precision, recall, F1 and their averages, the baselines
 * and skill score, the confusion matrix, the worst rows) against test/fixtures/report.json, written by
 * scripts/report_fixtures.py from scikit-learn's documented definitions; and their merging.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Evaluator, type EvalResult } from '../src/index.js';
import { describeBackends, expectXent } from './helpers.js';

interface Case {
  classes: number;
  logits: number[];
  labels?: number[];
  targets?: number[];
  weights?: number[] | null;
  perClass: { class: number; support: number; precision: number; recall: number; f1: number }[];
  averages: Record<'macro' | 'weighted', { precision: number; recall: number; f1: number }>;
  accuracy?: number;
  loss: number;
  prior: number;
  uniform: number;
  skill: number;
  confusion?: number[][];
  worst: { row: number; loss: number }[];
  auroc: number | null;
  ap: number | null;
}
const FIX = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'report.json'), 'utf8')) as Record<string, Case>;

const close = (a: number | null | undefined, b: number, rel = 1e-12) => {
  expect(a).not.toBeNull();
  expect(Math.abs((a as number) - b)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));
};

function evaluate(c: Case, split = [0, c.logits.length / c.classes]): EvalResult {
  const multi = c.targets !== undefined;
  const ev = new Evaluator({ classes: c.classes, multiLabel: multi });
  // Batches as given by `split` (row offsets), each through a separate evaluator merged in order.
  for (let i = 0; i + 1 < split.length; i++) {
    const [a, b] = [split[i], split[i + 1]];
    const part = new Evaluator({ classes: c.classes, multiLabel: multi });
    const x = Float64Array.from(c.logits.slice(a * c.classes, b * c.classes));
    const t = multi ? Float64Array.from(c.targets!.slice(a * c.classes, b * c.classes)) : Int32Array.from(c.labels!.slice(a, b));
    part.update(x, t, c.weights ? { sampleWeight: Float64Array.from(c.weights.slice(a, b)) } : undefined);
    ev.merge(part);
  }
  return ev.result();
}

function expectCase(r: EvalResult, c: Case) {
  close(r.nats, c.loss);
  c.perClass.forEach((e, k) => {
    const got = r.perClass[k];
    close(got.support, e.support);
    close(got.precision, e.precision);
    close(got.recall, e.recall);
    close(got.f1, e.f1);
  });
  for (const a of ['macro', 'weighted'] as const) {
    for (const m of ['precision', 'recall', 'f1'] as const) close(r.averages![a][m], c.averages[a][m]);
  }
  close(r.baselines.prior, c.prior);
  close(r.baselines.uniform, c.uniform);
  close(r.baselines.skill, c.skill);
  if (c.confusion) r.confusion!.forEach((row, y) => row.forEach((v, k) => close(v, c.confusion![y][k])));
  else expect(r.confusion).toBeNull();
  expect(r.worst!.map((w) => w.row)).toEqual(c.worst.map((w) => w.row));
  r.worst!.forEach((w, i) => close(w.loss, c.worst[i].loss, 1e-12));
  if (c.auroc === null) {
    expect(r.curves).toBeNull();
    return;
  }
  // The histogram's figures are within their stated bounds of the exact ones, and the bounds are small here.
  const k = r.curves!;
  expect(Math.abs(k.auroc - c.auroc)).toBeLessThanOrEqual(k.aurocError + 1e-12);
  expect(Math.abs(k.averagePrecision - c.ap!)).toBeLessThanOrEqual(k.averagePrecisionError + 1e-12);
  expect(k.aurocError).toBeLessThan(2e-3);
  expect(k.averagePrecisionError).toBeLessThan(0.02);
  // Thresholds fall, rates rise, to (1, 1).
  k.points.forEach((p, i) => {
    if (i === 0) return;
    const q = k.points[i - 1];
    expect(p.threshold).toBeLessThan(q.threshold);
    expect(p.fpr).toBeGreaterThanOrEqual(q.fpr);
    expect(p.tpr).toBeGreaterThanOrEqual(q.tpr);
  });
  close(k.points.at(-1)!.fpr, 1);
  close(k.points.at(-1)!.tpr, 1);
}

describeBackends('classification report figures', () => {
  for (const name of ['single', 'weighted', 'multi', 'binary']) {
    it(`match scikit-learn's definitions (${name}), in one batch and merged from uneven parts`, () => {
      const c = FIX[name];
      const n = c.logits.length / c.classes;
      expectCase(evaluate(c), c);
      const parts = evaluate(c, [0, 1, 7, Math.floor(n / 2), n - 1, n]);
      expectCase(parts, c);
      // Merged in row order, the state's figures are the one batch's.
      expect(parts.worst).toEqual(evaluate(c).worst);
    });
  }

  it('curves: the bounds are attained where rows tie in a bin, and probabilities give the logits\' histogram', () => {
    // Two rows in one bin, a positive below a negative: exact AUROC 0, the histogram's 0.5, the bound 0.5.
    const r = new Evaluator({ classes: 1, multiLabel: true }).update([[0.3], [0.3001]], [[1], [0]]).result().curves!;
    expect(r.auroc).toBe(0.5);
    expect(r.aurocError).toBe(0.5);
    // Exact AP: precision 1/2 at the positive; the histogram's 1/2 too, within its bound.
    expect(r.averagePrecision).toBe(0.5);
    expect(r.averagePrecisionError).toBeGreaterThanOrEqual(0);
    const x = [[-3], [0.5], [2], [40], [-40]];
    const t = [[0], [1], [0], [1], [0]];
    const fromLogits = new Evaluator({ classes: 1, multiLabel: true }).update(x, t).result().curves;
    const probs = x.map(([v]) => [1 / (1 + Math.exp(-v))]);
    expect(new Evaluator({ classes: 1, multiLabel: true, from: 'probs' }).update(probs, t).result().curves).toEqual(fromLogits);
    // None for more than two classes, or without negatives.
    expect(new Evaluator({ classes: 3 }).update([[1, 2, 3]], [0]).result().curves).toBeNull();
    expect(new Evaluator({ classes: 1, multiLabel: true }).update([[1]], [[1]]).result().curves).toBeNull();
  });

  it('most confused pairs above 32 classes: from the sketch, never under the true weight, within the bound, merged exactly', () => {
    // 200 classes, 6000 rows: most rows right, planted confusions 7 → 3 (60 rows), 150 → 20 (40), 3 → 7 (25), the
    // rest of the errors spread at random.
    const C = 200;
    const n = 6000;
    let seed = 11;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const x = new Float64Array(n * C);
    const y = new Int32Array(n);
    const truth = new Map<string, number>();
    const planted: [number, number, number][] = [[7, 3, 60], [150, 20, 40], [3, 7, 25]];
    let at = 0;
    for (let r = 0; r < n; r++) {
      let label = Math.floor(rand() * C);
      let pred = label;
      if (at < planted.length) {
        [label, pred] = planted[at];
        if (--planted[at][2] === 0) at++;
      } else if (rand() < 0.3) pred = Math.floor(rand() * C);
      y[r] = label;
      for (let j = 0; j < C; j++) x[r * C + j] = rand();
      x[r * C + pred] = 5;
      if (pred !== label) truth.set(`${label},${pred}`, (truth.get(`${label},${pred}`) ?? 0) + 1);
    }
    const ev = new Evaluator({ classes: C }).update(x, y);
    const r = ev.result();
    expect(r.confusion).toBeNull();
    const k = r.confused!;
    expect(k.pairs.slice(0, 3).map((p) => [p.label, p.predicted])).toEqual([[7, 3], [150, 20], [3, 7]]);
    for (const p of k.pairs) {
      const t = truth.get(`${p.label},${p.predicted}`) ?? 0;
      expect(p.weight).toBeGreaterThanOrEqual(t);
      expect(p.weight - t).toBeLessThanOrEqual(k.error);
    }
    const misclassified = [...truth.values()].reduce((a, b) => a + b, 0);
    expect(k.error).toBeCloseTo((Math.E * misclassified) / 1024, 9);
    // Any split, through the JSON state too: the same pairs (integer weights add exactly).
    const parts = new Evaluator({ classes: C });
    for (const [a, b] of [[0, 1000], [1000, 1001], [1001, 6000]]) {
      parts.merge(Evaluator.fromJSON(JSON.stringify(new Evaluator({ classes: C }).update(x.subarray(a * C, b * C), y.subarray(a, b)).toJSON())));
    }
    expect(parts.result().confused).toEqual(k);
    // Up to 32 classes the pairs are the confusion matrix's, exact.
    const small = new Evaluator({ classes: 3 }).update([[0, 5, 0], [0, 5, 0], [0, 0, 5]], [0, 0, 1]).result().confused!;
    expect(small).toEqual({ pairs: [{ label: 0, predicted: 1, weight: 2 }, { label: 1, predicted: 2, weight: 1 }], error: 0 });
  });

  it('single-label accuracy is the confusion matrix trace; the prior baseline scores a skill of 0', () => {
    const c = FIX.single;
    const r = evaluate(c);
    close(r.accuracy, c.accuracy!);
    close(r.confusion!.reduce((a, row, y) => a + row[y], 0) / r.weight, c.accuracy!);
    // Predicting the label prior for every row: its loss is the prior baseline, its skill 0.
    const n = c.labels!.length;
    const prior = r.perClass.map((k) => k.support / n);
    const probs = Float64Array.from({ length: n * c.classes }, (_, i) => prior[i % c.classes]);
    const p = new Evaluator({ classes: c.classes, from: 'probs' }).update(probs, Int32Array.from(c.labels!)).result();
    close(p.nats, c.prior, 1e-12);
    close(p.baselines.skill, 0, 1e-12);
  });

  it('worst rows: ties go to the lower row number whatever the split; weight-0 rows are left out; 10 at most', () => {
    // Rows of equal loss (the same logits and label) at 0..29, one heavier row at 17 weighted 0.
    const C = 3;
    const rows = 30;
    const x = new Float64Array(rows * C);
    for (let r = 0; r < rows; r++) x.set(r % 3 === 0 ? [2, 0, 0] : [0, 0, 2], r * C);
    x.set([5, 0, 0], 17 * C);
    const y = new Int32Array(rows).fill(1);
    const w = new Float64Array(rows).fill(1);
    w[17] = 0;
    const one = new Evaluator({ classes: C }).update(x, y, { sampleWeight: w }).result().worst!;
    expect(one).toHaveLength(10);
    expect(one.map((k) => k.row)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const cut of [[0, 3, 30], [0, 11, 12, 29, 30], [0, 20, 30]]) {
      const ev = new Evaluator({ classes: C });
      for (let i = 0; i + 1 < cut.length; i++) {
        const part = new Evaluator({ classes: C });
        part.update(x.subarray(cut[i] * C, cut[i + 1] * C), y.subarray(cut[i], cut[i + 1]), { sampleWeight: w.subarray(cut[i], cut[i + 1]) });
        ev.merge(part);
      }
      expect(ev.result().worst).toEqual(one);
      // The same through the JSON state.
      expect(Evaluator.fromJSON(JSON.stringify(ev.toJSON())).result().worst).toEqual(one);
    }
    // Ignored rows count in the row numbers.
    const ig = new Evaluator({ classes: C, ignoreIndex: -100 }).update([[0, 0, 9], [0, 9, 0], [9, 0, 0]], [-100, 1, 1]).result();
    expect(ig.worst!.map((k) => k.row)).toEqual([2, 1]);
  });

  it('a state of version 2 (no detail sums) reads back with those figures unknown, and taints a merge', () => {
    const c = FIX.single;
    const ev = new Evaluator({ classes: c.classes }).update(Float64Array.from(c.logits), Int32Array.from(c.labels!));
    const { detail: _d, ...v2 } = { ...(ev.toJSON() as Record<string, unknown>), version: 2 };
    const old = Evaluator.fromJSON(v2);
    const r = old.result();
    expect(r.perClass[0].precision).toBeNull();
    expect(r.averages).toBeNull();
    expect(r.worst).toBeNull();
    expect(r.confusion).toBeNull();
    close(r.baselines.skill, c.skill);
    expect(new Evaluator({ classes: c.classes }).merge(ev).merge(old).result().averages).toBeNull();
    expectXent(() => Evaluator.fromJSON({ ...ev.toJSON(), detail: { known: true, hits: [[99, 1]], confusion: [], worst: [] } }), 'INVALID_TYPE', 'detail.hits');
    expectXent(() => Evaluator.fromJSON({ ...ev.toJSON(), detail: undefined }), 'INVALID_TYPE', 'state.detail');
  });

  it('without per-class figures: no averages, prior or skill; the uniform baseline and worst rows remain', () => {
    const r = new Evaluator({ classes: 5, perClass: false }).update([[1, 0, 0, 0, 0], [0, 3, 0, 0, 0]], [0, 2]).result();
    expect(r.averages).toBeNull();
    expect(r.baselines).toEqual({ uniform: Math.log(5), prior: null, skill: null });
    expect(r.worst!.map((k) => k.row)).toEqual([1, 0]);
    // Bits: every loss in the unit.
    const b = new Evaluator({ classes: 2, base: 2 }).update([[1, 0], [0, 1], [2, 0]], [0, 0, 1]).result();
    close(b.baselines.uniform, 1);
    close(b.baselines.prior, -(2 / 3) * Math.log2(2 / 3) - (1 / 3) * Math.log2(1 / 3));
    close(b.worst![0].loss, b.max);
  });
});
