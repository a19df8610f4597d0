"""Design a reading study: cases with known truth, treatments, readers, reading order.

:func:`synthetic_cases` makes lesion-present / lesion-absent images with a known
lesion position (the package's lesion ensembles, shifted so the lesion can be
anywhere); :func:`dicom_cases` takes the user's DICOM files and a truth table.
:func:`design` applies each treatment (``"original"`` or ``"<codec>:<ratio>"``,
e.g. ``"jpeg2000:15"``, through :func:`teleradlab.compression.compress_array`),
gives every case × treatment a random reading ID and builds each reader's
worklist:

fully crossed
    every reader reads every case in every treatment;
split-plot
    readers and cases are split into the same number of groups, each reader group
    reads its own case group in every treatment.

A reader meets each case once per session: the t treatments of a case fall into t
different sessions (a per-reader random Latin square), sessions are separated by
``washout_days``, and the order within a session is random per reader. Reading
IDs and case IDs are random tokens: neither truth nor treatment is visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from teleradlab.errors import ParameterError, TeleradlabError
from teleradlab.readers.store import StudyStore
from teleradlab.readers.table import ReaderStudyError

__all__ = ["Case", "StudyDesign", "apply_treatment", "design", "dicom_cases", "synthetic_cases"]

BITS = 12  # synthetic images are stored as 12-bit unsigned values, like most CT/CR detectors


@dataclass
class Case:
    """One case: its image, truth and (if diseased) lesion position in pixels (row, col)."""

    source_id: str
    truth: int
    image: np.ndarray = field(repr=False)
    lesion: tuple[float, float] | None = None


def synthetic_cases(n: int, *, prevalence: float = 0.5, roi: int = 128, amplitude: float = 250.0,
                    lesion_radius: float = 4.0, background: str = "correlated", seed: int = 0) -> list[Case]:
    """Lesion-present and lesion-absent images with known truth and lesion position.

    Parameters
    ----------
    n : int
        Number of cases.
    prevalence : float
        Fraction with a lesion (rounded; at least one of each).
    roi : int
        Image side in pixels.
    amplitude : float
        Lesion peak contrast in stored-value units (background mean 2000, white noise
        SD 80, power-law texture SD 80 — a 12-bit image). At 250 with sigma 4 px the
        lesion is subtle but findable on a 128-px image.
    lesion_radius : float
        Gaussian lesion sigma in pixels.
    background : {"white", "correlated", "lumpy"}
        Background model of :func:`teleradlab.imaging.lesion_ensemble`.
    seed : int
        Seed.

    Returns
    -------
    list of Case
        Diseased first; every image is rolled by a random offset (the backgrounds are
        periodic), so the lesion may be anywhere at least ``3·lesion_radius`` from the edge.

    Examples
    --------
    >>> cases = synthetic_cases(6, roi=32, seed=1)
    >>> [c.truth for c in cases], cases[0].image.shape
    ([1, 1, 1, 0, 0, 0], (32, 32))
    """
    from teleradlab.imaging import lesion_ensemble

    if n < 2:
        raise ParameterError(f"need at least 2 cases, got {n}", where="n")
    if not 0 < prevalence < 1:
        raise ParameterError(f"prevalence must be in (0, 1), got {prevalence}", where="prevalence")
    n1 = min(max(int(round(n * prevalence)), 1), n - 1)
    ens = lesion_ensemble(max(n1, n - n1), background=background, roi=roi, seed=seed, noise_sigma=80.0,
                          mean=2000.0, texture_sigma=80.0,
                          signal={"shape": "gaussian", "amplitude": amplitude, "radius_px": lesion_radius})
    rng = np.random.default_rng(np.random.SeedSequence([seed, n, 16]))
    margin = int(np.ceil(3 * lesion_radius))
    centre = (roi - 1) / 2
    out = []
    for k in range(n):
        diseased = k < n1
        img = ens.present[k] if diseased else ens.absent[k - n1]
        dy, dx = (int(v) for v in rng.integers(margin, roi - margin, 2) - int(round(centre)))
        img = np.clip(np.round(np.roll(img, (dy, dx), axis=(0, 1))), 0, (1 << BITS) - 1).astype(np.uint16)
        lesion = ((centre + dy) % roi, (centre + dx) % roi) if diseased else None
        out.append(Case(source_id=f"synthetic-{seed}-{k:04d}", truth=int(diseased), image=img, lesion=lesion))
    return out


def dicom_cases(truth: pd.DataFrame) -> list[Case]:
    """Cases from the user's DICOM files and a truth table.

    Parameters
    ----------
    truth : pandas.DataFrame
        Columns ``path`` (a single-frame DICOM file) and ``truth`` (0/1); optional
        ``lesion_row``, ``lesion_col`` (pixels) and ``case`` (the user's own id,
        kept only in the store's ``source`` column).

    Returns
    -------
    list of Case
        Images in modality units (after the Modality LUT).

    Raises
    ------
    ReaderStudyError
        Missing columns, a truth value other than 0/1, or an image that is not one
        greyscale frame (the row is named).
    DicomError
        A file that cannot be read or decoded (the file is named).
    """
    from teleradlab.imaging import apply_modality_lut, read_dataset
    from teleradlab.imaging.decode import decode_pixels

    for col in ("path", "truth"):
        if col not in truth.columns:
            raise ReaderStudyError(f"truth table needs a {col!r} column", where="truth")
    out = []
    for i, row in enumerate(truth.itertuples(index=False)):
        if row.truth not in (0, 1):
            raise ReaderStudyError(f"truth must be 0 or 1, got {row.truth!r}", where=f"truth row {i} ({row.path})")
        ds = read_dataset(row.path)
        pixels = decode_pixels(ds)  # DicomError naming the file when the pixel data cannot be decoded
        if pixels.ndim != 2:
            raise ReaderStudyError(f"a case must be one single-frame greyscale image, got pixel data of shape "
                                   f"{pixels.shape}", where=f"truth row {i} ({row.path})")
        img = np.asarray(apply_modality_lut(pixels, ds), dtype=np.float32)
        lesion = None
        if int(row.truth) == 1 and hasattr(row, "lesion_row") and pd.notna(getattr(row, "lesion_row", None)):
            lesion = (float(row.lesion_row), float(row.lesion_col))
        out.append(Case(source_id=str(getattr(row, "case", Path(row.path).name)), truth=int(row.truth), image=img,
                        lesion=lesion))
    return out


def apply_treatment(image: np.ndarray, treatment: str) -> tuple[np.ndarray, float]:
    """Apply a treatment: ``"original"`` or ``"<codec>:<ratio>"`` (compress, then decode).

    Parameters
    ----------
    image : ndarray
        Stored values (integers of at most 16 bits, or floats that are rounded).
    treatment : str
        ``"original"`` or e.g. ``"jpeg2000:15"``, ``"htj2k:30"`` (a codec name of
        :func:`teleradlab.compression.codecs` and a target compression ratio).

    Returns
    -------
    (ndarray, float)
        The image as the reader sees it and the achieved ratio (1 for the original).
        When the codec cannot reach the target within ±5 % on this image, the
        nearest ratio it reaches is used instead and returned — check it.
    """
    if treatment == "original":
        return np.asarray(image), 1.0
    from teleradlab.compression import compress_array

    syntax, _, ratio = treatment.partition(":")
    try:
        target = float(ratio)
    except ValueError:
        raise ParameterError(f"treatment {treatment!r}: use 'original' or '<codec>:<ratio>', e.g. 'jpeg2000:15'",
                             where="treatments") from None
    a = np.asarray(image)
    lo = float(a.min())
    signed = lo < 0
    bits = max(int(np.ceil(np.log2(max(float(np.abs(a).max()), 1.0) + 1))) + int(signed), 8)
    try:
        out, achieved = compress_array(a, syntax, ratio=target, bits_stored=min(bits, 16), signed=signed)
    except TeleradlabError as exc:
        # a rate-controlled codec that cannot hit the target within ±5 % on this image names the nearest
        # ratios it reaches (``below``/``above``); take the nearest and record it (StudyDesign.readings.ratio)
        near = [pr for pr in (getattr(exc, "below", None), getattr(exc, "above", None)) if pr is not None]
        if not near:
            raise
        nearest = min(near, key=lambda pr: abs(pr[1] - target))[1]
        out, achieved = compress_array(a, syntax, ratio=nearest, bits_stored=min(bits, 16), signed=signed)
    return out, float(achieved)


@dataclass
class StudyDesign:
    """A designed reading study, ready to be written to a :class:`~teleradlab.readers.store.StudyStore`.

    Attributes
    ----------
    cases : pandas.DataFrame
        ``case, truth, lesion_row, lesion_col, source`` (``case`` is the random ID).
    readings : pandas.DataFrame
        ``reading_id, case, treatment, ratio`` (achieved compression ratio).
    worklists : pandas.DataFrame
        ``reader, position, session, day, reading_id``.
    layout : str
        ``crossed`` or ``split-plot``.
    images : dict
        reading_id → image.
    """

    cases: pd.DataFrame
    readings: pd.DataFrame
    worklists: pd.DataFrame
    layout: str
    images: dict = field(repr=False, default_factory=dict)

    def save(self, path: str | Path) -> StudyStore:
        """Write the study (cases, images, worklists) to a new store and return it open.

        Parameters
        ----------
        path : str or Path
            The SQLite file; it must not hold a study yet.

        Returns
        -------
        StudyStore
        """
        store = StudyStore(path)
        store.add_cases((r.case, int(r.truth), _none(r.lesion_row), _none(r.lesion_col), r.source)
                        for r in self.cases.itertuples(index=False))
        store.add_readings((r.reading_id, r.case, r.treatment, self.images.get(r.reading_id))
                           for r in self.readings.itertuples(index=False))
        for reader, g in self.worklists.groupby("reader", sort=False):
            g = g.sort_values("position")
            store.assign(str(reader), g["reading_id"].tolist(), sessions=g["session"].tolist())
        return store


def _none(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)


def design(cases: list[Case], treatments: list[str], *, readers: list[str] | int, layout: str = "crossed",
           groups: int = 2, washout_days: float = 28.0, seed: int = 0) -> StudyDesign:
    """Build a reading study.

    Parameters
    ----------
    cases : list of Case
        From :func:`synthetic_cases` or :func:`dicom_cases`.
    treatments : list of str
        E.g. ``["original", "jpeg2000:15"]`` (see :func:`apply_treatment`).
    readers : list of str or int
        Reader names, or a number of readers (named ``reader01``...).
    layout : {"crossed", "split-plot"}
        Fully crossed, or split-plot with ``groups`` reader/case groups.
    groups : int
        Split-plot groups (ignored when crossed).
    washout_days : float
        Days between a reader's sessions; each case appears at most once per session.
        Four weeks is a common choice in reader studies of compression.
    seed : int
        Seed of IDs, Latin squares and reading orders.

    Returns
    -------
    StudyDesign

    Raises
    ------
    ParameterError
        Unknown layout, duplicate treatments, too few readers or cases for the groups.

    Examples
    --------
    >>> d = design(synthetic_cases(4, roi=32), ["original"], readers=2, seed=3)
    >>> d.worklists.groupby("reader").size().tolist(), d.readings.shape[0]
    ([4, 4], 4)
    """
    if layout not in ("crossed", "split-plot"):
        raise ParameterError(f"layout must be 'crossed' or 'split-plot', got {layout!r}", where="layout")
    if not treatments or len(set(treatments)) != len(treatments):
        raise ParameterError(f"need distinct treatments, got {treatments}", where="treatments")
    names = [f"reader{j + 1:02d}" for j in range(readers)] if isinstance(readers, int) else [str(r) for r in readers]
    if not names or len(set(names)) != len(names):
        raise ParameterError(f"need distinct reader names, got {names}", where="readers")
    n_groups = groups if layout == "split-plot" else 1
    if layout == "split-plot" and (n_groups < 2 or len(names) < n_groups or len(cases) < 2 * n_groups):
        raise ParameterError(f"split-plot with {n_groups} groups needs >= {n_groups} readers and "
                             f">= {2 * n_groups} cases", where="groups")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1616]))

    def token(prefix: str, used: set) -> str:
        while True:
            t = f"{prefix}{rng.integers(0, 16 ** 8):08x}"
            if t not in used:
                used.add(t)
                return t

    used: set = set()
    case_ids = [token("case-", used) for _ in cases]
    case_rows = [(cid, c.truth, c.lesion[0] if c.lesion else np.nan, c.lesion[1] if c.lesion else np.nan,
                  c.source_id) for cid, c in zip(case_ids, cases, strict=True)]
    reading_rows, images = [], {}
    rid = {}
    for cid, c in zip(case_ids, cases, strict=True):
        for t in treatments:
            img, ratio = apply_treatment(c.image, t)
            r = token("read-", used)
            rid[(cid, t)] = r
            images[r] = img
            reading_rows.append((r, cid, t, ratio))
    # case groups: stratified by truth so every group has both classes
    order = rng.permutation(len(cases))
    diseased = [k for k in order if cases[k].truth == 1]
    normal = [k for k in order if cases[k].truth == 0]
    case_group = {}
    for lst in (diseased, normal):
        for i, k in enumerate(lst):
            case_group[k] = i % n_groups
    reader_order = rng.permutation(len(names))
    reader_group = {names[j]: i % n_groups for i, j in enumerate(reader_order)}
    t_n = len(treatments)
    work = []
    for name in names:
        mine = [k for k in range(len(cases)) if case_group[k] == reader_group[name]]
        shift = rng.integers(0, t_n, len(mine))  # Latin square: case k, session s -> treatment (s + shift) mod t
        perm = rng.permutation(t_n)
        items = []
        for s in range(t_n):
            block = [(case_ids[k], treatments[perm[(s + sh) % t_n]]) for k, sh in zip(mine, shift, strict=True)]
            for i in rng.permutation(len(block)):
                items.append((s + 1, s * washout_days, rid[block[i]]))
        for pos, (s, day, r) in enumerate(items, start=1):
            work.append((name, pos, s, day, r))
    return StudyDesign(
        cases=pd.DataFrame(case_rows, columns=["case", "truth", "lesion_row", "lesion_col", "source"]),
        readings=pd.DataFrame(reading_rows, columns=["reading_id", "case", "treatment", "ratio"]),
        worklists=pd.DataFrame(work, columns=["reader", "position", "session", "day", "reading_id"]),
        layout=layout, images=images)
