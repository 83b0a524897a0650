import { kernels } from '../backend/select.js';
import type { Kernels } from '../backend/kernels.js';
import { XentError, show } from '../core/errors.js';
import {
  type BatchOptions, type Result, type UnitOptions, booleanOption, checkKeys, numberIn, reductionOf, unitOf,
} from '../core/options.js';
import { reduce } from '../core/reduce.js';
import { type Batch, type Matrix, type Vector, asMatrix, asMatrixLike, isFloat32, isFloatArray } from '../core/shape.js';
import { type Named, checkDistribution, checkUnitInterval, defaultTolerance, explainNaN } from '../core/validate.js';

/** Options of the functions whose inputs are probability distributions. */
export interface DistributionOptions extends BatchOptions, UnitOptions {
  /** Rescale each row to sum to 1 instead of rejecting rows that do not (default false). */
  normalize?: boolean;
  /** How far a row sum may be from 1 (default 1e-6 for float64 input, 1e-4 for float32). */
  tolerance?: number;
}

export interface CrossEntropyOptions extends DistributionOptions {
  /** Clip q to [eps, 1 - eps] before the logarithm (default 0: exact, q = 0 under p > 0 gives Infinity). */
  eps?: number;
}

const DIST_KEYS = ['classes', 'reduction', 'base', 'normalize', 'tolerance'] as const;

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
export function information(p: Vector, options?: UnitOptions): Float64Array;
export function information(p: number | Vector, options?: UnitOptions): number | Float64Array {
  const unit = unitOf(checkKeys(options, ['base'], 'information').base);
  if (typeof p === 'number') return -Math.log(probability(p, 'p')) / unit;
  if (!Array.isArray(p) && !isFloatArray(p)) throw new XentError('INVALID_TYPE', `p must be a number or a vector, got ${show(p)}`);
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = -Math.log(probability(p[i], `p[${i}]`)) / unit;
  return out;
}

/**
 * Entropy of a Bernoulli(p) variable, -(p log p + (1 - p) log(1 - p)): a number for a number, a Float64Array of
 * the elementwise values for a vector. binaryEntropy(0.5, { base: 2 }) is 1 bit.
 */
export function binaryEntropy(p: number, options?: UnitOptions): number;
export function binaryEntropy(p: Vector, options?: UnitOptions): Float64Array;
export function binaryEntropy(p: number | Vector, options?: UnitOptions): number | Float64Array {
  const unit = unitOf(checkKeys(options, ['base'], 'binaryEntropy').base);
  const scalar = typeof p === 'number';
  if (scalar) probability(p, 'p');
  const f32 = isFloat32(p);
  const m = asMatrix(scalar ? [p] : p, 'p', undefined, f32);
  const k = kernels();
  checkUnitInterval(k, { name: 'p', m: { ...m, batch: false } });
  const out = new Float64Array(m.cols);
  k.binaryEntropy(m.data, m.cols, out);
  if (unit !== 1) for (let i = 0; i < out.length; i++) out[i] /= unit;
  return scalar ? out[0] : out;
}

/** Shared path of the distribution functions: shapes, validation, one kernel call per batch, reduction. */
function distributions(
  fn: string,
  p: unknown,
  q: unknown,
  options: DistributionOptions & { eps?: number } | undefined,
  keys: readonly string[],
  kernel: (k: Kernels, P: Matrix, Q: Matrix | null, out: Float64Array, eps: number) => void,
): number | Float64Array {
  const o = checkKeys(options, keys, fn);
  const reduction = reductionOf(o.reduction);
  const unit = unitOf(o.base);
  const normalize = booleanOption(o.normalize, 'normalize');
  const eps = numberIn(o.eps, 'eps', 0, 0.5, 0, true);
  const f32 = isFloat32(p) && (q === null || isFloat32(q));
  const tolerance = numberIn(o.tolerance, 'tolerance', 0, Infinity, defaultTolerance(f32));
  const k = kernels();
  const Pm = asMatrix(p, 'p', o.classes, f32);
  if (Pm.cols === 0) throw new XentError('EMPTY_INPUT', 'p has no entries: a distribution needs at least one class');
  const P = checkDistribution(k, { name: 'p', m: Pm }, tolerance, normalize);
  const Q = q === null ? null : checkDistribution(k, { name: 'q', m: asMatrixLike(q, 'q', Pm, 'p', f32) }, tolerance, normalize);
  const out = new Float64Array(P.rows);
  kernel(k, P, Q, out, eps);
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

/** Shannon entropy H(p) = -Σ p log p of each row (0 log 0 = 0). */
export function entropy<X extends Batch, O extends DistributionOptions>(p: X, options?: O): Result<X, O> {
  return distributions('entropy', p, null, options, DIST_KEYS, (k, P, _Q, out) =>
    k.entropy(P.data, P.rows, P.cols, out),
  ) as Result<X, O>;
}

/**
 * Cross-entropy H(p, q) = -Σ p log q of each row pair. Exact by default: 0 log 0 = 0, and p > 0 where q = 0
 * gives Infinity. `eps` clips q to [eps, 1 - eps] first.
 */
export function crossEntropy<X extends Batch, O extends CrossEntropyOptions>(p: X, q: Batch, options?: O): Result<X, O> {
  return distributions('crossEntropy', p, q, options, [...DIST_KEYS, 'eps'], (k, P, Q, out, eps) =>
    k.crossEntropy(P.data, Q!.data, P.rows, P.cols, eps, null, out),
  ) as Result<X, O>;
}

/**
 * Kullback–Leibler divergence KL(p ‖ q) = Σ p log(p / q) of each row pair, with SciPy's rel_entr semantics:
 * 0 where p = 0, Infinity where p > 0 and q = 0.
 */
export function klDivergence<X extends Batch, O extends DistributionOptions>(p: X, q: Batch, options?: O): Result<X, O> {
  return distributions('klDivergence', p, q, options, DIST_KEYS, (k, P, Q, out) =>
    k.klDivergence(P.data, Q!.data, P.rows, P.cols, out),
  ) as Result<X, O>;
}

/**
 * Jensen–Shannon divergence ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q) / 2, of each row pair: symmetric, finite,
 * at most ln 2 nats (1 bit). This is the divergence, not SciPy's jensenshannon distance (its square root).
 */
export function jsDivergence<X extends Batch, O extends DistributionOptions>(p: X, q: Batch, options?: O): Result<X, O> {
  return distributions('jsDivergence', p, q, options, DIST_KEYS, (k, P, Q, out) =>
    k.jsDivergence(P.data, Q!.data, P.rows, P.cols, out),
  ) as Result<X, O>;
}
