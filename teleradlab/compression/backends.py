"""Encoders for each transfer syntax, registered in the codec registry.

pydicom's own encoders are used where they exist (RLE natively, JPEG-LS through
pyjpegls, JPEG 2000 through pylibjpeg-openjpeg); imagecodecs provides the rest
(JPEG baseline and extended through libjpeg-turbo, JPEG lossless SV1, HTJ2K through
OpenJPH, JPEG XL through libjxl). Every encoder takes one frame and returns one
codestream; signed data is passed as DICOM expects, its two's-complement bit
pattern at Bits Stored, where the codec itself works on unsigned samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from teleradlab.compression.registry import Codec, FrameInfo, register

MONO = ("MONOCHROME1", "MONOCHROME2")
GREY_AND_RGB = (*MONO, "RGB")


def _pydicom_kwargs(frame: np.ndarray, info: FrameInfo) -> dict[str, Any]:
    return dict(rows=frame.shape[0], columns=frame.shape[1], samples_per_pixel=info.samples,
                bits_allocated=info.bits_allocated, bits_stored=info.bits_stored,
                pixel_representation=1 if info.signed else 0, photometric_interpretation=info.photometric,
                number_of_frames=1, planar_configuration=0)


def _pydicom(encoder_name: str, **fixed: Any):
    def encode(frame: np.ndarray, info: FrameInfo, param: Any) -> bytes:
        from pydicom.pixels import encoders

        enc = getattr(encoders, encoder_name)
        extra = dict(fixed)
        if encoder_name == "JPEG2000Encoder":
            extra["j2k_cr"] = [float(param)]
        elif encoder_name == "JPEGLSNearLosslessEncoder":
            extra["jls_error"] = int(param)
        return enc.encode(np.ascontiguousarray(frame), **_pydicom_kwargs(frame, info), **extra)

    return encode


def unsigned_pattern(frame: np.ndarray, info: FrameInfo) -> np.ndarray:
    """Signed samples as their two's-complement bit pattern at Bits Stored (unsigned)."""
    if not info.signed:
        return frame
    mask = (1 << info.bits_stored) - 1
    return (frame.astype(np.int32) & mask).astype(np.uint16 if info.bits_allocated > 8 else np.uint8)


def _jpeg8(frame: np.ndarray, info: FrameInfo, param: Any) -> bytes:
    import imagecodecs

    data = unsigned_pattern(frame, info)
    if info.bits_stored <= 8:
        data = data.astype(np.uint8)
        return imagecodecs.jpeg8_encode(data, level=int(param), colorspace="RGB" if info.samples == 3 else None,
                                        outcolorspace="YCBCR" if info.samples == 3 else None, subsampling="444")
    return imagecodecs.jpeg8_encode(data.astype(np.uint16), level=int(param), bitspersample=12)


def _jpeg_lossless(frame: np.ndarray, info: FrameInfo, param: Any) -> bytes:
    import imagecodecs

    data = unsigned_pattern(frame, info)
    return imagecodecs.jpeg8_encode(data, lossless=True, predictor=1, bitspersample=info.bits_stored)


def _htj2k(lossless: bool):
    def encode(frame: np.ndarray, info: FrameInfo, param: Any) -> bytes:
        import imagecodecs

        data = frame.astype(np.int16) if info.signed else frame
        if lossless:
            return imagecodecs.htj2k_encode(data, reversible=True)
        return imagecodecs.htj2k_encode(data, level=float(param), reversible=False)

    return encode


def _jpegxl(lossless: bool):
    def encode(frame: np.ndarray, info: FrameInfo, param: Any) -> bytes:
        import imagecodecs

        data = unsigned_pattern(frame, info)
        bps = info.bits_stored
        if lossless:
            return imagecodecs.jpegxl_encode(data, lossless=True, bitspersample=bps, usecontainer=False, effort=3)
        return imagecodecs.jpegxl_encode(data, distance=float(param), bitspersample=bps, usecontainer=False, effort=3)

    return encode


_B8_16 = tuple(range(1, 17))
register(Codec("rle", "1.2.840.10008.1.2.5", "RLELossless", False, _B8_16, GREY_AND_RGB, "pydicom (native)",
               "", "none", _pydicom("RLELosslessEncoder")))
register(Codec("jpeg-baseline", "1.2.840.10008.1.2.4.50", "JPEGBaseline8Bit", True, (8,), GREY_AND_RGB,
               "imagecodecs (libjpeg-turbo)", "ISO_10918_1", "bisect", _jpeg8, (1, 100), integer_param=True,
               increasing=False, default_param=90, modules=("imagecodecs",), signed=False))
register(Codec("jpeg-extended", "1.2.840.10008.1.2.4.51", "JPEGExtended12Bit", True, (12,), MONO,
               "imagecodecs (libjpeg-turbo)", "ISO_10918_1", "bisect", _jpeg8, (1, 100), integer_param=True,
               increasing=False, default_param=90, modules=("imagecodecs",), signed=False))
register(Codec("jpeg-lossless", "1.2.840.10008.1.2.4.70", "JPEGLosslessSV1", False, tuple(range(2, 17)), MONO,
               "imagecodecs (libjpeg-turbo)", "", "none", _jpeg_lossless, modules=("imagecodecs",)))
register(Codec("jpegls", "1.2.840.10008.1.2.4.80", "JPEGLSLossless", False, tuple(range(2, 17)), GREY_AND_RGB,
               "pydicom (pyjpegls)", "", "none", _pydicom("JPEGLSLosslessEncoder"), modules=("jpeg_ls",)))
register(Codec("jpegls-near", "1.2.840.10008.1.2.4.81", "JPEGLSNearLossless", True, tuple(range(2, 17)),
               GREY_AND_RGB, "pydicom (pyjpegls)", "ISO_14495_1", "max_error", _pydicom("JPEGLSNearLosslessEncoder"),
               (1, 255), integer_param=True, increasing=True, default_param=2, modules=("jpeg_ls",), signed=False,
               param_name="NEAR"))
register(Codec("jpeg2000-lossless", "1.2.840.10008.1.2.4.90", "JPEG2000Lossless", False, _B8_16, MONO,
               "pydicom (pylibjpeg-openjpeg)", "", "none", _pydicom("JPEG2000LosslessEncoder"),
               modules=("openjpeg",)))
register(Codec("jpeg2000", "1.2.840.10008.1.2.4.91", "JPEG2000", True, _B8_16, MONO,
               "pydicom (pylibjpeg-openjpeg)", "ISO_15444_1", "native", _pydicom("JPEG2000Encoder"), (1.01, 2000),
               increasing=True, default_param=10, modules=("openjpeg",), param_name="ratio parameter"))
register(Codec("htj2k-lossless", "1.2.840.10008.1.2.4.201", "HTJ2KLossless", False, _B8_16, MONO,
               "imagecodecs (OpenJPH)", "", "none", _htj2k(True), modules=("imagecodecs",)))
register(Codec("htj2k", "1.2.840.10008.1.2.4.203", "HTJ2K", True, _B8_16, MONO, "imagecodecs (OpenJPH)",
               "ISO_15444_15", "bisect", _htj2k(False), (1e-7, 1.0), increasing=True, default_param=0.001,
               modules=("imagecodecs",), param_name="quantisation step"))
register(Codec("jpegxl-lossless", "1.2.840.10008.1.2.4.110", "JPEGXLLossless", False, _B8_16, MONO,
               "imagecodecs (libjxl)", "", "none", _jpegxl(True), modules=("imagecodecs",)))
register(Codec("jpegxl", "1.2.840.10008.1.2.4.112", "JPEGXL", True, _B8_16, MONO, "imagecodecs (libjxl)",
               "ISO_18181_1", "bisect", _jpegxl(False), (0.01, 25.0), increasing=True, default_param=1.0,
               modules=("imagecodecs",), signed=False, param_name="distance", fit_precision=True))
