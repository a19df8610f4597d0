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


def _jpegls_decode(stream: bytes) -> np.ndarray:
    import jpeg_ls

    return jpeg_ls.decode(np.frombuffer(stream, np.uint8))


def _imagecodecs(name: str):
    def decode(stream: bytes) -> np.ndarray:
        import imagecodecs

        return getattr(imagecodecs, name)(stream)

    return decode


#: Transfer syntax UID → a frame decoder faster than pydicom's route for greyscale data
#: (the same libraries, called directly: libjpeg-turbo, CharLS, OpenJPH, libjxl).
#: JPEG 2000 is left to pydicom, which also repairs codestreams whose signedness
#: disagrees with Pixel Representation.
DIRECT_DECODERS = {
    "1.2.840.10008.1.2.4.50": _imagecodecs("jpeg8_decode"),  # JPEG Baseline
    "1.2.840.10008.1.2.4.51": _imagecodecs("jpeg8_decode"),  # JPEG Extended (12-bit)
    "1.2.840.10008.1.2.4.57": _imagecodecs("jpeg8_decode"),  # JPEG Lossless
    "1.2.840.10008.1.2.4.70": _imagecodecs("jpeg8_decode"),  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80": _jpegls_decode,  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81": _jpegls_decode,  # JPEG-LS Near-Lossless
    **{uid: _imagecodecs(name) for uid, name in IMAGECODECS_DECODERS.items()},
}


def decode_pixels(ds: Dataset) -> np.ndarray:
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

    Returns
    -------
    ndarray

    Raises
    ------
    Exception
        Whatever the decoder raises, when neither route can decode the data.
    """
    ts = str(ds.file_meta.TransferSyntaxUID) if getattr(ds, "file_meta", None) is not None else ""
    direct = DIRECT_DECODERS.get(ts)
    if direct is not None and int(getattr(ds, "SamplesPerPixel", 1)) == 1 and int(ds.BitsAllocated) in (8, 16):
        try:
            return _decode_frames(ds, direct)
        except Exception:  # an unusual codestream: let pydicom try
            pass
    try:
        return ds.pixel_array
    except Exception:
        if ts not in IMAGECODECS_DECODERS:
            raise
    return _decode_frames(ds, DIRECT_DECODERS[ts])


def _decode_frames(ds: Dataset, decoder) -> np.ndarray:
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
