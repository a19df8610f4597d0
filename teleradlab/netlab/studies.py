"""Studies to send across the lab: synthetic ones made with the package's own helpers, or a folder.

The calibration grid's three studies (issue 11):

=============  ================================================================
``1x10MB``     one CR chest image, 2500x2048, uncompressed (10.2 MB)
``100x50kB``   100 CT slices of 512x512, JPEG 2000 at 10:1 (about 52 kB each)
``100x0.5MB``  100 CT slices of 512x512, uncompressed (0.5 MB each)
=============  ================================================================

A name ``NxKIND`` with another count (e.g. ``20x50kB``) makes that many slices.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from teleradlab.errors import ParameterError

GRID_STUDIES = ("1x10MB", "100x50kB", "100x0.5MB")
_KINDS = {"10MB": ("CR", None), "50kB": ("CT", ("jpeg2000", 10.0)), "0.5MB": ("CT", None)}


@dataclass(frozen=True)
class StudyFiles:
    """Files of one study, in sending order.

    Attributes
    ----------
    name : str
        The study's name (a grid name or the folder).
    files : tuple of pathlib.Path
        The DICOM files.
    sizes : tuple of int
        Each file's size in bytes, as sent.
    transfer_syntax : str or None
        The files' transfer syntax UID when they share one.
    """

    name: str
    files: tuple[Path, ...]
    sizes: tuple[int, ...]
    transfer_syntax: str | None


def _describe(name: str, files: list[Path]) -> StudyFiles:
    from pydicom import dcmread

    syntaxes = {str(dcmread(f, stop_before_pixels=True).file_meta.TransferSyntaxUID) for f in files}
    return StudyFiles(name, tuple(files), tuple(f.stat().st_size for f in files),
                      syntaxes.pop() if len(syntaxes) == 1 else None)


def synthetic_study(name: str, folder: str | os.PathLike[str], *, seed: int = 1) -> StudyFiles:
    """Write a synthetic study named like ``100x50kB`` into ``folder``.

    Parameters
    ----------
    name : str
        ``NxKIND`` with KIND one of ``10MB`` (CR, N must be 1), ``50kB`` (CT, JPEG
        2000 10:1) or ``0.5MB`` (CT, uncompressed).
    folder : path-like
        Where to write ``I0000.dcm``, ``I0001.dcm``...
    seed : int
        Seed of :func:`teleradlab.imaging.synthesize_study`.

    Returns
    -------
    StudyFiles
    """
    from teleradlab.imaging.study import write_dataset
    from teleradlab.imaging.synth import synthesize_study

    m = re.fullmatch(r"(\d+)x(10MB|50kB|0\.5MB)", name)
    if not m:
        raise ParameterError(f"unknown study {name!r}; use NxKIND with KIND in {', '.join(_KINDS)} "
                             f"(grid: {', '.join(GRID_STUDIES)}) or a folder of DICOM files", where="study")
    n, kind = int(m.group(1)), m.group(2)
    modality, codec = _KINDS[kind]
    if modality == "CR" and n != 1:
        raise ParameterError("a 10MB (CR) study has one image", where="study")
    study = synthesize_study(modality, seed=seed, n_images=None if modality == "CR" else n, lesions=0)
    datasets = list(study.datasets)
    if codec is not None:
        from teleradlab.compression.compress import compress_study

        datasets = [r.dataset for r in compress_study(datasets, codec[0], ratio=codec[1])]
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    files = [write_dataset(ds, out / f"I{k:04d}.dcm", overwrite=True) for k, ds in enumerate(datasets)]
    return _describe(name, files)


def folder_study(folder: str | os.PathLike[str]) -> StudyFiles:
    """The DICOM files of a user's folder (recursively, sorted by path).

    Parameters
    ----------
    folder : path-like
        A folder holding DICOM files (Part 10, with the ``DICM`` preamble).

    Returns
    -------
    StudyFiles
    """
    root = Path(folder)
    if not root.is_dir():
        raise ParameterError(f"not a folder: {root}", where="study")
    files = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.stat().st_size > 132:
            with p.open("rb") as f:
                f.seek(128)
                if f.read(4) == b"DICM":
                    files.append(p)
    if not files:
        raise ParameterError(f"no DICOM (Part 10) files in {root}", where="study")
    return _describe(str(root), files)
