/**
 * Kullback–Leibler divergence as the frameworks offer it: `klDivergence` per row (per element under compat
 * 'torch', as PyTorch's kl_div), with sample weights, log-space inputs and each preset's domain; `relEntr`, SciPy's
 * elementwise rel_entr; and `entropy(p, q)`, scipy.stats.entropy's relative entropy (see information.ts).
 */
import { kernels } from '../backend/select.js';
import type { Kernels } from '../backend/kernels.js';
import { XentError, at, show } from '../core/errors.js';
import { elem, floatsOf } from '../core/dtype.js';
import {
  type LossReduction, type Preset, countNonzero, divisorOf, explainWeighted, inPreset, lossReduction, notOpposed, presetOf,
  weightOption,
} from '../core/compat.js';
import {
  type HalfOptions, type IfNone, type IfOption, type Result, type UnitOptions, booleanOption, checkKeys, dtypeOf,
  reductionOf, unitOf,
} from '../core/options.js';
import { ldexpResult, reduce, total, unscaled } from '../core/reduce.js';
import { type Batch, type Matrix, type Vector, asMatrix, asMatrixLike, isFloat32 } from '../core/shape.js';
import { type Named, asFloat64, checkDistribution, checkUnitInterval, defaultTolerance, toleranceOf } from '../core/validate.js';
import { clipped, klLogLoop } from './compat.js';
import type { DistributionOptions } from './information.js';

/** KL reductions: those of the weighted losses, and 'batchmean' (the sum over rows / N in every mode). */
export type KlReduction = LossReduction | 'batchmean';

export interface KlDivergenceOptions extends Omit<DistributionOptions, 'reduction'> {
  /**
   * 'mean' (default): Σ w·KL / Σ w over rows, or the preset's mean (compat 'torch': over elements, PyTorch kl_div's
   * 'mean'); 'batchmean': sum / N rows in every mode; 'sum'; 'none' (per row, per element under compat 'torch');
   * or a named mean ('weighted_mean', 'sum_over_batch_size', 'sum_by_nonzero_weights').
   */
  reduction?: KlReduction;
  /** Per-row weights (length N, or one number for every row). */
  sampleWeight?: number | Vector;
  /** p is given as log p (PyTorch's kl_div `log_target`). */
  logP?: boolean;
  /** q is given as log q (PyTorch's kl_div `input`). */
  logQ?: boolean;
}

/** klDivergence's result: as the other batch functions', and per element for 'none' under compat 'torch'. */
export type KlResult<X, O> = IfNone<O, IfOption<O, 'compat', 'torch', Float64Array, Result<X, O>>, Result<X, O>>;

const DIST_KEYS = ['classes', 'reduction', 'base', 'normalize', 'tolerance', 'compat', 'dtype'];
const KL_KEYS = [...DIST_KEYS, 'sampleWeight', 'logP', 'logQ'];

/**
 * Kullback–Leibler divergence KL(p ‖ q) = Σ p log(p / q) of each row pair, with SciPy's rel_entr semantics:
 * 0 where p = 0, Infinity where p > 0 and q = 0. Arguments are in the order (p, q) under every preset (PyTorch's
 * kl_div takes (log q, p): pass `logQ`). Compat 'keras' and 'tfjs' clip both to [1e-7, 1] and take rows that do
 * not sum to 1; 'torch' takes any p, q >= 0 and is elementwise.
 */
export function klDivergence<X extends Batch, O extends KlDivergenceOptions = {}>(
  p: X, q: Batch, options?: O,
): KlResult<X, O> {
  return divergence('klDivergence', p, q, options) as KlResult<X, O>;
}

/**
 * KL of each row pair for klDivergence, and for entropy(p, q) (scipy.stats.entropy: exact rows, renormalised under
 * compat 'scipy'; the frameworks' KL rules and options are klDivergence's).
 */
export function divergence(fn: 'klDivergence' | 'entropy', p: unknown, q: unknown, options: object | undefined): number | Float64Array {
  const kl = fn === 'klDivergence';
  const o = checkKeys(options, kl ? KL_KEYS : DIST_KEYS, fn);
  const given = presetOf(o.compat);
  const preset = kl || given.compat === 'scipy' ? given : presetOf(undefined);
  // 'batchmean' divides by the rows whatever the preset's units: rule 'rows'
  const batchmean = kl && o.reduction === 'batchmean';
  const { reduction, rule } = batchmean ? { reduction: 'mean' as const, rule: 'rows' as const }
    : kl ? lossReduction(o.reduction, ['batchmean']) : { reduction: reductionOf(o.reduction), rule: null };
  const unit = unitOf(o.base);
  const logP = booleanOption(o.logP, 'logP');
  const logQ = booleanOption(o.logQ, 'logQ');
  const scipy = preset.compat === 'scipy';
  const normalize = o.normalize === undefined ? scipy : booleanOption(o.normalize, 'normalize');
  // SciPy computes in float64 whatever the input (pdist converts float32 to double).
  const f32 = !scipy && isFloat32(p) && isFloat32(q);
  const tolerance = toleranceOf(o.tolerance);
  const dtype = dtypeOf(o.dtype);
  const k = kernels();
  const Pm = asMatrix(p, 'p', o.classes, f32, dtype);
  if (Pm.cols === 0) throw new XentError('EMPTY_INPUT', 'p has no entries: a distribution needs at least one class');
  // the sample weights' scale taken out (core/reduce unscaled): 2^se·sw'
  const { w: sw, e: se } = unscaled(o.sampleWeight === undefined ? null
    : weightOption(o.sampleWeight, 'sampleWeight', Pm.rows, false, preset) as Float64Array);
  const units = preset.klElementwise ? Pm.cols : 1; // values per row
  const out = new Float64Array(Pm.rows * units);
  const dom: Domain = { k, preset, normalize, tolerance, f32 };
  let P = Pm;
  let Q: Matrix | null = null;
  let done = false;
  // Rows of probabilities in the exact domain: where the backend validates within the kernel's pass, one pass; a
  // failure there is named by the separate checks below. p's values are still reported before q's shape.
  if (units === 1 && !logP && !logQ && !normalize && preset.klDomain === 'distribution' && k.klDivergenceChecked) {
    try {
      Q = asMatrixLike(q, 'q', Pm, 'p', f32, dtype);
    } catch (e) {
      inDomain(dom, { name: 'p', m: Pm }, logP);
      throw e;
    }
    // One bound for both: the stricter default, so that a row this test passes passes the separate checks too.
    const tol = tolerance ?? Math.min(defaultTolerance(Pm.data), defaultTolerance(Q.data));
    done = k.klDivergenceChecked(Pm.data, Q.data, Pm.rows, Pm.cols, tol, out);
  }
  if (!done) {
    P = inDomain(dom, { name: 'p', m: Pm }, logP);
    Q = inDomain(dom, { name: 'q', m: Q ?? asMatrixLike(q, 'q', Pm, 'p', f32, dtype) }, logQ);
    // Normalized rows are float64: such a call runs the float64 kernels, on both inputs.
    if (normalize && f32) {
      P = asFloat64(k, P);
      Q = asFloat64(k, Q);
    }
    if (logP || logQ) klLogLoop(floatsOf(k, P.data, f32), floatsOf(k, Q.data, f32), P.rows, P.cols, logP, logQ, out, units > 1);
    else if (units > 1) k.klDivergence(P.data, Q.data, P.rows * P.cols, 1, out); // one-element rows: rel_entr each
    else k.klDivergence(P.data, Q.data, P.rows, P.cols, out);
  }
  const inputs: Named[] = [{ name: 'p', m: P }, { name: 'q', m: Q! }];
  // The mean's units are rows (elements where KL is elementwise), each weighing its row's sample weight.
  const n = P.rows * units;
  const denominator = rule === 'rows' ? P.rows : divisorOf(rule ?? preset.klMean, units * (sw === null ? P.rows : total(sw)),
    n, () => units * (sw === null ? P.rows : countNonzero(sw)));
  const r = reduce({ values: out, rows: P.rows, k: units, mult: sw, denominator }, reduction, unit, P.batch || units > 1,
    (i) => explainWeighted(Math.floor(i / units), inputs, [sw]));
  // a mean by the weights divides their scale out; every other result carries it
  const back = reduction === 'mean' && rule !== 'rows' && (rule ?? preset.klMean) === 'weights' ? 0 : se;
  return reduction === 'mean' && denominator === 0 ? preset.emptyMean / unit : notOpposed(ldexpResult(r, back), false);
}

/** What decides a KL input's domain. */
interface Domain {
  k: Kernels;
  preset: Preset;
  normalize: boolean;
  /** undefined: each input's default (defaultTolerance). */
  tolerance: number | undefined;
  /** The call runs float32 (the type of rows it rewrites). */
  f32: boolean;
}

/**
 * Checks one KL input against the preset's domain and returns the rows to use: distributions (sum to 1 within
 * `tolerance`, or renormalised), any value clipped to [1e-7, 1] (Keras, TF.js), or any finite p >= 0 (PyTorch).
 * Log inputs (`log`) are checked as logs of the same: below Infinity (at most 0 for distributions), their rows'
 * log-sum-exp 0 within the tolerance, or subtracted from them with `normalize`; Keras' and TF.js' clip is
 * [log 1e-7, 0] there.
 */
function inDomain({ k, preset, normalize, tolerance, f32 }: Domain, named: Named, log: boolean): Matrix {
  const { m } = named;
  const domain = preset.klDomain;
  const clip = (M: Matrix, lo: number, hi: number): Matrix => ({ ...M, data: clipped(floatsOf(k, M.data, f32), lo, hi) });
  if (log) {
    const dist = domain === 'distribution';
    checkBelow(named, dist && !normalize ? 0 : Number.MAX_VALUE);
    const M = dist || normalize ? logRows(k, named, normalize, tolerance ?? defaultTolerance(m.data), f32) : m;
    return domain === 'clip' ? clip(M, Math.log(inPreset(preset, preset.klClip)), 0) : M;
  }
  if (domain === 'clip') {
    const M = normalize ? checkDistribution(k, named, tolerance, true, f32) : (checkBelow(named, Infinity), m);
    return clip(M, inPreset(preset, preset.klClip), 1);
  }
  if (domain === 'nonnegative' && !normalize) {
    checkUnitInterval(k, named, false);
    checkBelow(named, Number.MAX_VALUE); // and below Infinity: log q must be
    return m;
  }
  return checkDistribution(k, named, tolerance, normalize, f32);
}

/** Rows of log-probabilities: exp of each sums to 1 within `tolerance`, or (`normalize`) each less its log-sum-exp. */
function logRows(k: Kernels, { name, m }: Named, normalize: boolean, tolerance: number, f32: boolean): Matrix {
  const lse = new Float64Array(m.rows);
  k.logSumExp(m.data, m.rows, m.cols, 1, lse);
  for (let r = 0; r < m.rows; r++) {
    const where = m.batch ? `${name}[${r}]` : name;
    if (normalize && !(lse[r] > -Infinity)) {
      throw new XentError('INVALID_PROBABILITY', `${where} is -Infinity everywhere (a sum of 0) and cannot be normalized`);
    }
    if (!normalize && Math.abs(Math.expm1(lse[r])) > tolerance) {
      throw new XentError('INVALID_PROBABILITY', `exp(${where}) sums to ${Math.exp(lse[r])}, not 1 (tolerance ${tolerance}); `
        + 'pass normalize: true to rescale rows');
    }
  }
  if (!normalize) return m;
  const x = floatsOf(k, m.data, f32);
  const data = new Float64Array(x.length); // float64, as checkDistribution's normalized rows
  for (let r = 0, i = 0; r < m.rows; r++) for (let j = 0; j < m.cols; j++, i++) data[i] = x[i] - lse[r];
  return { ...m, data };
}

/**
 * NaN is NON_FINITE, a value above `bound` INVALID_PROBABILITY: logs of probabilities (0), logs of any p >= 0 (below
 * Infinity: MAX_VALUE), values Keras and TF.js clip (Infinity: any).
 */
function checkBelow({ name, m }: Named, bound: number): void {
  const x = floatsOf(kernels(), m.data, true);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v !== v) throw new XentError('NON_FINITE', `${at(name, i, m.cols, m.batch)} is NaN`);
    if (v > bound) {
      throw new XentError('INVALID_PROBABILITY',
        `${at(name, i, m.cols, m.batch)} is ${show(v)}; ${bound === 0 ? 'log-probabilities must be <= 0' : 'values must be below Infinity'}`);
    }
  }
}

/**
 * SciPy's special.rel_entr elementwise: p log(p / q) for p, q > 0 (accurate where p / q is near 1, and where it
 * overflows or underflows: log p - log q), 0 for p = 0 <= q, +Infinity otherwise (p > 0 = q, or a negative input,
 * as SciPy). Numbers give a number; vectors and batches (same shape) one flat Float64Array. NaN, and p = q =
 * Infinity (undefined), are NON_FINITE.
 */
export function relEntr(p: number, q: number, options?: UnitOptions): number;
export function relEntr(p: Batch, q: Batch, options?: UnitOptions & HalfOptions): Float64Array;
export function relEntr(p: number | Batch, q: number | Batch, options?: UnitOptions & HalfOptions): number | Float64Array {
  const o = checkKeys(options, ['base', 'dtype'], 'relEntr');
  const unit = unitOf(o.base);
  const dtype = dtypeOf(o.dtype);
  const scalar = typeof p === 'number';
  if (scalar !== (typeof q === 'number')) {
    throw new XentError('INVALID_TYPE', `p and q must both be numbers or both arrays, got ${show(p)} and ${show(q)}`);
  }
  const f32 = isFloat32(p) && isFloat32(q);
  const P = asMatrix(scalar ? [p] : p, 'p', undefined, f32, dtype);
  const Q = asMatrixLike(scalar ? [q] : q, 'q', P, 'p', f32, dtype);
  const n = P.rows * P.cols;
  const out = new Float64Array(n);
  kernels().klDivergence(P.data, Q.data, n, 1, out);
  for (let i = 0; i < n; i++) {
    if (out[i] !== out[i]) {
      for (const [name, m] of [['p', P], ['q', Q]] as const) {
        if (Number.isNaN(elem(m.data, i))) throw new XentError('NON_FINITE', `${at(name, i, m.cols, m.batch)} is NaN`);
      }
      throw new XentError('NON_FINITE', `${at('p', i, P.cols, P.batch)} and ${at('q', i, P.cols, P.batch)} are both `
        + 'Infinity: rel_entr is undefined there');
    }
    if (unit !== 1) out[i] /= unit;
  }
  return scalar ? out[0] : out;
}
