/**
 * The Evaluator's standard errors against NumPy (scripts/eval_se_fixtures.py: the ratio estimator's standard error
 * of each weighted mean, with Kish's effective sample size, computed from the deviations; precision, recall and F1
 * by the delta method, which the script holds to a bootstrap), headline and per class, single- and multi-label, on
 * every backend and dtype (half precision too); chunked and merged states give the same errors; the perplexity
 * interval; the Poisson bootstrap, multi-label included, bit-identical however the rows are cut into blocks.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ClassResult, type EvalResult, Evaluator } from '../src/index.js';
import { type Dtype, describeBackends, describeBackendsDtypes, expectClose, expectXent, flat, vec } from './helpers.js';
import { KINDS, encode } from './half-data.js';

interface Est { value: number; standardError: number }
interface ClassEst { value: number | null; standardError: number | null }
type ClassExpected = Record<'loss' | 'accuracy' | 'meanProbability' | 'precision' | 'recall' | 'f1', ClassEst>;
type Figure = 'precision' | 'recall' | 'f1' | 'loss';
type AveragesExpected = Record<'macro' | 'weighted', Record<Figure, ClassEst>>;
interface Intervals {
  resamples: number; loss: [number, number]; perplexity: [number, number]; accuracy: [number, number]; brier: [number, number];
  macroF1: [number, number] | null;
}
interface Case {
  name: string;
  classes: number;
  topK: number;
  /** Rows of logits, or (sparse) rows of [column, logit] pairs, the other logits 0. */
  sparse: boolean;
  logits: number[][] | [number, number][][];
  labels: number[];
  sampleWeight: number[] | null;
  bootstrap: { resamples: number; seed: number } | null;
  expected: {
    nats: Est; accuracy: Est; topK: Est; brier: Est; perplexityInterval95: [number, number];
    bootstrap?: Intervals;
    perClass: ClassExpected[];
    averages: AveragesExpected;
  };
}
interface MultiCase {
  name: string;
  classes: number;
  logits: number[][];
  targets: number[][];
  sampleWeight: number[] | null;
  bootstrap: { resamples: number; seed: number } | null;
  expected: { nats: Est; accuracy: Est; brier: Est; bootstrap?: Intervals; perClass: ClassExpected[]; averages: AveragesExpected };
}

const fixtures = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/eval-se.json', import.meta.url)), 'utf8')) as {
  cases: Case[]; multiLabelCases: MultiCase[];
};
const { cases, multiLabelCases } = fixtures;

/** A case's logits as dense rows. */
function dense(c: Case): number[][] {
  if (!c.sparse) return c.logits as number[][];
  return (c.logits as [number, number][][]).map((pairs) => {
    const row = new Array<number>(c.classes).fill(0);
    for (const [j, v] of pairs) row[j] = v;
    return row;
  });
}

/**
 * Each class's figures and their standard errors against the fixture: `rel` for the losses and probabilities (and
 * their errors), 1e-9 for the figures made of counts and weights. A null expected error is null here; an expected
 * mean of no rows is NaN.
 */
function expectClasses(got: ClassResult[], want: ClassExpected[], rel: number): void {
  expect(got.length).toBe(want.length);
  for (let j = 0; j < want.length; j++) {
    const g = got[j];
    for (const k of ['loss', 'accuracy', 'meanProbability', 'precision', 'recall', 'f1'] as const) {
      const e = want[j][k];
      const r = k === 'loss' || k === 'meanProbability' ? rel : 1e-9;
      const label = `class ${j} ${k}`;
      if (e.value === null) expect(g[k], label).toBeNaN();
      else expectClose(g[k], e.value, r, 1e-12, label);
      if (e.standardError === null) expect(g.standardErrors[k], `${label} SE`).toBeNull();
      // Float32 losses: their spread is a difference of nearby numbers, so its error scales with the loss.
      else expectClose(g.standardErrors[k], e.standardError, r, r * 1e-2, `${label} SE`);
    }
  }
}

/**
 * Where the state keeps too few sums for the delta method (averages.ts): the figures whose error is an upper bound
 * (at least the fixture's delta-method error), and those whose error is unknown (null). The weighted loss of
 * multi-label input has no error either.
 */
const BOUNDS: Record<string, { macro: Figure[]; weighted: Figure[]; unknown?: Figure[] }> = {
  '1,000 classes': { macro: ['f1'], weighted: ['precision', 'f1'] },
  'multi-label, 20 labels': { macro: [], weighted: [], unknown: ['precision', 'recall', 'f1'] },
};

/** The macro and weighted averages and their standard errors against the fixture (delta method over the rows). */
function expectAverages(got: EvalResult['averages'], want: AveragesExpected, name: string, rel: number, multi = false): void {
  const b = BOUNDS[name] ?? { macro: [], weighted: [] };
  for (const kind of ['macro', 'weighted'] as const) {
    const g = got![kind];
    expect(g.bounds, `${kind} bounds`).toEqual(b[kind]);
    for (const k of ['precision', 'recall', 'f1', 'loss'] as const) {
      const e = want[kind][k];
      const label = `${kind} ${k}`;
      expectClose(g[k], e.value!, k === 'loss' ? rel : 1e-9, 1e-12, label);
      const se = g.standardErrors[k];
      if (e.standardError === null || b.unknown?.includes(k) || (multi && kind === 'weighted' && k === 'loss')) expect(se, `${label} SE`).toBeNull();
      else if (b[kind].includes(k)) expect(se!, `${label} SE bound`).toBeGreaterThanOrEqual(e.standardError * (1 - rel));
      else expectClose(se, e.standardError, rel, rel * 1e-2, `${label} SE`);
    }
  }
}

function expectIntervals(got: Intervals | null | undefined, want: Intervals, rel: number): void {
  expect(got!.resamples).toBe(want.resamples);
  expectClose(got!.loss, want.loss, rel, 0, 'bootstrap loss');
  expectClose(got!.perplexity, want.perplexity, rel, 0, 'bootstrap perplexity');
  expectClose(got!.accuracy, want.accuracy, 1e-12, 0, 'bootstrap accuracy');
  expectClose(got!.brier, want.brier, rel, 0, 'bootstrap brier');
  // Made of counts and weights: the same predictions on every dtype.
  if (want.macroF1 === null) expect(got!.macroF1).toBeNull();
  else expectClose(got!.macroF1, want.macroF1, 1e-12, 0, 'bootstrap macro F1');
}

describeBackendsDtypes('Evaluator standard errors against NumPy', (_b, d) => {
  for (const c of cases) {
    it(c.name, () => {
      // Float32 logits: the losses move by ~1e-7 relative, their spread with them.
      const rel = d === 'Float32Array' ? 1e-5 : 1e-9;
      const opts = c.sampleWeight ? { sampleWeight: c.sampleWeight } : undefined;
      const settings = { classes: c.classes, topK: c.topK, ignoreIndex: -100, ...(c.bootstrap ? { bootstrap: c.bootstrap } : {}) };
      const ev = new Evaluator(settings);
      ev.update(flat(dense(c), d), c.labels, opts as never);
      const r = ev.result();
      const e = c.expected;
      expectClose(r.nats, e.nats.value, rel, 0, 'nats');
      expectClose(r.standardErrors.nats, e.nats.standardError, rel, 0, 'SE nats');
      expectClose(r.standardErrors.bits, e.nats.standardError / Math.LN2, rel, 0, 'SE bits');
      expectClose(r.standardErrors.accuracy, e.accuracy.standardError, 1e-9, 0, 'SE accuracy');
      expectClose(r.standardErrors.topK!, e.topK.standardError, 1e-9, 0, 'SE top-k');
      expectClose(r.standardErrors.brier, e.brier.standardError, rel, 0, 'SE brier');
      expectClose(r.perplexityInterval95, e.perplexityInterval95, rel, 0, 'perplexity interval');
      if (e.bootstrap) expectIntervals(r.bootstrap, e.bootstrap, rel);
      else expect(r.bootstrap).toBeNull();
      expectClasses(r.perClass, e.perClass, rel);
      expectAverages(r.averages, e.averages, c.name, rel);
      if (c.labels.length < 10) return;
      // Two chunks merged through JSON: the same errors (sums in another order).
      const h = Math.floor(c.labels.length / 2);
      // Two chunks fed to separate evaluators (the second with its offset), merged through JSON: the same errors
      // and the same draws (sums in another order).
      const part = (from: number, to: number) => new Evaluator(settings)
        .update(flat(dense(c).slice(from, to), d), c.labels.slice(from, to),
          { offset: from, ...(c.sampleWeight ? { sampleWeight: vec(c.sampleWeight.slice(from, to), 'Float64Array') } : {}) } as never);
      const merged = Evaluator.fromJSON(JSON.stringify(part(0, h))).merge(part(h, c.labels.length)).result();
      expectClose(merged.standardErrors.nats, r.standardErrors.nats, 1e-12, 0, 'merged SE');
      expect(merged.standardErrors.accuracy).toBeCloseTo(r.standardErrors.accuracy, 14);
      if (r.bootstrap) expectClose(merged.bootstrap!.loss, r.bootstrap.loss, 1e-12, 0, 'merged bootstrap');
      if (e.bootstrap) expectClose(merged.bootstrap!.macroF1, e.bootstrap.macroF1!, 1e-12, 0, 'merged bootstrap macro F1');
      expectAverages(merged.averages, e.averages, c.name, rel);
      merged.perClass.forEach((m, j) => {
        for (const k of ['loss', 'accuracy', 'f1'] as const) {
          const [a, b] = [m.standardErrors[k], r.perClass[j].standardErrors[k]];
          if (b === null) expect(a).toBeNull();
          else expectClose(a, b, 1e-10, 1e-15, `merged class ${j} SE ${k}`);
        }
      });
    });
  }
});

/** A multi-label case's evaluator, fed rows [from, to) (at their global offset) of the given dtype. */
function multiPart(c: MultiCase, d: Dtype, from = 0, to = c.logits.length): Evaluator {
  const ev = new Evaluator({ classes: c.classes, multiLabel: true, ...(c.bootstrap ? { bootstrap: c.bootstrap } : {}) });
  const w = c.sampleWeight ? { sampleWeight: c.sampleWeight.slice(from, to) } : {};
  return ev.update(flat(c.logits.slice(from, to), d), flat(c.targets.slice(from, to), d), { offset: from, ...w } as never);
}

describeBackendsDtypes('Evaluator multi-label standard errors and bootstrap against NumPy', (_b, d) => {
  for (const c of multiLabelCases) {
    it(c.name, () => {
      const rel = d === 'Float32Array' ? 1e-5 : 1e-9;
      const r = multiPart(c, d).result();
      const e = c.expected;
      expectClose(r.nats, e.nats.value, rel, 0, 'nats');
      expectClose(r.standardErrors.nats, e.nats.standardError, rel, 0, 'SE nats');
      expectClose(r.standardErrors.accuracy, e.accuracy.standardError, 1e-9, 0, 'SE accuracy');
      expectClose(r.standardErrors.brier, e.brier.standardError, rel, 0, 'SE brier');
      if (e.bootstrap) expectIntervals(r.bootstrap, e.bootstrap, rel);
      else expect(r.bootstrap).toBeNull();
      expectClasses(r.perClass, e.perClass, rel);
      expectAverages(r.averages, e.averages, c.name, rel, true);
      if (c.logits.length < 10) return;
      const h = Math.floor(c.logits.length / 2);
      expectAverages(Evaluator.fromJSON(JSON.stringify(multiPart(c, d, 0, h))).merge(multiPart(c, d, h)).result().averages, e.averages, c.name, rel, true);
    });
  }
});

/** The state's JSON text: equal texts are bit-identical sums (enc writes every double exactly). */
const text = (ev: Evaluator) => JSON.stringify(ev.toJSON());

describeBackends('Evaluator bootstrap and per-class sums, bit for bit on a block grid', () => {
  const c = multiLabelCases.find((m) => m.bootstrap !== null)!;
  const n = c.logits.length;
  const G = 16;
  it('multi-label: chunked = blocks merged = shards of blocks merged through JSON', () => {
    // One evaluator fed block by block, blocks fed apart and merged in order, and two "shards" whose blocks are
    // kept apart (as state files keep them) and merged in row order after a JSON round trip.
    const chunked = new Evaluator({ classes: c.classes, multiLabel: true, bootstrap: c.bootstrap! });
    const blocks: Evaluator[] = [];
    for (let at = 0; at < n; at += G) {
      const to = Math.min(n, at + G);
      const w = c.sampleWeight ? { sampleWeight: c.sampleWeight.slice(at, to) } : {};
      chunked.update(flat(c.logits.slice(at, to), 'Float64Array'), flat(c.targets.slice(at, to), 'Float64Array'), w as never);
      blocks.push(multiPart(c, 'Float64Array', at, to));
    }
    const merged = new Evaluator({ classes: c.classes, multiLabel: true, bootstrap: c.bootstrap! });
    for (const b of blocks) merged.merge(b);
    const shards = new Evaluator({ classes: c.classes, multiLabel: true, bootstrap: c.bootstrap! });
    for (const b of blocks.map((x) => Evaluator.fromJSON(text(x)))) shards.merge(b);
    expect(text(merged)).toBe(text(chunked));
    expect(text(shards)).toBe(text(chunked));
    expect(merged.result()).toEqual(chunked.result());
    // One shot: the same up to the order of the additions.
    const one = multiPart(c, 'Float64Array').result();
    expectClose(one.bootstrap!.loss, chunked.result().bootstrap!.loss, 1e-12, 0, 'one-shot bootstrap');
    expect(one.bootstrap!.resamples).toBe(chunked.result().bootstrap!.resamples);
  });
});

describeBackends('Evaluator per-class errors on half-precision input', () => {
  const c = cases.find((x) => x.name.startsWith('an empty class'))!;
  const m = multiLabelCases[0];
  for (const kind of KINDS) {
    it(`${kind.name}: single-label and multi-label`, () => {
      const bits = (rows: number[][]) => kind.make(Uint16Array.from(rows.flat(), (v) => encode(v, kind.format)));
      // Every logit and target is exact in both half formats: only float32 arithmetic separates the results.
      const ev = new Evaluator({ classes: c.classes, topK: c.topK })
        .update(bits(dense(c)) as never, c.labels, { sampleWeight: c.sampleWeight!, ...kind.opts } as never);
      expectClasses(ev.result().perClass, c.expected.perClass, 1e-5);
      const ml = new Evaluator({ classes: m.classes, multiLabel: true, bootstrap: m.bootstrap! })
        .update(bits(m.logits) as never, bits(m.targets) as never, { sampleWeight: m.sampleWeight!, ...kind.opts } as never);
      const r = ml.result();
      expectClasses(r.perClass, m.expected.perClass, 1e-5);
      expectIntervals(r.bootstrap, m.expected.bootstrap!, 1e-5);
    });
  }
});

describe('Evaluator state versions 4 and 5: the per-class and the averages\' errors\' sums in JSON', () => {
  const c = cases.find((x) => x.name.startsWith('an empty class'))!;
  const fresh = () => new Evaluator({ classes: c.classes, topK: c.topK })
    .update(flat(dense(c), 'Float64Array'), c.labels, { sampleWeight: c.sampleWeight! });
  const SPREAD = ['classW2', 'classLoss1', 'classLoss2', 'classCorrect1', 'classProb1', 'classProb2', 'predictedW2', 'hitsW2', 'hitsT2'];

  it('reads a version 3 state: its per-class errors are null, through merges and JSON, the rest as before', () => {
    const j = JSON.parse(JSON.stringify(fresh()));
    expect(j.version).toBe(5);
    for (const k of SPREAD) delete j.perClass[k];
    delete j.detail.confusion2;
    delete j.detail.moments;
    const old = Evaluator.fromJSON({ ...j, version: 3 });
    const r = old.result();
    const now = fresh().result();
    expect(r.standardErrors).toEqual(now.standardErrors);
    expect(r.perClass.map((p) => p.f1)).toEqual(now.perClass.map((p) => p.f1));
    const nulls = (ev: Evaluator) => ev.result().perClass.every((p) => Object.values(p.standardErrors).every((v) => v === null));
    expect(nulls(old)).toBe(true);
    expect(nulls(fresh().merge(old))).toBe(true);
    expect(nulls(Evaluator.fromJSON(JSON.stringify(fresh().merge(old))))).toBe(true);
    // All but the weighted loss's, the headline mean loss, whose sums the state has.
    const averageNulls = (ev: Evaluator) => {
      const a = ev.result().averages!;
      return a.weighted.standardErrors.loss !== null &&
        [...Object.values(a.macro.standardErrors), a.weighted.standardErrors.precision, a.weighted.standardErrors.recall, a.weighted.standardErrors.f1].every((v) => v === null);
    };
    expect(averageNulls(old)).toBe(true);
    expect(averageNulls(fresh().merge(old))).toBe(true);
    // A version 4 or 5 state must have the columns.
    expectXent(() => Evaluator.fromJSON({ ...j, version: 4 }), 'SHAPE_MISMATCH', 'perClass.classW2');
  });

  it('reads a version 4 state: the averages\' errors that need the new sums are bounds (single-label) or null (multi-label)', () => {
    const v4 = (ev: Evaluator) => {
      const j = JSON.parse(JSON.stringify(ev));
      delete j.detail.confusion2;
      delete j.detail.moments;
      return Evaluator.fromJSON({ ...j, version: 4 });
    };
    const pairs: [Evaluator, Evaluator][] = [
      [v4(fresh()), fresh()], [fresh().merge(v4(fresh())), fresh().merge(fresh())], [Evaluator.fromJSON(JSON.stringify(v4(fresh()))), fresh()],
    ];
    for (const [ev, ref] of pairs) {
      const old = ev.result().averages!;
      const now = ref.result().averages!;
      expect(old.macro.bounds).toEqual(['f1']);
      expect(old.weighted.bounds).toEqual(['precision', 'f1']);
      // The same figures and the same errors where no Σ w² per confusion cell is needed; the others at least the
      // delta method's, and for macro F1 (its cross terms all >= 0) at most √2 times it.
      expectClose(old.macro.f1, now.macro.f1, 1e-12, 0, 'macro F1');
      for (const k of ['precision', 'recall', 'loss'] as const) expectClose(old.macro.standardErrors[k], now.macro.standardErrors[k]!, 1e-9, 0, `macro ${k}`);
      expect(old.macro.standardErrors.f1!).toBeGreaterThanOrEqual(now.macro.standardErrors.f1!);
      expect(old.macro.standardErrors.f1!).toBeLessThanOrEqual(now.macro.standardErrors.f1! * Math.SQRT2 * (1 + 1e-12));
    }
    const m = multiLabelCases[0];
    const old = v4(multiPart(m, 'Float64Array')).result().averages!;
    expect(old.macro.bounds).toEqual([]);
    expect(old.weighted.standardErrors).toEqual({ precision: null, recall: null, f1: null, loss: null });
    expect([old.macro.standardErrors.precision, old.macro.standardErrors.recall, old.macro.standardErrors.f1]).toEqual([null, null, null]);
    expectClose(old.macro.standardErrors.loss, m.expected.averages.macro.loss.standardError!, 1e-9, 0, 'macro loss');
    // A version 5 state must have the new sums (null when unknown).
    const j = JSON.parse(JSON.stringify(fresh()));
    delete j.detail.moments;
    expectXent(() => Evaluator.fromJSON(j), 'INVALID_TYPE', 'detail.moments');
  });

  it('checks what the sums mean: a sum of squares below its sum\'s square, a part above its whole', () => {
    const bad = (patch: (j: Record<string, any>) => void, what: string) => {
      const j = JSON.parse(JSON.stringify(fresh()));
      patch(j);
      expectXent(() => Evaluator.fromJSON(j), 'INVALID_STATE', what);
    };
    bad((j) => (j.perClass.classLoss2[0] = 0), 'class 0');
    bad((j) => (j.perClass.hitsW2[1] = j.perClass.predictedW2[1] + 1), 'class 1');
    bad((j) => (j.perClass.classProb2[0] = -1), 'classProb2[0]');
    bad((j) => (j.w2 = j.weight * j.weight * 2), 'w2');
    bad((j) => (j.loss2 = 0), 'sum of squares');
    bad((j) => (j.detail.confusion2[0][1] = -1), 'detail.confusion2');
    bad((j) => (j.detail.confusion2[0][1] = 1e9), 'detail.confusion2');
  });

  it('keeps the sums only with per-class figures: without them the state does not grow with the classes', () => {
    const size = (classes: number, perClass: boolean) =>
      JSON.stringify(new Evaluator({ classes, perClass }).update(new Float32Array(classes), [0])).length;
    // The same sums, their digits apart (the class count in the settings, the losses).
    expect(Math.abs(size(151_936, false) - size(3, false))).toBeLessThan(40);
    const j = JSON.parse(JSON.stringify(new Evaluator({ classes: 3, perClass: true }).update([[1, 2, 3]], [2])));
    for (const k of SPREAD) expect(j.perClass[k], k).toHaveLength(j.perClass.class.length);
  });

  it('multi-label bootstrap: a state without the Brier sums (written before them) has no Brier interval', () => {
    const m = multiLabelCases[0];
    const j = JSON.parse(JSON.stringify(multiPart(m, 'Float64Array')));
    delete j.bootstrap.brier;
    const r = Evaluator.fromJSON(j).result();
    expect(r.bootstrap!.brier).toBeNull();
    expectClose(r.bootstrap!.loss, m.expected.bootstrap!.loss, 1e-9, 0, 'loss');
  });
});

describe('Evaluator bootstrap: the macro F1\'s interval', () => {
  const c = cases.find((x) => x.name === 'bootstrap, weighted, 32 classes')!;
  const settings = { classes: c.classes, topK: c.topK, bootstrap: c.bootstrap! };
  const rows = dense(c);
  const part = (from: number, to: number, offset?: number) => new Evaluator(settings).update(flat(rows.slice(from, to), 'Float64Array'),
    c.labels.slice(from, to), { sampleWeight: c.sampleWeight!.slice(from, to), ...(offset === undefined ? {} : { offset }) });

  describeBackends('chunked, merged, through JSON and packed', () => {
    it('single-label, weighted: chunked = blocks merged = blocks merged through JSON, bit for bit; one shot within rounding', async () => {
      const { mergePacked, packState } = await import('../src/eval/evaluator.js');
      const n = c.labels.length;
      const G = 64;
      const chunked = new Evaluator(settings);
      const merged = new Evaluator(settings);
      const json = new Evaluator(settings);
      const packed = new Evaluator(settings);
      for (let at = 0; at < n; at += G) {
        const to = Math.min(n, at + G);
        chunked.update(flat(rows.slice(at, to), 'Float64Array'), c.labels.slice(at, to), { sampleWeight: c.sampleWeight!.slice(at, to) });
        const block = part(at, to, at);
        merged.merge(block);
        json.merge(Evaluator.fromJSON(text(block)));
        mergePacked(packed, packState(block));
      }
      expect(text(merged)).toBe(text(chunked));
      expect(text(json)).toBe(text(chunked));
      expect(text(packed)).toBe(text(chunked));
      const r = chunked.result();
      expect(r.bootstrap!.macroF1).toEqual(merged.result().bootstrap!.macroF1);
      expectClose(r.bootstrap!.macroF1, c.expected.bootstrap!.macroF1!, 1e-12, 0, 'chunked macro F1');
      expectClose(part(0, n).result().bootstrap!.macroF1, r.bootstrap!.macroF1!, 1e-12, 0, 'one shot');
      // The interval lies around the point estimate; the JSON state holds B · C sums of each kind.
      const f = r.averages!.macro.f1;
      expect(r.bootstrap!.macroF1![0]).toBeLessThan(f);
      expect(r.bootstrap!.macroF1![1]).toBeGreaterThan(f);
      const j = chunked.toJSON() as unknown as { bootstrap: Record<string, unknown[]> };
      expect(j.bootstrap.classHits).toHaveLength(c.bootstrap!.resamples * c.classes);
      expect(j.bootstrap.classCounts).toHaveLength(c.bootstrap!.resamples * c.classes);
    });
  });

  describeBackendsDtypes('one row', (_b, d) => {
    // One row: every resample that draws it is the row itself, so the interval is the point estimate, twice.
    // Right (label 0, predicted 0): F1 over class 0 alone, 1. Wrong (label 1, predicted 0): classes 0 and 1, both 0.
    for (const [label, f1] of [[0, 1], [1, 0]] as const) {
      it(`single-label, label ${label}: [${f1}, ${f1}], weighted or not`, () => {
        for (const opts of [undefined, { sampleWeight: [0.25] }]) {
          const r = new Evaluator({ classes: 3, bootstrap: { resamples: 50, seed: 1 } }).update(flat([[2, 0, 1]], d), [label], opts as never).result();
          expect(r.averages!.macro.f1).toBe(f1);
          expect(r.bootstrap!.macroF1).toEqual([f1, f1]);
          expect(r.bootstrap!.resamples).toBeLessThan(50);
        }
      });
    }
    it('multi-label: every label averaged, 0 where a label has no target and no prediction', () => {
      // Labels: (target 1, p > 0.5) F1 1; (0, p > 0.5) F1 0; (1, p < 0.5) F1 0; (0, p < 0.5) F1 0 by convention.
      const r = new Evaluator({ classes: 4, multiLabel: true, bootstrap: { resamples: 40, seed: 2 } })
        .update(flat([[2, 1, -1, -2]], d), flat([[1, 0, 1, 0]], d)).result();
      expect(r.averages!.macro.f1).toBe(0.25);
      expect(r.bootstrap!.macroF1).toEqual([0.25, 0.25]);
    });
  });

  it('keeps its sums up to 32 classes (labels) with per-class figures: above, or without them, the interval is null', async () => {
    const { packState } = await import('../src/eval/evaluator.js');
    const B = 30;
    for (const multiLabel of [false, true]) {
      for (const classes of [32, 33]) {
        for (const perClass of [true, false]) {
          const make = (bootstrap: boolean) => {
            const ev = new Evaluator({ classes, multiLabel, perClass, ...(bootstrap ? { bootstrap: { resamples: B, seed: 3 } } : {}) });
            const x = Float64Array.from({ length: 40 * classes }, (_, i) => Math.sin(i * 0.37) * 3);
            return ev.update(x, multiLabel ? Float64Array.from(x, (v, i) => (Math.cos(v + i) > 0 ? 1 : 0)) : Array.from({ length: 40 }, (_, i) => (i * 7) % classes));
          };
          const ev = make(true);
          const kept = classes <= 32 && perClass;
          const label = `${multiLabel ? 'multi' : 'single'}-label, ${classes} classes, perClass ${perClass}`;
          const r = ev.result();
          if (kept) {
            expect(r.bootstrap!.macroF1, label).not.toBeNull();
            expect(r.bootstrap!.macroF1![0], label).toBeLessThanOrEqual(r.bootstrap!.macroF1![1]);
          } else expect(r.bootstrap!.macroF1, label).toBeNull();
          const j = ev.toJSON() as unknown as { bootstrap: Record<string, unknown> };
          expect('classHits' in j.bootstrap, label).toBe(kept);
          // The packed state (threads) carries 2 · B · C more numbers than the bootstrap's four per resample.
          const without = packState(make(false)).length;
          expect(packState(ev).length - without, label).toBe(4 * B + (kept ? 2 * B * classes : 0));
        }
      }
    }
  });

  it('a state written before these sums were kept reads with a null interval, through merges and JSON; the rest unchanged', () => {
    const fresh = part(0, c.labels.length);
    const j = JSON.parse(text(fresh));
    delete j.bootstrap.classHits;
    delete j.bootstrap.classCounts;
    const old = Evaluator.fromJSON(j);
    expect(old.result().bootstrap!.macroF1).toBeNull();
    expect(old.result().bootstrap!.loss).toEqual(fresh.result().bootstrap!.loss);
    expect(old.result().averages).toEqual(fresh.result().averages);
    const mixed = part(0, 10).merge(old);
    expect(mixed.result().bootstrap!.macroF1).toBeNull();
    expect(Evaluator.fromJSON(text(mixed)).result().bootstrap!.macroF1).toBeNull();
    expect((mixed.toJSON() as unknown as { bootstrap: { classHits: unknown[] } }).bootstrap.classHits.every((v) => v === null)).toBe(true);
  });

  it('checks the sums: their lengths, and true positives within their counts', () => {
    const bad = (patch: (j: Record<string, any>) => void, code: string, what: string) => {
      const j = JSON.parse(text(part(0, 50)));
      patch(j);
      expectXent(() => Evaluator.fromJSON(j), code, what);
    };
    bad((j) => j.bootstrap.classHits.pop(), 'SHAPE_MISMATCH', 'bootstrap.classHits');
    bad((j) => (j.bootstrap.classCounts = 3), 'SHAPE_MISMATCH', 'bootstrap.classCounts');
    bad((j) => (j.bootstrap.classCounts[5] = -1), 'INVALID_STATE', 'bootCounts[5]');
    bad((j) => {
      const i = j.bootstrap.classHits.findIndex((v: number) => v > 0);
      j.bootstrap.classHits[i] = j.bootstrap.classCounts[i];
    }, 'INVALID_STATE', 'classHits');
  });
});
