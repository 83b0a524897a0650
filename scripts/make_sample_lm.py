#!/usr/bin/env python3
"""Write the language-model sample of data/sample-lm/: float16 logits of a small character model, and token ids.

    python3 scripts/make_sample_lm.py

No pretrained model is used (none is at hand offline): the model is an interpolated character trigram model
(Jelinek-Mercer: 0.6 trigram + 0.3 bigram + 0.1 add-one unigram) trained by this script on data/sample-lm/corpus.txt
less its last paragraph, which is held out and scored. The held-out text's first 7 x 96 characters are cut into 7
sequences of 96; the model reads each sequence from its start (no context across sequences), so position 0 is
predicted by the unigram alone, position 1 from one character, and later ones from two. Row t of the logits is the
natural log of the model's distribution for token t (aligned with its target: no --shift), saved as float16
[7, 96, V], V the characters of the corpus; tokens.npy holds the ids [7, 96] (int32), text.txt the 672 characters
scored (ASCII: 672 bytes), vocab.json the characters by id. Deterministic: no randomness.
"""
import json
import os

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'sample-lm')
N, T = 7, 96

corpus = open(os.path.join(HERE, 'corpus.txt'), encoding='ascii').read().replace('\n', ' ')
paragraphs = corpus.split('  ')
held = paragraphs[-1].strip()
train = '  '.join(paragraphs[:-1])
vocab = sorted(set(corpus))
V = len(vocab)
index = {c: i for i, c in enumerate(vocab)}
ids = np.array([index[c] for c in train])

uni = np.bincount(ids, minlength=V) + 1.0
uni /= uni.sum()
bi = np.zeros((V, V))
np.add.at(bi, (ids[:-1], ids[1:]), 1)
tri = np.zeros((V, V, V))
np.add.at(tri, (ids[:-2], ids[1:-1], ids[2:]), 1)


def dist(context):
    """P(next | context), context the last 0, 1 or 2 ids: the interpolation of the orders it has, renormalised."""
    parts = [(0.1, uni)]
    if len(context) >= 1 and bi[context[-1]].sum() > 0:
        parts.append((0.3, bi[context[-1]] / bi[context[-1]].sum()))
    if len(context) >= 2 and tri[context[-2], context[-1]].sum() > 0:
        parts.append((0.6, tri[context[-2], context[-1]] / tri[context[-2], context[-1]].sum()))
    p = sum(w * q for w, q in parts) / sum(w for w, _ in parts)
    return p


text = held[:N * T]
tokens = np.array([index[c] for c in text], dtype=np.int32).reshape(N, T)
logits = np.zeros((N, T, V))
for n in range(N):
    for t in range(T):
        logits[n, t] = np.log(dist(list(tokens[n, max(0, t - 2):t])))
np.save(os.path.join(HERE, 'logits.npy'), logits.astype(np.float16))
np.save(os.path.join(HERE, 'tokens.npy'), tokens)
with open(os.path.join(HERE, 'text.txt'), 'w', encoding='ascii', newline='') as fh:
    fh.write(text)
with open(os.path.join(HERE, 'vocab.json'), 'w') as fh:
    json.dump(vocab, fh)
    fh.write('\n')
