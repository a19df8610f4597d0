"""MRMC analysis against the published MRMCaov results for the Van Dyke et al. (1993) data.

Data: Van Dyke CW, White RD, Obuchowski NA, et al. Cine MRI in the diagnosis of
thoracic aortic dissection. RSNA 1993 — 5 readers, 114 cases (45 with dissection),
treatment 1 = cine MRI, 2 = spin-echo MRI, ratings 1–5. Transcribed to
``data/vandyke.csv`` from RJafroc's ``VanDyke.lrc`` (github.com/dpc10ster/RJafroc,
vignettes/VanDyke.lrc, commit b512227); identical to MRMCaov's ``VanDyke`` data set
(the per-reader AUCs below are checked against MRMCaov's published values).

Expected numbers: Smith BJ, Hillis SL, "MRMCaov: Multi-Reader Multi-Case ANOVA
Software for R", manuscript in github.com/brian-j-smith/MRMCaov, docs/jss/MRMCaov.tex
(commit f1c63dc), printed outputs of ``summary(mrmc(empirical_auc(truth, rating),
treatment, reader, case, data = VanDyke, cov = ...))``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from teleradlab.readers.mrmc import mrmc
from teleradlab.readers.table import ReaderStudyError

DATA = Path(__file__).parent / "data" / "vandyke.csv"


@pytest.fixture(scope="module")
def vandyke() -> pd.DataFrame:
    return pd.read_csv(DATA)


def test_data_shape(vandyke):
    assert len(vandyke) == 1140
    assert vandyke.groupby("case").truth.first().sum() == 45


def test_reader_aucs_match_published(vandyke):
    # MRMCaov "Single reader 95% CIs" table (fixed readers, jackknife)
    published = {(1, 1): 0.9196457, (2, 1): 0.8587762, (3, 1): 0.9038647, (4, 1): 0.9731079, (5, 1): 0.8297907,
                 (1, 2): 0.9478261, (2, 2): 0.9053140, (3, 2): 0.9217391, (4, 2): 0.9993559, (5, 2): 0.9299517}
    res = mrmc(vandyke, cov="jackknife", readers="fixed")
    for row in res.aucs.itertuples():
        assert row.auc == pytest.approx(published[(row.reader, row.treatment)], abs=5e-8)
    se = res.aucs.set_index(["reader", "treatment"]).std_err
    assert se[(1, 1)] == pytest.approx(0.0301255164, abs=5e-9)
    assert se[(4, 2)] == pytest.approx(0.0007213348, abs=5e-10)


def _check(res, *, comps, F, df2, p, se, ci, trt):
    vc = res.components
    for name, value in comps.items():
        assert getattr(vc, name) == pytest.approx(value, rel=2e-6), name
    g = res.global_test
    assert g.df1 == 1
    assert g.F == pytest.approx(F, rel=2e-6)
    assert g.df2 == pytest.approx(df2, rel=2e-6) if np.isfinite(df2) else np.isinf(g.df2)
    assert g.p_value == pytest.approx(p, rel=2e-6)
    row = res.pairwise.iloc[0]
    assert row.comparison == "1 - 2"
    assert row.estimate == pytest.approx(-0.04380032, abs=5e-9)
    assert row.std_err == pytest.approx(se, rel=2e-6)
    assert row.p_value == pytest.approx(p, rel=2e-6)
    assert (row.ci_low, row.ci_high) == pytest.approx(ci, abs=2e-8)
    for i, (est, s, df, lo, hi) in enumerate(trt):
        r = res.treatments.iloc[i]
        assert r.estimate == pytest.approx(est, abs=5e-8)
        assert r.std_err == pytest.approx(s, rel=2e-6)
        assert r.df == pytest.approx(df, rel=2e-6) if np.isfinite(df) else np.isinf(r.df)
        assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), abs=2e-7)


def test_delong_random_readers_cases(vandyke):
    _check(mrmc(vandyke, cov="delong"),
           comps=dict(var_R=0.0015364254, var_TR=0.0002045840, var_error=0.0007921325, cov1=0.0003420090,
                      cov2=0.0003395265, cov3=0.0002358497),
           F=4.484854, df2=15.06611, p=0.05123303, se=0.0206825, ci=(-0.0878671960, 0.0002665519),
           trt=[(0.8970370, 0.03307642, 12.59597, 0.8253461, 0.9687280),
                (0.9408374, 0.02150464, 12.56530, 0.8942155, 0.9874592)])


def test_unbiased_random_readers_cases(vandyke):
    _check(mrmc(vandyke, cov="unbiased"),
           comps=dict(var_R=0.0015365290, var_TR=0.0002077588, var_error=0.0007883925, cov1=0.0003416706,
                      cov2=0.0003390650, cov3=0.0002356148),
           F=4.489614, df2=15.03418, p=0.0511618, se=0.02067154, ci=(-0.0878519409, 0.0002512968),
           trt=[(0.8970370, 0.0330712, 12.58802, 0.8253526, 0.9687214),
                (0.9408374, 0.0214912, 12.53391, 0.8942323, 0.9874424)])


def test_jackknife_fixed_readers(vandyke):
    res = mrmc(vandyke, cov="jackknife", readers="fixed")
    _check(res, comps=dict(var_R=0.0015349993, var_TR=0.0002004025, var_error=0.0008022883, cov1=0.0003466137,
                           cov2=0.0003440748, cov3=0.0002390284),
           F=5.475953, df2=np.inf, p=0.01927984, se=0.01871748, ci=(-0.08048591, -0.00711473),
           trt=[(0.8970370, 0.02428971, np.inf, 0.8494301, 0.9446440),
                (0.9408374, 0.01677632, np.inf, 0.9079564, 0.9737183)])
    rp = res.readers_pairwise.set_index("reader")
    assert rp.loc[1, "estimate"] == pytest.approx(-0.02818035, abs=5e-9)
    assert rp.loc[1, "std_err"] == pytest.approx(0.02551213, rel=2e-6)
    assert rp.loc[1, "p_value"] == pytest.approx(0.26933885, rel=2e-6)
    assert rp.loc[5, "std_err"] == pytest.approx(0.04405746, rel=2e-6)
    assert rp.loc[5, "p_value"] == pytest.approx(0.02300099, rel=2e-6)


def test_fixed_cases(vandyke):
    res = mrmc(vandyke, cov="jackknife", cases="fixed")
    g = res.global_test
    assert (g.F, g.df1, g.df2) == pytest.approx((8.704, 1, 4), rel=1e-6)
    assert g.p_value == pytest.approx(0.04195875, rel=2e-6)
    row = res.pairwise.iloc[0]
    assert (row.std_err, row.ci_low, row.ci_high) == pytest.approx((0.01484629, -0.08502022, -0.00258042), rel=2e-6)
    assert res.treatments.std_err.tolist() == pytest.approx([0.02482994, 0.01615303], rel=2e-6)
    assert res.treatments.ci_low.tolist() == pytest.approx([0.8280981, 0.8959894], abs=2e-7)


def test_jackknife_random_matches_or_dbm_mrmc(vandyke):
    # OR-DBM MRMC 2.5 / RJafroc ORH on dataset02 (jackknife, random readers and cases) reports
    # F = 4.46, df2 = 15.26, p = 0.0517; the same follows from MRMCaov's published jackknife
    # covariances above through Hillis's (2007) formulas.
    g = mrmc(vandyke, cov="jackknife").global_test
    ms_t, ms_tr = 0.004796171, 0.0005510306  # MRMCaov ANOVA table
    denom = ms_tr + 5 * (0.0003440748 - 0.0002390284)
    assert g.F == pytest.approx(ms_t / denom, rel=1e-5)
    assert g.df2 == pytest.approx(denom ** 2 / ms_tr ** 2 * 4, rel=1e-5)
    assert round(g.F, 2) == 4.46 and round(g.df2, 2) == 15.26 and round(g.p_value, 4) == 0.0517


def test_power_and_sample_size_match_rjafroc(vandyke):
    """RJafroc's published sample-size example on the Van Dyke data (DBMH = OR with jackknife covariance).

    Chakraborty DP, RJafrocBook, "ROC-DBMH sample size using RJafroc" (github.com/dpc10ster/RJafrocBook,
    13-SampleSize3): SsPowerGivenJK(dataset02, J = 6, K = 112) gives power 0.5555789, ncp 4.8,
    ddf 23.1 for the observed effect; SsPowerTable gives the cases for 80 % power per number of readers.
    """
    from teleradlab.readers.power import power, sample_size

    vc = mrmc(vandyke, cov="jackknife").components
    effect = 0.04380032
    p = power(vc, effect=effect, readers=6, cases=112)
    assert p.power == pytest.approx(0.5555789, abs=5e-7)
    assert p.df2 == pytest.approx(23.1, abs=0.05)
    assert (effect / p.std_err) ** 2 == pytest.approx(4.8, abs=0.05)  # non-centrality
    for readers, cases in [(4, 1089), (5, 344), (6, 251), (7, 211), (8, 188), (9, 173), (10, 163), (11, 155)]:
        assert sample_size(vc, effect=effect, readers=readers).cases == cases
    with pytest.raises(ReaderStudyError, match="out of reach with 3 readers"):  # RJafroc: "> 2000"
        sample_size(vc, effect=effect, readers=3, max_cases=2000)
