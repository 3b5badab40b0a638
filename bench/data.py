"""The benchmark's synthetic data (bench/xgb_train.py, bench/rf_bench.py).

Why synthetic: reproducible anywhere from a seed, of any size, and with
missing values where we want them.  20 continuous float32 features (one
discrete, one of wide range); the label is a noisy nonlinear function of
them; with missing=True a third of the rows miss one feature (NaN).
"""

import numpy as np

NFEAT = 20
NROWS = 10000


def make_rows(rng, n, missing=True):
    x = rng.normal(size=(n, NFEAT)).astype(np.float32)
    x[:, 5] = np.round(x[:, 5] * 4).astype(np.float32)      # a discrete feature
    x[:, 9] = np.abs(x[:, 9] * 1000).astype(np.float32)     # a wide-range one
    f = (x[:, 0] * x[:, 1] + np.sin(2 * x[:, 2]) + 0.5 * x[:, 3] ** 2
         - 0.3 * x[:, 5] + np.where(x[:, 9] > 700, 1.0, -0.5) + 0.4 * x[:, 4] * x[:, 6])
    y = (f + rng.normal(scale=0.7, size=n) > 0.6).astype(np.float32)
    if missing:
        miss = rng.random(n) < 1.0 / 3.0
        cols = rng.integers(0, NFEAT, size=n)
        x[miss, cols[miss]] = np.nan
    return x, y
