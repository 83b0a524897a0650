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
 *   loss, single-label (m_c = L_c / S_c): macro over the nL classes with rows, a row of class c has the influence
 *                 w·(loss − m_c) / (nL·S_c), so Var = Σ_c Σ w²(loss − m_c)² / (nL·S_c)² from the per-class Σ w²·loss²,
 *                 Σ w²·loss and Σ w²; weighted f = Σ L_c / T = Σ w·loss / W, the headline mean loss;
 *   loss, multi-label (m_c = L_c / W): macro f = Σ_c m_c / C, the headline mean loss (a row's loss is the mean over
 *                 its labels); weighted f = Σ S_c·m_c / T (∂S_c = (m_c − f) / T, ∂L_c = S_c / (W·T), ∂W = −f / W).
 * The headline mean loss's error is Σ w²(loss − f)² / W², from Σ w²·loss², Σ w²·loss and Σ w².
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
 * MOMENT_LIMIT labels). Above (or with a part from a state older than version 5) precision's, recall's and F1's
 * errors are unknown (null): the only bound from the per-label sums takes the labels as perfectly correlated,
 * (Σ_c sd Z_c)², which overstates the error about √C times for labels that vary apart. The macro loss is the headline mean loss, exact from its own sums. The weighted loss would need the dense block
 * Σ w²·loss_c·loss_d (and Σ w²·t_c·loss_d), which would double the cost of a multi-label update for a rarely read
 * figure: its error is unknown (null).
 */
import { momentCell } from './detail.js';
import type { EvalState } from './state.js';

export type AverageFigure = 'precision' | 'recall' | 'f1' | 'loss';

/** The standard errors of an average's figures (null where undefined or unknown). */
export type AverageErrors = Record<AverageFigure, number | null>;

/** m, α, β of each score (see above). */
const SCORES = { precision: [1, 0, 1], recall: [1, 1, 0], f1: [2, 1, 1] } as const;

/**
 * The standard errors of the macro and weighted averages, and the figures whose error is a conservative upper bound
 * rather than the delta method's. `set`: the classes averaged over; `values`: the averages (the loss in nats).
 */
export function averageErrors(
  st: EvalState, set: number[], values: { macro: Record<AverageFigure, number>; weighted: Record<AverageFigure, number> },
): { macro: AverageErrors; weighted: AverageErrors; bounds: { macro: AverageFigure[]; weighted: AverageFigure[] } } {
  const C = st.settings.classes;
  const n = set.length;
  const T = set.reduce((a, c) => a + st.support[c], 0);
  const W = st.weight;
  // A single (effective) row has no spread to speak of.
  const se = (v: number) => (Number.isFinite(v) && (W * W) / st.w2 > 1 ? Math.sqrt(Math.max(0, v)) : null);
  const out = { macro: {} as AverageErrors, weighted: {} as AverageErrors, bounds: { macro: [] as AverageFigure[], weighted: [] as AverageFigure[] } };
  for (const kind of ['macro', 'weighted'] as const) {
    for (const k of ['precision', 'recall', 'f1'] as const) {
      const [m, a, b] = SCORES[k];
      const g = new Float64Array(3 * C + 1);
      const f = values[kind][k];
      for (const c of set) {
        const Q = a * st.support[c] + b * st.predicted[c];
        const X = Q > 0 ? (m * st.detail.hits[c]) / Q : 0;
        if (kind === 'weighted') g[c] = (X - f) / T;
        if (!(Q > 0)) continue;
        const scale = kind === 'macro' ? 1 / (n * Q) : st.support[c] / (Q * T);
        g[c] -= a * X * scale;
        g[C + c] = -b * X * scale;
        g[2 * C + c] = m * scale;
      }
      const [v, bound] = variance(st, g);
      out[kind][k] = se(v);
      if (bound) out.bounds[kind].push(k);
    }
  }
  const f = values.macro.loss;
  let v = 0;
  if (!st.settings.multiLabel) {
    const rows = set.filter((c) => st.support[c] > 0);
    for (const c of rows) {
      const mc = st.classLoss[c] / st.support[c];
      v += (st.classLoss2[c] - 2 * mc * st.classLoss1[c] + mc * mc * st.classW2[c]) / (rows.length * st.support[c]) ** 2;
    }
  }
  // The headline mean loss: the single-label weighted and the multi-label macro average.
  const g = values.weighted.loss;
  const headline = (st.loss2 - 2 * g * st.loss1 + g * g * st.w2) / (W * W);
  out.macro.loss = se(st.settings.multiLabel ? (st.loss2 - 2 * f * st.loss1 + f * f * st.w2) / (W * W) : v);
  out.weighted.loss = st.settings.multiLabel ? null : se(headline);
  return out;
}

/** ∇fᵀ M ∇f and whether it is an upper bound (see the top of the file); NaN when unknown. */
function variance(st: EvalState, g: Float64Array): [number, boolean] {
  const d = st.detail;
  const C = st.settings.classes;
  if (st.settings.multiLabel) return [d.moments.length && d.secondKnown ? quadratic(d.moments, g) : NaN, false];
  let v = 0;
  let off = 0;
  let S = false;
  let P = false;
  for (let c = 0; c < C; c++) {
    const [s, p] = [g[c], g[C + c]];
    S ||= s !== 0;
    P ||= p !== 0;
    v += st.hitsW2[c] * (s + p + g[2 * C + c]) ** 2;
    off += s * s * (st.classW2[c] - st.hitsW2[c]) + p * p * (st.predictedW2[c] - st.hitsW2[c]);
  }
  if (!S || !P) return [v + off, false];
  if (!d.confusion2.length || !d.secondKnown) return [v + 2 * off, true];
  let cross = 0;
  for (let y = 0; y < C; y++) for (let k = 0; k < C; k++) if (k !== y) cross += d.confusion2[y * C + k] * g[y] * g[C + k];
  return [v + off + 2 * cross, false];
}

/** gᵀ M g for the packed moment matrix M of v = (t, pos, t·pos, 1). */
function quadratic(M: Float64Array, g: Float64Array): number {
  const D = g.length;
  let v = 0;
  for (let a = 0; a < D; a++) {
    for (let b = a; g[a] !== 0 && b < D; b++) v += (a === b ? 1 : 2) * g[a] * g[b] * M[momentCell(D, a, b)];
  }
  return v;
}
