"""Decode Pixel Data through pydicom's backends, with imagecodecs where pydicom has none.

pydicom 3 decodes native, RLE, JPEG (pylibjpeg-libjpeg), JPEG-LS (pyjpegls) and
JPEG 2000 / HTJ2K (pylibjpeg-openjpeg). For transfer syntaxes it cannot decode —
JPEG XL (DICOM Sup 232) among them — each frame is decoded with imagecodecs.
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames

#: Transfer syntaxes newer than some pydicom releases know (DICOM Sup 232, 2024).
NEW_TRANSFER_SYNTAXES: dict[str, tuple[str, str]] = {
    "1.2.840.10008.1.2.4.110": ("JPEG XL Lossless", "JPEGXLLossless"),
    "1.2.840.10008.1.2.4.111": ("JPEG XL JPEG Recompression", "JPEGXLJPEGRecompression"),
    "1.2.840.10008.1.2.4.112": ("JPEG XL", "JPEGXL"),
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

#: Transfer syntax UID → imagecodecs decoder name, for syntaxes pydicom may lack.
IMAGECODECS_DECODERS: dict[str, str] = {
    "1.2.840.10008.1.2.4.110": "jpegxl_decode",  # JPEG XL Lossless
    "1.2.840.10008.1.2.4.111": "jpegxl_decode",  # JPEG XL JPEG Recompression
    "1.2.840.10008.1.2.4.112": "jpegxl_decode",  # JPEG XL
    "1.2.840.10008.1.2.4.201": "htj2k_decode",  # HTJ2K Lossless
    "1.2.840.10008.1.2.4.202": "htj2k_decode",  # HTJ2K Lossless RPCL
    "1.2.840.10008.1.2.4.203": "htj2k_decode",  # HTJ2K
}


def decode_pixels(ds: Dataset) -> np.ndarray:
    """Return ``ds``'s stored pixel values as pydicom's ``pixel_array`` would.

    Tries pydicom first; if it has no decoder for the transfer syntax, decodes each
    frame with imagecodecs (same shape and dtype conventions: (frames, rows, cols
    [, samples]) for multi-frame data, signed types for Pixel Representation 1).

    Raises
    ------
    Exception
        Whatever the decoder raises, when neither can decode the data.
    """
    ts = str(ds.file_meta.TransferSyntaxUID) if getattr(ds, "file_meta", None) is not None else ""
    try:
        return ds.pixel_array
    except Exception:
        if ts not in IMAGECODECS_DECODERS:
            raise
    import imagecodecs

    decoder = getattr(imagecodecs, IMAGECODECS_DECODERS[ts])
    n = int(getattr(ds, "NumberOfFrames", 1) or 1)
    frames = [np.asarray(decoder(f)) for f in generate_frames(ds.PixelData, number_of_frames=n)]
    signed = int(getattr(ds, "PixelRepresentation", 0)) == 1
    dtype = np.dtype(f"{'i' if signed else 'u'}{max(int(ds.BitsAllocated) // 8, 1)}")
    arr = np.stack(frames)
    if signed and arr.dtype.kind == "u":
        # the codestream holds the two's-complement pattern at Bits Stored: sign-extend it
        bits = int(ds.BitsStored)
        wide = arr.astype(np.int32) & ((1 << bits) - 1)
        arr = np.where(wide >= 1 << (bits - 1), wide - (1 << bits), wide)
    arr = arr.astype(dtype, copy=False)
    return arr if n > 1 else arr[0]
