"""Writes test/fixtures/cli/: model outputs saved the way people save them (pandas, NumPy, pyarrow), and what
`xent eval` must report on each, computed here in float64 by NumPy from the values as stored.

    pip install numpy pandas pyarrow && python3 scripts/cli_fixtures.py

Each case in expected.json names its files, the extra CLI arguments it needs, and the expected count, mean
cross-entropy (nats), accuracy and Brier score. test/cli-files.test.ts runs the built CLI on each.
"""
import gzip
import json
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'cli')
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20)
N, C = 60, 4
NAMES = ['cat', 'dog', 'bird', 'fish']
logits = rng.normal(0, 1.5, (N, C))
labels = np.where(rng.random(N) < 0.6, logits.argmax(1), rng.integers(0, C, N))
cases = {}


def path(name):
    return os.path.join(OUT, name)


def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def from_probs(p, y):
    """count, nats, accuracy, Brier (sum over classes) of probability rows p against integer labels y."""
    p = np.asarray(p, dtype=np.float64)
    onehot = np.eye(p.shape[1])[y]
    return {
        'count': int(len(y)),
        'nats': float(np.mean(-np.log(p[np.arange(len(y)), y]))),
        'accuracy': float(np.mean(p.argmax(1) == y)),
        'brier': float(np.mean(((p - onehot) ** 2).sum(1))),
    }


def from_logits(z, y):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(1, keepdims=True)))[:, 0]
    out = from_probs(softmax(z), y)
    out['nats'] = float(np.mean(lse - z[np.arange(len(y)), y]))
    return out


def binary(p, y):
    p = np.asarray(p, dtype=np.float64)
    return {
        'count': int(len(y)),
        'nats': float(np.mean(-(y * np.log(p) + (1 - y) * np.log1p(-p)))),
        'accuracy': float(np.mean((p >= 0.5) == (y == 1))),
        'brier': float(np.mean((p - y) ** 2)),
    }


def case(name, files, expect, args=(), rel=1e-12):
    cases[name] = {'files': files, 'args': list(args), 'rel': rel, **expect}


labels_csv = 'labels.csv'
pd.Series(labels, name='label').to_csv(path(labels_csv), index=False)

# pandas' defaults: the index is written (an unnamed first column), and unnamed columns are named 0, 1, …
df = pd.DataFrame(logits)
df.to_csv(path('pandas-index.csv'))
case('df.to_csv() with the index', ['pandas-index.csv', labels_csv], from_logits(logits, labels))
df.to_csv(path('pandas-numeric-header.csv'), index=False)
case('to_csv(index=False): a numeric header', ['pandas-numeric-header.csv', labels_csv], from_logits(logits, labels))
# An unnamed label Series: its header is "0" too, like the predictions'.
pd.Series(labels).to_csv(path('labels-numeric-header.csv'), index=False)
case('numeric headers on both files', ['pandas-numeric-header.csv', 'labels-numeric-header.csv'], from_logits(logits, labels))

# Separators and whitespace.
df.to_csv(path('semicolon.csv'), index=False, sep=';')
case('a ;-delimited CSV', ['semicolon.csv', labels_csv], from_logits(logits, labels))
lines = df.to_csv(index=False).splitlines()
lines.insert(10, '')
lines.insert(31, '   ')
with open(path('blank-lines.csv'), 'w') as f:
    f.write('\n' + '\n'.join(lines) + '\n\n')
case('blank lines inside a CSV', ['blank-lines.csv', labels_csv], from_logits(logits, labels))
with gzip.open(path('logits.csv.gz'), 'wt') as f:
    df.to_csv(f, index=False)
case('a gzip-compressed CSV', ['logits.csv.gz', labels_csv], from_logits(logits, labels))

# Class names: the predictions' header names the classes, the labels are names.
named = pd.DataFrame(logits, columns=NAMES)
named.to_csv(path('named.csv'), index=False)
pd.Series(np.array(NAMES)[labels], name='label').to_csv(path('label-names.csv'), index=False)
case('class-name labels, named by the header', ['named.csv', 'label-names.csv'], from_logits(logits, labels))

# Probabilities without --from probs: read as probabilities (with a note).
probs = softmax(logits)
pd.DataFrame(probs).to_csv(path('probs.csv'), index=False)
case('probabilities without --from probs', ['probs.csv', labels_csv], from_probs(probs, labels))
# Probabilities rounded to 5 significant digits: rows sum to 1 ± up to 2e-5, past the default tolerance (1e-6).
pd.DataFrame(probs).to_csv(path('probs-rounded.csv'), index=False, float_format='%.5g')
rounded = pd.read_csv(path('probs-rounded.csv')).to_numpy()
assert np.abs(rounded.sum(1) - 1).max() > 1e-6
case('rounded probabilities, --normalize', ['probs-rounded.csv', labels_csv], from_probs(rounded / rounded.sum(1, keepdims=True), labels), ['--normalize'])
case('rounded probabilities, --tolerance', ['probs-rounded.csv', labels_csv], from_probs(rounded, labels), ['--tolerance', '1e-4'])

# A binary task: one probability column, and labels as booleans (pandas writes True / False).
p1 = 1 / (1 + np.exp(-logits[:, 0]))
y1 = rng.random(N) < p1
pd.DataFrame({'p': p1}).to_csv(path('binary-p.csv'), index=False)
pd.DataFrame({'is_cat': y1}).to_csv(path('binary-bool.csv'), index=False)
case('one binary probability column, True/False labels', ['binary-p.csv', 'binary-bool.csv'], binary(p1, y1.astype(int)))

# JSON Lines objects, as a training script logs them: one file holding both.
with open(path('outputs.jsonl'), 'w') as f:
    for z, y in zip(logits, labels):
        f.write(json.dumps({'id': f'ex-{int(rng.integers(1e6))}', 'logits': z.tolist(), 'label': int(y)}) + '\n')
case('JSON Lines objects holding logits and labels', ['outputs.jsonl'], from_logits(logits, labels))
with open(path('probs.jsonl'), 'w') as f:
    for p, y in zip(probs, labels):
        f.write(json.dumps({'probabilities': p.tolist(), 'target': int(y)}) + '\n')
case('JSON Lines objects with probabilities (the key says so)', ['probs.jsonl'], from_probs(probs, labels))

# NumPy: float16 logits, string labels.
z16 = logits.astype(np.float16)
np.save(path('logits-f16.npy'), z16)
np.save(path('labels-i8.npy'), labels.astype(np.int64))
case('float16 .npy', ['logits-f16.npy', 'labels-i8.npy'], from_logits(z16.astype(np.float64), labels), rel=1e-6)
np.save(path('logits-f8.npy'), logits)
np.save(path('labels-U10.npy'), np.array(NAMES)[labels].astype('<U10'))
case('<U10 .npy labels with --class-names', ['logits-f8.npy', 'labels-U10.npy'], from_logits(logits, labels), ['--class-names', ','.join(NAMES)])

# pyarrow: an id column, float32 logits per class, a categorical label (dictionary-encoded), nulls in a column
# that is not read (the categories name the prediction columns).
z32 = logits.astype(np.float32)
table = pd.DataFrame({'id': rng.permutation(10_000)[:N]})
for j, name in enumerate(NAMES):
    table[name] = z32[:, j]
table['label'] = pd.Categorical(np.array(NAMES)[labels], categories=NAMES)
table['weight'] = np.where(rng.random(N) < 0.2, np.nan, 1.0)
want32 = from_logits(z32.astype(np.float64), labels)
for codec in ['lz4', 'zstd', 'uncompressed']:
    feather.write_feather(table, path(f'outputs-{codec}.feather'), compression=codec)
    case(f'Feather ({codec}) with an id column, a dictionary label and nulls', [f'outputs-{codec}.feather'], want32, rel=1e-6)
for codec in ['snappy', 'zstd', 'gzip']:
    table.to_parquet(path(f'outputs-{codec}.parquet'), compression=codec)
    case(f'Parquet ({codec})', [f'outputs-{codec}.parquet'], want32, rel=1e-6)
# Parquet with a list column of probabilities and an integer label, as a Hugging Face dataset saves it.
lists = pa.table({'probs': pa.array(probs.tolist(), pa.list_(pa.float64())), 'label': pa.array(labels, pa.int64())})
pq.write_table(lists, path('probs-list.parquet'), row_group_size=25)
case('Parquet list column of probabilities, several row groups', ['probs-list.parquet'], from_probs(probs, labels))

# pyarrow: float16 logits (halffloat), per class and as a fixed-size list, with an integer label; and the same
# values as float32, which must give the same report (test/cli-arrow.test.ts).
halves = {name: pa.array(z16[:, j], pa.float16()) for j, name in enumerate(NAMES)}
feather.write_feather(pa.table({**halves, 'label': pa.array(labels, pa.int64())}), path('half-columns.feather'), compression='uncompressed')
case('Feather float16 columns', ['half-columns.feather'], from_logits(z16.astype(np.float64), labels), rel=1e-6)
half_list = pa.FixedSizeListArray.from_arrays(pa.array(z16.ravel(), pa.float16()), C)
feather.write_feather(pa.table({'logits': half_list, 'label': pa.array(labels, pa.int64())}), path('half-list.feather'), compression='uncompressed')
case('Feather float16 fixed-size list', ['half-list.feather'], from_logits(z16.astype(np.float64), labels), rel=1e-6)
single_list = pa.FixedSizeListArray.from_arrays(pa.array(z16.astype(np.float32).ravel(), pa.float32()), C)
feather.write_feather(pa.table({'logits': single_list, 'label': pa.array(labels, pa.int64())}), path('half-list-f32.feather'), compression='uncompressed')
case('Feather float32 fixed-size list of float16 values', ['half-list-f32.feather'], from_logits(z16.astype(np.float64), labels), rel=1e-6)
# Parquet's FLOAT16 logical type (widened by the Parquet decoder, which has no way to hand on the bits).
pq.write_table(pa.table({**halves, 'label': pa.array(labels, pa.int64())}), path('half-columns.parquet'))
case('Parquet FLOAT16 columns', ['half-columns.parquet'], from_logits(z16.astype(np.float64), labels), rel=1e-6)

# Bad files: what must be an exit-2 error naming the fix (checked by the test, not numbers).
bad = table.copy()
bad.loc[17, 'dog'] = np.nan
bad['dog'] = bad['dog'].astype('float32')
pa_bad = pa.Table.from_pandas(bad, preserve_index=False)
pa_bad = pa_bad.set_column(pa_bad.schema.get_field_index('dog'), 'dog', pa.array(bad['dog'], from_pandas=True))
feather.write_feather(pa_bad, path('null-prediction.feather'))
pd.DataFrame(np.c_[np.arange(N), logits]).to_csv(path('headerless-index.csv'), index=False, header=False)

with open(path('expected.json'), 'w') as f:
    json.dump(cases, f, indent=1)
    f.write('\n')
print(f'{len(cases)} cases, {len(os.listdir(OUT))} files in {os.path.relpath(OUT)}')
