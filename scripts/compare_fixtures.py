#!/usr/bin/env python3
"""Generate the reference fixtures of the model comparison (Comparison, `xent compare`).

    python3 scripts/compare_fixtures.py      # writes test/fixtures/compare.json

Every expected value is computed here in float64 with NumPy / SciPy / mpmath from the definitions, independently of
xent: log-softmax with the max taken out and an exactly rounded sum (math.fsum); KL(p || q) per row from mpmath at
50 digits (so rows of near-identical models, where float64 sums of p·(log p - log q) cancel, are exact too);
Jensen-Shannon as scipy.spatial.distance.jensenshannon squared; Δp, top-1 agreement (first index of the max) and the
top-k overlap by counting; means with sample standard deviations (ddof = 1); the paired difference's error from the
per-row differences; McNemar's test as scipy.stats.binomtest(b, b + c, 0.5); percentiles as NumPy's
'inverted_cdf' (the value at rank q·n) for the sketch to approximate; and the paired Poisson bootstrap with the
counter-based generator of src/eval/bootstrap.ts written again here (lowbias32 on uint32 words, inversion on the
Poisson(1) CDF computed with 60-digit decimals), its interval with NumPy's default percentile rule.

Cases are written with their inputs; `exact32` variants hold the computation on the float32-rounded logits (what
a Float32Array call must reproduce). The tests never run Python. Deterministic (fixed seed).
"""
import json
import math
import os
from decimal import Decimal, getcontext

import mpmath
import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import binomtest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'compare.json')
Z95 = 1.959963984540054
rng = np.random.default_rng(20261208)
mpmath.mp.dps = 50


def enc(v):
    """JSON-safe floats: infinities and NaN as strings, recursively."""
    if isinstance(v, dict):
        return {k: enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [enc(x) for x in (v.tolist() if isinstance(v, np.ndarray) else v)]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if v is None or isinstance(v, str):
        return v
    f = float(v)
    if math.isnan(f):
        return 'NaN'
    if math.isinf(f):
        return 'Infinity' if f > 0 else '-Infinity'
    return f


# --- the generator of src/eval/bootstrap.ts, written again ---
M32 = 0xFFFFFFFF


def mix32(x):
    x &= M32
    x ^= x >> 16
    x = (x * 0x7feb352d) & M32
    x ^= x >> 15
    x = (x * 0x846ca68b) & M32
    x ^= x >> 16
    return x


def poisson_cdf_thresholds():
    getcontext().prec = 60
    e1 = Decimal(-1).exp()
    c, f, out = Decimal(0), Decimal(1), []
    for k in range(40):
        if k > 0:
            f /= k
        c += e1 * f
        t = int((c * (2 ** 32)).to_integral_value(rounding='ROUND_CEILING'))
        if t > M32:
            break
        out.append(t)
    return out


CDF = poisson_cdf_thresholds()


def weights(seed, row, B):
    key = mix32(mix32(mix32(seed) ^ (row & M32)) ^ (row >> 32))
    out = []
    for b in range(B):
        u = mix32(key + (b + 1) * 0x9e3779b9)
        out.append(sum(1 for t in CDF if u >= t))
    return out


def summarize(d):
    d = np.sort(np.asarray([x for x in d if not math.isnan(x)]))
    le = int(np.sum(d <= 0))
    ge = int(np.sum(d >= 0))
    return {
        'interval95': [float(np.percentile(d, 2.5)), float(np.percentile(d, 97.5))],
        'pValue': min(1.0, 2 * min(le + 1, ge + 1) / (len(d) + 1)),
        'resamples': len(d),
    }


# --- per-row figures ---
def log_softmax(z):
    m = z.max()
    e = np.exp(z - m)
    return (z - m) - math.log(math.fsum(e))


def kl_exact(za, zb):
    """KL(softmax(za) || softmax(zb)) in mpmath."""
    za = [mpmath.mpf(float(v)) for v in za]
    zb = [mpmath.mpf(float(v)) for v in zb]
    la = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in za))
    lb = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in zb))
    total = mpmath.mpf(0)
    for a, b in zip(za, zb):
        pa = mpmath.exp(a - la)
        if pa == 0:
            continue
        total += pa * ((a - la) - (b - lb))
    return float(total)


def sem(a):
    a = np.asarray(a, dtype=np.float64)
    return float(a.std(ddof=1) / math.sqrt(len(a))) if len(a) > 1 else math.nan


def est(a):
    return {'value': float(np.mean(a)), 'standardError': sem(a)}


def prop(k, n):
    p = k / n
    return {'value': p, 'standardError': math.sqrt(p * (1 - p) / n)}


def quantiles(x):
    x = np.asarray(x)
    q = {name: float(np.percentile(x, p, method='inverted_cdf'))
         for name, p in [('p99_9', 99.9), ('p99', 99), ('p95', 95), ('p90', 90), ('median', 50), ('p10', 10),
                         ('p5', 5), ('p1', 1)]}
    q['max'] = float(x.max())
    q['min'] = float(x.min())
    return q


def expected(A, B, targets, k, boot, shift=False, starts=None):
    n, V = A.shape
    scored = list(targets)
    if shift:
        scored = [-1] * n
        for s0, s1 in zip(starts[:-1], starts[1:]):
            for i in range(s0, s1 - 1):
                scored[i] = targets[i + 1]
    la_l, lb_l, ok_a, ok_b, kab, kba, jsd, dp, agree, ov, rows = [], [], [], [], [], [], [], [], [], [], []
    for r in range(n):
        y = scored[r]
        if y < 0:
            continue
        a, b = A[r], B[r]
        lpa, lpb = log_softmax(a), log_softmax(b)
        la_l.append(-lpa[y])
        lb_l.append(-lpb[y])
        ok_a.append(int(np.sum(a > a[y]) == 0))
        ok_b.append(int(np.sum(b > b[y]) == 0))
        kab.append(kl_exact(a, b))
        kba.append(kl_exact(b, a))
        jsd.append(float(jensenshannon(np.exp(lpa), np.exp(lpb)) ** 2))
        dp.append(math.exp(lpb[y]) - math.exp(lpa[y]))
        agree.append(int(np.argmax(a) == np.argmax(b)))
        ta = set(np.argsort(-a, kind='stable')[:k].tolist())
        tb = set(np.argsort(-b, kind='stable')[:k].tolist())
        ov.append(len(ta & tb) / k)
        rows.append(r + 1 if shift else r)  # the scored target's position keys the draws
    la_l, lb_l = np.array(la_l), np.array(lb_l)
    d = lb_l - la_l
    m = len(la_l)
    ca, cb = sum(ok_a), sum(ok_b)
    only_a = sum(1 for x, y in zip(ok_a, ok_b) if x and not y)
    only_b = sum(1 for x, y in zip(ok_a, ok_b) if y and not x)
    accd = np.array(ok_b, dtype=float) - np.array(ok_a, dtype=float)
    de = est(d)
    out = {
        'rows': m,
        'base': {'loss': est(la_l), 'accuracy': prop(ca, m), 'perplexity': math.exp(np.mean(la_l))},
        'candidate': {'loss': est(lb_l), 'accuracy': prop(cb, m), 'perplexity': math.exp(np.mean(lb_l))},
        'lossDifference': de,
        'lossCorrelation': float(np.corrcoef(la_l, lb_l)[0, 1]),
        'perplexityRatio': {'value': math.exp(de['value']), 'standardError': math.exp(de['value']) * de['standardError']},
        'accuracyDifference': est(accd),
        'mcnemar': {'baseOnly': only_a, 'candidateOnly': only_b,
                    'pValue': binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b > 0 else 1.0},
        'klBaseToCandidate': {**est(kab), 'percentiles': quantiles(kab)},
        'klCandidateToBase': {**est(kba), 'percentiles': quantiles(kba)},
        'jensenShannon': est(jsd),
        'deltaP': {**est(dp), 'rms': math.sqrt(np.mean(np.square(dp))), 'percentiles': quantiles(dp)},
        'top1Agreement': prop(sum(agree), m),
        'topKOverlap': est(ov),
        'perRow': {'kl': kab, 'klBack': kba, 'js': jsd},
    }
    if boot is not None:
        Bn, seed = boot['resamples'], boot['seed']
        W = np.zeros(Bn)
        SA, SB, CA, CB = np.zeros(Bn), np.zeros(Bn), np.zeros(Bn), np.zeros(Bn)
        for i, r in enumerate(rows):
            w = np.array(weights(seed, r, Bn), dtype=float)
            W += w
            SA += w * la_l[i]
            SB += w * lb_l[i]
            CA += w * ok_a[i]
            CB += w * ok_b[i]
        with np.errstate(invalid='ignore', divide='ignore'):
            out['bootstrapLoss'] = summarize(np.where(W > 0, (SB - SA) / W, np.nan))
            out['bootstrapAccuracy'] = summarize(np.where(W > 0, (CB - CA) / W, np.nan))
    return out


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)



def main():
    global cases
    cases = []


    def case(name, A, B, targets, k=1, boot=None, shift=False, seq_len=None):
        starts = None
        if shift:
            n = A.shape[0]
            starts = list(range(0, n, seq_len)) + [n]
        c = {'name': name, 'classes': A.shape[1], 'base': A, 'candidate': B, 'targets': targets, 'topK': k,
             'bootstrap': boot, 'shift': shift, 'sequenceLength': seq_len,
             'expected': expected(A, B, targets, k, boot, shift, starts),
             'exact32': expected(f32(A), f32(B), targets, k, boot, shift, starts)}
        cases.append(c)


    # Two different classifiers, 300 rows of 7 classes, some ignored targets, bootstrap.
    n, V = 300, 7
    A = np.round(rng.normal(0, 2, (n, V)), 4)
    B = np.round(A + rng.normal(0, 0.7, (n, V)), 4)
    t = rng.integers(0, V, n)
    t[rng.random(n) < 0.05] = -100
    case('classifiers', A, B, t.tolist(), k=3, boot={'resamples': 200, 'seed': 7})

    # A quantized language model: near-identical logits (KL ~ 1e-6 .. 1e-4), wide rows, shift within sequences.
    n, V = 36, 256
    A = np.round(rng.normal(0, 3, (n, V)), 3)  # short decimals keep the fixture small; the values are exact as given
    B = np.round(A + rng.normal(0, 0.004, (n, V)), 5)
    t = rng.integers(0, V, n)
    case('near-identical', A, B, t.tolist(), k=5, boot={'resamples': 100, 'seed': 123456789}, shift=True, seq_len=12)

    # Masked logits (-Infinity) in either model where the other keeps mass: KL infinite one way.
    A = rng.normal(0, 1, (6, 5))
    B = A + rng.normal(0, 0.3, (6, 5))
    A[1, 4] = -np.inf
    B[2, 0] = -np.inf
    A[3, 2] = B[3, 2] = -np.inf
    case('masked', A, B, [0, 1, 3, 4, 1, 2])

    # Extremes for the float32 lanes (37 classes: one tail element past the lanes): identical rows (KL exactly 0),
    # huge logit gaps (a confident base, a candidate that disagrees by 40 nats), differences on every scale of
    # t = |log p - log q| (both polynomial ranges and the closed forms), rows shifted by a constant (same KL as
    # unshifted), and maxima 1e5 apart (the float64 path).
    n, V = 10, 37
    A = np.round(rng.normal(0, 3, (n, V)), 3)
    B = A.copy()
    B[1] = np.round(A[1] + rng.normal(0, 1e-3, V), 6)
    A[2, 5], B[2, 5], B[2, 9] = 60.0, 20.0, 45.0
    A[3, 0], B[3, 0] = 40.0, 40.5
    B[4] = np.round(A[4] + rng.normal(0, 0.05, V), 5)
    B[5] = np.round(A[5] + rng.normal(0, 0.5, V), 4)
    B[6] = np.round(A[6] + rng.normal(0, 3, V), 3)
    B[7] = np.round(A[7] + 100 + rng.normal(0, 0.01, V), 4)
    B[8] = np.round(A[8] + 1e5 + rng.normal(0, 0.3, V), 2)
    B[9] = np.round(rng.normal(0, 30, V), 2)
    case('extremes', A, B, [3, 0, 5, 0, 7, 8, 9, 10, 11, 12])

    # The LanguageModelEvaluator's bootstrap on the near-identical case's base logits: token-weighted mean nll,
    # perplexity and accuracy of each resample, keyed by the scored target's position.
    def lm_bootstrap(A, targets, seq_len, Bn, seed):
        n = A.shape[0]
        W, S, Cc = np.zeros(Bn), np.zeros(Bn), np.zeros(Bn)
        for s0 in range(0, n, seq_len):
            for i in range(s0 + 1, s0 + seq_len):
                z, y = A[i - 1], targets[i]
                l = -log_softmax(z)[y]
                ok = float(np.sum(z > z[y]) == 0)
                w = np.array(weights(seed, i, Bn), dtype=float)
                W += w
                S += w * l
                Cc += w * ok
        keep = W > 0
        nll = S[keep] / W[keep]
        acc = Cc[keep] / W[keep]
        lo, hi = np.percentile(nll, 2.5), np.percentile(nll, 97.5)
        return {'resamples': int(keep.sum()), 'loss': [lo, hi], 'perplexity': [math.exp(lo), math.exp(hi)],
                'accuracy': [np.percentile(acc, 2.5), np.percentile(acc, 97.5)]}


    lm_case = cases[1]
    lm = {'resamples': 150, 'seed': 99, 'sequenceLength': lm_case['sequenceLength'],
          'expected': lm_bootstrap(lm_case['base'], lm_case['targets'], lm_case['sequenceLength'], 150, 99)}

    # McNemar's exact test beyond the cases: (b, c) pairs.
    mcnemar = [[b, c, binomtest(b, b + c, 0.5).pvalue] for b, c in
               [(0, 1), (1, 0), (3, 3), (2, 9), (10, 4), (0, 25), (120, 150), (1000, 1100), (50000, 50600), (7, 8)]]

    # The generator's first draws, for a direct test.
    draws = [{'seed': s, 'row': r, 'weights': weights(s, r, 16)} for s, r in
             [(0, 0), (7, 1), (123456789, 2 ** 32 + 5), (4294967295, 2 ** 40 + 17), (1, 9007199254740991)]]

    with open(OUT, 'w') as f:
        json.dump(enc({'cases': cases, 'mcnemar': mcnemar, 'draws': draws, 'cdf': CDF, 'lm': lm}), f)
    print('wrote', OUT, len(cases), 'cases')


if __name__ == '__main__':
    main()
