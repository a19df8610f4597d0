"""MRMC on Roe–Metz simulated studies: type I error, power prediction, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from teleradlab.errors import ParameterError
from teleradlab.readers.mrmc import mrmc, mrmc_cube
from teleradlab.readers.power import power, sample_size
from teleradlab.readers.roemetz import ROE_METZ_STRUCTURES, simulate, simulate_cube
from teleradlab.readers.table import ReaderStudyError


def _rejections(n_studies: int, *, effect: float = 0.0, seed: int = 0, **kw) -> tuple[float, list]:
    rng = np.random.default_rng(seed)
    results = [mrmc_cube(simulate_cube(effect=effect, rng=rng, **kw), cov="delong") for _ in range(n_studies)]
    return float(np.mean([r.global_test.p_value < 0.05 for r in results])), results


@pytest.mark.slow
def test_type_one_error_near_nominal():
    """400 null studies (Roe & Metz HH structure, 5 readers, 50+50 cases): rejection rate ≈ 5 %.

    The binomial 99.9 % range for 400 studies at 5 % is about 1.6 %–9.6 %; the OR
    test with Hillis df is known to be slightly conservative (Hillis 2007).
    """
    rate, _ = _rejections(400, readers=5, diseased=50, normal=50, structure="HH_0.702", scale=5)
    lo, hi = stats.binom.ppf([0.0005, 0.9995], 400, 0.05) / 400
    assert lo <= rate <= hi, rate


def test_null_p_values_roughly_uniform():
    _, results = _rejections(120, readers=4, diseased=30, normal=30, structure="LH_0.855", seed=3)
    p = np.array([r.global_test.p_value for r in results])
    assert stats.kstest(p, "uniform").pvalue > 0.001


@pytest.mark.slow
def test_power_formula_predicts_simulated_power():
    """Power from OR components (Hillis, Obuchowski & Berbaum 2011) vs the rejection rate of simulated studies."""
    kw = dict(readers=5, diseased=50, normal=50, structure="LH_0.855")
    rate, alt = _rejections(300, effect=0.5, seed=21, **kw)
    # the pilot's components come from studies with the effect present: AUC variance shrinks as AUC grows
    comps = [r.components for r in alt]
    mean = type(comps[0])(**{f: float(np.mean([getattr(c, f) for c in comps])) if f not in ("n_cases", "n_diseased")
                             else getattr(comps[0], f) for f in comps[0].__dataclass_fields__})
    effect = float(np.mean([-r.pairwise.estimate.iloc[0] for r in alt]))
    predicted = power(mean, effect=effect, readers=5, cases=100).power
    assert 0.25 < predicted < 0.75
    assert abs(rate - predicted) < 3.3 * np.sqrt(predicted * (1 - predicted) / 300), (rate, predicted)


def test_or_variance_of_difference_matches_simulation():
    """Var(AUC1 − AUC2) over null studies ≈ 2D/r with D from the averaged OR components."""
    _, results = _rejections(300, readers=5, diseased=50, normal=50, structure="HH_0.702", seed=7)
    m = {f: np.mean([getattr(r.components, f) for r in results]) for f in ("var_TR", "var_error", "cov1", "cov2",
                                                                           "cov3")}
    big_d = m["var_TR"] + m["var_error"] - m["cov1"] + 4 * (m["cov2"] - m["cov3"])
    d = np.array([r.pairwise.estimate.iloc[0] for r in results])
    # the sample variance of 300 values has a relative SE of sqrt(2/299) = 8 %
    assert d.var(ddof=1) == pytest.approx(2 * big_d / 5, rel=0.25)


def test_power_basics():
    vc = mrmc(simulate(readers=5, diseased=40, normal=40, seed=2)).components
    assert power(vc, effect=0.0, readers=5, cases=80).power == pytest.approx(0.05)
    p = [power(vc, effect=0.05, readers=5, cases=c).power for c in (50, 100, 200, 400)]
    assert np.all(np.diff(p) > 0)
    assert power(vc, effect=0.05, readers=10, cases=200).power > power(vc, effect=0.05, readers=5, cases=200).power
    ni = power(vc, effect=0.0, readers=5, cases=200, margin=0.05)
    assert ni.power > 0.05  # one-sided test against −margin with no true difference
    n = sample_size(vc, effect=0.0, readers=8, margin=0.05, target=0.8)
    assert n.power >= 0.8
    assert power(vc, effect=0.0, readers=8, cases=n.cases - 1, margin=0.05).power < 0.8


def test_sample_size_unreachable_names_what_is_reachable():
    vc = mrmc(simulate(readers=5, diseased=40, normal=40, structure="LH_0.962", seed=4)).components
    vc = type(vc)(**{**vc.__dict__, "var_TR": 0.01})
    with pytest.raises(ReaderStudyError, match="out of reach with 2 readers"):
        sample_size(vc, effect=0.01, readers=2, max_cases=5000)


def test_structures_have_published_auc():
    # Roe & Metz (1997) Table 1: Az = 0.702, 0.855, 0.962 for Δ = 0.75, 1.5, 2.5 (unit total variance)
    assert ROE_METZ_STRUCTURES["HH_0.702"].expected_auc == pytest.approx(0.702, abs=0.002)
    assert ROE_METZ_STRUCTURES["LH_0.855"].expected_auc == pytest.approx(0.855, abs=0.002)
    assert ROE_METZ_STRUCTURES["LH_0.962"].expected_auc == pytest.approx(0.962, abs=0.002)


def test_bad_input_names_reader_case_treatment():
    t = simulate(readers=3, diseased=5, normal=5, seed=1)
    dup = pd.concat([t, t.iloc[[7]]])
    with pytest.raises(ReaderStudyError, match=r"reader='R.*treatment='T.*case='C.*rated 2 times"):
        mrmc(dup)
    missing = t.drop(index=[4])
    row = t.loc[4]
    with pytest.raises(ReaderStudyError, match=f"reader='{row.reader}', treatment='{row.treatment}', "
                                               f"case='{row.case}'.*fully crossed"):
        mrmc(missing)
    with pytest.raises(ParameterError, match="both be fixed"):
        mrmc(t, readers="fixed", cases="fixed")
    with pytest.raises(ParameterError, match="unknown covariance"):
        mrmc(t, cov="bootstrap")
    bad_truth = t.copy()
    bad_truth.loc[0, "truth"] = 1 - bad_truth.loc[0, "truth"]
    with pytest.raises(ReaderStudyError, match="different truth"):
        mrmc(bad_truth)


def test_three_treatments_and_two_treatment_identities():
    res = mrmc(simulate(readers=4, diseased=25, normal=25, treatments=3, effect=(0.2, 0.4), seed=9))
    assert res.global_test.df1 == 2
    assert res.pairwise.comparison.tolist() == ["T1 - T2", "T1 - T3", "T2 - T3"]
    est = res.treatments.set_index("treatment").estimate
    assert res.pairwise.estimate.iloc[2] == pytest.approx(est["T2"] - est["T3"])
    # with two treatments the global F is the square of the pairwise t, and the p-values agree
    two = mrmc(simulate(readers=4, diseased=25, normal=25, seed=10))
    row = two.pairwise.iloc[0]
    assert two.global_test.F == pytest.approx((row.estimate / row.std_err) ** 2)
    assert two.global_test.p_value == pytest.approx(row.p_value)
    assert two.global_test.df2 == pytest.approx(row.df)


def test_roc_curves_average_matches_mean_auc():
    res = mrmc(simulate(readers=3, diseased=30, normal=30, scale=5, seed=12))
    curves, avg = res.roc_curves()
    assert set(curves.reader) == {"R1", "R2", "R3"}
    for treatment, g in avg.groupby("treatment"):
        area = np.trapezoid(g.tpr, g.fpr)
        # the vertical average of trapezoidal curves has the mean trapezoidal AUC (grid of 201 points)
        assert area == pytest.approx(res.treatments.set_index("treatment").estimate[treatment], abs=0.01)
        assert (g.tpr_low <= g.tpr + 1e-12).all() and (g.tpr <= g.tpr_high + 1e-12).all()
