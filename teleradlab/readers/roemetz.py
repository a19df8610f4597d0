"""Simulated multi-reader multi-case ratings: the Roe & Metz (1997) model.

A reader j's latent confidence for case k (truth s: 0 non-diseased, 1 diseased)
in treatment i is

    X_ijk = s·Δ_i + R_js + (τR)_ijs + C_ks + (τC)_iks + (RC)_jks + ε_ijks,

all effects independent normal with mean 0, drawn separately for the two truth
states (Roe CA, Metz CE. Acad Radiol 1997;4:298–303). With b ≠ 1 the effects of
diseased cases have variances divided by b² — the unequal-variance extension of
Hillis (Acad Radiol 2012;19:1518). Ratings are the latent values themselves
(continuous) or, with ``scale=5``, binned to 1–5 by fixed thresholds.

:data:`ROE_METZ_STRUCTURES` holds variance structures of Roe & Metz (1997, Table 1)
as quoted in the examples of MRMCaov's ``RM_to_OR`` (Hillis, Stat Med 2018;37:2067).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from teleradlab.errors import ParameterError
from teleradlab.readers.table import RatingsCube, cube_to_table

__all__ = ["ROE_METZ_STRUCTURES", "RoeMetz", "simulate", "simulate_cube"]


@dataclass(frozen=True)
class RoeMetz:
    """Roe–Metz variance structure (variances of the latent decision variable).

    Attributes
    ----------
    delta : float
        Separation of the diseased and non-diseased means (treatment 1).
    var_R, var_TR : float
        Reader and treatment×reader variances.
    var_C, var_TC, var_RC, var_error : float
        Case, treatment×case, reader×case and pure-error variances (non-diseased).
    b : float
        Binormal slope; diseased-case variances are the above divided by b².
    """

    delta: float
    var_R: float
    var_TR: float
    var_C: float
    var_TC: float
    var_RC: float
    var_error: float
    b: float = 1.0

    @property
    def expected_auc(self) -> float:
        """Φ(Δ / sqrt(σ²(1 + 1/b²))): AUC of a reader whose reader effects are 0 (σ² = the case variances)."""
        from scipy import stats

        s2 = self.var_C + self.var_TC + self.var_RC + self.var_error
        return float(stats.norm.cdf(self.delta / np.sqrt(s2 * (1 + 1 / self.b ** 2))))

    @property
    def total_sd(self) -> float:
        """SD of a non-diseased latent rating over readers and cases: all six variances summed."""
        return float(np.sqrt(self.var_R + self.var_TR + self.var_C + self.var_TC + self.var_RC + self.var_error))

    def thresholds(self, scale: int) -> np.ndarray:
        """The ``scale − 1`` cut-points that bin latent values into ratings 1..scale.

        Equally spaced over ±2 :attr:`total_sd` around the midpoint Δ/2 (of treatment 1,
        so every treatment is rated on the same scale).

        Parameters
        ----------
        scale : int
            Rating levels (at least 2).

        Returns
        -------
        numpy.ndarray
            Increasing cut-points on the latent scale; a value above the k-th is rated k + 1 or more.

        Raises
        ------
        ParameterError
            If ``scale`` is below 2.
        """
        if scale < 2:
            raise ParameterError(f"a rating scale needs at least 2 levels, got {scale}", where="scale")
        return self.delta / 2 + self.total_sd * np.linspace(-2, 2, scale + 1)[1:-1]

    def expected_empirical_auc(self, *, effect: float = 0.0, scale: int | None = None) -> float:
        """The AUC a simulated study estimates: a random reader's expected empirical (trapezoidal) AUC.

        :attr:`expected_auc` is the design value, the binormal AUC of a reader without
        reader effects. What :func:`mrmc` estimates from :func:`simulate`'s ratings is
        lower: readers' effects (drawn separately for the two truth states) widen the
        latent distributions, and on a ``scale``-point scale ties count ½. For a random
        reader and a random diseased/non-diseased pair the two latent values are
        independent normals, N(Δ + effect, σ²/b²) and N(0, σ²) with σ = :attr:`total_sd`,
        so the expectation is exact: Φ((Δ + effect) / (σ·sqrt(1 + 1/b²))) for continuous
        ratings, else Σ_{k>l} p₁(k)·p₀(l) + ½·Σ_k p₁(k)·p₀(k) over the bins of :meth:`thresholds`.

        Parameters
        ----------
        effect : float
            Added to Δ, as ``simulate(effect=...)`` does for treatments after the first.
        scale : int, optional
            Rating levels, as ``simulate(scale=...)``; None for continuous ratings.

        Returns
        -------
        float
            The expected reader-averaged empirical AUC of the treatment.

        Examples
        --------
        >>> rm = ROE_METZ_STRUCTURES["HH_0.702"]
        >>> round(rm.expected_auc, 3), round(rm.expected_empirical_auc(), 3), round(rm.expected_empirical_auc(scale=5), 3)
        (0.702, 0.701, 0.69)
        """
        from scipy import stats

        sd = self.total_sd
        mean = self.delta + effect
        if scale is None:
            return float(stats.norm.cdf(mean / (sd * np.sqrt(1 + 1 / self.b ** 2))))
        edges = self.thresholds(scale)
        p0 = np.diff(np.concatenate([[0.0], stats.norm.cdf(edges / sd), [1.0]]))
        p1 = np.diff(np.concatenate([[0.0], stats.norm.cdf((edges - mean) * self.b / sd), [1.0]]))
        below = np.concatenate([[0.0], np.cumsum(p0)[:-1]])  # P(non-diseased rating < k)
        return float(np.sum(p1 * below) + 0.5 * np.sum(p1 * p0))


# Roe & Metz 1997 Table 1, lines 1, 6, 7, 8 (as in MRMCaov RM_to_OR examples):
ROE_METZ_STRUCTURES = {
    "HH_0.702": RoeMetz(delta=0.75, var_R=0.0055, var_TR=0.0055, var_C=0.3, var_TC=0.3, var_RC=0.2, var_error=0.2),
    "LH_0.702": RoeMetz(delta=0.75, var_R=0.011, var_TR=0.011, var_C=0.1, var_TC=0.1, var_RC=0.2, var_error=0.6),
    "LH_0.855": RoeMetz(delta=1.5, var_R=0.03, var_TR=0.03, var_C=0.1, var_TC=0.1, var_RC=0.2, var_error=0.6),
    "LH_0.962": RoeMetz(delta=2.5, var_R=0.056, var_TR=0.056, var_C=0.1, var_TC=0.1, var_RC=0.2, var_error=0.6),
}


def _structure(structure: str | RoeMetz) -> RoeMetz:
    if isinstance(structure, RoeMetz):
        return structure
    if structure not in ROE_METZ_STRUCTURES:
        raise ParameterError(f"unknown Roe-Metz structure {structure!r}; use one of {sorted(ROE_METZ_STRUCTURES)} "
                             "or a RoeMetz instance", where="structure")
    return ROE_METZ_STRUCTURES[structure]


def simulate_cube(*, readers: int = 5, diseased: int = 50, normal: int = 50, treatments: int = 2,
                  structure: str | RoeMetz = "HH_0.702", effect: float | tuple[float, ...] = 0.0,
                  scale: int | None = None, rng: np.random.Generator | None = None, seed: int = 0) -> RatingsCube:
    """One simulated fully crossed study as a ratings cube.

    Parameters
    ----------
    readers, diseased, normal, treatments : int
        Study size.
    structure : str or RoeMetz
        Variance structure (a key of :data:`ROE_METZ_STRUCTURES` or your own).
    effect : float or tuple of float
        Added to Δ for treatments 2.. (a float applies to all of them; a tuple
        gives one value per treatment after the first). 0 = the null hypothesis.
    scale : int, optional
        Bin ratings into 1..scale by :meth:`RoeMetz.thresholds` (equally spaced over
        ±2 SD of the non-diseased latent ratings around the midpoint Δ/2); None
        keeps continuous ratings. :meth:`RoeMetz.expected_empirical_auc` gives the
        AUC such a study estimates.
    rng : numpy.random.Generator, optional
        Random source (wins over ``seed``).
    seed : int
        Seed when ``rng`` is not given.

    Returns
    -------
    RatingsCube
    """
    rm = _structure(structure)
    if min(readers, diseased, normal, treatments) < 1:
        raise ParameterError("readers, diseased, normal and treatments must be >= 1", where="readers")
    rng = rng if rng is not None else np.random.default_rng(seed)
    effects = np.zeros(treatments)
    extra = np.broadcast_to(np.asarray(effect, float), (treatments - 1,)) if treatments > 1 else ()
    effects[1:] = extra
    t, r = treatments, readers
    blocks = []
    for s, n in ((1, diseased), (0, normal)):
        sd = np.sqrt([rm.var_R, rm.var_TR, rm.var_C, rm.var_TC, rm.var_RC, rm.var_error]) / (rm.b if s else 1.0)
        x = (s * (rm.delta + effects))[:, None, None] \
            + sd[0] * rng.standard_normal((1, r, 1)) + sd[1] * rng.standard_normal((t, r, 1)) \
            + sd[2] * rng.standard_normal((1, 1, n)) + sd[3] * rng.standard_normal((t, 1, n)) \
            + sd[4] * rng.standard_normal((1, r, n)) + sd[5] * rng.standard_normal((t, r, n))
        blocks.append(x)
    ratings = np.concatenate(blocks, axis=2)
    if scale is not None:
        ratings = 1.0 + np.searchsorted(rm.thresholds(scale), ratings).astype(float)
    return RatingsCube(ratings=ratings, n_diseased=diseased, treatments=[f"T{i + 1}" for i in range(t)],
                       readers=[f"R{j + 1}" for j in range(r)],
                       cases=[f"C{k + 1:04d}" for k in range(diseased + normal)])


def simulate(*, readers: int = 5, diseased: int = 50, normal: int = 50, treatments: int = 2,
             structure: str | RoeMetz = "HH_0.702", effect: float | tuple[float, ...] = 0.0,
             scale: int | None = None, seed: int = 0) -> pd.DataFrame:
    """One simulated fully crossed study as a tidy ratings table.

    Parameters
    ----------
    readers, diseased, normal, treatments, structure, effect, scale, seed
        As for :func:`simulate_cube`.

    Returns
    -------
    pandas.DataFrame
        ``reader, treatment, case, truth, rating``.

    Examples
    --------
    >>> t = simulate(readers=3, diseased=10, normal=12, seed=2)
    >>> t.shape, sorted(t.treatment.unique())
    ((132, 5), ['T1', 'T2'])
    """
    cube = simulate_cube(readers=readers, diseased=diseased, normal=normal, treatments=treatments,
                         structure=structure, effect=effect, scale=scale, seed=seed)
    return cube_to_table(cube)
