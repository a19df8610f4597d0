"""Empirical AUCs of every reader-treatment pair and the covariance of their errors.

All three estimators work on the Mann–Whitney kernel ψ(x, y) = 1 if x > y, ½ if
x = y, 0 otherwise, between each diseased rating x and non-diseased rating y of a
reader in a treatment; the trapezoidal (empirical) AUC is its mean.

``delong``
    DeLong, DeLong & Clarke-Pearson, Biometrics 1988;44:837: structural components
    V10 (per diseased case) and V01 (per non-diseased case), Cov = S10/n1 + S01/n0.
``jackknife``
    Leave one case out (Efron 1982; Dorfman, Berbaum & Metz, Invest Radiol
    1992;27:723): Cov = (n−1)/n Σ_k (θ₍k₎ − θ̄)(θ₍k₎ − θ̄)ᵀ over all n cases.
``unbiased``
    Gallas, Acad Radiol 2006;13:353: the covariance of two U-statistics written as
    a linear combination of four kernel moments, each estimated without bias.
"""

from __future__ import annotations

import numpy as np

__all__ = ["COVARIANCES", "auc_covariance", "empirical_auc", "kernel"]

COVARIANCES = ("delong", "jackknife", "unbiased")


def kernel(diseased: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Mann–Whitney kernel ψ between every diseased and non-diseased rating.

    Parameters
    ----------
    diseased : ndarray, (..., n1)
        Ratings of diseased cases.
    normal : ndarray, (..., n0)
        Ratings of non-diseased cases (same leading shape).

    Returns
    -------
    ndarray, (..., n1, n0)
        1 where the diseased rating is higher, ½ on ties, 0 otherwise.
    """
    x = np.asarray(diseased, float)[..., :, None]
    y = np.asarray(normal, float)[..., None, :]
    return (x > y) + 0.5 * (x == y)


def empirical_auc(diseased: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Trapezoidal (empirical) AUC, the mean of the Mann–Whitney kernel.

    Parameters
    ----------
    diseased, normal : ndarray, (..., n1) and (..., n0)
        Ratings of diseased and non-diseased cases.

    Returns
    -------
    ndarray
        AUC per leading index (a 0-d array for 1-d input).

    Examples
    --------
    >>> float(empirical_auc(np.array([3, 4, 5]), np.array([1, 3])))
    0.9166666666666666
    """
    return kernel(diseased, normal).mean(axis=(-2, -1))


def _delong(psi: np.ndarray) -> np.ndarray:
    n1, n0 = psi.shape[-2:]
    v10 = psi.mean(axis=2)  # (K, n1)
    v01 = psi.mean(axis=1)  # (K, n0)
    return np.cov(v10) / n1 + np.cov(v01) / n0


def _jackknife(psi: np.ndarray) -> np.ndarray:
    k, n1, n0 = psi.shape
    total = psi.sum(axis=(1, 2))[:, None]
    without_diseased = (total - psi.sum(axis=2)) / ((n1 - 1) * n0)  # (K, n1)
    without_normal = (total - psi.sum(axis=1)) / (n1 * (n0 - 1))  # (K, n0)
    theta = np.concatenate([without_diseased, without_normal], axis=1)
    n = n1 + n0
    d = theta - theta.mean(axis=1, keepdims=True)
    return (n - 1) / n * (d @ d.T)


def _unbiased(psi: np.ndarray) -> np.ndarray:
    k, n1, n0 = psi.shape
    flat = psi.reshape(k, -1)
    same_both = flat @ flat.T  # Σ_ij ψa_ij ψb_ij
    rows, cols = psi.sum(axis=2), psi.sum(axis=1)
    same_diseased = rows @ rows.T  # Σ_i (Σ_j ψa_ij)(Σ_l ψb_il)
    same_normal = cols @ cols.T
    totals = flat.sum(axis=1)
    everything = np.outer(totals, totals)
    m1 = same_both / (n1 * n0)
    m2 = (same_diseased - same_both) / (n1 * n0 * (n0 - 1))
    m3 = (same_normal - same_both) / (n1 * (n1 - 1) * n0)
    m4 = (everything - same_diseased - same_normal + same_both) / (n1 * (n1 - 1) * n0 * (n0 - 1))
    # Cov(Â, B̂) = [μ11 + (n0−1) μ10 + (n1−1) μ01 + ((n1−1)(n0−1) − n1 n0) μ00] / (n1 n0)
    return (m1 + (n0 - 1) * m2 + (n1 - 1) * m3 + ((n1 - 1) * (n0 - 1) - n1 * n0) * m4) / (n1 * n0)


def auc_covariance(diseased: np.ndarray, normal: np.ndarray, *, method: str = "delong") -> tuple[np.ndarray, np.ndarray]:
    """AUCs of K reader-treatment pairs read on the same cases, and their K×K covariance.

    Parameters
    ----------
    diseased : ndarray, (K, n1)
        Ratings of the n1 diseased cases by each of K reader-treatment pairs
        (the same cases, in the same order, in every row).
    normal : ndarray, (K, n0)
        Ratings of the n0 non-diseased cases.
    method : {"delong", "jackknife", "unbiased"}
        Covariance estimator (module docstring).

    Returns
    -------
    auc : ndarray, (K,)
        Empirical AUCs.
    cov : ndarray, (K, K)
        Estimated covariance of the AUC estimates over the population of cases.

    Raises
    ------
    ValueError
        An unknown method, or fewer than two cases in a class.

    Examples
    --------
    >>> auc, cov = auc_covariance(np.array([[3., 4, 5]]), np.array([[1., 3, 2]]))
    >>> round(float(auc[0]), 4), cov.shape
    (0.9444, (1, 1))
    """
    x, y = np.atleast_2d(np.asarray(diseased, float)), np.atleast_2d(np.asarray(normal, float))
    if method not in COVARIANCES:
        raise ValueError(f"unknown covariance method {method!r}; use one of {COVARIANCES}")
    if x.shape[1] < 2 or y.shape[1] < 2:
        raise ValueError("need at least two diseased and two non-diseased cases for a covariance")
    psi = kernel(x, y)
    auc = psi.mean(axis=(1, 2))
    cov = {"delong": _delong, "jackknife": _jackknife, "unbiased": _unbiased}[method](psi)
    return auc, np.atleast_2d(cov)
