import { kernels } from '../backend/select.js';
import type { Kernels } from '../backend/kernels.js';
import { XentError, show } from '../core/errors.js';
import {
  type BatchOptions, type HalfOptions, type Result, type UnitOptions, booleanOption, checkKeys, dtypeOf, reductionOf,
  unitOf,
} from '../core/options.js';
import { floatsOf } from '../core/dtype.js';
import { reduce } from '../core/reduce.js';
import { type CompatOptions, type Preset, clipBounds, epsOption, presetOf } from '../core/compat.js';
import {
  type Batch, type HalfVector, type Matrix, type Vector, asMatrix, asMatrixLike, asVectorOption, isFloat32,
  isFloatArray, isHalf, lengthOf,
} from '../core/shape.js';
import { type Named, asFloat64, checkDistribution, checkUnitInterval, explainNaN, toleranceOf } from '../core/validate.js';
import { divergence } from './kl.js';

export { klDivergence, relEntr, type KlDivergenceOptions, type KlReduction, type KlResult } from './kl.js';

/** Options of the functions whose inputs are probability distributions. */
export interface DistributionOptions extends BatchOptions, UnitOptions, CompatOptions, HalfOptions {
  /** Rescale each row to sum to 1 instead of rejecting rows that do not (default false; compat 'scipy': true). */
  normalize?: boolean;
  /** How far a row sum may be from 1 (default 1e-6 for float64 input, 1e-4 float32, 1e-3 float16, 1e-2 bfloat16). */
  tolerance?: number;
}

export interface CrossEntropyOptions extends DistributionOptions {
  /**
   * Clip q to [eps, 1 - eps] before the logarithm (default 0: exact, q = 0 under p > 0 gives Infinity; compat
   * 'keras' and 'tfjs' 1e-7 after renormalising q, 'sklearn' the dtype's machine epsilon).
   */
  eps?: number;
}

const DIST_KEYS = ['classes', 'reduction', 'base', 'normalize', 'tolerance', 'compat', 'dtype'] as const;

function probability(p: unknown, name: string): number {
  if (typeof p !== 'number') throw new XentError('INVALID_TYPE', `${name} must be a number, got ${show(p)}`);
  if (Number.isNaN(p)) throw new XentError('NON_FINITE', `${name} is NaN`);
  if (!(p >= 0 && p <= 1)) throw new XentError('INVALID_PROBABILITY', `${name} is ${show(p)}; probabilities must be in [0, 1]`);
  return p;
}

/**
 * Self-information (surprisal) -log p of an outcome of probability p: a number for a number, a Float64Array of
 * the elementwise values for a vector. information(0.5, { base: 2 }) is 1 bit; information(0) is Infinity.
 */
export function information(p: number, options?: UnitOptions): number;
export function information(p: Vector | HalfVector, options?: UnitOptions & HalfOptions): Float64Array;
export function information(p: number | Vector | HalfVector, options?: UnitOptions & HalfOptions): number | Float64Array {
  const o = checkKeys(options, ['base', 'dtype'], 'information');
  const unit = unitOf(o.base);
  if (typeof p === 'number') return -Math.log(probability(p, 'p')) / unit;
  let v: ArrayLike<unknown>;
  if (isHalf(p)) v = floatsOf(kernels(), asMatrix(p, 'p', undefined, true, dtypeOf(o.dtype)).data, true);
  else if (!Array.isArray(p) && !isFloatArray(p)) {
    throw new XentError('INVALID_TYPE', `p must be a number or a vector, got ${show(p)}`);
  } else {
    // read through the shared resolver: element types, holes, detached views and unreadable arrays are its errors
    v = asVectorOption(p, 'p', lengthOf(p) ?? 0, false);
  }
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = -Math.log(probability(v[i], `p[${i}]`)) / unit;
  return out;
}

/**
 * Entropy of a Bernoulli(p) variable, -(p log p + (1 - p) log(1 - p)): a number for a number, a Float64Array of
 * the elementwise values for a vector. binaryEntropy(0.5, { base: 2 }) is 1 bit.
 */
export function binaryEntropy(p: number, options?: UnitOptions): number;
export function binaryEntropy(p: Vector | HalfVector, options?: UnitOptions & HalfOptions): Float64Array;
export function binaryEntropy(p: number | Vector | HalfVector, options?: UnitOptions & HalfOptions): number | Float64Array {
  const o = checkKeys(options, ['base', 'dtype'], 'binaryEntropy');
  const unit = unitOf(o.base);
  const scalar = typeof p === 'number';
  if (scalar) probability(p, 'p');
  const f32 = isFloat32(p);
  const m = asMatrix(scalar ? [p] : p, 'p', undefined, f32, dtypeOf(o.dtype));
  const k = kernels();
  checkUnitInterval(k, { name: 'p', m: { ...m, batch: false } });
  const out = new Float64Array(m.cols);
  k.binaryEntropy(m.data, m.cols, out);
  if (unit !== 1) for (let i = 0; i < out.length; i++) out[i] /= unit;
  return scalar ? out[0] : out;
}

/** What a distribution function does under a preset (beyond its options): crossEntropy's q. */
interface DistributionRules {
  /** Renormalise q (the prediction) by default, as Keras' categorical_crossentropy does. */
  normalizeQ?: (p: Preset) => boolean;
  /** Clip q to [lo, hi] by default (crossEntropy's eps). */
  clip?: boolean;
}

/** The `q` of a one-distribution call (entropy): a value no caller can pass, unlike null. */
const NO_Q = Symbol('no q');

/** Shared path of the distribution functions: shapes, validation, one kernel call per batch, reduction. */
function distributions(
  fn: string,
  p: unknown,
  q: unknown,
  options: object | undefined,
  keys: readonly string[],
  kernel: (k: Kernels, P: Matrix, Q: Matrix | null, out: Float64Array, lo: number, hi: number) => void,
  rules: DistributionRules = {},
): number | Float64Array {
  const o = checkKeys(options, keys, fn);
  const preset = presetOf(o.compat);
  const reduction = reductionOf(o.reduction);
  const unit = unitOf(o.base);
  const scipy = preset.compat === 'scipy';
  const normalizeP = o.normalize === undefined ? scipy : booleanOption(o.normalize, 'normalize');
  const normalizeQ = o.normalize === undefined ? scipy || (rules.normalizeQ?.(preset) ?? false) : normalizeP;
  // SciPy computes in float64 whatever the input (pdist converts float32 to double).
  const f32 = !scipy && isFloat32(p) && (q === NO_Q || isFloat32(q));
  const eps = epsOption(o.eps);
  const [lo, hi] = rules.clip || eps !== undefined ? clipBounds(preset, eps, f32) : [0, 1];
  const tolerance = toleranceOf(o.tolerance);
  const dtype = dtypeOf(o.dtype);
  const k = kernels();
  const Pm = asMatrix(p, 'p', o.classes, f32, dtype);
  if (Pm.cols === 0) throw new XentError('EMPTY_INPUT', 'p has no entries: a distribution needs at least one class');
  const out = new Float64Array(Pm.rows);
  let P = checkDistribution(k, { name: 'p', m: Pm }, tolerance, normalizeP, f32);
  let Q = q === NO_Q ? null
    : checkDistribution(k, { name: 'q', m: asMatrixLike(q, 'q', Pm, 'p', f32, dtype) }, tolerance, normalizeQ, f32);
  // Normalized rows are float64: such a call runs the float64 kernels, on both inputs.
  if (f32 && (normalizeP || normalizeQ)) {
    P = asFloat64(k, P);
    Q = Q && asFloat64(k, Q);
  }
  kernel(k, P, Q, out, lo, hi);
  const inputs: Named[] = [{ name: 'p', m: P }];
  if (Q) inputs.push({ name: 'q', m: Q });
  return reduce(
    { values: out, rows: P.rows, k: 1, mult: null, denominator: P.rows },
    reduction,
    unit,
    P.batch,
    (i) => explainNaN(i, inputs),
  );
}

const isBatchLike = (x: unknown): boolean => Array.isArray(x) || isFloatArray(x) || isHalf(x);

/**
 * Shannon entropy H(p) = -Σ p log p of each row (0 log 0 = 0). With a second distribution q, as
 * scipy.stats.entropy(pk, qk): the relative entropy KL(p ‖ q) (see klDivergence; compat 'scipy' renormalises).
 */
export function entropy<X extends Batch, O extends DistributionOptions = {}>(p: X, options?: O): Result<X, O>;
export function entropy<X extends Batch, O extends DistributionOptions = {}>(p: X, q: Batch, options?: O): Result<X, O>;
export function entropy(p: Batch, q?: Batch | DistributionOptions, options?: DistributionOptions): number | Float64Array {
  if (isBatchLike(q)) return divergence('entropy', p, q, options);
  if (options !== undefined) {
    throw new XentError('INVALID_TYPE', `q must be number[] | Float32Array | Float64Array or an array of rows, got ${show(q)}`);
  }
  return distributions('entropy', p, NO_Q, q, DIST_KEYS, (k, P, _Q, out) => k.entropy(P.data, P.rows, P.cols, out));
}

/**
 * Cross-entropy H(p, q) = -Σ p log q of each row pair. Exact by default: 0 log 0 = 0, and p > 0 where q = 0
 * gives Infinity. `eps` clips q to [eps, 1 - eps] first.
 */
export function crossEntropy<X extends Batch, O extends CrossEntropyOptions = {}>(
  p: X, q: Batch, options?: O,
): Result<X, O> {
  return distributions('crossEntropy', p, q, options, [...DIST_KEYS, 'eps'], (k, P, Q, out, lo, hi) =>
    k.crossEntropy(P.data, Q!.data, P.rows, P.cols, lo, hi, null, out),
  { normalizeQ: (pr) => pr.normalizeQOnly, clip: true }) as Result<X, O>;
}

/**
 * Jensen–Shannon divergence ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q) / 2, of each row pair: symmetric, finite,
 * at most ln 2 nats (1 bit). This is the divergence, not SciPy's jensenshannon distance (its square root).
 */
export function jsDivergence<X extends Batch, O extends DistributionOptions = {}>(
  p: X, q: Batch, options?: O,
): Result<X, O> {
  return distributions('jsDivergence', p, q, options, DIST_KEYS, (k, P, Q, out) => {
    k.jsDivergence(P.data, Q!.data, P.rows, P.cols, out);
    // The divergence is >= 0; where p ≈ q its terms cancel to first order and the wasm kernel's rounding (within
    // the bound, relative to the terms' magnitudes) can fall below 0 (-1e-16 for near-identical rows): that is 0.
    for (let r = 0; r < out.length; r++) if (out[r] < 0) out[r] = 0;
  }) as Result<X, O>;
}

/**
 * Jensen–Shannon distance: the square root of jsDivergence of each row pair (in the unit of `base`), as
 * scipy.spatial.distance.jensenshannon. A metric, at most 1 with base 2. The reduction applies to the distances.
 */
export function jsDistance<X extends Batch, O extends DistributionOptions = {}>(
  p: X, q: Batch, options?: O,
): Result<X, O> {
  const o = checkKeys(options, DIST_KEYS, 'jsDistance');
  const reduction = reductionOf(o.reduction);
  const rows = jsDivergence(p, q, { ...o, reduction: 'none' } as DistributionOptions) as number | Float64Array;
  // jsDivergence's rows are >= 0 (its rounding is clamped there)
  if (typeof rows === 'number') return Math.sqrt(rows) as Result<X, O>;
  let s = 0;
  for (let i = 0; i < rows.length; i++) {
    rows[i] = Math.sqrt(rows[i]);
    s += rows[i];
  }
  if (reduction === 'none') return rows as Result<X, O>;
  return (reduction === 'sum' ? s : s / rows.length) as Result<X, O>;
}
