"""The codec registry: one entry per DICOM compression transfer syntax.

In the style of pydicom's encoder registry: each :class:`Codec` knows its transfer
syntax UID and keyword, whether it is lossy, which bit depths and photometric
interpretations it accepts, the backend that encodes it and how its rate is
controlled. Adding a codec is one :func:`register` call in :mod:`.backends`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from teleradlab.errors import CodecError

#: encode(frame, info, param) -> bytes; ``param`` is the codec's rate parameter (or None).
Encoder = Callable[[Any, "FrameInfo", Any], bytes]


@dataclass(frozen=True)
class FrameInfo:
    """What an encoder needs to know about a frame."""

    bits_stored: int
    bits_allocated: int
    signed: bool
    photometric: str
    samples: int = 1


@dataclass(frozen=True)
class Codec:
    """A DICOM compression transfer syntax and how teleradlab encodes it.

    Attributes
    ----------
    name : str
        Short name (``jpeg2000``, ``htj2k-lossless``...).
    uid : str
        Transfer Syntax UID.
    keyword : str
        pydicom's UID keyword (``JPEG2000``...).
    lossy : bool
        Whether it discards information.
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
    param_range : tuple
        (low, high) of the rate parameter for bisection.
    encode : callable
        The encoder.
    modules : tuple of str
        Python modules that must import for it to be usable.
    param_name : str
        What its rate parameter is called (for messages): quality, NEAR, distance...
    fit_precision : bool
        Whether its rate parameter is relative to the declared sample range (JPEG XL's
        distance is): :func:`~teleradlab.compression.compress` then codes the samples
        offset to 0 at the fewest bits that hold them.
    signed : bool
        Whether it codes signed samples (Pixel Representation 1). Lossless codecs of
        unsigned samples code the two's-complement bit pattern exactly; a lossy one
        must not (an error near zero would throw a value to the other end of the
        range), so :func:`~teleradlab.compression.compress` level-shifts signed data
        to unsigned for it and moves the Rescale Intercept to match, as DCMTK does.
    """

    name: str
    uid: str
    keyword: str
    lossy: bool
    bits: tuple[int, ...]
    photometrics: tuple[str, ...]
    backend: str
    method: str
    rate: str
    encode: Encoder
    param_range: tuple[float, float] = (0.0, 0.0)
    integer_param: bool = False
    increasing: bool = True  # does a larger parameter give a larger ratio?
    default_param: Any = None
    modules: tuple[str, ...] = field(default_factory=tuple)
    signed: bool = True
    param_name: str = "quality"
    fit_precision: bool = False

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


_CODECS: dict[str, Codec] = {}


def register(codec: Codec) -> Codec:
    """Add a codec to the registry."""
    _CODECS[codec.name] = codec
    return codec


def codecs(available_only: bool = True) -> list[Codec]:
    """The registered codecs, in registration order (only the usable ones by default).

    Examples
    --------
    >>> names = [c.name for c in codecs(available_only=False)]
    >>> "jpeg2000" in names and "htj2k" in names and "jpegxl-lossless" in names
    True
    """
    from teleradlab.compression import backends  # noqa: F401 - registers the codecs

    return [c for c in _CODECS.values() if not available_only or c.is_available()]


def get_codec(syntax: str) -> Codec:
    """Look a codec up by short name, Transfer Syntax UID or pydicom UID keyword.

    Raises
    ------
    CodecError
        Naming the unknown syntax and listing the known names.
    """
    from teleradlab.compression import backends  # noqa: F401

    key = str(syntax).strip()
    for c in _CODECS.values():
        if key in (c.name, c.uid, c.keyword) or key.lower() == c.name:
            return c
    raise CodecError(f"unknown transfer syntax {syntax!r}; known: {', '.join(_CODECS)}", where="syntax")


def codecs_accepting(info: FrameInfo, *, lossy: bool | None = None) -> list[str]:
    """Names of the codecs that can take frames like ``info``."""
    return [c.name for c in codecs(available_only=False) if c.accepts(info) is None and (lossy is None or c.lossy == lossy)]
