"""Human readers against model observers on the same cases.

Each human's AUC per treatment comes from the study's ratings (with its DeLong
interval); the model observers (CHO, NPWE: :func:`teleradlab.quality.model_observer`)
read regions of interest of the same stored images — centred on the lesion for
diseased cases and on a random position for non-diseased ones, i.e. the
signal-known-exactly task. Efficiency is (d′_human / d′_model)², with each
d′ = √2·Φ⁻¹(AUC) (equal-variance binormal), the usual definition of observer
efficiency relative to a reference observer (Burgess et al., JOSA A 1981;
Barrett & Myers 2004, ch. 13). Humans search the whole image and do not know
where the lesion is, so their efficiency against a location-known model is a
lower bound of their efficiency on the same task.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from teleradlab.errors import ParameterError
from teleradlab.readers.mrmc import mrmc
from teleradlab.readers.store import StudyStore
from teleradlab.readers.table import ReaderStudyError

__all__ = ["dprime_from_auc", "human_vs_model", "roi_stacks"]


def dprime_from_auc(auc: float | np.ndarray) -> np.ndarray:
    """d′ = √2·Φ⁻¹(AUC) of the equal-variance binormal model (inverse of ``auc_from_dprime``).

    Parameters
    ----------
    auc : float or ndarray
        AUC values, clipped to [0.001, 0.999] so that d′ stays finite.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> round(float(dprime_from_auc(0.76025)), 3)
    1.0
    """
    return np.sqrt(2) * stats.norm.ppf(np.clip(auc, 0.001, 0.999))


def roi_stacks(store: StudyStore, treatment: str, *, roi: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Signal-present and signal-absent ROI stacks of one treatment's stored images.

    Parameters
    ----------
    store : StudyStore
        A study whose diseased cases carry lesion positions.
    treatment : str
        Which treatment's images.
    roi : int
        ROI side in pixels.
    seed : int
        Seed of the positions used for non-diseased cases.

    Returns
    -------
    (ndarray, ndarray)
        (n_diseased, roi, roi) and (n_normal, roi, roi).
    """
    cases = store.cases().set_index("case_id")
    readings = store.readings()
    rows = readings.loc[readings.treatment == treatment, ["reading_id", "case_id"]].to_numpy().tolist()
    if not rows:
        raise ReaderStudyError("no readings for this treatment", where=f"treatment={treatment!r}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, roi, len(rows)]))
    present: list[np.ndarray] = []
    absent: list[np.ndarray] = []
    for rid, case in rows:
        img = store.image(rid).astype(float)
        info = cases.loc[case]
        if int(info.truth) == 1:
            if pd.isna(info.lesion_row):
                raise ReaderStudyError("diseased case without a lesion position: the model needs it",
                                       where=f"case={case!r}")
            centre = (float(info.lesion_row), float(info.lesion_col))
        else:
            centre = tuple(rng.uniform(roi / 2, s - roi / 2) for s in img.shape)
        r0 = int(round(centre[0] - (roi - 1) / 2))
        c0 = int(round(centre[1] - (roi - 1) / 2))
        rr = np.arange(r0, r0 + roi) % img.shape[0]  # the synthetic backgrounds are periodic
        cc = np.arange(c0, c0 + roi) % img.shape[1]
        (present if int(info.truth) == 1 else absent).append(img[np.ix_(rr, cc)])
    return np.stack(present), np.stack(absent)


def human_vs_model(store: StudyStore, *, observers: tuple[str, ...] = ("cho", "npwe"), roi: int = 32,
                   lesion_sigma: float = 4.0, seed: int = 0) -> pd.DataFrame:
    """Each human's and each model observer's AUC and d′ per treatment, with efficiencies.

    Parameters
    ----------
    store : StudyStore
        A study with ratings and lesion positions.
    observers : tuple of str
        Model observers (``kind`` of :func:`teleradlab.quality.model_observer`); CHO
        uses min(6, 2·n_train − 2) Laguerre–Gauss channels (n_train: training
        images per class) so that its pooled covariance is invertible.
    roi : int
        ROI side for the models, pixels.
    lesion_sigma : float
        Sigma (pixels) of the Gaussian lesion template given to NPWE.
    seed : int
        Seed of the models' train/test split, bootstrap and non-diseased ROI positions.

    Returns
    -------
    pandas.DataFrame
        ``treatment, observer, kind, auc, ci_low, ci_high, dprime, note, efficiency_vs_<model>``
        (kind is ``human`` or ``model``; intervals: DeLong for humans, bootstrap for models;
        ``note`` holds the model observer's warnings, e.g. a zero-width interval).

    Raises
    ------
    ParameterError
        An unknown observer.
    """
    from teleradlab.imaging.ensembles import make_signal
    from teleradlab.quality import model_observer

    for kind in observers:
        if kind not in ("cho", "npwe", "npw"):
            raise ParameterError(f"unknown model observer {kind!r}; use 'cho', 'npwe' or 'npw'", where="observers")
    table = store.to_table()
    res = mrmc(table, readers="fixed") if table.treatment.nunique() > 1 else None
    rows = []
    for treatment in sorted(table.treatment.unique()):
        sub = table[table.treatment == treatment]
        aucs = res.aucs[res.aucs.treatment == treatment] if res is not None else _single(sub)
        present, absent = roi_stacks(store, treatment, roi=roi, seed=seed)
        template = make_signal(roi, {"shape": "gaussian", "amplitude": 1.0, "radius_px": lesion_sigma})
        models = {}
        # CHO: at most 2·n_train − 2 channels, so the pooled covariance of the training half is invertible
        n_train = min(len(present), len(absent)) // 2
        for kind in observers:
            extra: dict[str, Any] = {"n_channels": max(2, min(6, 2 * n_train - 2))} if kind == "cho" else {}
            # the observer's warnings (e.g. a zero-width interval when it separates perfectly) are kept in
            # the row's ``note`` rather than printed, so a table of many observers stays readable
            with warnings.catch_warnings(record=True) as caught, np.errstate(invalid="ignore"):
                warnings.simplefilter("always")
                out = model_observer(present, absent, kind=kind, seed=seed,
                                     signal=template if kind != "cho" else None, **extra)
            models[kind] = out
            ci_low, ci_high = out.auc_ci if out.auc_ci is not None else (float("nan"), float("nan"))
            rows.append(dict(treatment=treatment, observer=f"model:{kind}", kind="model", auc=out.auc,
                             ci_low=ci_low, ci_high=ci_high, dprime=float(dprime_from_auc(out.auc)),
                             note="; ".join(dict.fromkeys(str(w.message) for w in caught))))
        for a in aucs.itertuples():
            rows.append(dict(treatment=treatment, observer=str(a.reader), kind="human", auc=a.auc, ci_low=a.ci_low,
                             ci_high=a.ci_high, dprime=float(dprime_from_auc(a.auc)), note=""))
        for row in rows:
            if row["treatment"] == treatment:
                for kind, out in models.items():
                    row[f"efficiency_vs_{kind}"] = (row["dprime"] / float(dprime_from_auc(out.auc))) ** 2
    return pd.DataFrame(rows)


def _single(sub: pd.DataFrame) -> pd.DataFrame:
    """Per-reader AUC with a DeLong normal interval when there is only one treatment."""
    from teleradlab.readers.covariance import auc_covariance

    out = []
    for reader, g in sub.groupby("reader"):
        x, y = g.rating[g.truth == 1].to_numpy(), g.rating[g.truth == 0].to_numpy()
        auc, cov = auc_covariance(x[None], y[None])
        se = float(np.sqrt(cov[0, 0]))
        out.append((reader, float(auc[0]), float(auc[0]) - 1.96 * se, float(auc[0]) + 1.96 * se))
    return pd.DataFrame(out, columns=["reader", "auc", "ci_low", "ci_high"])
