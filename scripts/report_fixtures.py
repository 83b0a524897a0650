"""Writes test/fixtures/report.json: the classification-report figures of `Evaluator.result()` computed here in
float64 by NumPy, following scikit-learn's documented definitions (scikit-learn itself is not needed):

- precision_recall_fscore_support / classification_report: per label tp = Σ w [y = k and argmax = k] (the logits are
  random floats: no ties, where xent gives a tie with the label to the label and NumPy the first index), precision tp / Σ w [argmax = k], recall tp / Σ w [y = k], F1 = 2 tp / (support + predicted); a zero
  denominator gives 0 (its default zero_division="warn" returns 0). The report's labels are those in y_true or
  y_pred; macro = plain mean over them, weighted = mean weighted by support. Multi-label indicator targets: every
  column is a label, predicted positive where p >= 0.5.
- confusion_matrix: C[y, k] = Σ w over the rows of label y predicted k.
- roc_auc_score and average_precision_score (binary; multi-label with average='micro', every label's p pooled):
  the exact values on the rows (ties count half in the AUROC; AP = Σ (R_n - R_{n-1}) P_n over distinct scores).
- d2_log_loss_score: 1 - log_loss(y, p) / log_loss(y, prior), prior = np.average(one_hot(y), weights=w, axis=0).
  The multi-label analogue (not a scikit-learn function) uses the mean binary cross-entropy and each label's
  weighted positive rate.

    python3 scripts/report_fixtures.py

When scikit-learn is installed (pip install scikit-learn), the figures are also checked against it: its
precision_recall_fscore_support, classification_report, confusion_matrix and d2_log_loss_score.
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'report.json')
rng = np.random.default_rng(2020)


def scores(tp, support, predicted, labels):
    def div(a, b):
        return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)
    p = div(tp, predicted)
    r = div(tp, support)
    f = div(2 * tp, support + predicted)
    per = [{'class': int(k), 'support': float(support[k]), 'precision': float(p[k]), 'recall': float(r[k]),
            'f1': float(f[k])} for k in range(len(tp))]
    s = support[labels]
    avg = {
        'macro': {m: float(v[labels].mean()) for m, v in (('precision', p), ('recall', r), ('f1', f))},
        'weighted': {m: float((v[labels] * s).sum() / s.sum()) for m, v in (('precision', p), ('recall', r), ('f1', f))},
    }
    return per, avg


def exact_curves(score, t, w):
    order = np.argsort(-score, kind='stable')
    s, t, w = score[order], t[order], w[order]
    P = (w * t).sum()
    N = (w * (1 - t)).sum()
    # Groups of equal scores, highest first.
    edges = np.flatnonzero(np.diff(s)) + 1
    starts = np.r_[0, edges]
    pos = np.add.reduceat(w * t, starts)
    neg = np.add.reduceat(w * (1 - t), starts)
    tp = np.cumsum(pos)
    fp = np.cumsum(neg)
    auc = (neg * (tp - pos + pos / 2)).sum() / (P * N)
    ap = (pos / P * tp / (tp + fp)).sum()
    return float(auc), float(ap)


def single(n, c, absent, weighted):
    logits = rng.normal(0, 1.2, (n, c))
    y = np.where(rng.random(n) < 0.55, logits.argmax(1), rng.integers(0, c, n))
    if absent is not None:
        y[y == absent] = (absent + 1) % c  # a class never a label, still predicted now and then
    w = rng.uniform(0.2, 2.0, n).round(3) if weighted else np.ones(n)
    z = logits - logits.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    nll = -logp[np.arange(n), y]
    pred = logits.argmax(1)
    onehot = np.eye(c)[y]
    tp = np.array([(w * ((y == k) & (pred == k))).sum() for k in range(c)])
    support = (onehot * w[:, None]).sum(0)
    predicted = np.array([(w * (pred == k)).sum() for k in range(c)])
    labels = np.array(sorted(set(y.tolist()) | set(pred.tolist())))
    per, avg = scores(tp, support, predicted, labels)
    prior = np.average(onehot, axis=0, weights=w)
    ce = (w * nll).sum() / w.sum()
    ce_prior = -(w * np.log(prior[y])).sum() / w.sum()
    conf = np.zeros((c, c))
    np.add.at(conf, (y, pred), w)
    order = sorted(range(n), key=lambda i: (-nll[i], i))[:10]
    curves = exact_curves(np.exp(logp[:, 1]), (y == 1).astype(float), w) if c == 2 else (None, None)
    return {
        'auroc': curves[0], 'ap': curves[1],
        'classes': c, 'logits': logits.ravel().tolist(), 'labels': y.tolist(),
        'weights': w.tolist() if weighted else None,
        'perClass': per, 'averages': avg, 'accuracy': float((w * (pred == y)).sum() / w.sum()),
        'loss': float(ce), 'prior': float(ce_prior), 'uniform': float(np.log(c)), 'skill': float(1 - ce / ce_prior),
        'confusion': conf.tolist(), 'worst': [{'row': i, 'loss': float(nll[i])} for i in order],
    }


def multi(n, c):
    logits = rng.normal(0, 1.5, (n, c))
    t = (rng.random((n, c)) < 1 / (1 + np.exp(-logits + 0.3))).astype(float)
    t[:, c - 1] = 0  # a label with no positives
    p = 1 / (1 + np.exp(-logits))
    bce = np.maximum(logits, 0) - logits * t + np.log1p(np.exp(-np.abs(logits)))
    pos = (p >= 0.5).astype(float)
    tp = (t * pos).sum(0)
    per, avg = scores(tp, t.sum(0), pos.sum(0), np.arange(c))
    rate = t.mean(0)
    with np.errstate(divide='ignore', invalid='ignore'):
        h = -np.where(rate > 0, rate * np.log(rate), 0) - np.where(rate < 1, (1 - rate) * np.log1p(-rate), 0)
    ce = bce.mean()
    row = bce.mean(1)
    order = sorted(range(n), key=lambda i: (-row[i], i))[:10]
    auc, ap = exact_curves(p.ravel(), t.ravel(), np.ones(n * c))
    return {
        'auroc': auc, 'ap': ap,
        'classes': c, 'logits': logits.ravel().tolist(), 'targets': t.ravel().tolist(),
        'perClass': per, 'averages': avg, 'loss': float(ce), 'prior': float(h.mean()), 'uniform': float(np.log(2)),
        'skill': float(1 - ce / h.mean()), 'worst': [{'row': i, 'loss': float(row[i])} for i in order],
    }


def check_sklearn(case, multi_label):
    try:
        from sklearn import metrics
    except ImportError:
        return
    import warnings
    warnings.simplefilter('ignore')
    c = case['classes']
    x = np.array(case['logits']).reshape(-1, c)
    w = None if case.get('weights') is None else np.array(case['weights'])
    if multi_label:
        y = np.array(case['targets']).reshape(-1, c).astype(int)
        pred = (1 / (1 + np.exp(-x)) >= 0.5).astype(int)
        labels = None
    else:
        y = np.array(case['labels'])
        pred = x.argmax(1)
        labels = sorted(set(y.tolist()) | set(pred.tolist()))
    p, r, f, s = metrics.precision_recall_fscore_support(y, pred, sample_weight=w, labels=labels, zero_division=0)
    got = {k: e for k, e in enumerate(case['perClass'])}
    for i, k in enumerate(labels if labels is not None else range(c)):
        for name, v in (('precision', p), ('recall', r), ('f1', f), ('support', s)):
            assert abs(got[k][name] - v[i]) < 1e-12, (k, name, got[k][name], v[i])
    rep = metrics.classification_report(y, pred, sample_weight=w, labels=labels, output_dict=True, zero_division=0)
    for a in ('macro', 'weighted'):
        for name in ('precision', 'recall', 'f1'):
            v = rep[f'{a} avg']['f1-score' if name == 'f1' else name]
            assert abs(case['averages'][a][name] - v) < 1e-12, (a, name)
    if case['auroc'] is not None:
        if multi_label:
            score, truth = 1 / (1 + np.exp(-x.ravel())), y.ravel()
        else:
            score, truth = np.exp(x[:, 1]) / np.exp(x).sum(1), y
        assert abs(metrics.roc_auc_score(truth, score, sample_weight=None if multi_label else w) - case['auroc']) < 1e-12
        assert abs(metrics.average_precision_score(truth, score, sample_weight=None if multi_label else w) - case['ap']) < 1e-12
    if not multi_label:
        z = x - x.max(1, keepdims=True)
        prob = np.exp(z) / np.exp(z).sum(1, keepdims=True)
        d2 = metrics.d2_log_loss_score(y, prob, sample_weight=w, labels=list(range(c)))
        assert abs(case['skill'] - d2) < 1e-9, (case['skill'], d2)
        cm = metrics.confusion_matrix(y, pred, sample_weight=w, labels=list(range(c)))
        assert np.allclose(cm, case['confusion'], rtol=0, atol=1e-9)
    print('checked against scikit-learn', metrics.__name__.split('.')[0], __import__('sklearn').__version__)


out = {
    'note': 'written by scripts/report_fixtures.py',
    'single': single(240, 6, 4, False),
    'weighted': single(180, 5, 2, True),
    'multi': multi(120, 4),
    'binary': single(400, 2, None, True),
}
check_sklearn(out['single'], False)
check_sklearn(out['weighted'], False)
check_sklearn(out['multi'], True)
check_sklearn(out['binary'], False)
with open(OUT, 'w') as fh:
    json.dump(out, fh)
    fh.write('\n')
