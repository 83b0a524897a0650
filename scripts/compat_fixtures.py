#!/usr/bin/env python3
"""Generate test/fixtures/compat.json: published values of PyTorch, Keras, TF.js, scikit-learn, SciPy and
torchmetrics (docstring examples and test-suite cases), each with its source, inputs, xent options, the value as
published and a float64 value re-computed here with NumPy/SciPy following that system's own rules (written out
below from the systems' source; nothing here calls xent or the systems themselves).

    python3 scripts/compat_fixtures.py

`exact` is the float64 recomputation; `exact32` the same on float32-rounded inputs (null where a float32 run is
not meaningful, e.g. a clip bound that float32 cannot hold), compared within `tol32` when it is set (SciPy computes
float32 input in float64, so xent must match to float64 accuracy there), else the float32 tolerance. `published` is
compared within `publishedAbsTol` / `publishedRelTol` (its printed precision). Where the published number is a
float32 artefact (`f32artefact`), the note says so and only the float64 value is tested. `flat: false` runs a case
only with its rows as given (no flat layout with `classes`).

Keras and TF.js clip in float32 whatever their input: [float32(1e-7), float32(1 - 1e-7)] = [1e-7 + 1.2e-15,
1 - 2^-23], so a clipped 1 costs -log(2^-23) = 15.942 nats. The rules below use those bounds.
"""
import json
import math
import os

import numpy as np
from scipy.special import log_softmax, logsumexp, rel_entr, softmax, expit
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy as sp_entropy

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'compat.json')
K_LO = float(np.float32(1e-7))        # Keras' / TF.js' clip bounds as float32 numbers
K_HI = float(np.float32(1 - 1e-7))    # = 1 - 2^-23
assert K_HI == 1 - 2 ** -23
TRUNC = 'printed truncated (Keras docstrings cut digits): tolerance one unit of the last digit'


def enc(v):
    if isinstance(v, np.ndarray):
        return [enc(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
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


def a64(x):
    return np.asarray(x, dtype=np.float64)


def f32(x):
    return np.asarray(x, dtype=np.float64).astype(np.float32).astype(np.float64)


# ---------------------------------------------------------------------------------------------------------------
# Reference rules, one function per system, float64.
# ---------------------------------------------------------------------------------------------------------------

def keras_reduce(per_row, sw, reduction, valid=None):
    """Keras 3 Loss.__call__: values * sample_weight, then 'sum_over_batch_size' = sum / number of values (masked
    rows excluded via apply_mask: divide_no_nan(sum, valid)), 'sum', or None."""
    per_row = a64(per_row)
    w = np.ones_like(per_row) if sw is None else a64(sw) * np.ones_like(per_row)
    if valid is not None:
        w = w * valid
    v = per_row * w
    if reduction == 'none':
        return v
    if reduction == 'sum':
        return v.sum()
    n = per_row.size if valid is None else valid.sum()
    return 0.0 if n == 0 else v.sum() / n


def keras_bce_rows(t, p, logits=False, smoothing=0.0):
    """keras.losses.binary_crossentropy: smooth, (sigmoid), clip [1e-7, 1-1e-7], mean over the last axis."""
    t = a64(t)
    if smoothing:
        t = t * (1 - smoothing) + 0.5 * smoothing
    x = a64(p)
    if logits:
        # TF/JAX backends use the stable sigmoid_cross_entropy_with_logits formula
        l = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    else:
        q = np.clip(x, K_LO, K_HI)
        l = -(t * np.log(q) + (1 - t) * np.log(1 - q))
    return l.reshape(-1, l.shape[-1]).mean(axis=-1) if l.ndim == 2 else np.array([l.mean()])


def keras_cce_rows(t, p, logits=False, smoothing=0.0):
    t = a64(t)
    x = a64(p)
    C = x.shape[-1]
    if smoothing:
        t = t * (1 - smoothing) + smoothing / C
    if logits:
        lp = log_softmax(x, axis=-1)
    else:
        q = np.clip(x / x.sum(axis=-1, keepdims=True), K_LO, K_HI)
        lp = np.log(q)
    return -(t * lp).sum(axis=-1)


def keras_bfocal_rows(t, p, gamma, balancing, alpha=0.25, logits=False):
    t = a64(t)
    x = a64(p)
    y = expit(x) if logits else x
    q = np.clip(y, K_LO, K_HI)
    bce = -(t * np.log(q) + (1 - t) * np.log(1 - q))
    p_t = t * y + (1 - t) * (1 - y)
    f = (1 - p_t) ** gamma * bce
    if balancing:
        f = (t * alpha + (1 - t) * (1 - alpha)) * f
    return f.mean(axis=-1)


def keras_cfocal_rows(t, p, alpha=0.25, gamma=2.0, logits=False):
    t = a64(t)
    x = a64(p)
    y = softmax(x, axis=-1) if logits else x
    out = np.clip(y / y.sum(axis=-1, keepdims=True), K_LO, K_HI)
    return (alpha * (1 - out) ** gamma * (-t * np.log(out))).sum(axis=-1)


def keras_kld_rows(t, p):
    t = np.clip(a64(t), K_LO, 1)
    p = np.clip(a64(p), K_LO, 1)
    return (t * np.log(t / p)).sum(axis=-1)


def keras_metric_mean(per_row, sw=None, valid=None):
    """keras.metrics.Mean (reduction_metrics.py): Σ sw·v / Σ sw over every row given; the loss function's mask
    (ignore_class) is applied to given sample weights only, so without them ignored rows count in the divisor."""
    v = a64(per_row)
    if valid is not None:
        v = np.where(valid, v, 0.0)
    if sw is None:
        return v.sum() / v.size
    w = a64(sw) * np.ones_like(v)
    if valid is not None:
        w = w * valid
    return 0.0 if w.sum() == 0 else (v * w).sum() / w.sum()


def tfjs_reduce(losses, weights, reduction='sum_by_nonzero_weights'):
    """tf.losses.computeWeightedLoss (compute_weighted_loss.ts): SUM_BY_NONZERO_WEIGHTS (the default) divides by the
    number of non-zero broadcast weights; MEAN by sum(weights) times the broadcast factor (= the broadcast sum)."""
    losses = a64(losses)
    if weights is None:
        return losses.sum() / losses.size
    w = a64(weights) * np.ones_like(losses)
    if reduction == 'mean':
        return (losses * w).sum() / w.sum()
    return (losses * w).sum() / np.count_nonzero(w)


def tfjs_logloss(t, p):
    """tf.losses.logLoss: epsilon added inside the logs (a float32 1e-7)."""
    t, p = a64(t), a64(p)
    return -t * np.log(p + K_LO) - (1 - t) * np.log(1 - p + K_LO)


def tfjs_softmax_ce(onehot, logits):
    # one-hot rows: lse - x_y = log1p(sum_{j != y} exp(x_j - x_y)), free of cancellation for tiny losses
    x = a64(logits)
    out = []
    for r, t in enumerate(a64(onehot)):
        y = int(np.argmax(t))
        out.append(np.log1p(sum(math.exp(x[r, j] - x[r, y]) for j in range(x.shape[1]) if j != y)))
    return a64(out)


def tfjs_sigmoid_ce(t, x, smoothing=0.0):
    t, x = a64(t), a64(x)
    if smoothing:
        t = t * (1 - smoothing) + 0.5 * smoothing
    return np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))


def sk_log_loss(labels, proba, sample_weight=None, normalize=True, dtype_eps=np.finfo(np.float64).eps):
    """sklearn.metrics.log_loss: clip at the dtype's eps, -xlogy(onehot, p).sum(1), np.average / sum."""
    P = a64(proba)
    if P.ndim == 1:
        P = np.stack([1 - P, P], axis=1)
    P = np.clip(P, dtype_eps, 1 - dtype_eps)
    Y = np.eye(P.shape[1])[np.asarray(labels)]
    loss = -(Y * np.log(P)).sum(axis=1)
    if not normalize:
        return (loss * (1 if sample_weight is None else a64(sample_weight))).sum()
    return np.average(loss, weights=sample_weight)


def sk_brier(t, p, sample_weight=None):
    return np.average((a64(t) - a64(p)) ** 2, weights=sample_weight)


def sk_brier_multi(labels, P, scale_by_half):
    P = a64(P)
    Y = np.eye(P.shape[1])[np.asarray(labels)]
    s = ((P - Y) ** 2).sum(axis=1).mean()
    return s / 2 if scale_by_half else s


def tm_calibration(conf, acc, n_bins, norm):
    """torchmetrics _binning_bucketize + _ce_compute (float64 here)."""
    conf, acc = a64(conf), a64(acc)
    bounds = np.linspace(0, 1, n_bins + 1)
    idx = np.searchsorted(bounds, conf, side='right') - 1  # torch.bucketize(right=True) - 1
    cnt = np.bincount(idx, minlength=n_bins + 1).astype(float)
    cs = np.bincount(idx, weights=conf, minlength=n_bins + 1)
    as_ = np.bincount(idx, weights=acc, minlength=n_bins + 1)
    with np.errstate(invalid='ignore'):
        cb = np.nan_to_num(cs / cnt)
        ab = np.nan_to_num(as_ / cnt)
    prop = cnt / cnt.sum()
    if norm == 'l1':
        return (np.abs(ab - cb) * prop).sum()
    if norm == 'max':
        return np.abs(ab - cb).max()
    s = ((ab - cb) ** 2 * prop).sum()
    return math.sqrt(s) if s > 0 else 0.0


def tm_multiclass(P, labels, n_bins, norm):
    P = a64(P)
    return tm_calibration(P.max(axis=1), (P.argmax(axis=1) == np.asarray(labels)).astype(float), n_bins, norm)


def torch_bce(t, p, weight=None):
    t, p = a64(t), a64(p)
    with np.errstate(divide='ignore'):
        l = -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))
    if weight is not None:
        l = l * a64(weight)
    return l.mean()


def torch_ce_labels(logits, y, weight=None, ignore_index=-100, smoothing=0.0):
    x = a64(logits)
    N, C = x.shape
    lp = log_softmax(x, axis=1)
    w = np.ones(C) if weight is None else a64(weight)
    num = 0.0
    den = 0.0
    for r in range(N):
        if y[r] == ignore_index:
            continue
        l = (1 - smoothing) * -w[y[r]] * lp[r, y[r]] + smoothing / C * -(w * lp[r]).sum()
        num += l
        den += w[y[r]]
    return num / den if den else float('nan')


# ---------------------------------------------------------------------------------------------------------------
cases = []


def add(id_, source, fn, args, opts, published, exact, exact32='same', abs_tol=None, rel_tol=None, float_args=(0,),
        note=None, f32artefact=False, tol32=None, flat=True):
    if isinstance(exact32, str):
        exact32 = exact
    cases.append({
        'id': id_, 'source': source, 'fn': fn, 'args': enc(list(args)), 'opts': enc(opts), 'floatArgs': list(float_args),
        'published': enc(published), 'publishedAbsTol': abs_tol, 'publishedRelTol': rel_tol,
        'exact': enc(exact), 'exact32': enc(exact32), 'f32artefact': f32artefact, 'tol32': tol32, 'flat': flat,
        **({'note': note} if note else {}),
    })


KL = 'keras-team/keras keras/src/losses/losses.py'
KT = 'keras-team/keras keras/src/losses/losses_test.py'
K = {'compat': 'keras'}

# --- Keras: BinaryCrossentropy(from_logits=True) docstring ---------------------------------------------------
t1, x1 = [0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]
add('keras-bce-logits-ex1', KL + ' BinaryCrossentropy docstring, example 1', 'sigmoidCrossEntropy', [x1, t1], K,
    0.8654, keras_reduce(keras_bce_rows(t1, x1, True), None, 'mean'), abs_tol=1e-4, note=TRUNC)
t2, x2 = [[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]]
rows2 = keras_bce_rows(t2, x2, True)
add('keras-bce-logits-ex2', KL + ' BinaryCrossentropy docstring, example 2', 'sigmoidCrossEntropy', [x2, t2], K,
    0.8654, keras_reduce(rows2, None, 'mean'), abs_tol=1e-4, note=TRUNC)
add('keras-bce-logits-sw', KL + ' BinaryCrossentropy docstring, sample_weight=[0.8, 0.2]', 'sigmoidCrossEntropy',
    [x2, t2], {**K, 'sampleWeight': [0.8, 0.2]}, 0.243, keras_reduce(rows2, [0.8, 0.2], 'mean'), abs_tol=1e-3, note=TRUNC)
add('keras-bce-logits-sum', KL + ' BinaryCrossentropy docstring, reduction="sum" (of per-row means)',
    'sigmoidCrossEntropy', [x2, t2], {**K, 'reduction': 'sum', 'classes': 2}, 1.730, rows2.sum(), abs_tol=1e-3,
    note='compat keras reduces per-row means, as Keras: the sum of the two rows\' means')
add('keras-bce-logits-none', KL + ' BinaryCrossentropy docstring, reduction=None: array([0.235, 1.496])',
    'sigmoidCrossEntropy', [x2, t2], {**K, 'reduction': 'none'}, [0.235, 1.496], rows2, abs_tol=5e-4,
    note='compat keras: one value per row (the mean over the last axis), as Keras')
for r in range(2):
    add(f'keras-bce-logits-none-row{r}', KL + ' BinaryCrossentropy docstring, reduction=None: array([0.235, 1.496])',
        'sigmoidCrossEntropy', [x2[r], t2[r]], K, [0.235, 1.496][r], rows2[r], abs_tol=5e-4,
        note='Keras returns per-row means; each row is one call here')

# --- Keras: BinaryFocalCrossentropy docstring -----------------------------------------------------------------
for id_, x, t, g, bal, sw, red, pub in [
    ('ex1-g2', x1, t1, 2, False, None, 'mean', 0.691), ('ex1-g2-bal', x1, t1, 2, True, None, 'mean', 0.51),
    ('ex2-g3', x2, t2, 3, False, None, 'mean', 0.647), ('ex2-g3-bal', x2, t2, 3, True, None, 'mean', 0.482),
    ('ex2-g3-sw', x2, t2, 3, False, [0.8, 0.2], 'mean', 0.133),
    ('ex2-g3-bal-sw', x2, t2, 3, True, [0.8, 0.2], 'mean', 0.097),
]:
    rows = keras_bfocal_rows(t if np.ndim(t) == 2 else [t], x if np.ndim(x) == 2 else [x], g, bal, logits=True)
    o = {**K, 'from': 'logits', 'gamma': g, 'classBalancing': bal}
    if sw:
        o['sampleWeight'] = sw
    add(f'keras-bfocal-{id_}', KL + ' BinaryFocalCrossentropy docstring', 'binaryFocalCrossEntropy', [x, t], o, pub,
        keras_reduce(rows, sw, red), abs_tol=5e-4 if pub >= 0.1 else 5e-3)
for g, bal, pub in [(4, False, 1.222), (4, True, 0.914)]:
    rows = keras_bfocal_rows(t2, x2, g, bal, logits=True)
    add(f'keras-bfocal-sum-g{g}{"-bal" if bal else ""}', KL + ' BinaryFocalCrossentropy docstring, reduction="sum"'
        ' (of per-row means)', 'binaryFocalCrossEntropy', [x2, t2],
        {**K, 'from': 'logits', 'gamma': g, 'classBalancing': bal, 'reduction': 'sum'}, pub, rows.sum(), abs_tol=1e-3)
for g, bal, pub in [(5, False, [0.0017, 1.1561]), (5, True, [0.0004, 0.8670])]:
    rows = keras_bfocal_rows(t2, x2, g, bal, logits=True)
    for r in range(2):
        add(f'keras-bfocal-none-g5{"-bal" if bal else ""}-row{r}', KL + ' BinaryFocalCrossentropy docstring, '
            'reduction=None (per-row means)', 'binaryFocalCrossEntropy', [x2[r], t2[r]],
            {**K, 'from': 'logits', 'gamma': g, 'classBalancing': bal}, pub[r], rows[r], abs_tol=1e-4, note=TRUNC)
pf, tf_ = [[0.6, 0.4], [0.4, 0.6]], [[0, 1], [0, 0]]
for r, pub in enumerate([0.330, 0.206]):
    add(f'keras-bfocal-fn-row{r}', KL + ' binary_focal_crossentropy docstring: array([0.330, 0.206])',
        'binaryFocalCrossEntropy', [pf[r], tf_[r]], {**K, 'gamma': 2}, pub,
        keras_bfocal_rows([tf_[r]], [pf[r]], 2, False)[0], abs_tol=5e-4)

# --- Keras: CategoricalCrossentropy / SparseCategoricalCrossentropy docstrings --------------------------------
ct, cp = [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
crow = keras_cce_rows(ct, cp)
for id_, o, pub, ex, tol in [
    ('mean', {}, 1.177, keras_reduce(crow, None, 'mean'), 5e-4),
    ('sw', {'sampleWeight': [0.3, 0.7]}, 0.814, keras_reduce(crow, [0.3, 0.7], 'mean'), 5e-4),
    ('sum', {'reduction': 'sum'}, 2.354, crow.sum(), 5e-4),
    ('none', {'reduction': 'none'}, [0.0513, 2.303], crow, 5e-4),
]:
    add(f'keras-cce-{id_}', KL + ' CategoricalCrossentropy docstring', 'categoricalCrossEntropy', [cp, ct],
        {**K, **o}, pub, ex, abs_tol=tol, float_args=(0, 1))
    add(f'keras-scce-{id_}', KL + ' SparseCategoricalCrossentropy docstring (y_true = [1, 2])',
        'categoricalCrossEntropy', [cp, [1, 2]], {**K, **o}, pub, ex, abs_tol=tol)

# --- Keras: CategoricalFocalCrossentropy docstrings ----------------------------------------------------------
frow = keras_cfocal_rows(ct, cp)
for id_, o, pub, ex, tol in [
    ('mean', {}, 0.23315276, frow.mean(), 5e-8), ('sw', {'sampleWeight': [0.3, 0.7]}, 0.1632,
                                                   keras_reduce(frow, [0.3, 0.7], 'mean'), 5e-5),
    ('sum', {'reduction': 'sum'}, 0.46631, frow.sum(), 5e-6),
    ('none', {'reduction': 'none'}, [3.2058331e-05, 4.6627346e-01], frow, None),
]:
    add(f'keras-cfocal-{id_}', KL + ' CategoricalFocalCrossentropy docstring', 'categoricalFocalCrossEntropy',
        [cp, ct], {**K, **o}, pub, ex, abs_tol=tol, rel_tol=None if tol else 2e-6, float_args=(0, 1),
        note='the row [0.05, 0.95, 0] is clipped at 1e-7; printed as float32: 3.2058331e-05 is a float32 artefact '
        '(float64: 3.2058309e-05, 7e-7 relative)')
cp2 = [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]]
add('keras-cfocal-fn', KL + ' categorical_focal_crossentropy docstring', 'categoricalFocalCrossEntropy', [cp2, ct],
    {**K, 'reduction': 'none'}, [2.63401289e-04, 6.75912094e-01], keras_cfocal_rows(ct, cp2), rel_tol=5e-7,
    float_args=(0, 1))

# --- Keras: losses_test.py ---------------------------------------------------------------------------------
yt3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
yp3 = [[0.9, 0.1, 0.2], [0.3, 0.8, 0.1], [0.1, 0.2, 0.7]]
add('keras-test-bce-unweighted', KT + ' BinaryCrossentropyTest.test_unweighted', 'binaryCrossEntropy', [yp3, yt3], K,
    0.20046903, keras_reduce(keras_bce_rows(yt3, yp3), None, 'mean'), rel_tol=1e-6)
yt22, yp22 = [[1, 0], [1, 0]], [[1.0, 1.0], [1.0, 0.0]]
r22 = keras_bce_rows(yt22, yp22)
CLIP32 = ('Keras clips in float32: 1 - 1e-7 rounds to 1 - 2^-23, so -log(1 - clip(1)) = 15.942, not -log(1e-7) = '
          '16.118; compat keras does the same')
add('keras-test-bce-clip', KT + ' BinaryCrossentropyTest.test_unweighted (y_pred [1, 1, 1, 0])', 'binaryCrossEntropy',
    [yp22, yt22], K, 3.98559, keras_reduce(r22, None, 'mean'), abs_tol=1e-5, note=CLIP32)
add('keras-test-bce-clip-scalar-sw', KT + ' BinaryCrossentropyTest.test_scalar_weighted (sample_weight=2.3, a scalar)',
    'binaryCrossEntropy', [yp22, yt22], {**K, 'sampleWeight': 2.3}, 9.1668, keras_reduce(r22, 2.3, 'mean'),
    abs_tol=1e-4, note=CLIP32)
add('keras-test-bce-clip-sw', KT + ' BinaryCrossentropyTest.test_sample_weighted ([1.2, 3.4])', 'binaryCrossEntropy',
    [yp22, yt22], {**K, 'sampleWeight': [1.2, 3.4]}, 4.7827, keras_reduce(r22, [1.2, 3.4], 'mean'), abs_tol=1e-4,
    note=CLIP32)
lt, lx = [[1, 0, 1], [0, 1, 1]], [[10.0, -10.0, 10.0], [10.0, 10.0, -10.0]]
lr = keras_bce_rows(lt, lx, True)
add('keras-test-bce-logits', KT + ' BinaryCrossentropyTest.test_unweighted (logits)', 'sigmoidCrossEntropy', [lx, lt],
    K, 3.3333, keras_reduce(lr, None, 'mean'), abs_tol=1.5e-3)
add('keras-test-bce-logits-scalar-sw', KT + ' BinaryCrossentropyTest.test_scalar_weighted (logits, 2.3)',
    'sigmoidCrossEntropy', [lx, lt], {**K, 'sampleWeight': 2.3}, 7.666, keras_reduce(lr, 2.3, 'mean'),
    abs_tol=1.5e-3)
add('keras-test-bce-logits-sw', KT + ' BinaryCrossentropyTest.test_sample_weighted (logits, [4, 3])',
    'sigmoidCrossEntropy', [lx, lt], {**K, 'sampleWeight': [4, 3]}, 10.0, keras_reduce(lr, [4, 3], 'mean'),
    abs_tol=5e-4)
add('keras-test-bce-logits-none', KT + ' BinaryCrossentropyTest.test_no_reduction: [0.0, 6.666] (per-row means)',
    'sigmoidCrossEntropy', [lx, lt], {**K, 'reduction': 'none'}, [0.0, 6.666], lr, abs_tol=1e-3)
for r, pub in enumerate([0.0, 6.666]):
    add(f'keras-test-bce-logits-none-row{r}', KT + ' BinaryCrossentropyTest.test_no_reduction: [0.0, 6.666]',
        'sigmoidCrossEntropy', [lx[r], lt[r]], K, pub, lr[r], abs_tol=1e-3)
add('keras-test-bce-smoothing', KT + ' BinaryCrossentropyTest.test_label_smoothing: (10 + 5 * 0.1) / 3',
    'sigmoidCrossEntropy', [[10.0, -10.0, -10.0], [1, 0, 1]], {**K, 'labelSmoothing': 0.1}, (10.0 + 5.0 * 0.1) / 3,
    keras_reduce(keras_bce_rows([[1, 0, 1]], [[10.0, -10.0, -10.0]], True, 0.1), None, 'mean'), abs_tol=5e-5)
ccp = [[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]]
ccx = [[8.0, 1.0, 1.0], [0.0, 9.0, 1.0], [2.0, 3.0, 5.0]]
ccr = keras_cce_rows(yt3, ccp)
cxr = keras_cce_rows(yt3, ccx, True)
for id_, args, o, pub, ex, tol in [
    ('unweighted', [ccp, yt3], {}, 0.3239, ccr.mean(), 5e-5),
    ('logits', [ccx, yt3], {}, 0.0573, cxr.mean(), 5e-5),
    ('scalar-sw', [ccp, yt3], {'sampleWeight': 2.3}, 0.7449, keras_reduce(ccr, 2.3, 'mean'), 5e-5),
    ('logits-scalar-sw', [ccx, yt3], {'sampleWeight': 2.3}, 0.1317, keras_reduce(cxr, 2.3, 'mean'), 5e-5),
    ('sw', [ccp, yt3], {'sampleWeight': [1.2, 3.4, 5.6]}, 1.0696, keras_reduce(ccr, [1.2, 3.4, 5.6], 'mean'), 5e-5),
    ('logits-sw', [ccx, yt3], {'sampleWeight': [1.2, 3.4, 5.6]}, 0.31829, keras_reduce(cxr, [1.2, 3.4, 5.6], 'mean'),
     5e-6),
    ('logits-none', [ccx, yt3], {'reduction': 'none'}, [0.001822, 0.000459, 0.169846], cxr, 5e-7),
]:
    fn = 'softmaxCrossEntropy' if 'logits' in id_ else 'categoricalCrossEntropy'
    add(f'keras-test-cce-{id_}', KT + ' CategoricalCrossentropyTest', fn, args, {**K, **o}, pub, ex, abs_tol=tol,
        float_args=(0, 1), note='rows are renormalised first' if fn == 'categoricalCrossEntropy' else None)
    cases[-1]['publishedAbsTol'] = max(tol, 1.5e-3) if 'none' not in id_ else tol
add('keras-test-scce-unweighted', KT + ' SparseCategoricalCrossentropyTest.test_unweighted', 'categoricalCrossEntropy',
    [ccp, [0, 1, 2]], K, 0.3239, ccr.mean(), abs_tol=5e-4)
add('keras-test-cce-smoothing', KT + ' CategoricalCrossentropyTest.test_label_smoothing: 400 * 0.1 / 3',
    'softmaxCrossEntropy', [[100.0, -100.0, -100.0], [1, 0, 0]], {**K, 'labelSmoothing': 0.1}, 400 * 0.1 / 3,
    keras_cce_rows([[1, 0, 0]], [[100.0, -100.0, -100.0]], True, 0.1)[0], abs_tol=5e-5, float_args=(0, 1))
ig_x = [[0.854, 0.698, 0.598], [0.088, 0.86, 0.018]]
ig_l = log_softmax(a64(ig_x), axis=1)
add('keras-test-scce-ignore', KT + ' SparseCategoricalCrossentropyTest.test_ignore_class: [[0.0, 1.480129]]',
    'softmaxCrossEntropy', [ig_x, [-1, 2]], {**K, 'ignoreIndex': -1, 'reduction': 'none'}, [0.0, 1.480129],
    [0.0, -ig_l[1, 2]], abs_tol=5e-7)
add('keras-scce-ignore-mean', KT + ' test_ignore_class inputs with the default reduction: mean over valid rows '
    '(loss.py apply_mask: sum / valid)', 'softmaxCrossEntropy', [ig_x, [-1, 2]], {**K, 'ignoreIndex': -1}, 1.480129,
    -ig_l[1, 2], abs_tol=5e-7)
add('keras-scce-all-ignored', 'keras-team/keras keras/src/losses/loss.py apply_mask/reduce_values: divide_no_nan '
    'gives 0 when every row is masked', 'softmaxCrossEntropy', [ig_x, [-1, -1]], {**K, 'ignoreIndex': -1}, 0.0, 0.0,
    abs_tol=0)
bfp = [[0.9, 0.8], [0.7, 0.2]]
bft = [[1, 0], [1, 0]]
bfr = keras_bfocal_rows(bft, bfp, 2.0, False)
bfx = [[1.5, -2.7, 2.9], [-3.8, 1.2, -4.5]]
bfxt = [[1, 1, 0], [0, 1, 0]]
bfxr = keras_bfocal_rows(bfxt, bfx, 3.0, False, logits=True)
for id_, args, o, pub, ex in [
    ('unweighted', [bfp, bft], {'gamma': 2}, 0.268, bfr.mean()),
    ('logits', [bfx, bfxt], {'gamma': 3, 'from': 'logits'}, 0.799, bfxr.mean()),
    ('scalar-sw', [bfp, bft], {'gamma': 2, 'sampleWeight': 1.23}, 0.3296, keras_reduce(bfr, 1.23, 'mean')),
    ('logits-scalar-sw', [bfx, bfxt], {'gamma': 3, 'from': 'logits', 'sampleWeight': 3.21}, 2.565,
     keras_reduce(bfxr, 3.21, 'mean')),
    ('sw', [bfp, bft], {'gamma': 2, 'sampleWeight': [1.2, 3.4]}, 0.34415, keras_reduce(bfr, [1.2, 3.4], 'mean')),
    ('logits-sw', [bfx, bfxt], {'gamma': 3, 'from': 'logits', 'sampleWeight': [1.2, 3.4]}, 0.95977,
     keras_reduce(bfxr, [1.2, 3.4], 'mean')),
]:
    add(f'keras-test-bfocal-{id_}', KT + ' BinaryFocalCrossentropyTest (assertAlmostEqual, 3 places)',
        'binaryFocalCrossEntropy', args, {**K, **o}, pub, ex, abs_tol=1.5e-3)
for r, pub in enumerate([0.515547, 0.020513]):
    add(f'keras-test-bfocal-none-row{r}', KT + ' BinaryFocalCrossentropyTest.test_no_reduction', 'binaryFocalCrossEntropy',
        [bfp[r], bft[r]], {**K, 'gamma': 2}, pub, bfr[r], abs_tol=5e-7)
cfr = keras_cfocal_rows(yt3, ccp)
cfxr = keras_cfocal_rows(yt3, ccx, logits=True)
for id_, args, o, pub, ex, tol in [
    ('unweighted', [ccp, yt3], {}, 0.02059, cfr.mean(), 5e-4),
    ('logits', [ccx, yt3], {'from': 'logits'}, 0.000345, cfxr.mean(), 5e-4),
    ('scalar-sw', [ccp, yt3], {'sampleWeight': 2.3}, 0.047368, keras_reduce(cfr, 2.3, 'mean'), 5e-4),
    ('logits-scalar-sw', [ccx, yt3], {'from': 'logits', 'sampleWeight': 2.3}, 0.000794,
     keras_reduce(cfxr, 2.3, 'mean'), 5e-5),
]:
    add(f'keras-test-cfocal-{id_}', KT + ' CategoricalFocalCrossentropyTest', 'categoricalFocalCrossEntropy', args,
        {**K, **o}, pub, ex, abs_tol=tol, float_args=(0, 1))
kp = [[0.4, 0.9, 0.12], [0.36, 0.3, 0.4]]
kt = [[0.5, 0.8, 0.12], [0.7, 0.43, 0.8]]
kr = keras_kld_rows(kt, kp)
add('keras-test-kld-unweighted', KT + ' KLDivergenceTest.test_unweighted: sum(y_true log(y_true / y_pred)) / 2 '
    '(assertAlmostEqual, 3 places)', 'klDivergence', [kt, kp], K, kr.mean(), kr.mean(), abs_tol=5e-4,
    float_args=(0, 1), note='rows that are not distributions: Keras only clips them to [1e-7, 1]')
add('keras-test-kld-sum', KT + ' KLDivergenceTest inputs, reduction sum', 'klDivergence', [kt, kp],
    {**K, 'reduction': 'sum'}, kr.sum(), kr.sum(), abs_tol=5e-4, float_args=(0, 1))
add('keras-test-kld-scalar-sw', KT + ' KLDivergenceTest.test_scalar_weighted: sample_weight=2.3', 'klDivergence',
    [kt, kp], {**K, 'sampleWeight': 2.3}, 2.3 * kr.sum() / 2, keras_reduce(kr, 2.3, 'mean'), abs_tol=5e-4,
    float_args=(0, 1))
add('keras-test-kld-sw', KT + ' KLDivergenceTest.test_sample_weighted: sample_weight [1.2, 3.4], / batch size',
    'klDivergence', [kt, kp], {**K, 'sampleWeight': [1.2, 3.4]}, (kr * [1.2, 3.4]).sum() / 2,
    keras_reduce(kr, [1.2, 3.4], 'mean'), abs_tol=5e-4, float_args=(0, 1))
kz = [[0.0, 1.0, 1.5], [-0.2, 0.5, 0.5]]
add('keras-kld-clip-domain', KL + ' kl_divergence: y_true and y_pred clipped to [1e-7, 1] (any value accepted)',
    'klDivergence', [kz, kp], {**K, 'reduction': 'none'}, keras_kld_rows(kz, kp), keras_kld_rows(kz, kp),
    rel_tol=1e-12, float_args=(0, 1), note='entries of 0, above 1 and negative are clipped, rows never renormalised')

# --- TF.js: tfjs-core/src/ops/losses/*_test.ts -----------------------------------------------------------------
TJ = 'tensorflow/tfjs tfjs-core/src/ops/losses/'
T = {'compat': 'tfjs'}
ll_t = [[0.4, 0.8, 0.12], [0.8, 0.1, 0.3]]
ll_p = [[0.1, 0.7, 0.1], [0.5, 0.05, 0.15]]
ll_w = [3, 0, 5, 0, 4, 2]
add('tfjs-logloss-2d', TJ + 'log_loss_test.ts "2D"', 'binaryCrossEntropy', [ll_p, ll_t], T, 0.60019904,
    tfjs_reduce(tfjs_logloss(ll_t, ll_p), None), rel_tol=1e-6, float_args=(0, 1))
add('tfjs-logloss-2d-weighted', TJ + 'log_loss_test.ts "2D - weighted - Reduction.SUM_BY_NONZERO_WEIGHTS"',
    'binaryCrossEntropy', [ll_p, ll_t], {**T, 'weight': ll_w}, 1.8866577,
    tfjs_reduce(tfjs_logloss(ll_t, ll_p), a64(ll_w).reshape(2, 3)), rel_tol=1e-6, float_args=(0, 1))
add('tfjs-logloss-2d-weighted-none', TJ + 'log_loss_test.ts "2D - weighted - Reduction.NONE"', 'binaryCrossEntropy',
    [ll_p, ll_t], {**T, 'weight': ll_w, 'reduction': 'none'},
    [2.9527497, 0., 1.8451363, 0., 1.3829476, 1.3657978], tfjs_logloss(ll_t, ll_p).reshape(-1) * a64(ll_w),
    rel_tol=1e-6, float_args=(0, 1))
sx = [[10.0, -10.0, -10.0], [-10.0, 10.0, -10.0], [-10.0, -10.0, 10.0]]
wrong = [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
right = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
add('tfjs-softmax-all-wrong', TJ + 'softmax_cross_entropy_test.ts "All wrong"', 'softmaxCrossEntropy', [sx, wrong], T,
    20, tfjs_reduce(tfjs_softmax_ce(wrong, sx), None), abs_tol=1e-5, float_args=(0, 1))
add('tfjs-softmax-all-right', TJ + 'softmax_cross_entropy_test.ts "All right"', 'softmaxCrossEntropy', [sx, right], T,
    0, tfjs_reduce(tfjs_softmax_ce(right, sx), None), abs_tol=1e-5, float_args=(0, 1))
add('tfjs-softmax-weighted-none', TJ + 'softmax_cross_entropy_test.ts "Weighted - Reduction.NONE" (weights per row)',
    'softmaxCrossEntropy', [sx, wrong], {**T, 'sampleWeight': [0.1, 0.2, 0.3], 'reduction': 'none'}, [2, 4, 6],
    tfjs_softmax_ce(wrong, sx) * a64([0.1, 0.2, 0.3]), abs_tol=1e-5, float_args=(0, 1))
add('tfjs-softmax-weighted-nonzero', TJ + 'softmax_cross_entropy_test.ts inputs with weights [0.1, 0, 0.3] per row, '
    'SUM_BY_NONZERO_WEIGHTS (rule of compute_weighted_loss.ts)', 'softmaxCrossEntropy', [sx, wrong],
    {**T, 'sampleWeight': [0.1, 0, 0.3]}, (2 + 6) / 2, tfjs_reduce(tfjs_softmax_ce(wrong, sx), [0.1, 0, 0.3]),
    abs_tol=1e-5, float_args=(0, 1))
add('tfjs-sigmoid-all-wrong', TJ + 'sigmoid_cross_entropy_test.ts "All wrong"', 'sigmoidCrossEntropy', [sx, wrong], T,
    6.6667123, tfjs_reduce(tfjs_sigmoid_ce(wrong, sx), None), rel_tol=1e-6, float_args=(0,))
add('tfjs-sigmoid-all-right', TJ + 'sigmoid_cross_entropy_test.ts "All right"', 'sigmoidCrossEntropy', [sx, right], T,
    0, tfjs_reduce(tfjs_sigmoid_ce(right, sx), None), abs_tol=1e-4)
add('tfjs-sigmoid-weighted', TJ + 'sigmoid_cross_entropy_test.ts "Weighted - Reduction.SUM_BY_NONZERO_WEIGHTS"',
    'sigmoidCrossEntropy', [sx, wrong], {**T, 'weight': [0.1, 0.2, 0.3]}, 1.3333424,
    tfjs_reduce(tfjs_sigmoid_ce(wrong, sx), a64([[0.1, 0.2, 0.3]])), rel_tol=1e-6)
add('tfjs-sigmoid-weighted-none', TJ + 'sigmoid_cross_entropy_test.ts "Weighted - Reduction.NONE"',
    'sigmoidCrossEntropy', [sx, wrong], {**T, 'weight': [0.1, 0.2, 0.3], 'reduction': 'none'},
    [1.0000046, 9.0797803e-06, 3.0000138e+00, 1.0000046e+00, 2.0000093e+00, 1.3619671e-05, 4.5398901e-06,
     2.0000093e+00, 3.0000138e+00], (tfjs_sigmoid_ce(wrong, sx) * a64([[0.1, 0.2, 0.3]])).reshape(-1), rel_tol=1e-6)
add('tfjs-sigmoid-smoothing-sum', TJ + 'sigmoid_cross_entropy_test.ts "Label Smoothing" inputs (0.3 -> labels '
    '* 0.7 + 0.15), unweighted, reduction sum', 'sigmoidCrossEntropy', [sx, wrong],
    {**T, 'labelSmoothing': 0.3, 'reduction': 'sum'}, tfjs_sigmoid_ce(wrong, sx, 0.3).sum(),
    tfjs_sigmoid_ce(wrong, sx, 0.3).sum(), rel_tol=1e-12, note='published value recomputed from the documented rule')

# --- scikit-learn: sklearn/metrics/_classification.py docstrings, tests/test_classification.py ------------------
SKD = 'scikit-learn/scikit-learn sklearn/metrics/_classification.py'
SKT = 'scikit-learn/scikit-learn sklearn/metrics/tests/test_classification.py'
S = {'compat': 'sklearn'}
add('sklearn-log_loss-doc', SKD + ' log_loss docstring: 0.21616...', 'categoricalCrossEntropy',
    [[[.1, .9], [.9, .1], [.8, .2], [.35, .65]], [1, 0, 0, 1]], S, 0.21616,
    sk_log_loss([1, 0, 0, 1], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]), abs_tol=1e-5)
mp = [[0.2, 0.7, 0.1], [0.6, 0.2, 0.2], [0.6, 0.1, 0.3]]
add('sklearn-test-log_loss-multiclass', SKT + ' test_log_loss: multiclass 0.6904911', 'categoricalCrossEntropy',
    [mp, [1, 0, 2]], S, 0.6904911, sk_log_loss([1, 0, 2], mp), rel_tol=1e-7)
add('sklearn-test-log_loss-sum', SKT + ' test_log_loss: normalize=False on doubled inputs, 0.6904911 * 6',
    'categoricalCrossEntropy', [mp + mp, [1, 0, 2, 1, 0, 2]], {**S, 'reduction': 'sum'}, 0.6904911 * 6,
    sk_log_loss([1, 0, 2] * 2, mp + mp, normalize=False), rel_tol=1e-7)
hs = [[0.3, 0.7], [0.6, 0.4], [0.4, 0.6], [0.7, 0.3]]
add('sklearn-test-log_loss-strings', SKT + ' test_log_loss: ["ham", "spam", "spam", "ham"] -> 0.7469410',
    'categoricalCrossEntropy', [hs, [0, 1, 1, 0]], S, 0.7469410, sk_log_loss([0, 1, 1, 0], hs), rel_tol=1e-7)
yb = [0, 0, 0, 1, 1, 1]
pb = [[0.5, 0.5], [0.1, 0.9], [0.01, 0.99], [0.9, 0.1], [0.75, 0.25], [0.001, 0.999]]
add('sklearn-test-log_loss-binary', SKT + ' test_log_loss: binary case vs -mean(bernoulli.logpmf) (recomputed)',
    'binaryCrossEntropy', [[r[1] for r in pb], yb], S, sk_log_loss(yb, [r[1] for r in pb]),
    sk_log_loss(yb, [r[1] for r in pb]), rel_tol=1e-12)
add('sklearn-log_loss-clip-eps', SKD + ' log_loss: y_pred clipped to [eps, 1 - eps], eps = np.finfo(float64).eps',
    'categoricalCrossEntropy', [[[0.0, 1.0], [1.0, 0.0]], [0, 0]], S, sk_log_loss([0, 0], [[0.0, 1.0], [1.0, 0.0]]),
    sk_log_loss([0, 0], [[0.0, 1.0], [1.0, 0.0]]), None, rel_tol=1e-12,
    note='-log(2^-52) / 2 = 18.0218...; float32 input clips at 2^-23 instead')
add('sklearn-log_loss-sample-weight', SKD + ' log_loss(sample_weight): np.average of the docstring example',
    'categoricalCrossEntropy', [[[.1, .9], [.9, .1], [.8, .2], [.35, .65]], [1, 0, 0, 1]],
    {**S, 'sampleWeight': [1, 2, 0, 1]}, sk_log_loss([1, 0, 0, 1], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]], [1, 2, 0, 1]),
    sk_log_loss([1, 0, 0, 1], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]], [1, 2, 0, 1]), rel_tol=1e-12)
bs_t, bs_p = [0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]
add('sklearn-brier-doc', SKD + ' brier_score_loss docstring: 0.037...', 'brierScore', [bs_p, bs_t], {}, 0.037,
    sk_brier(bs_t, bs_p), abs_tol=1e-3)
add('sklearn-brier-doc-thresholded', SKD + ' brier_score_loss docstring: y_prob > 0.5 -> 0.0', 'brierScore',
    [[0.0, 1.0, 1.0, 0.0], bs_t], {}, 0.0, 0.0, abs_tol=0)
add('sklearn-brier-doc-multiclass', SKD + ' brier_score_loss docstring (1.7): multiclass 0.146...', 'brierScore',
    [[[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]], [0, 1, 2]], {}, 0.146,
    sk_brier_multi([0, 1, 2], [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]], False), abs_tol=1e-3)
add('sklearn-brier-doc-multiclass-half', SKD + ' brier_score_loss docstring (1.7): scale_by_half=True 0.073...',
    'brierScore', [[[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]], [0, 1, 2]], {'scaleByHalf': True}, 0.073,
    sk_brier_multi([0, 1, 2], [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]], True), abs_tol=1e-3)
bt6, bp6 = [0, 1, 1, 0, 1, 1], [0.1, 0.8, 0.9, 0.3, 1.0, 0.95]
add('sklearn-test-brier', SKT + ' test_brier_score_loss: linalg.norm(y_true - y_pred) ** 2 / len(y_true)',
    'brierScore', [bp6, bt6], {}, float(np.linalg.norm(a64(bt6) - a64(bp6)) ** 2 / 6), sk_brier(bt6, bp6),
    rel_tol=1e-12)
add('sklearn-brier-sample-weight', SKD + ' brier_score_loss(sample_weight): np.average', 'brierScore', [bp6, bt6],
    {'sampleWeight': [1, 2, 3, 0, 1, 1]}, sk_brier(bt6, bp6, [1, 2, 3, 0, 1, 1]), sk_brier(bt6, bp6, [1, 2, 3, 0, 1, 1]),
    rel_tol=1e-12)

# --- SciPy docstrings ------------------------------------------------------------------------------------------
SP = 'scipy/scipy '
a10 = list(range(10))
b10 = list(range(10, 0, -1))
add('scipy-logsumexp-b', SP + 'scipy/special/_logsumexp.py logsumexp docstring: b=np.arange(10, 0, -1)', 'logSumExp',
    [a10], {'b': b10}, 9.9170178533034665, logsumexp(a64(a10), b=a64(b10)), rel_tol=1e-14)
v, s = logsumexp([1, 2], b=[1, -1], return_sign=True)
add('scipy-logsumexp-sign', SP + 'scipy/special/_logsumexp.py logsumexp docstring: return_sign=True -> '
    '(1.5413248546129181, -1.0)', 'logSumExp', [[1, 2]], {'b': [1, -1], 'returnSign': True},
    {'value': 1.5413248546129181, 'sign': -1.0}, {'value': v, 'sign': s}, rel_tol=1e-14)
add('scipy-logsumexp-b-zero-masks', SP + 'scipy/special/_logsumexp.py: entries with b == 0 are ignored '
    '(a[b == 0] = -inf)', 'logSumExp', [[1000.0, 0.0, 1.0]], {'b': [0, 1, 1]}, logsumexp([0.0, 1.0]),
    logsumexp(a64([1000.0, 0.0, 1.0]), b=[0, 1, 1]), rel_tol=1e-14)
add('scipy-entropy-relative-normalized', SP + 'scipy/stats/_entropy.py entropy docstring: entropy(pk, qk) = '
    '0.5108256237659907 (pk, qk given unnormalised here: [1, 1] and [9, 1])', 'entropy', [[1, 1], [9, 1]],
    {'compat': 'scipy'}, 0.5108256237659907, sp_entropy([1, 1], [9, 1]), rel_tol=1e-13, float_args=(0, 1))
add('scipy-entropy-relative', SP + 'scipy/stats/_entropy.py entropy docstring: entropy([1/2, 1/2], qk=[9/10, 1/10])',
    'entropy', [[0.5, 0.5], [0.9, 0.1]], {}, 0.5108256237659907, sp_entropy([0.5, 0.5], [0.9, 0.1]),
    sp_entropy([0.5, 0.5], f32([0.9, 0.1])), rel_tol=1e-13, float_args=(0, 1))
add('scipy-entropy-unnormalized', SP + 'scipy/stats/_entropy.py: pk is normalised, entropy([1, 1], base=2) = 1',
    'entropy', [[1, 1]], {'compat': 'scipy', 'base': 2}, 1.0, sp_entropy([1, 1], base=2), rel_tol=1e-15)
add('scipy-jensenshannon-distance', SP + 'scipy/spatial/distance.py jensenshannon docstring: ([1.0, 0.0, 0.0], '
    '[0.0, 1.0, 0.0], 2.0) = 1.0', 'jsDistance', [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], {'base': 2}, 1.0,
    jensenshannon([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], 2.0), rel_tol=1e-14, float_args=(0, 1))
add('scipy-jensenshannon-half-distance', SP + 'scipy/spatial/distance.py jensenshannon docstring: ([1.0, 0.0], '
    '[0.5, 0.5]) = 0.46450140402245893', 'jsDistance', [[1.0, 0.0], [0.5, 0.5]], {}, 0.46450140402245893,
    jensenshannon([1.0, 0.0], [0.5, 0.5]), rel_tol=1e-14, float_args=(0, 1))
ja = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
jb = [[13, 14, 15, 16], [17, 18, 19, 20], [21, 22, 23, 24]]
add('scipy-jensenshannon-axis1', SP + 'scipy/spatial/distance.py jensenshannon docstring: axis=1 -> '
    '[0.1402339, 0.0399106, 0.0201815]', 'jsDistance', [ja, jb], {'compat': 'scipy', 'reduction': 'none'},
    [0.1402339, 0.0399106, 0.0201815], jensenshannon(a64(ja), a64(jb), axis=1), abs_tol=5e-8, float_args=(0, 1))
add('scipy-jensenshannon-axis0', SP + 'scipy/spatial/distance.py jensenshannon docstring: axis=0 -> '
    '[0.1954288, 0.1447697, 0.1138377, 0.0927636] (columns given as rows)', 'jsDistance', [a64(ja).T.tolist(), a64(jb).T.tolist()],
    {'compat': 'scipy', 'reduction': 'none'}, [0.1954288, 0.1447697, 0.1138377, 0.0927636], jensenshannon(a64(ja), a64(jb), axis=0),
    abs_tol=5e-8, float_args=(0, 1))
add('scipy-rel_entr-kl', SP + 'scipy/special rel_entr / stats.entropy: KL of the docstring pair via klDivergence '
    'with compat scipy (renormalises)', 'klDivergence', [[2, 2], [9, 1]], {'compat': 'scipy'}, 0.5108256237659907,
    float(np.sum(rel_entr(a64([0.5, 0.5]), a64([0.9, 0.1])))), rel_tol=1e-13, float_args=(0, 1))

# --- torchmetrics ---------------------------------------------------------------------------------------------
TM = 'Lightning-AI/torchmetrics src/torchmetrics/functional/classification/calibration_error.py'
cbp, cbt = [0.25, 0.25, 0.55, 0.75, 0.75], [0, 0, 1, 1, 1]
for norm, pub in [('l1', 0.2900), ('l2', 0.2918), ('max', 0.3167)]:
    add(f'torchmetrics-binary-ce-{norm}', TM + f' binary_calibration_error docstring, n_bins=2, norm={norm!r}',
        'calibrationError', [cbp, cbt], {'bins': 2, 'norm': norm}, pub, tm_calibration(cbp, cbt, 2, norm),
        abs_tol=5e-5)
cmp_ = [[0.25, 0.20, 0.55], [0.55, 0.05, 0.40], [0.10, 0.30, 0.60], [0.90, 0.05, 0.05]]
for norm, pub in [('l1', 0.2000), ('l2', 0.2082), ('max', 0.2333)]:
    add(f'torchmetrics-multiclass-ce-{norm}', TM + f' multiclass_calibration_error docstring, n_bins=3, norm={norm!r}',
        'calibrationError', [cmp_, [0, 1, 2, 0]], {'bins': 3, 'norm': norm}, pub,
        tm_multiclass(cmp_, [0, 1, 2, 0], 3, norm), abs_tol=5e-5)
add('torchmetrics-binary-ce-zero-pred', 'Lightning-AI/torchmetrics tests/unittests/classification/'
    'test_calibration_error.py test_binary_with_zero_pred: 0.6', 'calibrationError',
    [[1.0, 1.0, 1.0, 1.0, 0.0], [0, 0, 1, 1, 1]], {'bins': 2, 'norm': 'l1'}, 0.6,
    tm_calibration([1.0, 1.0, 1.0, 1.0, 0.0], [0, 0, 1, 1, 1], 2, 'l1'), abs_tol=1e-7)
TMK = 'Lightning-AI/torchmetrics src/torchmetrics/functional/regression/kl_divergence.py docstring'
add('torchmetrics-kl', TMK + ': kl_divergence([[0.36, 0.48, 0.16]], [[1/3, 1/3, 1/3]]) = tensor(0.0853)',
    'klDivergence', [[[0.36, 0.48, 0.16]], [[1 / 3, 1 / 3, 1 / 3]]], {}, 0.0853,
    float(np.sum(rel_entr(a64([0.36, 0.48, 0.16]), a64([1 / 3] * 3)))), abs_tol=5e-5, float_args=(0, 1))

# --- PyTorch --------------------------------------------------------------------------------------------------
PT = {'compat': 'torch'}
kp_ = [[0.36, 0.48, 0.16], [0.2, 0.3, 0.5]]
kq_ = [[1 / 3, 1 / 3, 1 / 3], [0.25, 0.25, 0.5]]
kls = float(np.sum(rel_entr(a64(kp_), a64(kq_))))
add('torch-kl-mean-numel', "pytorch/pytorch torch/nn/functional.py kl_div: reduction='mean' divides by the number of "
    "elements (docstring warning)", 'klDivergence', [kp_, kq_], PT, kls / 6, kls / 6, rel_tol=1e-13, float_args=(0, 1))
add('torch-kl-batchmean', "pytorch/pytorch torch/nn/functional.py kl_div: 'batchmean' = sum / batch size",
    'klDivergence', [kp_, kq_], {**PT, 'reduction': 'batchmean'}, kls / 2, kls / 2, rel_tol=1e-13, float_args=(0, 1))
add('torch-ce-all-ignored', 'pytorch/pytorch#70348: cross_entropy over only ignore_index (-100) targets is nan',
    'softmaxCrossEntropy', [[[1.0, 2.0], [0.5, 0.1]], [-100, -100]], PT, 'NaN', float('nan'))
bce_p, bce_t = [[0.0, 1.0, 0.5], [1.0, 0.25, 1e-50]], [[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]
add('torch-bce-clamp', 'pytorch/pytorch torch/nn/modules/loss.py BCELoss docs: "clamps its log function outputs to '
    'be greater than or equal to -100"', 'binaryCrossEntropy', [bce_p, bce_t], PT, torch_bce(bce_t, bce_p),
    torch_bce(bce_t, bce_p), None, rel_tol=1e-13, float_args=(0,),
    note='p = 0 under t = 1, p = 1 under t = 0 and p = 1e-50 all cost exactly 100')
add('torch-bce-weight-mean', 'pytorch/pytorch torch/nn/modules/loss.py BCELoss: weight rescales each element; '
    "'mean' divides by the number of elements", 'binaryCrossEntropy', [[[0.8, 0.3], [0.6, 0.9]], [[1, 0], [0, 1]]],
    {**PT, 'weight': [2.0, 0.5]}, torch_bce([[1, 0], [0, 1]], [[0.8, 0.3], [0.6, 0.9]], [[2.0, 0.5]]),
    torch_bce([[1, 0], [0, 1]], [[0.8, 0.3], [0.6, 0.9]], [[2.0, 0.5]]), rel_tol=1e-13)
ce_x = [[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [1.0, 1.0, 1.0]]
add('torch-ce-ignore-default', 'pytorch/pytorch torch/nn/functional.py cross_entropy: ignore_index=-100 by default, '
    'class-weighted mean over non-ignored targets', 'softmaxCrossEntropy', [ce_x, [0, -100, 2]],
    {**PT, 'weight': [1.0, 2.0, 0.5]}, torch_ce_labels(ce_x, [0, -100, 2], [1.0, 2.0, 0.5]),
    torch_ce_labels(ce_x, [0, -100, 2], [1.0, 2.0, 0.5]), rel_tol=1e-13)
add('torch-ce-smoothing-weight', 'pytorch/pytorch aten/src/ATen/native/LossNLL.cpp cross_entropy label smoothing '
    'with class weights (pytorch#104776)', 'softmaxCrossEntropy', [ce_x, [0, 1, 2]],
    {**PT, 'weight': [1.0, 2.0, 0.5], 'labelSmoothing': 0.2},
    torch_ce_labels(ce_x, [0, 1, 2], [1.0, 2.0, 0.5], smoothing=0.2),
    torch_ce_labels(ce_x, [0, 1, 2], [1.0, 2.0, 0.5], smoothing=0.2), rel_tol=1e-13)
soft = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]
w3 = a64([1.0, 2.0, 0.5])
soft_l = -(a64(soft) * w3 * log_softmax(a64(ce_x), axis=1)).sum(axis=1)
add('torch-ce-soft-weight', 'pytorch/pytorch torch/nn/modules/loss.py CrossEntropyLoss docs: probability targets '
    'with weight, mean divides by N', 'softmaxCrossEntropy', [ce_x, soft], {**PT, 'weight': [1.0, 2.0, 0.5]},
    soft_l.mean(), soft_l.mean(), rel_tol=1e-13, float_args=(0, 1))
vx = [-1.0, 2.0, 0.5]
tv_p = expit(a64(vx))
tv_t = a64([1.0, 0.0, 1.0])
tv_ce = np.maximum(a64(vx), 0) - a64(vx) * tv_t + np.log1p(np.exp(-np.abs(a64(vx))))
tv_pt = tv_p * tv_t + (1 - tv_p) * (1 - tv_t)
tv = (0.25 * tv_t + 0.75 * (1 - tv_t)) * tv_ce * (1 - tv_pt) ** 2
add('torchvision-sigmoid-focal', 'pytorch/vision torchvision/ops/focal_loss.py sigmoid_focal_loss (alpha=0.25, '
    'gamma=2, reduction="mean")', 'binaryFocalCrossEntropy', [vx, [1, 0, 1]], {**PT, 'from': 'logits'}, tv.mean(),
    tv.mean(), rel_tol=1e-13)

# --- Keras metrics: keras/src/metrics/probabilistic_metrics_test.py (keras.metrics.Mean: Σ sw·v / Σ sw) ----------
KM = 'keras-team/keras keras/src/metrics/probabilistic_metrics_test.py '
KMEAN = {**K, 'reduction': 'weighted_mean'}
add('keras-metric-kld', KM + 'KLDivergenceTest.test_unweighted', 'klDivergence', [kt, kp], KMEAN,
    kr.sum() / 2, keras_metric_mean(kr), abs_tol=1e-3, float_args=(0, 1))
add('keras-metric-kld-sw', KM + 'KLDivergenceTest.test_weighted: sample_weight [1.2, 3.4], / (1.2 + 3.4)',
    'klDivergence', [kt, kp], {**KMEAN, 'sampleWeight': [1.2, 3.4]}, (kr * [1.2, 3.4]).sum() / 4.6,
    keras_metric_mean(kr, [1.2, 3.4]), abs_tol=1e-3, float_args=(0, 1))
mb_r = keras_bce_rows(yt22, yp22)
add('keras-metric-bce', KM + 'BinaryCrossentropyTest.test_unweighted: 3.9855 (float32 clip)', 'binaryCrossEntropy',
    [yp22, yt22], KMEAN, 3.9855, keras_metric_mean(mb_r), abs_tol=1e-3, note=CLIP32)
add('keras-metric-bce-sw', KM + 'BinaryCrossentropyTest.test_weighted: sample_weight [1.5, 2.0] -> 3.4162',
    'binaryCrossEntropy', [yp22, yt22], {**KMEAN, 'sampleWeight': [1.5, 2.0]}, 3.4162, keras_metric_mean(mb_r, [1.5, 2.0]),
    abs_tol=1e-3, note=CLIP32)
add('keras-metric-bce-logits', KM + 'BinaryCrossentropyTest.test_unweighted_with_logits: 3.333', 'sigmoidCrossEntropy',
    [lx, lt], KMEAN, 3.333, keras_metric_mean(lr), abs_tol=1e-3)
add('keras-metric-bce-logits-sw', KM + 'BinaryCrossentropyTest.test_weighted_from_logits: [2.0, 2.5] -> 3.7037',
    'sigmoidCrossEntropy', [lx, lt], {**KMEAN, 'sampleWeight': [2.0, 2.5]}, 3.7037, keras_metric_mean(lr, [2.0, 2.5]),
    abs_tol=1e-3)
mc_t, mc_p, mc_x = [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], [[1, 9, 0], [1, 8, 1]]
mc_r = keras_cce_rows(mc_t, mc_p)
mc_xr = keras_cce_rows(mc_t, mc_x, True)
for id_, fn, args, o, pub, ex in [
    ('cce', 'categoricalCrossEntropy', [mc_p, mc_t], {}, 1.176, keras_metric_mean(mc_r)),
    ('cce-logits', 'softmaxCrossEntropy', [mc_x, mc_t], {}, 3.5011, keras_metric_mean(mc_xr)),
    ('cce-sw', 'categoricalCrossEntropy', [mc_p, mc_t], {'sampleWeight': [1.5, 2.0]}, 1.338,
     keras_metric_mean(mc_r, [1.5, 2.0])),
    ('cce-logits-sw', 'softmaxCrossEntropy', [mc_x, mc_t], {'sampleWeight': [1.5, 2.0]}, 4.0012,
     keras_metric_mean(mc_xr, [1.5, 2.0])),
    ('cce-smoothing', 'softmaxCrossEntropy', [mc_x, mc_t], {'labelSmoothing': 0.1}, 3.667,
     keras_metric_mean(keras_cce_rows(mc_t, mc_x, True, 0.1))),
    ('scce', 'categoricalCrossEntropy', [mc_p, [1, 2]], {}, 1.176, keras_metric_mean(mc_r)),
    ('scce-logits', 'softmaxCrossEntropy', [mc_x, [1, 2]], {}, 3.5011, keras_metric_mean(mc_xr)),
    ('scce-sw', 'categoricalCrossEntropy', [mc_p, [1, 2]], {'sampleWeight': [1.5, 2.0]}, 1.338,
     keras_metric_mean(mc_r, [1.5, 2.0])),
    ('scce-logits-sw', 'softmaxCrossEntropy', [mc_x, [1, 2]], {'sampleWeight': [1.5, 2.0]}, 4.0012,
     keras_metric_mean(mc_xr, [1.5, 2.0])),
]:
    cls = ('Sparse' if id_.startswith('scce') else '') + 'CategoricalCrossentropyTest'
    add(f'keras-metric-{id_}', KM + cls, fn, args, {**KMEAN, **o}, pub, ex, abs_tol=1e-3,
        float_args=(0,) if id_.startswith('scce') else (0, 1))
ig_t = [0, 1, 2]
ig_p = [[0.8, 0.1, 0.1], [0.05, 0.95, 0], [0.1, 0.8, 0.1]]
ig_lx = [[10, 1, 1], [1, 9, 0], [1, 8, 1]]
ig_valid = np.array([False, True, True])
ig_pr = keras_cce_rows(np.eye(3)[ig_t], ig_p)
ig_xr = keras_cce_rows(np.eye(3)[ig_t], ig_lx, True)
IGN = ('keras.metrics.Mean counts every row: the ignored row adds 0 to the total and 1 to the count, unless sample '
       'weights are given (the loss function\'s mask then zeroes its weight)')
add('keras-metric-scce-ignore', KM + 'SparseCategoricalCrossentropyTest.test_ignore_class: 0.78462',
    'categoricalCrossEntropy', [ig_p, ig_t], {**KMEAN, 'ignoreIndex': 0}, 0.78462, keras_metric_mean(ig_pr, None, ig_valid),
    abs_tol=1e-3, note=IGN)
add('keras-metric-scce-ignore-sw', KM + 'SparseCategoricalCrossentropyTest.test_ignore_class_weighted: 1.33774646',
    'categoricalCrossEntropy', [ig_p, ig_t], {**KMEAN, 'ignoreIndex': 0, 'sampleWeight': [0.5, 1.5, 2.0]}, 1.33774646,
    keras_metric_mean(ig_pr, [0.5, 1.5, 2.0], ig_valid), abs_tol=1e-3, note=IGN)
add('keras-metric-scce-ignore-logits', KM + 'SparseCategoricalCrossentropyTest.test_ignore_class_from_logits: 2.33409',
    'softmaxCrossEntropy', [ig_lx, ig_t], {**KMEAN, 'ignoreIndex': 0}, 2.33409, keras_metric_mean(ig_xr, None, ig_valid),
    abs_tol=1e-3, note=IGN)
add('keras-loss-scce-ignore-mean-with-sw', KL + ' SparseCategoricalCrossentropy loss with ignore_class: the default '
    'sum_over_batch_size divides by the valid rows (loss.py apply_mask)', 'categoricalCrossEntropy', [ig_p, ig_t],
    {**K, 'ignoreIndex': 0}, ig_pr[1:].sum() / 2, ig_pr[1:].sum() / 2, rel_tol=1e-12)

# --- TF.js: Reduction.MEAN, labels outside [0, 1], negative weights (tfjs-core losses tests and the stated rule) --
add('tfjs-logloss-1d-labels', TJ + 'log_loss_test.ts "1D": labels [1, 2, 3] -> 2.668788', 'binaryCrossEntropy',
    [[0.3, 0.6, 0.1], [1, 2, 3]], T, 2.668788, tfjs_reduce(tfjs_logloss([1, 2, 3], [0.3, 0.6, 0.1]), None),
    rel_tol=1e-6, note='labels outside [0, 1]: logLoss is linear in them')
ll1_w = [0.1, 0.2, 0.3]
ll1 = tfjs_logloss([1, 2, 3], [0.3, 0.6, 0.1])
add('tfjs-logloss-1d-weighted', TJ + 'log_loss_test.ts "1D - weighted - Reduction.SUM_BY_NONZERO_WEIGHTS": 0.7168596',
    'binaryCrossEntropy', [[0.3, 0.6, 0.1], [1, 2, 3]], {**T, 'weight': ll1_w}, 0.7168596, tfjs_reduce(ll1, ll1_w),
    rel_tol=1e-6)
add('tfjs-logloss-1d-weighted-none', TJ + 'log_loss_test.ts "1D - weighted - Reduction.NONE"', 'binaryCrossEntropy',
    [[0.3, 0.6, 0.1], [1, 2, 3]], {**T, 'weight': ll1_w, 'reduction': 'none'}, [0.12039725, 0.02107204, 2.0091095],
    ll1 * a64(ll1_w), tfjs_logloss([1, 2, 3], f32([0.3, 0.6, 0.1])) * f32(ll1_w), rel_tol=1e-5,
    note='the middle term cancels (2 log 0.6 against log 0.4): TF.js prints it to float32 accuracy, 2e-6 relative')
add('tfjs-logloss-1d-mean', TJ + 'log_loss_test.ts "1D - Reduction.MEAN": 2.668788', 'binaryCrossEntropy',
    [[0.3, 0.6, 0.1], [1, 2, 3]], {**T, 'reduction': 'weighted_mean'}, 2.668788, tfjs_reduce(ll1, None, 'mean'),
    rel_tol=1e-6)
add('tfjs-logloss-1d-weighted-mean', TJ + 'log_loss_test.ts "1D - weighted - Reduction.MEAN": 3.5842977',
    'binaryCrossEntropy', [[0.3, 0.6, 0.1], [1, 2, 3]], {**T, 'weight': ll1_w, 'reduction': 'weighted_mean'}, 3.5842977,
    tfjs_reduce(ll1, ll1_w, 'mean'), rel_tol=1e-6)
add('tfjs-logloss-2d-weighted-mean', TJ + 'log_loss_test.ts "2D - weighted - Reduction.MEAN": 0.53904504',
    'binaryCrossEntropy', [ll_p, ll_t], {**T, 'weight': ll_w, 'reduction': 'weighted_mean'}, 0.53904504,
    tfjs_reduce(tfjs_logloss(ll_t, ll_p), a64(ll_w).reshape(2, 3), 'mean'), rel_tol=1e-6, float_args=(0, 1))
sce = tfjs_sigmoid_ce(wrong, sx)
add('tfjs-sigmoid-mean', TJ + 'sigmoid_cross_entropy_test.ts "Reduction.MEAN": 6.6667123', 'sigmoidCrossEntropy',
    [sx, wrong], {**T, 'reduction': 'weighted_mean'}, 6.6667123, tfjs_reduce(sce, None, 'mean'), rel_tol=1e-6)
add('tfjs-sigmoid-weighted-mean', TJ + 'sigmoid_cross_entropy_test.ts "Weighted - Reduction.MEAN" (weights [[0.1, 0.2, '
    '0.3]] per class): 6.666712284088135', 'sigmoidCrossEntropy', [sx, wrong],
    {**T, 'weight': [0.1, 0.2, 0.3], 'reduction': 'weighted_mean'}, 6.666712284088135,
    tfjs_reduce(sce, a64([[0.1, 0.2, 0.3]]), 'mean'), rel_tol=1e-6)
add('tfjs-sigmoid-smoothing-weighted-mean', TJ + 'sigmoid_cross_entropy_test.ts "Label Smoothing - Weighted - '
    'Reduction.MEAN": 6.1667128', 'sigmoidCrossEntropy', [sx, wrong],
    {**T, 'weight': [0.1, 0.2, 0.3], 'labelSmoothing': 0.3, 'reduction': 'weighted_mean'}, 6.1667128,
    tfjs_reduce(tfjs_sigmoid_ce(wrong, sx, 0.3), a64([[0.1, 0.2, 0.3]]), 'mean'), rel_tol=1e-6)
smx = tfjs_softmax_ce(wrong, sx)
add('tfjs-softmax-weighted-sum-by-nonzero', TJ + 'softmax_cross_entropy_test.ts "Weighted - '
    'Reduction.SUM_BY_NONZERO_WEIGHTS": 4 (weights 0.1, 0.2, 0.3 per row)', 'softmaxCrossEntropy', [sx, wrong],
    {**T, 'sampleWeight': [0.1, 0.2, 0.3]}, 4, tfjs_reduce(smx, [0.1, 0.2, 0.3]), abs_tol=1e-5, float_args=(0, 1),
    note='the test broadcasts a 3 x 3 weight tensor whose rows are [0.1, 0.2, 0.3]; the three losses are equal, so '
    'per-row weights give the same 4')
add('tfjs-softmax-mean', TJ + 'softmax_cross_entropy_test.ts "Reduction.MEAN": 20', 'softmaxCrossEntropy', [sx, wrong],
    {**T, 'reduction': 'weighted_mean'}, 20, tfjs_reduce(smx, None, 'mean'), abs_tol=1e-5, float_args=(0, 1))
add('tfjs-softmax-weighted-mean', TJ + 'softmax_cross_entropy_test.ts "Weighted - Reduction.MEAN" (weights [0.1, 0.2, '
    '0.3] per row): 20', 'softmaxCrossEntropy', [sx, wrong],
    {**T, 'sampleWeight': [0.1, 0.2, 0.3], 'reduction': 'weighted_mean'}, 20,
    tfjs_reduce(smx, [0.1, 0.2, 0.3], 'mean'), abs_tol=1e-5, float_args=(0, 1))
smooth_t = a64(wrong) * 0.7 + 0.3 / 3
sms = -(smooth_t * log_softmax(a64(sx), axis=1)).sum(axis=1)
add('tfjs-softmax-smoothing-weighted-mean', TJ + 'softmax_cross_entropy_test.ts "Label Smoothing - Weighted - '
    'Reduction.MEAN": 18', 'softmaxCrossEntropy', [sx, wrong],
    {**T, 'sampleWeight': [0.1, 0.2, 0.3], 'labelSmoothing': 0.3, 'reduction': 'weighted_mean'}, 18,
    tfjs_reduce(sms, [0.1, 0.2, 0.3], 'mean'), abs_tol=1e-5, float_args=(0, 1))
neg_w = [[-1.0, 2.0, 0.5], [0.0, -0.25, 3.0]]
add('tfjs-logloss-negative-weights', TJ + 'compute_weighted_loss.ts: weights only multiply (negative ones too); '
    'SUM_BY_NONZERO_WEIGHTS counts the non-zero ones', 'binaryCrossEntropy', [ll_p, ll_t],
    {**T, 'weight': sum(neg_w, [])}, tfjs_reduce(tfjs_logloss(ll_t, ll_p), a64(neg_w)),
    tfjs_reduce(tfjs_logloss(ll_t, ll_p), a64(neg_w)), rel_tol=1e-12, float_args=(0, 1))
add('tfjs-sigmoid-negative-weights-mean', TJ + 'compute_weighted_loss.ts: Reduction.MEAN with negative weights '
    '(Σ w·l / Σ w)', 'sigmoidCrossEntropy', [sx, wrong], {**T, 'sampleWeight': [2.0, -0.5, 1.0], 'reduction': 'weighted_mean'},
    tfjs_reduce(sce, a64([[2.0], [-0.5], [1.0]]), 'mean'), tfjs_reduce(sce, a64([[2.0], [-0.5], [1.0]]), 'mean'),
    rel_tol=1e-12)
soft_neg = [[1.5, -0.5, 0.0], [0.2, 0.3, 0.5], [-1.0, 0.0, 2.0]]
add('tfjs-softmax-targets-outside', TJ + 'softmax_cross_entropy.ts: -Σ labels·logSoftmax(logits), labels taken as '
    'given', 'softmaxCrossEntropy', [sx, soft_neg], T, tfjs_reduce(-(a64(soft_neg) * log_softmax(a64(sx), axis=1)).sum(1), None),
    tfjs_reduce(-(a64(soft_neg) * log_softmax(a64(sx), axis=1)).sum(1), None), rel_tol=1e-12, float_args=(0, 1))
add('tfjs-sigmoid-labels-outside', TJ + 'sigmoid_cross_entropy.ts: max(x, 0) - x·z + log1p(exp(-|x|)) for any z',
    'sigmoidCrossEntropy', [sx, soft_neg], T, tfjs_reduce(tfjs_sigmoid_ce(soft_neg, sx), None),
    tfjs_reduce(tfjs_sigmoid_ce(soft_neg, sx), None), rel_tol=1e-12, float_args=(0, 1))

# --- PyTorch kl_div: aten/src/ATen/native/Loss.cpp, torch/testing/_internal/common_nn.py kldivloss_reference ----
PL = 'pytorch/pytorch aten/src/ATen/native/Loss.cpp kl_div'


def torch_kl_div(inp, target, log_target=False):
    """Loss.cpp: log_target ? exp(t)·(t - input) : xlogy(t, t) - t·input, elementwise."""
    inp, t = a64(inp), a64(target)
    if log_target:
        return np.exp(t) * (t - inp)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0.0) - t * inp


kq2 = a64(kq_)
kp2 = a64(kp_)
add('torch-kl-none-elementwise', PL + ": reduction='none' is elementwise (input = log q)", 'klDivergence',
    [kp_, kq_], {**PT, 'reduction': 'none'}, torch_kl_div(np.log(kq2), kp2).reshape(-1),
    torch_kl_div(np.log(kq2), kp2).reshape(-1), rel_tol=1e-12, float_args=(0, 1))
add('torch-kl-logq', PL + ': klDivergence(p, log q, { logQ }) is kl_div(input = log q, target = p), "mean" over '
    'elements', 'klDivergence', [kp_, np.log(kq2)], {**PT, 'logQ': True}, torch_kl_div(np.log(kq2), kp2).mean(),
    torch_kl_div(np.log(kq2), kp2).mean(), rel_tol=1e-12, float_args=(0, 1))
add('torch-kl-log-target', PL + ': log_target=True, exp(t)·(t - input), batchmean', 'klDivergence',
    [np.log(kp2), np.log(kq2)], {**PT, 'logP': True, 'logQ': True, 'reduction': 'batchmean'},
    torch_kl_div(np.log(kq2), np.log(kp2), True).sum() / 2, torch_kl_div(np.log(kq2), np.log(kp2), True).sum() / 2,
    rel_tol=1e-12, float_args=(0, 1))
ku_p = [[0.5, 0.0, 2.0], [3.0, 1.0, 0.25]]
ku_q = [[0.2, 0.7, 0.05], [1.5, 0.1, 4.0]]
add('torch-kl-unnormalised', PL + ': any target >= 0 (rows not normalised), sum', 'klDivergence', [ku_p, ku_q],
    {**PT, 'reduction': 'sum'}, torch_kl_div(np.log(a64(ku_q)), a64(ku_p)).sum(),
    torch_kl_div(np.log(a64(ku_q)), a64(ku_p)).sum(), rel_tol=1e-12, float_args=(0, 1))
add('torch-kl-unnormalised-logq-none', PL + ': any target >= 0 against any log input (here > 0), per element',
    'klDivergence', [ku_p, np.log(a64(ku_q))], {**PT, 'logQ': True, 'reduction': 'none'},
    torch_kl_div(np.log(a64(ku_q)), a64(ku_p)).reshape(-1), torch_kl_div(np.log(a64(ku_q)), a64(ku_p)).reshape(-1),
    rel_tol=1e-12, float_args=(0, 1))
add('torch-kl-sample-weight', PL + ' with per-row sample weights (xent option): Σ_r w_r Σ_j l_rj / numel', 'klDivergence',
    [kp_, kq_], {**PT, 'sampleWeight': [2.0, 0.5]}, (torch_kl_div(np.log(kq2), kp2) * [[2.0], [0.5]]).sum() / 6,
    (torch_kl_div(np.log(kq2), kp2) * [[2.0], [0.5]]).sum() / 6, rel_tol=1e-12, float_args=(0, 1))
tb_x, tb_t = [[1.5, -0.3], [0.2, 2.0]], [[1.4, -0.2], [0.5, 2.5]]
tb = np.maximum(a64(tb_x), 0) - a64(tb_x) * a64(tb_t) + np.log1p(np.exp(-np.abs(a64(tb_x))))
add('torch-bce-logits-any-target', 'pytorch/pytorch aten/src/ATen/native/Loss.cpp binary_cross_entropy_with_logits: '
    '(1 - t)·x - log_sigmoid(x), no check of t', 'sigmoidCrossEntropy', [tb_x, tb_t], PT, tb.mean(), tb.mean(),
    rel_tol=1e-12, float_args=(0, 1))

# --- SciPy: rel_entr (special/tests/test_basic.py), logsumexp of nothing, float32 computed in float64 --------------
SPB = SP + 'scipy/special/tests/test_basic.py '
re_near = [(0.9456657713430001, 0.9456657713430094), (0.48066098564791515, 0.48066098564794774),
           (0.786048657854401, 0.7860486578542367)]
re_near_v = [-9.325873406851269e-15, -3.258504577274724e-14, 1.6431300764454033e-13]
add('scipy-rel_entr-near', SPB + 'test_rel_entr_gh_20710_near_zero (mpmath, 30 digits)', 'relEntr',
    [[x for x, _ in re_near], [y for _, y in re_near]], {}, re_near_v, rel_entr([x for x, _ in re_near], [y for _, y in re_near]),
    None, rel_tol=1e-13, float_args=(0, 1), note='float32 input rounds these pairs apart: not meaningful')
re_ovf = [(4, 2.22e-308), (1e-200, 1e+200), (2.22e-308, 1e15)]
re_ovf_v = [2839.139983229607, -9.210340371976183e-198, -1.6493212008074475e-305]
add('scipy-rel_entr-overflow', SPB + 'test_rel_entr_gh_20710_overflow: p/q overflows, underflows, subnormal',
    'relEntr', [[x for x, _ in re_ovf], [y for _, y in re_ovf]], {}, re_ovf_v,
    rel_entr([x for x, _ in re_ovf], [y for _, y in re_ovf]), None, rel_tol=1e-13, float_args=(0, 1),
    note='outside the float32 range')
re_grid = [(sa * va, sb * vb) for sa in (-1, 1) for va in (0, 0.5, 1.0) for sb in (-1, 1) for vb in (0, 0.5, 1.0)]
add('scipy-rel_entr-signs', SPB + 'test_rel_entr: x log(x / y) for x, y > 0, 0 for x = 0 <= y, inf otherwise',
    'relEntr', [[x for x, _ in re_grid], [y for _, y in re_grid]], {}, rel_entr([x for x, _ in re_grid], [y for _, y in re_grid]),
    rel_entr([x for x, _ in re_grid], [y for _, y in re_grid]), rel_tol=1e-13, float_args=(0, 1))
add('scipy-rel_entr-scalar', SP + 'scipy/special rel_entr(0.5, 0.25) = 0.5 log 2', 'relEntr', [0.5, 0.25], {},
    0.5 * math.log(2), float(rel_entr(0.5, 0.25)), rel_tol=1e-15, float_args=())
add('scipy-rel_entr-rows', SP + 'scipy/special rel_entr is elementwise over any shape (rows here)', 'relEntr',
    [ku_p, ku_q], {'base': 2}, rel_entr(a64(ku_p), a64(ku_q)).reshape(-1) / math.log(2),
    rel_entr(a64(ku_p), a64(ku_q)).reshape(-1) / math.log(2), rel_tol=1e-13, float_args=(0, 1), flat=False)
add('scipy-logsumexp-empty', SP + 'scipy/special/tests/test_logsumexp.py test_logsumexp: logsumexp([]) = -inf',
    'logSumExp', [[]], {}, '-Infinity', float(logsumexp([])), float_args=(0,))
add('scipy-logsumexp-empty-rows', SP + 'scipy/special logsumexp(np.zeros((2, 0)), axis=1) = [-inf, -inf]',
    'logSumExp', [[[], []]], {}, ['-Infinity', '-Infinity'], logsumexp(np.zeros((2, 0)), axis=1), float_args=(0,),
    flat=False)
rng = np.random.default_rng(19)
js_a = rng.random((4, 7)) * [[1, 1e-3, 1, 5, 1, 1, 0.1]]
js_b = rng.random((4, 7))
js_a32, js_b32 = f32(js_a), f32(js_b)
SPD = SP + 'scipy/spatial/distance/tests/test_distance.py test_pdist_jensenshannon_random_float32 (rtol 1e-8): '
add('scipy-jensenshannon-float32', SPD + 'pdist converts float32 input to float64, so compat scipy does too',
    'jsDistance', [js_a.tolist(), js_b.tolist()], {'compat': 'scipy', 'reduction': 'none'},
    jensenshannon(js_a, js_b, axis=1), jensenshannon(js_a, js_b, axis=1),
    exact32=jensenshannon(js_a32, js_b32, axis=1), rel_tol=1e-13, float_args=(0, 1), tol32=1e-13)
add('scipy-entropy-float32', SP + 'scipy/stats entropy(pk, qk) of float32 rows, computed in float64 under compat scipy',
    'entropy', [js_a.tolist(), js_b.tolist()], {'compat': 'scipy', 'reduction': 'none'},
    sp_entropy(js_a, js_b, axis=1), sp_entropy(js_a, js_b, axis=1), exact32=sp_entropy(js_a32, js_b32, axis=1),
    rel_tol=1e-13, float_args=(0, 1), tol32=1e-13)

# --- scikit-learn 1.7: brier_score_loss of 1-D probabilities is the two columns [1 - p, p], halved by 'auto' ------
add('sklearn-brier-binary-not-halved', SKD + ' brier_score_loss(scale_by_half=False) on 1-D y_proba: the two-column '
    'score, 2 mean (p - y)^2 (0.074...)', 'brierScore', [bs_p, bs_t], {'scaleByHalf': False}, 0.074,
    2 * sk_brier(bs_t, bs_p), abs_tol=1e-3)
add('sklearn-brier-binary-halved', SKD + ' brier_score_loss(scale_by_half=True) on 1-D y_proba: 0.037...', 'brierScore',
    [bs_p, bs_t], {'scaleByHalf': True}, 0.037, sk_brier(bs_t, bs_p), abs_tol=1e-3)
add('sklearn-brier-scalar-weight', SKD + ' brier_score_loss(sample_weight): a weight of 2.5 on every row leaves the '
    'weighted mean unchanged', 'brierScore', [bs_p, bs_t], {'sampleWeight': 2.5}, sk_brier(bs_t, bs_p, [2.5] * 4),
    sk_brier(bs_t, bs_p, [2.5] * 4), rel_tol=1e-13)

with open(OUT, 'w') as f:
    json.dump({'generator': 'scripts/compat_fixtures.py', 'numpy': np.__version__, 'cases': cases}, f, indent=1)
    f.write('\n')
from collections import Counter
print(len(cases), Counter(c['id'].split('-')[0] for c in cases))
