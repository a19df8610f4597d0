import numpy as np
import pytest
from skimage import metrics as skm

from teleradlab.errors import QualityError
from teleradlab.imaging import synthesize_study
from teleradlab.quality import (
    data_range_for,
    difference_map,
    max_abs_error,
    ms_ssim,
    mse,
    psnr,
    ssim,
)


@pytest.fixture(scope="module")
def pair():
    ds = synthesize_study("CT", seed=1, shape=(128, 128), n_images=1, lesions=0).datasets[0]
    ref = ds.pixel_array.astype(float)
    noisy = ref + np.random.default_rng(0).normal(0, 10, ref.shape)
    return ds, ref, noisy


def test_psnr_uses_bits_stored_not_dtype(pair) -> None:
    ds, ref, noisy = pair
    rng = data_range_for(ds)
    assert rng == 4095
    ours = psnr(ref, noisy, data_range=rng)
    naive = skm.peak_signal_noise_ratio(ref.astype(np.uint16) * 0 + ref.clip(0).astype(np.uint16),
                                        noisy.clip(0).astype(np.uint16))  # dtype range 65535
    assert ours == pytest.approx(10 * np.log10(4095 ** 2 / mse(ref, noisy)))
    assert naive - psnr(ref.clip(0), noisy.clip(0).astype(np.uint16), data_range=4095) == pytest.approx(
        20 * np.log10(65535 / 4095), abs=0.05)  # the 24 dB trap


def test_identical_images() -> None:
    a = np.arange(64.0).reshape(8, 8)
    assert psnr(a, a, data_range=63) == float("inf") and mse(a, a) == 0 and max_abs_error(a, a) == 0
    assert ssim(a, a, data_range=63) == pytest.approx(1.0)


def test_window_changes_what_counts(pair) -> None:
    _, ref, noisy = pair
    brain = psnr(ref, noisy, window="brain")
    bone = psnr(ref, noisy, window="bone")
    assert brain < bone  # the same noise is far more visible in a narrow window
    d = difference_map(ref, noisy, window="brain")
    assert np.abs(d).max() <= 80


def test_ssim_and_ms_ssim_order_degradations(pair) -> None:
    _, ref, _ = pair
    rng = np.random.default_rng(1)
    mild, strong = ref + rng.normal(0, 5, ref.shape), ref + rng.normal(0, 40, ref.shape)
    assert ssim(ref, mild, data_range=4095) > ssim(ref, strong, data_range=4095)
    assert 1 >= ms_ssim(ref, mild, data_range=4095) > ms_ssim(ref, strong, data_range=4095) > 0
    assert ssim(ref, mild, data_range=4095) == pytest.approx(skm.structural_similarity(ref, mild, data_range=4095))


def test_bad_inputs() -> None:
    with pytest.raises(QualityError, match="differ in shape"):
        psnr(np.zeros((4, 4)), np.zeros((4, 5)), data_range=1)
    with pytest.raises(QualityError, match="data_range"):
        psnr(np.zeros((4, 4)), np.ones((4, 4)))
    with pytest.raises(QualityError, match="unknown window"):
        mse(np.zeros((4, 4)), np.ones((4, 4)), window="kidney-ish")


@pytest.mark.parametrize("shape", [(7, 9), (64, 48), (301, 257)])
def test_ssim_is_scikit_image_bit_for_bit(shape) -> None:
    rng = np.random.default_rng(shape[0])
    a = rng.integers(0, 4096, shape).astype(float)
    b = a + rng.normal(0, 40, shape)
    value, smap = ssim(a, b, data_range=4095, full=True)
    ref_value, ref_map = skm.structural_similarity(a, b, data_range=4095, full=True)
    assert value == ref_value and np.array_equal(smap, ref_map)


def test_ssim_in_a_window_and_over_stacks_matches_scikit_image(pair) -> None:
    _, ref, noisy = pair
    lo, hi = 40 - 400 / 2, 40 + 400 / 2  # the abdomen window
    expected = skm.structural_similarity(np.clip(ref, lo, hi), np.clip(noisy, lo, hi), data_range=400)
    assert ssim(ref, noisy, window=(40, 400)) == expected
    stack = np.stack([ref, ref[::-1]]), np.stack([noisy, noisy[::-1]])
    assert ssim(*stack, data_range=4095) == pytest.approx(
        np.mean([skm.structural_similarity(r, t, data_range=4095) for r, t in zip(*stack, strict=True)]), rel=1e-15)
    with pytest.raises(QualityError, match="smaller than the 7x7 SSIM window"):
        ssim(ref[:5, :5], noisy[:5, :5], data_range=4095)
