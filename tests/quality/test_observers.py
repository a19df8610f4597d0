import numpy as np
import pytest
from scipy import stats

from teleradlab.errors import QualityError
from teleradlab.imaging import lesion_ensemble
from teleradlab.quality import auc_from_dprime, model_observer


def white(n=2000, sigma=15.0, seed=0):
    """Signal known exactly in white Gaussian noise, generated here independently of imaging."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:32, 0:32] - 15.5
    s = 6.0 * np.exp(-(x ** 2 + y ** 2) / (2 * 2.5 ** 2))
    absent = 100 + sigma * rng.standard_normal((n, 32, 32))
    present = 100 + sigma * rng.standard_normal((n, 32, 32)) + s
    return present, absent, s, sigma


def test_npw_dprime_is_norm_s_over_sigma() -> None:
    present, absent, s, sigma = white()
    res = model_observer(present, absent, kind="npw", signal=s, n_boot=200)
    ideal = np.linalg.norm(s) / sigma
    assert res.dprime == pytest.approx(ideal, rel=0.05)
    assert res.auc == pytest.approx(auc_from_dprime(ideal), abs=0.015)
    assert auc_from_dprime(ideal) == pytest.approx(stats.norm.cdf(ideal / np.sqrt(2)))
    assert res.auc_ci[0] < res.auc < res.auc_ci[1]


def test_learned_template_approaches_known_one() -> None:
    present, absent, s, sigma = white(n=3000, seed=1)
    known = model_observer(present, absent, kind="npw", signal=s, n_boot=100).dprime
    learned = model_observer(present, absent, kind="npw", n_boot=100).dprime
    assert 0.6 * known < learned <= known * 1.05


def test_cho_at_least_npw_on_correlated_backgrounds() -> None:
    e = lesion_ensemble(800, roi=64, background="correlated", seed=4, signal={"amplitude": 12, "radius_px": 4})
    npw = model_observer(e.present, e.absent, kind="npw", signal=e.signal, n_boot=100)
    cho = model_observer(e.present, e.absent, kind="cho", n_boot=100)
    assert cho.dprime >= npw.dprime
    gab = model_observer(e.present, e.absent, kind="cho", channels="gabor", n_boot=100)
    assert gab.dprime > 0


def test_npwe_runs_and_roc_is_monotone() -> None:
    e = lesion_ensemble(300, roi=32, seed=2)
    res = model_observer(e.present, e.absent, kind="npwe", signal=e.signal, n_boot=100)
    assert np.all(np.diff(res.fpr) >= 0) and np.all(np.diff(res.tpr) >= 0)
    assert res.fpr[-1] == 1 and res.tpr[-1] == 1
    # the ROC's area is the Mann-Whitney AUC
    assert np.trapezoid(res.tpr, res.fpr) == pytest.approx(res.auc, abs=1e-9)


def test_deterministic_by_seed() -> None:
    e = lesion_ensemble(100, roi=32, seed=2)
    a = model_observer(e.present, e.absent, kind="cho", seed=5, n_boot=50)
    b = model_observer(e.present, e.absent, kind="cho", seed=5, n_boot=50)
    assert a.dprime == b.dprime and a.auc_ci == b.auc_ci


def test_bad_inputs() -> None:
    with pytest.raises(QualityError, match="same image size"):
        model_observer(np.zeros((10, 8, 8)), np.zeros((10, 9, 9)))
    with pytest.raises(QualityError, match="unknown observer"):
        model_observer(np.zeros((10, 8, 8)), np.zeros((10, 8, 8)), kind="ideal")
    with pytest.raises(QualityError, match="at least 4"):
        model_observer(np.zeros((2, 8, 8)), np.zeros((2, 8, 8)))
