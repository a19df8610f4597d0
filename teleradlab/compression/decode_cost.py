"""What decoding costs on this machine: milliseconds per frame for every codec and frame size.

A workstation must decode every image it shows. The cost depends on the codec
(JPEG 2000 Part 1 decodes several times slower than HTJ2K or JPEG-LS), the frame
size and the machine, so it is measured, not assumed::

    from teleradlab.compression import decode_benchmark, decode_table
    table = decode_benchmark()          # measure here (about a minute), cache the result
    table = decode_table()              # the cached measurement, else the shipped one

:func:`decode_benchmark` encodes one representative frame per modality (synthetic
CT, CR, MR and MG, full size) with each available codec — lossless syntaxes as
they are, lossy ones at :data:`LOSSY_RATIO` — and times the decoder the package's
own reader uses (:func:`teleradlab.imaging.decode.decode_pixels`) over repeated
runs. Each row carries the mean time per frame with its 95 % interval over the
repeats, the decoded throughput, and the provenance (machine, library versions,
date, load average at the time) in ``table.attrs``.

The shipped table (``datasets/reference/decode_benchmark.csv`` with its
``.json`` provenance) is one such measurement, used when none has been made on
the machine at hand; ``teleradlab doctor``-style callers should prefer a fresh one.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from teleradlab.errors import CodecError, ParameterError

#: Ratio at which lossy codecs are measured: within the CAR guideline for CT
#: (15:1) and CR (30:1) and at the DRG/SSK limit for CR (10:1) — Koff et al.,
#: J Digit Imaging 2009;22:569; Loose et al., RoFo 2009;181:32.
LOSSY_RATIO = 10.0
#: Modalities measured by default, with the frame size each is synthesised at
#: (the package's full-size defaults: CT 512x512, CR 2500x2048, MR 256x256, MG 2294x1914).
MODALITIES: tuple[str, ...] = ("CT", "CR", "MR", "MG")
#: Columns of the table, in order.
COLUMNS = ("codec", "modality", "rows", "cols", "bits_stored", "ratio", "repeats",
           "ms_per_frame", "ms_ci_low", "ms_ci_high", "mb_per_s")
#: Name of the row measured on the native (uncompressed) file: reading without decoding.
UNCOMPRESSED = "uncompressed"
#: Shipped measurement (relative to the datasets folder).
SHIPPED = "reference/decode_benchmark.csv"


def _cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "teleradlab" / "decode_benchmark.csv"


def provenance() -> dict[str, Any]:
    """Describe the machine and software a measurement is made with.

    Returns
    -------
    dict
        Platform, processor, CPU count, Python and codec-library versions, the
        date (UTC, ISO 8601) and the 1-minute load average (a busy machine decodes slower).
    """
    versions: dict[str, str | None] = {}
    for dist in ("pydicom", "imagecodecs", "pylibjpeg-openjpeg", "pyjpegls", "numpy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    try:
        load = os.getloadavg()[0]
    except OSError:  # not on every platform
        load = None
    return {"machine": platform.machine(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version(), "versions": versions,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_average_1min": load}


def _frame_dataset(modality: str, seed: int) -> Any:
    from teleradlab.imaging.synth import synthesize_study

    study = synthesize_study(modality, seed=seed, n_images=1, lesions=0)
    return study.datasets[0]


def _time_decode(ds: Any, repeats: int, min_seconds: float) -> np.ndarray:
    """Seconds per read-and-decode of ``ds``, as a viewer opens a file: parse the bytes, decode.

    Each run parses the encoded file afresh, so nothing pydicom caches on a dataset
    (``pixel_array``) is timed instead of the decoder.
    """
    import io

    from pydicom import dcmread

    from teleradlab.imaging.decode import decode_pixels

    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    blob = buf.getvalue()

    def once() -> None:
        decode_pixels(dcmread(io.BytesIO(blob)))

    once()  # warm caches and lazy imports
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeats or (time.perf_counter() - start < min_seconds and len(times) < 50 * repeats):
        t = time.perf_counter()
        once()
        times.append(time.perf_counter() - t)
    return np.asarray(times)


def _mean_ci(x: np.ndarray) -> tuple[float, float, float]:
    from scipy import stats

    m = float(x.mean())
    if x.size < 2:
        return m, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - half, m + half


def decode_benchmark(*, modalities: Sequence[str] = MODALITIES, codecs: Sequence[str] | None = None,
                     ratio: float = LOSSY_RATIO, repeats: int = 5, min_seconds: float = 0.3,
                     seed: int = 1, cache: bool = True, show_progress: bool = True) -> pd.DataFrame:
    """Measure decode time per frame of every available codec on this machine.

    Parameters
    ----------
    modalities : sequence of str
        Modalities whose full-size synthetic frame is measured (see :data:`MODALITIES`).
    codecs : sequence of str, optional
        Codec names (``teleradlab.compression.codecs()``) and/or ``"uncompressed"``
        (the native file, parsed and read: the cost without decoding); all by default.
    ratio : float
        Target ratio for lossy codecs (lossless ones give what they give).
    repeats : int
        Minimum number of timed decodes per cell (at least 2, for an interval).
    min_seconds : float
        Keep repeating a cell until this much time is spent (at most 50 x ``repeats``).
    seed : int
        Seed of the synthetic frames.
    cache : bool
        Write the table (and its provenance) to the user's cache, where
        :func:`decode_table` finds it.
    show_progress : bool
        Show a progress bar.

    Returns
    -------
    pandas.DataFrame
        One row per (codec, modality) with :data:`COLUMNS`; ``attrs["provenance"]``
        describes the machine, and ``attrs["skipped"]`` lists every (codec,
        modality) that could not be measured, with the reason.

    Raises
    ------
    ParameterError
        If ``repeats`` < 2, ``ratio`` <= 1 or a modality is unknown.

    Examples
    --------
    >>> t = decode_benchmark(modalities=["MR"], codecs=["rle"], repeats=2, min_seconds=0, cache=False,
    ...                      show_progress=False)
    >>> list(t.codec), bool(t.ms_per_frame.iloc[0] > 0)
    (['rle'], True)
    """
    from teleradlab.compression.compress import compress, frame_info
    from teleradlab.compression.registry import codecs as all_codecs
    from teleradlab.progress import progress

    if repeats < 2:
        raise ParameterError("must be at least 2 (an interval needs two timings)", where="repeats")
    if not ratio > 1:
        raise ParameterError(f"must be above 1, got {ratio}", where="ratio")
    chosen: list[Any] = [c for c in all_codecs() if codecs is None or c.name in codecs]
    if codecs is None or UNCOMPRESSED in codecs:
        chosen.insert(0, None)  # the native file: what reading costs without decoding
    if codecs is not None:
        unknown = sorted(set(codecs) - {c.name for c in chosen if c is not None} - {UNCOMPRESSED})
        if unknown:
            raise ParameterError(f"unknown or unavailable codec(s) {', '.join(unknown)}", where="codecs")
    rows, skipped = [], []
    cells = [(m, c) for m in modalities for c in chosen]
    frames: dict[str, Any] = {}
    for mod, codec in progress(cells, desc="decode benchmark", disable=not show_progress or None):
        if mod not in frames:
            try:
                frames[mod] = _frame_dataset(mod, seed)
            except Exception as exc:  # noqa: BLE001 - an unknown modality, reported as such
                raise ParameterError(f"cannot synthesise {mod!r}: {exc}", where="modalities") from exc
        ds = frames[mod]
        if codec is None:
            name, encoded, achieved = UNCOMPRESSED, ds, 1.0
        else:
            name = codec.name
            why = codec.accepts(frame_info(ds))
            if why:
                skipped.append((name, mod, why))
                continue
            try:
                res = compress(ds, name, ratio=ratio if codec.lossy else None)
            except CodecError as exc:
                skipped.append((name, mod, str(exc)))
                continue
            encoded, achieved = res.dataset, float(res.ratio)
        times = _time_decode(encoded, repeats, min_seconds)
        ms, lo, hi = (1000 * v for v in _mean_ci(times))
        decoded_mb = int(ds.Rows) * int(ds.Columns) * int(ds.BitsAllocated) / 8 / 1e6
        rows.append((name, mod, int(ds.Rows), int(ds.Columns), int(ds.BitsStored), achieved,
                     int(times.size), ms, lo, hi, decoded_mb / (ms / 1000)))
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table.attrs["provenance"] = provenance()
    table.attrs["skipped"] = [{"codec": c, "modality": m, "reason": r} for c, m, r in skipped]
    if cache:
        write_table(table, _cache_file())
    return table


def write_table(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a decode table as CSV with its provenance beside it (``.json``), atomically.

    Parameters
    ----------
    table : pandas.DataFrame
        As returned by :func:`decode_benchmark`.
    path : path-like
        The CSV file to write.

    Returns
    -------
    Path
        The CSV file.
    """
    from teleradlab.files import atomic_write_json, atomic_write_text

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(p.with_suffix(".json"), {"provenance": table.attrs.get("provenance", {}),
                                               "skipped": table.attrs.get("skipped", [])})
    atomic_write_text(p, table.to_csv(index=False))
    return p


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a decode table written by :func:`write_table` (provenance in ``attrs``).

    Raises
    ------
    ParameterError
        If the file lacks a column of :data:`COLUMNS`.
    """
    p = Path(path)
    table = pd.read_csv(p)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ParameterError(f"not a decode table: no column(s) {', '.join(missing)}", where=str(p))
    side = p.with_suffix(".json")
    if side.is_file():
        meta = json.loads(side.read_text())
        table.attrs["provenance"] = meta.get("provenance", {})
        table.attrs["skipped"] = meta.get("skipped", [])
    table.attrs["source"] = str(p)
    return table


def decode_table(*, measured: bool | None = None) -> pd.DataFrame:
    """Return the decode-cost table: this machine's cached measurement, else the shipped one.

    Parameters
    ----------
    measured : bool, optional
        ``True`` insists on a measurement made here (error if none), ``False`` takes
        the shipped table; by default the cached one is used when it exists.

    Returns
    -------
    pandas.DataFrame
        ``attrs["source"]`` names the file and ``attrs["provenance"]`` the machine.

    Raises
    ------
    ParameterError
        If ``measured=True`` and nothing has been measured on this machine.
    """
    cached = _cache_file()
    if measured or (measured is None and cached.is_file()):
        if not cached.is_file():
            raise ParameterError(f"nothing measured here yet ({cached}); run decode_benchmark()",
                                 where="measured")
        return read_table(cached)
    from teleradlab import datasets

    return read_table(datasets.path(SHIPPED))


def ms_per_frame(codec: str, modality: str, *, table: pd.DataFrame | None = None) -> float:
    """Mean decode time of one frame, in milliseconds, from the decode table.

    Parameters
    ----------
    codec : str
        A codec name, or ``"uncompressed"`` (reading the native file).
    modality : str
        One of the table's modalities.
    table : pandas.DataFrame, optional
        Defaults to :func:`decode_table`.

    Raises
    ------
    CodecError
        If the table has no row for that codec and modality (the message lists what it has).
    """
    t = decode_table() if table is None else table
    row = t[(t.codec == codec) & (t.modality == str(modality).upper())]
    if row.empty:
        have = sorted(set(t.codec))
        raise CodecError(f"no decode time for {codec} on {modality} in {t.attrs.get('source', 'the table')}; "
                         f"it has {', '.join(have)} on {', '.join(sorted(set(t.modality)))}", where="codec")
    return float(row.ms_per_frame.iloc[0])
