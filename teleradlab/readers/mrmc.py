"""Multi-reader multi-case (MRMC) analysis of empirical AUC: the Obuchowski–Rockette model.

The reader-treatment AUCs θ_ij follow θ_ij = μ + τ_i + R_j + (τR)_ij + ε_ij
(Obuchowski & Rockette, Commun Stat Simul Comput 1995;24:285), with the error
variance and the three error covariances Cov1 (same reader, different treatment),
Cov2 (same treatment, different reader) and Cov3 (both different) estimated by
averaging a case-resampling covariance matrix (:mod:`~teleradlab.readers.covariance`).

Inference:

random readers, random cases
    F = MS(T) / [MS(T:R) + r·max(Cov2 − Cov3, 0)] with Hillis's denominator degrees
    of freedom df2 = [MS(T:R) + r·max(Cov2 − Cov3, 0)]² / {MS(T:R)² / ((t−1)(r−1))}
    (Hillis, Stat Med 2007;26:596).
fixed readers, random cases
    χ² = (t−1)·MS(T) / [σ²_ε − Cov1 + (r−1)(Cov2 − Cov3)] on t−1 df (reported as
    F = χ²/(t−1) with df2 = ∞), and per-reader treatment comparisons.
random readers, fixed cases
    F = MS(T)/MS(T:R) on (t−1, (t−1)(r−1)) df
    (Hillis, Berbaum & Metz, Acad Radiol 2008;15:647).

Checked against the published MRMCaov analyses of the Van Dyke et al. (1993)
cine-MRI data (tests/readers/test_mrmc_vandyke.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import special, stats

from teleradlab.errors import ParameterError
from teleradlab.readers.covariance import COVARIANCES, auc_covariance
from teleradlab.readers.table import RatingsCube, ReaderStudyError, ratings_cube

__all__ = ["GlobalTest", "MRMCResult", "VarianceComponents", "mrmc", "mrmc_cube", "or_components"]

FACTORS = ("random", "fixed")


@dataclass(frozen=True)
class GlobalTest:
    """Test of equal treatment AUCs: F on (df1, df2) degrees of freedom (df2 = inf for a χ²/df1 test)."""

    F: float
    df1: float
    df2: float
    p_value: float


@dataclass(frozen=True)
class VarianceComponents:
    """Obuchowski–Rockette parameters estimated from a study.

    Attributes
    ----------
    var_R, var_TR : float
        Reader and treatment×reader variance components (method-of-moments; may be negative).
    var_error, cov1, cov2, cov3 : float
        Error variance and covariances (same reader / same treatment / neither).
    n_cases, n_diseased : int
        Cases of the study they come from (error terms scale with 1/cases).
    """

    var_R: float
    var_TR: float
    var_error: float
    cov1: float
    cov2: float
    cov3: float
    n_cases: int
    n_diseased: int

    @property
    def correlations(self) -> tuple[float, float, float]:
        """r1, r2, r3 = Cov_k / σ²_ε."""
        return self.cov1 / self.var_error, self.cov2 / self.var_error, self.cov3 / self.var_error


@dataclass
class MRMCResult:
    """Result of :func:`mrmc`.

    Attributes
    ----------
    global_test : GlobalTest
        Test of equal AUC across treatments.
    pairwise : pandas.DataFrame
        ``comparison, estimate, std_err, df, ci_low, ci_high, p_value`` for every
        pair of treatments (estimate = AUC(first) − AUC(second)); df = inf for
        normal-theory intervals.
    treatments : pandas.DataFrame
        ``treatment, estimate, std_err, df, ci_low, ci_high``: each treatment's
        reader-averaged AUC with its interval (from that treatment's data only).
    aucs : pandas.DataFrame
        ``treatment, reader, auc, std_err, ci_low, ci_high``: each reader's AUC
        with a normal interval from the case-resampling variance.
    components : VarianceComponents
    readers_pairwise : pandas.DataFrame or None
        Per-reader treatment differences (fixed readers only).
    cov, readers, cases, cov_method, level
        The AUC covariance matrix (treatment-major), the design and the settings.
    """

    global_test: GlobalTest
    pairwise: pd.DataFrame
    treatments: pd.DataFrame
    aucs: pd.DataFrame
    components: VarianceComponents
    cov: np.ndarray = field(repr=False)
    cov_method: str = "delong"
    readers: str = "random"
    cases: str = "random"
    level: float = 0.95
    readers_pairwise: pd.DataFrame | None = None
    cube: RatingsCube | None = field(default=None, repr=False)

    def roc_curves(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Per-reader empirical ROC curves and their vertical average per treatment.

        Returns
        -------
        (pandas.DataFrame, pandas.DataFrame)
            :func:`~teleradlab.readers.curves.reader_curves` and
            :func:`~teleradlab.readers.curves.average_curve` of the analysed ratings.

        Raises
        ------
        ReaderStudyError
            If the result was built without its ratings (``cube`` is None).
        """
        from teleradlab.readers.curves import average_curve, cube_curves

        if self.cube is None:
            raise ReaderStudyError("this result carries no ratings to draw curves from: analyse with mrmc() or "
                                   "mrmc_cube()", where="MRMCResult.cube")
        curves = cube_curves(self.cube)
        return curves, average_curve(curves)

    def summary(self) -> str:
        """A short text report of the analysis."""
        g = self.global_test
        lines = [f"MRMC (Obuchowski-Rockette), {self.readers} readers, {self.cases} cases, "
                 f"covariance: {self.cov_method}",
                 f"global test: F = {g.F:.4g} on ({g.df1:.4g}, {g.df2:.4g}) df, p = {g.p_value:.4g}"]
        for row in self.treatments.itertuples():
            lines.append(f"  AUC {row.treatment}: {row.estimate:.4f} "
                         f"({self.level:.0%} CI {row.ci_low:.4f} to {row.ci_high:.4f})")
        for row in self.pairwise.itertuples():
            lines.append(f"  {row.comparison}: {row.estimate:+.4f} ({self.level:.0%} CI {row.ci_low:+.4f} to "
                         f"{row.ci_high:+.4f}), p = {row.p_value:.4g}")
        return "\n".join(lines)


def _average_covariances(cov: np.ndarray, t: int, r: int) -> tuple[float, float, float, float]:
    """σ²_ε, Cov1, Cov2, Cov3: averages of the covariance matrix over the OR index classes."""
    c = cov.reshape(t, r, t, r)
    same_t = np.eye(t, dtype=bool)[:, None, :, None]
    same_r = np.eye(r, dtype=bool)[None, :, None, :]
    var = float(c[same_t & same_r].mean())
    cov1 = float(c[~same_t & same_r].mean()) if t > 1 else 0.0
    cov2 = float(c[same_t & ~same_r].mean()) if r > 1 else 0.0
    cov3 = float(c[~same_t & ~same_r].mean()) if t > 1 and r > 1 else 0.0
    return var, cov1, cov2, cov3


def _mean_squares(theta: np.ndarray) -> tuple[float, float, float]:
    t, r = theta.shape
    ti, rj, mu = theta.mean(1), theta.mean(0), theta.mean()
    ms_t = r * ((ti - mu) ** 2).sum() / (t - 1) if t > 1 else 0.0
    ms_r = t * ((rj - mu) ** 2).sum() / (r - 1) if r > 1 else 0.0
    inter = theta - ti[:, None] - rj[None, :] + mu
    ms_tr = (inter ** 2).sum() / ((t - 1) * (r - 1)) if t > 1 and r > 1 else 0.0
    return float(ms_t), float(ms_r), float(ms_tr)


def or_components(theta: np.ndarray, cov: np.ndarray, *, n_cases: int, n_diseased: int) -> VarianceComponents:
    """Obuchowski–Rockette variance components from AUCs and their covariance matrix.

    Parameters
    ----------
    theta : ndarray, (t, r)
        AUC of each treatment and reader.
    cov : ndarray, (t·r, t·r)
        Their covariance, treatment-major (index i·r + j).
    n_cases, n_diseased : int
        The study's cases, recorded for power calculations.

    Returns
    -------
    VarianceComponents
        With σ²_TR = MS(T:R) − σ²_ε + Cov1 + Cov2 − Cov3 and
        σ²_R = [MS(R) − σ²_ε − (t−1)Cov1 + Cov2 + (t−1)Cov3 − σ²_TR]/t
        (expected mean squares of the OR model; Hillis 2007).
    """
    t, r = theta.shape
    var, cov1, cov2, cov3 = _average_covariances(cov, t, r)
    _, ms_r, ms_tr = _mean_squares(theta)
    var_tr = ms_tr - var + cov1 + cov2 - cov3
    var_r = (ms_r - var - (t - 1) * cov1 + cov2 + (t - 1) * cov3 - var_tr) / t
    return VarianceComponents(var_R=float(var_r), var_TR=float(var_tr), var_error=var, cov1=cov1, cov2=cov2,
                              cov3=cov3, n_cases=int(n_cases), n_diseased=int(n_diseased))


def _interval(estimate: float, se: float, df: float, level: float) -> tuple[float, float, float]:
    """CI low, high and two-sided p-value (of estimate = 0) for a t (df finite) or normal statistic."""
    if np.isfinite(df):
        q = float(special.stdtrit(df, 0.5 + level / 2))
        tail = float(special.stdtr(df, -abs(estimate) / se)) if se > 0 else 0.0
    else:
        q = float(special.ndtri(0.5 + level / 2))
        tail = float(special.ndtr(-abs(estimate) / se)) if se > 0 else 0.0
    p = 2 * tail if se > 0 else (0.0 if estimate != 0 else 1.0)
    return estimate - q * se, estimate + q * se, p


def mrmc(table: pd.DataFrame, *, cov: str = "delong", readers: str = "random", cases: str = "random",
         level: float = 0.95) -> MRMCResult:
    """Compare treatments' empirical AUCs in a fully crossed multi-reader multi-case study.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy ratings: ``reader, treatment, case, truth, rating`` (higher rating =
        more confident the case is diseased); every reader rates every case in
        every treatment.
    cov : {"delong", "jackknife", "unbiased"}
        Estimator of the AUC error covariances (:mod:`~teleradlab.readers.covariance`).
    readers, cases : {"random", "fixed"}
        Whether conclusions generalise to other readers / other cases. At most
        one may be fixed.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    MRMCResult
        ``.global_test`` (F, df1, df2, p_value), ``.pairwise``, ``.treatments``,
        ``.aucs``, ``.components``.

    Raises
    ------
    ReaderStudyError
        Bad table (see :func:`~teleradlab.readers.table.ratings_cube`), or fewer
        than two treatments / two readers where the method needs them.
    ParameterError
        Unknown option values, or both factors fixed.

    References
    ----------
    Obuchowski NA, Rockette HE. Commun Stat Simul Comput 1995;24:285–308.
    Hillis SL. Stat Med 2007;26:596–619.
    Hillis SL, Berbaum KS, Metz CE. Acad Radiol 2008;15:647–661.

    Examples
    --------
    >>> from teleradlab.readers.roemetz import simulate
    >>> res = mrmc(simulate(readers=4, diseased=30, normal=30, seed=1))
    >>> res.global_test.df1, list(res.pairwise.columns)
    (1.0, ['comparison', 'estimate', 'std_err', 'df', 'ci_low', 'ci_high', 'p_value'])
    """
    if cov not in COVARIANCES:
        raise ParameterError(f"unknown covariance {cov!r}; use one of {COVARIANCES}", where="cov")
    for name, value in (("readers", readers), ("cases", cases)):
        if value not in FACTORS:
            raise ParameterError(f"{name} must be 'random' or 'fixed', got {value!r}", where=name)
    if readers == "fixed" and cases == "fixed":
        raise ParameterError("readers and cases cannot both be fixed: nothing would be random", where="readers")
    if not 0 < level < 1:
        raise ParameterError(f"level must be in (0, 1), got {level}", where="level")
    return mrmc_cube(ratings_cube(table), cov=cov, readers=readers, cases=cases, level=level)


def mrmc_cube(cube: RatingsCube, *, cov: str = "delong", readers: str = "random", cases: str = "random",
              level: float = 0.95) -> MRMCResult:
    """:func:`mrmc` on ratings already arranged as a :class:`~teleradlab.readers.table.RatingsCube`.

    Parameters
    ----------
    cube : RatingsCube
        Ratings (treatment, reader, case), diseased cases first.
    cov, readers, cases, level
        As for :func:`mrmc` (not re-checked here).

    Returns
    -------
    MRMCResult
    """
    t, r = len(cube.treatments), len(cube.readers)
    if t < 2:
        raise ReaderStudyError(f"need at least two treatments to compare, got {cube.treatments}",
                               where="table.treatment")
    if r < 2 and readers == "random":
        raise ReaderStudyError("random-reader analysis needs at least two readers; use readers='fixed'",
                               where="table.reader")
    k = t * r
    auc, c = auc_covariance(cube.diseased.reshape(k, -1), cube.normal.reshape(k, -1), method=cov)
    theta = auc.reshape(t, r)
    comp = or_components(theta, c, n_cases=len(cube.cases), n_diseased=cube.n_diseased)
    ms_t, _, ms_tr = _mean_squares(theta)
    labels = [str(x) for x in cube.treatments]

    # per-treatment OR quantities from that treatment's data only
    per = []
    for i in range(t):
        sub = c.reshape(t, r, t, r)[i, :, i, :]
        var_i = float(np.diag(sub).mean())
        cov2_i = float(sub[~np.eye(r, dtype=bool)].mean()) if r > 1 else 0.0
        ms_r_i = float(((theta[i] - theta[i].mean()) ** 2).sum() / (r - 1)) if r > 1 else 0.0
        per.append((var_i, cov2_i, ms_r_i))

    readers_pairwise = None
    if readers == "random" and cases == "random":
        denom = ms_tr + r * max(comp.cov2 - comp.cov3, 0.0)
        df2 = denom ** 2 / (ms_tr ** 2 / ((t - 1) * (r - 1))) if ms_tr > 0 else np.inf
        f_stat, df1 = ms_t / denom, t - 1
        p_global = float(stats.f.sf(f_stat, df1, df2))
        se_diff, df_diff = np.sqrt(2 * denom / r), df2
        trt = []
        for _, cov2_i, ms_r_i in per:
            d_i = ms_r_i + r * max(cov2_i, 0.0)
            trt.append((np.sqrt(d_i / r), d_i ** 2 / (ms_r_i ** 2 / (r - 1)) if ms_r_i > 0 else np.inf))
    elif readers == "fixed":
        denom = comp.var_error - comp.cov1 + (r - 1) * (comp.cov2 - comp.cov3)
        if denom <= 0:
            raise ReaderStudyError(f"fixed-reader error term {denom:.3g} is not positive; the covariance "
                                   "estimates are degenerate (too few cases?)", where="table")
        chi2 = (t - 1) * ms_t / denom
        f_stat, df1, df2 = chi2 / (t - 1), t - 1, np.inf
        p_global = float(stats.chi2.sf(chi2, t - 1))
        se_diff, df_diff = np.sqrt(2 * denom / r), np.inf
        trt = [(np.sqrt((var_i + (r - 1) * cov2_i) / r), np.inf) for var_i, cov2_i, _ in per]
        rows = []
        cc = c.reshape(t, r, t, r)
        for j, reader in enumerate(cube.readers):
            for a, b in combinations(range(t), 2):
                est = theta[a, j] - theta[b, j]
                se = float(np.sqrt(max(cc[a, j, a, j] + cc[b, j, b, j] - 2 * cc[a, j, b, j], 0.0)))
                lo, hi, p = _interval(est, se, np.inf, level)
                rows.append((reader, f"{labels[a]} - {labels[b]}", est, se, lo, hi, p))
        readers_pairwise = pd.DataFrame(rows, columns=["reader", "comparison", "estimate", "std_err", "ci_low",
                                                       "ci_high", "p_value"])
    else:  # fixed cases
        if r < 2:
            raise ReaderStudyError("fixed-case analysis needs at least two readers", where="table.reader")
        f_stat, df1, df2 = ms_t / ms_tr, t - 1, (t - 1) * (r - 1)
        p_global = float(stats.f.sf(f_stat, df1, df2))
        se_diff, df_diff = np.sqrt(2 * ms_tr / r), df2
        trt = [(np.sqrt(ms_r_i / r), r - 1) for _, _, ms_r_i in per]

    pair_rows = []
    for a, b in combinations(range(t), 2):
        est = float(theta[a].mean() - theta[b].mean())
        lo, hi, p = _interval(est, float(se_diff), float(df_diff), level)
        pair_rows.append((f"{labels[a]} - {labels[b]}", est, float(se_diff), float(df_diff), lo, hi, p))
    pairwise = pd.DataFrame(pair_rows, columns=["comparison", "estimate", "std_err", "df", "ci_low", "ci_high",
                                                "p_value"])
    trt_rows = []
    for i, (se, df) in enumerate(trt):
        est = float(theta[i].mean())
        lo, hi, _ = _interval(est, float(se), float(df), level)
        trt_rows.append((cube.treatments[i], est, float(se), float(df), max(lo, 0.0), min(hi, 1.0)))
    treatments = pd.DataFrame(trt_rows, columns=["treatment", "estimate", "std_err", "df", "ci_low", "ci_high"])
    auc_rows = []
    for i, treatment in enumerate(cube.treatments):
        for j, reader in enumerate(cube.readers):
            se = float(np.sqrt(max(c[i * r + j, i * r + j], 0.0)))
            lo, hi, _ = _interval(float(theta[i, j]), se, np.inf, level)
            auc_rows.append((treatment, reader, float(theta[i, j]), se, max(lo, 0.0), min(hi, 1.0)))
    aucs = pd.DataFrame(auc_rows, columns=["treatment", "reader", "auc", "std_err", "ci_low", "ci_high"])
    return MRMCResult(global_test=GlobalTest(float(f_stat), float(df1), float(df2), p_global), pairwise=pairwise,
                      treatments=treatments, aucs=aucs, components=comp, cov=c, cov_method=cov, readers=readers,
                      cases=cases, level=level, readers_pairwise=readers_pairwise, cube=cube)
