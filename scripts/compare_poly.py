#!/usr/bin/env python3
"""The polynomials k1, k2, k3 of assembly/compare32.ts (the divergence terms over pa·v²), in two tiers: degree 3 on
[-1/8, 1/8] (the blocks whose every |v| < 1/8) and degree 7 on [-1, 1] (the lanes with |v| < 1 of the other blocks).

With v = la - lb (the base's log-probability minus the candidate's), r = e^-v:
  k1(v) = (e^-v - 1 + v) / v²                      KL(base ‖ candidate) term over pa·v²
  k2(v) = (1 - e^-v (1 + v)) / v²                  KL(candidate ‖ base) term over pa·v²
  k3(v) = ((1 + r) log(2 / (1 + r)) - r v) / (2 v²)  Jensen–Shannon term over pa·v²
Near-minimax in relative error: least squares at 400 Chebyshev nodes against mpmath (40 digits), then Lawson's
iteration (weights multiplied by the error, 60 times); the float32-rounded coefficients are then checked on 2,000
points, evaluated in float64 as the kernel combines them (float64 sums of the moments Σ pa·v^(k+2) times the
coefficients). Prints each coefficient as its float32 bits and value, the error, and Σ|c_k| / min k(v) on the
interval (the most by which the moments' rounding is magnified relative to the sum).

    python3 scripts/compare_poly.py
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40
# (prefix, half-width, degree)
TIERS = (('K', 0.125, 3), ('J', 1.0, 7))


def k1(v):
    return (mp.exp(-v) - 1 + v) / v**2


def k2(v):
    return (1 - mp.exp(-v) * (1 + v)) / v**2


def k3(v):
    r = mp.exp(-v)
    return ((1 + r) * mp.log(2 / (1 + r)) - r * v) / 2 / v**2


def fit(f, width, degree, nodes=400):
    x = np.cos(np.pi * (np.arange(nodes) + 0.5) / nodes) * width
    y = np.array([float(f(mp.mpf(float(t)))) for t in x])
    a = np.vander(x, degree + 1, increasing=True) / y[:, None]  # relative error: (poly / f) - 1
    w = np.ones_like(y)
    for _ in range(60):
        c = np.linalg.lstsq(a * np.sqrt(w)[:, None], np.sqrt(w), rcond=None)[0]
        w = w * np.abs(a @ c - 1)
        w /= w.sum()
    return c.astype(np.float32)


def error(f, c, width):
    x = np.linspace(-width, width, 2001)
    x = x[x != 0]
    h = np.polyval(c[::-1].astype(np.float64), x)
    want = np.array([float(f(mp.mpf(float(t)))) for t in x])
    return float(np.max(np.abs(h / want - 1))), float(np.sum(np.abs(c.astype(np.float64))) / want.min())


if __name__ == '__main__':
    for tier, width, degree in TIERS:
        print(f'degree {degree} on [-{width}, {width}]')
        for name, f in ((tier + '1', k1), (tier + '2', k2), (tier + '3', k3)):
            c = fit(f, width, degree)
            err, gain = error(f, c, width)
            print(f'{name}: relative error {err:.2g}, sum |c_k| / min k {gain:.2f}')
            for i, v in enumerate(c):
                print(f'  {name}{i} 0x{int(np.float32(v).view(np.uint32)):08X}  {float(v):.9g}')
