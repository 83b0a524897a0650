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
weighted mean loss, its exp, and accuracy. Deterministic (fixed seed).
"""
import json
import math
import os

import numpy as np
from scipy.special import logsumexp, softmax

from compare_fixtures import weights as poisson_weights

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'eval-se.json')
Z95 = 1.959963984540054
rng = np.random.default_rng(20261209)


def wse(x, w):
    W = w.sum()
    m = (w * x).sum() / W
    neff = W * W / (w * w).sum()
    if neff <= 1:
        return m, math.nan
    return m, math.sqrt((w * w * (x - m) ** 2).sum() / (W * W) * neff / (neff - 1))


def case(name, n, C, k, weights, ignore=False, boot=None):
    z = np.round(rng.normal(0, 2, (n, C)), 4)
    y = rng.integers(0, C, n)
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
        SW, SL, SC = np.zeros(Bn), np.zeros(Bn), np.zeros(Bn)
        for i, r in enumerate(idx):
            if ws[i] == 0:
                continue
            nb = np.array(poisson_weights(seed, int(r), Bn), dtype=float)
            SW += ws[i] * nb
            SL += ws[i] * nb * loss[i]
            SC += ws[i] * nb * correct[i]
        ok = SW > 0
        nll, acc = SL[ok] / SW[ok], SC[ok] / SW[ok]
        lo, hi = np.percentile(nll, 2.5), np.percentile(nll, 97.5)
        out['bootstrap'] = {'resamples': int(ok.sum()), 'loss': [lo, hi], 'perplexity': [math.exp(lo), math.exp(hi)],
                            'accuracy': [np.percentile(acc, 2.5), np.percentile(acc, 97.5)]}
    return {'name': name, 'classes': C, 'topK': k, 'logits': z.tolist(), 'labels': y.tolist(), 'bootstrap': boot,
            'sampleWeight': None if weights is None else w.tolist(), 'expected': out}


cases = [
    case('unweighted', 200, 6, 2, None),
    case('weighted, zeros and ignored rows', 300, 5, 3,
         lambda n: np.where(rng.random(n) < 0.1, 0.0, np.round(rng.gamma(2.0, 1.0, n), 3)), ignore=True,
         boot={'resamples': 200, 'seed': 31}),
    case('two rows', 2, 4, 2, lambda n: np.array([0.5, 2.0])),
]
with open(OUT, 'w') as f:
    json.dump({'cases': [{k: (float(v) if isinstance(v, np.floating) else v) for k, v in c.items()} for c in cases]}, f,
              default=float)
print('wrote', OUT)
