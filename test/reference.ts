/**
 * Float64 reference implementations for the tests: plain loops, written for being obviously right rather than
 * fast. Nothing here comes from src/. Every row function takes one row as number[] (float32 inputs are passed as
 * the float64 values the Float32Array holds, see `f32` in helpers.ts).
 *
 * Accuracy choices (so that the reference is better than the bound it checks):
 * - log Σ exp(z) = m + log1p(Σ_{j ≠ argmax} exp(z_j - m)): exact-to-rounding even when the sum is near 1, so a
 *   small loss (a confident, correct prediction) keeps its relative accuracy.
 * - log(1 - p) is log1p(-p); the sigmoid loss is split on the sign of x so that no term cancels.
 */

export type Reduction = 'mean' | 'sum' | 'none';

/** z_j = s · x_j; returns the max, its first index, and rest = Σ_{j ≠ argmax} exp(z_j - m). */
function shifted(x: readonly number[], s: number): { z: number[]; m: number; rest: number } {
  const z = x.map((v) => v * s);
  let m = -Infinity;
  let k = -1;
  for (let j = 0; j < z.length; j++) {
    if (z[j] > m) {
      m = z[j];
      k = j;
    }
  }
  const terms: number[] = [];
  if (m !== -Infinity) for (let j = 0; j < z.length; j++) if (j !== k) terms.push(Math.exp(z[j] - m));
  return { z, m, rest: accurateSum(terms) };
}

export function logSumExp(x: readonly number[], s = 1): number {
  const { m, rest } = shifted(x, s);
  return m === -Infinity ? -Infinity : m + Math.log1p(rest);
}

/** |terms| bound for log-sum-exp: its value is m + log1p(rest), both parts may cancel. */
export function logSumExpScale(x: readonly number[], s = 1): number {
  const { m, rest } = shifted(x, s);
  return Math.abs(m) + Math.log1p(rest);
}

export function softmax(x: readonly number[], s = 1): number[] {
  const { z, m, rest } = shifted(x, s);
  return z.map((v) => Math.exp(v - m) / (1 + rest));
}

export function logSoftmax(x: readonly number[], s = 1): number[] {
  const { z, m, rest } = shifted(x, s);
  const l = Math.log1p(rest);
  return z.map((v) => v - m - l);
}

/** −log softmax(s·x)_j for every j: (m − z_j) + log1p(rest), no cancellation. */
export function negLogSoftmax(x: readonly number[], s = 1): number[] {
  const { z, m, rest } = shifted(x, s);
  const l = Math.log1p(rest);
  return z.map((v) => m - v + l);
}

export function information(p: number): number {
  return -Math.log(p);
}

// Row sums are compensated: a plain sum over 50,257 terms drifts by ~1e-12 relative, more than the bound it checks.
export function entropy(p: readonly number[]): number {
  return -accurateSum(p.map((v) => (v > 0 ? v * Math.log(v) : 0)));
}

export function crossEntropy(p: readonly number[], q: readonly number[], clip = 0): number {
  const terms: number[] = [];
  for (let j = 0; j < p.length; j++) {
    if (p[j] === 0) continue;
    const qc = clip > 0 ? Math.min(Math.max(q[j], clip), 1 - clip) : q[j];
    terms.push(p[j] * Math.log(qc));
  }
  return -accurateSum(terms);
}

/** SciPy's rel_entr summed over the row, and Σ |terms| (the scale the rounding error is relative to). */
export function klDivergence(p: readonly number[], q: readonly number[]): { value: number; scale: number } {
  const terms: number[] = [];
  let scale = 0;
  for (let j = 0; j < p.length; j++) {
    if (p[j] === 0) continue;
    if (q[j] === 0) return { value: Infinity, scale: Infinity };
    // log(p/q) loses relative accuracy when p/q is near 1: then log1p((p − q)/q), p − q being exact (Sterbenz)
    const r = p[j] / q[j];
    const t = p[j] * (r > 0.5 && r < 2 ? Math.log1p((p[j] - q[j]) / q[j]) : Math.log(p[j]) - Math.log(q[j]));
    terms.push(t);
    scale += Math.abs(t);
  }
  return { value: accurateSum(terms), scale };
}

export function jsDivergence(p: readonly number[], q: readonly number[]): { value: number; scale: number } {
  const m = p.map((v, j) => (v + q[j]) / 2);
  const a = klDivergence(p, m);
  const b = klDivergence(q, m);
  // m = (p + q)/2 is rounded (half an ulp per entry); that moves the divergence by up to ~u·(1 + H(m)), which an
  // algorithm that avoids forming m does not pay: the scale carries that term (×1e-3, so REL·scale ≈ 1e-16·(1 + H(m))).
  return { value: a.value / 2 + b.value / 2, scale: a.scale / 2 + b.scale / 2 + 1e-3 * (1 + entropy(m)) };
}

export function binaryEntropy(p: number): number {
  let h = 0;
  if (p > 0) h -= p * Math.log(p);
  if (p < 1) h -= (1 - p) * Math.log1p(-p);
  return h;
}

/** −(t' log pc + (1 − t') log(1 − pc)), zero coefficients contribute 0. */
export function binaryCrossEntropy(p: number, t: number, clip = 0, smoothing = 0): number {
  const ts = smoothing > 0 ? t * (1 - smoothing) + smoothing / 2 : t;
  const pc = clip > 0 ? Math.min(Math.max(p, clip), 1 - clip) : p;
  let l = 0;
  if (ts !== 0) l -= ts * Math.log(pc);
  if (ts !== 1) l -= (1 - ts) * Math.log1p(-pc);
  return l;
}

/**
 * PyTorch's binary_cross_entropy_with_logits: (1 − t) x + (1 + (pw − 1) t) softplus(−x), split on the sign of x:
 *   x ≥ 0: (1 − t) x + c log1p(e^−x);   x < 0: −pw t x + c log1p(e^x);   c = 1 + (pw − 1) t.
 */
export function sigmoidCrossEntropy(x: number, t: number, smoothing = 0, pw = 1): number {
  const ts = smoothing > 0 ? t * (1 - smoothing) + smoothing / 2 : t;
  const c = 1 + (pw - 1) * ts;
  const lin = x >= 0 ? 1 - ts : -pw * ts;
  let l = lin === 0 ? 0 : lin * x;
  if (c !== 0) l += c * Math.log1p(Math.exp(-Math.abs(x)));
  return l;
}

export interface ClassOptions {
  weight?: readonly number[];
  sampleWeight?: readonly number[];
  ignoreIndex?: number;
  labelSmoothing?: number;
}

/**
 * Per-row weighted loss L and counted weight D from a matrix of −log p (integer labels), PyTorch's rules:
 *   L_r = sw_r ((1 − ε) w_y nlp_y + ε/C Σ_j w_j nlp_j),  D_r = sw_r w_y;  ignored rows: 0, 0.
 */
export function classLossLabels(nlp: number[][], labels: readonly number[], o: ClassOptions = {}): { L: number[]; D: number[] } {
  const L: number[] = [];
  const D: number[] = [];
  const eps = o.labelSmoothing ?? 0;
  nlp.forEach((row, r) => {
    const C = row.length;
    const y = labels[r];
    const sw = o.sampleWeight ? o.sampleWeight[r] : 1;
    if (o.ignoreIndex !== undefined && y === o.ignoreIndex) {
      L.push(0);
      D.push(0);
      return;
    }
    const w = (j: number): number => (o.weight ? o.weight[j] : 1);
    let l = (1 - eps) * w(y) === 0 ? 0 : (1 - eps) * w(y) * row[y];
    if (eps > 0) {
      const terms: number[] = [];
      for (let j = 0; j < C; j++) if (w(j) !== 0) terms.push(w(j) * row[j]);
      l += (eps / C) * accurateSum(terms);
    }
    L.push(sw * l);
    D.push(sw * w(y));
  });
  return { L, D };
}

/** Dense targets: L_r = sw_r Σ_j w_j ((1 − ε) t_j + ε/C) nlp_j,  D_r = sw_r Σ_j w_j t_j. */
export function classLossDense(nlp: number[][], t: number[][], o: ClassOptions = {}): { L: number[]; D: number[] } {
  const L: number[] = [];
  const D: number[] = [];
  const eps = o.labelSmoothing ?? 0;
  nlp.forEach((row, r) => {
    const C = row.length;
    const sw = o.sampleWeight ? o.sampleWeight[r] : 1;
    const lt: number[] = [];
    const dt: number[] = [];
    for (let j = 0; j < C; j++) {
      const w = o.weight ? o.weight[j] : 1;
      const c = w * ((1 - eps) * t[r][j] + eps / C);
      if (c !== 0) lt.push(c * row[j]);
      dt.push(w * t[r][j]);
    }
    L.push(sw * accurateSum(lt));
    D.push(sw * accurateSum(dt));
  });
  return { L, D };
}

export function reduce(L: readonly number[], D: readonly number[], reduction: Reduction = 'mean'): number | number[] {
  if (reduction === 'none') return [...L];
  const s = accurateSum(L);
  if (reduction === 'sum') return s;
  return s / accurateSum(D);
}

export function scaleBase(v: number | number[], base?: number): number | number[] {
  if (base === undefined) return v;
  const k = Math.log(base);
  return typeof v === 'number' ? v / k : v.map((x) => x / k);
}

/** Softmax cross-entropy with integer labels, from logits. */
export function softmaxCrossEntropy(
  x: number[][], labels: readonly number[],
  o: ClassOptions & { reduction?: Reduction; temperature?: number; base?: number } = {},
): number | number[] {
  const s = 1 / (o.temperature ?? 1);
  const nlp = x.map((row) => negLogSoftmax(row, s));
  const { L, D } = classLossLabels(nlp, labels, o);
  return scaleBase(reduce(L, D, o.reduction), o.base);
}

export function softmaxCrossEntropyDense(
  x: number[][], t: number[][],
  o: ClassOptions & { reduction?: Reduction; temperature?: number; base?: number } = {},
): number | number[] {
  const s = 1 / (o.temperature ?? 1);
  const nlp = x.map((row) => negLogSoftmax(row, s));
  const { L, D } = classLossDense(nlp, t, o);
  return scaleBase(reduce(L, D, o.reduction), o.base);
}

/** Elementwise binary losses (N×C) with per-element / per-class weight and per-row sampleWeight. */
export function reduceElementwise(
  l: number[][], o: { weight?: readonly number[]; sampleWeight?: readonly number[]; reduction?: Reduction; base?: number },
): number | number[] {
  const L: number[] = [];
  const D: number[] = [];
  l.forEach((row, r) => {
    const C = row.length;
    row.forEach((v, j) => {
      let w = 1;
      if (o.weight) w *= o.weight.length === C ? o.weight[j] : o.weight[r * C + j];
      if (o.sampleWeight) w *= o.sampleWeight[r];
      L.push(w * v);
      D.push(w);
    });
  });
  return scaleBase(reduce(L, D, o.reduction), o.base);
}

/** Neumaier-compensated sum: the reference for long sums (a million rows) must be more accurate than 1e-13. */
export function accurateSum(xs: Iterable<number>): number {
  let s = 0;
  let c = 0;
  for (const x of xs) {
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return Number.isFinite(s) ? s + c : s; // an infinite sum has no compensation (it would make NaN)
}
