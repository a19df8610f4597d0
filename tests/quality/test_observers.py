import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.special import eval_laguerre

from teleradlab.errors import QualityError
from teleradlab.imaging import lesion_ensemble
from teleradlab.quality import auc_from_dprime, model_observer
from teleradlab.quality.observers import (
    EYE_PRESETS,
    eye_filter,
    eye_peak_cpp,
    signal_diameter,
    weighted_auc,
)
from teleradlab.quality.roc import auc_mann_whitney


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
    # a known template trains on nothing: every image is a test image and the interval says so
    assert res.n_splits == 0 and res.n_test == (2000, 2000) and res.interval_covers == "test only"
    assert "known template" in res.method


def test_learned_template_approaches_known_one() -> None:
    present, absent, s, sigma = white(n=3000, seed=1)
    known = model_observer(present, absent, kind="npw", signal=s, n_boot=0).dprime
    learned = model_observer(present, absent, kind="npw", n_boot=0, n_splits=2).dprime
    assert 0.6 * known < learned <= known * 1.05


def test_cho_at_least_npw_on_correlated_backgrounds() -> None:
    e = lesion_ensemble(800, roi=64, background="correlated", seed=4, signal={"amplitude": 12, "radius_px": 4})
    npw = model_observer(e.present, e.absent, kind="npw", signal=e.signal, n_boot=100)
    cho = model_observer(e.present, e.absent, kind="cho", n_boot=100, n_splits=3)
    assert cho.dprime >= npw.dprime
    gab = model_observer(e.present, e.absent, kind="cho", channels="gabor", n_boot=0, n_splits=2)
    assert gab.dprime > 0


def test_npwe_runs_and_roc_is_monotone() -> None:
    e = lesion_ensemble(300, roi=32, seed=2)
    res = model_observer(e.present, e.absent, kind="npwe", signal=e.signal, n_boot=100)
    assert np.all(np.diff(res.fpr) >= 0) and np.all(np.diff(res.tpr) >= 0)
    assert res.fpr[-1] == 1 and res.tpr[-1] == 1
    # the ROC's area is the Mann-Whitney AUC
    assert np.trapezoid(res.tpr, res.fpr) == pytest.approx(res.auc, abs=1e-9)


def test_deterministic_by_seed_and_seeds_separate() -> None:
    e = lesion_ensemble(100, roi=32, seed=2)
    a = model_observer(e.present, e.absent, kind="cho", seed=5, n_boot=50)
    b = model_observer(e.present, e.absent, kind="cho", seed=5, n_boot=50)
    assert a.dprime == b.dprime and a.auc_ci == b.auc_ci and a.dprime_ci == b.dprime_ci
    c = model_observer(e.present, e.absent, kind="cho", seed=5, boot_seed=6, n_boot=50)
    assert c.auc == a.auc and c.auc_ci != a.auc_ci  # the bootstrap seed moves only the interval
    d = model_observer(e.present, e.absent, kind="cho", seed=6, boot_seed=5, n_boot=50)
    assert d.auc != a.auc


def test_multi_split_mean_and_no_interval() -> None:
    e = lesion_ensemble(40, roi=32, background="lumpy", seed=3, signal={"amplitude": 8, "radius_px": 2})
    r = model_observer(e.present, e.absent, kind="cho", n_splits=7, n_boot=0, n_channels=4)
    assert r.auc_ci is None and r.dprime_ci is None and r.auc_boot.size == 0
    assert r.n_splits == 7 and r.auc_splits.size == 7 and r.n_train == (20, 20) and r.n_test == (20, 20)
    assert r.auc == pytest.approx(r.auc_splits.mean()) and r.dprime == pytest.approx(r.dprime_splits.mean())
    assert np.isnan(r.as_dict()["auc_ci_low"])


def test_interval_covers_training_and_test_and_is_wider_than_test_only() -> None:
    e = lesion_ensemble(40, roi=32, background="white", seed=8, signal={"amplitude": 20, "radius_px": 2})
    r = model_observer(e.present, e.absent, kind="npw", n_boot=300, n_splits=5)
    assert r.interval_covers == "training and test" and r.auc_ci[0] <= r.auc <= r.auc_ci[1]
    assert r.dprime_ci[0] <= r.dprime <= r.dprime_ci[1]
    # the one-split test-only bootstrap (what was reported before) misses the training variability
    from teleradlab.quality.roc import bootstrap_auc_ci

    lo, hi = bootstrap_auc_ci(r.scores_present, r.scores_absent, n_boot=300, seed=0)
    assert (r.auc_ci[1] - r.auc_ci[0]) > (hi - lo)


def lg_cho_reference(present, absent, split, widths, n_channels):
    """The LG-CHO written out step by step, as in the LCD_CT toolkit's description, without teleradlab."""
    tp, ep, ta, ea = split
    p = present - present.mean(axis=(1, 2), keepdims=True)
    a = absent - absent.mean(axis=(1, 2), keepdims=True)
    size = p.shape[1]
    xi = np.arange(size) - (size - 1) / 2
    xx, yy = np.meshgrid(xi, xi)
    r2 = xx ** 2 + yy ** 2
    chans = []
    for w in widths:
        for j in range(n_channels):
            chans.append((np.sqrt(2) / w * np.exp(-np.pi * r2 / w ** 2) * eval_laguerre(j, 2 * np.pi * r2 / w ** 2))
                         .ravel())
    u = np.array(chans).T  # (pixels, channels)
    vp_tr, va_tr = p[tp].reshape(len(tp), -1) @ u, a[ta].reshape(len(ta), -1) @ u
    k = (np.cov(vp_tr.T) + np.cov(va_tr.T)) / 2
    w = np.linalg.inv(k) @ (vp_tr.mean(0) - va_tr.mean(0))
    tsp, tsa = p[ep].reshape(len(ep), -1) @ u @ w, a[ea].reshape(len(ea), -1) @ u @ w
    pairs = [(1.0 if x > y else 0.5 if x == y else 0.0) for x in tsp for y in tsa]
    auc = sum(pairs) / len(pairs)
    dprime = (tsp.mean() - tsa.mean()) / np.sqrt((tsp.var(ddof=1) + tsa.var(ddof=1)) / 2)
    return tsp, tsa, auc, dprime


@pytest.mark.parametrize("widths,n_channels", [([6.0], 5), ([4.0, 9.0], 3)])
def test_lg_cho_equals_a_straightforward_implementation(widths, n_channels) -> None:
    e = lesion_ensemble(50, roi=32, background="lumpy", seed=11, signal={"amplitude": 6, "radius_px": 3})
    rng = np.random.default_rng(2)
    ip, ia = rng.permutation(50), rng.permutation(50)
    split = (ip[:22], ip[22:], ia[:27], ia[27:])  # unequal on purpose
    r = model_observer(e.present, e.absent, kind="cho", mean_removal=True, split=split, n_boot=0,
                       channel_width=widths if len(widths) > 1 else widths[0], n_channels=n_channels)
    sp, sa, auc, dprime = lg_cho_reference(e.present, e.absent, split, widths, n_channels)
    assert r.n_splits == 1 and r.n_train == (22, 27) and r.n_test == (28, 23)
    np.testing.assert_allclose(r.scores_present, sp, rtol=1e-9, atol=1e-9 * np.abs(sp).max())
    np.testing.assert_allclose(r.scores_absent, sa, rtol=1e-9, atol=1e-9 * np.abs(sa).max())
    assert abs(r.auc - auc) < 1e-9 and abs(r.dprime - dprime) < 1e-9


def test_singular_covariance_warns_and_ignored_signal_warns() -> None:
    e = lesion_ensemble(12, roi=32, seed=1)
    split = (np.arange(3), np.arange(3, 12), np.arange(3), np.arange(3, 12))
    with pytest.warns(UserWarning, match="singular and pseudo-inverted"):
        r = model_observer(e.present, e.absent, kind="cho", split=split, n_boot=20, n_channels=6)
    assert np.isfinite(r.auc)
    with pytest.warns(UserWarning, match="signal is ignored"):
        model_observer(e.present, e.absent, kind="cho", signal=e.signal, channel_width=5.0, n_boot=0, n_splits=1)
    with pytest.warns(UserWarning, match="ignored by the npw"):
        model_observer(e.present, e.absent, kind="npw", n_channels=4, n_boot=0, n_splits=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the signal sizes the LG channels: no warning
        model_observer(e.present, e.absent, kind="cho", signal=e.signal, n_boot=0, n_splits=1, n_channels=4)


def test_default_channel_width_follows_the_signal() -> None:
    y, x = np.mgrid[0:33, 0:33] - 16
    disk = ((x ** 2 + y ** 2) <= 5 ** 2).astype(float)
    assert signal_diameter(disk) == 11
    e = lesion_ensemble(30, roi=33, seed=1, signal=disk * 10)
    a = model_observer(e.present, e.absent, kind="cho", signal=e.signal, n_boot=0, n_splits=2, n_channels=4)
    b = model_observer(e.present, e.absent, kind="cho", channel_width=2 / 3 * 11, n_boot=0, n_splits=2,
                       n_channels=4)
    assert a.auc == b.auc and a.dprime == b.dprime


def test_eye_filter_presets_match_the_viewing_setups() -> None:
    # LCD_CT's eye model, written in cycles/degree (beta 1.3, c 0.04; 54/128 mm display pixels, 500 mm away)
    f_cpp = np.linspace(0.001, 0.5, 200_001)
    f_cpd = f_cpp / (54 / 128) * (500 * np.tan(np.deg2rad(1)))
    lcd = f_cpd ** 1.3 * np.exp(-0.04 * f_cpd ** 2)
    assert EYE_PRESETS["lcd_ct"]["peak_cpp"] == pytest.approx(f_cpp[lcd.argmax()], abs=2e-3)
    assert EYE_PRESETS["lcd_ct"]["peak_cpp"] == pytest.approx(0.19, abs=0.01)
    assert EYE_PRESETS["teleradlab"]["peak_cpp"] == pytest.approx(0.09, abs=0.005)
    assert eye_peak_cpp(0.2) == pytest.approx(EYE_PRESETS["teleradlab"]["peak_cpp"], abs=1e-4)
    e = eye_filter(256, peak_cpp=0.195)
    f = np.sqrt(np.fft.fftfreq(256)[:, None] ** 2 + np.fft.fftfreq(256)[None, :] ** 2)
    assert f.ravel()[e.argmax()] == pytest.approx(0.195, abs=0.005)
    ens = lesion_ensemble(60, roi=32, seed=2)
    r1 = model_observer(ens.present, ens.absent, kind="npwe", signal=ens.signal, n_boot=0, eye="lcd_ct")
    r2 = model_observer(ens.present, ens.absent, kind="npwe", signal=ens.signal, n_boot=0,
                        eye={"peak_cpp": EYE_PRESETS["lcd_ct"]["peak_cpp"]})
    assert r1.auc == r2.auc
    with pytest.raises(QualityError, match="unknown eye preset"):
        model_observer(ens.present, ens.absent, kind="npwe", signal=ens.signal, eye="owl")


def test_weighted_auc_is_the_auc_of_the_repeated_sample() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        p, a = rng.integers(0, 5, 7).astype(float), rng.integers(0, 5, 6).astype(float)
        wp, wa = rng.integers(1, 3, 7), rng.integers(1, 3, 6)
        assert weighted_auc(p, a, wp, wa) == pytest.approx(auc_mann_whitney(np.repeat(p, wp), np.repeat(a, wa)),
                                                           abs=1e-12)


def test_bad_inputs() -> None:
    with pytest.raises(QualityError, match="same image size"):
        model_observer(np.zeros((10, 8, 8)), np.zeros((10, 9, 9)))
    with pytest.raises(QualityError, match="unknown observer"):
        model_observer(np.zeros((10, 8, 8)), np.zeros((10, 8, 8)), kind="ideal")
    with pytest.raises(QualityError, match="at least 4"):
        model_observer(np.zeros((2, 8, 8)), np.zeros((2, 8, 8)))
    z = np.random.default_rng(0).normal(size=(10, 8, 8))
    with pytest.raises(QualityError, match="share images"):
        model_observer(z, z, kind="cho", split=(np.arange(5), np.arange(4, 10), np.arange(5), np.arange(5, 10)))
    with pytest.raises(QualityError, match="split.train_absent"):
        model_observer(z, z, kind="cho", split=(np.arange(5), np.arange(5, 10), np.arange(12), np.arange(5, 10)))
    with pytest.raises(QualityError, match="n_boot"):
        model_observer(z, z, n_boot=-1)


def test_zero_width_interval_warns() -> None:
    """A task every replicate gets right gives AUC 1 with a zero-width interval: said, not silently reported."""
    present, absent, s, sigma = white(n=40, sigma=0.01)
    with pytest.warns(UserWarning, match="zero width"):
        r = model_observer(present, absent, kind="npw", signal=s, n_boot=50)
    assert r.auc == 1.0 and r.auc_ci == (1.0, 1.0)
    with pytest.warns(UserWarning, match="zero width"):
        model_observer(present, absent, kind="cho", n_boot=50, n_splits=2)


def test_gabor_channels_settable_and_lcd_ct_envelope() -> None:
    from teleradlab.quality.observers import gabor_channels

    # LCD_CT's first octave band: f0 = 1/8, f1 = 1/16, centre 3/32, FWHM of the envelope 4 ln2 / (pi * (f0 - f1))
    f0, f1 = 1 / 8, 1 / 16
    fc, ws = (f0 + f1) / 2, 4 * np.log(2) / (np.pi * (f0 - f1))
    y, x = np.mgrid[0:33, 0:33] - 16
    lcd = np.exp(-4 * np.log(2) * (x ** 2 + y ** 2) / ws ** 2) * np.cos(2 * np.pi * fc * x)
    ours = gabor_channels(33, frequencies=(fc,), orientations=1, width_factor=0.562)[0]
    assert np.abs(ours - lcd).max() < 2e-3
    u = gabor_channels(32, frequencies=(3 / 32, 3 / 64), orientations=3, phases=(0.0, np.pi / 2))
    assert u.shape == (12, 32, 32)
    e = lesion_ensemble(40, roi=32, seed=3)
    r = model_observer(e.present, e.absent, kind="cho", channels="gabor", n_boot=0, n_splits=2,
                       channel_options={"frequencies": (3 / 32, 3 / 64), "orientations": 2, "width_factor": 0.562})
    assert np.isfinite(r.auc)
    with pytest.raises(QualityError, match="unknown Gabor options"):
        model_observer(e.present, e.absent, kind="cho", channels="gabor", channel_options={"bands": 4})
