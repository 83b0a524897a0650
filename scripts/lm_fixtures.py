#!/usr/bin/env python3
"""Generate the reference fixtures of token scoring and the language-model evaluator.

    python3 scripts/lm_fixtures.py      # writes test/fixtures/lm.json

Every expected value is computed here in float64 with NumPy from the definitions, independently of xent and of
test/lm-reference.ts: log-probabilities as (z - m) - log1p(rest), m the max and rest the correctly rounded sum
(math.fsum) of the other exp(z - m) (scipy.special.log_softmax takes log(1 + rest), which loses the relative accuracy
of a confident row's tiny log-probability), ranks by counting, the top k by a stable sort on (-logit, id),
entropies as log1p(rest) + fsum of p (m - z), and the evaluator's figures as plain means, sample standard
deviations (ddof = 1) and the conventions of lm-evaluation-harness (token-weighted perplexity, bits per byte),
Hugging Face evaluate (mean of per-text perplexities) and llama.cpp (PPL +/- PPL * SE(mean nll)). `exact32` holds
the same computation on the float32-rounded logits: what a Float32Array call must reproduce.

The tests never run Python: they read the JSON committed next to them. Re-run this script (NumPy >= 1.20,
SciPy >= 1.7) when a case is added; the output is deterministic (fixed seed).
"""
import json
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'lm.json')
Z95 = 1.959963984540054
ECE_BINS = 15
rng = np.random.default_rng(20261207)


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


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


def sem(a):
    """Standard error of a mean: sample standard deviation (ddof = 1) over sqrt(n); NaN below two values."""
    a = np.asarray(a, dtype=np.float64)
    return a.std(ddof=1) / math.sqrt(len(a)) if len(a) > 1 else math.nan


def starts_of(n, seq_len=None, seq_ids=None):
    """Sequence boundaries [0, ..., n]: every seq_len positions and wherever the id changes."""
    s = [0]
    for i in range(1, n):
        if (seq_len and i % seq_len == 0) or (seq_ids is not None and seq_ids[i] != seq_ids[i - 1]):
            s.append(i)
    return s + [n] if n > 0 else [0]


def log_softmax_entropy(z):
    """Log-softmax and entropy of one row, accurate to a few ulp (see the header)."""
    m = z.max()
    first = int(np.argmax(z))
    with np.errstate(invalid='ignore'):
        e = np.exp(z - m)
    rest = math.fsum(e[j] for j in range(len(z)) if j != first)
    lg = math.log1p(rest)
    lp = (z - m) - lg
    spread = math.fsum((e[j] / (1 + rest)) * (m - z[j]) for j in range(len(z)) if e[j] > 0 and z[j] != m)
    return lp, lg + spread


def score(logits, targets, shift, ignore, k, temperature, seq_len=None, seq_ids=None):
    """Per position: (scored, logprob, rank, entropy, top ids, top logprobs); row r scores position r (+1 if shift)."""
    x = np.asarray(logits, dtype=np.float64)
    n, V = x.shape
    rows = [log_softmax_entropy(x[r] / temperature) for r in range(n)]
    lp = np.array([r[0] for r in rows])
    ent = np.array([r[1] for r in rows])
    st = starts_of(n, seq_len, seq_ids)
    out = []
    for q in range(len(st) - 1):
        for i in range(st[q], st[q + 1]):
            row = i - 1 if shift else i
            y = targets[i]
            if (shift and i == st[q]) or y == ignore:
                out.append(None)
                continue
            order = np.lexsort((np.arange(V), -x[row]))[:k]
            out.append({
                'position': i - st[q],
                'logprob': lp[row, y],
                'rank': int(np.sum(x[row] > x[row, y])),
                'entropy': ent[row],
                'topIds': order.tolist(),
                'topLogprobs': lp[row, order].tolist(),
                'maxLogprob': lp[row].max(),
            })
    return out, st


# --------------------------------------------------------------------------------------------------------
# scoreTokens cases
# --------------------------------------------------------------------------------------------------------

def logits_of(n, V, scale=2.0):
    return rng.normal(0, scale, (n, V))


score_cases = []


def score_case(name, logits, targets, opts):
    o = {'shift': False, 'ignoreIndex': -100, 'topK': 0, 'temperature': 1.0, 'base': math.e, **opts}
    res = {}
    for key, x in (('exact', np.asarray(logits, dtype=np.float64)), ('exact32', f32(logits))):
        s, _ = score(x, targets, o['shift'], o['ignoreIndex'], o['topK'], o['temperature'],
                     o.get('sequenceLength'), o.get('sequenceIds'))
        u = math.log(o['base'])
        res[key] = {
            'logprob': [0.0 if e is None else e['logprob'] / u for e in s],
            'rank': [-1 if e is None else e['rank'] for e in s],
            'entropy': [0.0 if e is None else e['entropy'] / u for e in s],
            'topIds': [i for e in s for i in ([-1] * o['topK'] if e is None else e['topIds'])],
            'topLogprobs': [v for e in s for v in ([0.0] * o['topK'] if e is None else [t / u for t in e['topLogprobs']])],
            'count': sum(e is not None for e in s),
        }
    opts_out = {k: v for k, v in opts.items() if k != 'base' or v != math.e}
    score_cases.append({'name': name, 'classes': int(np.asarray(logits).shape[1]),
                        'logits': np.asarray(logits, dtype=np.float64), 'targets': list(map(int, targets)),
                        'options': opts_out, **res})


V = 9
x = logits_of(12, V)
t = rng.integers(0, V, 12)
score_case('plain', x, t, {})
score_case('top 4, base 2', x, t, {'topK': 4, 'base': 2})
score_case('temperature 0.6, top 3', x, t, {'topK': 3, 'temperature': 0.6})

x = logits_of(12, V)
t = rng.integers(0, V, 12)
t[[2, 7]] = -100
score_case('shift over 3 sequences of 4, ignored targets', x, t, {'shift': True, 'sequenceLength': 4, 'topK': 2})
ids = [5, 5, 5, 5, 5, 1, 1, 7, 7, 7, 7, 7]
score_case('shift with sequence ids', x, t, {'shift': True, 'sequenceIds': ids})
score_case('ignoreIndex -1', x, np.where(t == -100, -1, t), {'ignoreIndex': -1})

# The max far above the target: log-probabilities near -100 and -1000 (finite, float32-accurate).
x = logits_of(7, V, 0.5)
x[:, 0] += np.array([5, 20, 60, 100, 300, 1000, 25])
t = np.array([3, 3, 3, 3, 3, 3, 0])
score_case('max far above the target', x, t, {'topK': 2})

# Ties at the rank and top-k boundaries, a constant row.
x = np.round(logits_of(5, V, 1.5))
x[0, [1, 4, 6]] = 3.0
x[1, [2, 3, 8]] = 1.0
x[4, :] = 0.25
t = np.array([4, 3, 0, 5, 7])
score_case('ties', x, t, {'topK': 3})

x = logits_of(1, V)
score_case('a single token', x, [2], {'topK': 1})
score_case('a single token, shifted: nothing scored', x, [2], {'shift': True})


# --------------------------------------------------------------------------------------------------------
# LanguageModelEvaluator: a corpus of updates
# --------------------------------------------------------------------------------------------------------

def evaluator_case(name, settings, updates):
    V = settings['classes']
    k = min(settings.get('topK', 5), V)
    ignore = settings.get('ignoreIndex', -100)
    res = {}
    for key, cv in (('exact', lambda a: np.asarray(a, dtype=np.float64)), ('exact32', f32)):
        nll, ent, conf, ok, okk, pos = [], [], [], [], [], []
        seq_ppl, empty, positions = [], 0, 0
        byte_nll, nbytes = [], 0
        for u in updates:
            x = cv(u['logits'])
            s, st = score(x, u['targets'], u.get('shift', False), ignore, 1, 1.0,
                          u.get('sequenceLength'), u.get('sequenceIds'))
            positions += len(u['targets'])
            upd = []
            for q in range(len(st) - 1):
                seq = [e for e in s[st[q]:st[q + 1]] if e is not None]
                if not seq:
                    empty += 1
                    continue
                seq_ppl.append(math.exp(np.mean([-e['logprob'] for e in seq])))
                for e in seq:
                    upd.append(-e['logprob'])
                    nll.append(-e['logprob'])
                    ent.append(e['entropy'])
                    conf.append(math.exp(e['maxLogprob']))
                    ok.append(e['rank'] == 0)
                    okk.append(e['rank'] < k)
                    pos.append(e['position'])
            if u.get('bytes') is not None and upd:
                byte_nll += upd
                nbytes += u['bytes']
        nll, ent, conf = np.array(nll), np.array(ent), np.array(conf)
        ok, okk, pos = np.array(ok, dtype=float), np.array(okk, dtype=float), np.array(pos)
        n = len(nll)
        m = nll.mean()
        se = sem(nll)
        ppl = math.exp(m)
        # ECE with torchmetrics' equal-width binning of the top-1 confidence (15 bins).
        b = np.minimum((conf * ECE_BINS).astype(int), ECE_BINS - 1)
        ece = sum(abs(conf[b == i].sum() - ok[b == i].sum()) for i in range(ECE_BINS)) / n
        bn = np.array(byte_nll)
        bins = []
        edges = list(range(9)) + [e for o in range(3, 20) for e in ((1 << o) + (1 << (o - 2)) * q for q in range(1, 5))]
        for lo, hi in zip(edges[:-1], edges[1:]):
            sel = nll[(pos >= lo) & (pos < hi)]
            if len(sel):
                bins.append({'from': lo, 'to': hi, 'tokens': len(sel), 'mean': sel.mean(), 'se': sem(sel)})
        res[key] = {
            'positions': positions, 'tokens': n, 'sequences': len(seq_ppl), 'emptySequences': empty,
            'nats': m, 'natsSE': se, 'bits': m / math.log(2), 'bitsSE': se / math.log(2),
            'corpusPerplexity': ppl, 'corpusPerplexitySE': ppl * se,
            'interval95': [math.exp(m - Z95 * se), math.exp(m + Z95 * se)],
            'meanSequencePerplexity': np.mean(seq_ppl),
            'meanSequencePerplexitySE': sem(seq_ppl),
            'bitsPerByte': bn.sum() / nbytes / math.log(2) if nbytes else None,
            'bitsPerByteSE': sem(bn) * len(bn) / nbytes / math.log(2) if nbytes else None,
            'bytes': nbytes,
            'accuracy': ok.mean(), 'accuracySE': math.sqrt(ok.mean() * (1 - ok.mean()) / n),
            'topK': okk.mean(), 'entropy': ent.mean(), 'entropySE': sem(ent),
            'ece': ece, 'byPosition': bins,
        }
    evaluator_cases.append({'name': name, 'settings': settings, 'updates': [
        {**u, 'logits': np.asarray(u['logits'], dtype=np.float64), 'targets': list(map(int, u['targets']))}
        for u in updates], **res})


evaluator_cases = []
V = 13
updates = []
# Confident-ish logits so that top-1 accuracy and calibration are not trivial: the target boosted on most rows.
for n, opts in [(20, {'shift': True, 'bytes': 71}), (9, {'shift': True, 'bytes': 30}), (24, {'shift': True, 'sequenceLength': 8}),
                (30, {'shift': True, 'sequenceIds': [0] * 5 + [1] * 12 + [2] * 1 + [3] * 12, 'bytes': 118}),
                (1, {'shift': True}), (6, {})]:
    x = logits_of(n, V, 1.5)
    t = rng.integers(0, V, n)
    for i in range(n - 1):
        if rng.random() < 0.6:
            x[i, t[i + 1]] += rng.uniform(1, 6)
        if rng.random() < 0.6:
            x[i, t[i]] += rng.uniform(1, 6)
    t[rng.random(n) < 0.1] = -100
    updates.append({'logits': x, 'targets': t, **opts})
evaluator_case('corpus of six updates', {'classes': V, 'topK': 3}, updates)

# An all-ignored sequence among others, and a base-2 unit.
x = logits_of(10, 5)
evaluator_case('all-ignored sequence', {'classes': 5, 'topK': 2, 'base': 2}, [
    {'logits': x[:4], 'targets': [-100, -100, -100, -100], 'shift': True},
    {'logits': x[4:], 'targets': [1, 2, 0, 4, 3, 3], 'shift': True, 'bytes': 20},
])


# --------------------------------------------------------------------------------------------------------
# Logprobs from LLM APIs: payloads in the shapes the APIs return, and the figures from their numbers
# --------------------------------------------------------------------------------------------------------

def entropy_bound(top, extra):
    """Least -sum p log p given the listed top-k probabilities (each unlisted token at most their minimum) and, when
    the sampled token is not listed, its probability `extra`: fill the leftover mass with tokens at the cap."""
    h = -sum(p * math.log(p) for p in top + ([extra] if extra > 0 else []) if p > 0)
    rest = max(0.0, 1.0 - sum(top) - extra)
    cap = min(top)
    full = math.floor(rest / cap)
    q = rest - full * cap
    return h + full * (-cap * math.log(cap)) + (-q * math.log(q) if q > 0 else 0.0)


def check_bound(top, extra, bound, trials=200):
    """The bound holds for random completions of the distribution that respect the cap (a sanity check here)."""
    rest = max(0.0, 1.0 - sum(top) - extra)
    cap = min(top)
    for _ in range(trials):
        n = int(math.ceil(rest / cap)) + int(rng.integers(0, 50))
        w = rng.random(n)
        w = w / w.sum() * rest
        if w.size and w.max() > cap:
            continue
        ps = top + ([extra] if extra > 0 else []) + w.tolist()
        assert -sum(p * math.log(p) for p in ps if p > 0) >= bound - 1e-12


def chat_token(token, lp, top, with_bytes=True):
    e = {'token': token, 'logprob': lp, 'bytes': list(token.encode('utf-8')) if with_bytes else None,
         'top_logprobs': [{'token': t, 'logprob': v, 'bytes': list(t.encode('utf-8'))} for t, v in top]}
    return e


def top_list(lp_sampled, token, k, include):
    """k alternatives in descending order (the sampled one among them when include)."""
    vals = sorted(rng.uniform(-6, -0.05, k), reverse=True)
    toks = [f'w{j}' for j in range(k)]
    if include:
        vals[0] = lp_sampled
        toks[0] = token
        vals = sorted(vals, reverse=True)
    # Normalise so that the listed mass stays below 1.
    z = math.log(sum(math.exp(v) for v in vals) / 0.97) if sum(math.exp(v) for v in vals) > 0.97 else 0.0
    return [(t, v - z) for t, v in zip(toks, vals)]


logprob_cases = []


def logprob_case(name, payload, responses):
    """responses: per response a list of (logprob or sentinel, bytes or None, top pairs or None, sampled token)."""
    nll, byte_nll, nbytes, ppl, hb, per = [], [], 0, [], [], []
    for resp in responses:
        r_nll, r_bytes, r_bnll, r_h = [], 0, [], []
        for lp, b, top, tok in resp:
            if lp is None or lp > 0 or lp <= -9999:
                continue
            r_nll.append(-lp)
            if b is not None:
                r_bytes += b
                r_bnll.append(-lp)
            if top:
                tp = [math.exp(v) for t, v in top if v is not None and -9999 < v <= 0]
                listed = any(t == tok for t, v in top)
                extra = 0.0 if listed else math.exp(lp)
                h = entropy_bound(tp, extra)
                check_bound(tp, extra, h)
                r_h.append(h)
        nll += r_nll
        byte_nll += r_bnll
        nbytes += r_bytes
        hb += r_h
        if r_nll:
            ppl.append(math.exp(np.mean(r_nll)))
        per.append({'tokens': len(r_nll), 'nll': math.fsum(r_nll),
                    'perplexity': math.exp(np.mean(r_nll)) if r_nll else math.nan,
                    'bitsPerByte': math.fsum(r_bnll) / r_bytes / math.log(2) if r_bytes else None,
                    'entropyLowerBound': np.mean(r_h) if r_h else None})
    m = np.mean(nll)
    logprob_cases.append({'name': name, 'input': payload, 'expected': {
        'tokens': len(nll), 'nats': m, 'natsSE': sem(nll), 'corpusPerplexity': math.exp(m),
        'meanSequencePerplexity': np.mean(ppl),
        'bitsPerByte': math.fsum(byte_nll) / nbytes / math.log(2) if nbytes else None,
        'entropyLowerBound': np.mean(hb) if hb else None, 'entropyPositions': len(hb), 'perResponse': per}})


# Chat completions: two responses (one with two choices), bytes on every token, top 5 with and without the
# sampled token, a multi-byte token, OpenAI's -9999 for a token outside the top 20.
def chat_response(n, choices=1):
    out = {'id': 'chatcmpl-x', 'object': 'chat.completion', 'choices': []}
    spec = []
    for c in range(choices):
        content, resp = [], []
        for i in range(n):
            tok = ['The', ' café', ' is', ' open', '.', ' 世', '!'][i % 7]
            lp = float(-rng.exponential(1.2))
            top = top_list(lp, tok, 5, include=rng.random() < 0.7)
            if i == 3 and c == 0:
                lp = -9999.0
            content.append(chat_token(tok, lp, top))
            resp.append((lp, len(tok.encode('utf-8')), top, tok))
        out['choices'].append({'index': c, 'message': {'role': 'assistant', 'content': ''}, 'logprobs': {'content': content},
                               'finish_reason': 'stop'})
        spec.append(resp)
    return out, spec


p1, s1 = chat_response(9)
p2, s2 = chat_response(6, choices=2)
logprob_case('chat completions, two responses, -9999 filler', [p1, p2], s1 + s2)

# Legacy completions with echo: the first token has no log-probability (null), top_logprobs as dicts, and
# sentinels in the middle: a positive "no logprob" marker and llama.cpp's -FLT_MAX for probability 0.
tokens = ['Hello', ',', ' world', ' and', ' all', ' that', ' is']
lps = [None] + [float(-rng.exponential(1.5)) for _ in tokens[1:]]
lps[3] = 1.0
lps[5] = -3.4028234663852886e38
tops = [None] + [dict(top_list(lp if lp is not None and lp < 0 else -1.0, t, 3, include=True)) for lp, t in zip(lps[1:], tokens[1:])]
legacy = {'object': 'text_completion', 'choices': [{'index': 0, 'text': ''.join(tokens), 'logprobs': {
    'tokens': tokens, 'token_logprobs': lps, 'top_logprobs': tops, 'text_offset': list(range(len(tokens)))}}]}
logprob_case('legacy completions with echo and sentinels', legacy,
             [[(lp, None, list(top.items()) if top else None, t) for lp, t, top in zip(lps, tokens, tops)]])

with open(OUT, 'w') as f:
    json.dump(enc({'score': score_cases, 'evaluator': evaluator_cases, 'logprobs': logprob_cases}), f,
              separators=(',', ':'))
    f.write('\n')
print(f'wrote {OUT}: {len(score_cases)} scoreTokens cases, {len(evaluator_cases)} evaluator cases, '
      f'{len(logprob_cases)} logprobs cases')
