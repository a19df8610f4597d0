"""The LCD_CT low-contrast task on "scans" read from disk, in the few lines the rois module documents.

The test writes repeat scans of a water phantom with low-contrast disk inserts (signal present)
and without them (signal absent), plus the ground-truth mask, as MetaImage volumes — the layout
LCD_CT's data use — then reads them back, cuts the ROIs from the mask and runs the observers.
"""

from __future__ import annotations

import numpy as np
import pytest

from teleradlab.imaging.metaimage import load_stack, write_metaimage
from teleradlab.imaging.phantoms import ct_noise, smooth_disk
from teleradlab.quality import auc_from_dprime, model_observer
from teleradlab.quality.rois import extract_rois, mask_inserts

SHAPE, INSERTS = (96, 96), [((30, 30), 6, 14), ((30, 66), 4, 7), ((66, 48), 5, 10)]  # centre, radius, HU


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    root = tmp_path_factory.mktemp("lcd")
    rng = np.random.default_rng(0)
    truth = np.zeros(SHAPE, np.int16)
    signal = np.zeros(SHAPE)
    for centre, radius, hu in INSERTS:
        yy, xx = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
        truth[(yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius ** 2] = hu
        signal += hu * smooth_disk(SHAPE, centre, radius, edge=0.5)
    n = 60
    present = np.stack([signal + 40 * ct_noise(SHAPE, rng) for _ in range(n)])
    absent = np.stack([40 * ct_noise(SHAPE, rng) for _ in range(n)])
    # stored as LCD_CT stores them: unsigned with a +1000 offset, big-endian here to exercise the byte order
    write_metaimage(root / "signal_present.mhd", np.round(present + 1000).astype(np.uint16), spacing=(5, .5, .5),
                    msb=True)
    write_metaimage(root / "signal_absent.mhd", np.round(absent + 1000).astype(np.uint16), spacing=(5, .5, .5))
    write_metaimage(root / "ground_truth.mhd", truth[None], spacing=(5, .5, .5))
    return root, signal


def test_low_contrast_task_from_files(scans) -> None:
    root, signal = scans
    present, spacing = load_stack(root / "signal_present.mhd")
    absent, _ = load_stack(root / "signal_absent.mhd")
    truth, _ = load_stack(root / "ground_truth.mhd")
    present, absent = present.astype(float) - 1000, absent.astype(float) - 1000
    assert spacing == (5.0, 0.5, 0.5) and present.shape == (60, 96, 96)

    inserts = mask_inserts(truth[0] > 0)
    assert [ins["diameter"] for ins in inserts] == [13, 9, 11]
    sp = extract_rois(present, mask=truth[0] > 0)
    sa = extract_rois(absent, mask=truth[0] > 0)
    assert sp.shape == (3, 60, 27, 27)  # LCD_CT's crop: 2 x the largest diameter + 1

    aucs = []
    for k, ins in enumerate(inserts):
        r = model_observer(sp[k], sa[k], kind="cho", mean_removal=True, n_channels=5,
                           channel_width=2 / 3 * ins["diameter"], n_splits=5, n_boot=200)
        aucs.append(r.auc)
        assert r.auc_ci[0] <= r.auc <= r.auc_ci[1] and r.interval_covers == "training and test"
    # contrast x area orders detectability: 14 HU r=6 > 10 HU r=5 > 7 HU r=4
    assert aucs[0] > aucs[2] > aucs[1] > 0.5, aucs

    # the signal known exactly (cut from the same place) gives the NPW its ideal-in-this-noise performance,
    # a number computed here from the noise itself: d' = s.s / sqrt(s' K s) with K the sample covariance
    k = 0
    s_roi = extract_rois(signal, mask=truth[0] > 0)[k, 0]
    r = model_observer(sp[k], sa[k], kind="npw", signal=s_roi, n_boot=300)
    noise = sa[k].reshape(60, -1)
    expected_dprime = (s_roi.ravel() @ s_roi.ravel()) / np.sqrt(np.var(noise @ s_roi.ravel(), ddof=1))
    assert r.dprime_ci[0] <= expected_dprime <= r.dprime_ci[1]
    assert r.auc == pytest.approx(auc_from_dprime(r.dprime), abs=0.05)
