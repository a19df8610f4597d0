"""Power and sample size of a planned two-treatment MRMC study from Obuchowski–Rockette components.

Following Hillis, Obuchowski & Berbaum (Acad Radiol 2011;18:129–142): the error
variance and covariances estimated on a pilot of c cases scale as c/c* for a
study of c* cases (same diseased fraction); with r readers the OR test of two
treatments differing by d in AUC has non-centrality

    λ = r d² / (2 D),   D = σ²_TR + σ²_ε* − Cov1* + (r − 1)·max(Cov2* − Cov3*, 0),

and denominator degrees of freedom df2 = D² / {(σ²_TR + σ²_ε* − Cov1* − Cov2* + Cov3*)² / (r − 1)}
(random readers and cases; for fixed readers σ²_TR drops out and df2 = ∞).
Non-inferiority (H0: AUC_new − AUC_ref ≤ −margin) uses the same standard error
sqrt(2D/r) in a one-sided t test with non-centrality (d + margin)/sqrt(2D/r)
(the MRMC non-inferiority set-up of Chen, Petrick & Sahiner, Acad Radiol 2012;19:1158).

With the jackknife components of the Van Dyke data this reproduces RJafroc's published
power (0.5555789 for 6 readers and 112 cases) and its table of cases for 80 % power
(tests/readers/test_mrmc_vandyke.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from teleradlab.errors import ParameterError
from teleradlab.readers.mrmc import VarianceComponents
from teleradlab.readers.table import ReaderStudyError

__all__ = ["PowerResult", "power", "sample_size"]


@dataclass(frozen=True)
class PowerResult:
    """Power of a planned study.

    Attributes
    ----------
    power : float
        Probability of rejecting H0 at level ``alpha`` when the true difference is ``effect``.
    readers, cases, diseased : int
        The planned study (diseased cases at the pilot's fraction).
    effect, alpha : float
        Assumed true AUC difference (new − reference) and the test level.
    margin : float or None
        Non-inferiority margin (None: two-sided test of equality).
    df2, std_err : float
        Denominator degrees of freedom and the expected standard error of the difference.
    """

    power: float
    readers: int
    cases: int
    diseased: int
    effect: float
    alpha: float
    margin: float | None
    df2: float
    std_err: float


def _check(components: VarianceComponents, effect: float, readers: int, alpha: float,
           margin: float | None, reader_factor: str) -> None:
    if not isinstance(components, VarianceComponents):
        raise ParameterError("components must be VarianceComponents (e.g. mrmc(...).components)",
                             where="components")
    if readers < 2:
        raise ParameterError(f"need at least 2 readers, got {readers}", where="readers")
    if not 0 < alpha < 0.5:
        raise ParameterError(f"alpha must be in (0, 0.5), got {alpha}", where="alpha")
    if margin is not None and margin <= 0:
        raise ParameterError(f"a non-inferiority margin must be positive, got {margin}", where="margin")
    if reader_factor not in ("random", "fixed"):
        raise ParameterError(f"readers_factor must be 'random' or 'fixed', got {reader_factor!r}",
                             where="readers_factor")
    if not np.isfinite(effect):
        raise ParameterError("effect must be finite", where="effect")


def power(components: VarianceComponents, *, effect: float, readers: int, cases: int, alpha: float = 0.05,
          margin: float | None = None, readers_factor: str = "random") -> PowerResult:
    """Power of a two-treatment OR analysis for a planned number of readers and cases.

    Parameters
    ----------
    components : VarianceComponents
        OR components from a pilot (``mrmc(pilot).components``) or conjectured.
    effect : float
        Assumed true AUC difference, new − reference.
    readers, cases : int
        Planned readers and cases (cases split at the pilot's diseased fraction).
    alpha : float
        Test level (two-sided for equality, one-sided for non-inferiority).
    margin : float, optional
        Non-inferiority margin δ > 0: test H0 AUC_new − AUC_ref ≤ −δ.
    readers_factor : {"random", "fixed"}
        Whether the planned analysis treats readers as random.

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> vc = VarianceComponents(var_R=0.0015, var_TR=0.0002, var_error=0.0008, cov1=0.00034,
    ...                         cov2=0.00034, cov3=0.00024, n_cases=114, n_diseased=45)
    >>> round(power(vc, effect=0.0, readers=5, cases=114).power, 3)
    0.05
    """
    _check(components, effect, readers, alpha, margin, readers_factor)
    if cases < 4:
        raise ParameterError(f"need at least 4 cases, got {cases}", where="cases")
    scale = components.n_cases / cases
    var, c1, c2, c3 = (scale * v for v in (components.var_error, components.cov1, components.cov2,
                                           components.cov3))
    var_tr = max(components.var_TR, 0.0) if readers_factor == "random" else 0.0
    d_big = var_tr + var - c1 + (readers - 1) * max(c2 - c3, 0.0)
    if d_big <= 0:
        raise ReaderStudyError(f"the OR error term {d_big:.3g} is not positive; the components are degenerate",
                               where="components")
    ms_tr = var_tr + var - c1 - c2 + c3
    df2 = d_big ** 2 / (ms_tr ** 2 / (readers - 1)) if readers_factor == "random" and ms_tr > 0 else np.inf
    se = float(np.sqrt(2 * d_big / readers))
    if margin is None:
        lam = (effect / se) ** 2
        if np.isfinite(df2):
            crit = stats.f.ppf(1 - alpha, 1, df2)
            pw = stats.ncf.sf(crit, 1, df2, lam) if lam > 0 else alpha
        else:
            crit = stats.chi2.ppf(1 - alpha, 1)
            pw = stats.ncx2.sf(crit, 1, lam) if lam > 0 else alpha
    else:
        ncp = (effect + margin) / se
        if np.isfinite(df2):
            pw = stats.nct.sf(stats.t.ppf(1 - alpha, df2), df2, ncp)
        else:
            pw = stats.norm.sf(stats.norm.ppf(1 - alpha) - ncp)
    diseased = int(round(cases * components.n_diseased / components.n_cases))
    return PowerResult(power=float(pw), readers=int(readers), cases=int(cases), diseased=diseased,
                       effect=float(effect), alpha=float(alpha), margin=margin, df2=float(df2), std_err=se)


def sample_size(components: VarianceComponents, *, effect: float, readers: int, target: float = 0.8,
                alpha: float = 0.05, margin: float | None = None, readers_factor: str = "random",
                max_cases: int = 100_000) -> PowerResult:
    """Fewest cases that give ``target`` power with ``readers`` readers.

    Parameters
    ----------
    components : VarianceComponents
        OR components (see :func:`power`).
    effect : float
        Assumed true AUC difference, new − reference.
    readers : int
        Planned readers.
    target : float
        Wanted power.
    alpha, margin, readers_factor
        As for :func:`power`.
    max_cases : int
        Search limit.

    Returns
    -------
    PowerResult
        At the smallest number of cases reaching ``target``.

    Raises
    ------
    ReaderStudyError
        When ``target`` cannot be reached with this many readers (more cases
        cannot remove the reader variability σ²_TR); the message gives the power
        reached at ``max_cases``.
    """
    _check(components, effect, readers, alpha, margin, readers_factor)
    if not alpha < target < 1:
        raise ParameterError(f"target power must be in (alpha, 1), got {target}", where="target")

    def pw(c: int) -> float:
        return power(components, effect=effect, readers=readers, cases=c, alpha=alpha, margin=margin,
                     readers_factor=readers_factor).power

    best = pw(max_cases)
    if best < target:
        raise ReaderStudyError(f"{target:.0%} power is out of reach with {readers} readers: {max_cases} cases "
                               f"give {best:.1%}; add readers or assume a larger effect", where="readers")
    lo, hi = 4, max_cases
    if pw(lo) >= target:
        hi = lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pw(mid) >= target:
            hi = mid
        else:
            lo = mid
    return power(components, effect=effect, readers=readers, cases=hi, alpha=alpha, margin=margin,
                 readers_factor=readers_factor)
