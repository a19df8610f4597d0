"""MetaImage (``.mhd`` + ``.raw``, or ``.mha``) in and out, and one loader for image stacks.

Phantom scans for low-contrast detectability (the FDA's LCD_CT toolkit, many CT
vendors' research exports) come as MetaImage: a text header of ``Key = value`` lines
and the raw samples, x fastest. :func:`read_metaimage` honours the header keys that
change how the bytes are read — ``ElementType``, ``DimSize``, ``ElementByteOrderMSB``
(or ``BinaryDataByteOrderMSB``), ``HeaderSize`` (−1: the data are the file's last
bytes), ``ElementDataFile`` (``LOCAL`` or a file name), ``CompressedData`` (zlib) and
``ElementNumberOfChannels`` — and returns the spacing and offset with the array.
:func:`load_stack` reads either that or a DICOM series (through
:func:`teleradlab.imaging.load_study`) into one (slices, rows, cols) array.

Format: the ITK MetaIO documentation (https://itk.org/Wiki/ITK/MetaIO/Documentation).

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_metaimage(d / "a.mhd", np.arange(24, dtype=np.int16).reshape(2, 3, 4), spacing=(2.5, 0.5, 0.5))
>>> img = read_metaimage(d / "a.mhd")
>>> img.array.shape, img.spacing
((2, 3, 4), (2.5, 0.5, 0.5))
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from teleradlab.errors import DicomError

__all__ = ["MetaImage", "load_stack", "read_metaimage", "write_metaimage"]

#: MetaIO element types and their numpy kinds (byte order is set from the header).
ELEMENT_TYPES: dict[str, str] = {
    "MET_CHAR": "i1", "MET_UCHAR": "u1", "MET_SHORT": "i2", "MET_USHORT": "u2", "MET_INT": "i4", "MET_UINT": "u4",
    "MET_LONG": "i4", "MET_ULONG": "u4", "MET_LONG_LONG": "i8", "MET_ULONG_LONG": "u8", "MET_FLOAT": "f4",
    "MET_DOUBLE": "f8",
}
_TRUE = {"true", "1", "yes"}


@dataclass
class MetaImage:
    """A MetaImage: samples in numpy order and the geometry from the header.

    Attributes
    ----------
    array : ndarray
        (z, y, x) for 3-D, (y, x) for 2-D, with a trailing channel axis when
        ``ElementNumberOfChannels`` > 1.
    spacing : tuple of float
        Sample spacing in numpy axis order (z, y, x), mm.
    offset : tuple of float
        Position of the first sample, in header order (x, y, z), mm.
    header : dict
        Every header key and its raw string value.
    """

    array: np.ndarray
    spacing: tuple[float, ...]
    offset: tuple[float, ...]
    header: dict[str, str] = field(default_factory=dict)


def _parse_header(text: str, where: str) -> dict[str, str]:
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if "=" not in line:
            raise DicomError(f"header line without '=': {line.strip()!r}", where=where)
        key, value = line.split("=", 1)
        header[key.strip()] = value.strip()
        if key.strip() == "ElementDataFile":
            break
    return header


def _numbers(header: dict[str, str], key: str, kind: type, where: str) -> list:
    try:
        return [kind(v) for v in header[key].split()]
    except ValueError as exc:
        raise DicomError(f"{key} = {header[key]!r} is not a list of numbers", where=f"{where}:{key}") from exc


def read_metaimage(path: str | os.PathLike[str]) -> MetaImage:
    """Read a MetaImage header (``.mhd``/``.mha``) and its data.

    Parameters
    ----------
    path : path-like
        The header file.

    Returns
    -------
    MetaImage

    Raises
    ------
    DicomError
        A missing file, a header key missing or malformed, an unsupported element
        type or data-file form, or a data file shorter than DimSize asks for — naming
        the file and key.
    """
    p = Path(path)
    if not p.is_file():
        raise DicomError("no such file", where=str(p))
    raw = p.read_bytes()
    marker = raw.find(b"ElementDataFile")
    if marker < 0:
        raise DicomError("no ElementDataFile key: not a MetaImage header", where=f"{p}:ElementDataFile")
    end = raw.find(b"\n", marker)
    end = len(raw) if end < 0 else end + 1
    header = _parse_header(raw[:end].decode("latin-1"), str(p))
    for key in ("DimSize", "ElementType"):
        if key not in header:
            raise DicomError(f"missing {key}", where=f"{p}:{key}")
    dims = _numbers(header, "DimSize", int, str(p))
    ndims = int(header.get("NDims", len(dims)))
    if len(dims) != ndims or min(dims) < 1:
        raise DicomError(f"DimSize {dims} does not give NDims = {ndims} positive sizes", where=f"{p}:DimSize")
    etype = header["ElementType"].upper()
    if etype not in ELEMENT_TYPES:
        raise DicomError(f"unsupported ElementType {etype}; supported: {', '.join(ELEMENT_TYPES)}",
                         where=f"{p}:ElementType")
    msb_key = "ElementByteOrderMSB" if "ElementByteOrderMSB" in header else "BinaryDataByteOrderMSB"
    msb = header.get(msb_key, "False").lower() in _TRUE
    dtype = np.dtype(ELEMENT_TYPES[etype]).newbyteorder(">" if msb else "<")
    channels = int(header.get("ElementNumberOfChannels", "1"))
    count = int(np.prod(dims)) * channels
    nbytes = count * dtype.itemsize

    source = header.get("ElementDataFile", "")
    if source.upper() == "LOCAL":
        data, data_where = raw[end:], str(p)
    elif source.upper().startswith("LIST") or "%" in source:
        raise DicomError(f"ElementDataFile {source!r}: file lists and patterns are not supported; "
                         "give one data file or LOCAL", where=f"{p}:ElementDataFile")
    else:
        data_path = (p.parent / source) if not Path(source).is_absolute() else Path(source)
        if not data_path.is_file():
            raise DicomError(f"the data file {source!r} does not exist", where=f"{p}:ElementDataFile")
        data, data_where = data_path.read_bytes(), str(data_path)
    if header.get("CompressedData", "False").lower() in _TRUE:
        try:
            data = zlib.decompress(data)
        except zlib.error as exc:
            raise DicomError(f"CompressedData = True but the data do not inflate ({exc})", where=data_where) from exc
    skip = int(header.get("HeaderSize", "0"))
    if skip == -1:
        skip = len(data) - nbytes
    if skip < 0 or len(data) - skip < nbytes:
        raise DicomError(f"{len(data)} bytes of data after HeaderSize {header.get('HeaderSize', '0')}, but DimSize "
                         f"{dims} of {etype} x {channels} needs {nbytes}", where=data_where)
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=skip)
    shape = tuple(reversed(dims)) + ((channels,) if channels > 1 else ())
    arr = arr.reshape(shape).astype(dtype.newbyteorder("="))
    spacing_key = "ElementSpacing" if "ElementSpacing" in header else "ElementSize"
    spacing = _numbers(header, spacing_key, float, str(p)) if spacing_key in header else [1.0] * ndims
    offset_key = next((k for k in ("Offset", "Origin", "Position") if k in header), None)
    offset = _numbers(header, offset_key, float, str(p)) if offset_key else [0.0] * ndims
    return MetaImage(array=arr, spacing=tuple(reversed(spacing)), offset=tuple(offset), header=header)


def write_metaimage(path: str | os.PathLike[str], array: np.ndarray, *, spacing: tuple[float, ...] | None = None,
                    offset: tuple[float, ...] | None = None, msb: bool = False, header_size: int = 0) -> Path:
    """Write ``array`` as ``path`` (.mhd header) plus a ``.raw`` data file beside it.

    Parameters
    ----------
    path : path-like
        The header's path; the data go to the same name with ``.raw``.
    array : ndarray
        (z, y, x) or (y, x) samples of a type in :data:`ELEMENT_TYPES`.
    spacing : tuple of float, optional
        Spacing in numpy axis order (z, y, x), mm; 1 by default.
    offset : tuple of float, optional
        Position of the first sample in (x, y, z) order, mm; 0 by default.
    msb : bool
        Big-endian samples (``ElementByteOrderMSB = True``).
    header_size : int
        Zero bytes written before the samples (``HeaderSize``), as some scanners do.

    Returns
    -------
    Path
        The header's path.
    """
    a = np.asarray(array)
    kinds = {v: k for k, v in reversed(list(ELEMENT_TYPES.items()))}
    kind = a.dtype.kind + str(a.dtype.itemsize)
    if kind not in kinds:
        raise DicomError(f"cannot write {a.dtype} as MetaImage; use one of {sorted(kinds)}", where="array")
    p = Path(path)
    raw = p.with_suffix(".raw")
    sp = tuple(spacing) if spacing is not None else (1.0,) * a.ndim
    off = tuple(offset) if offset is not None else (0.0,) * a.ndim
    if len(sp) != a.ndim or len(off) != a.ndim:
        raise DicomError(f"spacing and offset need {a.ndim} values", where="spacing")
    lines = ["ObjectType = Image", f"NDims = {a.ndim}", "BinaryData = True",
             f"BinaryDataByteOrderMSB = {msb}", f"ElementByteOrderMSB = {msb}",
             f"Offset = {' '.join(f'{v:g}' for v in off)}",
             f"ElementSpacing = {' '.join(f'{v:g}' for v in reversed(sp))}",
             f"DimSize = {' '.join(str(v) for v in reversed(a.shape))}", f"HeaderSize = {header_size}",
             f"ElementType = {kinds[kind]}", f"ElementDataFile = {raw.name}"]
    p.write_text("\n".join(lines) + "\n")
    raw.write_bytes(b"\0" * header_size + a.astype(a.dtype.newbyteorder(">" if msb else "<")).tobytes())
    return p


def load_stack(path: str | os.PathLike[str], *, series: int | str | None = None
               ) -> tuple[np.ndarray, tuple[float, ...]]:
    """Load an image stack from a MetaImage header or a DICOM file/folder/DICOMDIR.

    Parameters
    ----------
    path : path-like
        ``.mhd``/``.mha`` → :func:`read_metaimage`; anything else →
        :func:`teleradlab.imaging.load_study` and the series' pixels (Modality LUT
        applied: CT in HU).
    series : int or str, optional
        Which DICOM series (index, UID or description); the first by default.

    Returns
    -------
    (ndarray, tuple of float)
        The (slices, rows, cols) stack (a 2-D image becomes one slice) and the
        spacing (slice, row, col) in mm — for DICOM the slice spacing is the
        distance between the first two slices' positions along the normal, or
        Slice Thickness for one slice.
    """
    p = Path(path)
    if p.suffix.lower() in (".mhd", ".mha"):
        img = read_metaimage(p)
        arr, spacing = img.array, img.spacing
        if arr.ndim == 2:
            arr, spacing = arr[None], (1.0, *spacing)
        return arr, tuple(float(v) for v in spacing)
    from teleradlab.imaging.study import load_study

    study = load_study(p)
    s = study.get_series(series)
    arr = study.pixels(series)
    if arr.ndim == 2:
        arr = arr[None]
    first = s.instances[0]
    row_col = [float(v) for v in getattr(first, "PixelSpacing", [1.0, 1.0])]
    dz = float(getattr(first, "SliceThickness", 1.0) or 1.0)
    if len(s.instances) > 1 and "ImagePositionPatient" in first and "ImageOrientationPatient" in first:
        iop = np.array([float(v) for v in first.ImageOrientationPatient])
        normal = np.cross(iop[:3], iop[3:])
        p0 = np.array([float(v) for v in first.ImagePositionPatient])
        p1 = np.array([float(v) for v in s.instances[1].ImagePositionPatient])
        dz = float(abs(normal @ (p1 - p0))) or dz
    return arr, (dz, *row_col)
