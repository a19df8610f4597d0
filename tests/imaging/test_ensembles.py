import numpy as np
import pytest

from teleradlab.errors import ParameterError
from teleradlab.imaging import lesion_ensemble


def test_white_background_statistics() -> None:
    e = lesion_ensemble(400, background="white", roi=32, seed=3, noise_sigma=10, mean=50)
    assert e.present.shape == e.absent.shape == (400, 32, 32)
    assert e.absent.mean() == pytest.approx(50, abs=0.1)
    assert e.absent.std() == pytest.approx(10, rel=0.02)
    # present - signal is statistically the same background
    assert (e.present - e.signal).mean() == pytest.approx(50, abs=0.1)
    assert e.ideal_dprime_white == pytest.approx(np.linalg.norm(e.signal) / 10)


def test_deterministic_and_backgrounds_differ() -> None:
    a = lesion_ensemble(5, background="lumpy", seed=1)
    b = lesion_ensemble(5, background="lumpy", seed=1)
    assert np.array_equal(a.present, b.present)
    c = lesion_ensemble(5, background="correlated", seed=1)
    # correlated backgrounds have neighbouring pixels correlated; white ones do not
    w = lesion_ensemble(50, background="white", seed=1).absent
    cc = lesion_ensemble(50, background="correlated", seed=1).absent
    corr = lambda x: np.corrcoef(x[:, :, :-1].ravel(), x[:, :, 1:].ravel())[0, 1]  # noqa: E731
    assert abs(corr(w)) < 0.05 and corr(cc) > 0.3
    assert not np.array_equal(a.absent, c.absent)


def test_signal_specs() -> None:
    disk = lesion_ensemble(2, roi=32, signal={"shape": "disk", "amplitude": 3, "radius_px": 4}).signal
    assert disk.max() == pytest.approx(3, rel=0.1) and (disk > 1.5).sum() == pytest.approx(np.pi * 16, rel=0.25)
    arr = np.zeros((16, 16))
    arr[8, 8] = 1
    assert np.array_equal(lesion_ensemble(2, roi=16, signal=arr).signal, arr)
    with pytest.raises(ParameterError, match="unknown signal keys"):
        lesion_ensemble(2, signal={"size": 3})
    with pytest.raises(ParameterError, match="unknown background"):
        lesion_ensemble(2, background="pink")


def test_an_oversized_ensemble_is_refused_before_it_is_built() -> None:
    """``n: 1e8`` in a sweep once ran for minutes; now one ParameterError, and the limit can be raised."""
    import time

    t0 = time.perf_counter()
    with pytest.raises(ParameterError, match=r"^n: 100,000,000 x 2 ROIs of 64 x 64 pixels need 6,103.5 GiB"):
        lesion_ensemble(100_000_000, roi=64)
    assert time.perf_counter() - t0 < 1
    with pytest.raises(ParameterError, match="max_bytes"):
        lesion_ensemble(10, roi=32, max_bytes=1000)
    assert lesion_ensemble(10, roi=32, max_bytes=2 * 10 * 32 * 32 * 8).present.shape == (10, 32, 32)
