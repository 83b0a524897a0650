#!/usr/bin/env python3
"""The degree-3 polynomials k1, k2, k3 of assembly/compare32.ts (the divergence terms of near rows over pa·v²).

On [-1/8, 1/8], v = la - lb (the base's log-probability minus the candidate's), r = e^-v:
  k1(v) = (e^-v - 1 + v) / v²                      KL(base ‖ candidate) term over pa·v²
  k2(v) = (1 - e^-v (1 + v)) / v²                  KL(candidate ‖ base) term over pa·v²
  k3(v) = ((1 + r) log(2 / (1 + r)) - r v) / (2 v²)  Jensen–Shannon term over pa·v²
Near-minimax in relative error: least squares at 400 Chebyshev nodes against mpmath (40 digits), then Lawson's
iteration (weights multiplied by the error, 60 times); the float32-rounded coefficients are then checked with
float32 Horner evaluation on 2,000 points. Prints each coefficient as its float32 bits and value, and the error.

    python3 scripts/compare_poly.py
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40
WIDTH = 0.125
DEGREE = 3


def k1(v):
    return (mp.exp(-v) - 1 + v) / v**2


def k2(v):
    return (1 - mp.exp(-v) * (1 + v)) / v**2


def k3(v):
    r = mp.exp(-v)
    return ((1 + r) * mp.log(2 / (1 + r)) - r * v) / 2 / v**2


def fit(f, nodes=400):
    x = np.cos(np.pi * (np.arange(nodes) + 0.5) / nodes) * WIDTH
    y = np.array([float(f(mp.mpf(float(t)))) for t in x])
    a = np.vander(x, DEGREE + 1, increasing=True) / y[:, None]  # relative error: (poly / f) - 1
    w = np.ones_like(y)
    for _ in range(60):
        c = np.linalg.lstsq(a * np.sqrt(w)[:, None], np.sqrt(w), rcond=None)[0]
        w = w * np.abs(a @ c - 1)
        w /= w.sum()
    return c.astype(np.float32)


def error32(f, c):
    x = np.linspace(-WIDTH, WIDTH, 2001)
    x = x[x != 0].astype(np.float32)
    h = np.float32(c[-1])
    for k in range(DEGREE - 1, -1, -1):
        h = (h * x + c[k]).astype(np.float32)
    want = np.array([float(f(mp.mpf(float(t)))) for t in x])
    return float(np.max(np.abs(h.astype(np.float64) / want - 1)))


if __name__ == '__main__':
    for name, f in (('K1', k1), ('K2', k2), ('K3', k3)):
        c = fit(f)
        print(f'{name}: relative error {error32(f, c):.2g}')
        for i, v in enumerate(c):
            print(f'  {name}{i} 0x{int(np.float32(v).view(np.uint32)):08X}  {float(v):.9g}')
