"""The codec libraries behind the transfer syntaxes: one-frame encoders and decoders.

pydicom's own encoders are used where they exist (RLE natively, JPEG-LS through
pyjpegls, JPEG 2000 through pylibjpeg-openjpeg); imagecodecs provides the rest
(JPEG baseline and extended through libjpeg-turbo, JPEG lossless SV1, HTJ2K through
OpenJPH, JPEG XL through libjxl). Every encoder takes one frame, its
:class:`FrameInfo`, the codec's rate parameter and the keyword arguments the codec's
registry entry gives, and returns one codestream; signed data is passed as DICOM
expects, its two's-complement bit pattern at Bits Stored, where the codec itself
works on unsigned samples. Every decoder takes one codestream and returns its samples.

This module knows no transfer syntax: :mod:`teleradlab.compression.registry` says
which function codes which syntax, with which keyword arguments. It does not import
the registry (the dependency runs one way, registry to backends).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class FrameInfo:
    """What an encoder needs to know about a frame.

    Attributes
    ----------
    bits_stored, bits_allocated : int
        Bits Stored and Bits Allocated of the samples.
    signed : bool
        Pixel Representation 1 (two's complement samples).
    photometric : str
        Photometric Interpretation.
    samples : int
        Samples per Pixel.
    """

    bits_stored: int
    bits_allocated: int
    signed: bool
    photometric: str
    samples: int = 1


#: encode(frame, info, param, **keyword_arguments) -> codestream; ``param`` is the
#: codec's rate parameter (None for lossless codecs).
Encoder = Callable[..., bytes]
#: decode(codestream) -> the frame's samples.
FrameDecoder = Callable[[bytes], np.ndarray]


def unsigned_pattern(frame: np.ndarray, info: FrameInfo) -> np.ndarray:
    """Signed samples as their two's-complement bit pattern at Bits Stored (unsigned).

    Parameters
    ----------
    frame : ndarray
        One frame's stored values.
    info : FrameInfo
        Its description; unsigned frames are returned as they are.

    Returns
    -------
    ndarray
        uint8 or uint16 (after Bits Allocated) for signed input, else ``frame``.
    """
    if not info.signed:
        return frame
    mask = (1 << info.bits_stored) - 1
    return (frame.astype(np.int32) & mask).astype(np.uint16 if info.bits_allocated > 8 else np.uint8)


def _pydicom_kwargs(frame: np.ndarray, info: FrameInfo) -> dict[str, Any]:
    return dict(rows=frame.shape[0], columns=frame.shape[1], samples_per_pixel=info.samples,
                bits_allocated=info.bits_allocated, bits_stored=info.bits_stored,
                pixel_representation=1 if info.signed else 0, photometric_interpretation=info.photometric,
                number_of_frames=1, planar_configuration=0)


def pydicom_encode(frame: np.ndarray, info: FrameInfo, param: Any, *, encoder: str,
                   param_keyword: str | None = None, **options: Any) -> bytes:
    """Encode a frame with one of pydicom's encoders (``pydicom.pixels.encoders``).

    Parameters
    ----------
    frame : ndarray
        One frame.
    info : FrameInfo
        Its description.
    param : object
        The rate parameter, passed as ``param_keyword``: ``j2k_cr`` (JPEG 2000
        compression ratio, as the one-layer list pydicom expects) or ``jls_error``
        (JPEG-LS NEAR); ignored without a ``param_keyword``.
    encoder : str
        The encoder's name in ``pydicom.pixels.encoders`` (``JPEG2000Encoder``...).
    param_keyword : str, optional
        The encoder keyword argument that takes ``param``.
    **options
        Further keyword arguments for the encoder.

    Returns
    -------
    bytes
        The codestream.
    """
    from pydicom.pixels import encoders

    extra = dict(options)
    if param_keyword == "j2k_cr":
        extra[param_keyword] = [float(param)]
    elif param_keyword is not None:
        extra[param_keyword] = int(param)
    return getattr(encoders, encoder).encode(np.ascontiguousarray(frame), **_pydicom_kwargs(frame, info), **extra)


def jpeg8_encode(frame: np.ndarray, info: FrameInfo, param: Any, **options: Any) -> bytes:
    """Encode an 8-bit frame as lossy JPEG (libjpeg-turbo), quality ``param``; RGB as YCbCr.

    ``options`` go to ``imagecodecs.jpeg8_encode`` (e.g. ``subsampling``).
    """
    import imagecodecs

    data = unsigned_pattern(frame, info).astype(np.uint8)
    rgb = info.samples == 3
    return bytes(imagecodecs.jpeg8_encode(data, level=int(param), colorspace="RGB" if rgb else None,
                                          outcolorspace="YCBCR" if rgb else None, **options))


def jpeg12_encode(frame: np.ndarray, info: FrameInfo, param: Any, **options: Any) -> bytes:
    """Encode a 12-bit greyscale frame as lossy JPEG (libjpeg-turbo, extended process), quality ``param``."""
    import imagecodecs

    data = unsigned_pattern(frame, info).astype(np.uint16)
    return bytes(imagecodecs.jpeg8_encode(data, level=int(param), bitspersample=12, **options))


def jpeg_lossless_encode(frame: np.ndarray, info: FrameInfo, param: Any, **options: Any) -> bytes:
    """Encode a frame as lossless JPEG (libjpeg-turbo) at Bits Stored; ``options`` choose the predictor."""
    import imagecodecs

    data = unsigned_pattern(frame, info)
    return bytes(imagecodecs.jpeg8_encode(data, lossless=True, bitspersample=info.bits_stored, **options))


def htj2k_encode(frame: np.ndarray, info: FrameInfo, param: Any, *, reversible: bool, **options: Any) -> bytes:
    """Encode a frame as High-Throughput JPEG 2000 (OpenJPH).

    Reversible (lossless) coding ignores ``param``; irreversible coding uses it as the
    quantisation step (imagecodecs' ``level``). Signed samples are coded signed.
    """
    import imagecodecs

    data = frame.astype(np.int16) if info.signed else frame
    if reversible:
        return bytes(imagecodecs.htj2k_encode(data, reversible=True, **options))
    return bytes(imagecodecs.htj2k_encode(data, level=float(param), reversible=False, **options))


def jpegxl_encode(frame: np.ndarray, info: FrameInfo, param: Any, *, lossless: bool, **options: Any) -> bytes:
    """Encode a frame as JPEG XL (libjxl) at Bits Stored: lossless, or at distance ``param``.

    ``options`` go to ``imagecodecs.jpegxl_encode`` (``effort``, ``usecontainer``...).
    """
    import imagecodecs

    data = unsigned_pattern(frame, info)
    bps = info.bits_stored
    if lossless:
        return bytes(imagecodecs.jpegxl_encode(data, lossless=True, bitspersample=bps, **options))
    return bytes(imagecodecs.jpegxl_encode(data, distance=float(param), bitspersample=bps, **options))


def jpeg8_decode(stream: bytes) -> np.ndarray:
    """Decode a JPEG codestream (baseline, extended or lossless) with libjpeg-turbo."""
    import imagecodecs

    return np.asarray(imagecodecs.jpeg8_decode(stream))


def jpegls_decode(stream: bytes) -> np.ndarray:
    """Decode a JPEG-LS codestream with CharLS (pyjpegls)."""
    import jpeg_ls

    return np.asarray(jpeg_ls.decode(np.frombuffer(stream, np.uint8)))


def htj2k_decode(stream: bytes) -> np.ndarray:
    """Decode a High-Throughput JPEG 2000 codestream with OpenJPH."""
    import imagecodecs

    return np.asarray(imagecodecs.htj2k_decode(stream))


def jpegxl_decode(stream: bytes) -> np.ndarray:
    """Decode a JPEG XL codestream with libjxl."""
    import imagecodecs

    return np.asarray(imagecodecs.jpegxl_decode(stream))
