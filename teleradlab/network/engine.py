"""The discrete-event engine: acquisition → transfer → queue → read → report.

A small event core in the spirit of SimPy (a heap of timestamped events), with the
teleradiology logic on top:

- **Routing** picks a reading centre when a study is acquired (policies in
  :data:`~teleradlab.network.scenario.ROUTING`).
- **Transfers** wait a few round trips to set up, then share their link's bandwidth
  equally with the other transfers in flight (processor sharing); outages and
  availability windows stop the flow.
- **Worklists** order each centre's queue (``fifo``, ``priority``, ``preemptive``
  resume, ``cherry_pick`` of short studies; AI-flagged studies go first).
- **Radiologists** start a read only while on shift and licensed for the study's
  site; a read that runs past the end of a shift is finished.

Times are minutes since the scenario's start instant (see
:func:`teleradlab.network.workload.start_instant`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from teleradlab.network.scenario import Group, Scenario, Shift, eligible
from teleradlab.network.workload import Workload, minutes_since

NAN = float("nan")
ARRIVE, JOIN, LINK, READ_DONE, SHIFT_START, LINK_STATE = range(6)


def shift_intervals(shift: Shift, tz: str, start: dt.date, days: int, t0: dt.datetime) -> list[tuple[float, float]]:
    """On-shift intervals (minutes since t0) of a local-time shift over ``days`` days, merged."""
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
    for a, b in out:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _on(intervals: list[tuple[float, float]], starts: list[float], t: float) -> bool:
    i = bisect.bisect_right(starts, t) - 1
    return i >= 0 and intervals[i][0] <= t < intervals[i][1]


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass
class Radiologist:
    """One radiologist during a run (mutable state)."""

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
    busy_minutes: float = 0.0

    def on_shift(self, t: float) -> bool:
        """Whether ``t`` falls within a shift."""
        return _on(self.intervals, self.starts, t)


@dataclass
class _LinkState:
    rate: float  # bytes per minute when available
    setup: float
    up: bool = True
    last: float = 0.0
    version: int = 0
    busy_minutes: float = 0.0


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
    link_busy: dict[tuple[int, int], float]
    horizon: float


def run(scenario: Scenario, wl: Workload, *, days: float, drain_days: float = 14.0) -> EngineResult:
    """Simulate one replication of ``wl`` through ``scenario``.

    Parameters
    ----------
    scenario : Scenario
    wl : Workload
        The studies (see :func:`teleradlab.network.workload.generate`).
    days : float
        The arrival period; shifts are laid out for it plus ``drain_days``.
    drain_days : float
        After the last arrival the simulation runs on, shifts and all, until every
        queue is empty or this many days have passed; studies still unread then
        keep NaN report times (they are "in the system at the end").
    """
    n = len(wl)
    sites = scenario.sites
    centres = scenario.centres
    t0 = wl.t0
    n_days = int(math.ceil(days + drain_days))
    horizon = n_days * 1440.0 + 1440.0

    # ---------------------------------------------------------------- resources
    rads: list[Radiologist] = []
    for ci, c in enumerate(centres):
        for g in c.groups:
            iv = shift_intervals(g.shift, c.timezone, scenario.start, n_days, t0)
            readable = frozenset(si for si, s in enumerate(sites) if eligible(g, s))
            for _ in range(g.count):
                rads.append(Radiologist(len(rads), ci, g, g.speed, readable, iv, [a for a, _ in iv]))
    by_centre: list[list[Radiologist]] = [[r for r in rads if r.centre == ci] for ci in range(len(centres))]
    centre_index = {c.name: i for i, c in enumerate(centres)}
    links: dict[tuple[int, int], _LinkState] = {}
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
            links[(si, ci)] = _LinkState(rate=lk.rate_bytes_per_min, setup=lk.setup_minutes)
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
                    links[(si, ci)].up = False
                if a > 0:
                    link_events.append((a, si, ci, False))
                if b < math.inf and b > 0:
                    link_events.append((b, si, ci, True))
    dist = [[haversine_km(s.location, c.location) for c in centres] for s in sites]
    sub_of = [{m: load.subspecialty for m, load in s.modalities.items()} for s in sites]

    # ---------------------------------------------------------------- per-study state (lists are fast)
    acq = wl.acquired.tolist()
    site_of = wl.site.tolist()
    mod_of = wl.modality.tolist()
    prio = wl.priority.tolist()
    flag = wl.ai_flag.tolist()
    work = wl.reading_base.tolist()  # remaining reading work at speed 1
    sent = wl.bytes_sent.astype(float).tolist()
    eff_prio = [0 if f else p for p, f in zip(prio, flag, strict=True)]
    mean_read = {mi: scenario.reading[m].mean for mi, m in enumerate(wl.modalities)}
    centre_of = [-1] * n
    rad_of = [-1] * n
    t_ts, t_te = [NAN] * n, [NAN] * n
    r_s, r_e = [NAN] * n, [NAN] * n
    unread = [False] * n
    preempted = [0] * n
    remaining = [0.0] * n  # bytes left in transfer
    in_transit = [0] * len(centres)
    active: dict[tuple[int, int], set[int]] = {k: set() for k in links}

    discipline = scenario.worklist
    preemptive = discipline == "preemptive"
    # centre → site → heap of (key..., study)
    queues: list[dict[int, list]] = [{} for _ in centres]
    queued_n = [0] * len(centres)

    def key(i: int, tq: float) -> tuple:
        if discipline == "fifo":
            return (tq, i)
        if discipline == "cherry_pick":
            return (0 if eff_prio[i] == 0 else 1, mean_read[mod_of[i]], tq, i)
        return (eff_prio[i], tq, i)

    events: list[tuple] = []
    seq = 0

    def push(t: float, kind: int, a: int = 0, b: int = 0, c: int = 0) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, a, b, c))

    for i in range(n):
        push(acq[i], ARRIVE, i)
    for r in rads:
        for a, _ in r.intervals:
            if 0 < a < horizon:
                push(a, SHIFT_START, r.index)
    for t, si, ci, up in link_events:
        push(t, LINK_STATE, si, ci, 1 if up else 0)

    # ---------------------------------------------------------------- helpers
    def on_shift_count(ci: int, si: int, t: float) -> int:
        return sum(1 for r in by_centre[ci] if si in r.sites and r.on_shift(t))

    def load(ci: int, si: int, t: float) -> float:
        staff = on_shift_count(ci, si, t)
        busy = sum(1 for r in by_centre[ci] if r.study >= 0)
        pending = queued_n[ci] + in_transit[ci] + busy
        return (pending + 1) / staff if staff else math.inf

    def route(i: int, t: float) -> int:
        si = site_of[i]
        cands = site_links[si]
        if not cands:
            return -1
        if len(cands) == 1:
            return cands[0]
        policy = scenario.routing
        if policy == "nearest":
            return min(cands, key=lambda c: dist[si][c])
        if policy == "local_first":
            for c in cands:
                if on_shift_count(c, si, t):
                    return c
            return min(cands, key=lambda c: (load(c, si, t), dist[si][c]))
        if policy == "subspecialty":
            need = sub_of[si].get(wl.modalities[mod_of[i]])
            if need:
                good = [c for c in cands if any(si in r.sites and need in r.group.subspecialties and r.on_shift(t)
                                                for r in by_centre[c])]
                if good:
                    return min(good, key=lambda c: load(c, si, t))
            return min(cands, key=lambda c: (load(c, si, t), dist[si][c]))
        if policy == "follow_the_sun":
            return max(cands, key=lambda c: (on_shift_count(c, si, t), -load(c, si, t)))
        return min(cands, key=lambda c: (load(c, si, t), dist[si][c]))  # least_loaded

    def start_read(r: Radiologist, i: int, t: float) -> None:
        r.study = i
        r.token += 1
        r.began = t
        rad_of[i] = r.index
        if r_s[i] != r_s[i]:  # first start only (NaN check)
            r_s[i] = t
        push(t + work[i] / r.speed, READ_DONE, r.index, i, r.token)

    def enqueue(i: int, t: float) -> None:
        ci = centre_of[i]
        si = site_of[i]
        # an idle, on-shift, eligible radiologist takes it at once
        best = None
        for r in by_centre[ci]:
            if r.study < 0 and si in r.sites and r.on_shift(t):
                best = r
                break
        if best is not None:
            start_read(best, i, t)
            return
        if preemptive:
            victim = None
            for r in by_centre[ci]:
                if r.study >= 0 and si in r.sites and eff_prio[r.study] > eff_prio[i]:
                    if victim is None or eff_prio[r.study] > eff_prio[victim.study]:
                        victim = r
            if victim is not None:
                j = victim.study
                done = (t - victim.began) * victim.speed
                work[j] = max(work[j] - done, 0.0)
                victim.busy_minutes += t - victim.began
                preempted[j] += 1
                victim.study = -1
                _queue(j, t)
                start_read(victim, i, t)
                return
        _queue(i, t)

    def _queue(i: int, t: float) -> None:
        ci = centre_of[i]
        heapq.heappush(queues[ci].setdefault(site_of[i], []), (*key(i, t), i))
        queued_n[ci] += 1

    def pull(r: Radiologist, t: float) -> bool:
        qs = queues[r.centre]
        best_site, best_head = -1, None
        for si in r.sites:
            q = qs.get(si)
            if q and (best_head is None or q[0] < best_head):
                best_site, best_head = si, q[0]
        if best_head is None:
            return False
        heapq.heappop(qs[best_site])
        queued_n[r.centre] -= 1
        start_read(r, best_head[-1], t)
        return True

    def link_advance(k: tuple[int, int], t: float) -> None:
        st = links[k]
        act = active[k]
        if act and st.up and not math.isinf(st.rate):
            share = st.rate * (t - st.last) / len(act)
            for i in act:
                remaining[i] -= share
            st.busy_minutes += t - st.last
        st.last = t

    def link_schedule(k: tuple[int, int], t: float) -> None:
        st = links[k]
        st.version += 1
        act = active[k]
        if not act or not st.up:
            return
        if math.isinf(st.rate):
            push(t, LINK, k[0], k[1], st.version)
            return
        least = min(remaining[i] for i in act)
        push(t + max(least, 0.0) * len(act) / st.rate, LINK, k[0], k[1], st.version)

    def transfer_done(i: int, t: float) -> None:
        t_te[i] = t
        in_transit[centre_of[i]] -= 1
        enqueue(i, t)

    # ---------------------------------------------------------------- main loop
    outstanding = n
    while events and outstanding > 0:
        t, _, kind, a, b, c = heapq.heappop(events)
        if t > horizon:
            break
        if kind == ARRIVE:
            i = a
            ci = route(i, t)
            if ci < 0:
                unread[i] = True
                outstanding -= 1
                continue
            centre_of[i] = ci
            in_transit[ci] += 1
            t_ts[i] = t
            st = links[(site_of[i], ci)]
            if st.setup == 0 and math.isinf(st.rate) and st.up:
                transfer_done(i, t)
            else:
                push(t + st.setup, JOIN, i)
        elif kind == JOIN:
            i = a
            k = (site_of[i], centre_of[i])
            link_advance(k, t)
            remaining[i] = sent[i]
            active[k].add(i)
            link_schedule(k, t)
        elif kind == LINK:
            k = (a, b)
            if c != links[k].version:
                continue
            link_advance(k, t)
            done = [i for i in active[k] if remaining[i] <= 1e-6 * max(sent[i], 1.0) or math.isinf(links[k].rate)]
            for i in done:
                active[k].discard(i)
            for i in sorted(done):
                transfer_done(i, t)
            link_schedule(k, t)
        elif kind == LINK_STATE:
            k = (a, b)
            link_advance(k, t)
            links[k].up = bool(c)
            link_schedule(k, t)
        elif kind == READ_DONE:
            r = rads[a]
            if c != r.token or r.study != b:
                continue
            i = b
            r_e[i] = t
            r.busy_minutes += t - r.began
            r.study = -1
            outstanding -= 1
            if r.on_shift(t):
                pull(r, t)
        elif kind == SHIFT_START:
            r = rads[a]
            if r.study < 0:
                # a shift start may be the start of a merged interval: pull while on shift
                pull(r, t)

    # any radiologist still mid-read at the end accrues busy time up to the horizon
    return EngineResult(
        centre=np.asarray(centre_of, np.int16), radiologist=np.asarray(rad_of, np.int32),
        transfer_start=np.asarray(t_ts), transfer_end=np.asarray(t_te), read_start=np.asarray(r_s),
        read_end=np.asarray(r_e), unread=np.asarray(unread, bool), preemptions=np.asarray(preempted, np.int16),
        radiologists=rads, link_busy={k: v.busy_minutes for k, v in links.items()}, horizon=horizon,
    )
