/**
 * Comparison against the NumPy / SciPy / mpmath fixtures (scripts/compare_fixtures.py: both models' figures, the
 * paired differences, McNemar's exact test, KL both ways with percentiles, JS, Δp, agreement, overlap, and the
 * paired Poisson bootstrap with the same counter-based draws) on every backend and dtype; chunked = sharded =
 * merged in any order = JSON round trip, bit for bit on a fixed block grid; KL never negative on half-precision
 * logits of near-identical models; errors naming the argument; fromJSON rejecting states that mean nothing.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Comparison, type ComparisonResult, LanguageModelEvaluator, softmaxCrossEntropy } from '../src/index.js';
import { mix32, poissonWeights, rowKey } from '../src/eval/bootstrap.js';
import { mcnemarExact } from '../src/eval/binomial.js';
import { KINDS, decodeAll, encode } from './half-data.js';
import { type Dtype, decode, describeBackends, describeBackendsDtypes, expectClose, expectXent, flat, prng } from './helpers.js';

interface Est { value: number; standardError: number }
type Pct = Record<string, number>;
interface Expected {
  rows: number;
  base: { loss: Est; accuracy: Est; perplexity: number };
  candidate: { loss: Est; accuracy: Est; perplexity: number };
  lossDifference: Est;
  lossCorrelation: number;
  perplexityRatio: Est;
  accuracyDifference: Est;
  mcnemar: { baseOnly: number; candidateOnly: number; pValue: number };
  klBaseToCandidate: Est & { percentiles: Pct };
  klCandidateToBase: Est & { percentiles: Pct };
  jensenShannon: Est;
  deltaP: Est & { rms: number; percentiles: Pct };
  top1Agreement: Est;
  topKOverlap: Est;
  bootstrapLoss?: { interval95: [number, number]; pValue: number; resamples: number };
  bootstrapAccuracy?: { interval95: [number, number]; pValue: number; resamples: number };
}
interface Case {
  name: string;
  classes: number;
  base: number[][];
  candidate: number[][];
  targets: number[];
  topK: number;
  bootstrap: { resamples: number; seed: number } | null;
  shift: boolean;
  sequenceLength: number | null;
  expected: Expected;
  exact32: Expected;
}

interface LmBoot { resamples: number; loss: [number, number]; perplexity: [number, number]; accuracy: [number, number] }
const fx = decode<{
  cases: Case[]; mcnemar: [number, number, number][]; draws: { seed: number; row: number; weights: number[] }[];
  lm: { resamples: number; seed: number; sequenceLength: number; expected: LmBoot };
}>(JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/compare.json', import.meta.url)), 'utf8')));

const settingsOf = (c: Case) => ({ classes: c.classes, topK: c.topK, ...(c.bootstrap ? { bootstrap: c.bootstrap } : {}) });
const updateOf = (c: Case) => (c.shift ? { shift: true, sequenceLength: c.sequenceLength! } : {});

/** Rows [from, to) of a case as one update (the sequence length divides the blocks used here). */
function feed(cmp: Comparison, c: Case, d: Dtype, from = 0, to = c.targets.length, offset?: number): Comparison {
  return cmp.update(
    flat(c.base.slice(from, to), d), flat(c.candidate.slice(from, to), d), c.targets.slice(from, to),
    { ...updateOf(c), ...(offset === undefined ? {} : { offset }) },
  );
}

/**
 * Float64 figures: 1e-12 for sums of per-row values (SE: 1e-9, a difference of sums of squares). `lanes`: float32
 * logits in the SIMD builds, float32 arithmetic (assembly/compare32.ts): each row's loss within float32's loss
 * accuracy (1e-6 relative), KL and JS within 3e-6 relative + 4e-12 absolute of the float64 reference.
 */
function check(r: ComparisonResult, e: Expected, lanes = false): void {
  const tol = (f64: number, f32: number) => (lanes ? f32 : f64);
  const seRel = tol(1e-9, 1e-5);
  const est = (a: Est, b: Est, what: string, rel = 1e-12, abs = 0) => {
    expectClose(a.value, b.value, rel, abs, `${what}.value`);
    expectClose(a.standardError, b.standardError, seRel, abs, `${what}.standardError`);
  };
  const loss = tol(1e-12, 1e-6);
  expect(r.rows).toBe(e.rows);
  est(r.base.loss, e.base.loss, 'base.loss', loss);
  est(r.candidate.loss, e.candidate.loss, 'candidate.loss', loss);
  est(r.base.accuracy, e.base.accuracy, 'base.accuracy');
  est(r.candidate.accuracy, e.candidate.accuracy, 'candidate.accuracy');
  expectClose(r.base.perplexity.value, e.base.perplexity, tol(1e-12, 1e-5), 0, 'base.perplexity');
  expectClose(r.candidate.perplexity.value, e.candidate.perplexity, tol(1e-12, 1e-5), 0, 'candidate.perplexity');
  // The mean difference is a sum of per-row differences of two losses: its error is relative to the losses.
  est(r.lossDifference, e.lossDifference, 'lossDifference', loss, loss * e.base.loss.value);
  expectClose(r.lossCorrelation, e.lossCorrelation, tol(1e-9, 1e-5), 0, 'lossCorrelation');
  est(r.perplexityRatio, e.perplexityRatio, 'perplexityRatio', tol(1e-12, 1e-5));
  est(r.accuracyDifference, e.accuracyDifference, 'accuracyDifference', 1e-12, 1e-15);
  expect(r.accuracyDifference.mcnemar.baseOnly).toBe(e.mcnemar.baseOnly);
  expect(r.accuracyDifference.mcnemar.candidateOnly).toBe(e.mcnemar.candidateOnly);
  expectClose(r.accuracyDifference.mcnemar.pValue, e.mcnemar.pValue, 1e-9, 0, 'mcnemar');
  const div = tol(1e-10, 3e-6);
  const divAbs = tol(0, 4e-12);
  for (const [got, want, what] of [
    [r.klDivergence.baseToCandidate, e.klBaseToCandidate, 'KL(base‖candidate)'],
    [r.klDivergence.candidateToBase, e.klCandidateToBase, 'KL(candidate‖base)'],
  ] as const) {
    // Per-row KL within 1e-10 of mpmath's (near-identical rows: the log-probabilities' own rounding, ~1e-15
    // absolute, over differences of ~4e-3 enters the squared difference).
    est(got, want, what, div, divAbs);
    checkPercentiles(got.percentiles as unknown as Pct, want.percentiles, what, div, divAbs);
  }
  est(r.jensenShannon, e.jensenShannon, 'jensenShannon', tol(1e-9, 3e-6), divAbs);
  const dp = tol(1e-15, 1e-7);
  est(r.deltaP, e.deltaP, 'deltaP', loss, dp);
  expectClose(r.deltaP.rms, e.deltaP.rms, loss, dp, 'deltaP.rms');
  checkPercentiles(r.deltaP.percentiles as unknown as Pct, e.deltaP.percentiles, 'deltaP', tol(1e-10, 1e-6), dp);
  est(r.top1Agreement, e.top1Agreement, 'top1Agreement');
  est(r.topKOverlap, e.topKOverlap, 'topKOverlap', 1e-12, 1e-15);
  for (const [got, want, what] of [
    [r.lossDifference.bootstrap, e.bootstrapLoss, 'bootstrap loss'],
    [r.accuracyDifference.bootstrap, e.bootstrapAccuracy, 'bootstrap accuracy'],
  ] as const) {
    if (want === undefined) {
      expect(got).toBeNull();
      continue;
    }
    expect(got!.resamples, what).toBe(want.resamples);
    expect(got!.pValue, what).toBe(want.pValue);
    expectClose(got!.interval95, want.interval95, tol(1e-10, 1e-6), tol(1e-14, 1e-6 * e.base.loss.value), what);
  }
}

/** The sketch's bound: within 2.33% of the sample quantile (1e-12 absolute near 0); max and min exact. */
function checkPercentiles(got: Pct, want: Pct, what: string, rel = 1e-10, abs = 0): void {
  for (const k of Object.keys(want)) {
    if (k === 'max' || k === 'min') expectClose(got[k], want[k], rel, abs, `${what} ${k}`);
    else expectClose(got[k], want[k], 0.0234, 1e-12, `${what} ${k}`);
  }
}

describeBackendsDtypes('Comparison against the NumPy fixtures', (b, d) => {
  for (const c of fx.cases) {
    it(`${c.name}: every figure`, () => {
      const r = feed(new Comparison(settingsOf(c)), c, d).result();
      const lanes = d === 'Float32Array' && (b === 'wasm' || b === 'wasm-relaxed');
      check(r, d === 'Float32Array' ? c.exact32 : c.expected, lanes);
      for (const kl of [r.klDivergence.baseToCandidate, r.klDivergence.candidateToBase]) {
        expect(kl.percentiles.min).toBeGreaterThanOrEqual(0);
      }
    });
  }
});

describeBackends('Comparison: chunked = sharded = merged = JSON, bit for bit', () => {
  const c = fx.cases[1];
  it('blocks of 12 rows: fed in order = shards with offsets merged in order, through JSON; any order within rounding', () => {
    const n = c.targets.length;
    const seq = new Comparison(settingsOf(c));
    for (let i = 0; i < n; i += 12) feed(seq, c, 'Float64Array', i, i + 12);
    const shards = [];
    for (let i = 0; i < n; i += 12) shards.push(feed(new Comparison(settingsOf(c)), c, 'Float64Array', i, i + 12, i));
    const merged = new Comparison(settingsOf(c));
    for (const s of shards) merged.merge(Comparison.fromJSON(JSON.stringify(s)));
    expect(merged.result()).toEqual(seq.result());
    expect(JSON.stringify(Comparison.fromJSON(JSON.stringify(merged)))).toBe(JSON.stringify(merged));
    // Another order: the same counts, draws and extremes; sums equal up to float64 rounding.
    const backwards = new Comparison(settingsOf(c));
    for (const s of shards.reverse()) backwards.merge(s);
    check(backwards.result(), c.expected);
    expect(backwards.result().accuracyDifference).toEqual(seq.result().accuracyDifference);
    const whole = feed(new Comparison(settingsOf(c)), c, 'Float64Array').result();
    check(whole, c.expected);
    // One update instead of three: the same draws, sums in another order.
    // (A difference of two sums of losses: its rounding is relative to the losses.)
    expectClose(whole.lossDifference.bootstrap!.interval95, seq.result().lossDifference.bootstrap!.interval95, 1e-12,
      1e-12 * c.expected.base.loss.value);
  });

  it('the bootstrap draws depend on the global row: the wrong offset changes them', () => {
    const a = feed(new Comparison(settingsOf(c)), c, 'Float64Array', 12, 36, 12).result();
    const b = feed(new Comparison(settingsOf(c)), c, 'Float64Array', 12, 36, 0).result();
    expect(a.lossDifference.value).toBe(b.lossDifference.value);
    expect(a.lossDifference.bootstrap).not.toEqual(b.lossDifference.bootstrap);
  });
});

describeBackends('LanguageModelEvaluator: the same Poisson bootstrap', () => {
  const c = fx.cases[1];
  const settings = { classes: c.classes, bootstrap: { resamples: fx.lm.resamples, seed: fx.lm.seed } };
  const T = fx.lm.sequenceLength;
  const feed = (ev: LanguageModelEvaluator, from: number, to: number, offset?: number) => ev.update(
    flat(c.base.slice(from, to), 'Float64Array'), c.targets.slice(from, to),
    { shift: true, sequenceLength: T, ...(offset === undefined ? {} : { offset }) },
  );
  it('intervals of the resampled mean nll, perplexity and accuracy as NumPy draws them', () => {
    const r = feed(new LanguageModelEvaluator(settings), 0, c.targets.length).result();
    const e = fx.lm.expected;
    expect(r.bootstrap!.resamples).toBe(e.resamples);
    expectClose(r.bootstrap!.loss, e.loss, 1e-12, 0, 'loss');
    expectClose(r.bootstrap!.perplexity, e.perplexity, 1e-11, 0, 'perplexity');
    expectClose(r.bootstrap!.accuracy, e.accuracy, 1e-12, 0, 'accuracy');
  });
  it('sequences fed in order = shards with offsets merged in order, through JSON', () => {
    const seq = new LanguageModelEvaluator(settings);
    for (let i = 0; i < c.targets.length; i += T) feed(seq, i, i + T);
    const merged = new LanguageModelEvaluator(settings);
    for (let i = 0; i < c.targets.length; i += T) {
      merged.merge(LanguageModelEvaluator.fromJSON(JSON.stringify(feed(new LanguageModelEvaluator(settings), i, i + T, i))));
    }
    expect(merged.result()).toEqual(seq.result());
    expect(new LanguageModelEvaluator({ classes: c.classes }).result().bootstrap).toBeNull();
  });
});

describeBackends('Comparison on half-precision logits', () => {
  for (const kind of KINDS) {
    it(`${kind.name}: near-identical models, KL never negative, as for the decoded Float32Array`, () => {
      const V = 517;
      const n = 40;
      const rand = prng(91);
      const a = new Uint16Array(n * V);
      const b = new Uint16Array(n * V);
      for (let i = 0; i < n * V; i++) {
        const z = (rand() - 0.5) * 12;
        a[i] = encode(z, kind.format);
        // Mostly the same bits, some one unit in the last place apart: the quantized model's typical difference.
        b[i] = rand() < 0.3 ? a[i] + (rand() < 0.5 ? 1 : -1) : a[i];
      }
      const t = Array.from({ length: n }, () => Math.floor(rand() * V));
      const got = new Comparison({ classes: V }).update(kind.make(a) as Uint16Array, kind.make(b) as Uint16Array, t, kind.opts);
      const f32 = new Comparison({ classes: V }).update(decodeAll(a, kind.format), decodeAll(b, kind.format), t);
      const r = got.result();
      expect(r).toEqual(f32.result());
      expect(r.klDivergence.baseToCandidate.percentiles.min).toBeGreaterThanOrEqual(0);
      expect(r.klDivergence.candidateToBase.percentiles.min).toBeGreaterThanOrEqual(0);
      expect(r.klDivergence.baseToCandidate.value).toBeGreaterThan(0);
      const same = new Comparison({ classes: V }).update(kind.make(a) as Uint16Array, kind.make(a) as Uint16Array, t, kind.opts).result();
      expect(same.klDivergence.baseToCandidate.percentiles.max).toBe(0);
      expect(same.jensenShannon.value).toBe(0);
      expect(same.top1Agreement.value).toBe(1);
    });
  }

  it('a very wide row (151,936 classes) and a single row: the same on every backend, KL >= 0', () => {
    const V = 151_936;
    const rand = prng(5);
    const a = new Float32Array(V);
    const b = new Float32Array(V);
    for (let j = 0; j < V; j++) {
      a[j] = (rand() - 0.5) * 20;
      b[j] = a[j] + (rand() - 0.5) * 1e-3;
    }
    const r = new Comparison({ classes: V, topK: 5 }).update(a, b, [777]).result();
    expect(r.rows).toBe(1);
    expect(r.klDivergence.baseToCandidate.value).toBeGreaterThan(0);
    // The KL of a tiny perturbation δ is about Var_p(δ)/2 = (1e-3)²/24 per row (uniform noise of width 1e-3).
    expectClose(r.klDivergence.baseToCandidate.value, 1e-6 / 24, 0.5, 0, 'KL of a 1e-3 perturbation');
    expect(r.topKOverlap.k).toBe(5);
  });
});

/** Neumaier-compensated sum of f(i) for i < n. */
function fsum(n: number, f: (i: number) => number): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const v = f(i);
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return s + c;
}

/**
 * An independent float64 reference of one row (not the kernel's φ forms): log-softmax with the max taken out, KL as
 * Σ p·(log p - log q) and JS as ½ Σ (p·log(p/m) + q·log(q/m)), compensated sums.
 */
function reference(a: ArrayLike<number>, b: ArrayLike<number>, y: number) {
  const V = a.length;
  const logSoftmax = (x: ArrayLike<number>) => {
    let M = -Infinity;
    for (let j = 0; j < V; j++) M = Math.max(M, x[j]);
    const L = Math.log(fsum(V, (j) => Math.exp(x[j] - M)));
    return Float64Array.from({ length: V }, (_, j) => x[j] - M - L);
  };
  const la = logSoftmax(a);
  const lb = logSoftmax(b);
  const lm = la.map((v, j) => Math.max(v, lb[j]) + Math.log1p(Math.exp(-Math.abs(v - lb[j]))) - Math.LN2);
  return {
    klAB: fsum(V, (j) => Math.exp(la[j]) * (la[j] - lb[j])),
    klBA: fsum(V, (j) => Math.exp(lb[j]) * (lb[j] - la[j])),
    js: fsum(V, (j) => 0.5 * (Math.exp(la[j]) * (la[j] - lm[j]) + Math.exp(lb[j]) * (lb[j] - lm[j]))),
    lossA: -la[y],
    lossB: -lb[y],
  };
}

/** Row pairs of every kind the float32 lanes meet (the values as float32 holds them). */
function rowPairs(V: number, seed: number): [Float32Array, Float32Array][] {
  const rand = prng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const base = (s: number) => Float32Array.from({ length: V }, () => s * gauss());
  const near = (a: Float32Array, w: number, shift = 0) => a.map((x) => x + shift + (rand() - 0.5) * w);
  const a = [base(3), base(3), base(5), base(3), base(1), base(3), base(3)];
  a[4][3] = 40; // a confident row
  const gap = near(a[5], 0.3);
  a[5][7] = 60;
  gap[7] = 20;
  return [
    [a[0], near(a[0], 0.02)], [a[1], near(a[1], 1e-5)], [a[2], base(5)], [a[3], near(a[3], 0.1, 100)],
    [a[4], near(a[4], 0.5)], [a[5], gap], [a[6], a[6].slice()],
    // differences straddling |v| = 1 in most blocks: both tiers of the far blocks
    [a[1], near(a[1], 2.2)],
  ];
}

/** Each row's figures within the stated bound of the float64 reference, never negative; identical rows give 0. */
function expectWithinBound(got: ComparisonResult, want: ReturnType<typeof reference>, what: string): void {
  const kl = [got.klDivergence.baseToCandidate.value, got.klDivergence.candidateToBase.value, got.jensenShannon.value];
  [want.klAB, want.klBA, want.js].forEach((w, i) => {
    expect(kl[i], what).toBeGreaterThanOrEqual(0);
    expectClose(kl[i], w, 3e-6, 4e-12, `${what} [${i}]`);
  });
  expectClose(got.base.nats.value, want.lossA, 1e-6, 0, `${what} base loss`);
  expectClose(got.candidate.nats.value, want.lossB, 1e-6, 0, `${what} candidate loss`);
}

describeBackends('Comparison on float32 and half rows: within 3e-6 + 4e-12 of a float64 reference', (backendName) => {
  const one = (a: ArrayLike<number>, b: ArrayLike<number>, y: number, opts?: object) =>
    new Comparison({ classes: a.length }).update(a as Float32Array, b as Float32Array, [y], opts).result();
  it('rows of 1003 (a tail past the lanes) and 262,144 classes: near, tiny, unrelated, shifted, confident, gaps, identical', () => {
    for (const V of [1003, 262_144]) {
      rowPairs(V, V).forEach(([a, b], i) => {
        const y = (i * 7919) % V;
        const r = one(a, b, y);
        expectWithinBound(r, reference(a, b, y), `${V} classes, pair ${i}`);
        if (backendName === 'wasm' || backendName === 'wasm-relaxed') {
          // the float32 lanes: each model's loss is softmaxCrossEntropy's, bit for bit
          expect(r.base.nats.value).toBe(softmaxCrossEntropy(a, [y], { classes: V }));
          expect(r.candidate.nats.value).toBe(softmaxCrossEntropy(b, [y], { classes: V }));
        }
        if (i === 6) {
          expect(r.klDivergence.baseToCandidate.percentiles.max).toBe(0);
          expect(r.jensenShannon.value).toBe(0);
        }
      });
    }
  });
  it('top-1 is the first index of the max, across the lanes and blocks; the target tying the max counts correct', () => {
    const V = 300;
    const a = new Float32Array(V).map((_, j) => Math.sin(j)); // all below 1
    const b = a.slice();
    for (const [first, later] of [[5, 70], [70, 5 + 64 * 3], [133, 134], [2, 299]]) {
      const x = a.slice();
      x[first] = 2;
      x[later] = 2;
      const agree = (i: number) => {
        const y = b.slice();
        y[i] = 2;
        return new Comparison({ classes: V }).update(x, y, [later]).result();
      };
      const r = agree(Math.min(first, later));
      expect(r.top1Agreement.value, `${first}, ${later}`).toBe(1);
      expect(r.base.accuracy.value).toBe(1);
      expect(r.disagreements[0].baseTop).toBe(Math.min(first, later));
      expect(agree(Math.max(first, later)).top1Agreement.value, `${first}, ${later}`).toBe(0);
    }
  });
  for (const kind of KINDS) {
    it(`${kind.name}: the decoded values' reference`, () => {
      rowPairs(517, 3).forEach(([a, b], i) => {
        const ha = Uint16Array.from(a, (x) => encode(x, kind.format));
        const hb = Uint16Array.from(b, (x) => encode(x, kind.format));
        const y = (i * 31) % 517;
        const r = one(kind.make(ha), kind.make(hb), y, kind.opts);
        expectWithinBound(r, reference(decodeAll(ha, kind.format), decodeAll(hb, kind.format), y), `${kind.name} pair ${i}`);
      });
    });
  }
});

describe('Comparison: generator, McNemar, errors, states', () => {
  it('the counter-based Poisson draws are those of the Python rewrite', () => {
    for (const { seed, row, weights } of fx.draws) {
      const w = new Uint8Array(weights.length);
      poissonWeights(rowKey(seed, row), w);
      expect(Array.from(w), `seed ${seed} row ${row}`).toEqual(weights);
    }
    expect(mix32(0)).toBe(0);
  });

  it("McNemar's exact p-value is SciPy's binomtest", () => {
    for (const [b, c, p] of fx.mcnemar) expectClose(mcnemarExact(b, c), p, 1e-9, 0, `b ${b} c ${c}`);
  });

  it('bad input: XentError naming the argument; nothing added', () => {
    const cmp = new Comparison({ classes: 3 });
    const a = [[1, 2, 3], [0, 0, 0]];
    expectXent(() => cmp.update(a, [[1, 2, 3]], [0, 1]), 'SHAPE_MISMATCH', 'candidate has 1 rows');
    expectXent(() => cmp.update(a, [[1, 2], [3, 4]], [0, 1]), 'SHAPE_MISMATCH');
    expectXent(() => cmp.update(a, [[1, 2, 3], [0, NaN, 0]], [0, 1]), 'NON_FINITE', 'candidate[1][1] is NaN');
    expectXent(() => cmp.update([[1, Infinity, 3], [0, 0, 0]], a, [0, 1]), 'NON_FINITE', 'base[0][1] is Infinity');
    expectXent(() => cmp.update(a, a, [0, 3]), 'LABEL_OUT_OF_RANGE', 'targets[1]');
    expectXent(() => cmp.update(a, a, [0, 1], { offset: -1 }), 'INVALID_OPTION', 'offset');
    expectXent(() => new Comparison({ classes: 3, bootstrap: { resamples: 0 } }), 'INVALID_OPTION', 'resamples');
    expectXent(() => new Comparison({ classes: 3, bootstrap: { seed: 2 ** 32 } }), 'INVALID_OPTION', 'seed');
    expectXent(() => new Comparison({ classes: 0 }), 'INVALID_OPTION', 'classes');
    expect(cmp.result().rows).toBe(0);
    const other = new Comparison({ classes: 3, topK: 2 });
    expectXent(() => cmp.merge(other), 'INVALID_OPTION', 'topK');
  });

  it('fromJSON checks the format and what the numbers mean', () => {
    const c = fx.cases[0];
    const j = JSON.parse(JSON.stringify(feed(new Comparison(settingsOf(c)), c, 'Float64Array')));
    expectXent(() => Comparison.fromJSON({ ...j, format: 'xent-lm-state' }), 'INVALID_TYPE', 'xent-comparison-state');
    expectXent(() => Comparison.fromJSON({ ...j, correctA: j.rows + 1 }), 'INVALID_STATE');
    expectXent(() => Comparison.fromJSON({ ...j, klAB: -1 }), 'INVALID_STATE', 'klAB');
    expectXent(() => Comparison.fromJSON({ ...j, onlyA: j.onlyA + 1 }), 'INVALID_STATE', 'discordant');
    const sk = { ...j.klBaseToCandidate, min: -1e-9 };
    expectXent(() => Comparison.fromJSON({ ...j, klBaseToCandidate: sk }), 'INVALID_STATE', 'negative KL');
    const boot = { ...j.bootstrap, w: j.bootstrap.w.slice(1) };
    expectXent(() => Comparison.fromJSON({ ...j, bootstrap: boot }), 'SHAPE_MISMATCH', 'bootstrap.w');
    expectXent(() => Comparison.fromJSON('{"format"'), 'INVALID_TYPE', 'not valid JSON');
  });

  it('inputs are not mutated; an empty update changes nothing', () => {
    const a = new Float32Array([1, 2, 3, 4, 5, 6]);
    const b = new Float64Array([1, 2, 3.5, 4, 5, 6]);
    const cmp = new Comparison({ classes: 3 }).update(a, b, [2, 0]);
    expect(Array.from(a)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(b)).toEqual([1, 2, 3.5, 4, 5, 6]);
    const before = JSON.stringify(cmp);
    cmp.update(new Float32Array(0), new Float32Array(0), []);
    expect(JSON.stringify(cmp)).toBe(before);
  });
});
