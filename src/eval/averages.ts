/**
 * Standard errors of the macro and weighted averages of a classification report (scores.ts), by the delta method
 * over independent rows, as the per-class precision, recall and F1 errors.
 *
 * Every average is a smooth function f of the state's per-class sums S_c (support Σ w·t), P_c (predicted Σ w·pos),
 * H_c (true positives Σ w·t·pos), L_c (loss Σ w·loss) and of W (Σ w), each a sum over rows. Its linearisation
 * gives each row the influence z = w·∇f·v, v the row's contribution to the sums (t, pos, t·pos and loss per
 * class, and 1), and Var f ≈ Σ_rows z² = ∇fᵀ M ∇f with M = Σ w²·v·vᵀ. Σ z = 0 at the estimate, so no centring; no
 * n / (n − 1) (as for precision, recall and F1 per class). The support, the predictions and the count W are random
 * in this (rows are drawn, not class counts), so the weighted average's weights (the supports) are accounted for;
 * the set of classes averaged over (those with a label or a prediction) is taken as given.
 *
 * The gradients, with X_c = m·H_c / Q_c, Q_c = α·S_c + β·P_c (precision: m, α, β = 1, 0, 1; recall 1, 1, 0;
 * F1 2, 1, 1), X_c = 0 and no gradient where Q_c = 0, n classes averaged, T = Σ S_c over them:
 *   macro X:      ∂S_c = −α·X_c / (n·Q_c),  ∂P_c = −β·X_c / (n·Q_c),  ∂H_c = m / (n·Q_c);
 *   weighted X:   f = Σ S_c·X_c / T,  ∂S_c = (X_c − f − α·S_c·X_c / Q_c) / T,  ∂P_c = −β·S_c·X_c / (Q_c·T),
 *                 ∂H_c = m·S_c / (Q_c·T);
 *   loss, single-label (m_c = L_c / S_c): macro over the nL classes with rows ∂L_c = 1 / (nL·S_c), ∂S_c = −m_c / (nL·S_c);
 *                 weighted f = Σ L_c / T, ∂L_c = 1 / T, ∂S_c = −f / T;
 *   loss, multi-label (m_c = L_c / W): macro ∂L_c = 1 / (C·W), ∂W = −f / W (the headline mean loss);
 *                 weighted f = Σ S_c·m_c / T, ∂S_c = (m_c − f) / T, ∂L_c = S_c / (W·T), ∂W = −f / W.
 *
 * Single-label, M is block-sparse: a row of label y predicted k touches S_y, P_k and (k = y) H_y only, so
 *   Var = Σ_y hitsW2_y (∂S_y + ∂P_y + ∂H_y)² + Σ_y ∂S_y² (classW2_y − hitsW2_y) + Σ_k ∂P_k² (predictedW2_k − hitsW2_k)
 *         + 2 Σ_{y≠k} C2_yk ∂S_y ∂P_k,
 * C2_yk = Σ w² over the rows of label y predicted k (detail.confusion2, kept with the confusion matrix). Recall and
 * precision have ∂P ≡ 0 or ∂S ≡ 0 (macro) and weighted recall is accuracy: no C2 term. Macro and weighted F1 and
 * weighted precision need C2: above CONFUSION_LIMIT classes (or with a part from a state older than version 5) the
 * term is bounded by 2|ab| ≤ a² + b², which doubles the off-diagonal squares: a conservative upper bound, listed in
 * `bounds` (for macro F1, whose ∂S and ∂P are both ≤ 0 so that every cross term is ≥ 0, at most √2 times the
 * delta-method error). The loss rows of class y touch L_y and S_y only: exact from
 * the per-class Σ w²·loss², Σ w²·loss and Σ w².
 *
 * Multi-label, a row touches every label: the state keeps M for v = (t, pos, t·pos, 1) (detail.moments, up to
 * MOMENT_LIMIT labels). Above, precision, recall and F1 take the bound Var(Σ_c Z_c) ≤ (Σ_c sd Z_c)² (perfectly
 * correlated labels), each label's variance from its own sums (Σ w²·t², Σ w²·pos, Σ w²·t·pos, Σ w²·t²·pos). The
 * macro loss is the headline mean loss, exact from its own sums. The weighted loss would need the dense block
 * Σ w²·loss_c·loss_d (and Σ w²·t_c·loss_d), which would double the cost of a multi-label update for a rarely read
 * figure: its error is unknown (null).
 */
import { momentCell, momentDim } from './detail.js';
import type { EvalState } from './state.js';

export type AverageFigure = 'precision' | 'recall' | 'f1' | 'loss';

/** The standard errors of an average's figures (null where undefined or unknown). */
export type AverageErrors = Record<AverageFigure, number | null>;

/** A figure's gradient with respect to the per-class sums and W (zero arrays where it does not depend on them). */
interface Gradient {
  S: Float64Array;
  P: Float64Array;
  H: Float64Array;
  L: Float64Array;
  W: number;
}

const SCORES = { precision: [1, 0, 1], recall: [1, 1, 0], f1: [2, 1, 1] } as const;

/**
 * The standard errors of the macro and weighted averages, and the figures whose error is a conservative upper bound
 * rather than the delta method's. `inSet(c)`: whether class c is averaged over; `values`: the averages themselves.
 */
export function averageErrors(
  st: EvalState, inSet: (c: number) => boolean, values: { macro: Record<AverageFigure, number>; weighted: Record<AverageFigure, number> },
): { macro: AverageErrors; weighted: AverageErrors; bounds: { macro: AverageFigure[]; weighted: AverageFigure[] } } {
  const C = st.settings.classes;
  const multi = st.settings.multiLabel;
  const set = Array.from({ length: C }, (_, c) => c).filter(inSet);
  const n = set.length;
  const T = set.reduce((a, c) => a + st.support[c], 0);
  const W = st.weight;
  const zero = (): Gradient => ({ S: new Float64Array(C), P: new Float64Array(C), H: new Float64Array(C), L: new Float64Array(C), W: 0 });
  const out = { macro: {} as AverageErrors, weighted: {} as AverageErrors, bounds: { macro: [] as AverageFigure[], weighted: [] as AverageFigure[] } };
  // A single (effective) row has no spread to speak of.
  const defined = (W * W) / st.w2 > 1;
  for (const kind of ['macro', 'weighted'] as const) {
    for (const k of ['precision', 'recall', 'f1'] as const) {
      const [m, a, b] = SCORES[k];
      const g = zero();
      const f = values[kind][k];
      for (const c of set) {
        const Q = a * st.support[c] + b * st.predicted[c];
        const X = Q > 0 ? (m * st.detail.hits[c]) / Q : 0;
        if (kind === 'weighted') g.S[c] = (X - f) / T;
        if (!(Q > 0)) continue;
        const scale = kind === 'macro' ? 1 / (n * Q) : st.support[c] / (Q * T);
        g.S[c] -= a * X * scale;
        g.P[c] = -b * X * scale;
        g.H[c] = m * scale;
      }
      const [v, bound] = variance(st, g, false);
      out[kind][k] = defined ? seOf(v) : null;
      if (bound) out.bounds[kind].push(k);
    }
    const g = zero();
    const f = values[kind].loss;
    if (multi) {
      g.W = -f / W;
      for (const c of set) {
        if (kind === 'macro') g.L[c] = 1 / (n * W);
        else {
          g.S[c] = (st.classLoss[c] / W - f) / T;
          g.L[c] = st.support[c] / (W * T);
        }
      }
    } else {
      const withRows = set.filter((c) => st.support[c] > 0);
      for (const c of withRows) {
        g.L[c] = kind === 'macro' ? 1 / (withRows.length * st.support[c]) : 1 / T;
        g.S[c] = kind === 'macro' ? -st.classLoss[c] / st.support[c] / (withRows.length * st.support[c]) : -f / T;
      }
    }
    const [v, bound] = variance(st, g, true);
    out[kind].loss = defined ? seOf(v) : null;
    if (bound) out.bounds[kind].push('loss');
  }
  return out;
}

/** √v, null when it is not a finite number (an unknown sum, an infinite loss). */
const seOf = (v: number): number | null => (Number.isFinite(v) ? Math.sqrt(Math.max(0, v)) : null);

/** ∇fᵀ M ∇f and whether it is an upper bound (see the top of the file); NaN when unknown. */
function variance(st: EvalState, g: Gradient, loss: boolean): [number, boolean] {
  const d = st.detail;
  if (st.settings.multiLabel) {
    if (!loss) return d.moments.length && d.secondKnown ? [quadratic(d.moments, g, st.settings.classes), false] : [correlatedBound(st, g), true];
    // The macro loss is the headline mean loss, whose Σ w²·loss and Σ w²·loss² the state keeps: exact. The
    // weighted one: unknown.
    if (g.S.some((x) => x !== 0)) return [NaN, false];
    const f = -g.W * st.weight;
    return [(st.loss2 - 2 * f * st.loss1 + f * f * st.w2) / (st.weight * st.weight), false];
  }
  let v = 0;
  const C = st.settings.classes;
  if (loss) {
    for (let c = 0; c < C; c++) {
      const [l, s] = [g.L[c], g.S[c]];
      if (l !== 0 || s !== 0) v += l * l * st.classLoss2[c] + 2 * l * s * st.classLoss1[c] + s * s * st.classW2[c];
    }
    return [v, false];
  }
  let off = 0;
  for (let c = 0; c < C; c++) {
    const diag = g.S[c] + g.P[c] + g.H[c];
    v += st.hitsW2[c] * diag * diag;
    off += g.S[c] * g.S[c] * (st.classW2[c] - st.hitsW2[c]) + g.P[c] * g.P[c] * (st.predictedW2[c] - st.hitsW2[c]);
  }
  if (g.S.every((x) => x === 0) || g.P.every((x) => x === 0)) return [v + off, false];
  if (!d.confusion2.length || !d.secondKnown) return [v + 2 * off, true];
  let cross = 0;
  for (let y = 0; y < C; y++) {
    if (g.S[y] === 0) continue;
    for (let k = 0; k < C; k++) if (k !== y) cross += d.confusion2[y * C + k] * g.S[y] * g.P[k];
  }
  return [v + off + 2 * cross, false];
}

/** gᵀ M g for the packed moment matrix M of v = (t, pos, t·pos, 1) over C labels (g without loss terms). */
function quadratic(M: Float64Array, g: Gradient, C: number): number {
  const D = momentDim(C);
  const x = new Float64Array(D);
  x.set(g.S, 0);
  x.set(g.P, C);
  x.set(g.H, 2 * C);
  x[3 * C] = g.W;
  let v = 0;
  for (let a = 0; a < D; a++) {
    if (x[a] === 0) continue;
    v += x[a] * x[a] * M[momentCell(D, a, a)];
    for (let b = a + 1; b < D; b++) if (x[b] !== 0) v += 2 * x[a] * x[b] * M[momentCell(D, a, b)];
  }
  return v;
}

/**
 * (Σ_c sd Z_c)², Z_c the rows' influence through label c's sums (t, pos, t·pos): Var Z_c from Σ w²·t² (classW2),
 * Σ w²·pos = Σ w²·pos² (predictedW2), Σ w²·t·pos (hitsW2) and Σ w²·t²·pos = Σ w²·(t·pos)² = Σ w²·t·(t·pos) (hitsT2).
 */
function correlatedBound(st: EvalState, g: Gradient): number {
  let sd = 0;
  for (let c = 0; c < st.settings.classes; c++) {
    const [s, p, h] = [g.S[c], g.P[c], g.H[c]];
    if (s === 0 && p === 0 && h === 0) continue;
    const v = s * s * st.classW2[c] + p * p * st.predictedW2[c] + h * h * st.hitsT2[c] + 2 * s * p * st.hitsW2[c] +
      2 * s * h * st.hitsT2[c] + 2 * p * h * st.hitsW2[c];
    sd += Math.sqrt(Math.max(0, v));
  }
  return sd * sd;
}
