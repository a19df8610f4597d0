"""Decode Pixel Data: codec libraries directly where that is faster, else pydicom.

pydicom 3 decodes native, RLE, JPEG (pylibjpeg-libjpeg), JPEG-LS (pyjpegls) and
JPEG 2000 / HTJ2K (pylibjpeg-openjpeg), but for a 512x512 slice its plugin route
costs several times the codec's own work. Greyscale JPEG, JPEG-LS, HTJ2K and JPEG XL
are therefore decoded frame by frame by the codec libraries directly (imagecodecs,
pyjpegls), with pydicom's conventions for shape, dtype and sign, and tested equal to
``pixel_array``; JPEG XL (DICOM Sup 232), which pydicom 3.0 cannot decode at all,
always goes that way.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.multival import MultiValue
from pydicom.uid import UID, ExplicitVRLittleEndian

from teleradlab.compression.registry import NEW_TRANSFER_SYNTAXES, direct_decoders
from teleradlab.errors import DicomError, one_line

#: Transfer syntax UID → a frame decoder faster than pydicom's route for greyscale data
#: (the codec registry's: libjpeg-turbo, CharLS, OpenJPH, libjxl, called directly).
#: JPEG 2000 is left to pydicom, which also repairs codestreams whose signedness
#: disagrees with Pixel Representation.
DIRECT_DECODERS: dict[str, Callable[[bytes], np.ndarray]] = {
    uid: d.decode for uid, d in direct_decoders().items()}
#: Those of them some pydicom releases cannot decode (JPEG XL, HTJ2K): used also where pydicom fails.
IMAGECODECS_DECODERS: dict[str, Callable[[bytes], np.ndarray]] = {
    uid: d.decode for uid, d in direct_decoders().items() if d.fallback}


def where_of(ds: Dataset) -> str:
    """The file a dataset was read from, else its SOP Instance UID: the ``where`` of its errors."""
    return str(getattr(ds, "filename", None) or getattr(ds, "SOPInstanceUID", None) or "dataset")


def _int(ds: Dataset, keyword: str, where: str, default: int | None = None) -> int:
    if keyword not in ds or ds[keyword].value in (None, ""):
        if default is None:
            raise DicomError(f"{keyword} is missing", where=where)
        return default
    try:
        return int(ds[keyword].value)
    except (TypeError, ValueError) as exc:
        raise DicomError(f"{keyword} is not an integer ({one_line(exc)})", where=where) from None


def transfer_syntax(ds: Dataset) -> UID:
    """The dataset's Transfer Syntax UID (Explicit VR Little Endian when it has no file meta).

    Parameters
    ----------
    ds : pydicom.Dataset

    Returns
    -------
    pydicom.uid.UID
    """
    meta = getattr(ds, "file_meta", None)
    return UID(str(getattr(meta, "TransferSyntaxUID", "") or ExplicitVRLittleEndian))


def expected_frames(ds: Dataset) -> int:
    """Number of Frames (1 when absent), as an integer; :class:`DicomError` if not a positive one."""
    where = where_of(ds)
    n = _int(ds, "NumberOfFrames", where, default=1)
    if n < 1:
        raise DicomError(f"Number of Frames is {n}; it must be at least 1", where=where)
    return n


def check_pixel_module(ds: Dataset, where: str | None = None) -> None:
    """Refuse a dataset whose Image Pixel module cannot describe its Pixel Data.

    Checks, each with its own message: Pixel Data present and not empty; Rows,
    Columns, Bits Allocated present and in range (PS3.5 §8, PS3.3 C.7.6.3);
    Samples per Pixel 1 or 3; a transfer syntax that is a known one; native pixel
    data exactly Rows x Columns x Samples x Frames x Bits Allocated / 8 bytes (one
    padding byte allowed to an even length, PS3.5 §7.1.1); encapsulated pixel data
    that is encapsulated (PS3.5 A.4); a Palette Color image with its three lookup
    tables (PS3.3 C.7.6.3.1.5); a Rescale Slope and Intercept that are finite numbers.

    Parameters
    ----------
    ds : pydicom.Dataset
    where : str, optional
        The file to name in errors; :func:`where_of` by default.

    Raises
    ------
    DicomError
        The first problem found, naming ``where``.
    """
    where = where or where_of(ds)
    if "PixelData" not in ds:
        raise DicomError("no Pixel Data", where=where)
    data = ds.PixelData
    if not data:
        raise DicomError("Pixel Data is empty", where=where)
    rows, cols = _int(ds, "Rows", where), _int(ds, "Columns", where)
    if not (1 <= rows <= 65535 and 1 <= cols <= 65535):
        raise DicomError(f"image size {rows} x {cols} is outside 1..65535", where=where)
    bits = _int(ds, "BitsAllocated", where)
    if bits != 1 and (bits % 8 or not 8 <= bits <= 64):
        raise DicomError(f"Bits Allocated {bits} is not 1 or a multiple of 8 up to 64", where=where)
    samples = _int(ds, "SamplesPerPixel", where, default=1)
    if samples not in (1, 3):
        raise DicomError(f"Samples per Pixel {samples} is not 1 or 3", where=where)
    stored = _int(ds, "BitsStored", where, default=bits)
    high = _int(ds, "HighBit", where, default=stored - 1)
    if not 1 <= stored <= bits or high != stored - 1:
        raise DicomError(f"Bits Stored {stored} / High Bit {high} do not fit Bits Allocated {bits} (PS3.5 §8.1.1: "
                         "1 <= Bits Stored <= Bits Allocated, High Bit = Bits Stored - 1)", where=where)
    representation = _int(ds, "PixelRepresentation", where, default=0)
    if representation not in (0, 1):
        raise DicomError(f"Pixel Representation {representation} is not 0 (unsigned) or 1 (signed)", where=where)
    if samples == 3 and _int(ds, "PlanarConfiguration", where, default=0) not in (0, 1):
        raise DicomError(f"Planar Configuration {ds.PlanarConfiguration} is not 0 or 1", where=where)
    frames = expected_frames(ds)
    ts = transfer_syntax(ds)
    if not ts.is_transfer_syntax and str(ts) not in NEW_TRANSFER_SYNTAXES:
        raise DicomError(f"unknown transfer syntax {ts}", where=where)
    photometric = str(getattr(ds, "PhotometricInterpretation", "") or "").strip()
    if photometric not in PHOTOMETRIC_SAMPLES:
        raise DicomError(f"Photometric Interpretation {photometric or '(missing)'!r} is not one of "
                         f"{', '.join(PHOTOMETRIC_SAMPLES)}", where=where)
    if PHOTOMETRIC_SAMPLES[photometric] != samples:
        raise DicomError(f"{photometric} needs {PHOTOMETRIC_SAMPLES[photometric]} sample(s) per pixel, the file "
                         f"says {samples}", where=where)
    if photometric in COMPRESSED_ONLY_PHOTOMETRIC and not ts.is_encapsulated:
        raise DicomError(f"{photometric} is defined only for compressed pixel data (PS3.3 C.7.6.3.1.2), "
                         f"not for {ts.name or ts}", where=where)
    if photometric == "PALETTE COLOR":
        _check_palette(ds, where)
    for keyword in ("RescaleSlope", "RescaleIntercept"):
        if keyword in ds:
            try:
                value = float(ds[keyword].value)
            except (TypeError, ValueError) as exc:
                raise DicomError(f"{keyword} is not a number ({one_line(exc)})", where=where) from None
            if not math.isfinite(value) or (keyword == "RescaleSlope" and value == 0):
                raise DicomError(f"{keyword} is {value}", where=where)
    if ts.is_encapsulated:
        if bytes(data[:4]) != b"\xfe\xff\x00\xe0":
            raise DicomError(f"Pixel Data is not encapsulated although the transfer syntax "
                             f"{ts.name or ts} is compressed", where=where)
        return
    if photometric == "YBR_FULL_422":  # two samples' worth per pixel: Cb and Cr shared by pixel pairs
        samples = 2
    expected = (rows * cols * samples * frames * bits + 7) // 8
    if len(data) not in (expected, expected + 1):
        state = "truncated" if len(data) < expected else "longer than its attributes say"
        raise DicomError(f"Pixel Data {state}: it holds {len(data)} bytes but Rows x Columns x Samples x Frames x Bits "
                         f"= {rows} x {cols} x {samples} x {frames} x {bits} bits needs {expected}",
                         where=where)


#: Photometric Interpretations of PS3.3 C.7.6.3.1.2 (retired ones included) → Samples per Pixel.
PHOTOMETRIC_SAMPLES = {"MONOCHROME1": 1, "MONOCHROME2": 1, "PALETTE COLOR": 1, "RGB": 3, "YBR_FULL": 3,
                       "YBR_FULL_422": 3, "YBR_PARTIAL_422": 3, "YBR_PARTIAL_420": 3, "YBR_ICT": 3, "YBR_RCT": 3,
                       "XYB": 3, "HSV": 3, "CMYK": 4, "ARGB": 4}
#: Those defined only for compressed (encapsulated) pixel data: JPEG 2000 / HTJ2K (ICT, RCT),
#: MPEG (PARTIAL_420), JPEG XL (XYB).
COMPRESSED_ONLY_PHOTOMETRIC = frozenset({"YBR_ICT", "YBR_RCT", "YBR_PARTIAL_420", "XYB"})


def _check_palette(ds: Dataset, where: str) -> None:
    """A PALETTE COLOR image's three lookup tables: present, descriptors of three values, data long enough."""
    segmented = "SegmentedRedPaletteColorLookupTableData" in ds
    for colour in ("Red", "Green", "Blue"):
        keyword = f"{colour}PaletteColorLookupTableDescriptor"
        if keyword not in ds:
            raise DicomError(f"PALETTE COLOR image without its lookup table ({keyword} missing)", where=where)
        descriptor = ds[keyword].value
        descriptor = list(descriptor) if isinstance(descriptor, list | tuple | MultiValue) else [descriptor]
        if len(descriptor) != 3 or descriptor[2] not in (8, 16):
            raise DicomError(f"{keyword} {descriptor} is not (entries, first value, 8 or 16 bits) "
                             "(PS3.3 C.7.6.3.1.5)", where=where)
        data = f"{'Segmented' if segmented else ''}{colour}PaletteColorLookupTableData"
        if data not in ds:
            raise DicomError(f"PALETTE COLOR image without its lookup table ({data} missing)", where=where)
        entries = int(descriptor[0]) or 65536
        if not segmented and len(ds[data].value or b"") < entries:
            raise DicomError(f"{data} holds {len(ds[data].value or b'')} bytes, too few for the {entries} "
                             f"entries its descriptor declares", where=where)


#: Largest array :func:`decode_pixels` decodes compressed pixel data into unless told otherwise.
#: A few hundred bytes of JPEG can declare 65500 x 65500 pixels (4 GB, 16 GB once in float32):
#: a decompression bomb. 2 GiB holds a 4096-frame 512 x 512 16-bit stack, beyond the multi-frame
#: objects this course handles; raise it explicitly (``max_bytes=...``) for larger ones.
MAX_DECODED_BYTES = 2**31


#: JPEG (ISO 10918-1) and JPEG-LS (ISO 14495-1) start-of-frame markers: byte 4 after the marker is
#: the sample precision P.
_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7})


def stream_precision(frame: bytes) -> int | None:
    """Sample precision (bits) a JPEG, JPEG-LS or JPEG 2000 / HTJ2K codestream declares, None if not found.

    JPEG and JPEG-LS: P of the start-of-frame segment. JPEG 2000 (ISO 15444-1 A.5.1):
    ``Ssiz & 0x7F`` + 1 of the first component in the SIZ segment, 38 bytes after the
    segment's length field.

    Parameters
    ----------
    frame : bytes
        One frame's codestream (a fragment of encapsulated Pixel Data).

    Returns
    -------
    int or None
    """
    head = bytes(frame[:4096])
    if head.startswith(b"\xff\x4f\xff\x51") and len(head) >= 43:
        return (head[42] & 0x7F) + 1
    if head.startswith(b"\xff\xd8"):
        i = 2
        while i + 4 < len(head) and head[i] == 0xFF:
            marker, length = head[i + 1], int.from_bytes(head[i + 2:i + 4], "big")
            if marker in _SOF_MARKERS:
                return head[i + 4] if i + 4 < len(head) else None
            i += 2 + length
    return None


def decoded_bytes(ds: Dataset) -> int:
    """Bytes of the array :func:`decode_pixels` returns: Rows x Columns x Samples x Frames x bytes per sample.

    Parameters
    ----------
    ds : pydicom.Dataset

    Returns
    -------
    int
    """
    bits = int(getattr(ds, "BitsAllocated", 8) or 8)
    return (int(ds.Rows) * int(ds.Columns) * int(getattr(ds, "SamplesPerPixel", 1) or 1) * expected_frames(ds)
            * max(bits // 8, 1))


def decode_pixels(ds: Dataset, *, max_bytes: int = MAX_DECODED_BYTES) -> np.ndarray:
    """Return ``ds``'s stored pixel values as pydicom's ``pixel_array`` would.

    Greyscale JPEG, JPEG-LS, HTJ2K and JPEG XL frames are decoded straight through
    their codec libraries (:data:`DIRECT_DECODERS`), several times faster than
    pydicom's plugin route for small images; everything else, and anything the
    direct route cannot decode, goes through pydicom. Either way the result has
    pydicom's conventions: (frames, rows, cols[, samples]) for multi-frame data, the
    dtype of Bits Allocated, signed values for Pixel Representation 1, and the same
    values — for lossy JPEG (ISO 10918-1) within the one grey level by which
    compliant decoders' inverse DCTs may differ (10918-2); teleradlab encodes JPEG
    with libjpeg-turbo and so also decodes with it. Unlike ``pixel_array`` nothing is
    cached on the dataset.

    Parameters
    ----------
    ds : pydicom.Dataset
        A dataset with Pixel Data, native or encapsulated.
    max_bytes : int
        Refuse compressed pixel data that would decode to more than this many bytes
        (:data:`MAX_DECODED_BYTES`), before decoding.

    Returns
    -------
    ndarray

    Raises
    ------
    DicomError
        Pixel data its attributes cannot describe (:func:`check_pixel_module`), a
        decoder failure, a decoded size above ``max_bytes``, or a decoded array
        whose shape is not Frames x Rows x Columns [x Samples] — naming the file
        and the reason.
    """
    where = where_of(ds)
    check_pixel_module(ds, where)
    if transfer_syntax(ds).is_encapsulated:
        size = decoded_bytes(ds)
        if size > max_bytes:
            raise DicomError(f"{len(ds.PixelData):,} bytes of compressed pixel data would decode to {size:,} bytes "
                             f"({int(ds.Rows)} x {int(ds.Columns)} x {expected_frames(ds)} frames), above the limit "
                             f"of {max_bytes:,}: a decompression bomb? raise it explicitly (decode_pixels(..., "
                             "max_bytes=...)) if the image is genuine", where=where)
        try:
            first = next(generate_frames(ds.PixelData, number_of_frames=expected_frames(ds)), b"")
        except Exception:  # noqa: BLE001 - malformed encapsulation: the decode below reports it as a DicomError
            first = b""
        precision, bits = stream_precision(first), int(ds.BitsAllocated)
        if precision is not None and precision > bits:  # the decoder would cut every value to Bits Allocated
            raise DicomError(f"the codestream holds {precision}-bit samples but Bits Allocated is {bits}: decoding "
                             "would truncate every value", where=where)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            arr = _decode(ds)
        except DicomError:
            raise
        except Exception as exc:  # noqa: BLE001 - decoders raise many types; all become one DicomError
            raise DicomError(f"cannot decode pixel data ({one_line(exc)})", where=where) from None
    frames, rows, cols = expected_frames(ds), int(ds.Rows), int(ds.Columns)
    samples = int(getattr(ds, "SamplesPerPixel", 1) or 1)
    shape = (rows, cols) + ((samples,) if samples > 1 else ())
    shape = ((frames,) if frames > 1 else ()) + shape
    if arr.shape != shape:
        raise DicomError(f"decoded pixel data has shape {arr.shape}, the attributes say {shape} "
                         f"(Number of Frames {frames})", where=where)
    for w in caught:  # the decode succeeded: pass its warnings on
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return arr


def _decode(ds: Dataset) -> np.ndarray:
    ts = str(ds.file_meta.TransferSyntaxUID) if getattr(ds, "file_meta", None) is not None else ""
    direct = DIRECT_DECODERS.get(ts)
    if direct is not None and int(getattr(ds, "SamplesPerPixel", 1)) == 1 and int(ds.BitsAllocated) in (8, 16):
        try:
            return _decode_frames(ds, direct)
        except Exception:  # noqa: BLE001 - an unusual codestream: let pydicom try
            pass
    try:
        return ds.pixel_array
    except Exception:
        if ts not in IMAGECODECS_DECODERS:
            raise
    return _decode_frames(ds, DIRECT_DECODERS[ts])


def _decode_frames(ds: Dataset, decoder: Callable[[bytes], np.ndarray]) -> np.ndarray:
    """Decode each frame with ``decoder`` and give the result pydicom's shape, dtype and sign."""
    n = int(getattr(ds, "NumberOfFrames", 1) or 1)
    rows, cols = int(ds.Rows), int(ds.Columns)
    frames = [np.asarray(decoder(f)) for f in generate_frames(ds.PixelData, number_of_frames=n)]
    if len(frames) != n or any(f.shape != (rows, cols) for f in frames):
        raise ValueError(f"decoded frames {[f.shape for f in frames][:3]} do not match {n} x {rows} x {cols}")
    signed = int(getattr(ds, "PixelRepresentation", 0)) == 1
    dtype = np.dtype(f"{'i' if signed else 'u'}{max(int(ds.BitsAllocated) // 8, 1)}")
    arr = np.stack(frames) if n > 1 else frames[0]
    if signed and arr.dtype.kind == "u":
        # the codestream holds the two's-complement pattern at Bits Stored: sign-extend it
        bits = int(ds.BitsStored)
        wide = arr.astype(np.int32) & ((1 << bits) - 1)
        arr = np.where(wide >= 1 << (bits - 1), wide - (1 << bits), wide)
    return arr.astype(dtype, copy=False)


def modality_pixels(ds: Dataset) -> np.ndarray:
    """Decoded pixels in modality units (HU for CT): stored values through the Modality LUT.

    Two encodings of the same image can store different values — a lossy codec of
    unsigned samples stores signed CT level-shifted, with its Rescale Intercept
    moved to match — but their modality values agree, so compare those.

    Parameters
    ----------
    ds : pydicom.Dataset

    Returns
    -------
    ndarray of float64
    """
    values = decode_pixels(ds).astype(np.float64)
    slope = float(getattr(ds, "RescaleSlope", 1) or 1)
    intercept = float(getattr(ds, "RescaleIntercept", 0) or 0)
    return values * slope + intercept if (slope, intercept) != (1.0, 0.0) else values
