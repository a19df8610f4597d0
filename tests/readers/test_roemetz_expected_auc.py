"""The AUC a Roe–Metz simulated study estimates (expected empirical AUC), against the design AUC."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from teleradlab.errors import ParameterError
from teleradlab.readers.roemetz import ROE_METZ_STRUCTURES, RoeMetz, simulate_cube

UNEQUAL = RoeMetz(delta=1.2, var_R=0.02, var_TR=0.01, var_C=0.2, var_TC=0.1, var_RC=0.2, var_error=0.5, b=0.7)


def _by_integration(rm: RoeMetz, effect: float, scale: int | None) -> float:
    """P(X1 > X0) + ½ P(tie) by quadrature over the non-diseased rating, from the model's description alone.

    Latent values of a random reader and cases: X0 ~ N(0, s²), X1 ~ N(Δ + effect, s²/b²) with s² the sum
    of the six variances; binned at Δ/2 + s·(−2 … 2 in scale equal steps), interior edges only.
    """
    s = np.sqrt(rm.var_R + rm.var_TR + rm.var_C + rm.var_TC + rm.var_RC + rm.var_error)
    mu1, s1 = rm.delta + effect, s / rm.b
    if scale is None:
        value, _ = integrate.quad(lambda x: stats.norm.pdf(x, 0, s) * stats.norm.sf(x, mu1, s1), -np.inf, np.inf)
        return value
    cuts = [rm.delta / 2 + s * (-2 + 4 * k / scale) for k in range(1, scale)]
    bins = list(zip([-np.inf, *cuts], [*cuts, np.inf], strict=True))
    total = 0.0
    for k, (lo1, hi1) in enumerate(bins):
        p1 = stats.norm.cdf(hi1, mu1, s1) - stats.norm.cdf(lo1, mu1, s1)
        for j, (lo0, hi0) in enumerate(bins):
            p0 = stats.norm.cdf(hi0, 0, s) - stats.norm.cdf(lo0, 0, s)
            total += p1 * p0 * (1.0 if k > j else 0.5 if k == j else 0.0)
    return total


@pytest.mark.parametrize("rm", [ROE_METZ_STRUCTURES["HH_0.702"], ROE_METZ_STRUCTURES["LH_0.855"], UNEQUAL],
                         ids=["HH_0.702", "LH_0.855", "b=0.7"])
@pytest.mark.parametrize("scale", [None, 2, 5, 9])
@pytest.mark.parametrize("effect", [0.0, -0.15])
def test_matches_quadrature(rm, scale, effect) -> None:
    assert rm.expected_empirical_auc(effect=effect, scale=scale) == pytest.approx(
        _by_integration(rm, effect, scale), abs=1e-9)


def _mann_whitney_auc(diseased: np.ndarray, normal: np.ndarray) -> float:
    u = stats.mannwhitneyu(diseased, normal).statistic  # ties counted ½
    return float(u) / (len(diseased) * len(normal))


@pytest.mark.parametrize(("structure", "scale"), [("HH_0.702", 5), ("HH_0.702", None), (UNEQUAL, 5)],
                         ids=["HH-5point", "HH-continuous", "b=0.7-5point"])
def test_simulated_studies_estimate_it(structure, scale) -> None:
    """The mean reader-averaged AUC of 20 large simulated studies agrees with it (within 4 standard errors).

    The studies are large enough (standard error about 0.002) to tell it from the design AUC
    (:attr:`RoeMetz.expected_auc`), 0.012 away for HH on the 5-point scale.
    """
    rng = np.random.default_rng(11)
    rm = structure if isinstance(structure, RoeMetz) else ROE_METZ_STRUCTURES[structure]
    effect = -0.15
    per_study = []
    for _ in range(20):
        cube = simulate_cube(readers=20, diseased=1500, normal=1500, structure=structure, effect=effect, scale=scale,
                             rng=rng)
        n1 = cube.n_diseased
        per_study.append([np.mean([_mann_whitney_auc(cube.ratings[t, j, :n1], cube.ratings[t, j, n1:])
                                   for j in range(cube.ratings.shape[1])]) for t in range(2)])
    aucs = np.array(per_study)
    se = aucs.std(axis=0, ddof=1) / np.sqrt(len(aucs))
    expected = [rm.expected_empirical_auc(scale=scale), rm.expected_empirical_auc(effect=effect, scale=scale)]
    assert np.all(np.abs(aucs.mean(axis=0) - expected) < 4 * se), (aucs.mean(axis=0), expected, se)
    if scale == 5 and rm is ROE_METZ_STRUCTURES["HH_0.702"]:  # the test can tell the two apart
        assert abs(aucs.mean(axis=0)[0] - rm.expected_auc) > 4 * se[0], (aucs.mean(axis=0), rm.expected_auc, se)


def test_design_auc_is_not_what_a_five_point_study_estimates() -> None:
    """HH_0.702: the design AUC 0.702 (no reader effects, continuous) vs 0.690 expected from 1–5 ratings."""
    rm = ROE_METZ_STRUCTURES["HH_0.702"]
    assert round(rm.expected_auc, 3) == 0.702  # the structure's name (Roe & Metz 1997, Table 1)
    assert rm.expected_empirical_auc(scale=5) < rm.expected_empirical_auc() < rm.expected_auc
    assert rm.expected_empirical_auc(scale=5) == pytest.approx(0.690, abs=5e-4)


def test_scale_below_two_refused() -> None:
    with pytest.raises(ParameterError, match="at least 2 levels"):
        ROE_METZ_STRUCTURES["HH_0.702"].expected_empirical_auc(scale=1)
