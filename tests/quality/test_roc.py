"""ROC analysis: empirical AUC, ROC curve, bootstrap interval and d' against their definitions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from teleradlab.quality.roc import (
    auc_from_dprime,
    auc_mann_whitney,
    bootstrap_auc_ci,
    dprime_from_scores,
    roc_curve,
)


def test_auc_mann_whitney_simple() -> None:
    assert auc_mann_whitney(np.array([2, 3]), np.array([0, 1])) == 1.0
    assert auc_mann_whitney(np.array([1.0]), np.array([1.0])) == 0.5
    fpr, tpr = roc_curve(np.array([2.0, 3.0]), np.array([0.0, 1.0]))
    assert tpr[1] > 0 and fpr[1] == 0


def test_gaussian_scores_match_the_binormal_model() -> None:
    rng = np.random.default_rng(3)
    d = 1.5
    present, absent = rng.normal(d, 1, 20_000), rng.normal(0, 1, 20_000)
    assert dprime_from_scores(present, absent) == pytest.approx(d, rel=0.03)
    assert auc_mann_whitney(present, absent) == pytest.approx(auc_from_dprime(d), abs=0.005)
    assert auc_from_dprime(d) == pytest.approx(stats.norm.cdf(d / np.sqrt(2)))
    fpr, tpr = roc_curve(present[:500], absent[:500])
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0) and fpr[-1] == tpr[-1] == 1
    area = np.trapezoid(tpr, fpr)
    assert area == pytest.approx(auc_mann_whitney(present[:500], absent[:500]), abs=1e-12)


def test_bootstrap_interval_covers_and_is_reproducible() -> None:
    rng = np.random.default_rng(4)
    present, absent = rng.normal(1, 1, 200), rng.normal(0, 1, 200)
    lo, hi = bootstrap_auc_ci(present, absent, n_boot=400, seed=1)
    assert lo < auc_mann_whitney(present, absent) < hi and hi - lo < 0.15
    assert (lo, hi) == bootstrap_auc_ci(present, absent, n_boot=400, seed=1)
