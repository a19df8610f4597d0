import hashlib

import numpy as np
import pytest
from pydicom.uid import CTImageStorage, MRImageStorage, UltrasoundMultiFrameImageStorage

from teleradlab.errors import ParameterError
from teleradlab.imaging import synthesize_study

SMALL = {"CT": dict(shape=(96, 96), n_images=8), "CR": dict(shape=(250, 205)), "DX": dict(shape=(250, 205)),
         "MG": dict(shape=(230, 192)), "MR": dict(shape=(64, 64), n_images=6), "US": dict(shape=(120, 160), n_images=2)}
BITS = {"CT": 12, "CR": 12, "DX": 12, "MG": 14, "MR": 12, "US": 8}


def _digest(study) -> str:
    return hashlib.sha256(b"".join(ds.PixelData for ds in study.datasets)).hexdigest()


@pytest.mark.parametrize("modality", list(SMALL))
def test_valid_and_deterministic(modality) -> None:
    a = synthesize_study(modality, seed=11, **SMALL[modality])
    b = synthesize_study(modality, seed=11, **SMALL[modality])
    c = synthesize_study(modality, seed=12, **SMALL[modality])
    assert _digest(a) == _digest(b) and _digest(a) != _digest(c)
    ds = a.datasets[0]
    assert ds.Modality == modality and ds.BitsStored == BITS[modality]
    for kw in ("PatientName", "PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
               "Manufacturer", "PixelSpacing", "PhotometricInterpretation"):
        assert kw in ds, kw
    px = a.pixels()
    stored_max = 2 ** BITS[modality] - 1
    if modality != "CT":
        assert px.min() >= 0 and px.max() <= stored_max
    assert len({d.SOPInstanceUID for d in a.datasets}) == len(a.datasets)
    assert a.truth["lesions"] and a.truth["seed"] == 11


def test_ct_is_hu_with_geometry() -> None:
    s = synthesize_study("CT", seed=3, shape=(128, 128), n_images=10, lesions=0)
    ds = s.datasets[0]
    assert ds.SOPClassUID == CTImageStorage and ds.PixelRepresentation == 1
    assert ds.RescaleIntercept == 0 and ds.RescaleSlope == 1
    assert list(ds.ImageOrientationPatient) == [1, 0, 0, 0, 1, 0]
    hu = s.pixels()
    assert hu.min() >= -1024 and hu.max() <= 2047
    corner = hu[:, :4, :4]
    assert abs(float(np.median(corner)) + 1000) < 30  # air
    centre = hu[0, 60:68, 60:68]
    assert -150 < float(np.median(centre)) < 150  # soft tissue in the abdomen
    noise = hu[:, 2:12, 2:12].std()
    assert noise < 20  # air is outside the reconstruction circle's noise, mostly


def test_lesion_truth_matches_pixels() -> None:
    base = synthesize_study("CT", seed=4, shape=(128, 128), n_images=12, lesions=0)
    les = synthesize_study("CT", seed=4, shape=(128, 128), n_images=12,
                           lesions=[{"kind": "hypodense", "diameter_mm": 30, "contrast": -60}])
    (truth,) = les.truth["lesions"]
    z, r, c = (int(round(v)) for v in truth["center_px"])
    diff = les.pixels() - base.pixels()
    assert diff[z, r, c] == pytest.approx(-60, abs=2)
    assert abs(diff[z, 5, 5]) < 1  # nothing elsewhere
    assert truth["diameter_mm"] == pytest.approx(30)


def test_mg_microcalcifications_and_mr_us_classes() -> None:
    mg = synthesize_study("MG", seed=1, shape=(400, 340), lesions=[{"kind": "microcalcifications"}])
    assert len(mg.truth["lesions"][0]["specks_px"]) >= 6
    mr = synthesize_study("MR", seed=1, shape=(64, 64), n_images=3)
    assert mr.datasets[0].SOPClassUID == MRImageStorage
    us = synthesize_study("US", seed=1, shape=(120, 160), n_images=3)
    assert len(us) == 1 and us.datasets[0].NumberOfFrames == 3
    assert us.datasets[0].SOPClassUID == UltrasoundMultiFrameImageStorage
    assert us.pixels().shape == (3, 120, 160)


def test_full_size_defaults_are_the_documented_ones() -> None:
    from teleradlab.imaging.synth import MODALITIES

    assert MODALITIES["CT"]["shape"] == (512, 512)
    assert MODALITIES["CR"]["shape"] == (2500, 2048)
    assert MODALITIES["MG"]["shape"] == (2294, 1914)
    cr = synthesize_study("CR", seed=1)
    assert cr.pixels().shape == (1, 2500, 2048)


@pytest.mark.parametrize("kwargs,where", [
    (dict(modality="PET"), "modality"), (dict(modality="CT", shape=(8, 8)), "shape"),
    (dict(modality="CT", n_images=0), "n_images"), (dict(modality="CR", n_images=3), "n_images"),
    (dict(modality="CT", lesions=[{"kind": "mass"}]), "lesions[0].kind"),
])
def test_bad_parameters(kwargs, where) -> None:
    with pytest.raises(ParameterError) as err:
        synthesize_study(seed=0, **kwargs)
    assert err.value.where == where


def test_an_oversized_study_is_refused_before_it_is_generated(tmp_path, capsys) -> None:
    """``dicom synth CT --n-images 100000000`` once ran without end."""
    import time

    from teleradlab.cli import main

    t0 = time.perf_counter()
    with pytest.raises(ParameterError, match=r"^n_images: 100,000,000 images of 64 x 64 .*max_pixels"):
        synthesize_study("CT", seed=1, shape=(64, 64), n_images=100_000_000)
    assert time.perf_counter() - t0 < 1
    with pytest.raises(ParameterError, match="above the limit of 1,000"):
        synthesize_study("CT", seed=1, shape=(16, 16), n_images=4, max_pixels=1000)
    assert len(synthesize_study("CT", seed=1, shape=(16, 16), n_images=4, max_pixels=1024).datasets) == 4
    assert main(["dicom", "synth", "CT", str(tmp_path / "s"), "--n-images", "100000000"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
