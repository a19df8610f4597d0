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


@pytest.mark.filterwarnings("ignore")  # pydicom warns about each corrupt element it meets
def test_corrupted_bytes_give_only_dicom_errors(native, tmp_path) -> None:
    """Seeded byte flips in a valid file: reading, decoding and compressing either work or raise
    one TeleradlabError — never another exception type (as a corrupt VR once did, at first use)."""
    import random

    from teleradlab.errors import TeleradlabError
    from teleradlab.imaging.study import load_study

    ds = native(12, False, frames=2)
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.Modality = "1.2.3", "1.2.3.4", "OT"
    ds.save_as(tmp_path / "good.dcm", enforce_file_format=True)
    good = (tmp_path / "good.dcm").read_bytes()
    header = len(good) - len(ds.PixelData)
    rng = random.Random(7)
    outcomes = {"ok": 0, "error": 0}
    for i in range(120):
        data = bytearray(good)
        for _ in range(rng.choice([1, 2, 4])):  # mostly in the header, where the structure is
            data[rng.randrange(132, header if rng.random() < 0.9 else len(data))] = rng.randrange(256)
        f = tmp_path / f"m{i}.dcm"
        f.write_bytes(bytes(data))
        try:
            study = load_study(f)
            study.pixels()
            compress(study.datasets[0], "jpeg2000-lossless")
            outcomes["ok"] += 1
        except TeleradlabError as exc:
            assert str(f) in str(exc) or "syntax" in str(exc), exc
            outcomes["error"] += 1
    assert outcomes["ok"] > 10 and outcomes["error"] > 10, outcomes  # both paths were exercised


def _palette(ds, descriptor, data) -> None:
    ds.PhotometricInterpretation = "PALETTE COLOR"
    for colour in ("Red", "Green", "Blue"):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", descriptor)
        setattr(ds, f"{colour}PaletteColorLookupTableData", data)


#: Image Pixel module attributes that cannot describe the data (PS3.3 C.7.6.3, PS3.5 §8.1.1), found
#: by a second adversarial pass: each once surfaced later as an AttributeError, IndexError,
#: NotImplementedError or a numpy TypeError, or was accepted silently.
MODULE_BREAKS = {
    "no photometric": (lambda ds: delattr(ds, "PhotometricInterpretation"), "Photometric Interpretation"),
    "unknown photometric": (lambda ds: setattr(ds, "PhotometricInterpretation", "GREYSCALE"), "not one of"),
    "ybr_ict native": (lambda ds: (setattr(ds, "SamplesPerPixel", 3), setattr(ds, "PlanarConfiguration", 0),
                                   setattr(ds, "PhotometricInterpretation", "YBR_ICT"),
                                   setattr(ds, "PixelData", bytes(96 * 80 * 3))), "only for compressed"),
    "rgb with one sample": (lambda ds: setattr(ds, "PhotometricInterpretation", "RGB"), "needs 3 sample"),
    "bits stored > allocated": (lambda ds: (setattr(ds, "BitsStored", 12), setattr(ds, "HighBit", 11)),
                                "do not fit Bits Allocated 8"),
    "high bit wrong": (lambda ds: setattr(ds, "HighBit", 40), "High Bit 40"),
    "pixel representation 2": (lambda ds: setattr(ds, "PixelRepresentation", 2), "Pixel Representation 2"),
    "planar configuration 2": (lambda ds: (setattr(ds, "SamplesPerPixel", 3), setattr(ds, "PlanarConfiguration", 2),
                                           setattr(ds, "PhotometricInterpretation", "RGB"),
                                           setattr(ds, "PixelData", bytes(96 * 80 * 3))), "Planar Configuration 2"),
    "palette descriptor of two": (lambda ds: _palette(ds, [256, 0], bytes(512)), "is not \\(entries"),
    "palette data too short": (lambda ds: _palette(ds, [256, 0, 16], bytes(6)), "holds 6 bytes"),
}


@pytest.mark.parametrize("case", list(MODULE_BREAKS))
def test_image_pixel_module_inconsistencies_are_refused(native, case) -> None:
    change, words = MODULE_BREAKS[case]
    ds = native(8, False)
    check_pixel_module(ds)  # valid before the change
    change(ds)
    with pytest.raises(DicomError, match=words):
        check_pixel_module(ds)
    with pytest.raises(DicomError):
        decode_pixels(ds)


def test_a_decompression_bomb_is_refused_before_decoding(native) -> None:
    """A few hundred bytes of JPEG declaring 65500 x 65500 pixels once decoded to 4 GB (16 GB in quality)."""
    import resource
    import struct
    import time

    import imagecodecs
    from pydicom.uid import JPEGBaseline8Bit

    from teleradlab.imaging.decode import MAX_DECODED_BYTES

    ds = native(8, False)
    stream = bytearray(imagecodecs.jpeg8_encode(np.zeros((96, 80), np.uint8)))
    sof = stream.index(b"\xff\xc0")  # SOF0: length, precision, then the number of lines and samples per line
    struct.pack_into(">HH", stream, sof + 5, 65500, 65500)
    ds.Rows = ds.Columns = 65500
    ds.PixelData = encapsulate([bytes(stream)])
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    assert 65500 * 65500 > MAX_DECODED_BYTES
    before, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter()
    with pytest.raises(DicomError, match=r"would decode to 4,290,250,000 bytes .* decompression bomb"):
        decode_pixels(ds)
    assert time.perf_counter() - t0 < 1 and resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000
    small = native(8, False)
    small_stream = compress(small, "jpeg-baseline", quality=90).dataset
    assert decode_pixels(small_stream).shape == (96, 80)
    with pytest.raises(DicomError, match="above the limit of 100"):
        decode_pixels(small_stream, max_bytes=100)


def test_a_codestream_wider_than_bits_allocated_is_refused(native) -> None:
    """A 16-bit JPEG 2000 codestream under Bits Allocated 8 once decoded silently, every value cut to 8 bits."""
    import imagecodecs
    from pydicom.uid import JPEG2000Lossless

    from teleradlab.imaging.decode import stream_precision

    wide = (np.arange(96 * 80) * 13 % 65536).astype(np.uint16).reshape(96, 80)
    stream = imagecodecs.jpeg2k_encode(wide, level=0, codecformat="j2k")
    assert stream_precision(stream) == 16 and stream_precision(imagecodecs.jpeg8_encode(wide.astype(np.uint8))) == 8
    ds = native(8, False)
    ds.PixelData = encapsulate([stream])
    ds.file_meta.TransferSyntaxUID = JPEG2000Lossless
    with pytest.raises(DicomError, match="codestream holds 16-bit samples but Bits Allocated is 8"):
        decode_pixels(ds)


def test_encapsulation_without_its_delimiter_is_one_dicom_error(native) -> None:
    """Pixel Data cut before its sequence delimiter: a DicomError from every entry point, not a ValueError."""
    from pydicom.uid import JPEGBaseline8Bit

    ds = native(8, False)
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xd9"])[:-8]
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    with pytest.raises(DicomError, match="cannot decode pixel data"):
        decode_pixels(ds)
    with pytest.raises(DicomError):
        compress(ds, "jpeg2000-lossless")
