#!/usr/bin/env python3
"""Generate the reference fixtures of the xent test suite.

    python3 scripts/fixtures.py        # writes test/fixtures/published.json and test/fixtures/computed.json

Every expected value is computed here in float64 with NumPy / SciPy, independently of xent and of
test/reference.ts. `published.json` also keeps the number exactly as printed by its source (with the
tolerance its printed precision allows). `exact32` is the same computation on the float32-rounded inputs:
the value a Float32Array call must reproduce within 1e-6 relative.

The tests never run Python: they read the JSON committed next to them. Re-run this script (NumPy >= 1.20,
SciPy >= 1.7) when a case is added; the output is deterministic (fixed seed).
"""
import json
import math
import os

import numpy as np
from scipy.special import log_softmax, logsumexp, rel_entr, softmax
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy as sp_entropy

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures')


def enc(v):
    """JSON-safe float64: infinities and NaN as strings, arrays as lists."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return [enc(x) for x in np.asarray(v, dtype=object).tolist()] if isinstance(v, np.ndarray) \
            else [enc(x) for x in v]
    if isinstance(v, dict):
        return {k: enc(x) for k, x in v.items()}
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


def f32(a):
    """Round to float32 and come back to float64: the values a Float32Array actually holds."""
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


def a64(a):
    return np.asarray(a, dtype=np.float64)


# --------------------------------------------------------------------------------------------------------
# Plain NumPy formulas for the losses (PyTorch's definitions; see the API brief and SEMANTICS.md).
# --------------------------------------------------------------------------------------------------------

def reduce_(L, D, reduction):
    L = a64(L)
    D = a64(D)
    if reduction == 'none':
        return L
    if reduction == 'sum':
        return float(L.sum())
    with np.errstate(invalid='ignore', divide='ignore'):
        return float(L.sum() / D.sum())


def class_terms(neglogp, target, weight, sample_weight, ignore_index, smoothing, dense):
    """Per-row weighted loss L and counted weight D for a matrix of -log p (softmax CE, categorical, NLL).

    Integer labels: L = sw * ((1-e) w_y (-log p_y) + e/C sum_j w_j (-log p_j)), D = sw * w_y (ignored: 0, 0).
    Dense targets:  L = sw * sum_j w_j ((1-e) t_j + e/C) (-log p_j),           D = sw * sum_j w_j t_j.
    Terms whose coefficient is 0 contribute 0 (so 0 * inf = 0).
    """
    N, C = neglogp.shape
    w = np.ones(C) if weight is None else a64(weight)
    sw = np.ones(N) if sample_weight is None else a64(sample_weight)
    L = np.zeros(N)
    D = np.zeros(N)
    for r in range(N):
        if dense:
            t = a64(target[r])
            c = w * ((1 - smoothing) * t + smoothing / C)
            L[r] = sw[r] * sum(c[j] * neglogp[r, j] for j in range(C) if c[j] != 0)
            D[r] = sw[r] * float((w * t).sum())
        else:
            y = int(target[r])
            if ignore_index is not None and y == ignore_index:
                continue
            l = (1 - smoothing) * w[y] * neglogp[r, y] if (1 - smoothing) * w[y] != 0 else 0.0
            if smoothing > 0:
                l += smoothing / C * sum(w[j] * neglogp[r, j] for j in range(C) if w[j] != 0)
            L[r] = sw[r] * l
            D[r] = sw[r] * w[y]
    return L, D


def softmax_ce(logits, target, o, dense=False):
    x = a64(logits) / o.get('temperature', 1.0)
    with np.errstate(divide='ignore'):
        neglogp = -log_softmax(x, axis=1)
    L, D = class_terms(neglogp, target, o.get('weight'), o.get('sampleWeight'), o.get('ignoreIndex'),
                       o.get('labelSmoothing', 0.0), dense)
    return scale(reduce_(L, D, o.get('reduction', 'mean')), o)


def categorical_ce(probs, target, o, dense=False):
    q = a64(probs)
    if o.get('normalize'):
        q = q / q.sum(axis=1, keepdims=True)
    eps = o.get('eps', 0.0)
    if eps > 0:
        q = np.clip(q, eps, 1 - eps)
    with np.errstate(divide='ignore'):
        neglogp = -np.log(q)
    L, D = class_terms(neglogp, target, o.get('weight'), o.get('sampleWeight'), o.get('ignoreIndex'),
                       o.get('labelSmoothing', 0.0), dense)
    return scale(reduce_(L, D, o.get('reduction', 'mean')), o)


def nll(logprobs, target, o, dense=False):
    L, D = class_terms(-a64(logprobs), target, o.get('weight'), o.get('sampleWeight'), o.get('ignoreIndex'),
                       o.get('labelSmoothing', 0.0), dense)
    return scale(reduce_(L, D, o.get('reduction', 'mean')), o)


def elem_weights(N, C, o):
    W = np.ones((N, C))
    if o.get('weight') is not None:
        w = a64(o['weight'])
        W = W * (w.reshape(1, C) if w.size == C else w.reshape(N, C))
    if o.get('sampleWeight') is not None:
        W = W * a64(o['sampleWeight']).reshape(N, 1)
    return W


def binary_ce(probs, target, o):
    p = a64(probs)
    t = a64(target)
    e = o.get('labelSmoothing', 0.0)
    t = t * (1 - e) + e / 2
    eps = o.get('eps', 0.0)
    if eps > 0:
        p = np.clip(p, eps, 1 - eps)
    with np.errstate(divide='ignore', invalid='ignore'):
        a = np.where(t == 0, 0.0, t * np.log(p))
        b = np.where(t == 1, 0.0, (1 - t) * np.log1p(-p))
    l = -(a + b)
    return elementwise_reduce(l, o)


def sigmoid_ce(logits, target, o):
    x = a64(logits)
    t = a64(target)
    e = o.get('labelSmoothing', 0.0)
    t = t * (1 - e) + e / 2
    C = x.shape[-1] if x.ndim == 2 else 1
    pw = np.ones(C) if o.get('posWeight') is None else a64(o['posWeight'])
    pw = pw.reshape((1, C)) if x.ndim == 2 else pw
    # PyTorch: (1 - t) x + (1 + (pw - 1) t) * (log1p(exp(-|x|)) + max(-x, 0))
    c = 1 + (pw - 1) * t
    l = (1 - t) * x + c * (np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0))
    return elementwise_reduce(l, o)


def elementwise_reduce(l, o):
    l2 = l.reshape(-1, l.shape[-1]) if l.ndim == 2 else l.reshape(-1, 1)
    N, C = l2.shape
    if l.ndim == 1:
        # a flat vector is N independent examples: weight (if any) is per example
        W = np.ones((N, 1))
        if o.get('weight') is not None:
            W = W * a64(o['weight']).reshape(N, 1)
        if o.get('sampleWeight') is not None:
            W = W * a64(o['sampleWeight']).reshape(N, 1)
    else:
        W = elem_weights(N, C, o)
    L = (W * l2).reshape(-1)
    r = reduce_(L, W.reshape(-1), o.get('reduction', 'mean'))
    return scale(r, o)


def scale(r, o):
    b = o.get('base')
    if b is None:
        return r
    return r / math.log(b)


def perplexity(logits, labels, o):
    oo = dict(o)
    oo['reduction'] = 'mean'
    return math.exp(softmax_ce(logits, labels, oo))


def run(fn, args, opts, round32=False):
    """Compute the expected value of one call. round32: float arguments rounded to float32 first."""
    o = dict(opts or {})
    o.pop('classes', None)
    cv = f32 if round32 else a64
    if fn == 'softmaxCrossEntropy':
        dense = not np.isscalar(args[1]) and np.asarray(args[1]).ndim == 2
        x = cv(args[0])
        single = x.ndim == 1
        x2 = x.reshape(1, -1) if single else x
        t = [args[1]] if np.isscalar(args[1]) else (cv(args[1]) if dense else args[1])
        if single and not np.isscalar(args[1]):
            t = cv(args[1]).reshape(1, -1)
            dense = True
        return softmax_ce(x2, t, o, dense)
    if fn in ('categoricalCrossEntropy', 'nllLoss'):
        x = cv(args[0])
        single = x.ndim == 1
        x2 = x.reshape(1, -1) if single else x
        tgt = args[1]
        dense = not np.isscalar(tgt) and (single or np.asarray(tgt).ndim == 2)
        t = [tgt] if np.isscalar(tgt) else (cv(tgt).reshape(x2.shape) if dense else tgt)
        f = categorical_ce if fn == 'categoricalCrossEntropy' else nll
        return f(x2, t, o, dense)
    if fn == 'binaryCrossEntropy':
        return binary_ce(cv(args[0]), a64(args[1]), o)
    if fn == 'sigmoidCrossEntropy':
        return sigmoid_ce(cv(args[0]), a64(args[1]), o)
    if fn == 'perplexity':
        return perplexity(cv(args[0]), args[1], o)
    raise ValueError(fn)


# --------------------------------------------------------------------------------------------------------
# Published values
# --------------------------------------------------------------------------------------------------------

LN2 = math.log(2)
published = []


def pub(id_, source, fn, args, opts, published_value, exact, exact32=None, abs_tol=None, rel_tol=None,
        float_args=(0,), note=None):
    published.append({
        'id': id_, 'source': source, 'fn': fn, 'args': enc(list(args)), 'opts': enc(opts or {}),
        'floatArgs': list(float_args),
        'published': enc(published_value), 'publishedAbsTol': abs_tol, 'publishedRelTol': rel_tol,
        'exact': enc(exact), 'exact32': enc(exact if exact32 is None else exact32),
        **({'note': note} if note else {}),
    })


# 1. The core issue's worked example (bits).
p = [0.10, 0.40, 0.50]
q = [0.80, 0.15, 0.05]
SRC_Q = 'xent core issue (worked example, printed to 3 decimals)'
for id_, fn, a, b, val, ex in [
    ('issue-H(p,q)', 'crossEntropy', p, q, 3.288, -np.sum(a64(p) * np.log2(q))),
    ('issue-H(q,p)', 'crossEntropy', q, p, 2.906, -np.sum(a64(q) * np.log2(p))),
    ('issue-KL(p||q)', 'klDivergence', p, q, 1.927, np.sum(rel_entr(p, q)) / LN2),
]:
    ex32 = (-np.sum(f32(a) * np.log2(f32(b))) if fn == 'crossEntropy' else np.sum(rel_entr(f32(a), f32(b))) / LN2)
    pub(id_, SRC_Q, fn, [a, b], {'base': 2}, val, ex, ex32, abs_tol=5e-4, float_args=(0, 1))
for id_, a, val in [('issue-H(p)', p, 1.361), ('issue-H(q)', q, 0.884)]:
    pub(id_, SRC_Q, 'entropy', [a], {'base': 2}, val, sp_entropy(a, base=2), sp_entropy(f32(a), base=2),
        abs_tol=5e-4)

# 2. Uniform p over 4 (bits): exact rationals.
SRC_U = 'xent core issue (uniform p over 4 outcomes, exact values)'
u = [0.25] * 4
q1 = [1 / 4, 1 / 2, 1 / 8, 1 / 8]
q2 = [1 / 4, 1 / 4, 1 / 8, 3 / 8]
pub('uniform-H(p,p)', SRC_U, 'crossEntropy', [u, u], {'base': 2}, 2.0, -np.sum(a64(u) * np.log2(u)), abs_tol=1e-15,
    float_args=(0, 1))
pub('uniform-H(p,q1)', SRC_U, 'crossEntropy', [u, q1], {'base': 2}, 9 / 4, -np.sum(a64(u) * np.log2(q1)),
    abs_tol=1e-15, float_args=(0, 1))
pub('uniform-H(p,q2)', SRC_U, 'crossEntropy', [u, q2], {'base': 2}, (10 - math.log2(3)) / 4,
    -np.sum(a64(u) * np.log2(q2)), -np.sum(a64(u) * np.log2(f32(q2))), abs_tol=1e-14, float_args=(0, 1))

# 3. Self-information in nats (printed to 2 decimals).
si = [0.7, 0.2, 0.1]
pub('self-information', 'xent core issue (self-information in nats, 2 decimals)', 'information', [si], {},
    [0.36, 1.61, 2.30], -np.log(si), -np.log(f32(si)), abs_tol=5e-3)

# 4. Binary classification example (3 decimals).
SRC_B = 'xent core issue (binary cross-entropy of 10 examples, 3 decimals)'
yb = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
pb = [0.8, 0.9, 0.9, 0.6, 0.8, 0.1, 0.4, 0.2, 0.1, 0.3]
pub('bce-10-mean', SRC_B, 'binaryCrossEntropy', [pb, yb], {}, 0.247, run('binaryCrossEntropy', [pb, yb], {}),
    run('binaryCrossEntropy', [pb, yb], {}, True), abs_tol=5e-4)
pub('bce-10-none', SRC_B, 'binaryCrossEntropy', [pb, yb], {'reduction': 'none'},
    [0.223, 0.105, 0.105, 0.511, 0.223, 0.105, 0.511, 0.223, 0.105, 0.357],
    run('binaryCrossEntropy', [pb, yb], {'reduction': 'none'}),
    run('binaryCrossEntropy', [pb, yb], {'reduction': 'none'}, True), abs_tol=5e-4)

# 5. One-hot and multi-label.
SRC_O = 'xent core issue (one-hot and multi-label examples, 3 decimals)'
pub('onehot-0.511', SRC_O, 'categoricalCrossEntropy', [[0.3, 0.6, 0.1], [0, 1, 0]], {}, 0.511, -math.log(0.6),
    -math.log(f32([0.6])[0]), abs_tol=5e-4)
pub('onehot-label-0.511', SRC_O, 'categoricalCrossEntropy', [[0.3, 0.6, 0.1], 1], {}, 0.511, -math.log(0.6),
    -math.log(f32([0.6])[0]), abs_tol=5e-4)
ml_p, ml_t = [0.1, 0.7, 0.8], [0, 1, 1]
pub('multilabel-0.685', SRC_O, 'binaryCrossEntropy', [ml_p, ml_t], {'reduction': 'sum'}, 0.685,
    run('binaryCrossEntropy', [ml_p, ml_t], {'reduction': 'sum'}),
    run('binaryCrossEntropy', [ml_p, ml_t], {'reduction': 'sum'}, True), abs_tol=5e-4)

# 6. Likelihood example (fifth row corrected per DESIGN.md).
SRC_L = 'xent core issue (likelihood example; fifth row as corrected in DESIGN.md)'
lrows = [[.96, .02, .01, .01], [.1, .8, .02, .08], [.2, .1, .1, .6], [.7, .1, .1, .1], [.001, .009, .8, .19]]
llab = [0, 1, 3, 0, 2]
pub('likelihood-sum', SRC_L, 'categoricalCrossEntropy', [lrows, llab], {'reduction': 'sum'},
    -(math.log(.96) + math.log(.8) + math.log(.6) + math.log(.7) + math.log(.8)),
    run('categoricalCrossEntropy', [lrows, llab], {'reduction': 'sum'}),
    run('categoricalCrossEntropy', [lrows, llab], {'reduction': 'sum'}, True), abs_tol=1e-14)

# 7. Documentation examples of other libraries.
SK = 'scikit-learn sklearn.metrics.log_loss docstring (prints 0.21616...)'
sk_rows = [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]
sk_lab = [1, 0, 0, 1]  # ["spam", "ham", "ham", "spam"], classes sorted: ham = 0, spam = 1
pub('sklearn-log_loss', SK, 'categoricalCrossEntropy', [sk_rows, sk_lab], {}, 0.21616,
    run('categoricalCrossEntropy', [sk_rows, sk_lab], {}), run('categoricalCrossEntropy', [sk_rows, sk_lab], {}, True),
    abs_tol=1e-5, note='printed truncated: 0.21616...')

pub('scipy-logsumexp-arange10', 'SciPy scipy.special.logsumexp docstring: logsumexp(np.arange(10))', 'logSumExp',
    [list(range(10))], {}, 9.4586297444267107, logsumexp(np.arange(10.0)), rel_tol=1e-13)
x_sm = [1, 0.5, 0.2, 3, 1, -1, 7, 3, 2, 12, 13, 3]
pub('scipy-softmax-whole-array', 'SciPy scipy.special.softmax docstring: softmax(x) over the entire 3x4 array '
    '(printed with precision=5)', 'softmax', [x_sm], {},
    [4.48309e-06, 2.71913e-06, 2.01438e-06, 3.31258e-05, 4.48309e-06, 6.06720e-07, 1.80861e-03, 3.31258e-05,
     1.21863e-05, 2.68421e-01, 7.29644e-01, 3.31258e-05], softmax(a64(x_sm)), rel_tol=1e-5)
pub('scipy-softmax-axis1', 'SciPy scipy.special.softmax docstring input, softmax along axis=1 (recomputed)',
    'softmax', [[x_sm[0:4], x_sm[4:8], x_sm[8:12]]], {},
    softmax(a64(x_sm).reshape(3, 4), axis=1).reshape(-1), softmax(a64(x_sm).reshape(3, 4), axis=1).reshape(-1),
    rel_tol=1e-13)
pub('scipy-log_softmax-1000', 'SciPy scipy.special.log_softmax docstring: log_softmax([1000.0, 1.0])', 'logSoftmax',
    [[1000.0, 1.0]], {}, [0.0, -999.0], log_softmax([1000.0, 1.0]), abs_tol=1e-12)
pub('scipy-entropy-fair-coin', 'SciPy scipy.stats.entropy docstring: entropy([1/2, 1/2], base=2)', 'entropy',
    [[0.5, 0.5]], {'base': 2}, 1.0, sp_entropy([0.5, 0.5], base=2), rel_tol=1e-15)
pub('scipy-entropy-biased-coin', 'SciPy scipy.stats.entropy docstring: entropy([9/10, 1/10], base=2)', 'entropy',
    [[9 / 10, 1 / 10]], {'base': 2}, 0.46899559358928117, sp_entropy([9 / 10, 1 / 10], base=2),
    sp_entropy(f32([9 / 10, 1 / 10]), base=2), rel_tol=1e-13)
pub('scipy-entropy-relative', 'SciPy scipy.stats.entropy docstring: entropy([1/2, 1/2], qk=[9/10, 1/10])',
    'klDivergence', [[0.5, 0.5], [9 / 10, 1 / 10]], {}, 0.5108256237659907,
    sp_entropy([0.5, 0.5], [9 / 10, 1 / 10]), sp_entropy([0.5, 0.5], f32([9 / 10, 1 / 10])), rel_tol=1e-13,
    float_args=(0, 1))
pub('scipy-jensenshannon-disjoint', 'SciPy scipy.spatial.distance.jensenshannon docstring: '
    'jensenshannon([1,0,0],[0,1,0], 2.0) = 1.0 (distance; divergence = its square)', 'jsDivergence',
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], {'base': 2}, 1.0, jensenshannon([1, 0, 0], [0, 1, 0], 2.0) ** 2,
    rel_tol=1e-14, float_args=(0, 1))
pub('scipy-jensenshannon-half', 'SciPy scipy.spatial.distance.jensenshannon docstring: '
    'jensenshannon([1.0, 0.0], [0.5, 0.5]) = 0.46450140402245893 (squared: the divergence in nats)', 'jsDivergence',
    [[1.0, 0.0], [0.5, 0.5]], {}, 0.46450140402245893 ** 2, jensenshannon([1.0, 0.0], [0.5, 0.5]) ** 2,
    rel_tol=1e-13, float_args=(0, 1))
pub('scipy-jensenshannon-identical', 'SciPy scipy.spatial.distance.jensenshannon docstring: identical -> 0.0',
    'jsDivergence', [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], {}, 0.0, 0.0, abs_tol=0.0, float_args=(0, 1))

K_CCE = 'Keras / tf.keras.losses.categorical_crossentropy docstring (y_pred has no clipped entry with t > 0)'
k_t = [[0, 1, 0], [0, 0, 1]]
k_p = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
pub('keras-cce-none', K_CCE, 'categoricalCrossEntropy', [k_p, k_t], {'reduction': 'none'}, [0.0513, 2.303],
    run('categoricalCrossEntropy', [k_p, k_t], {'reduction': 'none'}),
    run('categoricalCrossEntropy', [k_p, k_t], {'reduction': 'none'}, True), abs_tol=5e-4, float_args=(0, 1))
pub('keras-cce-mean', 'Keras CategoricalCrossentropy docstring: cce(y_true, y_pred) = 1.177', 'categoricalCrossEntropy',
    [k_p, k_t], {}, 1.177, run('categoricalCrossEntropy', [k_p, k_t], {}),
    run('categoricalCrossEntropy', [k_p, k_t], {}, True), abs_tol=5e-4, float_args=(0, 1))
pub('keras-scce-mean', 'Keras SparseCategoricalCrossentropy docstring: y_true = [1, 2] -> 1.177',
    'categoricalCrossEntropy', [k_p, [1, 2]], {}, 1.177, run('categoricalCrossEntropy', [k_p, [1, 2]], {}),
    run('categoricalCrossEntropy', [k_p, [1, 2]], {}, True), abs_tol=5e-4)
ko_t = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
ko_p = [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5]]
pub('keras-ops-cce', 'Keras keras.ops.categorical_crossentropy docstring (float32 output printed)',
    'categoricalCrossEntropy', [ko_p, ko_t], {'reduction': 'none'}, [0.10536054, 0.22314355, 0.6931472],
    run('categoricalCrossEntropy', [ko_p, ko_t], {'reduction': 'none'}),
    run('categoricalCrossEntropy', [ko_p, ko_t], {'reduction': 'none'}, True), rel_tol=5e-7, float_args=(0, 1))
kb_p = [[.9, .05, .05], [.5, .89, .6], [.05, .01, .94]]
pub('keras-backend-cce-normalize', 'tf.keras.backend.categorical_crossentropy docstring (Keras renormalises each '
    'row; here normalize: true)', 'categoricalCrossEntropy', [kb_p, ko_t], {'reduction': 'none', 'normalize': True},
    [0.10536055, 0.8046684, 0.06187541],
    run('categoricalCrossEntropy', [kb_p, ko_t], {'reduction': 'none', 'normalize': True}),
    run('categoricalCrossEntropy', [kb_p, ko_t], {'reduction': 'none', 'normalize': True}, True), rel_tol=5e-7,
    float_args=(0, 1))
K_BCE = 'tf.keras.losses.binary_crossentropy docstring: per-row means [0.916, 0.714] of [[0,1],[0,0]] vs ' \
        '[[0.6,0.4],[0.4,0.6]]'
pub('keras-bce-row0', K_BCE, 'binaryCrossEntropy', [[0.6, 0.4], [0, 1]], {}, 0.916,
    run('binaryCrossEntropy', [[0.6, 0.4], [0, 1]], {}), run('binaryCrossEntropy', [[0.6, 0.4], [0, 1]], {}, True),
    abs_tol=5e-4)
pub('keras-bce-row1', K_BCE, 'binaryCrossEntropy', [[0.4, 0.6], [0, 0]], {}, 0.714,
    run('binaryCrossEntropy', [[0.4, 0.6], [0, 0]], {}), run('binaryCrossEntropy', [[0.4, 0.6], [0, 0]], {}, True),
    abs_tol=5e-4)
kbp = [[0.6, 0.4], [0.4, 0.6]]
kbt = [[0, 1], [0, 0]]
pub('keras-bce-mean', 'Keras BinaryCrossentropy docstring: bce(y_true, y_pred) = 0.815', 'binaryCrossEntropy',
    [kbp, kbt], {}, 0.815, run('binaryCrossEntropy', [a64(kbp), a64(kbt)], {}),
    run('binaryCrossEntropy', [a64(kbp), a64(kbt)], {}, True), abs_tol=5e-4, float_args=(0, 1))
kl_x = [-18.6, 0.51, 2.94, -12.8]
kl_t = [0, 1, 0, 0]
pub('keras-bce-logits', 'Keras BinaryCrossentropy(from_logits=True) docstring, example 1: 0.865',
    'sigmoidCrossEntropy', [kl_x, kl_t], {}, 0.865, run('sigmoidCrossEntropy', [kl_x, kl_t], {}),
    run('sigmoidCrossEntropy', [kl_x, kl_t], {}, True), abs_tol=5e-4)
ko_bt = [0, 1, 1, 0]
ko_bp = [0.1, 0.9, 0.8, 0.2]
pub('keras-ops-bce', 'Keras keras.ops.binary_crossentropy docstring (float32 output printed)', 'binaryCrossEntropy',
    [ko_bp, ko_bt], {'reduction': 'none'}, [0.10536054, 0.10536054, 0.22314355, 0.22314355],
    run('binaryCrossEntropy', [ko_bp, ko_bt], {'reduction': 'none'}),
    run('binaryCrossEntropy', [ko_bp, ko_bt], {'reduction': 'none'}, True), rel_tol=5e-7)

# --------------------------------------------------------------------------------------------------------
# Computed cases: options and reductions, NumPy formulas (PyTorch semantics), seeded random inputs.
# --------------------------------------------------------------------------------------------------------

rng = np.random.default_rng(20240611)
computed = []


def case(id_, fn, args, opts, float_args=(0,), note=None):
    # With an eps clip the bound 1 - eps is itself a float32 number in a float32 call: no float32 expectation.
    e32 = None if opts.get('eps') else enc(run(fn, args, opts, True))
    computed.append({
        'id': id_, 'fn': fn, 'args': enc(list(args)), 'opts': enc(opts), 'floatArgs': list(float_args),
        'expected': enc(run(fn, args, opts)), 'expected32': e32,
        **({'note': note} if note else {}),
    })


def rand_logits(n, c, s=3.0):
    return (rng.standard_normal((n, c)) * s).round(6).tolist()


def rand_probs(n, c):
    a = rng.random((n, c)) + 0.05
    return (a / a.sum(axis=1, keepdims=True)).tolist()


N, C = 6, 5
X = rand_logits(N, C)
Y = [int(v) for v in rng.integers(0, C, N)]
W = [0.5, 2.0, 1.0, 0.25, 3.0]
SW = [1.0, 0.5, 2.0, 0.0, 1.5, 3.0]
T_dense = np.eye(C)[Y].tolist()
T_soft = rand_probs(N, C)

for red in ('mean', 'sum', 'none'):
    case(f'sce-labels-{red}', 'softmaxCrossEntropy', [X, Y], {'reduction': red})
    case(f'sce-weight-{red}', 'softmaxCrossEntropy', [X, Y], {'reduction': red, 'weight': W})
    case(f'sce-weight-sample-{red}', 'softmaxCrossEntropy', [X, Y], {'reduction': red, 'weight': W, 'sampleWeight': SW})
    case(f'sce-smooth-{red}', 'softmaxCrossEntropy', [X, Y], {'reduction': red, 'labelSmoothing': 0.1})
    case(f'sce-smooth-weight-{red}', 'softmaxCrossEntropy', [X, Y],
         {'reduction': red, 'labelSmoothing': 0.2, 'weight': W},
         note='PyTorch rule: (1-e) w_y (-log p_y) + e/C sum_j w_j (-log p_j); mean divides by sum w_y')
    case(f'sce-smooth-weight-sample-{red}', 'softmaxCrossEntropy', [X, Y],
         {'reduction': red, 'labelSmoothing': 0.3, 'weight': W, 'sampleWeight': SW})
    case(f'sce-dense-onehot-smooth-weight-{red}', 'softmaxCrossEntropy', [X, T_dense],
         {'reduction': red, 'labelSmoothing': 0.2, 'weight': W}, float_args=(0, 1))
    case(f'sce-soft-{red}', 'softmaxCrossEntropy', [X, T_soft], {'reduction': red}, float_args=(0, 1))
    case(f'sce-soft-weight-sample-{red}', 'softmaxCrossEntropy', [X, T_soft],
         {'reduction': red, 'weight': W, 'sampleWeight': SW}, float_args=(0, 1))
    Yi = list(Y)
    Yi[1] = -100
    Yi[4] = -100
    case(f'sce-ignore-{red}', 'softmaxCrossEntropy', [X, Yi], {'reduction': red, 'ignoreIndex': -100})
    Yj = list(Y)
    Yj[2] = 3
    Yj[0] = 3
    case(f'sce-ignore-in-range-weight-smooth-{red}', 'softmaxCrossEntropy', [X, Yj],
         {'reduction': red, 'ignoreIndex': 3, 'weight': W, 'labelSmoothing': 0.1})
    case(f'sce-temperature-{red}', 'softmaxCrossEntropy', [X, Y], {'reduction': red, 'temperature': 2.5})
    case(f'sce-base2-{red}', 'softmaxCrossEntropy', [X, Y], {'reduction': red, 'base': 2})

P = rand_probs(N, C)
for red in ('mean', 'sum', 'none'):
    case(f'cce-labels-{red}', 'categoricalCrossEntropy', [P, Y], {'reduction': red})
    case(f'cce-weight-sample-{red}', 'categoricalCrossEntropy', [P, Y], {'reduction': red, 'weight': W, 'sampleWeight': SW})
    case(f'cce-smooth-weight-{red}', 'categoricalCrossEntropy', [P, Y], {'reduction': red, 'labelSmoothing': 0.15, 'weight': W})
    case(f'cce-dense-{red}', 'categoricalCrossEntropy', [P, T_soft], {'reduction': red}, float_args=(0, 1))
    LP = np.log(a64(P)).tolist()
    case(f'nll-labels-{red}', 'nllLoss', [LP, Y], {'reduction': red})
    case(f'nll-weight-sample-{red}', 'nllLoss', [LP, Y], {'reduction': red, 'weight': W, 'sampleWeight': SW})
    case(f'nll-dense-smooth-{red}', 'nllLoss', [LP, T_soft], {'reduction': red, 'labelSmoothing': 0.1},
         float_args=(0, 1))
Praw = (a64(P) * a64([[1.7], [0.3], [2.0], [1.0], [0.9], [4.0]])).tolist()
case('cce-normalize', 'categoricalCrossEntropy', [Praw, Y], {'normalize': True, 'reduction': 'none'})
Pz = [list(r) for r in P]
Pz[0] = [0.0, 0.5, 0.5, 0.0, 0.0]
Pz[1] = [1.0, 0.0, 0.0, 0.0, 0.0]
Yz = list(Y)
Yz[0] = 1
Yz[1] = 0
case('cce-eps-clip', 'categoricalCrossEntropy', [Pz, [3] + Yz[1:]], {'eps': 1e-7, 'reduction': 'none'},
     note='row 0 has q_y = 0 clipped to eps')

# Binary losses
NB, CB = 5, 4
PB = rng.uniform(0.02, 0.98, (NB, CB)).round(6)
TB = (rng.random((NB, CB)) < 0.5).astype(float)
TB[0, :] = [0.3, 0.7, 1.0, 0.0]  # soft targets are allowed
XB = (rng.standard_normal((NB, CB)) * 4).round(6)
WB = [0.5, 1.0, 2.0, 0.25]
WFULL = rng.uniform(0.1, 2.0, NB * CB).round(4)
SWB = [1.0, 0.0, 2.0, 0.5, 1.0]
PW = [1.0, 3.0, 0.5, 2.0]
for red in ('mean', 'sum', 'none'):
    case(f'bce-{red}', 'binaryCrossEntropy', [PB.tolist(), TB.tolist()], {'classes': CB, 'reduction': red}, (0,))
    case(f'bce-weight-{red}', 'binaryCrossEntropy', [PB.tolist(), TB.tolist()], {'reduction': red, 'weight': WB})
    case(f'bce-weightfull-sample-{red}', 'binaryCrossEntropy', [PB.tolist(), TB.tolist()],
         {'reduction': red, 'weight': WFULL.tolist(), 'sampleWeight': SWB})
    case(f'bce-smooth-{red}', 'binaryCrossEntropy', [PB.tolist(), TB.tolist()], {'reduction': red, 'labelSmoothing': 0.1})
    case(f'bce-eps-{red}', 'binaryCrossEntropy', [[[0.0, 1.0, 0.5, 1e-9]], [[1.0, 0.0, 1.0, 1.0]]],
         {'reduction': red, 'eps': 1e-7})
    case(f'sig-{red}', 'sigmoidCrossEntropy', [XB.tolist(), TB.tolist()], {'reduction': red})
    case(f'sig-posweight-{red}', 'sigmoidCrossEntropy', [XB.tolist(), TB.tolist()], {'reduction': red, 'posWeight': PW})
    case(f'sig-all-{red}', 'sigmoidCrossEntropy', [XB.tolist(), TB.tolist()],
         {'reduction': red, 'posWeight': PW, 'weight': WB, 'sampleWeight': SWB, 'labelSmoothing': 0.2})
    case(f'sig-base10-{red}', 'sigmoidCrossEntropy', [XB.tolist(), TB.tolist()], {'reduction': red, 'base': 10})

XP = rand_logits(8, 7)
YP = [int(v) for v in rng.integers(0, 7, 8)]
case('perplexity', 'perplexity', [XP, YP], {})
YPi = list(YP)
YPi[3] = -1
case('perplexity-ignore', 'perplexity', [XP, YPi], {'ignoreIndex': -1})

# Distributions (SciPy's rel_entr / entropy / jensenshannon), batch reductions computed here too.
div = []
Pd = rand_probs(4, 6)
Qd = rand_probs(4, 6)
Pd[1] = [0.5, 0.5, 0.0, 0.0, 0.0, 0.0]
Qd[2] = [0.0, 0.25, 0.25, 0.25, 0.25, 0.0]
for base in (None, 2, 10):
    o = {} if base is None else {'base': base}
    sc = 1.0 if base is None else math.log(base)
    for name, fun in [
        ('entropy', lambda a, b: -np.sum(np.where(a > 0, a * np.log(np.where(a > 0, a, 1)), 0.0))),
        ('crossEntropy', lambda a, b: -np.sum(np.where(a > 0, a * np.log(np.where(b > 0, b, 0.0) + 0.0), 0.0))),
        ('klDivergence', lambda a, b: np.sum(rel_entr(a, b))),
        ('jsDivergence', lambda a, b: jensenshannon(a, b) ** 2),
    ]:
        for round32 in (False, True):
            cv = f32 if round32 else a64
            with np.errstate(divide='ignore', invalid='ignore'):
                rows = [fun(cv(Pd[r]), cv(Qd[r])) / sc for r in range(4)]
            rows = [float(v) for v in rows]
            key = 'expected32' if round32 else 'expected'
            if not round32:
                entry = {'id': f'{name}-batch-base{base}', 'fn': name,
                         'args': enc([Pd] if name == 'entropy' else [Pd, Qd]), 'opts': o,
                         'floatArgs': [0] if name == 'entropy' else [0, 1]}
            entry[key] = {'none': enc(rows), 'sum': enc(sum(rows)), 'mean': enc(sum(rows) / 4)}
        div.append(entry)

with open(os.path.join(OUT, 'published.json'), 'w') as f:
    json.dump({'generator': 'scripts/fixtures.py', 'numpy': np.__version__, 'cases': published}, f, indent=1)
    f.write('\n')
with open(os.path.join(OUT, 'computed.json'), 'w') as f:
    json.dump({'generator': 'scripts/fixtures.py', 'numpy': np.__version__, 'cases': computed,
               'distributions': div}, f, indent=1)
    f.write('\n')
print(f'published: {len(published)} cases, computed: {len(computed)} cases, distributions: {len(div)} cases')
