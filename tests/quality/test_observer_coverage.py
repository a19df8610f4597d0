"""The multi-split interval covers the true AUC of a synthetic task at its nominal rate (a small Monte Carlo).

The full check (400 repetitions, three observers, 95% ± 3%) is benchmarks/bench_observer_coverage.py.
Here: an LG-CHO on white noise with a known signal (d′ = 1.5), 30 images per class, 120
repetitions. The truth is computed without teleradlab: Hotelling templates trained on 15
channel vectors per class drawn from the channel-space Gaussian, each scored by its exact
AUC Φ(wᵀΔ/√(2wᵀKw)), averaged.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import eval_laguerre

from teleradlab.quality import model_observer

SIZE, A, N_CH = 16, 4.0, 4


def _setup(dprime: float):
    y, x = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2
    s = np.exp(-(x ** 2 + y ** 2) / (2 * 1.5 ** 2))
    s *= dprime / np.linalg.norm(s)
    g = 2 * np.pi * (x ** 2 + y ** 2) / A ** 2
    u = np.stack([(np.sqrt(2) / A * np.exp(-g / 2) * eval_laguerre(j, g)).ravel() for j in range(N_CH)])
    return s, u


def _truth(u: np.ndarray, s: np.ndarray, n_train: int, draws: int = 6000) -> float:
    rng = np.random.default_rng(99)
    delta, k = u @ s.ravel(), u @ u.T
    chol = np.linalg.cholesky(k)
    aucs = np.empty(draws)
    for i in range(draws):
        fp = delta + rng.standard_normal((n_train, N_CH)) @ chol.T
        fa = rng.standard_normal((n_train, N_CH)) @ chol.T
        w = np.linalg.solve(0.5 * (np.cov(fp.T) + np.cov(fa.T)), fp.mean(0) - fa.mean(0))
        aucs[i] = stats.norm.cdf(w @ delta / np.sqrt(2 * w @ k @ w))
    return float(aucs.mean())


@pytest.mark.slow
def test_multi_split_interval_covers_the_finite_training_auc() -> None:
    n, reps = 30, 120
    s, u = _setup(1.5)
    truth = _truth(u, s, n // 2)
    hits = 0
    for rep in range(reps):
        rng = np.random.default_rng(1000 + rep)
        p = s + rng.standard_normal((n, SIZE, SIZE))
        a = rng.standard_normal((n, SIZE, SIZE))
        r = model_observer(p, a, kind="cho", n_channels=N_CH, channel_width=A, n_splits=5, n_boot=200, seed=rep,
                           boot_seed=rep + 1)
        hits += r.auc_ci[0] <= truth <= r.auc_ci[1]
    coverage = hits / reps
    # nominal 0.95; Monte-Carlo SE at 120 repetitions is 0.02, and the method is known to be slightly
    # conservative with trained observers (0.973 +- 0.008 at 400 repetitions in the benchmark)
    # (an interval that always covered would be uselessly wide: the upper bound is strict)
    assert 0.90 <= coverage < 1.0, coverage
