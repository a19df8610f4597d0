"""Staffing arithmetic: radiologist-hours on shift, who is on shift when, and how many the load needs.

A scenario's shifts are in each centre's local time and its arrivals in each site's
local time; :func:`hourly_cover` puts both on one UTC clock, hour by hour, so the
night of a network spread over time zones can be read off in one table.

How many radiologists an hour's load needs (:func:`radiologists_needed`) is the
classical Erlang C staffing rule: the smallest number of servers c for which an
M/M/c queue with that hour's arrival rate and mean reading time keeps the share of
studies that wait longer than a target at or below a bound (Kleinrock L. Queueing
Systems, Vol. 1. Wiley, 1975, §3.5; the formula is :func:`teleradlab.network.theory.erlang_c`).
Applied hour by hour to a load that changes over the day, it is the pointwise
stationary approximation (Green LV, Kolesar PJ. The pointwise stationary approximation
for queues with nonstationary arrivals. Management Science 1991;37(1):84–97), which
is good when reading times are short against the hour over which the load changes
and optimistic when a backlog carries over from a busy hour. It pools the
radiologists on shift (every one may read every study: licences and subspecialties
are not considered) — a lower bound on the staff a real roster needs; the
simulation (:func:`teleradlab.network.simulate`) is the full answer.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from teleradlab.errors import ParameterError
from teleradlab.limits import MAX_RADIOLOGISTS
from teleradlab.network.resources import shift_intervals
from teleradlab.network.scenario import Scenario, Shift
from teleradlab.network.theory import mmc_wait_tail
from teleradlab.network.workload import hour_starts


def shift_hours_per_day(shift: Shift) -> float:
    """Hours a shift is on per day, averaged over the week.

    A window that crosses midnight counts for the day it starts; ``24/7`` is 24 h.

    Parameters
    ----------
    shift : Shift
        A parsed shift (:func:`teleradlab.network.scenario.parse_shift`).

    Returns
    -------
    float
        Σ over windows of (end − start) × (weekdays in the window) / 7, in hours.

    Examples
    --------
    >>> from teleradlab.network.scenario import parse_shift
    >>> shift_hours_per_day(parse_shift("20:00-08:00", "shift"))
    12.0
    >>> round(shift_hours_per_day(parse_shift("mon-fri 08:00-18:00", "shift")), 4)  # 10 h x 5/7
    7.1429
    """
    if shift.always:
        return 24.0
    return sum(((end - start) % 1440) / 60 * len(days) / 7 for days, start, end in shift.windows)


def radiologist_hours_per_day(scenario: Scenario, *, centre: str | None = None) -> float:
    """Radiologist-hours on shift per day, averaged over the week: the staffing cost of a design.

    Parameters
    ----------
    scenario : Scenario
    centre : str, optional
        Count only this centre (default: every centre).

    Returns
    -------
    float
        Σ over groups of count × :func:`shift_hours_per_day`.

    Raises
    ------
    ParameterError
        If ``centre`` names no centre of the scenario (the message lists them).
    """
    centres = scenario.centres
    if centre is not None:
        centres = tuple(c for c in centres if c.name == centre)
        if not centres:
            raise ParameterError(f"no centre {centre!r}; the scenario has "
                                 f"{', '.join(c.name for c in scenario.centres)}", where="centre")
    return float(sum(g.count * shift_hours_per_day(g.shift) for c in centres for g in c.groups))


def radiologists_needed(arrivals_per_hour: float, mean_reading_minutes: float, *, wait_minutes: float,
                        share: float) -> int:
    """The fewest radiologists for which at least ``share`` of studies wait at most ``wait_minutes`` (Erlang C).

    For an M/M/c queue, P(wait > t) = C(c, a) · exp(−(c − a) t / s) with offered load
    a = λ s (Erlangs) and C the Erlang C probability; the answer is the smallest c > a
    with 1 − P(wait > t) ≥ ``share``.

    Parameters
    ----------
    arrivals_per_hour : float
        Studies arriving per hour (λ).
    mean_reading_minutes : float
        Mean reading time per study (s).
    wait_minutes : float
        The wait target t (before reading starts), minutes.
    share : float
        The share of studies that must meet it, in (0, 1).

    Returns
    -------
    int
        Radiologists (0 when nothing arrives).

    Raises
    ------
    ParameterError
        For a negative or non-finite rate, a reading time or target that is not
        positive and finite, a share outside (0, 1), or a load that would need more
        than :data:`teleradlab.limits.MAX_RADIOLOGISTS`.

    Examples
    --------
    >>> radiologists_needed(6.0, 20.0, wait_minutes=30, share=0.8)  # 2 Erlangs: C(3, 2) = 4/9, 4/9 e^-1.5 < 0.2
    3
    """
    lam, s = float(arrivals_per_hour), float(mean_reading_minutes)
    if not math.isfinite(lam) or lam < 0:
        raise ParameterError(f"must be finite and not negative, got {arrivals_per_hour!r}", where="arrivals_per_hour")
    for name, v in (("mean_reading_minutes", s), ("wait_minutes", float(wait_minutes))):
        if not math.isfinite(v) or v <= 0:
            raise ParameterError(f"must be positive and finite, got {v!r}", where=name)
    if not 0 < share < 1:
        raise ParameterError(f"must lie strictly between 0 and 1, got {share!r}", where="share")
    if lam == 0:
        return 0
    lam_min, mu = lam / 60.0, 1.0 / s
    offered = lam_min * s
    c = math.floor(offered) + 1
    while c <= MAX_RADIOLOGISTS:
        if 1 - mmc_wait_tail(float(wait_minutes), c, lam_min, mu) >= share:
            return c
        c += 1
    raise ParameterError(f"an offered load of {offered:.3g} Erlangs needs more than {MAX_RADIOLOGISTS} "
                         "radiologists", where="arrivals_per_hour")


def _overlap(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Minutes of each interval (rows) inside each hour between ``edges`` (columns)."""
    lo = np.maximum(starts[:, None], edges[None, :-1])
    hi = np.minimum(ends[:, None], edges[None, 1:])
    return np.clip(hi - lo, 0, None)


def hourly_cover(scenario: Scenario, day: dt.date | None = None, *, wait_minutes: float = 60.0,
                 share: float = 0.9) -> pd.DataFrame:
    """Load and cover in each UTC hour of one day, every site and centre on one clock.

    Parameters
    ----------
    scenario : Scenario
    day : datetime.date, optional
        The UTC day (default: the scenario's start date). Arrivals follow each site's
        local hourly profile and weekday factors as the simulator draws them
        (:func:`teleradlab.network.workload.generate`); shifts are each centre's local
        windows (:func:`teleradlab.network.resources.shift_intervals`).
    wait_minutes, share : float
        The wait target for :func:`radiologists_needed`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``utc_hour`` 0–23: ``arrivals`` (expected studies in the hour),
        ``offered_erlangs`` (expected reading work per hour of clock time, in
        radiologist-hours per hour), ``on_shift`` (radiologists on shift, averaged
        over the hour; a group's ``speed`` is not counted), ``needed`` (:func:`radiologists_needed` for the hour's
        arrivals and their mean reading time) and ``short`` (``needed − on_shift``
        where positive, else 0); and one ``on_shift:<centre>`` column per centre.
    """
    day = scenario.start if day is None else day
    t0 = dt.datetime.combine(day, dt.time(), dt.UTC)
    edges = np.arange(25) * 60.0
    arrivals, work = np.zeros(24), np.zeros(24)
    for site in scenario.sites:
        starts, lengths, hw = hour_starts(site.timezone, day - dt.timedelta(days=1), 3, t0)
        inside = _overlap(starts, starts + lengths, edges)  # minutes of each local hour in each UTC hour
        for mod, load in site.modalities.items():
            prof = np.asarray(load.profile) / np.mean(load.profile)
            week = np.asarray(load.weekday) / np.mean(load.weekday)
            per_minute = load.studies_per_day / 1440.0 * prof[hw % 24] * week[hw // 24]
            expected = per_minute @ inside
            arrivals += expected
            work += expected * scenario.reading[mod].mean / 60.0
    out = pd.DataFrame({"arrivals": arrivals, "offered_erlangs": work}, index=pd.RangeIndex(24, name="utc_hour"))
    on_shift = np.zeros(24)
    for centre in scenario.centres:
        here = np.zeros(24)
        for g in centre.groups:
            iv = np.asarray(shift_intervals(g.shift, centre.timezone, day - dt.timedelta(days=1), 3, t0), float)
            here += g.count * _overlap(iv[:, 0], iv[:, 1], edges).sum(axis=0) / 60.0
        out[f"on_shift:{centre.name}"] = here
        on_shift += here
    out["on_shift"] = on_shift
    mean_reading = np.divide(work * 60.0, arrivals, out=np.ones(24), where=arrivals > 0)
    out["needed"] = [radiologists_needed(a, m, wait_minutes=wait_minutes, share=share)
                     for a, m in zip(arrivals, mean_reading, strict=True)]
    out["short"] = np.clip(out["needed"] - out["on_shift"], 0, None)
    return out
