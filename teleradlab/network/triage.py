"""AI triage: operating points of a flagging AI, and the worklist class each study falls in.

An AI flags some studies of the modalities and priorities it is applied to; the
flagged studies form a class of their own in the worklist, ranked just below a
named priority (default: below ``stat``, above every other study). The operating
point can be given the ways the CADt literature gives it (QuCAD, Thompson et al.):

- ``sensitivity`` and ``specificity`` directly;
- a binormal ROC: non-diseased scores N(0, 1), diseased N(a/b, 1/b) (``b`` = 1 is
  the equal-variance model), summarised by ``auc`` = Φ(a / √(1 + b²)), with either a
  ``threshold`` t on the score (Sp = Φ(t), Se = Φ(a − b t)) or a target sensitivity;
- an ROC table of (FPF, TPF) points, fitted with a binormal line by least squares in
  probit space (the method of QuCAD's ``AI.fit_ROC``; Metz, Invest Radiol 1986 for
  the binormal model), read at a target sensitivity (or specificity).

Common random numbers: each study carries two uniforms drawn whatever the AI is,
``u_disease`` and ``u_score``; a study is diseased when ``u_disease < prevalence``,
and flagged when ``u_score > 1 − Se`` (diseased) or ``u_score > Sp`` (not). Raising
the sensitivity or lowering the specificity therefore only adds flags, and two
scenarios that differ only in their AI see the same studies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from teleradlab.errors import ParameterError

if TYPE_CHECKING:
    from teleradlab.network.scenario import Scenario
    from teleradlab.network.workload import Workload

PRIORITY_ORDER = ("stat", "urgent", "routine")
#: Where an AI's class may sit: above everything (``top``) or just below a priority.
RANKS = ("top", *PRIORITY_ORDER)


def binormal_a(auc: float, b: float = 1.0) -> float:
    """Binormal separation ``a`` for an AUC: AUC = Φ(a / √(1 + b²)).

    Examples
    --------
    >>> round(binormal_a(0.5), 12)
    0.0
    >>> round(binormal_a(0.9), 4)  # equal variances: a = √2 Φ⁻¹(0.9)
    1.8124
    """
    if not 0 < auc < 1 or b <= 0:
        raise ParameterError(f"need 0 < auc < 1 and b > 0, got auc={auc}, b={b}", where="binormal_a")
    return float(stats.norm.ppf(auc) * np.sqrt(1 + b * b))


def binormal_point(a: float, b: float, *, threshold: float | None = None, sensitivity: float | None = None,
                   specificity: float | None = None) -> tuple[float, float]:
    """(sensitivity, specificity) on a binormal ROC at a threshold or a target Se or Sp.

    Parameters
    ----------
    a, b : float
        The binormal ROC TPF = Φ(a + b Φ⁻¹(FPF)).
    threshold, sensitivity, specificity : float, optional
        Exactly one: the score threshold (non-diseased scores are N(0, 1)), or the
        sensitivity or specificity to operate at.

    Returns
    -------
    (float, float)

    Examples
    --------
    >>> se, sp = binormal_point(1.8124, 1.0, sensitivity=0.9)
    >>> round(se, 3), round(sp, 3)
    (0.9, 0.702)
    """
    given = [x is not None for x in (threshold, sensitivity, specificity)]
    if sum(given) != 1:
        raise ParameterError("give exactly one of threshold, sensitivity, specificity", where="binormal_point")
    if threshold is None:
        if sensitivity is not None:
            threshold = (a - float(stats.norm.ppf(sensitivity))) / b
        else:
            threshold = float(stats.norm.ppf(specificity))
    return float(stats.norm.cdf(a - b * threshold)), float(stats.norm.cdf(threshold))


def fit_binormal_roc(fpf: Sequence[float], tpf: Sequence[float]) -> tuple[float, float]:
    """Binormal (a, b) fitted to ROC points by least squares in probit space.

    Φ⁻¹(TPF) = a + b Φ⁻¹(FPF), over the points where both probits are finite (the
    corners (0, 0) and (1, 1) drop out) — QuCAD's ``AI.fit_ROC`` method.

    Parameters
    ----------
    fpf, tpf : sequence of float
        Points of the ROC curve.

    Returns
    -------
    (float, float)
    """
    x = stats.norm.ppf(np.asarray(fpf, float))
    y = stats.norm.ppf(np.asarray(tpf, float))
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2 or np.ptp(x[ok]) == 0:
        raise ParameterError("an ROC table needs at least two points strictly inside (0, 1) with different FPF",
                             where="fit_binormal_roc")
    b, a = np.polyfit(x[ok], y[ok], 1)
    if b <= 0:
        raise ParameterError(f"the fitted binormal slope b = {b:.3g} is not positive: is the table (FPF, TPF)?",
                             where="fit_binormal_roc")
    return float(a), float(b)


def class_codes(ranks: Sequence[str]) -> dict[str, int]:
    """Worklist class numbers (lower is read first) of the priorities and of AI ranks.

    Priority ``p`` is ``2·index(p) + 1``; an AI ranked below priority ``q`` is
    ``2·index(q) + 2`` (``top``: 0), so it sits between ``q`` and the next priority.
    """
    out = {p: 2 * k + 1 for k, p in enumerate(PRIORITY_ORDER)}
    for r in ranks:
        out[f"ai:{r}"] = 0 if r == "top" else 2 * PRIORITY_ORDER.index(r) + 2
    return out


def worklist_class(scenario: Scenario, wl: Workload) -> np.ndarray:
    """Class of every study in the worklist (int64, 0 is read first).

    A study's class is its priority's, or, if an AI flagged it, the AI's class when
    that is higher (an AI never demotes a study).
    """
    codes = class_codes([ai.rank_after for ai in scenario.ai_triage])
    prio = np.array([codes[p] for p in PRIORITY_ORDER], np.int64)[wl.priority.astype(np.int64)]
    if not wl.ai_flag.any():
        return prio
    ai_index = wl.ai_index if wl.ai_index is not None else np.zeros(len(wl), np.int64)
    ai_code = np.array([codes[f"ai:{ai.rank_after}"] for ai in scenario.ai_triage] or [0], np.int64)
    flagged = np.minimum(prio, ai_code[np.clip(ai_index, 0, None)])
    return np.where(wl.ai_flag, flagged, prio)
