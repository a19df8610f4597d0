"""Every DICOM compression transfer syntax, with rate targeting and correct lossy attributes.

    from teleradlab.compression import codecs, compress, decompress
    result = compress(ds, "jpeg2000", ratio=10)
"""

from teleradlab.compression.compress import (
    CompressionResult,
    compress,
    compress_array,
    compress_study,
    decompress,
)
from teleradlab.compression.decode_cost import decode_benchmark, decode_table
from teleradlab.compression.registry import Codec, FrameInfo, codecs, get_codec

__all__ = ["Codec", "CompressionResult", "FrameInfo", "codecs", "compress", "compress_array", "compress_study",
           "decode_benchmark", "decode_table", "decompress", "get_codec"]
