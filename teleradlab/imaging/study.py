"""DICOM studies in and out: :class:`Study` (series → instances), load and save.

A :class:`Study` wraps pydicom Datasets grouped by Series Instance UID and sorted
within each series by position along the slice normal (or Instance Number). It is
what every other part of teleradlab takes: compression works on its datasets, the
network uses its size, the viewer shows its pixels.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian
from pydicom.valuerep import VR

from teleradlab.errors import DicomError, TeleradlabError, one_line
from teleradlab.files import atomic_path
from teleradlab.imaging.decode import check_pixel_module, decode_pixels, where_of
from teleradlab.imaging.display import apply_modality_lut

#: Name of the ground-truth sidecar written beside a synthetic study.
TRUTH_FILE = "truth.json"


@dataclass
class Series:
    """One series: its UID, description and sorted instances."""

    uid: str
    instances: list[Dataset] = field(default_factory=list)

    @property
    def description(self) -> str:
        """Series Description of the first instance ('' if absent)."""
        return str(getattr(self.instances[0], "SeriesDescription", "")) if self.instances else ""

    @property
    def modality(self) -> str:
        """Modality of the first instance."""
        return str(getattr(self.instances[0], "Modality", "")) if self.instances else ""

    def sort(self) -> None:
        """Sort instances along the slice normal, else by Instance Number."""
        self.instances.sort(key=_sort_key)


def _numbers(ds: Dataset, tag: int) -> list[float] | None:
    """A numeric (DS/IS) element's values, parsed straight from the raw bytes when not yet converted.

    Sorting a few hundred slices needs only these numbers; pydicom's full conversion
    of each DS value (validation and a DSfloat per value) costs more than the file read.
    """
    try:
        elem = ds.get_item(tag)
    except KeyError:
        return None
    if elem is None:
        return None
    value = elem.value
    try:
        if isinstance(value, bytes):
            text = value.decode("ascii").strip(" \x00")
            return [float(v) for v in text.split("\\")] if text else None
        if value is None or value == "":
            return None
        return [float(v) for v in value] if isinstance(value, list | tuple | MultiValue) else [float(value)]
    except (ValueError, UnicodeDecodeError):
        return None


def _sort_key(ds: Dataset) -> tuple:
    ipp, iop = _numbers(ds, 0x00200032), _numbers(ds, 0x00200037)
    number = _numbers(ds, 0x00200013)
    instance = int(number[0]) if number else 0
    if ipp is not None and iop is not None and len(iop) == 6 and len(ipp) == 3:
        # the slice normal: the cross product of the row and column direction cosines
        (a1, a2, a3), (b1, b2, b3) = iop[:3], iop[3:]
        normal = (a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1)
        return (0, sum(n * p for n, p in zip(normal, ipp, strict=True)), instance)
    return (1, float(instance), 0)


@dataclass
class Study:
    """A DICOM study: series of pydicom Datasets, plus what could not be read.

    Attributes
    ----------
    series : dict
        Series Instance UID → :class:`Series`, in the order first seen.
    skipped : list of (str, str)
        Files a folder import passed over, with the reason.
    truth : dict or None
        Ground truth of a synthetic study (lesions, phantom parameters), else None.
    """

    series: dict[str, Series] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    truth: dict | None = None

    @classmethod
    def from_datasets(cls, datasets: Iterable[Dataset], *, truth: dict | None = None) -> Study:
        """Group datasets into series and sort them."""
        study = cls(truth=truth)
        for ds in datasets:
            study.add(ds)
        for s in study.series.values():
            s.sort()
        return study

    def add(self, ds: Dataset) -> None:
        """Add one instance to its series (unsorted; call :meth:`Series.sort`)."""
        uid = str(getattr(ds, "SeriesInstanceUID", "") or "unknown")
        self.series.setdefault(uid, Series(uid)).instances.append(ds)

    @property
    def datasets(self) -> list[Dataset]:
        """All instances, series by series."""
        return [ds for s in self.series.values() for ds in s.instances]

    @property
    def modality(self) -> str:
        """Modality of the first series ('' for an empty study)."""
        return next(iter(self.series.values())).modality if self.series else ""

    @property
    def uid(self) -> str:
        """Study Instance UID of the first instance."""
        ds = self.datasets
        return str(getattr(ds[0], "StudyInstanceUID", "")) if ds else ""

    @property
    def nbytes(self) -> int:
        """Uncompressed pixel bytes of the study (Rows x Columns x frames x samples x Bits Allocated)."""
        return sum(_pixel_bytes(ds) for ds in self.datasets)

    def __len__(self) -> int:
        return sum(len(s.instances) for s in self.series.values())

    def __iter__(self) -> Iterator[Dataset]:
        return iter(self.datasets)

    def get_series(self, series: int | str | None = None) -> Series:
        """Return a series by index, UID or description (the first when None)."""
        if not self.series:
            raise DicomError("the study holds no series", where="study")
        items = list(self.series.values())
        if series is None:
            return items[0]
        if isinstance(series, int):
            if not -len(items) <= series < len(items):
                raise DicomError(f"no series {series}: the study has {len(items)}", where="series")
            return items[series]
        for s in items:
            if series in (s.uid, s.description):
                return s
        raise DicomError(f"no series with UID or description {series!r}", where="series")

    def pixels(self, series: int | str | None = None) -> np.ndarray:
        """Pixel data of one series as a volume, Modality LUT applied.

        Parameters
        ----------
        series : int or str, optional
            Index, UID or description; the first series by default.

        Returns
        -------
        ndarray
            (slices, rows, cols) for single-frame series, (frames, rows, cols) for one
            multi-frame instance, with ``[..., 3]`` for colour. CT comes out in HU
            (float32); data without a rescale keeps its stored integer type.

        Raises
        ------
        DicomError
            If an instance has no Pixel Data, cannot be decoded, or the series mixes
            image sizes — naming the instance.
        """
        s = self.get_series(series)
        frames = []
        shape = None
        for ds in s.instances:
            where = where_of(ds)
            arr = apply_modality_lut(decode_pixels(ds), ds)
            frame_shape = arr.shape[-3:] if int(getattr(ds, "SamplesPerPixel", 1)) > 1 else arr.shape[-2:]
            if shape is None:
                shape = frame_shape
            elif frame_shape != shape:
                raise DicomError(f"inconsistent series: image size {frame_shape} differs from {shape}",
                                 where=where)
            frames.append(arr)
        if len(frames) == 1 and int(getattr(s.instances[0], "NumberOfFrames", 1) or 1) > 1:
            return frames[0]
        return np.stack(frames)


def _pixel_bytes(ds: Dataset) -> int:
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    return (int(ds.Rows) * int(ds.Columns) * frames * int(getattr(ds, "SamplesPerPixel", 1))
            * int(ds.BitsAllocated) // 8) if "Rows" in ds else 0


#: Largest dataset a Deflated Explicit VR Little Endian file (PS3.5 A.5) may inflate to. pydicom
#: inflates the whole dataset into memory before parsing it, so a kilobyte "deflate bomb" would
#: otherwise take gigabytes; deflate is used for structured reports and waveforms (kilobytes to
#: megabytes), and this guard lies far above them. Overridable: ``read_dataset(..., max_inflated=...)``.
MAX_INFLATED_BYTES = 512 * 2**20


def _check_inflated_size(path: str, limit: int) -> None:
    """Refuse a deflated file whose dataset inflates beyond ``limit`` bytes, counting in 1 MiB steps."""
    import zlib

    from pydicom.filereader import _read_file_meta_info, read_preamble

    try:
        with open(path, "rb") as fp:
            read_preamble(fp, False)
            meta = _read_file_meta_info(fp)
            if str(meta.get("TransferSyntaxUID", "")).strip(" \x00") != DeflatedExplicitVRLittleEndian:
                return
            inflater, total = zlib.decompressobj(-zlib.MAX_WBITS), 0
            while chunk := fp.read(1 << 20):
                while chunk and total <= limit:
                    total += len(inflater.decompress(chunk, 1 << 20))
                    chunk = inflater.unconsumed_tail
                if total > limit or inflater.eof:
                    break
    except Exception:  # noqa: BLE001 - not readable this way: pydicom's own read reports the problem
        return
    if total > limit:
        raise DicomError(f"the deflated dataset inflates to more than {limit:,} bytes (a deflate bomb?); "
                         "raise the limit explicitly (read_dataset(..., max_inflated=...)) if it is genuine",
                         where=path)


def read_dataset(path: str | os.PathLike[str], *, max_inflated: int = MAX_INFLATED_BYTES) -> Dataset:
    """Read one DICOM file, raising :class:`DicomError` naming the file on failure.

    Truncated files, files that are not DICOM, and files whose Pixel Data their
    attributes cannot describe (:func:`~teleradlab.imaging.decode.check_pixel_module`:
    empty, missing Bits Allocated, unknown transfer syntax, length not Rows x Columns
    x Samples x Frames x Bits...) are refused here, so that a bad file never surfaces
    later as an obscure error. A DICOMDIR is returned as it is. A deflated file is
    inflated in steps first and refused when it would exceed ``max_inflated`` bytes
    (:data:`MAX_INFLATED_BYTES`).
    """
    path = str(path)
    _check_inflated_size(path, max_inflated)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom warns, then fails or returns a dataset we check below
            ds = pydicom.dcmread(path)
    except InvalidDicomError as exc:
        raise DicomError(f"not a DICOM file ({one_line(exc)})", where=path) from None
    except IsADirectoryError:
        raise DicomError("is a folder, not a DICOM file", where=path) from None
    except Exception as exc:  # noqa: BLE001 - pydicom, zlib and the OS raise many types
        raise DicomError(f"unreadable or truncated DICOM ({exc.__class__.__name__}: {one_line(exc)})",
                         where=path) from None
    try:
        for elem in ds.elements():  # pydicom converts lazily: a corrupt VR would fail at first use, far from here
            vr = getattr(elem, "VR", None)
            if vr is not None and vr not in _KNOWN_VRS:
                raise DicomError(f"element {elem.tag} has no valid Value Representation ({vr!r}): the file is "
                                 "corrupt", where=path)
        _convert_every_element(ds, path)
        if "DirectoryRecordSequence" in ds:
            return ds
        missing = [k for k in ("SOPClassUID", "SOPInstanceUID") if not str(ds.get(k, "") or "").strip(" \x00")]
        if missing:  # Type 1 (PS3.3 C.12.1): without them the instance cannot be written or referenced
            raise DicomError(f"{missing[0]} is missing or empty", where=path)
        if "PixelData" not in ds and "FloatPixelData" not in ds:
            raise DicomError("no Pixel Data", where=path)
        check_pixel_module(ds, path)
    except TeleradlabError:
        raise
    except Exception as exc:  # noqa: BLE001 - a corrupt element converted on first access
        raise DicomError(f"corrupt DICOM ({exc.__class__.__name__}: {one_line(exc)})", where=path) from None
    return ds


#: Deepest nesting of sequences accepted. Copying and de-identifying walk sequences recursively,
#: and 200 levels exhaust Python's stack; structured reports, the deepest real trees, use tens.
MAX_SEQUENCE_DEPTH = 64


def _convert_every_element(ds: Dataset, path: str) -> None:
    """Convert every element now, sequences included, so a corrupt value fails at read naming its tag.

    pydicom converts raw values on first access: a US of one byte, an IS of ``99e999``
    or a DS of ``x`` would otherwise fail later, inside compression, de-identification
    or writing, as an error that names neither the file nor the element. Sequences
    nested deeper than :data:`MAX_SEQUENCE_DEPTH` are refused.
    """
    stack: list[tuple[Dataset, str, int]] = [(ds, "", 0)]
    while stack:
        item, prefix, depth = stack.pop()
        if depth > MAX_SEQUENCE_DEPTH:
            raise DicomError(f"sequences nested deeper than {MAX_SEQUENCE_DEPTH} levels (in {prefix.split('[')[0]}); "
                             "refused", where=path)
        for tag in list(item.keys()):
            where = f"{prefix}{pydicom.tag.Tag(tag)}"
            try:
                elem = item[tag]
                value = elem.value
            except Exception as exc:  # noqa: BLE001 - pydicom's converters raise many types
                raise DicomError(f"element {where} cannot be read ({exc.__class__.__name__}: {one_line(exc, 160)}): "
                                 "the file is corrupt", where=path) from None
            if elem.VR == "SQ":
                stack.extend((sub, f"{where}[{i}].", depth + 1) for i, sub in enumerate(value or ()))


#: Value Representations pydicom can convert (PS3.5 Table 6.2-1, with its ambiguous forms).
_KNOWN_VRS = frozenset(v.value for v in VR)


def write_dataset(ds: Dataset, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write one dataset as a DICOM file, atomically, raising :class:`DicomError` on failure.

    Parameters
    ----------
    ds : pydicom.Dataset
        Given File Meta Information if it lacks it (:func:`ensure_file_meta`).
    path : path-like
        The file to write.
    overwrite : bool
        Replace an existing file; by default an existing file is an error, so that
        nothing is lost silently.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    DicomError
        ``path`` exists (and not ``overwrite``), or pydicom cannot encode the dataset —
        naming the file and the reason.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise DicomError("output file exists already; pass overwrite=True (CLI: --overwrite) to replace it",
                         where=str(target))
    if target.is_dir():
        raise DicomError("output is a folder, not a file", where=str(target))
    try:
        ensure_file_meta(ds)
        with atomic_path(target) as tmp:
            ds.save_as(tmp, enforce_file_format=True)
    except TeleradlabError:
        raise
    except Exception as exc:  # noqa: BLE001 - pydicom's writer raises many types
        raise DicomError(f"cannot write DICOM ({one_line(exc)})", where=str(target)) from None
    return target


def _dicomdir_files(ds: Dataset, root: Path, where: str) -> list[Path]:
    """The image files a DICOMDIR references, each confined to the DICOMDIR's folder.

    PS3.10 §8.5 File IDs are components of a path below the File-set's root: a
    component ``..``, an absolute path or a link out of the folder is refused.
    """
    files = []
    top = root.resolve()
    for i, rec in enumerate(ds.DirectoryRecordSequence):
        if getattr(rec, "DirectoryRecordType", "") == "IMAGE" and "ReferencedFileID" in rec:
            parts = rec.ReferencedFileID
            parts = [str(parts)] if isinstance(parts, str) else [str(p) for p in parts]
            target = root.joinpath(*parts)
            bad = any(p in ("", ".", "..") or "/" in p or "\\" in p for p in parts)
            if bad or not target.resolve().is_relative_to(top):
                raise DicomError(f"ReferencedFileID {'/'.join(parts)!r} points outside the DICOMDIR's folder",
                                 where=f"{where}: DirectoryRecordSequence[{i}]")
            files.append(target)
    return files


def load_study(path: str | os.PathLike[str]) -> Study:
    """Load a study from a file, a folder (recursively) or a DICOMDIR.

    Parameters
    ----------
    path : path-like
        A DICOM file, a folder, or a DICOMDIR file.

    Returns
    -------
    Study
        Instances grouped by series and sorted. For a folder, files that cannot be
        used are listed in ``study.skipped`` with the reason and the import goes on.

    Raises
    ------
    DicomError
        A single file that cannot be read; a path that does not exist; a folder
        with no usable DICOM file.
    """
    p = Path(path)
    if not p.exists():
        raise DicomError("no such file or folder", where=str(p))
    if p.is_file():
        ds = read_dataset(p)
        if "DirectoryRecordSequence" in ds:
            return _load_files(_dicomdir_files(ds, p.parent, str(p)), where=str(p))
        return Study.from_datasets([ds])
    files = sorted(f for f in p.rglob("*") if f.is_file() and f.name != "DICOMDIR"
                   and not f.name.startswith(".") and f.suffix.lower() not in (".json", ".txt", ".md"))
    study = _load_files(files, where=str(p))
    if (p / TRUTH_FILE).is_file():
        import json

        study.truth = json.loads((p / TRUTH_FILE).read_text())
    return study


def _load_files(files: list[Path], *, where: str) -> Study:
    study = Study()
    for f in files:
        try:
            ds = read_dataset(f)
        except DicomError as exc:
            study.skipped.append((str(f), exc.message))
            continue
        if "DirectoryRecordSequence" in ds:
            continue
        study.add(ds)
    if not study.series:
        reasons = "; ".join(f"{Path(f).name}: {r}" for f, r in study.skipped[:5])
        raise DicomError(f"no usable DICOM files ({reasons or 'the folder is empty'})", where=where)
    for s in study.series.values():
        s.sort()
    return study


def ensure_file_meta(ds: Dataset) -> Dataset:
    """Give ``ds`` a File Meta Information group if it lacks one (explicit VR little endian)."""
    meta = getattr(ds, "file_meta", None) or FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    if "TransferSyntaxUID" not in meta:
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    return ds


def _number(ds: Dataset, tag: int, default: int) -> int:
    values = _numbers(ds, tag)
    n = int(values[0]) if values else default
    return n if n >= 0 else default


def save_study(study: Study, folder: str | os.PathLike[str], *, dicomdir: bool = False,
               overwrite: bool = False) -> list[Path]:
    """Write one file per instance, in a layout :func:`load_study` reads back — never losing one.

    Files go to ``folder/S<series number>/I<instance number>``; instances that share
    a Series and Instance Number (allowed by the standard, common after merges) get
    the next free name ``X<counter>`` instead of overwriting each other, so every
    instance of ``study`` is written. Names stay within PS3.10's 8-character File ID
    rules. Each file is written atomically. A synthetic study's ground truth goes to
    ``folder/truth.json``. With ``dicomdir=True`` a DICOMDIR (PS3.10 media directory)
    is written too.

    Parameters
    ----------
    study : Study
    folder : path-like
    dicomdir : bool
        Also write ``folder/DICOMDIR``.
    overwrite : bool
        Replace files already present under those names; by default an existing
        file is an error (raised before anything is written).

    Returns
    -------
    list of Path
        The files written, in study order: one per instance.

    Raises
    ------
    DicomError
        An output file exists (and not ``overwrite``), or an instance cannot be encoded.
    """
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise DicomError("output must be a folder, but a file of that name exists", where=str(root))
    targets: list[tuple[Dataset, Path]] = []
    used: set[Path] = set()
    counter = 0
    for si, s in enumerate(study.series.values(), start=1):
        for ii, ds in enumerate(s.instances, start=1):
            sub = root / f"S{_number(ds, 0x00200011, si):03d}"
            target = sub / f"I{_number(ds, 0x00200013, ii):05d}"
            while target in used:
                counter += 1
                target = sub / f"X{counter:07d}"
            used.add(target)
            targets.append((ds, target))
    for ds, target in targets:  # checked before anything is written: no half-written study
        for keyword in ("SOPClassUID", "SOPInstanceUID"):
            if not str(ds.get(keyword, "") or "").strip(" \x00"):
                raise DicomError(f"an instance has no {keyword}; nothing written", where=str(target))
    extra = [root / TRUTH_FILE] if study.truth is not None else []
    extra += [root / "DICOMDIR"] if dicomdir else []
    if not overwrite:
        existing = [str(t) for _, t in targets if t.exists()] + [str(t) for t in extra if t.exists()]
        if existing:
            more = f" and {len(existing) - 1} more" if len(existing) > 1 else ""
            raise DicomError(f"{len(existing)} output file(s) exist already ({existing[0]}{more}); nothing "
                             "written: choose an empty folder or pass overwrite=True (CLI: --overwrite)",
                             where=str(root))
    written = [write_dataset(ds, target, overwrite=overwrite) for ds, target in targets]
    if study.truth is not None:
        from teleradlab.files import atomic_write_json

        atomic_write_json(root / TRUTH_FILE, study.truth)
    if dicomdir:
        try:
            _write_dicomdir(root, written)
        except Exception as exc:  # noqa: BLE001 - pydicom's FileSet raises ValueError/KeyError/...
            raise DicomError(f"instances written, but not the DICOMDIR ({one_line(exc)})", where=str(root)) from None
    return written


def _write_dicomdir(root: Path, files: list[Path]) -> Path:
    from pydicom.fileset import FileSet

    fs = FileSet()
    for f in files:
        fs.add(pydicom.dcmread(f))
    staging = root / ".dicomdir-staging"
    fs.write(staging)
    # FileSet writes its own copies under staging/; keep only the DICOMDIR, re-pointed at our files.
    ddir = pydicom.dcmread(staging / "DICOMDIR")
    by_uid = {str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID): f for f in files}
    for rec in ddir.DirectoryRecordSequence:
        if getattr(rec, "DirectoryRecordType", "") == "IMAGE":
            rel = by_uid[str(rec.ReferencedSOPInstanceUIDInFile)].relative_to(root)
            rec.ReferencedFileID = list(rel.parts)
    target = root / "DICOMDIR"
    with atomic_path(target) as tmp:
        ddir.save_as(tmp, enforce_file_format=True)
    import shutil

    shutil.rmtree(staging)
    return target


def describe(study: Study) -> list[str]:
    """One line per series: modality, description, instance count and size."""
    lines = []
    for s in study.series.values():
        ds = s.instances[0]
        size = sum(_pixel_bytes(d) for d in s.instances) / 1e6
        lines.append(f"{s.modality:<3} {len(s.instances):5d} images {int(ds.Rows)}x{int(ds.Columns)} "
                     f"{int(ds.BitsStored)}-bit  {size:8.1f} MB  {s.description}")
    return lines


