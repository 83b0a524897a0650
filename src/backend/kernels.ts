/**
 * The interface both backends implement: the WebAssembly kernels (through src/backend/wasm.ts) and the
 * pure-TypeScript kernels (src/backend/js.ts). Same arguments, same answers.
 *
 * Conventions for every method:
 * - A matrix argument is row-major with `rows * cols` elements. Every float array of one call has the same
 *   element type: Float32Array calls run float32 arithmetic (results accumulated in float64), Float64Array calls
 *   run float64 arithmetic. The API layer guarantees this and converts where needed.
 * - Half precision: an input typed FloatData may instead be a HalfArray (float16 or bfloat16 bits), whose values
 *   take the call's element type: float32 unless another input is a Float64Array. Implementations need no code for
 *   it. The TypeScript kernels are written against FloatKernels (float arrays only) and wrapped by `withHalf`
 *   (js-half.ts), which decodes half inputs first. The WebAssembly wrapper copies the bits into wasm memory and
 *   either calls the kernel's fused half export (`<name>_f16` / `<name>_bf16`, which widens in its own pass: see
 *   assembly/half.ts) or, where there is none, widens each row chunk with `widen_f32` / `widen_f64` right before
 *   the kernel's float entry. A new kernel gets half input by typing its inputs FloatData.
 * - Per-row outputs are Float64Array of length `rows`; elementwise outputs have length `rows * cols`.
 * - Kernels never allocate observable state, never mutate inputs, never throw on values: NaN in gives NaN out
 *   (the API layer then finds the offending index), and every other value follows the mathematics stated here.
 * - "Terms with coefficient 0 contribute 0": a coefficient c_j = 0 multiplies nothing, so 0 · (±Infinity) is 0,
 *   not NaN (masked logits, log 0 of an impossible class with zero target mass).
 * - `s` > 0 is a scale applied to logits before anything else (1 / temperature): z_j = s · x[r, j].
 *   lse_r = log Σ_j exp(z_j), computed as m + log Σ exp(z_j - m) with m = max_j z_j, and the loss terms as
 *   (m - z_j) + log Σ exp(z - m) so that no cancellation occurs when a loss is small. A row whose max is -Infinity
 *   has lse = -Infinity. A row holding +Infinity has lse = +Infinity, and NaN softmax, log-softmax and loss
 *   values (the softmax is undefined there; the API rejects such logits).
 */

import type { FloatArray, FloatData, HalfArray } from '../core/dtype.js';

export type { FloatArray, FloatData } from '../core/dtype.js';

export type BackendName = 'wasm-relaxed-simd' | 'wasm-simd' | 'wasm' | 'js';

/** The WebAssembly builds of assembly/ (one source): relaxed SIMD (fused multiply-adds), SIMD, and scalar. */
export type Build = 'relaxed-simd' | 'simd' | 'scalar';

export interface Kernels {
  readonly name: BackendName;

  /** out[r] = lse_r (see above). All -Infinity row: -Infinity. */
  logSumExp(x: FloatData, rows: number, cols: number, s: number, out: Float64Array): void;

  /** out[r, j] = exp(z_j - lse_r). `out` has the type of `x`. All -Infinity row: NaN (the API rejects it). */
  softmax(x: FloatData, rows: number, cols: number, s: number, out: FloatArray): void;

  /** out[r, j] = z_j - lse_r, computed as (z_j - m) - log Σ exp(z - m). `out` has the type of `x`. */
  logSoftmax(x: FloatData, rows: number, cols: number, s: number, out: FloatArray): void;

  /**
   * Softmax cross-entropy with integer labels. For each row with label y = labels[r]:
   *   nll[r]    = lse_r - z_y                          (= -log softmax(z)_y)
   *   smooth[r] = Σ_j w_j (lse_r - z_j)                (only when `smooth` is not null; w_j = 1 when w is null)
   * A negative label marks an ignored row: both outputs are 0 for it. Labels are < cols (checked by the API).
   * z_y = -Infinity gives nll = +Infinity.
   */
  softmaxCrossEntropyLabels(
    x: FloatData, rows: number, cols: number, s: number,
    labels: Int32Array, w: FloatArray | null,
    nll: Float64Array, smooth: Float64Array | null,
  ): void;

  /**
   * Softmax cross-entropy with dense targets (one-hot or soft):
   *   out[r]       = Σ_j c_j (lse_r - z_j),   c_j = w_j · ((1 - eps) · t[r, j] + eps / cols)
   *   rowWeight[r] = Σ_j w_j · t[r, j]        (only when `rowWeight` is not null; the original targets, no smoothing)
   * w_j = 1 when w is null. Terms with c_j = 0 contribute 0.
   */
  softmaxCrossEntropyDense(
    x: FloatData, t: FloatData, rows: number, cols: number, s: number, eps: number,
    w: FloatArray | null, out: Float64Array, rowWeight: Float64Array | null,
  ): void;

  /**
   * Cross-entropy of q under weights t:  out[r] = -Σ_j w_j t[r, j] log(qc_j)
   *   qc_j = clamp(q[r, j], lo, hi) unless [lo, hi] is [0, 1] (no clipping), else q[r, j].
   * t null means t = 1 everywhere; w null means w = 1. Terms with w_j t_j = 0 contribute 0 (0 · log 0 = 0);
   * a term with w_j t_j > 0 and qc_j = 0 gives +Infinity.
   */
  crossEntropy(
    t: FloatData | null, q: FloatData, rows: number, cols: number, lo: number, hi: number,
    w: FloatArray | null, out: Float64Array,
  ): void;

  /** out[r] = Σ_j w_j t[r, j] x[r, j]; t null means 1, w null means 1; terms with w_j t_j = 0 contribute 0. */
  dot(t: FloatData | null, x: FloatData, rows: number, cols: number, w: FloatArray | null, out: Float64Array): void;

  /** out[r] = -Σ_j p_j log p_j with 0 log 0 = 0. */
  entropy(p: FloatData, rows: number, cols: number, out: Float64Array): void;

  /**
   * out[r] = Σ_j rel_entr(p_j, q_j), SciPy's special.rel_entr: p log(p / q) for p > 0, q > 0; 0 for p = 0, q >= 0;
   * +Infinity otherwise (p > 0 = q, or a negative p or q). Accurate when p / q is near 1 (log1p((p - q) / q)) and when p / q over- or
   * underflows (log p - log q).
   */
  klDivergence(p: FloatData, q: FloatData, rows: number, cols: number, out: Float64Array): void;

  /**
   * klDivergence fused with checkDistribution's tests of both inputs: every entry in [0, 1], each row sum (added as
   * this backend's rowStats adds it) within `tol` of 1. Returns false at the first failure, `out` then incomplete:
   * the caller runs those checks, which name it (or, for a row the fused test declines but they pass, the plain
   * kernel). Optional: both backends offer it, since the checks' own passes cost about as much as the kernel.
   */
  klDivergenceChecked?(p: FloatData, q: FloatData, rows: number, cols: number, tol: number, out: Float64Array): boolean;

  /** out[r] = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q) / 2, in nats. Finite for every pair of distributions. */
  jsDivergence(p: FloatData, q: FloatData, rows: number, cols: number, out: Float64Array): void;

  /**
   * sum[r] = Σ_j x[r, j]; min[r] / max[r] (when not null) the row's extremes. Used to validate distributions: a NaN
   * makes the sum NaN, while min / max may skip it (callers test the sum first).
   */
  rowStats(x: FloatData, rows: number, cols: number, sum: Float64Array, min: Float64Array | null, max: Float64Array | null): void;

  /**
   * Binary cross-entropy from probabilities, elementwise over the matrix:
   *   l = -w · (t' log pc + (1 - t') log(1 - pc)),  t' = t (1 - smoothing) + smoothing / 2,
   *   pc = clamp(p, lo, hi) unless [lo, hi] is [0, 1], else p; each product with a zero coefficient is 0
   *   (t' = 0 with pc = 0 contributes 0; t' > 0 with pc = 0 gives +Infinity).
   * w: null (1), per class (length cols, `wFull` false) or per element (length rows·cols, `wFull` true).
   * elementwise: out[r·cols + j] = l;  otherwise out[r] = Σ_j l.
   */
  binaryCrossEntropy(
    p: FloatData, t: FloatData, rows: number, cols: number, lo: number, hi: number, smoothing: number,
    w: FloatArray | null, wFull: boolean, out: Float64Array, elementwise: boolean,
  ): void;

  /**
   * Binary cross-entropy from logits, elementwise:
   *   l = w · ((1 - t') x + (1 + (pw - 1) t') · softplus(-x)),  softplus(-x) = max(-x, 0) + log1p(exp(-|x|)),
   * which for pw = 1 is max(x, 0) - x t' + log1p(exp(-|x|)). t' as above; pw = posWeight[j] (length cols) or 1.
   * ±Infinity logits give the limit: 0 when the target agrees, +Infinity otherwise. w, wFull, out, elementwise
   * as in binaryCrossEntropy.
   */
  sigmoidCrossEntropy(
    x: FloatData, t: FloatData, rows: number, cols: number, smoothing: number,
    w: FloatArray | null, wFull: boolean, posWeight: FloatArray | null, out: Float64Array, elementwise: boolean,
  ): void;

  /**
   * sigmoidCrossEntropy fused with checkTargets' test of t (every entry in [0, 1]), in the pass that reads t anyway:
   * the separate test costs a pass and, in wasm, a second copy of t. Returns false at the first row that fails (or
   * that the fused test declines), `out` then incomplete: the caller runs checkTargets, which names the entry, and
   * the plain kernel. Optional.
   */
  sigmoidCrossEntropyChecked?(
    x: FloatData, t: FloatData, rows: number, cols: number, smoothing: number,
    w: FloatArray | null, wFull: boolean, posWeight: FloatArray | null, out: Float64Array, elementwise: boolean,
  ): boolean;

  /** out[i] = -(p log p + (1 - p) log(1 - p)) with 0 log 0 = 0, for i < n. */
  binaryEntropy(p: FloatData, n: number, out: Float64Array): void;

  // --- Gradients (src/api/gradients.ts). `grad` has the type of `x`; `scale` (length rows) is each row's
  // multiplier: the API folds 1 / temperature, the row's sample weight, the mean's divisor and the unit into it, so
  // no second pass over `grad` is needed. p = softmax(z) for z = s · x as above; a row with scale 0 gets grad 0.

  /**
   * Softmax cross-entropy with integer labels, loss and gradient in one kernel per row (max pass; one pass that
   * sums the exps and stores e_j = exp(z_j - m) into grad; one pass that scales grad in place: no separate softmax):
   *   nll[r], smooth[r]  exactly as softmaxCrossEntropyLabels (smooth only when not null);
   *   grad[r, j] = scale[r] · (A · p_j - c_j),  c_j = (1 - eps) · w_y · [j = y] + (eps / cols) · w_j,  A = Σ_j c_j,
   * the derivative of (1 - eps)·w_y·nll + (eps / cols)·smooth with respect to z. Ignored rows (label < 0): all 0.
   */
  softmaxCrossEntropyLabelsGrad(
    x: FloatData, rows: number, cols: number, s: number,
    labels: Int32Array, w: FloatArray | null, eps: number, scale: Float64Array,
    nll: Float64Array, smooth: Float64Array | null, grad: FloatArray,
  ): void;

  /**
   * Softmax cross-entropy with dense targets, loss and gradient fused as above:
   *   out[r]     = Σ_j c_j (lse_r - z_j),  c_j = w_j · ((1 - eps) · t[r, j] + eps / cols)  (as softmaxCrossEntropyDense)
   *   grad[r, j] = scale[r] · (C · p_j - c_j),  C = Σ_j c_j.
   */
  softmaxCrossEntropyDenseGrad(
    x: FloatData, t: FloatData, rows: number, cols: number, s: number, eps: number,
    w: FloatArray | null, scale: Float64Array, out: Float64Array, grad: FloatArray,
  ): void;

  /**
   * Binary cross-entropy from logits with its gradient, elementwise: the loss exactly as sigmoidCrossEntropy
   * (out per element or per row by `elementwise`), and
   *   grad[r, j] = scale[r] · w · (c · σ(x) - pw · t'),  c = 1 + (pw - 1) · t'  (σ(x) - t' when pw = 1),
   * σ computed without overflow; ±Infinity logits give σ = 1 or 0 exactly.
   */
  sigmoidCrossEntropyGrad(
    x: FloatData, t: FloatData, rows: number, cols: number, smoothing: number,
    w: FloatArray | null, wFull: boolean, posWeight: FloatArray | null, scale: Float64Array,
    out: Float64Array, elementwise: boolean, grad: FloatArray,
  ): void;

  /** Backward of softmax: out[r, j] = s · y_j · (dy_j - Σ_k y_k dy_k), y = softmax output. `out` has y's type. */
  softmaxBackward(y: FloatData, dy: FloatData, rows: number, cols: number, s: number, out: FloatArray): void;

  /** Backward of log-softmax: out[r, j] = s · (dy_j - exp(y_j) · Σ_k dy_k), y = log-softmax output. */
  logSoftmaxBackward(y: FloatData, dy: FloatData, rows: number, cols: number, s: number, out: FloatArray): void;

  // --- Evaluation (src/eval/rows.ts).

  /**
   * Softmax cross-entropy with integer labels plus what an evaluator needs from the same logits, z = x (no scale),
   * in one max pass and one exp pass per row (and, for a row whose label is below its max, short scans for the rank
   * and the argmax). k >= 1. For each row with label y = labels[r]:
   *   nll[r]   = lse_r - z_y, exactly as softmaxCrossEntropyLabels computes it (same value, same accuracy);
   *   above[r] = min(#{j : z_j > z_y}, k): the rank of the true class, counted up to k (entries equal to z_y are
   *              not counted: ties go to the label; NaN entries are not counted);
   *   top[r]   = the predicted class: y when no entry is above z_y (above[r] = 0), else the first index j with
   *              z_j = max_i z_i (-1 when there is none);
   *   maxP[r]  = max_j softmax(z)_j = exp(-log Σ_j exp(z_j - m)), the log-sum computed as for nll;
   *   sumSq[r] = Σ_j softmax(z)_j², computed as Σ_j exp(2(z_j - m)) / (Σ_j exp(z_j - m))² (float32 rows: the
   *              float32 exp terms squared, about 1e-6 relative);
   *   pY[r]    = softmax(z)_y = exp(-nll[r]).
   * A negative label marks an ignored row: all outputs are 0 for it. A row without a finite max (all -Infinity, or
   * holding +Infinity): nll as softmaxCrossEntropyLabels (+Infinity, or NaN), pY = exp(-nll), maxP and sumSq NaN;
   * above and top as stated. NaN anywhere in a counted row makes nll NaN (the API then rejects the row).
   */
  softmaxEvalLabels(
    x: FloatData, rows: number, cols: number, labels: Int32Array, k: number,
    nll: Float64Array, above: Int32Array, top: Int32Array, maxP: Float64Array, sumSq: Float64Array, pY: Float64Array,
  ): void;

  /** out[i] = the value of half pattern x[i], exactly (the conversion every kernel applies to half input). */
  widen(x: HalfArray, out: Float32Array): void;
}

/**
 * Token scoring (src/api/tokens.ts, src/eval/lm.ts), apart from Kernels so that code that never scores tokens does
 * not carry its TypeScript implementation: WasmKernels implements it, and src/backend/scoring.ts picks the
 * implementation for the active backend (src/backend/js-score.ts for the TypeScript one). Conventions as above.
 */
export interface ScoringKernels {
  /**
   * Per row with target y = labels[r] (z = s·x, X the row's max, d_j = s·(x_j - X), e_j = exp(d_j), S = Σ_j e_j):
   *   logprob[r] = z_y - lse_r = -(s·(X - x_y) + log S): finite for every finite x_y however far below the max
   *                (-Infinity for a masked target);
   *   entropy[r] = -Σ_j p_j log p_j = log S + Σ_j e_j·(-d_j) / S (both parts >= 0; masked entries contribute 0);
   *   rank[r]    = min(#{j : x_j > x_y}, cap) (ties and NaN not counted);
   *   with k >= 1: the k largest entries (k <= cols), descending, ties in id order, as ids topIds[r·k + i] and
   *   log-probabilities topLogprobs[r·k + i]. topIds may be null when k = 1: topLogprobs[r] is then -log S, the
   *   largest log-probability, found without a scan.
   * Float32 and half rows: float32 arithmetic, float64 sums, within about 1e-6 relative of the exact values (a row
   * whose loss or entropy, or with top ids its largest log-probability, is below ln 2 in magnitude takes a precise
   * pass). A negative label marks an ignored row: logprob 0, rank -1, entropy 0, topIds -1, topLogprobs 0. A row
   * without a finite max: logprob as softmaxCrossEntropyLabels' loss negated (-Infinity, or NaN), entropy and the
   * top log-probabilities NaN. NaN in a row makes logprob NaN.
   */
  scoreTokens(
    x: FloatData, rows: number, cols: number, s: number, labels: Int32Array, cap: number,
    logprob: Float64Array, rank: Int32Array, entropy: Float64Array,
    k: number, topIds: Int32Array | null, topLogprobs: Float64Array | null,
  ): void;
}

/**
 * Comparing two models (src/eval/compare.ts), apart from Kernels as ScoringKernels is. Per row r with target
 * y = labels[r], a the base's logits and b the candidate's (same element type; half input widened), lp and lq their
 * log-softmax ((x_j - max) - log Σ exp(x - max)), p and q their softmax:
 *   out[6r .. 6r + 6) = [-lp_y, -lq_y, KL(p ‖ q), KL(q ‖ p), JS(p, q), q_y - p_y],
 *   ints[4r .. 4r + 4) = [first argmax of a, first argmax of b, 0 iff no a_j > a_y (else > 0), the same for b].
 * Every element in float64 arithmetic, sums in float64; each divergence is a sum of terms clamped at 0, so never
 * negative (assembly/compare.ts states the forms and their accuracy). A negative label: out 0, ints [-1, -1, 0, 0].
 * A row with NaN, a +Infinity logit or only -Infinity: its loss or the divergences NaN (the API explains them).
 */
export interface ComparisonKernels {
  compareRows(
    a: FloatData, b: FloatData, rows: number, cols: number, labels: Int32Array, out: Float64Array, ints: Int32Array,
  ): void;
}

/** An argument list with half precision taken out: what the kernels see after their half input is widened. */
type FloatArgs<A extends unknown[]> = { [I in keyof A]: Exclude<A[I], HalfArray> };
type FloatMethod<F> = F extends (...a: infer A) => infer R ? (...a: FloatArgs<A>) => R : F;

/** Kernels over float arrays only: what an implementation writes when half input reaches it widened (js-half.ts). */
export type FloatKernels = { [M in keyof Omit<Kernels, 'widen'>]: FloatMethod<Kernels[M]> };
