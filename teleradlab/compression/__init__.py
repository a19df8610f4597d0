"""Every DICOM compression transfer syntax, with rate targeting and correct lossy attributes.

    from teleradlab.compression import codecs, compress, decompress
    result = compress(ds, "jpeg2000", ratio=10)

The decode-cost names (:func:`decode_benchmark`, :func:`decode_table`) are imported on
first use: they need pandas, which importing the codec registry (as
:mod:`teleradlab.imaging.decode` does) should not.
"""

from typing import Any

from teleradlab.compression.compress import (
    CompressionResult,
    compress,
    compress_array,
    compress_study,
    decompress,
)
from teleradlab.compression.registry import Codec, FrameInfo, codecs, get_codec

__all__ = ["Codec", "CompressionResult", "FrameInfo", "codecs", "compress", "compress_array", "compress_study",
           "decode_benchmark", "decode_table", "decompress", "get_codec"]

_LAZY = {"decode_benchmark": "teleradlab.compression.decode_cost", "decode_table": "teleradlab.compression.decode_cost"}


def __getattr__(name: str) -> Any:
    """Import :func:`decode_benchmark` and :func:`decode_table` when first asked for."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
