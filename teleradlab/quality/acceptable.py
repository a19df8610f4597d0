"""Estimate a "diagnostically acceptable irreversible compression" ratio for a task, with honest statistics.

The ESR coined DAIC and warned that a ratio alone does not establish diagnostic
safety. Here the task is explicit: detect a known signal in a background (a
:class:`~teleradlab.imaging.LesionEnsemble`). Each ROI stack is tiled into mosaic
images, compressed at each ratio with a real codec, decoded, cut back into ROIs and
read by a model observer (:func:`~teleradlab.quality.model_observer`, averaged over
train/test splits, with a bootstrap interval covering training and test variability).

Non-inferiority is decided on the *paired* difference ΔAUC = AUC(compressed) −
AUC(uncompressed): the same images, the same splits and the same bootstrap resamples
(:func:`~teleradlab.quality.observers.paired_auc_difference`). A ratio is non-inferior
when the lower bound of the ΔAUC interval lies above −margin. The acceptable ratio is
the highest tested ratio up to which every tested ratio is non-inferior; when even
the highest tested ratio passes, the limit is *not reached within the tested range*
(censored) — a higher ratio is never reported as acceptable. By default the number of
images is chosen so that the ΔAUC interval is expected to be narrower than the margin,
and the widths actually obtained are reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from teleradlab.errors import CodecError, QualityError
from teleradlab.quality.observers import model_observer, paired_auc_difference

DEFAULT_RATIOS = (4, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50)

#: Images per class of the pilot run that sizes the study when ``n`` is not given.
PILOT_IMAGES = 64


@dataclass
class AcceptableRatio:
    """The estimate, the decision behind it and the whole curve.

    Attributes
    ----------
    codec, observer : str
        What was measured.
    acceptable_ratio : float or None
        The highest *achieved* ratio up to which every tested ratio is non-inferior;
        None if the lowest tested ratio already fails.
    censored : bool
        True when every tested ratio is non-inferior: the limit lies above the tested
        range and is not known.
    limit_ratio : float or None
        The first achieved ratio that failed (None when censored).
    status : str
        The decision in one sentence, with the margin.
    reference_auc : float
        Uncompressed AUC.
    reference_auc_ci : (float, float)
        Its interval.
    margin, level : float
        Non-inferiority margin on ΔAUC and confidence level.
    n_images : int
        Images per class used.
    max_delta_ci_width : float
        The widest ΔAUC interval among the tested ratios; wider than ``margin`` means
        that a failure there can be a lack of images rather than of quality.
    curve : pandas.DataFrame
        One row per ratio (see :func:`acceptable_ratio`).
    """

    codec: str
    observer: str
    acceptable_ratio: float | None
    censored: bool
    limit_ratio: float | None
    status: str
    reference_auc: float
    reference_auc_ci: tuple[float, float]
    margin: float
    level: float
    n_images: int
    max_delta_ci_width: float
    curve: pd.DataFrame


def tile(stack: np.ndarray, per_row: int) -> np.ndarray:
    """Arrange (n, h, w) ROIs in mosaics of per_row x per_row: (m, per_row*h, per_row*w)."""
    n, h, w = stack.shape
    per = per_row * per_row
    m = -(-n // per)
    padded = np.concatenate([stack, np.repeat(stack[-1:], m * per - n, axis=0)]) if m * per > n else stack
    return padded.reshape(m, per_row, per_row, h, w).transpose(0, 1, 3, 2, 4).reshape(m, per_row * h, per_row * w)


def untile(mosaics: np.ndarray, n: int, h: int, w: int) -> np.ndarray:
    """Inverse of :func:`tile`."""
    m, H, W = mosaics.shape
    per_row = H // h
    return mosaics.reshape(m, per_row, h, per_row, w).transpose(0, 1, 3, 2, 4).reshape(-1, h, w)[:n]


def compress_stack(stack: np.ndarray, codec: str, ratio: float, *, bits_stored: int = 12,
                   per_row: int = 8, on_miss: str = "raise") -> tuple[np.ndarray, float]:
    """Compress ROIs as mosaic images at ``ratio``; return the decoded ROIs and the achieved ratio.

    An unreachable ``ratio`` raises, naming the reachable ratios, unless ``on_miss="nearest"``
    (see :func:`~teleradlab.compression.compress`).
    """
    from teleradlab.compression import compress_array

    n, h, w = stack.shape
    per_row = max(1, min(per_row, int(np.sqrt(n))))
    decoded, achieved = compress_array(tile(stack, per_row), codec, bits_stored=bits_stored, ratio=ratio,
                                       on_miss=on_miss)
    return untile(np.asarray(decoded, float), n, h, w), achieved


def _ensemble(task: Any, n: int | None = None):
    from teleradlab.imaging import LesionEnsemble, lesion_ensemble

    if isinstance(task, LesionEnsemble):
        return task
    if isinstance(task, dict):
        return lesion_ensemble(**({**task, "n": n} if n is not None else task))
    raise QualityError("task must be a LesionEnsemble or a dict of lesion_ensemble arguments", where="task")


def images_for_margin(task: dict, margin: float, *, observer: str = "cho", level: float = 0.95, seed: int = 0,
                      n_boot: int = 300, n_splits: int = 10, max_images: int = 2000, bits_stored: int = 12) -> int:
    """Images per class for which the paired ΔAUC interval is expected to be narrower than ``margin``.

    A pilot of :data:`PILOT_IMAGES` per class measures the width w₀ of the uncompressed
    AUC interval. Interval widths shrink as 1/√n, and the paired difference of two
    readings is at most √2 times as wide as one of them (their correlation, positive
    on the same images, only narrows it), so n = ⌈n₀·(√2·w₀/margin)²⌉.

    Parameters
    ----------
    task : dict
        lesion_ensemble arguments (its ``n`` is replaced).
    margin : float
        The non-inferiority margin on ΔAUC.
    observer, level, seed, n_boot, n_splits, bits_stored
        As in :func:`acceptable_ratio`.
    max_images : int
        The most images per class allowed.

    Returns
    -------
    int
        Images per class (at least the pilot's).

    Raises
    ------
    QualityError
        When more than ``max_images`` would be needed, naming the number and the
        margin that ``max_images`` can support; ``n_boot`` < 1 (the pilot's
        interval needs bootstrap replicates).
    """
    ens = _ensemble(task, PILOT_IMAGES)
    hi = 2 ** bits_stored - 1
    p, a = np.clip(np.round(ens.present), 0, hi), np.clip(np.round(ens.absent), 0, hi)
    ref = model_observer(p, a, kind=observer, signal=ens.signal, seed=seed, n_boot=n_boot, n_splits=n_splits,
                         level=level)
    if ref.auc_ci is None:
        raise QualityError("the pilot's AUC interval needs bootstrap replicates: n_boot must be at least 1",
                           where="n_boot")
    w0 = ref.auc_ci[1] - ref.auc_ci[0]
    n = max(PILOT_IMAGES, math.ceil(PILOT_IMAGES * (math.sqrt(2) * w0 / margin) ** 2))
    if n > max_images:
        reachable = math.sqrt(2) * w0 * math.sqrt(PILOT_IMAGES / max_images)
        raise QualityError(f"a ΔAUC interval narrower than {margin} needs about {n} images per class, more than "
                           f"max_images={max_images}; with {max_images} the narrowest margin is about {reachable:.3f}",
                           where="margin")
    return n


def acceptable_ratio(task: Any, codec: str, *, margin: float = 0.05, ratios: Sequence[float] = DEFAULT_RATIOS,
                     observer: str = "cho", bits_stored: int = 12, seed: int = 0, boot_seed: int | None = None,
                     n_boot: int = 500, n_splits: int = 10, level: float = 0.95, max_images: int = 2000,
                     show_progress: bool | None = None) -> AcceptableRatio:
    """Sweep compression ratios and find the highest non-inferior one, with intervals.

    Parameters
    ----------
    task : LesionEnsemble or dict
        The detection task; a dict is passed to :func:`teleradlab.imaging.lesion_ensemble`
        (e.g. ``{"n": 200, "background": "lumpy", "seed": 1}``). Without ``"n"`` the
        number of images is chosen by :func:`images_for_margin`. Values are taken as
        stored pixel values and rounded to ``bits_stored``-bit integers.
    codec : str
        A lossy syntax name (``jpeg2000``, ``htj2k``, ``jpegxl``, ``jpeg-extended``...).
    margin : float
        Non-inferiority margin on ΔAUC (0.05 = five AUC points).
    ratios : sequence of float
        Ratios to try.
    observer : {"cho", "npw", "npwe"}
        The model observer; it is given the task's signal (NPW/NPWE use it as the
        template, the CHO sizes its LG channels by it).
    bits_stored : int
        Bit depth of the images compressed.
    seed, boot_seed : int
        Seeds of the observer's splits and of its bootstrap; the same for every ratio,
        which makes the differences paired.
    n_boot, n_splits : int
        Bootstrap replicates and train/test splits of the observer (``n_boot`` ≥ 1).
    level : float
        Confidence level of all intervals (the non-inferiority test is one-sided at
        (1 + level)/2).
    max_images : int
        Upper bound for the automatic number of images.
    show_progress : bool, optional
        Progress bar over the ratios (default: on unless ``TELERADLAB_NO_PROGRESS``).

    Returns
    -------
    AcceptableRatio
        The decision and ``curve``, one row per ratio: ``ratio`` (target),
        ``achieved_ratio``, ``auc`` with ``auc_ci_low``/``auc_ci_high``, ``dprime``,
        ``delta_auc`` with ``delta_ci_low``/``delta_ci_high``/``delta_ci_width``,
        ``psnr_db`` of the ROIs, ``non_inferior`` and ``note`` (why a ratio was not
        tested, e.g. a codec that cannot reach it).

    Raises
    ------
    QualityError
        A margin outside (0, 1), ratios not above 1, ``n_boot`` < 1, or more images
        needed than ``max_images``.
    """
    from teleradlab.progress import progress
    from teleradlab.quality.metrics import psnr

    if not 0 < margin < 1:
        raise QualityError(f"margin must be between 0 and 1, got {margin}", where="margin")
    ratios = sorted(float(r) for r in ratios)
    if not ratios or ratios[0] <= 1:
        raise QualityError("ratios must be above 1", where="ratios")
    if n_boot < 1:
        raise QualityError("a non-inferiority decision needs an interval: n_boot must be at least 1", where="n_boot")
    n = None
    if isinstance(task, dict) and "n" not in task:
        n = images_for_margin(task, margin, observer=observer, level=level, seed=seed, n_boot=min(n_boot, 300),
                              n_splits=n_splits, max_images=max_images, bits_stored=bits_stored)
    ens = _ensemble(task, n)
    hi = 2 ** bits_stored - 1
    present = np.clip(np.round(ens.present), 0, hi)
    absent = np.clip(np.round(ens.absent), 0, hi)
    kw = {"kind": observer, "signal": ens.signal, "seed": seed, "boot_seed": boot_seed, "n_boot": n_boot,
          "n_splits": n_splits, "level": level}
    ref = model_observer(present, absent, **kw)
    assert ref.auc_ci is not None  # n_boot >= 1 was checked above
    rows = []
    for r in progress(ratios, desc=f"{codec} ratios", disable=None if show_progress is None else not show_progress):
        row: dict[str, Any] = {"ratio": r}
        try:
            cp, achieved_p = compress_stack(present, codec, r, bits_stored=bits_stored)
            ca, achieved_a = compress_stack(absent, codec, r, bits_stored=bits_stored)
        except CodecError as exc:
            rows.append({**row, "achieved_ratio": np.nan, "non_inferior": None, "note": f"not tested: {exc}"})
            continue
        res = model_observer(cp, ca, **kw)
        delta, delta_ci, _ = paired_auc_difference(res, ref)
        assert delta_ci is not None and res.auc_ci is not None  # n_boot >= 1 was checked above
        lo, hi_ = delta_ci
        rows.append({**row, "achieved_ratio": (achieved_p + achieved_a) / 2, "auc": res.auc,
                     "auc_ci_low": res.auc_ci[0], "auc_ci_high": res.auc_ci[1], "dprime": res.dprime,
                     "delta_auc": delta, "delta_ci_low": lo, "delta_ci_high": hi_, "delta_ci_width": hi_ - lo,
                     "psnr_db": psnr(np.concatenate([present, absent]), np.concatenate([cp, ca]), data_range=hi),
                     "non_inferior": bool(lo > -margin), "note": ""})
    curve = pd.DataFrame(rows)
    tested = curve[curve.non_inferior.notna()].sort_values("achieved_ratio")
    best, limit = None, None
    for point in tested.itertuples():
        if not point.non_inferior:
            limit = float(point.achieved_ratio)
            break
        best = float(point.achieved_ratio)
    censored = not tested.empty and limit is None
    pct = round(100 * (1 + level) / 2, 1)
    if tested.empty:
        status = "no ratio could be tested (see the curve's notes)"
    elif censored:
        status = (f"not reached within the tested range: every tested ratio up to {best:.3g}:1 is non-inferior "
                  f"(ΔAUC {pct}% lower bound above −{margin}); the limit lies above {best:.3g}:1 and is unknown")
    elif best is None:
        status = f"even the lowest tested ratio ({limit:.3g}:1) is not shown non-inferior at margin {margin}"
    else:
        status = (f"non-inferior up to {best:.3g}:1 (ΔAUC {pct}% lower bound above −{margin}); "
                  f"{limit:.3g}:1 is not shown non-inferior")
    max_width = float(tested.delta_ci_width.max()) if not tested.empty else float("nan")
    if max_width > margin:
        status += (f"; the widest ΔAUC interval ({max_width:.3f}) is wider than the margin, so a failure may be a "
                   "lack of images rather than of quality")
    return AcceptableRatio(codec=codec, observer=observer, acceptable_ratio=best, censored=censored,
                           limit_ratio=limit, status=status, reference_auc=ref.auc, reference_auc_ci=ref.auc_ci,
                           margin=margin, level=level, n_images=int(present.shape[0]), max_delta_ci_width=max_width,
                           curve=curve)


def pareto_front(table: pd.DataFrame, *, time: str = "turnaround_mean", quality: str = "q_auc",
                 quality_low: str | None = None, quality_high: str | None = None) -> pd.DataFrame:
    """Mark the settings on the time–quality Pareto front, and those dominated beyond doubt.

    A setting is *dominated* when another has a turnaround no longer and an AUC no
    lower, one of them strictly. Given interval columns, it is *clearly dominated*
    when another setting is no slower and its quality interval lies entirely above
    this one's — the only domination the data can vouch for.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per setting.
    time, quality : str
        Columns to minimise and to maximise.
    quality_low, quality_high : str, optional
        The quality interval's columns.

    Returns
    -------
    pandas.DataFrame
        ``table`` with boolean columns ``on_front``, ``dominated`` and (with
        intervals) ``clearly_dominated``.

    Examples
    --------
    >>> t = pd.DataFrame({"turnaround_mean": [10, 12, 11], "q_auc": [0.8, 0.9, 0.7]})
    >>> pareto_front(t).on_front.tolist()
    [True, True, False]
    """
    for col in (time, quality, quality_low, quality_high):
        if col is not None and col not in table:
            raise QualityError(f"no column {col!r}; have {list(table.columns)}", where=col)
    t = table[time].to_numpy(float)
    q = table[quality].to_numpy(float)
    better_or_equal = (t[None, :] <= t[:, None]) & (q[None, :] >= q[:, None])
    strictly = (t[None, :] < t[:, None]) | (q[None, :] > q[:, None])
    dominated = (better_or_equal & strictly).any(axis=1)
    out = table.copy()
    out["dominated"] = dominated
    out["on_front"] = ~dominated
    if quality_low is not None and quality_high is not None:
        lo, hi = table[quality_low].to_numpy(float), table[quality_high].to_numpy(float)
        out["clearly_dominated"] = ((t[None, :] <= t[:, None]) & (lo[None, :] > hi[:, None])).any(axis=1)
    return out
