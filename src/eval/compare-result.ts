/** The figures of a Comparison, from its state (src/eval/compare-state.ts). */
import { unitName } from '../core/options.js';
import { type BootstrapInterval, summarize } from './bootstrap.js';
import { mcnemarExact } from './binomial.js';
import type { ComparisonState, Disagreement } from './compare-state.js';
import { type Estimate, Z95, estimate, proportion } from './estimate.js';
import type { Perplexity } from './likelihood.js';
import { scaled } from './likelihood.js';
import { type Percentiles, percentiles } from './sketch.js';

/** One model's figures over the scored rows. */
export interface ModelFigures {
  /** Mean loss (negative log-likelihood of the target) in the unit, and in nats. */
  loss: Estimate;
  nats: Estimate;
  /** Top-1 accuracy (a tie with the target counts as right). */
  accuracy: Estimate;
  /** exp(mean loss in nats): token-weighted perplexity (delta-method error, interval from the mean's). */
  perplexity: Perplexity;
}

/** A paired difference (candidate minus base) with its standard error and 95% normal interval. */
export interface Difference extends Estimate {
  interval95: [number, number];
  /** The paired Poisson bootstrap of the same difference (null without `bootstrap`). */
  bootstrap: BootstrapInterval | null;
}

export interface ComparisonResult {
  /** 'nats', 'bits', 'bans' or 'log base b': the unit of losses, KL and JS. */
  unit: string;
  /** Rows seen (ignored ones included), and rows scored. */
  positions: number;
  rows: number;
  base: ModelFigures;
  candidate: ModelFigures;
  /** Mean of loss(candidate) - loss(base) per row: its standard error is the paired one (the covariance used). */
  lossDifference: Difference;
  /** Pearson correlation of the two models' per-row losses (llama.cpp's Cor(ln PPL(Q), ln PPL(base))). */
  lossCorrelation: number;
  /** PPL(candidate) / PPL(base) = exp(mean difference), its delta-method error and interval from the paired one. */
  perplexityRatio: Estimate & { interval95: [number, number] };
  /** accuracy(candidate) - accuracy(base), paired; McNemar's exact test on the discordant rows. */
  accuracyDifference: Difference & { mcnemar: { baseOnly: number; candidateOnly: number; pValue: number } };
  /** Mean KL divergence per row, each way, in the unit, with percentiles (max and min exact; sketch.ts). */
  klDivergence: {
    baseToCandidate: Estimate & { percentiles: Percentiles };
    candidateToBase: Estimate & { percentiles: Percentiles };
  };
  /** Mean Jensen–Shannon divergence per row, in the unit. */
  jensenShannon: Estimate;
  /** Δp = p_candidate(target) - p_base(target): mean, root mean square, percentiles. */
  deltaP: Estimate & { rms: number; percentiles: Percentiles };
  /** Rows whose top-1 predictions agree (first index of the max). */
  top1Agreement: Estimate;
  /** Mean |top-k(base) ∩ top-k(candidate)| / k. */
  topKOverlap: Estimate & { k: number };
  /** The rows of largest KL(base ‖ candidate) (losses and KL in the unit), largest first. */
  disagreements: Disagreement[];
}

const interval = (e: Estimate): [number, number] => [e.value - Z95 * e.standardError, e.value + Z95 * e.standardError];

function modelFigures(sum: number, sum2: number, correct: number, n: number, u: number): ModelFigures {
  const nats = estimate(sum, sum2, n);
  const ppl = Math.exp(nats.value);
  const [lo, hi] = interval(nats);
  return {
    loss: scaled(nats, u),
    nats,
    accuracy: proportion(correct, n),
    perplexity: { value: ppl, standardError: ppl * nats.standardError, interval95: [Math.exp(lo), Math.exp(hi)] },
  };
}

/** Variance (n - 1 denominator) from Σx, Σx² and n. */
const variance = (s: number, s2: number, n: number) => Math.max(0, (s2 - (s * s) / n) / (n - 1));

export function comparisonResult(st: ComparisonState): ComparisonResult {
  const s = st.settings;
  const u = Math.log(s.base);
  const n = st.rows;
  const d = estimate(st.d, st.d2, n);
  const accD = estimate(st.correctB - st.correctA, st.onlyA + st.onlyB, n);
  let lossBoot: BootstrapInterval | null = null;
  let accBoot: BootstrapInterval | null = null;
  if (st.boot) {
    const { w, lossA, lossB, correctA, correctB } = st.boot;
    const B = w.length;
    const dl = new Float64Array(B);
    const da = new Float64Array(B);
    for (let b = 0; b < B; b++) {
      dl[b] = w[b] > 0 ? (lossB[b] - lossA[b]) / w[b] / u : NaN;
      da[b] = w[b] > 0 ? (correctB[b] - correctA[b]) / w[b] : NaN;
    }
    lossBoot = summarize(dl);
    accBoot = summarize(da);
  }
  const va = variance(st.lossA, st.lossA2, n);
  const vb = variance(st.lossB, st.lossB2, n);
  const vd = variance(st.d, st.d2, n);
  const ratio = Math.exp(d.value);
  const [dlo, dhi] = interval(d);
  const dScaled = scaled(d, u);
  const kl = (sum: number, sum2: number, sk: ComparisonState['skAB']) => {
    const p = percentiles(sk);
    for (const key of Object.keys(p) as (keyof Percentiles)[]) p[key] /= u;
    return { ...scaled(estimate(sum, sum2, n), u), percentiles: p };
  };
  return {
    unit: unitName(s.base),
    positions: st.positions,
    rows: n,
    base: modelFigures(st.lossA, st.lossA2, st.correctA, n, u),
    candidate: modelFigures(st.lossB, st.lossB2, st.correctB, n, u),
    lossDifference: { ...dScaled, interval95: interval(dScaled), bootstrap: lossBoot },
    lossCorrelation: n >= 2 && va > 0 && vb > 0 ? (va + vb - vd) / (2 * Math.sqrt(va * vb)) : NaN,
    perplexityRatio: { value: ratio, standardError: ratio * d.standardError, interval95: [Math.exp(dlo), Math.exp(dhi)] },
    accuracyDifference: {
      ...accD,
      interval95: interval(accD),
      bootstrap: accBoot,
      mcnemar: { baseOnly: st.onlyA, candidateOnly: st.onlyB, pValue: mcnemarExact(st.onlyA, st.onlyB) },
    },
    klDivergence: {
      baseToCandidate: kl(st.klAB, st.klAB2, st.skAB),
      candidateToBase: kl(st.klBA, st.klBA2, st.skBA),
    },
    jensenShannon: scaled(estimate(st.js, st.js2, n), u),
    deltaP: { ...estimate(st.dp, st.dp2, n), rms: Math.sqrt(st.dp2 / n), percentiles: percentiles(st.skDp) },
    top1Agreement: proportion(st.agree, n),
    topKOverlap: { k: s.topK, ...estimate(st.overlap, st.overlap2, n) },
    disagreements: st.worst.map((w) => ({
      ...w, kl: w.kl / u, baseLoss: w.baseLoss / u, candidateLoss: w.candidateLoss / u,
    })),
  };
}
