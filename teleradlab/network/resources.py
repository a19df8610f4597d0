"""What an engine run works with: radiologists on shifts, links and their downtime, distances.

Both engines (the compiled one in :mod:`~teleradlab.network.engine_compiled` and the
pure-Python reference in :mod:`~teleradlab.network.engine_reference`) start from the
same :class:`Resources`, so they see the same shifts, links and licences.
Times are minutes since the scenario's start instant (see
:func:`teleradlab.network.workload.start_instant`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from teleradlab.network.scenario import Group, Scenario, Shift, eligible
from teleradlab.network.workload import Workload, minutes_since
from teleradlab.network.workstation import study_open_minutes


def shift_intervals(shift: Shift, tz: str, start: dt.date, days: int, t0: dt.datetime) -> list[tuple[float, float]]:
    """On-shift intervals of a local-time shift over ``days`` days, merged.

    Parameters
    ----------
    shift : Shift
        Local-time working windows.
    tz : str
        IANA time zone the shift's clock times are in.
    start : datetime.date
        First local day.
    days : int
        Number of days to lay out (one more day either side is included).
    t0 : datetime.datetime
        The UTC instant that minute 0 stands for.

    Returns
    -------
    list of (float, float)
        Sorted, non-overlapping (start, end) minutes since ``t0``.
    """
    if shift.always:
        return [(-math.inf, math.inf)]
    zone = ZoneInfo(tz)
    out = []
    for d in range(-1, days + 1):
        day = start + dt.timedelta(days=d)
        for weekdays, a, b in shift.windows:
            if day.weekday() not in weekdays:
                continue
            begin = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=a)
            end = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=b if b > a else b + 1440)
            out.append((minutes_since(t0, begin.replace(tzinfo=zone).astimezone(dt.UTC)),
                        minutes_since(t0, end.replace(tzinfo=zone).astimezone(dt.UTC))))
    out.sort()
    merged: list[list[float]] = []
    for lo, hi in out:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points.

    Parameters
    ----------
    a, b : (float, float)
        Latitude and longitude in degrees.

    Returns
    -------
    float
    """
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass
class Radiologist:
    """One radiologist during a run (``study``, ``token``, ``began``: mutable state of the reference engine)."""

    index: int
    centre: int
    group: Group
    speed: float
    sites: frozenset[int]  # indices of sites this radiologist may read for
    intervals: list[tuple[float, float]]
    starts: list[float]
    study: int = -1  # current study, -1 when idle
    token: int = 0  # invalidates stale READ_DONE events after a preemption
    began: float = 0.0

    def on_shift(self, t: float) -> bool:
        """Whether ``t`` falls within a shift."""
        i = bisect.bisect_right(self.starts, t) - 1
        return i >= 0 and self.intervals[i][0] <= t < self.intervals[i][1]


@dataclass
class LinkSpec:
    """A usable link (its site has at least one radiologist at the centre who may read it)."""

    site: int
    centre: int
    rate: float  # payload bytes per minute when available, shared by the transfers in flight (inf: ideal link)
    up: bool  # available at minute 0


@dataclass
class Resources:
    """Radiologists, links and geometry of one run, laid out over its horizon."""

    radiologists: list[Radiologist]
    by_centre: list[list[Radiologist]]
    site_links: list[list[int]]  # per site: centres it can send to, in scenario order
    links: dict[tuple[int, int], LinkSpec]
    link_events: list[tuple[float, int, int, bool]]  # (minute, site, centre, up), in push order
    dist: list[list[float]]  # km, [site][centre]
    need: list[dict[str, str | None]]  # per site: modality -> subspecialty it needs
    horizon: float
    latency: np.ndarray  # [study, centre] minutes of a transfer that do not occupy the link (NaN: no link)
    payload: np.ndarray  # [study, centre] bytes moved at the link's shared rate
    first_image: np.ndarray  # [study, centre] minutes from opening to the first image on screen (workstation)
    loaded: np.ndarray  # [study, centre] minutes from opening to the whole study decoded (workstation)


@dataclass
class EngineResult:
    """Raw per-study timings and per-resource statistics of one run."""

    centre: np.ndarray
    radiologist: np.ndarray
    transfer_start: np.ndarray
    transfer_end: np.ndarray
    read_start: np.ndarray
    read_end: np.ndarray
    unread: np.ndarray
    preemptions: np.ndarray
    radiologists: list[Radiologist]
    radiologist_busy: np.ndarray  # minutes each radiologist (by index) was occupied by reads, workstation waits included
    link_busy: dict[tuple[int, int], float]  # minutes data was flowing, by (site, centre)
    horizon: float
    wait: np.ndarray  # minutes in a worklist over every stay (NaN until reported)
    reading: np.ndarray  # minutes being read over every segment (NaN until reported)
    preempt_study: np.ndarray  # one entry per preemption: the study interrupted,
    preempt_at: np.ndarray  # when,
    preempt_back: np.ndarray  # and when a radiologist took it up again (NaN: never)
    workstation: np.ndarray  # minutes a radiologist waited on the workstation, every segment (NaN until reported)
    first_image: np.ndarray  # minutes from opening to the first image at the study's centre (NaN: not routed)
    loaded: np.ndarray  # minutes from opening to the study loaded at its centre (NaN: not routed)


def prepare(scenario: Scenario, t0: dt.datetime, *, days: float, drain_days: float, workload: Workload) -> Resources:
    """Lay out shifts, links and their downtime for a run, each study's transfer on each link, and its opening.

    The opening (minutes to the first image and to the study loaded at each centre's
    workstation) is :func:`teleradlab.network.workstation.study_open_minutes`.

    Parameters
    ----------
    scenario : Scenario
    t0 : datetime.datetime
        The UTC instant that minute 0 stands for.
    days, drain_days : float
        The arrival period and how long the run may go on after it.
    workload : Workload
        The studies (their instances and sizes set each transfer; see :func:`study_transfers`).

    Returns
    -------
    Resources
    """
    sites, centres = scenario.sites, scenario.centres
    n_days = int(math.ceil(days + drain_days))
    horizon = n_days * 1440.0 + 1440.0
    rads: list[Radiologist] = []
    for ci, c in enumerate(centres):
        for g in c.groups:
            iv = shift_intervals(g.shift, c.timezone, scenario.start, n_days, t0)
            readable = frozenset(si for si, s in enumerate(sites) if eligible(g, s))
            for _ in range(g.count):
                rads.append(Radiologist(len(rads), ci, g, g.speed, readable, iv, [a for a, _ in iv]))
    by_centre = [[r for r in rads if r.centre == ci] for ci in range(len(centres))]
    centre_index = {c.name: i for i, c in enumerate(centres)}
    links: dict[tuple[int, int], LinkSpec] = {}
    link_events: list[tuple[float, int, int, bool]] = []
    site_links: list[list[int]] = [[] for _ in sites]
    for si, s in enumerate(sites):
        for lk in scenario.links:
            if lk.site != s.name:
                continue
            ci = centre_index[lk.centre]
            if not any(si in r.sites for r in by_centre[ci]):
                continue
            site_links[si].append(ci)
            spec = links[(si, ci)] = LinkSpec(si, ci, lk.rate_bytes_per_min, True)
            down = []
            if lk.availability is not None:
                up = shift_intervals(lk.availability, s.timezone, scenario.start, n_days, t0)
                prev = -math.inf
                for a, b in up:
                    down.append((prev, a))
                    prev = b
                down.append((prev, math.inf))
            down += [(minutes_since(t0, a), minutes_since(t0, b)) for a, b in lk.outages]
            for a, b in down:
                if a <= 0 < b:
                    spec.up = False
                if a > 0:
                    link_events.append((a, si, ci, False))
                if b < math.inf and b > 0:
                    link_events.append((b, si, ci, True))
    latency, payload = study_transfers(scenario, workload, links)
    first_image, loaded = study_open_minutes(scenario, workload)
    return Resources(
        radiologists=rads, by_centre=by_centre, site_links=site_links, links=links, link_events=link_events,
        dist=[[haversine_km(s.location, c.location) for c in centres] for s in sites],
        need=[{m: load.subspecialty for m, load in s.modalities.items()} for s in sites], horizon=horizon,
        latency=latency, payload=payload, first_image=first_image, loaded=loaded,
    )


def at_centre(per_centre: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Each study's value at the centre it was routed to (NaN where it was not routed).

    Parameters
    ----------
    per_centre : ndarray, shape (studies, centres)
    centre : ndarray, shape (studies,)
        Centre index per study, -1 when not routed.

    Returns
    -------
    ndarray, shape (studies,)
    """
    c = np.asarray(centre, np.int64)
    if per_centre.shape[1] == 0:
        return np.full(c.size, np.nan)
    got = per_centre[np.arange(c.size), np.maximum(c, 0)]
    return np.where(c >= 0, got, np.nan)


def study_transfers(scenario: Scenario, wl: Workload, links: dict[tuple[int, int], LinkSpec]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Each study's transfer on each usable link, split as the engines move it.

    :func:`teleradlab.network.transfer.predict` (through :meth:`Link.timing`) splits a
    study's time on an idle link into latency (round trips, stalls, set-up: time that
    does not occupy the link's capacity) and payload (bytes at the link's effective
    rate). The engines wait out the latency first, then move the payload bytes at the
    rate the link shares among the transfers in flight, so that alone on the link a
    study takes exactly ``predict(...).total_s``. Computed once per distinct
    (link, instances, instance size), so a million studies cost a few hundred predictions.

    Parameters
    ----------
    scenario : Scenario
    wl : Workload
        The studies: instances per study and bytes per instance as sent.
    links : dict
        The usable links, by (site index, centre index).

    Returns
    -------
    latency, payload : ndarray, shape (studies, centres)
        Minutes not occupying the link, and bytes moved at the shared rate (for an
        ideal link: 0 and the bytes sent). NaN where the study's site has no link.
    """
    n, n_centres = len(wl), len(scenario.centres)
    latency = np.full((n, n_centres), np.nan)
    payload = np.full((n, n_centres), np.nan)
    by_name = {(lk.site, lk.centre): lk for lk in scenario.links}
    for (si, ci), spec in links.items():
        lk = by_name[(scenario.sites[si].name, scenario.centres[ci].name)]
        rows = np.flatnonzero(wl.site == si)
        if lk.ideal:
            latency[rows, ci] = 0.0
            payload[rows, ci] = wl.bytes_sent[rows]
            continue
        sizes, size_code = np.unique(wl.bytes_per_instance[rows], return_inverse=True)
        images = wl.images[rows].astype(np.int64)
        keys, first, inverse = np.unique(size_code.ravel() * (int(images.max()) + 1) + images, return_index=True,
                                         return_inverse=True)
        lat = np.empty(len(keys))
        pay = np.empty(len(keys))
        for k, j in enumerate(first):
            timing = lk.timing(int(images[j]), float(sizes[size_code.ravel()[j]]))
            lat[k] = timing.latency_s / 60.0
            pay[k] = timing.payload_s / 60.0 * spec.rate
        latency[rows, ci] = lat[inverse.ravel()]
        payload[rows, ci] = pay[inverse.ravel()]
    return latency, payload
