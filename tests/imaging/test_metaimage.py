"""MetaImage and DICOM stacks read back a phantom series the test writes in both formats; ROI extraction."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from teleradlab.errors import DicomError, QualityError
from teleradlab.imaging import save_study, synthesize_study
from teleradlab.imaging.metaimage import load_stack, read_metaimage, write_metaimage
from teleradlab.quality.rois import extract_rois, mask_inserts


@pytest.fixture(scope="module")
def phantom():
    """A small CT series with one lesion of known centre (the package's synthetic phantom)."""
    study = synthesize_study("CT", seed=3, shape=(64, 64), n_images=5,
                             lesions=[{"kind": "hypodense", "diameter_mm": 60, "contrast": -40}])
    return study, study.pixels()


def test_dicom_and_metaimage_series_read_back_equal(tmp_path, phantom) -> None:
    study, hu = phantom
    save_study(study, tmp_path / "dicom")
    dicom_stack, dicom_spacing = load_stack(tmp_path / "dicom")
    np.testing.assert_array_equal(dicom_stack, hu)
    spacing = (dicom_spacing[0], *[float(v) for v in study.datasets[0].PixelSpacing])
    assert dicom_spacing == pytest.approx(spacing)

    stored = np.round(hu).astype(np.int16)
    for msb, header_size in [(False, 0), (True, 0), (True, 128)]:
        path = write_metaimage(tmp_path / f"ct_{msb}_{header_size}.mhd", stored, spacing=dicom_spacing, msb=msb,
                               header_size=header_size)
        back, back_spacing = load_stack(path)
        np.testing.assert_array_equal(back, stored)
        assert back.dtype == np.int16 and back_spacing == pytest.approx(dicom_spacing)
    # the big-endian file really is big-endian
    raw = (tmp_path / "ct_True_0.raw").read_bytes()
    assert np.frombuffer(raw[:2], ">i2")[0] == stored.flat[0]


def test_headers_written_by_hand(tmp_path) -> None:
    """Headers as other tools write them: MSB data after a HeaderSize offset; HeaderSize -1; LOCAL and zlib."""
    rng = np.random.default_rng(0)
    vol = rng.integers(-1000, 3000, (3, 4, 6)).astype(np.int16)  # z, y, x
    (tmp_path / "v.raw").write_bytes(b"PREAMBLE" * 4 + vol.astype(">i2").tobytes())
    (tmp_path / "v.mhd").write_text(
        "ObjectType = Image\nNDims = 3\nDimSize = 6 4 3\nElementType = MET_SHORT\nHeaderSize = 32\n"
        "ElementSpacing = 0.7 0.7 2.5\nOffset = -10 -20 30\nElementByteOrderMSB = True\nElementDataFile = v.raw\n")
    img = read_metaimage(tmp_path / "v.mhd")
    np.testing.assert_array_equal(img.array, vol)
    assert img.spacing == (2.5, 0.7, 0.7) and img.offset == (-10.0, -20.0, 30.0)

    (tmp_path / "w.mhd").write_text(
        "NDims = 2\nDimSize = 6 4\nElementType = MET_FLOAT\nHeaderSize = -1\nBinaryDataByteOrderMSB = False\n"
        "ElementDataFile = w.raw\n")
    plane = rng.normal(size=(4, 6)).astype(np.float32)
    (tmp_path / "w.raw").write_bytes(b"junk" + plane.astype("<f4").tobytes())
    np.testing.assert_array_equal(read_metaimage(tmp_path / "w.mhd").array, plane)

    (tmp_path / "z.mha").write_bytes(b"NDims = 2\nDimSize = 6 4\nElementType = MET_USHORT\nCompressedData = True\n"
                                     b"ElementDataFile = LOCAL\n" + zlib.compress(vol[0].astype("<u2").tobytes()))
    np.testing.assert_array_equal(read_metaimage(tmp_path / "z.mha").array, vol[0].astype(np.uint16))

    (tmp_path / "short.mhd").write_text("NDims = 3\nDimSize = 6 4 4\nElementType = MET_SHORT\n"
                                        "ElementDataFile = v.raw\n")
    with pytest.raises(DicomError, match="needs 192"):
        read_metaimage(tmp_path / "short.mhd")
    (tmp_path / "bad.mhd").write_text("NDims = 2\nDimSize = 6 4\nElementType = MET_COMPLEX\nElementDataFile = v.raw\n")
    with pytest.raises(DicomError, match="ElementType"):
        read_metaimage(tmp_path / "bad.mhd")


def test_rois_from_centres_and_from_a_truth_mask(phantom) -> None:
    study, hu = phantom
    lesion = study.truth["lesions"][0]
    z, r, c = lesion["center_px"]
    size = 21
    rois = extract_rois(hu, (r, c), size)
    assert rois.shape == (5, size, size)
    np.testing.assert_array_equal(rois[:, size // 2, size // 2], hu[:, int(round(r)), int(round(c))])
    # a truth mask of a disk at the lesion: its centroid is the lesion centre, its ROI stack the same
    yy, xx = np.mgrid[0:64, 0:64]
    radius = lesion["diameter_mm"] / study.truth["pixel_spacing_mm"] / 2
    mask = (yy - round(r)) ** 2 + (xx - round(c)) ** 2 <= radius ** 2
    (ins,) = mask_inserts(mask)
    assert ins["centre"] == pytest.approx((round(r), round(c)), abs=1e-9)
    from_mask = extract_rois(hu, mask=mask, size=size)
    assert from_mask.shape == (1, 5, size, size)
    np.testing.assert_array_equal(from_mask[0], rois)
    # the lesion is hypodense: its ROI centre is darker than the ROI rim
    assert rois[2, 9:12, 9:12].mean() < rois[2, [0, -1]].mean()
    with pytest.raises(QualityError, match="leaves the 64x64 image"):
        extract_rois(hu, (2, 2), 9)
    with pytest.raises(QualityError, match="either centres or mask"):
        extract_rois(hu)
