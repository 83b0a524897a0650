#!/usr/bin/env python3
"""Generate the reference fixtures of the Evaluator's standard errors.

    python3 scripts/eval_se_fixtures.py      # writes test/fixtures/eval-se.json

Per row, from the definitions in float64 NumPy: the softmax cross-entropy (scipy.special.logsumexp), whether the
label is a top-1 (no logit strictly above its own) and a top-k choice, and the Brier score sum_j (p_j - y_j)^2.
Each weighted mean m = sum w x / W comes with the standard error of the ratio estimator,
    SE^2 = sum w^2 (x - m)^2 / W^2 * n' / (n' - 1),   n' = W^2 / sum w^2 (Kish's effective sample size),
computed here from the deviations themselves (not from running sums), which with unit weights is the textbook
s / sqrt(n) (checked below against numpy's std with ddof = 1). Rows with weight 0 and ignored rows count for
nothing. The perplexity interval is exp(mean nats +/- 1.959963984540054 SE). With `bootstrap`, the Poisson
bootstrap with the draws of src/eval/bootstrap.ts (the generator imported from compare_fixtures.py, keyed by the row's
index in the batch, ignored rows included): the 2.5 and 97.5 percentiles (NumPy's linear rule) of the resampled
weighted mean loss, its exp, accuracy and Brier score, and of the resampled macro F1 (up to 32 classes): per
resample b and class c the drawn rows' TP_bc = sum w n_b [label c, predicted c] and D_bc = sum w n_b ([label c] +
[predicted c]) from one-hot rows, F1_bc = 2 TP_bc / D_bc averaged over the classes with D_bc > 0 (multi-label: over
every label, F1 0 where D_bc = 0; TP and D from t * pos and t + pos). Deterministic (fixed seed).

Per class (`perClass` of each case, `perClassCases`, and the multi-label `multiLabelCases`): the class's mean loss,
accuracy and mean probability over its rows (multi-label: over every row, of that label) with the same standard
error, and precision, recall and F1 as ratios sum w a / sum w b with the delta-method error
    SE^2 = sum w^2 (a - R b)^2 / (sum w b)^2
(a = t*pos, b = pos, t or pos + t with a doubled for F1; t the row's target for the class, pos its prediction), null
when sum w b = 0 or Kish's count (sum w b)^2 / sum w^2 b^2 <= 1 (one row). These are written from per-row values,
not from running sums, and check_delta() holds the delta method to a NumPy bootstrap of the rows. Logits are
multiples of 1/16 in [-8, 8], exact in float16 and bfloat16, so every dtype sees the same numbers. Multi-label
cases resample whole rows (a row's labels together) with the same Poisson draws.
"""
import json
import math
import os

import numpy as np
from scipy.special import expit, logsumexp, softmax

from compare_fixtures import weights as poisson_weights

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'eval-se.json')
Z95 = 1.959963984540054
rng = np.random.default_rng(20261209)


def wse(x, w):
    W = w.sum()
    m = (w * x).sum() / W
    neff = W * W / (w * w).sum()
    if not neff > 1:
        return m, math.nan
    return m, math.sqrt((w * w * (x - m) ** 2).sum() / (W * W) * neff / (neff - 1))


def ratio(a, b, w):
    """Sum w a / sum w b and its delta-method standard error (None where undefined)."""
    D = (w * b).sum()
    R = (w * a).sum() / D if D > 0 else 0.0
    bb = (w * w * b * b).sum()
    if not D > 0 or not D * D / bb > 1:
        return R, None
    return R, math.sqrt((w * w * (a - R * b) ** 2).sum()) / D


def mean_se(x, w):
    """wse over the rows with weight, None for an undefined error or no rows."""
    if w.sum() == 0:
        return None, None
    m, se = wse(x, w)
    return m, (None if math.isnan(se) else se)


def per_class(C, t, pos, loss, correct, prob, w, rows_of):
    """Per class j: t[:, j] targets, pos[:, j] predictions; loss / correct / prob per row of the class's rows."""
    out = []
    for j in range(C):
        rows = rows_of(j)
        e = {}
        for key, x in [('loss', loss), ('accuracy', correct), ('meanProbability', prob)]:
            e[key] = mean_se(x(j)[rows], w[rows])
        tj, pj = t[:, j], pos[:, j]
        e['precision'] = ratio(tj * pj, pj, w)
        e['recall'] = ratio(tj * pj, tj, w)
        e['f1'] = ratio(2 * tj * pj, pj + tj, w)
        out.append({k: {'value': v[0], 'standardError': v[1]} for k, v in e.items()})
    return out


def check_delta():
    """The delta method against a bootstrap of the rows (unit weights), for precision, recall and F1."""
    r = np.random.default_rng(5)
    n, C = 3000, 4
    y = r.integers(0, C, n)
    pred = np.where(r.random(n) < 0.6, y, r.integers(0, C, n))
    w = np.ones(n)
    t, pos = np.eye(C)[y], np.eye(C)[pred]
    for j in range(C):
        tj, pj = t[:, j], pos[:, j]
        for a, b in [(tj * pj, pj), (tj * pj, tj), (2 * tj * pj, pj + tj)]:
            _, se = ratio(a, b, w)
            boot = []
            for _ in range(2000):
                i = r.integers(0, n, n)
                boot.append(a[i].sum() / b[i].sum())
            sd = np.std(boot, ddof=1)
            assert abs(sd / se - 1) < 0.08, (j, sd, se)
        # F1's closed form from the counts.
        TP, FP, FN = (tj * pj).sum(), ((1 - tj) * pj).sum(), (tj * (1 - pj)).sum()
        _, se = ratio(2 * tj * pj, pj + tj, w)
        assert abs(se - math.sqrt(4 * TP * (FP + FN) * (TP + FP + FN) / (2 * TP + FP + FN) ** 4)) < 1e-12


check_delta()

FIGURES = ['precision', 'recall', 'f1', 'loss']
SCORE = {'precision': (1, 0, 1), 'recall': (1, 1, 0), 'f1': (2, 1, 1)}


def averages(x, C, multi, in_set):
    """The 8 averages from the sums x = (S, P, H, L, W) (complex allowed: the real parts decide zero divisions)."""
    S, P, H, L, W = x[:C], x[C:2 * C], x[2 * C:3 * C], x[3 * C:4 * C], x[4 * C]
    out = {}
    idx = np.nonzero(in_set)[0]
    T = S[idx].sum()
    for k, (m, a, b) in SCORE.items():
        Q = a * S + b * P
        X = np.array([m * H[c] / Q[c] if Q[c].real > 0 else 0 for c in range(C)], dtype=x.dtype)
        out[('macro', k)] = X[idx].mean()
        out[('weighted', k)] = (S[idx] * X[idx]).sum() / T
    if multi:
        mean = L / W
        rows = idx
    else:
        rows = np.array([c for c in idx if S[c].real > 0], dtype=int)
        mean = np.array([L[c] / S[c] if S[c].real > 0 else 0 for c in range(C)], dtype=x.dtype)
    out[('macro', 'loss')] = mean[rows].mean()
    out[('weighted', 'loss')] = (S[rows] * mean[rows]).sum() / T
    return out


def average_errors(V, w, C, multi, in_set):
    """Each average's value and delta-method error: V holds each row's v = (t, pos, t*pos, loss, 1)."""
    x = (w[:, None] * V).sum(0)
    f0 = averages(x.astype(complex), C, multi, in_set)
    grads = {key: np.zeros(len(x)) for key in f0}
    h = 1e-30
    for a in range(len(x)):
        xa = x.astype(complex)
        xa[a] += 1j * h
        for key, v in averages(xa, C, multi, in_set).items():
            grads[key][a] = v.imag / h
    ok = w.sum() ** 2 / (w * w).sum() > 1
    out = {'macro': {}, 'weighted': {}}
    for (kind, k), v in f0.items():
        z = w * (V @ grads[(kind, k)])
        out[kind][k] = {'value': v.real, 'standardError': math.sqrt((z * z).sum()) if ok else None}
    return out


def row_vectors(t, pos, loss_el):
    """Rows of v = (t, pos, t*pos, loss, 1); loss_el: per row and class (single-label: the loss at the label)."""
    return np.hstack([t, pos, t * pos, loss_el, np.ones((len(t), 1))])


def single_averages(y, pred, loss, w, C):
    t, pos = np.eye(C)[y], np.eye(C)[pred]
    V = row_vectors(t, pos, t * loss[:, None])
    in_set = (t * w[:, None]).sum(0) + (pos * w[:, None]).sum(0) > 0
    return average_errors(V, w, C, False, in_set)


def multi_averages(t, pos, loss, w, C):
    return average_errors(row_vectors(t, pos, loss), w, C, True, np.ones(C, dtype=bool))


def check_averages():
    """The averages' delta-method errors against a bootstrap of the rows (2,000 resamples), within 8 %. (The
    Evaluator gives no error for a multi-label weighted loss, whose sums it does not keep; the fixtures hold it.)"""
    r = np.random.default_rng(7)
    worst = 0.0
    for multi in (False, True):
        for weighted in (False, True):
            n, C = 3000, 4
            w = r.gamma(2.0, 1.0, n) if weighted else np.ones(n)
            if multi:
                # Correlated labels: a shared row effect.
                u = r.normal(0, 1, (n, 1)) + r.normal(0, 1, (n, C))
                t = (u > 0.3).astype(float)
                z = 1.2 * u + r.normal(0, 1, (n, C))
                pos = (z > 0).astype(float)
                loss = np.logaddexp(0, -np.where(t > 0, z, -z))
                V, est = row_vectors(t, pos, loss), multi_averages(t, pos, loss, w, C)
                in_set = np.ones(C, dtype=bool)
            else:
                y = r.choice(C, n, p=[0.4, 0.3, 0.2, 0.1])
                pred = np.where(r.random(n) < 0.6, y, r.integers(0, C, n))
                loss = r.gamma(1.0 + (pred != y), 0.5)
                t, pos = np.eye(C)[y], np.eye(C)[pred]
                V, est = row_vectors(t, pos, t * loss[:, None]), single_averages(y, pred, loss, w, C)
                in_set = np.ones(C, dtype=bool)
            boot = {(kind, k): [] for kind in ('macro', 'weighted') for k in FIGURES}
            for _ in range(2000):
                i = r.integers(0, n, n)
                x = (w[i, None] * V[i]).sum(0)
                for key, v in averages(x, C, multi, in_set).items():
                    boot[key].append(v)
            for (kind, k), b in boot.items():
                se = est[kind][k]['standardError']
                ratio = np.std(b, ddof=1) / se
                worst = max(worst, abs(ratio - 1))
                assert abs(ratio - 1) < 0.08, (multi, weighted, kind, k, ratio)
    print('averages: worst |bootstrap sd / delta SE - 1| = %.4f' % worst)


check_averages()


def logits_of(shape):
    return np.clip(np.round(rng.normal(0, 2, shape) * 16) / 16, -8, 8)


F1_LIMIT = 32


def macro_f1_interval(TP, D, ok, every):
    """The 95% interval of the resampled macro F1 from per-resample, per-class TP and D (rows: resamples)."""
    f1 = np.divide(2 * TP, D, out=np.zeros_like(D), where=D > 0)
    n = np.full(len(D), D.shape[1]) if every else (D > 0).sum(1)
    m = f1.sum(1)[ok] / n[ok]
    return [np.percentile(m, 2.5), np.percentile(m, 97.5)]


def case(name, n, C, k, weights, ignore=False, boot=None, labels=None, sparse=False, never=()):
    z = logits_of((n, C)) if not sparse else np.zeros((n, C))
    # Classes never predicted: their logits at the bottom of the range.
    z[:, list(never)] = -8
    if sparse:
        # Few nonzero logits per row (kept as [column, value] pairs: 1,000 classes stay small in JSON).
        for r in range(n):
            cols = rng.choice(C, 3, replace=False)
            z[r, cols] = logits_of(3) + 4
    y = rng.integers(0, C, n) if labels is None else labels(n)
    if ignore:
        y[rng.random(n) < 0.1] = -100
    w = np.ones(n) if weights is None else weights(n)
    keep = y >= 0
    zs, ys, ws = z[keep], y[keep], w[keep]
    loss = logsumexp(zs, axis=1) - zs[np.arange(len(ys)), ys]
    above = (zs > zs[np.arange(len(ys)), ys][:, None]).sum(axis=1)
    correct = (above == 0).astype(float)
    topk = (above < k).astype(float)
    p = softmax(zs, axis=1)
    onehot = np.eye(C)[ys]
    brier = ((p - onehot) ** 2).sum(axis=1)
    out = {}
    pred = np.where(correct == 1, ys, np.argmax(zs, axis=1))
    py = p[np.arange(len(ys)), ys]
    out['perClass'] = per_class(C, onehot, np.eye(C)[pred], lambda j: loss, lambda j: correct, lambda j: py, ws,
                                lambda j: ys == j)
    live = ws > 0
    out['averages'] = single_averages(ys[live], pred[live], loss[live], ws[live], C)
    for key, x in [('nats', loss), ('accuracy', correct), ('topK', topk), ('brier', brier)]:
        m, se = wse(x, ws)
        out[key] = {'value': m, 'standardError': se}
    if weights is None:
        assert abs(out['nats']['standardError'] - loss.std(ddof=1) / math.sqrt(len(loss))) < 1e-12
    m, se = out['nats']['value'], out['nats']['standardError']
    out['perplexityInterval95'] = [math.exp(m - Z95 * se), math.exp(m + Z95 * se)]
    if boot is not None:
        Bn, seed = boot['resamples'], boot['seed']
        idx = np.nonzero(keep)[0]
        SW, SL, SC, SB = np.zeros(Bn), np.zeros(Bn), np.zeros(Bn), np.zeros(Bn)
        TP, D = np.zeros((Bn, C)), np.zeros((Bn, C))
        t1, p1 = np.eye(C)[ys], np.eye(C)[pred]
        for i, r in enumerate(idx):
            if ws[i] == 0:
                continue
            nb = np.array(poisson_weights(seed, int(r), Bn), dtype=float)
            SW += ws[i] * nb
            SL += ws[i] * nb * loss[i]
            SC += ws[i] * nb * correct[i]
            SB += ws[i] * nb * brier[i]
            TP += np.outer(ws[i] * nb, t1[i] * p1[i])
            D += np.outer(ws[i] * nb, t1[i] + p1[i])
        ok = SW > 0
        nll, acc = SL[ok] / SW[ok], SC[ok] / SW[ok]
        lo, hi = np.percentile(nll, 2.5), np.percentile(nll, 97.5)
        out['bootstrap'] = {'resamples': int(ok.sum()), 'loss': [lo, hi], 'perplexity': [math.exp(lo), math.exp(hi)],
                            'accuracy': [np.percentile(acc, 2.5), np.percentile(acc, 97.5)],
                            'brier': [np.percentile(SB[ok] / SW[ok], 2.5), np.percentile(SB[ok] / SW[ok], 97.5)],
                            'macroF1': macro_f1_interval(TP, D, ok, False) if C <= F1_LIMIT else None}
    logits = [[[int(c), z[r, c]] for c in np.nonzero(z[r])[0]] for r in range(n)] if sparse else z.tolist()
    return {'name': name, 'classes': C, 'topK': k, 'sparse': sparse, 'logits': logits, 'labels': y.tolist(), 'bootstrap': boot,
            'sampleWeight': None if weights is None else w.tolist(), 'expected': out}


cases = [
    case('unweighted', 200, 6, 2, None),
    case('weighted, zeros and ignored rows', 300, 5, 3,
         lambda n: np.where(rng.random(n) < 0.1, 0.0, np.round(rng.gamma(2.0, 1.0, n), 3)), ignore=True,
         boot={'resamples': 200, 'seed': 31}),
    case('two rows', 2, 4, 2, lambda n: np.array([0.5, 2.0])),
    # Class 3 has no row, class 4 exactly one.
    case('an empty class and a class of one row', 60, 5, 2, lambda n: np.round(rng.uniform(0.5, 2, n), 3),
         labels=lambda n: np.concatenate([rng.integers(0, 3, n - 1), [4]])),
    case('1,000 classes', 1500, 1000, 5, None, sparse=True,
         labels=lambda n: np.minimum(rng.geometric(0.01, n) - 1, 999)),
]


def multi_case(name, n, C, weights, soft=False, boot=None):
    """Multi-label logits against 0/1 (or soft) targets: per element the binary cross-entropy from logits."""
    z = logits_of((n, C))
    t = (rng.random((n, C)) < 0.4).astype(float)
    if soft:
        t = np.where(rng.random((n, C)) < 0.3, rng.integers(1, 4, (n, C)) / 4, t)
    w = np.ones(n) if weights is None else weights(n)
    loss = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    p = expit(z)
    pos = (p >= 0.5).astype(float)
    correct = (pos == (t >= 0.5)).astype(float)
    brier = (p - t) ** 2
    row_loss, row_correct, row_brier = loss.mean(1), correct.mean(1), brier.mean(1)
    out = {}
    for key, x in [('nats', row_loss), ('accuracy', row_correct), ('brier', row_brier)]:
        m, se = wse(x, w)
        out[key] = {'value': m, 'standardError': se}
    every = np.ones(n, dtype=bool)
    out['perClass'] = per_class(C, t, pos, lambda j: loss[:, j], lambda j: correct[:, j], lambda j: p[:, j], w,
                                lambda j: every)
    live = w > 0
    out['averages'] = multi_averages(t[live], pos[live], loss[live], w[live], C)
    if boot is not None:
        Bn, seed = boot['resamples'], boot['seed']
        S = np.zeros((4, Bn))
        TP, D = np.zeros((Bn, C)), np.zeros((Bn, C))
        for r in range(n):
            if w[r] == 0:
                continue
            nb = np.array(poisson_weights(seed, r, Bn), dtype=float) * w[r]
            S += np.outer([1, row_loss[r], row_correct[r], row_brier[r]], nb)
            TP += np.outer(nb, t[r] * pos[r])
            D += np.outer(nb, t[r] + pos[r])
        ok = S[0] > 0
        q = lambda v: [np.percentile(v[ok] / S[0][ok], 2.5), np.percentile(v[ok] / S[0][ok], 97.5)]
        lo, hi = q(S[1])
        out['bootstrap'] = {'resamples': int(ok.sum()), 'loss': [lo, hi], 'perplexity': [math.exp(lo), math.exp(hi)],
                            'accuracy': q(S[2]), 'brier': q(S[3]),
                            'macroF1': macro_f1_interval(TP, D, ok, True) if C <= F1_LIMIT else None}
    return {'name': name, 'classes': C, 'logits': z.tolist(), 'targets': t.tolist(), 'bootstrap': boot,
            'sampleWeight': None if weights is None else w.tolist(), 'expected': out}


multi = [
    multi_case('multi-label, weighted, bootstrap', 120, 5,
               lambda n: np.where(rng.random(n) < 0.1, 0.0, np.round(rng.gamma(2.0, 1.0, n), 3)),
               boot={'resamples': 150, 'seed': 9}),
    multi_case('multi-label, soft targets', 80, 4, None, soft=True),
    # Above 16 labels the state keeps no joint moments: the averages' errors of precision, recall and F1 are unknown.
    multi_case('multi-label, 20 labels', 90, 20, lambda n: np.round(rng.uniform(0.5, 2, n), 3)),
]
# Cases of the bootstrap's macro F1, after the others (the rows above stay as they were).
cases += [
    # Class 9 is neither a label nor ever predicted (left out of the averages), class 8 has a single row (so in some
    # resamples it has no label, and only predictions if any).
    case('bootstrap, unweighted, 10 classes: one never seen, one of a single row', 400, 10, 3, None,
         labels=lambda n: np.concatenate([rng.integers(0, 8, n - 1), [8]]), never=[9],
         boot={'resamples': 300, 'seed': 4242}),
    # The class limit of the macro F1's interval.
    case('bootstrap, weighted, 32 classes', 600, 32, 5, lambda n: np.round(rng.gamma(2.0, 1.0, n), 3),
         boot={'resamples': 120, 'seed': 77}),
]
with open(OUT, 'w') as f:
    json.dump({'cases': cases, 'multiLabelCases': multi}, f, default=float)
print('wrote', OUT)
