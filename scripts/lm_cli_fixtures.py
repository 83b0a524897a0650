#!/usr/bin/env python3
"""Generate the fixtures of `xent eval --task lm`: .npy logits and token ids, and the expected report figures.

    python3 scripts/lm_cli_fixtures.py      # writes test/fixtures/lm-cli/

The logits are saved as float32, float16, bfloat16 (as ml_dtypes saves it: raw '<u2' bits, rounded to nearest
even from float32) and float64, in the shapes [N, T, V] and [N*T, V]; the token ids as int64 [N, T] and int32
[N*T], with padding (-100, or -1 for --ignore-index -1), a sequence that is all padding, a row whose max is far
above its target, and targets tied with the max (rank 0: a tie counts as right). Every expected figure is computed
here in float64 from the values each file holds (the half-precision bits decoded by NumPy), from the definitions:
log-softmax as (z - m) - log(sum exp(z - m)) with math.fsum, rank by counting the logits strictly above the
target's, the entropy -sum p log p, plain means and sample standard deviations (ddof = 1) over tokens, corpus
perplexity exp(mean nll) with llama.cpp's error PPL * SE, the mean of per-sequence perplexities (Hugging Face
evaluate), bits per byte sum nll / (bytes ln 2) (lm-evaluation-harness), ECE over 15 equal bins of the top-1
probability, and the loss by position in bins of the position t (one per t < 8, then four per octave).

The tests never run Python: they read the files committed next to them. The output is deterministic (fixed seed).
"""
import json
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'lm-cli')
Z95 = 1.959963984540054
rng = np.random.default_rng(20261208)


def bf16_bits(x):
    """bfloat16 bits of float32 values, rounded to nearest even (finite inputs)."""
    b = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) >> 16
    return b.astype(np.uint16)


def bf16_values(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def position_bin(t):
    if t < 8:
        return t
    e = t.bit_length() - 1
    return 8 + 4 * (e - 3) + ((t - (1 << e)) >> (e - 2))


def bin_bounds(b):
    if b < 8:
        return b, b + 1
    e = 3 + (b - 8) // 4
    q = (b - 8) % 4
    return (1 << e) + q * (1 << (e - 2)), (1 << e) + (q + 1) * (1 << (e - 2))


def mean_se(a):
    a = np.asarray(a, dtype=np.float64)
    m = math.fsum(a) / len(a) if len(a) else math.nan
    se = a.std(ddof=1) / math.sqrt(len(a)) if len(a) > 1 else math.nan
    return {'value': m, 'standardError': se}


def prop(k, n):
    p = k / n
    return {'value': p, 'standardError': math.sqrt(p * (1 - p) / n)}


def evaluate(x, y, T, shift, ignore, k, nbytes):
    """The report's figures for logits x [P, V] (float64) and token ids y [P], sequences of T positions."""
    P, V = x.shape
    nll, ent, conf, ok, okk, pos, seq_ppl = [], [], [], [], [], [], []
    empty = 0
    for s in range(P // T):
        seq_nll = []
        for t in range(T):
            i = s * T + t
            row = i - 1 if shift else i
            if (shift and t == 0) or y[i] == ignore:
                continue
            z = x[row]
            m = z.max()
            lse = m + math.log(math.fsum(np.exp(z - m)))
            lp = z - lse
            p = np.exp(lp)
            target = int(y[i])
            rank = int(np.sum(z > z[target]))
            nll.append(-lp[target])
            seq_nll.append(-lp[target])
            ent.append(-math.fsum(p[p > 0] * lp[p > 0]))
            conf.append(p.max())
            ok.append(rank == 0)
            okk.append(rank < k)
            pos.append(t)
        if seq_nll:
            seq_ppl.append(math.exp(math.fsum(seq_nll) / len(seq_nll)))
        else:
            empty += 1
    n = len(nll)
    nats = mean_se(nll)
    ppl = math.exp(nats['value'])
    bins = {}
    for t, l in zip(pos, nll):
        bins.setdefault(position_bin(t), []).append(l)
    ece_bins = np.zeros((15, 3))
    for c, o in zip(conf, ok):
        b = min(int(math.floor(c * 15)), 14)
        ece_bins[b] += (1, c, o)
    return {
        'positions': P,
        'tokens': n,
        'sequences': len(seq_ppl),
        'emptySequences': empty,
        'nats': nats,
        'bitsPerToken': {'value': nats['value'] / math.log(2), 'standardError': nats['standardError'] / math.log(2)},
        'corpusPerplexity': {
            'value': ppl, 'standardError': ppl * nats['standardError'],
            'interval95': [math.exp(nats['value'] - Z95 * nats['standardError']), math.exp(nats['value'] + Z95 * nats['standardError'])],
        },
        'meanSequencePerplexity': mean_se(seq_ppl),
        'accuracy': prop(sum(ok), n),
        'topK': {'k': k, **prop(sum(okk), n)},
        'entropy': mean_se(ent),
        'ece': float(np.abs(ece_bins[:, 1] - ece_bins[:, 2]).sum() / n),
        'byPosition': [
            {'from': bin_bounds(b)[0], 'to': bin_bounds(b)[1], 'tokens': len(v), 'loss': mean_se(v)}
            for b, v in sorted(bins.items())
        ],
        'bitsPerByte': None if nbytes is None else {
            'value': math.fsum(nll) / (nbytes * math.log(2)),
            'standardError': nats['standardError'] * n / (nbytes * math.log(2)),
            'bytes': nbytes, 'tokens': n,
        },
    }


def nulls(v):
    """NaN (an undefined standard error) as null, as the report's JSON writes it."""
    if isinstance(v, dict):
        return {k: nulls(x) for k, x in v.items()}
    if isinstance(v, list):
        return [nulls(x) for x in v]
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (np.integer, np.bool_)):
        return int(v)
    return v


def main():
    os.makedirs(OUT, exist_ok=True)
    N, T, V = 4, 9, 40
    z = rng.normal(0, 3, (N, T, V)).astype(np.float32)
    y = rng.integers(0, V, (N, T))
    y[0, 2] = y[1, 5] = y[2, 0] = -100
    y[3, :] = -100                                    # a sequence of padding only
    z[0, 3, (y[0, 4] + 1) % V] = z[0, 3].max() + 40   # the max far above the target (scored by row 3 under the shift)
    z[1, 1, y[1, 1]] = z[1, 1].max()                  # ties with the max: rank 0 (no shift)
    z[1, 3, y[1, 4]] = z[1, 3].max()                  # the same under the shift
    z[2, 6, (y[2, 6] + 3) % V] = z[2, 6, y[2, 6]]     # a tie just above the target: rank stays below k
    y_ig = np.where(y == -100, -1, y)

    half = z.astype(np.float16)
    bits = bf16_bits(z)
    files = {
        'logits-f4.npy': (z, z.astype(np.float64)),
        'logits-f2.npy': (half, half.astype(np.float64)),
        'logits-bf16.npy': (bits, bf16_values(bits)),
        'logits-f8-flat.npy': (z.astype(np.float64).reshape(N * T, V), z.astype(np.float64)),
    }
    for name, (a, _) in files.items():
        np.save(os.path.join(OUT, name), a)
    np.save(os.path.join(OUT, 'tokens.npy'), y.astype(np.int64))
    np.save(os.path.join(OUT, 'tokens-flat.npy'), y.reshape(-1).astype(np.int32))
    np.save(os.path.join(OUT, 'tokens-ig.npy'), y_ig.astype(np.int64))
    single = rng.normal(0, 2, (1, V)).astype(np.float32)
    np.save(os.path.join(OUT, 'single-f4.npy'), single)
    np.save(os.path.join(OUT, 'single-tokens.npy'), np.array([7], dtype=np.int64))

    def values(name):
        return files[name][1].reshape(N * T, V)

    cases = []

    def case(name, pred, target, args, x, tokens, T_, shift, ignore=-100, k=5, nbytes=None):
        cases.append({'name': name, 'pred': pred, 'target': target, 'args': args,
                      'expected': evaluate(x, tokens.reshape(-1), T_, shift, ignore, k, nbytes)})

    case('float32 [N,T,V], ids [N,T]', 'logits-f4.npy', 'tokens.npy', [], values('logits-f4.npy'), y, T, False)
    case('float32, shift, top-3, bytes', 'logits-f4.npy', 'tokens.npy', ['--shift', '--top-k', '3', '--bytes', '1234'],
         values('logits-f4.npy'), y, T, True, k=3, nbytes=1234)
    case('float16 [N,T,V], ids [N*T], shift', 'logits-f2.npy', 'tokens-flat.npy', ['--shift'], values('logits-f2.npy'), y, T, True)
    case('float16, no shift', 'logits-f2.npy', 'tokens.npy', [], values('logits-f2.npy'), y, T, False)
    case('bfloat16 (<u2, --dtype), shift', 'logits-bf16.npy', 'tokens.npy', ['--dtype', 'bfloat16', '--shift'],
         values('logits-bf16.npy'), y, T, True)
    case('float64 [N*T,V], ids [N*T], --sequence-length', 'logits-f8-flat.npy', 'tokens-flat.npy',
         ['--sequence-length', str(T), '--shift'], values('logits-f8-flat.npy'), y, T, True)
    case('float64 [N*T,V], ids [N,T]', 'logits-f8-flat.npy', 'tokens.npy', [], values('logits-f8-flat.npy'), y, T, False)
    case('--ignore-index -1, shift', 'logits-f4.npy', 'tokens-ig.npy', ['--ignore-index', '-1', '--shift'],
         values('logits-f4.npy'), y_ig, T, True, ignore=-1)
    case('a single token', 'single-f4.npy', 'single-tokens.npy', [], single.astype(np.float64), np.array([7]), 1, False)

    with open(os.path.join(OUT, 'expected.json'), 'w') as fh:
        json.dump(nulls({'cases': cases}), fh, indent=1, allow_nan=False)
        fh.write('\n')


main()
