"""Estimate a "diagnostically acceptable irreversible compression" ratio for a task.

The ESR coined DAIC and warned that a ratio alone does not establish diagnostic
safety. Here the task is explicit: detect a known signal in a background (a
:class:`~teleradlab.imaging.LesionEnsemble`). Each ROI stack is tiled into mosaic
images, compressed at each ratio with a real codec, decoded, cut back into ROIs and
read by a model observer. The acceptable ratio is the highest one up to which the
AUC is non-inferior to the uncompressed AUC: the lower bound of the paired
bootstrap CI of ΔAUC stays above −margin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from teleradlab.errors import QualityError
from teleradlab.quality.observers import model_observer
from teleradlab.quality.roc import auc_mann_whitney

DEFAULT_RATIOS = (4, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50)


@dataclass
class AcceptableRatio:
    """The estimate and the whole curve behind it."""

    codec: str
    acceptable_ratio: float | None
    reference_auc: float
    curve: pd.DataFrame
    margin: float
    observer: str


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


def _ensemble(task: Any):
    from teleradlab.imaging import LesionEnsemble, lesion_ensemble

    if isinstance(task, LesionEnsemble):
        return task
    if isinstance(task, dict):
        return lesion_ensemble(**task)
    raise QualityError("task must be a LesionEnsemble or a dict of lesion_ensemble arguments", where="task")


def acceptable_ratio(task: Any, codec: str, *, margin: float = 0.05, ratios: Sequence[float] = DEFAULT_RATIOS,
                     observer: str = "cho", bits_stored: int = 12, seed: int = 0, n_boot: int = 500
                     ) -> AcceptableRatio:
    """Sweep compression ratios and find the highest non-inferior one.

    Parameters
    ----------
    task : LesionEnsemble or dict
        The detection task; a dict is passed to :func:`teleradlab.imaging.lesion_ensemble`
        (e.g. ``{"n": 200, "background": "lumpy", "seed": 1}``). Values are taken as
        stored pixel values and rounded to ``bits_stored``-bit integers.
    codec : str
        A lossy syntax name (``jpeg2000``, ``htj2k``, ``jpegxl``, ``jpeg-extended``...).
    margin : float
        Non-inferiority margin on the AUC (0.05 = five AUC points).
    ratios : sequence of float
        Ratios to try, ascending.
    observer : {"cho", "npw", "npwe"}
        The model observer (CHO with Laguerre–Gauss channels by default).
    bits_stored : int
        Bit depth of the images compressed.
    seed : int
        Seeds the observer's split and the bootstrap (paired across ratios).
    n_boot : int
        Bootstrap resamples.

    Returns
    -------
    AcceptableRatio
        ``acceptable_ratio`` (None if even the lowest ratio fails) and ``curve``, one
        row per ratio: target and achieved ratio, AUC and its CI, ΔAUC and its lower
        bound, PSNR of the ROIs, and whether it is non-inferior.
    """
    from teleradlab.quality.metrics import psnr

    if not 0 < margin < 1:
        raise QualityError(f"margin must be between 0 and 1, got {margin}", where="margin")
    ratios = sorted(float(r) for r in ratios)
    if not ratios or ratios[0] <= 1:
        raise QualityError("ratios must be above 1", where="ratios")
    ens = _ensemble(task)
    hi = 2 ** bits_stored - 1
    present = np.clip(np.round(ens.present), 0, hi)
    absent = np.clip(np.round(ens.absent), 0, hi)
    signal = ens.signal if observer != "cho" else None
    ref = model_observer(present, absent, kind=observer, signal=signal, seed=seed, n_boot=n_boot)
    rng = np.random.default_rng(seed + 1)
    n_p, n_a = ref.scores_present.size, ref.scores_absent.size
    boot_idx = [(rng.integers(0, n_p, n_p), rng.integers(0, n_a, n_a)) for _ in range(n_boot)]
    ref_boot = np.array([auc_mann_whitney(ref.scores_present[i], ref.scores_absent[j]) for i, j in boot_idx])
    rows = []
    for r in ratios:
        cp, achieved_p = compress_stack(present, codec, r, bits_stored=bits_stored)
        ca, achieved_a = compress_stack(absent, codec, r, bits_stored=bits_stored)
        res = model_observer(cp, ca, kind=observer, signal=signal, seed=seed, n_boot=n_boot)
        boot = np.array([auc_mann_whitney(res.scores_present[i], res.scores_absent[j]) for i, j in boot_idx])
        delta = boot - ref_boot
        low = float(np.quantile(delta, 0.025))
        rows.append({"ratio": r, "achieved_ratio": (achieved_p + achieved_a) / 2, "auc": res.auc,
                     "auc_ci_low": res.auc_ci[0], "auc_ci_high": res.auc_ci[1], "delta_auc": res.auc - ref.auc,
                     "delta_auc_low": low, "dprime": res.dprime,
                     "psnr_db": psnr(np.concatenate([present, absent]), np.concatenate([cp, ca]), data_range=hi),
                     "non_inferior": low > -margin})
    curve = pd.DataFrame(rows)
    best = None
    for row in curve.itertuples():
        if not row.non_inferior:
            break
        best = row.ratio
    return AcceptableRatio(codec=codec, acceptable_ratio=best, reference_auc=ref.auc, curve=curve, margin=margin,
                           observer=observer)
