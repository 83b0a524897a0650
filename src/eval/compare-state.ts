/**
 * What a Comparison keeps, as sums and counts (never means): the state behind src/eval/compare.ts, with its merge
 * and its JSON. Everything is per scored row (a position whose target is not ignored); `positions` counts all rows.
 */
import { XentError } from '../core/errors.js';
import type { BootstrapSettings } from './bootstrap.js';
import { dec, decCount, decSum, enc, expectState } from './json.js';
import { SLOTS as LOSS_SLOTS } from './quantiles.js';
import { Sketch } from './sketch.js';

/** The settings that shape a comparison; two states merge only when they agree. */
export interface ComparisonSettings {
  classes: number;
  ignoreIndex: number;
  topK: number;
  base: number;
  /** null: no bootstrap. */
  bootstrap: BootstrapSettings | null;
}

/** A row where the two models disagree most (largest KL(base ‖ candidate)). */
export interface Disagreement {
  /** Global position of the target (the update's `offset` plus its position in the update). */
  row: number;
  target: number;
  /** KL(base ‖ candidate) of the row, in nats. */
  kl: number;
  baseTop: number;
  candidateTop: number;
  /** Each model's loss on the row, in nats. */
  baseLoss: number;
  candidateLoss: number;
}

/** Rows kept in `worst`. */
export const WORST = 20;

/** Sums over scored rows (nats): Σx and Σx² of every per-row figure, with d = loss(candidate) - loss(base). */
const SUMS = [
  'lossA', 'lossA2', 'lossB', 'lossB2', 'klAB', 'klAB2', 'klBA', 'klBA2', 'js', 'js2', 'overlap', 'overlap2',
  'd2', 'dp2',
] as const;
/** Signed sums: the loss difference and Δp. */
const SIGNED = ['d', 'dp'] as const;
const COUNTS = ['positions', 'rows', 'correctA', 'correctB', 'onlyA', 'onlyB', 'agree'] as const;
/** Bootstrap sums per resample: Σw, Σw·loss of each model, Σw·[right] of each. */
export const BOOT = ['w', 'lossA', 'lossB', 'correctA', 'correctB'] as const;

/** The bootstrap's sums: B of each. */
export type BootSums = Record<(typeof BOOT)[number], Float64Array>;

/** Zeroed bootstrap sums for B resamples. */
export function bootSums(B: number): BootSums {
  return Object.fromEntries(BOOT.map((k) => [k, new Float64Array(B)])) as BootSums;
}

/** The counts and sums a state adds when it merges (the fields named in COUNTS, SUMS and SIGNED). */
export type Sums = Record<(typeof COUNTS)[number] | (typeof SUMS)[number] | (typeof SIGNED)[number], number>;

/** The WORST rows of largest KL among a and b (ties: the lower row index first), whatever the order of arrival. */
export function worstOf(a: Disagreement[], b: Disagreement[]): Disagreement[] {
  return a.concat(b).sort((x, y) => y.kl - x.kl || x.row - y.row).slice(0, WORST);
}

export class ComparisonState {
  positions = 0;
  rows = 0;
  correctA = 0;
  correctB = 0;
  /** Rows where only the base (only the candidate) is right: McNemar's discordant pairs. */
  onlyA = 0;
  onlyB = 0;
  /** Rows where both top-1 predictions agree. */
  agree = 0;
  lossA = 0;
  lossA2 = 0;
  lossB = 0;
  lossB2 = 0;
  d = 0;
  d2 = 0;
  klAB = 0;
  klAB2 = 0;
  klBA = 0;
  klBA2 = 0;
  js = 0;
  js2 = 0;
  dp = 0;
  dp2 = 0;
  overlap = 0;
  overlap2 = 0;
  skAB = new Sketch();
  skBA = new Sketch();
  skDp = new Sketch();
  /** Histograms of each model's per-row loss on the Evaluator's grid (quantiles.ts), for the report. */
  histA = new Float64Array(LOSS_SLOTS);
  histB = new Float64Array(LOSS_SLOTS);
  worst: Disagreement[] = [];
  boot: BootSums | null;

  constructor(readonly settings: ComparisonSettings) {
    this.boot = settings.bootstrap === null ? null : bootSums(settings.bootstrap.resamples);
  }

  /** Keeps the WORST rows of largest KL (ties: the lower row index first), whatever the order of arrival. */
  keepWorst(rows: Disagreement[]): void {
    this.worst = worstOf(this.worst, rows);
  }

  /** Adds the counts and sums of `o` (and its bootstrap sums, when both have them). */
  addSums(o: Sums, boot: BootSums | null): void {
    for (const k of COUNTS) this[k] += o[k];
    for (const k of SUMS) this[k] += o[k];
    for (const k of SIGNED) this[k] += o[k];
    if (this.boot && boot) {
      for (const k of BOOT) {
        const a = this.boot[k];
        const b = boot[k];
        for (let i = 0; i < a.length; i++) a[i] += b[i];
      }
    }
  }

  add(o: ComparisonState): void {
    this.addSums(o, o.boot);
    this.skAB.merge(o.skAB);
    this.skBA.merge(o.skBA);
    this.skDp.merge(o.skDp);
    for (let i = 0; i < LOSS_SLOTS; i++) {
      this.histA[i] += o.histA[i];
      this.histB[i] += o.histB[i];
    }
    this.keepWorst(o.worst);
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of COUNTS) out[k] = this[k];
    for (const k of [...SUMS, ...SIGNED]) out[k] = enc(this[k]);
    out.klBaseToCandidate = this.skAB.toJSON();
    out.klCandidateToBase = this.skBA.toJSON();
    out.deltaP = this.skDp.toJSON();
    const sparse = (a: Float64Array) => {
      const r: number[][] = [];
      for (let i = 0; i < a.length; i++) if (a[i] > 0) r.push([i, a[i]]);
      return r;
    };
    out.lossHistogram = { base: sparse(this.histA), candidate: sparse(this.histB) };
    out.worst = this.worst.map((w) => ({ ...w, kl: enc(w.kl), baseLoss: enc(w.baseLoss), candidateLoss: enc(w.candidateLoss) }));
    if (this.boot) out.bootstrap = Object.fromEntries(BOOT.map((k) => [k, Array.from(this.boot![k], enc)]));
    return out;
  }

  /** Reads the sums back from `j` (a state object) into a state of `settings`, checking what they mean. */
  static fromJSON(j: Record<string, unknown>, settings: ComparisonSettings): ComparisonState {
    const st = new ComparisonState(settings);
    for (const k of COUNTS) st[k] = decCount(j[k], k);
    for (const k of SUMS) st[k] = decSum(j[k], k);
    for (const k of SIGNED) st[k] = dec(j[k], k);
    const n = st.rows;
    expectState(n <= st.positions, 'more scored rows than positions');
    expectState(st.correctA <= n && st.correctB <= n && st.agree <= n, 'more correct or agreeing rows than rows');
    expectState(st.onlyA <= st.correctA && st.onlyB <= st.correctB && st.correctA - st.onlyA === st.correctB - st.onlyB,
      'the discordant rows do not match the correct ones');
    expectState(st.overlap <= n, 'a top-k overlap above 1');
    st.skAB = Sketch.fromJSON(j.klBaseToCandidate, 'klBaseToCandidate', n);
    st.skBA = Sketch.fromJSON(j.klCandidateToBase, 'klCandidateToBase', n);
    st.skDp = Sketch.fromJSON(j.deltaP, 'deltaP', n);
    expectState(st.skAB.min >= 0 || n === 0, 'a negative KL divergence');
    const h = j.lossHistogram as Record<string, unknown> | null;
    if (h === null || typeof h !== 'object') throw new XentError('INVALID_TYPE', 'state.lossHistogram must be an object');
    for (const [side, into] of [['base', st.histA], ['candidate', st.histB]] as const) {
      const a = h[side];
      if (!Array.isArray(a)) throw new XentError('INVALID_TYPE', `state.lossHistogram.${side} must be an array`);
      let total = 0;
      for (const e of a as unknown[]) {
        const [i, c] = Array.isArray(e) ? e : [];
        if (!Number.isInteger(i) || i < 0 || i >= LOSS_SLOTS || into[i] > 0) {
          throw new XentError('INVALID_TYPE', `state.lossHistogram.${side} has a bad or repeated slot ${JSON.stringify(i)}`);
        }
        into[i] = decCount(c, `lossHistogram.${side}[${i}]`);
        total += into[i];
      }
      expectState(total === n, `the ${side} loss histogram holds ${total} rows, not ${n}`);
    }
    if (!Array.isArray(j.worst) || j.worst.length > WORST) {
      throw new XentError('INVALID_TYPE', `state.worst must be an array of at most ${WORST} rows`);
    }
    st.worst = (j.worst as Record<string, unknown>[]).map((w, i) => {
      if (w === null || typeof w !== 'object') throw new XentError('INVALID_TYPE', `state.worst[${i}] must be an object`);
      return {
        row: decCount(w.row, `worst[${i}].row`),
        target: decCount(w.target, `worst[${i}].target`),
        kl: decSum(w.kl, `worst[${i}].kl`),
        baseTop: dec(w.baseTop, `worst[${i}].baseTop`),
        candidateTop: dec(w.candidateTop, `worst[${i}].candidateTop`),
        baseLoss: decSum(w.baseLoss, `worst[${i}].baseLoss`),
        candidateLoss: decSum(w.candidateLoss, `worst[${i}].candidateLoss`),
      };
    });
    if (st.boot) {
      const b = j.bootstrap as Record<string, unknown> | null;
      if (b === null || typeof b !== 'object') throw new XentError('INVALID_TYPE', 'state.bootstrap must be an object');
      for (const k of BOOT) {
        const a = b[k];
        const into = st.boot[k];
        if (!Array.isArray(a) || a.length !== into.length) {
          throw new XentError('SHAPE_MISMATCH', `state.bootstrap.${k} must be an array of ${into.length} numbers`);
        }
        for (let i = 0; i < a.length; i++) into[i] = decSum(a[i], `bootstrap.${k}[${i}]`);
      }
      for (let i = 0; i < st.boot.w.length; i++) {
        const w = st.boot.w[i];
        expectState(Number.isInteger(w) && st.boot.correctA[i] <= w && st.boot.correctB[i] <= w,
          `bootstrap resample ${i} has more correct rows than rows`);
      }
    }
    return st;
  }
}
