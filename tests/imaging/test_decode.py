"""decode_pixels: the direct codec route gives exactly what pydicom's pixel_array gives."""

from __future__ import annotations

import warnings

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from teleradlab.compression import codecs, compress
from teleradlab.compression.compress import RatioMissWarning, frame_info
from teleradlab.imaging.decode import DIRECT_DECODERS, IMAGECODECS_DECODERS, decode_pixels

DIRECT = [c.name for c in codecs() if c.uid in DIRECT_DECODERS and c.uid not in IMAGECODECS_DECODERS]
#: lossy JPEG (ISO 10918): decoders may differ by the rounding of their inverse DCT (10918-2 allows it)
JPEG_LOSSY = (pydicom.uid.JPEGBaseline8Bit, pydicom.uid.JPEGExtended12Bit)


def assert_same_as_pydicom(ours: np.ndarray, theirs: np.ndarray, syntax: str) -> None:
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if syntax in JPEG_LOSSY:
        diff = np.abs(ours.astype(np.int64) - theirs.astype(np.int64))
        assert diff.max() <= 1 and diff.mean() < 0.5, (diff.max(), diff.mean())
    else:
        assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("name", DIRECT)
@pytest.mark.parametrize("bits,signed,frames", [(8, False, 1), (12, False, 1), (12, True, 3), (16, False, 2),
                                                (16, True, 1)])
def test_direct_route_equals_pixel_array(name, bits, signed, frames, native) -> None:
    ds = native(bits, signed, frames=frames)
    codec = next(c for c in codecs() if c.name == name)
    why = codec.accepts(frame_info(ds))
    if why:
        pytest.skip(why)
    with warnings.catch_warnings():  # noisy full-range data may not reach 4:1: the nearest will do here
        warnings.simplefilter("ignore", RatioMissWarning)
        enc = compress(ds, name, **({"ratio": 4, "on_miss": "nearest"} if codec.lossy else {})).dataset
    assert_same_as_pydicom(decode_pixels(enc), enc.pixel_array, codec.uid)


@pytest.mark.parametrize("filename", ["JPEG-lossy.dcm", "JPGExtended.dcm", "MR_small_jpeg_ls_lossless.dcm",
                                      "JPEGLSNearLossless_08.dcm", "JPEGLSNearLossless_16.dcm",
                                      "SC_rgb_jpeg_dcmtk.dcm", "JPEG2000.dcm", "J2K_pixelrep_mismatch.dcm",
                                      "MR_small_RLE.dcm"])
def test_foreign_files_decode_as_pydicom_does(filename) -> None:
    """Files written by other toolkits (bundled with pydicom): the same array as pydicom gives."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = get_testdata_file(filename)
    if path is None:
        pytest.skip(f"{filename} is not bundled with this pydicom")
    ds = pydicom.dcmread(path)
    try:
        theirs = pydicom.dcmread(path).pixel_array
    except Exception as exc:  # noqa: BLE001 - e.g. a 12-bit process pydicom's plugins lack
        pytest.skip(f"pydicom cannot decode {filename} either: {exc}")
    assert_same_as_pydicom(decode_pixels(ds), theirs, str(ds.file_meta.TransferSyntaxUID))


def test_jpeg_xl_which_pydicom_cannot_decode(native) -> None:
    ds = native(12, False, frames=2)
    enc = compress(ds, "jpegxl-lossless").dataset
    assert np.array_equal(decode_pixels(enc), ds.pixel_array)
