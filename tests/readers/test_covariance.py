"""AUC covariance estimators against straightforward implementations written here."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from teleradlab.quality.roc import auc_mann_whitney
from teleradlab.readers.covariance import auc_covariance, empirical_auc


def _ratings(seed: int, k: int = 4, n1: int = 23, n0: int = 31, levels: int | None = 5):
    rng = np.random.default_rng(seed)
    shared1, shared0 = rng.normal(1, 1, n1), rng.normal(0, 1, n0)
    x = shared1 + 0.7 * rng.normal(size=(k, n1))
    y = shared0 + 0.7 * rng.normal(size=(k, n0))
    if levels:  # ordinal ratings with many ties
        x, y = np.digitize(x, np.linspace(-1, 2, levels - 1)), np.digitize(y, np.linspace(-1, 2, levels - 1))
    return x.astype(float), y.astype(float)


def _delong_loops(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """DeLong et al. (1988) as written: placement values, then sample covariances."""
    k, m = x.shape
    n = y.shape[1]

    def psi(a, b):
        return 1.0 if a > b else 0.5 if a == b else 0.0

    v10 = [[sum(psi(x[r][i], y[r][j]) for j in range(n)) / n for i in range(m)] for r in range(k)]
    v01 = [[sum(psi(x[r][i], y[r][j]) for i in range(m)) / m for j in range(n)] for r in range(k)]
    theta = [sum(v10[r]) / m for r in range(k)]
    s = np.zeros((k, k))
    for a in range(k):
        for b in range(k):
            s10 = sum((v10[a][i] - theta[a]) * (v10[b][i] - theta[b]) for i in range(m)) / (m - 1)
            s01 = sum((v01[a][j] - theta[a]) * (v01[b][j] - theta[b]) for j in range(n)) / (n - 1)
            s[a, b] = s10 / m + s01 / n
    return s


def _jackknife_loops(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    m, n = x.shape[1], y.shape[1]
    thetas = []
    for drop in range(m + n):
        xs = np.delete(x, drop, axis=1) if drop < m else x
        ys = np.delete(y, drop - m, axis=1) if drop >= m else y
        thetas.append([auc_mann_whitney(xs[r], ys[r]) for r in range(x.shape[0])])
    t = np.array(thetas)
    d = t - t.mean(0)
    return (m + n - 1) / (m + n) * d.T @ d


def _unbiased_loops(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gallas (2006): Cov = E[ÂB̂] − E[Â]E[B̂] with every moment averaged over its own index set."""
    k, m = x.shape
    n = y.shape[1]
    h = (x[:, :, None] > y[:, None, :]) + 0.5 * (x[:, :, None] == y[:, None, :])
    out = np.zeros((k, k))
    for a in range(k):
        for b in range(k):
            sums = {"11": [], "10": [], "01": [], "00": []}
            for i, kk in itertools.product(range(m), range(m)):
                for j, ll in itertools.product(range(n), range(n)):
                    key = ("1" if i == kk else "0") + ("1" if j == ll else "0")
                    sums[key].append(h[a, i, j] * h[b, kk, ll])
            mu = {key: np.mean(v) for key, v in sums.items()}
            # E[ÂB̂] = [mn μ11 + mn(n−1) μ(same diseased) + m(m−1)n μ(same normal) + m(m−1)n(n−1) μ00]/(mn)²
            e_ab = (m * n * mu["11"] + m * n * (n - 1) * mu["10"] + m * (m - 1) * n * mu["01"]
                    + m * (m - 1) * n * (n - 1) * mu["00"]) / (m * n) ** 2
            out[a, b] = e_ab - mu["00"]
    return out


@pytest.mark.parametrize("levels", [None, 5])
def test_delong_matches_textbook_loops(levels):
    x, y = _ratings(3, levels=levels)
    auc, cov = auc_covariance(x, y, method="delong")
    np.testing.assert_allclose(cov, _delong_loops(x, y), rtol=0, atol=1e-10)
    np.testing.assert_allclose(auc, [auc_mann_whitney(x[r], y[r]) for r in range(len(x))], atol=1e-12)


def test_jackknife_matches_leave_one_out():
    x, y = _ratings(4)
    np.testing.assert_allclose(auc_covariance(x, y, method="jackknife")[1], _jackknife_loops(x, y), atol=1e-12)


def test_unbiased_matches_moment_loops():
    x, y = _ratings(5, k=3, n1=6, n0=7)
    np.testing.assert_allclose(auc_covariance(x, y, method="unbiased")[1], _unbiased_loops(x, y), atol=1e-12)


def test_variances_estimate_the_sampling_variance():
    """Averaged over studies, each estimator's variance is close to the empirical variance of the AUC."""
    rng = np.random.default_rng(11)
    aucs, est = [], {m: [] for m in ("delong", "jackknife", "unbiased")}
    for _ in range(1500):
        x, y = rng.normal(1.0, 1, (1, 25)), rng.normal(0, 1, (1, 25))
        aucs.append(float(empirical_auc(x[0], y[0])))
        for m in est:
            est[m].append(auc_covariance(x, y, method=m)[1][0, 0])
    true_var = np.var(aucs, ddof=1)  # relative SE of this ~ sqrt(2/1499) = 3.7 %
    for m, v in est.items():
        assert np.mean(v) == pytest.approx(true_var, rel=0.12), m


def test_bad_method():
    with pytest.raises(ValueError, match="unknown covariance"):
        auc_covariance(np.ones((1, 3)), np.zeros((1, 3)), method="bootstrap")
