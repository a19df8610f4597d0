"""ROC analysis of observer scores: empirical ROC, AUC with a bootstrap interval, d′.

Used for model observers (:mod:`~teleradlab.quality.observers`) and equally for
human reader scores: ``present`` are the scores of signal-present (diseased) cases,
``absent`` those of signal-absent ones, higher meaning "more likely present".
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["auc_from_dprime", "auc_mann_whitney", "bootstrap_auc_ci", "dprime_from_scores", "roc_curve"]


def auc_mann_whitney(present: np.ndarray, absent: np.ndarray) -> float:
    """Empirical AUC: P(score_present > score_absent) + ½ P(tie) (Wilcoxon–Mann–Whitney)."""
    p, a = np.asarray(present, float), np.asarray(absent, float)
    ranks = stats.rankdata(np.concatenate([p, a]))
    return float((ranks[: p.size].sum() - p.size * (p.size + 1) / 2) / (p.size * a.size))


def roc_curve(present: np.ndarray, absent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical ROC: false- and true-positive fractions over all thresholds."""
    thresholds = np.unique(np.concatenate([present, absent]))[::-1]
    tpr = np.concatenate([[0.0], [(present >= t).mean() for t in thresholds]])
    fpr = np.concatenate([[0.0], [(absent >= t).mean() for t in thresholds]])
    return fpr, tpr


def dprime_from_scores(present: np.ndarray, absent: np.ndarray) -> float:
    """d′ = (mean_p − mean_a) / sqrt(½ (var_p + var_a))."""
    return float((present.mean() - absent.mean()) / np.sqrt(0.5 * (present.var(ddof=1) + absent.var(ddof=1))))


def bootstrap_auc_ci(present: np.ndarray, absent: np.ndarray, *, n_boot: int = 1000, level: float = 0.95,
                     seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the AUC, resampling each class with replacement."""
    rng = np.random.default_rng(seed)
    p, a = np.asarray(present), np.asarray(absent)
    boots = np.empty(n_boot)
    for b in range(n_boot):
        boots[b] = auc_mann_whitney(p[rng.integers(0, p.size, p.size)], a[rng.integers(0, a.size, a.size)])
    alpha = (1 - level) / 2
    return float(np.quantile(boots, alpha)), float(np.quantile(boots, 1 - alpha))


def auc_from_dprime(dprime: float) -> float:
    """AUC = Φ(d′/√2) for equal-variance Gaussian scores."""
    return float(stats.norm.cdf(dprime / np.sqrt(2)))
