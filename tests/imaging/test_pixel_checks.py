"""Pixel data must match Rows x Columns x Samples x Frames x Bits: a clear DicomError, never a reshaped guess."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.encaps import encapsulate

from teleradlab.compression import compress
from teleradlab.errors import DicomError
from teleradlab.imaging.decode import check_pixel_module, decode_pixels


def test_native_lengths(native) -> None:
    ds = native(12, False, frames=2)
    assert decode_pixels(ds).shape == (2, 96, 80)
    one = native(12, False)
    one.PixelData = one.PixelData * 2  # a single image with double-length data
    with pytest.raises(DicomError, match=r"longer than its attributes say: it holds 30720 bytes .* needs 15360"):
        decode_pixels(one)
    five = native(12, False, frames=5)
    five.NumberOfFrames = 2  # data for 5 frames
    with pytest.raises(DicomError, match="Number of Frames|Frames"):
        decode_pixels(five)
    odd = native(8, False)
    odd.Rows, odd.Columns, odd.PixelData = 3, 3, bytes(range(9)) + b"\0"  # one pad byte to an even length
    assert decode_pixels(odd).shape == (3, 3)


def test_encapsulated_frame_count_mismatch(native) -> None:
    ds = native(12, False, frames=3)
    res = compress(ds, "jpeg2000-lossless").dataset
    assert decode_pixels(res).shape == (3, 96, 80)
    res.NumberOfFrames = 2  # three codestreams, two frames declared
    with pytest.raises(DicomError, match="shape|frames|decode"):
        decode_pixels(res)
    res.NumberOfFrames = 3
    res.PixelData = encapsulate([b"\xff\x4f\xff\x51garbage"] * 3)
    with pytest.raises(DicomError, match="cannot decode pixel data"):
        decode_pixels(res)


def test_where_names_the_file(native) -> None:
    ds = native(12, False)
    ds.filename = "/data/x.dcm"
    del ds.BitsAllocated
    with pytest.raises(DicomError, match="^/data/x.dcm: BitsAllocated is missing$"):
        check_pixel_module(ds)


def test_valid_colour_and_signed_pass(native) -> None:
    ds = native(16, True)
    assert decode_pixels(ds).dtype == np.int16
    rgb = native(8, False)
    rgb.SamplesPerPixel, rgb.PhotometricInterpretation, rgb.PlanarConfiguration = 3, "RGB", 0
    rgb.PixelData = bytes(96 * 80 * 3)
    assert decode_pixels(rgb).shape == (96, 80, 3)
