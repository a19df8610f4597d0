"""The codec registry: each DICOM compression transfer syntax described once.

In the style of pydicom's encoder registry, one :class:`Codec` per transfer syntax
says everything teleradlab knows about it: its short name, its Transfer Syntax UID
(pydicom's constant), whether it is lossless, the backend function that encodes a
frame and the keyword arguments it is called with, the function that decodes a frame
directly (or None: pydicom's route), which bit depths and photometric interpretations
it accepts and how its rate is controlled. The functions themselves live in
:mod:`.backends`, which knows no transfer syntax; the registry imports it, never the
reverse.

This module is also the one place where transfer syntax UIDs are named: other
modules take them from a codec (``get_codec("jpeg2000").uid``), from
:func:`direct_decoders`, from the JPEG XL constants below (which pydicom 3.0 lacks),
or from ``pydicom.uid``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydicom import uid as pydicom_uid
from pydicom.uid import (
    HTJ2K,
    JPEG2000,
    UID,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from teleradlab.compression import backends
from teleradlab.compression.backends import Encoder, FrameDecoder, FrameInfo
from teleradlab.errors import CodecError

__all__ = ["JPEG_XL", "JPEG_XL_JPEG_RECOMPRESSION", "JPEG_XL_LOSSLESS", "NEW_TRANSFER_SYNTAXES", "Codec",
           "DirectDecoder", "FrameInfo", "codecs", "codecs_accepting", "direct_decoders", "get_codec", "register",
           "register_new_transfer_syntaxes"]

#: The JPEG XL transfer syntaxes (DICOM Supplement 232, 2024; PS3.6 Table A-1): pydicom's
#: constants where the installed release has them, else their UIDs from the standard.
JPEG_XL_LOSSLESS: UID = getattr(pydicom_uid, "JPEGXLLossless", UID("1.2.840.10008.1.2.4.110"))
JPEG_XL_JPEG_RECOMPRESSION: UID = getattr(pydicom_uid, "JPEGXLJPEGRecompression", UID("1.2.840.10008.1.2.4.111"))
JPEG_XL: UID = getattr(pydicom_uid, "JPEGXL", UID("1.2.840.10008.1.2.4.112"))

#: Transfer syntaxes newer than some pydicom releases know: UID -> (name, keyword).
NEW_TRANSFER_SYNTAXES: dict[str, tuple[str, str]] = {
    JPEG_XL_LOSSLESS: ("JPEG XL Lossless", "JPEGXLLossless"),
    JPEG_XL_JPEG_RECOMPRESSION: ("JPEG XL JPEG Recompression", "JPEGXLJPEGRecompression"),
    JPEG_XL: ("JPEG XL", "JPEGXL"),
}


def register_new_transfer_syntaxes() -> None:
    """Teach pydicom's UID dictionary the JPEG XL transfer syntaxes if it lacks them.

    pydicom 3.0 predates DICOM Supplement 232; without these entries it refuses to
    write (or cleanly read) files in those syntaxes. Newer pydicom releases already
    have them, and then this does nothing.
    """
    from pydicom._uid_dict import UID_dictionary

    for uid, (name, keyword) in NEW_TRANSFER_SYNTAXES.items():
        UID_dictionary.setdefault(uid, (name, "Transfer Syntax", "", "", keyword))


register_new_transfer_syntaxes()


@dataclass(frozen=True)
class DirectDecoder:
    """How teleradlab decodes a syntax's frames itself, faster than pydicom's plugin route.

    Attributes
    ----------
    decode : callable
        decode(codestream) -> samples of one frame (a :mod:`.backends` function).
    fallback : bool
        Also used where pydicom's own route fails: the syntaxes some pydicom
        releases cannot decode (JPEG XL, HTJ2K).
    """

    decode: FrameDecoder
    fallback: bool = False


@dataclass(frozen=True)
class Codec:
    """A DICOM compression transfer syntax and how teleradlab encodes and decodes it.

    Attributes
    ----------
    name : str
        Short name (``jpeg2000``, ``htj2k-lossless``...).
    uid : pydicom.uid.UID
        Transfer Syntax UID (pydicom's constant, e.g. ``pydicom.uid.JPEG2000``).
    lossy : bool
        Whether it discards information (see also :attr:`lossless`).
    bits : tuple of int
        Bits Stored values accepted.
    photometrics : tuple of str
        Photometric interpretations accepted.
    backend : str
        The library that encodes it (``pydicom`` with its plugin, or ``imagecodecs``).
    method : str
        Lossy Image Compression Method (0028,2114) code, e.g. ``ISO_15444_1``.
    rate : str
        How ``ratio=`` is reached: ``native`` (the codec's own rate control, then
        corrected), ``bisect`` (bisection on ``param_range``), ``max_error`` (JPEG-LS
        NEAR) or ``none`` (lossless).
    encoder : callable
        The :mod:`.backends` function that encodes one frame; :meth:`encode` calls it
        with ``options``.
    options : mapping
        The keyword arguments the encoder is always called with (library options).
    decoder : DirectDecoder or None
        The direct frame decoder, or None where pydicom decodes it.
    param_range : tuple
        (low, high) of the rate parameter: bisection searches it, and a ``quality`` (or
        ``max_error``) outside it is refused. Beyond it the libraries clamp or saturate
        (measured on a synthetic 256x256 CT: JPEG quality 0 and -5 code like 1, 101 like
        100; JPEG XL distance 26 and 100 like 25; HTJ2K step 2 and 8 like 1; JPEG 2000
        ratio parameters 2000 and 5000 alike), so a value there would be silently changed.
    integer_param : bool
        Whether the rate parameter is an integer.
    increasing : bool
        Whether a larger parameter gives a larger ratio.
    default_param : object
        The rate parameter used when neither a ratio nor a parameter is asked for.
    modules : tuple of str
        Python modules that must import for it to be usable.
    signed : bool
        Whether it codes signed samples (Pixel Representation 1). Lossless codecs of
        unsigned samples code the two's-complement bit pattern exactly; a lossy one
        must not (an error near zero would throw a value to the other end of the
        range), so :func:`~teleradlab.compression.compress` level-shifts signed data
        to unsigned for it and moves the Rescale Intercept to match, as DCMTK does.
    param_name : str
        What its rate parameter is called (for messages): quality, NEAR, distance...
    fit_precision : bool
        Whether its rate parameter is relative to the declared sample range (JPEG XL's
        distance is): :func:`~teleradlab.compression.compress` then codes the samples
        offset to 0 at the fewest bits that hold them.
    """

    name: str
    uid: UID
    lossy: bool
    bits: tuple[int, ...]
    photometrics: tuple[str, ...]
    backend: str
    method: str
    rate: str
    encoder: Encoder
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    decoder: DirectDecoder | None = None
    param_range: tuple[float, float] = (0.0, 0.0)
    integer_param: bool = False
    increasing: bool = True
    default_param: Any = None
    modules: tuple[str, ...] = field(default_factory=tuple)
    signed: bool = True
    param_name: str = "quality"
    fit_precision: bool = False

    @property
    def lossless(self) -> bool:
        """Whether it keeps every sample exactly."""
        return not self.lossy

    @property
    def keyword(self) -> str:
        """pydicom's keyword of the Transfer Syntax UID (``JPEG2000``...)."""
        return UID(self.uid).keyword

    @property
    def compress_keywords(self) -> tuple[str, ...]:
        """The keyword arguments of :func:`~teleradlab.compression.compress` that it uses.

        None for a lossless codec (its ratio follows from the image, it has no
        parameter and re-encoding loses nothing). A lossy one uses ``ratio`` and
        ``quality`` (its rate parameter), ``on_miss`` (what a missed ratio does) and
        ``allow_recompression``; JPEG-LS near-lossless also ``max_error`` (its NEAR).
        :func:`~teleradlab.compression.compress` refuses any other.

        Examples
        --------
        >>> get_codec("jpeg2000").compress_keywords
        ('ratio', 'quality', 'on_miss', 'allow_recompression')
        >>> get_codec("jpegls").compress_keywords
        ()
        """
        if not self.lossy:
            return ()
        rate = ("ratio", "quality", "max_error") if self.rate == "max_error" else ("ratio", "quality")
        return (*rate, "on_miss", "allow_recompression")

    def encode(self, frame: Any, info: FrameInfo, param: Any) -> bytes:
        """Encode one frame with the rate parameter ``param`` (None for lossless codecs).

        Parameters
        ----------
        frame : ndarray
            One frame's stored values.
        info : FrameInfo
            Its description.
        param : object
            The rate parameter (quality, NEAR, ratio parameter, step, distance).

        Returns
        -------
        bytes
            The codestream.
        """
        return self.encoder(frame, info, param, **self.options)

    def is_available(self) -> bool:
        """Whether every module the backend needs imports on this machine."""
        import importlib

        for m in self.modules:
            try:
                importlib.import_module(m)
            except Exception:  # noqa: BLE001 - missing or broken plugins alike
                return False
        return True

    def accepts(self, info: FrameInfo) -> str | None:
        """None when the codec can take frames like ``info``, else why not."""
        if info.bits_stored not in self.bits:
            return f"{self.name} takes {_bits(self.bits)}-bit data, not {info.bits_stored}-bit"
        if info.photometric not in self.photometrics:
            return f"{self.name} takes {', '.join(self.photometrics)}, not {info.photometric}"
        return None


def _bits(bits: tuple[int, ...]) -> str:
    return f"{min(bits)}" if len(bits) == 1 else f"{min(bits)}-{max(bits)}"


MONO = ("MONOCHROME1", "MONOCHROME2")
GREY_AND_RGB = (*MONO, "RGB")
_B1_16 = tuple(range(1, 17))
_B2_16 = tuple(range(2, 17))
_JPEG = DirectDecoder(backends.jpeg8_decode)
_JPEGLS = DirectDecoder(backends.jpegls_decode)
_HTJ2K = DirectDecoder(backends.htj2k_decode, fallback=True)
_JPEGXL = DirectDecoder(backends.jpegxl_decode, fallback=True)
#: libjxl keyword arguments of both JPEG XL codecs: effort 3 (libjxl's scale is 1-9, default 7;
#: lower is faster), and the bare codestream without the ISO BMFF container.
_JXL_OPTIONS = {"effort": 3, "usecontainer": False}

_CODECS: dict[str, Codec] = {}


def register(codec: Codec) -> Codec:
    """Add a codec to the registry (replacing one of the same name).

    Parameters
    ----------
    codec : Codec
        Its description.

    Returns
    -------
    Codec
        ``codec``.
    """
    _CODECS[codec.name] = codec
    return codec


for _codec in (
    Codec("rle", RLELossless, False, _B1_16, GREY_AND_RGB, "pydicom (native)", "", "none",
          backends.pydicom_encode, {"encoder": "RLELosslessEncoder"}),
    Codec("jpeg-baseline", JPEGBaseline8Bit, True, (8,), GREY_AND_RGB, "imagecodecs (libjpeg-turbo)",
          "ISO_10918_1", "bisect", backends.jpeg8_encode, {"subsampling": "444"}, _JPEG, (1, 100),
          integer_param=True, increasing=False, default_param=90, modules=("imagecodecs",), signed=False),
    Codec("jpeg-extended", JPEGExtended12Bit, True, (12,), MONO, "imagecodecs (libjpeg-turbo)", "ISO_10918_1",
          "bisect", backends.jpeg12_encode, {}, _JPEG, (1, 100), integer_param=True, increasing=False,
          default_param=90, modules=("imagecodecs",), signed=False),
    Codec("jpeg-lossless", JPEGLosslessSV1, False, _B2_16, MONO, "imagecodecs (libjpeg-turbo)", "", "none",
          backends.jpeg_lossless_encode, {"predictor": 1}, _JPEG, modules=("imagecodecs",)),
    Codec("jpegls", JPEGLSLossless, False, _B2_16, GREY_AND_RGB, "pydicom (pyjpegls)", "", "none",
          backends.pydicom_encode, {"encoder": "JPEGLSLosslessEncoder"}, _JPEGLS, modules=("jpeg_ls",)),
    Codec("jpegls-near", JPEGLSNearLossless, True, _B2_16, GREY_AND_RGB, "pydicom (pyjpegls)", "ISO_14495_1",
          "max_error", backends.pydicom_encode, {"encoder": "JPEGLSNearLosslessEncoder", "param_keyword": "jls_error"},
          _JPEGLS, (1, 255), integer_param=True, increasing=True, default_param=2, modules=("jpeg_ls",),
          signed=False, param_name="NEAR"),
    # JPEG 2000 is decoded by pydicom, which also repairs codestreams whose signedness
    # disagrees with Pixel Representation.
    Codec("jpeg2000-lossless", JPEG2000Lossless, False, _B1_16, MONO, "pydicom (pylibjpeg-openjpeg)", "", "none",
          backends.pydicom_encode, {"encoder": "JPEG2000LosslessEncoder"}, modules=("openjpeg",)),
    Codec("jpeg2000", JPEG2000, True, _B1_16, MONO, "pydicom (pylibjpeg-openjpeg)", "ISO_15444_1", "native",
          backends.pydicom_encode, {"encoder": "JPEG2000Encoder", "param_keyword": "j2k_cr"}, None, (1.01, 2000),
          increasing=True, default_param=10, modules=("openjpeg",), param_name="ratio parameter"),
    Codec("htj2k-lossless", HTJ2KLossless, False, _B1_16, MONO, "imagecodecs (OpenJPH)", "", "none",
          backends.htj2k_encode, {"reversible": True}, _HTJ2K, modules=("imagecodecs",)),
    Codec("htj2k", HTJ2K, True, _B1_16, MONO, "imagecodecs (OpenJPH)", "ISO_15444_15", "bisect",
          backends.htj2k_encode, {"reversible": False}, _HTJ2K, (1e-7, 1.0), increasing=True, default_param=0.001,
          modules=("imagecodecs",), param_name="quantisation step"),
    Codec("jpegxl-lossless", JPEG_XL_LOSSLESS, False, _B1_16, MONO, "imagecodecs (libjxl)", "", "none",
          backends.jpegxl_encode, {"lossless": True, **_JXL_OPTIONS}, _JPEGXL, modules=("imagecodecs",)),
    Codec("jpegxl", JPEG_XL, True, _B1_16, MONO, "imagecodecs (libjxl)", "ISO_18181_1", "bisect",
          backends.jpegxl_encode, {"lossless": False, **_JXL_OPTIONS}, _JPEGXL, (0.01, 25.0), increasing=True,
          default_param=1.0, modules=("imagecodecs",), signed=False, param_name="distance", fit_precision=True),
):
    register(_codec)

#: Syntaxes teleradlab decodes directly but does not encode.
_DECODE_ONLY: dict[str, DirectDecoder] = {
    JPEGLossless: _JPEG,  # JPEG Lossless, process 14 (any selection value)
    HTJ2KLosslessRPCL: _HTJ2K,
    JPEG_XL_JPEG_RECOMPRESSION: _JPEGXL,
}


def direct_decoders() -> dict[str, DirectDecoder]:
    """Transfer Syntax UID -> the direct frame decoder, for every syntax that has one.

    The registered codecs' decoders and those of the syntaxes teleradlab only decodes
    (JPEG Lossless process 14, HTJ2K Lossless RPCL, JPEG XL JPEG Recompression).

    Returns
    -------
    dict
        Keyed by UID (a ``str``).
    """
    out: dict[str, DirectDecoder] = {c.uid: c.decoder for c in _CODECS.values() if c.decoder is not None}
    out.update(_DECODE_ONLY)
    return out


def codecs(available_only: bool = True) -> list[Codec]:
    """The registered codecs, in registration order (only the usable ones by default).

    Examples
    --------
    >>> names = [c.name for c in codecs(available_only=False)]
    >>> "jpeg2000" in names and "htj2k" in names and "jpegxl-lossless" in names
    True
    """
    return [c for c in _CODECS.values() if not available_only or c.is_available()]


def get_codec(syntax: str) -> Codec:
    """Look a codec up by short name, Transfer Syntax UID or pydicom UID keyword.

    Raises
    ------
    CodecError
        Naming the unknown syntax and listing the known names.
    """
    key = str(syntax).strip()
    for c in _CODECS.values():
        if key in (c.name, c.uid, c.keyword) or key.lower() == c.name:
            return c
    raise CodecError(f"unknown transfer syntax {syntax!r}; known: {', '.join(_CODECS)}", where="syntax")


def codecs_accepting(info: FrameInfo, *, lossy: bool | None = None) -> list[str]:
    """Names of the codecs that can take frames like ``info``."""
    return [c.name for c in codecs(available_only=False) if c.accepts(info) is None and (lossy is None or c.lossy == lossy)]
