#!/usr/bin/env python3
"""Generate test/fixtures/half.json: every float16 and bfloat16 bit pattern widened to float32, by NumPy.

    pip install ml_dtypes   # bfloat16 for NumPy (the implementation JAX uses)
    python3 scripts/half_fixtures.py

float16: NumPy's own conversion, np.uint16 patterns viewed as np.float16, cast to np.float32. bfloat16:
ml_dtypes.bfloat16, cast the same way. Both keep NaN payloads, so the float32 bit patterns are compared exactly.

All 65,536 patterns of each format are summarised by the SHA-256 of their float32 patterns (uint32, little-endian,
in pattern order), which test/half.test.ts recomputes from every backend's conversion; the spot values (every
exponent with two mantissas and both signs, and the edges: ±0, the smallest and largest subnormals and normals,
±Infinity, quiet and signalling NaNs; for bfloat16 every 17th exponent and the edges) say which patterns differ when a digest does not match.
"""
import hashlib
import json
import os

import ml_dtypes
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'half.json')

ALL = np.arange(65536, dtype=np.uint16)


def table(fmt):
    kind = np.float16 if fmt == 'float16' else ml_dtypes.bfloat16
    return ALL.view(kind).astype(np.float32).view(np.uint32)


def spots(fmt):
    man_bits = 10 if fmt == 'float16' else 7
    exp_bits = 15 - man_bits
    top = (1 << man_bits) - 1
    exps = range(1 << exp_bits) if fmt == 'float16' else sorted({*range(0, 256, 17), 1, 126, 127, 128, 254, 255})
    picks = set()
    for e in exps:
        for m in (0, 1, 0x155 & top, 0x2AA & top, top):
            for s in (0, 0x8000):
                picks.add(s | (e << man_bits) | m)
    return sorted(picks)


def main():
    out = {'generator': 'scripts/half_fixtures.py', 'numpy': np.__version__, 'ml_dtypes': ml_dtypes.__version__}
    for fmt in ('float16', 'bfloat16'):
        f = table(fmt)
        out[fmt] = {
            'sha256': hashlib.sha256(f.astype('<u4').tobytes()).hexdigest(),
            'spots': {f'{h:04x}': f'{int(f[h]):08x}' for h in spots(fmt)},
        }
    with open(OUT, 'w') as fh:
        json.dump(out, fh, indent=1)
        fh.write('\n')


if __name__ == '__main__':
    main()
